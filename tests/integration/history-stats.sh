#!/bin/sh
# flashbay stats and history on a known data set: every figure exact.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

load_dataset
ok $? "the data set is loaded through the history API"

j=$(fb stats --json)
is "$?" 0 "stats --json exits 0"
is "$(printf '%s\n' "$j" | py 'd["attempts"], d["ok"], d["failed"], d["running"]')" "(9, 4, 4, 1)" \
	"attempts 9: ok 4, failed 4, running 1"
is "$(printf '%s\n' "$j" | py 'd["boards"], d["boards_first_pass"], d["boards_passed"]')" "(6, 3, 4)" \
	"6 boards ended their first attempt, 3 passed it, 4 passed at all"
is "$(printf '%s\n' "$j" | py 'd["first_pass_yield"]')" "0.5" "first-pass yield 3/6 (a no-MAC failure joins the MAC's board)"
is "$(printf '%s\n' "$j" | py 'abs(d["units_per_hour"] - 4 / (390 / 3600)) < 1e-3')" "True" \
	"units per hour: 4 boards from 10:00:00 to 10:06:30"
is "$(printf '%s\n' "$j" | py 'd["duration_ms_p50"], d["duration_ms_p95"]')" "(25000, 60000)" \
	"duration p50 and p95 (nearest rank over 8 ended attempts)"
is "$(printf '%s\n' "$j" | py 'sorted(d["by_class"].items())')" "[('no_sync', 2), ('timeout', 2)]" \
	"failures by class"
is "$(printf '%s\n' "$j" | py 'sorted((k, v["attempts"], v["failed"]) for k, v in d["by_slot"].items())')" \
	"[('0', 1, 0), ('1', 3, 1), ('2', 3, 1), ('3', 2, 2)]" "attempts and failures per slot"
is "$(printf '%s\n' "$j" | py 'd["by_slot"]["3"]["failure_rate"] == 1.0')" "True" "slot 3 fails every time"
is "$(printf '%s\n' "$j" | py '[(f["sha256"] or "")[:12] for f in d["by_firmware"]]')" \
	"['aaaaaaaaaaaa', 'bbbbbbbbbbbb', '']" "per firmware, most attempts first"
is "$(printf '%s\n' "$j" | py '[(f["attempts"], f["ok"], f["failed"]) for f in d["by_firmware"]]')" \
	"[(4, 3, 1), (4, 1, 3), (1, 0, 0)]" "per-firmware counts"
is "$(printf '%s\n' "$j" | py 'd["by_firmware"][0]["summary"]')" "bootloader.bin+app.bin, 1.0 MiB" \
	"firmware summary: image names and size"
is "$(printf '%s\n' "$j" | py 'd["period"], d["scope"]')" "(1, 'period')" "the current period is 1"

# the same window counted from the rows (--since) gives the same figures
s=$(fb stats --since 2025-06-01T10:00:00Z --json)
is "$(printf '%s\n' "$s" | py '{k: v for k, v in d.items() if k not in ("scope", "since")}')" \
	"$(printf '%s\n' "$j" | py '{k: v for k, v in d.items() if k not in ("scope", "period", "period_started_at")}')" \
	"--since over the whole period equals the period's tallies"
s=$(fb stats --since 2025-06-01T10:02:00Z --json)
is "$(printf '%s\n' "$s" | py 'd["attempts"], d["boards"], d["boards_first_pass"], d["boards_passed"]')" \
	"(5, 4, 2, 2)" "--since 10:02: a board's first attempt is its first in the window"
is "$(printf '%s\n' "$s" | py 'abs(d["units_per_hour"] - 2 / (270 / 3600)) < 1e-3')" "True" \
	"--since 10:02: units per hour over the window"
s=$(fb stats --since 2d --json)
is "$(printf '%s\n' "$s" | py 'd["attempts"]')" "0" "--since 2d: the data set is in 2025, nothing since"

