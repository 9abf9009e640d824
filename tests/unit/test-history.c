/* test-history.c - the history API on real database files in a temp dir:
 * records, board grouping for first-pass yield, periods, recovery, errors,
 * and the tally tables checked against a plain count of the rows. */
#include "autoconf.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "history-internal.h"
#include "history-query.h"
#include "xalloc.h"

static char dir[] = "/tmp/fb-history-XXXXXX";
static struct strbuf err = STRBUF_INIT;
#define T0 1795255200000LL /* 2026-11-21T10:00:00Z */

/* A fresh database path in the temp dir. */
static const char *db_path(const char *name)
{
	static char p[512];

	/* the folder exists: flashbay makes only its default one */
	snprintf(p, sizeof p, "%s/%s", dir, name);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/%s/history.db", dir, name);
	return p;
}

/* A path in a folder that does not exist. */
static const char *new_path(const char *name)
{
	static char p[512];

	snprintf(p, sizeof p, "%s/%s/history.db", dir, name);
	return p;
}

/* An attempt with nothing known. */
static struct attempt att(int64_t start_s, const char *unit)
{
	return (struct attempt){ .started_ms = T0 + start_s * 1000, .unit = unit, .slot = 1,
				 .exit_code = -1, .duration_ms = -1, .bytes_written = -1 };
}

/* Finish row id as outcome (class when failed) at end_s with mac. */
static int fin(struct history *h, int64_t id, int64_t end_s, const char *outcome,
	       const char *cls, const char *mac)
{
	struct attempt a = att(0, NULL);

	a.finished_ms = T0 + end_s * 1000;
	a.outcome = outcome;
	a.failure_class = cls;
	a.mac = mac;
	a.duration_ms = 1000;
	return history_finish(h, id, &a, &err);
}

