#!/usr/bin/env python3
"""inbound_feed.py - the workload and the arithmetic of bench/bench_inbound.sh.

`feed`: N SMS-DELIVER PDUs from W workers, injected into `kazi sim`
simulators through their control sockets (docs/simulator.md), each
simulator's network queue kept topped up (it holds 2000). Every worker sends,
in order: JOIN, NEXT (a task offer comes back), answers to its offers by
reference ("1 2", "2 1", ... : refs are given smallest-free, 1, 2, 3, ...),
BAL, and a two-part ASK (a concatenated SMS). Workers take turns, so one
worker's messages are spread over the run. The plan (which PDU is which
message) is written as JSON lines for `report`.

`report`: pairs each message's delivery to the modem (the simulators'
--delivery-log: "UNIX_MS N") with its commit by the daemon (its debug line
"one commit at UNIX_MS ms (messages up to ID)" and the messages table: the
j-th inbound message of a number is its j-th planned message) and prints
key=value lines: messages, PDUs, answers, seconds, per second, latency p50,
p99 and max in ms. --db is the SQLite file, or a postgresql:// (postgres://)
URI read through psql. Several daemons sharing one database (bench_shared.sh):
one --serve-log per daemon, each followed by --daemon-modems with the names of
its modems, so each message is paired with the commits of the daemon that
stored it; --check-once adds the count of messages stored more than once,
missing or not as planned (bodies compared per sender).

Never touches a real modem or the network; every wait is bounded.
"""
import argparse
import bisect
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time

ASK = ("ASK Is the shop on Moi Avenue the one next to the bank or the one after the petrol "
       "station, and do they want the photo of the front or of the sign above the door? "
       "I went there twice today and found two shops with the same name on that street.")


def phone(i):
    return "+2547%08d" % (21000000 + i)


def script(worker, answers):
    """(text, PDUs, kind) of one worker's messages, in order."""
    out = [("JOIN W%d" % worker, 1, "command"), ("NEXT", 1, "command")]
    for ref in range(1, answers + 1):
        out.append(("%d %d" % (ref, 1 + (worker + ref) % 2), 1, "answer"))
    out.append(("BAL", 1, "command"))
    out.append((ASK, 2, "multipart"))
    return out


def plan(n_pdus, workers, answers, nsims):
    """Round-robin over workers until n_pdus PDUs: list of dicts in injection order."""
    scripts = [script(w, answers) for w in range(workers)]
    out, pdus, r = [], 0, 0
    while pdus < n_pdus:
        any_left = False
        for w in range(workers):
            if r >= len(scripts[w]) or pdus >= n_pdus:
                continue
            any_left = True
            text, parts, kind = scripts[w][r]
            if pdus + parts > n_pdus:
                text, parts, kind = "BAL", 1, "command"  # the last slot: a single PDU
            out.append({"sim": w % nsims, "from": phone(w), "text": text, "parts": parts,
                        "kind": kind})
            pdus += parts
        if not any_left:
            break
        r += 1
    return out


class Sim:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.rf = self.sock.makefile("rb")

    def many(self, lines):
        self.sock.sendall(("".join(l + "\n" for l in lines)).encode())
        answers = [self.rf.readline().decode().rstrip("\n") for _ in lines]
        bad = [a for a in answers if not a.startswith("ok")]
        if bad:
            raise RuntimeError("simulator refused: %s" % bad[0])
        return answers

    def stats(self):
        return json.loads(self.many(["stats"])[0][3:])


def feed(a):
    msgs = plan(a.pdus, a.workers, a.answers, len(a.ctl))
    with open(a.plan, "w") as f:
        for m in msgs:
            f.write(json.dumps(m) + "\n")
    sims = [Sim(p) for p in a.ctl]
    queues = [[m for m in msgs if m["sim"] == i] for i in range(len(sims))]
    pos = [0] * len(sims)
    deadline = time.monotonic() + a.deadline
    while any(pos[i] < len(queues[i]) for i in range(len(sims))):
        if time.monotonic() > deadline:
            print("feed: deadline passed", file=sys.stderr)
            return 3
        busy = True
        for i, s in enumerate(sims):
            if pos[i] >= len(queues[i]):
                continue
            if s.stats()["queued"] > a.low_water:
                continue
            chunk = queues[i][pos[i]:pos[i] + a.chunk]
            answers = s.many(["inject %s %s" % (m["from"], m["text"]) for m in chunk])
            for m, ans in zip(chunk, answers):
                got = int(re.search(r"parts=(\d+)", ans).group(1))
                if got != m["parts"]:
                    raise RuntimeError("%r: %d parts, planned %d" % (m["text"], got, m["parts"]))
            pos[i] += len(chunk)
            busy = False
        if busy:
            time.sleep(0.01)
    print("feed: %d messages, %d PDUs injected" % (len(msgs), sum(m["parts"] for m in msgs)))
    return 0


