#!/bin/sh
# smoke.sh - the short fuzzing pass of `make test` and `make fuzz-smoke`:
# every target's committed corpus replayed through its gcc/sanitizer build
# (tests/fuzz/replay.sh BUILD_DIR), then, when clang can build libFuzzer
# targets, each target fuzzed for FUZZ_SMOKE_SECONDS (default 5) by
# tests/fuzz/run.sh (logs and any crash in build/fuzz/smoke; 0 skips this
# part). Ends with the sum of both as "N passed, N failed".
# Usage: tests/fuzz/smoke.sh BUILD_DIR
set -u
B=${1:-build/san}
cd "$(dirname "$0")/../.."
log=$(mktemp /tmp/kazi-fuzz-smoke.XXXXXX)
trap 'rm -f "$log"' EXIT INT TERM
pass=0; fail=0
add() {
    line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $1: no summary line"; tail -n 30 "$log"
        fail=$((fail + 1))
        return
    fi
    echo "$1: $line"
    pass=$((pass + $(echo "$line" | awk '{print $1}')))
    fail=$((fail + $(echo "$line" | awk '{print $3}')))
}
sh tests/fuzz/replay.sh "$B" >"$log" 2>&1
grep -aE 'FAIL|ERROR|runtime error' "$log" | head -n 40
add "corpus replay"
if [ "${FUZZ_SMOKE_SECONDS:-5}" = 0 ]; then
    echo "libFuzzer pass skipped: FUZZ_SMOKE_SECONDS=0"
elif command -v clang >/dev/null 2>&1 &&
   echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' |
   clang -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
    # finds of a smoke pass are thrown away: only the committed corpus seeds it
    work=${FUZZ_BUILD:-build/fuzz}/smoke
    rm -rf "$work"
    FUZZ_WORK=$work sh tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}" >"$log" 2>&1
    grep -aE 'FINDING|error' "$log" | head -n 20
    add "libFuzzer ${FUZZ_SMOKE_SECONDS:-5}s per target"
else
    echo "libFuzzer pass skipped: clang with -fsanitize=fuzzer is not available"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
