#!/bin/sh
# run.sh - runs every benchmark (bench/bench_*.sh) against one build and ends
# with the table of the targets of issue 8: measured, target, met or missed.
# bench_inbound.sh runs a second time on PostgreSQL (BENCH_INBOUND_DB=pg, issue 9).
# Usage: bench/run.sh BUILD_DIR (make bench passes build/bench);
#        bench/run.sh --table BUILD_DIR prints the table (and writes its
#        section) from the results file of an earlier run, running nothing.
#
# The results file (bench/README.md): BENCH_RESULTS, default
# BUILD_DIR/results.txt, emptied here and exported; each script appends its
# figures as `NAME=VALUE` lines (one a line, NAME [a-z0-9_.]+, VALUE a plain
# number or n/a, units in the name, the last line of a NAME counts, '#'
# starts a comment). bench_peer.sh (gammu-smsd) runs first so the others can
# read peer.* and print their ratio. Each script writes its own section of
# docs/benchmarks.md; this one writes the bench_targets section.
# Never stops at the first failing script; exits non-zero if any failed. A
# missed target is reported, not an error.
set -u
TABLE_ONLY=
if [ "${1:-}" = --table ]; then TABLE_ONLY=1; shift; fi
B=${1:-build/bench}
cd "$(dirname "$0")/.." || exit 1
DOC=${BENCH_DOC:-docs/benchmarks.md}
BENCH_RESULTS=${BENCH_RESULTS:-$B/results.txt}
export BENCH_RESULTS
status=0
t_all=$(date +%s)
if [ -z "$TABLE_ONLY" ]; then
    mkdir -p "$(dirname "$BENCH_RESULTS")"
    echo "# bench/run.sh $B, $(date -u +%Y-%m-%dT%H:%MZ)" >"$BENCH_RESULTS"
    scripts="bench/bench_peer.sh bench/bench_*.sh"
else
    [ -f "$BENCH_RESULTS" ] || { echo "no $BENCH_RESULTS"; exit 1; }
    scripts=
fi
for s in $scripts; do
    [ -f "$s" ] || continue
    case " ${done_list:-} " in *" $s "*) continue ;; esac
    done_list="${done_list:-} $s"
    echo "== $s"
    t0=$(date +%s)
    sh "$s" "$B" || { echo "FAIL $s"; status=1; }
    echo "== $s: $(($(date +%s) - t0)) s"
done
if [ -z "$TABLE_ONLY" ]; then # the inbound burst again, on PostgreSQL (issue 9)
    echo "== BENCH_INBOUND_DB=pg bench/bench_inbound.sh"
    t0=$(date +%s)
    BENCH_INBOUND_DB=pg sh bench/bench_inbound.sh "$B" || { echo "FAIL BENCH_INBOUND_DB=pg bench/bench_inbound.sh"; status=1; }
    echo "== BENCH_INBOUND_DB=pg bench/bench_inbound.sh: $(($(date +%s) - t0)) s"
fi
total=
[ -n "$TABLE_ONLY" ] || total=$(($(date +%s) - t_all))

