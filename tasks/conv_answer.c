/*
 * conv_answer.c - the replies to answers: one answer ("42 2", a bare "2"),
 * several in one SMS ("12 1 13 2", tasks/conv_multi.h), a resent answer,
 * and text that is no command (a bare answer when one offer is open). Each
 * answer goes to the engine as if sent alone; the acknowledgement rides on
 * the next offer when that costs no extra segment. Called by conv_cmds.c.
 * Owns: the choice of reply for every answer outcome. Never queues or sends
 * (conv.c does), never words a reply itself (the templates do).
 */
#include <stdio.h>
#include <string.h>

#include "conv_cmds.h"
#include "conv_multi.h"
#include "conv_offer.h"

/* The same answer again within this many seconds is a repeat, not a new answer. */
#define REPEAT_SECONDS 600

/* The next offer with ack (or ack_short) riding in front; without one, the ack alone. */
static kz_status ack_then_offer(conv_ctx *c, const char *ack, const char *ack_short,
                                const char *key_open, const char *key_done, tmpl_var *v,
                                size_t nv)
{
    bool offered = false;
    kz_status rc = conv_offer_next(c, false, ack, ack_short, &offered);
    if (rc != KZ_OK || offered)
        return rc;
    return conv_say_open(c, key_open, key_done, v, nv);
}

/* After a paid answer: the next offer with the ack riding, or the ack alone. */
static kz_status answered(conv_ctx *c, const engine_answer_result *r)
{
    char ref[16], earned[40], ack[200], ack_short[100];
    snprintf(ref, sizeof ref, "%d", r->ref);
    conv_money(c, r->earned_minor, earned, sizeof earned);
    tmpl_var v[] = {{"ref", ref}, {"answer", r->value}, {"earned", earned}, {"open", ""}};
    kz_status rc = conv_word(c, "ack", v, 3, ack, sizeof ack);
    if (rc == KZ_OK)
        rc = conv_word(c, "ack_short", v, 3, ack_short, sizeof ack_short);
    if (rc != KZ_OK)
        return rc;
    return ack_then_offer(c, ack, ack_short, "ack_open", "ack_done", v, 4);
}

static kz_status answer_outcome(conv_ctx *c, const engine_answer_result *r, int asked_ref)
{
    char ref[16], n[16];
    snprintf(ref, sizeof ref, "%d", r->ref ? r->ref : asked_ref);
    snprintf(n, sizeof n, "%d", r->n_options);
    tmpl_var v[] = {{"ref", ref}, {"n", n}, {"open", ""}};
    c->took_answer = r->status == ENGINE_ANSWER_OK || r->status == ENGINE_ANSWER_LATE;
    switch (r->status) {
    case ENGINE_ANSWER_OK: return answered(c, r);
    case ENGINE_ANSWER_TWICE: return conv_say(c, "twice", v, 1);
    case ENGINE_ANSWER_BAD_OPTION: return conv_say(c, "bad_option", v, 2);
    case ENGINE_ANSWER_LATE: return conv_say(c, "late", v, 1);
    case ENGINE_ANSWER_NO_TASK:
        return asked_ref ? conv_say(c, "no_task", v, 1) : conv_say(c, "no_open", NULL, 0);
    case ENGINE_ANSWER_AMBIGUOUS: break;
    }
    int refs[CONV_LIST_REFS];
    size_t k = 0;
    kz_status rc = conv_open_refs(c, refs, &k);
    if (rc != KZ_OK)
        return rc;
    char open[32];
    conv_list_refs(refs, k, open, sizeof open);
    snprintf(ref, sizeof ref, "%d", k ? refs[0] : 42);
    v[2].value = open;
    return conv_say(c, "ambiguous", v, 3);
}

/* "14 Moi Avenue" with no task 14 but one open offer: the whole text is a bare answer. */
static kz_status try_whole(conv_ctx *c, engine_answer_result *r, bool *retried)
{
    *retried = false;
    int refs[CONV_LIST_REFS];
    size_t n = 0;
    kz_status rc = conv_open_refs(c, refs, &n);
    if (rc != KZ_OK || n != 1 || refs[0] == c->cmd->ref)
        return rc;
    engine_answer_result again;
    rc = engine_answer(c->st, &c->cfg->engine, c->w.id, 0, c->cmd->text, c->in_id,
                       c->in_segments, c->now, &again, c->err);
    if (rc == KZ_OK && again.status == ENGINE_ANSWER_OK) {
        *r = again;
        *retried = true;
    }
    return rc;
}

