# tests/integration/history-lib.sh - shared by the history-*.sh tests.
# Source it after tests/lib.sh.
#
#   TH ARGS...          the test-history helper (the real history API)
#   DB                  a database path in $T
#   fb ARGS...          flashbay with --db "$DB"
#   py EXPR             evaluate a python3 expression with d = JSON from stdin
#   sql SQL             one value (first column of the first row) from "$DB"
#   load_dataset        a known data set (see the comments below) into "$DB"

TH="$builddir/tests/helper/test-history"
PY=${PYTHON3:-python3}
[ -n "$PY" ] || PY=python3
DB="$T/state/history.db"
mkdir -p "$T/state" # flashbay makes only its default folder
export FLASHBAY_BUSY_TIMEOUT_MS=300

fb() { "$FLASHBAY" --db "$DB" "$@"; }
py() { "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
sql() {
	"$PY" - "$DB" "$1" <<'PYEOF'
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print('' if r is None or r[0] is None else r[0])
PYEOF
}

FW_A='[{"path":"build/bootloader.bin","offset":4096,"size":26000},{"path":"build/app.bin","offset":65536,"size":1022576}]'
SHA_A=aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001
SHA_B=bbbbbbbbbbbb0000000000000000000000000000000000000000000000000002

# Eight finished attempts and one left running, on 2025-06-01 (UTC):
#  1 u1 slot 1 10:00:00-10:00:20 ok, MAC m1                     board m1: passes first
#  2 u2 slot 2 10:00:05-10:00:10 failed no_sync (no MAC)        board m2 (u2 learns m2 in 3)
#  3 u2 slot 2 10:00:30-10:00:55 ok, MAC m2                     ... first attempt failed
#  4 u3 slot 3 10:01:00-10:01:30 failed timeout, MAC m3         board m3
#  5 u4 slot 3 10:02:00-10:02:40 failed timeout, MAC m3         ... re-plugged, fails again
#  6 u5 slot 1 10:03:00-10:03:10 failed no_sync                 board u5, never passes
#  7 k1 no slot, board "printer" 10:04:00-10:05:00 ok           board printer: passes first
#  8 u6 slot 2 10:05:30-10:06:00 ok, MAC m6                     board m6: passes first
#  9 u7 slot 1 10:06:30 running                                 board u7, not ended
#    (its owner, a test-history process, lives until the test ends: a row of a
#    dead owner reads as interrupted)
load_dataset() {
	d=2025-06-01T10
	{
		printf 'unit=u1\tslot=1\tstart=%s:00:00Z\tend=%s:00:20Z\tdur=20000\toutcome=ok\tmac=24:0a:c4:00:00:01\tsha=%s\tfirmware=%s\tsize=1048576\tport=/dev/ttyUSB0\n' $d $d $SHA_A "$FW_A"
		printf 'unit=u2\tslot=2\tstart=%s:00:05Z\tend=%s:00:10Z\tdur=5000\toutcome=failed\tclass=no_sync\tsha=%s\tport=/dev/ttyUSB1\n' $d $d $SHA_A
		printf 'unit=u2\tslot=2\tstart=%s:00:30Z\tend=%s:00:55Z\tdur=25000\toutcome=ok\tmac=24:0A:C4:00:00:02\tsha=%s\tport=/dev/ttyUSB1\n' $d $d $SHA_A
		printf 'unit=u3\tslot=3\tstart=%s:01:00Z\tend=%s:01:30Z\tdur=30000\toutcome=failed\tclass=timeout\tmac=24:0a:c4:00:00:03\tsha=%s\tport=/dev/ttyUSB2\n' $d $d $SHA_B
		printf 'unit=u4\tslot=3\tstart=%s:02:00Z\tend=%s:02:40Z\tdur=40000\toutcome=failed\tclass=timeout\tmac=24:0a:c4:00:00:03\tsha=%s\tport=/dev/ttyUSB2\n' $d $d $SHA_B
		printf 'unit=u5\tslot=1\tstart=%s:03:00Z\tend=%s:03:10Z\tdur=10000\toutcome=failed\tclass=no_sync\tsha=%s\tport=/dev/ttyUSB0\n' $d $d $SHA_B
		printf 'unit=k1\tboard=printer\tstart=%s:04:00Z\tend=%s:05:00Z\tdur=60000\toutcome=ok\tsha=%s\tmethod=katapult\tport=/dev/ttyACM0\n' $d $d $SHA_B
		printf 'unit=u6\tslot=2\tstart=%s:05:30Z\tend=%s:06:00Z\tdur=30000\toutcome=ok\tmac=24:0a:c4:00:00:06\tsha=%s\tport=/dev/ttyUSB1\n' $d $d $SHA_A
	} | "$TH" "$DB" load >/dev/null || return 1
	"$TH" "$DB" hang unit=u7 slot=1 start=$d:06:30Z port=/dev/ttyUSB0 > "$T/dataset-hang" 2>&1 &
	dataset_hang=$!
	on_exit stop_dataset_hang
	wait_until 10 grep -q '^[0-9]' "$T/dataset-hang"
}
stop_dataset_hang() { kill -9 "$dataset_hang" 2>/dev/null; wait "$dataset_hang" 2>/dev/null; true; }
