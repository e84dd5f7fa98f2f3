#!/bin/sh
# bench_modems.sh - modem utilisation: simulators with a realistic AT+CMGS
# latency (LATENCY ms per part, default 2500; delivery reports 3 s later), a
# backlog of BACKLOG queued offers (single-part SMS, default 500) and the real
# daemon with its default [outbox] settings, run with 1, 2 and 4 modems. For
# each modem, from the simulator's own sent log (when each AT+CMGS was taken;
# its answer comes LATENCY ms later): SMS per minute and the share of a fixed
# window of WINDOW seconds (after WARM seconds of warm-up) the modem spent
# inside an AT+CMGS. Targets: every modem busy >= 95 %, N modems >= 0.95 N
# times one modem's rate.
# Usage: bench/bench_modems.sh BUILD_DIR [BACKLOG] [WINDOW] [LATENCY]. Adds one
# row per modem count to the bench_modems table of docs/benchmarks.md (earlier
# rows kept) and key=value lines to $BENCH_RESULTS when set (bench/README.md).
# Owns: that section. Never touches a real modem or the network (ptys and Unix
# sockets in a temp dir); each run is bounded (about WARM + WINDOW + 10 s) and
# the trap kills every process it started.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
BACKLOG=${2:-500}
WINDOW=${3:-60}
LATENCY=${4:-2500}
WARM=${BENCH_MODEMS_WARM:-5}
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=${BENCH_DOC:-docs/benchmarks.md}
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
T=$(mktemp -d /tmp/kazi-bench-modems-XXXXXX)
chmod 755 "$T"
SIMS= DAEMON=
stop_all() {
    for p in $DAEMON $SIMS; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in $DAEMON $SIMS; do kill -9 "$p" 2>/dev/null || true; done
    SIMS= DAEMON=
}
cleanup() {
    stop_all
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_user


# run N: one daemon with N modems on a fresh database; each modem's figures in
# $T/run$N.txt, and "rate_per_min busy_min busy_avg" in $T/sum$N.txt.
run() {
    N=$1 D="$T/n$1"
    mkdir -p "$D"
    chmod 777 "$D"
    for s in $(seq 1 "$N"); do
        "$KAZI" sim --link "$D/m$s" --control "$D/s$s.ctl" --seed "$s" --cmgs-latency "$LATENCY" \
            --report-delay 3000 >"$D/sim$s.log" 2>&1 &
        SIMS="$SIMS $!"
    done
    for s in $(seq 1 "$N"); do wait_for 10 test -S "$D/s$s.ctl"; done
    {
        echo "[gateway]"
        echo "database = $D/k.db"
        for s in $(seq 1 "$N"); do printf '[modem m%s]\nport = %s\n' "$s" "$D/m$s"; done
    } >"$D/k.conf"
    printf 'id,type,prompt,options\n1,verify,Is the shop open?,Yes|No\n' >"$D/one.csv"
    "$KAZI" import "$D/one.csv" --batch setup --requester Acme --db "$D/k.db" >/dev/null
    now=$(date +%s)
    sqlite3 "$D/k.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BACKLOG)
        INSERT INTO messages(direction, peer, body, state, kind, created_at, updated_at)
        SELECT 'out', printf('+2547%08d', i), printf('T%d: Is shop %d on Moi Ave open? Reply 1 Yes, 2 No. KES 3', i, i),
               'queued', 'reply', $now, $now FROM n;"
    [ -z "$USEROPT" ] || chmod 666 "$D/k.db"
    "$KAZI" serve -c "$D/k.conf" $USEROPT >"$D/serve.log" 2>&1 & DAEMON=$!
    ready_all() { [ "$(grep -c 'modem m[0-9]*: ready' "$D/serve.log")" -ge "$N" ]; }
    wait_for 30 ready_all || { echo "modems not ready:"; tail -20 "$D/serve.log"; exit 1; }
    sleep $((WARM + WINDOW + 3))
    : >"$T/run$N.txt"
    for s in $(seq 1 "$N"); do
        "$KAZI" sim ctl "$D/s$s.ctl" sent | sed -n 's/.*"at_ms":\([0-9]*\).*/\1/p' | sort -n >"$D/at$s.txt"
        # The window starts WARM s after this modem's first send, in the simulator's own clock.
        awk -v warm="$WARM" -v win="$WINDOW" -v lat="$LATENCY" -v m="m$s" '
            NR == 1 { a = $1 + warm * 1000; b = a + win * 1000 }
            { t[NR] = $1 }
            END {
                busy = 0; n = 0
                for (i = 1; i <= NR; i++) {
                    s = t[i]; e = t[i] + lat
                    if (s < a) s = a
                    if (e > b) e = b
                    if (e > s) busy += e - s
                    if (t[i] >= a && t[i] < b) n++
                }
                printf "%s %.1f %.1f\n", m, n * 60 / win, busy * 100 / (win * 1000)
            }' "$D/at$s.txt" >>"$T/run$N.txt"
    done
    kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=
    stop_all
    awk '{ r += $2; if (min == "" || $3 < min) min = $3; sum += $3 }
         END { printf "%.1f %.1f %.1f\n", r, min, sum / NR }' "$T/run$N.txt" >"$T/sum$N.txt"
}

machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)
rows=
one=
ok=0
for k in 1 2 4; do
    run "$k"
    set -- $(cat "$T/sum$k.txt")
    rate=$1 busy_min=$2 busy_avg=$3
    [ -n "$one" ] || one=$rate
    scale=$(awk -v r="$rate" -v o="$one" -v n="$k" 'BEGIN { printf "%.2f", (o > 0 ? r / (o * n) : 0) }')
    per=$(awk '{ printf "%s%s %.1f%%", (NR > 1 ? ", " : ""), $1, $3 }' "$T/run$k.txt")
    echo "modems: $k: $rate SMS/min, busy min $busy_min% avg $busy_avg% ($per); $scale x (N x one modem's rate)"
    rows="$rows| $date | $k | $BACKLOG / ${WINDOW} s / $LATENCY ms | $rate | $scale | $busy_min% | $per |
