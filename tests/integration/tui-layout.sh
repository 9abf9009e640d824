#!/bin/sh
# Layout (issue 12): columns as wide as their content (CHIP/MCU neither cut
# to "ESP3" at 60x20 nor ~115 wide at 200x50), the key bar keeps "? Help q
# Quit" when narrow, and rows go to the pane that needs them: at 80x24 all
# 12 boards show while 12 flash.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
for n in $(seq 1 12); do plug $n; done
row() { screen | grep -E "^.. *$1 ttyUSB$(($1 - 1)) "; }
all_rows() { for n in $(seq 1 12); do row "$n" >/dev/null || return 1; done; }
# columns between the headings A and B in the table heading line
heading_gap() { screen | grep ' SLOT ' | awk -v a="$1" -v b="$2" '{ print index($0, b) - index($0, a) }'; }

export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB2=hang,ttyUSB3=hang"
tui_start 60 20 xterm-256color "$FB"
wait_for "Boards 12"
keys F
wait_until 20 sh -c "$TM capture-pane -p -t t | grep -Eq '^.. +1 ttyUSB0 .* PASS'"
ok $? "60x20: slot 1 passed"
like "$(row 1)" " ESP32-D0WD" "60x20: the chip is readable (not 'ESP3')"
like "$(row 1)" "24:0a:c4:[0-9a-f:]{8}" "60x20: the whole MAC"
keys z # clears the note: the key bar is back
wait_gone "flashing 12"
like "$(screen | tail -n 1)" "\\? Help q Quit *$" "60x20: '? Help q Quit' stays in the key bar"
tui_fits 60 20
ok $? "60x20: fits"

tui_resize 200 50
wait_until 5 sh -c "[ \$($TM capture-pane -p -t t | grep '^─ Log' | LC_ALL=C.UTF-8 wc -L) = 200 ]"
gap=$(heading_gap CHIP/MCU MAC/SERIAL)
[ "$gap" -le 30 ]
ok $? "200x50: the CHIP/MCU column fits its content ($gap columns, not ~115)"
keys S y
wait_for "Progress: 0 running"
keys q
wait_exit
tui_stop

# 12 boards flashing at 80x24: the table shows all of them
rm -f "$T/history.db"*
export FAKE_ESPTOOL_BEHAVIOUR="hang"
tui_start 80 24 xterm-256color "$FB"
wait_for "Boards 12"
keys F
wait_for "Progress: 12 running"
ok $? "12 running"
all_rows
ok $? "80x24: all 12 board rows show while 12 flash"
off_screen "Boards 12 (1-"
ok $? "... the table is not scrolled"
tui_fits 80 24
ok $? "80x24: fits"
keys S y
wait_for "Progress: 0 running"
keys q
wait_exit
tui_stop
done_testing
