/*
 * engine_dispatch.c - offering tasks: who may get one now, which task, which
 * short ref, and the life of an offer (MORE, SKIP, expiry).
 * Owns: eligibility (state, pause, own hours, push window, open-offer limit),
 * the gold mix, the ref choice and the engine's transaction brackets. Never
 * renders text, never sends, never penalises a worker for an expiry or a skip.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "task_msg.h"

void engine_config_defaults(engine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tz_offset_minutes = 180;       /* East Africa Time */
    cfg->push_from_minute = 7 * 60;     /* economics.md: 07:00-19:00 */
    cfg->push_to_minute = 19 * 60;
    cfg->offer_seconds = 3600;
    cfg->more_seconds = 3600;
    cfg->max_extensions = 2;
    cfg->max_open_per_worker = 3;
    cfg->gold_per_mille = 50;
    cfg->agreement_percent = 60;        /* 2 of 3, 3 of 4, 3 of 5 */
    cfg->max_redundancy_extra = 2;
    cfg->auto_accept_days = 7;
    cfg->sms_refund_minor = 120;        /* KSh 1.20 a segment */
    memcpy(cfg->currency, "KES", 4);
}

kz_status engine_tx_begin(kz_store *st, int *own, kz_err *err)
{
    *own = !store_eng_in_tx(st);
    return *own ? store_begin(st, err) : KZ_OK;
}

