#!/bin/sh
# run.sh - builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang,
# ASan and UBSan, and runs each for SECONDS (default 300), two at a time.
# Targets link libkazi.a and the gateway objects except gateway/main.o.
# Seeds: tests/fuzz/corpus/TARGET (committed); new finds go to
# WORK/corpus/TARGET, crashes to WORK/crash-TARGET-*, logs to WORK/fuzz_TARGET.log.
# A target is linked again only when its source or a library is newer.
# Ends with "N passed, N failed" (a target passes when it ran with no finding).
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Environment: FUZZ_BUILD (default build/fuzz), FUZZ_WORK (default FUZZ_BUILD).
set -eu
SECONDS_EACH=${1:-300}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.."
B=${FUZZ_BUILD:-build/fuzz}
W=${FUZZ_WORK:-$B}
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -g -O1"
GW_OBJ=$(ls gateway/*.c | grep -v '^gateway/main\.c$' | sed "s#^\(.*\)\.c\$#$B/\1.o#")
make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" B=$B CC=clang CFLAGS="-g -O1" \
    EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" $B/libkazi.a $GW_OBJ >/dev/null
if [ ! -f $B/libkazi-gateway.a ] || [ -n "$(find $GW_OBJ -newer $B/libkazi-gateway.a)" ]; then
    rm -f $B/libkazi-gateway.a
    ar rcs $B/libkazi-gateway.a $GW_OBJ
fi
# libGammu and libmicrohttpd are loaded with dlopen (modem/gammu_lib.c,
# gateway/http_mhd.c): not linked, as in the kazi binary.
LIBS=$(pkg-config --libs libserialport sqlite3 jansson inih)
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's#.*/fuzz_##; s#\.c$##')}
for t in $targets; do
    if [ $B/fuzz_$t -nt tests/fuzz/fuzz_$t.c ] && [ $B/fuzz_$t -nt $B/libkazi.a ] &&
       [ $B/fuzz_$t -nt $B/libkazi-gateway.a ]; then
        continue
    fi
    clang -std=c11 -D_DEFAULT_SOURCE -Imodem -Itasks -Igateway $FLAGS -fsanitize=fuzzer \
        -o $B/fuzz_$t tests/fuzz/fuzz_$t.c $B/libkazi-gateway.a $B/libkazi.a $LIBS -lcsv -lm
done
run_target() {
    t=$1
    mkdir -p $W/corpus/$t
    echo "fuzz_$t: ${SECONDS_EACH}s"
    if ! $B/fuzz_$t -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -artifact_prefix=$W/crash-$t- $W/corpus/$t tests/fuzz/corpus/$t \
        >$W/fuzz_$t.log 2>&1; then
        echo "fuzz_$t: FINDING, see $W/fuzz_$t.log and $W/crash-$t-*"
        return 1
    fi
    grep -E 'stat::number_of_executed_units|cov:' $W/fuzz_$t.log | tail -n 2
    echo "fuzz_$t: no finding"
}
pass=0; fail=0
count() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi; }
set -- $targets
while [ $# -gt 0 ]; do
    a=$1; shift
    run_target "$a" & pa=$!
    pb=""
    if [ $# -gt 0 ]; then b=$1; shift; run_target "$b" & pb=$!; fi
    ra=0; wait $pa || ra=1; count $ra
    if [ -n "$pb" ]; then rb=0; wait $pb || rb=1; count $rb; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
