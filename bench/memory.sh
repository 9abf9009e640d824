#!/bin/sh
# Figure 4, memory: flashbay's peak resident set (its own, not its children's),
# measured by tests/helper/spawn-stats:
# - `flashbay --version`: the floor, the binary and its shared libraries;
# - `flashbay list` with 64 boards: ru_maxrss from wait4 (list starts no
#   child, so this is its own peak), in a umockdev test bed and with --no-udev;
# - `flashbay flash --all` of the same 64 boards, max_workers 16, the fake
#   esptool timed (256 KiB at 921600 baud, ~3 s a board, 4 waves of 16 jobs):
#   VmHWM of the flashbay process sampled every 5 ms until it exits.
. "$S/bench/lib.sh"
figure_no 4

N=64
JOBS=16
bench_dir memory
trap 'rm -rf "$DIR"' EXIT
$MEASURE gen-umockdev "$N" "$DIR/boards.umockdev"
$MEASURE gen-tree "$N" "$DIR/root"
write_config "$DIR/flashbay.conf" "$JOBS" "$DIR"
random_image "$DIR/fw.bin" 262144
unset FAKE_ESPTOOL_BEHAVIOUR
export FAKE_ESPTOOL_FLASH_DIR="$DIR/no-such-dir"
FB="$FLASHBAY --config $DIR/flashbay.conf"
NOUDEV="--no-udev --sysfs-root $DIR/root/sys --dev-root $DIR/root/dev"

# list_rss [umockdev-run ARGS --]: peak RSS of `flashbay [--no-udev ...] list`
list_rss() {
	"$@" $SPAWN --out "$DIR/list.out" -- $FB $noudev list
}
# boards OUT: how many boards a list printed
boards() { grep -c '/ttyUSB' "$1"; }

r=$($SPAWN -- $FLASHBAY --version)
libs=$(ldd "$FLASHBAY" | grep -c '=>')
figure "start-up floor peak RSS" "$(mib "$(kv maxrss_kib "$r")")" "-" \
	"ru_maxrss of flashbay --version: the binary and the $libs shared libraries it loads (ldd)"

if have_umockdev; then
	noudev=""
	r=$(list_rss umockdev-run -d "$DIR/boards.umockdev" --)
	figure "list peak RSS, $N boards (udev)" "$(mib "$(kv maxrss_kib "$r")")" "<= 4 MiB" \
		"ru_maxrss (wait4) of flashbay list, $(boards "$DIR/list.out") boards listed from a umockdev test bed (libudev)"
else
	figure "list peak RSS, $N boards (udev)" "not measured: install umockdev" "<= 4 MiB" "-"
fi
noudev=$NOUDEV
r=$(list_rss)
figure "list peak RSS, $N boards (--no-udev)" "$(mib "$(kv maxrss_kib "$r")")" "<= 4 MiB" \
	"the same, $(boards "$DIR/list.out") boards from a fake sysfs/dev tree (--no-udev)"

# the flash: in the umockdev test bed if there is one
how="VmHWM of the flashbay process (not its children) sampled every 5 ms until exit: flash --all of $N boards, max_workers $JOBS (waves of $JOBS running esptool jobs), fake esptool timed, 256 KiB at 921600 baud, history and logs on"
if have_umockdev; then
	set -- umockdev-run -d "$DIR/boards.umockdev" --
	where="umockdev test bed"
	noudev=""
else
	set --
	where="--no-udev tree"
	noudev=$NOUDEV
fi
r=$(FAKE_ESPTOOL_TIMED=1 "$@" $SPAWN --hwm --out "$DIR/flash.out" -- $FB $noudev flash --all \
	--firmware "$DIR/fw.bin")
if grep -Eq "^$N boards?: $N passed" "$DIR/flash.out"; then
	figure "flash peak RSS, $N boards, $JOBS jobs" "$(mib "$(kv hwm_kib "$r")")" "<= 4 MiB" \
		"$how ($where; $(secs "$(kv wall_ms "$r")") s wall)"
	figure "flash peak anonymous memory" "$(mib "$(kv anon_kib "$r")")" "-" \
		"the largest RssAnon sampled in the same run: heap and stacks, the part of the RSS that is flashbay's own (the rest: pages of shared libraries)"
else
	figure "flash peak RSS, $N boards, $JOBS jobs" "error" "<= 4 MiB" \
		"flash exited $(kv status "$r"): $(tail -n 1 "$DIR/flash.out")"
fi
