#!/bin/sh
# demo.sh - `kazi demo` end to end: a small demo (10 workers, 20 tasks, no
# network delay) completes and prints "results: PATH" last, with every task
# of the results CSV complete; then a second demo is killed with SIGKILL to
# its whole process group part-way, and the same command resumes and
# completes it with nothing left behind. Ends with "N passed, N failed".
# Uses $KAZI_BIN (tests/run.sh sets it). Never touches a real modem.
set -u
K=${KAZI_BIN:-build/kazi}
PY=/usr/bin/python3
TMP=$(mktemp -d)
chmod 755 "$TMP" # started as root the daemon runs as nobody; it must reach its files
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
DEMO="demo --no-view --workers 10 --tasks 20 --latency 0 --timeout 240"

# Every task of a results CSV is decided: resolved, or left for review after the
# extra answers (python3 csv). Prints the count, exits 0/1.
all_complete() {
    "$PY" - "$1" "$2" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
done = [r for r in rows if r["status"] in ("resolved", "review") and int(r["answers"]) >= 3
        and (r["consensus"] != "") == (r["status"] == "resolved")]
print("%d of %d tasks resolved" % (len(done), len(rows)))
sys.exit(0 if rows and len(done) == len(rows) == int(sys.argv[2]) else 1)
PYEOF
}

# Processes of group $1 still alive (none expected after a group SIGKILL); zombies
# waiting for a reaper do not count.
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/' | wc -l; }

# ---- 1. a whole demo (in the background, while 2 runs) ----
(
    start=$(date +%s)
    $K $DEMO --db "$TMP/a.db" >"$TMP/a.out" 2>"$TMP/a.err"
    echo "$? $(($(date +%s) - start))" >"$TMP/a.rc"
) &
whole=$!

# ---- 3. SIGTERM part-way (in the background): children stopped, files removed ----
(
    setsid $K $DEMO --db "$TMP/c.db" >"$TMP/c.out" 2>"$TMP/c.err" &
    pid=$!
    i=0
    while [ $i -lt 120 ] && ! grep -q "answers [1-9]" "$TMP/c.out" 2>/dev/null; do
        sleep 0.5
        i=$((i + 1))
    done
    kill -TERM "$pid"
    i=0
    while [ $i -lt 60 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
    wait "$pid"
    echo "$? $(group_alive "$pid")" >"$TMP/c.rc"
) &
term=$!

# ---- 2. killed part-way with SIGKILL to the group, then resumed ----
setsid $K $DEMO --db "$TMP/b.db" >"$TMP/b1.out" 2>"$TMP/b1.err" &
pgid=$!
i=0
while [ $i -lt 120 ]; do # until a few answers are in (bounded: 60 s)
    grep -q "answers [1-9][0-9]*/" "$TMP/b1.out" 2>/dev/null && break
    sleep 0.5
    i=$((i + 1))
done
sleep 2
/bin/kill -KILL -- "-$pgid" 2>/dev/null # dash's kill builtin takes no process group
sleep 1
check '[ "$(group_alive "$pgid")" -eq 0 ]' "processes of the killed demo survived"
check '! grep -q "^results:" "$TMP/b1.out"' "the first run finished before it was killed"
$K $DEMO --db "$TMP/b.db" >"$TMP/b2.out" 2>"$TMP/b2.err"
rc=$?
check '[ "$rc" -eq 0 ]' "resumed demo exit status $rc: $(tail -n 5 "$TMP/b2.err")"
check 'grep -q "^Resuming" "$TMP/b2.out"' "the second run did not say it resumed"
last=$(tail -n 1 "$TMP/b2.out")
check 'echo "$last" | grep -q "^results: /"' "resumed: last line is not 'results: PATH': $last"
res=${last#results: }
check 'all_complete "$res" 20' "resumed results not all resolved: $(all_complete "$res" 20)"
joins=$(grep -c "sent JOIN\|sent JIUNGE" "$TMP/b2.out")
check '[ "$joins" -eq 0 ]' "$joins workers joined again after the restart"

# ---- 1, checked ----
wait "$whole"
read -r rc secs <"$TMP/a.rc"
echo "whole demo: exit $rc in ${secs}s"
check '[ "$rc" -eq 0 ]' "demo exit status $rc: $(tail -n 5 "$TMP/a.err")"
last=$(tail -n 1 "$TMP/a.out")
check 'echo "$last" | grep -q "^results: /"' "last line is not 'results: PATH': $last"
res=${last#results: }
check '[ -f "$res" ]' "no results file $res"
check 'all_complete "$res" 20' "results not all resolved: $(all_complete "$res" 20)"
# Speed belongs to bench/; this bound only catches a demo that hangs.
check '[ "$secs" -lt 300 ]' "the small demo took ${secs}s (bound 300 s: it hangs)"
check '! [ -e "$TMP/a.db.demo/m1.ctl" ] && ! [ -e "$TMP/a.db.demo/m1.tty" ]' \
    "simulator socket or link left behind"
check 'grep -q "often wrong" "$TMP/a.out" && grep -q "sends STOP" "$TMP/a.out"' \
    "summary does not show the personas"
check 'grep -q "^[A-Z][a-z]* was paid KSh [0-9]* (M-PESA [A-Z0-9]*)" "$TMP/a.out" && grep -q "^kazi check passes" "$TMP/a.out"' \
    "no confirmed payout or kazi check line: $(grep -i "paid\|payout\|kazi check" "$TMP/a.out")"

# ---- 3, checked ----
wait "$term"
read -r rc alive <"$TMP/c.rc"
check '[ "$rc" -eq 1 ] && grep -q "stopped by SIGTERM" "$TMP/c.err"' "SIGTERM: exit $rc, $(cat "$TMP/c.err")"
check '[ "$alive" -eq 0 ]' "SIGTERM: $alive processes of the demo still running"
check '! [ -e "$TMP/c.db.demo/m1.ctl" ] && ! [ -e "$TMP/c.db.demo/m2.tty" ]' \
    "SIGTERM: simulator socket or link left behind"

# ---- 4. usage ----
$K demo --workers 0 >/dev/null 2>&1
check '[ $? -eq 2 ]' "--workers 0 is a usage error"

rm -rf "$TMP"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
