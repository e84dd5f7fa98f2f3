#!/bin/sh
# peer_gammu.sh - the peer the benchmarks compare kazi with: Debian's
# gammu-smsd 1.42 with gammu's `dummy` phone and its `sql` service on SQLite
# (libdbi, driver = sqlite3, database in WAL mode), measured on the same
# messages kazi's benchmarks use.
#
#   bench/peer_gammu.sh install          install gammu-smsd and libdbd-sqlite3 if missing
#   bench/peer_gammu.sh inbound [N]      default 10000 parts
#   bench/peer_gammu.sh outbound [N]     default 2000 messages
#
# inbound: the N SMS-DELIVER parts bench/bench_inbound.sh feeds kazi (the
# plan of bench/inbound_feed.py, written by bench/peer_backup.py as gammu
# SMS-backup files, one part per location) are renamed into the dummy
# phone's inbox folders 1 and 3 while the daemon runs idle; messages/s from
# the rename to the moment gammu has stored and deleted the last part (the
# folders are empty: gammu deletes a message only after its INSERT
# committed), then the inbox rows are counted (one per part). No query of
# ours runs during the burst: gammu sets no busy timeout, so a lock we held
# would fail one of its INSERTs (it then reconnects after a second) and we
# would measure our query, not gammu. Memory: VmRSS idle (phone connected,
# nothing to do), VmHWM at the end of the burst.
# outbound: N single-part messages queued in the outbox table (plain INSERTs,
# as the schema expects) before the daemon starts; messages/s from its start
# until its shared-memory status (gammu-smsd-monitor) counts N sent, then the
# rows in sentitems are counted; then its CPU (user+system, /proc/PID/stat)
# over 5 s with nothing left to do.
#
# Poll intervals are shortened for throughput: LoopSleep = 0 (no pause
# between loops), StatusFrequency = 0, CommTimeout = 0 (the outbox is read on
# every loop), ReceiveFrequency = 0 for the inbound run (the phone is read on
# every loop) and 60 for the outbound run (the dummy phone's memory check
# opens 40,000 files, which a real modem answers with one AT+CPMS?); phone
# checks (PIN, battery, signal, network) off. Each run starts from a new
# database.
#
# Prints `peer.KEY=VALUE` lines (bench/README.md) and human lines. Owns: its
# temp dir and the daemon it starts. Never touches a modem, the network or
# /etc/gammu-smsdrc, and never starts the system's gammu-smsd service (when it
# installs the package, it stops and disables the service the package
# starts); bounded (PEER_LIMIT seconds per run, default 600) and the trap
# kills the daemon it started.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
SCHEMA=/usr/share/doc/gammu-smsd/examples/sqlite.sql
LIMIT=${PEER_LIMIT:-600}
BENCH_PKGS="gammu-smsd libdbd-sqlite3 sqlite3 python3-gammu"

install_peer() {
    missing=
    for p in $BENCH_PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "peer_gammu.sh: missing Debian packages:$missing (run as root: apt-get install$missing)" >&2
        return 1
    fi
    echo "peer_gammu.sh: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
    # The package enables and starts its system service, which opens the modem
    # named in /etc/gammu-smsdrc: a benchmark host wants neither.
    case $missing in *gammu-smsd*)
        if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
            systemctl disable --now gammu-smsd.service >/dev/null 2>&1 || true
            echo "peer_gammu.sh: the gammu-smsd system service is stopped and disabled"
        fi ;;
    esac
}

T=''
SMSD=''
cleanup() {
    [ -n "$SMSD" ] && kill "$SMSD" 2>/dev/null && sleep 0.5
    [ -n "$SMSD" ] && kill -9 "$SMSD" 2>/dev/null
    SMSD=
    if [ -n "$T" ]; then
        if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
    fi
}

