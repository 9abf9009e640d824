#!/bin/sh
# Errors never lose data and are never silent: an unwritable path, a file
# that is not a database, a locked database, a full disk - one clear line
# naming the file, exit 1, and nothing overwritten.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

# no history yet: reading commands say so and create nothing
out=$(fb stats)
is "$?" 0 "stats without a history: exit 0"
is "$out" "no history yet at $DB" "... says so"
out=$(fb history)
is "$?:$out" "0:no history yet at $DB" "history without a history: exit 0, says so"
is "$(fb stats --json 2>/dev/null | py 'd["attempts"], d["first_pass_yield"]')" "(0, None)" \
	"stats --json without a history: zeros"
is "$(fb history --json 2>/dev/null)" "[]" "history --json without a history: []"
[ ! -e "$DB" ]
ok $? "... and no database is created"

# an unwritable path
printf 'x' > "$T/file"
err=$("$TH" "$T/file/sub/history.db" add unit=x 2>&1)
is "$?" 1 "a station with the database under a regular file: exit 1"
is "$err" "cannot create folder '$T/file/sub' for history database '$T/file/sub/history.db': Not a directory" \
	"... one line naming folder and file"
err=$("$FLASHBAY" --db "$T/file/history.db" stats 2>&1)
is "$?" 2 "stats with such a path: exit 2 (a history that cannot be opened: nothing was done)"
is "$err" "flashbay stats: cannot open history database '$T/file/history.db': Not a directory" \
	"... naming the file"
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro" && chmod 500 "$T/ro"
	err=$("$TH" "$T/ro/history.db" add unit=x 2>&1)
	is "$?" 1 "a read-only folder: exit 1"
	like "$err" "'$T/ro/history.db'" "... naming the file"
elif mkdir "$T/ro" && mount -t tmpfs -o ro,size=64k tmpfs "$T/ro" 2>/dev/null; then
	umount_ro() { umount "$T/ro" 2>/dev/null; }
	on_exit umount_ro
	err=$("$TH" "$T/ro/state/history.db" add unit=x 2>&1)
	is "$?" 1 "a read-only file system: exit 1"
	is "$err" "cannot create history database '$T/ro/state/history.db': folder '$T/ro/state' does not exist (flashbay creates only its default folder; make it first)" \
		"... a missing folder is never made for a --db: one line naming folder and file"
	err=$("$TH" "$T/ro/history.db" add unit=x 2>&1)
	is "$?" 1 "a database on a read-only file system: exit 1"
	is "$err" "cannot create history database '$T/ro/history.db': Read-only file system" \
		"... says why"
else
	diag "root without mount(8): read-only file system case skipped"
fi

# a file that is not a database
mkdir -p "$T/state"
printf 'station log, not a database\n%.0s' $(seq 1 200) > "$DB"
sum=$(cksum < "$DB")
err=$(fb stats 2>&1)
is "$?" 2 "stats on a file that is not a database: exit 2"
is "$err" "flashbay stats: cannot open history database '$DB': file is not a database (not an SQLite database; left untouched)" \
	"... one clear line naming the file"
err=$("$TH" "$DB" add unit=x 2>&1)
is "$?" 1 "a station refuses it too"
like "$err" "file is not a database" "... with the same message"
fb history >/dev/null 2>&1
is "$?" 2 "history: exit 2"
fb stats --reset >/dev/null 2>&1
is "$?" 2 "stats --reset: exit 2"
is "$(cksum < "$DB")" "$sum" "the file is never overwritten or repaired"
ls "$T/state" > "$T/ls"
is "$(cat "$T/ls")" "history.db" "... and nothing is created next to it"
rm -f "$DB"

