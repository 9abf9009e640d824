#!/bin/sh
# Outcomes and live output as they really were, with the real esptool v4 and
# v5 against simulated boards (esp-sim-lib.sh):
#  - an adapter that vanishes mid-flash is `unplugged`, with esptool's serial
#    exception line as the message (never `other` with an empty message);
#  - a board that hangs or panics mid-flash is `stopped_responding`, in the
#    tool's words;
#  - a slow flash (115200 baud, 128 KiB) prints its progress as esptool
#    reports it: a line per 10 % step, none more than ~2 s apart while it moves;
#  - Ctrl-C mid-flash: the cancelled history row keeps the chip and MAC;
#  - the dashboard row shows chip and MAC as soon as esptool printed them,
#    while the board is still in Flash (v5; the tmux part needs tmux).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
. "$srcdir/tests/tuilib.sh"
PY=$SIM_PY

make_image "$T/img.bin" 131072 11

# conf VER [EXTRA]: a config for esptool VER at 115200 baud with a history
conf() {
	sim_conf "$T/fb-$1.conf" "$1" "baud = 115200\n${2:-}"
}

# run_flash VER NAME: `flashbay flash` of the image on board NAME; its output,
# each line prefixed by the milliseconds since the start, in $T/out-NAME
run_flash() {
	"$FLASHBAY" --config "$T/fb-$1.conf" --db "$T/h-$1.db" flash --port "$SIMDEV/$2" \
		--image 0x10000="$T/img.bin" 2>&1 | stamp > "$T/out-$2"
}
stamp() {
	"$PY" -u -c '
import sys, time
t0 = time.monotonic()
for line in sys.stdin:
    sys.stdout.write("%d %s" % ((time.monotonic() - t0) * 1000, line))'
}
unstamped() { sed 's/^[0-9]* //' "$T/out-$1"; }

# hist VER EXPR: python EXPR over `r`, the newest history row of VER's database
hist() {
	"$FLASHBAY" --config "$T/fb-$1.conf" --db "$T/h-$1.db" history --json --limit 1 |
		"$PY" -c 'import json, sys; r = json.load(sys.stdin)[0]; print('"$2"')'
}

# flash_lines NAME: "MS PCT" for each [Flash] line of board NAME's run
flash_lines() { sed -n 's/^\([0-9]*\) \[Flash\] .* \([0-9]*\)%$/\1 \2/p' "$T/out-$1"; }

