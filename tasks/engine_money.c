/*
 * engine_money.c - money after an answer: rejection with a hold, appeals and
 * their decisions, automatic acceptance, balances, accuracy feedback, SMS
 * refunds for messages that are not answers, and the read-back helpers.
 * Owns: which ledger entries each of those writes (docs/engine.md, "Money"):
 * a rejection adds a 'hold' of minus the reward, an overturned appeal a
 * 'release' of plus the same, an upheld one nothing (the hold is the final
 * reversal). Never edits or deletes an entry; never pays out (issue 10).
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The body of engine_reject inside its transaction. */
static kz_status reject_tx(kz_store *st, int64_t answer_id, const char *reason, int64_t now,
                           kz_err *err)
{
    store_eng_answer_info a;
    kz_status rc = store_eng_answer_get(st, answer_id, &a, err);
    if (rc != KZ_OK)
        return rc;
    int changed = 0;
    rc = store_eng_answer_reject(st, answer_id, reason, now, &changed, err);
    if (rc != KZ_OK)
        return rc;
    if (!changed)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "answer %lld is %s: only a pending answer can be rejected",
                          (long long)answer_id, a.state);
    if (a.reward_minor > 0) {
        store_eng_entry e = {.worker_id = a.worker_id, .kind = "hold",
                             .amount_minor = -a.reward_minor, .currency = a.currency,
                             .answer_id = answer_id, .memo = reason, .at = now};
        rc = store_eng_ledger_add(st, &e, err);
    }
    if (rc != KZ_OK || a.late)
        return rc;
    /* A rejected answer no longer counts: an open task wants one more. */
    store_eng_task t;
    rc = store_eng_task_get(st, a.task_id, &t, err);
    if (rc == KZ_OK && strcmp(t.state, "open") == 0 && !t.has_gold)
        rc = store_eng_task_wanted(st, t.id, t.wanted + 1, err);
    return rc;
}

kz_status engine_reject(kz_store *st, int64_t answer_id, const char *reason, int64_t now,
                        kz_err *err)
{
    if (!reason || !*reason)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "a rejection needs a reason");
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    rc = reject_tx(st, answer_id, reason, now, err);
    return engine_tx_end(st, own, rc, err);
}

/* The body of engine_appeal_open inside its transaction. */
static kz_status appeal_open_tx(kz_store *st, int64_t worker_id, int ref, const char *reason,
                                int64_t now, int64_t *appeal_id, kz_err *err)
{
    int64_t answer_id = 0;
    kz_status rc = store_eng_rejected_by_ref(st, worker_id, ref, &answer_id, err);
    if (rc != KZ_OK)
        return rc;
    if (answer_id == 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "no rejected answer for task %d", ref);
    store_eng_answer_info a;
    int64_t n = 0;
    rc = store_eng_answer_get(st, answer_id, &a, err);
    if (rc == KZ_OK)
        rc = store_eng_appeal_count(st, answer_id, &n, err);
    if (rc != KZ_OK)
        return rc;
    if (n > 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "task %d was appealed already", ref);
    if (now > a.rejected_at + (int64_t)ENGINE_APPEAL_DAYS * 86400)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "the %d days to appeal task %d are over", ENGINE_APPEAL_DAYS, ref);
    return store_eng_appeal_insert(st, answer_id, worker_id, reason ? reason : "", now,
                                   appeal_id, err);
}

kz_status engine_appeal_open(kz_store *st, int64_t worker_id, int ref, const char *reason,
                             int64_t now, int64_t *appeal_id, kz_err *err)
{
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    rc = appeal_open_tx(st, worker_id, ref, reason, now, appeal_id, err);
    return engine_tx_end(st, own, rc, err);
}

/* Overturned: give back what is still held and accept the answer. */
static kz_status overturn(kz_store *st, int64_t answer_id, const char *reason, int64_t now,
                          kz_err *err)
{
    store_eng_answer_info a;
    kz_status rc = store_eng_answer_get(st, answer_id, &a, err);
    if (rc != KZ_OK)
        return rc;
    int64_t held = -(a.hold_minor + a.release_minor);
    if (held > 0) {
        store_eng_entry e = {.worker_id = a.worker_id, .kind = "release", .amount_minor = held,
                             .currency = a.currency, .answer_id = answer_id, .memo = reason,
                             .at = now};
        rc = store_eng_ledger_add(st, &e, err);
    }
    if (rc == KZ_OK)
        rc = store_eng_answer_unreject(st, answer_id, err);
    return rc;
}

static kz_status decide_tx(kz_store *st, int64_t appeal_id, bool overturned,
                           const char *reviewer, const char *reason, int64_t now, kz_err *err)
{
    store_eng_appeal ap;
    kz_status rc = store_eng_appeal_get(st, appeal_id, &ap, err);
    if (rc != KZ_OK)
        return rc;
    int changed = 0;
    rc = store_eng_appeal_decide(st, appeal_id, overturned ? "overturned" : "upheld", reviewer,
                                 reason, now, &changed, err);
    if (rc != KZ_OK)
        return rc;
    if (!changed)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "appeal %lld is %s, not open",
                          (long long)appeal_id, ap.state);
    return overturned ? overturn(st, ap.answer_id, reason, now, err) : KZ_OK;
}

