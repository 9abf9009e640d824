/* history-rows.c - walking the attempts for `flashbay history` and `export`. */
#include "autoconf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history-internal.h"
#include "history-query.h"
#include "json.h"
#include "strvec.h"

/* Columns in the order row_read() expects. */
static const char row_columns[] =
	"SELECT a.id, a.period_id, a.started_ms, a.started_at, a.finished_ms, a.finished_at,"
	" a.station, a.slot, a.port, a.by_path, a.vid, a.pid, a.usb_serial, a.unit, a.board,"
	" a.method, a.firmware, a.firmware_sha256, a.firmware_size, a.chip, a.mac, a.outcome,"
	" a.failure_class, a.message, a.exit_code, a.duration_ms, a.bytes_written, a.kbps,"
	" a.owner, a.device, a.by_id, a.reached, a.serial, a.unit_sha256, a.unit_label";

/* Text of column i, or NULL. */
static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Integer of column i, or none when NULL. */
static int64_t col_int(sqlite3_stmt *st, int i, int64_t none)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? none : sqlite3_column_int64(st, i);
}

/* Fill r from the current row of st (strings borrowed from st). A row left
 * running by a process that is gone reads as interrupted. */
static void row_read(const struct history *h, sqlite3_stmt *st, struct history_row *r,
		     bool with_output)
{
	struct attempt *a = &r->a;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->period = sqlite3_column_int64(st, 1);
	a->started_ms = sqlite3_column_int64(st, 2);
	r->started_at = col_text(st, 3);
	a->finished_ms = col_int(st, 4, -1);
	r->finished_at = col_text(st, 5);
	a->station = col_text(st, 6);
	a->slot = (int)col_int(st, 7, 0);
	a->port = col_text(st, 8);
	a->by_path = col_text(st, 9);
	a->vid = (uint16_t)col_int(st, 10, 0);
	a->pid = (uint16_t)col_int(st, 11, 0);
	a->usb_serial = col_text(st, 12);
	a->unit = col_text(st, 13);
	a->board = col_text(st, 14);
	a->method = col_text(st, 15);
	a->firmware = col_text(st, 16);
	a->firmware_sha256 = col_text(st, 17);
	a->firmware_size = col_int(st, 18, -1);
	a->chip = col_text(st, 19);
	a->mac = col_text(st, 20);
	a->outcome = col_text(st, 21);
	a->failure_class = col_text(st, 22);
	a->message = col_text(st, 23);
	a->exit_code = (int)col_int(st, 24, -1);
	a->duration_ms = col_int(st, 25, -1);
	a->bytes_written = col_int(st, 26, -1);
	a->kbps = sqlite3_column_type(st, 27) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 27);
	a->device = col_text(st, 29);
	a->by_id = col_text(st, 30);
	r->reached = sqlite3_column_int(st, 31) != 0;
	a->serial = col_text(st, 32);
	a->unit_sha256 = col_text(st, 33);
	a->unit_label = col_text(st, 34);
	a->output = with_output ? col_text(st, 35) : NULL;
	if (history_row_orphaned(h, a->outcome, col_text(st, 28))) {
		a->outcome = "interrupted";
		a->failure_class = "interrupted";
		a->message = HISTORY_INTERRUPTED_MESSAGE;
	}
}

/* The query for filter f: only fixed SQL text, every value bound. */
static void build_query(struct strbuf *sql, const struct history_filter *f)
{
	if (f->ports) /* the names of the port, bound as one JSON array */
		strbuf_addstr(sql, "WITH names(n) AS (SELECT value FROM json_each(?2)) ");
	strbuf_addstr(sql, row_columns);
	strbuf_addstr(sql, f->with_output ? ", o.output FROM attempts a LEFT JOIN attempt_output o"
					    " ON o.attempt_id = a.id"
					  : " FROM attempts a");
	if (f->outbox)
		strbuf_addstr(sql, " JOIN outbox x ON x.attempt_id = a.id");
	strbuf_addstr(sql, " WHERE a.started_ms >= ?1");
	if (f->ports)
		strbuf_addstr(sql, " AND (a.port IN names OR a.device IN names OR a.by_path IN names"
				   " OR a.by_id IN names)");
	if (f->mac)
		strbuf_addstr(sql, " AND a.mac = ?3 COLLATE NOCASE");
	if (f->board)
		strbuf_addstr(sql, " AND a.board = ?4");
	if (f->id)
		strbuf_addstr(sql, " AND a.id = ?6");
	if (f->outbox)
		strbuf_addstr(sql, " ORDER BY x.seq");
	else
		strbuf_addstr(sql, f->newest_first ? " ORDER BY a.started_ms DESC, a.id DESC"
						   : " ORDER BY a.started_ms, a.id");
	strbuf_addstr(sql, " LIMIT ?5");
}

/* Bind a NULL-ended list of strings as a JSON array. */
static void bind_names(sqlite3_stmt *st, int i, const char *const *names)
{
	struct strbuf out = STRBUF_INIT;
	struct jw jw;

	jw_init(&jw, &out);
	jw_array_begin(&jw, NULL);
	for (size_t k = 0; names[k]; k++)
		jw_str(&jw, NULL, names[k]);
	jw_array_end(&jw);
	sqlite3_bind_text(st, i, out.buf, (int)out.len, SQLITE_TRANSIENT);
	strbuf_release(&out);
}

/* Add s to names unless it is there. */
static void add_name(struct strvec *names, const char *s)
{
	if (s && *s && strvec_find(names, s) < 0)
		strvec_push(names, s);
}

void history_port_names(const char *given, struct strvec *names)
{
	size_t n;

	if (strvec_find(names, given) < 0)
		strvec_push(names, given);
	if (given[0] != '/') { /* "ttyUSB0", "pts/12", a by-id or by-path name */
		strvec_pushf(names, "/dev/%s", given);
		if (!strchr(given, '/')) {
			strvec_pushf(names, "/dev/serial/by-id/%s", given);
			strvec_pushf(names, "/dev/serial/by-path/%s", given);
		}
	}
	n = names->n;
	for (size_t i = 0; i < n; i++) {
		char *real = realpath(names->v[i], NULL);

		add_name(names, real);
		free(real);
	}
}

int history_rows(struct history *h, const struct history_filter *f, history_row_fn fn,
		 void *data, struct strbuf *err)
{
	struct strbuf sql = STRBUF_INIT;
	struct history_row row;
	sqlite3_stmt *st;
	int rc, ret = 0;

	build_query(&sql, f);
	st = history_prepare(h, sql.buf);
	strbuf_release(&sql);
	if (!st)
		return history_fail(h, "read", err);
	sqlite3_bind_int64(st, 1, f->since_ms);
	if (f->ports)
		bind_names(st, 2, f->ports);
	if (f->mac)
		sqlite3_bind_text(st, 3, f->mac, -1, SQLITE_STATIC);
	if (f->board)
		sqlite3_bind_text(st, 4, f->board, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
	if (f->id)
		sqlite3_bind_int64(st, 6, f->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_read(h, st, &row, f->with_output);
		ret = fn(&row, data);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = history_fail(h, "read", err);
	sqlite3_finalize(st);
	return ret;
}
