/*
 * web_data_pay.c - payouts for the console and the API: which need the
 * operator (unknown, failed and not yet retried, stuck) and the actions on
 * them: the two decisions of `kazi pay resolve` (tasks/payout.c keeps their
 * rules: what may be confirmed or failed, the debit reversed on a failure)
 * and a retry of a failed payout as a new request with its own idempotency
 * key, so asking twice never pays twice.
 * Owns: the PAYOUT object of web_data.h, the meaning of "needs attention"
 * and which actions each such payout offers. Never moves money itself
 * (payout_resolve and payout_request do); never talks to a provider.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout.h"
#include "web_data.h"
#include "web_data_internal.h"

/* Every payout, by id, and whether each is its worker's latest. */
typedef struct pay_list {
    payout *p;
    bool *latest;
    size_t n, cap;
    int oom;
} pay_list;

static int gather_row(void *ctx, const payout *p)
{
    pay_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        payout *np = realloc(l->p, cap * sizeof *np);
        if (!np) {
            l->oom = 1;
            return 1;
        }
        l->p = np;
        l->cap = cap;
    }
    l->p[l->n++] = *p;
    return 0;
}

/* A payout's worker and id, and where it sits in the list (for sorting). */
typedef struct pay_key {
    int64_t worker_id, id;
    size_t at;
} pay_key;

