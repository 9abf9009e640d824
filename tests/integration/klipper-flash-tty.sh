#!/bin/sh
# flashbay board flash on a terminal (tmux): no key with several boards asks
# which; a board without a cached config gets make menuconfig first; a
# Moonraker that cannot be reached is a question, not a refusal. Boards
# leave and come back as klipper-flash-lib.sh describes (here the test reads
# the bootloader line from the screen).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"
need_terminal
flash_setup
register_boards octopus nitehawk
board_plug octopus klipper
board_plug nitehawk klipper

TM=true
n=0
stop_tmux() { $TM kill-server 2>/dev/null || true; }
on_exit stop_tmux
run() { # ARGS: flashbay board flash ARGS in a new tmux server
	stop_tmux
	n=$((n + 1))
	TM="tmux -S $T/tmux$n -f /dev/null"
	$TM new-session -d -s f -x 150 -y 50 \
		"TERM=xterm-256color $FLASHBAY --no-udev --sysfs-root $ROOT/sys --dev-root $ROOT/dev board flash $*; echo \"[exit \$?]\"; sleep 60"
}
screen() { $TM capture-pane -p -J -S -100 -t f; }
keys() { $TM send-keys -t f "$@"; }
on_screen() { screen | grep -qF -- "$1"; }
wait_for() { # TEXT
	wait_until 20 on_screen "$1" && return 0
	echo "# no '$1' on the screen:"
	screen | sed 's/^/#   | /'
	return 1
}
back() { # KEY: once it is in its bootloader, put its Klipper device back
	wait_for "$1 the board is in its bootloader" || return 1
	board_unplug "$1"
	board_plug "$1" klipper
}

# no key, two boards connected: which?
run
wait_for "Which ones?"
ok $? "several connected boards: asks which"
like "$(screen)" "Connected boards: octopus, nitehawk" "lists them"
keys "octopus" Enter
back octopus
wait_for "[exit 0]"
ok $? "the chosen board is flashed: exit 0"
like "$(screen)" "\[Verify\] octopus PASS" "octopus passed"
unlike "$(screen)" "\[Discovery\] nitehawk" "nitehawk was left alone"

# a board without a config: menuconfig first, then the flash
mv "$CONFIGS/octopus/.config" "$T/octopus.config"
run octopus
wait_for "Klipper Firmware Configuration"
ok $? "no cached config: make menuconfig first"
keys q
wait_for "Save configuration?"
keys y
back octopus
wait_for "[exit 0]"
ok $? "saved, built and flashed: exit 0"
like "$(screen)" "MCU check: the configuration matches board 'octopus'" "the MCU check after menuconfig"
ok "$(grep -q '^CONFIG_MCU="stm32h723xx"$' "$CONFIGS/octopus/.config"; echo $?)" "the new config is a full one for the board's MCU"

# no key, one board connected: confirm
board_unplug nitehawk
run
wait_for "Flash board 'octopus'? [y/N]"
ok $? "one connected board: asks for confirmation"
keys y Enter
back octopus
wait_for "[exit 0]"
ok $? "confirmed: flashed"
run
wait_for "Flash board 'octopus'? [y/N]"
keys n Enter
wait_for "[exit 1]"
ok $? "not confirmed: exit 1"
like "$(screen)" "Nothing flashed." "and nothing flashed"

# Moonraker cannot be reached: a question on a terminal
sed -i "s|^moonraker =.*|moonraker = http://127.0.0.1:9|" "$CONF"
: >"$CALLS"
run octopus
wait_for "Stop klipper and flash anyway? [y/N]"
ok $? "Moonraker unreachable: asked"
is "$(cat "$CALLS")" "" "nothing stopped while asking"
keys y Enter
back octopus
wait_for "[exit 0]"
ok $? "answered yes: flashed"
like "$(screen)" "going on without Moonraker's answer" "and said so"
run octopus
wait_for "flash anyway? [y/N]"
keys n Enter
wait_for "[exit 1]"
ok $? "answered no: exit 1"
like "$(screen)" "FAIL other: not flashed: Moonraker could not say whether the printer is busy" "not flashed"
done_testing
