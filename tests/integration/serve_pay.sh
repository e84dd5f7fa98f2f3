#!/bin/sh
# serve_pay.sh - mobile-money payouts in the real daemon (`kazi serve`, as
# `nobody` when run as root) with one `kazi sim` playing
# tests/data/ussd/mpesa-ke.ussd (send money, PIN 1234, confirmation SMS from
# MPESA): a worker JOINs, answers two tasks, sends PAY; the daemon walks the
# menu, reconciles MPESA's SMS and tells the worker. Checks: the payout is
# 'confirmed' with MPESA's transaction code (`kazi pay list --json`), the
# balance fell by the amount, the worker got the 'paid' SMS naming the code,
# `kazi check` passes, the configuration holding the PIN is mode 0600 and the
# PIN is in no log line; SIGTERM stops cleanly. Every wait is bounded; the
# trap kills every child. Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
ROOT=$(pwd)
PIN=1234 # what mpesa-ke.ussd accepts
kz_setup serve-pay
chmod 755 "$T"
SIM= DAEMON=
cleanup() {
    kz_kill $DAEMON $SIM
    kz_remove_temp
}
trap cleanup EXIT INT TERM

kz_user_opt
kz_temp_for_user

sent() { "$KAZI" sim ctl "$T/s.ctl" sent 2>/dev/null; }
W=+254711000001

kz_start_sim m1 s.ctl sim.log --script "$ROOT/tests/data/ussd/mpesa-ke.ussd"; SIM=$!
kz_sims_up s.ctl && ok || bad "simulator did not start: $(cat "$T/sim.log")"

(umask 077; cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
log_level = debug
housekeeping_interval = 1s
push_interval = 5s
push_from = 00:00
push_to = 23:59
[outbox]
retry_base = 1s
[money]
payout_min = 10
sms_refund = 0
[payout]
pin = $PIN
script = $ROOT/tasks/providers/mpesa-ke.ussd-script
providers = $ROOT/tasks/providers
confirm_timeout = 2m
min = 10
[modem m1]
port = $T/m1
EOF
)
kz_driver "$T/k.conf" # KAZI_DRIVER=gammu (serve_pay_gammu.sh): every modem through libgammu
[ "$(stat -c %a "$T/k.conf")" = 600 ] && ok || bad "config mode $(stat -c %a "$T/k.conf")"
"$KAZI" serve --check -c "$T/k.conf" >"$T/out" 2>&1 && ok || bad "--check: $(cat "$T/out")"
cp "$T/k.conf" "$T/open.conf"; chmod 644 "$T/open.conf"
if "$KAZI" serve --check -c "$T/open.conf" >"$T/out" 2>&1; then bad "a readable PIN file was accepted"
else ok; fi
grep -q "chmod 600" "$T/out" && ok || bad "mode error: $(cat "$T/out")"
rm -f "$T/open.conf"

printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop at Moi Ave open?,Yes|No' \
  '2,verify,Is the kiosk by the stage open?,Yes|No' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --reward 30 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "modem m1: ready" "$T/serve.log" && ok || { bad "modem not ready"; tail -20 "$T/serve.log"; }
grep -q "payouts: paying from modem m1" "$T/serve.log" && ok || bad "no runner: $(grep payout "$T/serve.log")"

# The worker joins and answers every offer once with option 1.
"$KAZI" sim ctl "$T/s.ctl" inject $W JOIN Amina >/dev/null && ok || bad "inject JOIN"
wait_for 20 sh -c "\"$KAZI\" sim ctl \"$T/s.ctl\" sent | grep -q Welcome" && ok || bad "no welcome"
"$KAZI" sim ctl "$T/s.ctl" inject $W NEXT >/dev/null
: >"$T/answered"
kz_answer_offers s.ctl $W 1 2 40
[ "$(sql "SELECT count(*) FROM answers")" -ge 2 ] && ok || { bad "answers: $(sql 'SELECT count(*) FROM answers')"; tail -30 "$T/serve.log"; }
balance() { sql "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE worker_id = (SELECT id FROM workers WHERE phone = '$W')"; }
has_balance() { [ "$(balance)" -ge 6000 ]; }
wait_for 10 has_balance && ok || bad "balance $(balance)"
before=$(balance)