static int by_worker_then_id(const void *a, const void *b)
{
    const pay_key *x = a, *y = b;
    if (x->worker_id != y->worker_id)
        return x->worker_id < y->worker_id ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Mark each worker's newest payout in l->latest. KZ_OK or KZ_ERR_NOMEM. */
static kz_status mark_latest(pay_list *l, kz_err *err)
{
    l->latest = calloc(l->n ? l->n : 1, sizeof *l->latest);
    pay_key *k = malloc((l->n ? l->n : 1) * sizeof *k);
    if (!l->latest || !k) {
        free(k);
        return web_oom(err);
    }
    for (size_t i = 0; i < l->n; i++)
        k[i] = (pay_key){.worker_id = l->p[i].worker_id, .id = l->p[i].id, .at = i};
    qsort(k, l->n, sizeof *k, by_worker_then_id);
    for (size_t i = 0; i < l->n; i++)
        if (i + 1 == l->n || k[i + 1].worker_id != k[i].worker_id)
            l->latest[k[i].at] = true;
    free(k);
    return KZ_OK;
}

static void pay_list_free(pay_list *l)
{
    free(l->p);
    free(l->latest);
}

static kz_status pay_list_load(kz_store *st, pay_list *l, kz_err *err)
{
    memset(l, 0, sizeof *l);
    kz_status s = payout_each(st, NULL, gather_row, l, err);
    if (l->oom)
        return web_oom(err);
    return s == KZ_OK ? mark_latest(l, err) : s;
}

static bool state_is(const payout *p, const char *s)
{
    return strcmp(p->state, s) == 0;
}

/* Why p needs the operator ("unknown", "failed", "stuck"), or NULL. */
static const char *attention(const payout *p, bool latest, int64_t now)
{
    if (state_is(p, "unknown"))
        return "unknown";
    if (state_is(p, "failed"))
        return latest ? "failed" : NULL;
    bool waiting = state_is(p, "requested") || state_is(p, "sending") || state_is(p, "sent");
    return waiting && now - p->updated_at >= WEB_PAYOUT_STUCK_S ? "stuck" : NULL;
}

/* May action be taken on p now? The transitions payout_resolve allows, on payouts needing attention. */
static bool action_allowed(const payout *p, const char *why, const char *action)
{
    if (!why)
        return false;
    if (strcmp(action, "retry") == 0)
        return strcmp(why, "failed") == 0;
    if (strcmp(action, "failed") == 0)
        return !state_is(p, "failed");
    if (strcmp(action, "confirmed") == 0)
        return state_is(p, "unknown") || state_is(p, "sending") || state_is(p, "sent");
    return false;
}

static json_t *actions_json(const payout *p, const char *why)
{
    static const char *const all[] = {"confirmed", "failed", "retry"};
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof all / sizeof all[0]; i++)
        if (action_allowed(p, why, all[i]) && json_array_append_new(a, json_string(all[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *payout_json(const payout *p, const char *why, bool full)
{
    return json_pack("{s:I, s:I, s:o, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, "
                     "s:o, s:o}",
                     "id", (json_int_t)p->id, "worker_id", (json_int_t)p->worker_id, "phone",
                     web_phone_json(p->phone, full), "amount_minor", (json_int_t)p->amount_minor,
                     "currency", p->currency, "fee_minor", (json_int_t)p->fee_minor, "state",
                     p->state, "method", p->method, "provider_ref", p->provider_ref,
                     "idempotency_key", p->key, "error", p->error, "pin_sent", p->committed,
                     "created_at", (json_int_t)p->created_at, "updated_at",
                     (json_int_t)p->updated_at, "attention",
                     why ? json_string(why) : json_null(), "actions", actions_json(p, why));
}

kz_status web_payouts(kz_store *st, bool attention_only, bool full, int64_t now, json_t **out,
                      kz_err *err)
{
    *out = NULL;
    pay_list l;
    kz_status s = pay_list_load(st, &l, err);
    json_t *arr = s == KZ_OK ? json_array() : NULL;
    if (s == KZ_OK && !arr)
        s = web_oom(err);
    for (size_t i = 0; s == KZ_OK && i < l.n; i++) {
        const char *why = attention(&l.p[i], l.latest[i], now);
        if ((why || !attention_only) && web_append(arr, payout_json(&l.p[i], why, full)) != 0)
            s = web_oom(err);
    }
    pay_list_free(&l);
    if (s != KZ_OK) {
        json_decref(arr);
        return s;
    }
    *out = arr;
    return KZ_OK;
}

/* The daemon's payout settings (as gateway/serve_pay.c maps them), defaults without cfg. */
static void pay_config(const kz_config *c, payout_config *out)
{
    payout_config_defaults(out);
    if (!c)
        return;
    snprintf(out->currency, sizeof out->currency, "%s", c->engine.currency);
    out->min_minor = c->payout_run_min_minor ? c->payout_run_min_minor : c->payout_min_minor;
    out->daily_cap_minor = c->payout_daily_cap_minor;
    out->tz_offset_minutes = c->engine.tz_offset_minutes;
}

/* Do action on p (allowed already); *result receives the payout afterwards. */
static kz_status act(kz_store *st, const payout_config *pc, const payout *p, const char *action,
                     const char *note, int64_t now, payout *result, kz_err *err)
{
    if (strcmp(action, "retry") == 0) {
        char key[40];
        snprintf(key, sizeof key, "retry:%lld", (long long)p->id);
        return payout_request(st, pc, p->worker_id, p->amount_minor, key, now, result, err);
    }
    bool confirmed = strcmp(action, "confirmed") == 0;
    kz_status s = payout_resolve(st, pc, p->id, confirmed, note, now, err);
    return s == KZ_OK ? payout_get(st, p->id, result, err) : s;
}

/* Find id in l; its index or l->n. */
static size_t find(const pay_list *l, int64_t id)
{
    size_t i = 0;
    while (i < l->n && l->p[i].id != id)
        i++;
    return i;
}

static kz_status check_action(const char *action, const char *note, kz_err *err)
{
    bool retry = action && strcmp(action, "retry") == 0;
    if (!retry && !(action && (strcmp(action, "confirmed") == 0 || strcmp(action, "failed") == 0)))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "action must be 'confirmed', 'failed' or 'retry'");
    if (!retry && (!note || !*note))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "an operator's decision needs a note (what the check showed)");
    return KZ_OK;
}

kz_status web_payout_act(kz_store *st, const kz_config *cfg, int64_t id, const char *action,
                         const char *note, bool full, int64_t now, json_t **out, kz_err *err)
{
    *out = NULL;
    kz_status s = check_action(action, note, err);
    pay_list l;
    if (s != KZ_OK || (s = pay_list_load(st, &l, err)) != KZ_OK)
        return s;
    size_t i = find(&l, id);
    const char *why = i < l.n ? attention(&l.p[i], l.latest[i], now) : NULL;
    payout result;
    if (i == l.n)
        s = kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no payout %lld", (long long)id);
    else if (!action_allowed(&l.p[i], why, action))
        s = kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                       "payout %lld is %s%s%s: '%s' is not allowed now", (long long)id,
                       l.p[i].state, why ? " and needs attention" : " and needs no attention",
                       why ? "" : " yet", action);
    else {
        payout_config pc;
        pay_config(cfg, &pc);
        s = act(st, &pc, &l.p[i], action, note, now, &result, err);
    }
    pay_list_free(&l);
    if (s != KZ_OK)
        return s;
    /* The payout after the action: it may need attention still (a retry is new: none). */
    json_t *j = payout_json(&result, NULL, full);
    if (!j)
        return web_oom(err);
    *out = j;
    return KZ_OK;
}
