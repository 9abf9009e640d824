/* history-journal.c - results the database could not take before flashbay
 * ended, on disk beside it: DB.pending, one JSON object a line
 * ({"kind":"record"|"begin"|"finish"|"note","id":N,"owner":"...",<the attempt>}),
 * appended under flock(2) and fsync'd. Every open that can write replays it
 * in one transaction and removes it. A replay is idempotent: a record or
 * begin whose row exists (same owner, start, port and unit), or a finish
 * whose row has ended, is skipped - a journal applied twice does no harm;
 * a note (chip and MAC of a running row) is written again, which is harmless.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "fd.h"
#include "files.h"
#include "history-internal.h"
#include "json.h"
#include "xalloc.h"

enum jtype { J_STR, J_I64, J_INT, J_U16, J_DBL };

/* The fields of struct attempt, as journal keys. */
static const struct jfield {
	const char *key;
	enum jtype type;
	size_t off;
} fields[] = {
	{ "started_ms", J_I64, offsetof(struct attempt, started_ms) },
	{ "station", J_STR, offsetof(struct attempt, station) },
	{ "slot", J_INT, offsetof(struct attempt, slot) },
	{ "port", J_STR, offsetof(struct attempt, port) },
	{ "device", J_STR, offsetof(struct attempt, device) },
	{ "by_path", J_STR, offsetof(struct attempt, by_path) },
	{ "by_id", J_STR, offsetof(struct attempt, by_id) },
	{ "vid", J_U16, offsetof(struct attempt, vid) },
	{ "pid", J_U16, offsetof(struct attempt, pid) },
	{ "usb_serial", J_STR, offsetof(struct attempt, usb_serial) },
	{ "unit", J_STR, offsetof(struct attempt, unit) },
	{ "board", J_STR, offsetof(struct attempt, board) },
	{ "method", J_STR, offsetof(struct attempt, method) },
	{ "firmware", J_STR, offsetof(struct attempt, firmware) },
	{ "firmware_sha256", J_STR, offsetof(struct attempt, firmware_sha256) },
	{ "firmware_size", J_I64, offsetof(struct attempt, firmware_size) },
	{ "finished_ms", J_I64, offsetof(struct attempt, finished_ms) },
	{ "chip", J_STR, offsetof(struct attempt, chip) },
	{ "mac", J_STR, offsetof(struct attempt, mac) },
	{ "heard", J_INT, offsetof(struct attempt, heard) },
	{ "outcome", J_STR, offsetof(struct attempt, outcome) },
	{ "failure_class", J_STR, offsetof(struct attempt, failure_class) },
	{ "message", J_STR, offsetof(struct attempt, message) },
	{ "exit_code", J_INT, offsetof(struct attempt, exit_code) },
	{ "duration_ms", J_I64, offsetof(struct attempt, duration_ms) },
	{ "bytes_written", J_I64, offsetof(struct attempt, bytes_written) },
	{ "kbps", J_DBL, offsetof(struct attempt, kbps) },
	{ "output", J_STR, offsetof(struct attempt, output) },
	{ "serial", J_STR, offsetof(struct attempt, serial) },
	{ "unit_sha256", J_STR, offsetof(struct attempt, unit_sha256) },
	{ "unit_label", J_STR, offsetof(struct attempt, unit_label) },
};

static const char *const kinds[] = { "begin", "record", "finish", "note" };

#define AT(a, f, type) (*(type *)((char *)(a) + (f)->off))

void history_attempt_copy(struct attempt *dst, const struct attempt *src)
{
	*dst = *src;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].type == J_STR)
			AT(dst, &fields[i], const char *) =
				xstrdup_or_null(AT(src, &fields[i], const char *));
}

void history_attempt_free(struct attempt *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].type == J_STR)
			free((char *)AT(a, &fields[i], const char *));
	memset(a, 0, sizeof(*a));
}

char *history_journal_path(const struct history *h)
{
	return xasprintf("%s.pending", h->path);
}

/* ------------------------------------------------------------- applying */

/* The row of an inserted result (same owner, start, port, unit) into *id;
 * 0 if there is none. SQLite code. */
