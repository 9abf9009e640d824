#!/bin/sh
# flashbay export --csv: RFC 4180, every column, read back by Python's csv
# module equal to the database; formulas guarded; written atomically.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/history-lib.sh"

out=$(fb export --csv - 2>"$T/err")
is "$?" 0 "export without a history: exit 0"
is "$out" "$(printf 'id,period,started_at,finished_at,station,slot,port,by_path,vid,pid,usb_serial,unit,chip,mac,board,method,outcome,failure_class,message,exit_code,duration_ms,bytes_written,kbps,firmware_sha256,firmware_size,firmware,device,by_id,reached,serial,unit_sha256,unit_label,output\r')" \
	"... writes the header row only"
like "$(cat "$T/err")" "no history yet at .*history.db; writing the header only" "... and says why"
[ ! -e "$DB" ]
ok $? "... without creating a database"

load_dataset
# strings a spreadsheet or a CSV parser could trip over
"$PY" - <<'PYEOF' | "$TH" "$DB" load >/dev/null
rows = [
  "message=a, b and \"quoted\"\\nsecond line\toutput=line 1\\nline 2\\n",
  "message==HYPERLINK(\"http://x\",\"y\")\tstation=+41 79\tboard=-2+3",
  "message=@SUM(A1:A9)\tstation=\rcr first\tserial=caf\u00e9 \u2713",
  "message=\\ttab first\tchip=ESP32-S3 (QFN56)\tvid=303a\tpid=1001\tkbps=1234.5\tbytes=1048576\texit=0",
  "message=ends with CR\r\tby_path=pci-0000:00:14.0-usb-0:1.4:1.0",
]
import sys
for i, r in enumerate(rows):
    line = "unit=x%d\tslot=9\tstart=2025-06-02T09:%02d:00Z\tend=2025-06-02T09:%02d:10Z\tdur=10000\toutcome=failed\tclass=other\t" % (i, i, i) + r + "\n"
    sys.stdout.buffer.write(line.encode("utf-8"))
PYEOF
is "$(sql 'SELECT count(*) FROM attempts')" "14" "nine data-set rows and five tricky ones"

fb export --csv "$T/out/h.csv" 2>"$T/err"
is "$?" 1 "exporting into a missing folder: exit 1"
like "$(cat "$T/err")" "^flashbay export: cannot write '$T/out/h.csv': No such file or directory" \
	"... naming the file"
mkdir "$T/out"
fb export --csv "$T/out/h.csv"
is "$?" 0 "export --csv FILE exits 0"
is "$(ls "$T/out")" "h.csv" "no temporary file is left behind"

# parse it back and compare with the database, column by column
"$PY" - "$T/out/h.csv" "$DB" <<'PYEOF' > "$T/cmp"
import csv, sqlite3, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head, body = rows[0], rows[1:]
db = sqlite3.connect(sys.argv[2])
cols = ["a." + {"period": "period_id"}.get(c, c) for c in head if c != "output"] + ["o.output"]
want = db.execute("SELECT %s FROM attempts a LEFT JOIN attempt_output o ON o.attempt_id = a.id ORDER BY a.started_ms, a.id" % ", ".join(cols)).fetchall()
def cell(name, v):
    if v is None: return ""
    if name in ("vid", "pid"): return "%04x" % v
    if name == "kbps": return "%g" % v
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"): return "'" + v
    return str(v)
bad = [(i, h, r[j], cell(h, w[j])) for i, (r, w) in enumerate(zip(body, want)) for j, h in enumerate(head) if r[j] != cell(h, w[j])]
print("rows", len(body), len(want))
print("bad", bad[:3])
print("crlf", text.count("\r\n") >= len(body) + 1 and text.endswith("\r\n"))
print("header", ",".join(head))
PYEOF
is "$(sed -n 1p "$T/cmp")" "rows 14 14" "every row is exported"
is "$(sed -n 2p "$T/cmp")" "bad []" "Python's csv module reads back every value as stored"
is "$(sed -n 3p "$T/cmp")" "crlf True" "records end in CRLF"
like "$(sed -n 4p "$T/cmp")" "^header id,period,started_at,finished_at,station,slot,port,by_path,vid,pid,usb_serial,unit,chip,mac,board,method,outcome,failure_class,message,exit_code,duration_ms,bytes_written,kbps,firmware_sha256,firmware_size,firmware,device,by_id,reached,serial,unit_sha256,unit_label,output$" \
	"the header names every column"

csv=$(cat "$T/out/h.csv")
like "$csv" ",\"'=HYPERLINK\(\"\"http://x\"\",\"\"y\"\"\)\"," "= is guarded (and quotes doubled)"
like "$csv" ",'\+41 79," "+ is guarded"
like "$csv" ",'-2\+3," "- is guarded"
like "$csv" ",'@SUM\(A1:A9\)," "@ is guarded"
grep -q "$(printf ",'\ttab first,")" "$T/out/h.csv"
ok $? "a leading TAB is guarded"
grep -q "$(printf ",\"'\rcr first\",")" "$T/out/h.csv"
ok $? "a leading CR is guarded and quoted"
like "$csv" ",0,10000,1048576,1234.5,," "numbers are written plain, never guarded"
grep -q "café ✓" "$T/out/h.csv"
ok $? "UTF-8 is written as UTF-8"

fb export --csv - > "$T/stdout.csv"
cmp -s "$T/stdout.csv" "$T/out/h.csv"
ok $? "--csv - writes the same to stdout"
n=$(fb export --csv - --since 2025-06-02T09:02:00Z | "$PY" -c 'import csv, sys; print(len(list(csv.reader(sys.stdin))) - 1)')
is "$n" "3" "--since: only the attempts started since then"

# a failed export leaves an existing file alone
printf 'old export\n' > "$T/out/keep.csv"
printf 'not a database at all, just text\n' > "$T/bad.db"
"$FLASHBAY" --db "$T/bad.db" export --csv "$T/out/keep.csv" 2>"$T/err"
is "$?" 2 "export from a file that is not a database: exit 2 (nothing was done)"
is "$(cat "$T/out/keep.csv")" "old export" "... the existing export is untouched"
is "$(ls "$T/out" | wc -l)" "2" "... and no temporary file is left"
fb export >/dev/null 2>&1
is "$?" 2 "export without --csv: exit 2"
fb export --csv - --since soon >/dev/null 2>&1
is "$?" 2 "export with a bad --since: exit 2"

# --json: the objects history --json prints, every attempt, atomically
fb export --json "$T/out/h.json"
is "$?" 0 "export --json FILE: exit 0"
fb history --json --limit 0 > "$T/hist.json"
is "$("$PY" -c 'import json, sys; a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2])); print(len(a), sorted(x["id"] for x in a) == sorted(x["id"] for x in b), all(sorted(x) == sorted(b[0]) for x in a), all(k in a[0] for k in ("serial", "unit_sha256", "unit_label", "mac", "chip")))' "$T/out/h.json" "$T/hist.json")" \
	"14 True True True" "... every attempt, with the fields of history --json (serial, unit_sha256, unit_label included)"
is "$(fb export --json - --since 2025-06-02T09:02:00Z | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')" \
	"3" "--json - with --since: to stdout, only those since then"
fb export --json - --csv - >/dev/null 2>&1
is "$?" 2 "--json and --csv together: exit 2"

done_testing