"
    {
        echo "modems${k}_sms_per_min=$rate"
        echo "modems${k}_busy_min_pct=$busy_min"
        echo "modems${k}_scaling=$scale"
    } >"$T/results.txt"
    cat "$T/results.txt"
    [ -z "${BENCH_RESULTS:-}" ] || cat "$T/results.txt" >>"$BENCH_RESULTS"
    awk -v b="$busy_min" -v s="$scale" 'BEGIN { exit !(b >= 95 && s >= 0.95) }' || ok=1
done

{
    echo "<!-- bench_modems:begin (written by bench/bench_modems.sh; each run adds rows) -->"
    echo "## Modem utilisation: realistic AT+CMGS latency, 1, 2 and 4 modems"
    echo
    echo "- machine (last run): $machine"
    echo "- command: \`make bench\` (bench/bench_modems.sh $B $BACKLOG $WINDOW $LATENCY), build flags -O2 -g"
    echo "- setup: \`kazi sim\` modems that answer each AT+CMGS $LATENCY ms after the PDU (as real"
    echo "  networks take 1-5 s) and send its delivery report 3 s later; $BACKLOG single-part offers"
    echo "  queued before \`kazi serve\` starts, with the default [outbox] settings (max_in_flight 2,"
    echo "  delivery reports on). Each modem is measured over $WINDOW s starting $WARM s after its"
    echo "  first send, in the simulator's own clock, from its sent log: SMS/min = sends taken in"
    echo "  the window; busy = the share of the window inside an AT+CMGS (from the PDU taken to"
    echo "  its answer, $LATENCY ms; the prompt exchange and other AT commands count as idle)."
    echo "  Scaling = the rate with N modems / (N x the rate with one). Targets: busy >= 95 % on"
    echo "  every modem, scaling >= 0.95."
    echo
    echo "| date | modems | backlog / window / latency | SMS/min (all modems) | scaling | busy (least busy modem) | busy per modem |"
    echo "|---|---:|---|---:|---:|---:|---|"
    bench_old_rows bench_modems
    printf '%s' "$rows"
    echo "<!-- bench_modems:end -->"
} >"$T/section.md"

bench_write_section bench_modems "$T/section.md"
[ "$ok" -eq 0 ] || echo "target missed (see the table)"
