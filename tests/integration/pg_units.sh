#!/bin/sh
# pg_units.sh - the store-level unit test programs again, on PostgreSQL: a
# private server (tests/pg.inc) in a temp dir, KAZI_TEST_PG set to its
# maintenance database so that each test's fixture makes a fresh database of
# its own (tests/db_target.h), and the programs of $KAZI_BUILD/tests/unit
# (the build of $KAZI_BIN, else build/san) run in two lanes side by side
# (their database names carry the process id). Commits do not wait for the
# server's disk (synchronous_commit off: PGOPTIONS): these tests are about
# the SQL, not about surviving a power cut. Their own SQLite-only
# parts print "SKIP (SQLite only): ..." and are not counted. Prints each
# program's FAIL lines and its count, and ends with the sum as
# "N passed, N failed"; a program that is missing, crashes, exits non-zero
# after passing, or prints no summary counts as one failure. PostgreSQL
# missing is a failure (CI installs it).
# Owns: its temp dir and its server; never touches another server.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib.inc"
. "$ROOT/tests/pg.inc"
kz_setup pg-units
lane1=
cleanup() {
    [ -z "$lane1" ] || kill "$lane1" 2>/dev/null
    pg_stop
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
if [ -n "${KAZI_BUILD:-}" ]; then
    BUILD=$KAZI_BUILD
elif [ -n "${KAZI_BIN:-}" ]; then
    BUILD=$(cd "$(dirname "$KAZI_BIN")" && pwd)
else
    BUILD=$ROOT/build/san
fi
LANE1="test_engine_dispatch test_conv test_outbox test_payout test_web_data test_engine_money
    test_engine_cli"
LANE2="test_engine_locks test_engine_answer test_ussd_menu test_abuse test_inbox test_store
    test_store_check test_conv_multi test_console test_engine_review test_db_pg"

chmod 755 "$T" # pg_start hands $T/pg to nobody when root: $T must be searchable
pg_test_server "$T/pg"
KAZI_TEST_PG="postgresql:///postgres?host=$KAZI_PG_HOST&user=kazi"
KAZI_TEST_PG_URI=$KAZI_TEST_PG
PGOPTIONS="-c synchronous_commit=off"
export KAZI_TEST_PG KAZI_TEST_PG_URI PGOPTIONS

# run_lane NAME...: each program in turn from the tree's root (some read
# tasks/providers); its output in $T/NAME.log, its exit status in $T/NAME.rc.
run_lane() {
    for u in "$@"; do
        bin=$BUILD/tests/unit/$u
        [ -x "$bin" ] || continue
        (cd "$ROOT" && timeout 200 "$bin") >"$T/$u.log" 2>&1
        echo $? >"$T/$u.rc"
    done
}

# count_unit NAME: one program's FAIL and SKIP lines and its counts, added to pass and fail.
count_unit() {
    bin=$BUILD/tests/unit/$1
    log=$T/$1.log
    if [ ! -x "$bin" ]; then
        bad "$1: no program $bin (build it first)"
        return
    fi
    rc=$(cat "$T/$1.rc" 2>/dev/null || echo none)
    grep -E 'FAIL' "$log" | sed "s|^|$1: |"
    grep -E '^SKIP' "$log" | sed "s|^|$1: |"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        bad "$1: no summary line (exit status $rc); its last lines:"
        tail -n 15 "$log" | sed "s|^|$1: |"
        return
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed}
    echo "$1: $line"
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$f" -eq 0 ] && [ "$rc" != 0 ]; then
        bad "$1: exit status $rc after $line"
        tail -n 15 "$log" | sed "s|^|$1: |"
    fi
}

# shellcheck disable=SC2086 # the lanes are lists of words
run_lane $LANE1 &
lane1=$!
# shellcheck disable=SC2086
run_lane $LANE2
wait "$lane1"
lane1=
for u in $LANE1 $LANE2; do
    count_unit "$u"
done
kz_report
