#!/bin/sh
# Per-unit data with the real esptool (v4.12.0 and v5.3.1, ../shared/tools)
# against simulated ESP32 boards: one read_mac, a serial per board, the unit
# command's image written at [unit] offset in the same esptool run as the
# firmware (every image byte-exact in each simulated flash), different bytes
# per board, the serial kept on a second flash (and then skip_identical finds
# the board identical) and a new one on request, the
# row's serial, unit_sha256 and unit_label in history and export, the
# command's failures as unit_failed with its stderr (the serial stays with
# the MAC), and a CSV of serials with extra columns.
# Skipped with the reason where ../shared is absent (see esp-sim-lib.sh).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY
N=4
UNITCMD=$(cd "$srcdir/tests/helper" && pwd)/unit-cmd.sh
mkdir -p "$T/sys/class/tty" "$T/dev" "$T/fw" "$T/copies"
make_image "$T/fw/boot.bin" 20000 1
make_image "$T/fw/part.bin" 3072 2
make_image "$T/fw/app.bin" 70000 3
FW='[firmware]\n0x1000 = fw/boot.bin\n0x8000 = fw/part.bin\n0x10000 = fw/app.bin\n'
UNIT="[unit]\ncommand = $UNITCMD\noffset = 0x9000\nserials = counter:SN-%06d\n"
export UNIT_CMD_COPY="$T/copies"
unset UNIT_CMD_MODE UNIT_CMD_SIZE

