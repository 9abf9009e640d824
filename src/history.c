/* history.c - the history database: open, close, errors, transactions. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history-internal.h"
#include "parse.h"
#include "path.h"
#include "xalloc.h"

#define BUSY_TIMEOUT_MS 5000

/* The busy timeout: 5 s, or $FLASHBAY_BUSY_TIMEOUT_MS (for tests). */
static int busy_timeout_ms(void)
{
	const char *v = getenv("FLASHBAY_BUSY_TIMEOUT_MS");
	long ms;

	if (v && !parse_long(v, 0, 3600000, &ms))
		return (int)ms;
	return BUSY_TIMEOUT_MS;
}

int history_rc_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_NOTADB: return -EINVAL;
	case SQLITE_CORRUPT: return -EUCLEAN;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH: return -EACCES;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISUSE:
	case SQLITE_RANGE: return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys > 0 ? -sys : -EIO;
	default: return -EIO;
	}
}

/* A few words after SQLite's message that say what it means here. */
static void add_hint(struct strbuf *err, struct history *h, int rc)
{
	int sys = sqlite3_system_errno(h->db);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		strbuf_addf(err, " (another process holds it; waited %d ms)", h->busy_ms);
		break;
	case SQLITE_NOTADB:
		strbuf_addstr(err, " (not an SQLite database; left untouched)");
		break;
	case SQLITE_CORRUPT:
		strbuf_addstr(err, " (damaged; left untouched - move it away to start a new history)");
		break;
	case SQLITE_FULL: strbuf_addstr(err, " (no space left for it)"); break;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
		if (sys > 0)
			strbuf_addf(err, " (%s)", strerror(sys));
		break;
	}
}

int history_fail(struct history *h, const char *doing, struct strbuf *err)
{
	int rc = sqlite3_extended_errcode(h->db);

	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_ERROR;
	strbuf_addf(err, "cannot %s history database '%s': %s", doing, h->path,
		    sqlite3_errmsg(h->db));
	add_hint(err, h, rc);
	return history_rc_errno(h->db, rc);
}

sqlite3_stmt *history_prepare(struct history *h, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

sqlite3_stmt *history_stmt(struct history *h, enum history_stmt slot, const char *sql)
{
	sqlite3_stmt *st = h->stmt[slot];

	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	h->stmt[slot] = st;
	return st;
}

int history_exec(struct history *h, const char *sql)
{
	return sqlite3_exec(h->db, sql, NULL, NULL, NULL);
}

int history_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s || !*s)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int history_bind_int(sqlite3_stmt *st, int i, int64_t v, int64_t none)
{
	if (v == none)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

int history_tx_begin(struct history *h, struct strbuf *err)
{
	const char *sql = h->batch ? "SAVEPOINT history" : "BEGIN IMMEDIATE";

	if (history_exec(h, sql) != SQLITE_OK)
		return history_fail(h, "write to", err);
	h->batch++;
	return 0;
}

/* End a nested level: keep (release) or undo (roll back to) its savepoint. */
static int tx_end_nested(struct history *h, int ret, struct strbuf *err)
{
	if (sqlite3_get_autocommit(h->db)) {
		/* SQLite rolled the whole transaction back (disk full, I/O error) */
		h->batch = 0;
		return ret < 0 ? ret : history_fail(h, "write to", err);
	}
	if (ret < 0)
		history_exec(h, "ROLLBACK TO history");
	if (history_exec(h, "RELEASE history") != SQLITE_OK && ret >= 0)
		return history_fail(h, "write to", err);
	return ret;
}

int history_tx_end(struct history *h, int ret, struct strbuf *err)
{
	if (h->batch <= 0)
		return ret;
	if (--h->batch > 0)
		return tx_end_nested(h, ret, err);
	if (sqlite3_get_autocommit(h->db))
		return ret < 0 ? ret : history_fail(h, "write to", err);
	if (ret >= 0 && history_exec(h, "COMMIT") != SQLITE_OK)
		ret = history_fail(h, "write to", err);
	if (ret < 0 && !sqlite3_get_autocommit(h->db))
		history_exec(h, "ROLLBACK");
	return ret;
}

int history_batch_begin(struct history *h, struct strbuf *err)
{
	return history_tx_begin(h, err);
}

int history_batch_end(struct history *h, bool commit, struct strbuf *err)
{
	return history_tx_end(h, commit ? 0 : -ECANCELED, err);
}

/* WAL, synchronous=NORMAL (consistent after a power cut; commits do not wait
 * for the disk, so a write on the loop takes well under a millisecond);
 * savepoint journals in memory. */
static int set_journal(struct history *h, struct strbuf *err)
{
	int rc, tries = 0;

	/* Two processes creating a database at once both need an exclusive lock
	 * to switch it to WAL while each holds a shared one: a deadlock the busy
	 * handler cannot break. Short waits, retried, let one win; the other then
	 * finds the file in WAL mode already. Bounded by the busy timeout. */
	do {
		sqlite3_busy_timeout(h->db, 50);
		rc = history_exec(h, "PRAGMA journal_mode=WAL");
		sqlite3_busy_timeout(h->db, h->busy_ms);
	} while ((rc & 0xff) == SQLITE_BUSY && ++tries * 50 < h->busy_ms);
	if (rc != SQLITE_OK ||
	    history_exec(h, "PRAGMA synchronous=NORMAL") != SQLITE_OK ||
	    history_exec(h, "PRAGMA temp_store=MEMORY") != SQLITE_OK)
		return history_fail(h, "open", err);
	return 0;
}

/* Is path flashbay's own default database ($XDG_STATE_HOME/flashbay/...)? */
static bool default_place(const char *path)
{
	char *state = xdg_state_home(), *own = xasprintf("%s/flashbay/history.db", state);
	bool same = !strcmp(path, own);

	free(state);
	free(own);
	return same;
}

/* Create the folder of path (0700) if needed - only flashbay's own default
 * folder: a mistyped --db must not make folders. A new database must be
 * creatable there (SQLite would only say "unable to open"). */
static int make_folder(const char *path, struct strbuf *err)
{
	char *dir = path_dirname(path);
	struct stat st;
	int r = 0;

	if (stat(dir, &st) < 0 && errno == ENOENT && !default_place(path)) {
		strbuf_addf(err, "cannot create history database '%s': folder '%s' does not exist "
				 "(flashbay creates only its default folder; make it first)", path, dir);
		free(dir);
		return -ENOENT;
	}
	r = mkdir_p(dir, 0700);
	if (r < 0)
		strbuf_addf(err, "cannot create folder '%s' for history database '%s': %s", dir,
			    path, strerror(-r));
	else if (access(path, F_OK) < 0 && errno == ENOENT && access(dir, W_OK | X_OK) < 0) {
		r = -errno;
		strbuf_addf(err, "cannot create history database '%s': %s", path, strerror(-r));
	}
	free(dir);
	return r;
}

/* Open the file itself: the handle, extended codes, busy timeout. */
static int open_db(struct history *h, bool create, struct strbuf *err)
{
	/* one thread uses this connection (the checkpointer has its own) */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(h->path, &h->db, flags, NULL);

	if (!h->db)
		return strbuf_addf(err, "cannot open history database '%s': out of memory", h->path),
		       -ENOMEM;
	if (rc != SQLITE_OK)
		return history_fail(h, "open", err);
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, h->busy_ms);
	return 0;
}

