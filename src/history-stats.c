/* history-stats.c - statistics: counters, stats of a scope, periods.
 *
 * A period (or all of them) is read from the tally tables kept by triggers:
 * rows of (slot, outcome, failure class, firmware, attempts, boards, boards
 * passed, first start, last end) and a histogram of durations - a few hundred
 * rows whatever the history's size. A --since window is counted in one pass
 * over its attempts: each row knows the start of its board's previous
 * attempt and previous pass, so "first in the window" needs no grouping.
 * Both feed the same accumulator.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history-internal.h"
#include "history-query.h"
#include "path.h"
#include "strvec.h"
#include "xalloc.h"

#define ROW_COLUMNS "slot, outcome, failure_class, firmware_sha256, attempts, boards, " \
		    "boards_passed, first_ms, last_ms, reached"

static const char tally_period_sql[] =
	"SELECT " ROW_COLUMNS " FROM tally WHERE period_id = ?1 AND attempts > 0";
static const char tally_all_sql[] = "SELECT " ROW_COLUMNS " FROM tally WHERE attempts > 0";

/* The attempts of a window, one row each. */
static const char window_sql[] =
	"SELECT coalesce(slot, 0), outcome, coalesce(failure_class, ''),"
	" coalesce(firmware_sha256, ''), started_ms, coalesce(finished_ms, started_ms),"
	" coalesce(duration_ms, -1), coalesce(prev_ms, -1), coalesce(prev_ok_ms, -1), owner,"
	" reached != 0 FROM attempts WHERE started_ms >= ?1";

/* The rows still running (of period ?1, or of every period), with what their
 * tally group needs: a dead owner's rows are counted as interrupted. */
static const char running_period_sql[] =
	"SELECT owner, coalesce(slot, 0), coalesce(firmware_sha256, ''), first_in_period,"
	" started_ms FROM attempts WHERE outcome = 'running' AND period_id = ?1";
static const char running_all_sql[] =
	"SELECT owner, coalesce(slot, 0), coalesce(firmware_sha256, ''), first_in_period,"
	" started_ms FROM attempts WHERE outcome = 'running'";

static const char durations_period_sql[] =
	"SELECT duration_ms, n FROM durations WHERE period_id = ?1 AND n > 0 ORDER BY 1";
static const char durations_all_sql[] =
	"SELECT duration_ms, sum(n) FROM durations WHERE n > 0 GROUP BY 1 ORDER BY 1";

/* A growable array of int64. */
struct int64_vec {
	int64_t *v;
	size_t n, alloc;
};

int64_t history_current_period(struct history *h)
{
	sqlite3_stmt *st = history_stmt(h, HS_CURRENT_PERIOD, "SELECT max(id) FROM periods");
	int64_t id = -EIO;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return id;
}

/* Count one class in a list of classes (*v of *nv). */
static void add_class(struct history_class_count **v, size_t *nv, const char *name, long n)
{
	size_t i;

	if (!*name)
		name = "unknown";
	for (i = 0; i < *nv; i++)
		if (!strcmp((*v)[i].name, name))
			break;
	if (i == *nv) {
		*v = xrealloc(*v, (i + 1) * sizeof(**v));
		(*v)[i] = (struct history_class_count){ xstrdup(name), 0 };
		(*nv)++;
	}
	(*v)[i].count += n;
}

/* The counters of one slot (added if new). */
static struct history_slot_count *slot_entry(struct history_stats *s, int slot)
{
	size_t i;

	for (i = 0; i < s->n_slot; i++)
		if (s->by_slot[i].slot == slot)
			return &s->by_slot[i];
	s->by_slot = xrealloc(s->by_slot, (i + 1) * sizeof(*s->by_slot));
	s->by_slot[i] = (struct history_slot_count){ .slot = slot };
	s->n_slot++;
	return &s->by_slot[i];
}

/* The counters of one firmware (added if new). */
static struct history_fw_count *fw_entry(struct history_stats *s, const char *sha)
{
	size_t i;

