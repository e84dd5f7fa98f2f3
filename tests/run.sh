#!/bin/sh
# run.sh - runs every test program and integration script of one build and
# adds up their "N passed, N failed" lines. Usage: tests/run.sh BUILD_DIR
# Never stops at the first failing program: all run, the sum decides.
set -u
B=${1:-build/san}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${KAZI_VECTORS:=$ROOT/../shared/vectors}"
export KAZI_VECTORS KAZI_BIN="$ROOT/$B/kazi" KAZI_BUILD="$ROOT/$B"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

total_pass=0
total_fail=0
log=$(mktemp)
run_one() {
    name=$1; shift
    "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0; f=1
        echo "FAIL $name: no summary line (exit $rc)"
        tail -n 20 "$log"
    else
        p=$(echo "$line" | awk '{print $1}')
        f=$(echo "$line" | awk '{print $3}')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            echo "FAIL $name: exit status $rc"
            tail -n 20 "$log"
        fi
    fi
    if [ "$f" -ne 0 ]; then
        grep -E 'FAIL|ERROR|runtime error' "$log" | head -n 40
    fi
    printf '%-40s %s\n' "$name" "$line"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

for t in "$B"/tests/unit/test_* "$B"/tests/vectors/test_* "$B"/tests/integration/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for s in tests/integration/*.sh; do
    [ -f "$s" ] || continue
    run_one "$(basename "$s")" sh "$s"
done
run_one "fuzz-smoke (corpus replay)" sh tests/fuzz/replay.sh "$B"
rm -f "$log"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