/* "file:PATH?mode=ro[&immutable=1]", PATH percent-encoded. */
static char *ro_uri(const char *path, bool immutable)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (strchr("?#%&=", *p) || *p < 0x20 || *p >= 0x7f)
			strbuf_addf(&sb, "%%%02X", *p);
		else
			strbuf_addch(&sb, (char)*p);
	}
	strbuf_addstr(&sb, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
	return strbuf_detach(&sb);
}

/* May this process write the database and the files beside it (-wal, -shm)? */
static bool writable(const char *path)
{
	char *dir = path_dirname(path);
	bool w = access(path, W_OK) == 0 && access(dir, W_OK | X_OK) == 0;

	free(dir);
	return w;
}

/* A history on read-only storage (or in a folder this user cannot write):
 * opened read-only. Without a -wal file beside it nothing waits to be
 * checkpointed, so when SQLite cannot make its -shm it is read as immutable. */
static int open_read_only(struct history *h, struct strbuf *err)
{
	char *wal = xasprintf("%s-wal", h->path);
	struct stat st;
	bool no_wal = stat(wal, &st) < 0 || st.st_size == 0;
	int r = -EROFS, rc;
	int64_t version = 0;

	free(wal);
	h->readonly = true;
	for (int immutable = 0; immutable <= no_wal && r; immutable++) {
		char *uri = ro_uri(h->path, immutable);

		sqlite3_close_v2(h->db);
		h->db = NULL;
		rc = sqlite3_open_v2(uri, &h->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
						   SQLITE_OPEN_NOMUTEX, NULL);
		free(uri);
		if (!h->db)
			return strbuf_addf(err, "cannot open history database '%s': out of memory",
					   h->path), -ENOMEM;
		sqlite3_extended_result_codes(h->db, 1);
		sqlite3_busy_timeout(h->db, h->busy_ms);
		strbuf_reset(err);
		r = rc == SQLITE_OK ? history_schema_check(h, &version, err) : history_fail(h, "open", err);
	}
	if (!r && version < HISTORY_SCHEMA_VERSION) {
		strbuf_addf(err, "cannot open history database '%s': its schema version %lld is older "
				 "and it is read-only here (open it once where it can be written)",
			    h->path, (long long)version);
		r = -EROFS;
	}
	return r;
}

/* Open, check, journal mode, migration: the file may be written. */
static int open_writable(struct history *h, bool writer, struct strbuf *err)
{
	int64_t version;
	int r = open_db(h, writer, err);

	if (!r) /* before anything that writes: a foreign file stays untouched */
		r = history_schema_check(h, &version, err);
	if (!r)
		r = set_journal(h, err);
	if (!r)
		r = history_schema_migrate(h, err);
	return r;
}

