/* history-schema.c - schema versions (PRAGMA user_version) and migrations.
 *
 * A new database runs every migration from 0; an older one the missing ones,
 * all in one transaction. Version 1 was the first schema (one table, times as
 * text, the tool output inline). Version 2 adds integer times, USB identity,
 * units and board grouping (with each attempt's previous attempt, and previous
 * passing attempt, of its board - so a --since window is counted in one pass),
 * statistics periods, tally tables kept by triggers (so statistics of a
 * period cost the same at any size) and moves the tool output to its own
 * table. Version 3 tells attempts that reached their board from those that
 * never did (reached: a cancelled or station-side attempt is no board's
 * first attempt), keys the tallies by it, and stores the port's canonical
 * device and by-id name. Version 4 adds the MQTT outbox and the origin id
 * of attempts received from other stations. Version 5 adds per-unit data: the attempt's serial,
 * unit image SHA-256 and label, and the table of serials handed out. A database that is not ours (application_id, or tables without a
 * version) or newer than this program is refused and left untouched.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>

#include "history-internal.h"

#define APPLICATION_ID 1178747225 /* 'FBAY' */

/* ms since the epoch of an ISO 8601 text column (NULL stays NULL). */
#define ISO_MS(c)                                                                          \
	"(CAST(strftime('%s', " c ") AS INTEGER) * 1000 + CAST(substr(strftime('%f', " c \
	"), 4) AS INTEGER))"

static const char schema_v1[] =
	"PRAGMA application_id = 1178747225;\n"
	"CREATE TABLE attempts (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	started_at TEXT NOT NULL,\n"
	"	finished_at TEXT,\n"
	"	station TEXT,\n"
	"	slot INTEGER,\n"
	"	port TEXT,\n"
	"	chip TEXT,\n"
	"	mac TEXT,\n"
	"	board TEXT,\n"
	"	method TEXT,\n"
	"	firmware TEXT,\n"
	"	firmware_sha256 TEXT,\n"
	"	outcome TEXT NOT NULL,\n"
	"	failure_class TEXT,\n"
	"	message TEXT,\n"
	"	exit_code INTEGER,\n"
	"	duration_ms INTEGER,\n"
	"	output TEXT\n"
	");\n"
	"CREATE INDEX attempts_started_at ON attempts(started_at);\n";

/* v2 tables. */
static const char v2_tables[] =
	"CREATE TABLE periods (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	started_ms INTEGER NOT NULL,\n"
	"	started_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE attempts (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	period_id INTEGER NOT NULL REFERENCES periods(id),\n"
	"	started_ms INTEGER NOT NULL,\n"
	"	started_at TEXT NOT NULL,\n"
	"	finished_ms INTEGER,\n"
	"	finished_at TEXT,\n"
	"	station TEXT,\n"
	"	slot INTEGER,\n"
	"	port TEXT,\n"
	"	by_path TEXT,\n"
	"	vid INTEGER,\n"
	"	pid INTEGER,\n"
	"	usb_serial TEXT,\n"
	"	unit TEXT,\n"
	"	board TEXT,\n"
	"	method TEXT,\n"
	"	firmware TEXT,\n"
	"	firmware_sha256 TEXT,\n"
	"	firmware_size INTEGER,\n"
	"	chip TEXT,\n"
	"	mac TEXT,\n"
	"	outcome TEXT NOT NULL,\n"
	"	failure_class TEXT,\n"
	"	message TEXT,\n"
	"	exit_code INTEGER,\n"
	"	duration_ms INTEGER,\n"
	"	bytes_written INTEGER,\n"
	"	kbps REAL,\n"
	"	owner TEXT,\n"
	"	board_id TEXT NOT NULL,\n"
	"	first_in_period INTEGER NOT NULL DEFAULT 0,\n"
	"	first_ok_in_period INTEGER NOT NULL DEFAULT 0,\n"
	"	prev_ms INTEGER,\n"
	"	prev_ok_ms INTEGER\n"
	");\n"
	"CREATE TABLE attempt_output (\n"
	"	attempt_id INTEGER PRIMARY KEY REFERENCES attempts(id) ON DELETE CASCADE,\n"
	"	output TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE tally (\n"
	"	period_id INTEGER NOT NULL REFERENCES periods(id),\n"
	"	slot INTEGER NOT NULL,\n"
	"	outcome TEXT NOT NULL,\n"
	"	failure_class TEXT NOT NULL,\n"
	"	firmware_sha256 TEXT NOT NULL,\n"
	"	attempts INTEGER NOT NULL,\n"
	"	boards INTEGER NOT NULL,\n"
	"	boards_passed INTEGER NOT NULL,\n"
	"	first_ms INTEGER NOT NULL,\n"
	"	last_ms INTEGER NOT NULL,\n"
	"	PRIMARY KEY (period_id, slot, outcome, failure_class, firmware_sha256)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE durations (\n"
	"	period_id INTEGER NOT NULL REFERENCES periods(id),\n"
	"	duration_ms INTEGER NOT NULL,\n"
	"	n INTEGER NOT NULL,\n"
	"	PRIMARY KEY (period_id, duration_ms)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE firmwares (\n"
	"	sha256 TEXT PRIMARY KEY,\n"
	"	firmware TEXT,\n"
	"	size INTEGER\n"
	") WITHOUT ROWID;\n";

