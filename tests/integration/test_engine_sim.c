/*
 * test_engine_sim.c - the task engine's acceptance simulation (issue 5): 500
 * simulated workers with mixed accuracy, speed and hours complete a
 * 2,000-task batch at redundancy 3 (imported through the real CSV import),
 * on a simulated clock over days. Workers' texts ("42 2", "NEXT", "SKIP 42",
 * "MORE 42", bare answers, keypad habits) go through the real parser
 * (tasks/conv_parse.h) and then straight to the engine, the way the
 * conversation layer will call it; outbound SMS are the real task message
 * (task_msg_format) with acknowledgements riding on offers when they fit.
 * Checks: every task resolved or flagged for review; every on-time answer
 * paid exactly once, late ones not; every inbound message refunded once;
 * balances equal the sum of entries (holds and appeals included); nobody got
 * a task twice; no unsolicited offer outside the push window, the worker's
 * own hours or a pause. Prints the figures (segments per completed task).
 * Never depends on the wall clock; the PRNG has a fixed seed.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv_parse.h"
#include "csv_import.h"
#include "engine.h"
#include "harness.h"
#include "sms_text.h"
#include "store.h"
#include "task_msg.h"

#define N_WORKERS 500
#define N_TASKS 2000
#define N_GOLD 40
#define MAX_OPEN 3
#define TICK 120           /* seconds per step of the clock */
#define PUSH_EVERY 5       /* push walk every this many ticks */
#define MAX_DAYS 10
#define T_START INT64_C(1740931200) /* Sunday 2 March 2025 19:00 Nairobi (16:00 UTC) */

/* ---- a fixed-seed PRNG (xorshift64*) ---- */

static uint64_t rng_state = 0x4B415A49u; /* "KAZI" */

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* Uniform in [0, n). */
static int rnd(int n)
{
    return (int)(rng() % (uint64_t)n);
}

/* True with probability per_mille / 1000. */
static bool chance(int per_mille)
{
    return rnd(1000) < per_mille;
}

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

/* ---- workers ---- */

typedef struct sim_offer {
    int64_t assignment_id;
    int ref;
    int task;           /* index into tasks */
    bool solicited;
    int64_t act_at;     /* when the worker acts */
    int action;         /* 0 answer, 1 skip, 2 more-then-answer */
    int64_t answer_at;  /* for 2: the answer after MORE */
    int64_t due_at;     /* the engine's due time */
} sim_offer;

typedef struct sim_worker {
    int64_t id;
    int accuracy;       /* per mille */
    int speed;          /* 0 fast, 1 medium, 2 slow */
    int skip_pm, more_pm;
    int hours_from, hours_to; /* -1 none */
    int64_t paused_until;     /* 0 none */
    bool stopped, night_owl, keypad;
    sim_offer open[MAX_OPEN];
    int n_open;
    int64_t next_asked_day;   /* last day a night owl asked */
} sim_worker;

static sim_worker workers[N_WORKERS];

/* ---- figures ---- */

typedef struct sim_stats {
    long offers, offers_solicited, answers_ok, answers_late, skips, mores, mores_refused;
    long nexts, next_empty, bare, bad;
    long out_msgs, out_segments, in_msgs, in_segments, acks_rode, acks_alone;
    long quiet_violations, parse_mismatch;
} sim_stats;

static sim_stats S;

/* ---- the database ---- */

static kz_store *st;
static sqlite3 *raw;
static engine_config cfg;

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

static sqlite3_stmt *ins_msg;

/* Log one inbound message (as the daemon does before the engine sees it); returns its id. */
static int64_t inbound(const sim_worker *w, const char *text, int64_t now)
{
    sqlite3_stmt *s = ins_msg;
    if (!s)
        sqlite3_prepare_v2(raw,
                           "INSERT INTO messages(direction, peer, worker_id, body, segments, state,"
                           " created_at, updated_at) VALUES ('in', '+254700000001', ?1, ?2, ?3,"
                           " 'handled', ?4, ?4)",
                           -1, &ins_msg, NULL);
    s = ins_msg;
    int segs = (int)sms_count_segments(text, strlen(text));
    sqlite3_bind_int64(s, 1, w->id);
    sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, segs);
    sqlite3_bind_int64(s, 4, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    KT_CHECK(rc == SQLITE_DONE, "logging inbound: %s", sqlite3_errmsg(raw));
    S.in_msgs++;
    S.in_segments += segs;
    return sqlite3_last_insert_rowid(raw);
}

