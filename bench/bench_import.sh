#!/bin/sh
# bench_import.sh - `kazi import` of a generated 1,000,000-row task CSV,
# side by side with `sqlite3 .import` of the same file in the same run, and a
# 100,000-row import to show that peak memory does not grow with the file.
# The peer the target compares with (issue 8: at least 0.7x) is `.import`
# into a table equivalent to kazi's tasks table: the same CHECK constraints
# and as many indexes (a unique key and three others, two of them partial).
# Plain-table figures are shown too. Figures go to $BENCH_RESULTS when set.
# Usage: bench/bench_import.sh BUILD_DIR [ROWS]. Needs /usr/bin/time (GNU).
# Writes its figures between the bench_import markers of docs/benchmarks.md.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
ROWS=${2:-1000000}
KAZI="$B/kazi"
DOC=docs/benchmarks.md
T=$(mktemp -d /tmp/kazi-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time"; exit 1; }

gen() { # gen ROWS FILE: verify/choice/transcribe rows with two extra columns
    awk -v n="$1" 'BEGIN {
        print "id,type,prompt,options,gold,site,notes";
        for (i = 1; i <= n; i++) {
            t = i % 3;
            if (t == 0) printf "%d,verify,\"Is shop %d on Moi Ave open, today?\",Yes|No|Closed,,\"Site %d, block \"\"B\"\"\",note %d\n", i, i, i % 977, i;
            else if (t == 1) printf "%d,choice,Colour of gate %d?,Red|Green|Blue,,Site %d,\"two\nlines\"\n", i, i, i % 977;
            else printf "%d,transcribe,Type the name on sign %d,,,Site %d,x\n", i, i, i % 977;
        }
    }' >"$2"
}

# measure LABEL COMMAND...: sets SECS, CPU (user + system seconds) and RSS_KB
measure() {
    label=$1; shift
    /usr/bin/time -v -o "$T/time.txt" "$@" >"$T/$label.out" 2>"$T/$label.err" || {
        echo "$label failed:"; cat "$T/$label.err" "$T/$label.out" | tail -n 20; exit 1; }
    SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$T/time.txt")
    CPU=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$T/time.txt")
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/time.txt")
}
result() { # result NAME VALUE: one line for the ratio table (bench/README.md)
    echo "$1=$2"
    [ -n "${BENCH_RESULTS:-}" ] && echo "$1=$2" >>"$BENCH_RESULTS"
    return 0
}
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? r / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

small=$((ROWS / 10))
gen "$ROWS" "$T/big.csv"
gen "$small" "$T/small.csv"
size=$(wc -c <"$T/big.csv")

measure kazi_small "$KAZI" import "$T/small.csv" --batch small --requester Bench --db "$T/small.db"
k_small_s=$SECS; k_small_rss=$RSS_KB
measure kazi "$KAZI" import "$T/big.csv" --batch big --requester Bench --db "$T/kazi.db"
k_s=$SECS; k_cpu=$CPU; k_rss=$RSS_KB
grep -q "$ROWS tasks added" "$T/kazi.out" || { echo "kazi import did not add $ROWS rows:"; cat "$T/kazi.out"; exit 1; }
measure reimport "$KAZI" import "$T/big.csv" --batch big --requester Bench --db "$T/kazi.db"
r_s=$SECS; r_rss=$RSS_KB
# sqlite3 .import into a plain table (no validation, no unique index), same file
measure sqlite "sqlite3" "$T/plain.db" "PRAGMA journal_mode=WAL;" ".import --csv $T/big.csv plain" "SELECT count(*) FROM plain;"
s_s=$SECS; s_rss=$RSS_KB
# ... and into a table with the same UNIQUE(batch, id) index kazi keeps
printf 'CREATE TABLE t(id TEXT, type TEXT, prompt TEXT, options TEXT, gold TEXT, site TEXT, notes TEXT);\nCREATE UNIQUE INDEX t_id ON t(id);\n' >"$T/schema.sql"
measure sqlite_idx sqlite3 -cmd ".read $T/schema.sql" "$T/idx.db" ".import --csv --skip 1 $T/big.csv t" "SELECT count(*) FROM t;"
si_s=$SECS; si_rss=$RSS_KB
# ... and into a table equivalent to kazi's tasks table (the file's columns
# in order, so .import fills every column): kazi's CHECK constraints, its
# UNIQUE(batch, id) key, and one index for each of tasks_import, tasks_pool
# and tasks_gold (the two partial ones with the same kind of WHERE).
cat >"$T/equiv.sql" <<'SQL'
CREATE TABLE t (
  id      TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 100),
  type    TEXT NOT NULL CHECK ((type = 'verify' OR type = 'choice' OR type = 'transcribe')),
  prompt  TEXT NOT NULL CHECK (length(prompt) > 0),
  options TEXT CHECK ((type = 'transcribe') = (options = '')),
  gold TEXT, site TEXT, notes TEXT);
