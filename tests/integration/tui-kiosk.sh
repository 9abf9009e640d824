#!/bin/sh
# The kiosk unit (etc/flashbay-kiosk@.service, made from its .in by make with
# the binary's installed path): systemd-analyze verify accepts it for a serial
# console and a virtual console (skipped without systemd-analyze), and its
# ExecStart command line starts the dashboard in monitor mode on the
# terminal types systemd gives those consoles (vt220, linux), where a board
# plugged in is flashed.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
UNIT="$builddir/etc/flashbay-kiosk@.service"

[ -f "$UNIT" ]
ok $? "make built the unit from its template"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
like "$exec_start" '^/[^@ ]*/flashbay tui --monitor$' "ExecStart: the installed binary (absolute path), tui --monitor"
for k in 'Conflicts=getty@%i.service serial-getty@%i.service' 'TTYPath=/dev/%I' \
	'StandardInput=tty-force' 'Restart=always' 'KillMode=mixed' 'User=root' \
	'ExecStartPre=-/bin/stty -F /dev/%I 115200' 'WantedBy=multi-user.target'; do
	grep -qxF "$k" "$UNIT"
	ok $? "unit: $k"
done

# systemd-analyze verify, with the binary that exists here
if ! command -v systemd-analyze >/dev/null; then
	ok 0 "# SKIP systemd-analyze not installed"
else
	mkdir -p "$T/units"
	printf '[Service]\nExecStart=/bin/true\n' >"$T/units/sanity.service"
	if ! systemd-analyze verify --man=no "$T/units/sanity.service" >/dev/null 2>&1; then
		ok 0 "# SKIP systemd-analyze verify does not work here"
	else
		sed "s|^ExecStart=[^ ]*|ExecStart=$FLASHBAY|" "$UNIT" >"$T/units/flashbay-kiosk@.service"
		for tty in ttyS0 tty1; do
			out=$(cd "$T/units" && systemd-analyze verify --man=no "./flashbay-kiosk@$tty.service" 2>&1)
			r=$?
			ok $r "systemd-analyze verify flashbay-kiosk@$tty.service"
			[ $r = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
		done
	fi
fi

# what the unit runs, on what systemd gives a serial console and a VT
command -v tmux >/dev/null || { done_testing; exit $?; }
station_setup
args=${exec_start#* }
for term in vt220 linux; do
	rm -f "$T/history.db"*
	tui_start 80 24 "$term" "$FB $args"
	wait_for " MONITOR "
	ok $? "TERM=$term: '$args' starts the dashboard in monitor mode"
	plug 1
	wait_for " PASS "
	ok $? "TERM=$term: a board plugged in is flashed"
	keys q
	wait_exit
	is "$(tui_exit_code)" 0 "TERM=$term: q leaves (systemd starts it again)"
	unplug 1
done
tui_stop
done_testing
