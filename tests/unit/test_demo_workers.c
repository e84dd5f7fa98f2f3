/*
 * test_demo_workers.c - gateway/demo_offer.c and gateway/demo_workers.c: the
 * simulated workers of `kazi demo` read offers exactly as the shipped
 * templates render them (English and Swahili, with an acknowledgement riding
 * in front), find task numbers Kazi lists as still open, and behave as their
 * persona says (accuracy, thinking time, STOP, MORE, SKIP, JOIN retries,
 * NEXT when idle, the journal replay after a restart).
 */
#include <stdio.h>
#include <string.h>

#include "conv_offer.h"
#include "demo_offer.h"
#include "demo_workers.h"
#include "harness.h"
#include "templates.h"

/* ---- offers rendered by the real templates ---- */

static void render(const tmpl_set *t, const char *lang, const char *type, const char *prompt,
                   const char *options, int ref, char *out, size_t cap)
{
    engine_offer o;
    memset(&o, 0, sizeof o);
    o.ref = ref;
    snprintf(o.requester, sizeof o.requester, "Maji Mtaani");
    snprintf(o.type, sizeof o.type, "%s", type);
    snprintf(o.prompt, sizeof o.prompt, "%s", prompt);
    snprintf(o.options, sizeof o.options, "%s", options);
    o.est_seconds = 30;
    o.reward_minor = 400;
    snprintf(o.currency, sizeof o.currency, "KES");
    size_t len = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(conv_offer_render(t, lang, &o, out, cap, &len, &err) == KZ_OK, "render: %s",
             err.msg);
}

static void test_rendered(void)
{
    tmpl_set *t = NULL;
    kz_err err;
    kz_err_clear(&err);
    if (tmpl_load_dir(KAZI_TEMPLATE_DIR, &t, &err) != KZ_OK) {
        KT_CHECK(0, "templates: %s", err.msg);
        return;
    }
    static const char *const langs[] = {"en", "sw"};
    for (size_t l = 0; l < 2; l++) {
        char text[1024];
        demo_offer o;
        render(t, langs[l], "choice", "Topic of complaint 'maji ni chumvi'?",
               "Price|Quality|Queue|Hours|Other", 42, text, sizeof text);
        KT_CHECK(demo_offer_parse(text, &o), "%s: no offer in \"%s\"", langs[l], text);
        KT_CHECK(o.ref == 42, "%s: ref %d", langs[l], o.ref);
        KT_STREQ(o.requester, "Maji Mtaani", "requester");
        KT_STREQ(o.prompt, "Topic of complaint 'maji ni chumvi'?", "prompt");
        KT_CHECK(o.nopts == 5, "%s: %d options", langs[l], o.nopts);
        KT_STREQ(o.opts[0], "Price", "option 1");
        KT_STREQ(o.opts[4], "Other", "option 5");
        KT_STREQ(o.pay, "KSh4", "pay");

        render(t, langs[l], "transcribe", "Amount in digits: 'mia tatu hamsini'", "", 7, text,
               sizeof text);
        KT_CHECK(demo_offer_parse(text, &o), "%s: no offer in \"%s\"", langs[l], text);
        KT_CHECK(o.ref == 7 && o.nopts == 0, "%s: ref %d nopts %d", langs[l], o.ref, o.nopts);
        KT_STREQ(o.prompt, "Amount in digits: 'mia tatu hamsini'", "transcribe prompt");

        char ride[1200];
        render(t, langs[l], "verify", "Kiosk 12: 35 x KSh5 = KSh175?", "Yes|No", 9999, text,
               sizeof text);
        snprintf(ride, sizeof ride, "Got 41: Quality. +KSh5.20. %s", text);
        KT_CHECK(demo_offer_parse(ride, &o), "%s: riding: \"%s\"", langs[l], ride);
        KT_CHECK(o.ref == 9999 && o.nopts == 2, "%s: ref %d nopts %d", langs[l], o.ref, o.nopts);
        KT_STREQ(o.prompt, "Kiosk 12: 35 x KSh5 = KSh175?", "prompt with a colon");
        KT_STREQ(o.opts[1], "No", "verify option 2");
    }
    tmpl_free(t);
}

