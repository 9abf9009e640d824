#!/bin/sh
# Signals to a dashboard with attempts running. SIGHUP (the SSH session
# dropped: here the tmux server is killed, or kill -HUP): nothing is aborted,
# the screen is left alone, running attempts finish and are recorded, no new
# attempt starts, then flashbay exits and leaves no process behind. SIGTERM
# (systemctl stop): attempts are cancelled and recorded as cancelled, the
# terminal is restored.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
plug 2
# slot 1 ~2 s, slot 2 ~4 s
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB0=slow:100,ttyUSB1=slow:250"
both_flashing() { screen | grep -q "Progress: 2 running" && screen | grep -Eq '^  2 ttyUSB1  Flash'; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- SIGHUP: the terminal goes away (tmux server killed) ---------------------------------
tui_start 80 24 xterm-256color "$FB tui --monitor"
wait_until 10 both_flashing
ok $? "monitor mode: both boards flashing at once"
pid=$(tui_pid)
tui_stop
kill -0 "$pid"
ok $? "the terminal is gone; flashbay is still there, finishing"
plug 3
wait_until 20 gone "$pid"
ok $? "flashbay exits once the attempts are done"
hist_check 'sorted((r["slot"], r["outcome"]) for r in rows) == [(1, "ok"), (2, "ok")]'
ok $? "both attempts finished and are in the history as passed"
hist_check 'all(r["slot"] != 3 for r in rows)'
ok $? "the board plugged in after the hangup was not flashed"
no_procs_matching "$ROOT/dev/tty"
ok $? "no esptool left"
unplug 3

# --- SIGHUP with the terminal still there: nothing is drawn any more ----------------------
rm -f "$T/history.db"*
tui_start 80 24 xterm-256color "$FB tui --monitor"
wait_until 10 both_flashing
pid=$(tui_pid)
off_screen PASS
ok $? "no PASS on the screen yet"
kill -HUP "$pid"
wait_until 10 hist_check 'any(r["slot"] == 1 and r["outcome"] == "ok" for r in rows)'
ok $? "slot 1 passes after the hangup"
off_screen PASS
ok $? "... and the screen does not show it: curses is left alone"
wait_exit 20
is "$(tui_exit_code)" 0 "flashbay exits 0 when slot 2 is done"
hist_check 'sorted((r["slot"], r["outcome"]) for r in rows) == [(1, "ok"), (2, "ok")]'
ok $? "both recorded as passed"

# --- SIGTERM: cancel, record, restore the terminal ------------------------------------------
rm -f "$T/history.db"*
tui_start 80 24 xterm-256color "$FB tui --monitor"
wait_until 10 both_flashing
pid=$(tui_pid)
kill -TERM "$pid"
wait_exit 10
is "$(tui_exit_code)" 143 "SIGTERM: exit 143 (128 + SIGTERM)"
hist_check 'sorted((r["slot"], r["failure_class"]) for r in rows) == [(1, "cancelled"), (2, "cancelled")]'
ok $? "both attempts recorded as cancelled"
no_procs_matching "$ROOT/dev/tty"
ok $? "no esptool left"
is "$($TM display -p -t t '#{alternate_on}')" 0 "the terminal's normal screen is back"
unlike "$(screen)" "Boards|Progress" "none of the dashboard is left on it"
grep -q ' icanon' "$TUI_DIR/stty" && grep -q ' echo ' "$TUI_DIR/stty"
ok $? "cooked mode and echo restored"
tui_stop
done_testing
