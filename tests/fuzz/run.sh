#!/bin/sh
# run.sh - builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang,
# ASan and UBSan, and runs each for SECONDS (default 300), two at a time.
# Seeds: tests/fuzz/corpus/TARGET (committed); new finds go to
# build/fuzz/corpus/TARGET, crashes to build/fuzz/crash-TARGET-*.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
set -eu
SECONDS_EACH=${1:-300}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.."
B=build/fuzz
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -g -O1"
make --no-print-directory B=$B CC=clang CFLAGS="-g -O1" \
    EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" $B/libkazi.a >/dev/null
LIBS=$(pkg-config --libs libserialport gammu sqlite3 jansson inih libmicrohttpd) 
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's#.*/fuzz_##; s#\.c$##')}
for t in $targets; do
    clang -std=c11 -D_DEFAULT_SOURCE -Imodem -Itasks $FLAGS -fsanitize=fuzzer \
        -o $B/fuzz_$t tests/fuzz/fuzz_$t.c $B/libkazi.a $LIBS -lcsv -lm
done
status=0
run_target() {
    t=$1
    mkdir -p $B/corpus/$t
    echo "fuzz_$t: ${SECONDS_EACH}s"
    if ! $B/fuzz_$t -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -artifact_prefix=$B/crash-$t- $B/corpus/$t tests/fuzz/corpus/$t \
        >$B/fuzz_$t.log 2>&1; then
        echo "fuzz_$t: FINDING, see $B/fuzz_$t.log and $B/crash-$t-*"
        return 1
    fi
    grep -E 'stat::number_of_executed_units|cov:' $B/fuzz_$t.log | tail -n 2
    echo "fuzz_$t: no finding"
}
set -- $targets
while [ $# -gt 0 ]; do
    a=$1; shift
    run_target "$a" & pa=$!
    pb=""
    if [ $# -gt 0 ]; then b=$1; shift; run_target "$b" & pb=$!; fi
    wait $pa || status=1
    [ -n "$pb" ] && { wait $pb || status=1; }
done
exit $status
