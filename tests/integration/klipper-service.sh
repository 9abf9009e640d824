#!/bin/sh
# The printer service guard: services stopped together, restarted on every
# exit path (done, SIGKILL, SIGHUP/SIGINT of the session, SIGTERM of the
# guard), sudo -n when not root, a failed restart shouted.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
H="$builddir/tests/helper/test-service"
klipper_setup
helpers=""
kill_helpers() { for p in $helpers; do kill -9 "$p" 2>/dev/null; done; return 0; }
on_exit kill_helpers

# normal path: stop, start, done -> the guard exits without starting anything
out=$("$H" --done 2>"$T/err")
is "$?" 0 "helper: stop, start and done"
like "$out" "guard ready" "the guard says ready before anything is stopped"
gpid=$(printf '%s\n' "$out" | sed -n 's/^guard pid=//p')
wait_until 5 sh -c "! kill -0 $gpid 2>/dev/null"
ok $? "after done the guard exits"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "one stop, one start, in that order"
ok "$([ ! -s "$T/err" ] && [ ! -e "$GUARD_LOG" ]; echo $?)" "done: the guard says nothing and logs nothing"

# flashbay killed with SIGKILL after stopping: the guard starts the service
: > "$CALLS"
rm -f "$T/out" "$T/err"; "$H" > "$T/out" 2> "$T/err" &
hp=$!
helpers="$helpers $hp"
wait_until 10 grep -q '^waiting' "$T/out"
ok $? "services stopped, helper waiting"
is "$(cat "$CALLS")" "systemctl stop klipper" "only the stop so far"
kill -9 $hp
wait $hp 2>/dev/null
wait_until 10 has_call "systemctl start klipper"
ok $? "SIGKILL of flashbay: the guard starts the service"
wait_until 5 grep -q "started again" "$GUARD_LOG"
ok $? "the restart is logged in the state dir"
like "$(cat "$T/err")" "ended without restarting the printer service klipper: starting it now" "and said on stderr"
like "$(cat "$GUARD_LOG")" "^[0-9T:.-]+Z flashbay-guard\[[0-9]+\]: flashbay \(pid $hp\) ended" "log lines are timestamped and name the flashbay pid"
is "$(cat "$T/units/klipper" 2>/dev/null; echo $?)" "0" "the unit is active again"

# several services, stopped and started together (one call each)
klipper_setup "klipper-1 klipper-2"
rm -f "$GUARD_LOG"
rm -f "$T/out" "$T/err"; "$H" > "$T/out" 2> "$T/err" &
hp=$!
helpers="$helpers $hp"
wait_until 10 grep -q '^waiting' "$T/out"
kill -9 $hp
wait $hp 2>/dev/null
wait_until 10 has_call "systemctl start klipper-1 klipper-2"
ok $? "two instances: started again together"
is "$(cat "$CALLS")" "systemctl stop klipper-1 klipper-2
systemctl start klipper-1 klipper-2" "one call per verb with both services"

# not root: sudo -n (FLASHBAY_EUID stands in for geteuid(), CI runs as root)
klipper_setup
rm -f "$T/out" "$T/err"; FLASHBAY_EUID=1000 "$H" > "$T/out" 2> "$T/err" &
hp=$!
helpers="$helpers $hp"
wait_until 10 grep -q '^waiting' "$T/out"
kill -9 $hp
wait $hp 2>/dev/null
wait_until 10 has_call "systemctl start klipper"
is "$(cat "$CALLS")" "sudo -n systemctl stop klipper
systemctl stop klipper
sudo -n systemctl start klipper
systemctl start klipper" "not root: stop and the guard's start go through sudo -n"

# the session's SIGHUP (terminal closed) and Ctrl-C do not reach the guard
# (env --default-signal: a background job of sh starts with SIGINT ignored)
for sig in HUP INT; do
	klipper_setup
	rm -f "$T/out" "$T/err"
	setsid env --default-signal=INT "$H" > "$T/out" 2> "$T/err" &
	hp=$!
	helpers="$helpers $hp"
	wait_until 10 grep -q '^waiting' "$T/out"
	kill -s $sig -- "-$hp"
	wait_until 10 has_call "systemctl start klipper"
	ok $? "SIG$sig to flashbay's whole process group: the guard survives and restarts"
done

# SIGTERM to the guard itself counts as "not done"
klipper_setup
rm -f "$T/out" "$T/err"; "$H" > "$T/out" 2> "$T/err" &
hp=$!
helpers="$helpers $hp"
wait_until 10 grep -q '^waiting' "$T/out"
gpid=$(sed -n 's/^guard pid=//p' "$T/out")
kill -TERM "$gpid"
wait_until 10 has_call "systemctl start klipper"
ok $? "SIGTERM to the guard: it starts the service before leaving"
kill -9 $hp
wait $hp 2>/dev/null

# a failed restart is shouted, with the command to run by hand
klipper_setup
rm -f "$GUARD_LOG"
rm -f "$T/out" "$T/err"; FAKE_SYSTEMCTL_FAIL=start "$H" > "$T/out" 2> "$T/err" &
hp=$!
helpers="$helpers $hp"
wait_until 10 grep -q '^waiting' "$T/out"
kill -9 $hp
wait $hp 2>/dev/null
wait_until 10 grep -q "FAILED" "$GUARD_LOG"
ok $? "failed restart logged"
like "$(cat "$T/err")" "FAILED to start the printer service klipper again \(exit 1: Job for klipper.service failed" "failed restart shouted on stderr with the tool's words"
like "$(cat "$T/err")" "NOT running: run by hand: systemctl start klipper" "and the command to run by hand"

# the helper's own failed start: no done, so the guard tries once more
klipper_setup
FAKE_SYSTEMCTL_FAIL=start "$H" --done > "$T/out" 2> "$T/err"
is "$?" 1 "start failed: no done"
two_starts() { [ "$(calls_count "systemctl start klipper")" -ge 2 ]; }
wait_until 10 two_starts
ok $? "the guard retried the start"

guards=$(sed -n 's/^guard pid=//p' "$T/out")
wait_until 5 sh -c "! kill -0 $guards 2>/dev/null"
ok $? "the last guard is gone after its work"
done_testing