/* Send an outbound SMS: count its segments. */
static void outbound(const char *text)
{
    S.out_msgs++;
    S.out_segments += (long)sms_count_segments(text, strlen(text));
}

static int local_minute(int64_t now)
{
    return (int)(((now + cfg.tz_offset_minutes * 60) % 86400) / 60);
}

static bool in_window(int from, int to, int m)
{
    if (from == to)
        return true;
    return from < to ? (m >= from && m < to) : (m >= from || m < to);
}

/* Why an unsolicited offer to w at now would break a promise (NULL if it would not). */
static const char *quiet_breach(const sim_worker *w, int64_t now)
{
    int m = local_minute(now);
    if (!in_window(cfg.push_from_minute, cfg.push_to_minute, m))
        return "outside the push window";
    if (w->hours_from >= 0 && !in_window(w->hours_from, w->hours_to, m))
        return "outside the worker's hours";
    if (w->paused_until > now)
        return "while paused";
    if (w->stopped)
        return "after STOP";
    return NULL;
}

/* What the worker will do with a new offer, and when. */
static void plan(sim_worker *w, sim_offer *o, int64_t now)
{
    static const int delay_max[3] = {10 * 60, 45 * 60, 150 * 60};
    int64_t d = 30 + rnd(delay_max[w->speed]);
    if (chance(w->skip_pm)) {
        o->action = 1;
        o->act_at = now + 30 + rnd(20 * 60);
    } else if (d > cfg.offer_seconds - 600 && chance(w->more_pm)) {
        o->action = 2;
        o->act_at = now + cfg.offer_seconds - 600 - rnd(600);
        o->answer_at = now + d;
    } else {
        o->action = 0;
        o->act_at = now + d;
    }
}

/* Word offer o for the worker with an acknowledgement riding in front if it fits; send. */
static void send_offer(const engine_offer *o, const char *ack)
{
    task_msg m = {.ref = (unsigned)o->ref, .requester = o->requester, .prompt = o->prompt,
                  .prompt_len = strlen(o->prompt), .options = o->options,
                  .options_len = strlen(o->options), .est_seconds = o->est_seconds,
                  .reward_minor = o->reward_minor, .currency = o->currency};
    m.type = (task_type)task_type_parse(o->type, strlen(o->type));
    char text[TASK_MSG_CAP], both[TASK_MSG_CAP + 200];
    kz_err err;
    KT_CHECK(task_msg_format(&m, text, sizeof text, NULL, &err) == KZ_OK, "format: %s", err.msg);
    if (ack && *ack) {
        snprintf(both, sizeof both, "%s %s", ack, text);
        if (sms_count_segments(both, strlen(both)) == sms_count_segments(text, strlen(text))) {
            S.acks_rode++;
            outbound(both);
            return;
        }
        S.acks_alone++;
        outbound(ack);
    }
    outbound(text);
}

/* Try to give w a task now; ack (may be NULL) rides on it or goes alone. */
static bool give(sim_worker *w, int64_t now, bool solicited, const char *ack)
{
    if (w->n_open >= MAX_OPEN) {
        if (ack)
            outbound(ack), S.acks_alone++;
        return false;
    }
    engine_offer o;
    bool found = false;
    kz_err err;
    kz_status rc = engine_offer_next(st, &cfg, w->id, now, solicited, &o, &found, &err);
    KT_CHECK(rc == KZ_OK, "offer_next: %s", err.msg);
    if (!found) {
        if (ack)
            outbound(ack), S.acks_alone++;
        return false;
    }
    if (!solicited) {
        const char *why = quiet_breach(w, now);
        if (why) {
            S.quiet_violations++;
            KT_CHECK(0, "unsolicited offer to worker %lld %s", (long long)w->id, why);
        }
    }
    S.offers++;
    S.offers_solicited += solicited;
    sim_offer *so = &w->open[w->n_open++];
    memset(so, 0, sizeof *so);
    so->assignment_id = o.assignment_id;
    so->ref = o.ref;
    so->solicited = solicited;
    so->due_at = o.due_at;
    so->task = -1;
    for (int i = 0; i < n_sim_tasks; i++)
        if (tasks[i].id == o.task_id)
            so->task = i;
    KT_CHECK(so->task >= 0, "offered an unknown task %lld", (long long)o.task_id);
    plan(w, so, now);
    send_offer(&o, ack);
    return true;
}

