/*
 * engine_review.c - tasks that reached "needs review" (no agreement after
 * the extra workers allowed): listing them with their answers grouped as the
 * consensus groups them, and a human settling one with the right answer.
 * Owns: the grouping shown to the human and what a settlement records (the
 * consensus, who and when, agreement feedback). Never touches the ledger:
 * every on-time answer stays paid whatever the human decides (worker
 * promise 2); agreement only feeds the worker's own accuracy feedback.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many votes share v[i]'s key (by_key) or its exact value. */
static int count_like(const engine_votes *l, size_t i, bool by_key)
{
    int c = 0;
    for (size_t j = 0; j < l->n; j++)
        c += by_key ? strcmp(l->v[j].key, l->v[i].key) == 0
                    : strcmp(l->v[j].value, l->v[i].value) == 0;
    return c;
}

/* Is v[i] the first vote of its group? */
static bool first_of_group(const engine_votes *l, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(l->v[j].key, l->v[i].key) == 0)
            return false;
    return true;
}

/* The group of v[i]: its most common exact text (earliest on a tie) and size. */
static void group_of(const engine_votes *l, size_t i, engine_review_group *g)
{
    int best = 0;
    for (size_t j = 0; j < l->n; j++) {
        if (strcmp(l->v[j].key, l->v[i].key) != 0)
            continue;
        int c = count_like(l, j, false);
        if (c > best) {
            best = c;
            snprintf(g->value, sizeof g->value, "%s", l->v[j].value);
        }
    }
    g->count = count_like(l, i, true);
}

/* Fill groups (largest first, stable) from l; returns how many distinct answers in all. */
static size_t group_all(const engine_votes *l, engine_review_group *groups, size_t *n)
{
    size_t all = 0;
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!first_of_group(l, i))
            continue;
        all++;
        engine_review_group g;
        group_of(l, i, &g);
        size_t at = *n;
        while (at > 0 && groups[at - 1].count < g.count)
            at--;
        if (at >= ENGINE_REVIEW_GROUPS)
            continue;
        size_t last = *n < ENGINE_REVIEW_GROUPS ? *n : ENGINE_REVIEW_GROUPS - 1;
        memmove(&groups[at + 1], &groups[at], (last - at) * sizeof groups[0]);
        groups[at] = g;
        if (*n < ENGINE_REVIEW_GROUPS)
            (*n)++;
    }
    return all;
}

typedef struct review_walk {
    kz_store *st;
    int (*cb)(void *ctx, const engine_review_row *r);
    void *ctx;
    kz_status rc;
    kz_err *err;
    engine_review_group groups[ENGINE_REVIEW_GROUPS];
} review_walk;

static int review_one(void *ctx, const store_eng_review_row *r)
{
    review_walk *w = ctx;
    engine_votes l;
    w->rc = engine_votes_load(w->st, r->task_id, r->type, &l, w->err);
    engine_review_row row = {.task_id = r->task_id, .batch = r->batch, .ext_id = r->ext_id,
                             .type = r->type, .prompt = r->prompt, .options = r->options,
                             .flagged_at = r->flagged_at, .answers = (int)l.n,
                             .groups = w->groups};
    if (w->rc == KZ_OK)
        row.ngroups_all = group_all(&l, w->groups, &row.ngroups);
    free(l.v);
    return w->rc != KZ_OK || w->cb(w->ctx, &row) != 0;
}

kz_status engine_review_each(kz_store *st, int (*cb)(void *ctx, const engine_review_row *r),
                             void *ctx, kz_err *err)
{
    review_walk *w = calloc(1, sizeof *w);
    if (!w)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    *w = (review_walk){.st = st, .cb = cb, .ctx = ctx, .rc = KZ_OK, .err = err};
    kz_status rc = store_eng_review_each(st, review_one, w, err);
    if (rc == KZ_OK)
        rc = w->rc;
    free(w);
    return rc;
}

/*
 * The human's answer in the form a worker's is stored: an option's text for
 * verify/choice (KZ_ERR_INVALID if it is none), else the text with its white
 * space tidied the way a gold answer is (engine_gold_value).
 */
static kz_status settle_value(store_eng_task *t, const char *answer, char *out, size_t cap,
                              kz_err *err)
{
    int n = 0;
    if (strcmp(t->type, "transcribe") != 0) {
        if (engine_option_match(t->options, answer, out, cap, &n))
            return KZ_OK;
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "'%s' is not one of the %d options of task %lld (%s)", answer, n,
                          (long long)t->id, t->options);
    }
    snprintf(t->gold, sizeof t->gold, "%s", answer);
    engine_gold_value(t, out, cap);
    if (*out)
        return KZ_OK;
    return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "an empty answer settles nothing");
}

static kz_status settle_tx(kz_store *st, int64_t task_id, const char *answer,
                           const char *reviewer, int64_t now, engine_settled *out, kz_err *err)
{
    store_eng_task *t = malloc(sizeof *t);
    if (!t)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    store_eng_result_row res;
    engine_votes l = {0};
    kz_status rc = store_eng_task_get(st, task_id, t, err);
    if (rc == KZ_OK)
        rc = store_eng_result_get(st, task_id, &res, err);
    if (rc == KZ_OK && strcmp(res.state, "review") != 0)
        rc = kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "task %lld is %s, not in review",
                        (long long)task_id, res.state);
    if (rc == KZ_OK)
        rc = settle_value(t, answer, out->consensus, sizeof out->consensus, err);
    if (rc == KZ_OK)
        rc = engine_votes_load(st, task_id, t->type, &l, err);
    char key[481];
    if (l.transcribe)
        engine_text_key(out->consensus, key, sizeof key);
    else
        snprintf(key, sizeof key, "%s", out->consensus);
    out->votes = 0;
    for (size_t i = 0; rc == KZ_OK && i < l.n; i++) {
        int agrees = strcmp(l.v[i].key, key) == 0;
        out->votes += agrees;
        rc = store_eng_answer_agrees(st, l.v[i].answer_id, agrees, err);
    }
    out->answers = (int)l.n;
    out->agreement_percent = l.n ? (int)((int64_t)out->votes * 100 / (int64_t)l.n) : 0;
    store_eng_result r = {.task_id = task_id, .state = "resolved", .consensus = out->consensus,
                          .votes = out->votes, .answers = out->answers,
                          .agreement = out->agreement_percent, .at = now};
    int changed = 0;
    if (rc == KZ_OK)
        rc = store_eng_result_settle(st, &r, reviewer, &changed, err);
    if (rc == KZ_OK && !changed)
        rc = kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "task %lld is no longer in review",
                        (long long)task_id);
    free(l.v);
    free(t);
    return rc;
}

kz_status engine_review_settle(kz_store *st, int64_t task_id, const char *answer,
                               const char *reviewer, int64_t now, engine_settled *out,
                               kz_err *err)
{
    engine_settled scratch;
    engine_settled *o = out ? out : &scratch;
    memset(o, 0, sizeof *o);
    if (!answer || !*answer)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "settling needs an answer");
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    rc = settle_tx(st, task_id, answer, reviewer, now, o, err);
    return engine_tx_end(st, own, rc, err);
}
