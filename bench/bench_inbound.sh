#!/bin/sh
# bench_inbound.sh - the receive path end to end: `kazi serve` (the build
# given, -O2) with two zero-latency `kazi sim` modems on pseudo-terminals and
# a burst of N SMS-DELIVER PDUs (default 10,000) from simulated workers
# (bench/inbound_feed.py: JOIN, NEXT, answers to their offers by reference,
# BAL, a two-part ASK). Each PDU is stored by the simulator with a +CMTI, read
# by the AT driver, committed (synchronous=FULL, as in production) with the
# answer recorded and the reply queued, and only then deleted from the SIM.
# Measures: messages and PDUs per second (first delivery to the modem -> last
# commit), latency per message from its (last part's) delivery with +CMTI to
# the commit that handled it (p50, p99, max), durable syncs of the disk per
# message (fsync + fdatasync counted by perf, when perf can), and the daemon's
# resident memory idle (modems ready, nothing to do) and at its peak (VmHWM).
# Run as root, it starts the simulators and the daemon as an unprivileged user
# (setpriv), as gateway/kazi.service starts it, and measures apart the idle
# memory of the daemon started as root with --user.
# Replies stay queued (daily_sms_cap = 1: only the receive path is measured;
# bench_loop.sh measures both directions together).
# Usage: bench/bench_inbound.sh BUILD_DIR [PDUS]. Prints human lines and
# `kazi.inbound.KEY=VALUE` lines; appends the KEY=VALUE lines to $BENCH_RESULTS
# when set; adds one row to the bench_inbound table of docs/benchmarks.md.
# BENCH_INBOUND_DB=pg: the same on PostgreSQL (issue 9): a private server
# (tests/pg.inc) in the temp dir, its database as `database =` and for
# `kazi import --db`, read back through psql; the figures are
# `kazi.inbound_pg.KEY=VALUE` and the row goes to the bench_inbound_pg table.
# There the server syncs the disk, not the daemon: perf's count of the
# daemon's syncs does not apply (n/a); the server's WAL syncs (pg_stat_wal)
# and its processes' CPU time are measured instead.
# Owns: those sections. Never touches a real modem or the network (ptys and Unix
# sockets in a temp dir); bounded (BENCH_INBOUND_LIMIT seconds, default 300),
# and the trap kills every process it started, by pid.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
PDUS=${2:-10000}
LIMIT=${BENCH_INBOUND_LIMIT:-300}
CAP=1 # replies stay queued; BENCH_INBOUND_SEND=1 sends them (the AT channels carry both)
[ -z "${BENCH_INBOUND_SEND:-}" ] || CAP=0
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=${BENCH_DOC:-docs/benchmarks.md}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
[ -x "$PY" ] || { echo "needs $PY"; exit 1; }
PG="" PFX=kazi.inbound
case ${BENCH_INBOUND_DB:-sqlite} in
sqlite) ;;
pg)
    PG=1 PFX=kazi.inbound_pg
    . "$HERE/../tests/pg.inc"
    why=$(pg_skip_reason)
    [ -z "$why" ] || { echo "BENCH_INBOUND_DB=pg: $why"; exit 1; }
    PSQL=$(pg_tool psql)
    ;;