/* The steps both open functions share. */
static int open_common(const char *path, bool writer, struct history **out, struct strbuf *err)
{
	struct history *h = xcalloc(1, sizeof(*h));
	int r;

	h->path = xstrdup(path);
	h->busy_ms = busy_timeout_ms();
	strbuf_init(&h->pend_why);
	r = writer || writable(path) ? open_writable(h, writer, err) : open_read_only(h, err);
	if (!r && history_exec(h, "PRAGMA foreign_keys=ON") != SQLITE_OK)
		r = history_fail(h, "open", err);
	/* readers too: they tell a live owner from a dead one */
	h->owner = history_owner_self();
	if (!r) /* before the recovery: a kept finish beats "interrupted" */
		history_journal_replay(h);
	if (!r && writer) {
		r = history_recover(h, err);
		if (!r)
			history_checkpointer_start(h);
	}
	if (r < 0) {
		history_close(h);
		return r;
	}
	*out = h;
	return 0;
}

/* A new database is made under a temporary name (schema, WAL mode) and then
 * linked into place: a second flashbay starting at the same moment finds no
 * file or a complete one, never a half-made schema or a journal-mode switch
 * racing its own (a lock deadlock SQLite's busy handler cannot break). */
static int create_fresh(const char *path, struct strbuf *err)
{
	char *tmp = xasprintf("%s.new.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC), r;
	struct history *h;

	if (fd < 0) {
		r = -errno;
		strbuf_addf(err, "cannot create history database '%s': %s", path, strerror(errno));
		free(tmp);
		return r;
	}
	close(fd);
	h = xcalloc(1, sizeof(*h));
	strbuf_init(&h->pend_why);
	h->path = xstrdup(tmp);
	h->busy_ms = busy_timeout_ms();
	r = open_db(h, true, err);
	if (!r)
		r = set_journal(h, err);
	if (!r)
		r = history_schema_migrate(h, err);
	history_close(h);
	if (!r && link(tmp, path) < 0 && errno != EEXIST) {
		r = -errno;
		strbuf_addf(err, "cannot create history database '%s': %s", path, strerror(errno));
	}
	unlink(tmp);
	free(tmp);
	return r;
}

/* An existing path must be a regular file holding an SQLite database (or
 * nothing yet): a device, a FIFO or /proc/version is not opened at all
 * (SQLite would see an empty file and fail on its -wal beside it). */
static int check_file(const char *path, struct strbuf *err)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st) < 0)
		return 0; /* not there (or not reachable): the folder check or SQLite says why */
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot open history database '%s': %s", path,
			    S_ISDIR(st.st_mode) ? "Is a directory" : "not a regular file");
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* SQLite says why */
	n = read(fd, head, sizeof head);
	close(fd);
	if (n <= 0 || !memcmp(head, magic, (size_t)n < sizeof magic ? (size_t)n : sizeof magic))
		return 0;
	strbuf_addf(err, "cannot open history database '%s': file is not a database "
			 "(not an SQLite database; left untouched)", path);
	return -EINVAL;
}

int history_open(const char *path, struct history **out, struct strbuf *err)
{
	int r;

	*out = NULL;
	if (!path || !*path) {
		strbuf_addstr(err, "no history database configured ([station] database is empty)");
		return -EINVAL;
	}
	r = check_file(path, err);
	if (!r)
		r = make_folder(path, err);
	if (r < 0)
		return r;
	if (access(path, F_OK) < 0 && errno == ENOENT && (r = create_fresh(path, err)) < 0)
		return r;
	return open_common(path, true, out, err);
}

int history_open_reader(const char *path, struct history **out, struct strbuf *err)
{
	struct stat st;
	int r;

	*out = NULL;
	if (!path || !*path) {
		strbuf_addstr(err, "no history database configured ([station] database is empty)");
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		int e = errno;

		if (e == ENOENT)
			strbuf_addf(err, "no history yet at %s", path);
		else
			strbuf_addf(err, "cannot open history database '%s': %s", path, strerror(e));
		return -e;
	}
	r = check_file(path, err);
	if (r < 0)
		return r;
	r = open_common(path, false, out, err);
	return r == -ENOENT ? -EIO : r; /* it exists: -ENOENT means "no history yet" */
}

void history_close(struct history *h)
{
	struct strbuf err = STRBUF_INIT;

	if (!h)
		return;
	history_flush(h, &err); /* the caller had its chance to report it */
	strbuf_release(&err);
	history_pending_release(h);
	history_checkpointer_stop(h);
	for (size_t i = 0; i < HS__COUNT; i++)
		sqlite3_finalize(h->stmt[i]);
	if (h->db) {
		if (h->batch)
			history_exec(h, "ROLLBACK");
		sqlite3_close_v2(h->db);
	}
	free(h->owner);
	free(h->path);
	free(h);
}

int history_recovered(const struct history *h)
{
	return h->recovered;
}

int history_replayed(const struct history *h)
{
	return h->replayed;
}

int history_journal_waiting(const struct history *h)
{
	return h->journal_left;
}

const char *history_path(const struct history *h)
{
	return h->path;
}
