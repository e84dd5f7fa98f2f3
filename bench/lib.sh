# lib.sh - what the bench/bench_*.sh scripts share: the machine line, the
# cost of one durable write, the figures for the ratio table, and writing a
# script's own section of docs/benchmarks.md. Sourced (`. bench/lib.sh`)
# after the script has set DOC and T (its temp dir).
# Owns: those helpers. Never measures anything itself beyond the dd write,
# never touches a section other than the one it is named.

# bench_machine: one line: architecture, CPUs, memory, SQLite version.
bench_machine() {
    echo "$(uname -m), $(nproc) CPU ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo) RAM, $(sqlite3 --version | cut -d' ' -f1) SQLite"
}

# bench_dsync_ms: milliseconds of one 4 KiB write with O_DSYNC in $T (what a
# durable commit costs on this disk), or nothing if dd could not tell.
bench_dsync_ms() {
    dd if=/dev/zero of="$T/dsync" bs=4k count=200 oflag=dsync 2>"$T/dd.txt" >/dev/null || true
    awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.2f", $(i - 1) * 1000 / 200 }' "$T/dd.txt"
    rm -f "$T/dsync"
}

# bench_result NAME VALUE: a figure for the ratio table (bench/README.md), on
# stdout and appended to $BENCH_RESULTS when that is set.
bench_result() {
    echo "$1=$2"
    [ -z "${BENCH_RESULTS:-}" ] || echo "$1=$2" >>"$BENCH_RESULTS"
}

# bench_old_rows NAME: the table rows (lines starting "| 20") already in
# section NAME of $DOC, so a script can add its row below them.
bench_old_rows() {
    [ -f "$DOC" ] || return 0
    awk -v b="<!-- $1:begin" -v e="<!-- $1:end" \
        'index($0, b) == 1 {s = 1} s && /^\| 20/ {print} index($0, e) == 1 {s = 0}' "$DOC"
}

# bench_write_section NAME FILE: replace section NAME of $DOC (between its
# begin and end markers) with FILE, or append FILE when the section is new.
bench_write_section() {
    mkdir -p "$(dirname "$DOC")"
    [ -f "$DOC" ] || printf '# Benchmarks\n\nFigures written by the scripts in bench/ (`make bench`).\n\n' >"$DOC"
    if grep -q "<!-- $1:begin" "$DOC"; then
        awk -v f="$2" -v b="<!-- $1:begin" -v e="<!-- $1:end -->" '
            index($0, b) == 1 { while ((getline l < f) > 0) print l; skip = 1; next }
            index($0, e) == 1 { skip = 0; next }
            !skip { print }' "$DOC" >"$T/doc.md"
        cat "$T/doc.md" >"$DOC"
    else
        { echo; cat "$2"; } >>"$DOC"
    fi
    echo "figures written to $DOC"
}

# bench_stop PID...: TERM, 0.3 s, then KILL for what is left (a cleanup trap).
bench_stop() {
    for p in "$@"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "$@"; do kill -9 "$p" 2>/dev/null || true; done
}

# bench_remove_temp: remove $T, or keep it and say so when KEEP is set.
bench_remove_temp() {
    if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

# bench_user: USEROPT is "--user nobody" when run as root (and $T writable by
# it), else empty.
bench_user() {
    USEROPT=
    if [ "$(id -u)" = 0 ]; then USEROPT="--user nobody"; chmod 777 "$T"; fi
}

# wait_for SECONDS COMMAND...: true as soon as COMMAND succeeds, false after SECONDS.
wait_for() {
    n=$(($1 * 10)); shift
    while [ "$n" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1; n=$((n - 1))
    done
    return 1
}

# sql QUERY: one query on $T/k.db, waiting up to 10 s for a lock.
sql() { sqlite3 -cmd '.timeout 10000' "$T/k.db" "$1" 2>/dev/null; }

# kb FIELD: a /proc/$DAEMON/status figure in KiB (VmRSS, VmHWM), 0 if gone.
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$DAEMON/status" 2>/dev/null || echo 0; }

# cpu_ticks: user + system clock ticks of $DAEMON so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat" 2>/dev/null || echo 0; }

# now_ms: wall-clock milliseconds.
now_ms() { date +%s%3N; }