*) echo "BENCH_INBOUND_DB: sqlite or pg, not '$BENCH_INBOUND_DB'"; exit 1 ;;
esac
T=$(mktemp -d /tmp/kazi-bench-inbound-XXXXXX)
chmod 755 "$T"
DB=$T/k.db
SIM1= SIM2= DAEMON= PERF=
cleanup() {
    bench_stop $PERF $DAEMON $SIM1 $SIM2
    [ -z "$PG" ] || pg_stop
    bench_remove_temp
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_user
# RUNAS: as root, the unprivileged user from the start (the shipped unit's User=kazi);
# USEROPT then only serves the measurement of a start as root with --user.
RUNAS=
if [ -n "$USEROPT" ] && command -v setpriv >/dev/null 2>&1; then
    RUNAS="setpriv --reuid=nobody --regid=nogroup --init-groups"
fi

if [ -n "$PG" ]; then
    pg_start "$T/pg" || exit 1
    DB=$(pg_createdb kazi_bench) || exit 1
    # sql QUERY: one query on the database, through psql (lib.sh's reads the SQLite file).
    sql() { "$PSQL" -X -At "$DB" -c "$1" 2>/dev/null; }
fi
# pg_ticks: user + system clock ticks of the server's processes (postmaster and children).
pg_ticks() {
    pm=$(head -n 1 "$T/pg/data/postmaster.pid" 2>/dev/null || echo none)
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" '$1 == pm || $4 == pm {n += $14 + $15} END {print n + 0}'
}
# wal_syncs: the server's WAL syncs so far (pg_stat_wal, fsync on).
wal_syncs() { sql "SELECT wal_sync FROM pg_stat_wal"; }

sim_ticks() { cat "/proc/$SIM1/stat" "/proc/$SIM2/stat" 2>/dev/null | awk '{n += $14 + $15} END {print n + 0}'; }

for i in 1 2; do
    $RUNAS "$KAZI" sim --link "$T/m$i" --control "$T/s$i.ctl" --seed "$i" \
        --delivery-log "$T/delivered$i.log" >"$T/sim$i.log" 2>&1 &
    eval "SIM$i=\$!"
done
wait_for 10 test -S "$T/s1.ctl"
wait_for 10 test -S "$T/s2.ctl"

cat >"$T/k.conf" <<EOF
[gateway]
database = $DB
log_level = debug
[outbox]
daily_sms_cap = ${CAP}
[conv]
max_replies_hour = 1000
max_replies_day = 10000
[modem m1]
port = $T/m1
[modem m2]
port = $T/m2
EOF
awk -v n=4000 'BEGIN {
    print "id,type,prompt,options";
    for (i = 1; i <= n; i++) printf "%d,verify,Is shop T%d on Moi Ave open?,Yes|No\n", i, i;
}' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch bench --requester Acme --reward 3 --db "$DB" >/dev/null
[ -n "$PG" ] || [ -z "$USEROPT" ] || chmod 666 "$T/k.db"

dsync_ms=$(bench_dsync_ms)

ready2() { [ "$(grep -c 'modem m[12]: ready' "$1")" -ge 2 ]; }
rss_root=n/a # started as root with --user (getpwnam, initgroups: libnss_systemd and its libraries)
if [ -n "$RUNAS" ]; then
    "$KAZI" serve -c "$T/k.conf" $USEROPT >"$T/serve_root.log" 2>&1 & DAEMON=$!
    wait_for 20 ready2 "$T/serve_root.log" || { echo "modems not ready:"; tail -20 "$T/serve_root.log"; exit 1; }
    sleep 12 # settle: nothing to do (the daemon gives back what it can 10 s after its last I/O)
    rss_root=$(kb VmRSS)
    kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=
    USEROPT=
fi
$RUNAS "$KAZI" serve -c "$T/k.conf" $USEROPT >"$T/serve.log" 2>&1 & DAEMON=$!
wait_for 20 ready2 "$T/serve.log" || { echo "modems not ready:"; tail -20 "$T/serve.log"; exit 1; }
sleep 12 # settle, as above
idle_rss=$(kb VmRSS)
cp "/proc/$DAEMON/smaps_rollup" "$T/idle_smaps_rollup" 2>/dev/null || true
pmap -x "$DAEMON" >"$T/idle_pmap.txt" 2>/dev/null || true

syncs=n/a
if [ -n "${BENCH_INBOUND_PROFILE:-}" ]; then # a profile instead of the sync count
    perf record -g -e cpu-clock -e syscalls:sys_enter_fdatasync -e syscalls:sys_enter_fsync \
        -p "$DAEMON" -o "$BENCH_INBOUND_PROFILE" >"$T/perf_record.txt" 2>&1 & PERF=$!
    sleep 0.5
elif [ -z "$PG" ] && command -v perf >/dev/null 2>&1 &&
    perf stat -e syscalls:sys_enter_fdatasync true >/dev/null 2>&1; then
    perf stat -x, -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$DAEMON" \
        -o "$T/perf.txt" & PERF=$!
    sleep 0.5
elif [ -n "$PG" ] && command -v perf >/dev/null 2>&1 &&
    perf stat -e syscalls:sys_enter_sendto true >/dev/null 2>&1; then
    # on PostgreSQL: the daemon's requests to the server (libpq sends each with one sendto)
    perf stat -x, -e syscalls:sys_enter_sendto -p "$DAEMON" -o "$T/perf_pg.txt" & PERF=$!
    sleep 0.5
fi

