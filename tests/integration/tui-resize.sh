#!/bin/sh
# Resizing the terminal (SIGWINCH through the loop) re-lays out the dashboard
# at once: while idle (nothing else could make it draw) and while 16 boards
# flash; bigger terminals show more boards and more progress bars, and the
# board table scrolls to keep the cursor visible.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
for n in $(seq 1 16); do plug $n; done
export FAKE_ESPTOOL_BEHAVIOUR="slow:600"
# laid out for COLS x ROWS: fits, header first, key bar last, rules full width
laid_out() {
	tui_fits "$1" "$2" >/dev/null &&
		screen | head -n 1 | grep -q '^ flashbay bay-7' &&
		screen | tail -n 1 | grep -q '^f Flash .* q Quit' &&
		[ "$(screen | grep '^─ Log ─' | LC_ALL=C.UTF-8 wc -L)" = "$1" ]
}
check_layout() { # COLS ROWS NAME
	wait_until 3 laid_out "$1" "$2"
	r=$?
	ok $r "$3: laid out for $1x$2 at once"
	[ $r = 0 ] || tui_show
}

tui_start 80 24 xterm-256color "$FB"
wait_for "Boards 16 (1-"
ok $? "80x24: 16 boards, the table shows a part"
check_layout 80 24 "start"
tui_resize 120 40
check_layout 120 40 "idle, grown"
like "$(screen)" "─ Boards 16 ─" "120x40: the whole table"
tui_resize 100 30
check_layout 100 30 "idle, shrunk"
tui_resize 80 24
check_layout 80 24 "idle, back"

keys F
wait_for "Progress: 16 running"
ok $? "16 boards flashing"
keys z # clears the note: the key bar is back
tui_resize 120 40
check_layout 120 40 "mid-flash, grown"
n=$(screen | grep -Ec '^ +[0-9]+ ttyUSB[0-9]+ +[A-Z][a-z]+')
[ "$n" -ge 10 ]
ok $? "120x40: $n progress bars"
tui_resize 80 24
check_layout 80 24 "mid-flash, shrunk"
n=$(screen | grep -Ec '^ +[0-9]+ ttyUSB[0-9]+ +[A-Z][a-z]+')
# the board table's rows go first (12 of 16 show), then one bar and "... and N more"
[ "$n" -eq 1 ] && on_screen "... and 15 more"
ok $? "80x24: $n progress bar and the count of the others"
like "$(screen)" "\\.\\.\\. and [0-9]+ more" "and a line for the rest"
keys End
wait_until 3 sh -c "$TM capture-pane -p -t t | grep -q '^▶ *16 ttyUSB15'"
ok $? "End: the table scrolls to the last board"
like "$(screen)" "Boards 16 \\([0-9]+-16\\)" "the title says which rows are shown"
keys q
wait_for "Quit?"
keys c
wait_exit 10
is "$(tui_exit_code)" 0 "quit, cancelling: exit 0"
tui_stop
done_testing
