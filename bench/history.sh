#!/bin/sh
# The flash history at size: fill BENCH_HISTORY_ROWS (default 1,000,000)
# attempts through the real history API in one transaction, then time
# `flashbay stats` (tally tables), `stats --since` (counting rows), the CSV
# export, and the writes one attempt makes on the loop (begin, finish).
# The database is shared with bench/startup.sh (lib.sh: history_db), whichever
# runs first fills it; the fill's figures come from its saved output.
. "$S/bench/lib.sh"
figure_no 7

N=${BENCH_HISTORY_ROWS:-1000000}
TH="$B/tests/helper/test-history"
bench_dir history
trap 'rm -rf "$DIR"' EXIT
DB=$(history_db "$N") || { echo "cannot fill a $N-row history database" >&2; exit 1; }

# ms one run of a command takes: median of 5, whole process (spawn to exit)
ms_of() { printf '%.0f' "$(median_ms 5 "$@")"; }

fill=$(cat "$DB.fill")
rate=$(echo "$fill" | awk '{ print $6 }')
secs=$(echo "$fill" | awk '{ print $4 }')
size=$(du -k "$DB" | awk '{ print $1 }')
figure "history insert rate" "$rate rows/s" "-" "$N generated attempts via history_record() in one transaction (${secs} s; database $(mib "$size"))"

ms=$(ms_of "$FLASHBAY" --db "$DB" stats)
figure "history stats, $N rows" "$ms ms" "<= 200 ms" "flashbay stats of a period holding every row: whole process, median of 5"
ms=$(ms_of "$FLASHBAY" --db "$DB" stats --json)
figure "history stats --json, $N rows" "$ms ms" "<= 200 ms" "the same with --json"
ms=$(ms_of "$FLASHBAY" --db "$DB" stats --since 2000-01-01)
figure "history stats --since, $N rows" "$ms ms" "-" "a --since window over every row: counted from the rows, not the tallies"

ms=$(kv wall_ms "$($SPAWN -- "$FLASHBAY" --db "$DB" export --csv "$DIR/history.csv")")
ms=$(printf '%.0f' "$ms")
csv=$(du -k "$DIR/history.csv" | awk '{ print $1 }')
figure "history CSV export, $N rows" "$ms ms" "-" "flashbay export --csv FILE ($(mib "$csv")), temp file + rename"
rm -f "$DIR/history.csv"
sync # the CSV's writeback would slow the writes timed next

pairs=$("$TH" "$DB" pairs 2000)
b=$(echo "$pairs" | awk '/^begin/ { printf "avg %d us, p99 %d us", $2, $4 }')
f=$(echo "$pairs" | awk '/^finish/ { printf "avg %d us, p99 %d us", $2, $4 }')
bm=$(echo "$pairs" | awk '/^begin/ { printf "max %d us, %d of 2000 over 1 ms", $6, $8 }')
fm=$(echo "$pairs" | awk '/^finish/ { printf "max %d us, %d of 2000 over 1 ms", $6, $8 }')
figure "history begin write" "$b" "<= 1 ms" "history_begin(), own transaction, 2000 back to back on the $N-row database ($bm)"
figure "history finish write" "$f" "<= 1 ms" "history_finish() with a MAC learned, the same 2000 attempts ($fm)"
