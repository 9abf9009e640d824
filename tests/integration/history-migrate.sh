#!/bin/sh
# Schema versions: a database made by an older schema (version 1, 2 or 3) is
# upgraded at open with its data intact (and the per-unit columns and
# serials table of schema 5 added); a newer or foreign one is refused and
# left untouched. The current version is the one a new database gets.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

mkdir -p "$T/state" "$T/fresh"
"$TH" "$T/fresh/h.db" open > /dev/null
CUR=$(DB=$T/fresh/h.db sql 'PRAGMA user_version')
# unit_schema DB: the per-unit columns (all NULL) and the empty serials table
unit_schema() {
	DB=$1 sql "SELECT count(*) || ' ' || count(serial) || count(unit_sha256) || count(unit_label) || ' ' || (SELECT count(*) FROM serials) FROM attempts"
}
# The version 1 schema as flashbay 0.1 created it, with its rows.
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""
PRAGMA application_id = 1178747225;
CREATE TABLE attempts (
	id INTEGER PRIMARY KEY,
	started_at TEXT NOT NULL,
	finished_at TEXT,
	station TEXT,
	slot INTEGER,
	port TEXT,
	chip TEXT,
	mac TEXT,
	board TEXT,
	method TEXT,
	firmware TEXT,
	firmware_sha256 TEXT,
	outcome TEXT NOT NULL,
	failure_class TEXT,
	message TEXT,
	exit_code INTEGER,
	duration_ms INTEGER,
	output TEXT
);
CREATE INDEX attempts_started_at ON attempts(started_at);
PRAGMA user_version = 1;
""")
rows = [
 ('2025-05-01T08:00:00.125Z', '2025-05-01T08:00:21.250Z', 'bench-1', 1, '/dev/ttyUSB0', 'ESP32-D0WD-V3 (revision v3.0)', '24:0A:C4:AA:00:01', None, 'esptool v4', '[{"path":"app.bin","offset":65536,"size":900000}]', 'c' * 64, 'failed', 'verify_failed', 'verify failed at 0x10000', 2, 21125, 'Connecting....\nA fatal error occurred: Verify failed'),
 ('2025-05-01T08:01:00.000Z', '2025-05-01T08:01:20.000Z', 'bench-1', 1, '/dev/ttyUSB0', 'ESP32-D0WD-V3 (revision v3.0)', '24:0a:c4:aa:00:01', None, 'esptool v4', '[{"path":"app.bin","offset":65536,"size":900000}]', 'c' * 64, 'ok', None, None, 0, 20000, 'Hash of data verified.\nHard resetting via RTS pin...'),
 ('2025-05-01T08:02:00.000Z', '2025-05-01T08:04:00.000Z', 'bench-1', None, '/dev/ttyACM0', 'stm32h723xx', None, 'voron-main', 'katapult', None, None, 'ok', None, None, 0, 120000, None),
 ('2025-05-01T08:05:00.000Z', None, 'bench-1', 2, '/dev/ttyUSB1', None, None, None, 'esptool v4', None, None, 'running', None, None, None, None, None),
]
c.executemany("INSERT INTO attempts (started_at, finished_at, station, slot, port, chip, mac, board, method, firmware, firmware_sha256, outcome, failure_class, message, exit_code, duration_ms, output) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
c.commit()
PYEOF
ok $? "a version 1 database with four attempts"
cp "$DB" "$T/v1.db"

# an upgrade that cannot take the lock fails cleanly and leaves version 1
"$PY" - "$DB" "$T/lock.ready" <<'PYEOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(30)
PYEOF
locker=$!
wait_until 10 test -e "$T/lock.ready"
err=$(fb stats 2>&1)
is "$?" 2 "upgrading a locked version 1 database: exit 2 (nothing was done)"
like "$err" "history database '$DB'.*locked" "... saying it is locked"
kill "$locker"; wait "$locker" 2>/dev/null
is "$(sql 'PRAGMA user_version')" "1" "... and it is still version 1"

j=$(fb history --json --limit 0)
is "$?" 0 "a reading command opens the version 1 database"
is "$(sql 'PRAGMA user_version')" "$CUR" "it was upgraded to the current version ($CUR)"
is "$(unit_schema "$DB")" "4 000 0" "... with the per-unit columns (serial, unit_sha256, unit_label) and the serials table"
is "$(printf '%s\n' "$j" | py 'len(d)')" "4" "every attempt is there"

# every version 1 column has the same value in version 2
"$PY" - "$T/v1.db" "$DB" <<'PYEOF'
import sqlite3, sys
cols = "id, started_at, finished_at, station, slot, port, chip, mac, board, method, firmware, firmware_sha256, outcome, failure_class, message, exit_code, duration_ms"
old = sqlite3.connect(sys.argv[1]).execute(f"SELECT {cols}, output FROM attempts ORDER BY id").fetchall()
new = sqlite3.connect(sys.argv[2]).execute(f"SELECT {', '.join('a.' + c.strip() for c in cols.split(','))}, o.output FROM attempts a LEFT JOIN attempt_output o ON o.attempt_id = a.id ORDER BY a.id").fetchall()
sys.exit(0 if old == new else 1)
PYEOF
ok $? "every value of every version 1 row is unchanged, tool output included"
is "$(sql "SELECT group_concat(started_ms - CAST(strftime('%s', started_at) AS INTEGER) * 1000) FROM attempts")" \
	"125,0,0,0" "integer start times derived to the millisecond"
is "$(sql 'SELECT count(*) FROM periods')" "1" "one statistics period"
is "$(printf '%s\n' "$j" | py 'd[0]["outcome"]')" "interrupted" \
	"a reader shows the old running row (no owner) as interrupted"
is "$(sql "SELECT count(*) FROM attempts WHERE outcome = 'running'")" "1" "... but does not recover rows"

j=$(fb stats --json)
is "$(printf '%s\n' "$j" | py 'd["attempts"], d["ok"], d["failed"], d["running"]')" "(4, 2, 2, 0)" \
	"stats of the upgraded history"
is "$(printf '%s\n' "$j" | py 'd["boards"], d["boards_first_pass"], round(d["first_pass_yield"], 3)')" "(3, 1, 0.333)" \
	"boards by MAC (any case) and board key"
is "$(printf '%s\n' "$j" | py 'd["by_class"], d["duration_ms_p50"]')" "({'interrupted': 1, 'verify_failed': 1}, 21125)" \
	"classes and durations from the version 1 rows"
is "$(fb history --mac 24:0a:c4:aa:00:01 | wc -l)" "3" "--mac finds MACs stored in either case"
s=$(fb stats --since 2000-01-01 --json)
is "$(printf '%s\n' "$s" | py '{k: v for k, v in d.items() if k not in ("scope", "since")}')" \
	"$(printf '%s\n' "$j" | py '{k: v for k, v in d.items() if k not in ("scope", "period", "period_started_at")}')" \
	"counting the upgraded rows (--since) agrees with the upgraded tallies"

is "$("$TH" "$DB" open)" "recovered 1" "the first station to open it recovers the old running row"
"$TH" "$DB" add unit=new slot=3 mac=24:0a:c4:aa:00:01 start=2025-05-01T09:00:00Z \
	end=2025-05-01T09:00:20Z >/dev/null
is "$(fb stats --json | py 'd["attempts"], d["boards"]')" "(5, 3)" "new attempts join the old boards"

# A version 2 history (tests/fixtures/history-v2.sql, as schema 2 wrote it):
# the upgrade tells the attempts that never reached a board (port_busy,
# tool_missing) and the cancelled ones apart, and counts boards again
V2="$T/v2/h.db"
mkdir -p "$T/v2"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read())' \
	"$V2" "$srcdir/tests/fixtures/history-v2.sql"
is "$(DB=$V2 sql 'PRAGMA user_version')" "2" "a version 2 database with eight attempts"
j=$("$FLASHBAY" --db "$V2" stats --json)
is "$(DB=$V2 sql 'PRAGMA user_version')" "$CUR" "... upgraded to the current version by a reader"
is "$(DB=$V2 sql "SELECT count(*) FROM sqlite_master WHERE name IN ('outbox', 'attempts_origin')")" "2" \
	"... with the MQTT outbox and the index of received attempts (schema 4)"
is "$(unit_schema "$V2")" "8 000 0" "... with the per-unit columns and the serials table"
is "$(printf '%s\n' "$j" | py 'd["attempts"], d["ok"], d["failed"], d["cancelled"], d["not_started"]')" \
	"(8, 3, 1, 2, 2)" "cancelled and never-started attempts are no longer failures"
is "$(printf '%s\n' "$j" | py 'd["boards"], d["boards_first_pass"], round(d["first_pass_yield"], 4)')" \
	"(3, 2, 0.6667)" "a board's first attempt is its first that reached it (schema 2 said 0 of 4)"
is "$(printf '%s\n' "$j" | py 'd["by_class"], d["not_started_by_class"]')" \
	"({'no_sync': 1}, {'port_busy': 1, 'tool_missing': 1})" "failures and never-started attempts by class"
s=$("$FLASHBAY" --db "$V2" stats --since 2000-01-01 --json)
is "$(printf '%s\n' "$s" | py '{k: v for k, v in d.items() if k not in ("scope", "since")}')" \
	"$(printf '%s\n' "$j" | py '{k: v for k, v in d.items() if k not in ("scope", "period", "period_started_at")}')" \
	"counting the upgraded rows (--since) agrees with the rebuilt tallies"
is "$(DB=$V2 sql "SELECT group_concat(reached, '') FROM (SELECT reached FROM attempts ORDER BY id)")" \
	"01010111" "reached: 0 for port_busy, tool_missing and a cancel before the board answered"
"$TH" "$V2" add unit=a5 slot=2 start=2025-07-01T09:10:00Z end=2025-07-01T09:10:01Z \
	outcome=failed class=cancelled >/dev/null
"$TH" "$V2" add unit=a5 slot=2 start=2025-07-01T09:10:05Z end=2025-07-01T09:10:25Z \
	outcome=ok >/dev/null
is "$("$FLASHBAY" --db "$V2" stats --json | py 'd["boards"], d["boards_first_pass"], d["cancelled"]')" \
	"(4, 3, 3)" "the triggers of version 3 keep the tallies after the upgrade"

# A version 3 history (tests/fixtures/history-v3.sql, as schema 3 wrote it):
# the upgrade keeps every row and value and adds the per-unit columns
V3="$T/v3/h.db"
mkdir -p "$T/v3"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read())' \
	"$V3" "$srcdir/tests/fixtures/history-v3.sql"
is "$(DB=$V3 sql 'PRAGMA user_version')" "3" "a version 3 database with three attempts"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("SELECT * FROM attempts ORDER BY id").fetchall())' \
	"$V3" > "$T/v3/before"
j=$("$FLASHBAY" --db "$V3" stats --json)
is "$(DB=$V3 sql 'PRAGMA user_version')" "$CUR" "... upgraded to the current version by a reader"
is "$(unit_schema "$V3")" "3 000 0" "... with the per-unit columns (all NULL) and an empty serials table"
"$PY" - "$V3" "$T/v3/before" <<'PYEOF'
import ast, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
old = open(sys.argv[2]).read().strip()
n = len(ast.literal_eval(old)[0])  # the version 3 columns; later versions add theirs after them
new = str([r[:n] for r in c.execute("SELECT * FROM attempts ORDER BY id").fetchall()])
sys.exit(0 if new == old else 1)
PYEOF
ok $? "... every version 3 value of every row unchanged"
is "$(printf '%s\n' "$j" | py 'd["attempts"], d["ok"], d["failed"], d["boards"], d["boards_first_pass"]')" \
	"(3, 2, 1, 2, 1)" "... and counted as before"
is "$("$FLASHBAY" --db "$V3" history --json --limit 0 | py '[(r["serial"], r["unit_sha256"], r["unit_label"]) for r in d]')" \
	"[(None, None, None), (None, None, None), (None, None, None)]" "... history --json names the new fields, null"

# newer than this program: refused, untouched
mkdir -p "$T/newer"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript("PRAGMA application_id = 1178747225; CREATE TABLE attempts (id INTEGER PRIMARY KEY, future TEXT); PRAGMA user_version = 999;")' "$T/newer/h.db"
sum=$(cksum < "$T/newer/h.db")
err=$("$FLASHBAY" --db "$T/newer/h.db" stats 2>&1)
is "$?" 2 "a newer schema: exit 2 (nothing was done)"
like "$err" "^flashbay stats: cannot open history database '$T/newer/h.db': its schema version 999 is newer than this flashbay knows \($CUR\)" \
	"... saying so, with the file"
err=$("$TH" "$T/newer/h.db" add unit=x 2>&1)
is "$?" 1 "a station refuses it too"
is "$(cksum < "$T/newer/h.db")" "$sum" "... and it is untouched"
[ ! -e "$T/newer/h.db-wal" ]
ok $? "... not even switched to WAL"

# another program's SQLite database: refused, untouched
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE contacts (name TEXT)"); c.commit()' "$T/foreign.db"
sum=$(cksum < "$T/foreign.db")
err=$("$TH" "$T/foreign.db" add unit=x 2>&1)
is "$?" 1 "another program's database: exit 1"
like "$err" "'$T/foreign.db': it is an SQLite database but not a flashbay history \(left untouched\)" \
	"... saying so"
is "$(cksum < "$T/foreign.db")" "$sum" "... and it is untouched"

done_testing
