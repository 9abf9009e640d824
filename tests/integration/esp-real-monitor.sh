#!/bin/sh
# `flashbay monitor` with the real esptool (v4.12.0 and v5.3.1, ../shared/tools)
# and hot-plug: simulated ESP32 boards appear in a fake sysfs and /dev tree
# (the --no-udev scanner, inotify) whose /dev/ttyUSBn is a link to the
# simulator's pty. Two boards are there when monitor starts, six are plugged
# while it runs: each of the 8 is flashed exactly once, with its images and
# MAC. A re-enumeration within [devices] reappear_window is the same board
# (not flashed again); unplugged for longer and plugged in again, it is a new
# board and is flashed again (README, "Flashing ESP32 boards").
# Skipped with the reason where ../shared is absent.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY
ROOT="$T/root"
N=8
mkdir -p "$T/fw"
make_image "$T/fw/boot.bin" 20000 21
make_image "$T/fw/app.bin" 50000 22
WIN='[devices]\nreappear_window = 2s\n[firmware]\n0x1000 = fw/boot.bin\n0x10000 = fw/app.bin\n'

# usb_plug N: the sysfs side of a CP2102 adapter on hub port 1-N with tty ttyUSBN
# (its /dev node is the simulator's link); usb_unplug N: it goes again
usb_plug() {
	usb="$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/1-$1"
	tty="$usb/1-$1:1.0/ttyUSB$1/tty/ttyUSB$1"
	mkdir -p "$tty"
	printf '10c4\n' > "$usb/idVendor"
	printf 'ea60\n' > "$usb/idProduct"
	printf '000%s\n' "$1" > "$usb/serial"
	printf 'CP2102 USB to UART Bridge Controller\n' > "$usb/product"
	printf 'DEVNAME=ttyUSB%s\n' "$1" > "$tty/uevent"
	ln -s "../../${tty#"$ROOT/sys/"}" "$ROOT/sys/class/tty/ttyUSB$1"
}
usb_unplug() {
	rm -f "$ROOT/sys/class/tty/ttyUSB$1"
	rm -rf "$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/1-$1"
}
# board_plug VER N: a simulated board (MAC ...:VV:00:0N) and its adapter appear
board_plug() {
	sim_start_at "$ROOT/dev/ttyUSB$2" "$1b$2" "$(mac_of "$2" "$1")" &&
		usb_plug "$2"
}
board_unplug() {
	sim_stop "$1b$2"
	usb_unplug "$2"
}
mac_of() { case $2 in v4) printf '24:0a:c4:24:00:%02x' "$1" ;; *) printf '24:0a:c4:25:00:%02x' "$1" ;; esac; }
has() { grep -Eq -- "$1" "$T/out"; }
count() { grep -Ec -- "$1" "$T/out"; }
results_at_least() { [ "$(count '^\[(Done|Fail)\]')" -ge "$1" ]; }
slot_of() { sed -n "s/^\[Done\] slot \([0-9]*\) $1 .*/\1/p" "$T/out" | head -n 1; }
landed_both() { sim_landed "$1" 0x1000 "$T/fw/boot.bin" && sim_landed "$1" 0x10000 "$T/fw/app.bin"; }
# flashes VER: "port-basename:count:mac" for every history row of that version
flashes() {
	"$FLASHBAY" --db "$T/history.db" history --json > "$T/hist.json" 2>&1
	"$PY" - "$T/hist.json" "esptool $1" <<'PY'
import collections, json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["method"] == sys.argv[2]]
n = collections.Counter((r["port"].rsplit("/", 1)[1], r["outcome"], r["mac"]) for r in rows)
print(" ".join("%s:%s:%d:%s" % (p, o, c, m) for (p, o, m), c in sorted(n.items())))
PY
}

