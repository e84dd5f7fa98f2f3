/*
 * soak_checks.h - test helper for tests/integration/test_soak.c: the
 * end-of-run invariants, in SQL over the test's records with the daemon's
 * database attached as k: every injected SMS stored exactly once; every
 * part the network took sent once, unless marked 'unknown' (or retried
 * after an AT+CMGS timeout); every task resolved or flagged; every on-time
 * answer paid once; the ledger check; nobody offered a task twice; nothing
 * to a worker after the reply to their STOP; pushes only inside the push
 * window. Prints the first offending rows of a failed check.
 * Works on the run's state W and records (soak_world.h); runs only
 * after the queues drained.
 * Never moves the clock, never sends an SMS, never changes the daemon's
 * database (the stops table of the test's records gets its open intervals).
 */
#ifndef KAZI_TEST_SOAK_CHECKS_H
#define KAZI_TEST_SOAK_CHECKS_H

#include <stdint.h>
#include <stdio.h>

#include "harness.h"
#include "payout.h"
#include "soak_world.h"

/* Print the first rows of a query that should have none (the evidence of a failed check). */
static void t_show(const char *what, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(W.t, sql, -1, &s, NULL) != SQLITE_OK)
        return;
    for (int n = 0; n < 8 && sqlite3_step(s) == SQLITE_ROW; n++) {
        fprintf(stderr, "  %s:", what);
        for (int c = 0; c < sqlite3_column_count(s); c++)
            fprintf(stderr, " %s", sqlite3_column_text(s, c) ? (const char *)sqlite3_column_text(s, c) : "NULL");
        fputc('\n', stderr);
    }
    sqlite3_finalize(s);
}