out=$(fb stats)
is "$?" 0 "stats (text) exits 0"
like "$out" "^Statistics period 1, since " "text: the period"
like "$out" "First-pass yield:  50.0% \(3 of 6 boards" "text: yield"
like "$out" "Units per hour:    36.9 \(4 boards passed in 6m30s\)" "text: rate"
like "$out" "Duration:          p50 25.0s, p95 1m00s" "text: durations"
like "$out" "  timeout +2" "text: failures by class"
like "$out" "     3         2         2        100.0%" "text: slot 3 failure rate"
like "$out" "  aaaaaaaaaaaa         4         3         1  bootloader.bin\+app.bin, 1.0 MiB" \
	"text: firmware by SHA-256 prefix"
w=$(printf '%s\n' "$out" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
[ "$w" -le 80 ]
ok $? "text stats fit in 80 columns ($w)"

# history
out=$(fb history)
is "$?" 0 "history exits 0"
is "$(printf '%s\n' "$out" | sed -n 2p | awk '{ print $1 }')" "9" "newest first"
is "$(printf '%s\n' "$out" | wc -l)" "10" "a header and nine attempts"
like "$out" "     2 2025-06-01 10:00:05    2 ttyUSB1  -                   5.0s no_sync" \
	"a failed attempt: id, start, slot, port, no MAC learned, time, class"
like "$out" "     7 2025-06-01 10:04:00    - ttyACM0  printer            1m00s ok" \
	"a Klipper board: no slot, the board key"
w=$(printf '%s\n' "$out" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
[ "$w" -le 80 ]
ok $? "the history table fits in 80 columns ($w)"
is "$(fb history --limit 2 | wc -l)" "3" "--limit 2"
is "$(fb history --mac 24:0A:C4:00:00:03 | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "5 4 " \
	"--mac (any case): that board's attempts"
is "$(fb history --board printer | awk 'NR > 1 { print $1 }')" "7" "--board KEY"
is "$(fb history --port /dev/ttyUSB1 | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "8 3 2 " "--port DEV"
j=$(fb history --json --limit 0)
is "$(printf '%s\n' "$j" | py 'len(d), d[0]["id"], d[-1]["id"]')" "(9, 9, 1)" "--json: every row, newest first"
is "$(printf '%s\n' "$j" | py 'sorted(d[-1].keys()) == sorted(["id", "period", "started_at", "finished_at", "station", "slot", "port", "by_path", "vid", "pid", "usb_serial", "unit", "chip", "mac", "board", "method", "outcome", "failure_class", "message", "exit_code", "duration_ms", "bytes_written", "kbps", "firmware_sha256", "firmware_size", "firmware", "output", "device", "by_id", "reached", "serial", "unit_sha256", "unit_label"])')" \
	"True" "--json: full rows"
is "$(printf '%s\n' "$j" | py 'd[-1]["started_at"], d[-1]["firmware_size"], d[0]["outcome"]')" \
	"('2025-06-01T10:00:00.000Z', 1048576, 'running')" "--json: values"

# untrusted strings never reach the terminal raw
"$PY" -c 'import sys; sys.stdout.write("unit=x\tstart=2025-06-01T11:00:00Z\toutcome=failed\tclass=\x1b[2J\x1b]0;pwn\x07\tport=/dev/\x1b[31mevil\tmac=\xe2\x80\xae00:11\n")' |
	"$TH" "$DB" load >/dev/null
out=$(fb history --limit 1; fb stats)
printf '%s' "$out" | "$PY" -c 'import sys; b = sys.stdin.buffer.read(); sys.exit(any(c < 32 and c not in (9, 10) for c in b) or b"\xe2\x80\xae" in b)'
ok $? "escape sequences and bidi overrides from the database are shown inert"

# usage errors
fb stats --since yesterday >/dev/null 2>"$T/err"
is "$?" 2 "a bad --since: exit 2"
like "$(cat "$T/err")" "bad --since 'yesterday'" "... named"
fb stats --all --since 2h >/dev/null 2>&1
is "$?" 2 "--all with --since: exit 2"
fb history --limit x >/dev/null 2>&1
is "$?" 2 "a bad --limit: exit 2"
fb history --frob >/dev/null 2>&1
is "$?" 2 "an unknown argument: exit 2"
"$FLASHBAY" stats --help | grep -q -- "--reset"
ok $? "stats --help lists --reset"

done_testing
