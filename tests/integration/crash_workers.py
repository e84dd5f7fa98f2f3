#!/usr/bin/python3
"""crash_workers.py - the simulated workers and the final audit of
tests/integration/crash.sh, tests/integration/pg_shared.sh and
bench/bench_loop.sh.

`run`: N workers JOIN through the `kazi sim` control sockets, read the
simulators' sent logs for task offers ("#7 Acme: Is shop T123 open? 1=Yes
2=No ... Reply 7 1-2") and answer each offer once ("7 2", the answer a
function of the task so workers agree), until every task of the database has
a result or the deadline passes. Every SMS injected is logged (JSON lines) so
the audit can prove each one reached the database exactly once.

`audit`: after the daemon stopped, compares the injected log, the
simulators' sent logs and storage, and the database: every inbound SMS in
`messages` exactly once, every part handed over, every task resolved or in
review, no outbound part confirmed sent that reached a simulator twice.
Prints "PASS: ..." / "FAIL: ..." / "INFO: ..." lines (crash.sh counts them).

--db is the SQLite file, or a postgresql:// URI (several daemons sharing one
database: a worker's offer may come from any simulator; it answers through its
own), read through `psql -At`.

Owns: worker behaviour and the audit rules. Never writes to the database
(read-only connections or transactions), never talks to anything but the
simulators' Unix control sockets and the database, never empties a sent log
unless asked (--clear, for the benchmark), and never runs past its --deadline.
"""
import argparse
import collections
import glob
import json
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time

OFFER = re.compile(r"#(\d+) [^#]*?\bT(\d+)\b[^#]*?Reply \1\b")


class Sim:
    """One control connection to a `kazi sim` (docs/simulator.md, Control protocol)."""

    def __init__(self, path, name):
        self.path, self.name = path, name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.rf = self.sock.makefile("rb")
        self.seen = 0  # highest sent-log id read so far

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        first = self.rf.readline().decode().rstrip("\n")
        if not first.startswith("ok"):
            raise RuntimeError("%s: %s -> %s" % (self.name, line, first))
        return first

    def lines(self, what):
        n = int(self.cmd(what).split()[1])
        return [self.rf.readline() for _ in range(n)]

    def new_sent(self):
        """Sent-log entries with an id above the last one seen (parsed)."""
        out = []
        for raw in self.lines("sent"):
            m = re.match(rb'\{"id":(\d+),', raw)
            if m and int(m.group(1)) > self.seen:
                out.append(json.loads(raw))
        if out:
            self.seen = max(e["id"] for e in out)
        return out

    def take_sent(self):
        """The whole sent log, then empty it: one write, so the simulator runs both
        commands back to back and nothing is sent in between (keeps `sent` cheap;
        a status report still waiting for an entry is dropped with it)."""
        self.sock.sendall(b"sent\nsent-clear\n")
        first = self.rf.readline().decode()
        if not first.startswith("ok"):
            raise RuntimeError("%s: sent -> %s" % (self.name, first))
        out = [json.loads(self.rf.readline()) for _ in range(int(first.split()[1]))]
        if not self.rf.readline().startswith(b"ok"):
            raise RuntimeError("%s: sent-clear failed" % self.name)
        return out

    def all_sent(self):
        return [json.loads(r) for r in self.lines("sent")]

    def storage(self):
        return [json.loads(r) for r in self.lines("storage")]

    def stats(self):
        return json.loads(self.cmd("stats")[3:])

    def inject(self, frm, text):
        self.cmd("inject %s %s" % (frm, text))


def phone(i):
    return "+2547%08d" % (11000000 + i)


def answer_for(task_no):
    """Every worker gives the same answer to task T<n>: consensus at redundancy."""
    return 1 + task_no % 2


class PgError(Exception):
    """A psql run that failed (the server's message in args[0])."""


