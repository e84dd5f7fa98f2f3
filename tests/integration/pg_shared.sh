#!/bin/sh
# pg_shared.sh - two `kazi serve` daemons on one PostgreSQL database (issue 9):
# a private server (tests/pg.inc), a batch of 60 verify and choice tasks at
# redundancy 3 imported with `kazi import --db URI`, two daemons (A.conf and
# B.conf, both `database = URI`) with two `kazi sim` modems each (a1 a2, b1 b2)
# and 12 simulated workers (crash_workers.py) spread over the four SIMs. A
# worker's offer may leave through either daemon's SIM; the worker answers
# through its own. When every task has a result (or at the bound) both
# daemons stop on SIGTERM and SQL through psql audits the shared pool and
# ledger: no task twice to one worker, redundancy exact, one reward per
# on-time answer at the task's amount, each worker's ledger equal to what its
# answers and messages earned, every inbound SMS stored once, both daemons
# received and sent, `kazi check --db URI` passes; sampled once a second
# during the run, no task holds more open and answered offers than it wants.
# PostgreSQL missing is a failure (CI installs it). KAZI_PG_TASKS / _WORKERS /
# _LIMIT (seconds) override the sizes; KEEP=1 keeps the temp dir. Ends with
# "N passed, N failed".
# Owns: this scenario. Never touches a real modem or the network (ptys and
# Unix sockets under a temp dir, the server on a Unix socket only); every wait
# is bounded and the trap stops every process it started (by pid) and the server.
set -u
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/../pg.inc"
HERE=$(cd "$(dirname "$0")" && pwd)
kz_setup pg-shared
TASKS=${KAZI_PG_TASKS:-60}
WORKERS=${KAZI_PG_WORKERS:-12}
LIMIT=${KAZI_PG_LIMIT:-150} # a bound against hangs; setup and audit add ~20 s
SA1='' SA2='' SB1='' SB2='' DA='' DB='' WORK=''
cleanup() {
    kz_kill $WORK $DA $DB $SA1 $SA2 $SB1 $SB2
    pg_stop
    kz_remove_temp
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kz_user_opt
kz_temp_for_user

check() { # check WHAT COMMAND...: one check, passed when COMMAND succeeds
    kz_what=$1; shift
    if "$@"; then ok; else bad "$kz_what"; fi
}
# q SQL: the rows of one query on the shared database, fields separated by |.
q() { "$PSQL" -X -q -At -F '|' -v ON_ERROR_STOP=1 "$URI" -c "$1" 2>&1; }
# zero WHAT SQL: one check, passed when the query's single value is 0.
zero() {
    kz_v=$(q "$2")
    [ "$kz_v" = 0 ] && ok || bad "$1 (got: $kz_v)"
}

pg_test_server "$T/pg"
URI=$(pg_createdb kazi_shared) || { bad "pg_createdb"; kz_report; exit 1; }
ok

# The batch: verify and choice tasks; "T<n>" in the prompt lets the workers agree.
awk -v n="$TASKS" 'BEGIN {
    print "id,type,prompt,options";
    for (i = 1; i <= n; i++)
        if (i % 3 == 0) printf "%d,choice,Colour of gate T%d?,Red|Green|Blue\n", i, i;
        else printf "%d,verify,Is shop T%d on Moi Ave open?,Yes|No\n", i, i;
}' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shared --requester Acme --reward 3 --redundancy 3 \
    --db "$URI" >"$T/import.out" 2>&1 && ok || bad "import: $(cat "$T/import.out")"
check "the batch is in PostgreSQL: $TASKS tasks wanting 3 answers each" \
    [ "$(q "SELECT count(*), min(wanted), max(wanted) FROM tasks")" = "$TASKS|3|3" ]
REWARD=$(q "SELECT reward_minor FROM batches WHERE name = 'shared'")
check "the batch's reward is 300 minor units (got $REWARD)" [ "$REWARD" = 300 ]

