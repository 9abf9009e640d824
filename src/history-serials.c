/* history-serials.c - per-unit data in the history database: serials (the
 * MAC's own, the next counter value or the next unused CSV row;
 * history-serials.h) and an attempt row's serial, unit image and label. */
#include "autoconf.h"

#include "history-serials.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "history-internal.h"
#include "unit.h"
#include "xalloc.h"

/* The serial the MAC was given last from source, or NULL. SQLite code in *rc. */
static char *mac_serial(struct history *h, const char *source, const char *mac, int *rc)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT serial FROM serials WHERE mac = ?1 AND"
					      " source = ?2 ORDER BY allocated_ms DESC, rowid DESC"
					      " LIMIT 1");
	char *s = NULL;

	*rc = st ? SQLITE_OK : sqlite3_extended_errcode(h->db);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW)
		s = xstrdup((const char *)sqlite3_column_text(st, 0));
	*rc = *rc == SQLITE_ROW || *rc == SQLITE_DONE ? SQLITE_OK : *rc;
	sqlite3_finalize(st);
	return s;
}

/* Record serial (counter value seq, 0: a CSV row) as the MAC's. SQLite code
 * (SQLITE_CONSTRAINT: it was handed out before). */
static int put_serial(struct history *h, const struct serial_request *r, const char *mac,
		      const char *serial, long long seq)
{
	sqlite3_stmt *st = history_prepare(h, "INSERT INTO serials (serial, source, seq, mac,"
					      " station, allocated_ms, allocated_at)"
					      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int64_t now = wall_ms();
	char at[32];
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	format_iso8601(now, at);
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->source, -1, SQLITE_STATIC);
	history_bind_int(st, 3, seq, 0);
	sqlite3_bind_text(st, 4, mac, -1, SQLITE_STATIC);
	history_bind_text(st, 5, r->station);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_text(st, 7, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The highest counter value of source so far (0: none). */
static long long counter_top(struct history *h, const char *source, int *rc)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT coalesce(max(seq), 0) FROM serials"
					      " WHERE source = ?1");
	long long n = 0;

	*rc = st ? SQLITE_OK : sqlite3_extended_errcode(h->db);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	*rc = *rc == SQLITE_ROW ? SQLITE_OK : *rc;
	sqlite3_finalize(st);
	return n;
}

/* The next counter value whose serial is free (one taken by another source is skipped). */
static int take_counter(struct history *h, const struct serial_request *r, const char *mac,
			char **serial)
{
	struct strbuf s = STRBUF_INIT;
	int rc;
	long long n = counter_top(h, r->source, &rc);

	for (int tries = 0; rc == SQLITE_OK && tries < 1000; tries++) {
		strbuf_reset(&s);
		unit_counter_format(r->counter, ++n, &s);
		rc = put_serial(h, r, mac, s.buf, n);
		if (rc == SQLITE_OK) {
			*serial = strbuf_detach(&s);
			return SQLITE_OK;
		}
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			rc = SQLITE_OK;
	}
	strbuf_release(&s);
	return rc == SQLITE_OK ? SQLITE_FULL : rc;
}

/* Was serial ever handed out? */
static bool serial_used(sqlite3_stmt *st, const char *serial, int *rc)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW || *rc == SQLITE_DONE) {
		bool used = *rc == SQLITE_ROW;

		*rc = SQLITE_OK;
		return used;
	}
	return true;
}

/* The first CSV row whose serial was never handed out. */
static int take_csv(struct history *h, const struct serial_request *r, const char *mac,
		    char **serial)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT 1 FROM serials WHERE serial = ?1");
	int rc = st ? SQLITE_OK : sqlite3_extended_errcode(h->db);

	for (size_t i = 0; rc == SQLITE_OK && i < r->csv->n; i++) {
		const char *s = r->csv->rows[i].v[r->csv->serial_col];

		if (!*s || serial_used(st, s, &rc))
			continue;
		rc = put_serial(h, r, mac, s, 0);
		if (rc == SQLITE_OK)
			*serial = xstrdup(s);
		break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK && !*serial ? SQLITE_FULL : rc;
}

/* Inside the transaction: the MAC's serial, or a new one. SQLite code. */
static int take(struct history *h, const struct serial_request *r, const char *mac,
		char **serial, bool *kept)
{
	int rc = SQLITE_OK;

	if (!r->fresh)
		*serial = mac_serial(h, r->source, mac, &rc);
	*kept = *serial != NULL;
	if (rc != SQLITE_OK || *serial)
		return rc;
	return r->csv ? take_csv(h, r, mac, serial) : take_counter(h, r, mac, serial);
}

int history_serial_take(struct history *h, const struct serial_request *r, char **serial,
			bool *kept, struct strbuf *err)
{
	char *mac = xstrdup(r->mac);
	int rc, ret = history_tx_begin(h, err);

	*serial = NULL;
	*kept = false;
	for (char *p = mac; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!ret) {
		rc = take(h, r, mac, serial, kept);
		if (rc == SQLITE_FULL && !*serial) {
			strbuf_addf(err, "no serial left: every serial of %s was handed out", r->source);
			ret = -ENOSPC;
		} else if (rc != SQLITE_OK) {
			ret = history_fail(h, "take a serial from", err);
		}
		ret = history_tx_end(h, ret, err);
	}
	if (ret) {
		free(*serial);
		*serial = NULL;
	}
	free(mac);
	return ret;
}

int history_unit_row(struct history *h, int64_t id, const struct attempt *a)
{
	sqlite3_stmt *st;
	int rc;

	if (!(a->serial && *a->serial) && !(a->unit_sha256 && *a->unit_sha256) &&
	    !(a->unit_label && *a->unit_label))
		return SQLITE_OK;
	st = history_prepare(h, "UPDATE attempts SET serial = coalesce(?2, serial),"
				" unit_sha256 = coalesce(?3, unit_sha256),"
				" unit_label = coalesce(?4, unit_label) WHERE id = ?1");
	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_int64(st, 1, id);
	history_bind_text(st, 2, a->serial);
	history_bind_text(st, 3, a->unit_sha256);
	history_bind_text(st, 4, a->unit_label);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}
