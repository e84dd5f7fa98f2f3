/*
 * test_engine_dispatch.c - the engine's dispatch (tasks/engine_dispatch.c):
 * each eligibility rule, fair spread over tasks and workers, redundancy, the
 * gold mix, refs, expiry, MORE and SKIP, on a real SQLite file.
 */
#include "test_engine_fixture.h"

/* One eligibility case: a worker's settings, the local time, and whether an offer goes out. */
typedef struct elig_case {
    const char *name;
    const char *state;     /* active | paused | stopped */
    int64_t paused_rel;    /* paused_until relative to now; 0 = NULL */
    int hours_from, hours_to; /* -1 = no hours */
    int local_minute;      /* Nairobi time of the attempt */
    bool solicited;
    bool want;
} elig_case;

static const elig_case elig_cases[] = {
    {"active, no hours, 10:00", "active", 0, -1, -1, 600, false, true},
    {"stopped", "stopped", 0, -1, -1, 600, false, false},
    {"stopped, even on NEXT", "stopped", 0, -1, -1, 600, true, false},
    {"paused without end", "paused", 0, -1, -1, 600, false, false},
    {"paused without end, NEXT", "paused", 0, -1, -1, 600, true, true},
    {"pause ran out", "paused", -60, -1, -1, 600, false, true},
    {"pause still running", "paused", 3600, -1, -1, 600, false, false},
    {"active with pause_until ahead", "active", 3600, -1, -1, 600, false, false},
    {"own hours 08-17 at 10:00", "active", 0, 480, 1020, 600, false, true},
    {"own hours 08-17 at 17:30", "active", 0, 480, 1020, 1050, false, false},
    {"own hours 08-17 at 17:30, NEXT", "active", 0, 480, 1020, 1050, true, true},
    {"own hours 08-17 at 07:59", "active", 0, 480, 1020, 479, false, false},
    {"wrapping hours 17-09 at 08:00", "active", 0, 1020, 540, 480, false, true},
    {"wrapping hours 17-09 at 12:00", "active", 0, 1020, 540, 720, false, false},
    {"wrapping hours 17-09 at 18:00", "active", 0, 1020, 540, 1080, false, true},
    {"wrapping hours 22-06 at 23:00 (push window)", "active", 0, 1320, 360, 1380, false, false},
    {"wrapping hours 22-06 at 23:00, NEXT", "active", 0, 1320, 360, 1380, true, true},
    {"push window: 06:59", "active", 0, -1, -1, 419, false, false},
    {"push window: 07:00", "active", 0, -1, -1, 420, false, true},
    {"push window: 18:59", "active", 0, -1, -1, 1139, false, true},
    {"push window: 19:00", "active", 0, -1, -1, 1140, false, false},
    {"push window: 03:00, NEXT", "active", 0, -1, -1, 180, true, true},
    {"hours equal: all day", "active", 0, 600, 600, 900, false, true},
};

/* Unix time of local minute m on the fixture's day. */
static int64_t at_local(int m)
{
    return FX_T0 - 600 * FX_MIN + (int64_t)m * FX_MIN;
}

static void test_eligibility(void)
{
    fx f;
    fx_open(&f, "elig");
    int64_t b = fx_batch(&f, "b", 100, 300);
    char ext[16];
    for (int i = 0; i < 40; i++) {
        snprintf(ext, sizeof ext, "t%d", i);
        fx_task(&f, b, ext, "verify", "Yes|No", NULL, 0);
    }
    for (size_t i = 0; i < sizeof elig_cases / sizeof elig_cases[0]; i++) {
        const elig_case *c = &elig_cases[i];
        int64_t w = fx_worker(&f);
        int64_t now = at_local(c->local_minute);
        fx_sql(&f, "UPDATE workers SET state = '%s' WHERE id = %lld", c->state, (long long)w);
        if (c->paused_rel)
            fx_sql(&f, "UPDATE workers SET paused_until = %lld WHERE id = %lld",
                   (long long)(now + c->paused_rel), (long long)w);
        if (c->hours_from >= 0)
            fx_sql(&f, "UPDATE workers SET hours_from = %d, hours_to = %d WHERE id = %lld",
                   c->hours_from, c->hours_to, (long long)w);
        engine_offer o;
        bool found = false;
        kz_err err;
        kz_status rc = engine_offer_next(f.st, &f.cfg, w, now, c->solicited, &o, &found, &err);
        KT_CHECK(rc == KZ_OK && found == c->want, "%s: rc %d found %d", c->name, rc, found);
    }
    fx_close(&f);
}

