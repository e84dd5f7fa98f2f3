#!/bin/sh
# demo.sh - what `make demo` runs: `kazi demo`, the whole loop (two simulated
# modems, the real daemon, 25 simulated workers, the 60-task sample batch)
# on a machine with no hardware. Usage: tests/demo.sh BUILD_DIR
# Starts afresh in BUILD_DIR/demo each time (`kazi demo --db FILE` by hand
# resumes an interrupted demo instead). Never touches a real modem.
set -eu
B=${1:-build}
DIR="$B/demo"
mkdir -p "$DIR"
rm -rf "$DIR/demo.db" "$DIR/demo.db-wal" "$DIR/demo.db-shm" "$DIR/demo.db.lock" "$DIR/demo.db.demo"
exec "$B/kazi" demo --db "$DIR/demo.db"
