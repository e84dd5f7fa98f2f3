#!/bin/sh
# sysroot.sh - makes DIR/root, a sysroot of Debian's ARCH packages of kazi's
# libraries (and libc), for a cross build and for running it under qemu-user.
# Usage: tests/cross/sysroot.sh ARCH DIR   (ARCH: armhf, arm64)
# Owns: the private apt lists and .deb cache in DIR. Never touches the host's
# dpkg database or apt lists: the packages are unpacked, not installed.
# Why unpacked: libgammu8 and libgammu-dev are not Multi-Arch: same (they put
# /usr/lib/libGammu.so* at the same path for every architecture), and the
# Multi-Arch: same packages must match the host's versions exactly, which
# breaks as soon as the host has a security update the foreign index lacks.
set -eu
ARCH=$1
D=$2
ROOTS="libc6-dev libserialport-dev libgammu-dev libsqlite3-dev libjansson-dev \
libinih-dev libmicrohttpd-dev libcsv-dev libcurl4-openssl-dev libpq-dev"

# .complete holds the package list it was made from: a new library remakes it.
[ -f "$D/root/.complete" ] && [ "$(cat "$D/root/.complete")" = "$ROOTS" ] && exit 0
mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$D/debs"
: >"$D/status"
set -- -o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH" \
    -o "Dir::State::Lists=$D/lists" -o "Dir::State::status=$D/status" \
    -o "Dir::Cache=$D/cache" -o Debug::NoLocking=1 -o Acquire::Languages=none
[ "$(id -u)" -eq 0 ] && set -- "$@" -o APT::Sandbox::User=root

# A foreign index that fails to download (a mirror mid-sync) only costs its
# updates: the packages below are then taken from the lists that did load.
apt-get "$@" -qq update >"$D/update.log" 2>&1 ||
    echo "sysroot $ARCH: apt-get update reported errors (see $D/update.log); going on" >&2
# shellcheck disable=SC2086
pkgs=$(apt-cache "$@" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances $ROOTS |
    grep -E '^[a-z0-9]' | sort -u)
[ -n "$pkgs" ] || { echo "sysroot $ARCH: no packages found (apt lists in $D/lists)" >&2; exit 1; }
# shellcheck disable=SC2086
(cd "$D/debs" && apt-get "$@" -qq download $pkgs) ||
    { echo "sysroot $ARCH: apt-get download failed" >&2; exit 1; }

rm -rf "$D/root"
mkdir -p "$D/root"
for f in "$D"/debs/*.deb; do
    dpkg-deb -x "$f" "$D/root"
done
echo "$ROOTS" >"$D/root/.complete"
echo "sysroot $ARCH: $(ls "$D"/debs/*.deb | wc -l) packages unpacked in $D/root"
