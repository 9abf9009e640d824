/* history-stations.c - statistics per station (`stats --by-station`): for a
 * fleet's database, where several stations' attempts meet (history-query.h). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "history-internal.h"
#include "history-query.h"
#include "xalloc.h"

/* Per station over the attempts in scope (?1 selects: see scope_where):
 * a board's first attempt at the station is its first that counts there. */
static const char station_sql[] =
	"WITH a AS (SELECT id, coalesce(station, '') AS station, board_id, started_ms,\n"
	"	coalesce(finished_ms, started_ms) AS end_ms, outcome, failure_class, reached,\n"
	"	(reached AND coalesce(failure_class, '') != 'cancelled') AS counted\n"
	"	FROM attempts WHERE %s),\n"
	"f AS (SELECT station, board_id, outcome, row_number() OVER (PARTITION BY station,\n"
	"	board_id ORDER BY started_ms, id) AS n FROM a WHERE counted)\n"
	"SELECT station, count(*), sum(outcome = 'ok'),\n"
	"	sum(counted AND outcome NOT IN ('ok', 'running')),\n"
	"	sum(coalesce(failure_class, '') = 'cancelled'),\n"
	"	sum(NOT reached AND coalesce(failure_class, '') != 'cancelled'),\n"
	"	(SELECT count(*) FROM f WHERE f.station = a.station AND n = 1\n"
	"		AND f.outcome != 'running'),\n"
	"	(SELECT count(*) FROM f WHERE f.station = a.station AND n = 1 AND f.outcome = 'ok'),\n"
	"	count(DISTINCT CASE WHEN outcome = 'ok' THEN board_id END),\n"
	"	min(started_ms), max(end_ms)\n"
	"	FROM a GROUP BY station ORDER BY station";

/* The WHERE of scope sc (its value bound as ?1). */
static const char *scope_where(const struct history_scope *sc)
{
	switch (sc->kind) {
	case HISTORY_SCOPE_CURRENT:
		return "period_id = (SELECT max(id) FROM periods) AND ?1 IS NOT NULL";
	case HISTORY_SCOPE_PERIOD:
		return "period_id = ?1";
	case HISTORY_SCOPE_SINCE:
		return "started_ms >= ?1";
	default:
		return "?1 IS NOT NULL";
	}
}

/* One result row into c. */
static void read_station(sqlite3_stmt *st, struct history_station_count *c)
{
	double hours;

	c->station = xstrdup((const char *)sqlite3_column_text(st, 0));
	c->attempts = sqlite3_column_int(st, 1);
	c->ok = sqlite3_column_int(st, 2);
	c->failed = sqlite3_column_int(st, 3);
	c->cancelled = sqlite3_column_int(st, 4);
	c->not_started = sqlite3_column_int(st, 5);
	c->boards = sqlite3_column_int(st, 6);
	c->boards_first_ok = sqlite3_column_int(st, 7);
	c->boards_passed = sqlite3_column_int(st, 8);
	hours = (double)(sqlite3_column_int64(st, 10) - sqlite3_column_int64(st, 9)) / 3600000.0;
	c->first_pass_yield = c->boards ? (double)c->boards_first_ok / (double)c->boards : 0;
	c->units_per_hour = hours > 0 ? (double)c->boards_passed / hours : 0;
}

int history_station_stats(struct history *h, const struct history_scope *sc,
			  struct history_station_count **out, size_t *n, struct strbuf *err)
{
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	strbuf_addf(&sql, station_sql, scope_where(sc));
	st = history_prepare(h, sql.buf);
	strbuf_release(&sql);
	if (!st)
		return history_fail(h, "read", err);
	sqlite3_bind_int64(st, 1, sc->kind == HISTORY_SCOPE_PERIOD ? sc->period
				  : sc->kind == HISTORY_SCOPE_SINCE ? sc->since_ms : 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		memset(&(*out)[*n], 0, sizeof **out);
		read_station(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		history_station_stats_free(*out, *n);
		*out = NULL;
		*n = 0;
		return history_fail(h, "read", err);
	}
	return 0;
}

void history_station_stats_free(struct history_station_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].station);
	free(c);
}
