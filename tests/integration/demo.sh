#!/bin/sh
# --demo: simulated boards and flasher through the real engine, no hardware,
# a private history that does not touch the user's.
. "$srcdir/tests/lib.sh"
export FLASHBAY_SIM_SPEED=40 FLASHBAY_SIM_FAIL=0 TMPDIR="$T"

out=$("$FLASHBAY" --demo 3 monitor --count 3 --json 2>"$T/err")
is "$?" 0 "three simulated boards flashed in monitor mode, exit 0"
is "$(printf '%s\n' "$out" | grep -c '"outcome":"ok"')" 3 "three ok results"
like "$(printf '%s\n' "$out" | head -n 1)" '"chip":"ESP32-D0WD-V3 \(revision v3.0\)|"chip":"ESP32-D0WD-V3' \
	"the simulated esptool's facts are parsed like the real tool's"
ok "$([ ! -e "$XDG_STATE_HOME/flashbay/history.db" ]; echo $?)" "the user's history is untouched"
is "$(ls "$T" | grep -c flashbay-demo)" 0 "the demo's temp folder is removed"

# failures happen too: FLASHBAY_SIM_FAIL=100 makes every board fail
out=$(FLASHBAY_SIM_FAIL=100 "$FLASHBAY" --demo 2 monitor --count 2 --json 2>"$T/err")
is "$?" 1 "all simulated boards failing: exit 1"
like "$(printf '%s\n' "$out" | tr '\n' ' ')" '"outcome":"(no_sync|stopped_responding)"' \
	"the simulated failures are classified like esptool's"

# one-shot commands see every demo board at once (they appear over time only
# for the dashboard and monitor)
out=$("$FLASHBAY" --demo 3 list 2>"$T/err")
is "$?" 0 "--demo 3 list: exit 0"
is "$(printf '%s\n' "$out" | grep -c ' esp32')" 3 "--demo 3 list shows the three demo boards"
is "$("$FLASHBAY" --demo 3 list --json | "${PYTHON3:-python3}" -c '
import json, sys
print(" ".join(d["port"] for d in json.load(sys.stdin)))')" \
	"/demo/ttyUSB0 /demo/ttyUSB1 /demo/ttyACM0" "--demo 3 list --json: the three boards, exact"
out=$("$FLASHBAY" --demo 3 flash --all --json 2>"$T/err")
is "$?" 0 "--demo 3 flash --all: exit 0"
is "$(printf '%s\n' "$out" | grep -c '"outcome":"ok"')" 3 "--demo 3 flash --all flashes the three demo boards"
like "$(printf '%s\n' "$out" | tail -n 1)" '"total":3' "... and the summary counts three"
is "$(ls "$T" | grep -c flashbay-demo)" 0 "the one-shot demos' temp folders are removed"

# the simulator alone speaks esptool v5
out=$("$FLASHBAY" _sim-esptool version)
like "$out" "^esptool v5" "_sim-esptool answers 'version' like esptool v5"

done_testing
