#!/bin/sh
# replay.sh - replays every fuzz target's corpus (tests/fuzz/corpus/TARGET)
# through its plain-main build. Usage: tests/fuzz/replay.sh BUILD_DIR
set -u
B=${1:-build/san}
cd "$(dirname "$0")/../.."
pass=0; fail=0
for bin in "$B"/tests/replay/fuzz_*; do
    [ -x "$bin" ] || continue
    t=$(basename "$bin")
    dir=tests/fuzz/corpus/${t#fuzz_}
    [ -d "$dir" ] || continue
    if out=$("$bin" "$dir" 2>&1); then
        n=$(echo "$out" | tail -n 1 | awk '{print $1}')
        pass=$((pass + n))
    else
        echo "FAIL $t:"; echo "$out" | tail -n 30
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
