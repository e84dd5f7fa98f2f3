/*
 * payout.c - the payout state machine and its ledger entries (payout.h,
 * docs/payouts.md): request, submit (debit), commit point, sent, confirmed,
 * failed (reversal), unknown, the operator's resolution and recovery after
 * a restart.
 * Owns: which transitions exist and which entries each writes. Never sends
 * anything, never logs, never resends a payout, never changes an entry.
 */
#include "payout.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "payout_internal.h"
#include "payout_store.h"
#include "store_engine.h"

void payout_config_defaults(payout_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->currency, sizeof cfg->currency, "KES");
    cfg->min_minor = 5000;            /* KSh 50: the smallest agent withdrawal */
    cfg->max_minor = 150000;          /* KSh 1,500: the top of the cash-out band we know */
    cfg->daily_cap_minor = 10000000;  /* KSh 100,000 a day unless configured */
    cfg->threshold_minor = 10000;     /* KSh 100 */
    cfg->tz_offset_minutes = 180;
    snprintf(cfg->payer, sizeof cfg->payer, "gateway");
    /* M-PESA person to person: 1-100 free, 101-500 KSh 7 (economics.md). */
    cfg->transfer[0] = (payout_band){10000, 0};
    cfg->transfer[1] = (payout_band){50000, 700};
    cfg->ntransfer = 2;
    /* Agent withdrawal: KSh 11 for 50-100, KSh 29 for 101-1,500. */
    cfg->cashout[0] = (payout_band){10000, 1100};
    cfg->cashout[1] = (payout_band){150000, 2900};
    cfg->ncashout = 2;
}

int64_t payout_band_fee(const payout_band *bands, size_t n, int64_t amount_minor)
{
    for (size_t i = 0; i < n; i++)
        if (amount_minor <= bands[i].upto_minor)
            return bands[i].fee_minor;
    return -1;
}

const char *payout_method_name(payout_method m)
{
    static const char *const names[] = {"ussd", "file", "airtime"};
    return (unsigned)m < 3 ? names[m] : "ussd";
}

int payout_method_parse(const char *s, payout_method *m)
{
    for (int i = 0; i < 3; i++) {
        if (s && strcmp(s, payout_method_name((payout_method)i)) == 0) {
            *m = (payout_method)i;
            return 0;
        }
    }
    return -1;
}

kz_status payout_schema_ensure(kz_store *st, kz_err *err)
{
    return store_pay_schema(st, err);
}

kz_status pay_in_tx(kz_store *st, pay_tx_fn fn, void *arg, kz_err *err)
{
    kz_status rc = store_pay_schema(st, err);
    if (rc != KZ_OK)
        return rc;
    if (store_eng_in_tx(st)) /* the caller's transaction brackets us */
        return fn(st, arg, err);
    rc = store_begin(st, err);
    if (rc != KZ_OK)
        return rc;
    rc = fn(st, arg, err);
    if (rc != KZ_OK && !((pay_tx_hdr *)arg)->keep) {
        store_rollback(st);
        return rc;
    }
    kz_status c = store_commit(st, rc == KZ_OK ? err : NULL);
    return rc != KZ_OK ? rc : c;
}

/* ---- quote and request ---- */

static kz_status quote_fill(kz_store *st, const payout_config *cfg, int64_t worker_id,
                            int64_t amount, payout_quote *q, int64_t *last, kz_err *err)
{
    memset(q, 0, sizeof *q);
    snprintf(q->currency, sizeof q->currency, "%s", cfg->currency);
    kz_status rc = store_pay_worker_sum(st, worker_id, cfg->currency, &q->available_minor, last,
                                        err);
    if (rc != KZ_OK)
        return rc;
    q->amount_minor = amount > 0 ? amount : q->available_minor;
    q->cashout_fee_minor = payout_band_fee(cfg->cashout, cfg->ncashout, q->amount_minor);
    q->transfer_fee_minor = payout_band_fee(cfg->transfer, cfg->ntransfer, q->amount_minor);
    char a[40], lim[40];
    money_format(a, sizeof a, q->amount_minor, cfg->currency, 0);
    if (q->amount_minor < cfg->min_minor) {
        money_format(lim, sizeof lim, cfg->min_minor, cfg->currency, 0);
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s is below the minimum payout %s",
                          a, lim);
    }
    if (cfg->max_minor > 0 && q->amount_minor > cfg->max_minor) {
        money_format(lim, sizeof lim, cfg->max_minor, cfg->currency, 0);
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s is above the largest payout %s",
                          a, lim);
    }
    if (q->amount_minor > q->available_minor) {
        money_format(lim, sizeof lim, q->available_minor, cfg->currency, 0);
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "%s is more than the balance %s", a,
                          lim);
    }
    return KZ_OK;
}

