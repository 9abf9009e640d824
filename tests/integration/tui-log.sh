#!/bin/sh
# The log pane (issue 12): a long line wraps so it can be read whole at 80
# columns; results (PASS/FAIL per slot) and operator actions (flash all,
# stopped all, monitor on, firmware chosen) are logged; with the log focused,
# keys act on the log only (Enter does not flash). Without firmware, F says
# "no firmware chosen" and M warns that monitor mode cannot flash.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
for n in 1 2 3; do plug $n; done
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB1=no_sync,ttyUSB2=hang"
row_has() { screen | grep -E "^.. *$1 ttyUSB$(($1 - 1)) " | grep -Eq -- "$2"; }
# the log pane (between its rule and the key bar) as one line
log_flat() { screen | sed -n '/^─ Log/,$p' | sed '1d;$d' | tr '\n' ' ' | tr -s ' '; }
log_has() { log_flat | grep -Eq -- "$1"; }

# --- no firmware: F and M say so --------------------------------------------------------
grep -v -e '^\[firmware\]' -e '^0x' "$T/flashbay.conf" >"$T/nofw.conf"
tui_start 80 24 xterm-256color "'$FLASHBAY' --no-udev --sysfs-root '$ROOT/sys' --dev-root '$ROOT/dev' --config '$T/nofw.conf'"
wait_for "no firmware chosen: press o"
keys F
wait_for "no firmware chosen"
ok $? "F without firmware: 'no firmware chosen'"
off_screen "no idle ESP32 board"
ok $? "... not 'no idle ESP32 board'"
keys M
wait_for "monitor mode on, but no firmware chosen"
ok $? "M without firmware warns that nothing can be flashed"
wait_until 5 log_has "operator: monitor on \\(no firmware chosen"
ok $? "monitor on is in the log, with the warning"
keys M q
wait_exit
tui_stop

# --- results and actions in the log, whole lines --------------------------------------------
tui_start 80 24 xterm-256color "$FB"
wait_for "Boards 3"
keys F
wait_until 20 row_has 1 " PASS " && wait_until 20 row_has 2 " FAIL:no_sync "
ok $? "slot 1 PASS, slot 2 FAIL:no_sync"
wait_until 5 log_has "operator: flash all \\(3 ESP32 boards\\)"
ok $? "log: the operator's flash all"
wait_until 5 log_has "slot 1 ttyUSB0: PASS ESP32-D0WD"
ok $? "log: slot 1's PASS with its chip"
wait_until 5 log_has "slot 2 ttyUSB1: FAIL no_sync: board not in download mode"
ok $? "log: slot 2's FAIL with its class and message"
# the longest lines are wider than 80 columns: they wrap, nothing is cut
like "$(log_flat)" "warn \\[slot 2\\] A fatal error occurred: Failed to connect to Espressif device: No serial data received\\." \
	"the whole esptool error can be read (wrapped)"
tui_fits 80 24
ok $? "the wrapped log stays within 80x24"

# --- log focus: keys act on the log only ---------------------------------------------------
n_before=$(hist_json | grep -c '"outcome"')
keys Home l
wait_for "Log (Up/Down"
like "$(screen | tail -n 1)" "Up/Down Scroll" "the key bar shows the log's keys"
keys Enter
wait_for "the log has the focus: l or Esc goes back to the boards"
ok $? "Enter in the log: a note, no flash"
keys f
row_has 1 " PASS "
ok $? "slot 1 (the current board) was not flashed again"
is "$(hist_json | grep -c '"outcome"')" "$n_before" "no new attempt in the history"
keys Escape
wait_gone "Log (Up/Down"
ok $? "Esc: back to the boards"

# --- stopped all is logged --------------------------------------------------------------------
keys S
wait_for "Stop every queued and running attempt?"
keys y
wait_until 10 row_has 3 " FAIL:cancelled "
ok $? "S y: slot 3 cancelled"
wait_until 5 log_has "operator: stopped all"
ok $? "log: stopped all"
keys q
wait_exit
tui_stop
done_testing
