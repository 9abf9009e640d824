#!/bin/sh
# The dashboard on different terminals, in tmux: 80x24 and 120x40;
# TERM=xterm-256color, vt100 and linux; UTF-8 and C locales. Each case flashes
# three boards (one passes, one fails, one stays in progress) and checks that
# everything is readable: the screen fits (header on the first line, key bar
# on the last, nothing wider than the terminal), UTF-8 block bars or ASCII
# '#'/'-' bars, box drawing through ACS where the locale is not UTF-8, colour
# where the terminal has it; with NO_COLOR or on a monochrome terminal the
# states are told apart by bold/reverse, never by colour alone.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/tuilib.sh"
. "$srcdir/tests/integration/tui-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
station_setup
plug 1
plug 2
plug 3
# slot 1 stays in progress for a few seconds, slot 2 is not in download mode
export FAKE_ESPTOOL_BEHAVIOUR="ttyUSB0=slow:120,ttyUSB1=no_sync"
E=$(printf '\033')
SO=$(printf '\016')
KEYBAR='^f Flash F All s Stop i Info o Firmware m Menu(config)? M Monitor l Log \? Help q Quit'
slot1_moving() { screen | grep -Eq '^  1 ttyUSB0  Flash.* (1[0-9]|[2-8][0-9])% '; }
# SGR colour codes (30-37, 40-47, 90-97, 38;..., 48;...), not the resets 39/49
has_colour() { printf '%s\n' "$1" | grep -Eq "$E\\[([0-9]+;)*(3[0-8]|4[0-8]|9[0-7])(;[0-9]+)*m"; }
# TEXT drawn right after an SGR that sets attribute N (bold 1, reverse 7)
attr_before() { printf '%s\n' "$1" | grep -Eq "$E\\[([0-9]+;)*$2(;[0-9]+)*m($E\\[[0-9;]*m)*$3"; }

# one dashboard: flash, look, quit (cancelling slot 1)
term_case() { # COLS ROWS TERM LOCALE [ENV...]
	c=$1 r=$2 term=$3 lc=$4
	shift 4
	name="${c}x$r $term $lc${1:+ $*}"
	TUI_LC=$lc tui_start "$c" "$r" "$term" "$* $FB"
	wait_for "Boards 3"
	ok $? "$name: starts"
	keys F
	wait_for "FAIL:no_sync" && wait_for "PASS" && wait_until 10 slot1_moving
	ok $? "$name: PASS, FAIL:no_sync and a bar in progress"
	keys z # an unbound key clears the note: the key bar is whole again
	wait_until 10 eval 'screen | tail -n 1 | grep -Eq -- "$KEYBAR"'
	scr=$(screen)
	scr_e=$(screen_e)
	tui_fits "$c" "$r"
	ok $? "$name: every line fits the width, the screen has $r lines"
	like "$(printf '%s\n' "$scr" | head -n 1)" '^ flashbay bay-7 +manual ' "$name: header on the first line"
	like "$(printf '%s\n' "$scr" | tail -n 1)" "$KEYBAR" "$name: the key bar on the last line"
	bar=$(printf '%s\n' "$scr" | grep '^  1 ttyUSB0 ')
	rule=$(printf '%s\n' "$scr_e" | sed -n 3p)
	if [ "$lc" = C.UTF-8 ]; then
		like "$bar" 'Flash 2/2 █+[▏▎▍▌▋▊▉ ]' "$name: UTF-8 block bar"
		like "$(printf '%s\n' "$scr" | sed -n 3p)" '^─ Boards 3 ─+$' "$name: Unicode rule"
	else
		like "$bar" 'Flash 2/2 #*-+ +[0-9]+% ' "$name: ASCII bar of # and -"
		printf '%s\n' "$scr" | LC_ALL=C grep -q '[^ -~]'
		ok $((!$?)) "$name: nothing but ASCII on the screen"
		printf '%s\n' "$rule" | grep -Eq "($SO|$E\\(0)q+"
		ok $? "$name: rules drawn with the terminal's line-drawing set (ACS)"
	fi
	if [ "$term" = vt100 ] || [ -n "$*" ]; then
		has_colour "$scr_e"
		ok $((!$?)) "$name: no colour codes at all"
		attr_before "$scr_e" 1 "PASS" && attr_before "$scr_e" 7 "FAIL:no_sync"
		ok $? "$name: PASS in bold, FAIL in reverse video"
	else
		attr_before "$scr_e" 32 "PASS" && attr_before "$scr_e" 31 "FAIL:no_sync"
		ok $? "$name: PASS green, FAIL red (and the words say it)"
	fi
	if [ "$c" -ge 120 ]; then
		like "$scr" "ESP32-D0WD-V3 \\(v3\\.0\\) " "$name: the wider chip column shows the whole chip"
		like "$scr" " PASS +PASS [0-9]{2}:[0-9]{2}" "$name: LAST has room for result and time"
		like "$bar" "kb/s +0:0[0-9] ETA +0:[0-9]{2}" "$name: kbit/s, elapsed and ETA"
	fi
	keys q
	wait_for "Quit?"
	keys c
	wait_exit
	is "$(tui_exit_code)" 0 "$name: q, c (cancel) exits 0"
}

term_case 80 24 xterm-256color C.UTF-8
term_case 80 24 vt100 C.UTF-8
term_case 80 24 linux C.UTF-8
term_case 80 24 xterm-256color C
term_case 80 24 vt100 C
term_case 120 40 xterm-256color C.UTF-8
term_case 120 40 vt100 C
term_case 120 40 linux C
term_case 80 24 xterm-256color C.UTF-8 NO_COLOR=1

# a terminal too small says so, and the dashboard comes back when it grows
TUI_LC=C.UTF-8 tui_start 30 8 xterm-256color "$FB"
wait_for "terminal too small"
ok $? "30x8: 'terminal too small'"
tui_resize 80 24
wait_for "Boards 3"
ok $? "grown to 80x24: the dashboard"
keys q
wait_exit
is "$(tui_exit_code)" 0 "q without attempts running exits at once"
tui_stop
done_testing
