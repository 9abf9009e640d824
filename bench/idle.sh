#!/bin/sh
# Figure 3, idle wake-ups (the dashboard's are measured by bench/tui.sh):
# - the event loop alone: tests/helper/test-runner supervising one child that
#   prints nothing (pipes, signalfd and SIGCHLD registered, no timer armed);
# - `flashbay monitor` waiting for the next board after flashing one that is
#   still plugged in: udev (a umockdev test bed) and --no-udev (inotify).
# A wake-up is a voluntary context switch (/proc/PID/task/*/status, all threads
# summed), counted over BENCH_SECONDS. Also the loop's resident memory.
. "$S/bench/lib.sh"

bench_dir idle
trap 'cleanup' EXIT
trap 'exit 143' TERM INT
pids=""
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$DIR"
}

figure_no 3
"$B/tests/helper/test-runner" -- sleep 100000 >"$DIR/loop.out" &
pid=$!
pids="$pid"
bench_wait 5 grep -q '^pid' "$DIR/loop.out"
sleep 0.2
w=$(wakeups_per_s "$pid" "$BENCH_SECONDS")
rss=$(rss_kib "$pid")
figure "loop idle wake-ups" "$w /s" "0 /s" "voluntary context switches of the loop process over ${BENCH_SECONDS} s (/proc/PID/task/*/status), one idle child"
figure_no 4
figure "loop idle RSS" "$(mib "$rss")" "few MiB" "VmRSS of the same process (tests/helper/test-runner)"
kill -TERM "$pid"
wait "$pid" 2>/dev/null
pids=""

figure_no 3
random_image "$DIR/fw.bin" 65536
write_config "$DIR/flashbay.conf" 4 "$DIR"
unset FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_BEHAVIOUR
export FAKE_ESPTOOL_FLASH_DIR="$DIR/no-such-dir"
how="voluntary context switches of flashbay (all threads, history on) over ${BENCH_SECONDS} s, after it flashed one board that stays plugged in"

# monitor_idle PID OUT: wake-ups per second of the monitor PID once OUT shows [Done]
monitor_idle() {
	bench_wait 30 grep -q '^\[Done\]' "$2" || { echo "no [Done] in $2" >&2; cat "$2" >&2; return 1; }
	sleep 0.5
	wakeups_per_s "$1" "$BENCH_SECONDS"
}

if have_umockdev; then
	mkfifo "$DIR/ctl"
	$MEASURE gen-umockdev 1 "$DIR/board.umockdev"
	"$B/tests/helper/umockdev-ctl" "$DIR/ctl" -- "$FLASHBAY" --config "$DIR/flashbay.conf" \
		monitor --firmware "$DIR/fw.bin" >"$DIR/udev.out" 2>&1 &
	ctl=$!
	pids="$ctl"
	bench_wait 10 grep -q '^\[Monitor\]' "$DIR/udev.out"
	fb=$(pgrep -P "$ctl" | head -n 1) # in a process group of its own
	pids="$ctl $fb"
	echo "add $DIR/board.umockdev" >"$DIR/ctl"
	if w=$(monitor_idle "$fb" "$DIR/udev.out"); then
		figure "monitor idle wake-ups (udev)" "$w /s" "0 /s" "$how (umockdev test bed: libudev monitor)"
	else
		figure "monitor idle wake-ups (udev)" "error" "0 /s" "the board was not flashed"
	fi
	echo quit >"$DIR/ctl"
	wait "$ctl" 2>/dev/null
	pids=""
else
	figure "monitor idle wake-ups (udev)" "not measured: install umockdev" "0 /s" "$how"
fi

mkdir -p "$DIR/root/sys/class/tty" "$DIR/root/dev"
"$FLASHBAY" --config "$DIR/flashbay.conf" --no-udev --sysfs-root "$DIR/root/sys" \
	--dev-root "$DIR/root/dev" monitor --firmware "$DIR/fw.bin" >"$DIR/scan.out" 2>&1 &
fb=$!
pids="$fb"
bench_wait 10 grep -q '^\[Monitor\]' "$DIR/scan.out"
$MEASURE gen-tree 1 "$DIR/root"
if w=$(monitor_idle "$fb" "$DIR/scan.out"); then
	figure "monitor idle wake-ups (--no-udev)" "$w /s" "0 /s" "$how (--no-udev: sysfs/dev tree watched with inotify)"
else
	figure "monitor idle wake-ups (--no-udev)" "error" "0 /s" "the board was not flashed"
fi
