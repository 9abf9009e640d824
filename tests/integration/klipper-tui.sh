#!/bin/sh
# The dashboard with Klipper boards (tmux, fake sysfs tree): a Klipper row
# shows its MCU and serial; `m` hands the terminal to the fake curses
# menuconfig while an ESP32 flash (slow fake esptool) keeps going - it even
# finishes and is recorded while curses is suspended - then the log says
# whether the config was saved; `f` on the Klipper row runs the Klipper plan
# (one service stop and start, the board leaves and comes back: see
# klipper-flash-lib.sh).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"
need_terminal
flash_setup
register_boards octopus
board_plug octopus klipper
# an ESP32 board (CP2102) on port 1-1
usb="$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
mkdir -p "$usb/1-1:1.0/ttyUSB0/tty/ttyUSB0"
printf '10c4\n' >"$usb/idVendor"
printf 'ea60\n' >"$usb/idProduct"
printf 'DEVNAME=ttyUSB0\n' >"$usb/1-1:1.0/ttyUSB0/tty/ttyUSB0/uevent"
: >"$ROOT/dev/ttyUSB0"
ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0 "$ROOT/sys/class/tty/ttyUSB0"
head -c 262144 /dev/urandom >"$T/app.bin"
printf '[esp32]\nesptool = %s/tests/fake/esptool\n' "$srcdir" >>"$CONF"
export FAKE_ESPTOOL_BEHAVIOUR=slow:250 FAKE_ESPTOOL_FAIL_DELAY=0

TM="tmux -S $T/tmux -f /dev/null"
stop_tmux() { $TM kill-server 2>/dev/null || true; }
on_exit stop_tmux
$TM new-session -d -s d -x 110 -y 32 \
	"TERM=xterm-256color $FLASHBAY --no-udev --sysfs-root $ROOT/sys --dev-root $ROOT/dev tui --firmware $T/app.bin@0x10000; echo \"[exit \$?]\"; sleep 60"
screen() { $TM capture-pane -p -t d; }
keys() { $TM send-keys -t d "$@"; }
on_screen() { screen | grep -qF -- "$1"; }
wait_for() { # TEXT
	wait_until 15 on_screen "$1" && return 0
	echo "# no '$1' on the screen:"
	screen | sed 's/^/#   | /'
	return 1
}
row() { screen | grep -E " $1 +tty(USB|ACM)[0-9]" | head -1; }
pct() { row 1 | sed -n 's/.*Flash \([0-9]*\)%.*/\1/p'; }

wait_for "stm32h723xx (octopus)"
ok $? "the Klipper row shows its MCU and registered key in CHIP/MCU"
like "$(row 2)" "klipper +stm32h723xx \(octopus\) +29001A0011513135" "KIND klipper, serial in MAC/SERIAL"
like "$(screen | tail -1)" "m Menuconfig" "the key bar has m"

# an ESP32 flash runs; m on the Klipper row suspends curses for menuconfig
keys f
flashing() { p=$(pct); [ -n "$p" ] && [ "$p" -gt 0 ]; }
wait_until 15 flashing
before=$(pct)
ok "$([ -n "$before" ] && [ "$before" -lt 100 ]; echo $?)" "the ESP32 board is flashing ($before%)"
keys j m
wait_for "Klipper Firmware Configuration"
ok $? "m: menuconfig owns the terminal"
recorded() { "$FLASHBAY" history --json 2>/dev/null | grep -q '"outcome": *"ok"'; }
wait_until 20 recorded
ok $? "meanwhile the ESP32 flash went on and was recorded (the loop kept serving it)"
on_screen "Klipper Firmware Configuration"
ok $? "... while menuconfig still had the screen"
keys q
wait_for "configuration not changed"
ok $? "back in the dashboard: the log says the config was not changed"
like "$(screen)" "octopus: MCU check: the configuration matches \(mcu stm32h723\)" "the MCU check in the log"
like "$(row 1)" "PASS" "the ESP32 row finished while curses was suspended"
ok "$([ "$before" -lt 100 ]; echo $?)" "progress: $before% before m, PASS after"

# saved this time
keys m
wait_for "Klipper Firmware Configuration"
keys Space q
wait_for "Save configuration?"
keys y
wait_for "octopus: configuration saved"
ok $? "saved: the log says so (decided by the file, not the exit status)"
ok "$(grep -q '^# CONFIG_LOW_LEVEL_OPTIONS is not set$' "$CONFIGS/octopus/.config"; echo $?)" "the change is in the board's cached config"

# a label for the Klipper board (L), recorded with its attempt (issue 15)
keys L
wait_for "Scan or type the label of slot 2"
ok $? "L on the Klipper row: the scan field names it"
keys -l "KLP-9"
keys Enter
wait_for "slot 2 labelled"

# f on the Klipper row: the Klipper plan (build, one stop, Katapult, one start, reappear)
: >"$CALLS"
keys f
wait_for "octopus: the board is in its bootloader"
ok $? "f on a Klipper row flashes it through the Klipper plan"
board_unplug octopus
board_plug octopus klipper
passed() { row 2 | grep -q PASS; }
wait_until 15 passed
ok $? "the Klipper row ends PASS once the board is back"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "one stop, one start"
label=$("$FLASHBAY" history --json --board octopus | "${PYTHON3:-python3}" -c 'import json, sys; print(json.load(sys.stdin)[0]["unit_label"])')
is "$label" "KLP-9" "the Klipper attempt is recorded with the label"
keys q
wait_for "[exit 0]"
ok $? "quit: exit 0"
done_testing
