#!/bin/sh
# abuse.sh - the inbound abuse limits on the real daemon (`kazi serve`) with a
# `kazi sim` modem on a pseudo-terminal: a flood from one number is stored
# whole but answered at most as configured (one "too many SMS" notice), a
# binary (8-bit) PDU gets no reply, an oversized SMS gets one short reply,
# a number repeating one text is flagged (`kazi flags --json`) and not
# answered, an operator's alphanumeric sender is never answered, and a
# normal worker is untouched. Each limit is logged once. Every wait is
# bounded; the simulator and daemon are killed by the trap.
# Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup abuse
chmod 755 "$T"
SIM1= DAEMON=
cleanup() {
    kz_kill $DAEMON $SIM1
    kz_remove_temp
}
trap cleanup EXIT INT TERM
kz_user_opt
kz_temp_for_user

inject() { "$KAZI" sim ctl "$T/s1.ctl" inject "$@" >/dev/null || bad "inject $*"; }
sent_to() { # sent_to NUMBER: parts the simulator sent to NUMBER
    "$KAZI" sim ctl "$T/s1.ctl" sent 2>/dev/null | grep -c "\"to\":\"$1\""
}
sent_to_has() { "$KAZI" sim ctl "$T/s1.ctl" sent 2>/dev/null | grep "\"to\":\"$1\"" | grep -q "$2"; }
in_from() { sql "SELECT count(*) FROM messages WHERE direction = 'in' AND peer = '$1'"; }
has_in() { [ "$(in_from "$1")" -ge "$2" ]; }
drained() { [ "$(sql "SELECT count(*) FROM messages WHERE direction = 'out' AND state IN ('queued','sending')")" = 0 ]; }

NORMAL=+254711000001 FLOOD=+254722000002 BIN=+254733000003 BIG=+254744000004 REP=+254755000005

kz_start_sim m1 s1.ctl sim1.log; SIM1=$!
kz_sims_up s1.ctl && ok || bad "simulator did not start"

cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
log_level = debug
housekeeping_interval = 1s
push_interval = 600s
[outbox]
retry_base = 1s
[limits]
rate_max = 6
rate_window = 10m
max_chars = 100
repeat_max = 3
[modem m1]
port = $T/m1
EOF
printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop open?,Yes|No' \
    '2,verify,Is the kiosk open?,Yes|No' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --db "$T/k.db" >"$T/out" 2>&1 \
    && ok || bad "import: $(cat "$T/out")"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"
kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "modem m1: ready" "$T/serve.log" && ok || { bad "modem not ready"; tail -20 "$T/serve.log"; }

# A normal worker: join, a task, an answer, a balance.
inject $NORMAL JOIN Amina
wait_for 15 sent_to_has $NORMAL Welcome && ok || bad "no welcome"
inject $NORMAL NEXT
wait_for 10 sent_to_has $NORMAL "#1 Acme" && ok || bad "no offer: $(sql "SELECT body FROM messages WHERE peer='$NORMAL'")"
inject $NORMAL 1 1
wait_for 10 sent_to_has $NORMAL "Got 1" && ok || bad "no ack"
inject $NORMAL BAL
wait_for 10 sent_to_has $NORMAL "Balance" && ok || bad "no balance"

# A flood: JOIN and 13 more SMS, all different, from one number.
inject $FLOOD JOIN Baraka
wait_for 10 sent_to_has $FLOOD Welcome && ok || bad "flood: no welcome"
for w in BAL HELP HIST CERT WHO HOURS LANG PAUSE RESUME MORE SKIP ASK APPEAL; do
    inject $FLOOD "$w"
done
wait_for 20 has_in $FLOOD 14 && ok || bad "flood stored: $(in_from $FLOOD) of 14"

# A binary message (8-bit data, DCS 0x04) from its own number.
"$KAZI" sim ctl "$T/s1.ctl" inject-pdu 00040C9152743300003000045230300100002104DEADBEEF >/dev/null \
    && ok || bad "inject-pdu"
wait_for 10 has_in $BIN 1 && ok || bad "binary not stored"

# An oversized SMS (150 characters, the limit is 100), twice.
long=$("$PY" -c 'print("Hello Kazi, " + "please tell me more about the work " * 4)')
inject $BIG "$long"
wait_for 10 sent_to_has $BIG "too long" && ok || bad "oversized: no reply"
inject $BIG "$long again"
wait_for 10 has_in $BIG 2 && ok || bad "oversized: second not stored"

