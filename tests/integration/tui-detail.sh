#!/bin/sh
# i shows the current board in full (issue 12): the result with its class,
# the hint of the failure class (the one text the CLI prints, outcome_message),
# the whole message, chip, MAC, duration, firmware, the last attempts from
# the history and the tool output's tail; wrapped and scrollable at 80x24,
# on a serial console's terminal (vt220, C locale) too; Esc closes it.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
plug 2
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB1=no_sync"
row_has() { screen | grep -E "^.. *$1 ttyUSB$(($1 - 1)) " | grep -Eq -- "$2"; }
# the screen as one line: box sides and indentation gone, so wrapped text reads whole
flat() { screen | LC_ALL=C.UTF-8 sed -e 's/^[│x|] *//' -e 's/ *[│x|] *$//' | tr '\n' ' ' | tr -s ' '; }
# "rows A-B of N" of the detail view's last line
rows_shown() { screen | sed -n 's/.*rows \([0-9]*-[0-9]*\) of \([0-9]*\).*/\1 \2/p'; }

tui_start 80 24 xterm-256color "$FB"
wait_for "Boards 2"
like "$(screen | tail -n 1)" "(^| )i Info " "the key bar shows i (Info)"
keys F
wait_until 20 row_has 2 " FAIL:no_sync " && wait_until 20 row_has 1 " PASS "
ok $? "slot 1 passed, slot 2 failed: no_sync"

keys Down i
wait_for "rows 1-" && on_screen "─ slot 2 ttyUSB1 ─"
ok $? "i opens slot 2's details"
scr=$(flat)
like "$scr" "Result FAIL no_sync [0-9-]+ [0-9:]+ [0-9]+\\.[0-9] s" "the result: class, time and duration"
like "$scr" "Hint board not in download mode \\(hold BOOT, or check the cable\\)" "the hint of the class"
like "$scr" "Message .*Failed to connect to Espressif device: No serial data received\\." "the whole message"
like "$scr" "Port /.*/dev/ttyUSB1 " "the port"
like "$scr" "Firmware bootloader\\.bin@0x1000 app\\.bin@0x10000 \\(sha256 [0-9a-f]{8}" "the firmware"
like "$scr" "Attempts \\(the last 5, newest first\\) [0-9-]+ [0-9:]+ FAIL no_sync [0-9]+\\.[0-9] s fw [0-9a-f]{8}" \
	"the last attempts from the history, with class, duration, firmware"
tui_fits 80 24
ok $? "it fits 80x24"
set -- $(rows_shown)
like "$1 $2" "^1-21 [0-9]+$" "rows 1-21 shown at 80x24"
[ "${2:-0}" -gt 21 ]
ok $? "more rows than fit ($2): it scrolls"
off_screen "Tool output of the newest attempt"
ok $? "the tool output is further down"
keys End
wait_for "Tool output of the newest attempt"
ok $? "End: the tool output's tail"
like "$(flat)" "Connecting\\.\\.\\." "the tool's own lines"
like "$(rows_shown)" "^[0-9]+-$2 $2$" "End shows the last row"
keys Home
wait_for "rows 1-21 of"
ok $? "Home: the top again"
keys NPage
first=$((21 < $2 - 20 ? 21 : $2 - 20))
wait_for "rows $first-$((first + 20)) of"
ok $? "PgDn scrolls a page (keeping one row)"
keys Escape
wait_gone "rows "
ok $? "Esc closes the details"
like "$(screen | tail -n 1)" "i Info" "the dashboard is back"

keys Up i
wait_for "rows 1-" && on_screen "─ slot 1 ttyUSB0 ─"
ok $? "i on slot 1: its details"
scr=$(flat)
like "$scr" "Chip ESP32-D0WD" "slot 1: the chip"
like "$scr" "MAC 24:0a:c4:[0-9a-f:]{8} " "its MAC"
like "$scr" "Result PASS [0-9-]+ [0-9:]+ [0-9]+\\.[0-9] s exit 0" "PASS, the duration, the exit code"
unlike "$scr" "Hint" "no hint for a pass"
keys i
wait_gone "rows "
ok $? "i closes it too"
keys q
wait_exit
tui_stop

# a serial console: vt220, no UTF-8
TUI_LC=C tui_start 80 24 vt220 "$FB"
wait_for "Boards 2"
keys Down i
wait_for "rows 1-"
like "$(flat)" "FAIL no_sync .* board not in download mode \\(hold BOOT, or check the cable\\)" "vt220, C locale: the last attempt from the history, with its hint"
tui_fits 80 24
ok $? "vt220: fits 80x24"
keys Escape q
wait_exit
tui_stop
done_testing