static void drop_open(sim_worker *w, int i)
{
    w->open[i] = w->open[--w->n_open];
}

/* The text a worker types to answer offer o. */
static void answer_text(const sim_worker *w, const sim_offer *o, char *out, size_t cap,
                        bool bare)
{
    const sim_task *t = &tasks[o->task];
    bool right = chance(w->accuracy);
    char ans[64];
    if (t->kind == 2) {
        int p = right ? t->truth : (t->truth + 1 + rnd(N_PLACES - 1)) % N_PLACES;
        static const char *const pre[] = {"", "", "  ", ""}, *const post[] = {"", ".", " ", "!"};
        int form = rnd(4);
        snprintf(ans, sizeof ans, "%s%s%s", pre[form], places[p], post[form]);
        if (chance(300))
            for (char *c = ans; *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    } else {
        int n = t->kind == 0 ? 2 : 3;
        int v = right ? t->truth : 1 + (t->truth + rnd(n - 1)) % n;
        if (t->kind == 0 && chance(200))
            snprintf(ans, sizeof ans, "%s", v == 1 ? "ndiyo" : "hapana");
        else
            snprintf(ans, sizeof ans, "%d", v);
    }
    if (bare)
        snprintf(out, cap, "%s", ans);
    else if (w->keypad && t->kind != 2)
        snprintf(out, cap, "%d*%s", o->ref, ans);
    else
        snprintf(out, cap, "%d %s", o->ref, ans);
}

/* The worker answers open offer i. */
static void do_answer(sim_worker *w, int i, int64_t now)
{
    sim_offer o = w->open[i];
    drop_open(w, i);
    bool bare = w->n_open == 0 && now < o.due_at && chance(100);
    char text[96];
    answer_text(w, &o, text, sizeof text, bare);
    conv_cmd c;
    conv_parse(text, strlen(text), &c);
    int ref = c.kind == CONV_ANSWER ? c.ref : (bare && c.kind == CONV_UNKNOWN) ? 0 : -1;
    if (ref != (bare ? 0 : o.ref)) {
        S.parse_mismatch++;
        KT_CHECK(0, "'%s' parsed as kind %d ref %d", text, c.kind, c.ref);
        return;
    }
    S.bare += bare;
    int64_t msg = inbound(w, text, now);
    engine_answer_result r;
    kz_err err;
    kz_status rc = engine_answer(st, &cfg, w->id, ref, c.text + c.arg_off, msg,
                                 (int)sms_count_segments(text, strlen(text)), now, &r, &err);
    KT_CHECK(rc == KZ_OK, "answer: %s", err.msg);
    if (r.status == ENGINE_ANSWER_OK)
        S.answers_ok++;
    else if (r.status == ENGINE_ANSWER_LATE)
        S.answers_late++;
    else {
        S.bad++;
        KT_CHECK(0, "answer '%s' got status %d", text, r.status);
        int64_t credited;
        engine_sms_refund(st, &cfg, w->id, msg, 1, now, &credited, &err);
    }
    give(w, now, false, r.status == ENGINE_ANSWER_OK ? "Thanks! KSh3 earned." : "Too late, thanks.");
}

static void do_skip(sim_worker *w, int i, int64_t now)
{
    char text[32];
    snprintf(text, sizeof text, "SKIP %d", w->open[i].ref);
    conv_cmd c;
    conv_parse(text, strlen(text), &c);
    KT_CHECK(c.kind == CONV_SKIP && c.ref == w->open[i].ref, "'%s' parsed", text);
    int64_t msg = inbound(w, text, now);
    bool found = false;
    kz_err err;
    KT_CHECK(engine_skip(st, w->id, c.ref, now, &found, &err) == KZ_OK, "skip: %s", err.msg);
    int64_t credited;
    KT_CHECK(engine_sms_refund(st, &cfg, w->id, msg, 1, now, &credited, &err) == KZ_OK, "refund");
    S.skips += found;
    drop_open(w, i);
    give(w, now, false, "Skipped, no problem.");
}

static void do_more(sim_worker *w, int i, int64_t now)
{
    sim_offer *o = &w->open[i];
    char text[32];
    snprintf(text, sizeof text, "MORE %d", o->ref);
    conv_cmd c;
    conv_parse(text, strlen(text), &c);
    KT_CHECK(c.kind == CONV_MORE && c.ref == o->ref, "'%s' parsed", text);
    int64_t msg = inbound(w, text, now);
    int64_t due = 0, credited;
    bool found = false, allowed = false;
    kz_err err;
    KT_CHECK(engine_more(st, &cfg, w->id, c.ref, now, &due, &found, &allowed, &err) == KZ_OK,
             "more: %s", err.msg);
    KT_CHECK(engine_sms_refund(st, &cfg, w->id, msg, 1, now, &credited, &err) == KZ_OK, "refund");
    S.mores += allowed;
    if (allowed)
        o->due_at = due;
    S.mores_refused += found && !allowed;
    outbound("OK, 60 more minutes for this task.");
    o->action = 0;
    o->act_at = o->answer_at;
}

/* A night owl asks for work at the start of their own evening hours. */
static void maybe_next(sim_worker *w, int64_t now)
{
    int64_t day = (now + cfg.tz_offset_minutes * 60) / 86400;
    int m = local_minute(now);
    if (!w->night_owl || w->n_open > 0 || w->next_asked_day == day || m < w->hours_from ||
        m >= w->hours_to)
        return;
    w->next_asked_day = day;
    conv_cmd c;
    conv_parse("next", 4, &c);
    KT_CHECK(c.kind == CONV_NEXT, "NEXT parsed");
    int64_t msg = inbound(w, "next", now);
    int64_t credited;
    kz_err err;
    KT_CHECK(engine_sms_refund(st, &cfg, w->id, msg, 1, now, &credited, &err) == KZ_OK, "refund");
    S.nexts++;
    if (!give(w, now, true, NULL)) {
        S.next_empty++;
        outbound("No task right now. We will text you.");
    }
}

/* Act on whatever is due for w at now. */
static void worker_step(sim_worker *w, int64_t now)
{
    for (int i = 0; i < w->n_open;) {
        sim_offer *o = &w->open[i];
        if (o->act_at > now) {
            i++;
            continue;
        }
        if (o->action == 1)
            do_skip(w, i, now);
        else if (o->action == 2)
            do_more(w, i++, now);
        else
            do_answer(w, i, now);
    }
    maybe_next(w, now);
}

static int push_cb(void *ctx, int64_t worker_id)
{
    int64_t now = *(const int64_t *)ctx;
    sim_worker *w = &workers[worker_id - workers[0].id];
    KT_CHECK(w->id == worker_id, "worker ids are dense");
    give(w, now, false, NULL);
    return 0;
}

/* ---- setup ---- */

static void make_workers(void)
{
    for (int i = 0; i < N_WORKERS; i++) {
        sim_worker *w = &workers[i];
        char phone[24];
        snprintf(phone, sizeof phone, "+2547%08d", 10000 + i);
        kz_err err;
        KT_CHECK(store_worker_ensure(st, phone, NULL, "en", &w->id, &err) == KZ_OK, "worker");
        w->accuracy = 550 + rnd(450);
        w->speed = rnd(3);
        w->skip_pm = rnd(3) == 0 ? 150 : 30;
        w->more_pm = w->speed == 2 ? 500 : 100;
        w->keypad = chance(150);
        w->hours_from = w->hours_to = -1;
        int h = rnd(100);
        char sql[200] = "";
        if (h < 30) {
            w->hours_from = 360 + 60 * rnd(4);          /* 06:00-09:00 start */
            w->hours_to = w->hours_from + 60 * (6 + rnd(6));
        } else if (h < 40) {
            w->hours_from = 16 * 60 + 60 * rnd(3);      /* evenings into the night */
            w->hours_to = 7 * 60 + 60 * rnd(3);
        } else if (h < 48) {
            w->night_owl = true;                        /* 20:00-23:00: NEXT only */
            w->hours_from = 20 * 60;
            w->hours_to = 23 * 60;
        } else if (h < 53) {
            w->paused_until = T_START + 17 * 3600; /* PAUSE until Monday 12:00 */
        } else if (h < 55) {
            w->stopped = true;
        }
        if (w->hours_from >= 0)
            snprintf(sql, sizeof sql,
                     "UPDATE workers SET hours_from = %d, hours_to = %d WHERE id = %lld",
                     w->hours_from, w->hours_to, (long long)w->id);
        else if (w->paused_until)
            snprintf(sql, sizeof sql,
                     "UPDATE workers SET state = 'paused', paused_until = %lld WHERE id = %lld",
                     (long long)w->paused_until, (long long)w->id);
        else if (w->stopped)
            snprintf(sql, sizeof sql, "UPDATE workers SET state = 'stopped' WHERE id = %lld",
                     (long long)w->id);
        if (*sql)
            KT_CHECK(sqlite3_exec(raw, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sql);
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
    int64_t now = T_START;
    kz_err err;
    for (long tick = 0; now < T_START + MAX_DAYS * 86400; tick++, now += TICK) {
        KT_CHECK(engine_expire(st, now, NULL, &err) == KZ_OK, "expire: %s", err.msg);
        for (int i = 0; i < N_WORKERS; i++)
            worker_step(&workers[i], now);
        if (tick % PUSH_EVERY == 0) {
            KT_CHECK(engine_push_each(st, &cfg, now, push_cb, &now, &err) == KZ_OK, "push: %s",
                     err.msg);
            if (all_done())
                break;
        }
    }
    return now;
}

/* ---- the checks ---- */

/* Requesters review: reject some disagreeing answers; workers appeal; a human decides. */
static void review(int64_t now)
{
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(raw,
                       "SELECT a.id, a.worker_id, s.ref FROM answers a JOIN assignments s ON"
                       " s.id = a.assignment_id WHERE a.agrees = 0 AND a.late = 0"
                       " ORDER BY a.id LIMIT 40",
                       -1, &s, NULL);
    int n = 0;
    kz_err err;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t aid = sqlite3_column_int64(s, 0), wid = sqlite3_column_int64(s, 1);
        int ref = sqlite3_column_int(s, 2);
        KT_CHECK(engine_reject(st, aid, "does not match the photo", now, &err) == KZ_OK,
                 "reject: %s", err.msg);
        if (n % 2 == 0) {
            int64_t ap = 0;
            /* The ref may be in use by a newer rejected answer; appeal by the newest one. */
            if (engine_appeal_open(st, wid, ref, "I looked carefully", now + 60, &ap, &err) ==
                    KZ_OK &&
                n % 4 == 0)
                KT_CHECK(engine_appeal_decide(st, ap, n % 8 == 0, "coordinator",
                                              n % 8 == 0 ? "photo was unclear" : "photo is clear",
                                              now + 120, &err) == KZ_OK,
                         "decide: %s", err.msg);
        }
        n++;
    }
    sqlite3_finalize(s);
    KT_CHECK(n > 0, "some answers to review");
}

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
             "every inbound message refunded once");
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

static void check_promises(void)
{
    KT_CHECK(all_done(), "every task resolved or flagged for review");
    KT_CHECK(raw_int("SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments GROUP BY"
                     " 1, 2 HAVING count(*) > 1)") == 0,
             "no worker got a task twice");
    KT_CHECK(raw_int("SELECT count(*) FROM (SELECT task_id, worker_id FROM answers GROUP BY"
                     " 1, 2 HAVING count(*) > 1)") == 0,
             "no worker answered a task twice");
    KT_CHECK(S.quiet_violations == 0, "quiet hours broken %ld times", S.quiet_violations);
    /* Offers outside the push window in the database were all replies to NEXT. */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM assignments WHERE ((offered_at + %d) %% 86400) / 60 NOT"
             " BETWEEN %d AND %d",
             cfg.tz_offset_minutes * 60, cfg.push_from_minute, cfg.push_to_minute - 1);
    int64_t outside = raw_int(sql);
    KT_CHECK(outside <= S.offers_solicited, "%lld offers outside the window, %ld solicited",
             (long long)outside, S.offers_solicited);
    KT_CHECK(raw_int("SELECT count(*) FROM assignments a JOIN workers w ON w.id = a.worker_id"
                     " WHERE w.state = 'stopped'") == 0,
             "nothing for stopped workers");
    KT_CHECK(raw_int("SELECT count(*) FROM tasks WHERE taken <> (SELECT count(*) FROM"
                     " assignments a WHERE a.task_id = tasks.id AND a.state IN"
                     " ('offered','answered'))") == 0,
             "taken counters exact");
    KT_CHECK(S.parse_mismatch == 0 && S.bad == 0, "parse mismatches %ld, bad answers %ld",
             S.parse_mismatch, S.bad);
}