def pct(sorted_vals, p):
    if not sorted_vals:
        return "n/a"
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def report(a):
    msgs = [json.loads(l) for l in open(a.plan)]
    # PDU k (1-based) of simulator i: delivered at the first log line with N >= k
    deliveries = []
    for path in a.sim_log:
        ts, ns = [], []
        for line in open(path):
            t, n = line.split()
            ts.append(int(t))
            ns.append(int(n))
        deliveries.append((ts, ns))

    def delivered_at(sim, k):
        ts, ns = deliveries[sim]
        i = bisect.bisect_left(ns, k)
        return ts[i] if i < len(ns) else None

    count = [0] * len(deliveries)
    per_sender = {}
    for m in msgs:
        count[m["sim"]] += m["parts"]
        m["delivered"] = delivered_at(m["sim"], count[m["sim"]])  # its last part
        per_sender.setdefault(m["from"], []).append(m)
    logs = [commit_lines(path) for path in a.serve_log]  # per daemon: [(up to id, ms)]
    ids = [[c[0] for c in commits] for commits in logs]
    daemon_of = modem_daemons(a)  # modem name -> index of its daemon's log
    rows = inbound_rows(a, bool(daemon_of))
    seen = {}
    lat, missing, first, last = [], 0, None, None
    for row in rows:
        mid, peer = row[0], row[1]
        d = daemon_of.get(row[2], -1) if daemon_of else 0
        j = seen.get(peer, 0)
        seen[peer] = j + 1
        mine = per_sender.get(peer, [])
        if j >= len(mine):
            continue
        i = bisect.bisect_left(ids[d], mid) if d >= 0 else len(ids[0])
        if d < 0 or i >= len(logs[d]) or mine[j]["delivered"] is None:
            missing += 1
            continue
        committed = logs[d][i][1]
        lat.append(committed - mine[j]["delivered"])
        last = committed if last is None else max(last, committed)
    if last is None and a.end_ms:
        last = a.end_ms  # no commit lines: when the last message was seen in the table
    starts = [d[0][0] for d in deliveries if d[0]]
    first = min(starts) if starts else None
    lat.sort()
    n = len(msgs)
    got = sum(min(seen.get(p, 0), len(v)) for p, v in per_sender.items())
    secs = (last - first) / 1000.0 if first is not None and last is not None else 0
    answers = sum(1 for m in msgs if m["kind"] == "answer")
    kv = {
        "messages": n,
        "pdus": sum(m["parts"] for m in msgs),
        "answers_planned": answers,
        "messages_stored": got,
        "unmatched": missing,
        "seconds": "%.3f" % secs,
        "messages_per_s": "%.0f" % (got / secs if secs else 0),
        "pdus_per_s": "%.0f" % (sum(m["parts"] for m in msgs) / secs if secs else 0),
        "latency_p50_ms": pct(lat, 50),
        "latency_p99_ms": pct(lat, 99),
        "latency_max_ms": lat[-1] if lat else "n/a",
        "commits": sum(len(c) for c in logs),
    }
    if len(logs) > 1:
        for d, c in enumerate(logs):
            kv["commits_daemon%d" % (d + 1)] = len(c)
    if a.check_once:
        kv.update(stored_once(a, msgs))
    for k, v in kv.items():
        print("%s=%s" % (k, v))
    bad = a.check_once and (kv["stored_twice"] or kv["not_stored"] or kv["not_as_planned"])
    return 0 if got == n and not missing and not bad else 1


