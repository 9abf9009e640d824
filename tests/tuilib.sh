# tests/tuilib.sh - drive a full-screen program in tmux (testing guide §3).
# Source it after tests/lib.sh.
#
#   tui_start COLS ROWS TERM CMD...   run CMD (by sh -c) in a new private tmux
#                                     server: its own -S socket per case,
#                                     remain-on-exit, LC_ALL=$TUI_LC (default
#                                     C.UTF-8), ESCDELAY=25; after CMD,
#                                     `stty -a` goes to $TUI_DIR/stty (to check
#                                     the terminal was restored), its exit
#                                     status N to $TUI_DIR/rc, and the pane
#                                     prints "[exit N]" (tmux may lose that
#                                     last line: wait for the file)
#   screen          the visible text;  screen_e: with attribute escapes (-e)
#   keys KEY...     tmux send-keys (names such as Enter, Up, C-c, or text)
#   on_screen TEXT  is TEXT (fixed string) on the screen now?
#   wait_for TEXT [SECS]    poll the screen until TEXT shows (default 10 s);
#                           on timeout print the screen as TAP comments, fail
#   wait_gone TEXT [SECS]   poll until TEXT is no longer on the screen
#   wait_exit [SECS]        wait for CMD to end; tui_exit_code prints N
#   tui_pid         the pid of CMD (the pane shell's child)
#   tui_resize COLS ROWS    resize the window (the program gets SIGWINCH)
#   tui_fits COLS ROWS      no screen line is wider than COLS, ROWS lines
#   tui_stop        kill the tmux server (the pane's program gets SIGHUP)
#
# Never a blind sleep: every wait polls the screen with a deadline.

export ESCDELAY=25
: "${TUI_LC:=C.UTF-8}"
TUI_DIR="$T/tmux"
mkdir -p "$TUI_DIR"
printf 'set -g remain-on-exit on\nset -g history-limit 0\n' >"$TUI_DIR/conf"
TM=true
tui_n=0

tui_stop() { $TM kill-server 2>/dev/null || true; }
on_exit tui_stop

tui_start() {
	tui_cols=$1 tui_rows=$2 tui_term=$3
	shift 3
	tui_stop
	tui_n=$((tui_n + 1))
	rm -f "$TUI_DIR/stty" "$TUI_DIR/rc"
	TM="tmux -S $TUI_DIR/s$tui_n -f $TUI_DIR/conf"
	# the socket is new per case: reusing one right after kill-server is racy
	$TM new-session -d -s t -x "$tui_cols" -y "$tui_rows" \
		"TERM=$tui_term LC_ALL=$TUI_LC ESCDELAY=25; export TERM LC_ALL ESCDELAY; $*
rc=\$?; stty -a >'$TUI_DIR/stty' 2>&1; echo \$rc >'$TUI_DIR/rc'; echo \"[exit \$rc]\""
}

screen() { $TM capture-pane -p -t t 2>/dev/null; }
screen_e() { $TM capture-pane -p -e -t t 2>/dev/null; }
keys() { $TM send-keys -t t "$@"; }
on_screen() { screen | grep -qF -- "$1"; }
off_screen() { ! on_screen "$1"; }

# Print the screen as TAP comments (after a failed wait).
tui_show() {
	echo "# screen ($tui_cols x $tui_rows, TERM=$tui_term):"
	screen | sed 's/^/#   |/'
}

# TEXT is on the screen, or the program ended without showing it (stop waiting)
tui_seen_or_dead() { on_screen "$1" || [ -s "$TUI_DIR/rc" ]; }
tui_ended() { [ -s "$TUI_DIR/rc" ]; }

wait_for() {
	wait_until "${2:-10}" tui_seen_or_dead "$1" && on_screen "$1" && return 0
	echo "# no '$1' on the screen"
	tui_show
	return 1
}

wait_gone() {
	wait_until "${2:-10}" off_screen "$1" && return 0
	echo "# timeout: '$1' still on the screen"
	tui_show
	return 1
}

wait_exit() {
	wait_until "${1:-10}" tui_ended && return 0
	echo "# the program did not end"
	tui_show
	return 1
}
tui_exit_code() { cat "$TUI_DIR/rc" 2>/dev/null; }

tui_pid() {
	pane=$($TM display -p -t t '#{pane_pid}' 2>/dev/null) || return 1
	pgrep -P "$pane" | head -n 1
}

tui_resize() {
	tui_cols=$1 tui_rows=$2
	$TM resize-window -t t -x "$1" -y "$2"
}

# Every line at most COLS columns and exactly ROWS lines (a program that
# writes past the edge makes tmux wrap and scroll: the count shows it).
tui_fits() {
	tui_w=$(screen | LC_ALL=C.UTF-8 wc -L)
	tui_h=$(screen | wc -l)
	[ "$tui_w" -le "$1" ] && [ "$tui_h" -eq "$2" ] && return 0
	echo "# screen is $tui_w x $tui_h, not within $1 x $2"
	return 1
}
