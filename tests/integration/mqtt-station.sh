#!/bin/sh
# Stations publishing over MQTT to a real mosquitto broker: [mqtt] refused
# when wrong (exit 2, nothing done), each attempt on <topic>/<station>/attempts
# with the fields of `history --json` and its attempt_id, the retained status
# (online, then offline at exit), two stations with their own names and
# databases; the broker down: flashing goes on with one warning, the results
# wait in the outbox across a restart of flashbay and arrive once when the
# broker is back, also when it comes back while flashbay runs.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
. "$srcdir/tests/integration/mqtt-lib.sh"
make_ports 4
PY=${PYTHON3:-python3}

conf() { # conf NAME [EXTRA LINES]: a station config $T/NAME.conf
	sed "s/^name = .*/name = $1/" "$T/fb.conf" > "$T/$1.conf"
	mqtt_conf "$T/$1.conf"
	[ $# -lt 2 ] || printf '%s\n' "$2" >> "$T/$1.conf"
}
# st NAME ARGS...: flashbay as station NAME with its own database
st() {
	n=$1
	shift
	"$FLASHBAY" --config "$T/$n.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/$n.db" "$@"
}
outbox() { "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM outbox").fetchone()[0])' "$T/$1.db"; }
seen() { [ "$(count_attempts "$T/sub-all.out")" -ge "$1" ]; }

# --- refused before anything runs
refused() { # refused WHAT PATTERN [CONF LINES]
	conf bad "$3"
	err=$(st bad flash $(port_args 1) 2>&1)
	rc=$?
	is "$rc" 2 "$1: exit 2"
	like "$err" "$2" "... saying why"
	[ ! -e "$T/bad.db" ]
	ok $? "... nothing was done (no history)"
}
refused "an http:// broker" "^flashbay: \[mqtt\] broker: 'http://127.0.0.1:1' is not an mqtt://" \
	"broker = http://127.0.0.1:1"
printf 'secret\n' > "$T/pw"
chmod 644 "$T/pw"
refused "a password file others can read" "password_file '$T/pw': other users can read or change it \(mode 0644\); refused: run chmod 600" \
	"username = st
password_file = $T/pw"
refused "a missing ca_file" "\[mqtt\] ca_file '$T/nope.pem': No such file" \
	"broker = mqtts://127.0.0.1:$MQTT_PORT
ca_file = $T/nope.pem"
refused "qos 3" "\[mqtt\] qos: '3' is not a whole number from 0 to 2" "qos = 3"
conf bad
sed -i 's/^name = bad$/name = bench 1/' "$T/bad.conf"
err=$(st bad flash $(port_args 1) 2>&1)
is "$?" 2 "a station name with a space and [mqtt] enabled: exit 2"
like "$err" "^flashbay: \[station\] name 'bench 1': ' ' is not allowed: with \[mqtt\] enabled the name is an MQTT topic level" \
	"... naming the character and why"
sed -i 's/^enabled = yes$/enabled = no/' "$T/bad.conf"
st bad flash $(port_args 1) > /dev/null 2>&1
is "$?" 0 "... the same name is fine with [mqtt] disabled"

# --- two stations publish; a subscriber sees every attempt once
broker_start
sub_start all -c -i fbt-watch -q 1 -t 'fbt/#'
wait_until 10 grep -q 'New client connected.*fbt-watch' "$T/broker/log"
conf st-a
conf st-b
st st-a flash $(port_args 2) > "$T/a.out" 2> "$T/a.err"
is "$?" 0 "station st-a flashes two boards: exit 0"
st st-b flash --port "$T/ports/ttyUSB2" > /dev/null 2>&1
is "$?" 0 "station st-b flashes one board"
check "the subscriber sees the three attempts" wait_until 10 seen 3
is "$(grep -c '^fbt/st-a/attempts ' "$T/sub-all.out") $(grep -c '^fbt/st-b/attempts ' "$T/sub-all.out")" "2 1" \
	"... on <topic>/<station>/attempts"
is "$(dup_attempts "$T/sub-all.out")" 0 "... each once"
st st-a history --json --limit 1 | "$PY" -c 'import json, sys; print(sorted(json.load(sys.stdin)[0]))' > "$T/keys.want"
grep '^fbt/st-a/attempts ' "$T/sub-all.out" | head -n 1 | cut -d' ' -f2- |
	"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(sorted(k for k in d if k != "attempt_id"), d["attempt_id"] == d["id"], d["station"], d["outcome"])' > "$T/keys.got"
is "$(cat "$T/keys.got")" "$(cat "$T/keys.want") True st-a ok" \
	"an attempt message: the fields of history --json, attempt_id, station, outcome"
is "$(outbox st-a)" 0 "the broker acknowledged them: st-a's outbox is empty"
status=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-a/status -C 1 -W 5)
is "$(printf '%s\n' "$status" | json_field status) $(printf '%s\n' "$status" | json_field counters.attempts) $(printf '%s\n' "$status" | json_field mode)" \
	"offline 2 manual" "the retained status after a clean exit: offline, with its counters"
is "$(printf '%s\n' "$status" | "$PY" -c 'import json, sys; print([(s["slot"], s["state"]) for s in json.load(sys.stdin)["slots"]])')" \
	"[(1, 'pass'), (2, 'pass')]" "... and each slot's state"
grep '^fbt/st-a/status ' "$T/sub-all.out" | head -n 1 | cut -d' ' -f2- | json_field status > "$T/first"
is "$(cat "$T/first")" "online" "... online while it ran"

