#!/bin/sh
# Faults with the real esptool (v4.12.0 and v5.3.1, ../shared/tools) against
# simulated ESP32 boards that misbehave: not in download mode (--no-sync),
# silent mid-flash (hang), a panic mid-flash, the adapter gone mid-flash
# (close), and the lower-baud retry ([esp32] retry_baud): after no_sync (fails
# again, both attempts recorded) and after a hang the board recovers from (the
# retry passes). Each outcome, class and message is asserted, with esptool's
# own words. Skipped with the reason where ../shared is absent.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/esp-sim-lib.sh"
PY=$SIM_PY
CHIP="ESP32-D0WD-V3 (v3.0)"
mkdir -p "$T/sys/class/tty" "$T/dev" "$T/fw"
make_image "$T/fw/boot.bin" 20000 11
make_image "$T/fw/app.bin" 70000 12
FW='[firmware]\n0x1000 = fw/boot.bin\n0x10000 = fw/app.bin\n'
# a short limit per board: a fault must end by esptool's own timeout, well before it
LIMITS='[esp32]\nconnect_attempts = 2\ntimeout = 45s\n'

fb() {
	conf=$1
	shift
	"$FLASHBAY" --config "$conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" "$@"
}
# field FILE PORTNAME KEY: KEY of the JSON result for that port
field() {
	"$PY" - "$@" <<'PY'
import json, sys
path, name, key = sys.argv[1:]
for line in open(path):
    d = json.loads(line)
    if d.get("port", "").endswith("/" + name):
        v = d[key]
        print("null" if v is None else v)
PY
}
# attempts PORTNAME KEY...: the history rows of that port, oldest first, KEYs joined by '|'
attempts() {
	fb "$T/plain.conf" history --json > "$T/hist.json" 2>&1
	"$PY" - "$T/hist.json" "$@" <<'PY'
import json, sys
path, name, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = [r for r in json.load(open(path)) if r["port"].endswith("/" + name)]
for r in sorted(rows, key=lambda r: r["id"]):
    print("|".join(str(r[k]) for k in keys))
PY
}