kz_status engine_tx_end(kz_store *st, int own, kz_status rc, kz_err *err)
{
    if (!own)
        return rc;
    if (rc != KZ_OK) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

void engine_tx_drop(kz_store *st, int own)
{
    if (own)
        store_rollback(st);
}

int engine_local_minute(const engine_config *cfg, int64_t now)
{
    int64_t local = now + (int64_t)cfg->tz_offset_minutes * 60;
    int64_t day = local % 86400;
    if (day < 0)
        day += 86400;
    return (int)(day / 60);
}

bool engine_in_window(int from, int to, int m)
{
    if (from == to)
        return true;
    if (from < to)
        return m >= from && m < to;
    return m >= from || m < to;
}

/* Is the worker paused at now? PAUSE without an end lasts until RESUME. */
static bool worker_paused(const store_eng_worker *w, int64_t now)
{
    if (strcmp(w->state, "paused") == 0 && w->paused_until == 0)
        return true;
    return w->paused_until > now;
}

static bool worker_may_get(const engine_config *cfg, const store_eng_worker *w, int64_t now,
                           bool solicited)
{
    if (strcmp(w->state, "stopped") == 0)
        return false;
    if (w->open_offers >= cfg->max_open_per_worker)
        return false;
    if (solicited)
        return true;
    if (worker_paused(w, now))
        return false;
    int m = engine_local_minute(cfg, now);
    if (!engine_in_window(cfg->push_from_minute, cfg->push_to_minute, m))
        return false;
    return !w->has_hours || engine_in_window(w->hours_from, w->hours_to, m);
}

/* A fixed scramble of the worker id: where in the gold cycle this worker starts. */
static unsigned gold_phase(int64_t worker_id)
{
    uint64_t z = (uint64_t)worker_id + 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return (unsigned)((z ^ (z >> 31)) % 1000u);
}

/*
 * Is the worker's next offer (they have had n) a gold one? Exactly
 * gold_per_mille of every 1000 offers of each worker, evenly spaced, each
 * worker starting at their own phase so gold is not always the same offer.
 */
static bool gold_due(const engine_config *cfg, int64_t worker_id, int64_t n)
{
    if (cfg->gold_per_mille <= 0)
        return false;
    int64_t g = cfg->gold_per_mille > 1000 ? 1000 : cfg->gold_per_mille;
    int64_t p = gold_phase(worker_id);
    return ((n + 1) * g + p) / 1000 > (n * g + p) / 1000;
}

static bool bit_set(const unsigned char *busy, int r)
{
    return busy[r / 8] & (1u << (r % 8));
}

/* The smallest ref this worker may be given now; 0 if none (cannot happen below 9999 open). */
static kz_status choose_ref(kz_store *st, int64_t worker_id, int64_t now, int *ref, kz_err *err)
{
    unsigned char busy[STORE_ENG_REF_BITMAP];
    /* First keep recently expired refs (late answers) and recently answered or
     * skipped ones (a resent SMS) out, then only open ones. */
    const int64_t since[2] = {now - ENGINE_LATE_WINDOW, now};
    const int64_t rest[2] = {now - ENGINE_REF_REST, now};
    for (int pass = 0; pass < 2; pass++) {
        kz_status rc = store_eng_refs_busy(st, worker_id, since[pass], rest[pass], busy, err);
        if (rc != KZ_OK)
            return rc;
        for (int r = 1; r <= TASK_MSG_REF_MAX; r++) {
            if (!bit_set(busy, r)) {
                *ref = r;
                return KZ_OK;
            }
        }
    }
    *ref = 0;
    return KZ_OK;
}

static void fill_offer(const store_eng_task *t, int64_t assignment_id, int ref, int64_t due,
                       engine_offer *out)
{
    memset(out, 0, sizeof *out);
    out->assignment_id = assignment_id;
    out->task_id = t->id;
    out->ref = ref;
    memcpy(out->requester, t->requester, sizeof out->requester);
    memcpy(out->batch, t->batch, sizeof out->batch);
    memcpy(out->type, t->type, sizeof out->type);
    memcpy(out->prompt, t->prompt, sizeof out->prompt);
    memcpy(out->options, t->options, sizeof out->options);
    out->est_seconds = t->est_seconds;
    out->reward_minor = t->reward_minor;
    memcpy(out->currency, t->currency, sizeof out->currency);
    out->due_at = due;
}

/* The body of engine_offer_next inside its transaction. */
static kz_status offer_tx(kz_store *st, const engine_config *cfg, int64_t worker_id, int64_t now,
                          bool solicited, engine_offer *out, bool *found, kz_err *err)
{
    store_eng_worker w;
    kz_status rc = store_eng_worker_get(st, worker_id, &w, err);
    if (rc != KZ_OK || !worker_may_get(cfg, &w, now, solicited))
        return rc;
    store_eng_task t = {.id = 0};
    if (gold_due(cfg, worker_id, w.total_offers))
        rc = store_eng_pick_task(st, worker_id, 1, &t, err);
    if (rc == KZ_OK && t.id == 0)
        rc = store_eng_pick_task(st, worker_id, 0, &t, err);
    if (rc != KZ_OK || t.id == 0)
        return rc;
    int ref = 0;
    rc = choose_ref(st, worker_id, now, &ref, err);
    if (rc != KZ_OK || ref == 0)
        return rc;
    int64_t due = now + (cfg->offer_seconds > 0 ? cfg->offer_seconds : 1);
    int64_t assignment_id = 0;
    rc = store_eng_offer_insert(st, t.id, worker_id, ref, now, due, &assignment_id, err);
    if (rc != KZ_OK)
        return rc;
    fill_offer(&t, assignment_id, ref, due, out);
    *found = true;
    return KZ_OK;
}

kz_status engine_offer_next(kz_store *st, const engine_config *cfg, int64_t worker_id,
                            int64_t now, bool solicited, engine_offer *out, bool *found,
                            kz_err *err)
{
    *found = false;
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    rc = offer_tx(st, cfg, worker_id, now, solicited, out, found, err);
    if (rc != KZ_OK)
        *found = false;
    return engine_tx_end(st, own, rc, err);
}

kz_status engine_skip(kz_store *st, int64_t worker_id, int ref, int64_t now, bool *found,
                      kz_err *err)
{
    *found = false;
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    store_eng_assign a;
    int count = 0;
    rc = store_eng_open_offer(st, worker_id, ref, &a, &count, err);
    if (rc == KZ_OK && count == 1) {
        int changed = 0;
        rc = store_eng_offer_close(st, a.id, "skipped", now, &changed, err);
        *found = rc == KZ_OK && changed;
    }
    return engine_tx_end(st, own, rc, err);
}

kz_status engine_more(kz_store *st, const engine_config *cfg, int64_t worker_id, int ref,
                      int64_t now, int64_t *new_due, bool *found, bool *allowed, kz_err *err)
{
    *found = false;
    *allowed = false;
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    store_eng_assign a;
    int count = 0;
    rc = store_eng_open_offer(st, worker_id, ref, &a, &count, err);
    if (rc == KZ_OK && count == 1) {
        *found = true;
        *new_due = a.due_at;
        if (a.extensions < cfg->max_extensions) {
            int64_t from = a.due_at > now ? a.due_at : now;
            *new_due = from + cfg->more_seconds;
            rc = store_eng_offer_extend(st, a.id, *new_due, err);
            *allowed = rc == KZ_OK;
        }
    }
    return engine_tx_end(st, own, rc, err);
}

kz_status engine_expire(kz_store *st, int64_t now, size_t *n, kz_err *err)
{
    size_t got = 0;
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    rc = store_eng_expire(st, now, &got, err);
    rc = engine_tx_end(st, own, rc, err);
    if (n)
        *n = rc == KZ_OK ? got : 0;
    return rc;
}

/* Worker ids collected by the push walk before any callback may write. */
typedef struct id_list {
    int64_t *v;
    size_t n, cap;
    int oom;
} id_list;

static int id_collect(void *ctx, int64_t id)
{
    id_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = id;
    return 0;
}

kz_status engine_push_each(kz_store *st, const engine_config *cfg, int64_t now,
                           int (*cb)(void *ctx, int64_t worker_id), void *ctx, kz_err *err)
{
    int m = engine_local_minute(cfg, now);
    if (!engine_in_window(cfg->push_from_minute, cfg->push_to_minute, m))
        return KZ_OK;
    id_list l = {0};
    kz_status rc = store_eng_push_candidates(st, now, m, cfg->max_open_per_worker,
                                             now - 86400, id_collect, &l, err);
    if (rc == KZ_OK && l.oom)
        rc = kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory listing workers");
    for (size_t i = 0; rc == KZ_OK && i < l.n; i++)
        if (cb(ctx, l.v[i]) != 0)
            break;
    free(l.v);
    return rc;
}
