#!/usr/bin/env python3
"""web_security.py - the HTTP half of web_security.sh: talks to a running
`kazi serve` with [http] on 127.0.0.1 over plain HTTP (http.client: no
redirect followed, every header seen) and reads its database with sqlite3.

Checks: every console and API route refused without a login, with a wrong
token or a forged cookie; the login form's answers and the cookie's flags;
the CSRF token on every console POST (missing, wrong, another session's, in
the query string) and on an API POST made with a console session; SQL and
HTML through every field (USSD callback fields, CSV cells, batch and
requester names by the console and the API, appeal notes, login fields,
query arguments, paths): never a 500, the text stored verbatim, every page
showing it escaped; the row counts afterwards; a session left idle past
[http] session_idle is refused while one in use lives on; the login brake.

Environment (set by web_security.sh): KAZI_PORT, KAZI_DB, KAZI_PASSWORD,
KAZI_TOKEN, KAZI_USSD_SECRET, KAZI_IDLE (session_idle in seconds),
KAZI_APPEALS ("ID1 ID2": two open appeals), KAZI_IDS_FILE (every session id
and CSRF token seen is written there, for the log check).
Prints "FAIL: ..." for a failed check and ends with "N passed, N failed".
"""
import html
import html.parser
import http.client
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
import urllib.parse

PORT = int(os.environ["KAZI_PORT"])
DB = os.environ["KAZI_DB"]
PASSWORD = os.environ["KAZI_PASSWORD"]
TOKEN = os.environ["KAZI_TOKEN"]
USSD_SECRET = os.environ["KAZI_USSD_SECRET"]
IDLE = int(os.environ["KAZI_IDLE"])
APPEAL1, APPEAL2 = (int(x) for x in os.environ["KAZI_APPEALS"].split())
IDS_FILE = os.environ["KAZI_IDS_FILE"]
KAZI = os.environ["KAZI_BIN"]

SQL = "'; DROP TABLE workers;--"
SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(2)>'
QUOTES = "O'Brien said \"hi\" \\ 100% & more"
LONG = "A" * 5000
# Raw markup that must never reach a page from data.
# (The pages have no script or image of their own: the Content-Security-Policy.)
RAW_MARKERS = ["<script", "</script", "<img", "onerror=alert(2)>", "<b>B</b>"]

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, flush=True)


def remember(*secrets_seen):
    with open(IDS_FILE, "a", encoding="ascii") as f:
        for s in secrets_seen:
            if s:
                f.write(s + "\n")


class Answer:
    def __init__(self, status, headers, cookies, body):
        self.status = status
        self.headers = headers
        self.cookies = cookies
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        return self.headers.get(name.lower(), "")


def call(method, path, body=None, ctype=None, session=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    h = dict(headers or {})
    if session:
        h["Cookie"] = "kazi_session=" + session
    if ctype:
        h["Content-Type"] = ctype
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    cookies = r.msg.get_all("Set-Cookie") or []
    conn.close()
    return Answer(r.status, hdrs, cookies, data)


def form(fields):
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def multipart(fields, files=()):
    boundary = "kazitest" + secrets.token_hex(12)
    out = []
    for name, value in fields:
        v = value if isinstance(value, bytes) else value.encode()
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (boundary, name)).encode()
                   + v + b"\r\n")
    for name, filename, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: text/csv\r\n\r\n" % (boundary, name, filename)).encode() + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def q(s):
    return urllib.parse.quote(s, safe="")


def db():
    c = sqlite3.connect(DB, timeout=10)
    c.execute("PRAGMA busy_timeout = 10000")
    return c


def rows(sql, *args):
    with db() as c:
        return c.execute(sql, args).fetchall()


def one(sql, *args):
    r = rows(sql, *args)
    return r[0][0] if r else None


def login(password, session=None):
    body, ctype = form({"password": password})
    return call("POST", "/login", body, ctype, session=session)


def session_of(a):
    for c in a.cookies:
        m = re.match(r"kazi_session=([0-9a-f]{64});", c)
        if m:
            return m.group(1)
    return None


def csrf_of(page):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    return m.group(1) if m else None


