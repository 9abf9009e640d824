#!/bin/sh
# The dashboard during the test after flashing (real esptool against a
# simulated board whose application never prints the pass line): the row
# shows `Test` with a countdown of the seconds left, the progress pane the
# same, the countdown goes down, the row ends FAIL:test_timeout, and the
# detail view (i) shows the lines the test read ("test: " prefixed).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"

v=${ESPTOOLS##* } # v5 when there, else the one given
make_image "$T/img.bin" 16384 41
station_setup
sim_start tui 24:0a:c4:00:0e:01 --app-output 'selftest: running'
plug 1
rm -f "$ROOT/dev/ttyUSB0"
ln -s "$(readlink "$SIMDEV/tui")" "$ROOT/dev/ttyUSB0"
{
	printf '[station]\nname = bay-7\ndatabase = %s\nlock_dir = %s\nlog_dir = %s\n' "$T/history.db" \
		"$T/locks" "$T/logs"
	printf '[esp32]\nesptool = %s\nbefore = no_reset\nafter = no_reset\nbaud = 115200\n' \
		"$(esptool_path "$v")"
	printf '[firmware]\n0x10000 = %s\n' "$T/img.bin"
	printf '[test]\npass = PASS\ntimeout = 8\n'
} > "$T/flashbay.conf"

# secs: the seconds the row's countdown shows now (empty if none)
secs() { sh "$T/secs"; }
counting() { [ -n "$(secs)" ]; }
# below N: the countdown shows fewer than N seconds
below() { s=$(secs); [ -n "$s" ] && [ "$s" -lt "$1" ]; }

tui_start 100 24 xterm-256color "$FB"
printf '%s\n' "$TM capture-pane -p -t t | grep -E '^.. *1 ttyUSB0 +esp32 ' | sed -n 's/.* Test \\([0-9]*\\)s.*/\\1/p'" > "$T/secs"
wait_for "Boards 1"
keys F
wait_until 40 counting
r=$?
ok $r "$v: the row shows Test with a countdown"
[ $r -eq 0 ] || tui_show
first=$(secs)
like "$(screen | grep -E '^ +1 ttyUSB0 +Test [0-9]+s')" 'Test [0-9]+s' "$v: the progress pane shows Test and the seconds left"
wait_until 10 below "$first"
ok $? "$v: the countdown goes down (from ${first}s)"
[ "${first:-0}" -le 8 ] && [ "${first:-0}" -ge 1 ]
ok $? "$v: it counts the [test] timeout (8 s), not the flash"
wait_for "FAIL:test_timeout" 20
ok $? "$v: the row ends FAIL:test_timeout"
keys i
wait_for "Tool output of the newest attempt"
keys End
wait_for "test: selftest: running" 10
r=$?
ok $r "$v: the detail view shows the lines the test read"
[ $r -eq 0 ] || tui_show
keys Escape
keys q
wait_exit 10
sim_stop tui

done_testing
