#!/bin/sh
# secrets.sh - secrets never leave the configuration file except towards the
# modem (docs/operations.md "Secrets"). The real daemon at log_level = debug,
# with syslog on (captured on /dev/log when this script may create it, as
# root where no syslog daemon runs), two `kazi sim` modems whose SIMs want PIN
# 8642 (m1 configured with it, m2 with a wrong 5555), and M-PESA payouts
# (tests/data/ussd/mpesa-ke.ussd, PIN 1234): a worker JOINs, answers two
# tasks and sends PAY; the payout is confirmed, so both PINs were typed to the
# modem (AT+CPIN and the USSD PIN screen: the only places they may go). A
# second payout meets a menu that shows the PIN back on its failure screen:
# the reason kept in the database has it masked. A SIGHUP reload with a new
# PIN for m2 logs the key that changed, not its value. Then
# no PIN appears as a word in: the daemon's stderr, the syslog lines, every
# row of the database (`sqlite3 .dump`), a `kazi backup` taken while it ran,
# `kazi status --json`, `kazi pay list --json`, `kazi outbox --json`,
# `kazi workers --json`, nor any SMS kazi sent (both simulators' sent logs).
# The same grep finds each PIN in the configuration, so it can fail.
# Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
ROOT=$(pwd)
SIM_PIN=8642 WRONG_SIM_PIN=5555 NEW_SIM_PIN=5556 PAY_PIN=1234 # mpesa-ke.ussd accepts 1234
kz_setup secrets
chmod 755 "$T"
SIM1= SIM2= DAEMON= SYSLOGD= DEVLOG=
cleanup() {
    kz_kill $DAEMON $SIM1 $SIM2 $SYSLOGD
    [ -n "$DEVLOG" ] && rm -f /dev/log
    kz_remove_temp
}
trap cleanup EXIT INT TERM
sent() { "$KAZI" sim ctl "$T/s1.ctl" sent 2>/dev/null; }
W=+254711000001
kz_user_opt

# Syslog: a listener on /dev/log when none exists and we may make one.
SYSLOG=stderr
if [ ! -e /dev/log ] && [ -w /dev ]; then
    "$PY" - "$T/syslog.txt" <<'EOF' & SYSLOGD=$!
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
EOF
    if wait_for 5 test -S /dev/log; then DEVLOG=yes; SYSLOG=captured; ok; else bad "no /dev/log listener"; fi
fi
[ "$SYSLOG" = captured ] || echo "note: syslog not captured (/dev/log exists or cannot be made); checking stderr"

kz_start_sim m1 s1.ctl sim1.log --pin $SIM_PIN --script "$ROOT/tests/data/ussd/mpesa-ke.ussd"; SIM1=$!
kz_start_sim m2 s2.ctl sim2.log --pin $SIM_PIN; SIM2=$!
kz_sims_up s1.ctl s2.ctl && ok || bad "simulators did not start"

(umask 077; cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
log_level = debug
syslog = yes
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
pin = $PAY_PIN
script = $ROOT/tasks/providers/mpesa-ke.ussd-script
providers = $ROOT/tasks/providers
confirm_timeout = 2m
min = 10
[modem m1]
port = $T/m1
pin = $SIM_PIN
[modem m2]
port = $T/m2
pin = $WRONG_SIM_PIN
prefixes = +25473
EOF
)
# The daemon's user owns its configuration (it reads it again on SIGHUP).
[ -z "$USEROPT" ] || chown nobody "$T/k.conf"
printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop at Moi Ave open?,Yes|No' \
  '2,verify,Is the kiosk by the stage open?,Yes|No' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --reward 30 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"

kz_start_daemon; DAEMON=$!
# m1 ready with a PIN-locked SIM: AT+CPIN carried the PIN to the modem.
wait_for 20 grep -q "modem m1: ready" "$T/serve.log" && ok || { bad "m1 not ready"; tail -20 "$T/serve.log"; }
wait_for 10 grep -q "modem m2: pin-needed: .*refused the configured PIN" "$T/serve.log" && ok \
    || bad "m2's wrong PIN not reported: $(grep 'modem m2' "$T/serve.log" | tail -3)"

"$KAZI" sim ctl "$T/s1.ctl" inject $W JOIN Amina >/dev/null && ok || bad "inject JOIN"
wait_for 20 sh -c "\"$KAZI\" sim ctl \"$T/s1.ctl\" sent | grep -q Welcome" && ok || bad "no welcome"
"$KAZI" sim ctl "$T/s1.ctl" inject $W NEXT >/dev/null
: >"$T/answered"
kz_answer_offers s1.ctl $W 1 2 40
[ "$(sql "SELECT count(*) FROM answers")" -ge 2 ] && ok || bad "answers: $(sql 'SELECT count(*) FROM answers')"
balance() { sql "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE worker_id = 1"; }
wait_for 10 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/k.db' 'SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE worker_id = 1')\" -ge 6000 ]" \
    && ok || bad "balance $(balance)"

# PAY: the menu takes the PIN; MPESA's SMS confirms (so the PIN reached the modem).
"$KAZI" sim ctl "$T/s1.ctl" inject $W PAY >/dev/null && ok || bad "inject PAY"
pay_json() { "$KAZI" pay list --json --db "$T/k.db" 2>/dev/null; }
confirmed() { pay_json | "$PY" -c 'import json,sys; p=json.load(sys.stdin); sys.exit(0 if p and p[0]["state"]=="confirmed" and p[0]["pin_sent"] else 1)'; }
wait_for 90 confirmed && ok || { bad "payout not confirmed: $(pay_json)"; grep -i "payout\|ussd" "$T/serve.log" | tail -20; }
told() { sent | grep "\"to\":\"$W\"" | grep -q "Paid: KSh"; }
wait_for 15 told && ok || bad "no 'paid' SMS"

