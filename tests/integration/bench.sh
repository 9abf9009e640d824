#!/bin/sh
# The bench machinery (not the figures): tests/helper/spawn-stats measures
# the command alone (status, own CPU without its children, peak memory);
# bench/measure.py generates boards flashbay lists; bench/run turns missing,
# failing, silent and hanging scripts into error rows and still prints the
# table and results.json, sorted by figure number.
. "$srcdir/tests/lib.sh"
SP="$builddir/tests/helper/spawn-stats"
PY=$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)')
M="$PY $srcdir/bench/measure.py"
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# a CPU burner: 0.25 s of its own CPU time
burn="import time
while time.process_time() < 0.25: pass"

# --- spawn-stats ---------------------------------------------------------------------
is "$(kv status "$("$SP" -- sh -c 'exit 3')")" 3 "spawn-stats: exit status"
is "$(kv status "$("$SP" -- sh -c 'kill -TERM $$')")" 143 "spawn-stats: 128 + signal"
is "$(kv status "$("$SP" -- /nonexistent/cmd)")" 127 "spawn-stats: 127 when the command cannot run"
"$SP" >/dev/null 2>&1
is $? 2 "spawn-stats: usage error without '--'"
"$SP" --out "$T/o" -- sh -c 'echo out; echo err >&2' >/dev/null
is "$(cat "$T/o")" "out
err" "spawn-stats --out: stdout and stderr in the file"

r=$("$SP" -- "$PY" -c "$burn")
[ "$(kv cpu_ms "$r")" -ge 200 ]
ok $? "spawn-stats: the command's own CPU time is counted ($(kv cpu_ms "$r") ms)"
r=$("$SP" -- sh -c '"$0" -c "$1"; exit $?' "$PY" "$burn") # no exec: sh stays the parent
[ "$(kv cpu_ms "$r")" -le 30 ] && [ "$(printf '%.0f' "$(kv wall_ms "$r")")" -ge 200 ]
ok $? "spawn-stats: a child's CPU time is not ($(kv cpu_ms "$r") ms of $(kv wall_ms "$r") ms)"

r=$("$SP" --hwm -- "$PY" -c 'import time; b = bytearray(40 << 20); b[::4096] = b"x" * len(b[::4096]); time.sleep(0.3)')
[ "$(kv hwm_kib "$r")" -ge 40000 ] && [ "$(kv anon_kib "$r")" -ge 40000 ]
ok $? "spawn-stats --hwm: VmHWM and RssAnon of a 40 MiB process ($(kv hwm_kib "$r") KiB)"
r=$("$SP" -- true)
[ "$(kv maxrss_kib "$r")" -lt 8000 ]
ok $? "spawn-stats: ru_maxrss is the command's, not a big parent's ($(kv maxrss_kib "$r") KiB)"

# --- measure.py: generated boards ----------------------------------------------------
$M gen-tree 64 "$T/root"
n=$("$FLASHBAY" --no-udev --sysfs-root "$T/root/sys" --dev-root "$T/root/dev" list --json |
	"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(len(d), len({x["serial"] for x in d}), d[63]["kind"])')
is "$n" "64 64 esp32" "gen-tree: 64 distinct ESP32 boards listed with --no-udev"
if command -v umockdev-run >/dev/null 2>&1; then
	$M gen-umockdev 3 "$T/b.umockdev"
	n=$(umockdev-run -d "$T/b.umockdev" -- "$FLASHBAY" list | grep -c '/dev/ttyUSB[012] ')
	is "$n" 3 "gen-umockdev: 3 boards listed through libudev"
else
	ok 0 "# SKIP umockdev-run is not installed"
fi
printf '%s\n' '["version"]' '["--port", "/dev/ttyUSB0", "write-flash", "0x10000", "a b.bin"]' >"$T/argv.log"
is "$($M argv-lines "$T/argv.log" /x/esptool)" "/x/esptool --port /dev/ttyUSB0 write-flash 0x10000 'a b.bin'" \
	"argv-lines: the write runs, quoted, without the version query"

# --- bench/run: error rows, order, results.json ---------------------------------------
D="$T/scripts"
mkdir -p "$D" "$T/logs"
cat >"$D/good.sh" <<'EOF'
. "$S/bench/lib.sh"
figure_no 6
figure "late figure" "2 ms" "<= 50 ms" "printed first, figure 6"
figure_no 1
figure "early figure" "1.00" "<= 1.02" "figure 1"
printf 'FIGURE\tidle wake-ups, old format\t0 /s\t0 /s\tno number\n'
EOF
printf 'echo "it broke" >&2\nexit 3\n' >"$D/fail.sh"
printf 'echo no figures\n' >"$D/silent.sh"
printf 'exec sleep 30\n' >"$D/hang.sh"
out=$(BENCH_BUILDDIR="$builddir" BENCH_SCRIPTS="$D" BENCH_LOGS="$T/logs" BENCH_TIMEOUT=1 \
	BENCH_RESULTS="$T/r.json" "$srcdir/bench/run" good fail silent hang missing 2>"$T/err")
is $? 0 "bench/run: exit 0 although scripts failed"
rows=$(printf '%s\n' "$out" | awk '/^[0-9]+  / { print $1 " " $2 " " $3 }')
is "$rows" "1 early figure
3 idle wake-ups,
6 late figure
9 bench/fail.sh error
9 bench/silent.sh error
9 bench/hang.sh error
9 bench/missing.sh not" "bench/run: rows sorted by figure number, one error row per broken script"
like "$out" "bench/fail.sh +error +- +exited 3 after [0-9]+ s: it broke" "a failing script: its status and last message"
like "$out" "bench/silent.sh +error +- +printed no figure" "a silent script: said so"
like "$out" "bench/hang.sh +error +- +timed out after" "a hanging script: timed out"
like "$out" "bench/missing.sh +not run +- +the script is missing" "a missing script: not run"
"$PY" - "$T/r.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["machine"]
assert m["cores"] >= 1 and m["cpu"] and m["kernel"] and "load_average" in m, m
assert [f["no"] for f in d["figures"]] == [1, 3, 6, 9, 9, 9, 9], d["figures"]
assert d["figures"][0] == {"no": 1, "section": "Parallel efficiency vs GNU parallel",
                           "figure": "early figure", "value": "1.00", "goal": "<= 1.02",
                           "how": "figure 1", "script": "good"}, d["figures"][0]
assert {s["script"]: s["status"] for s in d["scripts"]}["fail"] == "3", d["scripts"]
EOF
ok $? "results.json: machine, figures with numbers, each script's status"
[ -z "$(ls "$builddir" | grep '^bench-run\.')" ]
ok $? "bench/run: its scratch directory is removed"

done_testing
