#!/bin/sh
# bench_kannel.sh - throughput through Kannel (driver = kannel, docs/kannel.md):
# Debian's bearerbox with a fake SMSC, smsbox with a sendsms user and a
# post-url sms-service, fakesmsc playing N phones' messages (JOIN from 200
# numbers, default 10,000) and `kazi serve` (the build given, -O2) answering
# each with one reply sent through sendsms with a dlr-url. Measures inbound
# messages per second (first message bearerbox received -> the last one
# committed), outbound parts per second (first part handed to sendsms -> the
# last one received by fakesmsc) and the time until every part's delivery
# report is recorded.
# Usage: bench/bench_kannel.sh BUILD_DIR [N]. Prints human lines and
# `kazi.kannel.KEY=VALUE` lines; appends the KEY=VALUE lines to $BENCH_RESULTS
# when set; adds one row to the bench_kannel table of docs/benchmarks.md.
# Owns: that section. Loopback only; bounded (BENCH_KANNEL_LIMIT seconds,
# default 300); the trap kills every process it started, by pid.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
N=${2:-10000}
LIMIT=${BENCH_KANNEL_LIMIT:-300}
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=${BENCH_DOC:-docs/benchmarks.md}
PY=/usr/bin/python3
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
T=$(mktemp -d /tmp/kazi-bench-kannel-XXXXXX)
chmod 755 "$T"
BB= SB= FK= DAEMON=
cleanup() {
    bench_stop $FK $DAEMON $SB $BB
    bench_remove_temp
}
trap cleanup EXIT INT TERM
bench_user

. "$(dirname "$0")/../tests/integration/kannel.inc"
missing=$(kn_missing)
[ -z "$missing" ] || { echo "needs $missing (apt-get install kannel kannel-extras)"; exit 1; }
SECRET=bench-kannel-0a4f9c2e71
kn_ports
kn_confs "$SECRET" "pw-$SECRET"
kn_start || { echo "bearerbox or smsbox did not start"; exit 1; }
"$KAZI" serve -c "$T/k.conf" $USEROPT >"$T/serve.log" 2>&1 &
DAEMON=$!
listening() { grep -q "http: listening on 127.0.0.1:$PORT " "$T/serve.log"; }
wait_for 20 listening || { echo "kazi serve did not start"; tail "$T/serve.log"; exit 1; }

kn_join_msgs >"$T/msgs"
set --
while read -r line; do set -- "$@" "$line"; done <"$T/msgs"
start=$(now_ms)
$KN_FAKESMSC -H 127.0.0.1 -r "$FAKE" -i 0 -m "$N" -z 4 "$@" >"$T/fakesmsc.log" 2>&1 &
FK=$!
inbound() { sql "SELECT count(*) FROM messages WHERE direction = 'in'"; }
all_in() { [ "$(inbound)" -ge "$N" ]; }
wait_for "$LIMIT" all_in || { echo "only $(inbound) of $N stored within ${LIMIT}s"; exit 1; }
in_done=$(now_ms)
got() { grep -c "Got message" "$T/fakesmsc.log" || true; }
parts() { sql "SELECT count(*) FROM outbox_parts"; }
all_out() { [ "$(parts)" -gt 0 ] && [ "$(got)" -ge "$(parts)" ]; }
wait_for "$LIMIT" all_out || { echo "fakesmsc got $(got) of $(parts) parts within ${LIMIT}s"; exit 1; }
out_done=$(now_ms)
delivered() { [ "$(sql "SELECT count(*) FROM outbox_parts WHERE state != 'delivered'")" = 0 ]; }
wait_for "$LIMIT" delivered || { echo "not every report recorded within ${LIMIT}s"; exit 1; }
dlr_done=$(now_ms)
first_sent=$(sql "SELECT min(sent_at) FROM outbox_parts")
nparts=$(parts)

in_rate=$(awk -v n="$N" -v ms="$((in_done - start))" 'BEGIN {printf "%.1f", n * 1000 / ms}')
out_ms=$((out_done - first_sent * 1000))
[ "$out_ms" -gt 0 ] || out_ms=1
out_rate=$(awk -v n="$nparts" -v ms="$out_ms" 'BEGIN {printf "%.1f", n * 1000 / ms}')
echo "kannel: $N messages in, $nparts parts out, every report in $(((dlr_done - start) / 1000)) s"
bench_result kazi.kannel.in_msgs_per_s "$in_rate"
bench_result kazi.kannel.out_parts_per_s "$out_rate"
bench_result kazi.kannel.all_done_s "$(((dlr_done - start) / 1000))"

{
    echo "<!-- bench_kannel:begin -->"
    echo "## Through Kannel (bench/bench_kannel.sh)"
    echo
    echo "$N JOINs through Debian's kannel (fakesmsc -> bearerbox -> smsbox post-url -> \`kazi serve\`,"
    echo "driver = kannel) and their replies back through sendsms with delivery reports. In: first"
    echo "message to the last commit; out: first part to sendsms to the last received by fakesmsc."
    echo
    echo "| date | machine | messages | in msg/s | out parts/s | all reports (s) |"
    echo "|---|---|---:|---:|---:|---:|"
    bench_old_rows bench_kannel
    echo "| $(date -u +%Y-%m-%d) | $(bench_machine) | $N | $in_rate | $out_rate | $(((dlr_done - start) / 1000)) |"
    echo "<!-- bench_kannel:end -->"
} >"$T/section.md"
bench_write_section bench_kannel "$T/section.md"