kz_status payout_quote_get(kz_store *st, const payout_config *cfg, int64_t worker_id,
                           int64_t amount_minor, payout_quote *q, kz_err *err)
{
    int64_t last = 0;
    return quote_fill(st, cfg, worker_id, amount_minor, q, &last, err);
}

typedef struct request_arg {
    pay_tx_hdr h;
    const payout_config *cfg;
    int64_t worker_id, amount, now;
    const char *key;
    int64_t id;
} request_arg;

static kz_status request_tx(kz_store *st, void *argp, kz_err *err)
{
    request_arg *a = argp;
    payout p;
    memset(&p, 0, sizeof p);
    kz_status rc = store_pay_worker_phone(st, a->worker_id, p.phone, sizeof p.phone, err);
    payout_quote q;
    int64_t last = 0, id = 0;
    kz_status qrc = rc == KZ_OK ? quote_fill(st, a->cfg, a->worker_id, a->amount, &q, &last, err)
                                : rc;
    if (rc != KZ_OK)
        return rc;
    if (a->key)
        snprintf(p.key, sizeof p.key, "%s", a->key);
    else
        snprintf(p.key, sizeof p.key, "w%" PRId64 "-e%" PRId64, a->worker_id, last);
    rc = store_pay_by_key(st, p.key, &id, err);
    if (rc != KZ_OK || id) {
        payout old;
        if (rc == KZ_OK && store_pay_get(st, id, &old, err) == KZ_OK &&
            old.worker_id != a->worker_id)
            return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                              "idempotency key %s belongs to another worker's payout", p.key);
        a->id = id;
        return rc; /* the same request again: the same payout */
    }
    rc = store_pay_in_flight(st, a->worker_id, &id, err);
    if (rc != KZ_OK)
        return rc;
    if (id) {
        a->id = id;
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                          "worker %" PRId64 " already has payout %" PRId64 " in flight",
                          a->worker_id, id);
    }
    if (qrc != KZ_OK)
        return qrc;
    p.worker_id = a->worker_id;
    p.amount_minor = q.amount_minor;
    snprintf(p.currency, sizeof p.currency, "%s", a->cfg->currency);
    rc = store_pay_insert(st, &p, a->now, &a->id, err);
    if (rc == KZ_OK)
        rc = store_pay_event(st, a->id, "requested", NULL, "request", NULL, a->now, err);
    return rc;
}

kz_status payout_request(kz_store *st, const payout_config *cfg, int64_t worker_id,
                         int64_t amount_minor, const char *key, int64_t now, payout *out,
                         kz_err *err)
{
    request_arg a = {.cfg = cfg, .worker_id = worker_id, .amount = amount_minor, .now = now,
                     .key = key};
    memset(out, 0, sizeof *out);
    kz_status rc = pay_in_tx(st, request_tx, &a, err);
    if (a.id && (rc == KZ_OK || rc == KZ_ERR_BUSY)) {
        kz_status g = store_pay_get(st, a.id, out, NULL);
        if (g != KZ_OK && rc == KZ_OK)
            rc = store_pay_get(st, a.id, out, err);
    }
    return rc;
}

kz_status payout_get(kz_store *st, int64_t payout_id, payout *out, kz_err *err)
{
    kz_status rc = store_pay_schema(st, err);
    return rc == KZ_OK ? store_pay_get(st, payout_id, out, err) : rc;
}

kz_status payout_next_requested(kz_store *st, payout *out, bool *found, kz_err *err)
{
    int64_t id = 0;
    *found = false;
    kz_status rc = store_pay_schema(st, err);
    if (rc == KZ_OK)
        rc = store_pay_oldest(st, "requested", &id, err);
    if (rc != KZ_OK || !id)
        return rc;
    *found = true;
    return store_pay_get(st, id, out, err);
}

/* ---- transitions ---- */

typedef struct move_arg {
    pay_tx_hdr h;
    const payout_config *cfg;
    int64_t id, now, fee;
    payout_method method;
    const char *reason, *actor, *ref, *note;
} move_arg;