def new_session():
    a = login(PASSWORD)
    s = session_of(a)
    check(a.status == 303 and s is not None, "login: status %d, cookie %s" % (a.status, bool(s)))
    page = call("GET", "/batches", session=s)
    token = csrf_of(page.text)
    check(token is not None, "the page carries a CSRF token")
    remember(s, token)
    return s, token


def no_raw_markup(a, where):
    low = a.text.lower()
    for m in RAW_MARKERS:
        check(m.lower() not in low, "%s: raw %r in the page" % (where, m))
    check(SCRIPT not in a.text and ATTR not in a.text, "%s: a payload unescaped" % where)


def json_has(v, text):
    """Does a string inside the JSON value v hold text?"""
    if isinstance(v, str):
        return text in v
    if isinstance(v, dict):
        return any(json_has(x, text) for x in v.values())
    if isinstance(v, list):
        return any(json_has(x, text) for x in v)
    return False


class InputValues(html.parser.HTMLParser):
    """The value attribute of every <input> with an id, as a browser reads it."""

    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and "id" in a:
            self.values[a["id"]] = a.get("value")


def input_value(page, ident):
    p = InputValues()
    p.feed(page)
    return p.values.get(ident)


def counts():
    names = ("workers", "batches", "tasks", "answers", "appeals", "requesters")
    return {t: one("SELECT count(*) FROM " + t) for t in names}


# ---- 1. without a login ----
CONSOLE_GETS = ["/", "/batches", "/batches/shops", "/batches/shops/results.csv", "/appeals",
                "/appeals?full=1", "/payouts", "/workers", "/workers?full=1"]
CONSOLE_POSTS = ["/batches", "/appeals/%d" % APPEAL1, "/payouts/1", "/logout"]
API_GETS = ["/api", "/api/status", "/api/batches", "/api/batches/shops",
            "/api/batches/shops/results", "/api/appeals", "/api/appeals?all=1", "/api/payouts",
            "/api/workers", "/api/workers?full=1"]
API_POSTS = ["/api/batches", "/api/appeals/%d" % APPEAL1, "/api/payouts/1"]


def refused_console_get(a, path, why):
    check(a.status == 303 and a.header("Location").endswith("/login"),
          "%s GET %s: %d Location %r" % (why, path, a.status, a.header("Location")))
    check("Acme" not in a.text and "+2547" not in a.text, "%s GET %s shows data" % (why, path))


def refused_api(a, path, why, method="GET"):
    check(a.status == 401, "%s %s %s: status %d" % (why, method, path, a.status))
    check(a.header("Content-Type").startswith("application/json"),
          "%s %s %s: type %r" % (why, method, path, a.header("Content-Type")))
    try:
        err = json.loads(a.text)
        err = err.get("error") if isinstance(err, dict) else None
    except ValueError:
        err = None
    check(isinstance(err, str) and err, "%s %s %s: no JSON error: %r" % (why, method, path, a.text[:80]))
    check("Acme" not in a.text, "%s %s %s shows data" % (why, method, path))


def without_login():
    before = counts()
    for p in CONSOLE_GETS:
        refused_console_get(call("GET", p), p, "no login")
    for p in CONSOLE_POSTS:
        body, ctype = form({"decision": "overturn", "note": "x", "action": "failed", "csrf": "0" * 64})
        a = call("POST", p, body, ctype)
        check(a.status in (401, 403), "no login POST %s: status %d" % (p, a.status))
    for p in API_GETS:
        a = call("GET", p)
        refused_api(a, p, "no login")
        check("Bearer" in a.header("WWW-Authenticate"), "GET %s: WWW-Authenticate" % p)
    for p in API_POSTS:
        refused_api(call("POST", p, b'{"decision":"overturn","note":"x"}', "application/json"), p,
                    "no login", "POST")
    check(counts() == before, "refused requests changed nothing")


