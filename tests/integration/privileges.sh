#!/bin/sh
# privileges.sh - least privilege (docs/operations.md "Privileges"): every
# file `kazi import` and `kazi serve` create on a fresh database is mode 0600
# whatever the caller's umask; a configuration holding a SIM PIN or a
# mobile-money PIN that group or others can read is refused. As root:
# `kazi serve` without --user refuses with exit 1; with --user the running
# daemon's /proc/PID/status shows the user's uid and gid (real, effective,
# saved, fs), exactly the groups initgroups gives (a throwaway system user in
# `dialout` shows the serial-port group arrives) and no capabilities; the
# files it made are the user's; --user root is refused; --user when not root
# is refused. The simulator's pseudo-terminal is root's, so a daemon that gets
# ready as nobody opened it before the drop. Not root: the root cases are counted and printed as skipped.
# Uses $KAZI_BIN and `kazi sim`. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup privileges
chmod 755 "$T"
SIM= DAEMON= TESTUSER=
cleanup() {
    kz_kill $DAEMON $SIM
    [ -n "$TESTUSER" ] && userdel "$TESTUSER" 2>/dev/null
    kz_remove_temp
}
trap cleanup EXIT INT TERM
skipped=0
mode_is() { # mode_is FILE MODE
    m=$(stat -c %a "$1" 2>/dev/null)
    [ "$m" = "$2" ] && ok || bad "$1: mode ${m:-missing}, want $2"
}
ROOT=no
[ "$(id -u)" = 0 ] && ROOT=yes

# kazi import on a fresh database, with a umask that would leave it world-readable.
printf '%s\n' 'id,type,prompt,options' '1,verify,Is the shop open?,Yes|No' >"$T/tasks.csv"
(umask 022; "$KAZI" import "$T/tasks.csv" --batch b --requester Acme --db "$T/imported.db") \
    >"$T/out" 2>&1 && ok || bad "import: $(cat "$T/out")"
mode_is "$T/imported.db" 600
(umask 022; "$KAZI" backup "$T/copy.db" --db "$T/imported.db") >"$T/out" 2>&1 && ok \
    || bad "backup: $(cat "$T/out")"
mode_is "$T/copy.db" 600

# Configurations: a PIN needs 0600; without a secret any mode is accepted.
conf() { # conf FILE EXTRA_SECTION_TEXT
    cat >"$1" <<EOF
[gateway]
database = $T/k.db
log_level = debug
[modem m1]
port = $T/m1
$2
EOF
}
conf "$T/sim-pin.conf" "pin = 8642"
chmod 640 "$T/sim-pin.conf"
if "$KAZI" serve -c "$T/sim-pin.conf" --check >"$T/out" 2>&1; then bad "a group-readable SIM PIN passed"
else ok; fi
grep -q "sim-pin.conf: holds a secret (a PIN, a password or a token) but is readable by group or others (mode 0640)" "$T/out" \
    && ok || bad "SIM PIN refusal: $(cat "$T/out")"
if grep -q 8642 "$T/out"; then bad "the refusal prints the PIN"; else ok; fi
if "$KAZI" serve -c "$T/sim-pin.conf" >"$T/out" 2>&1; then bad "serve ran with a readable PIN"
else ok; fi
grep -q "mode 0640" "$T/out" && ok || bad "serve refusal: $(cat "$T/out")"
printf '[payout]\npin = 5791\n' >"$T/pay.extra"
conf "$T/pay-pin.conf" ""
cat "$T/pay.extra" >>"$T/pay-pin.conf"
chmod 604 "$T/pay-pin.conf"
if "$KAZI" serve -c "$T/pay-pin.conf" --check >"$T/out" 2>&1; then bad "a world-readable payout PIN passed"
else ok; fi
grep -q "pay-pin.conf: .*readable by group or others (mode 0604)" "$T/out" && ok \
    || bad "payout PIN refusal: $(cat "$T/out")"
chmod 600 "$T/pay-pin.conf" "$T/sim-pin.conf"
"$KAZI" serve -c "$T/pay-pin.conf" --check >"$T/out" 2>&1 && ok || bad "0600 refused: $(cat "$T/out")"
conf "$T/k.conf" ""
chmod 644 "$T/k.conf"
"$KAZI" serve -c "$T/k.conf" --check >"$T/out" 2>&1 && ok || bad "no secret, 0644 refused: $(cat "$T/out")"

kz_start_sim m1 s.ctl sim.log; SIM=$!
kz_sims_up s.ctl && ok || bad "simulator did not start: $(cat "$T/sim.log")"