def commit_lines(path):
    """A daemon's group commits from its debug lines: [(messages up to id, unix ms)]."""
    out = []
    pat = re.compile(r"one commit at (\d+) ms \(messages up to (\d+)\)")
    for line in open(path):
        g = pat.search(line)
        if g:
            out.append((int(g.group(2)), int(g.group(1))))
    return out


def modem_daemons(a):
    """{modem name: index of its daemon's --serve-log}, empty with one daemon."""
    if len(a.serve_log) < 2:
        return {}
    if len(a.daemon_modems or []) != len(a.serve_log):
        raise SystemExit("report: one --daemon-modems per --serve-log")
    return {name: d for d, names in enumerate(a.daemon_modems) for name in names.split(",")}


def is_pg(target):
    return target.startswith("postgresql://") or target.startswith("postgres://")


def psql_fields(a, sql):
    """Every field of every row of one query through psql, in order: with -z -0 fields and
    rows alike end with a NUL, so the caller regroups them by its number of columns."""
    out = subprocess.run([a.psql, "-X", "-At", "-z", "-0", "-v", "ON_ERROR_STOP=1", a.db,
                          "-c", sql], check=True, capture_output=True, timeout=120).stdout
    fields = [f.decode() for f in out.split(b"\0")]
    if fields and fields[-1] == "":
        fields.pop()  # after the last row's NUL
    return fields


def query(a, sql, ncols):
    """Rows of sql on --db (SQLite file or PostgreSQL URI), each a tuple of ncols values."""
    if not is_pg(a.db):
        db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=10)
        return db.execute(sql).fetchall()
    fields = psql_fields(a, sql)
    return [tuple(fields[i:i + ncols]) for i in range(0, len(fields), ncols)]


def inbound_rows(a, with_modem):
    """(id, peer[, modem name]) of every inbound message, by id."""
    if not with_modem:
        rows = query(a, "SELECT id, peer FROM messages WHERE direction = 'in' ORDER BY id", 2)
        return [(int(r[0]), r[1]) for r in rows]
    # the modem that received it: its parts' (messages.modem_id waits for the modems row)
    rows = query(a, "SELECT m.id, m.peer, coalesce((SELECT min(p.modem) FROM inbox_parts p "
                 "WHERE p.message_id = m.id), '') FROM messages m WHERE m.direction = 'in' "
                 "ORDER BY m.id", 3)
    return [(int(r[0]), r[1], r[2]) for r in rows]


def stored_once(a, msgs):
    """Each sender's stored bodies against its planned texts (as multisets)."""
    planned, stored = {}, {}
    for m in msgs:
        planned.setdefault(m["from"], []).append(m["text"])
    for peer, body in query(a, "SELECT peer, body FROM messages WHERE direction = 'in'", 2):
        stored.setdefault(peer, []).append(body)
    twice = not_stored = other = 0
    for peer in set(planned) | set(stored):
        want, got = sorted(planned.get(peer, [])), sorted(stored.get(peer, []))
        for text in set(want) | set(got):
            w, g = want.count(text), got.count(text)
            if g > w and w:
                twice += g - w
            elif g > w:
                other += g - w
            elif w > g:
                not_stored += w - g
    return {"stored_twice": twice, "not_stored": not_stored, "not_as_planned": other}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("feed")
    f.add_argument("--ctl", action="append", required=True)
    f.add_argument("--pdus", type=int, default=10000)
    f.add_argument("--workers", type=int, default=770)
    f.add_argument("--answers", type=int, default=8)
    f.add_argument("--plan", required=True)
    f.add_argument("--chunk", type=int, default=400)
    f.add_argument("--low-water", type=int, default=800)
    f.add_argument("--deadline", type=float, default=600)
    r = sub.add_parser("report")
    r.add_argument("--plan", required=True)
    r.add_argument("--sim-log", action="append", required=True)
    r.add_argument("--serve-log", action="append", required=True)
    r.add_argument("--daemon-modems", action="append")
    r.add_argument("--db", required=True)
    r.add_argument("--psql", default="psql")
    r.add_argument("--check-once", action="store_true")
    r.add_argument("--end-ms", type=int, default=0)
    a = ap.parse_args()
    return feed(a) if a.cmd == "feed" else report(a)


if __name__ == "__main__":
    sys.exit(main())