/* v1 rows into the v2 tables: period 1, times as integers, boards by MAC or
 * board key, the output into its own table. */
static const char v2_rename[] = "ALTER TABLE attempts RENAME TO attempts_v1;\n"
				"DROP INDEX attempts_started_at;\n";

static const char v2_copy[] =
	"INSERT INTO attempts (id, period_id, started_ms, started_at, finished_ms, finished_at,\n"
	"	station, slot, port, board, method, firmware, firmware_sha256, chip, mac, outcome,\n"
	"	failure_class, message, exit_code, duration_ms, board_id)\n"
	"SELECT id, 1, coalesce(" ISO_MS("started_at") ", 0), started_at,\n"
	"	" ISO_MS("finished_at") ", finished_at, station, slot, port, nullif(board, ''),\n"
	"	method, firmware, firmware_sha256, chip, nullif(mac, ''), outcome,\n"
	"	failure_class, message, exit_code, duration_ms,\n"
	"	coalesce('mac:' || lower(nullif(mac, '')), 'board:' || nullif(board, ''),\n"
	"		'attempt:' || id)\n"
	"FROM attempts_v1;\n"
	"INSERT INTO attempt_output (attempt_id, output)\n"
	"	SELECT id, output FROM attempts_v1 WHERE output IS NOT NULL;\n"
	"DROP TABLE attempts_v1;\n"
	"INSERT INTO periods (id, started_ms, started_at)\n"
	"	SELECT 1, ms, strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch')\n"
	"	FROM (SELECT coalesce((SELECT min(started_ms) FROM attempts),\n"
	"		CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) AS ms);\n";

/* Derived columns and tallies of the copied rows. */
static const char v2_derive[] =
	"UPDATE attempts SET prev_ms = p.pm, prev_ok_ms = p.pok FROM (SELECT id,\n"
	"	lag(started_ms) OVER w AS pm,\n"
	"	max(CASE WHEN outcome = 'ok' THEN started_ms END) OVER (w ROWS BETWEEN\n"
	"		UNBOUNDED PRECEDING AND 1 PRECEDING) AS pok\n"
	"	FROM attempts WINDOW w AS (PARTITION BY board_id ORDER BY started_ms, id)) AS p\n"
	"	WHERE attempts.id = p.id;\n"
	"UPDATE attempts SET first_in_period = 1 WHERE id IN (SELECT id FROM (SELECT id,\n"
	"	row_number() OVER (PARTITION BY board_id, period_id ORDER BY started_ms, id) AS n\n"
	"	FROM attempts) WHERE n = 1);\n"
	"UPDATE attempts SET first_ok_in_period = 1 WHERE id IN (SELECT id FROM (SELECT id,\n"
	"	row_number() OVER (PARTITION BY board_id, period_id ORDER BY started_ms, id) AS n\n"
	"	FROM attempts WHERE outcome = 'ok') WHERE n = 1);\n"
	"INSERT INTO tally SELECT period_id, coalesce(slot, 0), outcome,\n"
	"	coalesce(failure_class, ''), coalesce(firmware_sha256, ''), count(*),\n"
	"	sum(first_in_period), sum(first_ok_in_period), min(started_ms),\n"
	"	max(coalesce(finished_ms, started_ms))\n"
	"	FROM attempts GROUP BY 1, 2, 3, 4, 5;\n"
	"INSERT INTO durations SELECT period_id, duration_ms, count(*) FROM attempts\n"
	"	WHERE duration_ms IS NOT NULL GROUP BY 1, 2;\n"
	"INSERT OR IGNORE INTO firmwares SELECT firmware_sha256, firmware, firmware_size\n"
	"	FROM attempts WHERE firmware_sha256 IS NOT NULL ORDER BY id DESC;\n";