# fb VER ARGS...: flashbay with that version's config and database, no udev
fb() {
	v=$1
	shift
	"$FLASHBAY" --config "$T/$v.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/$v.db" "$@"
}
# jq-less: field F of the JSON line of port P in FILE
result() {
	"$PY" - "$1" "$2" "$3" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("port", "").endswith("/" + sys.argv[2]):
        print(r[sys.argv[3]])
PY
}
# the newest history row of board NAME (VER): field F
row() {
	fb "$1" history --json --limit 0 --port "$SIMDEV/$2" | "$PY" -c \
		'import json, sys; r = json.load(sys.stdin)[0]; print(r[sys.argv[1]])' "$3"
}
sha() { "$PY" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"; }

for v in $ESPTOOLS; do
	case $v in v4) vn=4 ;; v5) vn=5 ;; *) vn=9 ;; esac
	sim_conf "$T/$v.conf" "$v" "$FW$UNIT"
	sim_boards "$v" "$vn" "$N"

	# shellcheck disable=SC2086
	fb "$v" flash $ports --json > "$T/$v.json" 2> "$T/$v.err"
	is "$?" 0 "$v: $N boards with [unit]: exit 0"
	serials=""
	i=0
	while [ $i -lt $N ]; do
		b=${v}b$i
		s=$(result "$T/$v.json" "$b" serial)
		serials="$serials $s"
		is "$(result "$T/$v.json" "$b" outcome)" ok "$v: board $i passed (serial $s)"
		sim_landed_fw "$b"
		ok $? "$v: board $i: the firmware's three images at 0x1000, 0x8000, 0x10000"
		sim_landed "$b" 0x9000 "$T/copies/$s.bin"
		ok $? "$v: board $i: its unit image at 0x9000, byte for byte"
		like "$(head -c 200 "$T/copies/$s.bin" | tr -d '\0' | tr '\n' ' ')" "^SERIAL=$s MAC=$(sim_mac $i $vn) CHIP=ESP32-D0WD-V3 SLOT=$((i + 1)) " \
			"$v: board $i: the command was told its serial, MAC, chip and slot"
		is "$(row "$v" "$b" serial) $(row "$v" "$b" unit_sha256)" "$s $(sha "$T/copies/$s.bin")" \
			"$v: board $i: its history row has the serial and the unit image's SHA-256"
		i=$((i + 1))
	done
	is "$(printf '%s\n' $serials | sort | tr '\n' ' ')" "SN-000001 SN-000002 SN-000003 SN-000004 " \
		"$v: four serials, one each, from 1, no gap"
	is "$(for s in $serials; do sha "$T/copies/$s.bin"; done | sort -u | wc -l)" "$N" \
		"$v: each board's unit bytes differ"
	like "$(row "$v" "${v}b0" output)" "Wrote .* at 0x00009000" "$v: the unit image went in the same esptool run"

	# again: the serial is kept (found by MAC); --new-serial gives the next one
	fb "$v" flash --port "$SIMDEV/${v}b0" --json > "$T/$v.again" 2> "$T/$v.err"
	is "$(result "$T/$v.again" "${v}b0" outcome) $(result "$T/$v.again" "${v}b0" serial)" \
		"ok $(result "$T/$v.json" "${v}b0" serial)" "$v: flashed again, board 0 keeps its serial"
	# skip if identical: the same serial and MAC make the same unit image, so nothing is written
	fb "$v" flash --port "$SIMDEV/${v}b0" --skip-identical --json > "$T/$v.same" 2> "$T/$v.err"
	is "$(result "$T/$v.same" "${v}b0" outcome) $(result "$T/$v.same" "${v}b0" serial) $(row "$v" "${v}b0" method)" \
		"ok $(result "$T/$v.json" "${v}b0" serial) identical" \
		"$v: --skip-identical: the board with its kept serial is identical (nothing written)"
	fb "$v" flash --port "$SIMDEV/${v}b1" --new-serial --json > "$T/$v.new" 2> "$T/$v.err"
	is "$(result "$T/$v.new" "${v}b1" outcome) $(result "$T/$v.new" "${v}b1" serial)" "ok SN-000005" \
		"$v: --new-serial: board 1 gets the next serial"
	sim_landed "${v}b1" 0x9000 "$T/copies/SN-000005.bin"
	ok $? "$v: ... and its new unit image"

	# the line output: the Unit phase, the serial on the result line; `history` shows it
	fb "$v" flash --port "$SIMDEV/${v}b3" > "$T/$v.out" 2> "$T/$v.err"
	s3=$(result "$T/$v.json" "${v}b3" serial)
	like "$(cat "$T/$v.out")" "^\[Unit\] slot 1 ${v}b3\$" "$v: line output: [Unit] while read_mac and the command run"
	like "$(cat "$T/$v.out")" "^\[Done\] slot 1 ${v}b3 PASS .* $(sim_mac 3 $vn) serial $s3 [0-9.]+m?s\$" \
		"$v: line output: [Done] with the serial"
	like "$(fb "$v" history --limit 1)" "^ +[0-9]+ .* ok +$s3\$" "$v: history: the Serial column"
	like "$(fb "$v" history --limit 1 | head -n 1)" " Serial\$" "$v: ... named in the header"

	# a label, untrusted: control characters dropped
	fb "$v" flash --port "$SIMDEV/${v}b2" --label "$(printf 'BOX-7\033[31m red')" --json \
		> "$T/$v.label" 2> "$T/$v.err"
	is "$(result "$T/$v.label" "${v}b2" unit_label)" "BOX-7[31m red" "$v: --label recorded, escape dropped"
	is "$(row "$v" "${v}b2" unit_label)" "BOX-7[31m red" "$v: ... on its history row"
	fb "$v" export --csv - | "$PY" -c '
import csv, sys
rows = [r for r in csv.DictReader(sys.stdin) if r["unit_label"]]
print(len(rows), rows[0]["unit_label"], rows[0]["serial"], len(rows[0]["unit_sha256"]))' > "$T/$v.csv"
	is "$(cat "$T/$v.csv")" "1 BOX-7[31m red $(result "$T/$v.json" "${v}b2" serial) 64" \
		"$v: export CSV: unit_label, serial, unit_sha256"
	sim_stop_all
done

