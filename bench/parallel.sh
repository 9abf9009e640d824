#!/bin/sh
# Figure 1: parallel efficiency against GNU parallel. For N = 1, 8, 16, 32
# boards (BENCH_PARALLEL_N), flash a fake --no-udev tree of N ESP32 boards
# with `flashbay flash --all` (max_workers = N) and the fake esptool in its
# timed mode (it sleeps like a real UART: a 1 MB incompressible image at
# 921600 baud takes ~11.7 s), then run the identical esptool command lines,
# taken from the fake's argv log of that run, with `parallel -j N`.
# Printed: both wall times and their ratio, and flashbay's own CPU time per
# board (utime+stime of the flashbay process, its children excluded).
. "$S/bench/lib.sh"
figure_no 1

SIZES=${BENCH_PARALLEL_N:-1 8 16 32}
BYTES=${BENCH_IMAGE_BYTES:-1048576}
if ! command -v parallel >/dev/null 2>&1; then
	figure "flash N boards: flashbay / parallel" "not measured: install parallel" "<= 1.02" \
		"GNU parallel (Debian package 'parallel') is not installed"
	exit 0
fi
bench_dir parallel
trap 'rm -rf "$DIR"' EXIT
random_image "$DIR/app.bin" "$BYTES"
unset FAKE_ESPTOOL_BEHAVIOUR FAKE_ESPTOOL_VERSION FAKE_ESPTOOL_STRICT FAKE_ESPTOOL_MAC
# no flash files: neither side spends time writing 4 MB per board to disk
export FAKE_ESPTOOL_TIMED=1 FAKE_ESPTOOL_FLASH_DIR="$DIR/no-such-dir"
ESPTOOL="$BENCH_TMP/esptool/esptool"
"$ESPTOOL" version >/dev/null # warm the page cache
pver=$(parallel --version | sed -n '1s/^GNU parallel //p')
kib=$((BYTES / 1024))

for n in $SIZES; do
	boards="$n boards"
	[ "$n" != 1 ] || boards="1 board"
	d="$DIR/n$n"
	mkdir -p "$d"
	$MEASURE gen-tree "$n" "$d/root"
	write_config "$d/flashbay.conf" "$n" "$d"
	fb=$(FAKE_ESPTOOL_LOG="$d/argv.log" $SPAWN --out "$d/flashbay.out" -- "$FLASHBAY" \
		--config "$d/flashbay.conf" --no-udev --sysfs-root "$d/root/sys" \
		--dev-root "$d/root/dev" flash --all --firmware "$DIR/app.bin")
	if [ "$(kv status "$fb")" != 0 ] || ! grep -Eq "^$n boards?: $n passed" "$d/flashbay.out"; then
		figure "flash $boards: flashbay / parallel" "error" "<= 1.02" \
			"flashbay flash exited $(kv status "$fb"): $(tail -n 1 "$d/flashbay.out")"
		continue
	fi
	$MEASURE argv-lines "$d/argv.log" "$ESPTOOL" >"$d/commands"
	par=$($SPAWN --out "$d/parallel.out" -- parallel --will-cite -j "$n" -a "$d/commands")
	fw=$(kv wall_ms "$fb")
	pw=$(kv wall_ms "$par")
	ratio=$(awk -v a="$fw" -v b="$pw" 'BEGIN { printf "%.3f", a / b }')
	figure "flash $boards: flashbay / parallel" "$ratio ($(secs "$fw") s / $(secs "$pw") s)" \
		"<= 1.02" "wall times; $boards (fake ESP32 in a --no-udev tree, ports are plain files), fake esptool v5 timed: $kib KiB incompressible at 921600 baud; flashbay flash --all with max_workers $n (history and logs on) vs GNU parallel $pver -j $n -a FILE of the $(wc -l <"$d/commands") identical write-flash command lines from the fake's argv log of the flashbay run (flashbay also runs 'esptool version' once)"
	if [ "$(kv status "$par")" != 0 ]; then
		figure "flash $boards: parallel run" "error" "-" "parallel exited $(kv status "$par")"
	fi
	cpu=$(kv cpu_ms "$fb")
	figure "flashbay CPU per board, $boards" \
		"$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.1f ms", c / n }')" "-" \
		"utime+stime of the flashbay process alone ($cpu ms in all; children excluded) read from /proc/PID/stat while it is a zombie (waitid WNOWAIT), divided by $n; 10 ms clock ticks"
	rm -rf "$d"
done
