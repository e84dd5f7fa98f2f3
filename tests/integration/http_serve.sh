#!/bin/sh
# http_serve.sh - the [http] listeners of the real daemon over 127.0.0.1:
# a gateway with no modem and only [http] starts, answers and idles without
# burning CPU; the routing table (404, 405 with Allow), the body limits
# (413 with and without a Content-Length), the security headers on every
# answer, failed requests logged without their query or header values;
# 200 connections at once all answered; SIGHUP with a changed [http] key
# keeps the listener and says a restart is needed; SIGTERM stops at once
# with requests in flight; console_listen splits the routes over two
# listeners; a port in use and a world-readable USSD secret are refused;
# a daemon with a simulated modem and [http] serves both. Ports are picked
# free per run. Uses $KAZI_BIN. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.inc"
kz_setup http
SIM1= DAEMON= HOLD=
cleanup() {
    kz_kill $DAEMON $SIM1 $HOLD
    kz_remove_temp
}
trap cleanup EXIT INT TERM

kz_user_opt
kz_temp_for_user

command -v curl >/dev/null 2>&1 || { echo "curl is missing"; echo "0 passed, 1 failed"; exit 1; }

P1=$(kz_free_port); P2=$(kz_free_port); P3=$(kz_free_port)
SECRET=ussd-3d41f0
TOKEN=tok-9b2e77c1a0

# conf FILE [EXTRA LINES]: [gateway] and an [http] section whose extra lines follow.
conf() {
    kz_f=$1; shift
    {
        printf '[gateway]\ndatabase = %s\nlog_level = debug\nhousekeeping_interval = 1s\n' "$T/k.db"
        printf '[http]\nussd_secret = %s\napi_token = %s\nconsole_password = pw-5521aa\n' \
            "$SECRET" "$TOKEN"
        printf '%s\n' "$@"
    } >"$kz_f"
    chmod 600 "$kz_f"
    [ -z "$USEROPT" ] || chown nobody "$kz_f" # the daemon reads it again on SIGHUP
}

# req NAME CURL-ARGS...: headers in $T/NAME.h, body in $T/NAME.b; prints the status.
req() {
    kz_n=$1; shift
    curl -s -o "$T/$kz_n.b" -D "$T/$kz_n.h" -w '%{http_code}' --max-time 10 "$@"
}
hdr() { # hdr NAME HEADER: the header's value in $T/NAME.h (case-insensitive name)
    tr -d '\r' <"$T/$1.h" | sed -n "s/^$2: //Ip" | head -1
}
secure() { # secure NAME: the security headers are all there
    [ "$(hdr "$1" Content-Security-Policy)" = "default-src 'self'; frame-ancestors 'none'" ] &&
        [ "$(hdr "$1" X-Content-Type-Options)" = nosniff ] &&
        [ "$(hdr "$1" Cache-Control)" = no-store ]
}
ussd() { # ussd NAME PORT: a USSD callback with the secret; prints the status
    req "$1" -X POST -H "X-Kazi-USSD-Secret: $SECRET" \
        --data 'sessionId=ATs1&serviceCode=*384*1%23&phoneNumber=%2B254711000001&text=' \
        "http://127.0.0.1:$2/ussd"
}
listening() { grep -q "http: listening on 127.0.0.1:$1 " "$T/serve.log"; }

# ---- no modem, only [http] ----
conf "$T/k.conf" "listen = 127.0.0.1:$P1" "upload_max = 4096" "max_connections = 256"
"$KAZI" serve --check -c "$T/k.conf" >"$T/out" 2>&1 && grep -q "configuration OK (0 modems)" "$T/out" \
    && ok || bad "--check of an [http]-only file: $(cat "$T/out")"
kz_start_daemon; DAEMON=$!
wait_for 20 listening "$P1" && ok || { bad "no listener on $P1"; tail -20 "$T/serve.log"; }

# Routing on a listener that serves everything: /ussd, /api and the console.
s=$(ussd u1 "$P1")
[ "$s" = 200 ] && grep -q '^CON \|^END ' "$T/u1.b" && ok || bad "POST /ussd: $s $(cat "$T/u1.b")"
case $(hdr u1 Content-Type) in text/plain*) ok ;; *) bad "USSD type: $(hdr u1 Content-Type)" ;; esac
secure u1 && ok || bad "security headers on a USSD answer: $(cat "$T/u1.h")"
s=$(req a1 "http://127.0.0.1:$P1/api/batches")
[ "$s" = 401 ] && ok || bad "GET /api/batches without a token: $s"
case $(hdr a1 Content-Type) in application/json*) ok ;; *) bad "API type: $(hdr a1 Content-Type)" ;; esac
secure a1 && ok || bad "security headers on a 401"
s=$(req a2 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P1/api/batches")
[ "$s" = 200 ] && ok || bad "GET /api/batches with the token: $s"
s=$(req c1 "http://127.0.0.1:$P1/")
[ "$s" = 303 ] && [ "$(hdr c1 Location)" = /login ] && ok || bad "console without login: $s $(hdr c1 Location)"
secure c1 && ok || bad "security headers on a 303"
s=$(req c2 "http://127.0.0.1:$P1/login")
[ "$s" = 200 ] && ok || bad "GET /login: $s"
case $(hdr c2 Content-Type) in text/html*) ok ;; *) bad "console type: $(hdr c2 Content-Type)" ;; esac
secure c2 && ok || bad "security headers on a page"
s=$(req h1 -I "http://127.0.0.1:$P1/login")
[ "$s" = 200 ] && secure h1 && ok || bad "HEAD /login: $s"

