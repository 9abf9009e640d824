#!/bin/sh
# No child outlives flashbay, and a port stays locked while one lives: after
# kill -9 of flashbay, its esptool (hanging and printing nothing, so no closed
# pipe would ever end it) is killed too (PR_SET_PDEATHSIG), and the next
# flashbay can flash that port at once. A tool that starts a program of its
# own (a wrapper script that does not exec) hands the port lock down to it:
# that grandchild survives flashbay, and until it is gone a second flashbay
# gets port_busy.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
make_ports 1
# esptool printing nothing once it flashes (the version query still answers),
# as the direct child (exec) or as a child of a wrapper shell
mkdir -p "$T/quiet" "$T/wrap"
for w in quiet wrap; do
	if [ $w = quiet ]; then run=exec; else run=; fi
	cat >"$T/$w/esptool" <<EOF
#!/bin/sh
case " \$* " in *" version "*) exec "$T/bin/esptool" "\$@" ;; esac
$run "$T/bin/esptool" "\$@" >/dev/null 2>&1
EOF
	chmod +x "$T/$w/esptool"
done
PORT="$T/ports/ttyUSB0"
# the lock is named for the device the port resolves to (/dev/pts/3: pts_3)
LOCK="$T/locks/flashbay-$(readlink -f "$PORT" | sed 's|^/dev/||; s|/|_|g').lock"

# the fake esptool of this test on PORT (its python process), by pid
esptool_pid() { pgrep -f -- "$T/bin/esptool --port $PORT" | head -n 1; }
esptool_running() { [ -n "$(esptool_pid)" ]; }
no_esptool() { ! esptool_running; }
# does process $1 have the lock file open?
holds_lock() {
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$LOCK" ] && return 0
	done
	return 1
}
# start_hanging quiet|wrap: flashbay flashing PORT in the background, its
# esptool hanging once connected (flashbay itself, not the fb function: $!
# must be flashbay); returns once that esptool runs with the lock inherited
start_hanging() {
	PATH="$T/$1:$PATH" FAKE_ESPTOOL_BEHAVIOUR=hang "$FLASHBAY" --config "$FBCONF" --no-udev \
		--sysfs-root "$T/sys" --dev-root "$T/dev" --db "$T/history.db" \
		flash --port "$PORT" >"$T/out" 2>&1 &
	fpid=$!
	wait_until 20 esptool_running && wait_until 5 eval 'holds_lock "$(esptool_pid)"'
}
kill_esptool() {
	for p in $(pgrep -f -- "$T/bin/esptool --port $PORT"); do kill -KILL "$p" 2>/dev/null; done
	return 0
}
on_exit kill_esptool

# --- the child itself: dies with flashbay ------------------------------------------------
start_hanging quiet
ok $? "esptool runs, holding the port lock (inherited, not closed on exec)"
kill -KILL "$fpid"
wait "$fpid" 2>/dev/null
wait_until 5 no_esptool
ok $? "kill -9 of flashbay: its esptool is gone within 5 s"
out=$(fb flash --port "$PORT" 2>&1)
is "$?" 0 "the next flashbay flashes the port (the lock went with the child)"
landed ttyUSB0
ok $? "and its images landed"

# --- a grandchild keeps the port locked until it is gone ---------------------------------
wrapper_running() { pgrep -f -- "$T/wrap/esptool" >/dev/null; }
start_hanging wrap
ok $? "esptool runs under a wrapper, holding the port lock"
wrapper_running
ok $? "the wrapper is flashbay's child"
kill -KILL "$fpid"
wait "$fpid" 2>/dev/null
wait_until 5 eval '! wrapper_running'
ok $? "kill -9 of flashbay: its child (the wrapper) is gone"
esptool_running
ok $? "the wrapper's own child outlived it"
holds_lock "$(esptool_pid)"
ok $? "and holds the port lock"
runs=$(grep -c -- "--port" "$T/argv.log")
out=$(fb flash --port "$PORT" 2>&1)
is "$?" 1 "a second flashbay: exit 1"
like "$out" "port_busy.*port $PORT is still in use by a tool that flashbay pid $fpid started" \
	"port_busy, naming the dead flashbay whose tool holds the port"
is "$(grep -c -- "--port" "$T/argv.log")" "$runs" "and started no esptool on the port"
kill_esptool
wait_until 5 no_esptool
out=$(fb flash --port "$PORT" 2>&1)
is "$?" 0 "once that process is gone, the port is free"

done_testing