/* The key of a row's tally group (prefix o or n: old/new). */
#define TALLY_KEY(r)                                                                          \
	"period_id = " r ".period_id AND slot = coalesce(" r ".slot, 0) AND outcome = " r         \
	".outcome AND failure_class = coalesce(" r ".failure_class, '') AND firmware_sha256 = " \
	"coalesce(" r ".firmware_sha256, '')"

#define TALLY_SUB(r)                                                                       \
	"UPDATE tally SET attempts = attempts - 1, boards = boards - " r ".first_in_period,\n" \
	"	boards_passed = boards_passed - " r ".first_ok_in_period\n"                     \
	"	WHERE " TALLY_KEY(r) ";\n"                                                        \
	"UPDATE durations SET n = n - 1 WHERE period_id = " r ".period_id\n"                   \
	"	AND duration_ms = " r ".duration_ms;\n"

#define TALLY_ADD(r)                                                                          \
	"INSERT INTO tally VALUES (" r ".period_id, coalesce(" r ".slot, 0), " r ".outcome,\n"      \
	"	coalesce(" r ".failure_class, ''), coalesce(" r ".firmware_sha256, ''), 1,\n"         \
	"	" r ".first_in_period, " r ".first_ok_in_period, " r ".started_ms,\n"                  \
	"	coalesce(" r ".finished_ms, " r ".started_ms))\n"                                      \
	"	ON CONFLICT (period_id, slot, outcome, failure_class, firmware_sha256) DO UPDATE\n"   \
	"	SET attempts = attempts + 1, boards = boards + excluded.boards,\n"                     \
	"	boards_passed = boards_passed + excluded.boards_passed,\n"                             \
	"	first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms);\n" \
	"INSERT INTO durations SELECT " r ".period_id, " r ".duration_ms, 1\n"                     \
	"	WHERE " r ".duration_ms IS NOT NULL\n"                                                 \
	"	ON CONFLICT (period_id, duration_ms) DO UPDATE SET n = n + 1;\n"

/* Indexes and the triggers that keep the tallies. */
static const char v2_finish[] =
	"CREATE INDEX attempts_started ON attempts(started_ms);\n"
	"CREATE INDEX attempts_port ON attempts(port, started_ms);\n"
	"CREATE INDEX attempts_by_path ON attempts(by_path, started_ms) WHERE by_path IS NOT NULL;\n"
	"CREATE INDEX attempts_mac ON attempts(mac COLLATE NOCASE, started_ms)\n"
	"	WHERE mac IS NOT NULL;\n"
	"CREATE INDEX attempts_board ON attempts(board, started_ms) WHERE board IS NOT NULL;\n"
	"CREATE INDEX attempts_unit ON attempts(unit)\n"
	"	WHERE unit IS NOT NULL AND mac IS NOT NULL;\n"
	"CREATE INDEX attempts_group ON attempts(board_id, period_id, started_ms);\n"
	"CREATE INDEX attempts_board_time ON attempts(board_id, started_ms);\n"
	"CREATE INDEX attempts_first ON attempts(board_id, period_id) WHERE first_in_period = 1;\n"
	"CREATE INDEX attempts_first_ok ON attempts(board_id, period_id)\n"
	"	WHERE first_ok_in_period = 1;\n"
	"CREATE INDEX attempts_running ON attempts(id) WHERE outcome = 'running';\n"
	"CREATE TRIGGER attempts_ai AFTER INSERT ON attempts BEGIN\n" TALLY_ADD("new")
	"INSERT OR IGNORE INTO firmwares SELECT new.firmware_sha256, new.firmware,\n"
	"	new.firmware_size WHERE new.firmware_sha256 IS NOT NULL;\n"
	"END;\n"
	"CREATE TRIGGER attempts_ad AFTER DELETE ON attempts BEGIN\n" TALLY_SUB("old") "END;\n"
	"CREATE TRIGGER attempts_au AFTER UPDATE OF period_id, slot, outcome, failure_class,\n"
	"	firmware_sha256, first_in_period, first_ok_in_period, started_ms, finished_ms,\n"
	"	duration_ms ON attempts BEGIN\n" TALLY_SUB("old") TALLY_ADD("new") "END;\n";

