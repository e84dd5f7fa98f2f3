/*
 * sim_workers.h - test helper for tests/integration/test_engine_sim.c: the
 * simulated worker population. Owns the fixed-seed PRNG, the personas
 * (accuracy, speed, hours, language, keypad, night owl, the one stopper),
 * joining by SMS, reading offers from the queued outbound text as a phone
 * shows it, composing the inbound texts (answers, SKIP, MORE, NEXT, STOP)
 * and the figures only the workers can tell (sim_stats S).
 * Relies on the including file to define first: N_WORKERS, SIM_OPEN,
 * REPEAT_WAIT, T_START, T_STOP, N_PLACES, places, sim_task, tasks,
 * n_sim_tasks, st, ccfg and cfg, and to include harness.h and conv.h.
 * Never checks the run's outcome (no ledger, queue or database checks),
 * never touches the database except by SMS through conv_handle_sms, never
 * reads the wall clock; the PRNG has a fixed seed.
 */
#ifndef KAZI_TEST_SIM_WORKERS_H
#define KAZI_TEST_SIM_WORKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- workers ---- */

typedef struct sim_offer {
    int ref;
    int task;           /* index into tasks */
    int64_t offered_at;
    int64_t due_at;     /* what the worker believes: offer time + 1 h, + MORE */
    int64_t act_at;     /* when the worker acts */
    int action;         /* 0 answer, 1 skip, 2 more-then-answer */
    int64_t answer_at;  /* for 2: the answer after MORE */
} sim_offer;

typedef struct sim_worker {
    int64_t id;
    char phone[20];
    bool sw;            /* writes Swahili keywords, reads Swahili replies */
    int accuracy;       /* per mille */
    int speed;          /* 0 fast, 1 medium, 2 slow */
    int skip_pm, more_pm;
    int hours_from, hours_to; /* -1 none */
    int64_t paused_until;     /* 0 none */
    int64_t stopped_at;       /* 0 while in */
    bool night_owl, keypad, stopper;
    sim_offer open[SIM_OPEN];
    int n_open;
    int64_t next_asked_day;   /* last day a night owl asked */
    long seq;                 /* SMS sent (the dedupe key) */
} sim_worker;

static sim_worker workers[N_WORKERS];

/* ---- figures the database cannot tell ---- */

typedef struct sim_stats {
    long bare, nexts, next_empty, mores_refused, repeats, unexpected, late_replies;
} sim_stats;

static sim_stats S;

static int local_minute(int64_t now)
{
    return (int)(((now + cfg->tz_offset_minutes * 60) % 86400) / 60);
}

/* Does text contain one of the (English, Swahili) phrases? */
static bool says(const char *text, const char *en, const char *sw)
{
    return strstr(text, en) || (sw && strstr(text, sw));
}

/* The task a prompt names ("photo 17", "stall 17", "sign 17" -> index 16), -1 if none. */
static int task_of(const char *text)
{
    static const char *const marks[] = {"photo ", "stall ", "sign "};
    for (int i = 0; i < 3; i++) {
        const char *p = strstr(text, marks[i]);
        if (p)
            return atoi(p + strlen(marks[i])) - 1;
    }
    return -1;
}

/* What the worker will do with a new offer, and when. */
static void plan(sim_worker *w, sim_offer *o, int64_t now)
{
    static const int delay_max[3] = {10 * 60, 45 * 60, 150 * 60};
    int64_t d = 30 + rnd(delay_max[w->speed]);
    if (chance(w->skip_pm)) {
        o->action = 1;
        o->act_at = now + 30 + rnd(20 * 60);
    } else if (d > cfg->offer_seconds - 600 && chance(w->more_pm)) {
        o->action = 2;
        o->act_at = now + cfg->offer_seconds - 600 - rnd(600);
        o->answer_at = now + d;
    } else {
        o->action = 0;
        o->act_at = now + d;
    }
}

