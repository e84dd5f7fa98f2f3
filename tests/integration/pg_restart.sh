#!/bin/sh
# pg_restart.sh - the daemon on a PostgreSQL database that goes away and comes
# back (a server restart, a cut): `kazi serve` with one `kazi sim` modem and a
# private server (tests/pg.inc); a worker joins; the server is stopped; SMS
# arriving meanwhile stay on the SIM, the daemon keeps running and says why;
# the server is started again and those SMS are stored and answered, each
# once; a worker joining afterwards is answered too; SIGTERM stops cleanly.
# Bounded waits; the trap stops the daemon, the simulator and the server.
# Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/../pg.inc"
kz_setup pg-restart
chmod 755 "$T"
SIM1= DAEMON=
cleanup() {
    kz_kill $DAEMON $SIM1
    pg_stop
    kz_remove_temp
}
trap cleanup EXIT INT TERM
kz_user_opt
kz_temp_for_user

pg_test_server "$T/pg" && ok
U=$(pg_createdb kazi_restart)
q() { "$PSQL" -X -q -At "$U" -c "$1" 2>&1; }

welcomes() { # welcomes PHONE: welcome SMS the simulator sent to PHONE
    "$KAZI" sim ctl "$T/s1.ctl" sent 2>/dev/null | grep -c "\"to\":\"$1\".*Welcome"
}
welcomed() { [ "$(welcomes "$1")" -ge 1 ]; }

printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop at Moi Ave open?,Yes|No' \
    '2,verify,Is the kiosk by the stage open?,Yes|No' >"$T/tasks.csv"
"$KAZI" import "$T/tasks.csv" --batch shops --requester Acme --reward 3 --redundancy 2 \
    --db "$U" >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"

kz_start_sim m1 s1.ctl sim1.log; SIM1=$!
kz_sims_up s1.ctl && ok || bad "simulator did not start"
cat >"$T/k.conf" <<EOF
[gateway]
database = $U
log_level = debug
housekeeping_interval = 1s
push_from = 00:00
push_to = 23:59
[outbox]
retry_base = 1s
[modem m1]
port = $T/m1
EOF
kz_start_daemon; DAEMON=$!
wait_for 15 grep -q "modem m1: ready" "$T/serve.log" && ok || { bad "modem not ready"; tail -20 "$T/serve.log"; }

"$KAZI" sim ctl "$T/s1.ctl" inject +254711000001 JOIN Amina >/dev/null
wait_for 20 welcomed +254711000001 && ok || { bad "no welcome before the restart"; tail -20 "$T/serve.log"; }

pg_stop
"$KAZI" sim ctl "$T/s1.ctl" inject +254711000002 JOIN Baraka >/dev/null
wait_for 15 grep -qi "warn\|error" "$T/serve.log" && ok || bad "the daemon did not say the database is away"
sleep 2
kill -0 "$DAEMON" 2>/dev/null && ok || bad "the daemon stopped while the server was away"
[ "$(welcomes +254711000002)" = 0 ] && ok || bad "answered without a database"

pg_start "$T/pg" && ok || bad "server did not start again"
wait_for 30 welcomed +254711000002 && ok || { bad "the SMS from the outage was not answered"; tail -30 "$T/serve.log"; }
"$KAZI" sim ctl "$T/s1.ctl" inject +254711000003 JOIN Chebet >/dev/null
wait_for 20 welcomed +254711000003 && ok || bad "no welcome after the restart"

for p in +254711000001 +254711000002 +254711000003; do
    n=$(q "SELECT count(*) FROM messages WHERE direction = 'in' AND peer = '$p'")
    [ "$n" = 1 ] && ok || bad "$p: inbound stored $n times"
    [ "$(welcomes "$p")" = 1 ] && ok || bad "$p: $(welcomes "$p") welcomes"
done
[ "$(q "SELECT count(*) FROM workers")" = 3 ] && ok || bad "workers: $(q "SELECT count(*) FROM workers")"
kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log"
"$KAZI" check --db "$U" >"$T/check.out" 2>&1 && ok || bad "kazi check: $(cat "$T/check.out")"
kz_report
