#!/bin/sh
# `flashbay --demo` on a terminal: the dashboard, labelled DEMO, in monitor
# mode; simulated boards appear, are flashed by the simulated esptool, some
# fail, one is re-plugged and flashed again; the history is a separate one in
# the demo's temp folder, gone afterwards. FLASHBAY_SIM_SPEED=10 runs the
# whole timeline ten times faster.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
PY=${PYTHON3:-python3}
demo_dir() { ls -d "$T"/flashbay-demo.* 2>/dev/null | head -n 1; }
# a slot whose history has two units: its board was plugged in again
replugged() {
	"$FLASHBAY" --db "$(demo_dir)/history.db" history --json --limit 0 >"$T/h.json" 2>/dev/null &&
		"$PY" - "$T/h.json" <<'EOF'
import collections, json, sys
units = collections.defaultdict(set)
for r in json.load(open(sys.argv[1])):
    units[r["slot"]].add(r["unit"])
sys.exit(0 if any(len(u) > 1 for u in units.values()) else 1)
EOF
}

tui_start 80 24 xterm-256color \
	"FLASHBAY_SIM_SPEED=10 FLASHBAY_SIM_FAIL=40 FLASHBAY_SIM_SEED=3 TMPDIR='$T' '$FLASHBAY' --demo 6"
wait_for " DEMO "
ok $? "plain 'flashbay --demo' on a terminal opens the dashboard, labelled DEMO"
like "$(screen | head -n 1)" "^ flashbay demo-station +DEMO +MONITOR " "the demo station, in monitor mode"
wait_for "Boards 6"
ok $? "six simulated boards appear"
wait_for "PASS" 15
ok $? "boards pass"
wait_for "FAIL:" 15
ok $? "some fail"
like "$(screen)" "ESP32-D0WD(-V3)? +24:0a:c4:" "chip and MAC from the simulated esptool"
[ -n "$(demo_dir)" ] && [ -s "$(demo_dir)/history.db" ]
ok $? "the demo records into its own temp folder"
wait_until 15 replugged
ok $? "a board is unplugged and plugged in again, and flashed again as a new unit"
[ ! -e "$XDG_STATE_HOME/flashbay/history.db" ]
ok $? "the user's own history is not touched"
tui_fits 80 24
ok $? "the screen fits"
keys q
wait_for "Quit?" 2 && keys c
wait_exit
is "$(tui_exit_code)" 0 "quit: exit 0"
[ -z "$(demo_dir)" ]
ok $? "the demo's temp folder is gone"
tui_stop
done_testing
