#!/bin/sh
# flashbay board menuconfig in tmux with the fake Klipper tree's curses
# menuconfig: the terminal is handed over and back, saved vs not saved
# (decided by the file, not the exit status), a new board's seed, the MCU
# check afterwards, Ctrl-C, TERM unset.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
command -v tmux >/dev/null || skip_all "tmux needed"
command -v python3 >/dev/null || skip_all "python3 needed"
python3 -c 'import curses' 2>/dev/null || skip_all "python3 curses needed"
export LC_ALL=C.UTF-8 ESCDELAY=25
klipper_setup
printf 'set -g remain-on-exit on\n' > "$T/tmux.conf"
TM=true
tmux_n=0
tui_stop() { $TM kill-server 2>/dev/null || true; }
on_exit tui_stop
tui_start() { # CMD (run by sh -c in a new private tmux server)
	tui_stop
	tmux_n=$((tmux_n + 1))
	TM="tmux -S $T/tmux$tmux_n -f $T/tmux.conf"
	$TM new-session -d -s t -x 100 -y 30 "$*; echo \"[exit \$?]\""
}
screen() { $TM capture-pane -p -t t; }
keys() { $TM send-keys -t t "$@"; }
on_screen() { screen | grep -qF -- "$1"; }
wait_for() { # TEXT: poll the screen, never a blind sleep
	wait_until 10 on_screen "$1" && return 0
	echo "# no '$1' on the screen:"
	screen | sed 's/^/#   | /'
	return 1
}
menuconfig() { tui_start "TERM=xterm-256color; export TERM; '$FLASHBAY' board menuconfig $1"; }

PAT='usb-Klipper_stm32h723xx_29001A001151313531383332*'
"$FLASHBAY" board add octopus --mcu stm32h723 --serial-pattern "$PAT" \
	--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null
cfg="$CONFIGS/octopus/.config"
sum() { sha256sum "$1" | cut -d' ' -f1; }
first=$(sum "$cfg")

# quit without touching anything
menuconfig octopus
wait_for "Klipper Firmware Configuration"
ok $? "menuconfig draws its screen (the terminal is handed over)"
like "$(screen)" "Processor model \(stm32h723xx\)" "it loaded the board's cached config (KCONFIG_CONFIG as a make variable)"
keys q
wait_for "[exit 0]"
ok $? "quit: exit 0"
like "$(screen)" "No changes to save \(for '$cfg'\)" "menuconfig's own words"
like "$(screen)" "Configuration not changed: $cfg" "flashbay: not changed"
like "$(screen)" "MCU check: the configuration matches board 'octopus' \(mcu stm32h723\)" "MCU check after menuconfig"
is "$(sum "$cfg")" "$first" "file untouched"

# change, then refuse to save
menuconfig octopus
wait_for "Klipper Firmware Configuration"
keys Space q
wait_for "Save configuration?"
ok $? "a change asks whether to save"
keys n
wait_for "[exit 0]"
like "$(screen)" "Configuration \($cfg\) was not saved" "not saved (menuconfig)"
like "$(screen)" "Configuration not changed: $cfg" "not saved (flashbay, by the file)"
is "$(sum "$cfg")" "$first" "file untouched"

# change, cancel the question, then save
menuconfig octopus
wait_for "Klipper Firmware Configuration"
keys Space q
wait_for "Save configuration?"
keys c
wait_until 10 sh -c "! $TM capture-pane -p -t t | grep -qF 'Save configuration?'"
ok $? "c goes back to the menu"
keys q
wait_for "Save configuration?"
keys y
wait_for "[exit 0]"
like "$(screen)" "Configuration saved to '$cfg'" "saved (menuconfig)"
like "$(screen)" "Configuration saved: $cfg" "saved (flashbay, by the file; the exit status is 0 either way)"
ok "$([ "$(sum "$cfg")" != "$first" ]; echo $?)" "the file changed"
ok "$(grep -q '^# CONFIG_LOW_LEVEL_OPTIONS is not set$' "$cfg"; echo $?)" "the toggled option is in it"
ok "$([ -e "$cfg.old" ]; echo $?)" "kconfig kept the previous file as .config.old"

# Ctrl-C in menuconfig ends menuconfig only; flashbay reports and goes on
menuconfig octopus
wait_for "Klipper Firmware Configuration"
keys C-c
wait_for "[exit 1]"
ok $? "Ctrl-C: menuconfig ends, flashbay exits 1 (not killed by the signal)"
like "$(screen)" "make menuconfig failed" "and says so"

# a new board: a seed for its MCU, never Klipper's AVR default
"$FLASHBAY" board add nitehawk --mcu rp2040 --serial-pattern 'usb-Klipper_rp2040_E6625C05E7324B2A*' >/dev/null
menuconfig nitehawk
wait_for "Klipper Firmware Configuration"
like "$(screen)" "Raspberry Pi RP2040" "a new board starts on its own processor, not AVR"
keys q
wait_for "Save configuration?"
keys n
wait_for "[exit 1]"
ok $? "new board, not saved: exit 1"
like "$(screen)" "Configuration not saved; board 'nitehawk' still has no configuration" "explained"
ok "$([ ! -e "$CONFIGS/nitehawk/.config" ]; echo $?)" "no seed or AVR default left behind"
menuconfig nitehawk
wait_for "Klipper Firmware Configuration"
keys q
wait_for "Save configuration?"
keys y
wait_for "[exit 0]"
like "$(screen)" "MCU check: the configuration matches board 'nitehawk' \(mcu rp2040\)" "new board saved and checked"
ok "$(grep -q '^CONFIG_MCU="rp2040"$' "$CONFIGS/nitehawk/.config"; echo $?)" "the saved config is a full rp2040 one"

# a config for another MCU: the check after menuconfig says how to fix it
cp "$FX/configs/klipper-nitehawk36-rp2040.config" "$cfg"
menuconfig octopus
wait_for "Klipper Firmware Configuration"
keys q
wait_for "[exit 1]"
ok $? "MCU mismatch after menuconfig: exit 1"
like "$(screen | tr -d '\n')" "registered as mcu stm32h723 but its configuration .* is for rp2040" "mismatch explained"

# no TERM: refused before anything runs
# (this output comes at once: read it from files, early pane output can be lost)
tui_start "unset TERM; '$FLASHBAY' board menuconfig octopus 2>'$T/err'; echo \$? > '$T/rc'"
wait_until 10 test -s "$T/rc"
is "$(cat "$T/rc")" 2 "TERM unset: exit 2"
like "$(cat "$T/err")" "menuconfig cannot draw its screen with TERM unset" "explained"
tui_stop
done_testing
