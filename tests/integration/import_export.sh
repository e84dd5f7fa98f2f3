#!/bin/sh
# import_export.sh - `kazi import` / `export` / `batches` / `workers` end to
# end on a real SQLite file in a temp directory: import, idempotent
# re-import, all-or-nothing, --report, options around positionals, the
# results read back by Python's csv module, and a round trip through
# LibreOffice (xlsx and back) when soffice is installed.
# Uses $KAZI_BIN (tests/run.sh sets it). Ends with "N passed, N failed".
set -u
KAZI=${KAZI_BIN:-build/san/kazi}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T=$(mktemp -d /tmp/kazi-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    d=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$d"; sed 's/^/    /' "$T/err" "$T/out" | head -20; fi
}
DB="$T/k.db"

# A requester's sheet: quotes, commas, newlines, UTF-8, a formula, leading zeros.
printf '%s\r\n' 'id,type,prompt,options,gold,site,code' \
  '1,verify,"Is ""Mama Oliech"" open, today?",Yes|No|Closed,,"Moi Ave, ""A"" block",007' \
  '2,choice,Which colour?,Red|Green|Blue,2,"=HYPERLINK(""http://evil"")",-5' \
  '3,transcribe,Type the sign,,,"two' 'lines",@home' \
  '4,verify,Duka wazi? ✅,Ndiyo|Hapana,,Nairobi é,+254700000009' >"$T/tasks.csv"

check "import" "$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --db "$DB"
grep -q "4 tasks added" "$T/out" && ok || bad "import summary: $(cat "$T/out")"
check "re-import is idempotent" "$KAZI" import --db "$DB" "$T/tasks.csv" --requester Acme --batch shops
grep -q "0 tasks added, 4 unchanged" "$T/out" && ok || bad "re-import summary: $(cat "$T/out")"
n=$(sqlite3 "$DB" 'SELECT count(*) FROM tasks; PRAGMA journal_mode;' | tr '\n' ' ')
[ "$n" = "4 wal " ] && ok || bad "tasks/journal: $n"

# All or nothing: one bad row, nothing written.
printf '%s\n' 'id,type,prompt,options,gold,site,code' '10,verify,Open?,,,a,b' '11,verfy,Shut?,,,c,d' >"$T/bad.csv"
before=$(sqlite3 "$DB" 'SELECT count(*) FROM tasks; SELECT count(*) FROM imports;' | tr '\n' ' ')
if "$KAZI" import "$T/bad.csv" --batch shops --requester Acme --db "$DB" >"$T/out" 2>"$T/err"; then
    bad "bad file imported"
else ok; fi
grep -q "bad.csv:3:2: unknown type 'verfy'" "$T/err" && ok || bad "error names file:line:col: $(cat "$T/err")"
after=$(sqlite3 "$DB" 'SELECT count(*) FROM tasks; SELECT count(*) FROM imports;' | tr '\n' ' ')
[ "$before" = "$after" ] && ok || bad "database changed: $before -> $after"

# --report: good rows in, bad rows out with reasons.
check "import --report" "$KAZI" import "$T/bad.csv" --batch shops --requester Acme --db "$DB" --report "$T/rejects.csv"
"$PY" - "$T/rejects.csv" <<'PYEOF' && ok || bad "rejects report"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
assert rows[0][:4] == ['line', 'column', 'error', 'id'], rows[0]
assert len(rows) == 2 and rows[1][0] == '3' and rows[1][1] == '2', rows
assert "unknown type 'verfy'" in rows[1][2] and rows[1][3:] == ['11', 'verfy', 'Shut?', '', '', 'c', 'd'], rows[1]
PYEOF
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM tasks')" = 5 ] && ok || bad "report mode imported the good row"

# Pay floor refusal names the numbers.
if "$KAZI" import "$T/tasks.csv" --batch cheap --requester Acme --reward 1.50 --db "$DB" 2>"$T/err"; then
    bad "below-floor batch accepted"
else
    grep -q "KSh 1.50.*KSh 1.20.*KSh 36.00 an hour.*KSh 100.00 an hour.*KSh 2.04" "$T/err" && ok || bad "floor message: $(cat "$T/err")"
fi

# Answers (the engine's job later): three workers answer through SQL.
sqlite3 "$DB" "INSERT INTO workers(phone, name, joined_at) VALUES ('+254711111111','Amina',0),('+254722222222','Baraka',0),('+254733333333',NULL,0);
INSERT INTO answers(task_id, worker_id, value, raw, received_at) SELECT t.id, w.id, CASE WHEN w.id = 3 THEN 'No' ELSE 'Yes' END, '1', 1700000000 + w.id FROM tasks t, workers w WHERE t.ext_id = '1';
INSERT INTO answers(task_id, worker_id, value, raw, received_at) SELECT id, 1, '=1+1', '=1+1', 1700000100 FROM tasks WHERE ext_id = '3';" && ok || bad "answers inserted"

