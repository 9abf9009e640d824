#!/bin/sh
# Serials under two flashbays on one database at the same time: two `flash`
# processes with 4 simulated boards each (the real esptool, ../shared), one
# history database: 8 boards, 8 distinct serials, SN-000001..SN-000008, no
# gap and no duplicate, each in the serials table with its own MAC; then a
# third run on all 8 hands out nothing new (each MAC keeps its serial).
# Skipped with the reason where ../shared is absent (see esp-sim-lib.sh).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY
UNITCMD=$(cd "$srcdir/tests/helper" && pwd)/unit-cmd.sh
mkdir -p "$T/sys/class/tty" "$T/dev" "$T/fw"
make_image "$T/fw/app.bin" 40000 3
v=$(printf '%s\n' $ESPTOOLS | head -n 1)
sim_conf "$T/fb.conf" "$v" "[firmware]\n0x10000 = fw/app.bin\n[unit]\ncommand = $UNITCMD\noffset = 0x9000\nserials = counter:SN-%06d\n"
unset UNIT_CMD_MODE UNIT_CMD_SIZE UNIT_CMD_COPY
fb() {
	"$FLASHBAY" --config "$T/fb.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" "$@"
}
# no database yet: the two create and open it at the same time
pa="" pb="" all=""
i=0
while [ $i -lt 8 ]; do
	sim_start "c$i" "$(printf '24:0a:c4:cc:00:%02x' $i)" || diag "simulator c$i did not start"
	if [ $i -lt 4 ]; then pa="$pa --port $SIMDEV/c$i"; else pb="$pb --port $SIMDEV/c$i"; fi
	all="$all --port $SIMDEV/c$i"
	i=$((i + 1))
done
# shellcheck disable=SC2086
fb flash $pa --json > "$T/a.json" 2> "$T/a.err" &
pid_a=$!
# shellcheck disable=SC2086
fb flash $pb --json > "$T/b.json" 2> "$T/b.err" &
pid_b=$!
wait $pid_a; rc_a=$?
wait $pid_b; rc_b=$?
is "$rc_a $rc_b" "0 0" "two flashbays, 4 boards each, one database: both exit 0"
serials() {
	cat "$@" | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print(" ".join(sorted(r["serial"] for r in rows if "serial" in r and r["outcome"] == "ok")))'
}
is "$(serials "$T/a.json" "$T/b.json")" \
	"SN-000001 SN-000002 SN-000003 SN-000004 SN-000005 SN-000006 SN-000007 SN-000008" \
	"8 boards passed with 8 distinct serials, no gap"
"$PY" - "$T/history.db" <<'PY' > "$T/table"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT count(*), count(DISTINCT serial), count(DISTINCT mac) FROM serials").fetchone())
PY
is "$(cat "$T/table")" "(8, 8, 8)" "the serials table: 8 serials, 8 MACs, one each"
# shellcheck disable=SC2086
fb flash $all --json > "$T/c.json" 2> "$T/c.err"
is "$(serials "$T/c.json")" \
	"SN-000001 SN-000002 SN-000003 SN-000004 SN-000005 SN-000006 SN-000007 SN-000008" \
	"all 8 again: each keeps its serial"
"$PY" - "$T/history.db" "$T/a.json" "$T/b.json" "$T/c.json" <<'PY'
import json, sqlite3, sys
first = {}
for f in sys.argv[2:4]:
    for l in open(f):
        r = json.loads(l)
        if "serial" in r:
            first[r["mac"]] = r["serial"]
again = {json.loads(l)["mac"]: json.loads(l)["serial"] for l in open(sys.argv[4]) if '"serial"' in l}
sys.exit(0 if first == again and len(first) == 8 else 1)
PY
ok $? "... the same serial for the same MAC"
done_testing
