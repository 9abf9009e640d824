#!/bin/sh
# Figure 6, hot-plug latency of `flashbay monitor`: plug 10 new boards one
# after the other (BENCH_PLUGS) and time, with a monotonic clock in the reader
# of the monitor's output pipe (bench/measure.py hotplug), the plug -> [Plug]
# line (the board's row) and the plug -> [Connect] line (its esptool job
# started). After each flash the board is unplugged again. udev: the plug is
# the tty's "add" written to tests/helper/umockdev-ctl (its USB device was
# added just before); --no-udev: the board's files appear in a fake sysfs/dev
# tree watched with inotify.
. "$S/bench/lib.sh"
figure_no 6

PLUGS=${BENCH_PLUGS:-10}
bench_dir hotplug
trap 'rm -rf "$DIR"' EXIT
random_image "$DIR/fw.bin" 65536
write_config "$DIR/flashbay.conf" 4 "$DIR"
unset FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_BEHAVIOUR
export FAKE_ESPTOOL_FLASH_DIR="$DIR/no-such-dir" UMOCKDEV_CTL="$B/tests/helper/umockdev-ctl"
FB="$FLASHBAY --config $DIR/flashbay.conf"

# stat LIST: "median X ms, max Y ms" of a comma-separated list of ms
stat() {
	printf '%s\n' "$1" | tr ',' '\n' | sort -n | awk '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "median %.1f ms, max %.1f ms", m, v[NR] }'
}
# report MODE WHERE OUTPUT ERRORS: the figures of one hotplug run
report() {
	if [ -z "$3" ]; then
		figure "hot-plug -> row ($1)" "error" "<= 50 ms" "$(tail -n 1 "$4")"
		return
	fi
	add=$(kv add_ms "$3")
	extra=""
	[ "$add" = "-" ] || extra="; umockdev's add itself took $(stat "$add") (the event is sent during it)"
	figure "hot-plug -> row ($1)" "$(stat "$(kv plug_ms "$3")")" "<= 50 ms" \
		"$PLUGS new boards plugged one at a time, time from the plug ($2) to the monitor's [Plug] line, read from its output pipe$extra"
	figure "hot-plug -> job started ($1)" "$(stat "$(kv connect_ms "$3")")" "<= 100 ms" \
		"the same plugs to the [Connect] line: the esptool job is running (the first plug also asks 'esptool version')"
}

if have_umockdev; then
	mkdir -p "$DIR/udev"
	out=$($MEASURE hotplug udev "$PLUGS" "$DIR/udev" -- $FB monitor --firmware "$DIR/fw.bin" \
		2>"$DIR/udev.err")
	report udev "the tty's 'add' written to umockdev-ctl, its USB device added just before" "$out" "$DIR/udev.err"
else
	figure "hot-plug -> row (udev)" "not measured: install umockdev" "<= 50 ms" "-"
fi
mkdir -p "$DIR/scan"
R="$DIR/scan/root"
out=$($MEASURE hotplug tree "$PLUGS" "$DIR/scan" -- $FB --no-udev --sysfs-root "$R/sys" \
	--dev-root "$R/dev" monitor --firmware "$DIR/fw.bin" 2>"$DIR/scan.err")
report --no-udev "the board's sysfs and /dev files created; the scanner waits 30 ms (SETTLE_MS) for the tree to settle" "$out" "$DIR/scan.err"
