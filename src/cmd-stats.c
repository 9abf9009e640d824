/* cmd-stats.c - `flashbay stats`: yield, rate, durations, failures by class,
 * slot and firmware, for the current period, a --since window or --all. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "histcmd.h"
#include "yield.h"
#include "json.h"
#include "text.h"
#include "xalloc.h"

struct stats_opts {
	const char *since;
	int64_t since_ms;
	bool all, json, reset, by_station;
};

/* Parse the options; 0, or an exit code after a usage error. */
static int parse_opts(int argc, char **argv, struct stats_opts *o)
{
	for (int i = 1; i < argc; i++) {
		int r = histcmd_opt("stats", argc, argv, &i, "--since", &o->since);

		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--all"))
			o->all = true;
		else if (!strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "--reset"))
			o->reset = true;
		else if (!strcmp(argv[i], "--by-station"))
			o->by_station = true;
		else
			return cmd_usage_error("stats", "unknown argument '%s'", argv[i]);
	}
	if (o->since && o->all)
		return cmd_usage_error("stats", "--since and --all do not go together");
	if (o->reset && (o->since || o->all))
		return cmd_usage_error("stats", "--reset takes no --since or --all");
	if (o->since && histcmd_since("stats", o->since, &o->since_ms))
		return EXIT_USAGE;
	return 0;
}

/* A time as JSON ISO 8601, or null when 0. */
static void jw_time(struct jw *jw, const char *key, int64_t ms)
{
	char t[32];

	if (ms) {
		format_iso8601(ms, t);
		jw_str(jw, key, t);
	} else {
		jw_null(jw, key);
	}
}

/* The lists of s as JSON members. */
static void json_lists(struct jw *jw, const struct history_stats *s)
{
	char key[16];

	jw_object_begin(jw, "by_class");
	for (size_t i = 0; i < s->n_class; i++)
		jw_int(jw, s->by_class[i].name, s->by_class[i].count);
	jw_object_end(jw);
	jw_object_begin(jw, "not_started_by_class");
	for (size_t i = 0; i < s->n_not_started_class; i++)
		jw_int(jw, s->not_started_by_class[i].name, s->not_started_by_class[i].count);
	jw_object_end(jw);
	jw_object_begin(jw, "by_slot");
	for (size_t i = 0; i < s->n_slot; i++) {
		const struct history_slot_count *sl = &s->by_slot[i];

		snprintf(key, sizeof key, "%d", sl->slot);
		jw_object_begin(jw, key);
		jw_int(jw, "attempts", sl->attempts);
		jw_int(jw, "failed", sl->failed);
		jw_double(jw, "failure_rate",
			  sl->attempts ? (double)sl->failed / (double)sl->attempts : 0);
		jw_object_end(jw);
	}
	jw_object_end(jw);
	jw_array_begin(jw, "by_firmware");
	for (size_t i = 0; i < s->n_fw; i++) {
		jw_object_begin(jw, NULL);
		jw_str(jw, "sha256", *s->by_fw[i].sha256 ? s->by_fw[i].sha256 : NULL);
		jw_str(jw, "summary", s->by_fw[i].summary);
		jw_int(jw, "attempts", s->by_fw[i].attempts);
		jw_int(jw, "ok", s->by_fw[i].ok);
		jw_int(jw, "failed", s->by_fw[i].failed);
		jw_object_end(jw);
	}
	jw_array_end(jw);
}

/* The figures of s as members of the open JSON object. */
static void json_figures(struct jw *jw, const struct history_stats *s)
{
	if (s->period) {
		jw_int(jw, "period", s->period);
		jw_time(jw, "period_started_at", s->period_start_ms);
	}
	jw_int(jw, "attempts", s->attempts);
	jw_int(jw, "ok", s->ok);
	jw_int(jw, "failed", s->failed);
	jw_int(jw, "running", s->running);
	jw_int(jw, "interrupted", s->interrupted);
	jw_int(jw, "cancelled", s->cancelled);
	jw_int(jw, "not_started", s->not_started);
	jw_int(jw, "boards", s->boards);
	jw_int(jw, "boards_first_pass", s->boards_first_ok);
	jw_int(jw, "boards_passed", s->boards_passed);
	yield_json(jw, s->first_pass_yield, s->boards);
	jw_double(jw, "units_per_hour", s->units_per_hour);
	jw_time(jw, "first_started_at", s->first_ms);
	jw_time(jw, "last_ended_at", s->last_ms);
	if (s->duration_p50 >= 0) {
		jw_int(jw, "duration_ms_p50", s->duration_p50);
		jw_int(jw, "duration_ms_p95", s->duration_p95);
	} else {
		jw_null(jw, "duration_ms_p50");
		jw_null(jw, "duration_ms_p95");
	}
	json_lists(jw, s);
}

