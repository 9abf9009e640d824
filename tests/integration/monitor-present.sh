#!/bin/sh
# `flashbay monitor` with boards already connected when it starts, from udev
# (a umockdev test bed) and from sysfs (--no-udev, a fake tree): each gets its
# [Plug], [Queue], [Connect], [Flash] and [Done] lines and a summary row, like
# a board plugged in later; --count N starts no more than N boards' attempts.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
U="$srcdir/tests/umockdev"
flashes() { grep -c 'write-flash' "$T/argv.log" 2>/dev/null || echo 0; }
lines() { grep -c -- "$1" "$T/out"; }
# summary rows: the lines after the table's header, before the count line
rows() { sed -n '/^SLOT /,/boards\{0,1\}:/p' "$T/out" | grep -v 'boards\{0,1\}:' | grep -c '^[0-9]'; }
# "1 board" / "2 boards"
boards() { if [ "$1" = 1 ]; then echo "1 board"; else echo "$1 boards"; fi; }

# check_run HOW COUNT PLUGGED: the output of a monitor --count COUNT run that
# found PLUGGED boards at start
check_run() {
	is "$(lines '^\[Plug\]')" "$3" "$1: a [Plug] line for each of the $3 boards present at start"
	is "$(lines '^\[Queue\]')" "$2" "$1 --count $2: $2 board(s) queued"
	is "$(lines '^\[Connect\]')" "$2" "$1 --count $2: $2 [Connect] line(s)"
	ok "$([ "$(lines '^\[Flash\]')" -ge "$2" ]; echo $?)" "$1 --count $2: [Flash] lines"
	is "$(lines '^\[Done\]')" "$2" "$1 --count $2: $2 result(s)"
	is "$(flashes)" "$2" "$1 --count $2: esptool started for $2 board(s), no more"
	is "$(rows)" "$2" "$1 --count $2: $2 summary row(s)"
	like "$(tail -n 1 "$T/out")" "^$(boards "$2"): $2 passed, 0 failed$" "$1 --count $2: the count line"
}

# --- udev: two boards in the test bed before flashbay starts ---------------------------
if command -v umockdev-run >/dev/null 2>&1; then
	for n in 2 1; do
		: > "$T/argv.log"
		timeout 60 umockdev-run -d "$U/cp2102-port6.umockdev" -d "$U/ch340-port7.umockdev" -- \
			"$FLASHBAY" --config "$FBCONF" --db "$T/history.db" monitor --count $n \
			> "$T/out" 2> "$T/err"
		is "$?" 0 "udev monitor --count $n with two boards present: exit 0"
		check_run udev $n 2
	done
	like "$(grep '^\[Plug\]' "$T/out" | head -n 1)" '^\[Plug\] slot 1 ttyUSB2 esp32 10c4:ea60' \
		"udev: the plug line names the board present at start"
else
	ok 0 "# SKIP umockdev-run not installed"
fi

# --- --no-udev: a fake sysfs tree with two boards ---------------------------------------
# fake_usb_tty NAME PORT VID PID: a USB serial tty (usb-serial layout) and its node
fake_usb_tty() {
	usb="$T/sys/devices/pci0000:00/0000:00:14.0/usb1/$2"
	tty="$usb/$2:1.0/$1/tty/$1"
	mkdir -p "$tty"
	printf '%s\n' "$3" > "$usb/idVendor"
	printf '%s\n' "$4" > "$usb/idProduct"
	printf 'DEVNAME=%s\n' "$1" > "$tty/uevent"
	ln -s "../../${tty#"$T/sys/"}" "$T/sys/class/tty/$1"
	: > "$T/dev/$1"
}
fake_usb_tty ttyUSB0 1-1 10c4 ea60
fake_usb_tty ttyUSB1 1-2 1a86 7523
for n in 2 1; do
	: > "$T/argv.log"
	timeout 60 "$FLASHBAY" --config "$FBCONF" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" monitor --count $n > "$T/out" 2> "$T/err"
	is "$?" 0 "--no-udev monitor --count $n with two boards present: exit 0"
	check_run --no-udev $n 2
done
landed ttyUSB0 || landed ttyUSB1
ok $? "--no-udev: the images landed on a board present at start"

done_testing
