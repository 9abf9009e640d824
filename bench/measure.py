#!/usr/bin/env python3
"""bench/measure.py - measuring helpers for the bench/*.sh figure scripts.

  measure.py median RUNS -- CMD ARGS...
      Run CMD RUNS times (output discarded); print "median_ms=... min_ms=...".
  measure.py gen-umockdev N FILE [FIRST]
      Write a .umockdev file with N USB serial ESP32 boards (CP2102 and CH340
      alternately), numbered from FIRST (default 0): ttyUSB<i>, hub port 1-H.P,
      serial, /dev/serial/by-id and by-path links, as udev would describe them.
  measure.py gen-tree N ROOT [FIRST]
      The same boards as a fake sysfs and /dev tree under ROOT, for --no-udev.
  measure.py argv-lines LOG TOOL
      The esptool runs recorded in FAKE_ESPTOOL_LOG (one JSON argv a line),
      "version" queries left out, as shell command lines "TOOL ARGS..." with
      every word quoted: the identical command lines for GNU parallel.
  measure.py hotplug MODE N DIR -- CMD ARGS...
      Hot-plug latency of `flashbay monitor` (CMD): plug N boards one after
      the other, each a new one; time from the plug to the monitor's [Plug]
      line and to its [Connect] line (the esptool job started), read as they
      arrive through a pipe with a monotonic clock. MODE udev: CMD is run by
      tests/helper/umockdev-ctl (its path in $UMOCKDEV_CTL, FIFO DIR/ctl) and
      a plug is the "add" command written to it. MODE tree: CMD watches the
      fake tree DIR/root (--no-udev) and a plug creates a board's files there.
      Prints "plug_ms=a,b,... connect_ms=a,b,... add_ms=a,b,...".
"""

import json
import os
import shlex
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time

RUNNING = []  # the pid of a hotplug run's monitor (or umockdev-ctl)
MODELS = [
    # vid, pid, manufacturer, product, driver, by-id prefix
    ("10c4", "ea60", "Silicon Labs", "CP2102 USB to UART Bridge Controller", "cp210x",
     "usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_"),
    ("1a86", "7523", "QinHeng Electronics", "USB Serial", "ch341-uart", "usb-1a86_USB_Serial_"),
]


def die(msg):
    """Report msg and exit 2 (the monitor of a hotplug run is stopped first)."""
    sys.stderr.write("measure.py: %s\n" % msg)
    if RUNNING:
        stop_tree(RUNNING[0])
    sys.exit(2)


def split_cmd(argv):
    """The arguments before '--' and the command after it."""
    if "--" not in argv:
        die("missing '--' before the command")
    i = argv.index("--")
    if i + 1 >= len(argv):
        die("no command after '--'")
    return argv[:i], argv[i + 1:]


def cmd_median(argv):
    opts, cmd = split_cmd(argv)
    times = []
    for _ in range(int(opts[0])):
        t0 = time.monotonic()
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append((time.monotonic() - t0) * 1000.0)
    print("median_ms=%.1f min_ms=%.1f" % (statistics.median(times), min(times)))


def board(i):
    """Everything about board i of a generated set."""
    vid, pid, man, prod, driver, byid = MODELS[i % len(MODELS)]
    hub, port = i // 8 + 1, i % 8 + 1
    usb = "/devices/pci0000:00/0000:00:14.0/usb1/1-%d/1-%d.%d" % (hub, hub, port)
    ifc = "%s/1-%d.%d:1.0" % (usb, hub, port)
    tty = "ttyUSB%d" % i
    return {
        "usb": usb, "ifc": ifc, "tty": tty, "ttypath": "%s/%s/tty/%s" % (ifc, tty, tty),
        "vid": vid, "pid": pid, "manufacturer": man, "product": prod, "driver": driver,
        "serial": "FB%06d" % i, "byid": "%sFB%06d-if00-port0" % (byid, i),
        "idpath": "pci-0000:00:14.0-usb-0:%d.%d:1.0" % (hub, port),
    }