static void check_messages(void)
{
    /* Inbound: each (phone, text) as often as the phones sent it. */
    const char *in =
        "WITH t AS (SELECT phone, body, count(*) n FROM tx GROUP BY 1, 2),"
        " d AS (SELECT peer phone, body, count(*) n FROM k.messages WHERE direction = 'in'"
        " AND peer <> 'MPESA' GROUP BY 1, 2)"
        " SELECT t.phone, t.body, t.n, coalesce(d.n, 0) FROM t LEFT JOIN d USING (phone, body)"
        " WHERE coalesce(d.n, 0) <> t.n UNION ALL SELECT d.phone, d.body, 0, d.n FROM d"
        " LEFT JOIN t USING (phone, body) WHERE t.phone IS NULL";
    char sql[1200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", in);
    int64_t bad = t_int(sql);
    KT_CHECK(bad == 0, "every SMS the phones sent is stored exactly once (%lld (phone, text)"
             " pairs differ; phone text sent stored:)", (long long)bad);
    if (bad)
        t_show("inbound", in);
    /*
     * Outbound: per PDU, sent/delivered rows <= parts the network took <= those
     * + unknown + timeouts. The one documented duplicate: an AT+CMGS the modem
     * did not answer in time is retried (KZ_ERR_TIMEOUT). A part sent after such
     * retries has attempts > 1 and its message keeps the "timed out via <modem>"
     * error, so it may have reached the network up to `attempts` times.
     */
    const char *out =
        "WITH s AS (SELECT pdu, count(*) n FROM rx GROUP BY 1),"
        " o AS (SELECT p.pdu_hex pdu, sum(p.state IN ('sent','delivered')) ok,"
        " sum(p.state = 'unknown') unk, sum(CASE WHEN p.state IN ('sent','delivered')"
        " AND m.error LIKE 'timed out via %' THEN p.attempts - 1 ELSE 0 END) tmo,"
        " count(*) rows FROM k.outbox_parts p JOIN k.messages m ON m.id = p.message_id"
        " GROUP BY 1)"
        " SELECT s.pdu, s.n, coalesce(o.ok, 0), coalesce(o.unk, 0) FROM s LEFT JOIN o USING (pdu)"
        " WHERE s.n < coalesce(o.ok, 0)"
        " OR s.n > coalesce(o.ok, 0) + coalesce(o.unk, 0) + coalesce(o.tmo, 0)"
        " UNION ALL SELECT o.pdu, 0, o.ok, o.unk FROM o LEFT JOIN s USING (pdu)"
        " WHERE s.pdu IS NULL AND o.ok > 0";
    /* For a failure: when and where the network took it, and what the outbox recorded. */
    const char *why =
        "SELECT r.pdu, 'taken by m' || (r.modem + 1) || ' at ' || r.at_ms, (SELECT"
        " group_concat(p.modem || ' ' || p.state || ' attempts ' || p.attempts || ' mr ' ||"
        " coalesce(p.mr, '-') || ' ' || coalesce(p.error, '') || ' (message: ' ||"
        " coalesce(m.error, '') || ')', '; ') FROM k.outbox_parts p JOIN k.messages m"
        " ON m.id = p.message_id WHERE p.pdu_hex = r.pdu) FROM rx r WHERE r.pdu IN"
        " (SELECT pdu FROM rx GROUP BY 1 HAVING count(*) > 1)";
    /* The documented duplicates that the check above let through. */
    const char *timeouts =
        "SELECT count(*) FROM (SELECT r.pdu FROM rx r JOIN k.outbox_parts p ON p.pdu_hex = r.pdu"
        " JOIN k.messages m ON m.id = p.message_id WHERE p.state IN ('sent','delivered')"
        " AND p.attempts > 1 AND m.error LIKE 'timed out via %' GROUP BY r.pdu"
        " HAVING count(*) > 1)";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", out);
    bad = t_int(sql);
    KT_CHECK(bad == 0, "every part the network took was sent exactly once, or marked 'unknown'"
             " (%lld PDUs differ; pdu taken sent unknown:)", (long long)bad);
    if (bad) {
        t_show("outbound", out);
        t_show("taken more than once", why);
    }
    printf("  outbound duplicates after an unanswered AT+CMGS (retried on timeout): %lld\n",
           (long long)t_int(timeouts));
    KT_CHECK(t_int("SELECT count(*) FROM k.outbox_parts WHERE state IN ('queued','sending')") == 0,
             "no part left queued or sending");
    /* The inbox's fallback: stored, but the conversation could not handle it (no reply). */
    const char *unhandled = "SELECT id, peer, body, created_at FROM k.messages WHERE direction ="
                            " 'in' AND state = 'received'";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", unhandled);
    bad = t_int(sql);
    KT_CHECK(bad == 0, "every inbound SMS was handled (%lld left 'received':)", (long long)bad);
    if (bad)
        t_show("unhandled", unhandled);
}

static void check_work(void)
{
    KT_CHECK(t_int("SELECT count(*) FROM k.tasks t WHERE t.gold IS NULL AND NOT EXISTS"
                   " (SELECT 1 FROM k.task_results r WHERE r.task_id = t.id)") == 0,
             "every task resolved or flagged for review");
    KT_CHECK(t_int("SELECT count(*) FROM k.answers a WHERE a.late = 0 AND (SELECT count(*) FROM"
                   " k.ledger_entries l WHERE l.answer_id = a.id AND l.kind = 'reward' AND"
                   " l.amount_minor = 1000) <> 1") == 0,
             "every on-time answer paid exactly once");
    KT_CHECK(t_int("SELECT count(*) FROM k.answers a JOIN k.ledger_entries l ON"
                   " l.answer_id = a.id AND l.kind = 'reward' WHERE a.late = 1") == 0,
             "no late answer paid");
    KT_CHECK(t_int("SELECT count(*) FROM (SELECT task_id, worker_id FROM k.assignments"
                   " GROUP BY 1, 2 HAVING count(*) > 1)") == 0,
             "no worker got the same task twice");
    KT_CHECK(t_int("SELECT count(*) FROM k.tasks WHERE taken <> (SELECT count(*) FROM"
                   " k.assignments a WHERE a.task_id = tasks.id AND a.state IN"
                   " ('offered','answered'))") == 0,
             "taken counters exact");
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    size_t problems = 0;
    kz_status rc = store_open(W.db, 0, &st, &err);
    if (rc == KZ_OK)
        rc = payout_check(st, NULL, NULL, &problems, &err);
    KT_CHECK(rc == KZ_OK && problems == 0, "ledger check (kazi check): %zu problem(s) %s",
             problems, err.msg);
    store_close(st);
}

static void check_promises(void)
{
    /* Intervals still open at the end: the worker never came back. */
    for (int i = 0; i < W.nworkers; i++)
        if (W.w[i].stopped)
            record("INSERT INTO stops (phone, body, from_ms, to_ms) VALUES (?1, ?2, ?3, ?4)",
                   W.w[i].phone, "", W.w[i].stop_from_ms, INT64_MAX);
    /* A reply to a message the worker sent after the STOP (an answer that
     * reached Kazi late through the other SIM gets "You left Kazi...") is an
     * answer, not a broken promise: replies queued after the reply to the
     * STOP (a higher message id) are let through; anything queued before it
     * that still arrives after it is not. */
    char after_stop[1000];
    snprintf(after_stop, sizeof after_stop,
             "SELECT r.phone, r.at_ms, s.from_ms, s.to_ms FROM rx r JOIN stops s ON"
             " s.phone = r.phone AND r.at_ms >= s.from_ms AND r.at_ms < s.to_ms"
             " WHERE NOT EXISTS (SELECT 1 FROM k.outbox_parts p JOIN k.messages m"
             " ON m.id = p.message_id WHERE p.pdu_hex = r.pdu AND m.kind = 'reply'"
             " AND m.id > (SELECT max(x.id) FROM k.messages x WHERE x.peer = r.phone"
             " AND x.direction = 'out' AND x.body LIKE 'You have left Kazi%%'"
             " AND (x.created_at - %lld) * 1000 + %lld <= s.from_ms))",
             (long long)T0, (long long)V0);
    char sql[1400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", after_stop);
    int64_t bad = t_int(sql);
    KT_CHECK(bad == 0, "nothing reached a worker after the reply to their STOP (%lld parts)",
             (long long)bad);
    if (bad)
        t_show("after STOP", after_stop);
    /* Pushes: created inside the window, and reached the network inside it (+ grace). */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM k.messages m WHERE m.direction = 'out' AND m.kind ="
             " 'unsolicited' AND EXISTS (SELECT 1 FROM k.assignments a WHERE a.message_id ="
             " m.id) AND ((m.created_at + %d) %% 86400) / 60 NOT BETWEEN %d AND %d",
             TZ_MIN * 60, PUSH_FROM, PUSH_TO - 1);
    KT_CHECK(t_int(sql) == 0, "no offer pushed outside %02d:00-%02d:00", PUSH_FROM / 60,
             PUSH_TO / 60);
    char q[700];
    snprintf(q, sizeof q,
             "SELECT r.phone, r.at_ms, m.id, m.created_at FROM rx r JOIN k.outbox_parts p ON"
             " p.pdu_hex = r.pdu JOIN k.messages m ON m.id = p.message_id WHERE m.kind ="
             " 'unsolicited' AND ((%lld + (r.at_ms - %lld) / 1000 + %d) %% 86400) / 60"
             " NOT BETWEEN %d AND %d",
             (long long)T0, (long long)V0, TZ_MIN * 60, PUSH_FROM,
             PUSH_TO - 1 + QUIET_GRACE_S / 60);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", q);
    bad = t_int(sql);
    KT_CHECK(bad == 0, "no unsolicited part reached a phone in quiet hours (%lld)",
             (long long)bad);
    if (bad)
        t_show("quiet hours", q);
}

#endif