kz_status pay_require(const payout *p, const char *const *states, kz_err *err)
{
    for (size_t i = 0; states[i]; i++)
        if (strcmp(p->state, states[i]) == 0)
            return KZ_OK;
    return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "payout %" PRId64 " is %s", p->id,
                      p->state);
}

kz_status pay_move(kz_store *st, const payout *p, const char *to, const char *error,
                   const char *ref, int64_t fee, int64_t now, kz_err *err)
{
    int changed = 0;
    kz_status rc = store_pay_move(st, p->id, p->state, to, error, ref, fee, now, &changed, err);
    if (rc == KZ_OK && !changed)
        rc = kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "payout %" PRId64 " changed meanwhile",
                        p->id);
    return rc;
}

static kz_status submit_tx(kz_store *st, void *argp, kz_err *err)
{
    move_arg *a = argp;
    payout p;
    static const char *const from[] = {"requested", NULL};
    kz_status rc = store_pay_get(st, a->id, &p, err);
    if (rc == KZ_OK)
        rc = pay_require(&p, from, err);
    int64_t day = 0, sum = 0;
    if (rc == KZ_OK)
        rc = payout_day_total(st, a->cfg, a->now, &day, err);
    if (rc != KZ_OK)
        return rc;
    if (a->cfg->daily_cap_minor > 0 && day + p.amount_minor > a->cfg->daily_cap_minor)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET,
                          "the daily payout cap would be passed (%" PRId64 " + %" PRId64
                          " > %" PRId64 ")",
                          day, p.amount_minor, a->cfg->daily_cap_minor);
    rc = store_pay_worker_sum(st, p.worker_id, p.currency, &sum, NULL, err);
    if (rc != KZ_OK)
        return rc;
    const char *method = payout_method_name(a->method);
    if (sum < p.amount_minor) {
        a->h.keep = 1; /* record the failure: nothing was sent */
        rc = pay_move(st, &p, "failed", "the balance fell below the amount before it was sent",
                      NULL, -1, a->now, err);
        if (rc == KZ_OK)
            rc = store_pay_event(st, p.id, "failed", method, "runner", "balance too low",
                                 a->now, err);
        return rc == KZ_OK ? kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                                        "payout %" PRId64 ": balance too low", p.id)
                           : rc;
    }
    rc = pay_move(st, &p, "sending", NULL, NULL, -1, a->now, err);
    if (rc == KZ_OK)
        rc = store_pay_event(st, p.id, "sending", method, "runner", NULL, a->now, err);
    store_pay_entry e = {.worker_id = p.worker_id, .kind = "payout",
                         .amount_minor = -p.amount_minor, .currency = p.currency,
                         .payout_id = p.id, .memo = method, .at = a->now};
    if (rc == KZ_OK)
        rc = store_pay_ledger(st, &e, NULL, err);
    return rc;
}

kz_status payout_submit(kz_store *st, const payout_config *cfg, int64_t payout_id,
                        payout_method method, int64_t now, kz_err *err)
{
    move_arg a = {.cfg = cfg, .id = payout_id, .now = now, .method = method};
    return pay_in_tx(st, submit_tx, &a, err);
}

static kz_status commit_tx(kz_store *st, void *argp, kz_err *err)
{
    move_arg *a = argp;
    payout p;
    static const char *const from[] = {"sending", NULL};
    kz_status rc = store_pay_get(st, a->id, &p, err);
    if (rc == KZ_OK)
        rc = pay_require(&p, from, err);
    if (rc == KZ_OK && !p.committed)
        rc = store_pay_event(st, p.id, "commit", NULL, "runner", "sending the PIN", a->now, err);
    return rc;
}

kz_status payout_commit_point(kz_store *st, int64_t payout_id, int64_t now, kz_err *err)
{
    move_arg a = {.id = payout_id, .now = now};
    return pay_in_tx(st, commit_tx, &a, err);
}

static kz_status sent_tx(kz_store *st, void *argp, kz_err *err)
{
    move_arg *a = argp;
    payout p;
    static const char *const from[] = {"sending", NULL};
    kz_status rc = store_pay_get(st, a->id, &p, err);
    if (rc == KZ_OK)
        rc = pay_require(&p, from, err);
    if (rc == KZ_OK)
        rc = pay_move(st, &p, "sent", NULL, NULL, -1, a->now, err);
    if (rc == KZ_OK)
        rc = store_pay_event(st, p.id, "sent", NULL, "runner", NULL, a->now, err);
    return rc;
}

