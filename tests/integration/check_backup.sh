#!/bin/sh
# check_backup.sh - `kazi check` and `kazi backup` on real database files:
# a clean database passes; a backup is mode 0600, holds every row, checks
# clean and leaves no temporary file; an existing FILE is refused without
# --force; a backup taken while another process keeps writing still checks
# clean; a backup waits for a lock another process holds for 2 s; an orphan row written with foreign keys off gives its exact line;
# bytes flipped in a copy of the file are reported by `kazi check` (and
# `--quick`) with exit 1, and `kazi backup` of it refuses. Uses $KAZI_BIN and
# sqlite3. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup check-backup
WRITER=
cleanup() {
    [ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null
    kz_remove_temp
}
trap cleanup EXIT INT TERM
sql() { sqlite3 -cmd '.timeout 5000' "$1" "$2"; } # (the library's sql knows only $T/k.db)

# A database with a batch of 200 tasks (several pages per table).
"$PY" - "$T/tasks.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,type,prompt,options\n")
    for i in range(1, 201):
        f.write(f"{i},verify,Is shop number {i} on Moi Avenue open this morning?,Yes|No\n")
EOF
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --reward 3 --db "$T/k.db" \
    >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"

# A clean database passes.
"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "clean check: $(cat "$T/out")"
grep -q "^ok: $T/k.db: integrity_check passes, schema version [0-9]*, no rows pointing nowhere" \
    "$T/out" && ok || bad "clean output: $(cat "$T/out")"
"$KAZI" check --quick --db "$T/k.db" >"$T/out" 2>&1 && grep -q "quick_check passes" "$T/out" \
    && ok || bad "quick: $(cat "$T/out")"
if "$KAZI" check --db "$T/none.db" >"$T/out" 2>&1; then bad "missing database passed"; else ok; fi
grep -q "$T/none.db" "$T/out" && ok || bad "missing database not named: $(cat "$T/out")"

# Backup: the copy, its mode, its rows, no temporary file left.
"$KAZI" backup "$T/b.db" --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "backup: $(cat "$T/out")"
grep -q "^backup: $T/k.db -> $T/b.db: [0-9]* pages of [0-9]* bytes ([0-9]* bytes), schema version [0-9]*" \
    "$T/out" && ok || bad "backup output: $(cat "$T/out")"
[ "$(stat -c %a "$T/b.db")" = 600 ] && ok || bad "backup mode $(stat -c %a "$T/b.db")"
[ "$(sql "$T/b.db" "SELECT count(*) FROM tasks")" = 200 ] && ok || bad "tasks in the copy"
[ "$(sql "$T/b.db" "PRAGMA user_version")" = "$(sql "$T/k.db" "PRAGMA user_version")" ] \
    && ok || bad "schema version of the copy"
[ -z "$(ls "$T" | grep 'tmp-')" ] && ok || bad "temporary files left: $(ls "$T")"
"$KAZI" check --db "$T/b.db" >"$T/out" 2>&1 && ok || bad "check of the copy: $(cat "$T/out")"
# An existing FILE needs --force; the database itself is never the target.
if "$KAZI" backup "$T/b.db" --db "$T/k.db" >"$T/out" 2>&1; then bad "overwrote without --force"
else ok; fi
grep -q "kazi backup: $T/b.db exists; give --force to replace it" "$T/out" && ok \
    || bad "refusal: $(cat "$T/out")"
"$KAZI" backup --force "$T/b.db" --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "--force: $(cat "$T/out")"
if "$KAZI" backup --force "$T/k.db" --db "$T/k.db" >"$T/out" 2>&1; then bad "backup onto itself"
else ok; fi
grep -q "is the database itself" "$T/out" && ok || bad "self: $(cat "$T/out")"
if "$KAZI" backup "$T/no/dir/b.db" --db "$T/k.db" >"$T/out" 2>&1; then bad "backup into no directory"
else ok; fi
grep -q "$T/no/dir/b.db" "$T/out" && ok || bad "error does not name the file: $(cat "$T/out")"
if "$KAZI" backup >"$T/out" 2>&1; then bad "no FILE accepted"; else [ $? = 2 ] && ok || bad "usage exit"; fi

# A backup while another process keeps writing (WAL: the writer is never stopped).
"$PY" - "$T/k.db" "$T/writer.done" <<'EOF' & WRITER=$!
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
end = time.time() + 4
i = 0
while time.time() < end:
    db.execute("INSERT INTO requesters(name, created_at) VALUES (?, 1)", ("writer-%d" % i,))
    i += 1
    time.sleep(0.002)
