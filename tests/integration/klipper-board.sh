#!/bin/sh
# flashbay board add/remove/show and menuconfig's refusals: the registry file
# (atomic, stable order, never rewritten when broken), --config seeding with
# its MCU check, missing config, paths make cannot handle.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
klipper_setup
PAT='usb-Klipper_stm32h723xx_29001A001151313531383332*'

out=$("$FLASHBAY" board add octopus --mcu stm32h723 --serial-pattern "$PAT" --name "Octopus Pro" \
	--config "$FX/configs/klipper-octopus-pro-h723.config" 2>&1)
is "$?" 0 "add with --config"
like "$out" "Registered board 'octopus': mcu stm32h723" "add says what it registered"
like "$out" "Configuration: .*/configs/octopus/.config \(CONFIG_MCU stm32h723xx\)" "and the seeded config"
cmp -s "$FX/configs/klipper-octopus-pro-h723.config" "$CONFIGS/octopus/.config"
ok $? "the cached config is the given file"
is "$(stat -c %a "$BOARDS")" 644 "boards.ini mode 0644"
is "$(ls -A "$XDG_CONFIG_HOME/flashbay" | tr '\n' ' ')" "boards.ini configs flashbay.conf " "no temp file left"

out=$("$FLASHBAY" board add nitehawk --mcu rp2040 --serial-pattern 'usb-Klipper_rp2040_E6625C05E7324B2A*' --method make-flash 2>&1)
is "$?" 0 "add without a config"
like "$out" "No configuration yet: run 'flashbay board menuconfig nitehawk'" "points to menuconfig"
out=$("$FLASHBAY" board add ebb --mcu stm32g0b1 --serial-pattern 'usb-Klipper_stm32g0b1xx_0123456789ABCDEF*' 2>&1)
is "$(sed -n 's/^\[\(.*\)\]$/\1/p' "$BOARDS" | tr '\n' ' ')" "octopus nitehawk ebb " "boards in the order they were added"

out=$("$FLASHBAY" board add octopus --mcu stm32h723 --serial-pattern x 2>&1)
is "$?" 2 "adding an existing key: exit 2"
like "$out" "a board named 'octopus' is already registered" "explained"

before=$(cat "$BOARDS")
out=$("$FLASHBAY" board add wrong --mcu stm32h723 --serial-pattern 'usb-Klipper_x_ABCDEF0123456789*' \
	--config "$FX/configs/klipper-nitehawk36-rp2040.config" 2>&1)
is "$?" 2 "--config for another MCU: exit 2"
like "$out" "is a configuration for rp2040 \(CONFIG_MCU\), not for --mcu stm32h723; nothing was registered" "MCU mismatch explained"
is "$(cat "$BOARDS")" "$before" "nothing registered"
ok "$([ ! -e "$CONFIGS/wrong" ]; echo $?)" "no config written"

out=$("$FLASHBAY" board add seed --mcu stm32h723 --serial-pattern 'usb-Klipper_x_ABCDEF0123456789*' \
	--config "$FX/configs/octopus-pro-h723.seed.config" 2>&1)
is "$?" 2 "a seed without CONFIG_MCU is refused"
like "$out" "names no MCU" "explained"

out=$("$FLASHBAY" board add 'bad key' --mcu rp2040 --serial-pattern p 2>&1)
is "$?" 2 "invalid key: exit 2"
like "$out" "'bad key' is not a valid board key" "explained"
out=$("$FLASHBAY" board add k --mcu rp2040 2>&1)
is "$?" 2 "missing --serial-pattern: usage error"
out=$("$FLASHBAY" board add sp --mcu rp2040 --serial-pattern 'usb-x_ABCDEF0123456789*' --klipper-dir "$T/my klipper" 2>&1)
is "$?" 2 "a Klipper tree with a space is refused"
like "$out" "contains a space: Klipper's make cannot build with it \(it recurses forever\)" "the space is explained"

# --mcu is checked against the MCUs of the Klipper tree's src/*/Kconfig
before=$(cat "$BOARDS")
out=$("$FLASHBAY" board add typo --mcu stm32h733 --serial-pattern 'usb-Klipper_stm32h733xx_ABCDEF0123456789*' 2>&1)
is "$?" 2 "an MCU the Klipper tree does not know: exit 2"
like "$out" "unknown MCU 'stm32h733': the Klipper tree '$T/klipper' builds for no such processor" \
	"explained, naming the tree"
like "$out" "did you mean: stm32h723, stm32h743" "the nearest MCUs the tree knows are proposed"
is "$(cat "$BOARDS")" "$before" "nothing registered"
ok "$([ ! -e "$CONFIGS/typo" ]; echo $?)" "no config folder made"
out=$("$FLASHBAY" board add typo --mcu zilog80 --serial-pattern 'usb-Klipper_z_ABCDEF0123456789*' 2>&1)
is "$?" 2 "an MCU nothing is near: exit 2"
like "$out" "unknown MCU 'zilog80'.*'make menuconfig' in the tree lists them" "pointed to menuconfig"
# without a Klipper tree the check is skipped, and said so
printf '[klipper]\nboards = %s/notree-boards.ini\nklipper_dir = %s/no-tree\n' "$T" "$T" > "$T/notree.conf"
out=$("$FLASHBAY" --config "$T/notree.conf" board add typo --mcu stm32h733 \
	--serial-pattern 'usb-Klipper_stm32h733xx_ABCDEF0123456789*' 2>&1)
is "$?" 0 "no Klipper tree: the MCU cannot be checked, the board is registered"
like "$out" "warning: MCU 'stm32h733' not checked: no Klipper tree at '$T/no-tree'" "the skipped check is said"