# Methods: unknown ones 405 with Allow; /ussd takes POST only.
s=$(req m1 -X TRACE "http://127.0.0.1:$P1/")
[ "$s" = 405 ] && [ "$(hdr m1 Allow)" = "GET, HEAD, POST" ] && ok || bad "TRACE /: $s $(hdr m1 Allow)"
secure m1 && ok || bad "security headers on a 405"
s=$(req m2 "http://127.0.0.1:$P1/ussd")
[ "$s" = 405 ] && [ "$(hdr m2 Allow)" = POST ] && ok || bad "GET /ussd: $s $(hdr m2 Allow)"
s=$(req m3 -X BREW "http://127.0.0.1:$P1/api/batches")
[ "$s" = 405 ] && ok || bad "BREW /api/batches: $s"

# Bodies over the limit: 8 KiB on /ussd, upload_max (4096 here) elsewhere; with or without a length.
head -c 9000 /dev/zero | tr '\0' a >"$T/9k"
head -c 5000 /dev/zero | tr '\0' a >"$T/5k"
s=$(req b1 -X POST -H "X-Kazi-USSD-Secret: $SECRET" --data-binary @"$T/9k" "http://127.0.0.1:$P1/ussd")
[ "$s" = 413 ] && ok || bad "9000 bytes to /ussd: $s"
secure b1 && ok || bad "security headers on a 413"
s=$(req b2 -X POST -H "Transfer-Encoding: chunked" --data-binary @"$T/9k" "http://127.0.0.1:$P1/ussd")
[ "$s" = 413 ] && ok || bad "9000 bytes chunked to /ussd: $s"
s=$(req b3 -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" \
    --data-binary @"$T/5k" "http://127.0.0.1:$P1/api/batches")
[ "$s" = 413 ] && ok || bad "5000 bytes to /api with upload_max 4096: $s"
s=$(req b4 -X POST -F "csrf=x" -F "file=@$T/5k" "http://127.0.0.1:$P1/batches")
[ "$s" = 413 ] && ok || bad "a 5000-byte upload to the console: $s"
head -c 100000000 /dev/zero >"$T/100m" # far past the limit, no length: cut off early
s=$(curl -s -o /dev/null -w '%{http_code} %{size_upload}' --max-time 20 -X POST \
    -H "Transfer-Encoding: chunked" --data-binary @"$T/100m" "http://127.0.0.1:$P1/login")
case $s in 2*|3*) bad "100 MB chunked accepted: $s" ;; *) ok ;; esac
[ "${s#* }" -lt 10000000 ] && ok || bad "100 MB chunked: the server read $s bytes"
rm -f "$T/100m"

# Failed requests: one line each, no query string, no header value.
req q1 -H "X-Probe: hdr-7731" "http://127.0.0.1:$P1/ussd?secret=qry-5520" >/dev/null
wait_for 5 grep -q "http listen: GET /ussd 405 from 127.0.0.1" "$T/serve.log" && ok \
    || bad "no log line for a failed request: $(grep 'http listen' "$T/serve.log" | tail -3)"
grep -q "http listen: TRACE / 405 from 127.0.0.1" "$T/serve.log" && ok || bad "no log line for TRACE"
if grep -q "qry-5520\|hdr-7731\|$SECRET\|$TOKEN" "$T/serve.log"; then bad "a query, a header or a secret logged"; else ok; fi

