#!/bin/sh
# Outcomes and live output as they really were, with the real esptool v4 and
# v5 against simulated boards (esp-sim-lib.sh):
#  - an adapter that vanishes mid-flash is `unplugged`, with esptool's serial
#    exception line as the message (never `other` with an empty message);
#    when the device layer sees it leave for good first, `unplugged` too,
#    saying where the attempt was;
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
. "$srcdir/tests/integration/tui-lib.sh"
PY=$SIM_PY

make_image "$T/img.bin" 131072 11
# a fake sysfs/dev tree (tui-lib.sh) whose boards' nodes are simulators' ptys
station_setup

# station_conf VER: the station's config (fake tree, $T/history.db) for
# esptool VER at 115200 baud; a board gone for 1 s is gone for good
station_conf() {
	{
		printf '[station]\nname = bay-7\ndatabase = %s\nlock_dir = %s\n' "$T/history.db" "$T/locks"
		printf '[devices]\nreappear_window = 1s\n'
		printf '[esp32]\nesptool = %s\nbefore = no_reset\nafter = no_reset\nbaud = 115200\n' \
			"$(esptool_path "$1")"
		printf '[firmware]\n0x10000 = %s\n' "$T/img.bin"
	} > "$T/flashbay.conf"
}

# sim_plug N NAME: a CP2102 board in slot N whose ttyUSB<N-1> is board NAME's pty
sim_plug() {
	plug "$1"
	rm -f "$ROOT/dev/ttyUSB$(($1 - 1))"
	ln -s "$(readlink "$SIMDEV/$2")" "$ROOT/dev/ttyUSB$(($1 - 1))"
}
sim_gone() { eval "! kill -0 \$sim_pid_$1 2>/dev/null"; }

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

# (vn, not n: tui-lib.sh's plug sets n)
vn=0
for v in $ESPTOOLS; do
	vn=$((vn + 1))
	conf "$v"

	# --- a slow flash: progress as esptool reports it -------------------------
	sim_start "slow$vn" "24:0a:c4:00:01:0$vn" --baud-delay 115200
	run_flash "$v" "slow$vn"
	like "$(unstamped "slow$vn")" "\\[Done\\] .* PASS " "$v slow flash: PASS"
	lines=$(flash_lines "slow$vn")
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
	sim_stop "slow$vn"

	# --- the adapter vanishes mid-flash ----------------------------------------
	sim_start "gone$vn" "24:0a:c4:00:02:0$vn" --baud-delay 115200 --fail-at 40 --fail-mode close
	run_flash "$v" "gone$vn"
	if [ "$v" = v4 ]; then
		words="Could not configure port: \\(5, 'Input/output error'\\)"
	else
		words="Attempting to use a port that is not open"
	fi
	like "$(unstamped "gone$vn")" "\\[Fail\\] .* FAIL unplugged: .*$words" \
		"$v adapter gone mid-flash: FAIL unplugged with esptool's line"
	is "$(hist "$v" 'r["failure_class"]')" unplugged "$v adapter gone: history class unplugged"
	like "$(hist "$v" 'r["message"]')" "$words" "$v adapter gone: history message is esptool's line"
	is "$(hist "$v" 'r["chip"] is not None and r["mac"]')" "24:0a:c4:00:02:0$vn" \
		"$v adapter gone: chip and MAC kept"
	sim_stop "gone$vn"

	# --- the board hangs / panics mid-flash --------------------------------------
	for mode in hang panic; do
		sim_start "$mode$vn" "24:0a:c4:00:03:0$vn" --fail-at 40 --fail-mode "$mode"
		run_flash "$v" "$mode$vn"
		if [ "$v" = v4 ]; then
			words="The chip stopped responding"
		else
			words="No more data to read from the serial port"
		fi
		like "$(unstamped "$mode$vn")" "\\[Fail\\] .* FAIL stopped_responding: .*$words" \
			"$v board $mode mid-flash: stopped_responding, in esptool's words"
		like "$(hist "$v" 'r["message"]')" "$words" "$v $mode: history message is esptool's line"
		sim_stop "$mode$vn"
	done

	# --- Ctrl-C mid-flash: the cancelled row keeps chip and MAC --------------------
	sim_start "int$vn" "24:0a:c4:00:04:0$vn" --baud-delay 115200
	"$FLASHBAY" --config "$T/fb-$v.conf" --db "$T/h-$v.db" flash --port "$SIMDEV/int$vn" \
		--image 0x10000="$T/img.bin" > "$T/out-int$vn" 2>&1 &
	fpid=$!
	wait_until 30 grep -q '^\[Flash\]' "$T/out-int$vn"
	ok $? "$v Ctrl-C: flashing"
	kill -INT "$fpid"
	wait "$fpid"
	is "$?" 130 "$v Ctrl-C: exit 130"
	is "$(hist "$v" 'r["failure_class"]')" cancelled "$v Ctrl-C: the row is cancelled"
	is "$(hist "$v" 'r["chip"]')" "ESP32-D0WD-V3 (v3.0)" "$v Ctrl-C: the cancelled row keeps the chip"
	is "$(hist "$v" 'r["mac"]')" "24:0a:c4:00:04:0$vn" "$v Ctrl-C: the cancelled row keeps the MAC"
	sim_stop "int$vn"

	# --- the device layer sees the adapter leave mid-flash ------------------------
	# (gone for good after 1 s, while esptool still waits 7 s for it to return)
	sim_start "dev$vn" "24:0a:c4:00:06:0$vn" --baud-delay 115200 --fail-at 40 --fail-mode close
	station_conf "$v"
	sim_plug 1 "dev$vn"
	eval "$FB flash --slot 1" > "$T/out-dev$vn" 2>&1 &
	fpid=$!
	wait_until 30 sim_gone "dev$vn"
	ok $? "$v device layer: the adapter vanished mid-flash"
	unplug 1
	wait "$fpid"
	out=$(cat "$T/out-dev$vn")
	like "$out" "\\[Fail\\] .* FAIL unplugged: the board was unplugged mid-flash \\(gone at Flash, [0-9]+%\\)" \
		"$v device layer: unplugged when the device layer saw it leave, where it was"
	unlike "$out" "serial exception" "$v device layer: decided before esptool gave up"
	sim_stop "dev$vn"
done

# --- the dashboard: chip and MAC on the row while it flashes (real v5) ----------
if ! command -v tmux >/dev/null; then
	echo "# skipping the dashboard part: tmux needed"
elif ! printf '%s\n' "$ESPTOOLS" | grep -qw v5; then
	echo "# skipping the dashboard part: it runs with esptool v5"
else
	sim_start tui 24:0a:c4:00:05:01 --baud-delay 115200
	station_conf v5
	sim_plug 1 tui
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
