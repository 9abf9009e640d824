#!/bin/sh
# Skip if identical ([esp32] skip_identical = yes, or flash --skip-identical)
# with the real esptool v4 and v5 against a simulated board (esp-sim-lib.sh):
#  - the first run writes (method "esptool vN");
#  - a second run with the same images writes nothing: ok, method
#    "identical", the simulator saw no flash download with data and the
#    flash is unchanged (v5: write-flash --skip-flashed, every region
#    skipped; v4: verify_flash exits 0, no write_flash);
#  - the test after flashing still runs after an identical run;
#  - a changed image is written again (v4: the verify pass fails, the write
#    follows in the same attempt: one history row);
#  - one image of two changed (v5): written, method "esptool v5".
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY

make_image "$T/app.bin" 32768 31
make_image "$T/app2.bin" 32768 32
make_image "$T/part.bin" 3072 33

fb() {
	n=$1
	shift
	"$FLASHBAY" --config "$T/$n.conf" --db "$T/$n.db" "$@"
}
hist() {
	fb "$1" history --json --limit "${3:-1}" |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); r = d[0]; print(eval(sys.argv[1]))' "$2"
}
# downloads NAME: flash downloads with data the simulator of NAME saw so far
downloads() { grep -c 'flash download #[0-9]* .* size [1-9]' "$T/sim-$1.err"; }

vn=0
for v in $ESPTOOLS; do
	vn=$((vn + 1))
	b="b$vn"
	sim_start "$b" "24:0a:c4:00:0d:0$vn" -v --app-output 'selftest: PASS'
	sim_conf "$T/$v.conf" "$v" "skip_identical = yes\n"
	img() { fb "$v" flash --port "$SIMDEV/$b" --image 0x8000="$T/part.bin" --image 0x10000="$1"; }

	img "$T/app.bin" > "$T/out1-$v" 2>&1
	is "$?" 0 "$v first run: exit 0"
	is "$(hist "$v" 'r["outcome"], r["method"]')" "('ok', 'esptool $v')" "$v first run: written by esptool"
	sim_landed "$b" 0x10000 "$T/app.bin" && sim_landed "$b" 0x8000 "$T/part.bin"
	ok $? "$v first run: both images in flash"
	n1=$(downloads "$b")
	cp "$T/simflash/$b.bin" "$T/flash-before"

	img "$T/app.bin" > "$T/out2-$v" 2>&1
	is "$?" 0 "$v second run: exit 0"
	is "$(hist "$v" 'r["outcome"], r["method"]')" "('ok', 'identical')" "$v second run: ok, method identical"
	like "$(hist "$v" 'r["message"]')" '^identical: every image \(2\) is in flash already' \
		"$v second run: the message says nothing was written"
	is "$(downloads "$b")" "$n1" "$v second run: the simulator saw no flash download with data"
	cmp -s "$T/flash-before" "$T/simflash/$b.bin"
	ok $? "$v second run: the flash is unchanged"
	is "$(hist "$v" 'r["bytes_written"]')" 0 "$v second run: 0 bytes written"
	if [ "$v" = v4 ]; then
		like "$(hist "$v" 'r["output"]')" 'verify OK \(digest matched\)' "v4 second run: verify_flash matched"
		unlike "$(hist "$v" 'r["output"]')" '^Wrote ' "v4 second run: no write_flash"
	else
		like "$(hist "$v" 'r["output"]')" "at 0x00010000 already in flash, skipping write" \
			"v5 second run: --skip-flashed skipped the regions"
	fi
	is "$(fb "$v" stats --json | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["attempts"], d["ok"], d["boards"])')" \
		"2 2 1" "$v: stats count the identical run as an ok attempt of the same board"

	# the test after flashing runs after an identical run too
	sim_conf "$T/$v-t.conf" "$v" "skip_identical = yes\n[test]\npass = selftest: PASS\ntimeout = 10\n"
	fb "$v-t" flash --port "$SIMDEV/$b" --image 0x8000="$T/part.bin" --image 0x10000="$T/app.bin" \
		> "$T/out3-$v" 2>&1
	is "$?" 0 "$v identical + test: exit 0"
	is "$(hist "$v-t" 'r["method"]')" identical "$v identical + test: method identical"
	like "$(hist "$v-t" 'r["output"]')" '^test: selftest: PASS$' "$v identical + test: the test ran and passed"

	# a changed image: written again, one row
	img "$T/app2.bin" > "$T/out4-$v" 2>&1
	is "$?" 0 "$v changed image: exit 0"
	is "$(hist "$v" 'r["outcome"], r["method"]')" "('ok', 'esptool $v')" "$v changed image: written by esptool"
	sim_landed "$b" 0x10000 "$T/app2.bin"
	ok $? "$v changed image: the new image is in flash"
	is "$(fb "$v" history --json --limit 0 | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')" 3 \
		"$v changed image: one history row for the attempt"
	unlike "$(cat "$T/out4-$v")" 'Verify failed' "$v changed image: the verify pass's mismatch is no warning"

	# flash --skip-identical without the config key
	sim_conf "$T/$v-o.conf" "$v" ""
	fb "$v-o" flash --skip-identical --port "$SIMDEV/$b" --image 0x8000="$T/part.bin" \
		--image 0x10000="$T/app2.bin" > "$T/out5-$v" 2>&1
	is "$(hist "$v-o" 'r["outcome"], r["method"]')" "('ok', 'identical')" "$v flash --skip-identical: identical"
	sim_stop "$b"
done

done_testing
