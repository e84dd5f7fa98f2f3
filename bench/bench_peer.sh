#!/bin/sh
# bench_peer.sh - the peer kazi's figures are compared with, measured in the
# same run: Debian's gammu-smsd 1.42 with gammu's dummy phone and its SQL
# service on SQLite in WAL mode (bench/peer_gammu.sh, which installs it when
# missing). Inbound: the PDUS parts bench_inbound.sh feeds kazi (default
# 10,000, the same burst; gammu-smsd holds them all in memory at once, about
# 5 GB); outbound: MESSAGES queued single-part messages (default 2,000:
# gammu-smsd's rate does not change along the queue, and 10,000 take 3
# minutes on a quiet machine and 7 on a busy one, too much of `make bench`'s
# 15), then its CPU while idle. Poll intervals are shortened for throughput
# (bench/peer_gammu.sh says which).
# Usage: bench/bench_peer.sh BUILD_DIR [PDUS] [MESSAGES]. BUILD_DIR is not
# used (the peer is Debian's); it keeps the other scripts' calling convention.
# Prints human lines and `peer.*` key=value lines, appends the key=value lines
# to $BENCH_RESULTS when set, and adds one row to the bench_peer table of
# docs/benchmarks.md (earlier rows are kept).
# Owns: that section. Never touches a modem or the network; each measurement
# is bounded (PEER_LIMIT seconds, default 600) and bench/peer_gammu.sh kills
# the daemon it started.
set -eu
. "$(dirname "$0")/lib.sh"
B=${1:-build/bench}
PDUS=${2:-10000}
MESSAGES=${3:-2000}
DOC=${BENCH_DOC:-docs/benchmarks.md}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/kazi-bench-peerdoc-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
sh bench/peer_gammu.sh install
# What one durable write costs on this disk: gammu-smsd commits each row on its own.
dsync_ms=$(bench_dsync_ms)

sh bench/peer_gammu.sh inbound "$PDUS" | tee "$T/out.txt"
sh bench/peer_gammu.sh outbound "$MESSAGES" | tee -a "$T/out.txt"
secs=$(($(date +%s) - start))
echo "peer.bench_seconds=$secs" | tee -a "$T/out.txt"
grep '^peer\.[a-z0-9_.]*=' "$T/out.txt" >"$T/results.kv"
if [ -n "${BENCH_RESULTS:-}" ]; then
    cat "$T/results.kv" >>"$BENCH_RESULTS"
fi

v() { awk -F= -v k="peer.$1" '$1 == k {print $2}' "$T/results.kv"; }
machine=$(bench_machine)
version=$(dpkg-query -W -f='gammu-smsd ${Version}, libdbd-sqlite3 ' gammu-smsd)$(dpkg-query -W -f='${Version}' libdbd-sqlite3)
row="| $(date -u +%Y-%m-%dT%H:%MZ) | $(v inbound.pdus) / $(v inbound.messages) | $(v inbound.seconds) | $(v inbound.msgs_per_s) / $(v inbound.pdus_per_s) | $(v inbound.rss_idle_kib) KiB | $(v inbound.rss_peak_kib) KiB | $(v outbound.messages) | $(v outbound.seconds) | $(v outbound.msgs_per_s) | $(v outbound.idle_cpu_pct)% | $(v inbound.loadavg) ; $(v outbound.loadavg) | ${dsync_ms:-?} | $secs |"
{
    echo "<!-- bench_peer:begin (written by bench/bench_peer.sh; each run adds a row) -->"
    echo "## The peer: gammu-smsd with its dummy phone and SQLite"
    echo
    echo "- machine (last run): $machine; $version"
    echo "- command: \`make bench\` (bench/bench_peer.sh $B $PDUS $MESSAGES); one run by hand:"
    echo "  \`bench/peer_gammu.sh inbound|outbound [N]\`"
    echo "- setup: gammu's \`dummy\` phone (\`model = dummy\`, \`connection = none\`, \`device = DIR\`),"
    echo "  \`service = sql\`, \`driver = sqlite3\` (libdbi, Debian's libdbd-sqlite3), the schema from"
    echo "  /usr/share/doc/gammu-smsd/examples/sqlite.sql in a new database in WAL mode for each run."
    echo "  Poll intervals shortened for throughput: \`LoopSleep = 0\`, \`StatusFrequency = 0\`,"
    echo "  \`CommTimeout = 0\`; \`ReceiveFrequency = 0\` inbound, 60 outbound (the dummy phone's memory"
    echo "  check opens 40,000 files, where a modem answers one AT+CPMS?); PIN, battery, signal and"
    echo "  network checks off."
    echo "- inbound: the PDUs bench_inbound.sh feeds kazi (bench/inbound_feed.py's plan, written by"
    echo "  bench/peer_backup.py as gammu SMS-backup files, one part per location in the dummy"
    echo "  phone's folders 1 and 3), renamed into place while the daemon is idle; time from the"
    echo "  rename to the last part stored and deleted from the phone; messages/s counts a two-part"
    echo "  message once, parts/s counts inbox rows. RSS: VmRSS idle, VmHWM after the burst: gammu"
    echo "  reads every waiting message into memory (about 500 KiB each) before storing the first."
    echo "- outbound: single-part messages in the outbox table before the daemon starts; time from"
    echo "  its start until its own status (gammu-smsd-monitor) counts them all sent (2,000 by"
    echo "  default: the rate does not change along the queue, and 10,000 take 3 to 7 minutes); then its CPU"
    echo "  (user+system) over 5 s with nothing to do: with \`LoopSleep = 0\` it polls the outbox"
    echo "  without pause (100 % on a quiet machine; less only when other processes take the CPU)."
    echo "- every row is a transaction of its own (inbound: the row, then the phone's counter), so"
    echo "  a slow disk slows gammu-smsd; so does a busy CPU (it copies about 500 KiB per message)."
    echo "  Load average (before ; after each run) is the machine's: other processes were not"
    echo "  stopped, and on a shared VM the figures move with it. Compare rows, not single numbers."
    echo
    echo "| date | inbound parts / messages | inbound s | inbound msgs/s / parts/s | RSS idle | RSS peak | outbound msgs | outbound s | outbound msgs/s | idle CPU | load avg in ; out | disk O_DSYNC 4 KiB ms | bench s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
    bench_old_rows bench_peer
    echo "$row"
    echo "<!-- bench_peer:end -->"
} >"$T/section.md"

bench_write_section bench_peer "$T/section.md"
