#!/bin/sh
# api_http.sh - the JSON API (docs/api.md) of the real daemon over
# 127.0.0.1, checked against the command line on the same database:
# 401 without the token and with a wrong one, 403 for a console session's
# POST without its CSRF token; GET /api/status; a CSV upload with a bad row
# refused (422, the line named, nothing imported: `kazi batches`), then
# accepted (201); workers answer through `kazi sms in`; the results download
# byte for byte what `kazi export` writes; an appeal decided through the API
# shows in `kazi appeals`, and a second decision is 409; bad JSON 400; an
# unknown batch 404; payouts needing attention (a failed one retried once
# only, a stuck one confirmed, as `kazi pay list` then shows); workers
# masked unless ?full=1. Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup api
kz_daemon_script
command -v curl >/dev/null 2>&1 || { echo "curl is missing"; echo "0 passed, 1 failed"; exit 1; }

PORT=$(kz_free_port)
TOKEN=tok-api-5f20c9e1d7
PASSWORD=pw-api-77b3
URL=http://127.0.0.1:$PORT
AMINA=+254712000001
BARAKA=+254722000002

{
    printf '[gateway]\ndatabase = %s\nlog_level = debug\nhousekeeping_interval = 1s\n' "$T/k.db"
    printf '[http]\nlisten = 127.0.0.1:%s\napi_token = %s\nconsole_password = %s\n' \
        "$PORT" "$TOKEN" "$PASSWORD"
} >"$T/k.conf"
chmod 600 "$T/k.conf"
[ -z "$USEROPT" ] || chown nobody "$T/k.conf"

# api NAME CURL-ARGS... (path last): with the token; body $T/NAME.b, headers
# $T/NAME.h; prints the status.
api() {
    kz_n=$1; shift
    curl -s -o "$T/$kz_n.b" -D "$T/$kz_n.h" -w '%{http_code}' --max-time 10 \
        -H "Authorization: Bearer $TOKEN" "$@"
}
hdr() { tr -d '\r' <"$T/$1.h" | sed -n "s/^$2: //Ip" | head -1; }
# js NAME EXPR: EXPR evaluated on the JSON body of NAME as `j` (Python), printed.
js() { "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/$1.b" "$2"; }
kazi() { "$KAZI" "$@" --db "$T/k.db"; }
# sms FROM TEXT: one inbound SMS through the conversation; its replies' text on stdout.
sms() { "$KAZI" sms in --from "$1" --db "$T/k.db" --config "$T/k.conf" "$2" |
        "$PY" -c 'import json, sys; [print(json.loads(l)["text"]) for l in sys.stdin]'; }
listening() { grep -q "http: listening on 127.0.0.1:$PORT " "$T/serve.log"; }

# The database exists before the daemon (the service user then writes into it).
printf 'id,type,prompt,options\nt0,verify,Warm-up?,Yes|No\n' >"$T/w.csv"
kazi import "$T/w.csv" --batch warmup --requester Acme >/dev/null 2>&1 && ok || bad "warm-up import"
[ -z "$USEROPT" ] || chown nobody "$T/k.db"
kz_start_daemon; DAEMON=$!
wait_for 20 listening && ok || { bad "no listener on $PORT"; tail -20 "$T/serve.log"; }

# ---- logins ----
s=$(curl -s -o "$T/n.b" -w '%{http_code}' "$URL/api/status")
[ "$s" = 401 ] && grep -q '"error"' "$T/n.b" && ok || bad "no token: $s $(cat "$T/n.b")"
s=$(curl -s -o "$T/w.b" -w '%{http_code}' -H "Authorization: Bearer wrong-$TOKEN" "$URL/api/status")
[ "$s" = 401 ] && ok || bad "wrong token: $s"
s=$(curl -s -o /dev/null -D "$T/login.h" -w '%{http_code}' --data "password=$PASSWORD" "$URL/login")
COOKIE=$(tr -d '\r' <"$T/login.h" | sed -n 's/^Set-Cookie: \(kazi_session=[0-9a-f]*\).*/\1/Ip')
[ -n "$COOKIE" ] && ok || bad "console login: $s"
s=$(curl -s -o "$T/c.b" -w '%{http_code}' -H "Cookie: $COOKIE" "$URL/api/workers")
[ "$s" = 200 ] && ok || bad "GET with the session: $s"
s=$(curl -s -o "$T/c.b" -w '%{http_code}' -H "Cookie: $COOKIE" -H 'Content-Type: application/json' \
    --data '{"decision":"uphold","note":"x"}' "$URL/api/appeals/1")
