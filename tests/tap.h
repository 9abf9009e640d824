/* tap.h - a tiny TAP producer for the C tests (header-only).
 *
 *   ok(cond, "name %d", n); is_int(got, want, "name"); is_str(got, want, "name");
 *   return done_testing();
 *
 * Each assertion is one TAP test point; the automake TAP driver counts them.
 */
#ifndef FLASHBAY_TAP_H
#define FLASHBAY_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

__attribute__((unused)) static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define is_int(got, want, ...)                                                              \
	do {                                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);                     \
		if (!ok(g_ == w_, __VA_ARGS__))                                              \
			diag("  got %lld, want %lld", g_, w_);                               \
	} while (0)

#define is_str(got, want, ...)                                                              \
	do {                                                                                \
		const char *g_ = (got), *w_ = (want);                                        \
		if (!ok((g_ && w_ && !strcmp(g_, w_)) || (!g_ && !w_), __VA_ARGS__))         \
			diag("  got '%s', want '%s'", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

__attribute__((unused)) static void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Path of a test data file: $srcdir/tests/<rel>. */
__attribute__((unused)) static const char *tap_srcfile(const char *rel)
{
	static char buf[4096];
	const char *srcdir = getenv("srcdir");

	snprintf(buf, sizeof buf, "%s/tests/%s", srcdir ? srcdir : ".", rel);
	return buf;
}

#endif