# a database locked by another process, beyond the busy timeout
"$TH" "$DB" add unit=l1 slot=1 start=2025-06-01T10:00:00Z end=2025-06-01T10:00:20Z dur=20000 >/dev/null
lock() { # MODE: "write" holds the write lock (WAL readers go on); "exclusive" locks everyone out
	rm -f "$T/lock.ready"
	"$PY" - "$DB" "$T/lock.ready" "$1" <<'PYEOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[3] == "exclusive":
    c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE attempts SET message = message WHERE 0")
if sys.argv[3] == "exclusive":
    c.execute("INSERT INTO periods (started_ms, started_at) SELECT started_ms, started_at FROM periods WHERE 0")
    c.execute("COMMIT")
    c.execute("SELECT count(*) FROM attempts").fetchall()
open(sys.argv[2], "w").close()
time.sleep(60)
PYEOF
	locker=$!
	wait_until 10 test -e "$T/lock.ready"
}
unlock() { kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null; true; }
on_exit unlock

lock write
t0=$(date +%s%N)
err=$("$TH" "$DB" add unit=l2 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 1 "writing while another process holds the lock: exit 1"
is "$err" "cannot write to history database '$DB': database is locked (another process holds it; waited 300 ms)" \
	"... after the busy timeout, one line naming the file"
[ "$ms" -ge 300 ] && [ "$ms" -lt 5000 ]
ok $? "... having waited the busy timeout (${ms} ms)"
err=$(fb stats --reset 2>&1)
is "$?" 1 "stats --reset while locked: exit 1"
like "$err" "^flashbay stats: cannot write to history database '$DB': database is locked" "... says so"
is "$(fb stats --json | py 'd["attempts"]')" "1" "reading goes on while another process writes (WAL)"
unlock

lock exclusive
err=$(fb stats 2>&1)
is "$?" 2 "a database locked exclusively: stats exit 2 (nothing was done)"
like "$err" "^flashbay stats: cannot (open|read) history database '$DB': database is locked \(another process holds it; waited 300 ms\)$" \
	"... one line naming the file"
unlock
is "$(fb stats --json | py 'd["attempts"]')" "2" \
	"once the lock is gone everything is there, the attempt kept in the journal too"
[ ! -e "$DB.pending" ]
ok $? "... the journal is applied and removed"

# a full disk: SQLITE_FULL through max_page_count
"$TH" --max-pages 1 "$DB" fill 2000 > "$T/out" 2>&1
is "$?" 1 "a database that cannot grow: exit 1"
is "$(cat "$T/out")" "cannot write to history database '$DB': database or disk is full (no space left for it)" \
	"... one line naming the file"
is "$(fb stats --json | py 'd["attempts"]')" "2" "... and nothing that was there is lost"

# a full disk for real: a tiny tmpfs (512 KiB: creating a history of schema 5
# takes ~260 KiB at its peak - the new file, its WAL and shared memory)
if [ "$(id -u)" = 0 ] && mkdir "$T/tiny" && mount -t tmpfs -o size=512k tmpfs "$T/tiny" 2>/dev/null; then
	umount_tiny() { umount "$T/tiny" 2>/dev/null; }
	on_exit umount_tiny
	"$TH" "$T/tiny/h.db" add unit=t1 >/dev/null
	dd if=/dev/zero of="$T/tiny/filler" bs=4k 2>/dev/null
	i=0
	while [ $i -lt 50 ] && "$TH" "$T/tiny/h.db" add unit=t2 output="$(printf '%04000d' 0)" >/dev/null 2>"$T/err"; do
		i=$((i + 1))
	done
	like "$(cat "$T/err")" "^cannot (open|write to) history database '$T/tiny/h.db': (database or disk is full|disk I/O error \(No space left on device\))" \
		"a full file system: one line naming the file"
	rm -f "$T/tiny/filler"
	is "$("$TH" "$T/tiny/h.db" add unit=t3 >/dev/null && "$FLASHBAY" --db "$T/tiny/h.db" stats --json | py 'd["attempts"]')" \
		"$((i + 2))" "with space again every attempt is there and new ones are recorded"
else
	diag "no tmpfs mount: the real full-disk case is skipped (max_page_count covers SQLITE_FULL)"
fi

done_testing