[ "$s" = 403 ] && ok || bad "session POST without X-CSRF-Token: $s"

# ---- status ----
s=$(api st "$URL/api/status")
[ "$s" = 200 ] && ok || bad "GET /api/status: $s"
case $(hdr st Content-Type) in application/json*) ok ;; *) bad "type $(hdr st Content-Type)" ;; esac
[ "$(js st '[k in j for k in ("modems", "outbox", "batches", "money", "workers")]')" = \
  "[True, True, True, True, True]" ] && ok || bad "status fields: $(cat "$T/st.b")"

# ---- upload ----
printf 'id,type,prompt,options\nt1,verify,Open?,Yes|No\nt2,choose,Queue?,Yes|No\nt3,verify,Rain?,Yes|No\n' >"$T/bad.csv"
s=$(api up1 -H 'Content-Type: text/csv' --data-binary @"$T/bad.csv" \
    "$URL/api/batches?batch=b1&requester=Acme&reward=60")
[ "$s" = 422 ] && ok || bad "upload with a bad row: $s $(cat "$T/up1.b")"
[ "$(js up1 'j["errors"][0]["line"]')" = 3 ] && ok || bad "the bad line: $(cat "$T/up1.b")"
kazi batches --json | grep -q '"name": "b1"' && bad "b1 imported in part" || ok
printf 'id,type,prompt,options\nt1,verify,Open?,Yes|No\nt2,verify,Queue?,Yes|No\nt3,verify,Rain?,Yes|No\n' >"$T/good.csv"
s=$(api up2 -F batch=b1 -F requester=Acme -F reward=60 -F "file=@$T/good.csv" "$URL/api/batches")
[ "$s" = 201 ] && [ "$(js up2 'j["added"]')" = 3 ] && ok || bad "good upload: $s $(cat "$T/up2.b")"
[ "$(kazi batches --json | "$PY" -c 'import json, sys; print([b["tasks"] for b in json.load(sys.stdin) if b["name"] == "b1"])')" = "[3]" ] \
    && ok || bad "kazi batches after the upload"
s=$(api up3 -H 'Content-Type: text/csv' --data-binary @"$T/good.csv" "$URL/api/batches?requester=Acme")
[ "$s" = 422 ] && ok || bad "upload without a batch name: $s"

# ---- workers answer; results ----
refs() { grep -o '#[0-9][0-9]*' | tr -d '#'; }
# work WHO: WHO joins and answers "1" to every task offered (a reply may offer the next).
work() {
    todo=$(sms "$1" JOIN | refs)
    for turn in 1 2 3 4 5 6; do
        [ -n "$todo" ] || todo=$(sms "$1" NEXT | refs)
        [ -n "$todo" ] || break
        next=
        for r in $todo; do next="$next $(sms "$1" "$r 1" | refs)"; done
        todo=$(echo $next)
    done
}
work "$AMINA"
work "$BARAKA"
[ "$(sql "SELECT count(*) FROM answers")" = 8 ] && ok || bad "answers: $(sql "SELECT count(*) FROM answers")"
s=$(api res "$URL/api/batches/b1/results")
kazi export b1 >"$T/export.csv"
[ "$s" = 200 ] && cmp -s "$T/res.b" "$T/export.csv" && ok || bad "results differ from kazi export: $s"
case $(hdr res Content-Type) in text/csv*) ok ;; *) bad "results type $(hdr res Content-Type)" ;; esac
[ "$(hdr res Content-Disposition)" = 'attachment; filename="b1-results.csv"' ] && ok ||
    bad "download header: $(hdr res Content-Disposition)"
s=$(api nb "$URL/api/batches/nope")
[ "$s" = 404 ] && grep -q '"error"' "$T/nb.b" && ok || bad "unknown batch: $s"
s=$(api one "$URL/api/batches/b1")
[ "$s" = 200 ] && [ "$(js one 'j["answers"]')" = 6 ] && [ "$(js one 'j["tasks"]')" = 3 ] && ok || bad "one batch: $s $(cat "$T/one.b")"

# ---- appeals ----
"$KAZI" appeals reject 1 --reason "The photo is blurry" --db "$T/k.db" --config "$T/k.conf" \
    >/dev/null && ok || bad "kazi appeals reject"
