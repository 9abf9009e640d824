#!/bin/sh
# Untrusted text on the dashboard: a USB board whose descriptor strings hold
# escape sequences (tests/umockdev/hostile.umockdev, plugged into a umockdev
# test bed that runs the tmux server, so the real udev backend sees it), a
# station name and a firmware file name with escape sequences. All of it
# appears sanitised on the screen, and no raw escape sequence of theirs ever
# reaches the terminal: every byte flashbay wrote is captured with
# pipe-pane and searched.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
command -v umockdev-wrapper >/dev/null || skip_all "umockdev-wrapper not installed (package umockdev)"
CTL_BIN="$builddir/tests/helper/umockdev-ctl"
station_setup
ESC=$(printf '\033')
BEL=$(printf '\007')
# a firmware file and a station name carrying an OSC title and a clear-screen
evil="$T/fw/x${ESC}]0;pwned${BEL}${ESC}[2Jy.bin"
cp "$T/fw/app.bin" "$evil"
sed -i "s|^name = .*|name = bay${ESC}]0;pwned${BEL}7|; s|^0x10000 = .*|0x10000 = $evil|" "$T/flashbay.conf"
FBU="'$FLASHBAY' --config '$T/flashbay.conf'"
rm -f /tmp/flashbay-pwned

# the tmux server under the test bed: every process in it sees its devices
mkfifo "$T/ctl"
tui_n=1
TM="tmux -S $TUI_DIR/s1 -f $TUI_DIR/conf"
tui_cols=100 tui_rows=30 tui_term=xterm-256color
"$CTL_BIN" "$T/ctl" --keep -- $TM new-session -d -s t -x 100 -y 30 \
	"TERM=xterm-256color; export TERM; $FBU
rc=\$?; echo \$rc >'$TUI_DIR/rc'; echo \"[exit \$rc]\"" >"$T/ctl.out" 2>&1 &
ctl_pid=$!
ctl_quit() { [ -p "$T/ctl" ] && echo quit >"$T/ctl"; wait "$ctl_pid" 2>/dev/null; }
wait_until 10 grep -q '^ready' "$T/ctl.out"
r=$?
grep -q "built without umockdev" "$T/ctl.out" && skip_all "umockdev-ctl built without umockdev"
ok $r "test bed ready, tmux server started inside it"
wait_for "Boards 0"
ok $? "the dashboard is up, no boards"
$TM pipe-pane -t t -O "cat >>'$T/pane.out'"
echo "add $srcdir/tests/umockdev/hostile.umockdev" >"$T/ctl"
wait_for "ttyACM5"
ok $? "the hostile board appears (udev hot-plug)"
scr=$(screen)
like "$scr" "ttyACM5 +esp32-usb +USB-Serial(/JTAG?)? +\`id\`;\\?\\[31mRED\\?\\[0m" "its serial shown with ESC and the 8-bit CSI as '?'"
like "$(printf '%s\n' "$scr" | head -n 1)" '^ flashbay bay\?\]0;pwned\?7 ' "station name: OSC and BEL shown as '?'"
like "$(printf '%s\n' "$scr" | sed -n 2p)" 'x\?\]0;pwned\?\?\[2Jy\.bin@0x10000' "firmware name in the header: inert"
keys o
wait_for "Firmware: Enter opens"
like "$(screen)" 'x\?\]0;pwned\?\?\[2Jy\.bin' "firmware browser: the file name inert"
keys Escape
wait_gone "Firmware: Enter opens"
keys q
wait_exit
is "$(tui_exit_code)" 0 "q: exit 0"
$TM pipe-pane -t t 2>/dev/null
# what flashbay wrote to its terminal
out=$(cat "$T/pane.out")
[ -n "$out" ]
ok $? "the terminal output was captured ($(wc -c <"$T/pane.out") bytes)"
case $out in *"${ESC}]"*) r=1 ;; *) r=0 ;; esac
ok $r "no OSC sequence (ESC ]) reached the terminal"
case $out in *"$BEL"*) r=1 ;; *) r=0 ;; esac
ok $r "no BEL reached the terminal"
case $out in *"${ESC}[31mRED"*) r=1 ;; *) r=0 ;; esac
ok $r "the serial's own ESC [31m did not reach it"
LC_ALL=C grep -q "$(printf '\302\233')" "$T/pane.out"
ok $((!$?)) "nor the 8-bit CSI (C2 9B)"
isnt_pwned=$($TM display -p -t t '#{pane_title}')
[ "$isnt_pwned" != pwned ]
ok $? "the pane title was not changed ('$isnt_pwned')"
[ ! -e /tmp/flashbay-pwned ]
ok $? "nothing was executed"
tui_stop
ctl_quit
done_testing