/*
 * The same answer sent again soon ("42 2" twice because the first seemed
 * lost): the ref may already name the next task, so it is not an answer.
 */
static kz_status repeated(conv_ctx *c, bool *again)
{
    char prev[CONV_TEXT_CAP];
    conv_cmd p;
    *again = false;
    kz_status rc = store_conv_prev_inbound(c->st, c->peer, c->in_id, c->now - REPEAT_SECONDS,
                                           prev, sizeof prev, c->err);
    if (rc != KZ_OK || !*prev)
        return rc;
    conv_parse(prev, strlen(prev), &p);
    *again = p.kind == CONV_ANSWER && p.ref == c->cmd->ref &&
             strcmp(p.text + p.arg_off, c->cmd->text + c->cmd->arg_off) == 0;
    return KZ_OK;
}

/* ---- several answers in one SMS ("12 1 13 2") ---- */

/* Open offers looked at for a list of answers (max_open_per_worker is at most 20). */
#define MULTI_OPEN 20

/* Are all of ml's refs open offers of this worker? Then the SMS is a list of answers. */
static kz_status multi_all_open(conv_ctx *c, const conv_multi *ml, bool *all)
{
    int refs[MULTI_OPEN];
    size_t n = 0;
    *all = false;
    kz_status rc = store_conv_open_refs(c->st, c->w.id, refs, MULTI_OPEN, &n, c->err);
    if (rc != KZ_OK)
        return rc;
    for (size_t k = 0; k < ml->n; k++) {
        bool found = false;
        for (size_t i = 0; i < n && i < MULTI_OPEN && !found; i++)
            found = refs[i] == ml->ref[k];
        if (!found)
            return KZ_OK;
    }
    *all = true;
    return KZ_OK;
}

/* What the answers of one list earned, and how to acknowledge them. */
typedef struct multi_acks {
    char answers[200]; /* "12: Yes, 13: Red" */
    char refs[64];     /* "12 13" */
    int64_t earned;
    size_t paid;       /* answers recorded on time */
} multi_acks;

static void multi_add(multi_acks *a, const engine_answer_result *r)
{
    size_t p = strlen(a->answers), q = strlen(a->refs);
    snprintf(a->answers + p, sizeof a->answers - p, "%s%d: %.20s", p ? ", " : "", r->ref,
             r->value);
    snprintf(a->refs + q, sizeof a->refs - q, "%s%d", q ? " " : "", r->ref);
    a->earned += r->earned_minor;
    a->paid++;
}

/* The reply to a list: the acks riding on the next offer, or alone; a problem first. */
static kz_status multi_reply(conv_ctx *c, const multi_acks *a, const engine_answer_result *bad,
                             int bad_ref)
{
    char earned[40], ack[300] = "", ack_short[120] = "";
    conv_money(c, a->earned, earned, sizeof earned);
    tmpl_var v[] = {{"answers", a->answers}, {"earned", earned}, {"refs", a->refs}};
    kz_status rc = KZ_OK;
    if (a->paid) {
        rc = conv_word(c, "ack_many", v, 2, ack, sizeof ack);
        if (rc == KZ_OK)
            rc = conv_word(c, "ack_many_short", v + 1, 2, ack_short, sizeof ack_short);
        if (rc != KZ_OK)
            return rc;
    }
    if (bad) { /* say what went wrong; the acks ride in front when they fit */
        rc = answer_outcome(c, bad, bad_ref);
        if (rc == KZ_OK && a->paid && c->has_reply && !c->offer_assignment)
            conv_offer_ride(ack, ack_short, c->text, sizeof c->text, &c->len);
        return rc;
    }
    tmpl_var w[] = {v[0], v[1], {"open", ""}};
    return ack_then_offer(c, ack, ack_short, "ack_many_open", "ack_many_done", w, 3);
}

/*
 * Each answer of the list recorded and paid exactly as if sent alone, in
 * order; the SMS refund is the message's, once (the engine keys it on the
 * message). The first answer that is not taken is the one the reply names.
 */