# --- the broker down: flashing goes on, results wait in the outbox
broker_stop
st st-a flash $(port_args 2) > "$T/a.out" 2> "$T/a.err"
is "$?" 0 "broker down: st-a still flashes, exit 0"
like "$(tail -n 1 "$T/a.out")" "2 boards: 2 passed" "... both pass"
is "$(grep -c 'MQTT' "$T/a.err")" 1 "... one warning about MQTT"
like "$(cat "$T/a.err")" "MQTT: broker mqtt://127.0.0.1:$MQTT_PORT: Connection refused; flashing goes on" "... saying the broker refused"
is "$(outbox st-a)" 2 "... the two attempts wait in the outbox"
st st-a flash --port "$T/ports/ttyUSB3" > /dev/null 2>&1
is "$(outbox st-a)" 3 "another run while it is down: three wait (the outbox outlives flashbay)"
"$PY" -c 'import sqlite3, sys; print(" ".join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("SELECT attempt_id FROM outbox ORDER BY seq")))' "$T/st-a.db" > "$T/outbox-order"

# --- back: the outbox goes first, each attempt once
broker_start
st st-a flash --port "$T/ports/ttyUSB0" > /dev/null 2> "$T/a.err"
is "$?" 0 "the broker is back: st-a flashes again"
check "the subscriber gets the three that waited and the new one" wait_until 15 seen 7
is "$(outbox st-a)" 0 "... the outbox is empty"
is "$(dup_attempts "$T/sub-all.out")" 0 "... each attempt once"
is "$(grep '^fbt/st-a/attempts ' "$T/sub-all.out" | cut -d' ' -f2- | json_field attempt_id | tail -n 4 | tr '\n' ' ')" \
	"$(cat "$T/outbox-order") 6 " "... those that waited first, in the order they ended"

# --- the broker goes away and comes back while a station runs
sed -i 's/^max_workers = .*/max_workers = 1/' "$T/st-b.conf"
FAKE_ESPTOOL_BEHAVIOUR=slow:60 st st-b monitor $(port_args 3) > "$T/b.out" 2> "$T/b.err" &
mon=$!
check "monitor: the first attempt arrives" wait_until 20 seen 8
broker_stop
"$PY" - "$T/st-b.db" <<'PY' || true
import sqlite3, sys, time
end = time.time() + 30
while time.time() < end:
    n = sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM attempts WHERE outcome != 'running' AND id > 1").fetchone()[0]
    if n >= 3:
        break
    time.sleep(0.05)
PY
is "$(outbox st-b)" 2 "... two attempts ended while the broker was away: in the outbox"
broker_start
check "... it reconnects by itself and they arrive" wait_until 40 seen 10
is "$(outbox st-b)" 0 "... its outbox is empty"
is "$(dup_attempts "$T/sub-all.out")" 0 "... each once"
like "$(cat "$T/b.err")" "MQTT: broker .*: connection lost; flashing goes on" "... the loss was a warning"
kill -INT "$(pgrep -f "^$FLASHBAY --config $T/st-b.conf")"
wait "$mon"
is "$?" 130 "Ctrl-C ends the monitor (exit 130)"
status=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-b/status -C 1 -W 5)
is "$(printf '%s\n' "$status" | json_field status) $(printf '%s\n' "$status" | json_field mode) $(printf '%s\n' "$status" | json_field waiting)" \
	"offline monitor 0" "... its retained status: offline, monitor mode, nothing waiting"

# --no-history: no outbox, so only the status is published
conf st-n
"$FLASHBAY" --config "$T/st-n.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
	--no-history flash --port "$T/ports/ttyUSB1" > /dev/null 2> "$T/n.err"
is "$?" 0 "--no-history with [mqtt]: exit 0"
like "$(cat "$T/n.err")" "warning: --no-history: attempts are not published over MQTT" "... saying attempts are not published"
status=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-n/status -C 1 -W 5)
is "$(printf '%s\n' "$status" | json_field status)" "offline" "... its status is"
is "$(printf '%s\n' "$status" | "$PY" -c 'import json, sys; c = json.load(sys.stdin)["counters"]; print(c["boards"], c["first_pass_yield"])')" \
	"0 None" "... a yield over no boards is null, not 0"
is "$(grep -c '^fbt/st-n/attempts ' "$T/sub-all.out")" 0 "... no attempt message"

# a broker that takes the connection and never answers: a warning after the
# keepalive (5 s), flashing is not held up
"$PY" - "$T/blackhole.port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
s.settimeout(30)
try:
    while True:
        held.append(s.accept()[0])
except Exception:
    pass
PY
hole=$!
wait_until 10 test -s "$T/blackhole.port"
conf st-h "keepalive = 5"
sed -i "s|^broker = .*|broker = mqtt://127.0.0.1:$(cat "$T/blackhole.port")|" "$T/st-h.conf"
st st-h monitor $(port_args 1) > "$T/h.out" 2> "$T/h.err" &
hmon=$!
check "a broker that never answers: a warning after the keepalive" \
	wait_until 15 grep -q 'MQTT: broker .*: no answer from the broker within 5 s; flashing goes on' "$T/h.err"
like "$(cat "$T/h.out")" "\[Done\] slot 1 .*PASS" "... the board was flashed meanwhile"
kill -INT "$(pgrep -f "^$FLASHBAY --config $T/st-h.conf")"
wait "$hmon"
kill "$hole"
is "$(outbox st-h)" 1 "... its result waits in the outbox"
done_testing
