#!/usr/bin/python3
"""seed.py - writes the fuzz seed corpora (tests/fuzz/corpus/TARGET/) from
../shared/vectors: raw PDU bytes for fuzz_pdu and fuzz_concat, +CUSD lines for
fuzz_cusd, packed GSM-7 and texts for fuzz_text, modem transcripts for fuzz_at,
provider SMS for fuzz_money; and from the tests' own data: tests/data/csv for
fuzz_csv, tests/data/config for fuzz_config; aggregator callbacks for fuzz_ussd_form.
Run by hand when the vectors grow; the corpora are committed so `make test`
replays them. Reproducible (same vectors, same files). Never deletes."""
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

# at: one file per transcript of at-transcripts.jsonl, named by its id, in
# fuzz_at.c's format: byte 0 picks the pending command from its table, byte 1
# the chunking, then the modem's bytes. Keep AT_CMDS in step with fuzz_at.c.
AT_CMDS = [None, "AT+CSQ", "AT+CREG?", "AT+CMGL=4", "AT+CMGS=23", "AT+CPMS?", "AT+CPMS=?",
           'AT+CUSD=1,"*144#",15', "AT+CPIN?", "AT+CNMI=?", "AT+CSCA?", "AT+CMGR=1",
           "AT+CSCS?", "ATE0", "AT^SYSINFO", "AT+CMGW=10"]
AT_NO_PREFIX = AT_CMDS.index("ATE0")  # pending, but no response prefix of its own

def at_command_byte(command):
    """The table entry closest to the transcript's command: the same command, else
    the first with the same name (+CPMS="SM" -> AT+CPMS?), else ATE0; none for URCs."""
    if command.startswith("("):
        return 0
    if command in AT_CMDS:
        return AT_CMDS.index(command)
    name = command[2:].split("=")[0].split("?")[0]
    for i, c in enumerate(AT_CMDS):
        if c and c[2:].split("=")[0].split("?")[0] == name:
            return i
    return AT_NO_PREFIX

def put_at(name, command, response, n):
    d = os.path.join(root, "corpus", "at")
    os.makedirs(d, exist_ok=True)
    data = bytes([at_command_byte(command), 7 + n % 50]) + response.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

for n, v in enumerate(lines("at-transcripts.jsonl")):
    put_at(v["id"], v["command"], v["response"], n)

# Kazi's own cases: indications and reboots in the middle of a command.
AT_EXTRA = [
    ("kazi-ciev-smsfull-idle", "(unsolicited)", '\r\n+CIEV: "SMSFULL",1\r\n'),
    ("kazi-ciev-smsfull-in-cmgl", "AT+CMGL=4",
     '\r\n+CMGL: 1,0,"",5\r\n+CIEV: "SMSFULL",1\r\n0011000000\r\n\r\nOK\r\n'),
    ("kazi-ciev-numbered", "AT+CSQ", "\r\n+CIEV: 7,1\r\n+CSQ: 20,0\r\n\r\nOK\r\n"),
    ("kazi-rdy-during-cmgs", "AT+CMGS=23",
     "\r\n> \r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n"),
    ("kazi-power-down-during-cmgl", "AT+CMGL=4", "\r\nNORMAL POWER DOWN\r\n"),
    ("kazi-cnma-340", "(unsolicited)",
     '\r\n+CMT: "",5\r\n0011000000\r\nAT+CNMA\r\r\n+CMS ERROR: 340\r\n'),
]
for n, (name, command, response) in enumerate(AT_EXTRA):
    put_at(name, command, response, n)
# csv: every file of the hostile-CSV corpus under 16 KB, in both modes (byte 0
# bit 0: --report) and with a default reward below the floor (bit 1).
csv_dir = os.path.join(root, "../data/csv")
for name in sorted(os.listdir(csv_dir)):
    path = os.path.join(csv_dir, name)
    if name == "EXPECTED" or os.path.getsize(path) > 16384:
        continue
    with open(path, "rb") as f:
        body = f.read()
    for flags in (0, 1):
        put("csv", bytes([flags]) + body)
put("csv", bytes([2]) + b"id,type,prompt\n1,yesno,Is it a cat?\n")

# config: the configuration test files as they are.
conf_dir = os.path.join(root, "../data/config")
for name in sorted(os.listdir(conf_dir)):
    with open(os.path.join(conf_dir, name), "rb") as f:
        put("config", f.read())

# money: each provider SMS of money-sms.jsonl, from no sender (byte 0 = 0) and
# from its provider's sender; typed amounts with byte 0 bit 7 (currency in bits 0-2).
MONEY_SENDERS = [None, "MPESA", "M-PESA", "AIRTELMONEY", "M-Money"]
for v in lines("money-sms.jsonl"):
    put("money", bytes([0]) + v["text"].encode("utf-8"))
    for i, s in enumerate(MONEY_SENDERS[1:], 1):
        if v["id"].split("-")[0] in s.lower().replace("-", "") or \
           (s.startswith("AIRTEL") and v["id"].startswith("airtel")):
            put("money", bytes([i]) + v["text"].encode("utf-8"))
for amount in ("3", "2.50", "KSh 3", "KES 1,200.00", "1,000,000", "0.05", "USh 500", "TSh 2,000"):
    for cur in range(3):
        put("money", bytes([0x80 | cur]) + amount.encode())

# ussd_form: aggregator callbacks (byte 0: country, 0 = KE), a session from its
# first request (text empty) to three replies, and the usual refusals.
USSD = [
    "sessionId=ATUid_1b2c&serviceCode=%2A384%2A123%23&phoneNumber=%2B254712345678&text=",
    "sessionId=ATUid_1b2c&serviceCode=%2A384%2A123%23&phoneNumber=%2B254712345678&text=1",
    "sessionId=ATUid_1b2c&serviceCode=%2A384%2A123%23&phoneNumber=%2B254712345678&text=1%2A2",
    "sessionId=ATUid_1b2c&serviceCode=%2A384%2A123%23&phoneNumber=%2B254712345678&text=1%2A2%2A3",
    "sessionId=ATUid_9&serviceCode=*384*123%23&phoneNumber=0712345678&networkCode=63902&text=1*Jane+Doe",
    "phoneNumber=%2B254712345678&text=&sessionId=s1&serviceCode=*144%23",
    "sessionId=s1&serviceCode=*144%23&phoneNumber=%2B254712345678&text=%E2%82%AC",
    "sessionId=s1&serviceCode=*144%23&phoneNumber=%2B254712345678&text=%ZZ",
    "sessionId=s1&sessionId=s2&serviceCode=*144%23&phoneNumber=%2B254712345678&text=",
    "sessionId=s1&serviceCode=*144%23&phoneNumber=MPESA&text=",
    "sessionId=s1&serviceCode=*144%23&phoneNumber=%2B254712345678&text=%00",
    "sessionId=s1&serviceCode=*144%23&phoneNumber=%2B254712345678&text=%C3%28",
    "sessionId=s1&&serviceCode=*144%23",
    "",
]
for n, body in enumerate(USSD):
    put("ussd_form", bytes([0]) + body.encode())
put("ussd_form", bytes([1]) + b"sessionId=t1&serviceCode=*150*00%23&phoneNumber=0754123456&text=2*1")
print("seeded from", vec)
