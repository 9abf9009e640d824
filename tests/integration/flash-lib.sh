# flash-lib.sh - a bench of fake ESP32 boards for the flash/monitor tests:
# the fake esptool on PATH (v5 as `esptool`, v4 as `esptool.py` in $T/v4),
# ports that are real terminals (ptys held by tests/helper/ptyhold, linked
# as $T/ports/ttyUSBi), a config, a history, no udev.
#
#   fb ARGS...         flashbay with the test config, history and empty device roots
#   make_ports N       $T/ports/ttyUSB0 .. ttyUSB(N-1): links to ptys, held open
#                      until the test ends (once per test)
#   port_args N        "--port $T/ports/ttyUSB0 ... " for N ports
#   landed PORT        true if the images are in PORT's fake flash at their offsets
#   json_field FIELD   reads JSON lines on stdin, prints FIELD of each object (one per line)
#   fakes_running      how many fake esptool processes run now
#   db_lock DB         another process holds DB's write lock (BEGIN EXCLUSIVE;
#                      in WAL mode readers go on) until db_unlock (or the end)

FAKE_DIR=$(cd "$srcdir/tests/fake" && pwd)
mkdir -p "$T/bin" "$T/v4" "$T/py" "$T/ports" "$T/flash" "$T/locks" "$T/sys/class/tty" \
	"$T/dev/serial/by-id" "$T/fw"
ln -s "$FAKE_DIR/esptool" "$T/bin/esptool"
ln -s "$FAKE_DIR/esptool" "$T/v4/esptool.py"
# the fake starts with "#!/usr/bin/env python3": the real interpreter first on PATH
ln -s "$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)')" "$T/py/python3"
export PATH="$T/py:$T/bin:$PATH"
export FAKE_ESPTOOL_FLASH_DIR="$T/flash" FAKE_ESPTOOL_FAIL_DELAY=0 FAKE_ESPTOOL_LOG="$T/argv.log"
unset FAKE_ESPTOOL_BEHAVIOUR FAKE_ESPTOOL_MAC FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_STRICT \
	FAKE_ESPTOOL_VERSION 2>/dev/null

# two images: a bootloader and a small app (random, so a wrong offset shows)
"${PYTHON3:-python3}" - "$T/fw" <<'PY'
import random, sys
r = random.Random(7)
open(sys.argv[1] + "/boot.bin", "wb").write(bytes(r.randrange(256) for _ in range(20000)))
open(sys.argv[1] + "/app.bin", "wb").write(bytes(r.randrange(256) for _ in range(65536)))
PY

cat > "$T/fb.conf" <<CONF
[station]
name = test-bench
max_workers = 4
lock_dir = $T/locks
[esp32]
timeout = 60
[firmware]
0x1000 = fw/boot.bin
0x10000 = fw/app.bin
CONF

# FBCONF: the configuration to use (a copy of fb.conf with additions)
FBCONF="$T/fb.conf"
fb() {
	"$FLASHBAY" --config "$FBCONF" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/history.db" "$@"
}

make_ports() {
	"$builddir/tests/helper/ptyhold" "$T/ports" "$1" > "$T/ptyhold.out" &
	ptyhold_pid=$!
	on_exit stop_ptyhold
	wait_until 10 grep -q '^ready$' "$T/ptyhold.out" ||
		{ echo "Bail out! ptyhold did not make the ports"; exit 1; }
}
stop_ptyhold() { kill "$ptyhold_pid" 2>/dev/null; wait "$ptyhold_pid" 2>/dev/null; }

port_args() {
	i=0
	while [ $i -lt "$1" ]; do
		printf -- '--port %s ' "$T/ports/ttyUSB$i"
		i=$((i + 1))
	done
}

landed() {
	"${PYTHON3:-python3}" - "$T/flash/$1.bin" "$T/fw" <<'PY'
import sys
flash = open(sys.argv[1], "rb").read()
boot = open(sys.argv[2] + "/boot.bin", "rb").read()
app = open(sys.argv[2] + "/app.bin", "rb").read()
sys.exit(0 if flash[0x1000:0x1000 + len(boot)] == boot and flash[0x10000:0x10000 + len(app)] == app else 1)
PY
}

json_field() {
	"${PYTHON3:-python3}" -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        d = json.loads(line)
        v = d
        for k in sys.argv[1].split("."):
            v = v.get(k) if isinstance(v, dict) else None
        print(v)' "$1"
}

# with_conf NAME TEXT: $T/NAME = fb.conf + TEXT (later keys win); prints its path
with_conf() {
	{ cat "$T/fb.conf"; printf '%b' "$2"; } > "$T/$1"
	printf '%s' "$T/$1"
}

fakes_running() { pgrep -f "$T/bin/esptool|$T/v4/esptool.py" 2>/dev/null | wc -l; }
no_fakes() { [ "$(fakes_running)" -eq 0 ]; }

db_locker=
db_lock() {
	rm -f "$T/lock.ready"
	"${PYTHON3:-python3}" - "$1" "$T/lock.ready" <<'PYEOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
c.execute("SELECT count(*) FROM attempts").fetchall()
open(sys.argv[2], "w").close()
time.sleep(120)
PYEOF
	db_locker=$!
	wait_until 15 test -e "$T/lock.ready"
}
db_unlock() {
	[ -n "$db_locker" ] || return 0
	kill "$db_locker" 2>/dev/null
	wait "$db_locker" 2>/dev/null
	db_locker=
	true
}
on_exit db_unlock
