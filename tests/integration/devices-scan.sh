#!/bin/sh
# Discovery without udev (--no-udev): a fake sysfs and /dev tree, scanned by
# `flashbay list`, and watched with inotify by a long-running consumer of the
# devices API (tests/helper/test-devices): add, remove, re-enumeration within
# the window, expiry and replug, all arriving as events.
. "$srcdir/tests/lib.sh"
PY=${PYTHON3:-python3}
H="$builddir/tests/helper/test-devices"
ROOT="$T/root"
mkdir -p "$ROOT/sys/class/tty" "$ROOT/sys/devices" "$ROOT/dev"

# A USB tty (guide §2): attributes first, the class/tty link, the node, then links.
fake_usb_tty() { # NAME PORT VID PID SERIAL MANUFACTURER PRODUCT BYID [usb-serial|acm] [DRIVER]
	usb="$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/$2"
	case ${9:-acm} in usb-serial) tty="$usb/$2:1.0/$1/tty/$1" ;; *) tty="$usb/$2:1.0/tty/$1" ;; esac
	mkdir -p "$tty" "$ROOT/sys/class/tty"
	printf '%s\n' "$3" >"$usb/idVendor"
	printf '%s\n' "$4" >"$usb/idProduct"
	[ -n "$5" ] && printf '%s\n' "$5" >"$usb/serial"
	[ -n "$6" ] && printf '%s\n' "$6" >"$usb/manufacturer"
	[ -n "$7" ] && printf '%s\n' "$7" >"$usb/product"
	[ -n "${10:-}" ] && ln -s "../../../../../../bus/usb/drivers/${10}" "$usb/$2:1.0/driver"
	printf 'DEVNAME=%s\n' "$1" >"$tty/uevent"
	ln -s "../../${tty#"$ROOT/sys/"}" "$ROOT/sys/class/tty/$1"
	: >"$ROOT/dev/$1"
	if [ -n "$8" ]; then
		mkdir -p "$ROOT/dev/serial/by-id" "$ROOT/dev/serial/by-path"
		ln -s "../../$1" "$ROOT/dev/serial/by-id/$8"
		ln -s "../../$1" "$ROOT/dev/serial/by-path/pci-0000:00:14.0-usb-0:${2#1-}:1.0"
	fi
	return 0
}
fake_unplug() { # NAME PORT
	rm -f "$ROOT/sys/class/tty/$1" "$ROOT/dev/$1"
	[ -d "$ROOT/dev/serial" ] && find "$ROOT/dev/serial" -lname "*/$1" -delete
	rm -rf "$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/$2"
}
# Non-USB ttys: a real 16550 (pnp, with a driver), a serial8250 placeholder, a VT.
fake_other_ttys() {
	d="$ROOT/sys/devices/pnp0/00:05"
	mkdir -p "$d/tty/ttyS0" "$ROOT/sys/devices/platform/serial8250/tty/ttyS1" \
		"$ROOT/sys/devices/virtual/tty/tty0" "$ROOT/sys/bus/pnp/drivers/serial"
	ln -s ../../../bus/pnp/drivers/serial "$d/driver"
	printf '4\n' >"$d/tty/ttyS0/type"
	printf '0\n' >"$ROOT/sys/devices/platform/serial8250/tty/ttyS1/type"
	ln -s ../../devices/pnp0/00:05/tty/ttyS0 "$ROOT/sys/class/tty/ttyS0"
	ln -s ../../devices/platform/serial8250/tty/ttyS1 "$ROOT/sys/class/tty/ttyS1"
	ln -s ../../devices/virtual/tty/tty0 "$ROOT/sys/class/tty/tty0"
	: >"$ROOT/dev/ttyS0"
	: >"$ROOT/dev/ttyS1"
	: >"$ROOT/dev/tty0"
}
fb() { "$FLASHBAY" --no-udev --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" "$@"; }
pycheck() {
	"$PY" - "$T/out.json" "$1" "$ROOT" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
R = sys.argv[3]
exec(sys.argv[2])
EOF
}

# --- nothing there ------------------------------------------------------------------
fake_other_ttys
out=$(fb list)
is "$?" 0 "no boards: exit 0"
is "$out" "no USB serial boards found (check 'ls $ROOT/dev/serial/by-id' and that you are in the 'dialout' group)" \
	"no boards: one line, the hint names the dev root"
is "$(fb list --json)" "[]" "no boards: --json prints []"

# --- enumeration ----------------------------------------------------------------------
fake_usb_tty ttyUSB0 1-1 10c4 ea60 0001 "Silicon Labs" "CP2102 USB to UART Bridge Controller" \
	usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0 usb-serial cp210x
fake_usb_tty ttyUSB1 1-2 1a86 7523 "" "" "USB Serial" usb-1a86_USB_Serial-if00-port0 usb-serial
fake_usb_tty ttyACM0 1-3 303a 1001 F4:12:FA:4B:2C:10 Espressif "USB JTAG/serial debug unit" \
	usb-Espressif_USB_JTAG_serial_debug_unit_F4:12:FA:4B:2C:10-if00 acm cdc_acm
fb list --json >"$T/out.json"
is "$?" 0 "list --json exits 0"
pycheck '
assert [d["port"] for d in doc] == [R + "/dev/ttyUSB0", R + "/dev/ttyUSB1", R + "/dev/ttyACM0"], doc
a, b, c = doc
assert (a["slot"], a["kind"], a["vid"], a["pid"]) == (1, "esp32", "10c4", "ea60"), a
assert (a["manufacturer"], a["product"], a["serial"]) == ("Silicon Labs", "CP2102 USB to UART Bridge Controller", "0001"), a
assert a["by_id"] == R + "/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0", a
assert a["by_path"] == R + "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0", a
assert a["id_path"] == "pci-0000:00:14.0-usb-0:1:1.0", a
assert (a["driver"], a["interface"]) == ("cp210x", 0), a
assert (b["slot"], b["kind"], b["manufacturer"], b["serial"], b["driver"]) == (2, "esp32", None, None, None), b
assert (c["slot"], c["kind"], c["vid"], c["pid"], c["driver"]) == (3, "esp32-usb", "303a", "1001", "cdc_acm"), c
'
ok $? "three boards from the fake tree, every field (python3 json)"
like "$(fb -v list 2>&1 >/dev/null)" "finding devices with sysfs\+inotify" "--no-udev: the scanner"
out=$("$FLASHBAY" -v --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" list 2>&1 >/dev/null)
like "$out" "finding devices with sysfs\+inotify" "other roots than /sys and /dev select the scanner too"
out=$(fb list)
like "$out" "^3 +….*/ttyACM0 +esp32-usb +303a:1001 " "the table lists them (long ports keep their end)"
unlike "$out" "ttyS|tty0" "non-USB ttys are not listed without --all"
fb list --all --json >"$T/out.json"
pycheck '
other = [(d["port"], d["usb"], d["vid"], d["driver"], d["kind"]) for d in doc if not d["usb"]]
assert other == [(R + "/dev/ttyS0", False, None, "serial", "unknown")], other
'
ok $? "--all adds ttyS0 (a real port with a driver), not the serial8250 placeholder or tty0"

# config keys instead of options; [slots] pinned through a by-path link name
cat >"$T/fb.conf" <<EOF
[devices]
sysfs_root = $ROOT/sys
dev_root = $ROOT/dev
[slots]
left = pci-0000:00:14.0-usb-0:3:1.0
EOF
"$FLASHBAY" --no-udev --config "$T/fb.conf" list --json >"$T/out.json"
pycheck '
got = [(d["slot"], d["slot_label"], d["port"]) for d in doc]
assert got == [(1, "left", R + "/dev/ttyACM0"), (2, None, R + "/dev/ttyUSB0"), (3, None, R + "/dev/ttyUSB1")], got
'
ok $? "sysfs_root/dev_root from the config; a [slots] pin on the scanner's port path"

out=$("$FLASHBAY" --no-udev --sysfs-root "$T/nowhere" --dev-root "$ROOT/dev" list 2>&1)
is "$?" 1 "a sysfs root without class/tty: exit 1"
like "$out" "cannot watch '$T/nowhere/class/tty': No such file or directory" "the message names the path"

# --- live: inotify-driven add / remove / re-enumeration / expiry -------------------------
fake_unplug ttyUSB0 1-1
fake_unplug ttyUSB1 1-2
fake_unplug ttyACM0 1-3
rm -rf "$ROOT/dev/serial" # the serial dirs come back with the first board
"$H" --no-udev --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" --window 400 >"$T/ev" 2>"$T/ev.err" &
hpid=$!
helper_stop() { kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null; }
on_exit helper_stop
has() { grep -Eq -- "$1" "$T/ev"; }
wait_until 10 has "^READY source=sysfs\+inotify count=0$"
ok $? "helper ready on the scanner, nothing connected"

fake_usb_tty ttyACM1 1-4 1d50 614e 29001A001151313531383332 Klipper stm32h723xx \
	usb-Klipper_stm32h723xx_29001A001151313531383332-if00 acm cdc_acm
wait_until 10 has "^ADD slot=1 label=- port=$ROOT/dev/ttyACM1 kind=klipper id=1d50:614e fresh=1 plugs=1 user=1 "
ok $? "plug-in seen through inotify: ADD slot 1, klipper, fresh"
wait_until 10 has "^(ADD|CHANGE) slot=1 .* by_id=usb-Klipper_stm32h723xx_29001A001151313531383332-if00 "
ok $? "its by-id link is found once the serial dirs appear"

fake_usb_tty ttyUSB0 1-1 10c4 ea60 0001 "Silicon Labs" "CP2102" usb-Silicon_Labs_CP2102_0001-if00-port0 usb-serial
wait_until 10 has "^ADD slot=2 .*port=$ROOT/dev/ttyUSB0 kind=esp32 .*fresh=1 plugs=1 user=2 "
ok $? "a second board: slot 2"

fake_unplug ttyACM1 1-4
wait_until 10 has "^REMOVE slot=1 .*port=$ROOT/dev/ttyACM1 "
ok $? "unplug seen through inotify: REMOVE slot 1"
fake_usb_tty ttyACM1 1-4 1d50 6177 29001A001151313531383332 katapult stm32h723xx \
	usb-katapult_stm32h723xx_29001A001151313531383332-if00 acm cdc_acm
wait_until 10 has "^ADD slot=1 .*kind=katapult id=1d50:6177 fresh=0 plugs=1 user=1 "
ok $? "Katapult on the same port within the window: slot 1 and user kept, fresh=0"

fake_unplug ttyUSB0 1-1
wait_until 10 has "^EXPIRE slot=2 .*ttyUSB0 "
ok $? "gone past the window: EXPIRE"
fake_usb_tty ttyUSB0 1-1 10c4 ea60 0001 "Silicon Labs" "CP2102" usb-Silicon_Labs_CP2102_0001-if00-port0 usb-serial
wait_until 10 has "^ADD slot=2 .*ttyUSB0 .*fresh=1 plugs=2 user=3 "
ok $? "plugged in again: fresh, plugs 2, its slot 2 again"

fake_usb_tty ttyUSB5 1-5 1a86 7523 "" "" "USB Serial" usb-1a86_USB_Serial-if00-port0 usb-serial
fake_usb_tty ttyUSB6 1-6 1a86 7523 "" "" "USB Serial" usb-1a86_USB_Serial-if00-port0-x usb-serial
ln -sf ../../ttyUSB6 "$ROOT/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"
rm -f "$ROOT/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0-x"
wait_until 10 has "slot=4 .*port=$ROOT/dev/ttyUSB6 .*by_id=usb-1a86_USB_Serial-if00-port0 "
ok $? "a by-id link re-pointed to another board is followed"

# idle: the loop waits with no timeout at all (no polling timer)
idle() { kill -USR1 "$hpid" && has "^IDLE timeout=-1$"; }
wait_until 10 idle
ok $? "idle between events: poll() without a timeout (nothing polls)"

kill "$hpid"
wait "$hpid"
is "$?" 0 "SIGTERM: the helper exits 0"
is "$(cat "$T/ev.err")" "" "nothing on the helper's stderr"
n_add=$(grep -c '^ADD' "$T/ev")
diag "events: $(wc -l <"$T/ev") lines, $n_add ADD"

done_testing
