#!/usr/bin/python3
"""seed.py - writes the fuzz seed corpora (tests/fuzz/corpus/TARGET/) from
../shared/vectors: raw PDU bytes for fuzz_pdu and fuzz_concat, +CUSD lines for
fuzz_cusd, packed GSM-7 and texts for fuzz_text. Run by hand when the vectors
grow; the corpora are committed so `make test` replays them. Never deletes."""
import hashlib, json, os, sys

root = os.path.dirname(os.path.abspath(__file__))
vec = os.environ.get("KAZI_VECTORS", os.path.join(root, "../../../shared/vectors"))

def put(target, data):
    d = os.path.join(root, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def lines(name):
    with open(os.path.join(vec, name), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)

pdus = []
for name in ("pdu-deliver.jsonl", "status-report.jsonl"):
    for v in lines(name):
        pdus.append(bytes.fromhex(v["pdu"]))
for v in lines("pdu-submit.jsonl"):
    for h in ([v["pdu"]] if "pdu" in v else v.get("expected_pdus", [])):
        pdus.append(bytes.fromhex(h))
for p in pdus:
    put("pdu", p)
    put("text", bytes([0]) + p)
# concat: the multipart sets, each PDU length-prefixed
stream = b"".join(bytes([len(p)]) + p for p in pdus if len(p) < 256)
put("concat", stream[:4096])
for v in lines("cusd.jsonl"):
    put("cusd", v["line"].encode("utf-8"))
for v in lines("gsm7-packing.jsonl"):
    put("text", bytes([v["fill_bits"]]) + bytes.fromhex(v["packed_hex"]))
    put("text", bytes([0]) + v["text"].encode("utf-8"))
print("seeded from", vec)
