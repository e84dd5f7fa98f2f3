#!/bin/sh
# modem_list.sh - runs `$KAZI_BIN modem list` and `modem list --json` on this
# machine (whatever ports it has, often none) and checks exit status, the
# table or the no-port advice, and that the JSON parses with the shape
# scripts rely on. Prints "N passed, N failed". Never opens a port.
set -u
KAZI=${KAZI_BIN:-build/kazi}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

if "$KAZI" modem list >"$out" 2>&1; then ok; else bad "modem list exit $?"; cat "$out" >&2; fi
if grep -q '^PORT ' "$out" || grep -q 'No serial ports found' "$out"; then ok
else bad "modem list printed neither a table nor the no-port advice"; cat "$out" >&2; fi
if grep -q 'No serial ports found' "$out"; then
    if grep -q dmesg "$out" && grep -q usb_modeswitch "$out"; then ok
    else bad "no-port advice lacks dmesg/usb_modeswitch"; fi
fi

if "$KAZI" modem list --json >"$out" 2>&1; then ok; else bad "modem list --json exit $?"; fi
if /usr/bin/python3 - "$out" <<'PY'
import json, sys
ports = json.load(open(sys.argv[1]))
assert isinstance(ports, list), "not a list"
for p in ports:
    assert p["path"].startswith("/dev/"), p
    assert p["by_id"] is None or p["by_id"].startswith("/dev/serial/by-id/"), p
    assert "description" in p
    u = p["usb"]
    assert u is None or (len(u["vid"]) == 4 and len(u["pid"]) == 4), p
print(len(ports), "port(s)", file=sys.stderr)
PY
then ok; else bad "modem list --json is not the expected JSON"; cat "$out" >&2; fi

"$KAZI" modem >/dev/null 2>&1
if [ $? -eq 2 ]; then ok; else bad "bare 'kazi modem' should be a usage error (2)"; fi
"$KAZI" modem no-such-thing >/dev/null 2>&1
if [ $? -eq 2 ]; then ok; else bad "unknown modem subcommand should exit 2"; fi
"$KAZI" modem list --bogus >/dev/null 2>&1
if [ $? -eq 2 ]; then ok; else bad "unknown option should exit 2"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