def wrong_credentials():
    forged = secrets.token_hex(32)
    for cookie, why in ((forged, "forged cookie"), ("' OR 1=1 --", "SQL cookie"), (TOKEN, "token as cookie"),
                        (PASSWORD.replace(" ", ""), "password as cookie"), (forged.upper(), "upper-case cookie")):
        for p in ("/", "/appeals", "/workers?full=1"):
            refused_console_get(call("GET", p, session=cookie), p, why)
        for p in API_GETS[1:4]:
            refused_api(call("GET", p, session=cookie), p, why)
    for auth, why in (("Bearer wrong-token", "wrong token"), ("Bearer " + TOKEN[:-1], "token one short"),
                      ("Bearer " + TOKEN + "x", "token one long"), ("Bearer " + PASSWORD, "password as token"),
                      ("Basic " + "YWRtaW46YWRtaW4=", "Basic"), ("Bearer " + SQL, "SQL token"),
                      (TOKEN, "token without scheme")):
        for p in API_GETS:
            refused_api(call("GET", p, headers={"Authorization": auth}), p, why)
        refused_api(call("POST", "/api/appeals/%d" % APPEAL1, b'{"decision":"overturn","note":"x"}',
                         "application/json", headers={"Authorization": auth}), "/api/appeals", why, "POST")
    a = call("GET", "/api/batches", headers={"Authorization": "Bearer " + TOKEN})
    check(a.status == 200, "the right token is let in: %d" % a.status)
    check(one("SELECT state FROM appeals WHERE id = ?", APPEAL1) == "open", "appeal 1 still open")


# ---- 2. logins, cookie flags and headers ----
def logins():
    for pw, why in (("not the password", "wrong"), (SQL, "SQL"), (SCRIPT, "script"), (ATTR, "attribute")):
        a = login(pw)
        check(a.status == 401, "%s password: status %d" % (why, a.status))
        check(session_of(a) is None, "%s password: a cookie was set" % why)
        no_raw_markup(a, "login page after a %s password" % why)
        check(pw not in a.text or pw == "not the password", "%s password echoed" % why)
    a = login(PASSWORD)
    check(a.status == 303 and a.header("Location") == "/", "right password: %d to %r" % (a.status, a.header("Location")))
    c = [x for x in a.cookies if x.startswith("kazi_session=")]
    check(len(c) == 1, "one session cookie: %r" % a.cookies)
    flags = [f.strip() for f in (c[0] if c else "").split(";")]
    check("HttpOnly" in flags, "HttpOnly: %r" % flags)
    check("SameSite=Strict" in flags, "SameSite=Strict: %r" % flags)
    check("Path=/" in flags, "Path=/: %r" % flags)
    check("Secure" not in flags, "no Secure on plain HTTP: %r" % flags)
    s = session_of(a)
    remember(s)
    # Login fields with NUL, a long value, an extra field: refused, nothing echoed.
    for body, why in ((b"password=a%00b", "NUL"), (form({"password": LONG})[0], "long"),
                      (form({"password": "x", "username": SCRIPT})[0], "extra field"),
                      (b"password=%E0%80%AF", "bad UTF-8")):
        a = call("POST", "/login", body, "application/x-www-form-urlencoded")
        check(a.status in (400, 401, 413), "%s login: status %d" % (why, a.status))
        check(session_of(a) is None, "%s login: a cookie was set" % why)
        no_raw_markup(a, "%s login" % why)
    a = call("GET", "/", session=s)
    check(a.status == 200, "the session works: %d" % a.status)
    check(a.header("Content-Security-Policy") == "default-src 'self'; frame-ancestors 'none'",
          "CSP: %r" % a.header("Content-Security-Policy"))
    check(a.header("X-Content-Type-Options") == "nosniff", "nosniff")
    check("no-store" in a.header("Cache-Control"), "Cache-Control: %r" % a.header("Cache-Control"))
    check(a.header("Content-Type").startswith("text/html"), "type %r" % a.header("Content-Type"))
    # The session ends at logout (with its CSRF token).
    token = csrf_of(a.text)
    body, ctype = form({"csrf": token or ""})
    a = call("POST", "/logout", body, ctype, session=s)
    check(a.status == 303 and a.header("Location").endswith("/login"), "logout: %d" % a.status)
    check(any(x.startswith("kazi_session=;") for x in a.cookies), "logout clears the cookie: %r" % a.cookies)
    refused_console_get(call("GET", "/", session=s), "/", "after logout")


# ---- 3. CSRF ----
GOOD_CSV = b"id,type,prompt,options\nc1,verify,Is the gate open?,Yes|No\n"