static void test_not_offers(void)
{
    static const char *const texts[] = {
        "",
        "Welcome to Kazi Amina! Tasks come by SMS with their pay and time.",
        "Got 12: Yes. +KSh5.20. No task free now; we will SMS you when there is one.",
        "Task 3: more time, now due 14:05.",
        "Sorry, we did not understand. Answer like this: 42 2. HELP for commands.",
        "#42 Acme: Is it open? ~30s KSh3. Reply 41 N", /* refs disagree */
        "#42 Acme: Is it open? 1=Yes ~30s KSh3. Reply 42 N", /* one option */
        "Reply 42 N",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        demo_offer o;
        KT_CHECK(!demo_offer_parse(texts[i], &o), "an offer in \"%s\"", texts[i]);
    }
}

static void test_open_refs(void)
{
    int refs[8];
    size_t n = demo_offer_open_refs("No new task now. Still open for you: 3, 5.", refs, 8);
    KT_CHECK(n == 2 && refs[0] == 3 && refs[1] == 5, "en no_task_open: %zu", n);
    n = demo_offer_open_refs("Tumepokea 4: Ndiyo. +KSh5.20. Bado wazi: 12.", refs, 8);
    KT_CHECK(n == 1 && refs[0] == 12, "sw ack_open: %zu", n);
    n = demo_offer_open_refs("You have several open tasks (1, 2, 9). Put the task number first, "
                             "e.g. 1 2", refs, 8);
    KT_CHECK(n == 3 && refs[2] == 9, "ambiguous: %zu", n);
    n = demo_offer_open_refs("Task 3: more time, now due 14:05.", refs, 8);
    KT_CHECK(n == 0, "a time is not a list: %zu", n);
    n = demo_offer_open_refs("Got 12: Yes. +KSh5.20. #3 A: Q? 1=Yes 2=No ~30s KSh3. Reply 3 N",
                             refs, 8);
    KT_CHECK(n == 0, "an offer lists nothing: %zu", n);
}

/* ---- workers ---- */

typedef struct outbox {
    char from[64][20];
    char text[64][DW_SMS_CAP];
    size_t n;
    int refuse; /* send fails this many times */
} outbox;

static int capture(void *ctx, const dw_worker *w, const char *text)
{
    outbox *o = ctx;
    if (o->refuse > 0) {
        o->refuse--;
        return -1;
    }
    if (o->n < 64) {
        snprintf(o->from[o->n], sizeof o->from[0], "%s", w->phone);
        snprintf(o->text[o->n], sizeof o->text[0], "%s", text);
        o->n++;
    }
    return 0;
}

static const char *truth_of(void *ctx, const char *prompt)
{
    (void)ctx;
    if (strcmp(prompt, "Is it open?") == 0)
        return "No";
    if (strcmp(prompt, "Amount in digits: 'mia tatu'") == 0)
        return "300";
    return NULL;
}

static const char offer_verify[] = "#5 Maji Mtaani: Is it open? 1=Yes 2=No ~30s KSh4. Reply 5 N";
static const char offer_text[] =
    "#6 Maji Mtaani: Amount in digits: 'mia tatu' ~30s KSh4. Reply 6 TEXT";

/* Run ticks every 100 ms from t0 to t1; returns the time reached. */
static int64_t run(dw_pop *p, int64_t t0, int64_t t1, outbox *o)
{
    for (int64_t t = t0; t <= t1; t += 100)
        dw_tick(p, t, capture, o);
    return t1;
}

