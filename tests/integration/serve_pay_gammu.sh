#!/bin/sh
# serve_pay_gammu.sh - serve_pay.sh again with every modem on the libgammu driver
# (driver = gammu in each [modem] section, through KAZI_DRIVER): the daemon
# cannot tell the two drivers apart. Uses $KAZI_BIN as serve_pay.sh does; ends
# with its "N passed, N failed" line.
KAZI_DRIVER=gammu
export KAZI_DRIVER
exec sh "$(dirname "$0")/serve_pay.sh"
