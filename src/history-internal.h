/* history-internal.h - what the history-*.c files share; not for other modules.
 *
 *   history.c          open, close, errors, transactions, statement cache
 *   history-schema.c   schema versions and migrations
 *   history-recover.c  rows left running by a dead process -> interrupted
 *   history-write.c    begin, finish, record, reset; board grouping
 *   history-stats.c    counters, stats, periods
 *   history-rows.c     walking rows for `history` and `export`
 *   history-checkpoint.c  WAL checkpoints in a thread, off the loop
 *   history-pending.c  results kept while the database cannot take them
 *   history-journal.c  kept results on disk at exit, replayed at the next open
 */
#ifndef FLASHBAY_HISTORY_INTERNAL_H
#define FLASHBAY_HISTORY_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "history.h"
#include "strbuf.h"

/* Cached prepared statements, one slot each. */
enum history_stmt {
	HS_INSERT,
	HS_UNIT_MAC,
	HS_SET_ATTEMPT_BOARD,
	HS_ROW_IDENT,
	HS_FINISH,
	HS_NOTE,
	HS_OUTPUT,
	HS_BOARD_PERIODS,
	HS_MOVE_BOARD,
	HS_SET_BOARD,
	HS_GROUP_FIRST,
	HS_GROUP_FIRST_OK,
	HS_CLEAR_FIRST,
	HS_SET_FIRST,
	HS_CLEAR_FIRST_OK,
	HS_SET_FIRST_OK,
	HS_CURRENT_PERIOD,
	HS_PREV_BEFORE,
	HS_PREV_OK_BEFORE,
	HS_LINK_ROWS,
	HS_SET_PREV,
	HS__COUNT
};

struct history {
	sqlite3 *db;
	char *path;
	char *owner; /* "boot_id pid starttime" of this process, NULL if unknown */
	int busy_ms;
	int recovered;
	bool readonly; /* a reader on storage it cannot write */
	int batch; /* depth of history_batch_begin() */
	sqlite3_stmt *stmt[HS__COUNT];
	struct history_checkpointer *checkpointer; /* NULL: SQLite's own checkpoints */
	struct history_pend *pend; /* results kept while the database cannot take them */
	size_t npend, pend_alloc;
	int64_t last_local;        /* the last id handed out for a kept begin (< 0) */
	struct strbuf pend_why;    /* why the last write of a kept result failed */
	int replayed, journal_left; /* journal records applied at open / still waiting */
};

/* The cached statement of slot (prepared from sql on first use), reset and
 * with its bindings cleared; NULL on error (see history_fail()). */
sqlite3_stmt *history_stmt(struct history *h, enum history_stmt slot, const char *sql);
/* Prepare a one-off statement; NULL on error. */
sqlite3_stmt *history_prepare(struct history *h, const char *sql);
/* Run SQL without results (several statements allowed). Returns an SQLite code. */
int history_exec(struct history *h, const char *sql);

/* Turn the connection's last error into -errno and one line in err:
 * "cannot <doing> history database 'PATH': <sqlite message> (<hint>)". */
int history_fail(struct history *h, const char *doing, struct strbuf *err);
/* -errno for an SQLite result code. */
int history_rc_errno(sqlite3 *db, int rc);

/* Begin (outermost: BEGIN IMMEDIATE) / end a write transaction; end with
 * ret < 0 rolls back. history_tx_end() returns ret, or the commit error. */
int history_tx_begin(struct history *h, struct strbuf *err);
int history_tx_end(struct history *h, int ret, struct strbuf *err);

/* Bind text, or NULL for a NULL or empty string. */
int history_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Bind an integer, or NULL when v equals none. */
int history_bind_int(sqlite3_stmt *st, int i, int64_t v, int64_t none);

/* Read the schema version; refuse (-EINVAL/-EPROTO) a database that is not
 * a flashbay history or is newer than this program. Writes nothing. */
int history_schema_check(struct history *h, int64_t *version, struct strbuf *err);
/* Create or upgrade the schema to HISTORY_SCHEMA_VERSION in one transaction. */
int history_schema_migrate(struct history *h, struct strbuf *err);

