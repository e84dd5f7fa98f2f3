#!/bin/sh
# demo.sh - what `make demo` shows until the daemon lands: the codec on the
# traffic Kazi carries. Usage: tests/demo.sh BUILD_DIR. Never touches a modem.
set -eu
B=${1:-build}
K="$B/kazi"
step() { printf '\n== %s\n' "$1"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "A task offered to a worker fits one SMS (GSM-7, 160 characters)"
show "$K" pdu encode --to +254712345678 --srr \
    "#42 Maji Safi: Is the kiosk at Kawangware stage open now? 1=Yes 2=No 3=Closed for good. ~30s, KSh3. Reply: 42 1"

step "The worker's answer arrives as an SMS-DELIVER; Kazi reads it"
PDU=$("$K" pdu encode --to +254712345678 "42 1" | cut -d' ' -f2)
echo "(a DELIVER PDU as the modem would print it is built by the simulator; here we decode a SUBMIT)"
show "$K" pdu decode "$PDU"

step "Swahili with emoji needs UCS-2; a long message is split without breaking a character"
show "$K" pdu encode --to +254712345678 "Asante sana! Umelipwa KSh 30 😀 Salio lako ni KSh 120. Tuma BAL kuona salio, PAY kutoa pesa, STOP kuacha."

step "A delivery report says whether the task reached the phone"
show "$K" pdu decode 07911614786007F006060B911634092142F4019071011000040190710110450400060000

step "A mobile-money USSD menu as a Huawei modem prints it (packed GSM-7 in hex)"
show "$K" pdu cusd '+CUSD: 0,"A0E09A5E2FB3D9E539E858A7A3C3E2B25B07CAB9723150B12A7501",15'

step "Garbage from a serial line is refused with the byte that is wrong"
"$K" pdu decode 07911614786007F0060 || true
printf '\nThe whole loop (simulated modems and workers) arrives with the daemon; see README.md.\n'