open(sys.argv[2], "w").write(str(i))
EOF
sleep 0.5
"$KAZI" backup "$T/live.db" --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "backup under writes: $(cat "$T/out")"
wait "$WRITER"; WRITER=
[ -s "$T/writer.done" ] && ok || bad "the writer did not finish"
"$KAZI" check --db "$T/live.db" >"$T/out" 2>&1 && ok || bad "check of the live copy: $(cat "$T/out")"
n=$(sql "$T/live.db" "SELECT count(*) FROM requesters WHERE name LIKE 'writer-%'")
[ "$n" -le "$(cat "$T/writer.done")" ] && ok || bad "copy has $n writer rows of $(cat "$T/writer.done")"

# Another process holds the database locked for 2 s: the backup waits, then copies its row.
"$PY" - "$T/k.db" "$T/held" <<'EOF' & WRITER=$!
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO requesters(name, created_at) VALUES ('held', 1)")
db.execute("COMMIT")
open(sys.argv[2], "w").write("locked")
time.sleep(2)
db.close()
EOF
wait_for 10 test -e "$T/held" && ok || bad "the locking process did not start"
"$KAZI" backup "$T/locked.db" --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "backup behind a lock: $(cat "$T/out")"
wait "$WRITER"; WRITER=
[ "$(sql "$T/locked.db" "SELECT count(*) FROM requesters WHERE name = 'held'")" = 1 ] && ok \
    || bad "the row committed before the lock was released is not in the copy"

# An orphan row (written with foreign keys off): its exact line, exit 1.
cp "$T/b.db" "$T/orphan.db"
sql "$T/orphan.db" "PRAGMA foreign_keys=OFF; INSERT INTO answers(id, task_id, worker_id, value, raw, received_at) VALUES (41, 9999, 1, 'Yes', '1 1', 1);"
if "$KAZI" check --db "$T/orphan.db" >"$T/out" 2>"$T/err"; then bad "orphans passed"; else ok; fi
grep -qx "orphan: answers row 41: task_id points to no row of tasks" "$T/out" && ok \
    || bad "orphan task line: $(cat "$T/out")"
grep -qx "orphan: answers row 41: worker_id points to no row of workers" "$T/out" && ok \
    || bad "orphan worker line: $(cat "$T/out")"
grep -q "kazi check: 2 problems in $T/orphan.db" "$T/err" && ok || bad "summary: $(cat "$T/err")"

# Flipped bytes in a copy: inside the pages of the tasks table's index on import_id.
cp "$T/b.db" "$T/flip.db"
page=$(sql "$T/flip.db" "SELECT rootpage FROM sqlite_schema WHERE name = 'tasks_import'")
psize=$(sql "$T/flip.db" "PRAGMA page_size")
"$PY" - "$T/flip.db" "$page" "$psize" <<'EOF'
import sys
path, page, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    off = (page - 1) * size
    f.seek(off)
    data = bytearray(f.read(size))
    for i in range(0, 64):
        data[i] ^= 0xFF
    f.seek(off)
    f.write(data)
EOF
if "$KAZI" check --db "$T/flip.db" >"$T/out" 2>"$T/err"; then bad "flipped bytes passed"; else ok; fi
grep -q "^integrity: " "$T/out" && ok || bad "no integrity line: $(cat "$T/out") $(cat "$T/err")"
grep -q "problem.* in $T/flip.db" "$T/err" && ok || bad "summary does not name the file: $(cat "$T/err")"
if "$KAZI" check --quick --db "$T/flip.db" >"$T/out" 2>&1; then bad "quick_check passed flipped bytes"
else ok; fi
grep -q "^integrity: " "$T/out" && ok || bad "no quick integrity line: $(cat "$T/out")"
if "$KAZI" backup "$T/flip-copy.db" --db "$T/flip.db" >"$T/out" 2>&1; then bad "backed up a corrupt file"
else ok; fi
[ ! -e "$T/flip-copy.db" ] && [ -z "$(ls "$T" | grep 'flip-copy.db.tmp-')" ] && ok \
    || bad "a refused backup left files: $(ls "$T")"
grep -q "integrity_check" "$T/out" && ok || bad "refusal does not say why: $(cat "$T/out")"
if grep -qi "runtime error\|AddressSanitizer\|LeakSanitizer" "$T"/out "$T"/err; then
    bad "sanitizer report"
else ok; fi

kz_report