# targets TABLE: one row per target of issue 8 from the results file.
targets() {
    awk -F= -v total="$total" '
    /^#/ || !/=/ { next }
    { v[$1] = substr($0, index($0, "=") + 1) }
    function has(k) { return (k in v) && v[k] != "" && v[k] != "n/a" }
    function num(k) { return v[k] + 0 }
    function row(what, measured, target, state) {
        printf "| %s | %s | %s | %s |\n", what, measured, target, state
        if (state == "met") met++; else if (state != "reported") missed++
    }
    function state(ok) { return ok ? "met" : "MISSED" }
    # ratio WHAT KAZI PEER MIN
    function ratio(what, k, p, min,    r) {
        if (!has(k) || !has(p) || num(p) <= 0) { row(what, "not measured", ">= " min "x", "not measured"); return }
        r = num(k) / num(p)
        row(what, sprintf("%.1fx (kazi %s/s, gammu-smsd %s/s)", r, v[k], v[p]), ">= " min "x", state(r >= min))
    }
    # atmost WHAT KEY MAX UNIT [EXTRA]
    function atmost(what, k, max, unit, extra,    m) {
        if (!has(k)) { row(what, "not measured", "<= " max unit, "not measured"); return }
        m = v[k] unit (extra != "" ? " (" extra ")" : "")
        row(what, m, "<= " max unit, state(num(k) <= max))
    }
    END {
        print "| target (issue 8) | measured | target | state |"
        print "|---|---|---|---|"
        ratio("inbound messages/s vs gammu-smsd", "kazi.inbound.msgs_per_s", "peer.inbound.msgs_per_s", 10)
        ratio("outbound messages/s vs gammu-smsd", "outbound_msgs_per_s", "peer.outbound.msgs_per_s", 20)
        atmost("idle daemon: CPU between events", "idle_cpu_ticks_10s", 1, " ticks/10 s",
               (has("idle_wakeups_per_s") ? v["idle_wakeups_per_s"] " wake-ups/s; " : "") \
               (has("peer.outbound.idle_cpu_pct") ? "gammu-smsd " v["peer.outbound.idle_cpu_pct"] "% of a CPU" : ""))
        if (has("kazi.inbound.latency_p99_ms"))
            row("latency +CMTI to committed, p99", v["kazi.inbound.latency_p99_ms"] " ms (p50 " \
                (has("kazi.inbound.latency_p50_ms") ? v["kazi.inbound.latency_p50_ms"] : "?") " ms)",
                "< 50 ms", state(num("kazi.inbound.latency_p99_ms") < 50))
        else row("latency +CMTI to committed, p99", "not measured", "< 50 ms", "not measured")
        atmost("RSS idle, two modems", "kazi.inbound.rss_idle_kib", 4096, " KiB",
               has("peer.inbound.rss_idle_kib") ? "gammu-smsd " v["peer.inbound.rss_idle_kib"] " KiB" : "")
        atmost("RSS peak, 10,000-PDU burst", "kazi.inbound.rss_peak_kib", 16384, " KiB",
               has("peer.inbound.rss_peak_kib") ? "gammu-smsd " v["peer.inbound.rss_peak_kib"] " KiB" : "")
        if (has("import.kazi_rows_per_s") && has("import.sqlite_rows_per_s") && num("import.sqlite_rows_per_s") > 0) {
            r = num("import.kazi_rows_per_s") / num("import.sqlite_rows_per_s")
            row("CSV import rows/s vs sqlite3 .import", sprintf("%.2fx (%s vs %s rows/s)", r,
                v["import.kazi_rows_per_s"], v["import.sqlite_rows_per_s"]), ">= 0.7x", state(r >= 0.7))
        } else row("CSV import rows/s vs sqlite3 .import", "not measured", ">= 0.7x", "not measured")
        n = 0; worst = ""; shown = ""
        split("1 2 4", counts, " ")
        for (i = 1; i <= 3; i++) {
            k = "modems" counts[i] "_busy_min_pct"
            if (!has(k)) continue
            n++; shown = shown (shown == "" ? "" : ", ") counts[i] ": " v[k] "%"
            if (worst == "" || num(k) < worst) worst = num(k)
        }
        if (n) row("every modem busy (least busy, 1/2/4 modems)", shown, ">= 95%", state(worst >= 95))
        else row("every modem busy (least busy, 1/2/4 modems)", "not measured", ">= 95%", "not measured")
        n = 0; worst = ""; shown = ""
        for (i = 2; i <= 3; i++) {
            k = "modems" counts[i] "_scaling"
            if (!has(k)) continue
            n++; shown = shown (shown == "" ? "" : ", ") counts[i] " modems: " v[k]
            if (worst == "" || num(k) < worst) worst = num(k)
        }
        if (n) row("N modems vs N x one modem", shown, ">= 0.95", state(worst >= 0.95))
        else row("N modems vs N x one modem", "not measured", ">= 0.95", "not measured")
        atmost("SMS segments per completed task", "cost.segments_per_task", 2.1, "", "")
        if (has("ussd.p50_ms") || has("ussd.p99_ms"))
            row("USSD at 100 sessions, p50 / p99", (has("ussd.p50_ms") ? v["ussd.p50_ms"] : "?") " / " \
                (has("ussd.p99_ms") ? v["ussd.p99_ms"] : "?") " ms", "reported", "reported")
        else row("USSD at 100 sessions, p50 / p99", "not measured", "reported", "not measured")
        # issue 9: the same daemon on the kannel transport (bench_kannel.sh, fakesmsc)
        if (has("kazi.kannel.in_msgs_per_s") || has("kazi.kannel.out_parts_per_s"))
            row("through Kannel + fakesmsc (issue 9): in msgs/s / out parts/s",
                (has("kazi.kannel.in_msgs_per_s") ? v["kazi.kannel.in_msgs_per_s"] : "?") " / " \
                (has("kazi.kannel.out_parts_per_s") ? v["kazi.kannel.out_parts_per_s"] : "?"),
                "reported", "reported")
        else row("through Kannel + fakesmsc (issue 9): in msgs/s / out parts/s", "not measured",
                 "reported", "not measured")
        # issue 9: the inbound burst on PostgreSQL, one daemon (BENCH_INBOUND_DB=pg
        # bench_inbound.sh) and two sharing one database (bench_shared.sh)
        if (has("kazi.inbound_pg.msgs_per_s"))
            row("inbound on PostgreSQL, one daemon (issue 9): msgs/s, p99",
                v["kazi.inbound_pg.msgs_per_s"] " msgs/s, p99 " v["kazi.inbound_pg.latency_p99_ms"] " ms" \
                (has("kazi.inbound.msgs_per_s") ? " (SQLite " v["kazi.inbound.msgs_per_s"] " msgs/s)" : ""),
                "reported", "reported")
        else row("inbound on PostgreSQL, one daemon (issue 9): msgs/s, p99", "not measured",
                 "reported", "not measured")
        if (has("kazi.shared_pg.msgs_per_s"))
            row("two daemons sharing PostgreSQL (issue 9): msgs/s, p99",
                v["kazi.shared_pg.msgs_per_s"] " msgs/s, p99 " v["kazi.shared_pg.latency_p99_ms"] " ms; " \
                "stored twice / missing " v["kazi.shared_pg.stored_twice"] " / " v["kazi.shared_pg.not_stored"],
                "reported", "reported")
        else row("two daemons sharing PostgreSQL (issue 9): msgs/s, p99", "not measured",
                 "reported", "not measured")
        printf "\n%d met, %d not met", met, missed
        if (total != "") printf "; the benchmarks took %d s", total
        printf "\n"
    }' "$BENCH_RESULTS"
}

