#!/bin/sh
# ussd_http.sh - whole USSD sessions over HTTP against the real daemon
# (`kazi serve` with only [http] listen on 127.0.0.1 and a free port, no
# modem, as `nobody` when run as root), the aggregator's way: form-encoded
# POSTs to /ussd with sessionId, serviceCode, phoneNumber and text holding
# every input so far joined by '*'. A stranger joins (consent recorded),
# takes a task, answers it wrong then right, the aggregator retries (same
# screen, answered once), checks the balance with the cash-out fee, cashes
# out (the payout row 'requested', the daemon woken), reads the work record
# and certificate, help, switches to Kiswahili; a session idle past
# ussd_timeout ends; a session id from another phone is refused; the secret
# works as ?secret= and as X-Kazi-USSD-Secret, a wrong or missing one is
# 403; a bad form is 400 without echoing the text; an oversized body is 413;
# GET is 405. Then a daemon whose ussd_allow leaves 127.0.0.1 out (403 even
# with the secret), one with only an allow-list (no secret needed), one with
# neither (403 for everything, said in the log), and one with a `kazi sim`
# modem playing tests/data/ussd/mpesa-ke.ussd that pays the cash-out through
# the M-PESA menu and tells the worker by SMS. The secret and the texts are
# in no log line. Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup ussd-http
DAEMON= SIM=
cleanup() {
    kz_kill $DAEMON $SIM
    kz_remove_temp
}
trap cleanup EXIT INT TERM

kz_user_opt
kz_temp_for_user
command -v curl >/dev/null 2>&1 || { echo "curl is missing"; echo "0 passed, 1 failed"; exit 1; }

PORT=$(kz_free_port)
SECRET=ussd-7c1f29e4b8
W=+254711000001
OTHER=+254722000002

# conf [EXTRA LINES]: [gateway], [http] listen on $PORT, the extra [http] lines.
conf() {
    {
        printf '[gateway]\ndatabase = %s\nlog_level = debug\nhousekeeping_interval = 1s\n' "$T/k.db"
        printf '[http]\nlisten = 127.0.0.1:%s\nussd_timeout = 10s\n' "$PORT"
        printf '%s\n' "$@"
    } >"$T/k.conf"
    chmod 600 "$T/k.conf"
    [ -z "$USEROPT" ] || chown nobody "$T/k.conf"
}
listening() { grep -q "http: listening on 127.0.0.1:$PORT " "$T/serve.log"; }
start() {
    kz_start_daemon; DAEMON=$!
    wait_for 20 listening && ok || { bad "no listener on $PORT"; tail -20 "$T/serve.log"; }
}
stop() { # each daemon's log ends up in $T/all.log
    kz_stop_daemon
    cat "$T/serve.log" >>"$T/all.log"
    : >"$T/serve.log"
}

