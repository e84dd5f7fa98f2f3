#!/bin/sh
# bench_shared.sh - two `kazi serve` daemons sharing one PostgreSQL database
# (issue 9): a private server (tests/pg.inc) in the temp dir, 4,000 tasks
# imported with `kazi import --db URI`, daemons A and B (the build given, -O2)
# with two zero-latency `kazi sim` modems each (a1 a2, b1 b2) and the burst of
# bench_inbound.sh (bench/inbound_feed.py, default 10,000 PDUs) split over the
# four simulators: each worker always writes to one SIM (worker w to SIM w mod
# 4), so each daemon receives half of the workers. Replies stay queued
# (daily_sms_cap = 1): the receive path alone, as in bench_inbound.
# Measures: messages and PDUs per second for the pair (first delivery to any
# modem -> the last commit of either daemon, from both daemons' "one commit
# at MS" lines), latency per message (+CMTI -> the commit of the daemon that
# stored it), CPU per message of the daemons and of the server, the server's
# WAL syncs; and checks that every message was stored once (each sender's
# stored bodies against its planned texts, through psql) and that both
# daemons took their share. The figures are comparable with the bench_inbound
# (SQLite) and bench_inbound_pg (BENCH_INBOUND_DB=pg) rows of the same burst.
# Usage: bench/bench_shared.sh BUILD_DIR [PDUS]. Prints human lines and
# `kazi.shared_pg.KEY=VALUE` lines; appends the KEY=VALUE lines to
# $BENCH_RESULTS when set; adds one row to the bench_shared_pg table of
# docs/benchmarks.md. Exits 1 when a message is missing or stored twice.
# Owns: that section. Never touches a real modem or the network (ptys and Unix
# sockets in a temp dir, the server on a Unix socket only); bounded
# (BENCH_SHARED_LIMIT seconds, default 300), and the trap kills every process
# it started, by pid, and stops the server.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
PDUS=${2:-10000}
LIMIT=${BENCH_SHARED_LIMIT:-300}
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=${BENCH_DOC:-docs/benchmarks.md}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
[ -x "$PY" ] || { echo "needs $PY"; exit 1; }
. "$HERE/../tests/pg.inc"
why=$(pg_skip_reason)
[ -z "$why" ] || { echo "bench_shared: $why"; exit 1; }
PSQL=$(pg_tool psql)
T=$(mktemp -d /tmp/kazi-bench-shared-XXXXXX)
chmod 755 "$T"
SA1="" SA2="" SB1="" SB2="" DA="" DB="" PERF=""
cleanup() {
    bench_stop $PERF $DA $DB $SA1 $SA2 $SB1 $SB2
    pg_stop
    bench_remove_temp
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_user
# RUNAS: as root, the unprivileged user from the start (the shipped unit's User=kazi).
RUNAS=
if [ -n "$USEROPT" ] && command -v setpriv >/dev/null 2>&1; then
    RUNAS="setpriv --reuid=nobody --regid=nogroup --init-groups"
    USEROPT=
fi

pg_start "$T/pg" || exit 1
URI=$(pg_createdb kazi_shared) || exit 1
# sql QUERY: one query on the shared database, through psql.
sql() { "$PSQL" -X -At "$URI" -c "$1" 2>/dev/null; }
# ticks PID...: user + system clock ticks of these processes so far.
ticks() {
    for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{n += $14 + $15} END {print n + 0}'
}
# pg_ticks: the same for the server's processes (postmaster and children).
pg_ticks() {
    pm=$(head -n 1 "$T/pg/data/postmaster.pid" 2>/dev/null || echo none)
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" '$1 == pm || $4 == pm {n += $14 + $15} END {print n + 0}'
}
# wal_syncs: the server's WAL syncs so far (pg_stat_wal, fsync on).
wal_syncs() { sql "SELECT wal_sync FROM pg_stat_wal"; }

awk -v n=4000 'BEGIN {
    print "id,type,prompt,options";
    for (i = 1; i <= n; i++) printf "%d,verify,Is shop T%d on Moi Ave open?,Yes|No\n", i, i;
}' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch bench --requester Acme --reward 3 --db "$URI" >/dev/null

seed=0
for s in a1 a2 b1 b2; do
    seed=$((seed + 1))
    $RUNAS "$KAZI" sim --link "$T/$s" --control "$T/$s.ctl" --seed "$seed" \
        --delivery-log "$T/delivered_$s.log" >"$T/sim_$s.log" 2>&1 &
    case $s in a1) SA1=$! ;; a2) SA2=$! ;; b1) SB1=$! ;; b2) SB2=$! ;; esac
