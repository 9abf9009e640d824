#!/bin/sh
# Figure 11, a line of stations over MQTT (issue 14), against a private
# mosquitto on 127.0.0.1:
# - the cost of publishing: `flashbay --demo 32 monitor --count 32` with
#   [mqtt] enabled and disabled: flashbay's CPU time (spawn-stats, children
#   excluded) difference per attempt; bytes per attempt message (payload and
#   topic, as mosquitto_sub received them) and all bytes the broker received
#   per attempt ($SYS/broker/bytes/received: attempts, statuses, CONNECT,
#   pings);
# - the fleet dashboard fed by 32 simulated stations (bench/mqtt-sim.py: a
#   status a second and an attempt every 2 s each): the fleet's CPU and the
#   bytes it writes to an 80x24 terminal per second (ptymeter).
. "$S/bench/lib.sh"

figure_no 11
PATH="$PATH:/usr/sbin:/sbin"
if ! command -v mosquitto >/dev/null || ! command -v mosquitto_sub >/dev/null; then
	figure "MQTT figures" "not measured: install mosquitto mosquitto-clients" "-" "-"
	exit 0
fi
bench_dir mqtt
pids=""
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nuser %s\nallow_anonymous true\nlog_dest none\nsys_interval 1\n' \
	"$port" "$(id -un)" >"$DIR/mosquitto.conf"
mosquitto -c "$DIR/mosquitto.conf" 2>"$DIR/broker.err" &
pids="$!"
bench_wait 10 mosquitto_pub -h 127.0.0.1 -p "$port" -t up -m 1 2>/dev/null

write_config "$DIR/off.conf" 8 "$DIR"
cp "$DIR/off.conf" "$DIR/on.conf"
printf '[mqtt]\nenabled = yes\nbroker = mqtt://127.0.0.1:%s\ntopic = bench\n' "$port" >>"$DIR/on.conf"
N=32
sysbytes() { mosquitto_sub -h 127.0.0.1 -p "$port" -t '$SYS/broker/bytes/received' -C 1 -W 5; }

mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'bench/+/attempts' >"$DIR/attempts.out" &
pids="$pids $!"
"$SPAWN" -- "$FLASHBAY" --config "$DIR/off.conf" --demo "$N" monitor --count "$N" >"$DIR/off.stats"
b0=$(sysbytes)
"$SPAWN" -- "$FLASHBAY" --config "$DIR/on.conf" --demo "$N" monitor --count "$N" >"$DIR/on.stats"
sleep 1.2 # $SYS is published once a second
b1=$(sysbytes)
off=$(kv cpu_ms "$(cat "$DIR/off.stats")")
on=$(kv cpu_ms "$(cat "$DIR/on.stats")")
got=$(grep -c '^bench/' "$DIR/attempts.out") # the demo's failures are tried again: more attempts than boards
figure "MQTT: CPU per published attempt" \
	"$(awk -v a="$on" -v b="$off" -v n="$got" 'BEGIN { if (n) printf "%.2f ms", (a - b) / n }')" "small" \
	"flashbay's CPU (spawn-stats) with [mqtt] on minus off, --demo $N monitor --count $N, / the $got attempts published ($on vs $off ms; 10 ms ticks; the demo varies)"
figure "MQTT: bytes per attempt message" \
	"$(awk '{ n++; b += length($0) } END { if (n) printf "%.0f B", b / n; else print "none received" }' "$DIR/attempts.out")" \
	"-" "topic + JSON payload as mosquitto_sub received them ($got attempts), tool output included"
figure "MQTT: bytes to the broker per attempt" \
	"$(awk -v a="$b0" -v b="$b1" -v n="$got" 'BEGIN { if (n) printf "%.0f B", (b - a) / n }')" "-" \
	"\$SYS/broker/bytes/received across the run / $got attempts: attempts, statuses (1/s at most), CONNECT, pings"

# the fleet dashboard fed by 32 simulated stations
printf '[mqtt]\nbroker = mqtt://127.0.0.1:%s\ntopic = sim\n' "$port" >"$DIR/fleet.conf"
$PY "$S/bench/mqtt-sim.py" 127.0.0.1 "$port" sim 32 1 >/dev/null # the retained statuses first
secs=$((BENCH_SECONDS + 2))
$PY "$S/bench/mqtt-sim.py" 127.0.0.1 "$port" sim 32 "$((secs + 2))" >"$DIR/sim.out" &
pids="$pids $!"
"$B/tests/helper/ptymeter" --window 2:"$secs" 80 24 "$((secs + 2))" -- "$FLASHBAY" \
	--config "$DIR/fleet.conf" fleet >"$DIR/meter.out" &
meter=$!
bench_wait 10 pgrep -f "^$FLASHBAY --config $DIR/fleet.conf fleet" >/dev/null
fpid=$(pgrep -f "^$FLASHBAY --config $DIR/fleet.conf fleet" | head -n 1)
sleep 2
t0=$(awk '{ print $14 + $15 }' "/proc/$fpid/stat" 2>/dev/null || echo 0)
sleep "$BENCH_SECONDS"
t1=$(awk '{ print $14 + $15 }' "/proc/$fpid/stat" 2>/dev/null || echo 0)
wait "$meter"
m=$(cat "$DIR/meter.out")
tick=$(getconf CLK_TCK)
figure "fleet: CPU with 32 stations" \
	"$(awk -v a="$t0" -v b="$t1" -v s="$BENCH_SECONDS" -v hz="$tick" 'BEGIN { printf "%.1f %%", (b - a) * 100 / hz / s }')" \
	"small" "utime+stime of flashbay fleet (dashboard, 80x24) over ${BENCH_SECONDS} s; 32 stations: a status/s and an attempt/2 s each (bench/mqtt-sim.py)"
figure "fleet: terminal bytes/s with 32 stations" \
	"$(awk -v b="$(kv window_bytes "$m")" -v ms="$(kv window_ms "$m")" 'BEGIN { if (ms > 0) printf "%.0f B/s", b * 1000 / ms; else print "not measured" }')" \
	"-" "bytes the dashboard wrote to its pty (ptymeter) in the window, ~48 messages/s arriving"
