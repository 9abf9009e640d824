#!/bin/sh
# `flashbay flash` with the real esptool (v4.12.0 and v5.3.1, ../shared/tools)
# against 8 simulated ESP32 boards on ptys at once: every board passes with its
# own chip and MAC, three images land byte for byte at their offsets, the JSON
# results and the history rows say the same, the line output has its phases,
# and an ESP-IDF flash_args file (its options spelled for each version) works.
# Skipped with the reason where ../shared is absent (see esp-sim-lib.sh).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY
N=8
CHIP="ESP32-D0WD-V3 (v3.0)"
CHIP_RE="ESP32-D0WD-V3 \\(v3\\.0\\)"
mkdir -p "$T/sys/class/tty" "$T/dev" "$T/fw" "$T/idf/build/bootloader" "$T/idf/build/partition_table"
make_image "$T/fw/boot.bin" 20000 1
make_image "$T/fw/part.bin" 3072 2
make_image "$T/fw/app.bin" 70000 3
cp "$T/fw/boot.bin" "$T/idf/build/bootloader/bootloader.bin"
cp "$T/fw/part.bin" "$T/idf/build/partition_table/partition-table.bin"
cp "$T/fw/app.bin" "$T/idf/build/app.bin"
printf '%s\n' '--flash_mode dio --flash_freq 40m --flash_size 4MB' '0x1000 bootloader/bootloader.bin' \
	'0x8000 partition_table/partition-table.bin' '0x10000 app.bin' > "$T/idf/build/flash_args"
TOTAL=$((20000 + 3072 + 70000))
FW='[firmware]\n0x1000 = fw/boot.bin\n0x8000 = fw/part.bin\n0x10000 = fw/app.bin\n'

# fb VER ARGS...: flashbay with that version's config, no udev, an empty device tree
fb() {
	v=$1
	shift
	"$FLASHBAY" --config "$T/$v.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" "$@"
}

# check_results VER VNUM FILE: every board's JSON result (and the summary)
check_results() {
	"$PY" - "$3" "$SIMDEV" "$1" "$2" "$N" "$CHIP" "$TOTAL" <<'PY'
import json, sys
path, simdev, ver, vnum, n, chip, total = sys.argv[1:]
lines = [json.loads(l) for l in open(path) if l.strip()]
summary = lines.pop()["summary"]
assert summary == {"ok": int(n), "failed": 0, "total": int(n), "interrupted": False}, summary
assert len(lines) == int(n), lines
for r in lines:
    i = int(r["port"].rsplit("b", 1)[1])
    assert r["port"] == "%s/%sb%d" % (simdev, ver, i), r
    want = {"outcome": "ok", "chip": chip, "mac": "24:0a:c4:%02x:00:%02x" % (int(vnum), i),
            "bytes": int(total), "exit_code": 0, "attempts": 1}
    got = {k: r[k] for k in want}
    assert got == want, (got, want)
    assert r["message"].startswith("wrote %s bytes in " % total), r["message"]
    assert r["duration_ms"] > 0 and r["kbps"] > 0 and len(r["firmware_sha256"]) == 64, r
PY
}

# check_history VER JSONFILE HISTFILE: one history row per board, as the results say
check_history() {
	"$PY" - "$2" "$3" "$1" "$CHIP" "$TOTAL" <<'PY'
import json, sys
path, hist, ver, chip, total = sys.argv[1:]
results = {r["port"]: r for r in map(json.loads, open(path)) if "port" in r}
rows = [r for r in json.load(open(hist)) if r["method"] == "esptool " + ver]
assert sorted(r["port"] for r in rows) == sorted(results), (rows, results)
for row in rows:
    res = results[row["port"]]
    for k in ("outcome", "chip", "mac", "message", "exit_code", "firmware_sha256"):
        assert row[k] == res[k], (k, row[k], res[k])
    # the board's time and its one attempt's time are taken apart, a few ms may differ
    assert 0 < row["duration_ms"] and abs(row["duration_ms"] - res["duration_ms"]) < 500, (row, res)
    assert row["bytes_written"] == int(total) and row["firmware_size"] == int(total), row
    assert row["failure_class"] is None and row["station"] == "sim-bench", row
    offsets = [(f["offset"], f["size"]) for f in json.loads(row["firmware"])]
    assert offsets == [("0x1000", 20000), ("0x8000", 3072), ("0x10000", 70000)], offsets
    assert row["output"].count("Hash of data verified.") == 3, row["output"]
PY
}

