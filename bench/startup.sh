#!/bin/sh
# Figure 5, start-up (the dashboard's first frame is measured by bench/tui.sh):
# wall time of `flashbay list` with 64 boards and a 1,000,000-row history
# (the database bench/history.sh uses, lib.sh: history_db), in a umockdev
# test bed and with --no-udev; `flashbay stats` on that history; and the floor,
# `flashbay --version`. Median of hyperfine runs (--shell=none, 3 warm-ups), or
# of 20 runs by bench/measure.py without hyperfine.
. "$S/bench/lib.sh"
figure_no 5

N=64
ROWS=${BENCH_HISTORY_ROWS:-1000000}
bench_dir startup
trap 'rm -rf "$DIR"' EXIT
DB=$(history_db "$ROWS") || { echo "cannot fill a $ROWS-row history database" >&2; exit 1; }
$MEASURE gen-umockdev "$N" "$DIR/boards.umockdev"
$MEASURE gen-tree "$N" "$DIR/root"
write_config "$DIR/flashbay.conf" 8 "$DIR"
FB="$FLASHBAY --config $DIR/flashbay.conf --db $DB"
label=$(awk -v n="$ROWS" 'BEGIN { if (n >= 1000000) printf "%gM-row", n / 1e6; else printf "%d-row", n }')

if command -v hyperfine >/dev/null 2>&1; then
	tool="hyperfine $(hyperfine --version | awk '{ print $2 }') --shell=none, median of 30 runs after 3 warm-ups"
else
	tool="median of 20 runs (install hyperfine for more)"
fi
# median CMD...: median wall ms of CMD, run by $PRE (e.g. umockdev-run -d FILE --) if set
PRE=""
median() {
	pre=$PRE
	if command -v hyperfine >/dev/null 2>&1; then
		$pre hyperfine --shell=none --warmup 3 --runs 30 --style none \
			--export-json "$DIR/h.json" "$*" >/dev/null 2>"$DIR/h.err" || return 1
		"$PY" -c 'import json, sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$DIR/h.json"
	else
		kv median_ms "$($pre $MEASURE median 20 -- "$@")"
	fi
}
# boards: how many boards list printed (a check that the bed was seen)
count() { "$@" $FB list 2>/dev/null | grep -c '/ttyUSB'; }
# value: the median with its unit, or why there is none
value() { if [ -n "$1" ]; then echo "$1 ms"; else echo "error: $(tail -n 1 "$DIR/h.err")"; fi; }

ms=$(median $FLASHBAY --version)
figure "start-up floor" "$(value "$ms")" "-" \
	"flashbay --version: exec and dynamic linking of $(ldd "$FLASHBAY" | grep -c '=>') shared libraries; $tool"

if have_umockdev; then
	PRE="umockdev-run -d $DIR/boards.umockdev --"
	n=$(count $PRE)
	ms=$(median $FB list)
	PRE=""
	figure "list, $N boards, $label history (udev)" "$(value "$ms")" "<= 30 ms" \
		"flashbay list of $n boards in a umockdev test bed (libudev enumeration; the preload's path redirection included), history of $ROWS rows configured (list does not open it); $tool"
else
	figure "list, $N boards, $label history (udev)" "not measured: install umockdev" "<= 30 ms" "-"
fi
NOUDEV="--no-udev --sysfs-root $DIR/root/sys --dev-root $DIR/root/dev"
FB="$FB $NOUDEV"
n=$($FB list | grep -c '/ttyUSB')
ms=$(median $FB list)
figure "list, $N boards, $label history (--no-udev)" "$(value "$ms")" "<= 30 ms" \
	"flashbay list of $n boards from a fake sysfs/dev tree (--no-udev scan), history of $ROWS rows configured (list does not open it); $tool"
ms=$(median $FB stats)
figure "stats start to exit, $label history" "$(value "$ms")" "<= 200 ms" \
	"flashbay stats over $ROWS attempts (all time, from the tally tables); $tool"
