#!/bin/sh
# run.sh - runs every benchmark script bench/*.sh against one build.
# Usage: bench/run.sh BUILD_DIR (make bench passes build/bench). Each script
# measures and writes its own section of docs/benchmarks.md.
# Never stops at the first failing script; exits non-zero if any failed.
set -u
B=${1:-build/bench}
cd "$(dirname "$0")/.."
status=0
for s in bench/*.sh; do
    [ "$s" = bench/run.sh ] && continue
    echo "== $s"
    sh "$s" "$B" || { echo "FAIL $s"; status=1; }
done
exit $status
