#!/bin/sh
# console_http.sh - the operator's web console over real HTTP with curl,
# against the real daemon (no modem, [http] on a free 127.0.0.1 port) and a
# real SQLite file made with the CLI: a batch, a worker who answers by SMS
# (`kazi sms in`), the answer rejected and appealed. Checks: refused without
# login, a wrong password (401) then the right one, every page renders, an
# upload with an error shows every error with its line and imports nothing,
# a good upload redirects to the batch's page, the results download equals
# `kazi export`, a POST without the CSRF token is refused, the appeal's
# decision is shown and stored, a failed payout is retried, workers'
# numbers masked unless ?full=1, and after logout the pages are refused
# again. Uses $KAZI_BIN.
# Ends "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup console
PASSWORD='console pass phrase 9'
kz_daemon_script

# ---- the data ----
printf '%s\n' 'id,type,prompt,options' 't1,verify,Is the shop at Moi Ave open?,Yes|No' \
    't2,verify,Is the kiosk by the stage open?,Yes|No' >"$T/shops.csv"
"$KAZI" import "$T/shops.csv" --batch shops --requester Acme --reward 3 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
W=+254711000001
for text in "JOIN Amina" NEXT "1 1"; do
    "$KAZI" sms in --db "$T/k.db" --from $W "$text" >"$T/out" 2>&1 || bad "sms '$text': $(cat "$T/out")"
done
ANSWER=$(sql "SELECT a.id FROM answers a JOIN tasks t ON t.id = a.task_id WHERE t.ext_id = 't1'")
[ -n "$ANSWER" ] && ok || bad "no answer recorded"
"$KAZI" appeals reject "$ANSWER" --reason "The photo shows a <closed> door" --db "$T/k.db" \
    >"$T/out" 2>&1 && ok || bad "reject: $(cat "$T/out")"
"$KAZI" sms in --db "$T/k.db" --from $W "APPEAL 1 I was there at noon & it was open" \
    >"$T/out" 2>&1 && ok || bad "appeal: $(cat "$T/out")"
APPEAL=$(sql "SELECT id FROM appeals WHERE state = 'open'")
[ -n "$APPEAL" ] && ok || bad "no open appeal"
# A second worker earns enough to cash out; the payout fails (the operator says so).
printf '%s\n' 'id,type,prompt,options' 'c1,verify,Is the water point at Kangemi working?,Yes|No' \
    >"$T/cash.csv"
"$KAZI" import "$T/cash.csv" --batch cash --requester Acme --reward 60 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import cash: $(cat "$T/out")"
W2=+254711000002
"$KAZI" sms in --db "$T/k.db" --from $W2 "JOIN Baraka" >"$T/out" 2>&1 || bad "join: $(cat "$T/out")"
REF=$("$KAZI" sms in --db "$T/k.db" --from $W2 NEXT | sed -n 's/.*"text":"#\([0-9]*\) .*/\1/p')
for text in "$REF 1" PAY; do
    "$KAZI" sms in --db "$T/k.db" --from $W2 "$text" >"$T/out" 2>&1 || bad "sms '$text': $(cat "$T/out")"
done
PAYOUT=$(sql "SELECT id FROM payouts")
[ -n "$PAYOUT" ] && ok || bad "no payout requested"
"$KAZI" pay resolve "$PAYOUT" failed --reason "provider refused" --db "$T/k.db" >"$T/out" 2>&1 \
    && ok || bad "pay resolve: $(cat "$T/out")"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

# Uploads: line 3 has an unknown type, line 4 a choice task without options.
printf '%s\n' 'id,type,prompt,options' 'r1,verify,Is the road passable?,Yes|No' \
    'r2,bogus,Is the bridge open?,Yes|No' 'r3,choice,Is the stage busy?,' >"$T/bad.csv"
printf '%s\n' 'id,type,prompt,options' 'r1,verify,Is the road passable?,Yes|No' \
    'r2,verify,Is the bridge open?,Yes|No' 'r3,verify,Is the stage busy?,Yes|No' >"$T/good.csv"

# ---- the daemon ----
PORT=$(kz_free_port)
cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
[http]
listen = 127.0.0.1:$PORT
console_password = $PASSWORD
EOF
chmod 600 "$T/k.conf"
kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "http: listening on 127.0.0.1:$PORT" "$T/serve.log" && ok \
    || { bad "console not listening"; tail -20 "$T/serve.log"; }
U=http://127.0.0.1:$PORT

# get PATH OUT: GET with the session cookie; prints the status code.
get() { curl -s -b "$T/jar" -o "$2" -w '%{http_code}' "$U$1"; }
# has FILE TEXT LABEL: one check that FILE contains TEXT (fixed string).
has() { grep -qF -- "$2" "$1" && ok || bad "$3: no '$2' in $(head -c 600 "$1")"; }
hasnt() { grep -qF -- "$2" "$1" && bad "$3: '$2' found" || ok; }
# status WANT GOT LABEL
status() { [ "$2" = "$1" ] && ok || bad "$3: status $2, want $1"; }
# the CSRF token of the page in FILE
csrf_of() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$1" | head -n 1; }

