#!/bin/sh
# crash_reports.sh - delivery reports in the daemon's group commit: the real
# daemon, one `kazi sim` modem on a pseudo-terminal that stores every status
# report on the SIM (+CDSI), 60 outbound SMS queued before the start. Once
# every part is 'sent' the daemon is frozen (SIGSTOP) while the reports
# arrive, then SIGKILLed: a crash before any of them was committed. They must
# still be on the SIM. After a restart every part is 'delivered' exactly
# once (nothing sent or counted twice), the SIM is empty, the reports of one
# loop turn went into one commit (the daemon's debug line "N part(s) and M
# report(s) stored ... one commit", M > 1) and no sanitizer spoke.
# KEEP=1 keeps the temp dir. Ends with "N passed, N failed".
# Owns: this scenario. Never touches a real modem or the network (a pty and
# a Unix socket under a temp dir); every wait is bounded and the trap kills
# every process it started (by pid).
set -u
. "$(dirname "$0")/lib.inc"
kz_setup crash-reports
chmod 755 "$T"
SIM= DAEMON=
cleanup() {
    [ -n "$DAEMON" ] && kill -CONT "$DAEMON" 2>/dev/null
    for p in $DAEMON $SIM; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in $DAEMON $SIM; do kill -9 "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kz_user_opt
kz_temp_for_user
N=60

kz_start_sim m1 s1.ctl sim1.log --cnmi-mode cdsi --report-delay 1500 --storage 100 --seed 3; SIM=$!
kz_sims_up s1.ctl && ok || bad "simulator did not start"
cat >"$T/k.conf" <<CONF
; kazi serve: delivery reports in the group commit
[gateway]
database = $T/k.db
log_level = debug
[outbox]
status_reports = true
[modem m1]
port = $T/m1
CONF
printf 'id,type,prompt,options\n1,verify,Is the shop open?,Yes|No\n' >"$T/one.csv"
"$KAZI" import "$T/one.csv" --batch setup --requester Acme --db "$T/k.db" >/dev/null \
    && ok || bad "schema not created"
now=$(date +%s)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
     INSERT INTO messages(direction, peer, body, state, kind, created_at, updated_at)
     SELECT 'out', printf('+2547110%05d', i), printf('Task %d: is the shop open?', i),
            'queued', 'reply', $now, $now FROM n;"
[ -z "$USEROPT" ] || chmod 666 "$T/k.db"

parts() { sql "SELECT count(*) FROM outbox_parts WHERE state IN ($1)"; }
all_sent() { [ "$(parts "'sent','delivered'")" -eq "$N" ]; }
all_delivered() { [ "$(parts "'delivered'")" -eq "$N" ]; }
stored() { "$KAZI" sim ctl "$T/s1.ctl" storage | grep -c .; }
reports_in() { "$KAZI" sim ctl "$T/s1.ctl" stats | grep -q "\"reports\":$N,"; }

kz_start_daemon; DAEMON=$!
wait_for 60 all_sent && ok || bad "not every part sent ($(parts "'sent','delivered'") of $N)"
kill -STOP "$DAEMON"
before=$(parts "'delivered'")
[ "$before" -lt "$N" ] && ok || bad "every report was in before the freeze"
wait_for 30 reports_in && ok || bad "the simulator did not give every report"
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
left=$(stored)
[ "$(parts "'delivered'")" -eq "$before" ] && ok || bad "reports committed while frozen"
[ "$left" -ge $((N - before)) ] && ok \
    || bad "reports not committed were not left on the SIM ($left stored, $((N - before)) wanted)"
echo "SIGKILL with $before of $N delivered, $left report(s) on the SIM"

kz_start_daemon; DAEMON=$!
empty() { [ "$(stored)" = 0 ]; }
wait_for 60 all_delivered && wait_for 20 empty && ok \
    || bad "after the restart: $(parts "'delivered'") of $N delivered, $(stored) on the SIM"
kz_stop_daemon
[ "$(sql "SELECT count(*) FROM messages WHERE direction = 'out' AND state = 'delivered'")" -eq "$N" ] \
    && ok || bad "messages not delivered: $(sql "SELECT count(*) FROM messages WHERE direction = 'out' AND state <> 'delivered'")"
[ "$(sql "SELECT count(*) FROM outbox_parts")" -eq "$N" ] && \
    [ "$(sql "SELECT max(attempts) FROM outbox_parts")" -eq 1 ] && \
    [ "$(sql "SELECT sum(sent) FROM sms_counts")" -eq "$N" ] && ok \
    || bad "a part sent or counted twice: $(sql "SELECT count(*), max(attempts) FROM outbox_parts") $(sql "SELECT sum(sent) FROM sms_counts")"
"$KAZI" sim ctl "$T/s1.ctl" sent >"$T/sent.out"
[ "$(grep -c . "$T/sent.out")" -eq "$N" ] && ok || bad "the simulator saw $(grep -c . "$T/sent.out") sends, not $N"
most=$(grep -o "part(s) and [0-9]* report(s) stored" "$T/serve.log" | awk '{ if ($3 + 0 > m) m = $3 + 0 } END { print m + 0 }')
[ "$most" -gt 1 ] && ok || bad "no commit held more than one report ($most)"
echo "largest group: $most report(s) in one commit"
kz_no_sanitizer_report "$T/serve.log"
kz_no_sanitizer_report "$T/sim1.log" "(simulator)"
kz_report