/* An offer in text ("... #42 Duka Survey: ... photo 17 ..."), as a phone shows it: remember it. */
static void read_offer(sim_worker *w, const char *text, int64_t now)
{
    const char *h = strstr(text, " Duka Survey: ");
    const char *p = h;
    while (p && p > text && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (!h || p == text || p[-1] != '#')
        return;
    int ref = atoi(p), task = task_of(h);
    KT_CHECK(ref > 0 && task >= 0 && task < n_sim_tasks, "offer not understood: %s", text);
    if (ref <= 0 || task < 0 || task >= n_sim_tasks)
        return;
    if (w->n_open == SIM_OPEN) { /* forget the oldest: it expired long ago */
        int old = 0;
        for (int i = 1; i < w->n_open; i++)
            if (w->open[i].due_at < w->open[old].due_at)
                old = i;
        w->open[old] = w->open[--w->n_open];
    }
    sim_offer *o = &w->open[w->n_open++];
    memset(o, 0, sizeof *o);
    o->ref = ref;
    o->task = task;
    o->offered_at = now;
    o->due_at = now + cfg->offer_seconds;
    plan(w, o, now);
}

/* Send one SMS from w through the conversation; its replies land in *r. */
static void sms(sim_worker *w, const char *text, int64_t now, conv_result *r)
{
    char key[48];
    snprintf(key, sizeof key, "sim:%s:%ld", w->phone, w->seq++);
    kz_err err;
    kz_status rc = conv_handle_sms(st, &ccfg, w->phone, text, strlen(text), now, key, r, &err);
    KT_CHECK(rc == KZ_OK && !r->duplicate && !r->limited && r->sender == PHONE_PERSON,
             "'%s' from %s: %s (limited %d)", text, w->phone, err.msg, r->limited);
    if (rc != KZ_OK)
        r->nreplies = 0;
    if (r->worker_id && !w->id)
        w->id = r->worker_id;
}

/* Replies that mean the worker or Kazi got something wrong. */
static bool unexpected(const char *t)
{
    return says(t, "did not understand", "hatukuelewa") ||
           says(t, "You have no open task", "Huna kazi wazi") ||
           says(t, "and a number from", "na namba kati") ||
           says(t, "several open tasks", "Una kazi kadhaa") || says(t, "Which task?", "Kazi ipi?");
}

/* Read every reply: offers are remembered; surprises counted. */
static void read_replies(sim_worker *w, const conv_result *r, int64_t now)
{
    for (size_t i = 0; i < r->nreplies; i++) {
        const char *t = r->replies[i].text;
        if (unexpected(t)) {
            S.unexpected++;
            KT_CHECK(0, "worker %s got: %s", w->phone, t);
        }
        S.late_replies += says(t, "had timed out", "Muda wa kazi");
        read_offer(w, t, now);
    }
}

static void drop_open(sim_worker *w, int i)
{
    w->open[i] = w->open[--w->n_open];
}

/* The answer a worker types for offer o (bare: without the task number). */
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
        if (t->kind == 0 && chance(w->sw ? 500 : 100))
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
    bool alone = true;
    for (int k = 0; k < w->n_open; k++)
        alone = alone && w->open[k].due_at <= now - 120; /* others long expired */
    bool bare = alone && now < o.due_at - 120 && chance(100);
    char text[96];
    answer_text(w, &o, text, sizeof text, bare);
    S.bare += bare;
    conv_result r;
    sms(w, text, now, &r);
    if (r.nreplies && says(r.replies[0].text, "You already answered", "Ulishajibu")) {
        /* "1 2" again soon after "1 2" to the task before: taken for a resend */
        S.repeats++;
        o.act_at = now + REPEAT_WAIT;
        o.action = 0;
        w->open[w->n_open++] = o;
        r.nreplies = 0;
    }
    read_replies(w, &r, now);
}

static void do_skip(sim_worker *w, int i, int64_t now)
{
    char text[32];
    snprintf(text, sizeof text, "%s %d", w->sw ? "RUKA" : "SKIP", w->open[i].ref);
    drop_open(w, i);
    conv_result r;
    sms(w, text, now, &r);
    read_replies(w, &r, now);
}

static void do_more(sim_worker *w, int i, int64_t now)
{
    sim_offer *o = &w->open[i];
    char text[32];
    snprintf(text, sizeof text, "%s %d", w->sw ? "ZAIDI" : "MORE", o->ref);
    conv_result r;
    sms(w, text, now, &r);
    if (r.nreplies && says(r.replies[0].text, "more time, now due", "muda umeongezwa"))
        o->due_at = (o->due_at > now ? o->due_at : now) + cfg->more_seconds;
    else
        S.mores_refused++;
    read_replies(w, &r, now);
    o->action = 0;
    o->act_at = o->answer_at;
}

