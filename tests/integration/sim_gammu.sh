#!/bin/sh
# sim_gammu.sh - fidelity of `kazi sim` against an independent client: the
# real gammu command-line tool (Debian gammu 1.42, connection = at) talks to
# the simulator over its pseudo-terminal. identify, sendsms (single, and a
# multipart Unicode message), getallsms of injected messages (single,
# multipart, UCS-2), getussd through a USSD script, and a port that vanishes
# and comes back. JSON from `kazi sim ctl` is checked with /usr/bin/python3.
# Prints "N passed, N failed". The simulator is always killed (trap) and
# every wait is bounded by timeout(1).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KAZI=${KAZI_BIN:-$ROOT/build/kazi}
PY=/usr/bin/python3
# gammu converts message text to and from the locale's charset: under LANG=C
# (sudo, cron, a bare environment) the UCS-2 texts come out as '?' and the
# comparisons fail. Pin a UTF-8 locale (Debian always has C.UTF-8).
LC_ALL=C.UTF-8
export LC_ALL
# A prefix of our own: something on shared machines sweeps /tmp/tmp.* away.
TMP=$(mktemp -d /tmp/kazi-gammu.XXXXXX)
SIM_PID=
passed=0
failed=0

cleanup() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check NAME COMMAND...
    name=$1; shift
    if "$@"; then ok; else bad "$name"; fi
}

if ! command -v gammu >/dev/null 2>&1; then
    echo "FAIL: gammu is not installed (Debian package gammu)"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -x "$KAZI" ]; then
    echo "FAIL: no kazi binary at $KAZI (set KAZI_BIN)"
    echo "0 passed, 1 failed"
    exit 1
fi

ctl() { timeout 10 "$KAZI" sim ctl "$TMP/ctl" "$@"; }
# Each gammu run logs to its own file (gammu.N.log) so a failure shows its own session.
GAM_N=0
gam() {
    GAM_N=$((GAM_N + 1))
    sed "s|^logfile = .*|logfile = $TMP/gammu.$GAM_N.log|" "$TMP/gammurc" >"$TMP/gammurc.$GAM_N"
    cp "$TMP/gammurc.$GAM_N" "$TMP/gammurc.last"
    timeout 60 gammu -c "$TMP/gammurc.$GAM_N" "$@"
}

# ---- start the simulator ----
"$KAZI" sim --link "$TMP/modem" --control "$TMP/ctl" \
    --script "$ROOT/tests/data/ussd/mpesa-ke.ussd" >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
timeout 10 sh -c "while [ ! -S '$TMP/ctl' ] || [ ! -L '$TMP/modem' ]; do sleep 0.05; done"
check "simulator started (socket and link)" test -S "$TMP/ctl" -a -L "$TMP/modem"
check "slave path printed on stdout" \
    sh -c "head -n 1 '$TMP/sim.out' | grep -q '^/dev/pts/'"
check "link points at the printed path" \
    sh -c "[ \"\$(readlink '$TMP/modem')\" = \"\$(head -n 1 '$TMP/sim.out')\" ]"

cat >"$TMP/gammurc" <<EOF
[gammu]
device = $TMP/modem
connection = at
logformat = textall
logfile = $TMP/gammu.log
EOF

# ---- identify ----
gam identify >"$TMP/identify.out" 2>&1
check "gammu identify exits 0" [ $? -eq 0 ]
check "identify: manufacturer" grep -q 'SIMCOM_Ltd' "$TMP/identify.out"
check "identify: IMEI" grep -q '867856030123459' "$TMP/identify.out"
check "identify: IMSI" grep -q '639020123456789' "$TMP/identify.out"

# ---- sendsms, single ----
ctl sent-clear >/dev/null
gam sendsms TEXT +254712345678 -text "Habari" >"$TMP/send1.out" 2>&1
check "gammu sendsms exits 0" [ $? -eq 0 ]
ctl sent >"$TMP/sent1.jsonl"
check "single SMS in the sent log with number and text" $PY - "$TMP/sent1.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = len(rows) == 1 and rows[0]["to"] == "+254712345678" and rows[0]["text"] == "Habari" \
    and rows[0]["coding"] == "gsm7" and rows[0]["concat"] is None
if not ok:
    print(rows)
sys.exit(0 if ok else 1)
EOF

# ---- sendsms, multipart Unicode ----
TEXT="Habari za leo! Kazi mpya imefika 🎉 — tafadhali jibu kwa namba ya kazi na jibu lako. Malipo ni KSh 20 kwa kila jibu sahihi. Asante sana kwa kazi nzuri 👍🏾 ñ ü"
ctl sent-clear >/dev/null
gam sendsms TEXT +254712345678 -unicode -autolen 400 -text "$TEXT" >"$TMP/send2.out" 2>&1
check "gammu sendsms -unicode -autolen exits 0" [ $? -eq 0 ]
ctl sent >"$TMP/sent2.jsonl"
check "multipart Unicode: UCS-2 parts that reassemble to the text" \
    $PY - "$TMP/sent2.jsonl" "$TEXT" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = sys.argv[2]