def console_post(path, fields, session, token, files=(), token_in="form"):
    fields = list(fields)
    if token is not None and token_in == "form":
        fields.append(("csrf", token))
    if token is not None and token_in == "query":
        path += "?csrf=" + token
    if files:
        body, ctype = multipart(fields, files)
    else:
        body, ctype = form(fields)
    return call("POST", path, body, ctype, session=session)


def csrf(s1, t1, t2):
    before = counts()
    posts = [("/batches", [("batch", "csrf-test"), ("requester", "Acme")], [("file", "c.csv", GOOD_CSV)]),
             ("/appeals/%d" % APPEAL1, [("decision", "overturn"), ("note", "csrf")], ()),
             ("/payouts/1", [("action", "failed"), ("note", "csrf")], ()),
             ("/logout", [], ())]
    for path, fields, files in posts:
        for token, where, why in ((None, "form", "no token"), ("", "form", "empty token"),
                                  (secrets.token_hex(32), "form", "wrong token"),
                                  (t2, "form", "another session's token"), (t1, "query", "token in the query"),
                                  (t1[:-1], "form", "token one short"), (t1.upper(), "form", "upper-case token")):
            a = console_post(path, fields, s1, token, files, where)
            check(a.status == 403, "POST %s with %s: status %d" % (path, why, a.status))
    check(counts() == before, "refused POSTs changed nothing")
    check(one("SELECT count(*) FROM batches WHERE name = 'csrf-test'") == 0, "no batch from a refused POST")
    check(one("SELECT state FROM appeals WHERE id = ?", APPEAL1) == "open", "appeal still open")
    check(call("GET", "/", session=s1).status == 200, "the refused logout left the session")
    # The API with a console session needs X-CSRF-Token on a POST.
    for hdr, why in (({}, "no X-CSRF-Token"), ({"X-CSRF-Token": secrets.token_hex(32)}, "wrong X-CSRF-Token"),
                     ({"X-CSRF-Token": t2}, "another session's X-CSRF-Token")):
        a = call("POST", "/api/appeals/%d" % APPEAL1, b'{"decision":"overturn","note":"x"}',
                 "application/json", session=s1, headers=hdr)
        check(a.status == 403, "API POST with a session and %s: status %d" % (why, a.status))
    check(one("SELECT state FROM appeals WHERE id = ?", APPEAL1) == "open", "appeal still open after API")
    a = call("GET", "/api/batches", session=s1)
    check(a.status == 200, "API GET with a session: %d" % a.status)


# ---- 4. SQL and HTML through every field ----
def csv_bytes(rows_):
    out = []
    for r in rows_:
        out.append(",".join('"' + c.replace('"', '""') + '"' for c in r))
    return ("\n".join(out) + "\n").encode()


INJ_ROWS = [["id", "type", "prompt", "options"],
            [SQL, "verify", SCRIPT + " open?", "Yes|No"],
            [SCRIPT, "choice", ATTR, "A|<b>B</b>|'C'"],
            ["q3", "transcribe", QUOTES, ""],
            ["q4", "choice", "Which one; DELETE FROM tasks;--", SQL + "|" + ATTR]]


def stored_tasks(batch):
    return rows("SELECT t.ext_id, t.prompt, coalesce(t.options, '') FROM tasks t JOIN batches b "
                "ON b.id = t.batch_id WHERE b.name = ? ORDER BY t.id", batch)


def tasks_verbatim(batch, where):
    got = stored_tasks(batch)
    want = [tuple(r[0:1] + r[2:3] + [r[3]]) for r in INJ_ROWS[1:]]
    check(got == want, "%s: tasks not stored verbatim:\n got %r\nwant %r" % (where, got, want))