typedef struct walk_ctx {
    int64_t ids[64];
    size_t n;
} walk_ctx;

static int walk_cb(void *ctx, int64_t id)
{
    walk_ctx *w = ctx;
    if (w->n < 64)
        w->ids[w->n++] = id;
    return 0;
}

static bool walk_has(const walk_ctx *w, int64_t id)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->ids[i] == id)
            return true;
    return false;
}

/* engine_push_each lists exactly the workers an unsolicited offer may go to. */
static void test_push_walk(void)
{
    fx f;
    fx_open(&f, "push");
    int64_t b = fx_batch(&f, "b", 100, 300);
    char ext[16];
    for (int i = 0; i < 10; i++) {
        snprintf(ext, sizeof ext, "t%d", i);
        fx_task(&f, b, ext, "verify", "Yes|No", NULL, 0);
    }
    for (size_t i = 0; i < sizeof elig_cases / sizeof elig_cases[0]; i++) {
        const elig_case *c = &elig_cases[i];
        if (c->solicited)
            continue;
        fx f2;
        fx_open(&f2, "pushcase");
        int64_t w = fx_worker(&f2);
        int64_t now = at_local(c->local_minute);
        fx_sql(&f2, "UPDATE workers SET state = '%s' WHERE id = %lld", c->state, (long long)w);
        if (c->paused_rel)
            fx_sql(&f2, "UPDATE workers SET paused_until = %lld WHERE id = %lld",
                   (long long)(now + c->paused_rel), (long long)w);
        if (c->hours_from >= 0)
            fx_sql(&f2, "UPDATE workers SET hours_from = %d, hours_to = %d WHERE id = %lld",
                   c->hours_from, c->hours_to, (long long)w);
        walk_ctx wc = {.n = 0};
        kz_err err;
        KT_CHECK(engine_push_each(f2.st, &f2.cfg, now, walk_cb, &wc, &err) == KZ_OK, "walk");
        KT_CHECK(walk_has(&wc, w) == c->want, "push walk, %s: listed %d", c->name,
                 walk_has(&wc, w));
        fx_close(&f2);
    }
    /* Fewest open offers first, then fewest recent offers. */
    int64_t w1 = fx_worker(&f), w2 = fx_worker(&f), w3 = fx_worker(&f);
    KT_CHECK(fx_offer(&f, w1, FX_T0, NULL) && fx_offer(&f, w1, FX_T0, NULL), "w1 two offers");
    KT_CHECK(fx_offer(&f, w2, FX_T0, NULL) != 0, "w2 one offer");
    walk_ctx wc = {.n = 0};
    kz_err err;
    KT_CHECK(engine_push_each(f.st, &f.cfg, FX_T0 + 60, walk_cb, &wc, &err) == KZ_OK, "walk");
    KT_CHECK(wc.n == 3 && wc.ids[0] == w3 && wc.ids[1] == w2 && wc.ids[2] == w1,
             "order %lld %lld %lld", (long long)wc.ids[0], (long long)wc.ids[1],
             (long long)wc.ids[2]);
    /* At the limit a worker is not listed. */
    KT_CHECK(fx_offer(&f, w1, FX_T0, NULL) != 0, "w1 third offer");
    KT_CHECK(fx_offer(&f, w1, FX_T0, NULL) == 0, "w1 fourth offer refused (limit 3)");
    wc.n = 0;
    engine_push_each(f.st, &f.cfg, FX_T0 + 60, walk_cb, &wc, &err);
    KT_CHECK(wc.n == 2 && !walk_has(&wc, w1), "worker at the limit left out");
    /* Outside the push window nobody is listed. */
    wc.n = 0;
    engine_push_each(f.st, &f.cfg, at_local(20 * 60), walk_cb, &wc, &err);
    KT_CHECK(wc.n == 0, "20:00: %zu listed", wc.n);
    fx_close(&f);
}

