#!/bin/sh
# power_cycle.sh - a modem that stays dead after its AT resets is power-cycled
# by the [modem] power_cycle command while its traffic fails over: the real
# daemon with two `kazi sim` modems; m1 carries the workers' prefix, so it is
# preferred. m1 is made dead (`fault dead`: nothing answers until a power
# cycle); the command first hangs (killed after power_cycle_timeout), then
# fails (exit 3, its stderr logged), then power-cycles the simulator and
# leaves a marker. While m1 is dead the welcomes go out through m2, and the
# payout runner moves to m2 (both modems are marked payouts = yes); after the
# cycle m1 is ready and carries traffic again; `kazi status` shows the power
# cycle; nothing is lost or sent twice. Then, with power_cycle_attempts = 2
# by SIGHUP, a modem whose cycles never help (the command succeeds, the
# modem stays dead) is left dead and reported, its traffic still failing over.
# Every wait is bounded; the trap kills the daemon and the simulators.
# Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
ROOT=$(pwd)
kz_setup power
chmod 755 "$T"
SIM1='' SIM2='' DAEMON=''
cleanup() {
    kz_kill $DAEMON $SIM1 $SIM2
    kz_remove_temp
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Root in a container: the daemon (and so the command) runs as nobody.
kz_user_opt
kz_temp_for_user

sent_log() { "$KAZI" sim ctl "$1" sent 2>/dev/null | grep '^{'; }
welcomed_on() { sent_log "$1" | grep -q "\"to\":\"$2\".*Welcome"; }
logged() { grep -q "$1" "$T/serve.log"; }

kz_start_sim m1 s1.ctl sim1.log; SIM1=$!
kz_start_sim m2 s2.ctl sim2.log; SIM2=$!
kz_sims_up s1.ctl s2.ctl && ok || bad "simulators did not start"
# The daemon (and so the command) may run as nobody: it must reach the control
# socket, and reopen the pseudo-terminal after the cycle (a real modem's port
# is group dialout).
chmod 666 "$T/s1.ctl" "$T/s2.ctl" "$(readlink -f "$T/m1")" "$(readlink -f "$T/m2")"

# The power_cycle command: what it does is read from hook.mode at each run.
cat >"$T/hook.sh" <<EOF
#!/bin/sh
echo "\$KAZI_MODEM \$KAZI_PORT \$KAZI_POWER_CYCLE" >>"$T/hook.calls"
case \$(cat "$T/hook.mode") in
hang) sleep 30 ;;
fail) echo "relay board not answering" >&2; echo "second line" >&2; exit 3 ;;
ok) "$KAZI" sim ctl "$T/s1.ctl" fault power-cycle >/dev/null || exit 4
    echo cycled >>"$T/hook.marker" ;;
noop) ;;
esac
EOF
chmod 755 "$T/hook.sh"
echo hang >"$T/hook.mode"
chmod 666 "$T/hook.mode"

cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
log_level = debug
housekeeping_interval = 1s
push_from = 00:00
push_to = 23:59
[payout]
pin = 1234
script = $ROOT/tasks/providers/mpesa-ke.ussd-script
providers = $ROOT/tasks/providers
[outbox]
retry_base = 1s
retry_max = 2s
max_attempts = 20
[modem m1]
port = $T/m1
prefixes = +25471
max_resets = 1
command_timeout = 1s
boot_wait = 1s
poll_interval = 2s
power_cycle = "$T/hook.sh"
power_cycle_timeout = 5s
power_cycle_backoff = 1s
power_cycle_attempts = 20
payouts = yes
[modem m2]
port = $T/m2
command_timeout = 1s
payouts = yes
EOF
chmod 600 "$T/k.conf" # it holds a PIN; the daemon rereads it as its user on SIGHUP
[ -z "$USEROPT" ] || chown nobody "$T/k.conf"
"$KAZI" serve --check -c "$T/k.conf" >"$T/out" 2>&1 && ok || bad "--check: $(cat "$T/out")"

