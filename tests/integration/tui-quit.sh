#!/bin/sh
# Quitting the dashboard with attempts running: q asks (wait / cancel /
# stay) and each answer does what it says; Ctrl-C asks the same, a second
# Ctrl-C cancels and leaves with 130. Waiting starts no new attempt.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
plug 2
plug 3
# slots 1 and 2 take ~5 s, slot 3 is quick
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB0=slow:300,ttyUSB1=slow:300"
running() { screen | grep -q "Progress: 2 running"; }
attempts() { hist_json | grep -o '"id":' | wc -l; }

start() {
	# set -m: a job-control shell, as when typed at a prompt (in the pane's
	# own process group, orphaned, Ctrl-Z would be dropped by the kernel)
	tui_start 80 24 xterm-256color "set -m; $FB"
	wait_for "Boards 3"
	keys Home Space Space f
	wait_until 10 running
}

# stay (s), stay (Esc), then wait (w)
start
ok $? "two boards flashing"
pid=$(tui_pid)
keys q
wait_for "2 attempts still queued or running."
ok $? "q asks: 2 attempts running"
like "$(screen)" "w  wait for them, then quit" "answer w offered"
like "$(screen)" "c  cancel them and quit" "answer c offered"
like "$(screen)" "s  stay \\(or Esc\\)" "answer s offered"
keys s
wait_gone "Quit?"
running && kill -0 "$pid"
ok $? "s: the dialog goes, flashing goes on"
keys q
wait_for "Quit?"
keys Escape
wait_gone "Quit?"
running && kill -0 "$pid"
ok $? "Esc: the same"
keys C-z
wait_until 5 sh -c "$TM capture-pane -p -t t | grep -Eq '^  1 ttyUSB0  Flash.* [1-9][0-9]?% '"
ok $? "Ctrl-Z does not stop the dashboard: flashing and drawing go on"
[ "$(cut -d' ' -f3 "/proc/$pid/stat")" != T ]
ok $? "... it is not a stopped process"
keys q
wait_for "Quit?"
keys w
wait_for "leaving when done"
ok $? "w: the header says it is leaving when done"
n=$(attempts)
keys z F
wait_for "no idle ESP32 board to flash"
ok $? "F while leaving starts nothing"
is "$(attempts)" "$n" "no new attempt in the history"
wait_exit 20
is "$(tui_exit_code)" 0 "it leaves (exit 0) once both attempts are done"
hist_check 'sorted((r["slot"], r["outcome"]) for r in rows) == [(1, "ok"), (2, "ok")]'
ok $? "both finished and recorded as passed"

# cancel (c)
rm -f "$T/history.db"*
start
keys q
wait_for "Quit?"
keys c
wait_exit 10
is "$(tui_exit_code)" 0 "c: exit 0 at once"
hist_check 'sorted((r["slot"], r["failure_class"]) for r in rows) == [(1, "cancelled"), (2, "cancelled")]'
ok $? "both attempts recorded as cancelled"
no_procs_matching "$ROOT/dev/tty"
ok $? "no esptool left"

# Ctrl-C asks the same question; Ctrl-C again cancels and leaves with 130
rm -f "$T/history.db"*
start
keys C-c
wait_for "Quit?"
ok $? "Ctrl-C asks what to do"
keys C-c
wait_exit 10
is "$(tui_exit_code)" 130 "a second Ctrl-C: exit 130"
hist_check 'sorted((r["slot"], r["failure_class"]) for r in rows) == [(1, "cancelled"), (2, "cancelled")]'
ok $? "both attempts recorded as cancelled"
grep -q ' icanon' "$TUI_DIR/stty" && grep -q ' echo ' "$TUI_DIR/stty"
ok $? "the terminal is restored"
tui_stop
done_testing
