#!/bin/sh
# Issue 15: what the test after flashing costs per board, and what skip if
# identical saves. The real esptool (../shared/tools, v5 if there, else v4)
# flashes a simulated ESP32 (../shared/sim/esp_rom_sim.py on a pty, 64 KiB
# image at 921600 baud, the simulator sleeping as long as the UART would) whose application prints its boot log
# and `selftest: PASS mac=...` every 0.5 s after the reset (--app-output);
# `flashbay flash` of that one board, median wall time of 5 runs each:
#   - without [test];
#   - with [test] pass = selftest: PASS (the step: open the port, read until
#     the line comes; the simulator boots 0.2 s after the reset);
#   - the same image again with [esp32] skip_identical = yes (v5
#     --skip-flashed, v4 verify_flash): nothing written.
# Without ../shared: "not measured".
. "$S/bench/lib.sh"
figure_no 9

SHARED=${FLASHBAY_SHARED:-$(cd "$S/.." && pwd)/shared}
SIMPY=/usr/bin/python3
RUNS=5
if [ -x "$SHARED/tools/esptool-5.3.1/bin/esptool" ]; then
	ESPTOOL="$SHARED/tools/esptool-5.3.1/bin/esptool" V=v5
else
	ESPTOOL="$SHARED/tools/esptool-4.12.0/bin/esptool" V=v4
fi
if [ ! -f "$SHARED/sim/esp_rom_sim.py" ] || [ ! -x "$ESPTOOL" ] || [ ! -x "$SIMPY" ]; then
	figure "test step: cost per board" "not measured: no ../shared (real esptool, simulator)" "-" "-"
	exit 0
fi

W=$(mktemp -d "$B/bench-test-step.XXXXXX")
sim=""
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
export HOME="$W/home" XDG_CONFIG_HOME="$W/home/.config" XDG_STATE_HOME="$W/home/.local/state" \
	XDG_CACHE_HOME="$W/home/.cache" XDG_RUNTIME_DIR="$W/run" FLASHBAY_SYSTEM_CONFIG=
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$W/lock"
"$SIMPY" -c 'import random; r = random.Random(7); open("'"$W"'/img.bin", "wb").write(bytes(r.randrange(256) for _ in range(65536)))'
"$SIMPY" "$SHARED/sim/esp_rom_sim.py" --link "$W/tty" --flash-file "$W/flash.bin" --mac 24:0a:c4:00:00:99 \
	--max-idle 120 --baud-delay auto --app-output 'selftest: PASS mac={mac}' > "$W/sim.out" 2> "$W/sim.err" &
sim=$!
bench_wait 15 test -e "$W/tty" || {
	figure "test step: cost per board" "not measured: the simulator did not start" "-" "-"
	exit 0
}
conf() {
	{
		printf '[station]\nlock_dir = %s\n' "$W/lock"
		printf '[esp32]\nesptool = %s\nbefore = no_reset\nafter = no_reset\n%b' "$ESPTOOL" "$2"
		printf '%b' "$3"
	} > "$W/$1.conf"
}
conf plain "" ""
conf test "" "[test]\npass = selftest: PASS\ntimeout = 10\n"
conf same "skip_identical = yes\n" "[test]\npass = selftest: PASS\ntimeout = 10\n"
# median NAME: median wall time in ms of RUNS flashes with config NAME
median() {
	for i in $(seq "$RUNS"); do
		t0=$(date +%s%3N)
		"$FLASHBAY" --config "$W/$1.conf" --db "$W/$1.db" flash --port "$W/tty" \
			--image 0x10000="$W/img.bin" > "$W/out-$1" 2>&1 || echo "x"
		echo $(($(date +%s%3N) - t0))
	done | sort -n | awk '/x/ { bad = 1 } { a[NR] = $1 } END { if (bad) print "failed"; else print a[int((NR + 1) / 2)] }'
}
# the same image in flash before the skip_identical runs is the point;
# the first runs write it anyway
plain=$(median plain)
test=$(median test)
same=$(median same)
how="median of $RUNS 'flashbay flash' of one simulated board, esptool $V, 64 KiB at 921600"
for v in "$plain" "$test" "$same"; do
	case $v in *[!0-9]*)
		figure "test step: cost per board" "not measured: a flash failed (see $W)" "-" "$how"
		exit 0
		;;
	esac
done
figure "flash without [test]" "$(secs "$plain") s" "-" "$how"
figure "flash with [test] (pass line every 0.5 s)" "$(secs "$test") s" "-" "$how"
figure "test step: cost per board" "$(secs $((test - plain))) s" "-" \
	"the difference; the simulated application boots 0.2 s after the reset"
figure "skip_identical run (+ test), nothing written" "$(secs "$same") s" "-" \
	"$how; $([ "$V" = v5 ] && echo 'write-flash --skip-flashed' || echo 'verify_flash')"