done
for s in a1 a2 b1 b2; do
    wait_for 10 test -S "$T/$s.ctl" || { echo "simulator $s did not start"; exit 1; }
done

for d in A B; do
    m=$(echo "$d" | tr AB ab)
    cat >"$T/$d.conf" <<EOF
; kazi serve $d of two sharing one PostgreSQL database
[gateway]
database = $URI
log_level = debug
[outbox]
daily_sms_cap = 1
[conv]
max_replies_hour = 1000
max_replies_day = 10000
[modem ${m}1]
port = $T/${m}1
[modem ${m}2]
port = $T/${m}2
EOF
done
# shellcheck disable=SC2086 # USEROPT is empty or one option and its value
$RUNAS "$KAZI" serve -c "$T/A.conf" $USEROPT >"$T/A.log" 2>&1 & DA=$!
# shellcheck disable=SC2086
$RUNAS "$KAZI" serve -c "$T/B.conf" $USEROPT >"$T/B.log" 2>&1 & DB=$!
ready() { [ "$(grep -c "modem $2[12]: ready" "$T/$1.log")" -ge 2 ]; }
wait_for 20 ready A a || { echo "daemon A: modems not ready:"; tail -20 "$T/A.log"; exit 1; }
wait_for 20 ready B b || { echo "daemon B: modems not ready:"; tail -20 "$T/B.log"; exit 1; }
sleep 2 # settle: both daemons idle

sends=n/a
if command -v perf >/dev/null 2>&1 && perf stat -e syscalls:sys_enter_sendto true >/dev/null 2>&1; then
    # the daemons' requests to the server (libpq sends each with one sendto)
    perf stat -x, -e syscalls:sys_enter_sendto -p "$DA,$DB" -o "$T/perf.txt" & PERF=$!
    sleep 0.5
fi
cpu0=$(ticks "$DA" "$DB")
sim0=$(ticks "$SA1" "$SA2" "$SB1" "$SB2")
pg0=$(pg_ticks)
wal0=$(wal_syncs)
load0=$(cut -d' ' -f1 /proc/loadavg)
CTLS="--ctl $T/a1.ctl --ctl $T/a2.ctl --ctl $T/b1.ctl --ctl $T/b2.ctl"
# shellcheck disable=SC2086 # CTLS is four options
"$PY" "$HERE/inbound_feed.py" feed $CTLS --pdus "$PDUS" --plan "$T/plan.jsonl" \
    --deadline "$LIMIT" >"$T/feed.log" 2>&1 || { echo "feed failed:"; cat "$T/feed.log"; exit 1; }