kz_status engine_appeal_decide(kz_store *st, int64_t appeal_id, bool overturn_it,
                               const char *reviewer, const char *reason, int64_t now,
                               kz_err *err)
{
    if (!reason || !*reason)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "a decision needs a reason");
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    rc = decide_tx(st, appeal_id, overturn_it, reviewer && *reviewer ? reviewer : NULL, reason,
                   now, err);
    return engine_tx_end(st, own, rc, err);
}

kz_status engine_auto_accept(kz_store *st, const engine_config *cfg, int64_t now, size_t *n,
                             kz_err *err)
{
    size_t got = 0;
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    int64_t days = cfg->auto_accept_days > 0 ? cfg->auto_accept_days : 0;
    rc = store_eng_auto_accept(st, now - days * 86400, &got, err);
    rc = engine_tx_end(st, own, rc, err);
    if (n)
        *n = rc == KZ_OK ? got : 0;
    return rc;
}

kz_status engine_balance_at(kz_store *st, int64_t worker_id, const char *currency, int64_t now,
                            engine_balance *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->currency, sizeof out->currency, "%s", currency ? currency : "");
    store_eng_sums s;
    kz_status rc = store_eng_sums_get(st, worker_id, out->currency, &s, err);
    if (rc != KZ_OK)
        return rc;
    out->available_minor = s.all;
    out->paid_minor = -(s.payout + s.payout_reversal);
    out->earned_minor = s.reward + s.sms_refund + s.retainer;
    return store_eng_held(st, worker_id, out->currency,
                          now - (int64_t)ENGINE_APPEAL_DAYS * 86400, &out->held_minor, err);
}

kz_status engine_balance_get(kz_store *st, int64_t worker_id, const char *currency,
                             engine_balance *out, kz_err *err)
{
    return engine_balance_at(st, worker_id, currency, (int64_t)time(NULL), out, err);
}

kz_status engine_accuracy_get(kz_store *st, int64_t worker_id, engine_accuracy *out,
                              kz_err *err)
{
    int64_t v[5];
    kz_status rc = store_eng_accuracy(st, worker_id, v, err);
    *out = (engine_accuracy){v[0], v[1], v[2], v[3], v[4]};
    return rc;
}

kz_status engine_sms_refund(kz_store *st, const engine_config *cfg, int64_t worker_id,
                            int64_t message_id, int segments, int64_t now, int64_t *credited,
                            kz_err *err)
{
    if (credited)
        *credited = 0;
    if (message_id == 0 || segments < 1)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "an SMS refund needs a message and a segment count");
    if (cfg->sms_refund_minor <= 0)
        return KZ_OK;
    store_eng_entry e = {.worker_id = worker_id, .kind = "sms_refund",
                         .amount_minor = cfg->sms_refund_minor * segments,
                         .currency = cfg->currency, .message_id = message_id, .at = now};
    kz_status rc = store_eng_ledger_add(st, &e, err);
    if (rc == KZ_ERR_BUSY)
        return KZ_OK;
    if (rc == KZ_OK && credited)
        *credited = e.amount_minor;
    return rc;
}

kz_status engine_result_get(kz_store *st, int64_t task_id, engine_result *out, kz_err *err)
{
    store_eng_result_row r;
    kz_status rc = store_eng_result_get(st, task_id, &r, err);
    if (rc != KZ_OK)
        return rc;
    memset(out, 0, sizeof *out);
    memcpy(out->state, r.state, sizeof out->state);
    memcpy(out->consensus, r.consensus, sizeof out->consensus);
    out->votes = r.votes;
    out->answers = r.answers;
    out->agreement_percent = r.agreement;
    out->wanted = r.wanted;
    return KZ_OK;
}

typedef struct appeals_arg {
    int (*cb)(void *ctx, const engine_appeal_row *r);
    void *ctx;
} appeals_arg;

static int appeal_row(void *ctx, const store_eng_appeal_row *s)
{
    appeals_arg *a = ctx;
    engine_appeal_row r = {
        .id = s->id, .answer_id = s->answer_id, .worker_id = s->worker_id,
        .phone = s->phone, .batch = s->batch, .ext_id = s->ext_id, .answer = s->value,
        .reject_reason = s->reject_reason, .reason = s->reason, .state = s->state,
        .reviewer = s->reviewer, .decision = s->decision, .opened_at = s->opened_at,
        .decided_at = s->decided_at, .held_minor = s->held_minor, .currency = s->currency,
    };
    return a->cb(a->ctx, &r);
}

kz_status engine_appeals_each(kz_store *st, bool open_only,
                              int (*cb)(void *ctx, const engine_appeal_row *r), void *ctx,
                              kz_err *err)
{
    appeals_arg a = {cb, ctx};
    return store_eng_appeals_each(st, open_only, appeal_row, &a, err);
}
