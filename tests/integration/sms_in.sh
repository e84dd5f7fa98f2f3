#!/bin/sh
# sms_in.sh - `kazi import` + `kazi sms in` + `kazi outbox --json` end to end
# on a real SQLite file in a temp directory: a worker joins, takes tasks and
# answers them (the acknowledgement riding on the next offer), Swahili, a
# robot sender and a short code that get no answer, STOP from a stranger,
# the same SMS twice, and the outbox read back by Python's json module.
# Uses $KAZI_BIN (tests/run.sh sets it). Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup sms
trap 'rm -rf "$T"' EXIT
DB="$T/k.db"
AT=2025-03-03T10:00

# sms FROM TEXT [MINUTE]: one SMS at 10:MINUTE local; replies in $T/out
sms() {
    "$KAZI" sms in --db "$DB" --from "$1" --at "$AT:${3:-00}" "$2" >"$T/out" 2>"$T/err"
}
# reply_has SUBSTRING DESCRIPTION: exactly one JSON line whose text contains it
reply_has() {
    if "$PY" - "$T/out" "$1" <<'PYEOF'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
assert len(lines) == 1, lines
r = json.loads(lines[0])
assert set(r) == {"to", "text", "segments"}, r
assert sys.argv[2] in r["text"], r["text"]
assert isinstance(r["segments"], int) and r["segments"] >= 1
PYEOF
    then ok; else bad "$2: $(cat "$T/out" "$T/err")"; fi
}
no_reply() {
    if [ ! -s "$T/out" ]; then ok; else bad "$1: unexpected reply $(cat "$T/out")"; fi
}

printf '%s\n' 'id,type,prompt,options' \
    't1,verify,Is the shop open?,Yes|No|Closed' \
    't2,choice,Which colour is the door?,Red|Green|Blue' \
    't3,transcribe,Type the shop sign,' >"$T/tasks.csv"
if "$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --db "$DB" >/dev/null; then ok
else bad "import"; fi

sms 0712345678 "JOIN Amina" 01 && reply_has "Welcome to Kazi Amina!" "join" || bad "join exit"
"$PY" -c "import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r['to']=='+254712345678' and r['segments']==2, r" "$T/out" && ok || bad "E.164 and 2 segments"
reply_has "STOP=leave #1 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. Reply 1 N" "the first task rides on the welcome"
sms 0712345678 "next" 02 && reply_has "#2 Acme: Which colour is the door? 1=Red 2=Green 3=Blue ~30s KSh3. Reply 2 N" "offer"
"$PY" -c "import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r['segments']==1" "$T/out" && ok || bad "offer is one SMS"
sms 0712345678 "#1*1#" 03 && reply_has "Got 1: Yes. +KSh4.20. #3 Acme: Type the shop sign" "ack rides on the next offer (ref 1 rests)"
sms 0712345678 "#1*1#" 03 && no_reply "the same SMS twice is handled once"
sms 0712345678 "1 1" 03 && reply_has "You already answered task 1" "an answer repeated soon is not a new answer"
sms +254712345678 "2 Blue" 04 && reply_has "Got 2: Blue." "answer by option text"
sms 0712345678 "SKIP 3" 05 && reply_has "Task 3 skipped, no penalty." "skip"

# Swahili
sms 0722000002 "JIUNGE Baraka" 06 && reply_has "Karibu Kazi Baraka!" "jiunge"
sms 0722000002 "IJAYO" 07 && reply_has "Jibu 2 N" "Swahili offer (task 1 came with the welcome)"
sms 0722000002 "MSAADA" 08 && reply_has "IJAYO=kazi" "msaada"

# never answered: robots and short codes; recorded
sms MPESA "Confirmed. KSh100 received" 09 && no_reply "alphanumeric sender"
sms 40404 "JOIN" 10 && no_reply "short code"
n=$(sqlite3 "$DB" "SELECT count(*) FROM messages WHERE direction='in' AND state='ignored' AND peer IN ('MPESA','40404')")
[ "$n" = 2 ] && ok || bad "robots recorded as ignored: $n"

# STOP from a stranger: one reply, then silence
sms 0733000003 "STOP" 11 && reply_has "You are not on Kazi" "stranger stop"
sms 0733000003 "Stop!" 12 && no_reply "second stranger stop"
sms 0712345678 "acha" 13 && reply_has "You have left Kazi" "Swahili STOP, reply in the worker's language"
n=$(sqlite3 "$DB" "SELECT state FROM workers WHERE phone='+254712345678'")
[ "$n" = stopped ] && ok || bad "worker stopped: $n"

# bad use of the command itself
if "$KAZI" sms in --db "$DB" "hello" >/dev/null 2>&1; then bad "missing --from accepted"; else ok; fi
if "$KAZI" sms in --db "$DB" --from 0712345678 --at yesterday "hi" >/dev/null 2>&1; then
    bad "bad --at accepted"; else ok; fi

# the outbox: every reply queued, valid JSON, segments counted
if "$KAZI" outbox --db "$DB" --json >"$T/outbox.json" 2>"$T/err"; then ok; else bad "outbox: $(cat "$T/err")"; fi
if "$PY" - "$T/outbox.json" <<'PYEOF'
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(rows) == 11, len(rows)
for r in rows:
    assert r["state"] == "queued" and r["segments"] >= 1 and r["to"].startswith("+254"), r
assert not any(r["to"] in ("MPESA", "40404") for r in rows)
assert rows[0]["text"].startswith("Welcome to Kazi Amina!")
PYEOF
then ok; else bad "outbox JSON"; fi
"$KAZI" outbox --db "$DB" >"$T/table" 2>&1 && grep -q "Welcome to Kazi Amina" "$T/table" && ok || bad "outbox table"

kz_report
