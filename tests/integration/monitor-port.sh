#!/bin/sh
# `flashbay monitor --port P` (repeatable): ports udev does not know (here the
# ptys of simulated ESP32 boards, flashed by the real esptool) are boards
# present from the start: each is flashed once, with the usual lines, result
# and summary row; --count still bounds how many are started.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
mkdir -p "$T/fw" "$T/sys/class/tty" "$T/dev"
make_image "$T/fw/boot.bin" 8192 1
make_image "$T/fw/app.bin" 16384 2
# mon CONF ARGS...: monitor with no devices but the named ports (an empty
# sysfs and /dev), ended after 120 s if it does not end by itself
mon() {
	conf=$1
	shift
	timeout 120 "$FLASHBAY" --config "$conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" monitor --image "0x1000=$T/fw/boot.bin" \
		--image "0x10000=$T/fw/app.bin" "$@"
}
lines() { grep -c -- "$1" "$T/out"; }

for v in $ESPTOOLS; do
	sim_conf "$T/$v.conf" "$v"
	sim_start a 24:0a:c4:00:00:0a
	sim_start b 24:0a:c4:00:00:0b

	# two ports, --count 2: both flashed, then monitor ends
	mon "$T/$v.conf" --port "$SIMDEV/a" --port "$SIMDEV/b" --count 2 \
		> "$T/out" 2> "$T/err"
	is "$?" 0 "$v: monitor --port a --port b --count 2: exit 0"
	like "$(grep '^\[Plug\]' "$T/out" | tr '\n' ' ')" \
		"\[Plug\] slot [0-9]+ a esp32 $SIMDEV/a \(--port\) \[Plug\] slot [0-9]+ b esp32 $SIMDEV/b \(--port\)" \
		"$v: each named port is reported as a board present at start"
	is "$(lines '^\[Connect\]')" 2 "$v: both are connected to"
	is "$(lines '^\[Done\] .*PASS')" 2 "$v: both pass"
	like "$(grep '^\[Done\]' "$T/out" | tr '\n' ' ')" "24:0a:c4:00:00:0a.*24:0a:c4:00:00:0b|24:0a:c4:00:00:0b.*24:0a:c4:00:00:0a" \
		"$v: the MACs read by the real esptool"
	is "$(sed -n '/^SLOT /,$p' "$T/out" | grep -c 'PASS')" 2 "$v: two summary rows"
	sim_landed a 0x10000 "$T/fw/app.bin" && sim_landed b 0x1000 "$T/fw/boot.bin"
	ok $? "$v: the images landed in both simulated boards"

	# one port, no --count: flashed once, then monitor waits for more until Ctrl-C
	"$FLASHBAY" --config "$T/$v.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" monitor --image "0x1000=$T/fw/boot.bin" \
		--image "0x10000=$T/fw/app.bin" --port "$SIMDEV/a" > "$T/out" 2> "$T/err" &
	fbpid=$!
	wait_until 60 grep -q '^\[Done\]' "$T/out"
	ok $? "$v: monitor --port a without --count flashes the port"
	kill -INT "$fbpid"
	wait "$fbpid"
	is "$?" 130 "$v: ... and keeps monitoring until Ctrl-C (exit 130)"
	is "$(lines '^\[Queue\]')" 1 "$v: the named port is flashed once"

	# --count 1 with two named ports: one board started, no more
	mon "$T/$v.conf" --port "$SIMDEV/a" --port "$SIMDEV/b" --count 1 \
		> "$T/out" 2> "$T/err"
	is "$?" 0 "$v: monitor --count 1 with two named ports: exit 0"
	is "$(lines '^\[Queue\]') $(lines '^\[Done\]')" "1 1" "$v: --count 1 starts one board of the two"
	sim_stop_all
done

# a named port that does not exist: refused, nothing started
mon "$T/v5.conf" --port "$T/no-such-port" > "$T/out" 2> "$T/err"
is "$?" 2 "a --port that does not exist: refused, exit 2"
like "$(cat "$T/err")" "no-such-port" "... naming the port"
is "$(lines '^\[')" 0 "... and nothing was started"

done_testing
