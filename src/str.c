/* str.c - small tests on C strings: prefix, suffix, equality ignoring case. */
#include "autoconf.h"

#include "str.h"

#include <string.h>
#include <strings.h>

bool str_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !memcmp(s + a - b, suffix, b);
}

bool str_eq_nocase(const char *a, const char *b)
{
	return !strcasecmp(a, b);
}
