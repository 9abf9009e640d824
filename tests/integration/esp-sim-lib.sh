# tests/integration/esp-sim-lib.sh - the real esptool (../shared/tools) against
# simulated ESP32 boards (../shared/sim/esp_rom_sim.py), each on its own pty.
# Source after tests/lib.sh.
#
# Where the real tools are: $FLASHBAY_SHARED (default: the folder "shared"
# beside the source tree). FLASHBAY_TEST_ESPTOOL may name another real esptool;
# then only that one is tested. Without a real esptool, or without the Python
# packages it needs, the whole test is reported as skipped with the reason,
# never as passed.
#
#   ESPTOOLS           "v4 v5" (or "custom" with FLASHBAY_TEST_ESPTOOL)
#   esptool_path VER   the executable for v4, v5 or custom
#   sim_start NAME MAC [SIM OPTIONS...]
#                      a simulated board whose port is $SIMDEV/NAME (a symlink
#                      to its pty) and whose flash is $T/simflash/NAME.bin;
#                      returns once the port exists. The simulator's stderr is
#                      in $T/sim-NAME.err.
#   sim_start_at LINK NAME MAC [SIM OPTIONS...]
#                      the same with the port at LINK (e.g. a fake /dev tree's
#                      ttyUSB0 for the --no-udev scanner)
#   sim_stop NAME      ends that board's simulator (its port goes away)
#   sim_stop_all       ends every simulator (also done at exit)
#   sim_landed NAME OFFSET FILE
#                      true if FILE's bytes are in NAME's flash at OFFSET
#   sim_landed_fw NAME true if $T/fw/boot.bin, part.bin and app.bin are in
#                      NAME's flash at 0x1000, 0x8000 and 0x10000
#   sim_mac I VNUM     the MAC of board I for esptool vVNUM (24:0a:c4:VV:00:II)
#   sim_boards VER VNUM N
#                      start boards VERb0 .. VERb(N-1) (MACs from sim_mac) and
#                      set $ports to "--port ..." for each
#   sim_conf FILE VER [EXTRA INI TEXT]
#                      writes a flashbay config for esptool VER (no_reset both
#                      ways: a pty has no DTR/RTS), locks in $T/simlocks
#   make_image FILE SIZE SEED
#                      a random (incompressible-ish) image of SIZE bytes

SHARED=${FLASHBAY_SHARED:-$(cd "$srcdir/.." 2>/dev/null && pwd)/shared}
SIM_PY=/usr/bin/python3
SIMDEV="$T/simdev"
mkdir -p "$SIMDEV" "$T/simflash" "$T/simlocks"
sim_pids=""

if [ -n "${FLASHBAY_TEST_ESPTOOL:-}" ]; then
	ESPTOOLS=custom
else
	[ -d "$SHARED/tools" ] || skip_all "no real esptool: $SHARED/tools is absent (set FLASHBAY_SHARED or FLASHBAY_TEST_ESPTOOL)"
	ESPTOOLS="v4 v5"
fi
[ -f "$SHARED/sim/esp_rom_sim.py" ] || skip_all "no ESP32 simulator: $SHARED/sim/esp_rom_sim.py is absent"
[ -x "$SIM_PY" ] || skip_all "$SIM_PY is needed by the real esptool and the simulator"
"$SIM_PY" -c 'import serial, bitstring, cryptography, ecdsa, intelhex, yaml' 2>/dev/null ||
	skip_all "the real esptool needs Debian's python3-serial python3-bitstring python3-cryptography python3-ecdsa python3-intelhex python3-yaml"

esptool_path() {
	case $1 in
	v4) printf '%s' "$SHARED/tools/esptool-4.12.0/bin/esptool" ;;
	v5) printf '%s' "$SHARED/tools/esptool-5.3.1/bin/esptool" ;;
	*) printf '%s' "$FLASHBAY_TEST_ESPTOOL" ;;
	esac
}
if [ "$ESPTOOLS" = "v4 v5" ]; then
	"$SIM_PY" -c 'import click, rich_click, rich' 2>/dev/null ||
		skip_all "esptool v5 needs Debian's python3-click python3-rich-click python3-rich"
fi

sim_start() {
	sim_start_at "$SIMDEV/$1" "$@"
}

sim_start_at() {
	link=$1
	name=$2
	mac=$3
	shift 3
	rm -f "$link"
	"$SIM_PY" "$SHARED/sim/esp_rom_sim.py" --link "$link" --flash-file "$T/simflash/$name.bin" \
		--flash-size 4MB --mac "$mac" --max-idle 300 "$@" > "$T/sim-$name.out" 2> "$T/sim-$name.err" &
	eval "sim_pid_$name=$!"
	sim_pids="$sim_pids $!"
	wait_until 15 test -s "$T/sim-$name.out" && wait_until 5 test -e "$link"
}

sim_stop() {
	eval "p=\${sim_pid_$1:-}"
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	eval "sim_pid_$1="
	# never signal that pid again (it may be reused)
	sim_pids=$(printf '%s\n' $sim_pids | grep -vx "$p" | tr '\n' ' ')
	return 0
}

sim_stop_all() {
	for p in $sim_pids; do kill "$p" 2>/dev/null; done
	for p in $sim_pids; do wait "$p" 2>/dev/null; done
	sim_pids=""
	return 0
}
on_exit sim_stop_all

sim_landed() {
	"$SIM_PY" - "$T/simflash/$1.bin" "$2" "$3" <<'PY'
import sys
flash = open(sys.argv[1], "rb").read()
off = int(sys.argv[2], 0)
img = open(sys.argv[3], "rb").read()
sys.exit(0 if flash[off:off + len(img)] == img else 1)
PY
}

sim_landed_fw() {
	sim_landed "$1" 0x1000 "$T/fw/boot.bin" && sim_landed "$1" 0x8000 "$T/fw/part.bin" &&
		sim_landed "$1" 0x10000 "$T/fw/app.bin"
}
sim_mac() { printf '24:0a:c4:%02x:00:%02x' "$2" "$1"; }
sim_boards() {
	ports=""
	_i=0
	while [ $_i -lt "$3" ]; do
		sim_start "$1b$_i" "$(sim_mac $_i "$2")" || diag "$1: simulator $1b$_i did not start"
		ports="$ports --port $SIMDEV/$1b$_i"
		_i=$((_i + 1))
	done
}

make_image() {
	"$SIM_PY" - "$1" "$2" "$3" <<'PY'
import random, sys
r = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(bytes(r.randrange(256) for _ in range(int(sys.argv[2]))))
PY
}

sim_conf() {
	{
		printf '[station]\nname = sim-bench\nmax_workers = 8\nlock_dir = %s\n' "$T/simlocks"
		printf '[esp32]\nesptool = %s\nbefore = no_reset\nafter = no_reset\n' "$(esptool_path "$2")"
		printf '%b' "${3:-}"
	} > "$1"
}
