/*
 * test_engine_sim.c - the acceptance simulation of issue 5: 500 simulated
 * workers with mixed accuracy, speed, hours and languages complete a
 * 2,000-task batch at redundancy 3 (imported through the real CSV import),
 * on a simulated clock over days, talking to Kazi only by SMS through
 * conv_handle_sms - exactly the path of `kazi sms in` and the daemon: JOIN
 * (JIUNGE), HOURS, PAUSE, answers as "42 2", "42*2", bare answers and
 * "42 Nairobi West", NEXT, SKIP n, MORE n, one STOP with offers open, and
 * APPEAL after a rejection. Offers reach a worker as the queued outbound
 * text (a reply, or an unsolicited push from engine_push_each +
 * conv_push_offer); the worker reads the ref and the task from that text as
 * the phone shows it. Rejections and appeal decisions go through the engine
 * with their notices (tasks/conv_notice.c) in one transaction, and a human
 * settles some tasks in review.
 * Checks: every task resolved or flagged for review; every on-time answer
 * paid exactly once, late ones not; every inbound SMS refunded once;
 * balances equal the sum of entries (holds and appeals included); nobody
 * got a task twice, nor had a new answer taken for a resend; no
 * unsolicited offer outside the push window, the worker's own hours or a
 * pause, nor anything after STOP (from the queued rows' kind and
 * created_at). Prints the figures, with SMS segments per completed task
 * from the real queued messages.
 * Never depends on the wall clock; the PRNG has a fixed seed.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "conv_parse.h"
#include "csv_import.h"
#include "engine.h"
#include "harness.h"
#include "store.h"
#include "templates.h"

#define N_WORKERS 500
#define N_TASKS 2000
#define N_GOLD 40
#define MAX_OPEN 3
#define SIM_OPEN 8         /* offers a simulated phone remembers */
#define TICK 120           /* seconds per step of the clock */
#define PUSH_EVERY 5       /* push walk every this many ticks */
#define MAX_DAYS 10
#define T_START INT64_C(1740931200) /* Sunday 2 March 2025 19:00 Nairobi (16:00 UTC) */
#define T_STOP (T_START + 15 * 3600) /* Monday 10:00: one worker sends STOP */
#define REPEAT_WAIT 660    /* a worker told "already answered" tries again after this */

/* ---- the batch ---- */

static const char *const places[] = {"Nairobi West", "Kisumu", "Mombasa Road", "Eldoret",
                                     "Nakuru Town", "Thika", "Kitale", "Machakos"};
#define N_PLACES 8

typedef struct sim_task {
    int64_t id;
    int kind;   /* 0 verify, 1 choice, 2 transcribe */
    int truth;  /* option index 1..n, or place index */
    bool gold;
} sim_task;

static sim_task tasks[N_TASKS + N_GOLD];
static int n_sim_tasks;

/* ---- the database and the conversation ---- */

static kz_store *st;
static sqlite3 *raw;
static conv_config ccfg;
static const engine_config *cfg = &ccfg.engine;

#include "sim_workers.h"

/* Write the CSV of the batch into a heap buffer (*len bytes). */
static char *batch_csv(size_t *len)
{
    size_t cap = 256 * (N_TASKS + N_GOLD) + 256;
    char *buf = malloc(cap);
    size_t n = (size_t)snprintf(buf, cap, "id,type,prompt,options,gold\n");
    for (int i = 0; i < N_TASKS + N_GOLD; i++) {
        sim_task *t = &tasks[i];
        t->kind = i % 3;
        t->gold = i >= N_TASKS;
        const char *type = t->kind == 0 ? "verify" : t->kind == 1 ? "choice" : "transcribe";
        const char *opts = t->kind == 0 ? "Yes|No" : t->kind == 1 ? "Food|Phones|Cloth" : "";
        t->truth = t->kind == 0 ? 1 + rnd(2) : t->kind == 1 ? 1 + rnd(3) : rnd(N_PLACES);
        char p[80], gold[40] = "";
        if (t->kind == 0)
            snprintf(p, sizeof p, "Is the kiosk in photo %d open?", i + 1);
        else if (t->kind == 1)
            snprintf(p, sizeof p, "What sells at stall %d?", i + 1);
        else
            snprintf(p, sizeof p, "Type the town on sign %d", i + 1);
        if (t->gold && t->kind == 2)
            snprintf(gold, sizeof gold, "%s", places[t->truth]);
        else if (t->gold)
            snprintf(gold, sizeof gold, "%d", t->truth);
        n += (size_t)snprintf(buf + n, cap - n, "%s%d,%s,%s,%s,%s\n", t->gold ? "g" : "t", i + 1,
                              type, p, opts, gold);
    }
    *len = n;
    return buf;
}