for s in a1 a2 b1 b2; do
    kz_start_sim "$s" "$s.ctl" "sim_$s.log" --seed "$(echo "$s" | tr ab 12)"
    case $s in a1) SA1=$! ;; a2) SA2=$! ;; b1) SB1=$! ;; b2) SB2=$! ;; esac
done
kz_sims_up a1.ctl a2.ctl b1.ctl b2.ctl && ok || bad "simulators did not start"

# The push window is the whole day in a timezone where it is about noon now,
# so no unsolicited offer waits for a window whatever the hour of the run.
tz=$((12 - $(date -u +%H | sed 's/^0//')))
tzs=$(printf '%+03d:00' "$tz")
for d in A B; do
    m=$(echo "$d" | tr AB ab)
    cat >"$T/$d.conf" <<EOF
; kazi serve $d of two sharing one PostgreSQL database
[gateway]
database = $URI
timezone = $tzs
housekeeping_interval = 1s
push_interval = 5s
push_from = 00:00
push_to = 23:59
[outbox]
retry_base = 1s
[engine]
offer_time = 60s
gold_per_mille = 0
max_open_per_worker = 2
[conv]
max_replies_hour = 1000
max_replies_day = 10000
[money]
sms_refund = 1.20
[modem ${m}1]
port = $T/${m}1
[modem ${m}2]
port = $T/${m}2
EOF
done

# start D: daemon D (A or B) in the background, its output in $T/D.log.
start() { "$KAZI" serve -c "$T/$1.conf" $USEROPT >"$T/$1.log" 2>&1 & }
start A; DA=$!
start B; DB=$!
ready() { # ready D M: D's log says its modems M1 and M2 are ready
    [ "$(grep -c "modem $2[12]: ready" "$T/$1.log")" -ge 2 ]
}
for d in A B; do
    m=$(echo "$d" | tr AB ab)
    wait_for 20 grep -q 'kazi serve started' "$T/$d.log" && ok ||
        { bad "daemon $d did not start"; tail -20 "$T/$d.log"; }
    wait_for 20 ready "$d" "$m" && ok || { bad "daemon $d: modems not ready"; tail -20 "$T/$d.log"; }
done
[ "$fail" -eq 0 ] || { kz_report; exit 1; } # nothing to audit

CTLS="--ctl $T/a1.ctl --ctl $T/a2.ctl --ctl $T/b1.ctl --ctl $T/b2.ctl"
# shellcheck disable=SC2086 # CTLS is four options
"$PY" "$HERE/crash_workers.py" run $CTLS --db "$URI" --log "$T/injected.jsonl" \
    --workers "$WORKERS" --seed 9 --deadline "$LIMIT" --join-spread 2 \
    >"$T/workers.log" 2>&1 & WORK=$!
# The workers stop when every task has a result (or at their deadline).
# Meanwhile, once a second: no task holds more open and answered offers than it wants.
over=0 samples=0
n=$(((LIMIT + 20) * 5))
while kill -0 "$WORK" 2>/dev/null && [ "$n" -gt 0 ]; do
    if [ $((n % 5)) = 0 ]; then
        o=$(q "SELECT count(*) FROM tasks t WHERE (SELECT count(*) FROM assignments a
               WHERE a.task_id = t.id AND a.state IN ('offered','answered')) > t.wanted")
        samples=$((samples + 1))
        [ "$o" = 0 ] || over=$((over + 1))
    fi
    sleep 0.2; n=$((n - 1))
done
[ "$over" = 0 ] && [ "$samples" -gt 3 ] && ok ||
    bad "tasks over their redundancy during the run: $over of $samples samples"
kill -9 "$WORK" 2>/dev/null # past its own deadline: hung
wait "$WORK"; wrc=$?; WORK=
cat "$T/workers.log"
[ "$wrc" = 0 ] && ok || bad "workers: exit $wrc (tasks without a result: $(q "SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_results r WHERE r.task_id = t.id)"))"