# serve_as USER...: start the daemon on a fresh database; 0 once modem m1 is ready.
serve_as() {
    rm -f "$T/k.db" "$T/k.db-wal" "$T/k.db-shm" "$T/k.db.lock"
    : >"$T/serve.log"
    (umask 022; exec "$KAZI" serve -c "$T/k.conf" "$@" >>"$T/serve.log" 2>&1) & DAEMON=$!
    wait_for 15 grep -q "modem m1: ready" "$T/serve.log"
}
stop_daemon() {
    kill -TERM "$DAEMON" 2>/dev/null
    wait_for 10 sh -c "! kill -0 $DAEMON"
    wait "$DAEMON" 2>/dev/null
    DAEMON=
}
files_are() { # files_are OWNER: the daemon's files, 0600, owned by OWNER
    for f in "$T/k.db" "$T/k.db-wal" "$T/k.db-shm" "$T/k.db.lock"; do
        mode_is "$f" 600
        o=$(stat -c %U "$f" 2>/dev/null)
        [ "$o" = "$1" ] && ok || bad "$f: owner ${o:-missing}, want $1"
    done
}
status_field() { # status_field PID NAME: the values of a /proc/PID/status line
    sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' ' | sed 's/ *$//'
}
groups_of() { # the groups initgroups gives USER, sorted, one line
    id -G "$1" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ *$//'
}
proc_groups() {
    status_field "$1" Groups | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ' | sed 's/ *$//'
}
check_dropped() { # check_dropped USER
    u=$(id -u "$1"); g=$(id -g "$1")
    [ "$(status_field "$DAEMON" Uid)" = "$u $u $u $u" ] && ok \
        || bad "Uid: $(status_field "$DAEMON" Uid), want $u x4"
    [ "$(status_field "$DAEMON" Gid)" = "$g $g $g $g" ] && ok \
        || bad "Gid: $(status_field "$DAEMON" Gid), want $g x4"
    [ "$(proc_groups "$DAEMON")" = "$(groups_of "$1")" ] && ok \
        || bad "Groups: '$(proc_groups "$DAEMON")', want '$(groups_of "$1")'"
    [ "$(status_field "$DAEMON" CapEff)" = 0000000000000000 ] && \
        [ "$(status_field "$DAEMON" CapPrm)" = 0000000000000000 ] && ok \
        || bad "capabilities left: $(grep ^Cap "/proc/$DAEMON/status")"
    grep -q "running as user $1 (uid $u, gid $g" "$T/serve.log" && ok \
        || bad "no 'running as' line: $(grep running "$T/serve.log")"
}

ROOT_CHECKS=29 # the checks of the root branch below
if [ "$ROOT" = yes ]; then
    # Root without --user: refused before anything is opened.
    "$KAZI" serve -c "$T/k.conf" >"$T/out" 2>&1; rc=$?
    [ "$rc" = 1 ] && ok || bad "root without --user: exit $rc"
    grep -q "kazi serve: refusing to run as root; run as the kazi user, or give --user NAME" "$T/out" \
        && ok || bad "root refusal: $(cat "$T/out")"
    [ ! -e "$T/k.db" ] && [ ! -e "$T/k.db.lock" ] && ok || bad "files made before refusing root"

    # --user nobody: ids, groups, capabilities, files.
    if serve_as --user nobody; then ok; else bad "daemon as nobody not ready: $(tail -5 "$T/serve.log")"; fi
    check_dropped nobody
    files_are nobody
    stop_daemon

    # A throwaway system user in dialout: initgroups brings the serial-port group.
    TESTUSER=kzpt$$
    if useradd --system --no-create-home --shell /usr/sbin/nologin -G dialout "$TESTUSER" \
        >"$T/out" 2>&1; then ok; else bad "useradd: $(cat "$T/out")"; TESTUSER=; fi
    if [ -n "$TESTUSER" ] && serve_as --user "$TESTUSER"; then ok; else bad "daemon as $TESTUSER"; fi
    dialout=$(getent group dialout | cut -d: -f3)
    proc_groups "$DAEMON" | tr ' ' '\n' | grep -qx "$dialout" && ok \
        || bad "dialout ($dialout) not in Groups: $(proc_groups "$DAEMON")"
    check_dropped "$TESTUSER"
    stop_daemon

    # --user root is no drop at all.
    rm -f "$T/k.db.lock"
    timeout 30 "$KAZI" serve -c "$T/k.conf" --user root >"$T/out" 2>&1; rc=$?
    [ "$rc" = 1 ] && ok || bad "--user root: exit $rc"
    grep -q -- "--user root: that is root" "$T/out" && ok || bad "--user root: $(tail -3 "$T/out")"
    # Not root but --user: refused.
    setpriv --reuid nobody --regid nogroup --clear-groups "$KAZI" serve -c "$T/k.conf" --user nobody \
        >"$T/out" 2>&1; rc=$?
    [ "$rc" = 1 ] && ok || bad "--user as nobody: exit $rc"
    grep -q -- "--user needs to be started as root" "$T/out" && ok || bad "non-root --user: $(cat "$T/out")"
else
    # Not root: the daemon runs as this user; the files are still 0600.
    if serve_as; then ok; else bad "daemon not ready: $(tail -5 "$T/serve.log")"; fi
    files_are "$(id -un)"
    stop_daemon
    skipped=$ROOT_CHECKS
fi
kz_no_sanitizer_report "$T/serve.log"

[ "$skipped" -gt 0 ] && echo "skipped: needs root: $skipped checks"
kz_report