# ---- not logged in ----
code=$(curl -s -o "$T/r" -w '%{http_code} %{redirect_url}' "$U/")
[ "$code" = "303 $U/login" ] && ok || bad "GET / without login: $code"
for p in /batches /batches/shops /batches/shops/results.csv /appeals /payouts /workers; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$U$p")
    status 303 "$code" "GET $p without login"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -d "decision=overturn&note=x" "$U/appeals/$APPEAL")
status 403 "$code" "POST without login"
code=$(get /style.css "$T/css"); status 200 "$code" "stylesheet without login"
has "$T/css" "font-family:system-ui" "stylesheet"

# ---- login ----
code=$(get /login "$T/r"); status 200 "$code" "login page"
has "$T/r" 'id="password" name="password"' "login form"
code=$(curl -s -c "$T/jar" -o "$T/r" -w '%{http_code}' --data-urlencode "password=wrong one" "$U/login")
status 401 "$code" "wrong password"
has "$T/r" "Wrong password" "wrong password message"
hasnt "$T/r" "wrong one" "the password is not echoed"
[ -s "$T/jar" ] && grep -q kazi_session "$T/jar" && bad "a wrong password got a cookie" || ok
code=$(curl -s -c "$T/jar" -o "$T/r" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "password=$PASSWORD" "$U/login")
[ "$code" = "303 $U/" ] && ok || bad "right password: $code"
grep -q kazi_session "$T/jar" && ok || bad "no session cookie"

# ---- every page ----
code=$(get / "$T/dash"); status 200 "$code" "dashboard"
for id in 'id="summary"' 'id="outbox"' 'id="dash-batches"' 'href="/batches/shops"' 'id="money"' \
    'id="nav-dash" href="/" aria-current="page"' 'id="logout"'; do
    has "$T/dash" "$id" "dashboard"
done
CSRF=$(csrf_of "$T/dash")
[ -n "$CSRF" ] && ok || bad "no CSRF token on the dashboard"
code=$(get /batches "$T/r"); status 200 "$code" "batches"
has "$T/r" 'id="batch-shops"' "batches list"
has "$T/r" 'enctype="multipart/form-data"' "upload form"
code=$(get /batches/shops "$T/r"); status 200 "$code" "batch page"
has "$T/r" 'id="results-link" href="/batches/shops/results.csv"' "results link"
code=$(get /batches/nosuch "$T/r"); status 404 "$code" "unknown batch"
code=$(get /payouts "$T/r"); status 200 "$code" "payouts"
has "$T/r" "id=\"payout-$PAYOUT\"" "the failed payout needs attention"
has "$T/r" "id=\"retry-$PAYOUT\" name=\"action\" value=\"retry\"" "retry offered"
has "$T/r" "+2547****0002" "payouts: number masked"
hasnt "$T/r" "$W2" "payouts: whole number hidden"
code=$(get /nosuch "$T/r"); status 404 "$code" "unknown page"

# ---- uploads ----
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code}' -F "csrf=$CSRF" -F "file=@$T/bad.csv" \
    -F "batch=roads" -F "requester=Acme <Roads>" "$U/batches")
status 400 "$code" "upload with errors"
has "$T/r" 'id="errors"' "upload errors shown"
has "$T/r" "line 3, column 2 (type)" "the bad type's line"
has "$T/r" "line 4, column 4 (options)" "the missing options' line"
has "$T/r" 'value="Acme &lt;Roads&gt;"' "the form keeps its (escaped) fields"
[ "$(sql "SELECT count(*) FROM batches WHERE name = 'roads'")" = 0 ] && ok || bad "a bad upload made a batch"
code=$(curl -s -b "$T/jar" -o /dev/null -w '%{http_code}' -F "file=@$T/good.csv" \
    -F "batch=roads" -F "requester=Acme" "$U/batches")
status 403 "$code" "upload without the CSRF token"
code=$(curl -s -b "$T/jar" -o /dev/null -w '%{http_code}' -F "csrf=0$CSRF" -F "file=@$T/good.csv" \
    -F "batch=roads" -F "requester=Acme" "$U/batches")
status 403 "$code" "upload with a wrong CSRF token"
[ "$(sql "SELECT count(*) FROM batches WHERE name = 'roads'")" = 0 ] && ok || bad "a refused POST made a batch"
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code} %{redirect_url}' -F "csrf=$CSRF" \
    -F "file=@$T/good.csv" -F "batch=roads" -F "requester=Acme" -F "reward=3" -F "redundancy=2" \
    "$U/batches")
[ "$code" = "303 $U/batches/roads?added=3&unchanged=0" ] && ok || bad "good upload: $code"
code=$(get "/batches/roads?added=3&unchanged=0" "$T/r"); status 200 "$code" "the new batch's page"
has "$T/r" '<h1 id="title">roads</h1>' "batch name"
has "$T/r" "Imported: 3 tasks added, 0 unchanged." "import notice"
has "$T/r" "0 of 3" "the new batch's tasks"
has "$T/r" "(2 per task)" "the upload's redundancy"
[ "$(sql "SELECT count(*) FROM tasks t JOIN batches b ON b.id = t.batch_id WHERE b.name = 'roads'")" = 3 ] \
    && ok || bad "batch roads has not 3 tasks"

