#!/bin/sh
# flashbay stats --reset: a new statistics period, nothing deleted; --all.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

out=$(fb stats --reset)
is "$?" 0 "--reset without a history: exit 0"
like "$out" "no history yet at .*history.db; nothing to reset" "... says there is nothing to reset"
[ ! -e "$DB" ]
ok $? "... and creates no database"

load_dataset
stop_dataset_hang # u7's flashbay is gone: the next writer recovers its row
out=$(fb stats --reset)
is "$?" 0 "--reset exits 0"
like "$out" "^Started statistics period 2 at [0-9-]+ [0-9:]+ UTC; nothing was deleted" "... names the new period"
j=$(fb stats --json)
is "$(printf '%s\n' "$j" | py 'd["period"], d["attempts"], d["first_pass_yield"], d["units_per_hour"]')" \
	"(2, 0, None, 0)" "the new period starts empty: a yield over no boards is null"
like "$(fb stats)" "^First-pass yield:  - \(0 of 0 boards" "... and - in text, not 0.0%"
is "$(sql 'SELECT count(*) FROM attempts')" "9" "every attempt is still there"

"$TH" "$DB" add unit=n1 slot=4 start=2025-06-02T08:00:00Z end=2025-06-02T08:00:30Z dur=30000 \
	mac=24:0a:c4:00:01:01 >/dev/null
"$TH" "$DB" add unit=n1 slot=4 start=2025-06-02T08:01:00Z end=2025-06-02T08:01:30Z dur=30000 \
	mac=24:0a:c4:00:00:01 >/dev/null
j=$(fb stats --json)
is "$(printf '%s\n' "$j" | py 'd["attempts"], d["ok"], d["boards"], d["first_pass_yield"] == 1')" "(2, 2, 2, True)" \
	"attempts after the reset count in the new period (a board of period 1 counts anew)"

j=$(fb stats --all --json)
is "$?" 0 "--all --json exits 0"
is "$(printf '%s\n' "$j" | py '[(p["period"], p["attempts"]) for p in d["periods"]]')" "[(1, 9), (2, 2)]" \
	"--all lists every period"
is "$(printf '%s\n' "$j" | py 'd["periods"][0]["interrupted"], d["periods"][0]["running"]')" "(1, 0)" \
	"the writer that reset recovered period 1's attempt left running by a dead process"
is "$(printf '%s\n' "$j" | py 'd["periods"][0]["period_ended_at"] == d["periods"][1]["period_started_at"]')" \
	"True" "a period ends where the next begins"
is "$(printf '%s\n' "$j" | py 'd["periods"][1]["period_ended_at"]')" "None" "the current period has no end"
is "$(printf '%s\n' "$j" | py 'd["scope"], d["attempts"], d["ok"], d["failed"]')" "('all', 11, 6, 5)" \
	"--all sums every period"
j1=$(fb stats --json --all | py 'd["periods"][0]["first_pass_yield"]')
is "$j1" "0.428571" "period 1 keeps its figures (3 of 7 boards, now that u7 ended interrupted)"

out=$(fb stats --all)
like "$out" "  Period  Started \(UTC\)        Attempts        Ok    Failed   Yield  Units/h" "--all text: a table of periods"
like "$out" "       1  [0-9-]+ [0-9:]+         9         4         5   42.9%     36.9" "... period 1"
like "$out" "       2  [0-9-]+ [0-9:]+         2         2         0  100.0%     80.0" "... period 2"
like "$out" "All statistics periods" "... then all periods together"

j=$(fb stats --reset --json)
is "$(printf '%s\n' "$j" | py 'd["period"]')" "3" "--reset --json: the new period"
fb stats --reset --all >/dev/null 2>&1
is "$?" 2 "--reset with --all: exit 2"

done_testing
