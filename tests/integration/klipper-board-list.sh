#!/bin/sh
# flashbay board list ([OK] connected, [--] disconnected, [??] unregistered
# Klipper/Katapult devices, hostile names sanitised) and the interactive
# `board add` wizard in tmux, on a fake sysfs tree (the scanner backend).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"
klipper_setup
register_boards octopus nitehawk
board_plug octopus klipper
board_plug spider katapult
# a hostile unregistered device: escape sequences in its by-id name
mkdir -p "$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/1-7/1-7:1.0/tty/ttyACM9"
usb="$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/1-7"
printf '1d50\n' >"$usb/idVendor"
printf '614e\n' >"$usb/idProduct"
printf 'DEVNAME=ttyACM9\n' >"$usb/1-7:1.0/tty/ttyACM9/uevent"
: >"$ROOT/dev/ttyACM9"
ln -s ../../ttyACM9 "$ROOT/dev/serial/by-id/$(printf 'usb-Klipper_evil\033[2J_0123456789ABCDEF-if00')"
ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/1-7/1-7:1.0/tty/ttyACM9 "$ROOT/sys/class/tty/ttyACM9"

out=$(fb board list)
is "$?" 0 "board list: exit 0"
like "$out" "^\[OK\] octopus +stm32h723 +slot [0-9]+ +$ROOT/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00 \(klipper; config ok\)" "[OK] a registered, connected board with its device and config state"
like "$out" "^\[--\] nitehawk +rp2040 +not connected: no device matches usb-Klipper_rp2040_E6625C05E7324B2A\* \(config ok\)" "[--] a registered board that is not connected"
like "$out" "^\[\?\?\] - +stm32h723xx +slot [0-9]+ +$ROOT/dev/serial/by-id/usb-katapult_stm32h723xx_0123456789ABCDEF0123-if00 \(katapult; not registered: flashbay board add\)" "[??] an unregistered Katapult device"
like "$out" "^\[\?\?\] .*usb-Klipper_evil.*\[2J" "the hostile device is listed"
printf '%s' "$out" | python3 -c 'import sys; sys.exit(b"\x1b" in sys.stdin.buffer.read())'
ok $? "no escape byte reaches the terminal"
# --json: the same facts, exact strings (the hostile name escaped, not sanitised)
fb board list --json >"$T/bl.json"
is "$?" 0 "board list --json: exit 0"
python3 - "$T/bl.json" "$ROOT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
R = sys.argv[2]
keys = ["status", "key", "name", "mcu", "serial_pattern", "method", "slot", "port", "by_id",
        "kind", "config", "config_path"]
assert all(list(o) == keys for o in doc), [list(o) for o in doc]
by = {o["key"]: o for o in doc if o["key"]}
o = by["octopus"]
assert o["status"] == "connected" and o["mcu"] == "stm32h723" and o["config"] == "ok", o
assert o["by_id"] == R + "/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00", o
assert o["kind"] == "klipper" and isinstance(o["slot"], int) and o["port"].startswith(R + "/dev/tty"), o
assert o["serial_pattern"].startswith("usb-Klipper_stm32h723xx_29001A001151313531383332"), o
assert o["config_path"].endswith("/octopus/.config"), o
n = by["nitehawk"]
assert n["status"] == "not_connected" and n["slot"] is None and n["by_id"] is None, n
assert n["mcu"] == "rp2040" and n["config"] == "ok", n
un = [o for o in doc if o["status"] == "unregistered"]
assert len(un) == 2 and all(o["key"] is None for o in un), un
kat = [o for o in un if "katapult" in (o["by_id"] or "")][0]
assert kat["by_id"] == R + "/dev/serial/by-id/usb-katapult_stm32h723xx_0123456789ABCDEF0123-if00", kat
assert kat["kind"] == "katapult" and kat["mcu"] == "stm32h723xx", kat
evil = [o for o in un if "evil" in (o["by_id"] or "")][0]
assert evil["by_id"] == R + "/dev/serial/by-id/usb-Klipper_evil\x1b[2J_0123456789ABCDEF-if00", evil
PY
ok $? "board list --json: every board and device, keys as the columns, exact strings"
python3 -c 'import sys; sys.exit(b"\x1b" in open(sys.argv[1], "rb").read())' "$T/bl.json"
ok $? "board list --json: the escape byte is escaped in the JSON"
out=$(fb board list --bogus 2>&1)
is "$?" 2 "board list --bogus: exit 2"

board_unplug octopus
rm -f "$CONFIGS/nitehawk/.config"
out=$(fb board list)
like "$out" "^\[--\] octopus " "unplugged: [--]"
like "$out" "^\[--\] nitehawk .*no usable config: flashbay board menuconfig nitehawk" "a missing config is shown with its fix"
is "$(fb board list --json | python3 -c '
import json, sys
print(" ".join("%s:%s:%s" % (o["key"], o["status"], o["config"]) for o in json.load(sys.stdin) if o["key"]))')" \
	"octopus:not_connected:ok nitehawk:not_connected:config_missing" "board list --json: unplugged and missing config"

# the wizard needs a terminal
out=$(fb board add </dev/null 2>&1)
is "$?" 2 "board add without arguments and without a terminal: exit 2"
like "$out" "without a terminal, give KEY --mcu MCU --serial-pattern GLOB" "explained"

# the wizard on a terminal (tmux)
if command -v tmux >/dev/null; then
	TM="tmux -S $T/tmux -f /dev/null"
	stop_tmux() { $TM kill-server 2>/dev/null || true; }
	on_exit stop_tmux
	$TM new-session -d -s w -x 120 -y 30 \
		"TERM=xterm $FLASHBAY --no-udev --sysfs-root $ROOT/sys --dev-root $ROOT/dev board add; echo \"[exit \$?]\"; sleep 30"
	screen() { $TM capture-pane -p -t w; }
	on_screen() { screen | grep -qF -- "$1"; }
	wait_until 10 on_screen "Device [1]:"
	ok $? "the wizard lists the devices and asks which"
	like "$(screen)" "1  usb-katapult_stm32h723xx_0123456789ABCDEF0123-if00 \(slot [0-9]+, katapult\)" "the unregistered Katapult device is offered"
	$TM send-keys -t w 1 Enter
	wait_until 10 on_screen "MCU [stm32h723]:"
	ok $? "the MCU is proposed from the by-id name"
	like "$(screen)" "Serial pattern: usb-katapult_stm32h723xx_0123456789ABCDEF0123\*" "the serial pattern comes from the by-id name"
	$TM send-keys -t w Enter
	wait_until 10 on_screen "Key (a short name"
	$TM send-keys -t w "octopus" Enter
	wait_until 10 on_screen "a board named 'octopus' is already registered"
	ok $? "an existing key is refused and asked again"
	$TM send-keys -t w "spider" Enter
	wait_until 10 on_screen "Name (optional):"
	$TM send-keys -t w "Spider v3" Enter
	wait_until 10 on_screen "Flash method"
	$TM send-keys -t w Enter
	wait_until 10 on_screen "[exit 0]"
	ok $? "the wizard registers the board: exit 0"
	like "$(screen)" "Registered board 'spider': mcu stm32h723, serial pattern usb-katapult_stm32h723xx_0123456789ABCDEF0123\*" "and says so"
	like "$(screen)" "No configuration yet: run 'flashbay board menuconfig spider'" "with the next step"
	like "$(cat "$BOARDS")" "name = Spider v3" "boards.ini has the new board"
	out=$(fb board list)
	like "$out" "^\[OK\] spider " "the new board is found (by its serial, in Katapult)"
fi
done_testing