# ---- results download ----
for b in shops roads; do
    curl -s -b "$T/jar" -D "$T/h" -o "$T/dl-$b.csv" "$U/batches/$b/results.csv"
    grep -qi "^content-disposition: attachment; filename=\"$b-results.csv\"" "$T/h" && ok \
        || bad "download $b headers: $(cat "$T/h")"
    grep -qi '^content-type: text/csv' "$T/h" && ok || bad "download $b type"
    "$KAZI" export "$b" -o "$T/export-$b.csv" --db "$T/k.db" >"$T/out" 2>&1 || bad "export $b: $(cat "$T/out")"
    cmp -s "$T/export-$b.csv" "$T/dl-$b.csv" && ok || bad "download of $b differs from kazi export"
done

# ---- the appeal ----
code=$(get /appeals "$T/r"); status 200 "$code" "appeals"
has "$T/r" "id=\"appeal-$APPEAL\"" "open appeal listed"
has "$T/r" "I was there at noon &amp; it was open" "the worker's reason, escaped"
has "$T/r" "The photo shows a &lt;closed&gt; door" "the rejection, escaped"
has "$T/r" "+2547****0001" "appeals: number masked"
hasnt "$T/r" "$W" "appeals: whole number hidden"
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code}' -d "csrf=$CSRF&decision=overturn&note=" \
    "$U/appeals/$APPEAL")
status 400 "$code" "decision without a note"
has "$T/r" "Write a note" "the missing note is said"
[ "$(sql "SELECT state FROM appeals WHERE id = $APPEAL")" = open ] && ok || bad "decided without a note"
code=$(curl -s -b "$T/jar" -o /dev/null -w '%{http_code}' -d "decision=overturn&note=ok" \
    "$U/appeals/$APPEAL")
status 403 "$code" "decision without the CSRF token"
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "csrf=$CSRF" --data-urlencode "decision=overturn" \
    --data-urlencode "note=Checked the <photo> again" "$U/appeals/$APPEAL")
[ "$code" = "303 $U/appeals?decided=$APPEAL" ] && ok || bad "decision: $code"
[ "$(sql "SELECT state FROM appeals WHERE id = $APPEAL")" = overturned ] && ok || bad "appeal not overturned"
code=$(get "/appeals?decided=$APPEAL" "$T/r"); status 200 "$code" "appeals after the decision"
has "$T/r" "Appeal $APPEAL overturned: Checked the &lt;photo&gt; again" "the decision is shown"
has "$T/r" "id=\"decided-$APPEAL\"" "listed under the latest decisions"
has "$T/r" 'id="no-appeals"' "no open appeal left"
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code}' -d "csrf=$CSRF&decision=uphold&note=again" \
    "$U/appeals/$APPEAL")
status 409 "$code" "deciding twice"

# ---- the payout ----
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code}' -d "csrf=$CSRF&action=confirmed&note=x" \
    "$U/payouts/$PAYOUT")
status 409 "$code" "a failed payout cannot be confirmed"
code=$(curl -s -b "$T/jar" -o "$T/r" -w '%{http_code} %{redirect_url}' \
    -d "csrf=$CSRF&action=retry&note=" "$U/payouts/$PAYOUT")
[ "$code" = "303 $U/payouts?done=$PAYOUT&action=retry" ] && ok || bad "retry: $code"
[ "$(sql "SELECT count(*) FROM payouts WHERE state = 'requested'")" = 1 ] && ok \
    || bad "retry made no new payout: $(sql 'SELECT id, state FROM payouts')"
code=$(get "/payouts?done=$PAYOUT&action=retry" "$T/r"); status 200 "$code" "payouts after retry"
has "$T/r" "Payout $PAYOUT retried" "the retry is shown"

# ---- workers ----
code=$(get /workers "$T/r"); status 200 "$code" "workers"
has "$T/r" "+2547****0001" "workers: number masked"
hasnt "$T/r" "$W" "workers: whole number hidden"
has "$T/r" 'id="show-numbers" href="/workers?full=1"' "show numbers link"
code=$(get "/workers?full=1" "$T/r"); status 200 "$code" "workers in full"
has "$T/r" "$W" "workers: whole number on request"
has "$T/r" "Amina" "the worker's name"

# ---- logout ----
code=$(curl -s -b "$T/jar" -o /dev/null -w '%{http_code}' -X POST "$U/logout")
status 403 "$code" "logout without the CSRF token"
code=$(curl -s -b "$T/jar" -c "$T/jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
    -d "csrf=$CSRF" "$U/logout")
[ "$code" = "303 $U/login" ] && ok || bad "logout: $code"
code=$(curl -s -b "$T/jar" -o /dev/null -w '%{http_code}' "$U/workers")
status 303 "$code" "workers after logout"

"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "kazi check: $(cat "$T/out")"
grep -qF "$PASSWORD" "$T/serve.log" && bad "the password is in the log" || ok
kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log" "(daemon)"
kz_report
