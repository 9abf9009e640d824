#!/bin/sh
# A history on read-only storage (or in a folder the user cannot write) is
# read, read-only: stats, history and export show its rows; a journal that
# cannot be applied there is mentioned, not lost.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

RO="$T/ro"
mkdir -p "$RO"
if [ "$(id -u)" = 0 ]; then
	# root writes through chmod: a tmpfs remounted read-only is really read-only
	mount -t tmpfs -o size=1m tmpfs "$RO" 2>/dev/null ||
		skip_all "root without mount(8) permissions: no read-only storage to test on"
	umount_ro() { umount "$RO" 2>/dev/null; }
	on_exit umount_ro
	make_ro() { mount -o remount,ro "$RO"; }
	make_rw() { mount -o remount,rw "$RO"; }
else
	make_ro() { chmod 444 "$RO"/*; chmod 555 "$RO"; }
	make_rw() { chmod 755 "$RO"; chmod 644 "$RO"/*; }
	on_exit make_rw
fi

DB="$RO/history.db"
load_dataset
stop_dataset_hang
"$TH" "$DB" open >/dev/null # u7 recovered: 9 ended attempts
make_ro
( : > "$RO/probe" ) 2>/dev/null && skip_all "the folder is still writable"

out=$(fb stats)
is "$?" 0 "stats on a read-only history: exit 0"
like "$out" "^Attempts: +9 \(ok 4, failed 5, cancelled 0, not started 0, running 0\)" "... counts its rows"
unlike "$out" "no history yet" "... never says there is no history"
is "$(fb stats --json | py 'd["attempts"], d["boards"]')" "(9, 7)" "stats --json: the same figures"
is "$(fb history --json --limit 0 | py 'len(d)')" 9 "history --json lists every row"
like "$(fb history)" "^ +9 2025-06-01 10:06:30" "history shows the newest first"
is "$(fb export --csv - | wc -l)" 10 "export writes the header and every row"
fb stats --reset > "$T/out" 2> "$T/err"
is "$?" 2 "stats --reset cannot write there: exit 2 (nothing was done)"
like "$(cat "$T/err")" "^flashbay stats: cannot .*'$DB'" "... naming the file"

# a journal beside a read-only history: mentioned, kept, applied later
make_rw
printf '%s\n' '{"kind":"record","id":0,"owner":null,"started_ms":1748772000000,"slot":5,"port":"/dev/ttyUSB9","unit":"j1","outcome":"ok","mac":"24:0a:c4:00:00:99","exit_code":0,"duration_ms":1000}' \
	> "$DB.pending"
make_ro
j=$(fb stats --json 2> "$T/err")
is "$(printf '%s\n' "$j" | py 'd["attempts"]')" 9 "a journal that cannot be applied here is not counted"
like "$(cat "$T/err")" "note: 1 result in the journal '$DB.pending' is not in the history yet" \
	"... but stats says it waits"
make_rw
is "$(fb stats --json 2>/dev/null | py 'd["attempts"], d["ok"]')" "(10, 5)" \
	"writable again: the next reader applies it"
[ ! -e "$DB.pending" ]
ok $? "... and removes it"

done_testing