kz_status payout_mark_sent(kz_store *st, int64_t payout_id, int64_t now, kz_err *err)
{
    move_arg a = {.id = payout_id, .now = now};
    return pay_in_tx(st, sent_tx, &a, err);
}

static kz_status unknown_tx(kz_store *st, void *argp, kz_err *err)
{
    move_arg *a = argp;
    payout p;
    static const char *const from[] = {"sending", "sent", NULL};
    kz_status rc = store_pay_get(st, a->id, &p, err);
    if (rc == KZ_OK)
        rc = pay_require(&p, from, err);
    if (rc == KZ_OK)
        rc = pay_move(st, &p, "unknown", a->reason, NULL, -1, a->now, err);
    if (rc == KZ_OK)
        rc = store_pay_event(st, p.id, "unknown", NULL, a->actor, a->reason, a->now, err);
    return rc;
}

kz_status payout_mark_unknown(kz_store *st, int64_t payout_id, const char *reason, int64_t now,
                              kz_err *err)
{
    move_arg a = {.id = payout_id, .now = now, .reason = reason, .actor = "runner"};
    return pay_in_tx(st, unknown_tx, &a, err);
}

kz_status pay_fail_in_tx(kz_store *st, const payout *p, const char *reason, const char *actor,
                         int64_t now, kz_err *err)
{
    static const char *const from[] = {"requested", "sending", "sent", "unknown", NULL};
    kz_status rc = pay_require(p, from, err);
    if (rc == KZ_OK)
        rc = pay_move(st, p, "failed", reason, NULL, -1, now, err);
    if (rc == KZ_OK)
        rc = store_pay_event(st, p->id, "failed", NULL, actor, reason, now, err);
    if (rc != KZ_OK || strcmp(p->state, "requested") == 0)
        return rc; /* never debited: nothing to reverse */
    store_pay_entry e = {.worker_id = p->worker_id, .kind = "payout_reversal",
                         .amount_minor = p->amount_minor, .currency = p->currency,
                         .payout_id = p->id, .memo = reason, .at = now};
    return store_pay_ledger(st, &e, NULL, err);
}

static kz_status fail_tx(kz_store *st, void *argp, kz_err *err)
{
    move_arg *a = argp;
    payout p;
    kz_status rc = store_pay_get(st, a->id, &p, err);
    return rc == KZ_OK ? pay_fail_in_tx(st, &p, a->reason, a->actor, a->now, err) : rc;
}

kz_status payout_fail(kz_store *st, int64_t payout_id, const char *reason, const char *actor,
                      int64_t now, kz_err *err)
{
    move_arg a = {.id = payout_id, .now = now, .reason = reason, .actor = actor};
    return pay_in_tx(st, fail_tx, &a, err);
}

kz_status pay_confirm_in_tx(kz_store *st, const payout_config *cfg, const payout *p,
                            const char *ref, int64_t fee, const char *actor, const char *note,
                            int64_t now, kz_err *err)
{
    static const char *const from[] = {"sending", "sent", "unknown", NULL};
    kz_status rc = pay_require(p, from, err);
    if (fee < 0)
        fee = payout_band_fee(cfg->transfer, cfg->ntransfer, p->amount_minor);
    if (rc == KZ_OK)
        rc = pay_move(st, p, "confirmed", note, ref, fee < 0 ? 0 : fee, now, err);
    if (rc == KZ_OK)
        rc = store_pay_event(st, p->id, "confirmed", NULL, actor, note, now, err);
    if (rc != KZ_OK || fee <= 0)
        return rc;
    int64_t payer = 0;
    rc = store_pay_requester(st, cfg->payer, &payer, err);
    store_pay_entry e = {.requester_id = payer, .kind = "payout_fee", .amount_minor = -fee,
                         .currency = p->currency, .payout_id = p->id,
                         .memo = "transfer fee paid by the gateway", .at = now};
    return rc == KZ_OK ? store_pay_ledger(st, &e, NULL, err) : rc;
}

static kz_status confirm_tx(kz_store *st, void *argp, kz_err *err)
{
    move_arg *a = argp;
    payout p;
    kz_status rc = store_pay_get(st, a->id, &p, err);
    return rc == KZ_OK
               ? pay_confirm_in_tx(st, a->cfg, &p, a->ref, a->fee, a->actor, a->note, a->now, err)
               : rc;
}