n=0
for v in $ESPTOOLS; do
	n=$((n + 1))
	conf "$v"

	# --- a slow flash: progress as esptool reports it -------------------------
	sim_start "slow$n" "24:0a:c4:00:01:0$n" --baud-delay 115200
	run_flash "$v" "slow$n"
	like "$(unstamped "slow$n")" "\\[Done\\] .* PASS " "$v slow flash: PASS"
	lines=$(flash_lines "slow$n")
	cnt=$(printf '%s\n' "$lines" | grep -c .)
	[ "$cnt" -ge 7 ]
	ok $? "$v slow flash: a [Flash] line per 10 % step ($cnt lines: $(printf '%s' "$lines" | awk '{printf "%s%% ", $2}'))"
	first=$(printf '%s\n' "$lines" | awk 'NR == 1 {print $2}')
	[ "${first:-100}" -lt 20 ]
	ok $? "$v slow flash: the first [Flash] line is the first step (${first:-none}%)"
	gap=$(printf '%s\n' "$lines" | awk 'NR > 1 && $1 - t > g {g = $1 - t} {t = $1} END {print g + 0}')
	[ "$gap" -le 2600 ]
	ok $? "$v slow flash: [Flash] lines at most ~2 s apart while it moves (longest gap ${gap} ms)"
	steps=$(printf '%s\n' "$lines" | awk '{print int($2 / 10)}' | uniq -d | grep -c .)
	is "$steps" 0 "$v slow flash: no two [Flash] lines for the same 10 % step"
	sim_stop "slow$n"

	# --- the adapter vanishes mid-flash ----------------------------------------
	sim_start "gone$n" "24:0a:c4:00:02:0$n" --baud-delay 115200 --fail-at 40 --fail-mode close
	run_flash "$v" "gone$n"
	if [ "$v" = v4 ]; then
		words="Could not configure port: \\(5, 'Input/output error'\\)"
	else
		words="Attempting to use a port that is not open"
	fi
	like "$(unstamped "gone$n")" "\\[Fail\\] .* FAIL unplugged: .*$words" \
		"$v adapter gone mid-flash: FAIL unplugged with esptool's line"
	is "$(hist "$v" 'r["failure_class"]')" unplugged "$v adapter gone: history class unplugged"
	like "$(hist "$v" 'r["message"]')" "$words" "$v adapter gone: history message is esptool's line"
	is "$(hist "$v" 'r["chip"] is not None and r["mac"]')" "24:0a:c4:00:02:0$n" \
		"$v adapter gone: chip and MAC kept"
	sim_stop "gone$n"

	# --- the board hangs / panics mid-flash --------------------------------------
	for mode in hang panic; do
		sim_start "$mode$n" "24:0a:c4:00:03:0$n" --fail-at 40 --fail-mode "$mode"
		run_flash "$v" "$mode$n"
		if [ "$v" = v4 ]; then
			words="The chip stopped responding"
		else
			words="No more data to read from the serial port"
		fi
		like "$(unstamped "$mode$n")" "\\[Fail\\] .* FAIL stopped_responding: .*$words" \
			"$v board $mode mid-flash: stopped_responding, in esptool's words"
		like "$(hist "$v" 'r["message"]')" "$words" "$v $mode: history message is esptool's line"
		sim_stop "$mode$n"
	done

	# --- Ctrl-C mid-flash: the cancelled row keeps chip and MAC --------------------
	sim_start "int$n" "24:0a:c4:00:04:0$n" --baud-delay 115200
	"$FLASHBAY" --config "$T/fb-$v.conf" --db "$T/h-$v.db" flash --port "$SIMDEV/int$n" \
		--image 0x10000="$T/img.bin" > "$T/out-int$n" 2>&1 &
	fpid=$!
	wait_until 30 grep -q '^\[Flash\]' "$T/out-int$n"
	ok $? "$v Ctrl-C: flashing"
	kill -INT "$fpid"
	wait "$fpid"
	is "$?" 130 "$v Ctrl-C: exit 130"
	is "$(hist "$v" 'r["failure_class"]')" cancelled "$v Ctrl-C: the row is cancelled"
	is "$(hist "$v" 'r["chip"]')" "ESP32-D0WD-V3 (v3.0)" "$v Ctrl-C: the cancelled row keeps the chip"
	is "$(hist "$v" 'r["mac"]')" "24:0a:c4:00:04:0$n" "$v Ctrl-C: the cancelled row keeps the MAC"
	sim_stop "int$n"
done

# --- the dashboard: chip and MAC on the row while it flashes (real v5) ----------
if ! command -v tmux >/dev/null; then
	echo "# skipping the dashboard part: tmux needed"
elif ! printf '%s\n' "$ESPTOOLS" | grep -qw v5; then
	echo "# skipping the dashboard part: it runs with esptool v5"
else
	# a fake sysfs/dev tree (as tui-lib.sh) whose ttyUSB0 is the simulator's pty
	. "$srcdir/tests/integration/tui-lib.sh"
	station_setup
	plug 1
	sim_start tui 24:0a:c4:00:05:01 --baud-delay 115200
	rm -f "$ROOT/dev/ttyUSB0"
	ln -s "$(readlink "$SIMDEV/tui")" "$ROOT/dev/ttyUSB0"
	{
		printf '[station]\nname = bay-7\ndatabase = %s\nlock_dir = %s\n' "$T/history.db" "$T/locks"
		printf '[esp32]\nesptool = %s\nbefore = no_reset\nafter = no_reset\nbaud = 115200\n' \
			"$(esptool_path v5)"
		printf '[firmware]\n0x10000 = %s\n' "$T/img.bin"
	} > "$T/flashbay.conf"
	row() { screen | grep -E "^.. *1 ttyUSB0 +esp32 "; }
	flashing_with_facts() {
		row | grep -q ' Flash' && row | grep -q 'ESP32-D0WD-V3' && row | grep -q '24:0a:c4:00:05:01'
	}
	tui_start 100 24 xterm-256color "$FB"
	wait_for "Boards 1"
	keys F
	wait_until 30 sh -c "row() { $TM capture-pane -p -t t | grep -E '^.. *1 ttyUSB0 +esp32 '; }; row | grep -q ' Flash'"
	ok $? "v5 dashboard: the row reaches Flash"
	flashing_with_facts
	r=$?
	ok $r "v5 dashboard: chip and MAC on the row while it is still in Flash"
	[ $r -eq 0 ] || tui_show
	wait_until 30 sh -c "$TM capture-pane -p -t t | grep -q ' PASS '"
	ok $? "v5 dashboard: PASS"
	keys q
	wait_exit 10
	sim_stop tui
fi

done_testing
