#!/usr/bin/python3
"""peer_backup.py - the inbound benchmark's messages for gammu's dummy phone.

Owns: writing the messages bench/bench_inbound.sh feeds kazi (the plan of
bench/inbound_feed.py: the same senders, texts and two-part messages, in the
same order) as gammu SMS-backup files, one SMS-DELIVER part per file, as a
phone keeps them in its memory. Never touches a modem, a database or the
network.

    peer_backup.py DIR [--pdus N] [--workers W] [--answers A]

writes DIR/sms/1/<location> (the SIM inbox) and DIR/sms/3/<location> (the
phone's), locations from 1; gammu's dummy phone reads locations 1..9999 of
each folder, so N is at most 19,998. The split falls between messages, so a
caller that renames the two folders into the dummy phone's directory one
after the other never shows gammu half of a two-part message. The parts are
encoded with python-gammu (Debian's python3-gammu), the library gammu-smsd
uses; the timestamps are fixed, one second apart, so a run is reproducible.
Prints `messages=M` and `pdus=N`.
"""
import argparse
import datetime
import os
import sys

import gammu

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inbound_feed  # noqa: E402  (the plan kazi's inbound benchmark feeds)

SMSC = "+254722500029"
BASE_TIME = datetime.datetime(2026, 1, 19, 8, 0, 0)
FOLDER_SIZE = 9999
INBOX_FOLDERS = (1, 3)


def encode(number, text, when, ref):
    """The SMS-DELIVER parts (python-gammu dicts) of one message; REF is the
    8-bit concatenation reference of a multipart one (gammu would pick a
    random one)."""
    info = {"Class": -1, "Unicode": False,
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}]}
    parts = gammu.EncodeSMS(info)
    for sms in parts:
        sms.update({"Type": "Deliver", "Number": number, "SMSC": {"Number": SMSC},
                    "DateTime": when, "SMSCDateTime": when, "State": "UnRead",
                    "InboxFolder": 1})
        if len(parts) > 1:
            udh = sms["UDH"]
            udh["ID8bit"] = ref
            udh["Text"] = bytes((5, 0, 3, ref, udh["AllParts"], udh["PartNumber"]))
    return parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="where to write sms/1 and sms/3")
    ap.add_argument("--pdus", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=770)
    ap.add_argument("--answers", type=int, default=8)
    a = ap.parse_args()

    msgs = inbound_feed.plan(a.pdus, a.workers, a.answers, 2)
    total = sum(m["parts"] for m in msgs)
    folders = {f: [] for f in INBOX_FOLDERS}
    for n, m in enumerate(msgs):
        parts = encode(m["from"], m["text"], BASE_TIME + datetime.timedelta(seconds=n),
                       n % 256)
        if len(parts) != m["parts"]:
            print("peer_backup.py: %r takes %d parts, the plan says %d"
                  % (m["text"], len(parts), m["parts"]), file=sys.stderr)
            return 1
        first = folders[INBOX_FOLDERS[0]]
        fits = len(first) + len(parts) <= (total + 1) // 2
        (first if fits else folders[INBOX_FOLDERS[1]]).extend(parts)
    for folder, parts in folders.items():
        if len(parts) > FOLDER_SIZE:
            print("peer_backup.py: %d parts do not fit two folders of %d locations"
                  % (total, FOLDER_SIZE), file=sys.stderr)
            return 1
        path = os.path.join(a.dir, "sms", str(folder))
        os.makedirs(path, exist_ok=True)
        for location, sms in enumerate(parts, 1):
            sms["Folder"] = folder
            gammu.SaveSMSBackup(os.path.join(path, str(location)), [sms])
    print("messages=%d" % len(msgs))
    print("pdus=%d" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