kz_start_daemon; DAEMON=$!
wait_for 15 logged "modem m1: ready" && wait_for 15 logged "modem m2: ready" && ok \
    || { bad "modems not ready"; tail -20 "$T/serve.log"; }
logged "payouts: paying from modem m1" && ok || bad "payouts not on m1: $(grep payouts "$T/serve.log")"

# Before: m1 carries its prefix's traffic.
"$KAZI" sim ctl "$T/s1.ctl" inject +254711000001 JOIN Amina >/dev/null
wait_for 20 welcomed_on "$T/s1.ctl" +254711000001 && ok || { bad "no welcome through m1"; tail -20 "$T/serve.log"; }

# m1 dies. The driver's resets fail, it is dead, the command runs and hangs.
"$KAZI" sim ctl "$T/s1.ctl" fault dead >/dev/null && ok || bad "fault dead"
wait_for 90 logged "modem m1: dead" && ok || { bad "m1 never dead"; tail -30 "$T/serve.log"; }
wait_for 10 logged "power cycle 1 of 20: running the power_cycle command" && ok || bad "command not started"
wait_for 15 logged "modem m1: power cycle 1 of 20: the command was killed after 5 s" && ok \
    || { bad "hanging command not killed"; tail -20 "$T/serve.log"; }
echo fail >"$T/hook.mode"
wait_for 20 logged "the command exited with status 3: relay board not answering;" && ok \
    || { bad "failing command not reported"; tail -20 "$T/serve.log"; }
if logged "second line"; then bad "more than the first stderr line logged"; else ok; fi
# Payouts (both SIMs hold the account) move to m2 while no payout is in progress.
wait_for 5 logged "payouts: modem m1 is dead: paying from modem m2 from now on" && ok \
    || bad "payouts did not move: $(grep payouts "$T/serve.log")"
wait_for 5 logged "next power cycle in 2 s" && ok || bad "no doubling backoff: $(grep 'next power' "$T/serve.log")"

# kazi status while it is dead (the snapshot is saved every housekeeping second).
status_dead() {
    "$KAZI" status --db "$T/k.db" --json >"$T/status.json" 2>/dev/null || return 1
    "$PY" - "$T/status.json" <<'PYEOF'
import json, sys
m = {x["name"]: x for x in json.load(open(sys.argv[1]))["modems"]}
assert m["m1"]["state"] in ("dead", "power-cycling"), m["m1"]
assert "power cycle" in m["m1"]["last_error"], m["m1"]
assert m["m2"]["state"] == "ready", m["m2"]
PYEOF
}
wait_for 5 status_dead && ok || bad "status while dead: $(cat "$T/status.json")"

# While m1 is dead, replies for its prefix go out through m2.
for i in 2 3 4; do
    "$KAZI" sim ctl "$T/s2.ctl" inject +25471100000$i JOIN Worker$i >/dev/null
done
for i in 2 3 4; do
    wait_for 20 welcomed_on "$T/s2.ctl" +25471100000$i && ok || { bad "no welcome for $i via m2"; tail -20 "$T/serve.log"; }
done
[ ! -e "$T/hook.marker" ] && ok || bad "m1 cycled too early"

# The command now works: m1 is power-cycled once and comes back.
echo ok >"$T/hook.mode"
wait_for 40 test -e "$T/hook.marker" && ok || { bad "command never power-cycled m1"; tail -20 "$T/serve.log"; }
wait_for 20 logged "modem m1: back after power cycle" && ok || { bad "m1 not back"; tail -30 "$T/serve.log"; }
[ "$(wc -l <"$T/hook.marker")" = 1 ] && ok || bad "power-cycled $(wc -l <"$T/hook.marker") times"
calls=$(wc -l <"$T/hook.calls")
[ "$calls" -ge 3 ] && ok || bad "command ran $calls times"
grep -q "^m1 $T/m1 1\$" "$T/hook.calls" && ok || bad "command environment: $(head -3 "$T/hook.calls")"
status_ready() {
    "$KAZI" status --db "$T/k.db" --json 2>/dev/null | "$PY" -c '
import json, sys
m = {x["name"]: x for x in json.load(sys.stdin)["modems"]}
assert m["m1"]["state"] == "ready", m["m1"]'
}
wait_for 5 status_ready && ok || bad "status after the cycle"