def uploads(s, t):
    # The console: batch and requester names and every cell hostile.
    a = console_post("/batches", [("batch", SCRIPT), ("requester", SQL), ("reward", "3")], s, t,
                     [("file", ATTR + ".csv", csv_bytes(INJ_ROWS))])
    check(a.status == 303, "console upload of hostile cells: status %d %s" % (a.status, a.text[:300]))
    check(a.header("Location").startswith("/batches/" + q(SCRIPT)),
          "redirect to the batch, URL-encoded: %r" % a.header("Location"))
    check(one("SELECT r.name FROM batches b JOIN requesters r ON r.id = b.requester_id WHERE b.name = ?",
              SCRIPT) == SQL, "console: batch and requester names stored verbatim")
    tasks_verbatim(SCRIPT, "console upload")
    # The API: the raw CSV body, options in the query string.
    path = "/api/batches?batch=%s&requester=%s&reward=3" % (q(SQL), q(ATTR))
    a = call("POST", path, csv_bytes(INJ_ROWS), "text/csv", headers={"Authorization": "Bearer " + TOKEN})
    check(a.status in (200, 201), "API upload of hostile cells: status %d %s" % (a.status, a.text[:300]))
    check(a.header("Content-Type").startswith("application/json"), "API upload answers JSON")
    check(one("SELECT r.name FROM batches b JOIN requesters r ON r.id = b.requester_id WHERE b.name = ?",
              SQL) == ATTR, "API: batch and requester names stored verbatim")
    tasks_verbatim(SQL, "API upload")
    # Refused uploads: a NUL in a cell, a name too long; the errors shown escaped.
    before = counts()
    bad = csv_bytes([["id", "type", "prompt", "options"], ["n1", "verify", "fine?", "Yes|No"]]) + \
        b'"n2","verify","a\x00b' + SCRIPT.encode() + b'","Yes|No"\n'
    a = console_post("/batches", [("batch", ATTR), ("requester", SCRIPT)], s, t, [("file", "n.csv", bad)])
    check(a.status == 400, "CSV with NUL: status %d" % a.status)
    check(re.search(r"line 3\b", a.text) is not None, "the NUL's line is named: %s" % a.text[:200])
    no_raw_markup(a, "upload error page")
    check(input_value(a.text, "batch") == ATTR, "the form keeps the batch name as typed: %r"
          % input_value(a.text, "batch"))
    check(input_value(a.text, "requester") == SCRIPT, "the form keeps the requester as typed")
    a = console_post("/batches", [("batch", SCRIPT + LONG), ("requester", "Acme")], s, t,
                     [("file", "c.csv", GOOD_CSV)])
    check(a.status in (400, 413), "a batch name of 5000 bytes: status %d" % a.status)
    no_raw_markup(a, "long name page")
    a = call("POST", "/api/batches?batch=%s&requester=x" % q(ATTR), bad, "text/csv",
             headers={"Authorization": "Bearer " + TOKEN})
    check(a.status in (400, 422), "API CSV with NUL: status %d" % a.status)
    check(counts() == before, "refused uploads wrote nothing")
    check(one("SELECT count(*) FROM batches WHERE name = ?", ATTR) == 0, "no batch from a refused upload")


def appeal_notes(s, t):
    note1 = SCRIPT + ATTR + QUOTES
    a = console_post("/appeals/%d" % APPEAL1, [("decision", "overturn"), ("note", note1)], s, t)
    check(a.status == 303, "console decision with a hostile note: %d %s" % (a.status, a.text[:200]))
    got = rows("SELECT state, decision FROM appeals WHERE id = ?", APPEAL1)
    check(got and got[0][0] == "overturned", "appeal %d overturned: %r" % (APPEAL1, got))
    check(got and note1 in (got[0][1] or ""), "console note stored verbatim: %r" % (got,))
    page = call("GET", a.header("Location") or "/appeals", session=s)
    check(page.status == 200, "the page after the decision: %d" % page.status)
    no_raw_markup(page, "appeals page with the note")
    check(note1 in html.unescape(page.text), "the note is shown (escaped)")
    # The API: NUL in a JSON string and bad JSON are refused; then a hostile note taken.
    auth = {"Authorization": "Bearer " + TOKEN}
    for body, why in ((b'{"decision":"uphold","note":"a\\u0000b"}', "NUL in JSON"),
                      (b'{"decision":"uphold","note":', "cut JSON"),
                      (b'{"decision":"' + SQL.encode() + b'","note":"x"}', "SQL decision"),
                      (b'["uphold"]', "not an object")):
        a = call("POST", "/api/appeals/%d" % APPEAL2, body, "application/json", headers=auth)
        check(a.status == 400, "API appeal with %s: status %d" % (why, a.status))
    check(one("SELECT state FROM appeals WHERE id = ?", APPEAL2) == "open", "refused decisions left it open")
    note2 = SQL + " " + QUOTES
    a = call("POST", "/api/appeals/%d" % APPEAL2, json.dumps({"decision": "uphold", "note": note2}).encode(),
             "application/json", headers=auth)
    check(a.status == 200, "API decision with a hostile note: %d %s" % (a.status, a.text[:200]))
    got = rows("SELECT state, decision FROM appeals WHERE id = ?", APPEAL2)
    check(got and got[0][0] == "upheld" and note2 in (got[0][1] or ""), "API note stored verbatim: %r" % (got,))
    a = call("GET", "/api/appeals?all=1", headers=auth)
    try:
        listed = json.loads(a.text)
    except ValueError:
        listed = None
    check(json_has(listed, note2), "the API gives the note back verbatim: %r" % a.text[:300])


