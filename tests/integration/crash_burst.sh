#!/bin/sh
# crash_burst.sh - group commit keeps the no-loss rule: the real daemon, two
# `kazi sim` modems on pseudo-terminals, a burst of 600 inbound SMS (every
# tenth one a two-part message) waiting in the simulators' networks and SIMs,
# and `kazi serve` SIGKILLed three times while it reads and commits them in
# groups (after about 25%, 50% and 75% of the messages are in), restarted each
# time. Afterwards: every injected SMS is in the database exactly once, each
# PDU was stored once, every part was handed over, nothing is left
# unhandled, the SIMs are empty and no sanitizer spoke.
# KEEP=1 keeps the temp dir. Ends with "N passed, N failed".
# Owns: this scenario. Never touches a real modem or the network (ptys and
# Unix sockets under a temp dir); every wait is bounded and the trap kills
# every process it started (by pid).
set -u
KAZI=${KAZI_BIN:-build/san/kazi}
case $KAZI in /*) ;; *) KAZI=$(pwd)/$KAZI ;; esac
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T=$(mktemp -d /tmp/kazi-crash-burst-XXXXXX)
chmod 755 "$T"
SIM1= SIM2= DAEMON=
cleanup() {
    for p in $DAEMON $SIM1 $SIM2; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in $DAEMON $SIM1 $SIM2; do kill -9 "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
USEROPT=
if [ "$(id -u)" = 0 ]; then USEROPT="--user nobody"; chmod 777 "$T"; fi

wait_for() { # wait_for SECONDS COMMAND...: every 0.05 s until COMMAND succeeds
    n=$(($1 * 20)); shift
    while [ "$n" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05; n=$((n - 1))
    done
    return 1
}
sql() { sqlite3 -cmd '.timeout 10000' "$T/k.db" "$1" 2>/dev/null; }
inbound() { sql "SELECT count(*) FROM messages WHERE direction = 'in'"; }
at_least() { [ "$(inbound)" -ge "$1" ]; }

"$KAZI" sim --link "$T/m1" --control "$T/s1.ctl" --seed 1 >"$T/sim1.log" 2>&1 & SIM1=$!
"$KAZI" sim --link "$T/m2" --control "$T/s2.ctl" --seed 2 >"$T/sim2.log" 2>&1 & SIM2=$!
wait_for 10 test -S "$T/s1.ctl" && wait_for 10 test -S "$T/s2.ctl" && ok || bad "simulators did not start"

cat >"$T/k.conf" <<EOF
; kazi serve group-commit crash test
[gateway]
database = $T/k.db
log_level = debug
[modem m1]
port = $T/m1
[modem m2]
port = $T/m2
EOF

# The burst waits in the simulators' network queues before the daemon starts.
"$PY" - "$T" >"$T/inject.out" 2>&1 <<'EOF'
import json, socket, sys
t = sys.argv[1]
LONG = (" and the gate by the kiosk near the matatu stage was closed again today, so I"
        " waited until the guard came back and asked him which shop is the one on the list")
log = open(t + "/injected.jsonl", "w")
pdus = 0
for s in (1, 2):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.connect("%s/s%d.ctl" % (t, s))
    rf = sock.makefile("rb")
    lines = []
    for k in range(300):
        frm = "+2547330%05d" % (s * 1000 + k % 60)
        text = "burst %d message %d" % (s, k) + (LONG if k % 10 == 9 else "")
        lines.append((frm, text))
    sock.sendall("".join("inject %s %s\n" % l for l in lines).encode())
    for frm, text in lines:
        ans = rf.readline().decode()
        if not ans.startswith("ok parts="):
            sys.exit("inject: " + ans)
        pdus += int(ans.split("=")[1])
        log.write(json.dumps({"sim": "s%d" % s, "from": frm, "text": text}) + "\n")
print(pdus)
EOF
[ $? -eq 0 ] && ok || bad "burst not injected: $(cat "$T/inject.out")"
PDUS=$(tail -1 "$T/inject.out")
WANT=600

start() {
    "$KAZI" serve -c "$T/k.conf" $USEROPT >>"$T/serve.log" 2>&1 & DAEMON=$!
}
kills=0
for at in 150 300 450; do
    start
    if wait_for 60 at_least "$at"; then
        n=$(inbound)
        kill -9 "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; DAEMON=
        kills=$((kills + 1))
        if [ "$n" -lt "$WANT" ]; then ok; else bad "kill $kills came after the burst ($n in)"; fi
        echo "SIGKILL $kills with $n of $WANT messages in"
    else
        bad "no progress to $at messages"; kill -9 "$DAEMON" 2>/dev/null; DAEMON=
    fi
done
grep -q "one commit at" "$T/serve.log" && ok || bad "the daemon never committed a group"
grep "one commit at" "$T/serve.log" | awk '{ if ($5 + 0 > max) max = $5 + 0 } END { print "largest group: " max " part(s)" }'
start
empty() { for s in 1 2; do "$KAZI" sim ctl "$T/s$s.ctl" storage | grep -q . && return 1; done; return 0; }
wait_for 60 at_least "$WANT" && wait_for 20 empty && ok || bad "not all in after the last restart ($(inbound) of $WANT)"
kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
[ "$rc" -eq 0 ] && ok || bad "daemon exit status $rc after SIGTERM"

"$PY" - "$T" "$PDUS" >"$T/audit.out" 2>&1 <<'EOF'
import collections, json, sqlite3, sys
t, pdus = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect("file:%s/k.db?mode=ro" % t, uri=True, timeout=10)
one = lambda q: db.execute(q).fetchone()[0]
injected = [json.loads(l) for l in open(t + "/injected.jsonl")]
want = collections.Counter((i["from"], i["text"]) for i in injected)
got = collections.Counter(db.execute("SELECT peer, body FROM messages WHERE direction = 'in'"))
bad = []
if want - got: bad.append("%d injected SMS missing" % sum((want - got).values()))
if got - want: bad.append("%d inbound SMS recorded twice or invented" % sum((got - want).values()))
if one("SELECT count(*) FROM inbox_parts") != pdus: bad.append("inbox_parts %d != %d PDUs" % (one("SELECT count(*) FROM inbox_parts"), pdus))
if one("SELECT count(*) FROM inbox_parts WHERE message_id IS NULL"): bad.append("parts not handed over")
if one("SELECT count(*) FROM messages WHERE direction = 'in' AND state = 'received'"): bad.append("messages left unhandled")
print("; ".join(bad) if bad else "audit ok")
sys.exit(1 if bad else 0)
EOF
[ $? -eq 0 ] && ok || bad "audit: $(cat "$T/audit.out")"
if grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$T/serve.log" "$T/sim1.log" "$T/sim2.log"; then
    bad "a sanitizer spoke"; grep -m3 "Sanitizer\|runtime error" "$T/serve.log"
else
    ok
fi
echo "crash burst: $WANT messages ($PDUS PDUs), $kills SIGKILLs"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
