#!/bin/sh
# kannel.sh - the kannel transport end to end on loopback: Debian's kannel
# (bearerbox with a fake SMSC, smsbox with a sendsms user and a post-url
# sms-service) and its fakesmsc playing the phones, `kazi serve` with one
# modem of driver = kannel and [http] listen (as `nobody` when run as root).
# First the callbacks' guards: a wrong or missing secret is 403, an unknown
# modem 404, a GET of /mo 405, a bad DLR 400. Then phase 1: CRASH_N inbound
# messages from numbers Kazi does not answer, the daemon killed with SIGKILL
# a third of the way in and started again: Kannel retries what was not
# answered 200, and every message is stored exactly once. Phase 2: N messages
# JOIN from 200 numbers, each answered by one reply sent through sendsms
# with a dlr-url: every inbound message stored
# exactly once (the multiset of sender and text equals bearerbox's access
# log), every reply part received by fakesmsc exactly once (its lines against
# the outbox), every part 'delivered' by its report. The password and the
# secret are in no log line of ours. N is 3,000 and CRASH_N 600 by default
# (about a minute with the sanitizers); issue 9's acceptance run is
# KANNEL_N=10000 (KANNEL_CRASH_N too). Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup kannel
BB= SB= FK= DAEMON=
cleanup() {
    kz_kill $FK $DAEMON $SB $BB
    kz_remove_temp
}
trap cleanup EXIT INT TERM
kz_user_opt
kz_temp_for_user

. "$(dirname "$0")/kannel.inc"
missing=$(kn_missing)
[ -z "$missing" ] || { echo "$missing is missing (apt-get install kannel kannel-extras)"; echo "0 passed, 1 failed"; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "curl is missing"; echo "0 passed, 1 failed"; exit 1; }

N=${KANNEL_N:-3000}
CRASH_N=${KANNEL_CRASH_N:-600}
WAIT=$((60 + (N + CRASH_N) / 20)) # seconds: at 20 messages/s at worst
SECRET=kz-kannel-5d0c8e21f7a94b36
PASSWORD=pw-9f3e7a1c
kn_ports
kn_confs "$SECRET" "$PASSWORD"

"$KAZI" serve -c "$T/k.conf" --check >"$T/check.log" 2>&1 && ok || bad "--check: $(cat "$T/check.log")"

kn_start && ok || bad "bearerbox or smsbox did not start: $(tail -3 "$T/bearerbox.out" "$T/smsbox.out")"

listening() { grep -q "http: listening on 127.0.0.1:$PORT " "$T/serve.log"; }
start() {
    kz_start_daemon; DAEMON=$!
    wait_for 20 listening && ok || { bad "no listener on $PORT"; tail -20 "$T/serve.log"; }
}
start

# ---- the callbacks' guards ----
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
MO="http://127.0.0.1:$PORT/kannel/k1/mo"
[ "$(code --data-binary hi "$MO?secret=wrong-wrong-wrong-1&from=%2B254700000001&id=x")" = 403 ] &&
    ok || bad "a wrong secret is not 403"
