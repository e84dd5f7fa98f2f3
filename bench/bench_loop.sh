#!/bin/sh
# bench_loop.sh - the daemon's own overhead, end to end: `kazi serve` (the
# build given, -O2) with two zero-latency `kazi sim` modems and simulated
# workers (tests/integration/crash_workers.py) answering every offer the
# moment it arrives, on a generated batch. Measures answers recorded per
# second (whole batch, and the steady middle 10%-90%), SMS in and out per
# second, the daemon's CPU per answer, and its resident memory idle (modems
# ready, nothing to do) and under load (VmRSS sampled, VmHWM at the end).
# Also the cost: SMS segments both ways per answer, with the outbound parts
# broken down by what they carried (bench/cost_kinds.sql).
# Usage: bench/bench_loop.sh BUILD_DIR [TASKS] [WORKERS]. Adds one row to the
# bench_loop table of docs/benchmarks.md (earlier rows are kept), or of the
# file named by BENCH_LOOP_DOC.
# Owns: that section. Never touches a real modem or the network (ptys and Unix
# sockets in a temp dir); bounded (BENCH_LOOP_LIMIT seconds, default 600), and
# the trap kills every process it started.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
TASKS=${2:-1000}
WORKERS=${3:-200}
LIMIT=${BENCH_LOOP_LIMIT:-600}
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=${BENCH_LOOP_DOC:-docs/benchmarks.md}
PY=/usr/bin/python3
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
[ -x "$PY" ] || { echo "needs $PY"; exit 1; }
T=$(mktemp -d /tmp/kazi-bench-loop-XXXXXX)
chmod 755 "$T"
SIM1= SIM2= DAEMON= WORK=
cleanup() {
    bench_stop $WORK $DAEMON $SIM1 $SIM2
    bench_remove_temp
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_user


"$KAZI" sim --link "$T/m1" --control "$T/s1.ctl" --seed 1 >"$T/sim1.log" 2>&1 & SIM1=$!
"$KAZI" sim --link "$T/m2" --control "$T/s2.ctl" --seed 2 >"$T/sim2.log" 2>&1 & SIM2=$!
wait_for 10 test -S "$T/s1.ctl"
wait_for 10 test -S "$T/s2.ctl"

tz=$((12 - $(date -u +%H | sed 's/^0//')))
cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
timezone = $(printf '%+03d:00' "$tz")
push_interval = 5s
push_from = 00:00
push_to = 23:59
[conv]
max_replies_hour = 1000
max_replies_day = 10000
[limits]
# the simulated workers answer far faster than a person: no inbound rate cap
rate_max = 0
[modem m1]
port = $T/m1
[modem m2]
port = $T/m2
EOF
awk -v n="$TASKS" 'BEGIN {
    print "id,type,prompt,options";
    for (i = 1; i <= n; i++)
        if (i % 3 == 0) printf "%d,choice,Colour of gate T%d?,Red|Green|Blue\n", i, i;
        else printf "%d,verify,Is shop T%d on Moi Ave open?,Yes|No\n", i, i;
}' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch bench --requester Acme --reward 3 --db "$T/k.db" >/dev/null
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

# What one durable write costs on this disk (the daemon commits with synchronous=FULL).
dsync_ms=$(bench_dsync_ms)

"$KAZI" serve -c "$T/k.conf" $USEROPT >"$T/serve.log" 2>&1 & DAEMON=$!
ready2() { [ "$(grep -c 'modem m[12]: ready' "$T/serve.log")" -ge 2 ]; }
wait_for 20 ready2 || { echo "modems not ready:"; tail -20 "$T/serve.log"; exit 1; }
sleep 5 # settle: housekeeping and the first push have run, nothing to do
idle_rss=$(kb VmRSS)
idle_hwm=$(kb VmHWM)
cpu0=$(cpu_ticks)

t0=$(now_ms)
"$PY" tests/integration/crash_workers.py run --ctl "$T/s1.ctl" --ctl "$T/s2.ctl" \
    --db "$T/k.db" --log "$T/injected.jsonl" --workers "$WORKERS" --deadline "$LIMIT" \
    --think-lo 0 --think-hi 0 --join-spread 2 --poll 0.05 --clear >"$T/workers.log" 2>&1 & WORK=$!
: >"$T/samples"
max_rss=0
while kill -0 "$WORK" 2>/dev/null; do
    r=$(kb VmRSS)
    [ "${r:-0}" -gt "$max_rss" ] && max_rss=$r
    echo "$(now_ms) $(sql 'SELECT count(*) FROM answers')" >>"$T/samples"
    sleep 0.5
done
wait "$WORK" || { echo "workers did not finish:"; cat "$T/workers.log"; tail -20 "$T/serve.log"; exit 1; }
t1=$(now_ms)
cpu1=$(cpu_ticks)
load_hwm=$(kb VmHWM)
# The cost counts what the batch makes the daemon send: let the outbox drain
# (the last acknowledgements) before counting, at most 30 s.
drained() { [ "$(sql "SELECT count(*) FROM messages WHERE direction = 'out' AND state IN ('queued','sending')")" = 0 ]; }
wait_for 30 drained || echo "outbox not drained after 30 s: the cost below misses what is left"
answers=$(sql "SELECT count(*) FROM answers")
sms_in=$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")
parts_out=$(sql "SELECT count(*) FROM outbox_parts WHERE state IN ('sent','delivered')")
# Cost: SMS segments both ways (inbound messages by their segments, outbound parts sent) per answer.
seg_in=$(sql "SELECT coalesce(sum(segments), 0) FROM messages WHERE direction = 'in'")
resolved=$(sql "SELECT count(*) FROM task_results")
kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=
[ "$resolved" -eq "$TASKS" ] || { echo "only $resolved of $TASKS tasks resolved"; exit 1; }

secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }'; }
# The steady middle: from the sample where 10% of the answers were in to the one at 90%.
steady=$(awk -v total="$answers" '
    { t[NR] = $1; n[NR] = $2 }
    END {
        for (i = 1; i <= NR; i++) { if (!a && n[i] >= total * 0.1) a = i; if (!b && n[i] >= total * 0.9) b = i }
        if (a && b && t[b] > t[a]) printf "%.1f", (n[b] - n[a]) * 1000 / (t[b] - t[a]); else print "n/a"
    }' "$T/samples")
hz=$(getconf CLK_TCK)
cpu_ms=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" -v n="$answers" 'BEGIN { printf "%.2f", (n > 0 ? c * 1000 / hz / n : 0) }')
cpu_s=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN { printf "%.1f", c / hz }')
machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)

echo "batch: $TASKS tasks x 3 answers, $WORKERS workers, 2 zero-latency simulators"
echo "wall: $secs s from the first JOIN to the last task resolved"
echo "answers: $answers, $(rate "$answers" "$secs")/s over the batch, $steady/s steady (10%-90%)"
echo "SMS: $sms_in in ($(rate "$sms_in" "$secs")/s), $parts_out parts out ($(rate "$parts_out" "$secs")/s)"
echo "daemon CPU: $cpu_s s, $cpu_ms ms per answer ($(awk -v c="$cpu_s" -v s="$secs" 'BEGIN { printf "%d", c * 100 / s }')% of one CPU); a 4 KiB O_DSYNC write here: ${dsync_ms:-?} ms"
seg_per=$(awk -v i="$seg_in" -v o="$parts_out" -v a="$answers" 'BEGIN { printf "%.2f", (a > 0 ? (i + o) / a : 0) }')
echo "cost: $seg_in segments in + $parts_out parts out = $seg_per SMS segments per answer (per completed task)"
echo "cost.segments_per_task=$seg_per" | tee -a "${BENCH_RESULTS:-/dev/null}"
echo "parts out by kind (kind|messages|parts|retries|multi-part messages):"
sqlite3 -cmd '.timeout 10000' "$T/k.db" <"$(dirname "$0")/cost_kinds.sql" | sed 's/^/  /'
echo "daemon RSS: idle $idle_rss KiB (HWM $idle_hwm KiB); under load max $max_rss KiB, HWM $load_hwm KiB"

row="| $date | $TASKS x3 / $WORKERS | $secs | $(rate "$answers" "$secs") | $steady | $(rate "$sms_in" "$secs") / $(rate "$parts_out" "$secs") | $cpu_ms | ${dsync_ms:-?} | $idle_rss KiB | $max_rss KiB / $load_hwm KiB |"
{
    echo "<!-- bench_loop:begin (written by bench/bench_loop.sh; each run adds a row) -->"
    echo "## The daemon loop end to end: \`kazi serve\` with zero-latency simulators"
    echo
    echo "- machine (last run): $machine"
    echo "- command: \`make bench\` (bench/bench_loop.sh $B $TASKS $WORKERS), build flags -O2 -g"
    echo "- setup: two \`kazi sim\` modems with no latency and automatic delivery reports, the"
    echo "  real daemon (synchronous=FULL, one poll loop), workers answering each offer the moment"
    echo "  it appears in a simulator's sent log; every answer is one SMS in and one reply out"
    echo "  (the ack riding on the next offer). Other processes on the machine are not stopped."
    echo "- answers/s: whole batch = answers / wall time from the first JOIN to the last task"
    echo "  resolved (includes the JOIN and welcome burst and the tail); steady = between the"
    echo "  moments 10% and 90% of the answers were in. CPU ms/answer: the daemon's user+system"
    echo "  time over the batch divided by the answers. RSS from /proc/PID/status: idle = VmRSS"
    echo "  with modems ready and nothing to do; load = the largest VmRSS sampled every 0.5 s,"
    echo "  and VmHWM at the end. Disk: one 4 KiB write with O_DSYNC (dd), measured before the run."
    echo "- reading it: CPU ms/answer is the loop's own overhead (its CPU time over the answers)."
    echo "  Rows before 2026-11-30T09:00Z are from before group commit, when each answer cost"
    echo "  about five synchronous commits (the part stored, the hand-over, 'sending', 'sent',"
    echo "  the report); now the parts of one loop turn and their hand-overs share one commit,"
    echo "  the parts of one pump another, and a turn's delivery reports join its commit. The"
    echo "  rest of the wall time is the simulators and the workers, which share the CPUs."
    echo "  On a shared VM the figures move by half between runs (the O_DSYNC column shows"
    echo "  the disk did too): compare rows, not single numbers. Since 2026-11-30 the"
    echo "  workers' inbound rate limit is off ([limits] rate_max = 0): they answer far"
    echo "  faster than people."
    echo
    echo "| date | tasks x answers / workers | wall s | answers/s (batch) | answers/s (steady) | SMS in/s / parts out/s | daemon CPU ms/answer | disk O_DSYNC 4 KiB ms | RSS idle | RSS load max / HWM |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    bench_old_rows bench_loop
    echo "$row"
    echo "<!-- bench_loop:end -->"
} >"$T/section.md"

bench_write_section bench_loop "$T/section.md"