cpu0=$(cpu_ticks)
sim0=$(sim_ticks)
if [ -n "$PG" ]; then pg0=$(pg_ticks); wal0=$(wal_syncs); sends=n/a; fi
load0=$(cut -d' ' -f1 /proc/loadavg)
"$PY" "$HERE/inbound_feed.py" feed --ctl "$T/s1.ctl" --ctl "$T/s2.ctl" --pdus "$PDUS" \
    --plan "$T/plan.jsonl" --deadline "$LIMIT" >"$T/feed.log" 2>&1 ||
    { echo "feed failed:"; cat "$T/feed.log"; exit 1; }
want=$(wc -l <"$T/plan.jsonl")
all_in() { [ "$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")" -ge "$want" ]; }
wait_for "$LIMIT" all_in || { echo "not every message was stored:"; tail -5 "$T/serve.log"; }
end_ms=$(date +%s%3N) # seen from outside (to 0.1 s), for a daemon that does not log its commits
sleep 0.5 # the last deletes
if [ -n "$PERF" ]; then
    kill -INT "$PERF" 2>/dev/null || true
    wait "$PERF" 2>/dev/null || true
    PERF=
    [ ! -f "$T/perf_pg.txt" ] ||
        sends=$(awk -F, '$3 ~ /sys_enter_sendto/ {n += $1} END {print n + 0}' "$T/perf_pg.txt")
    [ -f "$T/perf.txt" ] && syncs=$(awk -F, '$3 ~ /sys_enter_f(data)?sync/ {n += $1} END {print n + 0}' "$T/perf.txt")
fi
peak_rss=$(kb VmHWM)
cpu1=$(cpu_ticks)
sim1=$(sim_ticks)
[ -z "$PG" ] || pg1=$(pg_ticks)
load1=$(cut -d' ' -f1 /proc/loadavg)
left=$(for i in 1 2; do "$KAZI" sim ctl "$T/s$i.ctl" stats; done | grep -o '"sm_used": *[0-9]*' | awk -F: '{n += $2} END {print n + 0}')
kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=

if [ -z "$PG" ]; then
"$PY" "$HERE/inbound_feed.py" report --plan "$T/plan.jsonl" --sim-log "$T/delivered1.log" \
    --sim-log "$T/delivered2.log" --serve-log "$T/serve.log" --db "$T/k.db" --end-ms "$end_ms" >"$T/report.kv" ||
    { echo "report: not every message matched"; cat "$T/report.kv"; }
else
    sleep 1 # the server's statistics of the closed connection
    wal1=$(wal_syncs)
    "$PY" "$HERE/inbound_feed.py" report --plan "$T/plan.jsonl" --sim-log "$T/delivered1.log" \
        --sim-log "$T/delivered2.log" --serve-log "$T/serve.log" --db "$DB" --psql "$PSQL" \
        --end-ms "$end_ms" >"$T/report.kv" ||
        { echo "report: not every message matched"; cat "$T/report.kv"; }
fi
v() { awk -F= -v k="$1" '$1 == k {print $2}' "$T/report.kv"; }
answers=$(sql "SELECT count(*) FROM answers")
replies=$(sql "SELECT count(*) FROM messages WHERE direction = 'out'")
per_msg=$(awk -v s="$syncs" -v n="$(v messages_stored)" 'BEGIN { if (s == "n/a" || n == 0) print "n/a"; else printf "%.3f", s / n }')
machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)
hz=$(getconf CLK_TCK)
sim_ms=$(awk -v c=$((sim1 - sim0)) -v hz="$hz" -v n="$(v messages_stored)" 'BEGIN { printf "%.3f", (n > 0 ? c * 1000 / hz / n : 0) }')
cpu_ms=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" -v n="$(v messages_stored)" 'BEGIN { printf "%.3f", (n > 0 ? c * 1000 / hz / n : 0) }')
if [ -n "$PG" ]; then
    pg_ms=$(awk -v c=$((pg1 - pg0)) -v hz="$hz" -v n="$(v messages_stored)" 'BEGIN { printf "%.3f", (n > 0 ? c * 1000 / hz / n : 0) }')
    wal=$((wal1 - wal0))
    sends_per_msg=$(awk -v s="$sends" -v n="$(v messages_stored)" 'BEGIN { if (s == "n/a" || n == 0) print "n/a"; else printf "%.1f", s / n }')
    wal_per_msg=$(awk -v s="$wal" -v n="$(v messages_stored)" 'BEGIN { if (n == 0) print "n/a"; else printf "%.3f", s / n }')
    pg_version=$("$PSQL" -X -At "$DB" -c 'SHOW server_version' | cut -d' ' -f1)