for v in $ESPTOOLS; do
	case $v in v4) vn=4 ;; v5) vn=5 ;; *) vn=9 ;; esac
	sim_conf "$T/$v.conf" "$v" "$FW"
	sim_boards "$v" "$vn" "$N"

	# shellcheck disable=SC2086
	fb "$v" flash $ports --json > "$T/$v.json" 2> "$T/$v.err"
	is "$?" 0 "$v: 8 boards at once: exit 0"
	res=$(check_results "$v" "$vn" "$T/$v.json" 2>&1)
	ok $? "$v: each board ok, with its chip, its own MAC, bytes, message; the summary"
	[ -z "$res" ] || printf '%s\n' "$res" | sed 's/^/#   /'
	unlike "$(grep -v '^{' "$T/$v.json")" . "$v: --json: nothing but JSON objects on stdout"
	i=0
	while [ $i -lt $N ]; do
		sim_landed_fw "${v}b$i"
		ok $? "$v: board $i: bootloader, partition table and app at 0x1000, 0x8000, 0x10000"
		i=$((i + 1))
	done
	fb "$v" history --json > "$T/$v.hist" 2>&1
	res=$(check_history "$v" "$T/$v.json" "$T/$v.hist" 2>&1)
	ok $? "$v: one history row per board, as its JSON result says"
	[ -z "$res" ] || printf '%s\n' "$res" | sed 's/^/#   /'

	# the line output of two boards: phases, per-image progress, the result line
	fb "$v" flash --port "$SIMDEV/${v}b0" --port "$SIMDEV/${v}b1" > "$T/$v.out" 2> "$T/$v.err"
	is "$?" 0 "$v: line output: exit 0"
	out=$(cat "$T/$v.out")
	for b in 0 1; do
		s=$((b + 1))
		like "$out" "^\[Connect\] slot $s ${v}b$b\$" "$v: line output: [Connect] board $b"
		like "$out" "^\[Flash\] slot $s ${v}b$b [123]/3 [0-9]+%\$" \
			"$v: line output: [Flash] board $b, image n/3 and percent"
		like "$out" "^\[Verify\] slot $s ${v}b$b\$" "$v: line output: [Verify] board $b"
		like "$out" "^\[Done\] slot $s ${v}b$b PASS $CHIP_RE $(sim_mac $b $vn) [0-9.]+m?s\$" \
			"$v: line output: [Done] board $b with chip and MAC"
	done
	like "$out" "2 boards: 2 passed, 0 failed" "$v: line output: the summary"

	# ESP-IDF's flash_args: images relative to its folder, its options in this version's spelling
	fb "$v" flash --port "$SIMDEV/${v}b7" --flash-args "$T/idf/build/flash_args" --json \
		> "$T/$v.fa" 2> "$T/$v.err"
	is "$?" 0 "$v: flash_args: flashed"
	sim_landed_fw "${v}b7"
	ok $? "$v: flash_args: the three images at their offsets"
	fb "$v" history --json --limit 1 > "$T/$v.hist" 2>&1
	like "$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["output"])' < "$T/$v.hist")" \
		"Image file at 0x1000 doesn't look like an image file, so not changing any flash settings" \
		"$v: flash_args: esptool took its flash options (and left a non-image bootloader alone)"
	sim_stop_all
done

done_testing
