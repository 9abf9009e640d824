#!/bin/sh
# [unit] mistakes are refused before anything runs (exit 2, one message
# starting "flashbay", nothing flashed or recorded): a command that is not
# there, no offset or one inside the firmware, a counter without exactly one
# %d/%0Nd, a CSV that is missing, empty or has no serial column, --no-history;
# --label for more than one board; an offset off a 4 KiB sector is a warning.
# Ctrl-C or SIGTERM while the unit command runs: recorded as cancelled, the
# serial kept with the MAC, the command gone.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
make_ports 2
UNITCMD=$(cd "$srcdir/tests/helper" && pwd)/unit-cmd.sh
printf 'serial,batch\nSN-1,b1\n' > "$T/serials.csv"
printf 'name,batch\nx,b1\n' > "$T/noserial.csv"
: > "$T/empty.csv"

# conf TEXT: fb.conf plus a [unit] section
conf() {
	{ cat "$T/fb.conf"; printf '[unit]\n%b' "$1"; } > "$T/unit.conf"
}
# refused WANT TEXT [ARGS]: flash with [unit] TEXT exits 2 with stderr WANT
refused() {
	want=$1
	conf "$2"
	shift 2
	"$FLASHBAY" --config "$T/unit.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" flash --port "$T/ports/ttyUSB0" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	is "$rc $(cat "$T/err")" "2 $want" "refused: $want"
	is "$(cat "$T/out")$(cat "$T/flash/"*.bin 2>/dev/null | wc -c)" "0" "... nothing flashed or printed"
}
GOOD="command = $UNITCMD\noffset = 0x9000\nserials = counter:SN-%06d\n"

refused "flashbay flash: [unit] command: '$T/nope.sh' is not an executable file" \
	"command = $T/nope.sh\noffset = 0x9000\nserials = counter:SN-%06d\n"
refused "flashbay flash: [unit] command: 'no-such-unit-command' is not an executable file on PATH" \
	"command = no-such-unit-command --size 4\noffset = 0x9000\nserials = counter:SN-%06d\n"
refused "flashbay flash: [unit] offset: not set (where the unit image goes, e.g. 0x9000)" \
	"command = $UNITCMD\nserials = counter:SN-%06d\n"
refused "flashbay flash: [unit] offset 0x10000 (max_size 24576) overlaps the image app.bin at 0x10000" \
	"command = $UNITCMD\noffset = 0x10000\nserials = counter:SN-%06d\n"
refused "flashbay flash: [unit] offset 0x9000 (max_size 65536) overlaps the image app.bin at 0x10000" \
	"command = $UNITCMD\noffset = 0x9000\nmax_size = 65536\nserials = counter:SN-%06d\n"
for bad in 'SN-%s' 'SN-%d-%d' 'SN' 'SN-%6d' 'SN-%099d'; do
	refused "flashbay flash: [unit] serials: 'counter:$bad' needs exactly one %d or %0Nd (e.g. counter:SN-%06d; %% is a '%')" \
		"command = $UNITCMD\noffset = 0x9000\nserials = counter:$bad\n"
done
long=$(printf 'P%.0s' $(seq 50))
refused "flashbay flash: [unit] serials: 'counter:$long-%d' makes serials longer than 64 bytes" \
	"command = $UNITCMD\noffset = 0x9000\nserials = counter:$long-%d\n"
printf 'serial\nA-1\n%s\n' "$(printf 'S%.0s' $(seq 65))" > "$T/longserial.csv"
refused "flashbay flash: [unit] serials: $T/longserial.csv:3: a serial longer than 64 bytes" \
	"command = $UNITCMD\noffset = 0x9000\nserials = longserial.csv\n"
refused "flashbay flash: [unit] serials: not set (counter:PREFIX-%06d or a CSV file of serials)" \
	"command = $UNITCMD\noffset = 0x9000\n"
refused "flashbay flash: [unit] serials: cannot read '$T/nope.csv': No such file or directory" \
	"command = $UNITCMD\noffset = 0x9000\nserials = nope.csv\n"
refused "flashbay flash: [unit] serials: '$T/noserial.csv' has no 'serial' column in its header line" \
	"command = $UNITCMD\noffset = 0x9000\nserials = noserial.csv\n"