/* v3: is row r one that counts for its board (reached it, not cancelled)? */
#define COUNTED(r) "(" r "reached AND coalesce(" r "failure_class, '') != 'cancelled')"

/* v3 columns; the v2 triggers go (the tallies get a new key). */
static const char v3_alter[] =
	"ALTER TABLE attempts ADD COLUMN reached INTEGER NOT NULL DEFAULT 1;\n"
	"ALTER TABLE attempts ADD COLUMN device TEXT;\n"
	"ALTER TABLE attempts ADD COLUMN by_id TEXT;\n"
	"DROP TRIGGER attempts_ai;\n"
	"DROP TRIGGER attempts_ad;\n"
	"DROP TRIGGER attempts_au;\n"
	"DROP TABLE tally;\n"
	"UPDATE attempts SET reached = 0 WHERE failure_class = 'cancelled'\n"
	"	AND chip IS NULL AND mac IS NULL;\n";

/* Flags and links again, over the attempts that count; the tallies by reached. */
static const char v3_derive[] =
	"UPDATE attempts SET first_in_period = 0, first_ok_in_period = 0, prev_ms = NULL,\n"
	"	prev_ok_ms = NULL;\n"
	"UPDATE attempts SET prev_ms = p.pm, prev_ok_ms = p.pok FROM (SELECT id,\n"
	"	max(CASE WHEN " COUNTED("") " THEN started_ms END) OVER w AS pm,\n"
	"	max(CASE WHEN outcome = 'ok' THEN started_ms END) OVER w AS pok\n"
	"	FROM attempts WINDOW w AS (PARTITION BY board_id ORDER BY started_ms, id\n"
	"		ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS p\n"
	"	WHERE attempts.id = p.id;\n"
	"UPDATE attempts SET first_in_period = 1 WHERE id IN (SELECT id FROM (SELECT id,\n"
	"	row_number() OVER (PARTITION BY board_id, period_id ORDER BY started_ms, id) AS n\n"
	"	FROM attempts WHERE " COUNTED("") ") WHERE n = 1);\n"
	"UPDATE attempts SET first_ok_in_period = 1 WHERE id IN (SELECT id FROM (SELECT id,\n"
	"	row_number() OVER (PARTITION BY board_id, period_id ORDER BY started_ms, id) AS n\n"
	"	FROM attempts WHERE outcome = 'ok') WHERE n = 1);\n"
	"CREATE TABLE tally (\n"
	"	period_id INTEGER NOT NULL REFERENCES periods(id),\n"
	"	slot INTEGER NOT NULL,\n"
	"	outcome TEXT NOT NULL,\n"
	"	failure_class TEXT NOT NULL,\n"
	"	firmware_sha256 TEXT NOT NULL,\n"
	"	reached INTEGER NOT NULL,\n"
	"	attempts INTEGER NOT NULL,\n"
	"	boards INTEGER NOT NULL,\n"
	"	boards_passed INTEGER NOT NULL,\n"
	"	first_ms INTEGER NOT NULL,\n"
	"	last_ms INTEGER NOT NULL,\n"
	"	PRIMARY KEY (period_id, slot, outcome, failure_class, firmware_sha256, reached)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO tally SELECT period_id, coalesce(slot, 0), outcome,\n"
	"	coalesce(failure_class, ''), coalesce(firmware_sha256, ''), reached != 0, count(*),\n"
	"	sum(first_in_period), sum(first_ok_in_period), min(started_ms),\n"
	"	max(coalesce(finished_ms, started_ms))\n"
	"	FROM attempts GROUP BY 1, 2, 3, 4, 5, 6;\n";

/* The key of a row's v3 tally group (prefix o or n: old/new). */
#define TALLY3_KEY(r) TALLY_KEY(r) " AND reached = (" r ".reached != 0)"

#define TALLY3_SUB(r)                                                                      \
	"UPDATE tally SET attempts = attempts - 1, boards = boards - " r ".first_in_period,\n" \
	"	boards_passed = boards_passed - " r ".first_ok_in_period\n"                     \
	"	WHERE " TALLY3_KEY(r) ";\n"                                                       \
	"UPDATE durations SET n = n - 1 WHERE period_id = " r ".period_id\n"                   \
	"	AND duration_ms = " r ".duration_ms;\n"