CREATE UNIQUE INDEX t_id ON t(id);
CREATE INDEX t_import ON t(type);
CREATE INDEX t_pool ON t(type) WHERE gold = '';
CREATE INDEX t_gold ON t(type) WHERE gold <> '';
SQL
measure sqlite_eq sqlite3 -cmd ".read $T/equiv.sql" "$T/eq.db" "PRAGMA journal_mode=WAL;" ".import --csv --skip 1 $T/big.csv t" "SELECT count(*) FROM t;"
se_s=$SECS; se_cpu=$CPU; se_rss=$RSS_KB

kazi_db_mb=$(du -m "$T/kazi.db" | cut -f1)
result import.kazi_rows_per_s "$(rate "$ROWS" "$k_s")"
result import.sqlite_rows_per_s "$(rate "$ROWS" "$se_s")"
result import.sqlite_plain_rows_per_s "$(rate "$ROWS" "$s_s")"
result import.cpu_ratio "$(ratio "$se_cpu" "$k_cpu")"
result import.kazi_rss_small_kib "$k_small_rss"
result import.kazi_rss_kib "$k_rss"
machine=$(bench_machine)
{
    echo "<!-- bench_import:begin (written by bench/bench_import.sh; edits here are overwritten) -->"
    echo "## CSV import: \`kazi import\` vs \`sqlite3 .import\`"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "- machine: $machine"
    echo "- command: \`make bench\` (bench/bench_import.sh $B $ROWS), build flags -O2 -g"
    echo "- file: $ROWS data rows, $size bytes, 7 columns (2 extra), a third with a quoted embedded newline"
    echo
    echo "| run | rows | seconds | rows/s | peak RSS |"
    echo "|---|---:|---:|---:|---:|"
    echo "| kazi import (validated, one transaction, synchronous=FULL) | $small | $k_small_s | $(rate "$small" "$k_small_s") | $k_small_rss KiB |"
    echo "| kazi import (same, 10x the rows) | $ROWS | $k_s | $(rate "$ROWS" "$k_s") | $k_rss KiB |"
    echo "| kazi import again (idempotent: every row compared, nothing written) | $ROWS | $r_s | $(rate "$ROWS" "$r_s") | $r_rss KiB |"
    echo "| sqlite3 .import into a plain table | $ROWS | $s_s | $(rate "$ROWS" "$s_s") | $s_rss KiB |"
    echo "| sqlite3 .import into a table with a UNIQUE id index | $ROWS | $si_s | $(rate "$ROWS" "$si_s") | $si_rss KiB |"
    echo "| sqlite3 .import into a table equivalent to kazi's tasks (checks, unique key, 3 more indexes) | $ROWS | $se_s | $(rate "$ROWS" "$se_s") | $se_rss KiB |"
    echo
    echo "Ratio (the target is at least 0.7): kazi / equivalent-table .import = $(ratio "$se_s" "$k_s") by"
    echo "wall time, $(ratio "$se_cpu" "$k_cpu") by CPU time (kazi $k_cpu s, sqlite3 $se_cpu s of user + system);"
    echo "kazi / plain-table .import = $(ratio "$s_s" "$k_s") by wall time."
    echo
    echo "Peak memory of kazi import is the same for $small and $ROWS rows (flat: one record"
    echo "is held at a time; SQLite's page cache is bounded). The kazi database is $kazi_db_mb MB."
    echo "kazi does per row what .import does not: UTF-8 and NUL checks, type/options/gold/number"
    echo "validation, building the task SMS and counting its segments, a JSON array of the"
    echo "extra columns, and the (batch, id) uniqueness check."
    echo "<!-- bench_import:end -->"
} >"$T/section.md"
cat "$T/section.md"

bench_write_section bench_import "$T/section.md"
