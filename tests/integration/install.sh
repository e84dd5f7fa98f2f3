#!/bin/sh
# install.sh - runs `make install` twice into a staging tree (DESTDIR, PREFIX=/usr)
# and once into a private PREFIX, and inspects what it put there: every file,
# the modes, the unit's ExecStart and User lines, the configuration kept on a
# second install, the installed kazi running and reading the installed
# templates; then `make uninstall`. The installed kazi is the objects of
# $KAZI_BUILD relinked (only the files naming the template directory are
# compiled again). Prints "N passed, N failed".
# Never writes outside its temp dir and $KAZI_BUILD/install (SYSTEM_SETUP=no:
# no user, no chown, no systemctl).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${KAZI_BUILD:-$ROOT/build}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    d=$1; shift
    if "$@"; then ok; else bad "$d"; fi
}
T=$(mktemp -d /tmp/kazi-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
S=$T/stage
unset KAZI_TEMPLATES
# Our own make, not a sub-make of `make test` (its variables, -j and jobserver).
unset MAKEFLAGS MFLAGS MAKELEVEL

minst() { # make install|uninstall VAR=VALUE...
    make -s --no-print-directory -C "$ROOT" B="$B" SYSTEM_SETUP=no "$@" >>"$T/make.log" 2>&1
}
mode_is() { # mode_is OCTAL PATH
    [ -e "$2" ] && [ "$(stat -c %a "$2")" = "$1" ] ||
        { echo "  $2: mode $(stat -c %a "$2" 2>/dev/null || echo absent), want $1" >&2; return 1; }
}

# ---- staging tree ----
if minst install DESTDIR="$S" PREFIX=/usr; then ok
else bad "make install DESTDIR=$S PREFIX=/usr"; tail -n 20 "$T/make.log" >&2; fi

check "kazi binary 0755" mode_is 755 "$S/usr/bin/kazi"
for f in "$ROOT"/tasks/templates/*.tmpl; do
    i=$S/usr/share/kazi/templates/$(basename "$f")
    check "template $(basename "$f") installed, 0644" mode_is 644 "$i"
    check "template $(basename "$f") is the tree's" cmp -s "$f" "$i"
done
for f in "$ROOT"/tasks/providers/*; do
    i=$S/usr/share/kazi/providers/$(basename "$f")
    check "provider file $(basename "$f") installed, 0644" mode_is 644 "$i"
done
check "demo sample installed" mode_is 644 "$S/usr/share/kazi/samples/demo-batch.csv"
for f in README.md configuration.md install.md hardware.md kazi.conf.example; do
    check "doc $f installed" mode_is 644 "$S/usr/share/doc/kazi/$f"
done
check "udev rule example installed" mode_is 644 "$S/usr/share/doc/kazi/udev/99-kazi-modems.rules"
U=$S/usr/lib/systemd/system/kazi.service
check "unit 0644 in /usr/lib/systemd/system" mode_is 644 "$U"
check "config 0600" mode_is 600 "$S/etc/kazi/kazi.conf"
check "config dir 0750" mode_is 750 "$S/etc/kazi"
check "data dir 0750" mode_is 750 "$S/var/lib/kazi"

# The unit runs the installed binary as kazi, with the hardening in place.
for line in 'ExecStart=/usr/bin/kazi serve -c /etc/kazi/kazi.conf' \
    'ExecStartPre=/usr/bin/kazi serve --check -c /etc/kazi/kazi.conf' \
    'User=kazi' 'Group=kazi' 'SupplementaryGroups=dialout' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'ReadWritePaths=/var/lib/kazi' 'StateDirectory=kazi' \
    'WantedBy=multi-user.target'; do
    check "unit line '$line'" grep -qxF "$line" "$U"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    # The binary path is the final one, absent in a staging tree: that is the only complaint allowed.
    systemd-analyze verify "$U" 2>&1 | grep -v 'is not executable' >"$T/verify"
    if [ -s "$T/verify" ]; then bad "systemd-analyze verify kazi.service"; cat "$T/verify" >&2; else ok; fi
fi

# The configuration points at the installed provider files and is valid as shipped.
check "config names /usr/share/kazi/providers" \
    grep -qx 'providers = /usr/share/kazi/providers' "$S/etc/kazi/kazi.conf"
if "$S/usr/bin/kazi" serve --check -c "$S/etc/kazi/kazi.conf" >"$T/out" 2>&1; then ok
else bad "installed kazi serve --check on the installed configuration"; cat "$T/out" >&2; fi
if "$S/usr/bin/kazi" --version >"$T/out" 2>&1 && grep -q '^kazi [0-9]' "$T/out"; then ok
else bad "installed kazi --version"; cat "$T/out" >&2; fi
check "kazi built to read /usr/share/kazi/templates" \
    grep -qaF /usr/share/kazi/templates "$S/usr/bin/kazi"

# A second install keeps the admin's configuration.
echo "; edited by the admin" >>"$S/etc/kazi/kazi.conf"
: >"$T/make.log"
if minst install DESTDIR="$S" PREFIX=/usr; then ok; else bad "second make install"; fi
check "second install keeps the edited config" grep -qx '; edited by the admin' "$S/etc/kazi/kazi.conf"
check "second install says it kept the config" grep -q "^kept $S/etc/kazi/kazi.conf" "$T/make.log"
check "config still 0600" mode_is 600 "$S/etc/kazi/kazi.conf"

# uninstall removes what install put, never the configuration or the data.
if minst uninstall DESTDIR="$S" PREFIX=/usr; then ok; else bad "make uninstall"; fi
for f in usr/bin/kazi usr/share/kazi usr/share/doc/kazi usr/lib/systemd/system/kazi.service; do
    check "uninstall removed /$f" test ! -e "$S/$f"
done
check "uninstall kept the config" test -f "$S/etc/kazi/kazi.conf"
check "uninstall kept the data dir" test -d "$S/var/lib/kazi"

# ---- a private PREFIX: the installed kazi reads the installed templates ----
P=$T/pfx
if minst install PREFIX="$P" SYSCONFDIR="$P/etc" STATEDIR="$P/var/lib/kazi"; then ok
else bad "make install PREFIX=$P"; tail -n 20 "$T/make.log" >&2; fi
check "unit ExecStart follows PREFIX" \
    grep -qxF "ExecStart=$P/bin/kazi serve -c $P/etc/kazi/kazi.conf" "$P/lib/systemd/system/kazi.service"
# Mark the installed help text: the reply must come from the installed file.
sed -i 's/^\(help_new *[0-9]* | \)Kazi pays/\1Installed Kazi pays/' "$P/share/kazi/templates/en.tmpl"
check "marked the installed help_new" grep -q 'Installed Kazi pays' "$P/share/kazi/templates/en.tmpl"
(cd "$T" && "$P/bin/kazi" sms in --from +254711000001 --db "$T/sms.db" HELLO) >"$T/out" 2>&1
if grep -q 'Installed Kazi pays' "$T/out"; then ok
else bad "installed kazi did not reply from $P/share/kazi/templates"; cat "$T/out" >&2; fi

# ---- as root: the system steps (the kazi user, dialout, ownership), with /etc
# behind an overlay in a mount namespace so that this machine's /etc never changes.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1; then
    R=$T/sys
    had_user=$(getent passwd kazi || true)
    mkdir -p "$T/etc-up" "$T/etc-work"
    cat >"$T/root-steps.sh" <<EOF
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/etc,upperdir=$T/etc-up,workdir=$T/etc-work /etc
# Hide a running systemd: the test's unit is not for this machine's systemctl.
if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi
make -s --no-print-directory -C "$ROOT" B="$B" install PREFIX="$R" SYSCONFDIR="$R/etc" \\
    STATEDIR="$R/var/lib/kazi"
echo "groups: \$(id -nG kazi)"
stat -c '%U:%G %a %n' "$R/etc/kazi" "$R/etc/kazi/kazi.conf" "$R/var/lib/kazi"
EOF
    unshare -m sh "$T/root-steps.sh" >"$T/root.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then ok; else bad "make install as root (exit $rc)"; cat "$T/root.out" >&2; fi
    check "root install: kazi in group dialout" grep -qE '^groups: (.* )?dialout( |$)' "$T/root.out"
    check "root install: config kazi:kazi 0600" grep -qxF "kazi:kazi 600 $R/etc/kazi/kazi.conf" "$T/root.out"
    check "root install: config dir root:kazi 0750" grep -qxF "root:kazi 750 $R/etc/kazi" "$T/root.out"
    check "root install: data dir kazi:kazi 0750" grep -qxF "kazi:kazi 750 $R/var/lib/kazi" "$T/root.out"
    check "root install: systemctl skipped without systemd" \
        grep -q 'systemd is not running here' "$T/root.out"
    check "this machine's /etc unchanged" [ "$(getent passwd kazi || true)" = "$had_user" ]
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
