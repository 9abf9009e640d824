#!/bin/sh
# The dashboard's output economy, measured through a pty
# (tests/helper/ptymeter): bytes per second sent to the terminal while idle
# and while 16 boards flash (fake esptool, fake sysfs tree: the station of
# tests/integration/tui-lib.sh), its idle wake-ups, and the time to the first
# complete frame. A serial console at 115200 baud carries ~11,520 bytes/s.
. "$S/bench/lib.sh"
srcdir=$S builddir=$B FLASHBAY=$B/src/flashbay
export srcdir builddir FLASHBAY
. "$S/tests/lib.sh"
. "$S/tests/integration/tui-lib.sh"
M="$B/tests/helper/ptymeter"
station_setup 16
for n in $(seq 1 16); do plug "$n"; done
# meter OPTIONS... COLS ROWS SECONDS: the dashboard on a pty of its own
meter() {
	"$M" "$@" -- "$FLASHBAY" --no-udev --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" \
		--config "$T/flashbay.conf"
}
val() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
per_s() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? b * 1000 / ms : 0) }'; }

# idle: the first frame, then BENCH_SECONDS of nothing happening
w=$BENCH_SECONDS
idle=$(TERM=xterm-256color meter --until Quit --window "1:$((w + 1))" --settle 300 80 24 $((w + 2)))
figure "dashboard idle output, 80x24" "$(per_s "$(val "$idle" window_bytes)" "$(val "$idle" window_ms)") B/s" \
	"0 B/s" "bytes written to the pty over ${w} s after the first frame (ptymeter), 16 idle boards"
figure "dashboard idle wake-ups" \
	"$(awk -v c="$(val "$idle" window_ctxsw)" -v ms="$(val "$idle" window_ms)" 'BEGIN { printf "%.2f", c * 1000 / ms }') /s" \
	"0 /s" "voluntary context switches of the idle dashboard over ${w} s (/proc/PID/status)"
figure "dashboard first complete frame" "$(val "$idle" first_ms) ms" "-" \
	"start to the key bar's last word on the pty, 16 boards ($(val "$idle" first_second) bytes)"

# 16 boards flashing at a real UART's pace (FAKE_ESPTOOL_TIMED: 16 KiB blocks
# of compressed data, ~180 ms each at 921600 baud, esptool's progress line
# after each), with an app image big enough that all 16 run through the
# whole window (2:1 compressible like real images, at most 3.5 MB)
kib=$(((w + 5) * 1000 / 178 * 32))
[ "$kib" -le 3584 ] || kib=3584
"$PY" - "$T/fw/app.bin" "$kib" <<'EOF'
import random, sys
r = random.Random(1)
n = int(sys.argv[2]) * 1024
open(sys.argv[1], "wb").write(bytes((r.randrange(144) if i % 2 == 0 else 0) for i in range(n)))
EOF
export FAKE_ESPTOOL_TIMED=1
busy() { # TERM COLS ROWS
	rm -f "$T/history.db"*
	r=$(TERM=$1 meter --until Quit --send 200:F --window "3:$((w + 3))" "$2" "$3" $((w + 4)))
	per_s "$(val "$r" window_bytes)" "$(val "$r" window_ms)"
}
b80=$(busy xterm-256color 80 24)
figure "dashboard output, 16 flashing, 80x24" "$b80 B/s" "<= 1000 B/s" \
	"bytes per second to the pty over ${w} s while 16 boards flash (${kib} KiB app, real UART pace), TERM=xterm-256color"
b80v=$(busy vt220 80 24)
figure "dashboard output, 16 flashing, vt220" "$b80v B/s" "<= 1000 B/s" \
	"the same on a serial console's terminal type (vt220, no colour), 80x24"
b120=$(busy xterm-256color 120 40)
figure "dashboard output, 16 flashing, 120x40" "$b120 B/s" "-" \
	"the same at 120x40 (more bars and columns on screen), TERM=xterm-256color"
