#!/bin/sh
# Signals while boards flash: Ctrl-C cancels, reaps and records (exit 130);
# a second Ctrl-C kills at once; SIGTERM the same; SIGHUP (the SSH session
# dropped) lets running attempts finish and records them; never an orphan.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
make_ports 4

# start_flash BEHAVIOUR N: flashbay flash in the background ($fpid) once all N
# esptools have connected
start_flash() {
	: > "$T/argv.log"
	FAKE_ESPTOOL_BEHAVIOUR=$1 "$FLASHBAY" --config "$FBCONF" --no-udev --sysfs-root "$T/sys" \
		--dev-root "$T/dev" --db "$T/history.db" flash $(port_args "$2") --json \
		> "$T/out" 2> "$T/err" &
	fpid=$!
	wait_until 20 fakes_at_least "$2"
}

# (a function, not sh -c: pgrep would count the shell holding its pattern)
fakes_at_least() { [ "$(pgrep -f "$T/bin/esptool --port" | wc -l)" -ge "$1" ]; }

rows() {
	fb history --json --limit "$1" | "${PYTHON3:-python3}" -c '
import json, sys
print(" ".join(sorted((r["outcome"] + ":" + (r["failure_class"] or "")) for r in json.load(sys.stdin))))'
}

# Ctrl-C mid-flash
start_flash 'hang' 4
ok $? "four esptools running"
kill -INT "$fpid"
wait "$fpid"
is "$?" 130 "Ctrl-C: exit 130"
wait_until 5 no_fakes
ok $? "no esptool left behind"
is "$(rows 4)" "failed:cancelled failed:cancelled failed:cancelled failed:cancelled" \
	"all four attempts in the history as cancelled"
is "$(tail -n 1 "$T/out" | json_field summary.interrupted)" True "the summary says interrupted"
like "$(cat "$T/err")" "interrupted: cancelling 4 attempt" "Ctrl-C is acknowledged"

# a second Ctrl-C: killed at once, still recorded, still no orphan
start_flash 'hang' 2
kill -INT "$fpid"
kill -INT "$fpid"
wait "$fpid"
is "$?" 130 "two Ctrl-C: exit 130"
wait_until 5 no_fakes
ok $? "no esptool left behind after two Ctrl-C"
is "$(rows 2)" "failed:cancelled failed:cancelled" "recorded as cancelled"

# SIGTERM: the same path
start_flash 'hang' 2
kill -TERM "$fpid"
wait "$fpid"
is "$?" 143 "SIGTERM: exit 143"
wait_until 5 no_fakes
ok $? "no esptool left behind after SIGTERM"

# SIGHUP: running attempts finish and are recorded as they ended
start_flash 'slow:60' 3
kill -HUP "$fpid"
wait "$fpid"
is "$?" 0 "SIGHUP: the flashes finished, exit 0"
is "$(rows 3)" "ok: ok: ok:" "the three attempts are in the history as ok"
is "$(grep -c '"outcome":"ok"' "$T/out")" 3 "and reported"
landed ttyUSB2
ok $? "their images landed"
no_fakes
ok $? "nothing left running"

# flashbay killed outright: the next run marks the attempts interrupted
start_flash 'hang' 2
kill -KILL "$fpid"
wait "$fpid" 2>/dev/null
pkill -f "$T/bin/esptool --port" 2>/dev/null
wait_until 5 no_fakes
fb flash --port "$T/ports/ttyUSB0" > /dev/null 2> "$T/err"
like "$(cat "$T/err")" "2 attempts left running by an earlier flashbay are now marked interrupted" \
	"after a SIGKILL, the next flashbay says what it recovered"
is "$(fb history --json --limit 3 | "${PYTHON3:-python3}" -c '
import json, sys
print(" ".join(sorted(r["outcome"] for r in json.load(sys.stdin))))')" "interrupted interrupted ok" \
	"the killed attempts are interrupted, the new one ok"

done_testing
