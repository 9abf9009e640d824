#!/bin/sh
# The fleet dashboard in tmux at 80x24: a row per station and the line's
# totals from a real mosquitto, a station's slots and last failures (Enter),
# the help screen with every key, ASCII on a vt100 with NO_COLOR, q quits and
# the terminal is restored; a station's dashboard shows its MQTT link.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
. "$srcdir/tests/integration/mqtt-lib.sh"
. "$srcdir/tests/tuilib.sh"
command -v tmux >/dev/null || skip_all "tmux is not installed"
make_ports 2

st() {
	n=$1
	shift
	"$FLASHBAY" --config "$T/$n.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/$n.db" "$@"
}
for n in st-a st-b fleet; do
	sed "s/^name = .*/name = $n/" "$T/fb.conf" > "$T/$n.conf"
	mqtt_conf "$T/$n.conf"
done
broker_start
st st-a flash $(port_args 2) > /dev/null 2>&1
FAKE_ESPTOOL_BEHAVIOUR=no_sync st st-b flash --port "$T/ports/ttyUSB0" > /dev/null 2>&1

FLEET="$FLASHBAY --config $T/fleet.conf fleet"
tui_start 80 24 xterm-256color "$FLEET"
wait_for "st-b"
ok $? "the dashboard shows the stations"
like "$(screen)" "flashbay fleet.*mqtt://127.0.0.1:$MQTT_PORT connected" "... the broker, connected"
like "$(screen)" "line: 0/2 online  ok 2  fail 1" "... the line's totals"
like "$(screen)" "st-a +offline manual +2 +0 100.0%" "... st-a: offline, manual, 2 ok, 100 % first pass"
like "$(screen)" "st-b +offline manual +0 +1 +0.0% .*no_sync" "... st-b: a failure, its class"
ok "$(tui_fits 80 24; echo $?)" "... it fits 80x24"
keys Down Enter
wait_for "Last failures"
ok $? "Enter opens the station under the cursor"
like "$(screen)" "st-b: 1 slots" "... st-b's slots"
like "$(screen)" "slot 1 no_sync" "... its last failure"
keys Escape
wait_for "STATION      STATUS"
ok $? "Esc goes back to the stations"
keys '?'
wait_for "this help"
ok $? "? shows the help"
for k in "Up/Down" "PgUp/PgDn" "Home/End" "Enter, i" "Esc, Left" "q  "; do
	on_screen "$k" || { ok 1 "help names $k"; continue; }
done
ok 0 "... with every key"
keys x
wait_gone "this help"
keys q
wait_exit 10
is "$(tui_exit_code)" 0 "q quits, exit 0"
like "$(cat "$TUI_DIR/stty")" "icanon" "... the terminal is restored"

# a vt100 without colour: ASCII only
TUI_LC=C tui_start 80 24 vt100 "NO_COLOR=1 $FLEET"
wait_for "st-b"
ok $? "vt100, NO_COLOR: the dashboard comes up"
screen | LC_ALL=C grep -q '[^ -~]'
ok $((1 - $?)) "... in ASCII only"
like "$(screen)" "Up/Dn Move  Enter Station" "... with an ASCII key bar"
keys q
wait_exit 10
is "$(tui_exit_code)" 0 "... q quits"

# the station's own dashboard says how its link is
tui_start 80 24 xterm-256color "$FLASHBAY --config $T/st-a.conf --db $T/st-a.db --demo 2 tui"
wait_for "MQTT: connected, 0 waiting"
ok $? "a station's dashboard: 'MQTT: connected, 0 waiting' in its header"
broker_stop
wait_for "MQTT: down (connection lost)"
ok $? "... the broker gone: 'MQTT: down (connection lost), N waiting'"
ok "$(tui_fits 80 24; echo $?)" "... it fits 80x24"
tui_stop
done_testing
