/* history-outbox.c - the MQTT outbox of a station and the attempts a fleet
 * receives (schema 4; history-outbox.h). */
#include "autoconf.h"

#include <errno.h>

#include "history-internal.h"
#include "history-outbox.h"

/* Run one bound statement on attempt id (and a second integer). */
static int run_id(struct history *h, const char *sql, int64_t id, struct strbuf *err)
{
	sqlite3_stmt *st = history_prepare(h, sql);
	int rc;

	if (!st)
		return history_fail(h, "write to", err);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return history_fail(h, "write to", err);
	return 0;
}

/* Is the outbox on? 1 yes, 0 no, < 0 an SQLite error. */
static int outbox_is_on(struct history *h)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT 1 FROM outbox_on");
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;

	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int history_outbox_enable(struct history *h, bool on, struct strbuf *err)
{
	int is = outbox_is_on(h);

	if (is < 0)
		return history_fail(h, "read", err);
	if (is == on)
		return 0;
	return run_id(h, on ? "INSERT OR IGNORE INTO outbox_on (one) VALUES (?1)"
			    : "DELETE FROM outbox_on WHERE one = ?1", 1, err);
}

int history_outbox_remove(struct history *h, int64_t id, struct strbuf *err)
{
	return run_id(h, "DELETE FROM outbox WHERE attempt_id = ?1", id, err);
}

long history_outbox_count(struct history *h)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT count(*) FROM outbox");
	long n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int history_outbox_rows(struct history *h, int64_t id, history_row_fn fn, void *data,
			struct strbuf *err)
{
	struct history_filter f = { .since_ms = INT64_MIN, .id = id, .with_output = true,
				    .outbox = true };

	return history_rows(h, &f, fn, data, err);
}

/* Is (station, origin_id) stored? 1 yes, 0 no, or an SQLite error code < 0. */
static int imported(struct history *h, const char *station, int64_t origin_id)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT 1 FROM attempts"
					      " WHERE station = ?1 AND origin_id = ?2");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, station, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, origin_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Mark row id as station's origin_id. */
static int set_origin(struct history *h, int64_t id, int64_t origin_id)
{
	sqlite3_stmt *st = history_prepare(h, "UPDATE attempts SET origin_id = ?2 WHERE id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, origin_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int history_import(struct history *h, const struct attempt *a, int64_t origin_id, bool *added,
		   struct strbuf *err)
{
	int64_t id;
	int r = history_check_outcome(h, a->outcome, err), have;

	*added = false;
	if (!r && (!a->station || !*a->station)) {
		strbuf_addf(err, "cannot write to history database '%s': a received attempt "
				 "needs its station", h->path);
		r = -EINVAL;
	}
	if (!r)
		r = history_tx_begin(h, err);
	if (r)
		return r;
	have = imported(h, a->station, origin_id);
	if (have < 0 || (!have && (history_insert_row(h, a, true, &id) != SQLITE_OK ||
				   set_origin(h, id, origin_id) < 0)))
		r = history_fail(h, "write to", err);
	*added = !r && !have;
	return history_tx_end(h, r, err);
}