# Let everything in flight settle: simulators' queues and SIMs empty, every
# part handed over, the outbox drained.
settled() {
    for c in a1 a2 b1 b2; do
        "$KAZI" sim ctl "$T/$c.ctl" stats | grep -q '"queued":0,' || return 1
        [ -z "$("$KAZI" sim ctl "$T/$c.ctl" storage)" ] || return 1
    done
    [ "$(q "SELECT count(*) FROM inbox_parts WHERE message_id IS NULL")" = 0 ] &&
    [ "$(q "SELECT count(*) FROM outbox_parts WHERE state IN ('queued','sending')")" = 0 ]
}
wait_for 30 settled && ok || bad "not settled: $(q "SELECT state, count(*) FROM outbox_parts GROUP BY state")"
sleep 1

for d in A B; do
    DAEMON=$(if [ "$d" = A ]; then echo "$DA"; else echo "$DB"; fi)
    kz_stop_daemon
    if [ "$d" = A ]; then DA=; else DB=; fi
    grep -q "stopped cleanly" "$T/$d.log" && ok || bad "daemon $d: no clean stop line"
    kz_no_sanitizer_report "$T/$d.log" "(daemon $d)"
    # A store statement PostgreSQL refuses shows as an error or a warning.
    if grep -q ' kazi \(error\|warn\):' "$T/$d.log"; then
        bad "daemon $d logged errors or warnings: $(grep -m5 ' kazi \(error\|warn\):' "$T/$d.log")"
    else ok; fi
done

# The audit the crash test uses: every injected SMS stored once, every part
# handed over, every task with a result, no part confirmed sent sent twice.
# shellcheck disable=SC2086
"$PY" "$HERE/crash_workers.py" audit $CTLS --db "$URI" --log "$T/injected.jsonl" \
    --tasks "$TASKS" >"$T/audit.log" 2>&1
cat "$T/audit.log"
p=$(grep -c '^PASS:' "$T/audit.log"); f=$(grep -c '^FAIL:' "$T/audit.log")
pass=$((pass + p)); fail=$((fail + f))
grep -q '^audit: ' "$T/audit.log" || bad "audit did not finish: $(tail -5 "$T/audit.log")"

# No task twice to one worker: in the database ...
zero "no (task, worker) twice in assignments" \
    "SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments
     GROUP BY task_id, worker_id HAVING count(*) > 1) AS d"
zero "no (task, worker) twice in answers" \
    "SELECT count(*) FROM (SELECT task_id, worker_id FROM answers
     GROUP BY task_id, worker_id HAVING count(*) > 1) AS d"
# ... and on the air: no worker got offers of one task under two refs.
for c in a1 a2 b1 b2; do "$KAZI" sim ctl "$T/$c.ctl" sent; done >"$T/sent.jsonl"
twice=$("$PY" -c '
import json, re, sys
offer = re.compile(r"#(\d+) [^#]*?\bT(\d+)\b[^#]*?Reply \1\b")
refs = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    for o in offer.finditer(m.get("text") or ""):
        refs.setdefault((m["to"], o.group(2)), set()).add(o.group(1))
print(sum(1 for v in refs.values() if len(v) > 1), len(refs))' "$T/sent.jsonl")
[ "${twice%% *}" = 0 ] && [ "${twice#* }" -ge $((TASKS * 3)) ] && ok ||
    bad "a worker was offered one task under two refs, or too few offers (twice, offered: $twice)"
# Each task reached on the air exactly the workers its assignments name.
"$PY" -c '
import json, re, sys
offer = re.compile(r"#(\d+) [^#]*?\bT(\d+)\b[^#]*?Reply \1\b")
who = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    for o in offer.finditer(m.get("text") or ""):
        who.setdefault(int(o.group(2)), set()).add(m["to"])
for t in sorted(who):
    print("%d|%s" % (t, ",".join(sorted(who[t]))))' "$T/sent.jsonl" >"$T/air.txt"
q "SELECT t.ext_id, string_agg(w.phone, ',' ORDER BY w.phone) FROM assignments a
   JOIN tasks t ON t.id = a.task_id JOIN workers w ON w.id = a.worker_id
   GROUP BY t.ext_id ORDER BY CAST(t.ext_id AS INTEGER)" >"$T/assigned.txt"
cmp -s "$T/air.txt" "$T/assigned.txt" && [ "$(wc -l <"$T/air.txt")" = "$TASKS" ] && ok ||
    bad "offers on the air differ from assignments: $(diff "$T/air.txt" "$T/assigned.txt" | head -5)"

# Redundancy exact.
zero "every task has exactly its redundancy in on-time, non-rejected answers" \
    "SELECT count(*) FROM tasks t WHERE t.wanted <> (SELECT count(*) FROM answers a
     WHERE a.task_id = t.id AND a.late = 0 AND a.state <> 'rejected')"