# A menu that shows the PIN back on a failure screen: the reason kazi keeps is masked.
sed -e 's/^on 1234 send_confirm$/on 1234 echo_fail/' "$ROOT/tests/data/ussd/mpesa-ke.ussd" >"$T/echo.ussd"
printf '\nend echo_fail\nsay Failed: PIN {pin} not accepted\n' >>"$T/echo.ussd"
"$KAZI" sim ctl "$T/s1.ctl" ussd-load "$T/echo.ussd" >"$T/out" 2>&1 && ok || bad "ussd-load: $(cat "$T/out")"
printf '%s\n' 'id,type,prompt,options' '3,verify,Is the market open today?,Yes|No' >"$T/more.csv"
"$KAZI" import "$T/more.csv" --batch more --requester Acme --reward 25 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import 2: $(cat "$T/out")"
"$KAZI" sim ctl "$T/s1.ctl" inject $W NEXT >/dev/null
kz_answer_offers s1.ctl $W yes 3 30
wait_for 10 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/k.db' 'SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE worker_id = 1')\" = 2500 ]" \
    && ok || bad "balance before the 2nd PAY: $(balance)"
"$KAZI" sim ctl "$T/s1.ctl" inject $W PAY >/dev/null
failed2() { [ "$(sql "SELECT state FROM payouts WHERE id = 2")" = failed ]; }
wait_for 60 failed2 && ok || { bad "payout 2: $(pay_json)"; grep -i "payout" "$T/serve.log" | tail -5; }
sql "SELECT error FROM payouts WHERE id = 2" | grep -q "Failed: PIN \*\*\*\* not accepted" && ok \
    || bad "the echoed PIN is not masked in the payout's reason: $(sql "SELECT error FROM payouts WHERE id = 2")"

# SIGHUP with a new (still wrong) PIN for m2: the reload names the key, never the value.
sed -i "s/^pin = $WRONG_SIM_PIN\$/pin = $NEW_SIM_PIN/" "$T/k.conf"
kill -HUP "$DAEMON"
wait_for 10 grep -q "reload: \[modem m2\] pin changed\|reload: applied" "$T/serve.log" && ok \
    || bad "no reload line: $(grep reload "$T/serve.log")"
grep -q "reload: configuration not applied" "$T/serve.log" && bad "reload refused: $(grep reload "$T/serve.log")"

# What an operator reads while the daemon runs, and a backup taken meanwhile.
"$KAZI" status --json --db "$T/k.db" >"$T/status.json" 2>&1 && ok || bad "status: $(cat "$T/status.json")"
pay_json >"$T/pay.json"
"$KAZI" outbox --json --db "$T/k.db" >"$T/outbox.json" 2>&1 && ok || bad "outbox: $(cat "$T/outbox.json")"
"$KAZI" workers --json --db "$T/k.db" >"$T/workers.json" 2>&1 && ok || bad "workers: $(cat "$T/workers.json")"
"$KAZI" backup "$T/backup.db" --db "$T/k.db" >"$T/backup.out" 2>&1 && ok \
    || bad "online backup: $(cat "$T/backup.out")"
sent >"$T/sent1.jsonl"
"$KAZI" sim ctl "$T/s2.ctl" sent >"$T/sent2.jsonl" 2>&1

kill -TERM "$DAEMON"
wait_for 10 sh -c "! kill -0 $DAEMON" && ok || bad "daemon did not stop"
wait "$DAEMON"; DAEMON=
sqlite3 "$T/k.db" .dump >"$T/db.sql" && ok || bad "dump"
sqlite3 "$T/backup.db" .dump >"$T/backup.sql" && ok || bad "backup dump"
[ "$(grep -c 'INSERT INTO payout_events' "$T/db.sql")" -ge 3 ] && ok || bad "payout history missing from the dump"
if [ "$SYSLOG" = captured ]; then
    grep -q "kazi\[[0-9]*\]: .*kazi serve started" "$T/syslog.txt" && ok \
        || bad "syslog capture has no start line: $(head -3 "$T/syslog.txt")"
    [ "$(grep -c . "$T/syslog.txt")" -ge 20 ] && ok || bad "few syslog lines: $(grep -c . "$T/syslog.txt")"
fi
grep -q "debug:" "$T/serve.log" && ok || bad "no debug lines in the log"

# The same grep finds each PIN where it belongs: the configuration.
for pin in $SIM_PIN $NEW_SIM_PIN $PAY_PIN; do
    grep -qw "$pin" "$T/k.conf" && ok || bad "grep cannot find $pin in the configuration"
done
for f in serve.log syslog.txt db.sql backup.sql status.json pay.json outbox.json workers.json \
    sent1.jsonl sent2.jsonl backup.out; do
    [ -e "$T/$f" ] || continue
    for pin in $SIM_PIN $WRONG_SIM_PIN $NEW_SIM_PIN $PAY_PIN; do
        if grep -qw "$pin" "$T/$f"; then bad "PIN $pin in $f: $(grep -w -m2 "$pin" "$T/$f")"; else ok; fi
    done
done
kz_no_sanitizer_report "$T/serve.log"

kz_report
