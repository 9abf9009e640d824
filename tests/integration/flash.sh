#!/bin/sh
# `flashbay flash` against the fake esptool: 16 boards in parallel under a
# worker limit, the right bytes at the right offsets, mixed outcomes and the
# exit code, both esptool versions' argv, ESP-IDF flash_args, the lower-baud
# retry, timeouts, port locks, and the history of every attempt.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
make_ports 16

# run_sampled ARGS...: flashbay flash in the background while counting the
# fake esptools running at once; sets $rc, $maxpar; output in $T/out
run_sampled() {
	fb flash "$@" > "$T/out" 2> "$T/err" &
	pid=$!
	maxpar=0
	while kill -0 "$pid" 2>/dev/null; do
		n=$(fakes_running)
		[ "$n" -gt "$maxpar" ] && maxpar=$n
		sleep 0.02
	done
	wait "$pid"
	rc=$?
}

# 16 boards, 4 workers: all pass, never more than 4 at once, bytes in place
FAKE_ESPTOOL_BEHAVIOUR='slow:15' run_sampled $(port_args 16) --json
is "$rc" 0 "16 boards, max_workers 4: exit 0"
is "$(grep -c '"outcome":"ok"' "$T/out")" 16 "16 JSON lines with outcome ok"
is "$(tail -n 1 "$T/out" | json_field summary.ok)" 16 "the last line is the summary: ok 16"
ok "$([ "$maxpar" -le 4 ] && [ "$maxpar" -ge 3 ]; echo $?)" "never more than 4 esptools at once (saw $maxpar)"
bad=0
for i in 0 5 15; do landed "ttyUSB$i" || bad=1; done
ok $bad "the bootloader and the app landed at 0x1000 and 0x10000"
is "$(grep -c '"mac":"24:0a:c4:' "$T/out")" 16 "every board's MAC reported"
is "$(fb history --json --limit 100 | "${PYTHON3:-python3}" -c '
import json, sys
rows = json.load(sys.stdin)
print(len(rows), sum(r["outcome"] == "ok" for r in rows), len({r["mac"] for r in rows}))')" "16 16 16" \
	"16 attempts in the history, all ok, 16 distinct MACs"

# the same with 16 workers: all at once
sed -i 's/^max_workers = 4/max_workers = 16/' "$T/fb.conf"
FAKE_ESPTOOL_BEHAVIOUR='slow:30' run_sampled $(port_args 16)
is "$rc" 0 "16 boards, max_workers 16: exit 0"
ok "$([ "$maxpar" -ge 12 ]; echo $?)" "up to 16 at once (saw $maxpar)"
like "$(cat "$T/out")" "16 boards: 16 passed, 0 failed" "summary line"
like "$(cat "$T/out")" "^\[Flash\] slot [0-9]+ ttyUSB[0-9]+ 2/2 [0-9]+%" "phase-labelled progress lines"
sed -i 's/^max_workers = 16/max_workers = 4/' "$T/fb.conf"

# progress as esptool reports it, a line per 10 % step (overall), not one per block
FAKE_ESPTOOL_BEHAVIOUR='slow:40' fb flash --port "$T/ports/ttyUSB0" > "$T/out" 2>&1
n=$(grep -c '^\[Flash\]' "$T/out")
ok "$([ "$n" -ge 5 ] && [ "$n" -le 12 ]; echo $?)" "progress of one ~1.2 s flash: a line per 10 % step ($n lines)"
steps=$(sed -n 's/^\[Flash\] .* \([0-9]*\)%$/\1/p' "$T/out" | awk '{print int($1 / 10)}')
is "$(printf '%s\n' "$steps" | uniq -d)" "" "no two progress lines in the same 10 % step"

# mixed outcomes in one run
: > "$T/argv.log"
FAKE_ESPTOOL_BEHAVIOUR='ttyUSB1=no_sync,ttyUSB2=fail_at:40,ttyUSB3=die:KILL,ttyUSB4=port_busy,ttyUSB5=verify_fail,ttyUSB6=permission' \
	fb flash $(port_args 7) --json > "$T/out" 2> "$T/err"
is "$?" 1 "mixed outcomes: exit 1"
outcomes=$(json_field outcome < "$T/out" | head -n 7 | sort | tr '\n' ' ')
is "$outcomes" "no_sync ok other permission port_busy stopped_responding verify_failed " \
	"each board has its own outcome class"