/* A night owl asks for work at the start of their own evening hours. */
static void maybe_next(sim_worker *w, int64_t now)
{
    int64_t day = (now + cfg->tz_offset_minutes * 60) / 86400;
    int m = local_minute(now);
    if (!w->night_owl || w->n_open > 0 || w->next_asked_day == day || m < w->hours_from ||
        m >= w->hours_to)
        return;
    w->next_asked_day = day;
    conv_result r;
    sms(w, w->sw ? "ijayo" : "next", now, &r);
    S.nexts++;
    int before = w->n_open;
    read_replies(w, &r, now);
    S.next_empty += w->n_open == before;
}

/* The one worker who leaves while holding offers. */
static void maybe_stop(sim_worker *w, int64_t now)
{
    if (!w->stopper || w->stopped_at || now < T_STOP || w->n_open == 0)
        return;
    conv_result r;
    sms(w, w->sw ? "ACHA" : "STOP", now, &r);
    KT_CHECK(r.nreplies == 1 && says(r.replies[0].text, "You have left Kazi", "Umeondoka Kazi"),
             "STOP confirmed");
    w->stopped_at = now;
    w->n_open = 0;
}

/* Act on whatever is due for w at now. */
static void worker_step(sim_worker *w, int64_t now)
{
    if (w->stopped_at)
        return;
    maybe_stop(w, now);
    if (w->stopped_at)
        return;
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

/* ---- setup: everyone joins by SMS ---- */

static const char *const names[] = {"Amina", "Baraka", "Wanjiru", "Otieno", "Achieng",
                                    "Kamau", "Njeri", "Mwangi", "Zawadi", "Juma"};

/* w's JOIN and settings, at t (seconds apart). */
static void join(sim_worker *w, int i, int64_t t)
{
    char text[64];
    conv_result r;
    snprintf(text, sizeof text, "%s %s %d", w->sw ? "JIUNGE" : "JOIN", names[i % 10], i);
    sms(w, text, t, &r);
    KT_CHECK(w->id > 0 && r.nreplies == 1 && says(r.replies[0].text, "Welcome to Kazi", "Karibu Kazi"),
             "joined %d", i);
    if (w->hours_from >= 0) {
        snprintf(text, sizeof text, "%s %d-%d", w->sw ? "SAA" : "HOURS", w->hours_from / 60,
                 w->hours_to / 60);
        sms(w, text, t + 1, &r);
        KT_CHECK(r.nreplies == 1 && says(r.replies[0].text, "Your hours", "Saa zako"), "%s: %s",
                 text, r.nreplies ? r.replies[0].text : "");
    } else if (w->paused_until) {
        sms(w, w->sw ? "SIMAMISHA 17" : "PAUSE 17", t + 1, &r);
        w->paused_until = t + 1 + 17 * 3600;
    } else if (w->stopped_at) {
        sms(w, w->sw ? "ACHA" : "STOP", t + 1, &r);
        w->stopped_at = t + 1;
    }
}

static void make_workers(void)
{
    for (int i = 0; i < N_WORKERS; i++) {
        sim_worker *w = &workers[i];
        snprintf(w->phone, sizeof w->phone, "+2547%08d", 10000 + i);
        w->sw = chance(250);
        w->accuracy = 550 + rnd(450);
        w->speed = rnd(3);
        w->skip_pm = rnd(3) == 0 ? 150 : 30;
        w->more_pm = w->speed == 2 ? 500 : 100;
        w->keypad = chance(150);
        w->hours_from = w->hours_to = -1;
        int h = rnd(100);
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
            w->paused_until = 1;                        /* PAUSE 17: until Monday noon */
        } else if (h < 55) {
            w->stopped_at = 1;                          /* STOP right after joining */
        }
        join(w, i, T_START + 2 * i);
    }
    for (int i = 0; i < N_WORKERS; i++) { /* the first ordinary worker will leave */
        sim_worker *w = &workers[i];
        if (w->hours_from < 0 && !w->paused_until && !w->stopped_at) {
            w->stopper = true;
            break;
        }
    }
}

#endif /* KAZI_TEST_SIM_WORKERS_H */