# A repeater: the same text four times.
inject $REP JOIN Chebet
wait_for 10 sent_to_has $REP Welcome && ok || bad "repeater: no welcome"
# (A second apart: the same PDU with the same time stamp is one SMS read twice.)
for i in 1 2 3 4; do inject $REP "HELP"; sleep 1.2; done
wait_for 10 has_in $REP 5 && ok || bad "repeater stored: $(in_from $REP)"

# An operator's promotion from an alphanumeric sender.
inject Safaricom "Get 1GB for 50 bob! Reply YES"
wait_for 10 has_in Safaricom 1 && ok || bad "alphanumeric sender not stored"

wait_for 15 drained && ok || bad "outbox not drained"
sleep 1

# The flood: all 14 stored; the 7th on were not acted on; one notice.
n=$(sql "SELECT count(*) FROM messages WHERE peer = '$FLOOD' AND direction = 'in' AND reason = 'rate' AND state = 'ignored'")
[ "$n" = 8 ] && ok || bad "flood: $n of 14 kept as 'rate' (want 8)"
n=$(sql "SELECT count(*) FROM messages WHERE peer = '$FLOOD' AND direction = 'out'")
[ "$n" -le 7 ] && ok || bad "flood: $n replies (at most 6 and a notice)"
n=$("$KAZI" sim ctl "$T/s1.ctl" sent 2>/dev/null | grep "\"to\":\"$FLOOD\"" | grep -c "too many SMS")
[ "$n" = 1 ] && ok || bad "flood: $n notices"
# Binary: stored with its payload, never answered.
[ "$(sent_to $BIN)" = 0 ] && ok || bad "binary answered"
sql "SELECT body FROM messages WHERE peer = '$BIN'" | grep -q "DEADBEEF" && ok || bad "binary body"
[ "$(sql "SELECT reason FROM messages WHERE peer = '$BIN'")" = binary ] && ok || bad "binary reason"
# Oversized: one reply for two.
[ "$(sent_to $BIG)" = 1 ] && ok || bad "oversized: $(sent_to $BIG) replies"
[ "$(sql "SELECT count(*) FROM messages WHERE peer = '$BIG' AND reason = 'oversized'")" = 2 ] \
    && ok || bad "oversized reasons"
# Repeater: welcome and two HELP replies, then silence; flagged.
n=$(sql "SELECT count(*) FROM messages WHERE peer = '$REP' AND direction = 'out'")
[ "$n" = 3 ] && ok || bad "repeater: $n replies (want 3)"
"$KAZI" flags --json --db "$T/k.db" >"$T/flags.json" 2>"$T/err" && ok || bad "kazi flags: $(cat "$T/err")"
"$PY" - "$T/flags.json" "$REP" "$FLOOD" "$NORMAL" <<'PYEOF' && ok || bad "flags: $(cat "$T/flags.json")"
import json, sys
f = json.load(open(sys.argv[1]))
kinds = {(r["peer"], r["kind"]) for r in f}
assert (sys.argv[2], "repeat") in kinds, kinds
assert (sys.argv[3], "rate") in kinds, kinds
assert not any(p == sys.argv[4] for p, _ in kinds), kinds
rep = [r for r in f if r["peer"] == sys.argv[2]][0]
assert rep["hits"] == 2 and rep["worker_id"] > 0, rep
PYEOF
# The operator's promotion: never answered.
[ "$(sent_to Safaricom)" = 0 ] && ok || bad "alphanumeric sender answered"
[ "$(sql "SELECT reason FROM messages WHERE peer = 'Safaricom'")" = sender ] && ok || bad "sender reason"
# The normal worker: every message read and answered, no reason, no flag.
[ "$(sql "SELECT count(*) FROM messages WHERE peer = '$NORMAL' AND direction = 'in' AND reason IS NULL AND state = 'handled'")" = 4 ] \
    && ok || bad "normal worker: $(sql "SELECT body, state, reason FROM messages WHERE peer = '$NORMAL'")"
# Logged once per number and limit.
[ "$(grep -c "limits: $FLOOD flagged rate " "$T/serve.log")" = 1 ] && ok || bad "rate logged: $(grep -c "limits: $FLOOD" "$T/serve.log")"
[ "$(grep -c "limits: $REP flagged repeat " "$T/serve.log")" = 1 ] && ok || bad "repeat logged"

kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
[ "$rc" = 0 ] && ok || bad "exit status $rc"
kz_no_sanitizer_report "$T/serve.log"

kz_report