static void test_population(void)
{
    dw_pop p;
    KT_CHECK(dw_pop_init(&p, 25, 7, 0, truth_of, NULL) == 0, "init");
    int count[DW__PERSONAS] = {0};
    for (size_t i = 0; i < p.n; i++)
        count[p.w[i].persona]++;
    KT_CHECK(count[DW_STOPPER] == 1 && count[DW_MORE] == 1 && count[DW_SKIPPER] == 1,
             "one each of STOP, MORE, SKIP");
    KT_CHECK(count[DW_SLOW] == 4 && count[DW_SHAKY] == 2 && count[DW_QUICK] == 16,
             "slow %d shaky %d quick %d", count[DW_SLOW], count[DW_SHAKY], count[DW_QUICK]);
    KT_STREQ(p.w[0].phone, "+254711000101", "first number");
    KT_CHECK(dw_find(&p, "+254711000125") == &p.w[24], "find the last");
    KT_CHECK(dw_find(&p, "+254711000126") == NULL, "no such worker");
    outbox o = {.n = 0};
    run(&p, 0, 10000, &o);
    KT_CHECK(o.n == 25, "everyone JOINs once: %zu", o.n);
    KT_STREQ(o.text[0], "JOIN Amina", "English JOIN");
    KT_STREQ(o.text[1], "JIUNGE Baraka", "Swahili JOIN");
    dw_pop_free(&p);
    KT_CHECK(dw_pop_init(&p, 10, 7, 0, truth_of, NULL) == 0, "ten");
    int special = 0;
    for (size_t i = 0; i < p.n; i++)
        special += p.w[i].persona != DW_QUICK;
    KT_CHECK(special == 5, "ten workers still show every persona: %d", special);
    dw_pop_free(&p);
    KT_CHECK(dw_pop_init(&p, 0, 7, 0, NULL, NULL) == -1, "zero workers refused");
}

static void test_accuracy(void)
{
    dw_pop p;
    dw_pop_init(&p, 10, 11, 0, truth_of, NULL);
    outbox o = {.n = 0};
    run(&p, 0, 5000, &o);
    for (size_t i = 0; i < p.n; i++)
        dw_receive(&p, &p.w[i], "Welcome to Kazi!", 5000);
    int right_quick = 0, right_shaky = 0, sent_quick = 0, sent_shaky = 0;
    int64_t now = 5000;
    for (int round = 0; round < 40; round++) {
        for (size_t i = 0; i < p.n; i++)
            dw_receive(&p, &p.w[i], offer_verify, now);
        o.n = 0;
        now = run(&p, now, now + 20000, &o) + 100;
        for (size_t k = 0; k < o.n; k++) {
            dw_worker *w = dw_find(&p, o.from[k]);
            if (strncmp(o.text[k], "5 ", 2) != 0)
                continue;
            int right = strcmp(o.text[k], "5 2") == 0 || strcmp(o.text[k], "5 No") == 0;
            if (w->persona == DW_QUICK)
                sent_quick++, right_quick += right;
            if (w->persona == DW_SHAKY)
                sent_shaky++, right_shaky += right;
        }
    }
    KT_CHECK(sent_quick > 100 && right_quick * 100 >= sent_quick * 88,
             "quick workers mostly right: %d of %d", right_quick, sent_quick);
    KT_CHECK(sent_shaky > 20 && right_shaky * 100 <= sent_shaky * 75,
             "often-wrong workers: %d of %d", right_shaky, sent_shaky);
    int wrong = 0;
    for (size_t i = 0; i < p.n; i++)
        wrong += p.w[i].persona == DW_SHAKY ? p.w[i].wrong : 0;
    KT_CHECK(wrong == sent_shaky - right_shaky, "wrong answers counted: %d", wrong);
    dw_pop_free(&p);
}

/* A worker of persona kind, joined and welcomed at t=0. */
static dw_worker *one_of(dw_pop *p, dw_persona kind)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->w[i].persona == kind) {
            dw_mark_registered(&p->w[i], false, 0);
            p->w[i].next_nudge_ms = 1000000;
            return &p->w[i];
        }
    return NULL;
}