T=$(mktemp -d /tmp/kazi-bench-run-XXXXXX)
trap 'rm -rf "$T"' EXIT
targets >"$T/table.md"
echo
echo "== targets of issue 8 ($BENCH_RESULTS)"
cat "$T/table.md"

machine="$(uname -m), $(nproc) CPU ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo) RAM"
{
    echo "<!-- bench_targets:begin (written by bench/run.sh; edits here are overwritten) -->"
    echo "## The targets of issue 8"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $machine"
    echo "- command: \`make bench\` (bench/run.sh $B); figures from $BENCH_RESULTS, written by the"
    echo "  scripts whose sections follow (bench/README.md); ratios against gammu-smsd measured in"
    echo "  the same run (bench_peer)"
    echo
    cat "$T/table.md"
    echo "<!-- bench_targets:end -->"
} >"$T/section.md"
mkdir -p "$(dirname "$DOC")"
# shellcheck disable=SC2016
[ -f "$DOC" ] || printf '# Benchmarks\n\nFigures written by the scripts in bench/ (`make bench`).\n\n' >"$DOC"
if grep -q '<!-- bench_targets:begin' "$DOC"; then
    awk -v f="$T/section.md" '
        /<!-- bench_targets:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
        /<!-- bench_targets:end -->/ { skip = 0; next }
        !skip { print }' "$DOC" >"$T/doc.md"
else
    # first time: right after the title and its line, before the scripts' sections
    awk -v f="$T/section.md" '
        !done && /^<!-- / { while ((getline l < f) > 0) print l; print ""; done = 1 }
        { print }
        END { if (!done) { print ""; while ((getline l < f) > 0) print l } }' "$DOC" >"$T/doc.md"
fi
cat "$T/doc.md" >"$DOC"
exit $status