def umockdev_text(b, minor, part="all"):
    """Board b as umockdev records; part "parents" (the USB device, its
    interface and usb-serial port), "tty" (the tty alone) or "all"."""
    byid = "serial/by-id/" + b["byid"]
    bypath = "serial/by-path/%s-port0" % b["idpath"]
    parents = [
        "P: " + b["usb"], "E: SUBSYSTEM=usb", "E: DEVTYPE=usb_device",
        "A: idVendor=" + b["vid"], "A: idProduct=" + b["pid"], "A: serial=" + b["serial"],
        "A: manufacturer=" + b["manufacturer"], "A: product=" + b["product"], "",
        "P: " + b["ifc"], "E: SUBSYSTEM=usb", "E: DEVTYPE=usb_interface",
        "A: bInterfaceNumber=00",
        "L: driver=../../../../../../../bus/usb/drivers/" + b["driver"], "",
        "P: %s/%s" % (b["ifc"], b["tty"]), "E: SUBSYSTEM=usb-serial",
        "L: driver=../../../../../../../../bus/usb-serial/drivers/" + b["driver"], ""]
    tty = [
        "P: " + b["ttypath"], "N: %s=00" % b["tty"], "S: " + byid, "S: " + bypath,
        "E: SUBSYSTEM=tty", "E: DEVNAME=/dev/" + b["tty"], "E: MAJOR=188",
        "E: MINOR=%d" % minor, "E: ID_PATH=" + b["idpath"],
        "E: DEVLINKS=/dev/%s /dev/%s" % (byid, bypath), "A: dev=188:%d" % minor, "", ""]
    lines = {"parents": parents + [""], "tty": tty, "all": parents + tty}[part]
    return "\n".join(lines)


def cmd_gen_umockdev(argv):
    n, path = int(argv[0]), argv[1]
    first = int(argv[2]) if len(argv) > 2 else 0
    with open(path, "w") as f:
        for i in range(first, first + n):
            f.write(umockdev_text(board(i), i))


def tree_add(root, b):
    """Create board b in a fake sysfs/dev tree (the layout of devices-scan.sh)."""
    usb = root + "/sys" + b["usb"]
    tty = "%s/sys%s" % (root, b["ttypath"])
    os.makedirs(tty, exist_ok=True)
    os.makedirs(root + "/sys/class/tty", exist_ok=True)
    for name in ("idVendor", "idProduct", "serial", "manufacturer", "product"):
        key = {"idVendor": "vid", "idProduct": "pid"}.get(name, name)
        with open("%s/%s" % (usb, name), "w") as f:
            f.write(b[key] + "\n")
    with open(tty + "/uevent", "w") as f:
        f.write("DEVNAME=%s\n" % b["tty"])
    for d in ("by-id", "by-path"):
        os.makedirs("%s/dev/serial/%s" % (root, d), exist_ok=True)
    open("%s/dev/%s" % (root, b["tty"]), "w").close()
    os.symlink("../../%s" % b["tty"], "%s/dev/serial/by-id/%s" % (root, b["byid"]))
    os.symlink("../../%s" % b["tty"],
               "%s/dev/serial/by-path/%s-port0" % (root, b["idpath"]))
    # the class link last: the scanner sees a complete device
    os.symlink("../../%s" % b["ttypath"][1:], "%s/sys/class/tty/%s" % (root, b["tty"]))


def tree_remove(root, b):
    os.unlink("%s/sys/class/tty/%s" % (root, b["tty"]))
    os.unlink("%s/dev/serial/by-id/%s" % (root, b["byid"]))
    os.unlink("%s/dev/serial/by-path/%s-port0" % (root, b["idpath"]))
    os.unlink("%s/dev/%s" % (root, b["tty"]))
    shutil.rmtree(root + "/sys" + b["usb"])


def cmd_gen_tree(argv):
    n, root = int(argv[0]), argv[1]
    first = int(argv[2]) if len(argv) > 2 else 0
    os.makedirs(root + "/sys/class/tty", exist_ok=True)
    os.makedirs(root + "/dev", exist_ok=True)
    for i in range(first, first + n):
        tree_add(root, board(i))


def cmd_argv_lines(argv):
    with open(argv[0]) as f:
        for line in f:
            args = json.loads(line)
            if args != ["version"]:
                print(" ".join(shlex.quote(a) for a in [argv[1]] + args))