static kz_status cmd_answers(conv_ctx *c, const conv_multi *ml)
{
    multi_acks a;
    memset(&a, 0, sizeof a);
    engine_answer_result bad;
    int bad_ref = 0;
    for (size_t k = 0; k < ml->n; k++) {
        engine_answer_result r;
        kz_status rc = engine_answer(c->st, &c->cfg->engine, c->w.id, ml->ref[k],
                                     ml->answer[k], c->in_id, c->in_segments, c->now, &r,
                                     c->err);
        if (rc != KZ_OK)
            return rc;
        if (r.status == ENGINE_ANSWER_OK || r.status == ENGINE_ANSWER_LATE)
            c->took_answer = true;
        if (r.status == ENGINE_ANSWER_OK)
            multi_add(&a, &r);
        else if (!bad_ref) {
            bad = r;
            bad_ref = ml->ref[k];
        }
    }
    if (!c->took_answer)
        c->refund = true; /* no answer the engine paid: the SMS itself is refunded */
    return multi_reply(c, &a, bad_ref ? &bad : NULL, bad_ref);
}

kz_status conv_cmd_answer(conv_ctx *c)
{
    const conv_cmd *m = c->cmd;
    conv_multi ml;
    if (m->ref && m->args == CONV_ARGS_OK && conv_multi_parse(m->text, m->text_len, &ml)) {
        bool all = false;
        kz_status rc = multi_all_open(c, &ml, &all);
        if (rc != KZ_OK || all)
            return rc == KZ_OK ? cmd_answers(c, &ml) : rc;
    }
    if (m->args == CONV_ARGS_TOO_LONG) {
        char ref[16], max[16];
        snprintf(ref, sizeof ref, "%d", m->ref);
        snprintf(max, sizeof max, "%d", CONV_ANSWER_MAX);
        tmpl_var v[] = {{"ref", ref}, {"max", max}};
        return conv_say(c, "too_long", v, 2);
    }
    if (m->args == CONV_ARGS_MISSING)
        return conv_say_ref(c, "answer_missing", m->ref ? m->ref : 42);
    bool again = false;
    kz_status rc0 = m->ref ? repeated(c, &again) : KZ_OK;
    if (rc0 != KZ_OK || again) {
        c->refund = true; /* the engine pays nothing for it, but the SMS cost the worker */
        return rc0 == KZ_OK ? conv_say_ref(c, "twice", m->ref) : rc0;
    }
    engine_answer_result r;
    kz_status rc = engine_answer(c->st, &c->cfg->engine, c->w.id, m->ref, m->text + m->arg_off,
                                 c->in_id, c->in_segments, c->now, &r, c->err);
    if (rc != KZ_OK)
        return rc;
    bool retried = false;
    if (r.status == ENGINE_ANSWER_NO_TASK && m->ref && m->arg_off > 0)
        rc = try_whole(c, &r, &retried);
    if (rc != KZ_OK)
        return rc;
    if (r.status != ENGINE_ANSWER_OK && r.status != ENGINE_ANSWER_LATE)
        c->refund = true; /* not an answer the engine paid: the SMS itself is refunded */
    return answer_outcome(c, &r, m->ref);
}

/* Text that is no command: a bare answer when the worker has one open offer. */
kz_status conv_cmd_unknown(conv_ctx *c)
{
    const char *t = c->cmd->text;
    bool word = false;
    for (const char *p = t; *p && !word; p++)
        word = (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
    if (c->is_worker && word && strcmp(c->w.state, "stopped") != 0 &&
        c->cmd->args != CONV_ARGS_TOO_LONG) {
        engine_answer_result r;
        kz_status rc = engine_answer(c->st, &c->cfg->engine, c->w.id, 0, t, c->in_id,
                                     c->in_segments, c->now, &r, c->err);
        if (rc != KZ_OK)
            return rc;
        if (r.status == ENGINE_ANSWER_OK || r.status == ENGINE_ANSWER_BAD_OPTION ||
            r.status == ENGINE_ANSWER_LATE)
            return answer_outcome(c, &r, 0);
    }
    c->not_understood = true;
    return conv_say(c, c->is_worker ? "unknown" : "help_new", NULL, 0);
}