like "$(grep ttyUSB6 "$T/out")" "dialout" "permission: the message names the dialout group"
like "$(grep ttyUSB3 "$T/out")" '"exit_code":137' "killed by a signal: exit code 128+9 kept"
is "$(tail -n 1 "$T/out" | json_field summary.failed)" 6 "summary: 6 failed"
is "$(fb history --json --limit 7 | "${PYTHON3:-python3}" -c '
import json, sys
print(" ".join(sorted(r["failure_class"] or "ok" for r in json.load(sys.stdin))))')" \
	"no_sync ok other permission port_busy stopped_responding verify_failed" "the history agrees"

# esptool v5 gets dashes (strict fake rejects underscores), v4 underscores
: > "$T/argv.log"
FAKE_ESPTOOL_STRICT=1 fb flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1
is "$?" 0 "v5: accepted by a fake that rejects the v4 spellings"
like "$(grep -v '"version"' "$T/argv.log")" '"--before", "default-reset", "--after", "hard-reset", "write-flash"' "v5 argv: dashes"
: > "$T/argv.log"
PATH="$T/v4:$(printf '%s' "$PATH" | sed "s|$T/bin:||")" fb flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1
is "$?" 0 "v4 (esptool.py): flashes"
like "$(grep -v '"version"' "$T/argv.log")" '"--before", "default_reset", "--after", "hard_reset", "write_flash"' "v4 argv: underscores"

# ESP-IDF flash_args: its options and images, relative to its folder
mkdir -p "$T/idf/build/bootloader"
cp "$T/fw/boot.bin" "$T/idf/build/bootloader/bootloader.bin"
cp "$T/fw/app.bin" "$T/idf/build/app.bin"
printf '%s\n' '--flash_mode dio --flash_freq 80m --flash_size 2MB' '0x1000 bootloader/bootloader.bin' \
	'0x10000 app.bin' > "$T/idf/build/flash_args"
: > "$T/argv.log"
fb flash --port "$T/ports/ttyUSB1" --flash-args "$T/idf/build/flash_args" > /dev/null 2>&1
is "$?" 0 "flash_args: flashed"
landed ttyUSB1
ok $? "flash_args: images at their offsets"
like "$(grep -v '"version"' "$T/argv.log")" '"--flash-mode", "dio", "--flash-freq", "80m", "--flash-size", "2MB"' \
	"flash_args: its flash options passed on"

# one retry at a lower baud after a sync failure (a cable that fails above 460800)
retry_conf=$(with_conf retry.conf '[esp32]\nretry_baud = 115200\n')
: > "$T/argv.log"
FAKE_ESPTOOL_BEHAVIOUR='max_baud:460800' FBCONF=$retry_conf fb flash --port "$T/ports/ttyUSB2" --json \
	> "$T/out" 2> "$T/err"
is "$?" 0 "retry: the board passes at the lower baud"
is "$(head -n 1 "$T/out" | json_field attempts)" 2 "two attempts"
is "$(grep -o '"--baud", "[0-9]*"' "$T/argv.log" | tr '\n' ' ')" '"--baud", "921600" "--baud", "115200" ' \
	"first at 921600, then at 115200"
like "$(cat "$T/err")" "retrying once at 115200 baud" "the retry is announced"
is "$(fb history --json --port "$T/ports/ttyUSB2" --limit 2 | "${PYTHON3:-python3}" -c '
import json, sys
print(" ".join(r["failure_class"] or "ok" for r in json.load(sys.stdin)))')" "ok stopped_responding" \
	"both attempts recorded (newest first)"

# a board that hangs: timeout, the whole esptool process group gone
timeout_conf=$(with_conf timeout.conf '[esp32]\ntimeout = 1\n')
FAKE_ESPTOOL_BEHAVIOUR='hang' FBCONF=$timeout_conf fb flash --port "$T/ports/ttyUSB3" --json \
	> "$T/out" 2>&1
is "$?" 1 "hang: exit 1"
is "$(head -n 1 "$T/out" | json_field outcome)" timeout "outcome timeout"
wait_until 5 no_fakes
ok $? "no esptool left behind"

