#!/bin/sh
# Two flashbay processes on one history: starting at the same moment on a new
# database both succeed (the file is made complete under a temporary name and
# linked into place), and both can record attempts side by side.
. "$srcdir/tests/lib.sh"
H="$builddir/tests/helper/test-history"

bad=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	db="$T/race$i.db"
	"$H" "$db" open > "$T/a$i" 2>&1 &
	a=$!
	"$H" "$db" open > "$T/b$i" 2>&1 || bad=1
	wait "$a" || bad=1
done
ok $bad "12 rounds of two processes creating one database at once: every open succeeds"
is "$(ls "$T" | grep -c '\.new\.')" 0 "no temporary database left behind"
is "$(stat -c %a "$T/race1.db")" 600 "the new database is private to its owner (0600)"

db="$T/shared.db"
"$H" "$db" open > /dev/null
for i in 1 2 3 4 5 6 7 8; do
	"$H" "$db" add "slot=$i" outcome=ok "mac=24:0a:c4:00:00:0$i" > /dev/null &
done
wait
is "$("$H" "$db" counters | sed -n 's/^attempts=//p')" 8 "eight processes recording at once: eight attempts"

done_testing
