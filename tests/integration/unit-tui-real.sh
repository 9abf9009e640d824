#!/bin/sh
# The dashboard during per-unit data (tmux, the real esptool on a simulated
# board, ../shared): the row shows the phase Unit while read_mac and the
# unit command run, and the board's serial as soon as it is taken; a command
# that hangs past [unit] timeout ends as FAIL:unit_failed with its stderr;
# the detail view shows the serial.
# Skipped with the reason where ../shared or tmux is absent.
. "$srcdir/tests/lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
UNITCMD=$(cd "$srcdir/tests/helper" && pwd)/unit-cmd.sh
mkdir -p "$T/sys/class/tty" "$T/dev" "$T/fw"
make_image "$T/fw/app.bin" 40000 3
v=$(printf '%s\n' $ESPTOOLS | tail -n 1)
sim_conf "$T/fb.conf" "$v" "[firmware]\n0x10000 = $T/fw/app.bin\n[unit]\ncommand = $UNITCMD\noffset = 0x9000\nserials = counter:SN-%06d\ntimeout = 4\n"
sim_start u0 "24:0a:c4:dd:00:01"
row() { screen | grep -E "^. +1 u0 "; }
row_has() { row | grep -q -- "$1"; }

tui_start 120 30 xterm-256color "UNIT_CMD_MODE=hang '$FLASHBAY' --config '$T/fb.conf' --no-udev --sysfs-root '$T/sys' --dev-root '$T/dev' --db '$T/history.db' tui --port '$SIMDEV/u0'"
wait_for "Boards 1"
keys f
wait_until 20 row_has " Unit "
ok $? "the row says Unit while read_mac and the unit command run"
wait_until 20 row_has " 24:0a:c4:dd:00:01 *SN-000001 *Unit "
ok $? "... with its MAC and, once taken, its serial (UNIT column)"
wait_until 20 row_has "FAIL:unit_failed"
ok $? "the hanging command times out: FAIL:unit_failed"
keys i
wait_for "Serial"
like "$(screen | grep 'Serial')" "Serial +SN-000001" "the detail view shows the serial"
like "$(screen | tr '\n' ' ' | tr -s ' ')" "timed out after 4 s: waiting for a signer" "... and the message with the command's stderr"
keys Escape q
wait_exit 20
ok $? "q quits"
done_testing