zero "no task has more open and answered offers than it wants (taken <= wanted)" \
    "SELECT count(*) FROM tasks WHERE taken > wanted"
zero "tasks.taken equals the open and answered assignments" \
    "SELECT count(*) FROM tasks t WHERE t.taken <> (SELECT count(*) FROM assignments a
     WHERE a.task_id = t.id AND a.state IN ('offered','answered'))"
zero "no task has more answered assignments than its redundancy" \
    "SELECT count(*) FROM tasks t WHERE (SELECT count(*) FROM assignments a
     WHERE a.task_id = t.id AND a.state = 'answered') > t.wanted"
check "every task resolved (consensus at redundancy)" \
    [ "$(q "SELECT count(*) FROM task_results WHERE state = 'resolved'")" = "$TASKS" ]
check "answers: $((TASKS * 3)) in all" [ "$(q "SELECT count(*) FROM answers")" = $((TASKS * 3)) ]

# Ledger exact: one reward per on-time answer at the task's amount, one
# refund per answering message, nothing else, and each worker's sum equal to
# what its answers and messages say.
zero "no ledger kinds but reward and sms_refund" \
    "SELECT count(*) FROM ledger_entries WHERE kind NOT IN ('reward','sms_refund')"
zero "every on-time answer has exactly one reward entry" \
    "SELECT count(*) FROM answers a WHERE a.late = 0 AND (SELECT count(*) FROM ledger_entries l
     WHERE l.answer_id = a.id AND l.kind = 'reward') <> 1"
zero "no late answer has a reward entry" \
    "SELECT count(*) FROM ledger_entries l JOIN answers a ON a.id = l.answer_id
     WHERE l.kind = 'reward' AND a.late <> 0"
zero "every reward is the task's amount, to the answer's worker" \
    "SELECT count(*) FROM ledger_entries l JOIN answers a ON a.id = l.answer_id
     JOIN tasks t ON t.id = a.task_id JOIN batches b ON b.id = t.batch_id
     WHERE l.kind = 'reward' AND (l.amount_minor <> coalesce(t.reward_minor, b.reward_minor)
     OR l.worker_id <> a.worker_id OR l.currency <> b.currency)"
zero "no reward without an answer" \
    "SELECT count(*) FROM ledger_entries WHERE kind = 'reward' AND answer_id IS NULL"
zero "one sms_refund per inbound message (JOIN and answers), 120 a segment, to its sender" \
    "SELECT count(*) FROM messages m WHERE m.direction = 'in' AND (SELECT count(*)
     FROM ledger_entries l WHERE l.message_id = m.id AND l.kind = 'sms_refund'
     AND l.worker_id = m.worker_id AND l.amount_minor = 120 * m.segments) <> 1"
zero "no sms_refund but for a worker's inbound message" \
    "SELECT count(*) FROM ledger_entries l WHERE l.kind = 'sms_refund' AND NOT EXISTS
     (SELECT 1 FROM messages m WHERE m.id = l.message_id AND m.direction = 'in'
     AND m.worker_id = l.worker_id)"
zero "an answer's refund names the message that carried it" \
    "SELECT count(*) FROM ledger_entries l JOIN answers a ON a.id = l.answer_id
     WHERE l.kind = 'sms_refund' AND l.message_id IS DISTINCT FROM a.message_id"