# setup RECEIVE_FREQUENCY: a temp dir with an empty dummy phone, a new WAL
# database, the configuration.
setup() {
    [ -r "$SCHEMA" ] || { echo "no $SCHEMA (bench/peer_gammu.sh install)"; exit 1; }
    T=$(mktemp -d /tmp/kazi-bench-peer-XXXXXX)
    mkdir -p "$T/phone"
    sqlite3 "$T/smsd.db" <"$SCHEMA"
    [ "$(sqlite3 "$T/smsd.db" 'PRAGMA journal_mode=WAL;')" = wal ] || { echo "WAL refused"; exit 1; }
    cat >"$T/smsdrc" <<EOF
[gammu]
model = dummy
connection = none
device = $T/phone

[smsd]
service = sql
driver = sqlite3
dbdir = $T/
database = smsd.db
logfile = $T/smsd.log
debuglevel = ${PEER_DEBUG:-0}
phoneid = peer
LoopSleep = 0
ReceiveFrequency = $1
StatusFrequency = 0
CommTimeout = 0
CheckSecurity = 0
CheckBattery = 0
CheckSignal = 0
CheckNetwork = 0
EOF
}

start_smsd() {
    # stderr repeats the log (Debian's libdbi reports an empty outbox as DBI error -6)
    gammu-smsd -c "$T/smsdrc" >/dev/null 2>&1 &
    SMSD=$!
}

stop_smsd() {
    kill "$SMSD" 2>/dev/null || true
    wait "$SMSD" 2>/dev/null || true
    SMSD=
}
now_ms() { date +%s%3N; }
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SMSD/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SMSD/stat" 2>/dev/null || echo 0; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.1f", (ms > 0 ? n * 1000 / ms : 0) }'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
# sent: the daemon's own count of sent parts, from its shared memory (no
# database lock); the CSV is client;phone;IMEI;IMSI;sent;received;failed;...
sent() { gammu-smsd-monitor -c "$T/smsdrc" -C -n 1 -d 0 2>/dev/null | awk -F';' 'NF >= 7 {print $5; exit}'; }
phone_left() { find "$T/phone/sms/1" "$T/phone/sms/3" -type f 2>/dev/null | wc -l; }

# wait_until SECONDS COMMAND...: polls every 0.2 s, sampling VmRSS into MAX_RSS
wait_until() {
    n=$(($1 * 5)); shift
    while [ "$n" -gt 0 ]; do
        r=$(kb VmRSS)
        [ "${r:-0}" -gt "$MAX_RSS" ] && MAX_RSS=$r
        "$@" && return 0
        kill -0 "$SMSD" 2>/dev/null || { echo "gammu-smsd died:"; tail -20 "$T/smsd.log"; exit 1; }
        sleep 0.2; n=$((n - 1))
    done
    return 1
}
phone_ready() { grep -q 'Starting phone communication' "$T/smsd.log" 2>/dev/null; }
phone_empty() { [ "$(phone_left)" -eq 0 ]; }
all_sent() { [ "$(sent)" = "$N" ]; }

