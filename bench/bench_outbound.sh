#!/bin/sh
# bench_outbound.sh - the send path end to end, and the idle daemon: MESSAGES
# queued outbound SMS (single-part replies, already in the database when
# `kazi serve` starts) through the real daemon and its AT driver, AT+CMGS by
# AT+CMGS over the pseudo-terminals of zero-latency `kazi sim` modems. Three
# runs: one modem without delivery reports (as the peer's dummy phone), MODEMS
# modems without, and MODEMS modems with a delivery report for every SMS (the
# default settings). Measures messages/s from the modems ready to the last
# part confirmed 'sent' (every state change durable), the daemon's CPU per
# message, then the idle daemon: its user+system ticks over IDLE seconds with
# the modems idle, and its wake-ups (poll calls per second, strace -c).
# Usage: bench/bench_outbound.sh BUILD_DIR [MESSAGES] [MODEMS]. Adds rows to
# the bench_outbound table of docs/benchmarks.md (earlier rows are kept) and
# key=value lines to $BENCH_RESULTS when that is set (bench/README.md).
# Owns: that section. Never touches a real modem or the network (ptys and
# Unix sockets in a temp dir); bounded (BENCH_OUTBOUND_LIMIT seconds, default
# 300), and the trap kills every process it started.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
N=${2:-10000}
MODEMS=${3:-4}
MIF=${BENCH_MAX_IN_FLIGHT:-16}
LIMIT=${BENCH_OUTBOUND_LIMIT:-300}
IDLE=${BENCH_IDLE_SECONDS:-10}
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=${BENCH_DOC:-docs/benchmarks.md}
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
T=$(mktemp -d /tmp/kazi-bench-outbound-XXXXXX)
chmod 755 "$T"
SIMS= DAEMON= STRACE=
cleanup() {
    bench_stop $STRACE $DAEMON $SIMS
    bench_remove_temp
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_user

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# What one durable write costs on this disk (the daemon commits with synchronous=FULL).
dsync_ms=$(bench_dsync_ms)
hz=$(getconf CLK_TCK)
machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)
rows=

# burst M REPORTS [idle]: N messages through M modems (status_reports REPORTS);
# sets rate, cpu_us and adds a table row; with "idle", measures the idle daemon after.
burst() {
    M=$1 REP=$2 D="$T/run-$1-$2"
    mkdir -p "$D"
    chmod 777 "$D"
    for s in $(seq 1 "$M"); do
        "$KAZI" sim --link "$D/m$s" --control "$D/s$s.ctl" --seed "$s" >"$D/sim$s.log" 2>&1 &
        SIMS="$SIMS $!"
    done
    for s in $(seq 1 "$M"); do wait_for 10 test -S "$D/s$s.ctl"; done
    {
        echo "[gateway]"
        echo "database = $D/k.db"
        echo "[outbox]"
        echo "max_in_flight = $MIF"
        echo "status_reports = $REP"
        for s in $(seq 1 "$M"); do printf '[modem m%s]\nport = %s\n' "$s" "$D/m$s"; done
    } >"$D/k.conf"
    # The schema (a one-row import creates the database), then the queue.
    printf 'id,type,prompt,options\n1,verify,Is the shop open?,Yes|No\n' >"$D/one.csv"
    "$KAZI" import "$D/one.csv" --batch setup --requester Acme --db "$D/k.db" >/dev/null
    now=$(date +%s)
    sqlite3 "$D/k.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
        INSERT INTO messages(direction, peer, body, state, kind, created_at, updated_at)
        SELECT 'out', printf('+2547%08d', i), printf('T%d: Is shop %d on Moi Ave open? Reply 1 Yes, 2 No. KES 3', i, i),
               'queued', 'reply', $now, $now FROM n;"
    [ -z "$USEROPT" ] || chmod 666 "$D/k.db"
    "$KAZI" serve -c "$D/k.conf" $USEROPT >"$D/serve.log" 2>&1 & DAEMON=$!
    k=600
    while [ "$(grep -c 'modem m[0-9]*: ready' "$D/serve.log")" -lt "$M" ]; do
        k=$((k - 1)); [ "$k" -gt 0 ] || { echo "modems not ready:"; tail -20 "$D/serve.log"; exit 1; }
        sleep 0.05
    done
    t0=$(now_ms)
    cpu0=$(ticks "$DAEMON")
    deadline=$(($(date +%s) + LIMIT))
    q="SELECT count(*) FROM outbox_parts WHERE state IN ('sent','delivered')"
    while [ "$(sqlite3 -cmd '.timeout 10000' "$D/k.db" "$q" 2>/dev/null)" -lt "$N" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "not all sent within $LIMIT s"; tail -5 "$D/serve.log"; exit 1; }
        kill -0 "$DAEMON" 2>/dev/null || { echo "daemon died"; tail -20 "$D/serve.log"; exit 1; }
        sleep 0.2
    done
    t1=$(now_ms)
    cpu1=$(ticks "$DAEMON")
    # Every message exactly once on the air: the simulators' own count.
    air=0
    for s in $(seq 1 "$M"); do
        c=$("$KAZI" sim ctl "$D/s$s.ctl" stats | sed -n 's/.*"sent":\([0-9]*\).*/\1/p')
        air=$((air + ${c:-0}))
    done
    [ "$air" -eq "$N" ] || { echo "the modems sent $air SMS for $N messages"; exit 1; }
    delivered=-
    if [ "$REP" = yes ]; then
        dq="SELECT count(*) >= $N FROM outbox_parts WHERE state = 'delivered'"
        wait_for 60 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$D/k.db' \"$dq\")\" = 1 ]" || true
        delivered=$(sqlite3 -cmd '.timeout 10000' "$D/k.db" "SELECT count(*) FROM outbox_parts WHERE state = 'delivered'")
    fi
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
    rate=$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    cpu_us=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" -v n="$N" 'BEGIN { printf "%.0f", c * 1e6 / hz / n }')
    cpu_pct=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "%d", c * 100 / hz / s }')
    echo "outbound: $N messages, $M modem(s), delivery reports $REP: $secs s, $rate messages/s; daemon $cpu_us us CPU per message ($cpu_pct% of one CPU); on the air $air; delivered $delivered"
    idle_ticks=- wakeups=-
    if [ "${3:-}" = idle ]; then
        sleep 3
        i0=$(ticks "$DAEMON")
        sleep "$IDLE"
        i1=$(ticks "$DAEMON")
        idle_ticks=$((i1 - i0))
        wakeups=n/a
        if command -v strace >/dev/null 2>&1; then
            strace -c -f -p "$DAEMON" -o "$D/strace.txt" 2>/dev/null & STRACE=$!
            sleep "$IDLE"
            kill -INT "$STRACE" 2>/dev/null || true
            wait "$STRACE" 2>/dev/null || true
            STRACE=
            polls=$(awk '$NF == "poll" || $NF == "ppoll" {s += $4} END {print s + 0}' "$D/strace.txt")
            wakeups=$(awk -v p="$polls" -v s="$IDLE" 'BEGIN { printf "%.1f", p / s }')
        fi
        echo "idle: $idle_ticks clock ticks (1/$hz s) of CPU in $IDLE s; $wakeups wake-ups (poll calls) per second"
    fi
    kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=
    for p in $SIMS; do kill "$p" 2>/dev/null || true; done
    for p in $SIMS; do wait "$p" 2>/dev/null || true; done
    SIMS=
    rows="$rows| $date | $N / $M / $REP | $secs | $rate | $cpu_us | $cpu_pct% | $delivered | ${dsync_ms:-?} | $idle_ticks | $wakeups |
