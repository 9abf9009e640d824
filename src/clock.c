/* clock.c - time: the monotonic and wall clocks, ISO 8601 dates, short
 * durations, and "since" arguments ("8h" or a date). */
#include "autoconf.h"

#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "parse.h"
#include "xalloc.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void format_iso8601(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

/* Read exactly n digits at *p into *out. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Parse the optional "THH:MM[:SS[.mmm]]" part into tm/ms. */
static int parse_time_part(const char **pp, struct tm *tm, int *msec)
{
	const char *p = *pp;

	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (digits(&p, 2, &tm->tm_hour) || *p++ != ':' || digits(&p, 2, &tm->tm_min))
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &tm->tm_sec))
			return -EINVAL;
		if (*p == '.' || *p == ',') {
			int scale = 100;

			for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
				*msec += (*p - '0') * scale;
		}
	}
	*pp = p;
	return 0;
}

int parse_iso8601(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	const char *p = s;
	int msec = 0, off = 0;

	if (digits(&p, 4, &tm.tm_year) || *p++ != '-' || digits(&p, 2, &tm.tm_mon) ||
	    *p++ != '-' || digits(&p, 2, &tm.tm_mday))
		return -EINVAL;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (parse_time_part(&p, &tm, &msec))
		return -EINVAL;
	if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

		if (digits(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (*p && digits(&p, 2, &om))
			return -EINVAL;
		off = sign * (oh * 60 + om);
	}
	if (*p)
		return -EINVAL;
	*ms = ((int64_t)timegm(&tm) - (int64_t)off * 60) * 1000 + msec;
	return 0;
}

void format_duration(uint64_t ms, char out[16])
{
	if (ms < 1000)
		snprintf(out, 16, "%ums", (unsigned)ms);
	else if (ms < 60000)
		snprintf(out, 16, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(out, 16, "%um%02us", (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60));
	else
		snprintf(out, 16, "%uh%02um", (unsigned)(ms / 3600000), (unsigned)(ms / 60000 % 60));
}

int parse_since(const char *s, int64_t now_wall, int64_t *out)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
		      { 'w', 604800000 } };
	size_t n = strlen(s);

	if (n >= 2 && isdigit((unsigned char)s[0])) {
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			char *num;
			long v;
			int bad;

			if (s[n - 1] != units[i].unit)
				continue;
			num = xstrndup(s, n - 1);
			bad = parse_long(num, 0, 1000000, &v);
			free(num);
			if (bad)
				break;
			*out = now_wall - (int64_t)v * units[i].ms;
			return 0;
		}
	}
	return parse_iso8601(s, out);
}
