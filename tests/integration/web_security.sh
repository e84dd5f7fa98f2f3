#!/bin/sh
# web_security.sh - the console, the JSON API and the USSD callback against
# whoever has no login and against hostile text, on the real daemon with
# only [http] on a free 127.0.0.1 port and [http] session_idle short
# (20 s). The data is made first with the CLI: a batch, two workers
# (one named with markup) whose answers are rejected and appealed (one
# reason with markup and SQL). tests/integration/web_security.py then makes
# the requests and reads the database (what it checks is listed at its
# top); this script adds `kazi check` afterwards, that the log never holds
# the password, the token, a session id or a CSRF token, and that the
# daemon stops cleanly without a sanitizer report.
# Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup websec
HERE=$(cd "$(dirname "$0")" && pwd)
PASSWORD='security test pass phrase'
TOKEN='security-test-api-token-0123456789abcdef'
USSD_SECRET='ussd-callback-secret-42'
kz_daemon_script

# ---- the data ----
printf '%s\n' 'id,type,prompt,options' 't1,verify,Is the shop at Moi Ave open?,Yes|No' \
    't2,verify,Is the kiosk by the stage open?,Yes|No' 't3,transcribe,Type the shop sign,' >"$T/shops.csv"
"$KAZI" import "$T/shops.csv" --batch shops --requester Acme --reward 3 --redundancy 2 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
sms() { # sms FROM TEXT
    "$KAZI" sms in --db "$T/k.db" --from "$1" "$2" >"$T/out" 2>&1 || bad "sms '$2': $(cat "$T/out")"
}
W1=+254711000001 W2=+254722000002
sms $W1 "JOIN Amina"
sms $W1 NEXT
sms $W1 "1 1"
sms $W2 "JOIN <script>alert(1)</script>"
sms $W2 NEXT
sms $W2 "1 2"
# Inside the push window the JOIN reply carries a first task and each answer
# brings the next: both give back what they still hold, so the USSD worker
# below finds the transcribe task free.
for w in $W1 $W2; do
    for ref in $(sql "SELECT a.ref FROM assignments a JOIN workers w ON w.id = a.worker_id
                      WHERE w.phone = '$w' AND a.state = 'offered'"); do
        sms $w "SKIP $ref"
    done
done
for w in $W1 $W2; do
    a=$(sql "SELECT a.id FROM answers a JOIN workers w ON w.id = a.worker_id WHERE w.phone = '$w'")
    [ -n "$a" ] && ok || bad "no answer from $w"
    "$KAZI" appeals reject "$a" --reason "The photo shows a closed door" --db "$T/k.db" \
        >"$T/out" 2>&1 && ok || bad "reject $a: $(cat "$T/out")"
done
sms $W1 "APPEAL 1 I was there at noon"
sms $W2 "APPEAL 1 <img src=x onerror=alert(2)> '; DROP TABLE appeals;--"
APPEALS=$(sql "SELECT id FROM appeals WHERE state = 'open' ORDER BY id" | tr '\n' ' ')
[ "$(echo "$APPEALS" | wc -w)" = 2 ] && ok || bad "open appeals: '$APPEALS'"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

# ---- the daemon: no modem, [http] on a free loopback port ----
PORT=$(kz_free_port)
cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
log_level = debug
[http]
listen = 127.0.0.1:$PORT
console_password = $PASSWORD
api_token = $TOKEN
ussd_secret = $USSD_SECRET
session_idle = 20s
EOF
chmod 600 "$T/k.conf"
kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "http: listening on 127.0.0.1:$PORT" "$T/serve.log" && ok \
    || { bad "not listening"; tail -20 "$T/serve.log"; }

# ---- the requests ----
: >"$T/ids"
KAZI_PORT=$PORT KAZI_DB="$T/k.db" KAZI_PASSWORD="$PASSWORD" KAZI_TOKEN="$TOKEN" \
    KAZI_USSD_SECRET="$USSD_SECRET" KAZI_IDLE=20 KAZI_APPEALS="$APPEALS" KAZI_IDS_FILE="$T/ids" KAZI_BIN="$KAZI" \
    timeout 600 "$PY" "$HERE/web_security.py" >"$T/py.log" 2>&1
rc=$?
grep -v '^[0-9]* passed, [0-9]* failed$' "$T/py.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$T/py.log" | tail -1)
if [ -n "$line" ]; then
    pass=$((pass + ${line%% passed*}))
    n=${line#*passed, }; n=${n%% failed}
    fail=$((fail + n))
    [ "$n" -gt 0 ] || [ "$rc" = 0 ] || bad "web_security.py exit status $rc"
else
    bad "web_security.py ended without a summary (exit $rc)"
fi

# ---- afterwards ----
"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "kazi check: $(cat "$T/out")"
[ "$(sql "SELECT count(*) FROM workers WHERE phone IN ('$W1', '$W2')")" = 2 ] && ok \
    || bad "workers: $(sql 'SELECT phone FROM workers')"
grep -q "login failed from 127.0.0.1" "$T/serve.log" && ok || bad "no 'login failed' line in the log"
grep -q "login ok from 127.0.0.1" "$T/serve.log" && ok || bad "no 'login ok' line in the log"
grep -q "login refused from 127.0.0.1" "$T/serve.log" && ok || bad "no line for the login brake"
for secret in "$PASSWORD" "$TOKEN" "$USSD_SECRET"; do
    grep -qF "$secret" "$T/serve.log" && bad "a secret is in the log" || ok
done
[ -s "$T/ids" ] && ok || bad "no session ids were recorded"
grep -qFf "$T/ids" "$T/serve.log" && bad "a session id or CSRF token is in the log" || ok

kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log" "(daemon)"
kz_report
