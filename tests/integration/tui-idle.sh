#!/bin/sh
# Output economy, the robust part (the bytes per second while flashing are a
# bench figure: bench/tui.sh). The dashboard runs on a pty of its own
# (tests/helper/ptymeter counts every byte it writes and reads its context
# switches from /proc): after the first complete frame an idle dashboard
# writes nothing, and its loop sleeps without a timeout - no wake-ups - both
# from the start and after a round of flashing.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
M="$builddir/tests/helper/ptymeter"
station_setup
plug 1
plug 2
eval "set -- $FB"
val() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# A: idle from the start; B: flash both boards (F), clear the note (z), then
# idle. They run side by side: A has a history of its own.
TERM=xterm-256color "$M" --out "$T/a.out" --until Quit --window 1:3 --settle 300 80 24 5 -- \
	"$@" --db "$T/a.db" >"$T/a" &
a=$!
TERM=xterm-256color "$M" --until Quit --send 100:F --send 1500:z --window 2.2:4.2 --settle 500 \
	80 24 5 -- "$@" >"$T/b"
wait "$a"
A=$(cat "$T/a")
B=$(cat "$T/b")
diag "idle from the start: $A"
diag "idle after flashing: $B"

[ "$(val "$A" first_ms)" -ge 0 ] && [ "$(val "$A" first_second)" -gt 1000 ]
r=$?
ok $r "a complete first frame ($(val "$A" first_second) bytes in the first second, in $(val "$A" first_ms) ms)"
[ $r = 0 ] || sed 's/^/#   /' "$T/a.out"
[ "$(val "$A" window_ms)" -ge 1900 ]
ok $? "a quiet window of 2 s was measured"
is "$(val "$A" window_bytes)" 0 "idle: 0 bytes written in 2 s"
[ "$(val "$A" window_ctxsw)" -le 1 ]
ok $? "idle: $(val "$A" window_ctxsw) wake-ups in 2 s (the loop's poll has no timeout)"

hist_check 'sorted((r["slot"], r["outcome"]) for r in rows) == [(1, "ok"), (2, "ok")]'
ok $? "F flashed both boards"
[ "$(val "$B" window_ms)" -ge 1900 ]
ok $? "then a quiet window of 2 s was measured"
is "$(val "$B" window_bytes)" 0 "idle after flashing: 0 bytes in 2 s (no clock left ticking)"
[ "$(val "$B" window_ctxsw)" -le 1 ]
ok $? "idle after flashing: $(val "$B" window_ctxsw) wake-ups in 2 s"
done_testing