kz_status payout_confirm(kz_store *st, const payout_config *cfg, int64_t payout_id,
                         const char *provider_ref, int64_t fee_minor, const char *actor,
                         const char *note, int64_t now, kz_err *err)
{
    move_arg a = {.cfg = cfg, .id = payout_id, .now = now, .ref = provider_ref, .fee = fee_minor,
                  .actor = actor, .note = note};
    return pay_in_tx(st, confirm_tx, &a, err);
}

kz_status payout_resolve(kz_store *st, const payout_config *cfg, int64_t payout_id,
                         bool confirmed, const char *reason, int64_t now, kz_err *err)
{
    if (!reason || !*reason)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "an operator's decision needs a reason (--reason)");
    char note[200];
    snprintf(note, sizeof note, "operator: %s", reason);
    if (confirmed)
        return payout_confirm(st, cfg, payout_id, NULL, -1, "operator", note, now, err);
    return payout_fail(st, payout_id, note, "operator", now, err);
}

typedef struct recover_arg {
    pay_tx_hdr h;
    int64_t now;
    size_t n;
} recover_arg;

static kz_status recover_tx(kz_store *st, void *argp, kz_err *err)
{
    recover_arg *a = argp;
    int64_t ids[256];
    size_t n = 0;
    kz_status rc = store_pay_stranded(st, ids, 256, &n, err);
    for (size_t i = 0; rc == KZ_OK && i < n && i < 256; i++) {
        payout p;
        rc = store_pay_get(st, ids[i], &p, err);
        if (rc != KZ_OK)
            break;
        if (strcmp(p.state, "sending") == 0 && !p.committed) {
            rc = pay_fail_in_tx(st, &p, "the gateway stopped before the PIN was sent: nothing moved",
                                "recovery", a->now, err);
        } else {
            const char *why = "the gateway stopped while the payout was in flight: reconcile it";
            rc = pay_move(st, &p, "unknown", why, NULL, -1, a->now, err);
            if (rc == KZ_OK)
                rc = store_pay_event(st, p.id, "unknown", NULL, "recovery", why, a->now, err);
        }
        a->n++;
    }
    return rc;
}

kz_status payout_recover(kz_store *st, int64_t now, size_t *n, kz_err *err)
{
    recover_arg a = {.now = now};
    kz_status rc = pay_in_tx(st, recover_tx, &a, err);
    if (n)
        *n = rc == KZ_OK ? a.n : 0;
    return rc;
}

/* ---- reading ---- */

kz_status payout_day_total(kz_store *st, const payout_config *cfg, int64_t now, int64_t *total,
                           kz_err *err)
{
    int64_t off = (int64_t)cfg->tz_offset_minutes * 60;
    int64_t local = now + off;
    int64_t day_start = (local - ((local % 86400) + 86400) % 86400) - off;
    return store_pay_day_total(st, cfg->currency, day_start, total, err);
}

kz_status payout_float_get(kz_store *st, const char *currency, int64_t *balance_minor,
                           int64_t *at, bool *found, kz_err *err)
{
    int f = 0;
    kz_status rc = store_pay_schema(st, err);
    if (rc == KZ_OK)
        rc = store_pay_float_get(st, currency, balance_minor, at, &f, err);
    *found = f != 0;
    return rc;
}

kz_status payout_float_put(kz_store *st, const char *provider, const char *currency,
                           int64_t balance_minor, const char *source, int64_t now, kz_err *err)
{
    kz_status rc = store_pay_schema(st, err);
    return rc == KZ_OK ? store_pay_float_put(st, provider, currency, balance_minor, source, now,
                                             err)
                       : rc;
}

kz_status payout_each(kz_store *st, const char *state, int (*cb)(void *ctx, const payout *p),
                      void *ctx, kz_err *err)
{
    kz_status rc = store_pay_schema(st, err);
    if (rc != KZ_OK)
        return rc;
    if (state && strcmp(state, "submitted") == 0)
        return store_pay_each(st, "sending", "sent", cb, ctx, err);
    return store_pay_each(st, state, NULL, cb, ctx, err);
}

kz_status payout_sms_each(kz_store *st, bool all, int (*cb)(void *ctx, const payout_sms_row *r),
                          void *ctx, kz_err *err)
{
    kz_status rc = store_pay_schema(st, err);
    return rc == KZ_OK ? store_pay_sms_each(st, all, cb, ctx, err) : rc;
}