static int find_row(struct history *h, const struct history_pend *p, int64_t *id)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT id FROM attempts WHERE started_ms = ?1"
					      " AND owner IS ?2 AND port IS ?3 AND unit IS ?4");
	int rc;

	*id = 0;
	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, p->a.started_ms);
	history_bind_text(st, 2, p->owner);
	history_bind_text(st, 3, p->a.port);
	history_bind_text(st, 4, p->a.unit);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Insert p unless it is there already; p->id gets its row. */
static int apply_insert(struct history *h, struct history_pend *p)
{
	int rc = find_row(h, p, &p->id);

	if (rc == SQLITE_OK && !p->id)
		rc = history_insert_row(h, &p->a, p->kind != PEND_BEGIN, &p->id);
	return rc;
}

/* Complete row p->id if it has not ended (a recovery may have marked it
 * interrupted meanwhile: the real result wins); a row that is gone is
 * inserted whole. */
static int apply_finish(struct history *h, struct history_pend *p)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT outcome IN ('running', 'interrupted')"
					      " FROM attempts WHERE id = ?1 AND owner IS ?2");
	int rc, open = -1;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, p->id);
	history_bind_text(st, 2, p->owner);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		open = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (open == 1)
		return history_finish_row(h, p->id, &p->a);
	if (open == 0)
		return SQLITE_OK;
	p->kind = PEND_RECORD;
	return apply_insert(h, p);
}

/* Note the chip and MAC of row p->id if it is that process's and has not
 * ended (or was cut short); otherwise the finish said it all. */
static int apply_note(struct history *h, struct history_pend *p)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT 1 FROM attempts WHERE id = ?1 AND owner IS ?2"
					      " AND outcome IN ('running', 'interrupted')");
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, p->id);
	history_bind_text(st, 2, p->owner);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return history_note_row(h, p->id, p->a.chip, p->a.mac);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int history_pend_apply(struct history *h, struct history_pend *p, struct strbuf *err)
{
	char *self = h->owner;
	int r = history_tx_begin(h, err), rc;

	if (r)
		return r;
	h->owner = p->owner; /* the rows belong to the process that ran them */
	if (p->kind == PEND_NOTE)
		rc = apply_note(h, p);
	else
		rc = p->kind == PEND_FINISH ? apply_finish(h, p) : apply_insert(h, p);
	h->owner = self;
	if (rc != SQLITE_OK)
		r = history_fail(h, "write to", err);
	return history_tx_end(h, r, err);
}

/* ------------------------------------------------------------- writing */

/* One kept result as a journal line. */
static void add_line(struct strbuf *sb, const struct history_pend *p)
{
	struct jw jw;

	jw_init(&jw, sb);
	jw_object_begin(&jw, NULL);
	jw_str(&jw, "kind", kinds[p->kind]);
	jw_int(&jw, "id", p->id);
	jw_str(&jw, "owner", p->owner);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct jfield *f = &fields[i];

		if (f->type == J_STR)
			jw_str(&jw, f->key, AT(&p->a, f, const char *));
		else if (f->type == J_I64)
			jw_int(&jw, f->key, AT(&p->a, f, int64_t));
		else if (f->type == J_INT)
			jw_int(&jw, f->key, AT(&p->a, f, int));
		else if (f->type == J_U16)
			jw_int(&jw, f->key, AT(&p->a, f, uint16_t));
		else
			jw_double(&jw, f->key, AT(&p->a, f, double));
	}
	jw_object_end(&jw);
	strbuf_addch(sb, '\n');
}

/* Open the journal for appending, locked; a journal a replay removed while
 * we waited for the lock is opened anew. fd, or -errno. */