/* Fewest answers+offers first, then oldest; redundancy caps a task's offers; never twice. */
static void test_fairness_and_redundancy(void)
{
    fx f;
    fx_open(&f, "fair");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 2, 300);
    int64_t t1 = fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    int64_t t2 = fx_task(&f, b, "t2", "verify", "Yes|No", NULL, 0);
    int64_t t3 = fx_task(&f, b, "t3", "verify", "Yes|No", NULL, 3);
    int64_t w[8];
    for (int i = 0; i < 8; i++)
        w[i] = fx_worker(&f);
    engine_offer o;
    /* Round one: each task once, oldest first. */
    const int64_t want[] = {t1, t2, t3, t1, t2, t3, t3};
    for (int i = 0; i < 7; i++) {
        KT_CHECK(fx_offer(&f, w[i], FX_T0, &o) != 0 && o.task_id == want[i],
                 "offer %d went to task %lld, want %lld", i, (long long)o.task_id,
                 (long long)want[i]);
    }
    /* Every task has its redundancy in offers: nothing left. */
    KT_CHECK(fx_offer(&f, w[7], FX_T0, &o) == 0, "pool empty at redundancy");
    /* One worker holds t1, t2, t3 offers? w[0] has t1; it may get t2 only after it frees up. */
    bool found;
    kz_err err;
    KT_CHECK(engine_skip(f.st, w[1], 0, FX_T0, &found, &err) == KZ_OK && found, "skip t2");
    KT_CHECK(fx_offer(&f, w[0], FX_T0, &o) != 0 && o.task_id == t2, "t2 back in the pool");
    KT_CHECK(fx_offer(&f, w[1], FX_T0, &o) == 0, "a skipper never gets the task again");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments"
                        " GROUP BY 1, 2 HAVING count(*) > 1)") == 0,
             "no (task, worker) twice");
    /* The taken counter equals open+answered offers. */
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM tasks t WHERE taken <> (SELECT count(*) FROM"
                        " assignments a WHERE a.task_id = t.id AND a.state IN"
                        " ('offered','answered'))") == 0,
             "taken counter consistent");
    /* A paused batch offers nothing. */
    fx_sql(&f, "UPDATE batches SET state = 'paused'");
    KT_CHECK(engine_skip(f.st, w[2], 0, FX_T0, &found, &err) == KZ_OK && found, "skip t3");
    KT_CHECK(fx_offer(&f, w[7], FX_T0, &o) == 0, "paused batch");
    fx_sql(&f, "UPDATE batches SET state = 'open'");
    KT_CHECK(fx_offer(&f, w[7], FX_T0, &o) != 0 && o.task_id == t3, "reopened batch");
    fx_close(&f);
}

