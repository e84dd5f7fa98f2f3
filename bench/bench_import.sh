#!/bin/sh
# bench_import.sh - `kazi import` of a generated 1,000,000-row task CSV,
# side by side with `sqlite3 .import` of the same file in the same run, and a
# 100,000-row import to show that peak memory does not grow with the file.
# Usage: bench/bench_import.sh BUILD_DIR [ROWS]. Needs /usr/bin/time (GNU).
# Writes its figures between the bench_import markers of docs/benchmarks.md.
set -eu
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

# measure LABEL COMMAND...: sets SECS and RSS_KB
measure() {
    label=$1; shift
    /usr/bin/time -v -o "$T/time.txt" "$@" >"$T/$label.out" 2>"$T/$label.err" || {
        echo "$label failed:"; cat "$T/$label.err" "$T/$label.out" | tail -n 20; exit 1; }
    SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$T/time.txt")
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/time.txt")
}
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? r / s : 0) }'; }

small=$((ROWS / 10))
gen "$ROWS" "$T/big.csv"
gen "$small" "$T/small.csv"
size=$(wc -c <"$T/big.csv")

measure kazi_small "$KAZI" import "$T/small.csv" --batch small --requester Bench --db "$T/small.db"
k_small_s=$SECS; k_small_rss=$RSS_KB
measure kazi "$KAZI" import "$T/big.csv" --batch big --requester Bench --db "$T/kazi.db"
k_s=$SECS; k_rss=$RSS_KB
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

kazi_db_mb=$(du -m "$T/kazi.db" | cut -f1)
machine="$(uname -m), $(nproc) CPU ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo) RAM, $(sqlite3 --version | cut -d' ' -f1) SQLite"
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
    echo
    echo "Peak memory of kazi import is the same for $small and $ROWS rows (flat: one record"
    echo "is held at a time; SQLite's page cache is bounded). The kazi database is $kazi_db_mb MB."
    echo "kazi does per row what .import does not: UTF-8 and NUL checks, type/options/gold/number"
    echo "validation, building the task SMS and counting its segments, a JSON array of the"
    echo "extra columns, and the (batch, id) uniqueness check."
    echo "<!-- bench_import:end -->"
} >"$T/section.md"
cat "$T/section.md"

mkdir -p docs
[ -f "$DOC" ] || printf '# Benchmarks\n\nFigures written by the scripts in bench/ (`make bench`).\n\n' >"$DOC"
if grep -q '<!-- bench_import:begin' "$DOC"; then
    awk -v f="$T/section.md" '
        /<!-- bench_import:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
        /<!-- bench_import:end -->/ { skip = 0; next }
        !skip { print }' "$DOC" >"$T/doc.md"
    cat "$T/doc.md" >"$DOC"
else
    { echo; cat "$T/section.md"; } >>"$DOC"
fi
echo "figures written to $DOC"
