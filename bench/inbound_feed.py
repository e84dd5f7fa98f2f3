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
p99 and max in ms.

Never touches a real modem or the network; every wait is bounded.
"""
import argparse
import bisect
import json
import re
import socket
import sqlite3
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
    commits = []  # (up to id, ms)
    pat = re.compile(r"one commit at (\d+) ms \(messages up to (\d+)\)")
    for line in open(a.serve_log):
        g = pat.search(line)
        if g:
            commits.append((int(g.group(2)), int(g.group(1))))
    ids = [c[0] for c in commits]
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=10)
    rows = db.execute("SELECT id, peer FROM messages WHERE direction = 'in' ORDER BY id").fetchall()
    seen = {}
    lat, missing, first, last = [], 0, None, None
    for mid, peer in rows:
        j = seen.get(peer, 0)
        seen[peer] = j + 1
        mine = per_sender.get(peer, [])
        if j >= len(mine):
            continue
        i = bisect.bisect_left(ids, mid)
        if i >= len(commits) or mine[j]["delivered"] is None:
            missing += 1
            continue
        committed = commits[i][1]
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
        "commits": len(commits),
    }
    for k, v in kv.items():
        print("%s=%s" % (k, v))
    return 0 if got == n and not missing else 1


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
    r.add_argument("--serve-log", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--end-ms", type=int, default=0)
    a = ap.parse_args()
    return feed(a) if a.cmd == "feed" else report(a)


if __name__ == "__main__":
    sys.exit(main())
