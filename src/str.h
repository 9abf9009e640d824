/* str.h - small tests on C strings (prefix, suffix, equality ignoring case)
 * and the singular or plural of a word. */
#ifndef FLASHBAY_STR_H
#define FLASHBAY_STR_H

#include <stdbool.h>

/* Does s begin with prefix? */
bool str_starts_with(const char *s, const char *prefix);
/* Does s end with suffix? */
bool str_ends_with(const char *s, const char *suffix);
/* Case-insensitive ASCII equality. */
bool str_eq_nocase(const char *a, const char *b);

/* one if n is 1, else many: "1 board", "2 boards" (not "board(s)"). */
static inline const char *plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

#endif