/* This process as the owner of the rows it starts (history_owner_self), and
 * whether the process that wrote owner is still alive. */
char *history_owner_self(void);
bool history_owner_alive(const char *owner, const char *self);
/* Is a row with outcome and owner left running by a process that is gone?
 * Readers show such a row as interrupted without writing (the same rule
 * history_recover() applies). */
bool history_row_orphaned(const struct history *h, const char *outcome, const char *owner);
#define HISTORY_INTERRUPTED_MESSAGE \
	"flashbay stopped before this attempt ended (crash, kill or power loss)"
/* Mark rows left running by dead processes as interrupted. */
int history_recover(struct history *h, struct strbuf *err);

/* The writes themselves (history-write.c), each in its own transaction;
 * 0 or -errno with one line in err. history_begin() & co. (history-pending.c)
 * keep what these cannot write. */
int history_write_begin(struct history *h, const struct attempt *a, int64_t *id,
			struct strbuf *err);
int history_write_finish(struct history *h, int64_t id, const struct attempt *a,
			 struct strbuf *err);
int history_write_record(struct history *h, const struct attempt *a, int64_t *id,
			 struct strbuf *err);
int history_write_note(struct history *h, int64_t id, const char *chip, const char *mac,
		       struct strbuf *err);
/* Inside a transaction: insert a row (running unless finished), complete
 * row id; SQLite codes (SQLITE_NOTFOUND: no row id). */
int history_insert_row(struct history *h, const struct attempt *a, bool finished, int64_t *id);
int history_finish_row(struct history *h, int64_t id, const struct attempt *a);
/* Inside a transaction: the chip and MAC (either may be NULL) learned by row
 * id while it runs; a MAC joins the row to its board now, as a finish would.
 * SQLite code (SQLITE_NOTFOUND: no row id). */
int history_note_row(struct history *h, int64_t id, const char *chip, const char *mac);
/* Inside a transaction: row id's serial, unit_sha256 and unit_label from a
 * (those set; history-serials.c). SQLite code. */
int history_unit_row(struct history *h, int64_t id, const struct attempt *a);
/* The failure classes of the station (history_station_class()), NULL-ended. */
extern const char *const history_station_classes[];
/* Did finished attempt a reach its board (see history_counters())? 1 or 0. */
int history_reached(const struct attempt *a);
/* 0 if outcome is "ok" or "failed", else -EINVAL with the message in err. */
int history_check_outcome(struct history *h, const char *outcome, struct strbuf *err);

/* Results not written yet (history-pending.c): a copy of the attempt. */
enum history_pend_kind {
	PEND_BEGIN,   /* a running row to insert; the caller holds id .local */
	PEND_RECORD,  /* a finished row to insert */
	PEND_FINISH,  /* complete row .id */
	PEND_NOTE,    /* chip and MAC learned by running row .id (.a.chip, .a.mac) */
	PEND_WRITTEN, /* a begin written later: .local stands for row .id */
};

struct history_pend {
	enum history_pend_kind kind;
	int64_t local, id;
	char *owner; /* the process that ran the attempt */
	struct attempt a; /* strings owned */
};

/* Free the kept results (history_close()). */
void history_pending_release(struct history *h);
/* Deep copy / free of an attempt's strings. */
void history_attempt_copy(struct attempt *dst, const struct attempt *src);
void history_attempt_free(struct attempt *a);
/* Write one kept result (journal replay too: applied at most once, whoever
 * wrote it); 0 or -errno with err. */
int history_pend_apply(struct history *h, struct history_pend *p, struct strbuf *err);

/* The journal beside the database (history-journal.c): append the kept
 * results (0 or -errno with err), and at open apply and remove it. */
char *history_journal_path(const struct history *h);
int history_journal_append(struct history *h, const struct history_pend *p, size_t n,
			   struct strbuf *err);
void history_journal_replay(struct history *h);

/* Run WAL checkpoints in a thread instead of inside commits (writers);
 * without a thread SQLite's automatic checkpoints stay on. */
void history_checkpointer_start(struct history *h);
void history_checkpointer_stop(struct history *h);

/* The current period number, or -errno. */
int64_t history_current_period(struct history *h);

#endif
