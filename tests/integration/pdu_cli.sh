#!/bin/sh
# pdu_cli.sh - runs tests/integration/pdu_cli.py against the built kazi
# binary ($KAZI_BIN). Prints "N passed, N failed".
exec /usr/bin/python3 "$(dirname "$0")/pdu_cli.py"