# esptool missing: refused before any board is touched, one message naming it
missing_conf=$(with_conf missing.conf '[esp32]\nesptool = /nonexistent/esptool\n')
attempts() { fb history --json --limit 0 | "${PYTHON3:-python3}" -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
rows=$(attempts)
FBCONF=$missing_conf fb flash --port "$T/ports/ttyUSB0" > "$T/out" 2> "$T/err"
is "$?" 2 "esptool missing: refused, exit 2"
is "$(cat "$T/err")" "flashbay flash: esptool command '/nonexistent/esptool' not found ([esp32] esptool = /nonexistent/esptool)" \
	"one message, naming the program"
is "$(cat "$T/out")" "" "no board line, no summary"
is "$(attempts)" "$rows" "no attempt recorded"

# monitor mode checks esptool when it starts, not at the first plug-in
"$FLASHBAY" --config "$missing_conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
	--db "$T/history.db" monitor > "$T/out" 2> "$T/err"
is "$?" 2 "monitor: a missing esptool is refused at start (exit 2)"
like "$(cat "$T/err")" "^flashbay monitor: .*/nonexistent/esptool" "... naming it"

# a port held by another flashbay is reported at once, not waited on (the
# first one slow enough to still hold it when the second has given up)
FAKE_ESPTOOL_BEHAVIOUR='slow:400' fb flash --port "$T/ports/ttyUSB4" > "$T/first" 2>&1 &
first=$!
wait_until 10 grep -q '^\[Connect\]' "$T/first"
ln -sf "$T/ports/ttyUSB4" "$T/ports/link4"
fb flash --port "$T/ports/link4" --json > "$T/out" 2>&1
is "$?" 1 "the same port through a link, while locked: exit 1"
is "$(head -n 1 "$T/out" | json_field outcome)" port_busy "port_busy"
holder=$(sed -n 's/.*in use by another flashbay (pid \([0-9]*\)).*/\1/p' "$T/out" | head -n 1)
is "$(cat "/proc/$holder/comm" 2>/dev/null)" flashbay "names the pid of the flashbay that holds it"
wait "$first"
is "$?" 0 "the first flashbay finished its board"

# usage and configuration errors: exit 2, nothing flashed
: > "$T/argv.log"
fb flash > /dev/null 2> "$T/err"
is "$?" 2 "no boards named: exit 2"
like "$(cat "$T/err")" "which boards\?" "says what is missing"
fb flash --port "$T/ports/ttyUSB0" --firmware "$T/fw/nope.bin" > /dev/null 2> "$T/err"
is "$?" 2 "missing image: exit 2"
like "$(cat "$T/err")" "nope.bin" "the missing image is named"
bad_conf=$(with_conf bad.conf '[esp32]\nbaud = fast\n')
FBCONF=$bad_conf fb flash --port "$T/ports/ttyUSB0" > /dev/null 2> "$T/err"
is "$?" 2 "bad config: exit 2"
like "$(cat "$T/err")" "bad.conf:11: \[esp32\] baud" "file:line and key named"
fb flash --port "$T/ports/ttyUSB0" --bogus > /dev/null 2>&1
is "$?" 2 "unknown option: exit 2"
mkdir -p "$T/notadb"
printf 'hello, not a database at all, just some text long enough\n%.0s' 1 2 3 4 5 6 7 8 > "$T/notadb/h.db"
"$FLASHBAY" --config "$T/fb.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
	--db "$T/notadb/h.db" flash --port "$T/ports/ttyUSB0" > /dev/null 2> "$T/err"
is "$?" 2 "a history file that is not a database: refuses to flash (exit 2)"
like "$(cat "$T/err")" "notadb/h.db" "the file is named"
is "$(grep -vc '"version"' "$T/argv.log")" 0 "nothing was flashed by any of these"
"$FLASHBAY" --config "$T/fb.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
	--no-history flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1
is "$?" 0 "--no-history flashes without a history"

# the history stops taking writes mid-run (another program locks it past the
# busy timeout): said loudly, the exit status says so, the board's result is
# still reported
# (the attempt's row is begun before the lock: the lock comes once esptool writes)
: > "$T/argv.log"
FAKE_ESPTOOL_BEHAVIOUR='slow:150' FLASHBAY_BUSY_TIMEOUT_MS=200 fb flash --port "$T/ports/ttyUSB5" --json \
	> "$T/out" 2> "$T/err" &
fpid=$!
wait_until 10 grep -q write-flash "$T/argv.log"
"${PYTHON3:-python3}" - "$T/history.db" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
time.sleep(3)
c.execute("COMMIT")
PY
locker=$!
wait "$fpid"
is "$?" 1 "history locked when the attempt ends: exit 1 although the board passed"
like "$(cat "$T/err")" "1 RESULT NOT IN THE FLASH HISTORY .*locked.*kept in the journal" \
	"said loudly, naming the problem and where the result is kept"
is "$(head -n 1 "$T/out" | json_field outcome)" ok "the board's own result is still reported"
wait "$locker"

done_testing