refused "flashbay flash: [unit] serials: '$T/empty.csv' is empty (it needs a header line)" \
	"command = $UNITCMD\noffset = 0x9000\nserials = $T/empty.csv\n"
refused "flashbay flash: [unit] needs the history database: serials are handed out there (no --no-history)" \
	"$GOOD" --no-history

# a bad [unit] value in the file names file:line, as every key
conf "${GOOD}max_size = 0\ntimeout = soon\n"
fb_out=$("$FLASHBAY" --config "$T/unit.conf" --db "$T/history.db" flash --all 2>&1)
like "$fb_out" "unit.conf:[0-9]+: \\[unit\\] max_size: '0' is not a whole number from 1 to 16777216" \
	"a bad max_size names the file and line"
like "$fb_out" "unit.conf:[0-9]+: \\[unit\\] timeout: 'soon' is not a duration from 1 to 3600 seconds" \
	"a bad timeout too"

# --label is for one board
out=$(fb flash --all --label BOX-1 2>&1 | head -n 1); rc=$(fb flash --all --label BOX-1 >/dev/null 2>&1; echo $?)
is "$rc $out" "2 flashbay flash: --label is for one board: give one --port or --slot" "--label with --all is refused"
two="--port $T/ports/ttyUSB0 --port $T/ports/ttyUSB1"
# shellcheck disable=SC2086
out=$(fb flash $two --label BOX-1 2>&1 | head -n 1)
# shellcheck disable=SC2086
rc=$(fb flash $two --label BOX-1 >/dev/null 2>&1; echo $?)
is "$rc $out" "2 flashbay flash: --label is for one board: give one --port or --slot" "--label with two --port is refused"
out=$(fb monitor --label BOX-1 2>&1 | head -n 1); rc=$(fb monitor --label BOX-1 >/dev/null 2>&1; echo $?)
is "$rc $out" "2 flashbay monitor: --label and --new-serial are for 'flash'" "monitor refuses --label"

# an offset off a 4 KiB sector is a warning (the check then goes on)
conf "command = $UNITCMD\noffset = 0x9100\nserials = $T/nope.csv\n"
"$FLASHBAY" --config "$T/unit.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
	--db "$T/history.db" flash --port "$T/ports/ttyUSB0" > "$T/out" 2> "$T/err"
like "$(cat "$T/err")" "cannot read '$T/nope.csv'" "an unaligned offset: the next problem is still found"

# a good [unit]: the sample config's own [unit] block parses (commented out there)
conf "$GOOD"
"$FLASHBAY" --config "$T/unit.conf" --db "$T/history.db" history > /dev/null 2> "$T/err"
is "$(cat "$T/err")" "" "a good [unit] block: no warning, no error"

# Ctrl-C or SIGTERM while the unit command runs: the attempt is recorded as
# cancelled, the serial stays with the board's MAC, the command is gone
sql() { "${PYTHON3:-python3}" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$T/history.db" "$1"; }
hanging() { pgrep -f "^sleep 600$" > /dev/null; }
n=0
for sig in INT TERM; do
	n=$((n + 1))
	UNIT_CMD_MODE=hang FAKE_ESPTOOL_MAC="24:0a:c4:55:00:0$n" "$FLASHBAY" --config "$T/unit.conf" \
		--no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" --db "$T/history.db" \
		flash --port "$T/ports/ttyUSB0" > "$T/out" 2> "$T/err" &
	fpid=$!
	check "SIG$sig: the unit command runs" wait_until 20 hanging
	kill -"$sig" "$fpid"
	wait "$fpid"
	rc=$?
	[ "$sig" = INT ] && want=130 || want=143
	is "$rc" "$want" "SIG$sig during the unit command: exit $want"
	is "$(sql "SELECT outcome || ' ' || failure_class || ' ' || serial FROM attempts ORDER BY id DESC LIMIT 1")" \
		"failed cancelled $(sql "SELECT serial FROM serials WHERE mac = '24:0a:c4:55:00:0$n'")" \
		"... recorded as cancelled, with the serial its MAC keeps"
	check "... the unit command does not outlive flashbay" wait_until 5 sh -c '! pgrep -f "^sleep 600$" > /dev/null'
done
done_testing