/* Refs: smallest free, freed ones reused, recently expired ones kept back for a day. */
static void test_refs(void)
{
    fx f;
    fx_open(&f, "refs");
    f.cfg.max_open_per_worker = 5;
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 3, 300);
    char ext[16];
    for (int i = 0; i < 20; i++) {
        snprintf(ext, sizeof ext, "t%d", i);
        fx_task(&f, b, ext, "verify", "Yes|No", NULL, 0);
    }
    int64_t w = fx_worker(&f), v = fx_worker(&f);
    KT_CHECK(fx_offer(&f, w, FX_T0, NULL) == 1, "first ref 1");
    KT_CHECK(fx_offer(&f, w, FX_T0, NULL) == 2, "second ref 2");
    KT_CHECK(fx_offer(&f, w, FX_T0, NULL) == 3, "third ref 3");
    KT_CHECK(fx_offer(&f, v, FX_T0, NULL) == 1, "refs are per worker");
    KT_CHECK(fx_answer(&f, w, 2, "1", FX_T0 + 10, NULL) == ENGINE_ANSWER_OK, "answer 2");
    KT_CHECK(fx_offer(&f, w, FX_T0 + 20, NULL) == 4, "answered ref 2 rests");
    KT_CHECK(fx_answer(&f, w, 2, "1", FX_T0 + 25, NULL) == ENGINE_ANSWER_TWICE,
             "a resent answer to 2 is 'twice', not an answer to a new task 2");
    bool found;
    kz_err err;
    KT_CHECK(engine_skip(f.st, w, 1, FX_T0 + 30, &found, &err) == KZ_OK && found, "skip 1");
    KT_CHECK(fx_offer(&f, w, FX_T0 + 40, NULL) == 5, "skipped ref 1 rests");
    KT_CHECK(fx_offer(&f, w, FX_T0 + 40 + ENGINE_REF_REST, NULL) == 1,
             "after the rest ref 1 is free again");
    /* Let everything expire: those refs stay out for ENGINE_LATE_WINDOW. */
    size_t n = 0;
    KT_CHECK(engine_expire(f.st, FX_T0 + 3 * FX_HOUR, &n, &err) == KZ_OK && n == 5,
             "expired %zu", n);
    KT_CHECK(fx_offer(&f, w, FX_T0 + 3 * FX_HOUR, NULL) == 2,
             "ref 2 has rested; expired refs are kept back");
    KT_CHECK(fx_offer(&f, w, FX_T0 + 3 * FX_HOUR + 5 + FX_DAY, NULL) == 1,
             "after a day ref 1 is free again");
    /* Never two open offers with one ref. */
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM (SELECT worker_id, ref FROM assignments WHERE"
                        " state = 'offered' GROUP BY 1, 2 HAVING count(*) > 1)") == 0,
             "open refs unique");
    fx_close(&f);
}

/* Expiry returns a task to the pool; MORE extends up to max_extensions; SKIP frees. */
static void test_expiry_more_skip(void)
{
    fx f;
    fx_open(&f, "expiry");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 1, 300);
    int64_t t1 = fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    int64_t w1 = fx_worker(&f), w2 = fx_worker(&f), w3 = fx_worker(&f);
    engine_offer o;
    KT_CHECK(fx_offer(&f, w1, FX_T0, &o) == 1 && o.task_id == t1, "w1 gets t1");
    KT_CHECK(o.due_at == FX_T0 + f.cfg.offer_seconds, "due %lld", (long long)o.due_at);
    KT_CHECK(strcmp(o.requester, "Acme") == 0 && strcmp(o.type, "verify") == 0 &&
                 strcmp(o.options, "Yes|No") == 0 && o.reward_minor == 300 &&
                 strcmp(o.currency, "KES") == 0 && o.est_seconds == 30,
             "offer fields");
    KT_CHECK(fx_offer(&f, w2, FX_T0, &o) == 0, "redundancy 1: nothing for w2");
    int64_t due = 0;
    bool found, allowed;
    kz_err err;
    KT_CHECK(engine_more(f.st, &f.cfg, w1, 1, FX_T0 + 10, &due, &found, &allowed, &err) ==
                     KZ_OK &&
                 found && allowed && due == FX_T0 + 2 * f.cfg.offer_seconds,
             "MORE 1: due %lld", (long long)due);
    KT_CHECK(engine_more(f.st, &f.cfg, w1, 1, FX_T0 + 20, &due, &found, &allowed, &err) ==
                     KZ_OK && allowed,
             "MORE 2");
    KT_CHECK(engine_more(f.st, &f.cfg, w1, 1, FX_T0 + 30, &due, &found, &allowed, &err) ==
                     KZ_OK &&
                 found && !allowed && due == FX_T0 + 3 * FX_HOUR,
             "MORE 3 refused, due stays %lld", (long long)due);
    KT_CHECK(engine_more(f.st, &f.cfg, w1, 7, FX_T0, &due, &found, &allowed, &err) == KZ_OK &&
                 !found,
             "MORE on an unknown ref");
    size_t n = 9;
    KT_CHECK(engine_expire(f.st, FX_T0 + 2 * FX_HOUR, &n, &err) == KZ_OK && n == 0,
             "extended offer not expired");
    KT_CHECK(engine_expire(f.st, FX_T0 + 3 * FX_HOUR, &n, &err) == KZ_OK && n == 1, "expired");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM assignments WHERE state = 'expired'") == 1,
             "state expired");
    KT_CHECK(fx_offer(&f, w2, FX_T0 + 3 * FX_HOUR, &o) == 1 && o.task_id == t1,
             "expired task back in the pool");
    KT_CHECK(fx_offer(&f, w1, FX_T0 + 3 * FX_HOUR, &o) == 0, "but never to w1 again");
    KT_CHECK(engine_skip(f.st, w2, 5, FX_T0, &found, &err) == KZ_OK && !found, "SKIP wrong ref");
    KT_CHECK(engine_skip(f.st, w2, 1, FX_T0, &found, &err) == KZ_OK && found, "SKIP");
    KT_CHECK(engine_skip(f.st, w2, 1, FX_T0, &found, &err) == KZ_OK && !found, "SKIP twice");
    KT_CHECK(fx_offer(&f, w3, FX_T0 + 3 * FX_HOUR, &o) == 1 && o.task_id == t1, "skip frees");
    /* No penalty: a worker who expired and skipped is as eligible as anyone. */
    fx_task(&f, b, "t2", "verify", "Yes|No", NULL, 0);
    KT_CHECK(fx_offer(&f, w1, FX_T0 + 3 * FX_HOUR, &o) == 2, "w1 still gets work (ref 1 kept back)");
    fx_close(&f);
}

