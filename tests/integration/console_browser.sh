#!/bin/sh
# console_browser.sh - the operator's web console in a real browser: Debian's
# Chromium, headless, driven by tests/browser/console.mjs through
# playwright-core (installed here with npm ci into KAZI_NODE_DIR, default
# build/node, from tests/browser/package-lock.json), against the real
# daemon with only [http] on 127.0.0.1. The data is made first with the CLI:
# a batch, a worker who answers by SMS (`kazi sms in`), the answer rejected
# and appealed, a second worker whose name holds markup. The browser logs in, uploads a CSV with an error and one
# without, decides the appeal and downloads results; this script then checks
# the database (`kazi check`, the appeal decided, the batches) and that the
# downloads equal `kazi export`. Screenshots go to KAZI_SHOTS (default
# build/screenshots); their paths are printed. A missing chromium, node or
# npm is a failure, never a skip. Uses $KAZI_BIN. Ends "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup browser
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHROMIUM=${KAZI_CHROMIUM:-/usr/bin/chromium}
NODE_DIR=${KAZI_NODE_DIR:-$ROOT/build/node}
SHOTS=${KAZI_SHOTS:-$ROOT/build/screenshots}
PASSWORD='console pass phrase 7'
kz_daemon_script

# ---- the browser and its driver ----
[ -x "$CHROMIUM" ] && ok || bad "no browser at $CHROMIUM (Debian package chromium: .ci/install-deps.sh)"
command -v node >/dev/null 2>&1 && ok || bad "node is not installed"
command -v npm >/dev/null 2>&1 && ok || bad "npm is not installed"
mkdir -p "$NODE_DIR" "$SHOTS"
if cmp -s tests/browser/package-lock.json "$NODE_DIR/package-lock.json" &&
    [ -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
    ok
else
    cp tests/browser/package.json tests/browser/package-lock.json "$NODE_DIR/"
    if (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1; then
        ok
    else
        bad "npm ci in $NODE_DIR: $(tail -5 "$T/npm.log")"
    fi
fi

# ---- the data: a batch, a worker, an answer rejected and appealed ----
printf '%s\n' 'id,type,prompt,options' 't1,verify,Is the shop at Moi Ave open?,Yes|No' \
    't2,verify,Is the kiosk by the stage open?,Yes|No' >"$T/shops.csv"
"$KAZI" import "$T/shops.csv" --batch shops --requester Acme --reward 3 --redundancy 1 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
W=+254711000001
for text in "JOIN Amina" NEXT "1 1"; do
    "$KAZI" sms in --db "$T/k.db" --from $W "$text" >"$T/out" 2>&1 || bad "sms '$text': $(cat "$T/out")"
done
"$KAZI" sms in --db "$T/k.db" --from +254722000002 "JOIN <img src=x onerror=alert(1)>" >"$T/out" 2>&1 \
    && ok || bad "join: $(cat "$T/out")"
ODD=$(sql "SELECT name FROM workers WHERE phone = '+254722000002'")
case $ODD in *[\<\>]*) ok ;; *) bad "the name lost its markup: '$ODD'" ;; esac
ANSWER=$(sql "SELECT a.id FROM answers a JOIN tasks t ON t.id = a.task_id WHERE t.ext_id = 't1'")
[ -n "$ANSWER" ] && ok || bad "no answer recorded: $(sql 'SELECT * FROM answers')"
"$KAZI" appeals reject "$ANSWER" --reason "The photo shows a closed door" --db "$T/k.db" \
    >"$T/out" 2>&1 && ok || bad "reject: $(cat "$T/out")"
"$KAZI" sms in --db "$T/k.db" --from $W "APPEAL 1 I was there at noon, it was open" >"$T/out" 2>&1 \
    && ok || bad "appeal: $(cat "$T/out")"
APPEAL=$(sql "SELECT id FROM appeals WHERE state = 'open'")
[ -n "$APPEAL" ] && ok || bad "no open appeal: $("$KAZI" appeals list --db "$T/k.db")"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

