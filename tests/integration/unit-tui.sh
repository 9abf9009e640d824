#!/bin/sh
# Unit labels in the dashboard (tmux): L opens the scan field for the
# current board (a barcode scanner types the label and Enter); the label is
# shown in the detail view and the row (when there is room), recorded with
# the attempt; in monitor mode it goes to the next board plugged in, and the
# field says so; Esc cancels; control characters never reach the screen or
# the history (control keys are not typed into it); the help lists L.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
# the label of ttyUSB<N-1>'s newest attempt
label_of() {
	hist_json | "$PY" -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["port"].endswith("/ttyUSB" + sys.argv[1])]
print(rows[0]["unit_label"] if rows else "-")' "$(($1 - 1))"
}

tui_start 120 30 xterm-256color "$FB"
wait_for "Boards 1"
keys '?'
wait_for "scan a label (monitor: the next board's)"
ok $? "the help lists L"
keys q
wait_gone "scan a label"
keys L
wait_for "Scan or type the label of slot 1 ttyUSB0"
ok $? "L: the scan field names the current board"
keys -l "BOX-42"
wait_for "> BOX-42_"
ok $? "what is typed shows in the field"
keys Enter
wait_for "slot 1 labelled"
ok $? "Enter keeps it"
screen | grep -E "^. +1 ttyUSB0 " | grep -q "BOX-42"
ok $? "the row shows the label (UNIT column, 120 columns)"
keys i
wait_for "Label"
like "$(screen | grep 'Label')" "Label +BOX-42" "the detail view shows it"
keys Escape
wait_gone "Label "
keys f
wait_until 20 sh -c "'$FLASHBAY' --config '$T/flashbay.conf' history --json --limit 1 | grep -q '\"ok\"'"
is "$(label_of 1)" "BOX-42" "the attempt is recorded with the label"

# Esc cancels; a label is untrusted: the escape character is dropped
keys L
wait_for "Scan or type"
keys -l "NOPE"
keys Escape
wait_gone "Scan or type"
screen | grep -E "^. +1 ttyUSB0 " | grep -q "BOX-42"
ok $? "Esc: the label is unchanged"

# monitor mode: the next board plugged in gets it
keys M
wait_for "MONITOR"
keys L
wait_for "Scan or type the label of the NEXT board plugged in"
ok $? "monitor mode: the field says the next board plugged in gets it"
keys -l "BOX-"
keys C-g C-a
keys -l "43"
keys Enter
wait_for "the next board plugged in gets the label"
ok $? "... kept for it"
plug 2
wait_until 20 sh -c "'$FLASHBAY' --config '$T/flashbay.conf' history --json --limit 0 | grep -q 'ttyUSB1'" &&
	wait_until 20 sh -c "'$FLASHBAY' --config '$T/flashbay.conf' history --json --limit 1 | grep -q '\"ok\"'"
is "$(label_of 2)" "BOX-43" "the board plugged next is flashed with it (control keys dropped)"
screen | grep -E "^. +2 ttyUSB1 " | grep -q "BOX-43"
ok $? "... and shows it on its row"
is "$(label_of 1)" "BOX-42" "slot 1 keeps its own"
tui_fits 120 30
ok $? "the screen fits"
tui_resize 80 24
wait_for "Boards 2"
tui_fits 80 24
ok $? "at 80x24 it fits (the UNIT column gives way)"
done_testing