/* "12.5%" of whole; "-" over nothing */
static void pct(char out[16], long part, long whole)
{
	if (!whole)
		snprintf(out, 16, "-");
	else
		snprintf(out, 16, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/* The headline figures as text. */
static void text_figures(const struct history_stats *s)
{
	char a[32], b[32], p[16];

	printf("Attempts:          %ld (ok %ld, failed %ld, cancelled %ld, not started %ld, "
	       "running %ld)\n", s->attempts, s->ok, s->failed, s->cancelled, s->not_started,
	       s->running);
	yield_text(p, s->first_pass_yield, s->boards, 1);
	printf("First-pass yield:  %s (%ld of %ld boards passed on their first attempt)\n", p,
	       s->boards_first_ok, s->boards);
	format_duration((uint64_t)(s->last_ms - s->first_ms), a);
	printf("Units per hour:    %.1f (%ld boards passed in %s)\n", s->units_per_hour,
	       s->boards_passed, s->attempts ? a : "0s");
	if (s->duration_p50 >= 0) {
		format_duration((uint64_t)s->duration_p50, a);
		format_duration((uint64_t)s->duration_p95, b);
		printf("Duration:          p50 %s, p95 %s\n", a, b);
	}
}

/* Failures by class and slot as text. */
static void text_classes_slots(const struct history_stats *s)
{
	struct strbuf sb = STRBUF_INIT;
	char p[16];

	if (s->n_class)
		printf("\nFailures by class:\n");
	for (size_t i = 0; i < s->n_class; i++) {
		strbuf_reset(&sb);
		text_sanitize(&sb, s->by_class[i].name, strlen(s->by_class[i].name), true);
		printf("  %-24.24s %8ld\n", sb.buf, s->by_class[i].count);
	}
	if (s->n_not_started_class)
		printf("\nNot started (never reached a board), by class:\n");
	for (size_t i = 0; i < s->n_not_started_class; i++) {
		strbuf_reset(&sb);
		text_sanitize(&sb, s->not_started_by_class[i].name,
			      strlen(s->not_started_by_class[i].name), true);
		printf("  %-24.24s %8ld\n", sb.buf, s->not_started_by_class[i].count);
	}
	if (s->n_slot)
		printf("\n  Slot  Attempts    Failed  Failure rate\n");
	for (size_t i = 0; i < s->n_slot; i++) {
		const struct history_slot_count *sl = &s->by_slot[i];

		pct(p, sl->failed, sl->attempts);
		if (sl->slot)
			printf("  %4d  %8ld  %8ld  %12s\n", sl->slot, sl->attempts, sl->failed, p);
		else
			printf("  %4s  %8ld  %8ld  %12s\n", "-", sl->attempts, sl->failed, p);
	}
	strbuf_release(&sb);
}

/* Per firmware as text: SHA-256 prefix, counts, images. */
static void text_firmware(const struct history_stats *s)
{
	struct strbuf sum = STRBUF_INIT;

	if (s->n_fw)
		printf("\n  Firmware      Attempts        Ok    Failed  Images\n");
	for (size_t i = 0; i < s->n_fw; i++) {
		const struct history_fw_count *f = &s->by_fw[i];
		char sha[13];

		snprintf(sha, sizeof sha, "%s", *f->sha256 ? f->sha256 : "-");
		strbuf_reset(&sum);
		text_sanitize(&sum, f->summary, strlen(f->summary), false);
		printf("  %-12s  %8ld  %8ld  %8ld  %s\n", sha, f->attempts, f->ok, f->failed,
		       sum.buf);
	}
	strbuf_release(&sum);
}

/* The whole text report of s under a title line. */
static void text_report(const char *title, const struct history_stats *s)
{
	printf("%s\n", title);
	text_figures(s);
	text_classes_slots(s);
	text_firmware(s);
}

/* The title of a period, a window or everything. */
static void title(char *out, size_t n, const struct stats_opts *o, const struct history_stats *s)
{
	char t[32];

	if (o->since) {
		histcmd_time(o->since_ms, t);
		snprintf(out, n, "Since %s UTC (--since %s)", t, o->since);
	} else if (o->all) {
		snprintf(out, n, "All statistics periods");
	} else {
		histcmd_time(s->period_start_ms, t);
		snprintf(out, n, "Statistics period %lld, since %s UTC", (long long)s->period, t);
	}
}

/* --all: the table of periods (text) or the "periods" array (JSON). */
static int periods_report(struct histcmd *c, struct jw *jw, struct strbuf *err)
{
	struct history_period *p;
	size_t n;
	int r = history_periods(c->h, &p, &n, err);

	if (!r && !jw)
		printf("  Period  Started (UTC)        Attempts        Ok    Failed   Yield  Units/h\n");
	if (!r && jw)
		jw_array_begin(jw, "periods");
	for (size_t i = 0; !r && i < n; i++) {
		struct history_scope sc = { .kind = HISTORY_SCOPE_PERIOD, .period = p[i].id };
		struct history_stats s;
		char t[32], y[16];

		r = history_stats(c->h, &sc, &s, err);
		if (!r && jw) {
			jw_object_begin(jw, NULL);
			jw_time(jw, "period_ended_at", p[i].end_ms);
			json_figures(jw, &s);
			jw_object_end(jw);
		} else if (!r) {
			histcmd_time(p[i].start_ms, t);
			yield_text(y, s.first_pass_yield, s.boards, 1);
			printf("  %6lld  %s  %8ld  %8ld  %8ld  %6s  %7.1f\n", (long long)p[i].id, t,
			       s.attempts, s.ok, s.failed, y, s.units_per_hour);
		}
		history_stats_release(&s);
	}
	if (!r && jw)
		jw_array_end(jw);
	if (!r && !jw)
		printf("\n");
	free(p);
	return r;
}

/* --by-station: a row per station (JSON: the "by_station" array). */
static int stations_report(struct histcmd *c, const struct history_scope *sc, struct jw *jw,
			   struct strbuf *err)
{
	struct history_station_count *st;
	size_t n;
	int r = history_station_stats(c->h, sc, &st, &n, err);

	if (r)
		return r;
	if (jw)
		jw_array_begin(jw, "by_station");
	else
		printf("\nBy station:\n  %-20s %8s %7s %7s %7s %9s %8s\n", "STATION", "ATTEMPTS",
		       "OK", "FAILED", "BOARDS", "1ST-PASS", "UNITS/H");
	for (size_t i = 0; i < n; i++) {
		const struct history_station_count *x = &st[i];
		char *name = text_sanitize_dup(x->station, false);

		if (!jw) {
			char y[16];

			yield_text(y, x->first_pass_yield, x->boards, 1);
			printf("  %-20s %8ld %7ld %7ld %7ld %9s %8.1f\n", name, x->attempts, x->ok,
			       x->failed, x->boards, y, x->units_per_hour);
		} else {
			jw_object_begin(jw, NULL);
			jw_str(jw, "station", x->station);
			jw_int(jw, "attempts", x->attempts);
			jw_int(jw, "ok", x->ok);
			jw_int(jw, "failed", x->failed);
			jw_int(jw, "cancelled", x->cancelled);
			jw_int(jw, "not_started", x->not_started);
			jw_int(jw, "boards", x->boards);
			jw_int(jw, "boards_first_pass", x->boards_first_ok);
			yield_json(jw, x->first_pass_yield, x->boards);
			jw_double(jw, "units_per_hour", x->units_per_hour);
			jw_object_end(jw);
		}
		free(name);
	}
	if (jw)
		jw_array_end(jw);
	history_station_stats_free(st, n);
	return 0;
}

/* Compute and print the statistics the options ask for. */
static int report(struct histcmd *c, const struct stats_opts *o)
{
	struct history_scope sc = { .kind = o->since ? HISTORY_SCOPE_SINCE
					   : o->all ? HISTORY_SCOPE_ALL : HISTORY_SCOPE_CURRENT,
				    .since_ms = o->since_ms };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct history_stats s;
	struct jw jw;
	char head[160];
	int r = history_stats(c->h, &sc, &s, &err);

	if (!r && o->json) {
		jw_init(&jw, &out);
		jw_object_begin(&jw, NULL);
		jw_str(&jw, "scope", o->since ? "since" : o->all ? "all" : "period");
		if (o->since)
			jw_time(&jw, "since", o->since_ms);
		json_figures(&jw, &s);
		r = o->all ? periods_report(c, &jw, &err) : 0;
		if (!r && o->by_station)
			r = stations_report(c, &sc, &jw, &err);
		jw_object_end(&jw);
		if (!r)
			printf("%s\n", out.buf);
	} else if (!r) {
		r = o->all ? periods_report(c, NULL, &err) : 0;
		title(head, sizeof head, o, &s);
		if (!r)
			text_report(head, &s);
		if (!r && o->by_station)
			r = stations_report(c, &sc, NULL, &err);
	}
	if (r)
		histcmd_fail(c, err.buf);
	history_stats_release(&s);
	strbuf_release(&err);
	strbuf_release(&out);
	return r ? EXIT_FAIL : EXIT_OK;
}

/* --reset: start a new period and say so. */
static int reset(struct histcmd *c, const struct stats_opts *o)
{
	struct history_period *p = NULL;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	size_t n = 0;
	int r = history_reset_period(c->h, &err);
	char t[32];

	if (!r)
		r = history_periods(c->h, &p, &n, &err);
	if (!r && n) {
		histcmd_time(p[n - 1].start_ms, t);
		if (o->json) {
			struct jw jw;

			jw_init(&jw, &out);
			jw_object_begin(&jw, NULL);
			jw_int(&jw, "period", p[n - 1].id);
			jw_time(&jw, "period_started_at", p[n - 1].start_ms);
			jw_object_end(&jw);
			printf("%s\n", out.buf);
		} else {
			printf("Started statistics period %lld at %s UTC; nothing was deleted "
			       "(see 'flashbay stats --all').\n", (long long)p[n - 1].id, t);
		}
	}
	if (r)
		histcmd_fail(c, err.buf);
	free(p);
	strbuf_release(&err);
	strbuf_release(&out);
	return r ? EXIT_FAIL : EXIT_OK;
}

/* No database yet: say so (JSON: all zeros, the note on stderr). */
static int no_history(const struct histcmd *c, const struct stats_opts *o)
{
	struct history_stats s = { .duration_p50 = -1, .duration_p95 = -1 };
	struct strbuf out = STRBUF_INIT, path = STRBUF_INIT;
	struct jw jw;

	text_sanitize(&path, c->cfg.database, strlen(c->cfg.database), false);
	if (!o->json) {
		printf("no history yet at %s%s\n", path.buf, o->reset ? "; nothing to reset" : "");
	} else {
		fprintf(stderr, "flashbay stats: no history yet at %s\n", path.buf);
		jw_init(&jw, &out);
		jw_object_begin(&jw, NULL);
		jw_str(&jw, "scope", o->since ? "since" : o->all ? "all" : "period");
		json_figures(&jw, &s);
		jw_object_end(&jw);
		printf("%s\n", out.buf);
	}
	strbuf_release(&out);
	strbuf_release(&path);
	return EXIT_OK;
}

/* Reopen the history as a writer (it exists: the reader opened it). */
static int reopen_writer(struct histcmd *c)
{
	struct strbuf err = STRBUF_INIT;
	int r = 0;

	history_close(c->h);
	c->h = NULL;
	if (history_open(c->cfg.database, &c->h, &err)) {
		histcmd_fail(c, err.buf);
		r = EXIT_USAGE; /* nothing was done */
	}
	strbuf_release(&err);
	return r;
}

int cmd_stats(struct globals *g, int argc, char **argv)
{
	struct stats_opts o = { 0 };
	struct histcmd c = { .name = "stats" };
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	/* --reset writes, but only into a history that exists */
	r = histcmd_open(&c, g, false);
	if (!r && o.reset)
		r = reopen_writer(&c);
	if (r == -ENOENT)
		r = no_history(&c, &o);
	else if (!r)
		r = o.reset ? reset(&c, &o) : report(&c, &o);
	histcmd_close(&c);
	return r;
}