#define TALLY3_ADD(r)                                                                         \
	"INSERT INTO tally VALUES (" r ".period_id, coalesce(" r ".slot, 0), " r ".outcome,\n"      \
	"	coalesce(" r ".failure_class, ''), coalesce(" r ".firmware_sha256, ''),\n"           \
	"	" r ".reached != 0, 1, " r ".first_in_period, " r ".first_ok_in_period,\n"            \
	"	" r ".started_ms, coalesce(" r ".finished_ms, " r ".started_ms))\n"                   \
	"	ON CONFLICT (period_id, slot, outcome, failure_class, firmware_sha256, reached)\n"    \
	"	DO UPDATE SET attempts = attempts + 1, boards = boards + excluded.boards,\n"          \
	"	boards_passed = boards_passed + excluded.boards_passed,\n"                             \
	"	first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms);\n" \
	"INSERT INTO durations SELECT " r ".period_id, " r ".duration_ms, 1\n"                     \
	"	WHERE " r ".duration_ms IS NOT NULL\n"                                                 \
	"	ON CONFLICT (period_id, duration_ms) DO UPDATE SET n = n + 1;\n"

/* v3 indexes and triggers. */
static const char v3_finish[] =
	"CREATE INDEX attempts_device ON attempts(device, started_ms) WHERE device IS NOT NULL;\n"
	"CREATE INDEX attempts_by_id ON attempts(by_id, started_ms) WHERE by_id IS NOT NULL;\n"
	"CREATE TRIGGER attempts_ai AFTER INSERT ON attempts BEGIN\n" TALLY3_ADD("new")
	"INSERT OR IGNORE INTO firmwares SELECT new.firmware_sha256, new.firmware,\n"
	"	new.firmware_size WHERE new.firmware_sha256 IS NOT NULL;\n"
	"END;\n"
	"CREATE TRIGGER attempts_ad AFTER DELETE ON attempts BEGIN\n" TALLY3_SUB("old") "END;\n"
	"CREATE TRIGGER attempts_au AFTER UPDATE OF period_id, slot, outcome, failure_class,\n"
	"	firmware_sha256, reached, first_in_period, first_ok_in_period, started_ms,\n"
	"	finished_ms, duration_ms ON attempts BEGIN\n" TALLY3_SUB("old") TALLY3_ADD("new")
	"END;\n";

/* v4 (MQTT): the outbox of attempts not yet acknowledged by the broker, in
 * the order they ended; and, in a fleet's database, the id an attempt has at
 * the station that made it (origin_id), unique per station. While
 * outbox_on has its row (a station publishes: history_outbox_enable()),
 * every attempt of this station that ends - finished, a result kept while
 * the database was busy and written later, a journal replayed, a row left
 * running by a killed flashbay turned interrupted - enters the outbox in
 * the same write, whichever path wrote it. */
static const char v4_sql[] =
	"CREATE TABLE outbox (\n"
	"	seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	attempt_id INTEGER NOT NULL UNIQUE REFERENCES attempts(id) ON DELETE CASCADE\n"
	");\n"
	"CREATE TABLE outbox_on (one INTEGER PRIMARY KEY CHECK (one = 1));\n"
	"ALTER TABLE attempts ADD COLUMN origin_id INTEGER;\n"
	"CREATE UNIQUE INDEX attempts_origin ON attempts(station, origin_id)\n"
	"	WHERE origin_id IS NOT NULL;\n"
	"CREATE TRIGGER attempts_outbox AFTER UPDATE OF outcome ON attempts\n"
	"	WHEN old.outcome = 'running' AND new.outcome <> 'running'\n"
	"	AND new.origin_id IS NULL AND EXISTS (SELECT 1 FROM outbox_on) BEGIN\n"
	"	INSERT OR IGNORE INTO outbox (attempt_id) VALUES (new.id);\n"
	"END;\n";

/* v5: per-unit data - each attempt's serial, unit image and label, and the
 * serials handed out (history-serials.c): a serial is its table's key, so
 * it is never given twice, whatever the source. */
static const char v5_unit[] =
	"ALTER TABLE attempts ADD COLUMN serial TEXT;\n"
	"ALTER TABLE attempts ADD COLUMN unit_sha256 TEXT;\n"
	"ALTER TABLE attempts ADD COLUMN unit_label TEXT;\n"
	"CREATE INDEX attempts_serial ON attempts(serial) WHERE serial IS NOT NULL;\n"
	"CREATE TABLE serials (\n"
	"	serial TEXT PRIMARY KEY,\n"
	"	source TEXT NOT NULL,\n"
	"	seq INTEGER,\n"
	"	mac TEXT NOT NULL,\n"
	"	station TEXT,\n"
	"	allocated_ms INTEGER NOT NULL,\n"
	"	allocated_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX serials_mac ON serials(mac, source, allocated_ms);\n"
	"CREATE INDEX serials_seq ON serials(source, seq);\n";

