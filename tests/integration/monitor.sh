#!/bin/sh
# `flashbay monitor` with hot-plug under umockdev: a board is flashed once
# per plug-in; a re-enumeration within the reappear window is the same board
# (not flashed again); a real re-plug is a new board (flashed again); Klipper
# boards are not touched; --count N ends it; Ctrl-C ends it cleanly.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
command -v umockdev-wrapper >/dev/null || skip_all "umockdev-wrapper not installed"
CTL="$T/ctl"
U="$srcdir/tests/umockdev"
TTY=/sys/devices/pci0000:00/0000:00:14.0/usb1/1-6/1-6:1.0/ttyUSB2/tty/ttyUSB2
conf=$(with_conf monitor.conf '[devices]\nreappear_window = 700ms\n')
mkfifo "$CTL"

# monitor ARGS...: flashbay monitor inside a umockdev test bed (udev events)
monitor() {
	"$builddir/tests/helper/umockdev-ctl" "$CTL" -- "$FLASHBAY" --config "$conf" \
		--db "$T/history.db" monitor "$@" > "$T/out" 2> "$T/err" &
	mpid=$!
	wait_until 10 grep -q '^\[Monitor\]' "$T/out"
}
ctl() { printf '%s\n' "$*" > "$CTL"; }
lines() { grep -c -- "$1" "$T/out"; }
flashes() { grep -c 'write-flash' "$T/argv.log" 2>/dev/null || echo 0; }

monitor --count 2
ok $? "monitor started inside the test bed"
ctl "add $U/cp2102-port6.umockdev"
wait_until 20 grep -q '^\[Done\]' "$T/out"
ok $? "a plugged ESP32 board is flashed"
like "$(grep '^\[Plug\]' "$T/out")" "^\[Plug\] slot 1 ttyUSB2 esp32 10c4:ea60" "the plug-in is reported"
landed ttyUSB2
ok $? "its images landed"

# re-enumeration within the window: the same board, not flashed again
ctl "unplug $TTY"
wait_until 10 grep -q '^\[Unplug\]' "$T/out"
ctl "add $U/cp2102-port6.umockdev"
wait_until 10 grep -q '^\[Back\]' "$T/out"
ok $? "back within the window: reported as the same board"
ctl "echo marker"
wait_until 5 grep -q '^ok echo' "$T/out" 2>/dev/null || true
is "$(flashes)" 1 "not flashed again after re-enumeration"

# a Klipper board in monitor mode: listed, never flashed with esptool
ctl "add $U/katapult-port4.umockdev"
wait_until 10 grep -q '^\[Plug\] slot 2 ttyACM1 katapult' "$T/out"
ok $? "a Katapult board is seen"

# a real re-plug: gone longer than the window, then plugged again: flashed again
ctl "unplug $TTY"
wait_until 10 grep -q '^\[Gone\] slot 1' "$T/out"
ok $? "gone for longer than the window"
ctl "add $U/cp2102-port6.umockdev"
wait "$mpid"
is "$?" 0 "--count 2: monitor ends after the second board, exit 0"
is "$(flashes)" 2 "the re-plugged board was flashed again (two flashes in all)"
is "$(lines '^\[Done\]')" 2 "two results"
is "$(grep -c 'ttyACM1' "$T/argv.log")" 0 "the Katapult board was never given to esptool"
is "$(fb history --json | "${PYTHON3:-python3}" -c '
import json, sys
rows = json.load(sys.stdin)
print(len(rows), len({r["unit"] for r in rows}))')" "2 2" "two attempts, two plug-ins (units) in the history"

# Ctrl-C while a board flashes: cancelled, recorded, no esptool left
: > "$T/argv.log"
FAKE_ESPTOOL_BEHAVIOUR=hang monitor
ctl "add $U/cp2102-port6.umockdev"
wait_until 20 grep -q 'write-flash' "$T/argv.log"
wait_until 10 grep -q '^\[Connect\]' "$T/out"
kill -INT "$(pgrep -f "^$FLASHBAY --config $conf")"
wait "$mpid"
is "$?" 130 "Ctrl-C: exit 130"
wait_until 5 no_fakes
ok $? "no esptool left behind"
is "$(fb history --json --limit 1 | "${PYTHON3:-python3}" -c '
import json, sys
print(json.load(sys.stdin)[0]["failure_class"])')" cancelled "the attempt is recorded as cancelled"

done_testing
