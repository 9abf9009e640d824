#!/bin/sh
# How `board flash` chooses and falls back: a board's method (make_flash,
# katapult), [klipper] default_method, no fallback after Katapult saw another
# MCU, a uf2 build that Katapult cannot take, a port locked by another
# flashbay and a failed systemctl stop (both stop before anything is
# flashed; the service is started again after a failed stop). Boards leave
# and come back as klipper-flash-lib.sh describes.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"
flash_setup
register_boards octopus nitehawk
board_plug octopus klipper
board_plug nitehawk klipper
export FAKE_KATAPULT_LOG="$T/katapult.log" FAKE_FLASH_LOG="$T/flash.log"
flash_bg() { fb board flash "$@" >"$T/out" 2>&1 & fpid=$!; }
finish() { wait "$fpid"; rc=$?; out=$(cat "$T/out"); }
set_method() { # KEY METHOD: edit boards.ini as a user would
	sed -i "/^\[$1\]/,/^\[/{/^method = /d}" "$BOARDS"
	sed -i "/^\[$1\]/a method = $2" "$BOARDS"
}
history_of() { # KEY: "method outcome class" of its newest attempt
	fb history --json --board "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
print(r["method"], r["outcome"], r["failure_class"])'
}

# a board with method make_flash never goes through Katapult
set_method nitehawk make_flash
: >"$T/katapult.log"
flash_bg nitehawk
come_back nitehawk "$T/out"
finish
is "$rc" 0 "method make_flash: exit 0"
like "$out" "^\[Flash\] nitehawk make_flash klipper.bin via " "make flash chosen"
is "$(cat "$T/katapult.log")" "" "flashtool.py never ran"
like "$(cat "$T/flash.log")" "flash_usb.py -t rp2040 -d $ROOT/dev/serial/by-id/usb-Klipper_rp2040_E6625C05E7324B2A-if00 " "make flash FLASH_DEVICE=<by-id>"
is "$(history_of nitehawk)" "make_flash ok None" "recorded as make_flash"

# [klipper] default_method = make_flash does the same for boards left at default
sed -i 's/^moonraker =$/moonraker =\ndefault_method = make_flash/' "$CONF"
: >"$T/katapult.log"
flash_bg octopus
come_back octopus "$T/out"
finish
like "$out" "^\[Flash\] octopus make_flash " "default_method make_flash"
is "$(cat "$T/katapult.log")" "" "no Katapult"
sed -i '/^default_method = /d' "$CONF"

# method katapult: a Katapult failure is final (no make flash)
set_method octopus katapult
: >"$T/flash.log"
export FAKE_KATAPULT=no-response
out=$(fb board flash octopus 2>&1)
is "$?" 1 "method katapult, Katapult fails: exit 1"
like "$out" "^\[Flash\] octopus FAIL no_sync: Error sending command \[CONNECT\] to Device" "the Katapult failure is the result"
is "$(cat "$T/flash.log")" "" "make flash was not tried"
set_method octopus default

# Katapult saw another MCU: never fall back (make flash would write the wrong firmware too)
export FAKE_KATAPULT=mcu-mismatch
out=$(fb board flash octopus 2>&1)
like "$out" "^\[Flash\] octopus FAIL mcu_mismatch: MCU returned by Katapult does not match" "mcu_mismatch from the bootloader"
is "$(cat "$T/flash.log")" "" "and no fallback"
unset FAKE_KATAPULT

# a uf2 build cannot go to Katapult: method katapult is refused before the service stops
cp "$FX/configs/klipper-rp2040-nobootloader.config" "$CONFIGS/nitehawk/.config"
set_method nitehawk katapult
: >"$CALLS"
out=$(fb board flash nitehawk 2>&1)
is "$?" 1 "katapult with a uf2 build: exit 1"
like "$out" "FAIL other: board 'nitehawk' is set to method katapult, but its build is klipper.uf2 without a bootloader offset" "explained"
is "$(cat "$CALLS")" "" "nothing was stopped"
set_method nitehawk default
flash_bg nitehawk
come_back nitehawk "$T/out"
finish
like "$out" "^\[Flash\] nitehawk make_flash klipper.uf2 via " "method default: the uf2 goes to make flash"
is "$rc" 0 "and passes"

# a port locked by another flashbay: refused before anything is stopped
command -v flock >/dev/null && {
	: >"$CALLS"
	# the lock is on the open file: the subshell becomes sleep with fd 9 still locked
	(flock -x 9 && exec sleep 30) 9>"$T/lock/flashbay-ttyACM1.lock" &
	holder=$!
	wait_until 5 sh -c "! flock -n '$T/lock/flashbay-ttyACM1.lock' true"
	out=$(fb board flash octopus 2>&1)
	is "$?" 1 "port locked: exit 1"
	like "$out" "^\[Discovery\] octopus FAIL port_busy: port .*ttyACM1 is in use by another flashbay" "port_busy at discovery"
	is "$(cat "$CALLS")" "" "nothing was stopped"
	kill "$holder"
	wait "$holder" 2>/dev/null
}

# systemctl stop fails: nothing is flashed, the service is started anyway
: >"$CALLS"
: >"$T/katapult.log"
out=$(FAKE_SYSTEMCTL_FAIL=stop fb board flash octopus 2>&1)
is "$?" 1 "stop failed: exit 1"
like "$out" "FAIL service_failed: FAILED to stop the printer service klipper" "service_failed with the command"
is "$(cat "$T/katapult.log")" "" "nothing was flashed"
is "$(tail -1 "$CALLS")" "systemctl start klipper" "the service was started again anyway"
done_testing
