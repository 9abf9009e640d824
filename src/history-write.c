/* history-write.c - recording attempts: begin, note, finish, record, reset.
 *
 * Every attempt belongs to the period current when it began and to a board
 * (board_id: "mac:", "board:", "unit:" or "attempt:<id>"). Two flags per row,
 * first_in_period and first_ok_in_period, mark the first attempt and the
 * first passing attempt of its board in its period; the tally triggers turn
 * them into board counts. Two more columns, prev_ms and prev_ok_ms, hold the
 * start of the board's previous attempt and previous passing attempt, so a
 * --since window sees a board's first attempt in one pass over its rows.
 * When a MAC is learned, the attempts of the same unit that had none join
 * the MAC's board, and flags and links are recomputed where they changed -
 * a few indexed statements, whatever the size.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "history-internal.h"
#include "str.h"

/* An attempt that counts for its board: it reached it and was not cancelled. */
#define COUNTED "reached AND coalesce(failure_class, '') != 'cancelled'"
#include "xalloc.h"

const char *const history_station_classes[] = {
	"port_busy",	  "permission",	    "no_port",	    "tool_missing", "config_missing",
	"build_failed", "service_failed", "printer_busy", "mcu_mismatch", NULL,
};

bool history_station_class(const char *cls)
{
	for (size_t i = 0; cls && history_station_classes[i]; i++)
		if (!strcmp(cls, history_station_classes[i]))
			return true;
	return false;
}

int history_reached(const struct attempt *a)
{
	if (!strcmp(a->outcome, "ok") || a->heard)
		return 1;
	if (!a->failure_class)
		return 1; /* "other" */
	return strcmp(a->failure_class, "cancelled") && !history_station_class(a->failure_class);
}

/* Lower-case copy of a MAC address (NULL/empty: NULL). */
static char *mac_lower(const char *mac)
{
	char *m;

	if (!mac || !*mac)
		return NULL;
	m = xstrdup(mac);
	for (char *p = m; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return m;
}

/* The MAC an earlier attempt of the same unit learned, or NULL. */
static char *unit_mac(struct history *h, const char *unit, int *rc)
{
	sqlite3_stmt *st = history_stmt(h, HS_UNIT_MAC,
					"SELECT mac FROM attempts WHERE unit = ?1"
					" AND mac IS NOT NULL ORDER BY id DESC LIMIT 1");
	char *mac = NULL;

	if (!st) {
		*rc = sqlite3_extended_errcode(h->db);
		return NULL;
	}
	sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW)
		mac = xstrdup_or_null((const char *)sqlite3_column_text(st, 0));
	*rc = *rc == SQLITE_ROW || *rc == SQLITE_DONE ? SQLITE_OK : *rc;
	sqlite3_reset(st);
	return mac;
}

/* The board of a new attempt: its MAC (or its unit's), else the board key,
 * else the unit; "" when none is known (the row becomes its own board). */
static char *board_identity(struct history *h, const struct attempt *a, int *rc)
{
	char *mac = mac_lower(a->mac), *id;

	*rc = SQLITE_OK;
	if (!mac && a->unit && *a->unit) {
		char *m = unit_mac(h, a->unit, rc);

		mac = mac_lower(m);
		free(m);
	}
	if (mac)
		id = xasprintf("mac:%s", mac);
	else if (a->board && *a->board)
		id = xasprintf("board:%s", a->board);
	else if (a->unit && *a->unit)
		id = xasprintf("unit:%s", a->unit);
	else
		id = xstrdup("");
	free(mac);
	return id;
}