ok = len(rows) >= 2 and all(r["coding"] == "ucs2" and r["concat"] for r in rows)
ok = ok and len({r["concat"]["ref"] for r in rows}) == 1
ok = ok and sorted(r["concat"]["seq"] for r in rows) == list(range(1, len(rows) + 1))
ok = ok and all(r["concat"]["total"] == len(rows) for r in rows)
ok = ok and all(r["to"] == "+254712345678" for r in rows)
got = "".join(r["text"] for r in sorted(rows, key=lambda r: r["concat"]["seq"])) if ok else None
ok = ok and got == want
if not ok:
    print(rows)
sys.exit(0 if ok else 1)
EOF
check "message references increment" $PY - "$TMP/sent2.jsonl" <<'EOF'
import json, sys
mrs = [json.loads(l)["mr"] for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if mrs == list(range(mrs[0], mrs[0] + len(mrs))) else 1)
EOF

# ---- inject, then getallsms ----
LONG="Kazi 42: Je, duka hili liko wazi? Jibu 1 kwa ndiyo au 2 kwa hapana. Malipo KSh 20, muda dakika 2. Ujumbe huu ni mrefu kwa makusudi ili ugawanywe katika sehemu mbili au zaidi."
UCS="Jambo 🌍 dunia — ñ"
check "inject single" sh -c "ctl() { timeout 10 '$KAZI' sim ctl '$TMP/ctl' \"\$@\"; }; ctl inject +254700000001 Habari yako | grep -q 'ok parts=1'"
ctl inject MPESA "$LONG" >"$TMP/inj2.out"
check "inject multipart" grep -q 'ok parts=2' "$TMP/inj2.out"
ctl inject-ucs2 +254700000003 "$UCS" >"$TMP/inj3.out"
check "inject UCS-2" grep -q 'ok parts=1' "$TMP/inj3.out"
ctl storage >"$TMP/storage.jsonl"
check "storage lists 4 unread SMS-DELIVER" $PY - "$TMP/storage.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = len(rows) == 4 and all(r["type"] == "deliver" and r["stat"] == 0 for r in rows)
sys.exit(0 if ok else 1)
EOF
gam getallsms >"$TMP/getall.out" 2>&1
check "gammu getallsms exits 0" [ $? -eq 0 ]
check "getallsms lists injected single, multipart and UCS-2" \
    $PY - "$TMP/getall.out" "$LONG" "$UCS" <<'EOF'
import re, sys
out = open(sys.argv[1], encoding="utf-8", errors="replace").read()
blocks = re.split(r"\nLocation ", "\n" + out)[1:]
msgs = []
for b in blocks:
    head, _, body = b.partition("\n\n")
    num = re.search(r'Remote number\s*: "([^"]*)"', head)
    part = re.search(r"part (\d+) of (\d+)", head)
    body = re.split(r"\n\n", body)[0].rstrip("\n")  # the last block also holds the summary
    msgs.append((num.group(1) if num else None, int(part.group(1)) if part else 0,
                 body, "Unicode" in head))
ok = len(msgs) == 4
single = [m for m in msgs if m[0] == "+254700000001"]
ok = ok and len(single) == 1 and single[0][2] == "Habari yako"
parts = sorted(m for m in msgs if m[0] == "MPESA")
ok = ok and len(parts) == 2 and "".join(p[2] for p in parts) == sys.argv[2]
ucs = [m for m in msgs if m[0] == "+254700000003"]
ok = ok and len(ucs) == 1 and ucs[0][2] == sys.argv[3] and ucs[0][3]
if not ok:
    print(msgs)
sys.exit(0 if ok else 1)
EOF

# ---- USSD through the script ----
gam getussd '*334#' >"$TMP/ussd.out" 2>&1
check "gammu getussd exits 0" [ $? -eq 0 ]
check "USSD menu from the script" grep -q '1. Send money' "$TMP/ussd.out"
check "USSD asks for more (status)" grep -q 'Action needed' "$TMP/ussd.out"

# ---- the port vanishes and comes back ----
OLD=$(readlink "$TMP/modem")
ctl fault vanish 300 >/dev/null
timeout 10 sh -c "while [ \"\$(readlink '$TMP/modem' 2>/dev/null)\" = '' ] || [ \"\$(readlink '$TMP/modem')\" = '$OLD' ]; do sleep 0.05; done"
check "link re-pointed after vanish" [ -L "$TMP/modem" ]
gam identify >"$TMP/identify2.out" 2>&1
check "gammu identify after the port came back" [ $? -eq 0 ]
check "SIM storage survived the vanish" sh -c "timeout 10 '$KAZI' sim ctl '$TMP/ctl' stats | grep -q '\"sm_used\":4'"

# ---- control errors and clean exit ----
timeout 10 "$KAZI" sim ctl "$TMP/ctl" fault bogus >/dev/null 2>&1
check "ctl exits 1 on error" [ $? -eq 1 ]
kill -TERM "$SIM_PID"
timeout 10 sh -c "while kill -0 $SIM_PID 2>/dev/null; do sleep 0.05; done"
wait "$SIM_PID" 2>/dev/null
rc=$?
SIM_PID=
check "SIGTERM exits 0" [ "$rc" -eq 0 ]
check "link removed on exit" [ ! -e "$TMP/modem" ] 
check "socket removed on exit" [ ! -e "$TMP/ctl" ]

if [ "$failed" -ne 0 ]; then
    echo "--- simulator stderr"; tail -n 20 "$TMP/sim.err"
    echo "--- last gammu log tail"; tail -n 40 "$TMP/gammu.$GAM_N.log" 2>/dev/null
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