# The command's failures (v5 only: the unit step is the same code for both)
v=$(printf '%s\n' $ESPTOOLS | tail -n 1)
case $v in v4) vn=4 ;; v5) vn=5 ;; *) vn=9 ;; esac
rm -f "$T/$v.db"*
sim_conf "$T/$v.conf" "$v" "$FW${UNIT}timeout = 2\n"
sim_start f0 "24:0a:c4:ee:00:01"
# fails MODE WANT_MESSAGE_RE NAME
fails() {
	UNIT_CMD_MODE=$1 fb "$v" flash --port "$SIMDEV/f0" --json > "$T/f.json" 2> "$T/f.err"
	is "$? $(result "$T/f.json" f0 outcome)" "1 unit_failed" "$v: command $1: unit_failed"
	like "$(result "$T/f.json" f0 message)" "$2" "$v: ... $3"
	is "$(row "$v" f0 serial) $(row "$v" f0 failure_class)" "SN-000001 unit_failed" \
		"$v: ... the row keeps the board's serial"
}
fails fail "^the unit command exited with status 3: nvs: cannot open key file for SN-000001\$" \
	"its exit status and stderr"
fails hang "^the unit command timed out after 2 s: waiting for a signer that never answers\$" \
	"timed out, with its stderr"
fails empty "^the unit command wrote an empty file\$" "an empty file"
fails none "^the unit command wrote no file at \\\$FLASHBAY_OUT\$" "no file"
fails big "^the unit command wrote 65536 bytes, more than \\[unit\\] max_size \\(24576\\)\$" "too big"
"$PY" - "$T/$v.db" <<'PY' > "$T/serials"
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT group_concat(serial || ' ' || mac) FROM serials").fetchone()[0])
PY
is "$(cat "$T/serials")" "SN-000001 24:0a:c4:ee:00:01" "$v: five failures, one serial, kept with the MAC"
fb "$v" flash --port "$SIMDEV/f0" --json > "$T/f.json" 2> "$T/f.err"
is "$(result "$T/f.json" f0 outcome) $(result "$T/f.json" f0 serial)" "ok SN-000001" \
	"$v: then the command works: the board passes with that serial"

# A CSV of serials with extra columns: rows in file order, columns as FLASHBAY_<COLUMN>
printf 'Serial,batch id,key-2\r\nA-1,b7,"k,1"\r\nA-2,b8,k2\r\n' > "$T/serials.csv"
sim_conf "$T/$v.conf" "$v" "${FW}[unit]\ncommand = $UNITCMD\noffset = 0x9000\nserials = serials.csv\n"
sim_start f1 "24:0a:c4:ee:00:02"
fb "$v" flash --port "$SIMDEV/f0" --port "$SIMDEV/f1" --json > "$T/c.json" 2> "$T/c.err"
is "$( (result "$T/c.json" f0 serial; result "$T/c.json" f1 serial) | sort | tr '\n' ' ')" "A-1 A-2 " \
	"$v: CSV: each board the next unused row"
like "$(tr -d '\0' < "$T/copies/A-1.bin" | tr '\n' ' ')" "FLASHBAY_BATCH_ID=b7 FLASHBAY_KEY_2=k,1 " \
	"$v: CSV: its other columns as FLASHBAY_BATCH_ID, FLASHBAY_KEY_2"
sim_landed f1 0x9000 "$T/copies/$(result "$T/c.json" f1 serial).bin"
ok $? "$v: CSV: the unit image at its offset"
sim_start f2 "24:0a:c4:ee:00:03"
fb "$v" flash --port "$SIMDEV/f2" --json > "$T/c.json" 2> "$T/c.err"
like "$(result "$T/c.json" f2 outcome): $(result "$T/c.json" f2 message)" \
	"^unit_failed: no serial left: every serial of $T/serials.csv was handed out\$" \
	"$v: CSV: used up: unit_failed, saying so"
done_testing
