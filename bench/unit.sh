#!/bin/sh
# Figure 10: what per-unit data ([unit]) costs per board. The real esptool
# (v4.12.0 and v5.3.1, ../shared/tools) flashes one simulated ESP32 board
# (../shared/sim/esp_rom_sim.py on a pty) with a 256 KiB app, without and
# with [unit] (tests/helper/unit-cmd.sh writing a 4 KiB unit image); the
# median of BENCH_UNIT_RUNS (default 5) wall times of `flashbay flash` each,
# their difference (the extra read_mac, the serial's transaction, the
# command and the 4 KiB more to write), and the median wall time of the
# `esptool --no-stub read_mac` run alone.
. "$S/bench/lib.sh"
figure_no 10

SHARED=${FLASHBAY_SHARED:-$(cd "$S/.." && pwd)/shared}
SIM_PY=/usr/bin/python3
RUNS=${BENCH_UNIT_RUNS:-5}
if [ ! -f "$SHARED/sim/esp_rom_sim.py" ] || [ ! -d "$SHARED/tools" ]; then
	figure "[unit]: extra time per board" "not measured: $SHARED is absent" "-" \
		"needs the real esptool and the simulator (../shared)"
	exit 0
fi
bench_dir unit
sim_pid=""
stop_sim() { [ -z "$sim_pid" ] || { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; }; sim_pid=""; }
trap 'stop_sim; rm -rf "$DIR"' EXIT
random_image "$DIR/app.bin" 262144
mkdir -p "$DIR/locks" "$DIR/sys/class/tty" "$DIR/dev"
"$SIM_PY" "$SHARED/sim/esp_rom_sim.py" --link "$DIR/port" --flash-file "$DIR/flash.bin" \
	--flash-size 4MB --mac 24:0a:c4:be:00:01 --max-idle 600 >"$DIR/sim.out" 2>"$DIR/sim.err" &
sim_pid=$!
bench_wait 15 test -e "$DIR/port"

for v in 4.12.0 5.3.1; do
	esptool="$SHARED/tools/esptool-$v/bin/esptool"
	major=${v%%.*}
	for unit in off on; do
		{
			printf '[station]\nname = bench\nlock_dir = %s\ndatabase = %s/h-%s.db\n' "$DIR/locks" "$DIR" "$v"
			printf '[esp32]\nesptool = %s\nbefore = no_reset\nafter = no_reset\n' "$esptool"
			printf '[firmware]\n0x10000 = %s\n' "$DIR/app.bin"
			[ $unit = off ] || printf '[unit]\ncommand = %s\noffset = 0x9000\nserials = counter:SN-%%06d\n' \
				"$S/tests/helper/unit-cmd.sh"
		} >"$DIR/$unit.conf"
		eval "ms_$unit=\$(median_ms $RUNS \"\$FLASHBAY\" --config \"\$DIR/\$unit.conf\" --no-udev \
			--sysfs-root \"\$DIR/sys\" --dev-root \"\$DIR/dev\" flash --port \"\$DIR/port\")"
	done
	rm_cmd=read_mac
	[ "$major" -lt 5 ] || rm_cmd=read-mac
	reset=no_reset
	[ "$major" -lt 5 ] || reset=no-reset
	ms_mac=$(median_ms "$RUNS" "$esptool" --port "$DIR/port" --baud 921600 --before $reset \
		--after $reset --no-stub $rm_cmd)
	how="median of $RUNS flashbay flash runs, 1 board, esptool v$v on esp_rom_sim.py (a pty), 256 KiB app"
	figure "esptool v$major: flash 1 board without [unit]" "$(secs "$ms_off") s" "-" "$how"
	figure "esptool v$major: flash 1 board with [unit]" "$(secs "$ms_on") s" "-" \
		"$how; unit-cmd.sh writes a 4 KiB unit image at 0x9000"
	figure "esptool v$major: [unit]'s extra time per board" "$(secs "$(awk -v a="$ms_on" -v b="$ms_off" 'BEGIN { print a - b }')") s" "-" \
		"the difference: read_mac, the serial's transaction, the command, 4 KiB more written"
	figure "esptool v$major: read_mac alone" "$(secs "$ms_mac") s" "-" \
		"median of $RUNS 'esptool --no-stub $rm_cmd' runs on the simulator"
done
