# tests/integration/tui-lib.sh - a station for the dashboard tests, without
# hardware or udev: a fake sysfs and /dev tree scanned with --no-udev (as in
# devices-scan.sh), the fake esptool, two firmware images and a config.
# Source after tests/lib.sh and tests/tuilib.sh, then call station_setup.
#
#   station_setup [MAX_WORKERS]  tree, firmware, $T/flashbay.conf, PATH
#   plug N           a CP2102 ESP32 board as ttyUSB<N-1> on hub port 1-N
#   unplug N         and gone again
#   FB               the flashbay command line for tui_start (quoted)
#   hist_json        `flashbay history --json` of the station's database
#   db_count SQL_WHERE  attempts matching (via history --json, python)

ROOT="$T/root"
FAKE_ESPTOOL="$(cd "$srcdir/tests/fake" && pwd)/esptool"
PY=${PYTHON3:-python3}

station_setup() {
	mkdir -p "$ROOT/sys/class/tty" "$ROOT/sys/devices" "$ROOT/dev" "$T/fw" "$T/py" "$T/locks"
	# the fake starts with "#!/usr/bin/env python3": the interpreter itself
	# first on PATH (a pyenv shim costs ~150 ms per start)
	ln -sf "$("$PY" -c 'import sys; print(sys.executable)')" "$T/py/python3"
	PATH="$T/py:$PATH"
	export PATH FAKE_ESPTOOL_FAIL_DELAY=0 FAKE_ESPTOOL_FLASH_DIR="$T/flash"
	mkdir -p "$FAKE_ESPTOOL_FLASH_DIR"
	unset FAKE_ESPTOOL_BEHAVIOUR FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_MAC NO_COLOR 2>/dev/null
	# 4 KiB bootloader, 256 KiB app: 2:1 compressible like real images
	"$PY" - "$T/fw" <<'EOF'
import random, sys
r = random.Random(1)
gen = lambda n: bytes((r.randrange(144) if i % 2 == 0 else 0) for i in range(n))
open(sys.argv[1] + "/bootloader.bin", "wb").write(gen(4096))
open(sys.argv[1] + "/app.bin", "wb").write(gen(262144))
EOF
	cat >"$T/flashbay.conf" <<EOF
[station]
name = bay-7
max_workers = ${1:-16}
database = $T/history.db
log_dir = $T/logs
lock_dir = $T/locks
[esp32]
esptool = $FAKE_ESPTOOL
baud = 921600
[firmware]
0x1000 = $T/fw/bootloader.bin
0x10000 = $T/fw/app.bin
EOF
	FB="'$FLASHBAY' --no-udev --sysfs-root '$ROOT/sys' --dev-root '$ROOT/dev' --config '$T/flashbay.conf'"
}

# A USB tty (guide §2): attributes first, the class/tty link, the node, then links.
plug() {
	n=$1 name="ttyUSB$(($1 - 1))" port="1-$1" ser=$(printf '%04d' "$1")
	usb="$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/$port"
	tty="$usb/$port:1.0/$name/tty/$name"
	mkdir -p "$tty" "$ROOT/dev/serial/by-id" "$ROOT/dev/serial/by-path"
	printf '10c4\n' >"$usb/idVendor"
	printf 'ea60\n' >"$usb/idProduct"
	printf '%s\n' "$ser" >"$usb/serial"
	printf 'Silicon Labs\n' >"$usb/manufacturer"
	printf 'CP2102 USB to UART Bridge Controller\n' >"$usb/product"
	printf 'DEVNAME=%s\n' "$name" >"$tty/uevent"
	ln -s "../../${tty#"$ROOT/sys/"}" "$ROOT/sys/class/tty/$name"
	: >"$ROOT/dev/$name"
	ln -s "../../$name" "$ROOT/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_$ser-if00-port0"
	ln -s "../../$name" "$ROOT/dev/serial/by-path/pci-0000:00:14.0-usb-0:$n:1.0-port0"
}

unplug() {
	name="ttyUSB$(($1 - 1))"
	rm -f "$ROOT/sys/class/tty/$name" "$ROOT/dev/$name"
	find "$ROOT/dev/serial" -lname "*/$name" -delete
	rm -rf "$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/1-$1"
}

fb() { "$FLASHBAY" --config "$T/flashbay.conf" "$@"; }
hist_json() { fb history --json --limit 0; }

# hist_check PYTHON: evaluate PYTHON with `rows` = the history, newest
# first (quiet: for wait_until); hist_show prints the rows as TAP comments.
hist_check() {
	hist_json >"$T/hist.json" 2>"$T/hist.err" || return 1
	"$PY" - "$T/hist.json" "$1" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}
hist_show() {
	hist_json | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    print("#   slot %s %s %s: %s" % (r["slot"], r["port"].split("/")[-1], r["outcome"], r["message"]))'
}