class PgRows:
    """The rows of one psql run, read like a sqlite3 cursor's."""

    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class PgDb:
    """A PostgreSQL database read through `psql -At` (one process a query), for
    --db postgresql://...: read-only transactions, fields and rows split on the
    ASCII unit and record separators. Every value comes back as text (SQL NULL
    as None): scalar() turns a count into an int, the audit converts the rest."""

    def __init__(self, uri):
        self.uri = uri
        self.psql = psql_path()

    def execute(self, sql):
        p = subprocess.run(
            [self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-F", "\x1f", "-R", "\x1e", "-P", "null=\x01",
             "-c", "SET default_transaction_read_only = on", "-c", sql, self.uri],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if p.returncode != 0:
            raise PgError(p.stderr.decode(errors="replace").strip())
        out = p.stdout.decode()
        if out.endswith("\n"):
            out = out[:-1]
        rows = [tuple(PgDb.value(f) for f in r.split("\x1f"))
                for r in out.split("\x1e") if r != ""]
        return PgRows(rows)

    @staticmethod
    def value(f):
        return None if f == "\x01" else f


def psql_path():
    """Debian's server's own psql first (the version tests/pg.inc runs), else PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return found[-1] if found else (shutil.which("psql") or "psql")


def is_pg(target):
    return target.startswith("postgresql://") or target.startswith("postgres://")


def db_connect(target):
    if is_pg(target):
        return PgDb(target)
    db = sqlite3.connect("file:%s?mode=ro" % target, uri=True, timeout=10)
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def scalar(db, sql):
    """The first column of the first row; an integer's text (PostgreSQL) as an int."""
    for _ in range(20):
        try:
            v = db.execute(sql).fetchone()[0]
            return int(v) if isinstance(v, str) and re.match(r"-?[0-9]+\Z", v) else v
        except (sqlite3.OperationalError, PgError, subprocess.TimeoutExpired):
            time.sleep(0.2)
    return None


def run(a):
    rnd = random.Random(a.seed)
    sims = [Sim(p, "s%d" % (i + 1)) for i, p in enumerate(a.ctl)]
    log = open(a.log, "a", buffering=1)
    deadline = time.monotonic() + a.deadline
    workers = [phone(i) for i in range(a.workers)]
    home = {w: sims[i % len(sims)] for i, w in enumerate(workers)}
    index = {w: i for i, w in enumerate(workers)}
    answered = set()        # (worker, ref, task): each offer answered once
    pending = []            # (due, worker, text)
    injected = 0

    def inject(w, text):
        nonlocal injected
        s = home[w]
        s.inject(w, text)
        injected += 1
        log.write(json.dumps({"sim": s.name, "from": w, "text": text, "t": time.time()}) + "\n")

    t0 = time.monotonic()
    for w in workers:  # JOINs spread over a few seconds, as people would
        pending.append((t0 + rnd.uniform(0, a.join_spread), w, "JOIN W%d" % index[w]))
    db = db_connect(a.db)
    next_check = 0.0
    done = False
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 1.0
            left = scalar(db, "SELECT count(*) FROM tasks t WHERE gold IS NULL AND NOT EXISTS"
                              " (SELECT 1 FROM task_results r WHERE r.task_id = t.id)")
            if left == 0 and not pending:
                done = True
                break
        for s in sims:
            new = s.take_sent() if a.clear else s.new_sent()
            for e in new:
                w, text = e.get("to"), e.get("text") or ""
                if w not in index:
                    continue
                for m in OFFER.finditer(text):
                    ref, task = int(m.group(1)), int(m.group(2))
                    key = (w, ref, task)
                    if key in answered:
                        continue  # the same offer twice (a resend): answered once
                    answered.add(key)
                    think = rnd.uniform(a.think_lo, a.think_hi)
                    pending.append((time.monotonic() + think, w,
                                    "%d %d" % (ref, answer_for(task))))
        now = time.monotonic()
        pending.sort(key=lambda p: p[0])
        while pending and pending[0][0] <= now:
            _, w, text = pending.pop(0)
            inject(w, text)
        time.sleep(a.poll)
    log.close()
    print("workers: %d injected, %d offers answered, %s" %
          (injected, len(answered), "all tasks resolved" if done else "deadline passed"))
    return 0 if done else 3


def audit(a):
    out = {"pass": 0, "fail": 0}

    def check(cond, what):
        if cond:
            out["pass"] += 1
            print("PASS: " + what)
        else:
            out["fail"] += 1
            print("FAIL: " + what)

    def info(what):
        print("INFO: " + what)

    db = db_connect(a.db)
    sims = [Sim(p, "s%d" % (i + 1)) for i, p in enumerate(a.ctl)]
    injected = [json.loads(l) for l in open(a.log)]

    # (a) inbound: simulators delivered everything, the SIMs are empty, the
    # database holds each injected SMS exactly once.
    st = [s.stats() for s in sims]
    for s, x in zip(sims, st):
        mine = sum(1 for i in injected if i["sim"] == s.name)
        check(x["injected"] == mine, "%s: simulator counted %d injected, we injected %d"
              % (s.name, x["injected"], mine))
        check(x["delivered"] == x["injected"] and x["queued"] == 0,
              "%s: delivered %d of %d injected, %d still queued"
              % (s.name, x["delivered"], x["injected"], x["queued"]))
        left = s.storage()
        check(not left, "%s: SIM storage empty after the run (%d message(s) left)"
              % (s.name, len(left)))
    want = collections.Counter((i["from"], i["text"]) for i in injected)
    got = collections.Counter(db.execute(
        "SELECT peer, body FROM messages WHERE direction = 'in'").fetchall())
    missing = want - got
    extra = got - want
    check(not missing, "every injected SMS is in messages (%d missing%s)"
          % (sum(missing.values()), (": %s" % list(missing)[:3]) if missing else ""))
    check(not extra, "no inbound SMS recorded twice or invented (%d extra%s)"
          % (sum(extra.values()), (": %s" % list(extra)[:3]) if extra else ""))
    check(sum(got.values()) == len(injected), "inbound messages %d = injected %d"
          % (sum(got.values()), len(injected)))
    parts = scalar(db, "SELECT count(*) FROM inbox_parts")
    check(parts == len(injected), "inbox_parts %s = injected %d (each PDU stored once)"
          % (parts, len(injected)))
    check(scalar(db, "SELECT count(*) FROM inbox_parts WHERE message_id IS NULL") == 0,
          "every inbox part handed over")
    check(scalar(db, "SELECT count(*) - count(DISTINCT dedupe_key) FROM messages"
                     " WHERE direction = 'in'") == 0, "inbound dedupe keys unique")
    check(scalar(db, "SELECT count(*) FROM messages WHERE direction = 'in'"
                     " AND state = 'received'") == 0,
          "no inbound message left unhandled ('received')")

    # (b) tasks
    tasks = scalar(db, "SELECT count(*) FROM tasks WHERE gold IS NULL")
    res = dict(db.execute("SELECT state, count(*) FROM task_results GROUP BY state").fetchall())
    unresolved = scalar(db, "SELECT count(*) FROM tasks t WHERE gold IS NULL AND NOT EXISTS"
                            " (SELECT 1 FROM task_results r WHERE r.task_id = t.id)")
    check(tasks == a.tasks, "batch has %s tasks (want %d)" % (tasks, a.tasks))
    check(unresolved == 0, "every task resolved or in review (%s without a result; %s)"
          % (unresolved, res))
    info("task results: %s" % res)

    # (c) outbound: a part confirmed sent never reached a simulator twice.
    # PDUs are compared without their SMSC field: a driver may put the SIM's
    # SMSC address where Kazi wrote 00 (libgammu does); the TPDU is the message.
    def tpdu(pdu_hex):
        h = pdu_hex.upper()
        try:
            return h[2 + 2 * int(h[:2], 16):]
        except ValueError:
            return h
    logs = {s.name: s.all_sent() for s in sims}
    seen = collections.Counter()
    for name, entries in logs.items():
        for e in entries:
            seen[tpdu(e["pdu"])] += 1
    states = collections.defaultdict(collections.Counter)
    byst = collections.Counter()
    for pdu, state in db.execute("SELECT pdu_hex, state FROM outbox_parts"):
        states[tpdu(pdu)][state] += 1
        byst[state] += 1
    info("outbox parts by state: %s" % dict(byst))
    over, never, unknown_out = [], [], 0
    orphan = sum(n for pdu, n in seen.items() if pdu not in states)
    for pdu, c in states.items():
        n = seen.get(pdu, 0)
        confirmed = c["sent"] + c["delivered"]
        maybe = c["unknown"] + c["failed"]
        if n > confirmed + maybe:
            over.append((pdu[:40], dict(c), n))
        if n < confirmed:
            never.append((pdu[:40], dict(c), n))
        if c["unknown"] and n > confirmed:
            unknown_out += min(n - confirmed, c["unknown"])
    # Across restarts: a part confirmed sent before a kill has no copy after that kill.
    kills = [int(l) for l in open(a.kills)] if a.kills else []
    times = collections.defaultdict(list)
    for entries in logs.values():
        for e in entries:
            times[tpdu(e["pdu"])].append(e["unix_time"])
    spanned = again = 0
    for pdu, sent_at in db.execute(
            "SELECT pdu_hex, sent_at FROM outbox_parts WHERE state IN ('sent','delivered')"
            " AND sent_at IS NOT NULL"):
        pdu = tpdu(pdu)
        if sum(states[pdu].values()) != 1:
            continue  # the same PDU in two parts (the same text twice): counted above
        later = [k for k in kills if k >= int(sent_at)]
        if not later:
            continue
        spanned += 1
        if any(t > later[0] + 1 for t in times.get(pdu, [])):  # 1 s: clocks' rounding
            again += 1
    if kills:
        check(again == 0, "%d part(s) confirmed sent before a later SIGKILL: %d sent again"
              " after it" % (spanned, again))
    check(not orphan, "every PDU the simulators sent is an outbox part (%d are not)" % orphan)
    check(not over, "no part confirmed sent was sent again (%d PDU(s) seen more often than"
          " the database allows%s)" % (len(over), (": %s" % over[:3]) if over else ""))
    check(not never, "every part the database says was sent reached a simulator (%d did not%s)"
          % (len(never), (": %s" % never[:3]) if never else ""))
    check(scalar(db, "SELECT count(*) FROM outbox_parts WHERE state IN ('queued','sending')")
          == 0, "outbox drained (no part queued or sending)")
    check(scalar(db, "SELECT count(*) FROM (SELECT message_id FROM outbox_parts GROUP BY"
                     " message_id HAVING count(DISTINCT modem) > 1) AS m") == 0,
          "the parts of each message left through one modem")
    info("parts a crash left 'sending' (now 'unknown', never resent): %d; of these %d had"
         " reached a simulator before the kill" % (byst["unknown"], unknown_out))
    print("audit: %d passed, %d failed" % (out["pass"], out["fail"]))
    return 1 if out["fail"] else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run")
    r.add_argument("--ctl", action="append", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--workers", type=int, default=200)
    r.add_argument("--seed", type=int, default=11)
    r.add_argument("--deadline", type=float, default=300)
    r.add_argument("--think-lo", type=float, default=0.0)
    r.add_argument("--think-hi", type=float, default=0.5)
    r.add_argument("--join-spread", type=float, default=5.0)
    r.add_argument("--poll", type=float, default=0.25)
    r.add_argument("--clear", action="store_true",
                   help="empty the simulators' sent logs as they are read (benchmarks)")
    au = sub.add_parser("audit")
    au.add_argument("--ctl", action="append", required=True)
    au.add_argument("--db", required=True)
    au.add_argument("--log", required=True)
    au.add_argument("--tasks", type=int, required=True)
    au.add_argument("--kills", help="file of the SIGKILL times (Unix seconds, one a line)")
    a = p.parse_args()
    return run(a) if a.mode == "run" else audit(a)


if __name__ == "__main__":
    sys.exit(main())