static void report(int64_t end)
{
    int64_t resolved = raw_int("SELECT count(*) FROM task_results r JOIN tasks t ON"
                               " t.id = r.task_id WHERE t.gold IS NULL AND r.state = 'resolved'");
    int64_t review = raw_int("SELECT count(*) FROM task_results WHERE state = 'review'");
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
    int64_t gold_offers = raw_int("SELECT count(*) FROM assignments a JOIN tasks t ON"
                                  " t.id = a.task_id WHERE t.gold IS NOT NULL");
    int64_t expired = raw_int("SELECT count(*) FROM assignments WHERE state = 'expired'");
    int64_t paid = raw_int("SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries");
    double done = (double)(resolved + review);
    printf("simulation: %d workers, %d tasks (+%d gold), redundancy 3, %.1f days simulated\n",
           N_WORKERS, N_TASKS, N_GOLD, (double)(end - T_START) / 86400.0);
    printf("  tasks resolved %lld (consensus right %.1f%%), needs review %lld, escalated %lld\n",
           (long long)resolved, 100.0 * (double)correct / (double)resolved, (long long)review,
           (long long)escalated);
    printf("  offers %ld (%ld on NEXT, %lld gold = %.1f%%), expired %lld, answers %ld on time"
           " + %ld late, skips %ld, MORE %ld (+%ld refused), bare answers %ld\n",
           S.offers, S.offers_solicited, (long long)gold_offers,
           100.0 * (double)gold_offers / (double)S.offers, (long long)expired, S.answers_ok,
           S.answers_late, S.skips, S.mores, S.mores_refused, S.bare);
    printf("  NEXT %ld (%ld with nothing to give)\n", S.nexts, S.next_empty);
    printf("  outbound: %ld messages, %ld segments; acks rode on offers %ld, alone %ld\n",
           S.out_msgs, S.out_segments, S.acks_rode, S.acks_alone);
    printf("  inbound: %ld messages, %ld segments\n", S.in_msgs, S.in_segments);
    printf("  SMS segments per completed task: %.2f out, %.2f in, %.2f both\n",
           (double)S.out_segments / done, (double)S.in_segments / done,
           (double)(S.out_segments + S.in_segments) / done);
    printf("  ledger total KSh %.2f\n", (double)paid / 100.0);
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
    if (store_open(path, STORE_OPEN_CREATE, &st, &err) != KZ_OK ||
        sqlite3_open(path, &raw) != SQLITE_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    sqlite3_busy_timeout(raw, 5000);
    engine_config_defaults(&cfg);
    cfg.max_open_per_worker = MAX_OPEN;
    cfg.gold_per_mille = 30;
    import_batch();
    make_workers();
    int64_t end = run();
    check_promises();
    review(end + 3600);
    KT_CHECK(engine_auto_accept(st, &cfg, end + 8 * 86400, NULL, &err) == KZ_OK, "auto-accept");
    check_ledger(end + 3600);
    check_ledger(end + 40 * 86400);
    report(end);
    sqlite3_finalize(ins_msg);
    store_close(st);
    sqlite3_close(raw);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[320];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return kt_report();
}