	for (i = 0; i < s->n_fw; i++)
		if (!strcmp(s->by_fw[i].sha256, sha))
			return &s->by_fw[i];
	s->by_fw = xrealloc(s->by_fw, (i + 1) * sizeof(*s->by_fw));
	s->by_fw[i] = (struct history_fw_count){ .sha256 = xstrdup(sha), .summary = xstrdup("") };
	s->n_fw++;
	return &s->by_fw[i];
}

/* Counts of attempts sharing slot, outcome, class, firmware and reached. */
struct counts {
	int slot;
	const char *outcome, *cls, *fw;
	long n, boards, passed;
	int64_t first_ms, last_ms;
	bool reached;
};

/* Attempts that ended without a verdict on a board: cancelled, or never
 * reached one; true when c is such a group (counted into s). */
static bool add_apart(struct history_stats *s, const struct counts *c)
{
	if (c->cls && !strcmp(c->cls, "cancelled")) {
		s->cancelled += c->n;
		return true;
	}
	if (c->reached)
		return false;
	s->not_started += c->n;
	add_class(&s->not_started_by_class, &s->n_not_started_class, c->cls ? c->cls : "", c->n);
	return true;
}

/* Add a group of attempts to s. */
static void add_counts(struct history_stats *s, const struct counts *c)
{
	bool ok = !strcmp(c->outcome, "ok"), running = !strcmp(c->outcome, "running");
	struct history_slot_count *slot = slot_entry(s, c->slot);
	struct history_fw_count *f = fw_entry(s, c->fw ? c->fw : "");

	s->attempts += c->n;
	slot->attempts += c->n;
	f->attempts += c->n;
	if (ok) {
		s->ok += c->n;
		f->ok += c->n;
		s->boards_first_ok += c->boards;
	} else if (running) {
		s->running += c->n;
	} else if (!add_apart(s, c)) {
		s->failed += c->n;
		slot->failed += c->n;
		f->failed += c->n;
		s->interrupted += !strcmp(c->outcome, "interrupted") ? c->n : 0;
		add_class(&s->by_class, &s->n_class, c->cls ? c->cls : "", c->n);
	}
	if (!running)
		s->boards += c->boards;
	s->boards_passed += c->passed;
	if (c->n && (!s->first_ms || c->first_ms < s->first_ms))
		s->first_ms = c->first_ms;
	if (c->n && c->last_ms > s->last_ms)
		s->last_ms = c->last_ms;
}

/* Add one tally row (columns as ROW_COLUMNS) to s. */
static void add_row(struct history_stats *s, sqlite3_stmt *st)
{
	struct counts c = {
		.slot = sqlite3_column_int(st, 0),
		.outcome = (const char *)sqlite3_column_text(st, 1),
		.cls = (const char *)sqlite3_column_text(st, 2),
		.fw = (const char *)sqlite3_column_text(st, 3),
		.n = (long)sqlite3_column_int64(st, 4),
		.boards = (long)sqlite3_column_int64(st, 5),
		.passed = (long)sqlite3_column_int64(st, 6),
		.first_ms = sqlite3_column_int64(st, 7),
		.last_ms = sqlite3_column_int64(st, 8),
		.reached = sqlite3_column_int(st, 9) != 0,
	};

	add_counts(s, &c);
}

