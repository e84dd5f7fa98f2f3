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
# Owns: that section. Never touches a real modem or the network (ptys and Unix
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
T=$(mktemp -d /tmp/kazi-bench-inbound-XXXXXX)
chmod 755 "$T"
SIM1= SIM2= DAEMON= PERF=
cleanup() {
    bench_stop $PERF $DAEMON $SIM1 $SIM2
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
database = $T/k.db
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
"$KAZI" import "$T/tasks.csv" --batch bench --requester Acme --reward 3 --db "$T/k.db" >/dev/null
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

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
elif command -v perf >/dev/null 2>&1 &&
    perf stat -e syscalls:sys_enter_fdatasync true >/dev/null 2>&1; then
    perf stat -x, -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$DAEMON" \
        -o "$T/perf.txt" & PERF=$!
    sleep 0.5
fi

cpu0=$(cpu_ticks)
sim0=$(sim_ticks)
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
    [ -f "$T/perf.txt" ] && syncs=$(awk -F, '$3 ~ /sys_enter_f(data)?sync/ {n += $1} END {print n + 0}' "$T/perf.txt")
fi
peak_rss=$(kb VmHWM)
cpu1=$(cpu_ticks)
sim1=$(sim_ticks)
load1=$(cut -d' ' -f1 /proc/loadavg)
left=$(for i in 1 2; do "$KAZI" sim ctl "$T/s$i.ctl" stats; done | grep -o '"sm_used": *[0-9]*' | awk -F: '{n += $2} END {print n + 0}')
kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=

"$PY" "$HERE/inbound_feed.py" report --plan "$T/plan.jsonl" --sim-log "$T/delivered1.log" \
    --sim-log "$T/delivered2.log" --serve-log "$T/serve.log" --db "$T/k.db" --end-ms "$end_ms" >"$T/report.kv" ||
    { echo "report: not every message matched"; cat "$T/report.kv"; }
v() { awk -F= -v k="$1" '$1 == k {print $2}' "$T/report.kv"; }
answers=$(sql "SELECT count(*) FROM answers")
replies=$(sql "SELECT count(*) FROM messages WHERE direction = 'out'")
per_msg=$(awk -v s="$syncs" -v n="$(v messages_stored)" 'BEGIN { if (s == "n/a" || n == 0) print "n/a"; else printf "%.3f", s / n }')
machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)
hz=$(getconf CLK_TCK)
sim_ms=$(awk -v c=$((sim1 - sim0)) -v hz="$hz" -v n="$(v messages_stored)" 'BEGIN { printf "%.3f", (n > 0 ? c * 1000 / hz / n : 0) }')
cpu_ms=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" -v n="$(v messages_stored)" 'BEGIN { printf "%.3f", (n > 0 ? c * 1000 / hz / n : 0) }')

cat >"$T/results.kv" <<EOF
kazi.inbound.pdus=$(v pdus)
kazi.inbound.messages=$(v messages_stored)
kazi.inbound.answers_recorded=$answers
kazi.inbound.replies_queued=$replies
kazi.inbound.seconds=$(v seconds)
kazi.inbound.msgs_per_s=$(v messages_per_s)
kazi.inbound.pdus_per_s=$(v pdus_per_s)
kazi.inbound.latency_p50_ms=$(v latency_p50_ms)
kazi.inbound.latency_p99_ms=$(v latency_p99_ms)
kazi.inbound.latency_max_ms=$(v latency_max_ms)
kazi.inbound.group_commits=$(v commits)
kazi.inbound.disk_syncs=$syncs
kazi.inbound.syncs_per_msg=$per_msg
kazi.inbound.cpu_ms_per_msg=$cpu_ms
kazi.inbound.sim_cpu_ms_per_msg=$sim_ms
kazi.inbound.loadavg_start=$load0
kazi.inbound.loadavg_end=$load1
kazi.inbound.rss_idle_kib=$idle_rss
kazi.inbound.rss_peak_kib=$peak_rss
kazi.inbound.rss_idle_root_user_kib=$rss_root
kazi.inbound.sim_left=$left
EOF
echo "burst: $(v pdus) PDUs = $(v messages_stored) messages ($answers answers recorded, $replies replies queued), 2 zero-latency simulators"
echo "throughput: $(v messages_per_s) messages/s, $(v pdus_per_s) PDUs/s over $(v seconds) s (first +CMTI to last commit)"
echo "latency +CMTI -> committed with the reply queued: p50 $(v latency_p50_ms) ms, p99 $(v latency_p99_ms) ms, max $(v latency_max_ms) ms"
echo "commits: $(v commits) group commits; $syncs disk syncs ($per_msg per message); a 4 KiB O_DSYNC write here: ${dsync_ms:-?} ms"
echo "daemon CPU: $cpu_ms ms per message (user+system; the two simulators: $sim_ms ms); load average $load0 before, $load1 after (2 CPUs shared)"
echo "daemon RSS: idle $idle_rss KiB, peak (VmHWM) $peak_rss KiB; messages left on the SIMs: $left"
echo "daemon started ${RUNAS:+as the unit starts it: by }${RUNAS:-as $(id -un)}; idle when started as root with --user: $rss_root KiB"
cat "$T/results.kv"
[ -z "${BENCH_RESULTS:-}" ] || cat "$T/results.kv" >>"$BENCH_RESULTS"

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