"
}

burst 1 no
rate1=$rate cpu1_us=$cpu_us
burst "$MODEMS" no
rateN=$rate cpuN_us=$cpu_us
burst "$MODEMS" yes idle
rateR=$rate cpuR_us=$cpu_us

# The figures for the target table (bench/README.md): the like-for-like run (one
# modem, no delivery reports, as the peer's dummy phone) is outbound_msgs_per_s.
{
    echo "outbound_msgs_per_s=$rate1"
    echo "kazi.outbound.msgs=$N"
    echo "kazi.outbound.cpu_us_per_msg=$cpu1_us"
    echo "kazi.outbound.modems=$MODEMS"
    echo "kazi.outbound.modems_msgs_per_s=$rateN"
    echo "kazi.outbound.modems_cpu_us_per_msg=$cpuN_us"
    echo "kazi.outbound.reports_msgs_per_s=$rateR"
    echo "kazi.outbound.reports_cpu_us_per_msg=$cpuR_us"
    echo "idle_cpu_ticks_10s=$(awk -v t="$idle_ticks" -v s="$IDLE" 'BEGIN { printf "%.0f", t * 10 / s }')"
    echo "idle_wakeups_per_s=$wakeups"
} >"$T/results.txt"
cat "$T/results.txt"
[ -z "${BENCH_RESULTS:-}" ] || cat "$T/results.txt" >>"$BENCH_RESULTS"

{
    echo "<!-- bench_outbound:begin (written by bench/bench_outbound.sh; each run adds rows) -->"
    echo "## Outbound: queued SMS through AT+CMGS, and the idle daemon"
    echo
    echo "- machine (last run): $machine"
    echo "- command: \`make bench\` (bench/bench_outbound.sh $B $N $MODEMS), build flags -O2 -g"
    echo "- setup: $N single-part replies queued in the database before \`kazi serve\` starts;"
    echo "  \`kazi sim\` modems with no latency; the real daemon and AT driver (synchronous=FULL,"
    echo "  max_in_flight $MIF). Three runs: 1 modem and $MODEMS modems with status_reports = no (the"
    echo "  peer's dummy phone has no delivery reports either), and $MODEMS modems with the default"
    echo "  status_reports = yes (the simulators report every SMS at once). Each part is committed"
    echo "  'sending' before its PDU goes to the modem, then 'sent' (then 'delivered')."
    echo "- messages/s: N / the time from the last modem ready to the last part 'sent' (polled"
    echo "  every 0.2 s); the simulators' own count of SMS taken must equal N (no duplicates)."
    echo "  CPU: the daemon's user+system time over that span per message, and the share of one"
    echo "  CPU it used. Idle: the daemon's user+system clock ticks"
    echo "  (1/$hz s) over $IDLE s after the last run, once every report is in and nothing is due;"
    echo "  wake-ups: poll() calls per second over another $IDLE s (strace -c -f)."
    echo
    echo "| date | messages / modems / reports | seconds | messages/s | daemon CPU us/message | daemon CPU share | delivered | disk O_DSYNC 4 KiB ms | idle ticks | idle wake-ups/s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    bench_old_rows bench_outbound
    printf '%s' "$rows"
    echo "<!-- bench_outbound:end -->"
} >"$T/section.md"

bench_write_section bench_outbound "$T/section.md"
