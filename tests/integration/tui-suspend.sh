#!/bin/sh
# The dashboard hands the terminal to a full-screen child and takes it back
# (tui_run_fullscreen(), the mechanism of Klipper's menuconfig key), driven
# through tests/helper/test-tui-child: the real tui.c and engine, plus SIGUSR1
# to start a small curses child. While the child owns the terminal, the loop
# keeps serving the other jobs (one finishes and is recorded, the other's
# progress moves on); afterwards the screen is whole again and keys work.
# Ctrl-C in the child reaches only the child; SIGTERM during it ends both.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
plug 2
# slot 1 takes ~2 s, slot 2 ~20 s (10 blocks of 16 KiB each): it outlives the test
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB0=slow:100,ttyUSB1=slow:2000"
H="'$builddir/tests/helper/test-tui-child' --no-udev --sysfs-root '$ROOT/sys' --dev-root '$ROOT/dev' --config '$T/flashbay.conf'"
# percent of slot 2 in the progress pane
pct2() { screen | sed -n 's/^  2 ttyUSB1 .* \([0-9]*\)% .*/\1/p' | head -n 1; }
pct2_above() { p=$(pct2); [ -n "$p" ] && [ "$p" -gt "$1" ]; }
dashboard_whole() { on_screen " flashbay bay-7" && on_screen "Boards 2" && on_screen "q Quit" && tui_fits "$1" "$2"; }

tui_start 80 24 xterm-256color "$H"
wait_for "Boards 2"
ok $? "the dashboard is up"
pid=$(tui_pid)
keys F
wait_until 10 pct2_above 0
ok $? "both boards flashing"

kill -USR1 "$pid"
wait_for "CHILD RUNNING 80x24 foreground=yes"
ok $? "the child draws its screen, in the terminal's foreground process group"
unlike "$(screen)" "Boards|Progress|flashbay bay-7|q Quit" "none of the dashboard's rows is left while the child runs"
wait_until 15 hist_check 'any(r["slot"] == 1 and r["outcome"] == "ok" for r in rows)'
ok $? "slot 1 finished and was recorded while the child had the terminal"
hist_check 'any(r["slot"] == 2 and r["outcome"] == "running" for r in rows)'
ok $? "slot 2 still running then"
on_screen "CHILD RUNNING"
ok $? "the dashboard did not draw over the child meanwhile"
tui_resize 100 30
wait_for "CHILD RUNNING 100x30"
ok $? "a resize reaches the child"

keys q
wait_for "child exited with status 7"
ok $? "the child ended with q; done() got its exit status"
wait_until 5 dashboard_whole 100 30
ok $? "the dashboard is whole again, at the size set while it was away"
unlike "$(screen)" "CHILD RUNNING|press q to return" "nothing of the child is left"
like "$(screen)" " 1 +ttyUSB0 .*PASS" "slot 1 shows PASS"
r1=$(pct2)
wait_until 10 pct2_above "$r1"
ok $? "slot 2's progress keeps advancing after the return ($r1% -> $(pct2)%)"
keys '?'
wait_for "this help"
ok $? "keys work again (? opens the help)"
keys Escape
wait_gone "this help"

# Ctrl-C in the child goes to the child's process group only
kill -USR1 "$pid"
wait_for "CHILD RUNNING"
keys C-c
wait_for "child exited with status"
ok $? "Ctrl-C ends the child"
off_screen "Quit?" && kill -0 "$pid"
ok $? "... and not the dashboard (no SIGINT reached it)"
wait_until 5 dashboard_whole 100 30
ok $? "the dashboard is back"

# SIGTERM while the child has the terminal: the child is stopped too, slot 2's
# attempt cancelled and recorded, the terminal restored
kill -USR1 "$pid"
wait_for "CHILD RUNNING"
hist_check 'any(r["slot"] == 2 and r["outcome"] == "running" for r in rows)'
ok $? "slot 2 still running as the child starts again"
kill -TERM "$pid"
wait_exit 10
is "$(tui_exit_code)" 143 "SIGTERM during the child: exit 143"
hist_check 'any(r["slot"] == 2 and r["failure_class"] == "cancelled" for r in rows)'
ok $? "slot 2 recorded as cancelled"
no_procs_matching "$ROOT/dev/tty" && no_procs_matching "/proc/self/exe --child"
ok $? "neither esptool nor the child is left"
grep -q ' icanon' "$TUI_DIR/stty" && grep -q ' echo ' "$TUI_DIR/stty"
ok $? "the terminal is back in cooked mode with echo"
tui_stop
done_testing