check "export -o after positional" "$KAZI" export shops -o "$T/results.csv" --db "$DB"
check "export --db before positional to stdout" "$KAZI" export --db "$DB" shops
cmp -s "$T/out" "$T/results.csv" && ok || bad "stdout and -o differ"
"$PY" - "$T/results.csv" <<'PYEOF' && ok || bad "results read back by Python csv"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
want = [
    ['id', 'status', 'answers', 'consensus', 'agreement', 'site', 'code'],
    ['1', 'complete', '3', 'Yes', '0.67', 'Moi Ave, "A" block', '007'],
    ['2', 'pending', '0', '', '', "'=HYPERLINK(\"http://evil\")", '-5'],
    ['3', 'partial', '1', "'=1+1", '1.00', 'two\r\nlines', "'@home"],
    ['4', 'pending', '0', '', '', 'Nairobi é', '+254700000009'],
    ['10', 'pending', '0', '', '', 'a', 'b'],
]
assert rows == want, "\n%r\n%r" % (rows, want)
PYEOF
check "export --answers" "$KAZI" export shops --answers --db "$DB" -o "$T/answers.csv"
"$PY" - "$T/answers.csv" <<'PYEOF' && ok || bad "answers file"
import csv, sys, re
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
assert rows[0] == ['id', 'worker', 'answer', 'status', 'answered_at'], rows[0]
assert len(rows) == 5, rows
assert all(re.fullmatch(r'W[0-9a-f]{16}', r[1]) for r in rows[1:]), rows
assert rows[1][1] == rows[4][1] and rows[1][1] != rows[2][1], rows  # worker 1 twice
assert rows[4][2] == "'=1+1" and rows[1][4] == '2023-11-14T22:13:21Z', rows
assert '2547' not in open(sys.argv[1], encoding='utf-8').read()
PYEOF
if "$KAZI" export nosuch --db "$DB" -o "$T/none.csv" 2>"$T/err"; then bad "unknown batch exported"; else ok; fi
[ ! -e "$T/none.csv" ] && ! ls "$T" | grep -q '\.tmp' && ok || bad "failed export left a file"

check "batches" "$KAZI" batches --db "$DB"
grep -Eq '^shops +Acme +open +5 +1 +4/15 +26\.6% +KSh 3\.00' "$T/out" && ok || bad "batches table: $(cat "$T/out")"
check "batches --json" "$KAZI" batches --json --db "$DB"
"$PY" -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b[0]["name"]=="shops" and b[0]["tasks"]==5 and b[0]["answers"]==4, b' "$T/out" && ok || bad "batches json"
check "workers" "$KAZI" workers --db "$DB"
grep -Eq '^ 1 +\+254711111111 +Amina +en +active +2 ' "$T/out" && ok || bad "workers table: $(cat "$T/out")"
"$KAZI" workers --db "$DB" --json >"$T/w.json" && "$PY" -c 'import json,sys; w=json.load(open(sys.argv[1])); assert len(w)==3 and w[0]["phone"]=="+254711111111" and w[2]["name"]=="", w' "$T/w.json" && ok || bad "workers json"
if "$KAZI" batches --db "$T/missing.db" 2>/dev/null; then bad "missing db accepted"; else ok; fi
[ ! -e "$T/missing.db" ] && ok || bad "listing created a database"

# Semicolon file from a spreadsheet in a comma-decimal locale, with a BOM.
printf '\357\273\277id;type;prompt;options;price\r\n1;verify;Is it open, now?;Yes|No;"1,50"\r\n' >"$T/semi.csv"
check "semicolon + BOM import" "$KAZI" import "$T/semi.csv" --batch semi --requester Acme --db "$DB"
"$KAZI" export semi --db "$DB" | "$PY" -c 'import csv,sys; r=list(csv.reader(sys.stdin)); assert r[1][5]=="1,50" and r[0][5]=="price", r' && ok || bad "semicolon cells"

# LibreOffice round trip: results.csv -> xlsx -> csv keeps every cell.
if command -v soffice >/dev/null 2>&1; then
    mkdir -p "$T/lo" "$T/back"
    cols=$(seq 1 7 | sed 's|$|/2|' | paste -sd/ -)   # every column as text
    export HOME="$T"                                  # LibreOffice profile in the temp dir
    if soffice --headless --norestore --infilter="CSV:44,34,76,1,$cols" \
        --convert-to xlsx --outdir "$T/lo" "$T/results.csv" >"$T/lo.log" 2>&1 &&
       soffice --headless --norestore \
        --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true' \
        --outdir "$T/back" "$T/lo/results.xlsx" >>"$T/lo.log" 2>&1; then ok; else bad "soffice convert: $(cat "$T/lo.log")"; fi
    "$PY" - "$T/results.csv" "$T/back/results.csv" <<'PYEOF' && ok || bad "LibreOffice round trip changed cells"
import csv, sys
a = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
b = list(csv.reader(open(sys.argv[2], newline='', encoding='utf-8')))
norm = lambda rows: [[c.replace('\r\n', '\n') for c in r] for r in rows]
assert norm(a) == norm(b), "\n%r\n%r" % (a, b)
PYEOF
else
    echo "SKIP: soffice not installed (apt-get install libreoffice-calc-nogui); LibreOffice round trip not run"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