# show
out=$("$FLASHBAY" board show octopus)
is "$?" 0 "show"
like "$out" "name: +Octopus Pro" "show: name"
like "$out" "serial pattern: +usb-Klipper_stm32h723xx_29001A001151313531383332\*" "show: pattern"
like "$out" "method: +katapult \(default\)" "show: the default method"
like "$out" "config mcu: +stm32h723xx \(matches\), builds klipper.bin with a bootloader offset" "show: config check"
like "$out" "build folder: +$BUILD/octopus/$" "show: per-board build folder with the trailing slash"
out=$("$FLASHBAY" board show nitehawk)
like "$out" "config problem: +board 'nitehawk' has no Klipper configuration yet .* flashbay board menuconfig nitehawk" "show: missing config"
like "$out" "method: +make_flash$" "show: the board's own method"
out=$("$FLASHBAY" board show nope 2>&1)
is "$?" 2 "show of an unknown board: exit 2"
like "$out" "no board named 'nope'" "explained"

# a config for the wrong MCU in the cache
cp "$FX/configs/klipper-default-avr.config" "$CONFIGS/octopus/.config"
out=$("$FLASHBAY" board show octopus)
like "$out" "registered as mcu stm32h723 but its configuration .* is for atmega2560 \(CONFIG_MCU\); fix it with: flashbay board menuconfig octopus" "MCU mismatch shown with the fix"

# menuconfig refuses without a terminal, before anything runs
out=$("$FLASHBAY" board menuconfig octopus </dev/null 2>&1)
is "$?" 2 "menuconfig without a terminal: exit 2"
like "$out" "menuconfig needs a terminal" "explained"
out=$("$FLASHBAY" board menuconfig nope 2>&1)
is "$?" 2 "menuconfig of an unknown board: exit 2"

# a missing Klipper tree: build and menuconfig refuse alike (exit 2), nothing done
printf '[klipper]\nklipper_dir = %s/no-tree\n' "$T" > "$T/gone.conf"
out=$("$FLASHBAY" --config "$T/gone.conf" board build octopus 2>&1)
is "$?" 2 "board build with no Klipper tree: exit 2, as menuconfig"
like "$out" "board build: no Klipper tree at '$T/no-tree'" "explained"
ok "$([ ! -e "$BUILD/octopus" ]; echo $?)" "nothing was built"
out=$("$FLASHBAY" --config "$T/gone.conf" board menuconfig octopus 2>&1)
is "$?" 2 "board menuconfig with no Klipper tree: exit 2"
like "$out" "board menuconfig: no Klipper tree at '$T/no-tree'" "explained the same way"
out=$("$FLASHBAY" --config "$T/gone.conf" board flash octopus 2>&1)
is "$?" 2 "board flash with no Klipper tree: exit 2 too"
like "$out" "board flash: no Klipper tree at" "explained"

# remove: the cached config is kept unless --delete-config
mkdir -p "$BUILD/nitehawk" "$CONFIGS/nitehawk"
: > "$CONFIGS/nitehawk/.config"
out=$("$FLASHBAY" board remove nitehawk 2>&1)
is "$?" 0 "remove"
like "$out" "Kept its configuration in $CONFIGS/nitehawk \(--delete-config deletes it\)" "remove keeps the config, and says how to delete it"
ok "$([ -e "$CONFIGS/nitehawk/.config" ]; echo $?)" "the kept config is still there"
ok "$([ ! -e "$BUILD/nitehawk" ]; echo $?)" "its build folder is gone"
out=$("$FLASHBAY" board remove octopus --delete-config 2>&1)
is "$?" 0 "remove --delete-config"
like "$out" "Deleted its configuration $CONFIGS/octopus" "--delete-config deletes it"
ok "$([ ! -e "$CONFIGS/octopus" ]; echo $?)" "its config folder is gone"
is "$(sed -n 's/^\[\(.*\)\]$/\1/p' "$BOARDS")" "ebb" "only ebb left"
out=$("$FLASHBAY" board remove octopus 2>&1)
is "$?" 2 "removing it again: exit 2"

# a hand-edited file with an error: reported with file:line, never rewritten
printf '[ebb]\nmcu = stm32g0b1\nserial_pattern = usb-Klipper_stm32g0b1xx_0123456789ABCDEF*\nmethod = dfu\n' > "$BOARDS"
cp "$BOARDS" "$T/boards.before"
out=$("$FLASHBAY" board add x --mcu rp2040 --serial-pattern 'usb-x_ABCDEF0123456789*' 2>&1)
is "$?" 2 "add to a broken registry: exit 2"
like "$out" "boards.ini:4: \[ebb\] method 'dfu' is not one of: katapult, make_flash, default" "the error names file:line"
like "$out" "the board registry has errors; nothing was changed" "nothing changed"
cmp -s "$BOARDS" "$T/boards.before"
ok $? "the broken file is byte-identical"
out=$("$FLASHBAY" board remove ebb 2>&1)
cmp -s "$BOARDS" "$T/boards.before"
ok $? "remove leaves it alone too"

# --config after 'board' keeps its global meaning outside add
printf '[klipper]\nboards = %s/other-boards.ini\n' "$T" > "$T/alt.conf"
out=$("$FLASHBAY" board show ebb --config "$T/alt.conf" 2>&1)
like "$out" "no board named 'ebb' in $T/other-boards.ini" "board show --config FILE reads FILE as flashbay.conf"
out=$("$FLASHBAY" --config "$T/alt.conf" board add y --mcu rp2040 --serial-pattern 'usb-x_ABCDEF0123456789*' 2>&1)
is "$?" 0 "global --config before the command still works with add"
ok "$(grep -q '^\[y\]' "$T/other-boards.ini"; echo $?)" "and add wrote to the registry it names"
done_testing
