#!/bin/sh
# install-deps.sh - installs the Debian packages kazi builds, tests and fuzzes
# with, if any is missing. Runs apt-get only as root; otherwise prints the
# command to run. Never installs anything but these packages.
# The ARM cross tests (tests/cross/run.sh) need only the cross compilers and
# qemu-user here: they unpack Debian's armhf/arm64 libraries into a sysroot of
# their own (tests/cross/sysroot.sh says why not dpkg --add-architecture).
set -eu
PKGS="gcc make pkg-config clang libclang-rt-14-dev \
libserialport-dev libgammu-dev gammu python3-gammu \
libsqlite3-dev sqlite3 libjansson-dev libinih-dev libmicrohttpd-dev libcsv-dev \
libcurl4-openssl-dev kannel kannel-extras \
postgresql libpq-dev \
libreoffice-calc-nogui time curl chromium \
gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu qemu-user"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "kazi: missing Debian packages:$missing" >&2
    echo "kazi: run as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "kazi: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
