#!/bin/sh
# MQTT, nothing lost whichever way an attempt ends (a real mosquitto broker):
# a flashbay killed with SIGKILL mid-flash - the broker sends its last will
# (offline) and the next flashbay publishes the attempt as interrupted; a
# result the history kept while the database was locked is published once
# the history took it, while flashbay still runs; a result that went to the
# journal at exit is published by the next flashbay that replays it; a long
# outage (more attempts than the station hands to libmosquitto at once)
# arrives whole, each attempt once, in the order they ended; with [mqtt]
# off, attempts no longer enter the outbox.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
. "$srcdir/tests/integration/mqtt-lib.sh"
make_ports 8
PY=${PYTHON3:-python3}
DB="$T/history.db"
export FLASHBAY_BUSY_TIMEOUT_MS=300
sed -i 's/^name = .*/name = st-x/' "$T/fb.conf"
mqtt_conf "$T/fb.conf"

sql() {
	"$PY" - "$DB" "$1" <<'PYEOF'
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print('' if r is None or r[0] is None else r[0])
PYEOF
}
seen() { [ "$(count_attempts "$T/sub-all.out")" -ge "$1" ]; }
running_rows() { [ "$(sql "SELECT count(*) FROM attempts WHERE outcome = 'running'")" = "$1" ]; }
# the outcome of the published attempt with id $1
published_outcome() {
	grep '^fbt/st-x/attempts ' "$T/sub-all.out" | cut -d' ' -f2- |
		"$PY" -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if d["attempt_id"] == int(sys.argv[1]):
        print(d["outcome"], d.get("failure_class"))' "$1" | head -n 1
}

broker_start
sub_start all -c -i fbt-watch -q 1 -t 'fbt/#'
wait_until 10 grep -q 'New client connected.*fbt-watch' "$T/broker/log"
fb flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1
check "a first attempt is published" wait_until 10 seen 1

# --- killed with SIGKILL mid-flash
FAKE_ESPTOOL_BEHAVIOUR='slow:3000' "$FLASHBAY" --config "$FBCONF" --no-udev --sysfs-root "$T/sys" \
	--dev-root "$T/dev" --db "$DB" flash --port "$T/ports/ttyUSB1" > /dev/null 2>&1 &
fbpid=$! # flashbay itself (fb would be a subshell)
check "a flash begins (a running row)" wait_until 20 running_rows 1
wait_until 10 grep -q "fbt/st-x/status .*\"online\"" "$T/sub-all.out"
killed=$(sql "SELECT id FROM attempts WHERE outcome = 'running'")
kill -9 "$fbpid"
wait "$fbpid" 2>/dev/null
offline() { [ "$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-x/status -C 1 -W 5 | json_field status)" = offline ]; }
check "killed: the broker sends the last will, the retained status is offline" wait_until 15 offline
fb flash --port "$T/ports/ttyUSB2" > /dev/null 2>&1
is "$?" 0 "the next flashbay flashes"
check "... and publishes the killed one's attempt" wait_until 15 seen 3
is "$(published_outcome "$killed")" "interrupted interrupted" "... as interrupted"
is "$(sql "SELECT count(*) FROM outbox")" 0 "... the outbox is empty"

# --- a result kept while the database is locked, published once written
FAKE_ESPTOOL_BEHAVIOUR='ttyUSB3=slow:300,ttyUSB4=slow:3000' \
	fb flash --port "$T/ports/ttyUSB3" --port "$T/ports/ttyUSB4" > /dev/null 2> "$T/err1" &
fbpid=$!
wait_until 20 running_rows 2
db_lock "$DB"
check "the first board ends while the history is locked: its result is kept" \
	wait_until 20 grep -q "keeping 1 result" "$T/err1"
db_unlock
check "... the lock released, the attempt is published" wait_until 15 seen 4
kill -0 "$fbpid" 2>/dev/null
ok $? "... while flashbay still runs"
wait "$fbpid"
is "$?" 0 "both boards pass: exit 0"
check "... and the second is published too" wait_until 10 seen 5

# --- a result that went to the journal at exit: published by the next flashbay
FAKE_ESPTOOL_BEHAVIOUR='slow:300' fb flash --port "$T/ports/ttyUSB5" > /dev/null 2> "$T/err2" &
fbpid=$!
wait_until 20 running_rows 1
db_lock "$DB"
wait "$fbpid"
is "$?" 1 "locked until the end: the result goes to the journal (exit 1)"
db_unlock
test -s "$DB.pending"
ok $? "... the journal is there"
fb flash --port "$T/ports/ttyUSB6" > /dev/null 2>&1
is "$?" 0 "the next flashbay replays the journal and flashes"
check "... and publishes both attempts" wait_until 15 seen 7
is "$(dup_attempts "$T/sub-all.out")" 0 "every attempt so far once"

# --- a long outage: more attempts than are handed to libmosquitto at once
broker_stop
for i in 1 2 3 4 5; do
	fb flash $(port_args 8) > /dev/null 2>&1 || break
done
is "$(sql "SELECT count(*) FROM outbox")" 40 "broker down: 40 attempts wait in the outbox"
"$PY" -c 'import sqlite3, sys; print(" ".join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("SELECT attempt_id FROM outbox ORDER BY seq")))' "$DB" > "$T/order"
broker_start
fb flash --port "$T/ports/ttyUSB7" > /dev/null 2>&1
check "the broker back: all 41 arrive" wait_until 30 seen 48
is "$(dup_attempts "$T/sub-all.out")" 0 "... each once"
is "$(grep '^fbt/st-x/attempts ' "$T/sub-all.out" | cut -d' ' -f2- | json_field attempt_id | tail -n 41 | head -n 40 | tr '\n' ' ')" \
	"$(cat "$T/order") " "... those that waited in the order they ended"
is "$(sql "SELECT count(*) FROM outbox")" 0 "... the outbox is empty"

# --- [mqtt] off: attempts no longer enter the outbox
sed -i 's/^enabled = yes$/enabled = no/' "$T/fb.conf"
fb flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1
is "$(sql "SELECT count(*) FROM outbox"):$(sql "SELECT count(*) FROM outbox_on")" "0:0" \
	"[mqtt] off: the attempt does not enter the outbox"
done_testing