class Reader:
    """Lines of a pipe, each stamped with time.monotonic() as it arrives."""

    def __init__(self, fd, log):
        self.fd, self.buf, self.log, self.lines = fd, b"", log, []

    def until(self, pred, start=0, timeout=30.0):
        """The first (time, line) from index start on with pred(line) true;
        reads more as needed; dies on timeout or EOF."""
        end = time.monotonic() + timeout
        i = start
        while True:
            for t, text in self.lines[i:]:
                if pred(text):
                    return t, text
            i = len(self.lines)
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                die("timed out waiting for the monitor (see %s)" % self.log.name)
            data = os.read(self.fd, 65536)
            stamp = time.monotonic()
            if not data:
                die("the monitor ended early (see %s)" % self.log.name)
            self.buf += data
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                self.log.write("%.6f %s\n" % (stamp, text))
                self.lines.append((stamp, text))


def descendants(pid):
    """pid and every process below it."""
    children = {}
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def stop_tree(pid):
    """SIGTERM to pid, everything below it and their process groups (the
    monitor runs in a session of its own, its jobs in groups of their own)."""
    for p in descendants(pid):
        for kill in (os.killpg, os.kill):
            try:
                kill(p, signal.SIGTERM)
            except OSError:
                pass


def cmd_hotplug(argv):
    opts, cmd = split_cmd(argv)
    mode, n, work = opts[0], int(opts[1]), opts[2]
    log = open(work + "/hotplug.out", "w")
    rd, wr = os.pipe()
    if mode == "udev":
        fifo = work + "/ctl"
        os.mkfifo(fifo)
        cmd = [os.environ["UMOCKDEV_CTL"], fifo, "--"] + cmd
    root = work + "/root"
    os.makedirs(root + "/sys/class/tty", exist_ok=True)
    os.makedirs(root + "/dev", exist_ok=True)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=wr, stderr=wr,
                         start_new_session=True)
    os.close(wr)
    RUNNING.append(p.pid)

    def on_term(signum, frame):
        stop_tree(p.pid)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    r = Reader(rd, log)
    ctl = None
    if mode == "udev":
        r.until(lambda s: s == "ready")
        ctl = open(fifo, "w")
    r.until(lambda s: s.startswith("[Monitor]"))
    plug, conn, add = [], [], []
    for i in range(n):
        b = board(i)
        mark = len(r.lines)
        t0 = time.monotonic()
        if ctl:
            # the USB device first, then (timed) the tty: its "add" is the one
            # the monitor acts on, and umockdev's add of one device is short
            path = "%s/plug%d" % (work, i)
            for part in ("parents", "tty"):
                with open("%s-%s.umockdev" % (path, part), "w") as f:
                    f.write(umockdev_text(b, i, part))
            ctl.write("add %s-parents.umockdev\n" % path)
            ctl.flush()
            r.until(lambda s: s == "ok add %s-parents.umockdev" % path, mark)
            path += "-tty.umockdev"
            mark = len(r.lines)
            t0 = time.monotonic()
            ctl.write("add %s\n" % path)
            ctl.flush()
        else:
            tree_add(root, b)
        mine = lambda tag: lambda s: s.startswith(tag) and s.split()[3:4] == [b["tty"]]
        t1, _ = r.until(mine("[Plug]"), mark)
        t2, _ = r.until(mine("[Connect]"), mark)
        if ctl:
            t3, _ = r.until(lambda s: s == "ok add " + path, mark)
            add.append(t3 - t0)
        plug.append(t1 - t0)
        conn.append(t2 - t0)
        r.until(mine("[Done]"), mark)
        mark = len(r.lines)
        if ctl:
            ctl.write("unplug /sys%s\n" % b["ttypath"])
            ctl.flush()
        else:
            tree_remove(root, b)
        r.until(mine("[Unplug]"), mark)
    if ctl:
        ctl.write("quit\n")
        ctl.flush()
    else:
        os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        stop_tree(p.pid)
    ms = lambda v: ",".join("%.1f" % (x * 1000) for x in v) or "-"
    print("plug_ms=%s connect_ms=%s add_ms=%s" % (ms(plug), ms(conn), ms(add)))


def main():
    cmds = {"median": cmd_median, "gen-umockdev": cmd_gen_umockdev,
            "gen-tree": cmd_gen_tree, "argv-lines": cmd_argv_lines, "hotplug": cmd_hotplug}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        die("usage: measure.py median|gen-umockdev|gen-tree|argv-lines|hotplug ... (see its top)")
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