# post NAME SESSION PHONE TEXT [CURL-ARGS...]: one callback with the secret in the
# URL; the body in $T/NAME.b; prints the status.
post() {
    p_n=$1 p_s=$2 p_p=$3 p_t=$4
    shift 4
    curl -s -o "$T/$p_n.b" -w '%{http_code}' --max-time 10 \
        --data-urlencode "sessionId=$p_s" --data-urlencode 'serviceCode=*384*21#' \
        --data-urlencode "phoneNumber=$p_p" --data-urlencode "text=$p_t" "$@" \
        "http://127.0.0.1:$PORT/ussd?secret=$SECRET"
}
# screen NAME SESSION PHONE TEXT WANT...: a 200 whose body holds every WANT.
screen() {
    s_n=$1 s_s=$2 s_p=$3 s_t=$4
    shift 4
    s_code=$(post "$s_n" "$s_s" "$s_p" "$s_t")
    [ "$s_code" = 200 ] || { bad "$s_n: status $s_code: $(cat "$T/$s_n.b")"; return; }
    for s_w in "$@"; do
        grep -qF -- "$s_w" "$T/$s_n.b" || { bad "$s_n: no '$s_w' in: $(cat "$T/$s_n.b")"; return; }
    done
    chars=$("$PY" -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$T/$s_n.b")
    [ "$chars" -le 182 ] || { bad "$s_n: $chars characters"; return; }
    ok
}

printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop at Moi Ave open?,Yes|No|Closed' \
    '2,transcribe,Type the name on the sign,' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --reward 30 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

# ---- a secret and an allow-list that lets 127.0.0.1 in ----
conf "ussd_secret = $SECRET" "ussd_allow = 127.0.0.0/8, ::1"
start

# A stranger joins and answers a task.
screen j0 s1 "$W" "" "CON " "1 Join Kazi" "2 Help" "3 Language"
screen j1 s1 "$W" "1" "CON Each task shows its pay" "1 I agree" "0 Back"
screen j2 s1 "$W" "1*1" "Welcome to Kazi" "1 Next task"
[ "$(sql "SELECT count(*) FROM consents c JOIN messages m ON m.id = c.message_id WHERE c.event = 'join' AND m.channel = 'ussd'")" = 1 ] \
    && ok || bad "consent: $(sql 'SELECT * FROM consents')"
screen j3 s1 "$W" "1*1*1" "#1 Acme: Is the shop at Moi Ave open?" "1=Yes 2=No 3=Closed" "99 Skip 0 Back"
screen j4 s1 "$W" "1*1*1*7" "Reply with a number from 1 to 3." "#1 Acme"
[ "$(sql 'SELECT count(*) FROM answers')" = 0 ] && ok || bad "a wrong option was taken"
screen j5 s1 "$W" "1*1*1*7*1" "Got 1: Yes. +KSh30."
cp "$T/j5.b" "$T/first"
screen j6 s1 "$W" "1*1*1*7*1" "Got 1: Yes."
cmp -s "$T/first" "$T/j6.b" && ok || bad "a retry gave another screen: $(cat "$T/j6.b")"
[ "$(sql 'SELECT count(*) FROM answers')" = 1 ] && ok || bad "answers: $(sql 'SELECT count(*) FROM answers')"
[ "$(sql "SELECT count(*) FROM ledger_entries WHERE kind = 'sms_refund'")" = 0 ] && ok || bad "an SMS refund for USSD"
screen j7 s1 "$W" "1*1*1*7*1*1" "#2 Acme: Type the name on the sign" "Type your answer:"
screen j8 s1 "$W" "1*1*1*7*1*1*Mama Mboga" "Got 2: Mama Mboga."

# Money: the balance with the fee, then a cash-out.
sql "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency, created_at)
     SELECT id, 'adjustment', 4000, 'KES', 0 FROM workers WHERE phone = '$W'"
screen b0 s2 "$W" "" "CON Kazi menu:" "1 Next task" "6 Language"
screen b1 s2 "$W" "2" "Balance KSh100." "KSh11" "1 Cash out"
screen b2 s2 "$W" "2*1" "Send KSh100 to this number by M-Pesa?" "KSh11" "1 Yes" "0 No"
screen b3 s2 "$W" "2*1*1" "Payout of KSh100 requested."
[ "$(sql "SELECT count(*) FROM payouts WHERE state = 'requested' AND amount_minor = 10000 AND idempotency_key LIKE 'pay:ussd:%' AND phone = '$W'")" = 1 ] \
    && ok || bad "payout row: $(sql 'SELECT state, amount_minor, idempotency_key FROM payouts')"
wait_for 5 grep -q "ussd: payout requested" "$T/serve.log" && ok || bad "no payout line"
screen b4 s2 "$W" "2*1*1*0*3" "Your payout of KSh100 is already on its way."
[ "$(sql 'SELECT count(*) FROM payouts')" = 1 ] && ok || bad "a second payout"

# The work record, help, language.
screen r0 s3 "$W" "" "Kazi menu:"
screen r1 s3 "$W" "4" "Your record: 2 tasks" "1 Certificate"
screen r2 s3 "$W" "4*1" "Certificate " "2 tasks"
[ "$(sql 'SELECT count(*) FROM certificates')" = 1 ] && ok || bad "no certificate"
screen r3 s3 "$W" "4*1*0*5" "Kazi pays for small tasks." "0 Menu"
screen r4 s3 "$W" "4*1*0*5*0*6" "Language:" "1 English" "2 Kiswahili"
screen r5 s3 "$W" "4*1*0*5*0*6*2" "Lugha: Kiswahili." "1 Kazi ijayo"
[ "$(sql "SELECT lang FROM workers WHERE phone = '$W'")" = sw ] && ok || bad "language not kept"
screen r6 s3 "$W" "4*1*0*5*0*6*2*9" "Tafadhali chagua namba" "Menyu ya Kazi:"

# A session id from another phone; a session idle past ussd_timeout (10 s).
screen x1 s3 "$OTHER" "4*1*0*5*0*6*2*9*1" "END "
[ "$(sql "SELECT phone FROM ussd_sessions WHERE session_id = 's3'")" = "$W" ] && ok || bad "session s3 changed hands"
screen t0 s4 "$W" "" "CON "
sleep 11
screen t1 s4 "$W" "2" "END " "Muda wa kikao umekwisha"
[ "$(sql "SELECT state FROM ussd_sessions WHERE session_id = 's4'")" = expired ] && ok || bad "not expired"

# Who may call, and what a bad request gets.
s=$(curl -s -o "$T/h1.b" -w '%{http_code}' --max-time 10 -H "X-Kazi-USSD-Secret: $SECRET" \
    --data 'sessionId=h1&serviceCode=*384*21%23&phoneNumber=%2B254733000003&text=' \
    "http://127.0.0.1:$PORT/ussd")
[ "$s" = 200 ] && grep -q "^CON " "$T/h1.b" && ok || bad "secret header: $s $(cat "$T/h1.b")"
s=$(curl -s -o "$T/h2.b" -w '%{http_code}' --max-time 10 -H "X-Kazi-USSD-Secret: wrong-$SECRET" \
    --data 'sessionId=h2&serviceCode=*384*21%23&phoneNumber=%2B254733000003&text=' \
    "http://127.0.0.1:$PORT/ussd")
[ "$s" = 403 ] && ok || bad "wrong secret header: $s"
s=$(curl -s -o "$T/h3.b" -w '%{http_code}' --max-time 10 \
    --data 'sessionId=h3&serviceCode=*384*21%23&phoneNumber=%2B254733000003&text=' \
    "http://127.0.0.1:$PORT/ussd?secret=x$SECRET")
[ "$s" = 403 ] && ok || bad "wrong secret: $s"
s=$(curl -s -o "$T/h4.b" -w '%{http_code}' --max-time 10 \
    --data 'sessionId=h4&serviceCode=*384*21%23&phoneNumber=%2B254733000003&text=' \
    "http://127.0.0.1:$PORT/ussd")
[ "$s" = 403 ] && ok || bad "no secret: $s"
[ "$(sql "SELECT count(*) FROM ussd_sessions WHERE session_id IN ('h2','h3','h4')")" = 0 ] && ok || bad "a refused callback was acted on"
s=$(curl -s -o "$T/h5.b" -w '%{http_code}' --max-time 10 \
    --data 'sessionId=h5&serviceCode=*384*21%23&text=4242*9876' "http://127.0.0.1:$PORT/ussd?secret=$SECRET")
[ "$s" = 400 ] && ok || bad "no phoneNumber: $s"
grep -q "9876\|4242" "$T/h5.b" && bad "the 400 echoes the text: $(cat "$T/h5.b")" || ok
"$PY" -c 'print("sessionId=big&serviceCode=*1%23&phoneNumber=%2B254733000003&text=" + "1*" * 6000)' >"$T/big"
s=$(curl -s -o "$T/h6.b" -w '%{http_code}' --max-time 10 --data-binary "@$T/big" \
    "http://127.0.0.1:$PORT/ussd?secret=$SECRET")
[ "$s" = 413 ] && ok || bad "oversized body: $s"
s=$(curl -s -o "$T/h7.b" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/ussd?secret=$SECRET")
[ "$s" = 405 ] && ok || bad "GET /ussd: $s"
"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "kazi check: $(cat "$T/out")"
stop

# ---- an allow-list that leaves 127.0.0.1 out: 403 even with the secret ----
conf "ussd_secret = $SECRET" "ussd_allow = 10.20.0.0/16, 2001:db8::/32"
start
s=$(post n1 n1 "$W" "")
[ "$s" = 403 ] && ok || bad "address not allowed: $s $(cat "$T/n1.b")"
grep -q "refused a callback from 127.0.0.1: address not in ussd_allow" "$T/serve.log" && ok \
    || bad "no refusal line: $(grep ussd "$T/serve.log" | tail -3)"
stop

# ---- only an allow-list: no secret needed ----
conf "ussd_allow = 127.0.0.1"
start
s=$(curl -s -o "$T/a1.b" -w '%{http_code}' --max-time 10 \
    --data 'sessionId=a1&serviceCode=*384*21%23&phoneNumber=%2B254711000001&text=' \
    "http://127.0.0.1:$PORT/ussd")
[ "$s" = 200 ] && grep -q "^CON Menyu ya Kazi" "$T/a1.b" && ok || bad "allow-list only: $s $(cat "$T/a1.b")"
stop

# ---- neither: every callback refused, and the log says why ----
conf
start
s=$(post z1 z1 "$W" "")
[ "$s" = 403 ] && ok || bad "neither secret nor allow-list: $s"
grep -q "neither ussd_secret nor ussd_allow" "$T/serve.log" && ok || bad "no line about it: $(grep -i ussd "$T/serve.log" | tail -3)"
stop

# ---- the payout a USSD cash-out requested, paid through the simulated M-PESA menu ----
ROOT=$(pwd)
kz_start_sim m1 s.ctl sim.log --script "$ROOT/tests/data/ussd/mpesa-ke.ussd"; SIM=$!
kz_sims_up s.ctl && ok || bad "simulator did not start: $(cat "$T/sim.log")"
conf "ussd_secret = $SECRET" "[payout]" "pin = 1234" \
    "script = $ROOT/tasks/providers/mpesa-ke.ussd-script" "providers = $ROOT/tasks/providers" \
    "confirm_timeout = 2m" "[modem m1]" "port = $T/m1"
start
paid() { [ "$(sql "SELECT state FROM payouts WHERE idempotency_key LIKE 'pay:ussd:%'")" = confirmed ]; }
wait_for 90 paid && ok || { bad "the USSD payout: $(sql 'SELECT state, error FROM payouts')"; grep -i payout "$T/serve.log" | tail -5; }
told() { "$KAZI" sim ctl "$T/s.ctl" sent 2>/dev/null | grep "\"to\":\"$W\"" | grep -q "Umelipwa: KSh100"; }
wait_for 15 told && ok || bad "no 'paid' SMS: $("$KAZI" sim ctl "$T/s.ctl" sent 2>/dev/null | tail -2)"
screen p1 s9 "$W" "2" "Salio KSh0."
stop
kz_kill $SIM; SIM=

# Nothing logged the secret or an answer's text.
if grep -q "$SECRET\|Mama Mboga" "$T/all.log"; then bad "the log holds a secret or a text"; else ok; fi
kz_no_sanitizer_report "$T/all.log"
kz_report