[ "$(code --data-binary hi "$MO?from=%2B254700000001&id=x")" = 403 ] && ok || bad "no secret is not 403"
[ "$(code --data-binary hi "http://127.0.0.1:$PORT/kannel/k9/mo?secret=$SECRET")" = 404 ] &&
    ok || bad "an unknown modem is not 404"
[ "$(code "$MO?secret=$SECRET")" = 405 ] && ok || bad "GET /mo is not 405"
[ "$(code "http://127.0.0.1:$PORT/kannel/k1/dlr?secret=$SECRET&id=x&type=1")" = 400 ] &&
    ok || bad "a DLR without a numeric id is not 400"
[ "$(code --data-binary hi "$MO?secret=$SECRET&id=x")" = 400 ] && ok || bad "an MO without a sender is not 400"

# fakesmsc FILE COUNT MSG...: COUNT messages into the fake SMSC, its log in $T/FILE.
fakesmsc() {
    f_log=$1 f_n=$2
    shift 2
    $KN_FAKESMSC -H 127.0.0.1 -r "$FAKE" -i 0 -m "$f_n" -z 4 "$@" >"$T/$f_log" 2>&1 &
    FK=$!
}
inbound() { sql "SELECT count(*) FROM messages WHERE direction = 'in'"; }
at_least_in() { [ "$(inbound)" -ge "$1" ]; }
received() { grep -c "Receive SMS" "$T/access.log"; }

# ---- phase 1: SIGKILL while messages come in ----
# 13-digit senders: stored, never answered.
fakesmsc fk1.log "$CRASH_N" "+2547001 100 text crash a" "+2547002 100 text crash b"
wait_for 60 at_least_in $((CRASH_N / 3)) && ok || bad "phase 1: $(inbound) stored before the kill"
kill -9 "$DAEMON"
wait "$DAEMON" 2>/dev/null
DAEMON=
sleep 1
start
wait_for "$WAIT" at_least_in "$CRASH_N" && ok || bad "phase 1: $(inbound) of $CRASH_N stored after the restart"
sleep 2
[ "$(received)" = "$CRASH_N" ] && ok || bad "phase 1: bearerbox received $(received), not $CRASH_N"
[ "$(inbound)" = "$CRASH_N" ] && ok || bad "phase 1: $(inbound) stored, not $CRASH_N"
kill "$FK" 2>/dev/null
wait "$FK" 2>/dev/null
FK=

# ---- phase 2: N messages in, N replies out with their reports ----
kn_join_msgs >"$T/msgs"
set --
while read -r line; do set -- "$@" "$line"; done <"$T/msgs"
fakesmsc fk2.log "$N" "$@"
TOTAL=$((CRASH_N + N))
t0=$(date +%s)
wait_for "$WAIT" at_least_in "$TOTAL" && ok || bad "phase 2: $(inbound) of $TOTAL stored"
t1=$(date +%s)
parts() { sql "SELECT count(*) FROM outbox_parts"; }
got() { grep -c "Got message" "$T/fk2.log"; }
settled() {
    [ "$(sql "SELECT count(*) FROM outbox_parts WHERE state != 'delivered'")" = 0 ] &&
        [ "$(got)" -ge "$(parts)" ] && [ "$(parts)" -gt 0 ]
}
wait_for "$WAIT" settled && ok || bad "phase 2: parts not all delivered: $(sql "SELECT state, count(*) FROM outbox_parts GROUP BY 1" | tr '\n' ' ')"
t2=$(date +%s)
sleep 1
echo "kannel: $N in and their replies out in $((t2 - t0)) s (inbound done after $((t1 - t0)) s)"

# inbound: the multiset of (sender, text) bearerbox received equals what is stored
sed -n 's/.*Receive SMS .*\[from:\([^]]*\)\].*\[msg:[0-9]*:\(.*\)\] \[udh:.*/\1 \2/p' "$T/access.log" |
    sort >"$T/in.kannel"
sql "SELECT peer || ' ' || body FROM messages WHERE direction = 'in'" | sort >"$T/in.kazi"
[ "$(wc -l <"$T/in.kannel")" = "$TOTAL" ] && ok || bad "bearerbox logged $(wc -l <"$T/in.kannel") of $TOTAL"
cmp -s "$T/in.kannel" "$T/in.kazi" && ok ||
    bad "inbound differs from bearerbox's log: $(diff "$T/in.kannel" "$T/in.kazi" | head -5)"
[ "$(sql "SELECT count(*) FROM messages WHERE direction = 'out'")" = "$N" ] && ok ||
    bad "$(sql "SELECT count(*) FROM messages WHERE direction = 'out'") replies, not $N"

# outbound: each part once at fakesmsc; single-part replies by text
sed -n 's/.*Got message [0-9]*: <100 \([^ ]*\) \(.*\)>$/\1 \2/p' "$T/fk2.log" | sort >"$T/out.fake"
[ "$(wc -l <"$T/out.fake")" = "$(parts)" ] && ok || bad "fakesmsc got $(wc -l <"$T/out.fake") lines, $(parts) parts"
[ -z "$(uniq -d "$T/out.fake")" ] && ok || bad "fakesmsc got a part twice: $(uniq -d "$T/out.fake" | head -3)"
sql "SELECT m.peer || ' text ' || m.body FROM messages m JOIN outbox_parts p ON p.message_id = m.id
     WHERE m.direction = 'out' AND p.total = 1" | sort >"$T/out.single"
grep ' text ' "$T/out.fake" >"$T/out.fake.single"
cmp -s "$T/out.single" "$T/out.fake.single" && ok ||
    bad "single-part replies differ: $(diff "$T/out.single" "$T/out.fake.single" | head -5)"
[ "$(sql "SELECT count(*) FROM outbox_parts WHERE state = 'delivered' AND modem = 'k1'")" = "$(parts)" ] &&
    ok || bad "not every part delivered through k1"

# the log: no secret, no password, no sanitizer report
kz_stop_daemon
grep -q -e "$SECRET" -e "$PASSWORD" "$T/serve.log" && bad "a secret in the daemon's log" || ok
kz_no_sanitizer_report "$T/serve.log"
kz_report