want=$(wc -l <"$T/plan.jsonl")
all_in() { [ "$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")" -ge "$want" ]; }
wait_for "$LIMIT" all_in ||
    { echo "not every message was stored:"; tail -5 "$T/A.log"; tail -5 "$T/B.log"; }
end_ms=$(now_ms)
sleep 0.5 # the last deletes
if [ -n "$PERF" ]; then
    kill -INT "$PERF" 2>/dev/null || true
    wait "$PERF" 2>/dev/null || true
    PERF=
    [ ! -f "$T/perf.txt" ] ||
        sends=$(awk -F, '$3 ~ /sys_enter_sendto/ {n += $1} END {print n + 0}' "$T/perf.txt")
fi
cpu1=$(ticks "$DA" "$DB")
sim1=$(ticks "$SA1" "$SA2" "$SB1" "$SB2")
pg1=$(pg_ticks)
load1=$(cut -d' ' -f1 /proc/loadavg)
peak_a=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$DA/status" 2>/dev/null || echo 0)
peak_b=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$DB/status" 2>/dev/null || echo 0)
left=$(for s in a1 a2 b1 b2; do "$KAZI" sim ctl "$T/$s.ctl" stats; done |
    grep -o '"sm_used": *[0-9]*' | awk -F: '{n += $2} END {print n + 0}')
kill -TERM "$DA" "$DB"
wait "$DA" || true
wait "$DB" || true
DA="" DB=""
sleep 1 # the server's statistics of the closed connections
wal1=$(wal_syncs)

status=0
"$PY" "$HERE/inbound_feed.py" report --plan "$T/plan.jsonl" \
    --sim-log "$T/delivered_a1.log" --sim-log "$T/delivered_a2.log" \
    --sim-log "$T/delivered_b1.log" --sim-log "$T/delivered_b2.log" \
    --serve-log "$T/A.log" --daemon-modems a1,a2 --serve-log "$T/B.log" --daemon-modems b1,b2 \
    --db "$URI" --psql "$PSQL" --check-once --end-ms "$end_ms" >"$T/report.kv" ||
    { echo "report: not every message matched, or one was stored twice"; cat "$T/report.kv"; status=1; }
v() { awk -F= -v k="$1" '$1 == k {print $2}' "$T/report.kv"; }
by_daemon() { # by_daemon a|b: inbound messages whose parts came through that daemon's modems
    sql "SELECT count(DISTINCT message_id) FROM inbox_parts WHERE modem IN ('${1}1', '${1}2')"
}
msgs_a=$(by_daemon a)
msgs_b=$(by_daemon b)
# every PDU one part (dedupe_key is UNIQUE), each handed over to a message
parts=$(sql "SELECT count(*) FROM inbox_parts")
parts_loose=$(sql "SELECT count(*) FROM inbox_parts WHERE message_id IS NULL")
answers=$(sql "SELECT count(*) FROM answers")
replies=$(sql "SELECT count(*) FROM messages WHERE direction = 'out'")
n=$(v messages_stored)
hz=$(getconf CLK_TCK)
per_msg() { awk -v c="$1" -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", (n > 0 ? c * 1000 / hz / n : 0) }'; }
cpu_ms=$(per_msg $((cpu1 - cpu0)))
sim_ms=$(per_msg $((sim1 - sim0)))
pg_ms=$(per_msg $((pg1 - pg0)))
wal=$((wal1 - wal0))
sends_per_msg=$(awk -v s="$sends" -v n="$n" 'BEGIN { if (s == "n/a" || n == 0) print "n/a"; else printf "%.1f", s / n }')
wal_per_msg=$(awk -v s="$wal" -v n="$n" 'BEGIN { if (n == 0) print "n/a"; else printf "%.3f", s / n }')
pg_version=$("$PSQL" -X -At "$URI" -c 'SHOW server_version' | cut -d' ' -f1)
dsync_ms=$(bench_dsync_ms)
machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)
[ "$(v stored_twice)" = 0 ] && [ "$(v not_stored)" = 0 ] && [ "$(v not_as_planned)" = 0 ] &&
    [ "$parts" = "$(v pdus)" ] && [ "$parts_loose" = 0 ] || status=1
[ "$msgs_a" -gt 0 ] 2>/dev/null && [ "$msgs_b" -gt 0 ] 2>/dev/null ||
    { echo "one daemon received nothing (A $msgs_a, B $msgs_b)"; status=1; }

cat >"$T/results.kv" <<EOF
kazi.shared_pg.pdus=$(v pdus)
kazi.shared_pg.messages=$n
kazi.shared_pg.messages_daemon_a=$msgs_a
kazi.shared_pg.messages_daemon_b=$msgs_b
kazi.shared_pg.answers_recorded=$answers
kazi.shared_pg.replies_queued=$replies
kazi.shared_pg.seconds=$(v seconds)
kazi.shared_pg.msgs_per_s=$(v messages_per_s)
kazi.shared_pg.pdus_per_s=$(v pdus_per_s)
kazi.shared_pg.latency_p50_ms=$(v latency_p50_ms)
kazi.shared_pg.latency_p99_ms=$(v latency_p99_ms)
kazi.shared_pg.latency_max_ms=$(v latency_max_ms)
kazi.shared_pg.group_commits=$(v commits)
kazi.shared_pg.stored_twice=$(v stored_twice)
kazi.shared_pg.not_stored=$(v not_stored)
kazi.shared_pg.not_as_planned=$(v not_as_planned)
kazi.shared_pg.parts_stored=$parts
kazi.shared_pg.parts_not_handed=$parts_loose
kazi.shared_pg.cpu_ms_per_msg=$cpu_ms
kazi.shared_pg.server_cpu_ms_per_msg=$pg_ms
kazi.shared_pg.sim_cpu_ms_per_msg=$sim_ms
kazi.shared_pg.server_wal_syncs=$wal
kazi.shared_pg.server_wal_syncs_per_msg=$wal_per_msg
kazi.shared_pg.server_requests=$sends
kazi.shared_pg.server_requests_per_msg=$sends_per_msg
kazi.shared_pg.rss_peak_a_kib=$peak_a
kazi.shared_pg.rss_peak_b_kib=$peak_b
kazi.shared_pg.loadavg_start=$load0
kazi.shared_pg.loadavg_end=$load1
kazi.shared_pg.sim_left=$left
EOF
echo "burst: $(v pdus) PDUs = $n messages ($answers answers recorded, $replies replies queued), 4 zero-latency simulators, 2 daemons"
echo "database: PostgreSQL $pg_version on a Unix socket in $T/pg (fsync on, synchronous_commit on), shared by both daemons"
echo "throughput (the pair): $(v messages_per_s) messages/s, $(v pdus_per_s) PDUs/s over $(v seconds) s (first +CMTI to the last commit of either daemon)"
echo "latency +CMTI -> committed by its daemon: p50 $(v latency_p50_ms) ms, p99 $(v latency_p99_ms) ms, max $(v latency_max_ms) ms"
echo "share: daemon A $msgs_a messages ($(v commits_daemon1) group commits), daemon B $msgs_b ($(v commits_daemon2))"
echo "stored once: $(v stored_twice) stored twice, $(v not_stored) not stored, $(v not_as_planned) not as planned; $parts parts stored for $(v pdus) PDUs, $parts_loose not handed over; left on the SIMs: $left"
echo "server: $wal WAL syncs ($wal_per_msg per message, pg_stat_wal); a 4 KiB O_DSYNC write here: ${dsync_ms:-?} ms"
echo "requests to the server: $sends ($sends_per_msg per message; both daemons' sendto calls, perf)"
echo "CPU per message: both daemons $cpu_ms ms, server $pg_ms ms, the four simulators $sim_ms ms; load average $load0 before, $load1 after ($(nproc) CPUs shared)"
echo "daemon RSS peak (VmHWM): A $peak_a KiB, B $peak_b KiB"
cat "$T/results.kv"
[ -z "${BENCH_RESULTS:-}" ] || cat "$T/results.kv" >>"$BENCH_RESULTS"

row="| $date | $(v pdus) / $n | $msgs_a / $msgs_b | $(v seconds) | $(v messages_per_s) | $(v pdus_per_s) | $(v latency_p50_ms) / $(v latency_p99_ms) / $(v latency_max_ms) | $(v commits) | $(v stored_twice) / $(v not_stored) | $wal_per_msg | $sends_per_msg | $cpu_ms | $pg_ms | $load0 / $load1 | ${dsync_ms:-?} | $pg_version |"
{
    echo "<!-- bench_shared_pg:begin (written by bench/bench_shared.sh; each run adds a row) -->"
    echo "## Two daemons sharing one PostgreSQL database"
    echo
    echo "- machine (last run): $machine"
    echo "- command: \`make bench\` (bench/bench_shared.sh $B $PDUS), build flags -O2 -g"
    echo "- setup: daemons A and B, each with two zero-latency \`kazi sim\` modems (a1 a2, b1 b2),"
    echo "  \`database =\` the same PostgreSQL $pg_version database (tests/pg.inc: a private server on"
    echo "  a Unix socket, fsync on, synchronous_commit on, default settings otherwise), the burst"
    echo "  of bench_inbound split over the four simulators (worker w always writes to SIM w mod 4),"
    echo "  replies queued (daily_sms_cap = 1). Server, daemons, simulators and feeder share the"
    echo "  machine's CPUs: on few CPUs the pair competes with its own server."
    echo "- messages/s: the pair's, from the first delivery to any modem to the last commit of"
    echo "  either daemon (their \"one commit at MS\" lines); latency per message, +CMTI to the"
    echo "  commit of the daemon that stored it. Twice / missing: each sender's stored bodies"
    echo "  against its planned texts (0 / 0 expected). WAL syncs: the server's (pg_stat_wal)."
    echo "  Requests/message: both daemons' sendto calls (perf), one per round trip to the server."
    echo "  CPU ms/message: both daemons together, and the server's processes."
    echo "  Compare with the bench_inbound (SQLite) and bench_inbound_pg (one daemon) rows."
    echo
    echo "| date | PDUs / messages | messages A / B | s | messages/s | PDUs/s | latency p50 / p99 / max ms | group commits | twice / missing | server WAL syncs/message | requests/message | daemons CPU ms/message | server CPU ms/message | load avg before / after | disk O_DSYNC 4 KiB ms | PostgreSQL |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
    bench_old_rows bench_shared_pg
    echo "$row"
    echo "<!-- bench_shared_pg:end -->"
} >"$T/section.md"
bench_write_section bench_shared_pg "$T/section.md"
exit $status
