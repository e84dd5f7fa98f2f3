#!/bin/sh
# bench_ussd.sh - the USSD callback's latency over loopback: `kazi serve`
# (the build given, -O2) with only [http] listen on 127.0.0.1, and CLIENTS
# concurrent USSD sessions (a Python client, one thread and one keep-alive
# connection per session) for SECONDS: each client joins, then plays
# sessions "dial, Next task, answer" again and again, as an aggregator would
# call for a worker. Measures every request's round trip (p50, p90, p99,
# max), requests per second and the daemon's CPU per request.
# Usage: bench/bench_ussd.sh BUILD_DIR [CLIENTS] [SECONDS]. Adds one row to the
# bench_ussd table of docs/benchmarks.md (earlier rows are kept).
# Owns: that section. Never touches the network beyond 127.0.0.1; bounded
# (SECONDS plus start-up), and the trap kills every process it started.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
CLIENTS=${2:-100}
SECS=${3:-20}
KAZI="$B/kazi"
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
DOC=docs/benchmarks.md
PY=/usr/bin/python3
[ -x "$KAZI" ] || { echo "no $KAZI (make bench builds it)"; exit 1; }
[ -x "$PY" ] || { echo "needs $PY"; exit 1; }
T=$(mktemp -d /tmp/kazi-bench-ussd-XXXXXX)
chmod 755 "$T"
DAEMON=
cleanup() {
    [ -z "$DAEMON" ] || kill "$DAEMON" 2>/dev/null || true
    sleep 0.3
    [ -z "$DAEMON" ] || kill -9 "$DAEMON" 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_user

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SECRET=bench-ussd-5e0c
(umask 077; cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
[http]
listen = 127.0.0.1:$PORT
ussd_secret = $SECRET
max_connections = 1024
EOF
)
[ -z "$USEROPT" ] || chown nobody "$T/k.conf"
awk 'BEGIN {
    print "id,type,prompt,options";
    for (i = 1; i <= 20000; i++) printf "%d,verify,Is shop T%d on Moi Ave open?,Yes|No\n", i, i;
}' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch bench --requester Acme --reward 3 --redundancy 1 \
    --db "$T/k.db" >/dev/null
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

# What one durable write costs on this disk (each callback is one commit, synchronous=FULL).
dsync_ms=$(bench_dsync_ms)

"$KAZI" serve -c "$T/k.conf" $USEROPT >"$T/serve.log" 2>&1 & DAEMON=$!
wait_for 20 grep -q "http: listening on 127.0.0.1:$PORT" "$T/serve.log" ||
    { echo "no listener:"; tail -20 "$T/serve.log"; exit 1; }
cpu0=$(cpu_ticks)
"$PY" - "$PORT" "$SECRET" "$CLIENTS" "$SECS" >"$T/client.txt" <<'PYEOF'
import http.client, sys, threading, time, urllib.parse
port, secret, clients, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
lat, errors, lock = [], [0], threading.Lock()
start = threading.Barrier(clients)

def client(k):
    phone = "+2547%08d" % (10000000 + k)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    mine, n = [], 0
    def call(sid, text):
        body = urllib.parse.urlencode({"sessionId": sid, "serviceCode": "*384*21#",
                                       "phoneNumber": phone, "text": text})
        t0 = time.perf_counter()
        conn.request("POST", "/ussd?secret=" + secret, body,
                     {"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        out = r.read().decode()
        mine.append(time.perf_counter() - t0)
        if r.status != 200 or not (out.startswith("CON ") or out.startswith("END ")):
            with lock:
                errors[0] += 1
        return out
    start.wait()
    for text in ("", "1", "1*1"):  # join
        call("j%d" % k, text)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        n += 1
        sid = "c%d-%d" % (k, n)
        for text in ("", "1", "1*1"):  # dial, Next task, answer Yes
            call(sid, text)
    conn.close()
    with lock:
        lat.extend(mine)

t0 = time.monotonic()
threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
wall = time.monotonic() - t0
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print("%d %.1f %.2f %.2f %.2f %.2f %d" % (len(lat), wall, q(0.50), q(0.90), q(0.99), lat[-1] * 1000, errors[0]))
PYEOF
cpu1=$(cpu_ticks)
answers=$(sqlite3 -cmd '.timeout 10000' "$T/k.db" "SELECT count(*) FROM answers")
kill -TERM "$DAEMON"; wait "$DAEMON" || true; DAEMON=
read -r reqs wall p50 p90 p99 max errs <"$T/client.txt"
[ "$errs" = 0 ] || { echo "$errs requests failed"; exit 1; }
hz=$(getconf CLK_TCK)
rps=$(awk -v n="$reqs" -v s="$wall" 'BEGIN { printf "%.0f", n / s }')
cpu_ms=$(awk -v c=$((cpu1 - cpu0)) -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.2f", c * 1000 / hz / n }')
machine=$(bench_machine)
date=$(date -u +%Y-%m-%dT%H:%MZ)

echo "USSD: $CLIENTS concurrent sessions for ${SECS}s: $reqs requests, $rps/s, $answers answers"
echo "latency ms: p50 $p50, p90 $p90, p99 $p99, max $max; daemon CPU $cpu_ms ms per request"
for kv in "ussd.p50_ms=$p50" "ussd.p99_ms=$p99" "ussd.requests_per_s=$rps" "ussd.cpu_ms_per_request=$cpu_ms"; do
    echo "$kv"
    [ -z "${BENCH_RESULTS:-}" ] || echo "$kv" >>"$BENCH_RESULTS"
done

row="| $date | $CLIENTS | $reqs | $rps | $p50 | $p90 | $p99 | $max | $cpu_ms | ${dsync_ms:-?} | $answers |"
{
    echo "<!-- bench_ussd:begin (written by bench/bench_ussd.sh; each run adds a row) -->"
    echo "## The USSD callback: latency at $CLIENTS concurrent sessions over loopback"
    echo
    echo "- machine (last run): $machine"
    echo "- command: \`make bench\` (bench/bench_ussd.sh $B $CLIENTS $SECS), build flags -O2 -g"
    echo "- setup: the real daemon with only \`[http] listen\` on 127.0.0.1 (one listener thread,"
    echo "  its own database connection), a Python client with one thread and one keep-alive"
    echo "  connection per session; each client joins, then plays \"dial, 1 Next task, 1 (answer)\""
    echo "  sessions back to back, as an aggregator calls for a worker. Every request is one"
    echo "  transaction (the callback recorded, the session saved, the answer paid) committed"
    echo "  before the answer goes out. The client shares the CPUs with the daemon."
    echo "- latency: the client's round trip per request, from sending it to reading the whole"
    echo "  answer; CPU ms/request: the daemon's user+system time over the run divided by the"
    echo "  requests. Disk: one 4 KiB write with O_DSYNC (dd), measured before the run."
    echo "- reading it: the listener is one thread and each callback one synchronous commit, so"
    echo "  requests/s is about 1 / (commit time + CPU time) whatever the number of sessions, and"
    echo "  the latency is that time multiplied by the sessions waiting (p50 is about sessions /"
    echo "  requests/s). The daemon's CPU is a small part: the disk's flush sets the pace."
    echo "  Aggregators allow a few seconds per screen; compare rows, not single numbers."
    echo
    echo "| date | sessions | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | daemon CPU ms/request | disk O_DSYNC 4 KiB ms | answers |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    bench_old_rows bench_ussd
    echo "$row"
    echo "<!-- bench_ussd:end -->"
} >"$T/section.md"

bench_write_section bench_ussd "$T/section.md"
