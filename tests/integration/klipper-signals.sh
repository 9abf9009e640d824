#!/bin/sh
# The printer service runs again however `board flash` ends mid-flash:
# kill -9 (the guard starts it), SIGHUP (the running flash finishes, then
# flashbay starts it and checks the board), Ctrl-C (cancelled, recorded,
# started again, exit 130). A slow fake flashtool.py (FAKE_KATAPULT_DELAY)
# keeps the flash running while the signal arrives; boards leave and come
# back as klipper-flash-lib.sh describes.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"
flash_setup
register_boards octopus
board_plug octopus klipper
KDEV="$ROOT/dev/serial/by-id/usb-katapult_stm32h723xx_29001A001151313531383332-if00"
flashing() { grep -q '^\[Flash\] octopus Flash [0-9]*%' "$T/out"; }
# flashbay itself in the background (not a shell function: $! must be flashbay)
FB="$FLASHBAY --no-udev --sysfs-root $ROOT/sys --dev-root $ROOT/dev"

# --- kill -9 of flashbay mid-flash: the guard starts the service -----------------------
export FAKE_KATAPULT_DELAY=0.04
$FB board flash octopus >"$T/out" 2>&1 &
fpid=$!
wait_until 20 flashing
ok $? "flashing (the service is stopped)"
is "$(cat "$CALLS")" "systemctl stop klipper" "stopped, not started yet"
kill -9 "$fpid"
wait "$fpid" 2>/dev/null
wait_until 10 has_call "systemctl start klipper"
ok $? "kill -9 mid-flash: the service is started again (by the guard)"
wait_until 5 grep -q "started again" "$GUARD_LOG"
ok $? "the guard logged the restart"
# (flashtool.py died with flashbay: PR_SET_PDEATHSIG, see child-death.sh)

# --- SIGHUP: the flash finishes, the service is started again, the board checked --------
: >"$CALLS"
export FAKE_KATAPULT_DELAY=0.02
$FB board flash octopus >"$T/out" 2>"$T/err" &
fpid=$!
wait_until 20 flashing
kill -HUP "$fpid"
come_back octopus "$T/out"
ok $? "after SIGHUP the flash went on to the end (the board rebooted)"
wait "$fpid"
is "$?" 0 "SIGHUP: exit 0 (the flash passed)"
like "$(cat "$T/out")" "^\[Verify\] octopus PASS back as usb-Klipper" "the board came back"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "stopped once, started again"
like "$(cat "$T/err")" "hangup: letting what runs finish" "the hangup is logged"

# --- Ctrl-C mid-flash: cancelled, recorded, started again, exit 130 ---------------------
# (env --default-signal: a background job of sh starts with SIGINT ignored)
: >"$CALLS"
export FAKE_KATAPULT_DELAY=0.04
env --default-signal=INT $FB board flash octopus >"$T/out" 2>"$T/err" &
fpid=$!
wait_until 20 flashing
kill -INT "$fpid"
wait "$fpid"
is "$?" 130 "Ctrl-C: exit 130"
like "$(cat "$T/out")" "^\[Flash\] octopus FAIL cancelled" "the board is cancelled"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "the service was started again"
like "$(cat "$T/out")" "Service klipper: stopped and started again" "and the summary says so"
fb history --json --board octopus >"$T/h.json"
python3 - "$T/h.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))[0]
assert (r["method"], r["outcome"], r["failure_class"]) == ("katapult", "failed", "cancelled"), r
EOF
ok $? "the cancelled attempt is in the history"
ok "$([ ! -e "$KDEV" ]; echo $?)" "flashtool.py was stopped (it never finished)"

# --- SIGTERM mid-flash: the same, exit 143 ----------------------------------------------
: >"$CALLS"
$FB board flash octopus >"$T/out" 2>"$T/err" &
fpid=$!
wait_until 20 flashing
kill -TERM "$fpid"
wait "$fpid"
is "$?" 143 "SIGTERM: exit 143"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "the service was started again"
done_testing
