#!/bin/sh
# Every dashboard action at 80x24, in tmux, against the fake esptool and a
# fake sysfs/dev tree (--no-udev): F flashes all and the states go to PASS and
# FAIL:<class>; s stops one; S asks and stops all; ? lists every key; o picks
# a firmware file (folders, a .bin, its offset) and the header shows it; M
# turns monitor mode on and a board plugged in then is flashed (with that
# firmware); x resets the statistics; r rescans; l focuses and scrolls the
# log; Space and a select, f flashes the selection.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
for n in 1 2 3 4 5 6; do plug $n; done
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB1=no_sync,ttyUSB2=verify_fail,ttyUSB4=hang,ttyUSB5=hang"
# the board table's row of slot N
row() { screen | grep -E "^.. *$1 ttyUSB$(($1 - 1)) +esp32 "; }
# lines marked as selected
nsel() { screen | grep -Ec '^.●'; }
row_has() { row "$1" | grep -Eq -- "$2"; }
header() { screen | head -n 1; }

tui_start 80 24 xterm-256color "$FB -v"
wait_for "Boards 6"
ok $? "six boards listed"

# --- F: flash all --------------------------------------------------------------
keys F
wait_for "flashing 6 ESP32 boards"
ok $? "F: 'flashing 6 ESP32 boards'"
wait_until 15 row_has 1 " PASS " && wait_until 5 row_has 4 " PASS "
ok $? "slots 1 and 4: PASS"
wait_until 5 row_has 2 " FAIL:no_sync "
ok $? "slot 2 (not in download mode): FAIL:no_sync"
wait_until 5 row_has 3 " FAIL:verify_failed "
ok $? "slot 3 (flash differs): FAIL:verify_failed"
row_has 5 " Connect | Flash" && row_has 6 " Connect | Flash"
ok $? "slots 5 and 6 (hanging) still running"
like "$(header)" " ok 2  fail 2 " "header counters: 2 passed, 2 failed"
like "$(row 1)" "ESP32-D0WD(-V3)? +24:0a:c4:[0-9a-f:]{8} " "chip and MAC learned from esptool"
hist_check '{(r["slot"], r["outcome"], r["failure_class"]) for r in rows if r["outcome"] != "running"} == {(1, "ok", None), (2, "failed", "no_sync"), (3, "failed", "verify_failed"), (4, "ok", None)}'
ok $? "the history has the four finished attempts with their classes"

# --- s: stop the current board; on an idle row it says why not ---------------------
keys Home Down Down Down Down
wait_until 5 sh -c "$TM capture-pane -p -t t | grep -Eq '^▶ +5 ttyUSB4'"
ok $? "Home and Down move the cursor to slot 5"
keys s
wait_until 10 row_has 5 " FAIL:cancelled "
ok $? "s: slot 5 cancelled"
row_has 6 " Connect | Flash"
ok $? "slot 6 still running"
wait_until 5 hist_check 'any(r["slot"] == 5 and r["failure_class"] == "cancelled" for r in rows)'
ok $? "slot 5 recorded as cancelled"
keys Up s
wait_for "nothing runs on this row"
ok $? "s on a finished board: 'nothing runs on this row'"

# --- S: stop all, after a question ---------------------------------------------------
keys S
wait_for "Stop every queued and running attempt?"
ok $? "S asks first"
keys n
wait_gone "Stop every queued"
row_has 6 " Connect | Flash"
ok $? "n: nothing stopped"
keys S
wait_for "Stop every queued and running attempt?"
keys y
wait_until 10 row_has 6 " FAIL:cancelled "
ok $? "S, y: slot 6 cancelled"
wait_for "Progress: 0 running"
ok $? "nothing runs any more"
keys S
wait_for "nothing is running"
ok $? "S with nothing running says so (no question)"

# --- ?: the help lists every key, whole, at 80x24 --------------------------------------
keys '?'
wait_for "this help"
help=$(screen)
for k in "Up/Down j/k   move       PgUp/PgDn  by 10       Home/End g/G  first/last" \
	"Space         select or unselect the board     a  select all / none" \
	"f, Enter      flash the selected boards (or the current one)" \
	"F             flash every idle ESP32 board" \
	"s             stop the current board's attempt" \
	"S             stop every attempt (asks first)" \
	"o             choose the firmware" \
	"M             monitor mode on/off" \
	"r             rescan the devices" \
	"x             reset the statistics" \
	"l             focus the log" \
	"?, F1         this help" \
	"q, Ctrl-C     quit: with attempts running, asks to wait, cancel or stay" \
	"FAIL:<class>, unplugged."; do
	printf '%s\n' "$help" | grep -qF -- "$k"
	ok $? "help: '$k'"
done
tui_fits 80 24
ok $? "the help fits 80x24"
keys Space
wait_gone "this help"
ok $? "any key closes the help"

