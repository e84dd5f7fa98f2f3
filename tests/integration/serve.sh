#!/bin/sh
# serve.sh - the real daemon (`kazi serve`) with two `kazi sim` modems on
# pseudo-terminals: --check, a batch imported, workers joining and answering
# by SMS injected into the simulators, replies read back from the simulators'
# sent logs, a second daemon on the same database refused, SIGHUP reload,
# `kazi status --json` parsed, SIGTERM stops cleanly, and a restart hands
# nothing over twice. Every wait is bounded; simulators and the daemon are
# killed by the trap. Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup serve
chmod 755 "$T"
SIM1= SIM2= DAEMON=
cleanup() {
    kz_kill $DAEMON $SIM1 $SIM2
    kz_remove_temp
}
trap cleanup EXIT INT TERM

# Root in a container: drop to nobody (needs a world-writable state dir).
kz_user_opt
kz_temp_for_user

sent_count() { # sent_count CTL: parts in the simulator's sent log
    "$KAZI" sim ctl "$1" sent 2>/dev/null | wc -l
}
sent_has() { # sent_has CTL TEXT
    "$KAZI" sim ctl "$1" sent 2>/dev/null | grep -q "$2"
}

kz_start_sim m1 s1.ctl sim1.log; SIM1=$!
kz_start_sim m2 s2.ctl sim2.log --rssi 12; SIM2=$!
kz_sims_up s1.ctl s2.ctl && ok || bad "simulators did not start"

cat >"$T/k.conf" <<EOF
; kazi serve integration test
[gateway]
database = $T/k.db
log_level = debug
housekeeping_interval = 1s
push_interval = 5s
push_from = 00:00
push_to = 23:59
[outbox]
retry_base = 1s
[modem m1]
port = $T/m1
[modem m2]
port = $T/m2
prefixes = +25473
EOF
kz_driver "$T/k.conf" # KAZI_DRIVER=gammu (serve_gammu.sh): every modem through libgammu
"$KAZI" serve --check -c "$T/k.conf" >"$T/out" 2>&1 && ok || bad "--check: $(cat "$T/out")"
grep -q "configuration OK (2 modems)" "$T/out" && ok || bad "--check output: $(cat "$T/out")"
printf '[gateway]\ndatabase = %s\ncolour = red\n' "$T/k.db" >"$T/bad.conf"
if "$KAZI" serve --check -c "$T/bad.conf" >"$T/out" 2>&1; then bad "--check accepted a bad file"; else ok; fi
grep -q "bad.conf:3: unknown key 'colour' in \[gateway\]" "$T/out" && ok || bad "--check error: $(cat "$T/out")"

# A batch: three verify tasks, two answers each.
printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop at Moi Ave open?,Yes|No' \
  '2,verify,Is the kiosk by the stage open?,Yes|No' '3,verify,Is the pharmacy open?,Yes|No' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --reward 3 --redundancy 2 \
    --db "$T/k.db" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "modem m1: ready" "$T/serve.log" && wait_for 15 grep -q "modem m2: ready" "$T/serve.log" \
    && ok || { bad "modems not ready"; tail -20 "$T/serve.log"; }

# A second daemon on the same database is refused, naming the holder.
if "$KAZI" serve -c "$T/k.conf" $USEROPT >"$T/out" 2>&1; then bad "second daemon ran"; else ok; fi
grep -q "in use by another kazi serve (pid $DAEMON" "$T/out" && ok || bad "lock message: $(cat "$T/out")"

# Two workers join through different modems and get their welcome.
"$KAZI" sim ctl "$T/s1.ctl" inject +254711000001 JOIN Amina >/dev/null && ok || bad "inject 1"
"$KAZI" sim ctl "$T/s2.ctl" inject +254722000002 JOIN Baraka >/dev/null && ok || bad "inject 2"
welcomed() { sent_has "$T/s1.ctl" "\"to\":\"$1\".*Welcome" || sent_has "$T/s2.ctl" "\"to\":\"$1\".*Welcome"; }
wait_for 20 welcomed +254711000001 && ok || { bad "no welcome for Amina"; tail -30 "$T/serve.log"; }
wait_for 10 welcomed +254722000002 && ok || bad "no welcome for Baraka"
[ "$(sql "SELECT count(*) FROM workers")" = 2 ] && ok || bad "workers: $(sql 'SELECT phone FROM workers')"

# Offers arrive (pushed, or asked for with NEXT); answer each offer once with option 1.
answer_offers() { # answer_offers PHONE CTL: every offer part is answered once (by sim and id)
    for c in s1 s2; do
        "$KAZI" sim ctl "$T/$c.ctl" sent 2>/dev/null | "$PY" -c '
import json, re, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["to"] == sys.argv[1] and m["text"]:
        r = re.search(r"#(\d+) ", m["text"])
        if r: print(sys.argv[2] + ":" + str(m["id"]), r.group(1))' "$1" "$c"
    done >"$T/refs"
    while read -r key ref; do
        grep -qx "$1 $key" "$T/answered" 2>/dev/null && continue
        # The same text twice in a row reads as a resend (conv), and refs are reused at
        # once after an answer: vary the wording ("1 1", then "1 yes").
        text="$ref 1"
        [ "$(cat "$T/last$1" 2>/dev/null)" = "$text" ] && text="$ref yes"
        echo "$text" >"$T/last$1"
        "$KAZI" sim ctl "$2" inject "$1" "$text" >/dev/null
        echo "$1 $key" >>"$T/answered"
    done <"$T/refs"
}
: >"$T/answered"
"$KAZI" sim ctl "$T/s1.ctl" inject +254711000001 NEXT >/dev/null
"$KAZI" sim ctl "$T/s2.ctl" inject +254722000002 NEXT >/dev/null
i=0
while [ $i -lt 60 ]; do
    answer_offers +254711000001 "$T/s1.ctl"
    answer_offers +254722000002 "$T/s2.ctl"
    [ "$(sql "SELECT count(*) FROM answers")" -ge 6 ] && break
    sleep 1; i=$((i + 1))