def ussd_call(fields, secret=USSD_SECRET, raw=None):
    path = "/ussd?secret=" + q(secret) if secret is not None else "/ussd"
    body = raw if raw is not None else urllib.parse.urlencode(fields).encode()
    return call("POST", path, body, "application/x-www-form-urlencoded")


def ussd_stored(field, f):
    """An accepted callback's hostile field is in the database as it came."""
    if field == "text":
        n = one("SELECT count(*) FROM messages WHERE channel = 'ussd' AND body = ?", f["text"])
    elif field == "serviceCode":
        n = one("SELECT count(*) FROM ussd_sessions WHERE session_id = ? AND service_code = ?",
                f["sessionId"], f["serviceCode"])
    elif field == "sessionId":
        n = one("SELECT count(*) FROM ussd_sessions WHERE session_id = ?", f["sessionId"])
    else:
        return
    check(n == 1, "USSD %s %r... not stored verbatim (%r rows)" % (field, f[field][:20], n))


def ussd():
    base = {"sessionId": "sec-1", "serviceCode": "*384*1#", "phoneNumber": "+254733000001", "text": ""}
    a = ussd_call(base)
    check(a.status == 200 and a.text.startswith(("CON ", "END ")), "USSD first screen: %d %r" % (a.status, a.text[:60]))
    for secret, why in ((None, "no secret"), ("wrong", "a wrong secret"), (SQL, "an SQL secret")):
        a = ussd_call(base, secret)
        check(a.status in (401, 403), "USSD with %s: status %d" % (why, a.status))
    before = counts()
    n = 0
    for field in ("sessionId", "serviceCode", "phoneNumber", "text"):
        for value in (SQL, SCRIPT, ATTR, QUOTES, LONG):
            n += 1
            f = dict(base, sessionId="sec-inj-%d" % n)
            f[field] = value
            a = ussd_call(f)
            check(a.status in (200, 400, 413), "USSD %s=%r...: status %d" % (field, value[:20], a.status))
            if a.status == 200:
                check(a.text.startswith(("CON ", "END ")), "USSD %s: answer %r" % (field, a.text[:40]))
                ussd_stored(field, f)
            check(a.header("Content-Type").startswith("text/plain"), "USSD answers plain text")
        raw = urllib.parse.urlencode(dict(base, sessionId="sec-nul")).encode()
        raw = raw.replace(field.encode() + b"=", field.encode() + b"=a%00", 1)
        a = ussd_call(None, raw=raw)
        check(a.status == 400, "USSD %s with NUL: status %d" % (field, a.status))
    # Hostile text in a session that is going on (the menu's inputs).
    for text in ("1*" + SQL, "1*" + SCRIPT, SCRIPT + "*" + ATTR, "99*" + QUOTES):
        a = ussd_call(dict(base, text=text))
        check(a.status in (200, 400), "USSD text %r: status %d" % (text[:20], a.status))
    after = counts()
    for t in ("batches", "tasks", "appeals", "requesters"):
        check(after[t] == before[t], "USSD changed %s: %d -> %d" % (t, before[t], after[t]))
    check(after["workers"] - before["workers"] <= 1, "USSD made workers: %r -> %r" % (before, after))
    stored = rows("SELECT phone FROM workers WHERE phone NOT LIKE '+%'")
    check(stored == [], "a worker with a phone that is not E.164: %r" % stored)


def ussd_pick(screen, label):
    """The number of the menu item called label on screen, or None."""
    m = re.search(r"(?:^|\s)(\d+) " + re.escape(label) + r"(?=\s|$)", screen)
    return m.group(1) if m else None