fi

cat >"$T/results.kv" <<EOF
$PFX.pdus=$(v pdus)
$PFX.messages=$(v messages_stored)
$PFX.answers_recorded=$answers
$PFX.replies_queued=$replies
$PFX.seconds=$(v seconds)
$PFX.msgs_per_s=$(v messages_per_s)
$PFX.pdus_per_s=$(v pdus_per_s)
$PFX.latency_p50_ms=$(v latency_p50_ms)
$PFX.latency_p99_ms=$(v latency_p99_ms)
$PFX.latency_max_ms=$(v latency_max_ms)
$PFX.group_commits=$(v commits)
$PFX.disk_syncs=$syncs
$PFX.syncs_per_msg=$per_msg
$PFX.cpu_ms_per_msg=$cpu_ms
$PFX.sim_cpu_ms_per_msg=$sim_ms
$PFX.loadavg_start=$load0
$PFX.loadavg_end=$load1
$PFX.rss_idle_kib=$idle_rss
$PFX.rss_peak_kib=$peak_rss
$PFX.rss_idle_root_user_kib=$rss_root
$PFX.sim_left=$left
EOF
[ -z "$PG" ] || cat >>"$T/results.kv" <<EOF
$PFX.server_wal_syncs=$wal
$PFX.server_wal_syncs_per_msg=$wal_per_msg
$PFX.server_cpu_ms_per_msg=$pg_ms
$PFX.server_requests=$sends
$PFX.server_requests_per_msg=$sends_per_msg
EOF
echo "burst: $(v pdus) PDUs = $(v messages_stored) messages ($answers answers recorded, $replies replies queued), 2 zero-latency simulators"
echo "throughput: $(v messages_per_s) messages/s, $(v pdus_per_s) PDUs/s over $(v seconds) s (first +CMTI to last commit)"
echo "latency +CMTI -> committed with the reply queued: p50 $(v latency_p50_ms) ms, p99 $(v latency_p99_ms) ms, max $(v latency_max_ms) ms"
if [ -z "$PG" ]; then
echo "commits: $(v commits) group commits; $syncs disk syncs ($per_msg per message); a 4 KiB O_DSYNC write here: ${dsync_ms:-?} ms"
echo "daemon CPU: $cpu_ms ms per message (user+system; the two simulators: $sim_ms ms); load average $load0 before, $load1 after (2 CPUs shared)"
else
    echo "database: PostgreSQL $pg_version on a Unix socket in $T/pg (fsync on, synchronous_commit on)"
    echo "commits: $(v commits) group commits; the server syncs the disk, not the daemon: the daemon's sync count (perf) does not apply, n/a"
    echo "server: $wal WAL syncs ($wal_per_msg per message, pg_stat_wal); a 4 KiB O_DSYNC write here: ${dsync_ms:-?} ms"
    echo "requests to the server: $sends ($sends_per_msg per message; the daemon's sendto calls, perf)"
    echo "CPU per message: daemon $cpu_ms ms, server $pg_ms ms (its processes), the two simulators $sim_ms ms; load average $load0 before, $load1 after (2 CPUs shared)"
fi
echo "daemon RSS: idle $idle_rss KiB, peak (VmHWM) $peak_rss KiB; messages left on the SIMs: $left"
echo "daemon started ${RUNAS:+as the unit starts it: by }${RUNAS:-as $(id -un)}; idle when started as root with --user: $rss_root KiB"
cat "$T/results.kv"
[ -z "${BENCH_RESULTS:-}" ] || cat "$T/results.kv" >>"$BENCH_RESULTS"