static void test_personas(void)
{
    dw_pop p;
    dw_pop_init(&p, 10, 3, 0, truth_of, NULL);
    for (size_t i = 0; i < p.n; i++)
        dw_mark_registered(&p.w[i], false, 0), p.w[i].next_nudge_ms = 1000000;
    outbox o = {.n = 0};

    dw_worker *skipper = one_of(&p, DW_SKIPPER);
    dw_receive(&p, skipper, offer_text, 0);
    run(&p, 0, 6000, &o);
    KT_CHECK(o.n == 1 && strcmp(o.text[0], "RUKA 6") == 0, "the skipper skips typing: %s",
             o.n ? o.text[0] : "-");
    KT_CHECK(skipper->skips == 1 && dw_open_count(skipper) == 0, "skip settles the task");

    o.n = 0;
    dw_worker *more = one_of(&p, DW_MORE);
    dw_receive(&p, more, offer_verify, 0);
    run(&p, 0, 6000, &o);
    KT_CHECK(o.n == 1 && strcmp(o.text[0], "MORE 5") == 0, "asks MORE first: %s",
             o.n ? o.text[0] : "-");
    run(&p, 6100, 25000, &o);
    KT_CHECK(o.n == 2 && strncmp(o.text[1], "5 ", 2) == 0, "then answers: %s",
             o.n > 1 ? o.text[1] : "-");
    KT_CHECK(more->mores == 1 && more->answers == 1, "MORE %d answers %d", more->mores,
             more->answers);

    o.n = 0;
    dw_worker *stopper = one_of(&p, DW_STOPPER);
    int64_t now = 0;
    for (int k = 0; k < DW_STOP_AFTER; k++) {
        dw_receive(&p, stopper, offer_verify, now);
        now = run(&p, now, now + 6000, &o) + 100;
    }
    now = run(&p, now, now + 5000, &o);
    KT_CHECK(o.n == DW_STOP_AFTER + 1 && strcmp(o.text[o.n - 1], "STOP") == 0,
             "STOP after %d answers: %zu sent, last %s", DW_STOP_AFTER, o.n,
             o.n ? o.text[o.n - 1] : "-");
    KT_CHECK(stopper->state == DW_STOPPED, "stopped");
    dw_receive(&p, stopper, offer_verify, now);
    size_t before = o.n;
    run(&p, now, now + 30000, &o);
    KT_CHECK(o.n == before, "a stopped worker answers nothing more");

    o.n = 0;
    dw_worker *slow = one_of(&p, DW_SLOW);
    dw_receive(&p, slow, offer_verify, 0);
    run(&p, 0, 7000, &o);
    KT_CHECK(o.n == 0, "the slow worker is still thinking after 7 s");
    run(&p, 7100, 19000, &o);
    KT_CHECK(o.n == 1, "and has answered by 19 s");
    dw_pop_free(&p);
}

static void test_no_repeat(void)
{
    dw_pop p;
    dw_pop_init(&p, 1, 9, 0, truth_of, NULL);
    dw_worker *w = &p.w[0];
    dw_mark_registered(w, false, 0);
    w->next_nudge_ms = 1000000;
    outbox o = {.n = 0};
    int64_t now = 0;
    for (int k = 0; k < 12; k++) {
        dw_receive(&p, w, offer_verify, now);
        now = run(&p, now, now + 6000, &o) + 100;
    }
    int same = 0;
    for (size_t k = 1; k < o.n; k++)
        same += strcmp(o.text[k], o.text[k - 1]) == 0;
    KT_CHECK(o.n == 12 && same == 0, "never the same answer text twice in a row: %zu sent, %d same",
             o.n, same);
    int words = 0;
    for (size_t k = 0; k < o.n; k++)
        words += strcmp(o.text[k], "5 No") == 0;
    KT_CHECK(words > 0, "the option's words instead of its number");
    dw_pop_free(&p);
}