# 200 connections open at once, then a request on each: every one answered.
"$PY" - "$P1" <<'PYEOF' >"$T/many" 2>&1 && ok || bad "200 at once: $(tail -3 "$T/many")"
import socket, sys
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(200)]
for s in socks:
    s.sendall(b"GET /api/batches HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
answered = 0
for s in socks:
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    if data.startswith(b"HTTP/1.1 401 "):
        answered += 1
    s.close()
print(answered, "answered")
sys.exit(0 if answered == 200 else 1)
PYEOF

# Idle: no busy polling (CPU ticks over 5 s, with the threads of the listener).
ticks() { awk '{print $14 + $15}' "/proc/$DAEMON/stat"; }
t0=$(ticks); sleep 5; t1=$(ticks)
hz=$(getconf CLK_TCK)
[ $((t1 - t0)) -le $((hz / 10)) ] && ok || bad "idle daemon used $((t1 - t0)) ticks in 5 s (hz $hz)"

# SIGHUP with a changed [http] key: reported, the old listener keeps answering.
sed -i "s/^upload_max = 4096/upload_max = 8192/" "$T/k.conf"
kill -HUP "$DAEMON"
wait_for 5 grep -q "reload: \[http\] upload_max changed, but only a restart applies it" "$T/serve.log" \
    && ok || bad "reload of an [http] key not reported: $(grep reload "$T/serve.log" | tail -3)"
s=$(req r1 -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" \
    --data-binary @"$T/5k" "http://127.0.0.1:$P1/api/batches")
[ "$s" = 413 ] && ok || bad "upload_max changed without a restart: $s"
s=$(ussd u2 "$P1")
[ "$s" = 200 ] && ok || bad "USSD after the reload: $s"

# SIGTERM with requests in flight (bodies half sent): a prompt, clean stop.
"$PY" - "$P1" <<'PYEOF' &
import socket, sys, time
socks = []
for _ in range(5):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\n\r\npassword=")
    socks.append(s)
time.sleep(30)
PYEOF
HOLD=$!
sleep 1
start=$(date +%s%N)
kz_stop_daemon
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took" -lt 3000 ] && ok || bad "SIGTERM with requests in flight took $took ms"
grep -q "http: listen 127.0.0.1:$P1 stopped" "$T/serve.log" && ok || bad "no stop line for the listener"
grep -q "stopped cleanly" "$T/serve.log" && ok || bad "no clean stop"
kz_kill $HOLD; HOLD=
kz_no_sanitizer_report "$T/serve.log" "(http only)"

# ---- console_listen: two listeners, routes split ----
: >"$T/serve.log"
conf "$T/k.conf" "listen = 127.0.0.1:$P2" "console_listen = 127.0.0.1:$P3"
kz_start_daemon; DAEMON=$!
wait_for 20 listening "$P2" && wait_for 5 listening "$P3" && ok || { bad "two listeners"; tail -20 "$T/serve.log"; }
grep -q "listening on 127.0.0.1:$P2 (USSD callback only)" "$T/serve.log" && ok || bad "role of listen"
grep -q "listening on 127.0.0.1:$P3 (console and API)" "$T/serve.log" && ok || bad "role of console_listen"
s=$(ussd s1 "$P2"); [ "$s" = 200 ] && ok || bad "USSD on listen: $s"
s=$(req s2 "http://127.0.0.1:$P2/login"); [ "$s" = 404 ] && secure s2 && ok || bad "console on listen: $s"
s=$(req s3 "http://127.0.0.1:$P2/api/batches"); [ "$s" = 404 ] && ok || bad "API on listen: $s"
s=$(ussd s4 "$P3"); [ "$s" = 404 ] && ok || bad "USSD on console_listen: $s"
s=$(req s5 "http://127.0.0.1:$P3/login"); [ "$s" = 200 ] && ok || bad "console on console_listen: $s"
s=$(req s6 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P3/api/batches")
[ "$s" = 200 ] && ok || bad "API on console_listen: $s"

# A second daemon cannot have the ports (nor the database): it refuses.
conf "$T/busy.conf" "listen = 127.0.0.1:$P3"
sed -i "s#^database = .*#database = $T/other.db#" "$T/busy.conf"
if "$KAZI" serve -c "$T/busy.conf" $USEROPT >"$T/out" 2>&1; then bad "a second daemon took a port in use"; else ok; fi
grep -q "\[http\] listen: 127.0.0.1:$P3: Address already in use" "$T/out" && ok || bad "port in use: $(cat "$T/out")"
kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log" "(two listeners)"

# ---- a USSD secret readable by others is refused ----
conf "$T/open.conf" "listen = 127.0.0.1:$P2"
chmod 644 "$T/open.conf"
if "$KAZI" serve -c "$T/open.conf" $USEROPT >"$T/out" 2>&1; then bad "served with a 0644 secret"; else ok; fi
grep -q "open.conf: holds a secret .* (mode 0644)" "$T/out" && ok || bad "0644 refusal: $(cat "$T/out")"
if grep -q "$SECRET" "$T/out"; then bad "the refusal shows the secret"; else ok; fi

# ---- a simulated modem and [http] together ----
: >"$T/serve.log"
kz_start_sim m1 s1.ctl sim1.log; SIM1=$!
kz_sims_up s1.ctl && ok || bad "simulator did not start"
conf "$T/k.conf" "listen = 127.0.0.1:$P1" "[modem m1]" "port = $T/m1"
kz_driver "$T/k.conf"
kz_start_daemon; DAEMON=$!
wait_for 20 grep -q "modem m1: ready" "$T/serve.log" && wait_for 5 listening "$P1" && ok \
    || { bad "modem and listener"; tail -20 "$T/serve.log"; }
"$KAZI" sim ctl "$T/s1.ctl" inject +254711000009 JOIN Zawadi >/dev/null
welcomed() { "$KAZI" sim ctl "$T/s1.ctl" sent 2>/dev/null | grep -q '"to":"+254711000009".*Welcome'; }
wait_for 20 welcomed && ok || bad "no welcome SMS with [http] on"
s=$(ussd u3 "$P1"); [ "$s" = 200 ] && ok || bad "USSD beside a modem: $s"
s=$(req c3 "http://127.0.0.1:$P1/login"); [ "$s" = 200 ] && ok || bad "console beside a modem: $s"
kz_stop_daemon
kz_no_sanitizer_report "$T/serve.log" "(modem and http)"

kz_report
