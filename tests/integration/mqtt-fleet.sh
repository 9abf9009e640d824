#!/bin/sh
# The fleet side against a real mosquitto: `fleet --json` shows two stations
# (online/offline, mode, ok/fail, yield, last result) and the line totals;
# `fleet --db FILE` stores every attempt once by (station, attempt_id) -
# through a broker outage, a restart of the fleet, and a message sent twice -
# so `stats --by-station` and `export` give line-wide figures; malformed
# messages and bad station names in topics are refused, the fleet goes on.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
. "$srcdir/tests/integration/mqtt-lib.sh"
make_ports 3
PY=${PYTHON3:-python3}

st() {
	n=$1
	shift
	"$FLASHBAY" --config "$T/$n.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/$n.db" "$@"
}
for n in st-a st-b fleet; do
	sed "s/^name = .*/name = $n/" "$T/fb.conf" > "$T/$n.conf"
	mqtt_conf "$T/$n.conf"
done
rows() { "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*), count(DISTINCT station || \"/\" || origin_id) FROM attempts").fetchone())' "$T/fleet.db" 2>/dev/null; }
stored() { [ "$(rows)" = "($1, $1)" ]; }
fleet_start() {
	"$FLASHBAY" --config "$T/fleet.conf" --db "$T/fleet.db" fleet > "$T/fleet.out" 2>&1 &
	fleet_pid=$!
	wait_until 10 grep -q "^connected to" "$T/fleet.out"
	wait_until 10 sh -c "grep -c 'Received SUBSCRIBE from flashbay-fleet-fleet' '$T/broker/log' | grep -qv '^0$'"
}
fleet_stop() { kill "$fleet_pid" 2>/dev/null; wait "$fleet_pid"; }
on_exit fleet_stop

broker_start
fleet_start
st st-a flash $(port_args 2) > /dev/null 2>&1
st st-b flash --port "$T/ports/ttyUSB2" > /dev/null 2>&1
check "fleet --db: the three attempts of two stations are stored" wait_until 10 stored 3

j=$("$FLASHBAY" --config "$T/fleet.conf" fleet --json)
is "$?" 0 "fleet --json: exit 0"
is "$(printf '%s\n' "$j" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print([(s["station"], s["status"], s["mode"], s["ok"], s["failed"], s["first_pass_yield"], s["last"]["outcome"]) for s in d["stations"]])')" \
	"[('st-a', 'offline', 'manual', 2, 0, 1, 'ok'), ('st-b', 'offline', 'manual', 1, 0, 1, 'ok')]" \
	"... each station: offline (exited), mode, ok/fail, yield, last result"
is "$(printf '%s\n' "$j" | "$PY" -c 'import json, sys; t = json.load(sys.stdin)["totals"]; print(t["stations"], t["online"], t["attempts"], t["ok"], t["failed"], t["boards"], t["first_pass_yield"], t["units_per_hour"] > 0)')" \
	"2 0 3 3 0 3 1 True" "... and the line's totals"
err=$("$FLASHBAY" --config "$T/fleet.conf" fleet --json --broker mqtt://127.0.0.1:1 2>&1)
is "$?" 1 "fleet --json with no broker there: exit 1"
like "$err" "^flashbay fleet: cannot reach the broker mqtt://127.0.0.1:1 within 5 s: Connection refused" "... saying so"
err=$("$FLASHBAY" --config "$T/fleet.conf" fleet --json --broker http://x 2>&1)
is "$?" 2 "fleet --broker http://x: exit 2"
like "$err" "\[mqtt\] broker: 'http://x' is not an mqtt://" "... a usage error"

# the broker away: the stations keep their results, then everything arrives once
broker_stop
st st-a flash $(port_args 2) > /dev/null 2>&1
broker_start
st st-b flash --port "$T/ports/ttyUSB2" > /dev/null 2>&1
st st-a flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1
check "a broker outage: the fleet gets the waiting attempts once it is back (7 in all)" wait_until 40 stored 7
like "$(cat "$T/fleet.out")" "warning: broker mqtt://127.0.0.1:$MQTT_PORT: connection lost \(trying again\)" \
	"... the fleet said it lost the broker"

# the fleet away: its session keeps what comes meanwhile
fleet_stop
st st-b flash --port "$T/ports/ttyUSB1" > /dev/null 2>&1
fleet_start
check "the fleet restarted: what came while it was away is stored (8)" wait_until 20 stored 8

# the same message twice, malformed messages, a bad station name
msg=$(st st-b history --json --limit 1 | "$PY" -c 'import json, sys; d = json.load(sys.stdin)[0]; d["attempt_id"] = d["id"]; print(json.dumps(d))')
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-b/attempts -q 1 -m "$msg"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-b/attempts -q 1 -m '{"station": "st-b", "attempt_id": '
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t 'fbt/bad name/attempts' -q 1 -m "$msg"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t fbt/st-c/attempts -q 1 -m "$msg"
check "... malformed, a bad name, a foreign station: refused with a warning" \
	wait_until 10 sh -c "[ \$(grep -c '^warning: message on' '$T/fleet.out') -ge 3 ]"
like "$(cat "$T/fleet.out")" "refused: malformed JSON" "... malformed JSON"
like "$(cat "$T/fleet.out")" "'fbt/bad name/attempts' refused: a station name must be" "... a station name with a space"
like "$(cat "$T/fleet.out")" "'fbt/st-c/attempts' refused: its \"station\" is not the topic's" \
	"... a payload of another station"
is "$(rows)" "(8, 8)" "... and an attempt sent twice is stored once"
kill -0 "$fleet_pid"
ok $? "the fleet still runs"
fleet_stop

s=$("$FLASHBAY" --db "$T/fleet.db" stats --by-station --json)
is "$(printf '%s\n' "$s" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["attempts"], [(x["station"], x["attempts"], x["ok"], x["boards"]) for x in d["by_station"]])')" \
	"8 [('st-a', 5, 5, 2), ('st-b', 3, 3, 2)]" "stats --by-station on the fleet's database: line-wide and per station"
c=$("$FLASHBAY" --db "$T/fleet.db" export --csv - | "$PY" -c 'import csv, sys; r = list(csv.DictReader(sys.stdin)); print(len(r), sorted({x["station"] for x in r}))')
is "$c" "8 ['st-a', 'st-b']" "export of the fleet's database: every station's attempts"
done_testing
