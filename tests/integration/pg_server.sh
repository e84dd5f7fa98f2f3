#!/bin/sh
# pg_server.sh - tests/pg.inc, the private PostgreSQL server that the
# PostgreSQL store's tests use: pg_start brings up a server on a Unix socket
# only (as nobody when run as root) and prints nothing; pg_createdb makes a
# database owned by kazi and prints its URI, which psql connects with; the
# server has fsync on, the C locale and no TCP listener; pg_stop shuts it
# down, twice without harm; a second pg_start on the same directory keeps
# the data (initdb once per directory); a directory that holds no usable
# cluster makes pg_start fail with the log's tail. PostgreSQL missing is a
# failure (CI installs it). Needs no kazi binary. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/../pg.inc"
kz_setup pg-server
cleanup() {
    pg_stop
    kz_remove_temp
}
trap cleanup EXIT INT TERM
kz_user_opt
kz_temp_for_user

why=$(pg_skip_reason)
[ -z "$why" ] || { echo "$why"; echo "0 passed, 1 failed"; exit 1; }
PSQL=$(pg_tool psql)

check() { # check WHAT COMMAND...: one check, passed when COMMAND succeeds
    kz_what=$1; shift
    if "$@"; then ok; else bad "$kz_what"; fi
}

# q URI SQL: one query's rows, unaligned, fields separated by |.
q() { "$PSQL" -X -q -At -F '|' "$1" -c "$2" 2>&1; }

check "pg_stop before pg_start is harmless" pg_stop

pg_start "$T/pg" >"$T/start.out" 2>&1
rc=$?
check "pg_start succeeds" [ "$rc" -eq 0 ]
check "pg_start prints nothing on success" [ ! -s "$T/start.out" ]
[ "$rc" -eq 0 ] || { cat "$T/start.out"; kz_report; exit 1; }
(pg_start "$T/pg") >/dev/null 2>&1
check "pg_start again while running is refused" [ "$?" -eq 1 ]
check "KAZI_PG_HOST is the directory" [ "${KAZI_PG_HOST:-}" = "$T/pg" ]
check "the socket is in the directory" test -S "$T/pg/.s.PGSQL.5432"

uri=$(pg_createdb k1)
check "pg_createdb prints the URI" [ "$uri" = "postgresql:///k1?host=$T/pg&user=kazi" ]
check "connect as kazi to k1" [ "$(q "$uri" 'SELECT current_user, current_database()')" = "kazi|k1" ]
check "k1 is owned by kazi" \
    [ "$(q "$uri" "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'k1'")" = kazi ]
check "a table round trip" [ "$(q "$uri" 'CREATE TABLE t(x BIGINT); INSERT INTO t VALUES (41);
    SELECT x + 1 FROM t')" = 42 ]
check "no TCP listener" [ -z "$(q "$uri" 'SHOW listen_addresses')" ]
check "fsync on" [ "$(q "$uri" 'SHOW fsync')" = on ]
check "C locale" [ "$(q "$uri" "SELECT datcollate FROM pg_database WHERE datname = 'k1'")" = C ]
check "UTF8 encoding" [ "$(q "$uri" 'SHOW server_encoding')" = UTF8 ]
pid=$(head -n 1 "$T/pg/data/postmaster.pid")
want=$(id -un)
[ -z "$USEROPT" ] || want=nobody
check "the server runs as $want" [ "$(ps -o user= -p "$pid" | tr -d ' ')" = "$want" ]

fails() { ! "$@" >/dev/null 2>&1; } # fails COMMAND...: COMMAND fails
check "pg_createdb refuses an existing name" fails pg_createdb k1
check "pg_createdb refuses a name with ; and space" fails pg_createdb 'k2; DROP'
check "nothing made of the refused name" [ "$(q "$uri" "SELECT count(*) FROM pg_database WHERE datname LIKE 'k2%'")" = 0 ]

check "pg_stop" pg_stop
check "the socket is gone" [ ! -e "$T/pg/.s.PGSQL.5432" ]
check "no connection after pg_stop" fails pg_ready
check "pg_stop twice is harmless" pg_stop

check "pg_start on the same directory again" pg_start "$T/pg"
check "the data survived the restart (initdb once)" [ "$(q "$uri" 'SELECT x FROM t')" = 41 ]
check "pg_stop after the restart" pg_stop

# A directory with a broken cluster: pg_start fails at once and shows the log.
mkdir -p "$T/bad/data"
echo 99 >"$T/bad/data/PG_VERSION"
[ -z "$USEROPT" ] || chown -R nobody "$T/bad"
out=$( (pg_start "$T/bad") 2>&1)
rc=$?
check "pg_start fails on a broken cluster" [ "$rc" -eq 1 ]
case $out in *"pg_start: "*"--- last lines of $T/bad/log"*) ok ;; *) bad "failure output: $out" ;; esac

kz_report