# PAY: the whole balance goes through the M-PESA menu.
"$KAZI" sim ctl "$T/s.ctl" inject $W PAY >/dev/null && ok || bad "inject PAY"
pay_json() { "$KAZI" pay list --json --db "$T/k.db" 2>/dev/null; }
confirmed() { pay_json | "$PY" -c 'import json,sys; p=json.load(sys.stdin); sys.exit(0 if p and p[0]["state"]=="confirmed" else 1)'; }
wait_for 90 confirmed && ok || { bad "payout not confirmed: $(pay_json)"; grep -i "payout\|ussd" "$T/serve.log" | tail -20; }
pay_json >"$T/pay.json"
"$PY" - "$T/pay.json" "$before" >"$T/ref" <<'PYEOF' && ok || bad "payout json: $(cat "$T/pay.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert len(p) == 1, p
p = p[0]
assert p["state"] == "confirmed" and p["method"] == "ussd", p
assert p["amount_minor"] == int(sys.argv[2]), (p["amount_minor"], sys.argv[2])
assert p["provider_ref"] and p["pin_sent"], p
assert p["idempotency_key"].startswith("pay:msg:"), p
print(p["provider_ref"])
PYEOF
REF=$(cat "$T/ref")
AMOUNT=$(sql "SELECT amount_minor FROM payouts")
[ "$(balance)" = $((before - AMOUNT)) ] && ok || bad "balance $before -> $(balance), amount $AMOUNT"
told() { sent | grep "\"to\":\"$W\"" | grep -q "Paid: KSh$((AMOUNT / 100)) .*$REF"; }
wait_for 15 told && ok || { bad "no 'paid' SMS naming $REF"; sent | tail -3; }
[ "$(sent | grep -c "transaction $REF")" = 1 ] && ok || bad "the 'paid' SMS went $(sent | grep -c "transaction $REF") times"
[ "$(sql "SELECT count(*) FROM messages WHERE direction='out' AND kind='reply' AND dedupe_key LIKE 'payout:%:confirmed'")" = 1 ] \
    && ok || bad "notice row: $(sql "SELECT id, kind, dedupe_key FROM messages WHERE dedupe_key LIKE 'payout:%'")"
[ "$(sql "SELECT count(*) FROM payout_sms WHERE outcome = 'matched'")" = 1 ] && ok || bad "payout_sms: $(sql 'SELECT outcome, body FROM payout_sms')"
[ "$(sql "SELECT state FROM messages WHERE direction='in' AND peer = 'MPESA'")" = ignored ] && ok \
    || bad "provider SMS row: $(sql "SELECT peer, state FROM messages WHERE direction='in' AND peer NOT LIKE '+%'")"
"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "kazi check: $(cat "$T/out")"

# SIGTERM: a clean stop; then nothing anywhere shows the PIN.
kz_stop_daemon
grep -q "stopped cleanly" "$T/serve.log" && ok || bad "no clean stop line"
if grep -qw "$PIN" "$T/serve.log"; then bad "the PIN is in the log: $(grep -w -m3 "$PIN" "$T/serve.log")"; else ok; fi
kz_no_sanitizer_report "$T/serve.log"
[ "$(stat -c %a "$T/k.conf")" = 600 ] && ok || bad "config mode changed"

# A wrong PIN: the menu takes it, MPESA's SMS says FAILED; the payout fails, the money
# comes back, the worker is told, payouts halt; payout 1 is not paid or announced again.
BADPIN=5807
sed -i "s/^pin = .*/pin = $BADPIN/" "$T/k.conf"
printf '%s\n' 'id,type,prompt,options' '1,verify,Is the market open today?,Yes|No' >"$T/more.csv"
"$KAZI" import "$T/more.csv" --batch more --requester Acme --reward 25 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import 2: $(cat "$T/out")"
kz_start_daemon; DAEMON=$!
restarted() { [ "$(grep -c 'payouts: paying from modem m1' "$T/serve.log")" = 2 ]; }
wait_for 15 restarted && ok || bad "restart: $(tail -5 "$T/serve.log")"
"$KAZI" sim ctl "$T/s.ctl" inject $W NEXT >/dev/null
kz_answer_offers s.ctl $W yes 3 30
wait_for 10 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/k.db' \"SELECT coalesce(sum(amount_minor),0) FROM ledger_entries WHERE worker_id = 1\")\" = 2500 ]" \
    && ok || bad "balance before the 2nd PAY: $(balance)"
"$KAZI" sim ctl "$T/s.ctl" inject $W PAY >/dev/null
failed2() { [ "$(sql "SELECT state FROM payouts WHERE id = 2")" = failed ]; }
wait_for 90 failed2 && ok || { bad "payout 2: $(pay_json)"; grep -i "payout" "$T/serve.log" | tail -10; }
[ "$(balance)" = 2500 ] && ok || bad "money not back: $(balance)"
told_failed() { sent | grep "\"to\":\"$W\"" | grep -q "KSh25 .*did not go through. The money is back"; }
wait_for 15 told_failed && ok || { bad "no 'pay_failed' SMS"; sent | tail -2; }
grep -q "payouts halted: .*wrong_pin" "$T/serve.log" && ok || bad "no halt: $(grep -i halt "$T/serve.log")"
[ "$(sent | grep -c "transaction $REF")" = 1 ] && ok || bad "payout 1 announced again"
[ "$(sql "SELECT count(*) FROM payouts WHERE state = 'confirmed'")" = 1 ] && ok || bad "payouts: $(pay_json)"
"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "kazi check 2: $(cat "$T/out")"
kill -TERM "$DAEMON"; wait_for 10 kz_daemon_stopped && ok || bad "daemon 2 did not stop"
wait "$DAEMON"; DAEMON=
if grep -qw "$BADPIN" "$T/serve.log"; then bad "the 2nd PIN is in the log"; else ok; fi
kz_no_sanitizer_report "$T/serve.log" "(2)"

kz_report