/* Run one step of SQL; on error say which file could not be upgraded. */
static int run(struct history *h, const char *sql, struct strbuf *err)
{
	if (history_exec(h, sql) != SQLITE_OK)
		return history_fail(h, "upgrade", err);
	return 0;
}

/* Version 1 -> 2. */
static int migrate_v2(struct history *h, struct strbuf *err)
{
	int r = run(h, v2_rename, err);

	if (!r)
		r = run(h, v2_tables, err);
	if (!r)
		r = run(h, v2_copy, err);
	if (!r)
		r = run(h, v2_derive, err);
	if (!r)
		r = run(h, v2_finish, err);
	return r;
}

/* v3: the attempts that failed for a reason of the station never reached a
 * board (one bound statement per class of history_station_class()). */
static int v3_station_rows(struct history *h, struct strbuf *err)
{
	sqlite3_stmt *st = history_prepare(h, "UPDATE attempts SET reached = 0"
					      " WHERE failure_class = ?1");
	int rc = SQLITE_DONE, r = 0;

	if (!st)
		return history_fail(h, "upgrade", err);
	for (size_t i = 0; history_station_classes[i] && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, history_station_classes[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		r = history_fail(h, "upgrade", err);
	sqlite3_finalize(st);
	return r;
}

/* Version 2 -> 3. */
static int migrate_v3(struct history *h, struct strbuf *err)
{
	int r = run(h, v3_alter, err);

	if (!r)
		r = v3_station_rows(h, err);
	if (!r)
		r = run(h, v3_derive, err);
	if (!r)
		r = run(h, v3_finish, err);
	return r;
}

/* Version 3 -> 4. */
static int migrate_v4(struct history *h, struct strbuf *err)
{
	return run(h, v4_sql, err);
}

/* Version 4 (or 3) -> 5. */
static int migrate_v5(struct history *h, struct strbuf *err)
{
	return run(h, v5_unit, err);
}

int history_schema_check(struct history *h, int64_t *version, struct strbuf *err)
{
	int64_t app = 0, tables = 0;

	sqlite3_stmt *st;
	int rc;

	/* one statement, so one snapshot: another process may be migrating */
	st = history_prepare(h, "SELECT (SELECT user_version FROM pragma_user_version), "
				"(SELECT application_id FROM pragma_application_id), "
				"(SELECT count(*) FROM sqlite_master)");
	if (!st)
		return history_fail(h, "open", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		app = sqlite3_column_int64(st, 1);
		tables = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return history_fail(h, "open", err);
	if ((*version == 0 && tables > 0) || (*version > 0 && app != APPLICATION_ID)) {
		strbuf_addf(err, "cannot open history database '%s': it is an SQLite database "
				 "but not a flashbay history (left untouched)", h->path);
		return -EINVAL;
	}
	if (*version > HISTORY_SCHEMA_VERSION) {
		strbuf_addf(err, "cannot open history database '%s': its schema version %lld is "
				 "newer than this flashbay knows (%d); use a newer flashbay",
			    h->path, (long long)*version, HISTORY_SCHEMA_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* The migrations from version v to the current one; in a transaction. */
static int migrate_from(struct history *h, int64_t v, struct strbuf *err)
{
	char sql[64];
	int r = 0;

	if (v < 1)
		r = run(h, schema_v1, err);
	if (!r && v < 2)
		r = migrate_v2(h, err);
	if (!r && v < 3)
		r = migrate_v3(h, err);
	if (!r && v < 4)
		r = migrate_v4(h, err);
	if (!r && v < 5)
		r = migrate_v5(h, err);
	if (!r) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", HISTORY_SCHEMA_VERSION);
		r = run(h, sql, err);
	}
	return r;
}

int history_schema_migrate(struct history *h, struct strbuf *err)
{
	int64_t v;
	int r = history_schema_check(h, &v, err);

	if (r || v == HISTORY_SCHEMA_VERSION)
		return r;
	r = history_tx_begin(h, err);
	if (r)
		return r;
	/* another process may have upgraded it while we waited for the lock */
	r = history_schema_check(h, &v, err);
	if (!r && v < HISTORY_SCHEMA_VERSION)
		r = migrate_from(h, v, err);
	return history_tx_end(h, r, err);
}