inbound() {
    N=${1:-10000}
    setup 0
    "$PY" bench/peer_backup.py "$T/stage" --pdus "$N" >"$T/stage.txt"
    msgs=$(awk -F= '$1 == "messages" {print $2}' "$T/stage.txt")
    parts=$(awk -F= '$1 == "pdus" {print $2}' "$T/stage.txt")
    MAX_RSS=0
    start_smsd
    wait_until 30 phone_ready || { echo "gammu-smsd did not start:"; tail "$T/smsd.log"; exit 1; }
    sleep 3
    idle_rss=$(kb VmRSS)
    load0=$(loadavg)
    t0=$(now_ms)
    for f in 1 3; do rmdir "$T/phone/sms/$f" && mv -T "$T/stage/sms/$f" "$T/phone/sms/$f"; done
    wait_until "$LIMIT" phone_empty || { echo "inbound: $(phone_left) of $parts parts left after ${LIMIT}s"; exit 1; }
    t1=$(now_ms)
    hwm=$(kb VmHWM)
    load1=$(loadavg)
    stop_smsd
    rows=$(sqlite3 "$T/smsd.db" 'SELECT count(*) FROM inbox')
    [ "$rows" -eq "$parts" ] || { echo "inbound: $rows rows in inbox for $parts parts"; exit 1; }
    ms=$((t1 - t0))
    echo "peer.inbound.messages=$msgs"
    echo "peer.inbound.pdus=$parts"
    echo "peer.inbound.seconds=$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    echo "peer.inbound.msgs_per_s=$(rate "$msgs" "$ms")"
    echo "peer.inbound.pdus_per_s=$(rate "$parts" "$ms")"
    echo "peer.inbound.rss_idle_kib=$idle_rss"
    echo "peer.inbound.rss_peak_kib=$hwm"
    echo "peer.inbound.loadavg=$load0/$load1"
    echo "gammu-smsd inbound: $msgs messages ($parts parts, one inbox row each) in $ms ms: $(rate "$msgs" "$ms") messages/s, $(rate "$parts" "$ms") parts/s (load average $load0 -> $load1)"
    echo "gammu-smsd memory: idle $idle_rss KiB, peak $hwm KiB (VmHWM; largest 0.2 s sample $MAX_RSS KiB)"
}

outbound() {
    N=${1:-2000}
    setup 60
    # single-part messages as a task offer looks, to 200 workers, in one transaction
    awk -v n="$N" -v q="'" 'BEGIN {
        print "BEGIN;";
        for (i = 1; i <= n; i++) {
            to = sprintf("+2547%08d", 21000000 + i % 200);
            text = sprintf("Task %d: Is shop %d on Moi Ave open? Reply %d 1 Yes, %d 2 No. Pays KSh 3.", i, i, i, i);
            printf "INSERT INTO outbox (DestinationNumber, TextDecoded, CreatorID, Coding) VALUES (%s%s%s, %s%s%s, %sbench%s, %sDefault_No_Compression%s);\n", q, to, q, q, text, q, q, q, q, q;
        }
        print "COMMIT;";
    }' | sqlite3 "$T/smsd.db"
    MAX_RSS=0
    load0=$(loadavg)
    t0=$(now_ms)
    start_smsd
    wait_until "$LIMIT" all_sent || { echo "outbound: $(sent) of $N sent after ${LIMIT}s"; exit 1; }
    t1=$(now_ms)
    load1=$(loadavg)
    c0=$(cpu_ticks)
    sleep 5
    c1=$(cpu_ticks)
    hz=$(getconf CLK_TCK)
    idle_cpu=$(awk -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%d", c * 100 / hz / 5 }')
    stop_smsd
    rows=$(sqlite3 "$T/smsd.db" "SELECT count(*) FROM sentitems WHERE Status = 'SendingOKNoReport' OR Status = 'SendingOK'")
    [ "$rows" -eq "$N" ] || { echo "outbound: $rows rows in sentitems for $N"; exit 1; }
    ms=$((t1 - t0))
    echo "peer.outbound.messages=$N"
    echo "peer.outbound.seconds=$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    echo "peer.outbound.msgs_per_s=$(rate "$N" "$ms")"
    echo "peer.outbound.idle_cpu_pct=$idle_cpu"
    echo "peer.outbound.loadavg=$load0/$load1"
    echo "gammu-smsd outbound: $N messages in $ms ms = $(rate "$N" "$ms") msgs/s to its sentitems table (load average $load0 -> $load1)"
    echo "gammu-smsd idle afterwards: $idle_cpu% of one CPU (user+system over 5 s, LoopSleep = 0)"
}

trap cleanup EXIT
trap 'exit 130' INT TERM
case ${1:-} in
    install) install_peer ;;
    inbound) shift; install_peer; inbound "$@" ;;
    outbound) shift; install_peer; outbound "$@" ;;
    *) echo "usage: bench/peer_gammu.sh install | inbound [N] | outbound [N]" >&2; exit 2 ;;
esac
