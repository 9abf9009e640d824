#!/bin/sh
# `flashbay tui --port DEV` (repeatable), in tmux: ports discovery does not
# know (here ptys, reached through links) are board rows from the start,
# beside the discovered ones; F flashes them; with --monitor each is flashed
# once at start, with nothing pressed.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
mkdir -p "$T/pty"
# two ptys held open for the whole test, as links $T/pty/pA and $T/pty/pB
"$PY" -c '
import os, pty, signal, sys
held = []
for link in sys.argv[1:]:
    m, s = pty.openpty()
    held += [m, s]
    os.symlink(os.ttyname(s), link)
signal.pause()' "$T/pty/pA" "$T/pty/pB" &
holder=$!
stop_holder() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; return 0; }
on_exit stop_holder
wait_until 10 test -e "$T/pty/pB"
ok $? "two ptys are held open"
# the board table's row of port P
row() { screen | grep -E "^.. *[0-9]+ $1 +esp32 "; }
row_has() { row "$1" | grep -Eq -- "$2"; }

tui_start 100 24 xterm-256color "$FB tui --port '$T/pty/pA' --port '$T/pty/pB'"
wait_for "Boards 3"
ok $? "tui --port pA --port pB: three boards (one discovered, two named)"
row pA >/dev/null && row pB >/dev/null && row ttyUSB0 >/dev/null
ok $? "each named port has its row, as an ESP32 board"
row_has pA " idle " || row_has pA "idle"
ok $? "a named port waits for a key without --monitor"
keys F
wait_until 20 row_has pA " PASS " && wait_until 10 row_has pB " PASS " &&
	wait_until 10 row_has ttyUSB0 " PASS "
ok $? "F flashes the named ports with the discovered board: PASS"
[ -s "$T/flash/pA.bin" ] && [ -s "$T/flash/pB.bin" ]
ok $? "the fake esptool was given the named ports"
keys q
wait_exit 10
is "$(tui_exit_code)" 0 "q: exit 0"

# --monitor: the named port is flashed once at start, without a key
rm -f "$T/flash/pA.bin"
tui_start 100 24 xterm-256color "$FB tui --monitor --port '$T/pty/pA'"
wait_for "Boards 2"
ok $? "tui --monitor --port pA: two boards"
wait_until 20 row_has pA " PASS "
ok $? "--monitor: the named port is flashed at start"
# the discovered board is flashed too; q while it runs would ask first
wait_until 20 row_has ttyUSB0 " PASS "
ok $? "--monitor: and the discovered board"
[ -s "$T/flash/pA.bin" ]
ok $? "its images went to the named port"
keys q
wait_exit 10
is "$(tui_exit_code)" 0 "q: exit 0"

# a named port that does not exist: refused before the dashboard opens
out=$(eval "$FB tui --port '$T/pty/nope'" 2>&1 </dev/null)
is "$?" 2 "tui --port to nothing: refused, exit 2"
like "$out" "cannot use port '$T/pty/nope'" "... naming the port"

done_testing