def ussd_answer():
    """A worker joins by USSD and answers the transcribe task with hostile
    text; it is stored as typed. Rejected and appealed, it is on the
    appeals page; the page must show it as text."""
    phone = "+254744000004"
    base = {"sessionId": "sec-walk", "serviceCode": "*384*1#", "phoneNumber": phone}
    inputs = []
    answer = SCRIPT + " " + SQL.replace("workers", "answers")
    screen = ussd_call(dict(base, text="")).text

    def say(choice, what):
        inputs.append(choice)
        a = ussd_call(dict(base, text="*".join(inputs)))
        check(a.status == 200, "USSD %s: status %d" % (what, a.status))
        return a.text

    for label in ("Join Kazi", "I agree", "Next task"):
        choice = ussd_pick(screen, label)
        check(choice is not None, "USSD: no item %r on the screen %r" % (label, screen[:160]))
        if choice is None:
            return
        screen = say(choice, label)
    # Tasks with options are skipped until the transcribe task comes.
    for _ in range(6):
        if "Type your answer" in screen or ussd_pick(screen, "Skip") is None:
            break
        screen = say(ussd_pick(screen, "Skip"), "Skip")
        if ussd_pick(screen, "Next task"):
            screen = say(ussd_pick(screen, "Next task"), "Next task")
    check("Type your answer" in screen, "USSD: a task screen asking for text: %r" % screen[:160])
    screen = say(answer, "answer")
    got = rows("SELECT a.id, a.value FROM answers a JOIN workers w ON w.id = a.worker_id WHERE w.phone = ?",
               phone)
    check(len(got) == 1 and got[0][1] == answer, "the USSD answer stored verbatim: %r" % (got,))
    if len(got) != 1:
        return
    r = subprocess.run([KAZI, "appeals", "reject", str(got[0][0]), "--reason", "Not what the sign says",
                        "--db", DB], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "reject the USSD answer: %s" % r.stderr)
    ref = re.search(r"APPEAL (\d+)", r.stdout)  # the worker's reference, from the notice
    check(ref is not None, "the rejection notice names the reference: %r" % r.stdout)
    r = subprocess.run([KAZI, "sms", "in", "--db", DB, "--from", phone,
                        "APPEAL %s %s" % (ref.group(1) if ref else "0", ATTR)],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "appeal by SMS: %s" % r.stderr)
    check(one("SELECT count(*) FROM appeals a JOIN answers n ON n.id = a.answer_id WHERE n.value = ? "
              "AND a.state = 'open'", answer) == 1, "the appeal on the USSD answer is open")


def query_args(s):
    auth = {"Authorization": "Bearer " + TOKEN}
    paths = ["/workers?full=" + q(SCRIPT), "/appeals?decided=" + q(SCRIPT), "/appeals?decided=" + q(SQL),
             "/appeals?full=" + q(ATTR), "/batches/shops?added=" + q(SCRIPT) + "&unchanged=" + q(ATTR),
             "/payouts?done=" + q(SCRIPT) + "&action=" + q(ATTR), "/?x=" + q(SQL),
             "/batches/" + q(SCRIPT + "nope"), "/batches/" + q(SQL + "nope") + "/results.csv",
             "/batches/" + q(SCRIPT) + "?added=" + q(SQL), "/" + q(SCRIPT), "/login?next=" + q(ATTR)]
    for p in paths:
        a = call("GET", p, session=s)
        check(a.status in (200, 303, 400, 404), "GET %s: status %d" % (p, a.status))
        no_raw_markup(a, "GET " + p)
    for p in ["/api/workers?full=" + q(SQL), "/api/appeals?all=" + q(SCRIPT), "/api/batches/" + q(SQL + "x"),
              "/api/batches/" + q(SCRIPT), "/api/payouts?attention=" + q(ATTR), "/api/" + q(SQL)]:
        a = call("GET", p, headers=auth)
        check(a.status in (200, 400, 404), "GET %s: status %d" % (p, a.status))
        try:
            json.loads(a.text)
            check(True, "")
        except ValueError:
            check(False, "GET %s: not JSON: %r" % (p, a.text[:80]))


