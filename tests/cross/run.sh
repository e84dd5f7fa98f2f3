#!/bin/sh
# run.sh - cross-builds kazi and its unit and vector tests for 32- and 64-bit
# ARM with Debian's cross compilers (warnings are errors), then runs every test
# program under qemu-user against Debian's ARM libraries (tests/cross/sysroot.sh).
# Usage: tests/cross/run.sh [ARCH...]   (default: armhf arm64)
# Build dirs build/ARCH, sysroots build/sysroot/ARCH. Prints one line per arch,
# then "N passed, N failed" summed over the test programs' own lines; a build
# that fails, a missing tool or a program without a summary line counts 1 failed.
# Never installs anything (.ci/install-deps.sh does, as root).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
: "${KAZI_VECTORS:=$ROOT/../shared/vectors}"
export KAZI_VECTORS
# A make of our own, not a sub-make of `make test` (its -j and jobserver).
unset MAKEFLAGS MFLAGS MAKELEVEL
JOBS=${JOBS:-2}
[ $# -gt 0 ] || set -- armhf arm64

total_pass=0
total_fail=0
tally() { # tally PASSED FAILED
    total_pass=$((total_pass + $1))
    total_fail=$((total_fail + $2))
}

cross_arch() { # cross_arch ARCH
    arch=$1
    case $arch in
        armhf) triplet=arm-linux-gnueabihf; qemu="qemu-arm" ;;
        arm64) triplet=aarch64-linux-gnu; qemu="qemu-aarch64" ;;
        *) echo "FAIL $arch: unknown architecture"; tally 0 1; return ;;
    esac
    for tool in "$triplet-gcc" "$qemu" apt-get dpkg-deb; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "FAIL $arch: $tool not found (run .ci/install-deps.sh as root)"
            tally 0 1
            return
        fi
    done
    sr=$ROOT/build/sysroot/$arch
    if ! sh tests/cross/sysroot.sh "$arch" "$sr"; then
        echo "FAIL $arch: no sysroot in $sr"
        tally 0 1
        return
    fi
    # pkg-config reading only the sysroot's .pc files, its paths prefixed with it.
    cat >"$sr/pkg-config" <<EOF
#!/bin/sh
PKG_CONFIG_LIBDIR=$sr/root/usr/lib/$triplet/pkgconfig:$sr/root/usr/share/pkgconfig \
PKG_CONFIG_SYSROOT_DIR=$sr/root exec pkg-config "\$@"
EOF
    chmod +x "$sr/pkg-config"

    b=build/$arch
    progs=$(ls tests/unit/test_*.c tests/vectors/test_*.c | sed "s|^tests/\(.*\)\.c\$|$b/tests/\1|")
    # shellcheck disable=SC2086
    if ! make --no-print-directory -j"$JOBS" B="$b" CC="$triplet-gcc" PKG_CONFIG="$sr/pkg-config" \
        CFLAGS="-O1" EXTRA_CFLAGS="--sysroot=$sr/root -Werror" "$b/kazi" $progs \
        >"$b.log" 2>&1; then
        echo "FAIL $arch: build (warnings are errors):"
        grep -E 'error|warning' "$b.log" | head -n 20
        tally 0 1
        return
    fi
    if "$qemu" -L "$sr/root" "$b/kazi" --version >"$b.out" 2>&1; then
        tally 1 0
    else
        echo "FAIL $arch: kazi --version under $qemu"; cat "$b.out"
        tally 0 1
    fi

    # Run the programs JOBS at a time under qemu; each writes PROG.out, its last line "exit N".
    rm -f "$b"/tests/*/*.out
    # shellcheck disable=SC2016,SC2086
    printf '%s\n' $progs | QEMU=$qemu SYSROOT=$sr/root xargs -P "$JOBS" -n 1 sh -c \
        '"$QEMU" -L "$SYSROOT" "$1" >"$1.out" 2>&1; echo "exit $?" >>"$1.out"' sh
    ap=0
    af=0
    nprog=0
    for prog in $progs; do
        o=$prog.out
        name=$(basename "$(dirname "$prog")")/$(basename "$prog")
        nprog=$((nprog + 1))
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$o" 2>/dev/null | tail -n 1)
        rc=$(tail -n 1 "$o" 2>/dev/null | sed -n 's/^exit //p')
        if [ -z "$line" ]; then
            p=0; f=1
            echo "FAIL $arch $name: no summary line (exit ${rc:-none})"
            tail -n 15 "$o" 2>/dev/null
        else
            p=${line%% passed*}
            f=${line#* passed, }; f=${f%% failed*}
            if [ "$f" -ne 0 ] || [ "${rc:-1}" -ne 0 ]; then
                [ "$f" -eq 0 ] && f=1
                echo "FAIL $arch $name: $line (exit $rc)"
                grep -E 'FAIL|ERROR' "$o" | head -n 20
            fi
        fi
        ap=$((ap + p))
        af=$((af + f))
    done
    echo "$arch ($triplet, $qemu): $ap passed, $af failed in $nprog programs"
    tally "$ap" "$af"
}

for a in "$@"; do
    cross_arch "$a"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