# m1 carries its traffic again.
"$KAZI" sim ctl "$T/s2.ctl" inject +254711000005 JOIN Wanjiru >/dev/null
wait_for 20 welcomed_on "$T/s1.ctl" +254711000005 && ok || { bad "m1 not used after the cycle"; tail -20 "$T/serve.log"; }

# Nothing lost, nothing sent twice.
drained() { [ "$(sql "SELECT count(*) FROM messages WHERE direction='out' AND state IN ('queued','sending')")" = 0 ]; }
wait_for 20 drained && ok || bad "outbox not drained: $(sql "SELECT id, state, error FROM messages WHERE direction='out' AND state IN ('queued','sending')")"
sleep 1
[ "$(sql "SELECT count(*) FROM messages WHERE direction='out' AND state NOT IN ('sent','delivered')")" = 0 ] \
    && ok || bad "messages not sent: $(sql "SELECT id, state, error FROM messages WHERE direction='out' AND state NOT IN ('sent','delivered')")"
{ sent_log "$T/s1.ctl"; sent_log "$T/s2.ctl"; } >"$T/sent.jsonl"
out_parts=$(sql "SELECT count(*) FROM outbox_parts WHERE state IN ('sent','delivered')")
[ "$out_parts" = "$(wc -l <"$T/sent.jsonl")" ] && ok || bad "parts sent $out_parts, simulators saw $(wc -l <"$T/sent.jsonl")"
"$PY" - "$T/sent.jsonl" <<'PYEOF' && ok || bad "duplicates in the sent logs"
import json, sys
seen = [(m["to"], m["text"], m.get("seq")) for m in map(json.loads, open(sys.argv[1]))]
assert len(seen) == len(set(seen)), seen
for i in range(1, 6):
    n = sum(1 for to, text, _ in seen if to == "+25471100000%d" % i and "Welcome" in text)
    assert n >= 1, (i, seen)
PYEOF
[ "$(sql "SELECT count(*) FROM (SELECT message_id FROM outbox_parts GROUP BY message_id HAVING count(DISTINCT modem) > 1)")" = 0 ] \
    && ok || bad "a message split across modems"

# Cycles that never help (the command succeeds, the modem stays dead): after
# power_cycle_attempts of them the modem is left dead, and said so.
sed -i 's/^power_cycle_attempts = 20/power_cycle_attempts = 2/' "$T/k.conf"
echo noop >"$T/hook.mode"
kill -HUP "$DAEMON"
wait_for 5 logged "reload: \[modem m1\] power_cycle_attempts changed" && ok || bad "reload not applied"
"$KAZI" sim ctl "$T/s1.ctl" fault dead >/dev/null
wait_for 90 logged "gave up after 2 power cycles" && ok || { bad "never gave up"; tail -30 "$T/serve.log"; }
logged "power cycle 1 of 2: the modem is still dead after it; next power cycle in 1 s" && ok \
    || bad "a cycle that did not help: $(grep 'power cycle 1 of 2' "$T/serve.log")"
[ "$(wc -l <"$T/hook.marker")" = 1 ] && ok || bad "the simulator was power-cycled again"
status_gave_up() {
    "$KAZI" status --db "$T/k.db" --json 2>/dev/null | "$PY" -c '
import json, sys
m = {x["name"]: x for x in json.load(sys.stdin)["modems"]}
assert m["m1"]["state"] == "dead" and "gave up after 2 power cycles" in m["m1"]["last_error"], m["m1"]'
}
wait_for 5 status_gave_up && ok || bad "status after giving up"
"$KAZI" sim ctl "$T/s2.ctl" inject +254711000006 JOIN Otieno >/dev/null
wait_for 20 welcomed_on "$T/s2.ctl" +254711000006 && ok || bad "no failover after giving up"

# SIGTERM: a clean stop, no sanitizer report.
kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log"

kz_report
