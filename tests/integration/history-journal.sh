#!/bin/sh
# No result is lost: a flash that ends while another process holds the
# history database (or the disk is full) keeps its result, retries it while
# flashbay runs, and at exit puts it in the journal DB.pending, said loudly;
# the next open replays the journal (once, whoever opens) and a board that
# passed never ends up interrupted.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
PY=${PYTHON3:-python3}
DB="$T/history.db"
export FLASHBAY_BUSY_TIMEOUT_MS=300

sql() {
	"$PY" - "$DB" "$1" <<'PYEOF'
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print('' if r is None or r[0] is None else r[0])
PYEOF
}
py() { "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# ports: $T/ports/ttyUSB0.. are symlinks to ptys a background python holds
"$PY" - "$T/ports" 3 "$T/ptys.ready" <<'PYEOF' &
import os, pty, sys, time
held = []
for i in range(int(sys.argv[2])):
    m, s = pty.openpty()
    held.append((m, s))
    os.symlink(os.ttyname(s), "%s/ttyUSB%d" % (sys.argv[1], i))
open(sys.argv[3], "w").close()
time.sleep(600)
PYEOF
ptyholder=$!
stop_ptys() { kill "$ptyholder" 2>/dev/null; wait "$ptyholder" 2>/dev/null; true; }
on_exit stop_ptys
wait_until 10 test -e "$T/ptys.ready" || skip_all "cannot make ptys"

running_rows() { [ "$(sql "SELECT count(*) FROM attempts WHERE outcome = 'running'")" = "$1" ]; }
flashing() { kill -0 "$fbpid" 2>/dev/null; }

fb history >/dev/null 2>&1 # nothing yet
"$FLASHBAY" --db "$DB" stats --reset >/dev/null 2>&1
fb flash --port "$T/ports/ttyUSB2" >/dev/null 2>&1 # creates the history

# 1. locked while a board ends, released while another still flashes
FAKE_ESPTOOL_BEHAVIOUR='ttyUSB0=slow:300,ttyUSB1=slow:2500' \
	fb flash --port "$T/ports/ttyUSB0" --port "$T/ports/ttyUSB1" > "$T/out1" 2> "$T/err1" &
fbpid=$!
wait_until 20 running_rows 2
ok $? "two attempts begin (running rows)"
db_lock "$DB"
wait_until 20 grep -q "keeping 1 result" "$T/err1"
ok $? "the first board ends while the database is locked: flashbay says it keeps the result"
db_unlock
first_landed() { [ "$(sql "SELECT count(*) FROM attempts WHERE outcome = 'ok' AND port LIKE '%ttyUSB0'")" = 1 ]; }
wait_until 10 first_landed
ok $? "the lock released: the kept result lands"
flashing
ok $? "... while flashbay still runs (retried, not at exit)"
wait "$fbpid"
is "$?" 0 "both boards pass: exit 0"
is "$(sql "SELECT group_concat(outcome, ' ') FROM attempts WHERE port LIKE '%ttyUSB0' OR port LIKE '%ttyUSB1'")" \
	"ok ok" "both rows ok, none interrupted"
like "$(cat "$T/err1")" "took the results it could not take before" "... and flashbay says so"
[ ! -e "$DB.pending" ]
ok $? "no journal left"

# 2. locked until flashbay exits: the journal, then the next reader applies it
FAKE_ESPTOOL_BEHAVIOUR='slow:300' FAKE_ESPTOOL_MAC='ttyUSB0=24:0a:c4:aa:00:01,ttyUSB1=24:0a:c4:aa:00:02' \
	fb flash --port "$T/ports/ttyUSB0" --port "$T/ports/ttyUSB1" > "$T/out2" 2> "$T/err2" &
fbpid=$!
wait_until 20 running_rows 2
db_lock "$DB"
wait "$fbpid"
rc=$?
is "$rc" 1 "the results cannot be written before exit: exit 1"
like "$(cat "$T/err2")" "2 RESULTS NOT IN THE FLASH HISTORY '$DB': .*database is locked.*kept in the journal '$DB.pending'" \
	"a loud line: how many, why, and where they are kept"
like "$(cat "$T/out2")" "2 boards: 2 passed, 0 failed" "the boards themselves passed"
test -s "$DB.pending"
ok $? "the journal exists beside the database"
is "$(wc -l < "$DB.pending")" 2 "... one line per result"
db_unlock
is "$(sql "SELECT count(*) FROM attempts WHERE outcome = 'running'")" 2 "the rows are still running in the database"
cp "$DB.pending" "$T/journal.copy"
j=$("$FLASHBAY" --db "$DB" stats --json)
is "$(printf '%s\n' "$j" | py 'd["running"], d["interrupted"]')" "(0, 0)" \
	"the next stats replays the journal: nothing running or interrupted"
is "$(sql "SELECT count(*) FROM attempts WHERE mac LIKE '24:0a:c4:aa:%' AND outcome = 'ok'")" 2 \
	"both passes are in the history, with their MACs"
[ ! -e "$DB.pending" ]
ok $? "the journal is removed once applied"
n=$(sql "SELECT count(*) FROM attempts")
cp "$T/journal.copy" "$DB.pending"
"$FLASHBAY" --db "$DB" history >/dev/null
is "$(sql "SELECT count(*) FROM attempts"):$(sql "SELECT count(*) FROM attempts WHERE outcome = 'ok'")" \
	"$n:$n" "a journal replayed twice changes nothing"

# 3. locked before the attempts begin: whole results are kept and journaled
db_lock "$DB"
FAKE_ESPTOOL_BEHAVIOUR='slow:100' FAKE_ESPTOOL_MAC='24:0a:c4:bb:00:01' \
	fb flash --port "$T/ports/ttyUSB0" > "$T/out3" 2> "$T/err3"
is "$?" 1 "locked from the start: exit 1"
like "$(cat "$T/err3")" "1 RESULT NOT IN THE FLASH HISTORY" "... said loudly"
like "$(cat "$T/out3")" "1 board: 1 passed" "... the board passed"
db_unlock
"$FLASHBAY" --db "$DB" history --json > "$T/h3"
is "$(py '[(r["outcome"], r["mac"]) for r in d if r["mac"] == "24:0a:c4:bb:00:01"]' < "$T/h3")" \
	"[('ok', '24:0a:c4:bb:00:01')]" "the next reader applies it: one ok row"
[ ! -e "$DB.pending" ]
ok $? "... and removes the journal"

# 4. the journal cannot be written either: LOST, said loudly, exit 1
db_lock "$DB"
chmod 500 "$T" 2>/dev/null
if [ "$(id -u)" != 0 ]; then
	FAKE_ESPTOOL_BEHAVIOUR='slow:100' fb flash --port "$T/ports/ttyUSB0" > "$T/out4" 2> "$T/err4"
	is "$?" 1 "no journal possible: exit 1"
	like "$(cat "$T/err4")" "LOST" "... says the result is lost"
else
	diag "root: an unwritable folder cannot be made; the lost case is not run"
fi
chmod 700 "$T"
db_unlock

done_testing
