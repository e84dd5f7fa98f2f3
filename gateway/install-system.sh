#!/bin/sh
# install-system.sh - the root-only half of `make install` (docs/install.md):
# the system user kazi (in dialout, for the serial ports), the ownership of the
# configuration and the data directory, and the systemd unit enabled; a note
# when libmicrohttpd12, needed only for [http] listen, is missing, and one when
# libgammu8, needed only for driver = gammu, is.
# Usage: install-system.sh CONF STATEDIR CONFDIR
# Owns: those steps. Never edits or replaces a file, never starts the daemon
# (the configuration names the modem port: the admin edits it first).
set -eu
CONF=$1
STATEDIR=$2
CONFDIR=$3

if getent passwd kazi >/dev/null; then
    echo "user kazi exists"
elif command -v adduser >/dev/null; then
    adduser --system --group --home "$STATEDIR" --no-create-home kazi
else
    useradd --system --user-group --home-dir "$STATEDIR" --no-create-home \
        --shell /usr/sbin/nologin kazi
fi
if getent group dialout >/dev/null; then
    usermod -a -G dialout kazi
else
    echo "no dialout group: give kazi access to the modem's device by hand" >&2
fi

# The daemon writes the database; it reads the configuration, which may hold PINs.
chown kazi:kazi "$STATEDIR" "$CONF"
chmod 0750 "$STATEDIR"
chown root:kazi "$CONFDIR"
chmod 0750 "$CONFDIR"

# kazi loads libmicrohttpd only when [http] listen is set (docs/http.md).
if ! ldconfig -p 2>/dev/null | grep -q 'libmicrohttpd\.so\.12 '; then
    echo "libmicrohttpd12 is not installed: fine without [http]; [http] listen needs it (apt-get install libmicrohttpd12)"
fi
# ... and libgammu only when a modem uses driver = gammu (docs/gammu-driver.md).
if ! ldconfig -p 2>/dev/null | grep -q 'libGammu\.so\.8 '; then
    echo "libgammu8 is not installed: fine for driver = at; driver = gammu needs it (apt-get install libgammu8)"
fi

if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable kazi
    echo "kazi is enabled; edit $CONF, check it with 'kazi serve --check -c $CONF', then: systemctl start kazi"
else
    echo "systemd is not running here: skipped 'systemctl daemon-reload' and 'systemctl enable kazi'"
fi