static int64_t raw_int(const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(raw, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    else
        KT_CHECK(0, "%s: %s", sql, sqlite3_errmsg(raw));
    sqlite3_finalize(s);
    return v;
}

static bool in_window(int from, int to, int m)
{
    if (from == to)
        return true;
    return from < to ? (m >= from && m < to) : (m >= from || m < to);
}

/* Why an unsolicited offer to w at t would break a promise (NULL if it would not). */
static const char *quiet_breach(const sim_worker *w, int64_t t)
{
    int m = local_minute(t);
    if (!in_window(cfg->push_from_minute, cfg->push_to_minute, m))
        return "outside the push window";
    if (w->hours_from >= 0 && !in_window(w->hours_from, w->hours_to, m))
        return "outside the worker's hours";
    if (w->paused_until > t)
        return "while paused";
    if (w->stopped_at && t >= w->stopped_at)
        return "after STOP";
    return NULL;
}

/* The daemon's push: every worker engine_push_each names gets one offer, by conv. */
typedef struct push_ids {
    int64_t ids[N_WORKERS];
    size_t n;
} push_ids;

static int push_collect(void *ctx, int64_t worker_id)
{
    push_ids *p = ctx;
    if (p->n < N_WORKERS)
        p->ids[p->n++] = worker_id;
    return 0;
}

static sim_worker *worker_by_id(int64_t id)
{
    for (int i = 0; i < N_WORKERS; i++)
        if (workers[i].id == id)
            return &workers[i];
    return NULL;
}

static void push(int64_t now)
{
    static push_ids p;
    p.n = 0;
    kz_err err;
    KT_CHECK(engine_push_each(st, cfg, now, push_collect, &p, &err) == KZ_OK, "push: %s",
             err.msg);
    for (size_t i = 0; i < p.n; i++) {
        sim_worker *w = worker_by_id(p.ids[i]);
        bool offered = false;
        conv_reply r;
        KT_CHECK(w && conv_push_offer(st, &ccfg, p.ids[i], now, &offered, &r, &err) == KZ_OK,
                 "push to %lld: %s", (long long)p.ids[i], err.msg);
        if (w && offered)
            read_offer(w, r.text, now);
    }
}

static void import_batch(void)
{
    size_t len = 0;
    char *csv = batch_csv(&len);
    FILE *f = fmemopen(csv, len, "rb");
    csv_import_opts o = {.source = "sim.csv", .batch = "sim", .requester = "Duka Survey",
                         .reward_minor = 300, .redundancy = 3, .est_seconds = 30,
                         .floor = PAYFLOOR_KES_DEFAULT};
    csv_import_result res;
    kz_err err;
    kz_status rc = csv_import_file(st, f, &o, &res, &err);
    fclose(f);
    free(csv);
    KT_CHECK(rc == KZ_OK && res.added == N_TASKS + N_GOLD, "import: %s (%llu added)", err.msg,
             (unsigned long long)res.added);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(raw, "SELECT id FROM tasks ORDER BY id", -1, &s, NULL);
    while (sqlite3_step(s) == SQLITE_ROW && n_sim_tasks < N_TASKS + N_GOLD)
        tasks[n_sim_tasks++].id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
}

/* ---- the run ---- */

static bool all_done(void)
{
    return raw_int("SELECT count(*) FROM tasks t WHERE t.gold IS NULL AND NOT EXISTS"
                   " (SELECT 1 FROM task_results r WHERE r.task_id = t.id)") == 0;
}

static int64_t run(void)
{
    int64_t now = T_START + 20 * 60;
    kz_err err;
    for (long tick = 0; now < T_START + MAX_DAYS * 86400; tick++, now += TICK) {
        KT_CHECK(engine_expire(st, now, NULL, &err) == KZ_OK, "expire: %s", err.msg);
        for (int i = 0; i < N_WORKERS; i++)
            worker_step(&workers[i], now);
        if (tick % PUSH_EVERY == 0) {
            push(now);
            if (all_done())
                break;
        }
    }
    return now;
}

/* ---- after the run: requesters reject, workers appeal by SMS, humans decide ---- */

/* Reject answer aid with its notice in one transaction; the notice's text into text. */
static void reject_with_notice(int64_t aid, int64_t now, char *text, size_t cap)
{
    kz_err err;
    conv_reply notice;
    kz_status rc = store_begin(st, &err);
    if (rc == KZ_OK)
        rc = engine_reject(st, aid, "does not match the photo", now, &err);
    if (rc == KZ_OK)
        rc = conv_notify_rejection(st, &ccfg, aid, "does not match the photo", now, &notice,
                                   &err);
    if (rc == KZ_OK)
        rc = store_commit(st, &err);
    else
        store_rollback(st);
    KT_CHECK(rc == KZ_OK, "reject %lld: %s", (long long)aid, err.msg);
    snprintf(text, cap, "%s", rc == KZ_OK && notice.message_id ? notice.text : "");
}

static void decide_with_notice(int64_t appeal, bool overturn, int64_t now)
{
    kz_err err;
    conv_reply notice;
    kz_status rc = store_begin(st, &err);
    if (rc == KZ_OK)
        rc = engine_appeal_decide(st, appeal, overturn, "coordinator",
                                  overturn ? "photo was unclear" : "photo is clear", now, &err);
    if (rc == KZ_OK)
        rc = conv_notify_appeal_decision(st, &ccfg, appeal, now, &notice, &err);
    if (rc == KZ_OK)
        rc = store_commit(st, &err);
    else
        store_rollback(st);
    KT_CHECK(rc == KZ_OK && notice.message_id > 0 &&
                 says(notice.text, overturn ? "was accepted" : "was not accepted",
                      overturn ? "imekubaliwa" : "haikukubaliwa"),
             "decide %lld: %s %s", (long long)appeal, err.msg, notice.text);
}

/* The worker reads "Reply APPEAL 42" in the notice and appeals by SMS. */
static bool appeal_by_sms(sim_worker *w, const char *notice, int64_t now)
{
    const char *p = strstr(notice, w->sw ? "RUFANI " : "APPEAL ");
    KT_CHECK(p != NULL, "no APPEAL in the notice: %s", notice);
    if (!p)
        return false;
    char text[64];
    snprintf(text, sizeof text, "%s %d %s", w->sw ? "RUFANI" : "APPEAL", atoi(p + 7),
             w->sw ? "niliangalia vizuri" : "I looked carefully");
    conv_result r;
    sms(w, text, now, &r);
    bool ok = r.nreplies == 1 && says(r.replies[0].text, "sent to a person", "imetumwa kwa mtu");
    KT_CHECK(ok, "appeal '%s': %s", text, r.nreplies ? r.replies[0].text : "no reply");
    return ok;
}

static long n_rejected, n_appealed, n_decided;

static void review(int64_t now)
{
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(raw,
                       "SELECT a.id, a.worker_id FROM answers a WHERE a.agrees = 0 AND"
                       " a.late = 0 ORDER BY a.id LIMIT 40",
                       -1, &s, NULL);
    int64_t aids[40], wids[40];
    int n = 0;
    while (n < 40 && sqlite3_step(s) == SQLITE_ROW) {
        aids[n] = sqlite3_column_int64(s, 0);
        wids[n++] = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    KT_CHECK(n > 0, "some answers to review");
    for (int i = 0; i < n; i++) {
        char notice[TMPL_OUT_CAP];
        reject_with_notice(aids[i], now + i, notice, sizeof notice);
        n_rejected++;
        sim_worker *w = worker_by_id(wids[i]);
        if (i % 2 != 0 || !w || !*notice || !appeal_by_sms(w, notice, now + i + 30))
            continue;
        n_appealed++;
        char sql[120];
        snprintf(sql, sizeof sql, "SELECT id FROM appeals WHERE answer_id = %lld",
                 (long long)aids[i]);
        if (i % 4 == 0) {
            decide_with_notice(raw_int(sql), i % 8 == 0, now + i + 60);
            n_decided++;
        }
    }
}

/* A human settles the tasks in review with the right answer; nobody's pay changes. */
static int collect_review(void *ctx, const engine_review_row *r)
{
    int64_t *ids = ctx;
    if (ids[0] < 10)
        ids[++ids[0]] = r->task_id;
    return 0;
}

static long n_settled;

static void settle(int64_t now)
{
    int64_t ids[11] = {0};
    kz_err err;
    int64_t before = raw_int("SELECT sum(amount_minor) FROM ledger_entries");
    KT_CHECK(engine_review_each(st, collect_review, ids, &err) == KZ_OK, "review list");
    static const char *const choice[] = {"", "Food", "Phones", "Cloth"};
    for (int64_t i = 1; i <= ids[0]; i++) {
        int k = 0;
        while (k < n_sim_tasks && tasks[k].id != ids[i])
            k++;
        const sim_task *t = &tasks[k];
        const char *truth = t->kind == 0   ? (t->truth == 1 ? "Yes" : "No")
                            : t->kind == 1 ? choice[t->truth]
                                           : places[t->truth];
        KT_CHECK(engine_review_settle(st, ids[i], truth, "reviewer", now, NULL, &err) == KZ_OK,
                 "settle %lld: %s", (long long)ids[i], err.msg);
        n_settled++;
    }
    KT_CHECK(raw_int("SELECT sum(amount_minor) FROM ledger_entries") == before,
             "settling changed nobody's pay");
}

/* ---- the checks ---- */

static void check_ledger(int64_t now)
{
    /* Every on-time answer paid once with the task's reward; late ones never. */
    KT_CHECK(raw_int("SELECT count(*) FROM answers a WHERE a.late = 0 AND (SELECT count(*) FROM"
                     " ledger_entries l WHERE l.answer_id = a.id AND l.kind = 'reward'"
                     " AND l.amount_minor = 300) <> 1") == 0,
             "every on-time answer paid exactly once");
    KT_CHECK(raw_int("SELECT count(*) FROM answers a JOIN ledger_entries l ON l.answer_id = a.id"
                     " AND l.kind = 'reward' WHERE a.late = 1") == 0,
             "no late answer paid");
    KT_CHECK(raw_int("SELECT count(*) FROM messages m WHERE m.direction = 'in' AND (SELECT"
                     " count(*) FROM ledger_entries l WHERE l.message_id = m.id AND l.kind ="
                     " 'sms_refund' AND l.amount_minor = 120 * m.segments) <> 1") == 0,
             "every inbound message refunded once (%lld not)",
             (long long)raw_int("SELECT count(*) FROM messages m WHERE m.direction = 'in' AND"
                                " NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE"
                                " l.message_id = m.id AND l.kind = 'sms_refund')"));
    /* Balance = sum of entries, per worker; held = open holds. */
    int64_t total_held = 0;
    for (int i = 0; i < N_WORKERS; i++) {
        engine_balance b;
        kz_err err;
        KT_CHECK(engine_balance_at(st, workers[i].id, "KES", now, &b, &err) == KZ_OK, "bal");
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE worker_id ="
                 " %lld",
                 (long long)workers[i].id);
        KT_CHECK(b.available_minor == raw_int(sql), "worker %d: balance is the sum", i);
        total_held += b.held_minor;
    }
    char q[600];
    snprintf(q, sizeof q,
             "SELECT coalesce(-sum(l.amount_minor), 0) FROM ledger_entries l JOIN answers a ON"
             " a.id = l.answer_id WHERE l.kind = 'hold' AND a.state = 'rejected' AND (EXISTS"
             " (SELECT 1 FROM appeals p WHERE p.answer_id = a.id AND p.state = 'open') OR"
             " (NOT EXISTS (SELECT 1 FROM appeals p WHERE p.answer_id = a.id) AND"
             " a.rejected_at > %lld))",
             (long long)(now - ENGINE_APPEAL_DAYS * 86400));
    int64_t want_held = raw_int(q);
    KT_CHECK(total_held == want_held, "held %lld, want %lld", (long long)total_held,
             (long long)want_held);
}

typedef struct out_figures {
    long pushes, offers_on_reply, offers_on_next, acks_rode, notices, replies_checked;
} out_figures;

static out_figures O;

/*
 * Is inbound message in_id from worker_id at time t, and a NEXT? 1 or 0; -1
 * if there is no such message. in: "SELECT body ... WHERE id, worker_id, created_at".
 */
static int inbound_next(sqlite3_stmt *in, int64_t in_id, int64_t worker_id, int64_t t)
{
    sqlite3_bind_int64(in, 1, in_id);
    sqlite3_bind_int64(in, 2, worker_id);
    sqlite3_bind_int64(in, 3, t);
    int rc = -1;
    if (sqlite3_step(in) == SQLITE_ROW) {
        const char *b = (const char *)sqlite3_column_text(in, 0);
        conv_cmd c;
        conv_parse(b, strlen(b), &c);
        rc = c.kind == CONV_NEXT;
    }
    sqlite3_reset(in);
    return rc;
}

/* One outbound row: who may get it, when (worker promise 3). */
static void check_out_row(sqlite3_stmt *s, sqlite3_stmt *in)
{
    int64_t wid = sqlite3_column_int64(s, 0), at = sqlite3_column_int64(s, 1);
    const char *kind = (const char *)sqlite3_column_text(s, 2);
    const char *key = (const char *)sqlite3_column_text(s, 3);
    bool offer = sqlite3_column_int(s, 4) != 0;
    const char *body = (const char *)sqlite3_column_text(s, 5);
    const sim_worker *w = worker_by_id(wid);
    KT_CHECK(w != NULL, "outbound row for worker %lld", (long long)wid);
    if (!w)
        return;
    const char *why = NULL;
    if (strcmp(kind, "unsolicited") == 0) {
        O.pushes += offer;
        O.notices += !offer;
        why = offer ? quiet_breach(w, at) : NULL; /* notices: the outbox keeps the window */
    } else {
        long long in_id = 0;
        KT_CHECK(key && sscanf(key, "re:%lld:", &in_id) == 1, "reply without its SMS: %s", key);
        int next = inbound_next(in, (int64_t)in_id, wid, at);
        KT_CHECK(next >= 0, "reply %s is not to the worker's own SMS at that time", key);
        O.replies_checked++;
        O.offers_on_next += offer && next == 1;
        O.offers_on_reply += offer && next == 0;
        O.acks_rode += offer && body[0] != '#';
        if (offer && next == 0)
            why = quiet_breach(w, at); /* an offer riding on an ack is still unsolicited */
    }
    if (why)
        KT_CHECK(0, "%s message to worker %lld at %lld %s: %s", kind, (long long)wid,
                 (long long)at, why, body);
}

static void check_quiet_hours(void)
{
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(raw,
                       "SELECT m.worker_id, m.created_at, m.kind, m.dedupe_key,"
                       " EXISTS (SELECT 1 FROM assignments a WHERE a.message_id = m.id), m.body"
                       " FROM messages m WHERE m.direction = 'out' ORDER BY m.id",
                       -1, &s, NULL);
    sqlite3_stmt *in = NULL;
    sqlite3_prepare_v2(raw,
                       "SELECT body FROM messages WHERE id = ?1 AND direction = 'in' AND"
                       " worker_id = ?2 AND created_at = ?3",
                       -1, &in, NULL);
    while (in && sqlite3_step(s) == SQLITE_ROW)
        check_out_row(s, in);
    KT_CHECK(in != NULL, "preparing: %s", sqlite3_errmsg(raw));
    sqlite3_finalize(s);
    sqlite3_finalize(in);
    KT_CHECK(raw_int("SELECT count(*) FROM assignments WHERE message_id IS NULL") == 0,
             "every offer went out in an SMS");
    KT_CHECK(raw_int("SELECT count(*) FROM messages m JOIN workers w ON w.id = m.worker_id"
                     " WHERE m.direction = 'out' AND w.stopped_at IS NOT NULL AND"
                     " m.created_at > w.stopped_at") == 0,
             "nothing sent after STOP");
}

static void check_promises(void)
{
    KT_CHECK(all_done(), "every task resolved or flagged for review");
    KT_CHECK(raw_int("SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments GROUP BY"
                     " 1, 2 HAVING count(*) > 1)") == 0,
             "no worker got a task twice");
    KT_CHECK(raw_int("SELECT count(*) FROM (SELECT task_id, worker_id FROM answers GROUP BY"
                     " 1, 2 HAVING count(*) > 1)") == 0,
             "no worker answered a task twice");
    KT_CHECK(raw_int("SELECT count(*) FROM assignments a JOIN workers w ON w.id = a.worker_id"
                     " WHERE w.stopped_at IS NOT NULL AND a.offered_at >= w.stopped_at") == 0,
             "nothing offered after STOP");
    KT_CHECK(raw_int("SELECT count(*) FROM workers WHERE state = 'stopped'") >= 1 &&
                 raw_int("SELECT count(*) FROM workers WHERE lang = 'sw'") > 50,
             "some stopped, some Swahili");
    KT_CHECK(raw_int("SELECT count(*) FROM tasks WHERE taken <> (SELECT count(*) FROM"
                     " assignments a WHERE a.task_id = tasks.id AND a.state IN"
                     " ('offered','answered'))") == 0,
             "taken counters exact");
    KT_CHECK(S.unexpected == 0, "%ld unexpected replies", S.unexpected);
    KT_CHECK(S.repeats == 0, "%ld new answers taken for a resend", S.repeats);
}

static void report(int64_t end)
{
    int64_t resolved = raw_int("SELECT count(*) FROM task_results r JOIN tasks t ON"
                               " t.id = r.task_id WHERE t.gold IS NULL AND r.state = 'resolved'"
                               " AND r.reviewer IS NULL");
    int64_t review = raw_int("SELECT count(*) FROM task_results r JOIN tasks t ON"
                             " t.id = r.task_id WHERE t.gold IS NULL AND (r.state = 'review'"
                             " OR r.reviewer IS NOT NULL)");
    int64_t correct = 0;
    static const char *const choice[] = {"", "Food", "Phones", "Cloth"};
    for (int i = 0; i < n_sim_tasks; i++) {
        engine_result r;
        kz_err err;
        if (tasks[i].gold || engine_result_get(st, tasks[i].id, &r, &err) != KZ_OK ||
            strcmp(r.state, "resolved") != 0)
            continue;
        const char *truth = tasks[i].kind == 0   ? (tasks[i].truth == 1 ? "Yes" : "No")
                            : tasks[i].kind == 1 ? choice[tasks[i].truth]
                                                 : places[tasks[i].truth];
        char a[64], b[64];
        engine_text_key(r.consensus, a, sizeof a);
        engine_text_key(truth, b, sizeof b);
        correct += strcmp(a, b) == 0;
    }
    int64_t escalated = raw_int("SELECT count(*) FROM tasks WHERE wanted > 3 AND gold IS NULL");
    int64_t offers = raw_int("SELECT count(*) FROM assignments");
    int64_t gold_offers = raw_int("SELECT count(*) FROM assignments a JOIN tasks t ON"
                                  " t.id = a.task_id WHERE t.gold IS NOT NULL");
    int64_t out_n = raw_int("SELECT count(*) FROM messages WHERE direction = 'out'");
    int64_t out_s = raw_int("SELECT sum(segments) FROM messages WHERE direction = 'out'");
    int64_t in_n = raw_int("SELECT count(*) FROM messages WHERE direction = 'in'");
    int64_t in_s = raw_int("SELECT sum(segments) FROM messages WHERE direction = 'in'");
    char q[200];
    snprintf(q, sizeof q, "SELECT coalesce(sum(segments), 0) FROM messages WHERE created_at <"
                          " %lld", (long long)(T_START + 20 * 60));
    int64_t join_s = raw_int(q);
    double done = (double)(resolved + review);
    printf("simulation (by SMS through conv_handle_sms): %d workers, %d tasks (+%d gold),"
           " redundancy 3, %.1f days simulated\n",
           N_WORKERS, N_TASKS, N_GOLD, (double)(end - T_START) / 86400.0);
    printf("  tasks resolved %lld (consensus right %.1f%%), needs review %lld (%ld settled by"
           " a human), escalated %lld\n",
           (long long)resolved, 100.0 * (double)correct / (double)(resolved + n_settled),
           (long long)review, n_settled, (long long)escalated);
    printf("  offers %lld (%ld pushed, %ld riding on replies, %ld on NEXT; %lld gold = %.1f%%),"
           " expired %lld, skipped %lld\n",
           (long long)offers, O.pushes, O.offers_on_reply, O.offers_on_next,
           (long long)gold_offers, 100.0 * (double)gold_offers / (double)offers,
           (long long)raw_int("SELECT count(*) FROM assignments WHERE state = 'expired'"),
           (long long)raw_int("SELECT count(*) FROM assignments WHERE state = 'skipped'"));
    printf("  answers %lld on time + %lld late, bare %ld, MORE %lld (+%ld refused), NEXT %ld"
           " (%ld with nothing to give), answers taken for a resend %ld\n",
           (long long)raw_int("SELECT count(*) FROM answers WHERE late = 0"),
           (long long)raw_int("SELECT count(*) FROM answers WHERE late = 1"), S.bare,
           (long long)raw_int("SELECT sum(extensions) FROM assignments"), S.mores_refused,
           S.nexts, S.next_empty, S.repeats);
    printf("  rejected %ld with a notice, appealed by SMS %ld, decided %ld\n", n_rejected,
           n_appealed, n_decided);
    printf("  outbound: %lld messages, %lld segments (%ld notices; acks rode on %ld offers)\n",
           (long long)out_n, (long long)out_s, O.notices, O.acks_rode);
    printf("  inbound: %lld messages, %lld segments; joining took %lld segments both ways\n",
           (long long)in_n, (long long)in_s, (long long)join_s);
    printf("  SMS segments per resolved task: %.2f (%.2f out, %.2f in); per task resolved or"
           " flagged: %.2f\n",
           (double)(out_s + in_s) / (double)resolved, (double)out_s / (double)resolved,
           (double)in_s / (double)resolved, (double)(out_s + in_s) / done);
    printf("  ledger total KSh %.2f\n",
           (double)raw_int("SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries") / 100.0);
}

int main(void)
{
    const char *base = getenv("KAZI_SIM_DIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/kazi-sim-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/kazi.db", dir);
    kz_err err;
    tmpl_set *t = NULL;
    const char *tdir = getenv("KAZI_TEMPLATES");
    if (tmpl_load_dir(tdir && *tdir ? tdir : KAZI_TEMPLATE_DIR, &t, &err) != KZ_OK ||
        store_open(path, STORE_OPEN_CREATE, &st, &err) != KZ_OK ||
        sqlite3_open(path, &raw) != SQLITE_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    sqlite3_busy_timeout(raw, 5000);
    conv_config_defaults(&ccfg);
    ccfg.templates = t;
    ccfg.engine.max_open_per_worker = MAX_OPEN;
    ccfg.engine.gold_per_mille = 30;
    import_batch();
    make_workers();
    int64_t end = run();
    check_promises();
    review(end + 3600);
    settle(end + 7200);
    check_quiet_hours();
    KT_CHECK(engine_auto_accept(st, cfg, end + 8 * 86400, NULL, &err) == KZ_OK, "auto-accept");
    check_ledger(end + 3600);
    check_ledger(end + 40 * 86400);
    report(end);
    store_close(st);
    sqlite3_close(raw);
    tmpl_free(t);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[320];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return kt_report();
}
