#!/bin/sh
# Issue 11: the chip and MAC esptool reported before flashbay was killed stay
# on the interrupted row. The real esptool (v4 and v5, esp-sim-lib.sh) flashes
# a slow simulated board (115200 baud, 128 KiB); once it is in [Flash],
# flashbay is killed with SIGKILL. The row reads as interrupted WITH chip and
# MAC, and it belongs to the MAC's board: the same board flashed again later
# is one board whose first attempt failed (no double counting).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY

make_image "$T/img.bin" 131072 17

# fb VER ARGS...: flashbay with VER's config and database
fb() { v=$1; shift; "$FLASHBAY" --config "$T/fb-$v.conf" --db "$T/h-$v.db" "$@"; }
# json VER EXPR CMD...: python EXPR over d, the JSON of `flashbay CMD... --json`
json() {
	v=$1 e=$2
	shift 2
	fb "$v" "$@" --json | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$e"
}
stop_fb() { [ -n "${fpid:-}" ] && kill -9 "$fpid" 2>/dev/null; true; }
on_exit stop_fb

vn=0
for v in $ESPTOOLS; do
	vn=$((vn + 1))
	mac="24:0a:c4:00:0b:0$vn"
	sim_conf "$T/fb-$v.conf" "$v" "baud = 115200\n"

	sim_start "slow$vn" "$mac" --baud-delay 115200
	"$FLASHBAY" --config "$T/fb-$v.conf" --db "$T/h-$v.db" flash --port "$SIMDEV/slow$vn" \
		--image 0x10000="$T/img.bin" > "$T/out-$vn" 2>&1 &
	fpid=$!
	wait_until 30 grep -q '^\[Flash\]' "$T/out-$vn"
	ok $? "$v: flashing a slow board"
	kill -9 "$fpid"
	wait "$fpid" 2>/dev/null
	fpid=""
	sim_stop "slow$vn" # and the orphaned esptool with it

	is "$(json "$v" '[(r["outcome"], r["failure_class"]) for r in d]' history)" \
		"[('interrupted', 'interrupted')]" "$v: after SIGKILL the row reads as interrupted"
	like "$(json "$v" 'd[0]["chip"]' history)" "^ESP32" "$v: ... with the chip esptool reported"
	is "$(json "$v" 'd[0]["mac"]' history)" "$mac" "$v: ... and its MAC"
	is "$(json "$v" 'd["attempts"], d["failed"], d["interrupted"], d["running"], d["boards"]' stats)" \
		"(1, 1, 1, 0, 1)" "$v: stats count it once, as an interrupted failure of one board"

	# the same board (same MAC) again, this time to the end
	sim_start "again$vn" "$mac"
	fb "$v" flash --port "$SIMDEV/again$vn" --image 0x10000="$T/img.bin" > "$T/again-$vn" 2>&1
	is "$?" 0 "$v: the same board flashed again passes"
	is "$(json "$v" '[(r["outcome"], r["mac"]) for r in d]' history)" \
		"[('ok', '$mac'), ('interrupted', '$mac')]" "$v: two rows, both with its MAC"
	is "$(json "$v" 'd["attempts"], d["ok"], d["failed"], d["boards"], d["first_pass_yield"]' stats)" \
		"(2, 1, 1, 1, 0)" "$v: one board, whose first attempt (the interrupted one) failed"
	sim_stop "again$vn"
done

done_testing
