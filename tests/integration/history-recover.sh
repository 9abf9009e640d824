#!/bin/sh
# Attempts cut short: a flashbay killed mid-attempt leaves a running row,
# which the next station to open the history marks interrupted; a live
# station's running rows are left alone.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

hang() {
	"$TH" "$DB" hang unit=h1 slot=2 port=/dev/ttyUSB1 > "$T/hang.out" 2>&1 &
	hang_pid=$!
	wait_until 10 grep -q '^[0-9]' "$T/hang.out"
}
stop_hang() { kill -9 "$hang_pid" 2>/dev/null; wait "$hang_pid" 2>/dev/null; true; }
on_exit stop_hang

"$TH" "$DB" add unit=a slot=1 mac=24:0a:c4:00:00:0a >/dev/null
hang
ok $? "an attempt begins and its process hangs mid-attempt"
id=$(cat "$T/hang.out")
is "$(sql "SELECT outcome FROM attempts WHERE id = $id")" "running" "the row is in the history as running"

out=$("$TH" "$DB" open)
is "$out" "recovered 0" "another station opening meanwhile leaves a live process's row alone"
is "$(sql "SELECT outcome FROM attempts WHERE id = $id")" "running" "... still running"

kill -9 "$hang_pid"
wait "$hang_pid" 2>/dev/null
j=$(fb stats --json)
is "$(printf '%s\n' "$j" | py 'd["running"], d["interrupted"], d["failed"], d["boards"]')" "(0, 1, 1, 2)" \
	"after SIGKILL, stats show the row interrupted before any writer opens"
j=$(fb stats --all --json)
is "$(printf '%s\n' "$j" | py 'd["running"], d["interrupted"], d["periods"][0]["interrupted"]')" "(0, 1, 1)" \
	"... stats --all too"
j=$(fb stats --since 2000-01-01 --json)
is "$(printf '%s\n' "$j" | py 'd["running"], d["interrupted"], d["by_class"]')" "(0, 1, {'interrupted': 1})" \
	"... and a --since window"
j=$(fb history --json)
is "$(printf '%s\n' "$j" | py '[(r["outcome"], r["failure_class"]) for r in d if r["id"] == '"$id"']')" \
	"[('interrupted', 'interrupted')]" "history --json shows it interrupted"
like "$(fb history)" "^ *$id .* interrupted$" "... the history table too"
like "$(fb export --csv -)" "^$id,.*,interrupted,interrupted,\"?flashbay stopped before" "... and export"
is "$(sql "SELECT outcome FROM attempts WHERE id = $id")" "running" "reading commands write nothing"

out=$("$TH" "$DB" open)
is "$out" "recovered 1" "the next open after SIGKILL recovers the row"
is "$(sql "SELECT outcome || ' ' || failure_class FROM attempts WHERE id = $id")" \
	"interrupted interrupted" "outcome and class: interrupted"
like "$(sql "SELECT message FROM attempts WHERE id = $id")" "stopped before this attempt ended" \
	"with a message saying why"
is "$(sql "SELECT port FROM attempts WHERE id = $id")" "/dev/ttyUSB1" "what was known at the start is kept"
j=$(fb stats --json)
is "$(printf '%s\n' "$j" | py 'd["attempts"], d["failed"], d["running"], d["interrupted"], d["by_class"]')" \
	"(2, 1, 0, 1, {'interrupted': 1})" "stats count it as an interrupted failure"
is "$("$TH" "$DB" open)" "recovered 0" "recovered once only"

done_testing
