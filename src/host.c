/* host.c - facts about the machine flashbay runs on. */
#include "autoconf.h"

#include "host.h"

#include <unistd.h>

int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)(n > 256 ? 256 : n);
}
