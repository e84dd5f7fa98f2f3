#!/bin/sh
# run.sh - runs every test program and integration script of one build, the
# fuzz smoke pass and the ARM cross tests (tests/cross/run.sh), and adds up
# their "N passed, N failed" lines. Usage: tests/run.sh BUILD_DIR
# Three lanes run side by side, each one entry after another: the C test
# programs, then crash.sh, pg_units.sh and pg_restart.sh; the integration
# scripts (mostly waiting on simulators and fsync); the fuzz smoke pass then
# the cross tests (mostly compiling and emulating), then crash_gammu.sh.
# KAZI_TEST_LANES=1 runs everything in one lane. Each lane's lines are
# printed when it ends, in lane order.
# Never stops at the first failing program: all run, the sum decides; the
# failing entries are named again just above the total.
set -u
B=${1:-build/san}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${KAZI_VECTORS:=$ROOT/../shared/vectors}"
export KAZI_VECTORS KAZI_BIN="$ROOT/$B/kazi" KAZI_BUILD="$ROOT/$B"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

WORK=$(mktemp -d /tmp/kazi-run-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# run_one LANE NAME CMD...: one entry; its line goes to LANE.out, its
# counts to LANE.sum ("PASSED FAILED" per line).
run_one() {
    lane=$1; name=$2; shift 2
    log=$WORK/$lane.log
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    {
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
        printf '%-40s %-28s %4ss\n' "$name" "$line" "$secs"
    } >>"$WORK/$lane.out"
    if [ "$f" -ne 0 ]; then
        {
            echo "== $name: $f failed (exit $rc)"
            grep -E 'FAIL|ERROR|runtime error' "$log" | head -n 8
        } >>"$WORK/$lane.failures"
    fi
    echo "$p $f" >>"$WORK/$lane.sum"
}

# The longest scripts run at the end of the other lanes instead, so the
# three lanes end together: crash.sh and the PostgreSQL unit and restart
# runs after the C programs, crash_gammu.sh after the builds.
PROGRAM_LANE_SCRIPTS="crash.sh pg_units.sh pg_restart.sh"
LATE_SCRIPTS="crash_gammu.sh"

lane_programs() {
    for t in "$B"/tests/unit/test_* "$B"/tests/vectors/test_* "$B"/tests/integration/test_*; do
        [ -x "$t" ] || continue
        run_one "$1" "$(basename "$t")" "$t"
    done
    for s in $PROGRAM_LANE_SCRIPTS; do
        [ -f "tests/integration/$s" ] && run_one "$1" "$s" sh "tests/integration/$s"
    done
}

lane_scripts() {
    for s in tests/integration/*.sh; do
        [ -f "$s" ] || continue
        case " $LATE_SCRIPTS $PROGRAM_LANE_SCRIPTS " in *" $(basename "$s") "*) continue ;; esac
        run_one "$1" "$(basename "$s")" sh "$s"
    done
}

lane_builds() {
    run_one "$1" "fuzz-smoke (replay + libFuzzer)" sh tests/fuzz/smoke.sh "$B"
    run_one "$1" "cross: armhf, arm64 under qemu-user" sh tests/cross/run.sh
    for s in $LATE_SCRIPTS; do
        [ -f "tests/integration/$s" ] && run_one "$1" "$s" sh "tests/integration/$s"
    done
}

: >"$WORK/1.sum"; : >"$WORK/2.sum"; : >"$WORK/3.sum"
if [ "${KAZI_TEST_LANES:-3}" = 1 ]; then
    lane_programs 1; lane_scripts 2; lane_builds 3
else
    lane_programs 1 & p1=$!
    lane_scripts 2 & p2=$!
    lane_builds 3 & p3=$!
    wait "$p1" "$p2" "$p3"
fi
for lane in 1 2 3; do
    [ -f "$WORK/$lane.out" ] && cat "$WORK/$lane.out"
done
# CI keeps only the end of the log: the failures are named again just
# above the total.
if cat "$WORK"/*.failures >"$WORK/failures" 2>/dev/null && [ -s "$WORK/failures" ]; then
    echo "Failed entries (their lines are above, in their lane):"
    cat "$WORK/failures"
fi
cat "$WORK"/*.sum | awk '{p += $1; f += $2} END {printf "%d passed, %d failed\n", p, f}' \
    >"$WORK/total"
cat "$WORK/total"
grep -q ' 0 failed$' "$WORK/total"