for v in $ESPTOOLS; do
	sim_conf "$T/plain.conf" "$v" "$LIMITS$FW"
	sim_conf "$T/retry.conf" "$v" "${LIMITS}retry_baud = 230400\n$FW"
	case $v in
	v4) stopped='The chip stopped responding\.' ;;
	v5) stopped='No more data to read from the serial port\.' ;;
	*) stopped='(The chip stopped responding|No more data to read from the serial port)\.' ;;
	esac
	sim_start "${v}hang" 24:0a:c4:10:00:01 --fail-at 40 --fail-mode hang
	sim_start "${v}panic" 24:0a:c4:10:00:02 --fail-at 40 --fail-mode panic
	sim_start "${v}close" 24:0a:c4:10:00:03 --fail-at 40 --fail-mode close
	sim_start "${v}nosync" 24:0a:c4:10:00:04 --no-sync
	sim_start "${v}recover" 24:0a:c4:10:00:05 --fail-at 40 --fail-mode hang --fail-recover 1

	# two runs at once (they share nothing but the history): faults without a retry ...
	fb "$T/plain.conf" flash --json --port "$SIMDEV/${v}hang" --port "$SIMDEV/${v}panic" \
		--port "$SIMDEV/${v}close" > "$T/a.json" 2> "$T/a.err" &
	apid=$!
	# ... and with retry_baud: a board never in download mode, one that recovers
	fb "$T/retry.conf" flash --json --port "$SIMDEV/${v}nosync" --port "$SIMDEV/${v}recover" \
		> "$T/b.json" 2> "$T/b.err"
	is "$?" 1 "$v: retry run: exit 1 (one board failed)"
	wait "$apid"
	is "$?" 1 "$v: fault run: exit 1"

	# not in download mode: no_sync, esptool's words and a hint; retried once at the lower baud
	is "$(field "$T/b.json" "${v}nosync" outcome)" no_sync "$v: --no-sync board: outcome no_sync"
	msg=$(field "$T/b.json" "${v}nosync" message)
	like "$msg" "Failed to connect to Espressif device: No serial data received\." \
		"$v: no_sync: esptool's own words in the message"
	like "$msg" "download mode \(hold BOOT" "$v: no_sync: with a hint"
	is "$(field "$T/b.json" "${v}nosync" exit_code)|$(field "$T/b.json" "${v}nosync" mac)" "2|null" \
		"$v: no_sync: esptool's exit code 2, no MAC (never connected)"
	is "$(field "$T/b.json" "${v}nosync" attempts)" 2 "$v: no_sync with retry_baud: two attempts"
	is "$(attempts "${v}nosync" outcome failure_class | tr '\n' ' ')" "failed|no_sync failed|no_sync " \
		"$v: no_sync: both attempts in the history"
	like "$(cat "$T/b.err")" "no_sync at 921600 baud; retrying once at 230400 baud" \
		"$v: no_sync: the retry at the lower baud is announced"

	# hang mid-flash, recovering: the first attempt stops responding, the retry at 230400 passes
	is "$(field "$T/b.json" "${v}recover" outcome)|$(field "$T/b.json" "${v}recover" attempts)" "ok|2" \
		"$v: a board that recovers: ok at the second attempt"
	sim_landed "${v}recover" 0x1000 "$T/fw/boot.bin" && sim_landed "${v}recover" 0x10000 "$T/fw/app.bin"
	ok $? "$v: a board that recovers: both images landed"
	is "$(attempts "${v}recover" failure_class mac | tr '\n' ' ')" \
		"stopped_responding|24:0a:c4:10:00:05 None|24:0a:c4:10:00:05 " \
		"$v: recover: two history rows, stopped_responding then ok, with the MAC"
	outs=$(attempts "${v}recover" output | tr '\n' ' ')
	like "$outs" "Changing baud rate to 921600.*Changing baud rate to 230400" \
		"$v: recover: the first attempt at 921600, the retry at 230400 (esptool's own lines)"
	like "$(cat "$T/b.err")" "stopped_responding at 921600 baud; retrying once at 230400 baud" \
		"$v: recover: the retry is announced"

	# silent mid-flash
	is "$(field "$T/a.json" "${v}hang" outcome)" stopped_responding "$v: hang: stopped_responding"
	like "$(field "$T/a.json" "${v}hang" message)" "^the board stopped responding mid-flash.*: $stopped" \
		"$v: hang: the message, with esptool's words"
	is "$(field "$T/a.json" "${v}hang" chip)|$(field "$T/a.json" "${v}hang" mac)" "$CHIP|24:0a:c4:10:00:01" \
		"$v: hang: chip and MAC known (it connected first)"
	sim_landed "${v}hang" 0x10000 "$T/fw/app.bin"
	ok $((!$?)) "$v: hang: the app is not in flash"
	is "$(attempts "${v}hang" outcome failure_class | tr '\n' ' ')" "failed|stopped_responding " \
		"$v: hang: one history row (no retry_baud, no retry)"

	# a panic mid-flash (Guru Meditation, then silence): to esptool the same silence
	is "$(field "$T/a.json" "${v}panic" outcome)" stopped_responding "$v: panic: stopped_responding"
	like "$(field "$T/a.json" "${v}panic" message)" "$stopped" "$v: panic: esptool's words"

	# the adapter gone mid-flash (the pty vanishes): unplugged, in esptool's words (it
	# once came out as "other" with the message "failed")
	is "$(field "$T/a.json" "${v}close" outcome)" unplugged "$v: adapter gone mid-flash: outcome unplugged"
	like "$(field "$T/a.json" "${v}close" message)" \
		"(serial exception error occurred|Could not configure port|port that is not open)" \
		"$v: adapter gone: the message has esptool's serial exception"
	sim_stop_all
done

done_testing