done
n=$(sql "SELECT count(*) FROM answers")
[ "$n" -ge 6 ] && ok || { bad "answers recorded: $n"; tail -40 "$T/serve.log"; }
[ "$(sql "SELECT count(*) FROM task_results WHERE state = 'resolved'")" = 3 ] && ok \
    || bad "tasks resolved: $(sql "SELECT count(*) FROM task_results")"

# Every inbound SMS the simulators delivered is in the database exactly once.
inj=$(( $(wc -l <"$T/answered") + 4 ))
in_count() { sql "SELECT count(*) FROM messages WHERE direction='in'"; }
enough_in() { [ "$(in_count)" -ge "$inj" ]; }
wait_for 10 enough_in && ok || bad "inbound messages: $(in_count) of $inj"
[ "$(sql "SELECT count(*) - count(DISTINCT dedupe_key) FROM messages WHERE direction='in'")" = 0 ] && ok || bad "duplicate inbound"
[ "$(sql "SELECT count(*) FROM inbox_parts WHERE message_id IS NULL")" = 0 ] && ok || bad "parts not handed over"

# Outbound: every reply sent; the parts of a message through one modem; no part sent twice.
drained() { [ "$(sql "SELECT count(*) FROM messages WHERE direction='out' AND state IN ('queued','sending')")" = 0 ]; }
wait_for 15 drained && ok || bad "outbox not drained: $(sql "SELECT id, state, error FROM messages WHERE direction='out' AND state IN ('queued','sending')")"
sleep 1
out_parts=$(sql "SELECT count(*) FROM outbox_parts WHERE state IN ('sent','delivered')")
sims=$(( $(sent_count "$T/s1.ctl") + $(sent_count "$T/s2.ctl") ))
[ "$out_parts" = "$sims" ] && ok || bad "parts sent $out_parts, simulators saw $sims"
[ "$(sql "SELECT count(*) FROM (SELECT message_id FROM outbox_parts GROUP BY message_id HAVING count(DISTINCT modem) > 1)")" = 0 ] \
    && ok || bad "a message split across modems"
[ "$(sql "SELECT count(*) FROM outbox_parts WHERE state = 'delivered'")" -ge 1 ] && ok || bad "no delivery report recorded"
[ "$(sent_count "$T/s1.ctl")" -ge 1 ] && [ "$(sent_count "$T/s2.ctl")" -ge 1 ] && ok || bad "one modem did all the sending"

# kazi status --json parses and names both modems.
sleep 1.5
"$KAZI" status -c "$T/k.conf" --json >"$T/status.json" 2>"$T/err" && ok || bad "status: $(cat "$T/err")"
"$PY" - "$T/status.json" <<'PYEOF' && ok || bad "status json: $(head -c 600 "$T/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
names = sorted(m["name"] for m in s["modems"])
assert names == ["m1", "m2"], names
assert all(m["state"] == "ready" for m in s["modems"]), s["modems"]
assert s["sent_today"] >= 2, s
assert s["batches"][0]["name"] == "shops", s["batches"]
assert s["outbox"]["messages_waiting"] == 0, s["outbox"]
PYEOF
"$KAZI" status --db "$T/k.db" >"$T/out" 2>&1 && grep -q "^m2 " "$T/out" && ok || bad "status text: $(cat "$T/out")"

# SIGHUP: a reloadable key applies, a restart-only key is reported and kept, m2 is disabled.
sed -i 's/^log_level = debug/log_level = info/; s/^prefixes = +25473/prefixes = +25473\nenabled = no/' "$T/k.conf"
sed -i "s#^database = .*#database = $T/other.db#" "$T/k.conf"
kill -HUP "$DAEMON"
wait_for 5 grep -q "reload: applied" "$T/serve.log" && ok || { bad "reload not applied"; tail -10 "$T/serve.log"; }
grep -q "reload: \[gateway\] log_level changed" "$T/serve.log" && ok || bad "reload: log_level not reported"
grep -q "database changed, but only a restart applies it" "$T/serve.log" && ok || bad "reload: database not reported"
grep -q "modem m2: closed" "$T/serve.log" && ok || bad "reload: m2 not closed"
if grep -q "modem m1: closed" "$T/serve.log"; then bad "reload: m1 was restarted"; else ok; fi
kill -0 "$DAEMON" 2>/dev/null && ok || bad "daemon died on reload"
sed -i "s#^database = .*#database = $T/k.db#" "$T/k.conf"

# SIGTERM: a clean stop.
kz_stop_daemon
grep -q "stopped cleanly" "$T/serve.log" && ok || bad "no clean stop line"
kz_no_sanitizer_report "$T/serve.log"

# A restart on the same database: nothing recorded twice, nothing sent again.
before_in=$(in_count)
kz_start_daemon; DAEMON=$!
restarted() { [ "$(grep -c 'kazi serve started' "$T/serve.log")" = 2 ]; }
wait_for 15 restarted && ok || bad "restart"
sleep 3
[ "$(in_count)" = "$before_in" ] && ok || bad "restart recorded inbound again"
after_sent=$(( $(sent_count "$T/s1.ctl") + $(sent_count "$T/s2.ctl") ))
[ "$after_sent" = "$sims" ] && ok || bad "restart sent again: $sims -> $after_sent"
kill -TERM "$DAEMON"; wait "$DAEMON"; DAEMON=

kz_report
