#!/bin/sh
# pg_copy.sh - `kazi copy-db`: a SQLite database with a batch, workers,
# answers and their ledger is copied into an empty PostgreSQL database
# (tests/pg.inc starts one). The copy lists, exports and checks the same as
# the file; new rows get ids past the copied ones; the pseudonym key moves
# with the data; a second copy into a database that holds data is refused and
# changes nothing; a non-PostgreSQL --to is a usage error; a password in the
# URI never shows in the output. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/../pg.inc"
kz_setup pg-copy
cleanup() {
    pg_stop
    kz_remove_temp
}
trap cleanup EXIT INT TERM
kz_user_opt
kz_temp_for_user

pg_test_server "$T/pg"
U=$(pg_createdb kazi_copy)
# trust authentication accepts any password: this one must never be printed
UP=$(echo "$U" | sed 's|postgresql://|postgresql://kazi:s3cretpw@|; s|&user=kazi||')
DB=$T/k.db

check() { # check WHAT COMMAND...
    kz_what=$1; shift
    if "$@"; then ok; else bad "$kz_what"; fi
}
q() { "$PSQL" -X -q -At "$U" -c "$1" 2>&1; }

"$KAZI" import "$(dirname "$0")/../../tasks/samples/demo-batch.csv" --batch b1 \
    --requester acme --reward 5 --currency KES --db "$DB" >/dev/null
for w in 1 2 3 4; do
    "$KAZI" sms in --from "+25470000000$w" --db "$DB" JOIN >/dev/null
    "$KAZI" sms in --from "+25470000000$w" --db "$DB" "1 1" >/dev/null
    "$KAZI" sms in --from "+25470000000$w" --db "$DB" "2 2" >/dev/null
done
"$KAZI" sms in --from "+254700000002" --db "$DB" STOP >/dev/null

"$KAZI" copy-db --db "$DB" --to "$UP" >"$T/copy.out" 2>&1
check "copy-db succeeds" [ $? -eq 0 ]
check "it says every table matches" grep -q "every table has as many rows in both" "$T/copy.out"
check "the password is not printed" sh -c "! grep -q s3cretpw '$T/copy.out'"
check "the URI is shown with its password masked" grep -q "kazi:\*\*\*@" "$T/copy.out"

for c in "workers --json" "batches --json" "export b1" "export b1 --answers" "appeals --json"; do
    # shellcheck disable=SC2086 # c is a command and its options
    "$KAZI" $c --db "$DB" >"$T/a.out" 2>&1
    # shellcheck disable=SC2086
    "$KAZI" $c --db "$U" >"$T/b.out" 2>&1
    check "kazi $c: the copy says what the file says" cmp -s "$T/a.out" "$T/b.out"
done
"$KAZI" check --db "$U" >"$T/check.out" 2>&1
check "kazi check passes on the copy" [ $? -eq 0 ]
check "pseudonym key copied" [ "$(q "SELECT value FROM meta WHERE key = 'pseudonym_key'")" = \
    "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'pseudonym_key'")" ]
check "tasks.taken recounted, as in the file" [ "$(q "SELECT sum(taken) FROM tasks")" = \
    "$(sqlite3 "$DB" "SELECT sum(taken) FROM tasks")" ]

max=$(sqlite3 "$DB" "SELECT max(id) FROM workers")
"$KAZI" sms in --from "+254700000009" --db "$U" JOIN >/dev/null 2>&1
check "a new worker gets an id past the copied ones" \
    [ "$(q "SELECT id FROM workers WHERE phone = '+254700000009'")" -gt "$max" ]
check "the new worker got a task offered" \
    [ "$(q "SELECT count(*) FROM assignments a JOIN workers w ON w.id = a.worker_id WHERE w.phone = '+254700000009'")" -ge 1 ]

before=$(q "SELECT count(*) FROM messages")
"$KAZI" copy-db --db "$DB" --to "$U" >"$T/again.out" 2>&1
check "a second copy is refused" [ $? -eq 1 ]
check "it says why" grep -q "already holds data" "$T/again.out"
check "and changes nothing" [ "$(q "SELECT count(*) FROM messages")" = "$before" ]

"$KAZI" copy-db --db "$DB" --to "$T/other.db" >"$T/usage.out" 2>&1
check "--to a file is a usage error" [ $? -eq 2 ]
"$KAZI" copy-db --db "$U" --to "$U" >"$T/usage2.out" 2>&1
check "--db a PostgreSQL URI is a usage error" [ $? -eq 2 ]
check "the SQLite file is unchanged by copying" [ "$(sqlite3 "$DB" "SELECT count(*) FROM workers")" = 4 ]
kz_report
