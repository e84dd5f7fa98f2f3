/*
 * engine_aggregate.c - turning a task's answers into a result: plurality
 * with an agreement threshold, escalation to more workers, and "needs review".
 * Owns: the consensus rule, the escalation cap, and a task's votes keyed
 * for the consensus (engine_votes_load). Never changes an answer's
 * value or a ledger entry; never bans or scores a worker (agreement only
 * feeds the worker's own accuracy feedback).
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* store_eng_votes callback: append one answer to the engine_votes ctx (1 = out of memory). */
static int vote_add(void *ctx, int64_t answer_id, const char *value)
{
    engine_votes *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        engine_vote *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return 1;
        l->v = v;
        l->cap = cap;
    }
    engine_vote *x = &l->v[l->n++];
    x->answer_id = answer_id;
    snprintf(x->value, sizeof x->value, "%s", value);
    if (l->transcribe)
        engine_text_key(value, x->key, sizeof x->key);
    else
        snprintf(x->key, sizeof x->key, "%s", value);
    return 0;
}

kz_status engine_votes_load(kz_store *st, int64_t task_id, const char *type, engine_votes *l,
                            kz_err *err)
{
    memset(l, 0, sizeof *l);
    l->transcribe = strcmp(type, "transcribe") == 0;
    return store_eng_votes(st, task_id, vote_add, l, err);
}

/* The plurality: index of the first vote of the largest group, its size, and a tie flag. */
typedef struct tally {
    size_t top;     /* index into the votes of the winning group's first answer */
    int top_n;
    bool tie;
} tally;

static tally count_votes(const engine_votes *l)
{
    tally t = {0, 0, false};
    for (size_t i = 0; i < l->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(l->v[j].key, l->v[i].key) == 0;
        if (seen)
            continue;
        int c = 0;
        for (size_t j = i; j < l->n; j++)
            c += strcmp(l->v[j].key, l->v[i].key) == 0;
        if (c > t.top_n) {
            t.top = i;
            t.top_n = c;
            t.tie = false;
        } else if (c == t.top_n) {
            t.tie = true;
        }
    }
    return t;
}

static int percent(int part, size_t whole)
{
    return whole ? (int)((int64_t)part * 100 / (int64_t)whole) : 0;
}

/*
 * The consensus text of the group with key: its most common exact value,
 * the earliest on a tie ("Thika" over "Thika." when two of three wrote it so).
 */
static const char *group_value(const engine_votes *l, const char *key)
{
    const char *best = NULL;
    int best_n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].key, key) != 0)
            continue;
        int c = 0;
        for (size_t j = 0; j < l->n; j++)
            c += strcmp(l->v[j].value, l->v[i].value) == 0;
        if (c > best_n) {
            best = l->v[i].value;
            best_n = c;
        }
    }
    return best;
}

/* Resolve: the result row, agreement on each counted answer, the task done. */
static kz_status resolve(kz_store *st, const store_eng_task *t, const engine_votes *l,
                         const tally *ty, int64_t now, kz_err *err)
{
    const char *top_key = l->v[ty->top].key;
    store_eng_result r = {.task_id = t->id, .state = "resolved",
                          .consensus = group_value(l, top_key), .votes = ty->top_n,
                          .answers = (int)l->n, .agreement = percent(ty->top_n, l->n),
                          .at = now};
    kz_status rc = store_eng_result_put(st, &r, err);
    for (size_t i = 0; rc == KZ_OK && i < l->n; i++)
        rc = store_eng_answer_agrees(st, l->v[i].answer_id, strcmp(l->v[i].key, top_key) == 0,
                                     err);
    if (rc == KZ_OK)
        rc = store_eng_task_state(st, t->id, "done", err);
    return rc;
}

/* No agreement: one more worker if the cap allows, else review. */
static kz_status escalate(kz_store *st, const engine_config *cfg, const store_eng_task *t,
                          const engine_votes *l, const tally *ty, int64_t now, kz_err *err)
{
    int cap = t->redundancy + (cfg->max_redundancy_extra > 0 ? cfg->max_redundancy_extra : 0);
    if (t->wanted < cap)
        return store_eng_task_wanted(st, t->id, t->wanted + 1, err);
    store_eng_result r = {.task_id = t->id, .state = "review", .consensus = NULL,
                          .votes = ty->tie ? 0 : ty->top_n, .answers = (int)l->n,
                          .agreement = ty->tie ? 0 : percent(ty->top_n, l->n), .at = now};
    kz_status rc = store_eng_result_put(st, &r, err);
    if (rc == KZ_OK)
        rc = store_eng_task_state(st, t->id, "done", err);
    return rc;
}

/* A gold task: its result is its gold answer, written once; it stays open for checks. */
static kz_status gold_result(kz_store *st, const store_eng_task *t, const engine_votes *l,
                             int64_t now, kz_err *err)
{
    char gold[481], key[481];
    engine_gold_value(t, gold, sizeof gold);
    engine_text_key(gold, key, sizeof key);
    int agree = 0;
    for (size_t i = 0; i < l->n; i++) {
        char k[481];
        engine_text_key(l->v[i].value, k, sizeof k);
        agree += strcmp(k, key) == 0;
    }
    store_eng_result r = {.task_id = t->id, .state = "resolved", .consensus = gold,
                          .votes = agree, .answers = (int)l->n,
                          .agreement = percent(agree, l->n), .at = now};
    return store_eng_result_put(st, &r, err);
}

kz_status engine_aggregate(kz_store *st, const engine_config *cfg, const store_eng_task *t,
                           int64_t now, kz_err *err)
{
    if (strcmp(t->state, "open") != 0)
        return KZ_OK;
    engine_votes l;
    kz_status rc = engine_votes_load(st, t->id, t->type, &l, err);
    if (rc == KZ_OK && l.n > 0 && l.n >= (size_t)t->wanted) {
        if (t->has_gold) {
            rc = gold_result(st, t, &l, now, err);
        } else {
            tally ty = count_votes(&l);
            int need = cfg->agreement_percent;
            bool agreed = !ty.tie && (int64_t)ty.top_n * 100 >= (int64_t)need * (int64_t)l.n;
            rc = agreed ? resolve(st, t, &l, &ty, now, err)
                        : escalate(st, cfg, t, &l, &ty, now, err);
        }
    }
    free(l.v);
    return rc;
}