def pages(s):
    names = [r[0] for r in rows("SELECT name FROM batches ORDER BY id")]
    paths = ["/", "/batches", "/appeals", "/appeals?full=1", "/payouts", "/workers", "/workers?full=1"]
    paths += ["/batches/" + q(n) for n in names]
    shown = ""
    for p in paths:
        a = call("GET", p, session=s)
        check(a.status == 200, "GET %s: status %d" % (p, a.status))
        no_raw_markup(a, "GET " + p)
        shown += html.unescape(a.text)
    ussd_text = SCRIPT + " " + SQL.replace("workers", "answers")
    appeals = html.unescape(call("GET", "/appeals", session=s).text)
    check(ussd_text in appeals, "the answer typed by USSD is shown on /appeals (escaped)")
    for text, what in ((SCRIPT, "the <script> batch name"), (SQL, "the SQL batch name"), (ATTR, "the attribute payload")):
        check(text in shown, "%s is shown somewhere (escaped)" % what)
    # The worker whose name came by SMS with markup in it.
    name = one("SELECT name FROM workers WHERE phone = '+254722000002'") or ""
    a = call("GET", "/workers", session=s)
    check("<" in name, "the SMS name kept its markup: %r" % name)
    check(name in html.unescape(a.text) and name not in a.text, "the worker's name is shown escaped: %r" % name)


def tables_intact():
    """Every table is there and holds what the test made, no more and no less."""
    batches = {r[0] for r in rows("SELECT name FROM batches")}
    check(batches == {"shops", SCRIPT, SQL}, "batches: %r" % batches)
    check(one("SELECT count(*) FROM tasks") == 3 + 2 * (len(INJ_ROWS) - 1), "tasks: %r" % one("SELECT count(*) FROM tasks"))
    phones = {r[0] for r in rows("SELECT phone FROM workers")}
    made = {"+254711000001", "+254722000002", "+254744000004"}
    check(made <= phones <= made | {"+254733000001"}, "workers: %r" % phones)
    states = sorted(r[0] for r in rows("SELECT state FROM appeals"))
    check(states == ["open", "overturned", "upheld"], "appeals: %r" % states)
    have = {r[0] for r in rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for t in ("workers", "batches", "tasks", "answers", "appeals", "requesters", "messages", "ledger_entries", "payouts"):
        check(t in have, "table %s is there" % t)


# ---- 5. idle expiry, the login brake ----
def expiry(idle_s, idle_t, idle_at, live_s):
    while time.time() < idle_at + IDLE + 2:
        a = call("GET", "/", session=live_s)
        check(a.status == 200, "the session in use lives on: %d" % a.status)
        time.sleep(min(5, max(0.1, idle_at + IDLE + 2 - time.time())))
    refused_console_get(call("GET", "/", session=idle_s), "/", "idle past session_idle")
    a = console_post("/appeals/%d" % APPEAL1, [("decision", "uphold"), ("note", "late")], idle_s, idle_t)
    check(a.status == 403, "an expired session's POST: %d" % a.status)
    refused_api(call("GET", "/api/batches", session=idle_s), "/api/batches", "idle session")
    check(call("GET", "/workers", session=live_s).status == 200, "the live session still works")


def brake():
    for i in range(5):
        a = login("guess %d" % i)
        check(a.status == 401, "guess %d: %d" % (i, a.status))
    a = login(PASSWORD)
    check(a.status == 429, "after five failures even the right password waits: %d" % a.status)
    check(session_of(a) is None, "no cookie while braked")
    no_raw_markup(a, "the braked login page")


def step(fn, *args):
    """Run one part; an exception is one failure and the next part still runs."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - any error is a failed check, reported
        check(False, "%s raised %s: %s" % (fn.__name__, type(e).__name__, e))
        return None


def main():
    step(without_login)
    step(wrong_credentials)
    step(logins)
    live = step(new_session) or ("", "")
    idle = step(new_session) or ("", "")
    idle_at = time.time()
    other = step(new_session) or ("", "")
    step(csrf, live[0], live[1], other[1])
    step(ussd_answer)
    step(uploads, live[0], live[1])
    step(appeal_notes, live[0], live[1])
    step(ussd)
    step(query_args, live[0])
    step(pages, live[0])
    step(tables_intact)
    step(expiry, idle[0], idle[1], idle_at, live[0])
    step(brake)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
