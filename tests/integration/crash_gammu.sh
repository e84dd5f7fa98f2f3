#!/bin/sh
# crash_gammu.sh - crash.sh again with every modem on the libgammu driver
# (driver = gammu in each [modem] section, through KAZI_DRIVER): 10 SIGKILLs
# under load, every delivered SMS in the database exactly once. The batch is
# smaller than crash.sh's (80 tasks, 30 workers unless KAZI_CRASH_TASKS /
# _WORKERS say otherwise): libgammu pauses some 0.7 s inside every send, so
# the full batch would need about 20 minutes. Uses $KAZI_BIN as crash.sh
# does; ends with its "N passed, N failed" line.
KAZI_DRIVER=gammu
KAZI_CRASH_TASKS=${KAZI_CRASH_TASKS:-80}
KAZI_CRASH_WORKERS=${KAZI_CRASH_WORKERS:-30}
export KAZI_DRIVER KAZI_CRASH_TASKS KAZI_CRASH_WORKERS
exec sh "$(dirname "$0")/crash.sh"