static int open_locked(const char *path)
{
	for (int tries = 0; tries < 10; tries++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		struct stat st;

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

int history_journal_append(struct history *h, const struct history_pend *p, size_t n,
			   struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = history_journal_path(h);
	int fd = open_locked(path), r = fd < 0 ? fd : 0;

	for (size_t i = 0; i < n; i++)
		if (p[i].kind != PEND_WRITTEN)
			add_line(&sb, &p[i]);
	if (!r)
		r = write_all(fd, sb.buf, sb.len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd); /* and the lock */
	if (r < 0)
		strbuf_addf(err, "%scannot write the journal '%s' either: %s", err->len ? "; " : "",
			    path, strerror(-r));
	strbuf_release(&sb);
	free(path);
	return r;
}

/* ------------------------------------------------------------- replaying */

/* SELECT json_valid(?1), json_extract(?1, '$.kind'), ... of every field. */
static void parse_sql(struct strbuf *sql)
{
	strbuf_addstr(sql, "SELECT json_valid(?1), json_extract(?1, '$.kind'),"
			   " json_extract(?1, '$.id'), json_extract(?1, '$.owner')");
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		strbuf_addf(sql, ", json_extract(?1, '$.%s')", fields[i].key);
}

/* Fill p from the parsed row of st (copies); false if it is not a result. */
static bool read_pend(sqlite3_stmt *st, struct history_pend *p)
{
	const char *kind = (const char *)sqlite3_column_text(st, 1);
	struct attempt a = { 0 };

	memset(p, 0, sizeof(*p));
	if (!sqlite3_column_int(st, 0) || !kind)
		return false;
	for (p->kind = PEND_BEGIN; p->kind <= PEND_NOTE; p->kind++)
		if (!strcmp(kind, kinds[p->kind]))
			break;
	if (p->kind > PEND_NOTE)
		return false;
	p->id = sqlite3_column_int64(st, 2);
	p->owner = xstrdup_or_null((const char *)sqlite3_column_text(st, 3));
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct jfield *f = &fields[i];
		int c = (int)i + 4;

		if (f->type == J_STR)
			AT(&a, f, const char *) = (const char *)sqlite3_column_text(st, c);
		else if (f->type == J_I64)
			AT(&a, f, int64_t) = sqlite3_column_int64(st, c);
		else if (f->type == J_INT)
			AT(&a, f, int) = sqlite3_column_int(st, c);
		else if (f->type == J_U16)
			AT(&a, f, uint16_t) = (uint16_t)sqlite3_column_int(st, c);
		else
			AT(&a, f, double) = sqlite3_column_double(st, c);
	}
	history_attempt_copy(&p->a, &a);
	return p->kind == PEND_BEGIN || p->kind == PEND_NOTE ||
	       (p->a.outcome && (!strcmp(p->a.outcome, "ok") || !strcmp(p->a.outcome, "failed")));
}

/* Apply each line of text (one transaction); *n counts results, *bad lines
 * that are not one (a torn last line). 0 or -errno. */
static int apply_lines(struct history *h, char *text, int *n, int *bad)
{
	struct strbuf sql = STRBUF_INIT, err = STRBUF_INIT;
	sqlite3_stmt *st;
	char *line = text, *nl;
	int r;

	parse_sql(&sql);
	st = history_prepare(h, sql.buf);
	strbuf_release(&sql);
	r = st ? history_tx_begin(h, &err) : -ENOMEM;
	for (; !r && *line; line = nl ? nl + 1 : line + strlen(line)) {
		struct history_pend p = { 0 };

		nl = strchr(line, '\n');
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, line, nl ? (int)(nl - line) : -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW || !read_pend(st, &p)) {
			*bad += !!(nl ? nl - line : (long)strlen(line));
		} else {
			r = history_pend_apply(h, &p, &err);
			*n += !r;
		}
		history_attempt_free(&p.a);
		free(p.owner);
	}
	sqlite3_finalize(st);
	r = history_tx_end(h, r, &err);
	strbuf_release(&err);
	return r;
}

void history_journal_replay(struct history *h)
{
	struct strbuf text = STRBUF_INIT;
	char *path = history_journal_path(h), *bad_path;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0, bad = 0;

	if (fd < 0) {
		free(path);
		return;
	}
	/* the lock keeps appenders out until the replayed file is gone */
	if (!h->readonly && flock(fd, LOCK_EX) == 0 && read_file(path, &text) == 0 &&
	    apply_lines(h, text.buf, &n, &bad) == 0) {
		h->replayed = n;
		/* lines that are not results (a torn write) are kept for a human */
		bad_path = xasprintf("%s.bad", path);
		if (bad)
			rename(path, bad_path);
		else
			unlink(path);
		free(bad_path);
	} else {
		if (!text.len)
			read_file(path, &text);
		for (const char *c = text.buf; *c; c++)
			h->journal_left += *c == '\n';
		h->journal_left += !h->journal_left;
	}
	close(fd);
	strbuf_release(&text);
	free(path);
}
