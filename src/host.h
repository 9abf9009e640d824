/* host.h - facts about the machine flashbay runs on. */
#ifndef FLASHBAY_HOST_H
#define FLASHBAY_HOST_H

/* Number of online CPUs (at least 1, at most 256). */
int cpu_count(void);

#endif