ref=$(sql "SELECT a.ref FROM assignments a JOIN answers n ON n.assignment_id = a.id WHERE n.id = 1")
sms "$AMINA" "APPEAL $ref it was sharp" >/dev/null
s=$(api ap "$URL/api/appeals")
ID=$(js ap 'j[0]["id"]' 2>/dev/null)
[ "$s" = 200 ] && [ "$(js ap 'j[0]["phone"]')" = "+2547****0001" ] && ok || bad "open appeals: $s $(cat "$T/ap.b")"
s=$(api bj -H 'Content-Type: application/json' --data '{"decision": ' "$URL/api/appeals/$ID")
[ "$s" = 400 ] && ok || bad "bad JSON: $s"
s=$(api dec -H 'Content-Type: application/json' \
    --data '{"decision":"overturn","note":"You were right"}' "$URL/api/appeals/$ID")
[ "$s" = 200 ] && [ "$(js dec 'j["state"]')" = overturned ] && ok || bad "decision: $s $(cat "$T/dec.b")"
kazi appeals --all --json | grep -q '"state": "overturned"' && ok || bad "kazi appeals shows no decision"
s=$(api dec2 --data 'decision=uphold&note=again' "$URL/api/appeals/$ID")
[ "$s" = 409 ] && ok || bad "second decision: $s"

# ---- payouts ----
kazi pay export "$T/pay.csv" >/dev/null && ok || bad "kazi pay export"
PA=$(sql "SELECT id FROM payouts WHERE phone = '$AMINA'")
PB=$(sql "SELECT id FROM payouts WHERE phone = '$BARAKA'")
printf 'reference,status,transaction_id\nKZ%s,failed,\n' "$PB" >"$T/result.csv"
kazi pay import "$T/result.csv" >/dev/null && ok || bad "kazi pay import"
sql "UPDATE payouts SET updated_at = updated_at - 7200 WHERE id = $PA" # sent two hours ago
s=$(api pa "$URL/api/payouts?attention=1")
[ "$s" = 200 ] && ok || bad "payouts needing attention: $s"
[ "$(js pa 'sorted((p["id"], p["attention"], p["actions"]) for p in j)')" = \
  "[($PA, 'stuck', ['confirmed', 'failed']), ($PB, 'failed', ['retry'])]" ] && ok ||
    bad "attention list: $(cat "$T/pa.b")"
s=$(api pc -H 'Content-Type: application/json' \
    --data '{"action":"confirmed","note":"the statement shows it"}' "$URL/api/payouts/$PA")
[ "$s" = 200 ] && ok || bad "confirm: $s $(cat "$T/pc.b")"
[ "$(kazi pay list --state confirmed --json | "$PY" -c 'import json, sys; print([p["id"] for p in json.load(sys.stdin)])')" = "[$PA]" ] \
    && ok || bad "kazi pay list shows no confirmation"
s=$(api pr --data action=retry "$URL/api/payouts/$PB")
[ "$s" = 200 ] && [ "$(js pr 'j["state"]')" = requested ] && ok || bad "retry: $s $(cat "$T/pr.b")"
s=$(api pr2 --data action=retry "$URL/api/payouts/$PB")
[ "$s" = 409 ] && ok || bad "second retry: $s"
[ "$(sql "SELECT count(*) FROM payouts WHERE phone = '$BARAKA'")" = 2 ] && ok || bad "payouts of Baraka"
s=$(api pn -H 'Content-Type: application/json' --data '{"action":"confirmed"}' "$URL/api/payouts/$PA")
[ "$s" = 400 ] || [ "$s" = 409 ] && ok || bad "confirm again without a note: $s"

# ---- workers ----
s=$(api wm "$URL/api/workers")
[ "$s" = 200 ] && grep -q '"+2547\*\*\*\*0001"' "$T/wm.b" && ! grep -q "$AMINA" "$T/wm.b" && ok ||
    bad "workers masked: $(cat "$T/wm.b")"
s=$(api wf "$URL/api/workers?full=1")
[ "$s" = 200 ] && grep -q "\"$AMINA\"" "$T/wf.b" && ok || bad "workers in full: $s"

kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log"
if grep -q "$TOKEN" "$T/serve.log"; then bad "the token is in the log"; else ok; fi
kz_report