# --- o: the firmware browser --------------------------------------------------------------
mkdir -p "$T/fw/sub/deeper"
"$PY" -c 'import sys; open(sys.argv[1], "wb").write(bytes(range(256)) * 256)' "$T/fw/sub/new.bin"
echo notes >"$T/fw/sub/notes.txt"
printf -- '--flash_mode dio\n0x1000 ../bootloader.bin\n' >"$T/fw/sub/flash_args"
keys o
wait_for "Firmware: Enter opens/chooses"
ok $? "o opens the firmware browser"
like "$(screen)" "$T/fw" "it starts in the current firmware's folder"
keys Down Enter
wait_for "deeper/"
ok $? "Enter on sub/ opens the folder"
scr=$(screen)
like "$scr" "flash_args" "flash_args is listed"
like "$scr" "new\\.bin" "*.bin is listed"
unlike "$scr" "notes\\.txt" "other files are not"
keys Left
wait_for "bootloader.bin"
ok $? "Left goes up to the parent folder"
keys Down Enter
wait_for "new.bin"
keys Down Down Down Enter
wait_for "offset of new.bin: 0x10000_"
ok $? "Enter on new.bin asks for its offset ([firmware] offset by default)"
keys -l 0x20000
wait_for "offset of new.bin: 0x20000_"
ok $? "typing replaces the default offset"
keys Enter
wait_gone "Firmware: Enter opens"
like "$(screen | sed -n 2p)" "^ fw [0-9a-f]{8} 64K new\\.bin@0x20000" "the header shows the chosen firmware: SHA-256 prefix, size, name@offset"

# --- M: monitor mode; a board plugged in gets flashed, with the new firmware ---------------
keys M
wait_until 5 sh -c "$TM capture-pane -p -t t | head -n 1 | grep -q ' MONITOR '"
ok $? "M: the header says MONITOR"
plug 7
wait_until 15 row_has 7 " PASS "
ok $? "a board plugged in while monitoring is flashed: PASS"
cmp -s -n 65536 "$T/fw/sub/new.bin" "$T/flash/ttyUSB6.bin" 0 131072
ok $? "... with new.bin at 0x20000"
keys M
wait_until 5 sh -c "$TM capture-pane -p -t t | head -n 1 | grep -q ' manual '"
ok $? "M again: manual"
plug 8
wait_until 5 row_has 8 " idle "
ok $? "now a new board is not flashed: idle"

# --- x: reset the statistics ----------------------------------------------------------------
like "$(header)" " ok 3  fail 2  1st-pass 60.0% " \
	"counters before the reset: the two cancelled attempts are no failures and no boards"
keys x
wait_for "Start a new statistics period?"
ok $? "x asks first"
keys y
wait_until 5 sh -c "$TM capture-pane -p -t t | head -n 1 | grep -q ' ok 0  fail 0  1st-pass -  '"
ok $? "y: counters back to 0, and no yield over no boards"
wait_for "statistics reset"
keys r
wait_for "rescanned"
ok $? "r rescans"
like "$(screen)" "Boards 8" "the same eight boards"

# --- l: the log gets the focus and scrolls ---------------------------------------------------
keys l
wait_for "Log (Up/Down PgUp/PgDn Home/End scroll; l, Esc)"
ok $? "l: the log has the focus"
before=$(screen | sed -n '$!p' | tail -n 1)
keys Up Up Up
wait_for "Log: 3 back"
ok $? "Up scrolls back three lines"
after=$(screen | sed -n '$!p' | tail -n 1)
[ "$before" != "$after" ]
ok $? "the last log line shown is an older one"
keys Home
wait_for "finding devices with sysfs+inotify"
ok $? "Home: the oldest line"
keys End
wait_for "Log (Up/Down"
ok $? "End: the newest again"
keys l
wait_gone "Log (Up/Down"
ok $? "l again: the board table has the focus back"

# --- Space selects, f flashes the selection; a selects all / none ------------------------------
keys Home Space Down Down Space
wait_until 5 sh -c "$TM capture-pane -p -t t | grep -Eq '^ ● +1 ttyUSB0' && $TM capture-pane -p -t t | grep -Eq '^.● +4 ttyUSB3'"
ok $? "Space marks slots 1 and 4"
is "$(nsel)" 2 "only those two"
keys f
wait_for "flashing 2 boards"
ok $? "f: 'flashing 2 boards'"
wait_until 15 hist_check 'sorted(r["slot"] for r in rows if r["period"] == 2) == [1, 4]'
ok $? "exactly slots 1 and 4 were flashed"
wait_until 15 hist_check 'all(r["outcome"] == "ok" for r in rows if r["period"] == 2)'
ok $? "... and passed"
is "$(nsel)" 0 "the selection is cleared after flashing it"
keys a
wait_until 5 sh -c "[ \$($TM capture-pane -p -t t | grep -Ec '^.●') = 8 ]"
ok $? "a selects all eight"
keys a
wait_until 5 sh -c "[ \$($TM capture-pane -p -t t | grep -Ec '^.●') = 0 ]"
ok $? "a again: none"

# --- q without attempts running --------------------------------------------------------------
wait_for "Progress: 0 running"
keys q
wait_exit
is "$(tui_exit_code)" 0 "q: exit 0"
no_procs_matching "$ROOT/dev/tty"
ok $? "no esptool left"
tui_stop
done_testing