if [ -n "$PG" ]; then
    row="| $date | $(v pdus) / $(v messages_stored) | $(v seconds) | $(v messages_per_s) | $(v pdus_per_s) | $(v latency_p50_ms) / $(v latency_p99_ms) / $(v latency_max_ms) | $(v commits) | $wal_per_msg | $sends_per_msg | $cpu_ms | $pg_ms | $load0 / $load1 | ${dsync_ms:-?} | $idle_rss KiB | $peak_rss KiB | $pg_version |"
    {
        echo "<!-- bench_inbound_pg:begin (written by BENCH_INBOUND_DB=pg bench/bench_inbound.sh; each run adds a row) -->"
        echo "## Inbound on PostgreSQL: the same burst, one daemon, \`database = postgresql://\`"
        echo
        echo "- machine (last run): $machine"
        echo "- command: \`BENCH_INBOUND_DB=pg bench/bench_inbound.sh $B $PDUS\`, build flags -O2 -g"
        echo "- setup: as bench_inbound (two zero-latency \`kazi sim\` modems, the same workers and"
        echo "  burst, replies queued), but the store is Debian's PostgreSQL $pg_version on the same"
        echo "  machine (tests/pg.inc: a private server on a Unix socket, fsync on,"
        echo "  synchronous_commit on, default settings otherwise), sharing the CPUs with the"
        echo "  daemon, the simulators and the feeder."
        echo "- messages/s and latency: as bench_inbound (first delivery to a modem -> the daemon's"
        echo "  last \"one commit at MS\" line; per message, +CMTI to its commit)."
        echo "  The daemon does not sync the disk here, the server does: WAL syncs per message are"
        echo "  the server's (pg_stat_wal.wal_sync over the burst), checkpoints not included."
        echo "  Requests/message: the daemon's sendto calls during the burst (perf), one per round"
        echo "  trip to the server: statements, and the savepoints tasks/db_pg.c adds around writes."
        echo "  Server CPU: user + system time of the postmaster and its children over the burst."
        echo
        echo "| date | PDUs / messages | s | messages/s | PDUs/s | latency p50 / p99 / max ms | group commits | server WAL syncs/message | requests/message | daemon CPU ms/message | server CPU ms/message | load avg before / after | disk O_DSYNC 4 KiB ms | RSS idle | RSS peak | PostgreSQL |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        bench_old_rows bench_inbound_pg
        echo "$row"
        echo "<!-- bench_inbound_pg:end -->"
    } >"$T/section.md"
    bench_write_section bench_inbound_pg "$T/section.md"
    exit 0
fi

row="| $date | $(v pdus) / $(v messages_stored) | $(v seconds) | $(v messages_per_s) | $(v pdus_per_s) | $(v latency_p50_ms) / $(v latency_p99_ms) / $(v latency_max_ms) | $(v commits) | $per_msg | $cpu_ms | $load0 / $load1 | ${dsync_ms:-?} | $idle_rss KiB | $peak_rss KiB |"
{
    echo "<!-- bench_inbound:begin (written by bench/bench_inbound.sh; each run adds a row) -->"
    echo "## Inbound: 10,000 PDUs through the AT driver to committed answers"
    echo
    echo "- machine (last run): $machine"
    echo "- command: \`make bench\` (bench/bench_inbound.sh $B $PDUS), build flags -O2 -g"
    echo "- setup: two \`kazi sim\` modems with no latency (30 SIM + 20 phone slots each, +CMTI"
    echo "  per stored message, the network queue waits while storage is full), the real daemon"
    echo "  (synchronous=FULL), bench/inbound_feed.py injecting the burst: workers who JOIN, ask"
    echo "  NEXT, answer their offers by reference, ask BAL and send a two-part ASK. Replies stay"
    echo "  queued (daily_sms_cap = 1): this is the receive path alone."
    echo "- messages/s: messages (PDUs) from the first delivery to a modem to the last commit."
    echo "  Latency: per message, from the simulator's delivery of its last part (+CMTI written,"
    echo "  \`kazi sim --delivery-log\`, wall-clock ms) to the commit that stored it, handled it"
    echo "  and queued the reply (the daemon's debug line \"one commit at MS\")."
    echo "  Syncs per message: fsync + fdatasync calls of the daemon during the burst"
    echo "  (perf tracepoints), checkpoints included. RSS: VmRSS idle (12 s after both modems are"
    echo "  ready), VmHWM after the burst; the daemon started as gateway/kazi.service starts it,"
    echo "  as an unprivileged user from the start (the bench, run as root, uses setpriv). Started"
    echo "  as root with \`--user\` instead, it was $rss_root KiB idle in the last run (getpwnam and"
    echo "  initgroups load libnss_systemd and its libraries)."
    echo
    echo "| date | PDUs / messages | s | messages/s | PDUs/s | latency p50 / p99 / max ms | group commits | syncs/message | daemon CPU ms/message | load avg before / after | disk O_DSYNC 4 KiB ms | RSS idle | RSS peak |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    bench_old_rows bench_inbound
    echo "$row"
    echo "<!-- bench_inbound:end -->"
} >"$T/section.md"

bench_write_section bench_inbound "$T/section.md"