/* Step through a statement of tally rows. */
static int add_rows(sqlite3_stmt *st, struct history_stats *s)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_row(s, st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Nearest-rank percentiles p50 and p95 from a (duration, count) histogram
 * in ascending order. */
static int add_durations(sqlite3_stmt *st, struct history_stats *s)
{
	int64_t *d = NULL, *c = NULL, total = 0, cum = 0;
	size_t n = 0, alloc_d = 0, alloc_c = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d = xgrow(d, &alloc_d, n + 1, sizeof(*d));
		c = xgrow(c, &alloc_c, n + 1, sizeof(*c));
		d[n] = sqlite3_column_int64(st, 0);
		c[n] = sqlite3_column_int64(st, 1);
		total += c[n++];
	}
	for (size_t i = 0; i < n; i++) {
		cum += c[i];
		if (s->duration_p50 < 0 && cum * 100 >= total * 50)
			s->duration_p50 = d[i];
		if (s->duration_p95 < 0 && cum * 100 >= total * 95)
			s->duration_p95 = d[i];
	}
	free(d);
	free(c);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The k-th smallest of v[0..n) (quickselect; v is reordered). */
static int64_t kth(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		int64_t pivot = v[lo + (hi - lo) / 2], t;
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i], v[i] = v[j], v[j] = t;
				i++;
				if (j-- == 0)
					break;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* Nearest-rank p50 and p95 of n durations. */
static void percentiles(int64_t *v, size_t n, struct history_stats *s)
{
	if (!n)
		return;
	s->duration_p50 = kth(v, n, (n * 50 + 99) / 100 - 1);
	s->duration_p95 = kth(v, n, (n * 95 + 99) / 100 - 1);
}

/* One attempt of a --since window starting at since into s (durations are
 * collected in *d). */
static void add_window_row(const struct history *h, struct history_stats *s, sqlite3_stmt *st,
			   int64_t since, struct int64_vec *d)
{
	int64_t dur = sqlite3_column_int64(st, 6), prev = sqlite3_column_int64(st, 7);
	int64_t prev_ok = sqlite3_column_int64(st, 8);
	struct counts c = {
		.slot = sqlite3_column_int(st, 0),
		.outcome = (const char *)sqlite3_column_text(st, 1),
		.cls = (const char *)sqlite3_column_text(st, 2),
		.fw = (const char *)sqlite3_column_text(st, 3),
		.n = 1,
		.first_ms = sqlite3_column_int64(st, 4),
		.last_ms = sqlite3_column_int64(st, 5),
		.reached = sqlite3_column_int(st, 10) != 0,
	};

	/* the board's first counted attempt in the window, its first pass */
	c.boards = c.reached && strcmp(c.cls, "cancelled") && prev < since;
	c.passed = !strcmp(c.outcome, "ok") && prev_ok < since;
	if (history_row_orphaned(h, c.outcome, (const char *)sqlite3_column_text(st, 9)))
		c.outcome = c.cls = "interrupted";
	add_counts(s, &c);
	if (dur >= 0) {
		d->v = xgrow(d->v, &d->alloc, d->n + 1, sizeof(*d->v));
		d->v[d->n++] = dur;
	}
}

/* Count the attempts started at or after since; SQLite code. */
static int collect_window(struct history *h, int64_t since, struct history_stats *s,
			  bool durations)
{
	sqlite3_stmt *st = history_prepare(h, window_sql);
	struct int64_vec d = { 0 };
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	if (since < 0) /* -1 stands for "no previous attempt" */
		since = 0;
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_window_row(h, s, st, since, &d);
	sqlite3_finalize(st);
	if (durations)
		percentiles(d.v, d.n, s);
	free(d.v);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Move the running rows of dead owners (from the tallies) to interrupted:
 * what history_recover() will write, seen before any writer opens. */
static int orphans(struct history *h, sqlite3_stmt *st, struct history_stats *s)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct counts c = {
			.slot = sqlite3_column_int(st, 1),
			.outcome = "running",
			.cls = "",
			.fw = (const char *)sqlite3_column_text(st, 2),
			.n = -1,
			.first_ms = sqlite3_column_int64(st, 4),
			.last_ms = sqlite3_column_int64(st, 4),
			.reached = true,
		};

		if (!history_row_orphaned(h, "running", (const char *)sqlite3_column_text(st, 0)))
			continue;
		add_counts(s, &c);
		c.outcome = c.cls = "interrupted";
		c.n = 1;
		c.boards = sqlite3_column_int(st, 3);
		add_counts(s, &c);
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Prepare sql and bind ?1 when it has one. */
static sqlite3_stmt *prepare_scope(struct history *h, const char *sql, int64_t arg)
{
	sqlite3_stmt *st = history_prepare(h, sql);

	if (st && sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	return st;
}

/* Read the tallies and durations of the scope into s; SQLite code. */
static int collect(struct history *h, const struct history_scope *sc, int64_t period,
		   struct history_stats *s, bool durations)
{
	bool all = sc->kind == HISTORY_SCOPE_ALL;
	sqlite3_stmt *st;
	int rc;

	if (sc->kind == HISTORY_SCOPE_SINCE)
		return collect_window(h, sc->since_ms, s, durations);
	st = prepare_scope(h, all ? tally_all_sql : tally_period_sql, period);
	if (!st)
		return sqlite3_extended_errcode(h->db);
	rc = add_rows(st, s);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	st = prepare_scope(h, all ? running_all_sql : running_period_sql, period);
	if (!st)
		return sqlite3_extended_errcode(h->db);
	rc = orphans(h, st, s);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || !durations)
		return rc;
	st = prepare_scope(h, all ? durations_all_sql : durations_period_sql, period);
	if (!st)
		return sqlite3_extended_errcode(h->db);
	rc = add_durations(st, s);
	sqlite3_finalize(st);
	return rc;
}

/* Yield and rate from the counts. */
static void derive(struct history_stats *s)
{
	double hours = (double)(s->last_ms - s->first_ms) / 3600000.0;

	s->first_pass_yield = s->boards ? (double)s->boards_first_ok / (double)s->boards : 0;
	s->units_per_hour = hours > 0 ? (double)s->boards_passed / hours : 0;
}

/* Classes: most frequent first, then by name. */
static int cmp_class(const void *a, const void *b)
{
	const struct history_class_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Slots: by number. */
static int cmp_slot(const void *a, const void *b)
{
	const struct history_slot_count *x = a, *y = b;

	return (x->slot > y->slot) - (x->slot < y->slot);
}

/* Firmware: most attempts first, then by SHA-256. */
static int cmp_fw(const void *a, const void *b)
{
	const struct history_fw_count *x = a, *y = b;

	if (x->attempts != y->attempts)
		return x->attempts > y->attempts ? -1 : 1;
	return strcmp(x->sha256, y->sha256);
}

/* "1.1 MiB", "512 KiB", "900 B". */
static void add_size(struct strbuf *sb, int64_t size)
{
	if (size >= 1024 * 1024)
		strbuf_addf(sb, "%.1f MiB", (double)size / (1024.0 * 1024.0));
	else if (size >= 1024)
		strbuf_addf(sb, "%.0f KiB", (double)size / 1024.0);
	else
		strbuf_addf(sb, "%lld B", (long long)size);
}

/* "boot.bin+app.bin, 1.1 MiB" from the stored description of sha. */
static int fw_summary(struct history *h, struct history_fw_count *f)
{
	static const char sql[] =
		"SELECT f.size, (SELECT group_concat(json_extract(j.value, '$.path'), char(10))"
		" FROM json_each(CASE WHEN json_valid(f.firmware) THEN f.firmware ELSE '[]' END) j)"
		" FROM firmwares f WHERE f.sha256 = ?1";
	sqlite3_stmt *st = history_prepare(h, sql);
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, f->sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *paths = (const char *)sqlite3_column_text(st, 1);
		struct strvec v = STRVEC_INIT;

		strvec_split(&v, paths ? paths : "", "\n");
		for (size_t i = 0; i < v.n; i++)
			strbuf_addf(&sb, "%s%s", i ? "+" : "", path_basename(v.v[i]));
		strvec_release(&v);
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			strbuf_addstr(&sb, sb.len ? ", " : "");
			add_size(&sb, sqlite3_column_int64(st, 0));
		}
		free(f->summary);
		f->summary = strbuf_detach(&sb);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The period a CURRENT/PERIOD scope means, with its start; SQLite code,
 * SQLITE_NOTFOUND if there is no such period. */
static int scope_period(struct history *h, const struct history_scope *sc, struct history_stats *s)
{
	sqlite3_stmt *st = history_prepare(h, sc->kind == HISTORY_SCOPE_PERIOD
						      ? "SELECT id, started_ms FROM periods WHERE id = ?1"
						      : "SELECT id, started_ms FROM periods"
							" ORDER BY id DESC LIMIT 1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	if (sc->kind == HISTORY_SCOPE_PERIOD)
		sqlite3_bind_int64(st, 1, sc->period);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->period = sqlite3_column_int64(st, 0);
		s->period_start_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc == SQLITE_DONE ? SQLITE_NOTFOUND : rc;
}

/* Everything but the messages; SQLite code. */
static int stats_run(struct history *h, const struct history_scope *sc, struct history_stats *s,
		     bool full)
{
	int rc = SQLITE_OK;

	if (sc->kind == HISTORY_SCOPE_CURRENT || sc->kind == HISTORY_SCOPE_PERIOD)
		rc = scope_period(h, sc, s);
	if (rc == SQLITE_OK)
		rc = collect(h, sc, s->period, s, full);
	for (size_t i = 0; full && rc == SQLITE_OK && i < s->n_fw; i++)
		if (*s->by_fw[i].sha256)
			rc = fw_summary(h, &s->by_fw[i]);
	derive(s);
	if (s->n_class) /* qsort() wants an array even for no elements */
		qsort(s->by_class, s->n_class, sizeof(*s->by_class), cmp_class);
	if (s->n_not_started_class)
		qsort(s->not_started_by_class, s->n_not_started_class,
		      sizeof(*s->not_started_by_class), cmp_class);
	if (s->n_slot)
		qsort(s->by_slot, s->n_slot, sizeof(*s->by_slot), cmp_slot);
	if (s->n_fw)
		qsort(s->by_fw, s->n_fw, sizeof(*s->by_fw), cmp_fw);
	return rc;
}

int history_stats(struct history *h, const struct history_scope *scope, struct history_stats *s,
		  struct strbuf *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->duration_p50 = s->duration_p95 = -1;
	rc = stats_run(h, scope, s, true);
	if (rc == SQLITE_NOTFOUND) {
		strbuf_addf(err, "no statistics period %lld in history database '%s'",
			    (long long)scope->period, h->path);
		return -ENOENT;
	}
	return rc == SQLITE_OK ? 0 : history_fail(h, "read", err);
}

void history_stats_release(struct history_stats *s)
{
	for (size_t i = 0; i < s->n_class; i++)
		free(s->by_class[i].name);
	for (size_t i = 0; i < s->n_not_started_class; i++)
		free(s->not_started_by_class[i].name);
	free(s->not_started_by_class);
	for (size_t i = 0; i < s->n_fw; i++) {
		free(s->by_fw[i].sha256);
		free(s->by_fw[i].summary);
	}
	free(s->by_class);
	free(s->by_slot);
	free(s->by_fw);
	memset(s, 0, sizeof(*s));
}

int history_counters(struct history *h, struct history_counters *c)
{
	struct history_scope sc = { .kind = HISTORY_SCOPE_CURRENT };
	struct history_stats s = { .duration_p50 = -1, .duration_p95 = -1 };
	int rc = stats_run(h, &sc, &s, false);

	memset(c, 0, sizeof(*c));
	if (rc == SQLITE_OK) {
		c->attempts = s.attempts;
		c->passed = s.ok;
		c->failed = s.failed;
		c->cancelled = s.cancelled;
		c->not_started = s.not_started;
		c->boards = s.boards;
		c->first_pass_yield = s.first_pass_yield;
		c->units_per_hour = s.units_per_hour;
	}
	c->pending = history_pending(h);
	history_stats_release(&s);
	return rc == SQLITE_OK ? 0 : history_rc_errno(h->db, rc);
}

int history_periods(struct history *h, struct history_period **out, size_t *n,
		    struct strbuf *err)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT id, started_ms FROM periods ORDER BY id");
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return history_fail(h, "read", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		(*out)[*n] = (struct history_period){ sqlite3_column_int64(st, 0),
						       sqlite3_column_int64(st, 1), 0 };
		if (*n)
			(*out)[*n - 1].end_ms = (*out)[*n].start_ms;
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return history_fail(h, "read", err);
	}
	return 0;
}