static void test_recovery(void)
{
    dw_pop p;
    dw_pop_init(&p, 3, 5, 0, truth_of, NULL);
    outbox o = {.n = 0, .refuse = 1};
    run(&p, 0, 1000, &o);
    KT_CHECK(o.n == 3 && p.w[0].state == DW_JOINING, "a refused send is tried again: %zu", o.n);
    run(&p, 1100, 31500, &o);
    KT_CHECK(o.n == 6, "no welcome in 30 s: JOIN again (%zu)", o.n);

    dw_worker *w = &p.w[0];
    dw_receive(&p, w, "Welcome to Kazi Amina!", 32000);
    o.n = 0;
    int64_t now = run(&p, 32000, 32000 + 30000, &o);
    KT_CHECK(o.n >= 1 && strcmp(o.text[0], "NEXT") == 0, "idle and silent: NEXT (%zu)", o.n);
    dw_receive(&p, w, "No task free for you now. We will SMS you when there is one.", now);
    o.n = 0;
    run(&p, now, now + 100000, &o);
    size_t nexts = 0;
    for (size_t k = 0; k < o.n; k++)
        nexts += strcmp(o.from[k], w->phone) == 0;
    KT_CHECK(nexts == 0, "told Kazi will SMS: no NEXT for a while (%zu)", nexts);
    now += 100000;
    dw_receive(&p, w, "No new task now. Still open for you: 8, 9.", now);
    o.n = 0;
    run(&p, now, now + 20000, &o);
    size_t from_w = 0;
    for (size_t k = 0; k < o.n; k++)
        from_w += strcmp(o.from[k], w->phone) == 0;
    KT_CHECK(from_w == 0, "an offer listed as open may still be on its way: wait (%zu)", from_w);
    dw_receive(&p, w, "#9 Maji Mtaani: Is it open? 1=Yes 2=No ~30s KSh4. Reply 9 N", now + 20000);
    run(&p, now + 20100, now + 40000, &o);
    char mine[4][DW_SMS_CAP];
    size_t nm = 0;
    for (size_t k = 0; k < o.n && nm < 4; k++)
        if (strcmp(o.from[k], w->phone) == 0)
            snprintf(mine[nm++], sizeof mine[0], "%s", o.text[k]);
    KT_CHECK(nm >= 2 && strncmp(mine[0], "9 ", 2) == 0 && strcmp(mine[1], "SKIP 8") == 0,
             "the late offer is answered, the one never seen skipped: %zu %s %s", nm,
             nm ? mine[0] : "-", nm > 1 ? mine[1] : "-");

    dw_worker *r = &p.w[1];
    dw_mark_registered(r, false, 0);
    dw_receive(&p, r, offer_verify, 0);
    dw_receive(&p, r, offer_text, 0);
    dw_replay_sent(r, "5 2");
    KT_CHECK(dw_open_count(r) == 1 && r->answers == 1, "replayed answer settles task 5");
    dw_replay_sent(r, "RUKA 6");
    KT_CHECK(dw_open_count(r) == 0, "replayed skip settles task 6");
    dw_replay_sent(r, "ACHA");
    KT_CHECK(r->state == DW_STOPPED, "replayed STOP");

    dw_worker *x = &p.w[0];
    dw_receive(&p, x, offer_verify, 200000);
    o.n = 0;
    run(&p, 200000, 206000, &o);
    dw_receive(&p, x, "Got 4: No. +KSh6.20. Still open: 5.", 206000); /* crossed our answer */
    p.outbox_idle = true;
    run(&p, 206100, 240000, &o);
    p.outbox_idle = false;
    size_t skips = 0;
    for (size_t k = 0; k < o.n; k++)
        skips += strncmp(o.text[k], "SKIP", 4) == 0;
    KT_CHECK(skips == 0, "a task just answered is not taken for a lost one (%zu skips)", skips);

    dw_worker *q = &p.w[2];
    dw_mark_registered(q, false, 0);
    q->next_nudge_ms = 1000000;
    dw_receive(&p, q, "No new task now. Still open for you: 4.", 100000);
    p.outbox_idle = true;
    o.n = 0;
    run(&p, 100000, 104000, &o);
    KT_CHECK(o.n == 1 && strcmp(o.text[0], "SKIP 4") == 0,
             "nothing queued at Kazi: the unseen offer is lost, skip it soon (%zu)", o.n);
    dw_pop_free(&p);
}

int main(void)
{
    test_rendered();
    test_not_offers();
    test_open_refs();
    test_population();
    test_accuracy();
    test_personas();
    test_no_repeat();
    test_recovery();
    return kt_report();
}