for v in $ESPTOOLS; do
	rm -rf "$ROOT"
	mkdir -p "$ROOT/sys/class/tty" "$ROOT/dev"
	sim_conf "$T/$v.conf" "$v" "$WIN"
	board_plug "$v" 0 && board_plug "$v" 1
	ok $? "$v: two boards plugged in before monitor starts"

	"$FLASHBAY" --config "$T/$v.conf" --no-udev --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" \
		--db "$T/history.db" monitor --count 9 > "$T/out" 2> "$T/err" &
	mpid=$!
	wait_until 20 has '^\[Monitor\]'
	ok $? "$v: monitor started"
	i=2
	while [ $i -lt $N ]; do
		board_plug "$v" $i || diag "$v: board $i did not start"
		i=$((i + 1))
	done
	wait_until 120 results_at_least $N
	ok $? "$v: 8 results: 2 boards there at the start, 6 plugged in while monitor runs"
	is "$(count '^\[Done\] .* PASS ')" $N "$v: all 8 passed"
	i=0
	while [ $i -lt $N ]; do
		landed_both "${v}b$i"
		ok $? "$v: board $i: both images at their offsets"
		like "$(grep "^\[Done\] slot [0-9]* ttyUSB$i " "$T/out")" " PASS .* $(mac_of $i $v) " \
			"$v: board $i: [Done] with its MAC"
		i=$((i + 1))
	done
	# the boards there at the start are shown like the others (flashbay(1), monitor: "the
	# lines of flash plus [Plug] ..."; a summary row per board); they once got only
	# their [Done] line.
	for i in 0 1; do
		like "$(cat "$T/out")" "^\[Connect\] slot [0-9]+ ttyUSB$i\$" \
			"$v: board $i, there at the start: its phase lines too ([Connect])"
	done
	want=""
	i=0
	while [ $i -lt $N ]; do
		want="$want ttyUSB$i:ok:1:$(mac_of $i $v)"
		i=$((i + 1))
	done
	is "$(flashes "$v")" "${want# }" "$v: history: each board flashed exactly once, with its MAC"

	# re-enumeration (the adapter drops off and is back within the window): the same board
	pty=$(readlink "$ROOT/dev/ttyUSB0")
	usb_unplug 0
	rm -f "$ROOT/dev/ttyUSB0"
	wait_until 20 has '^\[Unplug\] .*ttyUSB0'
	ok $? "$v: board 0 re-enumerating: [Unplug]"
	ln -s "$pty" "$ROOT/dev/ttyUSB0"
	usb_plug 0
	wait_until 20 has '^\[Back\] .*ttyUSB0'
	ok $? "$v: board 0 back within the window: [Back], the same board"

	# a real re-plug: gone past the window, then plugged again: a new board, flashed again
	s1=$(slot_of ttyUSB1)
	board_unplug "$v" 1
	wait_until 30 has "^\[Gone\] slot $s1 "
	ok $? "$v: board 1 unplugged past the window: [Gone]"
	board_plug "$v" 1
	wait_until 120 eval '! kill -0 $mpid 2>/dev/null'
	wait "$mpid"
	is "$?" 0 "$v: --count 9: monitor ends after the re-plugged board, exit 0"
	landed_both "${v}b1"
	ok $? "$v: board 1 re-plugged: flashed again (a fresh simulator's flash has the images)"
	is "$(count '^\[Done\] .*ttyUSB1 PASS ')" 2 "$v: board 1: two results"
	is "$(count '^\[Done\] .*ttyUSB0 ')" 1 "$v: board 0 (re-enumerated): one result"
	want=$(printf '%s' "$want" | sed "s/ttyUSB1:ok:1:/ttyUSB1:ok:2:/")
	like "$(sed -n '/^SLOT /,$p' "$T/out")" "^[0-9]+ +ttyUSB0 +PASS " \
		"$v: the summary table has a row for board 0 (there at the start)"
	is "$(flashes "$v")" "${want# }" "$v: history: board 1 twice, every other board once"
	[ "$tap_failed" -eq 0 ] || sed 's/^/#   out: /' "$T/out"
	sim_stop_all
done

done_testing