/* Gold: exactly gold_per_mille of each worker's offers over a cycle. */
static void test_gold_rate(void)
{
    fx f;
    fx_open(&f, "gold");
    f.cfg.gold_per_mille = 100;
    f.cfg.max_open_per_worker = 100;
    int64_t b = fx_batch(&f, "b", 100, 300);
    char ext[16];
    for (int i = 0; i < 30; i++) {
        snprintf(ext, sizeof ext, "t%d", i);
        fx_task(&f, b, ext, "verify", "Yes|No", NULL, 0);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(ext, sizeof ext, "g%d", i);
        fx_task(&f, b, ext, "verify", "Yes|No", i % 2 ? "Yes" : "2", 0);
    }
    int workers = 40;
    for (int i = 0; i < workers; i++) {
        int64_t w = fx_worker(&f);
        for (int k = 0; k < 20; k++)
            KT_CHECK(fx_offer(&f, w, FX_T0, NULL) != 0, "offer %d", k);
    }
    int64_t gold = fx_int(&f, "SELECT count(*) FROM assignments a JOIN tasks t ON"
                              " t.id = a.task_id WHERE t.gold IS NOT NULL");
    KT_CHECK(gold == workers * 2, "gold offers %lld, want %d", (long long)gold, workers * 2);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM (SELECT a.worker_id FROM assignments a JOIN"
                        " tasks t ON t.id = a.task_id WHERE t.gold IS NOT NULL GROUP BY 1"
                        " HAVING count(*) <> 2)") == 0,
             "each worker 2 gold in 20");
    /* Gold never goes out when gold_per_mille is 0. */
    f.cfg.gold_per_mille = 0;
    int64_t w = fx_worker(&f);
    for (int k = 0; k < 20; k++)
        fx_offer(&f, w, FX_T0, NULL);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM assignments a JOIN tasks t ON t.id = a.task_id"
                        " WHERE t.gold IS NOT NULL AND a.worker_id = %lld",
                    (long long)w) == 0,
             "no gold at 0");
    fx_close(&f);
}

static void test_defaults(void)
{
    engine_config c;
    engine_config_defaults(&c);
    KT_CHECK(c.push_from_minute == 420 && c.push_to_minute == 1140, "push window 07-19");
    KT_CHECK(c.tz_offset_minutes == 180 && c.sms_refund_minor == 120 &&
                 strcmp(c.currency, "KES") == 0,
             "Kenyan defaults");
    KT_CHECK(c.agreement_percent * 3 <= 200 && c.agreement_percent * 2 > 100,
             "2 of 3 agree, 1 of 2 does not");
}

int main(void)
{
    test_defaults();
    test_eligibility();
    test_push_walk();
    test_fairness_and_redundancy();
    test_refs();
    test_expiry_more_skip();
    test_gold_rate();
    return kt_report();
}