/* One integer from SQL on a separate connection. */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void open_creates(void)
{
	const char *p = new_path("new/deeper");
	struct history *h;
	struct stat st;
	char folder[512];

	is_int(history_open_reader(p, &h, &err), -ENOENT, "the reader does not create a database");
	ok(strstr(err.buf, "no history yet at ") != NULL, "... and says there is no history yet");
	strbuf_reset(&err);
	strbuf_reset(&err);
	is_int(history_open(p, &h, &err), -ENOENT, "open makes no folder for a path of the user's");
	ok(strstr(err.buf, "does not exist") != NULL, "... and says the folder does not exist");
	snprintf(folder, sizeof folder, "%s/new/deeper", dir);
	ok(stat(folder, &st) < 0, "... none is made");
	/* flashbay's own default place: $XDG_STATE_HOME/flashbay/history.db */
	snprintf(folder, sizeof folder, "%s/new", dir);
	setenv("XDG_STATE_HOME", folder, 1);
	p = new_path("new/flashbay");
	strbuf_reset(&err);
	is_int(history_open(p, &h, &err), 0, "open creates its default folder and database");
	snprintf(folder, sizeof folder, "%s/new/flashbay", dir);
	ok(!stat(folder, &st) && (st.st_mode & 0777) == 0700, "the folder is created 0700");
	history_close(h);
	is_int(sql_int(p, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION, "schema version stored");
	is_int(sql_int(p, "SELECT count(*) FROM periods"), 1, "a new history has period 1");
}

static void begin_finish(void)
{
	const char *p = db_path("bf");
	struct history *h;
	struct attempt a = att(0, "u1");
	int64_t id;

	history_open(p, &h, &err);
	a.port = "/dev/ttyUSB0";
	a.vid = 0x10c4;
	a.pid = 0xea60;
	is_int(history_begin(h, &a, &id, &err), 0, "begin");
	is_int(sql_int(p, "SELECT count(*) FROM attempts WHERE outcome = 'running'"), 1,
	       "the row is there while the job runs");
	is_int(fin(h, id, 20, "ok", NULL, "24:0A:C4:12:34:56"), 0, "finish");
	is_int(sql_int(p, "SELECT finished_ms - started_ms FROM attempts"), 20000, "times stored");
	is_int(sql_int(p, "SELECT mac = '24:0a:c4:12:34:56' FROM attempts"), 1, "MAC lower case");
	is_int(sql_int(p, "SELECT vid = 4292 AND pid = 60000 FROM attempts"), 1, "USB ids stored");
	is_int(fin(h, 999, 30, "ok", NULL, NULL), -ENOENT, "finishing an unknown row: -ENOENT");
	ok(strstr(err.buf, "no attempt 999") && strstr(err.buf, p), "... naming row and file");
	strbuf_reset(&err);
	is_int(fin(h, id, 30, "maybe", NULL, NULL), -EINVAL, "an unknown outcome: -EINVAL");
	strbuf_reset(&err);
	history_close(h);
}

/* Counters of h. */
static struct history_counters counters(struct history *h)
{
	struct history_counters c;

	history_counters(h, &c);
	return c;
}

static void boards_by_unit_and_mac(void)
{
	struct history *h;
	struct attempt a;
	int64_t id;

	history_open(db_path("boards"), &h, &err);
	/* board A: no sync (no MAC learned), retried in the same plug-in, passes */
	a = att(0, "u1");
	history_begin(h, &a, &id, &err);
	fin(h, id, 5, "failed", "no_sync", NULL);
	a = att(10, "u1");
	history_begin(h, &a, &id, &err);
	fin(h, id, 30, "ok", NULL, "24:0a:c4:00:00:0a");
	is_int(counters(h).attempts, 2, "two attempts");
	ok(counters(h).first_pass_yield == 0.0, "a retry in the same plug-in is the same board");
	/* board A again, re-plugged: not a new board */
	a = att(40, "u2");
	history_begin(h, &a, &id, &err);
	fin(h, id, 60, "ok", NULL, "24:0a:c4:00:00:0a");
	/* board B passes at once; a retry of u3 without a MAC still joins it */
	a = att(70, "u3");
	history_begin(h, &a, &id, &err);
	fin(h, id, 90, "ok", NULL, "24:0a:c4:00:00:0b");
	a = att(95, "u3");
	history_begin(h, &a, &id, &err);
	fin(h, id, 99, "failed", "no_sync", NULL);
	is_int(sql_int(db_path("boards"), "SELECT count(DISTINCT board_id) FROM attempts"), 2,
	       "five attempts, two boards");
	ok(counters(h).first_pass_yield == 0.5, "first-pass yield 1 of 2");
	ok(counters(h).units_per_hour == 2 / (99.0 / 3600), "units per hour: 2 boards in 99 s");
	is_int(counters(h).failed, 2, "failed counts both failures");
	history_close(h);
}

static void klipper_board_key(void)
{
	struct history *h;
	struct attempt a;
	int64_t id;

	history_open(db_path("klipper"), &h, &err);
	a = att(0, "k1");
	a.board = "printer-main";
	history_record(h, &(struct attempt){ .started_ms = T0, .unit = "k1", .board = "printer-main",
					     .outcome = "failed", .failure_class = "did_not_return",
					     .exit_code = 2, .duration_ms = 5, .bytes_written = -1,
					     .finished_ms = T0 + 5 },
		       &id, &err);
	a = att(100, "k2"); /* a new plug-in, the same named board */
	a.board = "printer-main";
	a.outcome = "ok";
	a.finished_ms = T0 + 200000;
	is_int(history_record(h, &a, &id, &err), 0, "record a whole attempt");
	ok(counters(h).first_pass_yield == 0.0, "a Klipper board is its board key");
	history_close(h);
}

/* Finish row id as failed with class cls; heard: the tool reported the chip. */
static int fin_heard(struct history *h, int64_t id, int64_t end_s, const char *cls, int heard)
{
	struct attempt a = att(0, NULL);

	a.finished_ms = T0 + end_s * 1000;
	a.outcome = "failed";
	a.failure_class = cls;
	a.heard = heard;
	return history_finish(h, id, &a, &err);
}

static void apart_from_failures(void)
{
	const char *p = db_path("apart");
	struct history *h;
	struct attempt a;
	int64_t id;

	history_open(p, &h, &err);
	a = att(0, "u1"); /* the port was busy: it never reached the board */
	history_begin(h, &a, &id, &err);
	fin_heard(h, id, 1, "port_busy", 0);
	is_int(counters(h).boards, 0, "an attempt that never reached a board counts no board");
	is_int(counters(h).not_started, 1, "... it is not started");
	is_int(counters(h).failed, 0, "... and no failure");
	a = att(10, "u1");
	history_begin(h, &a, &id, &err);
	fin(h, id, 20, "ok", NULL, "24:0a:c4:00:00:01");
	ok(counters(h).first_pass_yield == 1.0, "the board's first attempt is the one that reached it");
	a = att(30, "u2"); /* stopped by the operator mid-flash, then passes */
	history_begin(h, &a, &id, &err);
	fin_heard(h, id, 35, "cancelled", 1);
	is_int(counters(h).cancelled, 1, "a cancelled attempt is counted apart");
	is_int(counters(h).failed, 0, "... not as a failure");
	is_int(counters(h).boards, 1, "... and is no board's first attempt");
	a = att(40, "u2");
	history_begin(h, &a, &id, &err);
	fin(h, id, 50, "ok", NULL, "24:0a:c4:00:00:02");
	ok(counters(h).first_pass_yield == 1.0, "... so its board passed first time");
	a = att(60, "u3"); /* tool_missing, then a real failure, then a pass */
	a.outcome = "failed";
	a.failure_class = "tool_missing";
	a.finished_ms = T0 + 61000;
	history_record(h, &a, &id, &err);
	a = att(62, "u3");
	history_begin(h, &a, &id, &err);
	fin_heard(h, id, 70, "mcu_mismatch", 1);
	a = att(80, "u3");
	history_begin(h, &a, &id, &err);
	fin(h, id, 90, "ok", NULL, NULL);
	is_int(counters(h).boards, 3, "three boards");
	is_int(counters(h).failed, 1, "a station's class the tool heard the board in is a failure");
	ok(counters(h).first_pass_yield * 3 > 1.999 && counters(h).first_pass_yield * 3 < 2.001,
	   "first-pass yield 2 of 3");
	is_int(sql_int(p, "SELECT group_concat(reached, '') = '0111011' FROM (SELECT reached"
			  " FROM attempts ORDER BY id)"), 1, "reached as stored, row by row");
	history_close(h);
}

static void out_of_order(void)
{
	const char *p = db_path("order");
	struct history *h;
	struct attempt a = att(100, "x");

	history_open(p, &h, &err);
	a.mac = "aa:bb:cc:dd:ee:ff";
	a.outcome = "ok";
	a.finished_ms = T0 + 120000;
	history_record(h, &a, NULL, &err);
	a = att(10, "y");
	a.mac = "AA:BB:CC:DD:EE:FF";
	a.outcome = "failed";
	a.failure_class = "timeout";
	a.finished_ms = T0 + 20000;
	history_record(h, &a, NULL, &err);
	is_int(sql_int(p, "SELECT id FROM attempts WHERE first_in_period = 1"), 2,
	       "an earlier attempt recorded later becomes its board's first");
	ok(counters(h).first_pass_yield == 0.0, "... so the board did not pass first time");
	history_close(h);
}

static void running_and_periods(void)
{
	const char *p = db_path("periods");
	struct history *h;
	struct history_stats s;
	struct history_scope sc = { .kind = HISTORY_SCOPE_PERIOD, .period = 1 };
	struct attempt a = att(0, "r1");
	int64_t id, id2;

	history_open(p, &h, &err);
	history_begin(h, &a, &id, &err);
	is_int(counters(h).attempts, 1, "a running attempt counts as an attempt");
	ok(counters(h).first_pass_yield == 0.0, "... but not as a board yet");
	is_int(history_reset_period(h, &err), 0, "reset the period");
	is_int(counters(h).attempts, 0, "the new period is empty");
	fin(h, id, 10, "ok", NULL, NULL);
	is_int(counters(h).attempts, 0, "an attempt begun before the reset stays in its period");
	a = att(20, "r2");
	history_begin(h, &a, &id2, &err);
	fin(h, id2, 30, "ok", NULL, NULL);
	is_int(counters(h).passed, 1, "attempts after the reset count in the new period");
	is_int(history_stats(h, &sc, &s, &err), 0, "stats of period 1");
	is_int(s.ok, 1, "period 1 kept its attempt");
	ok(s.first_pass_yield == 1.0, "period 1 yield");
	history_stats_release(&s);
	sc.period = 7;
	is_int(history_stats(h, &sc, &s, &err), -ENOENT, "an unknown period: -ENOENT");
	history_stats_release(&s);
	strbuf_reset(&err);
	history_close(h);
	is_int(sql_int(p, "SELECT count(*) FROM attempts"), 2, "nothing was deleted");
}

static void batch_rollback(void)
{
	const char *p = db_path("batch");
	struct history *h;
	struct attempt a = att(0, "b");

	a.outcome = "ok";
	a.finished_ms = T0 + 1;
	history_open(p, &h, &err);
	history_batch_begin(h, &err);
	history_record(h, &a, NULL, &err);
	history_record(h, &a, NULL, &err);
	is_int(history_batch_end(h, false, &err), -ECANCELED, "a batch can be rolled back");
	is_int(sql_int(p, "SELECT count(*) FROM attempts"), 0, "... leaving nothing");
	history_batch_begin(h, &err);
	history_record(h, &a, NULL, &err);
	is_int(history_batch_end(h, true, &err), 0, "a batch commits");
	history_close(h);
	is_int(sql_int(p, "SELECT count(*) FROM attempts"), 1, "... its rows");
	is_int(sql_int(p, "SELECT sum(attempts) FROM tally"), 1, "... and the tallies match");
}

static void owners(void)
{
	char *self = history_owner_self(), *other;
	const char *sp;

	ok(self != NULL, "this process has an owner id");
	ok(history_owner_alive(self, self), "this process is alive");
	ok(!history_owner_alive(NULL, self), "a row without owner is not");
	ok(!history_owner_alive("0000-other-boot 1 1", self), "another boot is not");
	sp = self ? strchr(self, ' ') : NULL;
	other = sp ? xasprintf("%.*s 999999999 12", (int)(sp - self), self) : NULL;
	ok(other && !history_owner_alive(other, self), "a pid that does not exist is not");
	free(other);
	other = sp ? xasprintf("%.*s %d 1", (int)(sp - self), self, (int)getpid()) : NULL;
	ok(other && !history_owner_alive(other, self), "a reused pid (other start time) is not");
	free(other);
	free(self);
}

static void recovery_in_process(void)
{
	const char *p = db_path("recover");
	struct history *h, *h2;
	struct attempt a = att(0, "r");
	int64_t id;
	sqlite3 *db;

	history_open(p, &h, &err);
	history_begin(h, &a, &id, &err);
	is_int(history_open(p, &h2, &err), 0, "a second writer opens");
	is_int(history_recovered(h2), 0, "a live owner's running row is left alone");
	history_close(h2);
	history_close(h);
	sqlite3_open(p, &db);
	sqlite3_exec(db, "UPDATE attempts SET owner = 'gone 1 1'", NULL, NULL, NULL);
	sqlite3_close(db);
	history_open_reader(p, &h, &err);
	is_int(history_recovered(h), 0, "a reader never recovers rows");
	history_close(h);
	history_open(p, &h, &err);
	is_int(history_recovered(h), 1, "a dead owner's running row is recovered");
	history_close(h);
	is_int(sql_int(p, "SELECT count(*) FROM attempts WHERE outcome = 'interrupted' AND"
			  " failure_class = 'interrupted' AND message LIKE '%crash%'"),
	       1, "... as interrupted, with class and message");
}

/* Random attempts with merges, retries, re-plugs and records out of order. */
static void random_history(struct history *h, unsigned seed)
{
	static const char *const cls[] = { "no_sync", "timeout", "unplugged", "cancelled",
					   "port_busy" };
	char unit[32], mac[32];
	int64_t open_ids[8] = { 0 };

	srand(seed);
	for (int i = 0; i < 600; i++) {
		int b = rand() % 40, slot = rand() % 8;
		struct attempt a = att(i * 10 + (rand() % 5), unit);

		snprintf(unit, sizeof unit, "u%d-%d", b, rand() % 3);
		snprintf(mac, sizeof mac, "24:0a:c4:00:00:%02x", b);
		a.started_ms += i; /* no two attempts start in the same ms */
		a.slot = slot;
		a.board = b >= 35 ? "klipper" : NULL;
		if (open_ids[slot]) {
			bool ok_ = rand() % 3;

			fin(h, open_ids[slot], i * 10, ok_ ? "ok" : "failed", ok_ ? NULL : cls[b % 5],
			    rand() % 2 && b < 35 ? mac : NULL);
			open_ids[slot] = 0;
		}
		if (rand() % 2) {
			history_begin(h, &a, &open_ids[slot], &err);
		} else {
			a.started_ms -= rand() % 2 ? 0 : 3000 * 1000; /* sometimes long ago */
			a.outcome = rand() % 4 ? "ok" : "failed";
			a.failure_class = strcmp(a.outcome, "ok") ? cls[rand() % 5] : NULL;
			a.mac = rand() % 2 && b < 35 ? mac : NULL;
			a.finished_ms = a.started_ms + 1000 + rand() % 100;
			a.duration_ms = seed % 2 ? rand() % 50 : rand() % 100000;
			history_record(h, &a, NULL, &err);
		}
	}
}

static void tally_matches_rows(unsigned seed, const char *name)
{
	struct history *h;
	struct history_stats t, w;
	struct history_scope cur = { .kind = HISTORY_SCOPE_CURRENT };
	struct history_scope win = { .kind = HISTORY_SCOPE_SINCE, .since_ms = 0 };
	bool same = true;

	history_open(db_path(name), &h, &err);
	random_history(h, seed);
	history_stats(h, &cur, &t, &err);
	history_stats(h, &win, &w, &err);
	diag("%ld attempts, %ld boards, %ld passed first", t.attempts, t.boards, t.boards_first_ok);
	is_int(t.attempts, w.attempts, "tally and rows agree: attempts");
	is_int(t.ok, w.ok, "... ok");
	is_int(t.failed, w.failed, "... failed");
	is_int(t.running, w.running, "... running");
	is_int(t.cancelled, w.cancelled, "... cancelled");
	is_int(t.not_started, w.not_started, "... not started");
	is_int(t.boards, w.boards, "... boards");
	is_int(t.boards_first_ok, w.boards_first_ok, "... boards passed first time");
	is_int(t.boards_passed, w.boards_passed, "... boards passed");
	is_int(t.duration_p50, w.duration_p50, "... duration p50");
	is_int(t.duration_p95, w.duration_p95, "... duration p95");
	is_int(t.first_ms, w.first_ms, "... first start");
	is_int(t.last_ms, w.last_ms, "... last end");
	is_int(t.n_slot, w.n_slot, "... slots");
	for (size_t i = 0; i < t.n_slot && i < w.n_slot; i++)
		same &= t.by_slot[i].slot == w.by_slot[i].slot &&
			t.by_slot[i].attempts == w.by_slot[i].attempts &&
			t.by_slot[i].failed == w.by_slot[i].failed;
	for (size_t i = 0; i < t.n_class && i < w.n_class; i++)
		same &= !strcmp(t.by_class[i].name, w.by_class[i].name) &&
			t.by_class[i].count == w.by_class[i].count;
	ok(same && t.n_class == w.n_class, "... per slot and per class");
	history_stats_release(&t);
	history_stats_release(&w);
	history_close(h);
}

/* Another connection holding the write lock (NULL: could not). */
static sqlite3 *lock_db(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL,
								  NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void unlock_db(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* The MAC stored on the row of unit, or "". */
static const char *mac_of(const char *path, const char *unit)
{
	static char mac[64];
	char sql[160];
	long long n;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM attempts WHERE unit = '%s'"
				  " AND mac = '24:0a:c4:00:00:%s' AND board_id = 'mac:24:0a:c4:00:00:%s'",
		 unit, unit, unit);
	n = sql_int(path, sql);
	snprintf(mac, sizeof mac, "%s", n == 1 ? unit : "");
	return mac;
}

/* Chip and MAC noted while the attempt runs: written at once (the row joins
 * the MAC's board), or kept while the database is locked, like the others. */
static void notes(void)
{
	const char *path = db_path("notes");
	struct history *h;
	struct attempt a;
	int64_t id[4];
	sqlite3 *lk;

	setenv("FLASHBAY_BUSY_TIMEOUT_MS", "50", 1);
	history_open(path, &h, &err);
	a = att(0, "c1");
	history_begin(h, &a, &id[0], &err);
	is_int(history_note(h, id[0], "ESP32-D0WD-V3", "24:0A:C4:00:00:C1", &err), 0, "a note is written");
	is_str(mac_of(path, "c1"), "c1", "... the MAC (lower-case) on the row, which joins its board");
	is_int(sql_int(path, "SELECT count(*) FROM attempts WHERE chip = 'ESP32-D0WD-V3'"), 1,
	       "... and the chip");
	is_int(counters(h).attempts, 1, "still one attempt");
	a = att(10, "c2");
	history_begin(h, &a, &id[1], &err);
	lk = lock_db(path);
	is_int(history_note(h, id[1], NULL, "24:0a:c4:00:00:c2", &err), 1, "locked: the note is kept");
	unlock_db(lk);
	is_int(history_retry(h), 0, "... and written by a retry");
	is_str(mac_of(path, "c2"), "c2", "... onto its row");
	lk = lock_db(path);
	a = att(20, "c3");
	history_begin(h, &a, &id[2], &err);
	ok(id[2] < 0, "locked: a begin is kept");
	is_int(history_note(h, id[2], NULL, "24:0a:c4:00:00:c3", &err), 1, "... its note rides on it");
	unlock_db(lk);
	is_int(history_retry(h), 0, "... both written by a retry");
	is_str(mac_of(path, "c3"), "c3", "... the row has the MAC");
	a = att(30, "c4");
	history_begin(h, &a, &id[3], &err);
	lk = lock_db(path);
	is_int(history_note(h, id[3], NULL, "24:0a:c4:00:00:c4", &err), 1, "locked again: kept");
	is_int(history_flush(h, &err), 1, "... journaled at the end");
	history_close(h);
	unlock_db(lk);
	history_open(path, &h, &err);
	is_int(history_replayed(h), 1, "the next open applies the journaled note");
	is_str(mac_of(path, "c4"), "c4", "... onto its still running row");
	is_int(fin(h, id[3], 40, "ok", NULL, "24:0a:c4:00:00:c4"), 0, "the noted row finishes");
	is_int(counters(h).boards, 1, "... one board ended, counted once");
	history_close(h);
	setenv("FLASHBAY_BUSY_TIMEOUT_MS", "2000", 1);
}

int main(void)
{
	if (!mkdtemp(dir))
		skip_all("no temp dir");
	setenv("FLASHBAY_BUSY_TIMEOUT_MS", "2000", 1);
	open_creates();
	begin_finish();
	boards_by_unit_and_mac();
	klipper_board_key();
	apart_from_failures();
	out_of_order();
	running_and_periods();
	batch_rollback();
	owners();
	recovery_in_process();
	notes();
	tally_matches_rows(41, "random1");
	tally_matches_rows(42, "random2");
	strbuf_release(&err);
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
