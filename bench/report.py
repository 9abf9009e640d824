#!/usr/bin/env python3
"""bench/report.py - the table and bench/results.json of one bench/run.

  report.py ROWS SCRIPTS JSON TODO STARTED BUILDDIR SANITIZERS
  report.py --readme [JSON]    the table of JSON (default bench/results.json)
                               without the how column, with its machine: the
                               text of the README's Performance section

ROWS holds "script<TAB>FIGURE<TAB>no<TAB>name<TAB>value<TAB>goal<TAB>how" lines
(also the older form without "no"); SCRIPTS "script<TAB>seconds<TAB>status";
TODO the "script:no" list bench/run ran, whose numbers are the defaults for
figures printed without one. The table goes to stdout, sorted by figure number
(the issue's 1..8), then in the order the scripts printed them.
"""

import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import textwrap
import time

TITLES = {
    1: "Parallel efficiency vs GNU parallel",
    2: "Terminal bytes per second (dashboard)",
    3: "Idle wake-ups",
    4: "Memory",
    5: "Start-up",
    6: "Hot-plug latency",
    7: "History",
    8: "Klipper",
    9: "Other",
}
# figures printed without a number: the number by the words in their names
# (the dashboard script measures parts of figures 2, 3, 4 and 5)
KEYWORDS = [(r"wake", 3), (r"\bRSS\b|memory|VmHWM", 4), (r"first frame|start-?up", 5),
            (r"plug", 6)]


def parse_rows(path, defaults):
    rows = []
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.rstrip("\n").split("\t")
        script, f = f[0], f[2:]
        if len(f) >= 5 and f[0].isdigit():
            no, f = int(f[0]), f[1:]
        else:
            no = 0
        f = (f + ["", "", "", ""])[:4]
        if no == 0:
            no = next((n for pat, n in KEYWORDS if re.search(pat, f[0], re.I)),
                      defaults.get(script, 9))
        rows.append({"no": no, "section": TITLES.get(no, TITLES[9]), "figure": f[0],
                     "value": f[1], "goal": f[2], "how": f[3], "script": script})
    rows.sort(key=lambda r: r["no"])  # stable: each script's own order kept
    return rows


def first_match(path, pattern):
    try:
        for line in open(path):
            m = re.match(pattern, line)
            if m:
                return m.group(1).strip().strip('"')
    except OSError:
        pass
    return None


def machine():
    cpu = (first_match("/proc/cpuinfo", r"model name\s*:(.*)")
           or first_match("/proc/cpuinfo", r"Model\s*:(.*)")
           or first_match("/proc/cpuinfo", r"Hardware\s*:(.*)") or platform.machine())
    mem = first_match("/proc/meminfo", r"MemTotal:\s*(\d+)")
    virt = None
    if shutil.which("systemd-detect-virt"):
        r = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True)
        virt = r.stdout.strip() or None
    try:
        load = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "memory_mib": int(mem) // 1024 if mem else None,
        "kernel": platform.release(),
        "os": first_match("/etc/os-release", r"PRETTY_NAME=(.*)"),
        "virtualization": virt,
        "load_average": load,
    }


def table(rows, how=True):
    cols = [("#", "no"), ("FIGURE", "figure"), ("VALUE", "value"), ("GOAL", "goal")]
    width = {k: max([len(h)] + [len(str(r[k])) for r in rows]) for h, k in cols}
    lines = []
    fmt = lambda vals: "  ".join(str(v).ljust(width[k]) for v, (_, k) in zip(vals, cols))
    lines.append((fmt([h for h, _ in cols]) + ("  HOW MEASURED" if how else "")).rstrip())
    for r in rows:
        lines.append((fmt([r[k] for _, k in cols]) + ("  " + r["how"] if how else "")).rstrip())
    return "\n".join(lines)


def describe(m):
    """One line about the machine m (from machine())."""
    virt = m.get("virtualization")
    return "%s, %d cores, %s MiB, %s, Linux %s%s" % (
        m["cpu"], m["cores"], m["memory_mib"], m["os"] or "?", m["kernel"],
        ", " + virt if virt and virt != "none" else "")


def readme(path):
    doc = json.load(open(path))
    print("\n".join("    " + line for line in table(doc["figures"], how=False).split("\n")))
    print()
    print(textwrap.fill("Taken %s on %s; load average at the end %s; bench/run took %d min "
                        "%d s." % (doc["taken"], describe(doc["machine"]),
                                   doc["machine"].get("load_average"), doc["seconds"] // 60,
                                   doc["seconds"] % 60), 78))


def main():
    if sys.argv[1:2] == ["--readme"]:
        here = os.path.dirname(os.path.abspath(__file__))
        readme(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "results.json"))
        return
    rows_path, runs_path, out, todo, started, builddir, sanitizers = sys.argv[1:8]
    defaults = {}
    for item in todo.split():
        name, _, no = item.partition(":")
        defaults[name] = int(no) if no.isdigit() else 9
    rows = parse_rows(rows_path, defaults)
    scripts = []
    for line in open(runs_path):
        name, secs, status = line.rstrip("\n").split("\t")
        scripts.append({"script": name, "seconds": int(secs), "status": status})
    m = machine()
    now = datetime.datetime.now(datetime.timezone.utc)
    took = int(time.time()) - int(started)
    print("flashbay bench, %s: %s" % (now.strftime("%Y-%m-%d %H:%M UTC"), describe(m)))
    if m["load_average"]:
        print("load average at the end (1, 5, 15 min): %s; other work on the machine "
              "shows in the figures" % m["load_average"])
    if sanitizers == "yes":
        print("NOTE: this build uses sanitizers; its figures are not representative")
    print()
    print(table(rows))
    print()
    print("bench took %d min %d s; written to %s" % (took // 60, took % 60, out))
    doc = {
        "taken": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": m,
        "build": {"dir": builddir, "sanitizers": sanitizers == "yes"},
        "seconds": took,
        "scripts": scripts,
        "figures": rows,
    }
    try:
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        os.replace(tmp, out)
    except OSError as e:
        sys.stderr.write("bench: cannot write '%s': %s\n" % (out, e.strerror))
        sys.exit(1)


if __name__ == "__main__":
    main()