zero "no duplicate ledger rows (answer, kind) or (message, kind)" \
    "SELECT (SELECT count(*) FROM (SELECT answer_id, kind FROM ledger_entries
     WHERE answer_id IS NOT NULL GROUP BY answer_id, kind HAVING count(*) > 1) AS d)
     + (SELECT count(*) FROM (SELECT message_id, kind FROM ledger_entries
     WHERE message_id IS NOT NULL GROUP BY message_id, kind HAVING count(*) > 1) AS e)"
zero "each worker's ledger sum = rewards of its on-time answers + refunds of its messages" \
    "SELECT count(*) FROM workers w WHERE
     coalesce((SELECT sum(amount_minor) FROM ledger_entries l WHERE l.worker_id = w.id), 0)
     <> coalesce((SELECT sum(coalesce(t.reward_minor, b.reward_minor)) FROM answers a
        JOIN tasks t ON t.id = a.task_id JOIN batches b ON b.id = t.batch_id
        WHERE a.worker_id = w.id AND a.late = 0), 0)
      + coalesce((SELECT sum(120 * m.segments) FROM messages m WHERE m.worker_id = w.id
        AND m.direction = 'in'), 0)"
total=$(q "SELECT sum(amount_minor) FROM ledger_entries")
want=$(q "SELECT $REWARD * count(*) FROM answers WHERE late = 0")
injected=$(wc -l <"$T/injected.jsonl")
check "the ledger's total $total = rewards $want + 1.20 for each of the $injected SMS sent" \
    [ "$total" = $((want + 120 * injected)) ]
check "every worker joined and earned" \
    [ "$(q "SELECT count(*) FROM workers w WHERE EXISTS (SELECT 1 FROM ledger_entries l
        WHERE l.worker_id = w.id AND l.kind = 'reward')")" = "$WORKERS" ]

# Both daemons worked: inbound through each of the four SIMs, offers out of each.
for m in a1 a2 b1 b2; do
    n=$(q "SELECT count(*) FROM inbox_parts WHERE modem = '$m' AND message_id IS NOT NULL")
    [ "$n" -gt 0 ] 2>/dev/null && ok || bad "no inbound message through $m ($n)"
    n=$(q "SELECT count(*) FROM outbox_parts WHERE modem = '$m' AND state IN ('sent','delivered')
           AND position('Reply' in (SELECT body FROM messages g WHERE g.id = message_id)) > 0")
    [ "$n" -gt 0 ] 2>/dev/null && ok || bad "no offer sent from $m ($n)"
done
check "the modems table knows the four SIMs" \
    [ "$(q "SELECT string_agg(name, ',' ORDER BY name) FROM modems")" = a1,a2,b1,b2 ]
zero "every outbound message names the modem its parts left through" \
    "SELECT count(*) FROM messages m WHERE m.direction = 'out' AND (SELECT d.name FROM modems d
     WHERE d.id = m.modem_id) IS DISTINCT FROM (SELECT min(p.modem) FROM outbox_parts p
     WHERE p.message_id = m.id)"
# A worker hears from the gateway they text: every part to a worker left through a modem of
# the daemon (a* or b*) whose modem received that worker's SMS (each texts one SIM only).
zero "every worker hears only from the gateway they text" \
    "SELECT count(*) FROM outbox_parts p JOIN messages m ON m.id = p.message_id
     WHERE p.state IN ('sent','delivered') AND left(p.modem, 1) <> (SELECT left(min(i.modem), 1)
     FROM inbox_parts i JOIN messages im ON im.id = i.message_id WHERE im.peer = m.peer)"
q "SELECT modem, count(*) FROM inbox_parts GROUP BY modem ORDER BY modem" |
    tr '\n' ' ' | sed 's/^/INFO: inbound parts by modem: /; s/$/\n/'
q "SELECT modem, count(*) FROM outbox_parts GROUP BY modem ORDER BY modem" |
    tr '\n' ' ' | sed 's/^/INFO: outbound parts by modem: /; s/$/\n/'

"$KAZI" check --db "$URI" >"$T/check.out" 2>&1 && ok || bad "kazi check: $(cat "$T/check.out")"

kz_report