/* Id of the first (passing, if ok_only) attempt of a group; 0 if none. */
static int group_first(struct history *h, const char *board_id, int64_t period, bool ok_only,
		       int64_t *first)
{
	sqlite3_stmt *st = ok_only
		? history_stmt(h, HS_GROUP_FIRST_OK,
			       "SELECT id FROM attempts WHERE board_id = ?1 AND period_id = ?2"
			       " AND outcome = 'ok' ORDER BY started_ms, id LIMIT 1")
		: history_stmt(h, HS_GROUP_FIRST,
			       "SELECT id FROM attempts WHERE board_id = ?1 AND period_id = ?2"
			       " AND " COUNTED " ORDER BY started_ms, id LIMIT 1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, board_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, period);
	rc = sqlite3_step(st);
	*first = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run a cached statement with (board_id, period, id) bound; SQLite code. */
static int run_flag(struct history *h, enum history_stmt slot, const char *sql,
		    const char *board_id, int64_t period, int64_t id)
{
	sqlite3_stmt *st = history_stmt(h, slot, sql);
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, board_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, period);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Make exactly the first attempt of group (board_id, period) carry
 * first_in_period, and its first passing attempt first_ok_in_period.
 * Only rows whose flag changes are written. */
static int regroup(struct history *h, const char *board_id, int64_t period)
{
	int64_t first, first_ok;
	int rc = group_first(h, board_id, period, false, &first);

	if (rc == SQLITE_OK)
		rc = group_first(h, board_id, period, true, &first_ok);
	if (rc == SQLITE_OK)
		rc = run_flag(h, HS_CLEAR_FIRST,
			      "UPDATE attempts SET first_in_period = 0 WHERE board_id = ?1"
			      " AND period_id = ?2 AND first_in_period = 1 AND id != ?3",
			      board_id, period, first);
	if (rc == SQLITE_OK)
		rc = run_flag(h, HS_SET_FIRST,
			      "UPDATE attempts SET first_in_period = 1 WHERE id = ?3"
			      " AND board_id = ?1 AND period_id = ?2 AND first_in_period = 0",
			      board_id, period, first);
	if (rc == SQLITE_OK)
		rc = run_flag(h, HS_CLEAR_FIRST_OK,
			      "UPDATE attempts SET first_ok_in_period = 0 WHERE board_id = ?1"
			      " AND period_id = ?2 AND first_ok_in_period = 1 AND id != ?3",
			      board_id, period, first_ok);
	if (rc == SQLITE_OK)
		rc = run_flag(h, HS_SET_FIRST_OK,
			      "UPDATE attempts SET first_ok_in_period = 1 WHERE id = ?3"
			      " AND board_id = ?1 AND period_id = ?2 AND first_ok_in_period = 0",
			      board_id, period, first_ok);
	return rc;
}

/* The periods a board has attempts in (usually one) and its first start. */
static int board_periods(struct history *h, const char *board_id, int64_t **out, size_t *n,
			 int64_t *first_ms)
{
	sqlite3_stmt *st = history_stmt(h, HS_BOARD_PERIODS,
					"SELECT period_id, min(started_ms) FROM attempts"
					" WHERE board_id = ?1 GROUP BY period_id");
	size_t alloc = 0;
	int rc;

	*n = 0;
	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, board_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ms = sqlite3_column_int64(st, 1);

		*out = xgrow(*out, &alloc, *n + 1, sizeof(**out));
		(*out)[(*n)++] = sqlite3_column_int64(st, 0);
		if (*n == 1 || ms < *first_ms)
			*first_ms = ms;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The start of the last (passing, if ok_only) attempt of board_id before
 * before_ms, or -1. */
static int last_before(struct history *h, const char *board_id, int64_t before_ms, bool ok_only,
		       int64_t *out)
{
	sqlite3_stmt *st = ok_only
		? history_stmt(h, HS_PREV_OK_BEFORE,
			       "SELECT started_ms FROM attempts WHERE board_id = ?1"
			       " AND started_ms < ?2 AND outcome = 'ok'"
			       " ORDER BY started_ms DESC LIMIT 1")
		: history_stmt(h, HS_PREV_BEFORE,
			       "SELECT started_ms FROM attempts WHERE board_id = ?1"
			       " AND started_ms < ?2 AND " COUNTED
			       " ORDER BY started_ms DESC LIMIT 1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, board_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before_ms);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* One attempt of a board in time order, for relink(). */
struct link_row {
	int64_t id, started_ms, prev, prev_ok; /* -1: NULL */
	bool ok, counted;
};

/* The attempts of board_id started at or after from_ms, in order. */
static int link_rows(struct history *h, const char *board_id, int64_t from_ms,
		     struct link_row **rows, size_t *n)
{
	sqlite3_stmt *st = history_stmt(
		h, HS_LINK_ROWS,
		"SELECT id, started_ms, outcome = 'ok', coalesce(prev_ms, -1), coalesce(prev_ok_ms, -1),"
		" " COUNTED " FROM attempts WHERE board_id = ?1 AND started_ms >= ?2"
		" ORDER BY started_ms, id");
	size_t alloc = 0;
	int rc;

	*n = 0;
	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, board_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		(*rows)[(*n)++] = (struct link_row){
			sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
			sqlite3_column_int(st, 2) != 0, sqlite3_column_int(st, 5) != 0 };
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Store the links of row r. */
static int set_links(struct history *h, const struct link_row *r, int64_t prev, int64_t prev_ok)
{
	sqlite3_stmt *st = history_stmt(h, HS_SET_PREV,
					"UPDATE attempts SET prev_ms = ?2, prev_ok_ms = ?3"
					" WHERE id = ?1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, r->id);
	history_bind_int(st, 2, prev, -1);
	history_bind_int(st, 3, prev_ok, -1);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Recompute prev_ms/prev_ok_ms of the attempts of board_id started at or
 * after from_ms (usually just the newest); only changed rows are written. */
static int relink(struct history *h, const char *board_id, int64_t from_ms)
{
	struct link_row *rows = NULL;
	int64_t prev, prev_ok;
	size_t n = 0;
	int rc = last_before(h, board_id, from_ms, false, &prev);

	if (rc == SQLITE_OK)
		rc = last_before(h, board_id, from_ms, true, &prev_ok);
	if (rc == SQLITE_OK)
		rc = link_rows(h, board_id, from_ms, &rows, &n);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		if (rows[i].prev != prev || rows[i].prev_ok != prev_ok)
			rc = set_links(h, &rows[i], prev, prev_ok);
		if (rows[i].counted)
			prev = rows[i].started_ms;
		if (rows[i].ok)
			prev_ok = rows[i].started_ms;
	}
	free(rows);
	return rc;
}

/* Move the attempts of board from (all of them, or only row id) to board to. */
static int move_board(struct history *h, const char *from, const char *to, int64_t only_id)
{
	sqlite3_stmt *st = only_id ? history_stmt(h, HS_SET_BOARD,
						  "UPDATE attempts SET board_id = ?2 WHERE id = ?3")
				   : history_stmt(h, HS_MOVE_BOARD,
						  "UPDATE attempts SET board_id = ?2 WHERE board_id = ?1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	if (!only_id)
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	if (only_id)
		sqlite3_bind_int64(st, 3, only_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The attempts of unit that had no MAC join board to (the MAC's); the flags
 * of to are recomputed in each period they are in, and its links. */
static int join_unit(struct history *h, const char *unit, const char *to)
{
	char *from = xasprintf("unit:%s", unit);
	int64_t *periods = NULL, first_ms = 0;
	size_t n = 0;
	int rc = board_periods(h, from, &periods, &n, &first_ms);

	if (rc == SQLITE_OK && n)
		rc = move_board(h, from, to, 0);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		rc = regroup(h, to, periods[i]);
	if (rc == SQLITE_OK && n)
		rc = relink(h, to, first_ms);
	free(periods);
	free(from);
	return rc;
}

/* The INSERT of a new row; the finish fields are bound only when finished. */
static const char insert_sql[] =
	"INSERT INTO attempts (period_id, started_ms, started_at, station, slot, port, by_path,"
	" vid, pid, usb_serial, unit, board, method, firmware, firmware_sha256, firmware_size,"
	" owner, board_id, finished_ms, finished_at, chip, mac, outcome, failure_class, message,"
	" exit_code, duration_ms, bytes_written, kbps, device, by_id, reached, first_in_period)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
	" ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32,"
	" ?32 AND coalesce(?24, '') != 'cancelled' AND NOT EXISTS (SELECT 1 FROM attempts"
	" WHERE board_id = ?18 AND period_id = ?1 AND reached AND"
	" coalesce(failure_class, '') != 'cancelled'))";

/* Bind the finish fields of a from parameter 19 on: finished_ms, finished_at,
 * chip, mac, outcome, failure_class, message, exit_code, duration_ms,
 * bytes_written, kbps; and 32, reached. */
static void bind_finish(sqlite3_stmt *st, const struct attempt *a, const char *mac,
			int64_t finished_ms, char finished_at[32])
{
	bool ok = !strcmp(a->outcome, "ok");
	const char *cls = ok ? NULL : a->failure_class && *a->failure_class ? a->failure_class
									   : "other";

	format_iso8601(finished_ms, finished_at);
	sqlite3_bind_int64(st, 19, finished_ms);
	sqlite3_bind_text(st, 20, finished_at, -1, SQLITE_STATIC);
	history_bind_text(st, 21, a->chip);
	history_bind_text(st, 22, mac);
	sqlite3_bind_text(st, 23, a->outcome, -1, SQLITE_STATIC);
	history_bind_text(st, 24, cls);
	history_bind_text(st, 25, a->message);
	history_bind_int(st, 26, a->exit_code, -1);
	if (a->duration_ms >= 0)
		sqlite3_bind_int64(st, 27, a->duration_ms);
	if (a->bytes_written >= 0)
		sqlite3_bind_int64(st, 28, a->bytes_written);
	if (a->kbps > 0)
		sqlite3_bind_double(st, 29, a->kbps);
	sqlite3_bind_int(st, 32, history_reached(a));
}

/* Bind the period and the start fields of a (parameters 1..18, 30, 31). */
static void bind_start(struct history *h, sqlite3_stmt *st, const struct attempt *a,
		       int64_t period, int64_t started_ms, const char *board_id, char started_at[32])
{
	format_iso8601(started_ms, started_at);
	sqlite3_bind_int64(st, 1, period);
	sqlite3_bind_int64(st, 2, started_ms);
	sqlite3_bind_text(st, 3, started_at, -1, SQLITE_STATIC);
	history_bind_text(st, 4, a->station);
	history_bind_int(st, 5, a->slot, 0);
	history_bind_text(st, 6, a->port);
	history_bind_text(st, 7, a->by_path);
	history_bind_int(st, 8, a->vid, 0);
	history_bind_int(st, 9, a->pid, 0);
	history_bind_text(st, 10, a->usb_serial);
	history_bind_text(st, 11, a->unit);
	history_bind_text(st, 12, a->board);
	history_bind_text(st, 13, a->method);
	history_bind_text(st, 14, a->firmware);
	history_bind_text(st, 15, a->firmware_sha256);
	if (a->firmware_size > 0)
		sqlite3_bind_int64(st, 16, a->firmware_size);
	history_bind_text(st, 17, h->owner);
	sqlite3_bind_text(st, 18, *board_id ? board_id : "attempt:", -1, SQLITE_STATIC);
	history_bind_text(st, 30, a->device);
	history_bind_text(st, 31, a->by_id);
}

/* Store the tool output of row id (nothing if empty). */
static int put_output(struct history *h, int64_t id, const char *output)
{
	sqlite3_stmt *st;
	int rc;

	if (!output || !*output)
		return SQLITE_OK;
	st = history_stmt(h, HS_OUTPUT, "INSERT OR REPLACE INTO attempt_output (attempt_id, output)"
					" VALUES (?1, ?2)");
	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, output, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A row without any identity becomes the board "attempt:<id>". */
static int own_board(struct history *h, int64_t id, char **board_id)
{
	sqlite3_stmt *st = history_stmt(h, HS_SET_ATTEMPT_BOARD,
					"UPDATE attempts SET board_id = ?1 WHERE id = ?2");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	free(*board_id);
	*board_id = xasprintf("attempt:%lld", (long long)id);
	sqlite3_bind_text(st, 1, *board_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run the INSERT for a; *id gets the row id. SQLite code. */
static int insert_step(struct history *h, const struct attempt *a, bool finished,
		       int64_t period, int64_t started_ms, const char *board_id, int64_t *id)
{
	char started_at[32], finished_at[32];
	char *mac = finished ? mac_lower(a->mac) : NULL;
	sqlite3_stmt *st = history_stmt(h, HS_INSERT, insert_sql);
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	bind_start(h, st, a, period, started_ms, board_id, started_at);
	if (finished)
		bind_finish(st, a, mac, a->finished_ms ? a->finished_ms : wall_ms(), finished_at);
	else
		sqlite3_bind_text(st, 23, "running", -1, SQLITE_STATIC);
	if (!finished) /* until it ends it may be its board's first */
		sqlite3_bind_int(st, 32, 1);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(mac);
	*id = sqlite3_last_insert_rowid(h->db);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Insert a (running unless finished) and fix its board's flags: an attempt
 * recorded out of order may be its board's first. SQLite code. */
int history_insert_row(struct history *h, const struct attempt *a, bool finished, int64_t *id)
{
	struct attempt start = { .unit = a->unit, .board = a->board };
	int64_t period = history_current_period(h);
	int64_t started_ms = a->started_ms ? a->started_ms : wall_ms();
	char *board_id;
	int rc;

	if (period < 0)
		return sqlite3_extended_errcode(h->db);
	/* at the start only the unit's earlier MAC is known */
	board_id = board_identity(h, finished ? a : &start, &rc);
	if (rc == SQLITE_OK)
		rc = insert_step(h, a, finished, period, started_ms, board_id, id);
	if (rc == SQLITE_OK)
		rc = history_unit_row(h, *id, a);
	if (rc == SQLITE_OK && !*board_id)
		rc = own_board(h, *id, &board_id);
	if (rc == SQLITE_OK && finished)
		rc = put_output(h, *id, a->output);
	if (rc == SQLITE_OK)
		rc = regroup(h, board_id, period);
	if (rc == SQLITE_OK)
		rc = relink(h, board_id, started_ms);
	if (rc == SQLITE_OK && finished && a->unit && *a->unit && str_starts_with(board_id, "mac:"))
		rc = join_unit(h, a->unit, board_id);
	/* a kept begin (or a journaled one) may carry what was learned since */
	if (rc == SQLITE_OK && !finished && ((a->chip && *a->chip) || (a->mac && *a->mac)))
		rc = history_note_row(h, *id, a->chip, a->mac);
	free(board_id);
	return rc;
}

int history_check_outcome(struct history *h, const char *outcome, struct strbuf *err)
{
	if (outcome && (!strcmp(outcome, "ok") || !strcmp(outcome, "failed")))
		return 0;
	strbuf_addf(err, "cannot write to history database '%s': outcome must be \"ok\" or "
			 "\"failed\", not \"%s\"", h->path, outcome ? outcome : "(null)");
	return -EINVAL;
}

int history_write_begin(struct history *h, const struct attempt *a, int64_t *id,
			struct strbuf *err)
{
	int r = history_tx_begin(h, err);

	if (r)
		return r;
	if (history_insert_row(h, a, false, id) != SQLITE_OK)
		r = history_fail(h, "write to", err);
	return history_tx_end(h, r, err);
}

int history_write_record(struct history *h, const struct attempt *a, int64_t *id,
			 struct strbuf *err)
{
	int64_t dummy;
	int r = history_check_outcome(h, a->outcome, err);

	if (!r)
		r = history_tx_begin(h, err);
	if (r)
		return r;
	if (history_insert_row(h, a, true, id ? id : &dummy) != SQLITE_OK)
		r = history_fail(h, "write to", err);
	return history_tx_end(h, r, err);
}

/* What finish needs to know about row id. */
struct row_ident {
	char *board_id, *unit, *mac;
	int64_t period, started_ms;
};

/* Free ri's strings. */
static void row_ident_release(struct row_ident *ri)
{
	free(ri->board_id);
	free(ri->unit);
	free(ri->mac);
}

/* Read the identity of row id; SQLITE_NOTFOUND if there is none. */
static int read_ident(struct history *h, int64_t id, struct row_ident *ri)
{
	sqlite3_stmt *st = history_stmt(h, HS_ROW_IDENT,
					"SELECT board_id, period_id, unit, mac, started_ms"
					" FROM attempts WHERE id = ?1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ri->board_id = xstrdup((const char *)sqlite3_column_text(st, 0));
		ri->period = sqlite3_column_int64(st, 1);
		ri->unit = xstrdup_or_null((const char *)sqlite3_column_text(st, 2));
		ri->mac = xstrdup_or_null((const char *)sqlite3_column_text(st, 3));
		ri->started_ms = sqlite3_column_int64(st, 4);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_NOTFOUND;
	}
	sqlite3_reset(st);
	return rc;
}

/* Write the finish fields of row id. */
static int update_row(struct history *h, int64_t id, const struct attempt *a, const char *mac)
{
	sqlite3_stmt *st = history_stmt(
		h, HS_FINISH,
		"UPDATE attempts SET finished_ms = ?19, finished_at = ?20,"
		" chip = coalesce(?21, chip), mac = coalesce(?22, mac), outcome = ?23,"
		" failure_class = ?24, message = ?25, exit_code = ?26, duration_ms = ?27,"
		" bytes_written = ?28, kbps = ?29, reached = ?32,"
		" method = coalesce(?13, method) WHERE id = ?1");
	char finished_at[32];
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, id);
	history_bind_text(st, 13, a->method); /* "identical" is known only at the end */
	bind_finish(st, a, mac, a->finished_ms ? a->finished_ms : wall_ms(), finished_at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Row id (with identity ri) learned its MAC: it joins the MAC's board, and
 * so do the attempts of its unit that had none; then the flags. */
static int join_mac_board(struct history *h, int64_t id, const struct row_ident *ri,
			  const char *mac)
{
	char *to = xasprintf("mac:%s", mac);
	int rc = SQLITE_OK;

	if (strcmp(to, ri->board_id) && !str_starts_with(ri->board_id, "unit:")) {
		/* a board key or no identity: only this row moves */
		rc = move_board(h, ri->board_id, to, id);
		if (rc == SQLITE_OK)
			rc = regroup(h, ri->board_id, ri->period);
		if (rc == SQLITE_OK)
			rc = relink(h, ri->board_id, ri->started_ms);
	}
	if (rc == SQLITE_OK && ri->unit)
		rc = join_unit(h, ri->unit, to);
	if (rc == SQLITE_OK)
		rc = regroup(h, to, ri->period);
	if (rc == SQLITE_OK) /* its outcome may be the board's latest pass */
		rc = relink(h, to, ri->started_ms);
	free(to);
	return rc;
}

int history_finish_row(struct history *h, int64_t id, const struct attempt *a)
{
	struct row_ident ri = { 0 };
	char *mac = mac_lower(a->mac);
	int rc = read_ident(h, id, &ri);

	if (rc == SQLITE_OK)
		rc = update_row(h, id, a, mac);
	if (rc == SQLITE_OK)
		rc = history_unit_row(h, id, a);
	if (rc == SQLITE_OK)
		rc = put_output(h, id, a->output);
	if (rc == SQLITE_OK && (mac || ri.mac))
		rc = join_mac_board(h, id, &ri, mac ? mac : ri.mac);
	else if (rc == SQLITE_OK)
		rc = regroup(h, ri.board_id, ri.period);
	if (rc == SQLITE_OK && !mac && !ri.mac)
		rc = relink(h, ri.board_id, ri.started_ms);
	free(mac);
	row_ident_release(&ri);
	return rc;
}

/* Write the chip and MAC learned by row id (NULL keeps the stored one). */
static int note_update(struct history *h, int64_t id, const char *chip, const char *mac)
{
	sqlite3_stmt *st = history_stmt(h, HS_NOTE,
					"UPDATE attempts SET chip = coalesce(?2, chip),"
					" mac = coalesce(?3, mac) WHERE id = ?1");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, id);
	history_bind_text(st, 2, chip);
	history_bind_text(st, 3, mac);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int history_note_row(struct history *h, int64_t id, const char *chip, const char *mac_in)
{
	struct row_ident ri = { 0 };
	char *mac = mac_lower(mac_in);
	int rc = read_ident(h, id, &ri);

	if (rc == SQLITE_OK)
		rc = note_update(h, id, chip, mac);
	/* the row joins its MAC's board now, so an attempt cut short (never
	 * finished) is grouped as a finished one would be; finish redoes it */
	if (rc == SQLITE_OK && mac)
		rc = join_mac_board(h, id, &ri, mac);
	free(mac);
	row_ident_release(&ri);
	return rc;
}

int history_write_note(struct history *h, int64_t id, const char *chip, const char *mac,
		       struct strbuf *err)
{
	int r = history_tx_begin(h, err), rc;

	if (r)
		return r;
	rc = history_note_row(h, id, chip, mac);
	if (rc == SQLITE_NOTFOUND) {
		strbuf_addf(err, "cannot write to history database '%s': no attempt %lld in it",
			    h->path, (long long)id);
		r = -ENOENT;
	} else if (rc != SQLITE_OK) {
		r = history_fail(h, "write to", err);
	}
	return history_tx_end(h, r, err);
}

int history_write_finish(struct history *h, int64_t id, const struct attempt *a,
			 struct strbuf *err)
{
	int r = history_check_outcome(h, a->outcome, err), rc;

	if (!r)
		r = history_tx_begin(h, err);
	if (r)
		return r;
	rc = history_finish_row(h, id, a);
	if (rc == SQLITE_NOTFOUND) {
		strbuf_addf(err, "cannot write to history database '%s': no attempt %lld in it",
			    h->path, (long long)id);
		r = -ENOENT;
	} else if (rc != SQLITE_OK) {
		r = history_fail(h, "write to", err);
	}
	return history_tx_end(h, r, err);
}

int history_reset_period(struct history *h, struct strbuf *err)
{
	sqlite3_stmt *st;
	char at[32];
	int64_t now = wall_ms();
	int r = history_tx_begin(h, err), rc = SQLITE_OK;

	if (r)
		return r;
	st = history_prepare(h, "INSERT INTO periods (started_ms, started_at) VALUES (?1, ?2)");
	if (st) {
		format_iso8601(now, at);
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (!st || rc != SQLITE_DONE)
		r = history_fail(h, "write to", err);
	return history_tx_end(h, r, err);
}