# The uploads: line 4 of the bad one has an unknown type.
printf '%s\n' 'id,type,prompt,options' 'r1,verify,Is the road to Kibera passable?,Yes|No' \
    'r2,verify,Is the bridge on Ngong Road open?,Yes|No' 'r3,verfy,Is the matatu stage busy?,Yes|No' \
    >"$T/bad.csv"
printf '%s\n' 'id,type,prompt,options' 'r1,verify,Is the road to Kibera passable?,Yes|No' \
    'r2,verify,Is the bridge on Ngong Road open?,Yes|No' 'r3,verify,Is the matatu stage busy?,Yes|No' \
    >"$T/good.csv"
chmod 644 "$T"/*.csv

# ---- the daemon: no modem, [http] on a free loopback port ----
PORT=$(kz_free_port)
cat >"$T/k.conf" <<EOF
[gateway]
database = $T/k.db
log_level = debug
[http]
listen = 127.0.0.1:$PORT
console_password = $PASSWORD
api_token = browser-test-api-token-0123456789
EOF
chmod 600 "$T/k.conf"
kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "http: listening on 127.0.0.1:$PORT" "$T/serve.log" && ok \
    || { bad "console not listening"; tail -20 "$T/serve.log"; }

# ---- the browser ----
rm -f "$SHOTS"/*.png
mkdir -p "$T/work" && cp "$T/bad.csv" "$T/good.csv" "$T/work/" && chmod 777 "$T/work"
KAZI_URL="http://127.0.0.1:$PORT" KAZI_PASSWORD="$PASSWORD" KAZI_CHROMIUM="$CHROMIUM" \
    KAZI_NODE_DIR="$NODE_DIR" KAZI_SHOTS="$SHOTS" KAZI_WORK="$T/work" KAZI_APPEAL="$APPEAL" \
    KAZI_BAD_LINE=4 KAZI_ODD_NAME="$ODD" timeout 300 node tests/browser/console.mjs >"$T/browser.log" 2>&1
rc=$?
cat "$T/browser.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$T/browser.log" | tail -1)
if [ -n "$line" ]; then
    pass=$((pass + ${line%% passed*}))
    n=${line#*passed, }; n=${n%% failed}
    fail=$((fail + n))
    [ "$n" -gt 0 ] || [ "$rc" = 0 ] || bad "console.mjs exit status $rc"
else
    bad "console.mjs ended without a summary (exit $rc)"
fi

# ---- what the browser left behind ----
n=$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)
[ "$n" -ge 12 ] && ok || bad "screenshots: $n in $SHOTS"
for f in "$SHOTS"/*.png; do
    [ -s "$f" ] && [ "$(head -c 4 "$f" | tail -c 3)" = PNG ] && ok || bad "not a PNG: $f"
done
[ "$(sql "SELECT state FROM appeals WHERE id = $APPEAL")" = overturned ] && ok \
    || bad "appeal $APPEAL still open"
"$KAZI" appeals list --all --db "$T/k.db" >"$T/appeals" 2>&1
grep -q overturn "$T/appeals" && ok || bad "appeal not overturned: $(cat "$T/appeals")"
[ "$(sql "SELECT count(*) FROM batches WHERE name = 'broken'")" = 0 ] && ok || bad "the bad upload made a batch"
[ "$(sql "SELECT count(*) FROM tasks t JOIN batches b ON b.id = t.batch_id WHERE b.name = 'roads'")" = 3 ] \
    && ok || bad "batch roads: $(sql "SELECT count(*) FROM tasks")"
for b in shops roads; do
    "$KAZI" export "$b" -o "$T/export-$b.csv" --db "$T/k.db" >"$T/out" 2>&1 || bad "export $b: $(cat "$T/out")"
    cmp -s "$T/export-$b.csv" "$T/work/downloaded-$b.csv" && ok \
        || bad "download of $b differs from kazi export: $(diff "$T/export-$b.csv" "$T/work/downloaded-$b.csv" 2>&1 | head -5)"
done
"$KAZI" check --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "kazi check: $(cat "$T/out")"
grep -q "$PASSWORD" "$T/serve.log" && bad "the password is in the log" || ok

kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log" "(daemon)"
kz_report
