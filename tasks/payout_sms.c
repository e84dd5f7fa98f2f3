/*
 * payout_sms.c - reconciling payouts with the provider's SMS (payout.h,
 * payout_on_sms): a confirmation confirms the one payout it fits (a late one
 * that had become unknown included), a duplicate changes nothing, a failure
 * fails only the payout whose session just ended, anything that fits no
 * payout is kept for the operator, balances update the float.
 * Owns: the matching rules. Never fails an unknown payout on a message
 * without a transaction id or number (it could belong to another payout);
 * never logs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payout_internal.h"
#include "payout_store.h"

#define TAIL_DIGITS 9 /* a national significant number: enough to tell workers apart */

const char *payout_sms_outcome_name(payout_sms_outcome o)
{
    static const char *const names[] = {"matched", "failed", "duplicate", "unmatched",
                                        "conflict", "balance", "ignored"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "ignored";
}

typedef struct sms_arg {
    pay_tx_hdr h;
    const payout_config *cfg;
    const money_sms_result *r;
    const char *sender, *body;
    int64_t current, now;
    payout_sms_outcome outcome;
    int64_t payout_id;
    store_pay_sms rec;
    char key[200], tail[TAIL_DIGITS + 1];
} sms_arg;

/* The last TAIL_DIGITS digits of the SMS's counterparty number, "" if none. */
static void phone_tail(const money_sms_result *r, char *tail)
{
    const char *ph = money_sms_get(r, "counterparty_phone");
    char digits[32];
    size_t n = 0;
    for (size_t i = 0; ph && ph[i] && n < sizeof digits - 1; i++)
        if (ph[i] >= '0' && ph[i] <= '9')
            digits[n++] = ph[i];
    digits[n] = '\0';
    snprintf(tail, TAIL_DIGITS + 1, "%s", n >= TAIL_DIGITS ? digits + n - TAIL_DIGITS : "");
}

static int64_t opt_minor(const money_sms_result *r, const char *name)
{
    int64_t v = -1;
    return money_sms_minor(r, name, &v) == KZ_OK ? v : -1;
}

static kz_status record(kz_store *st, sms_arg *a, payout_sms_outcome o, int64_t payout_id,
                        kz_err *err)
{
    static const char *const names[] = {"matched", "failed", NULL, "unmatched", "conflict",
                                        "balance", NULL};
    a->outcome = o;
    a->payout_id = payout_id;
    if (!names[o])
        return KZ_OK;
    a->rec.outcome = names[o];
    a->rec.payout_id = payout_id;
    return store_pay_sms_insert(st, &a->rec, err);
}

/* A failure message: only the payout whose session just ended can own it. */
static kz_status on_failure(kz_store *st, sms_arg *a, kz_err *err)
{
    payout p;
    static const char *const open[] = {"sending", "sent", NULL};
    if (a->current == 0 || store_pay_get(st, a->current, &p, NULL) != KZ_OK ||
        pay_require(&p, open, NULL) != KZ_OK ||
        (a->rec.amount_minor >= 0 && a->rec.amount_minor != p.amount_minor))
        return record(st, a, PAYOUT_SMS_UNMATCHED, 0, err);
    char why[200];
    snprintf(why, sizeof why, "provider: %s: %.150s", money_sms_failure_name(a->r->failure),
             a->body);
    kz_status rc = pay_fail_in_tx(st, &p, why, "sms", a->now, err);
    return rc == KZ_OK ? record(st, a, PAYOUT_SMS_FAILED, p.id, err) : rc;
}

/* Which open payout a confirmation fits: by number, else only the current one. */
static kz_status pick(kz_store *st, sms_arg *a, int64_t *id, int64_t *closed, kz_err *err)
{
    int64_t ids[4];
    size_t n = 0;
    *id = *closed = 0;
    if (a->rec.amount_minor < 0)
        return KZ_OK;
    const char *tail = a->tail[0] ? a->tail : NULL;
    kz_status rc = store_pay_candidates(st, a->rec.amount_minor, a->rec.currency, tail, 1, ids,
                                        4, &n, err);
    if (rc != KZ_OK)
        return rc;
    for (size_t i = 0; i < n && i < 4; i++) {
        payout p;
        rc = store_pay_get(st, ids[i], &p, err);
        if (rc != KZ_OK)
            return rc;
        int open = strcmp(p.state, "failed") != 0 && strcmp(p.state, "confirmed") != 0;
        if (!open) {
            if (!*closed && tail)
                *closed = p.id;
            continue;
        }
        if (!tail && p.id != a->current)
            continue; /* no number to go by: only the payout in progress */
        if (*id && p.id != a->current)
            continue; /* two fit: prefer the one in progress, else the oldest */
        *id = p.id;
    }
    return KZ_OK;
}

static kz_status on_sent(kz_store *st, sms_arg *a, kz_err *err)
{
    int64_t id = 0, closed = 0;
    kz_status rc = pick(st, a, &id, &closed, err);
    if (rc != KZ_OK)
        return rc;
    if (!id)
        return record(st, a, closed ? PAYOUT_SMS_CONFLICT : PAYOUT_SMS_UNMATCHED, closed, err);
    payout p;
    rc = store_pay_get(st, id, &p, err);
    char note[120];
    snprintf(note, sizeof note, "confirmed by %s SMS", a->r->provider);
    if (rc == KZ_OK)
        rc = pay_confirm_in_tx(st, a->cfg, &p, a->rec.transaction_id, opt_minor(a->r, "fee"),
                               "sms", note, a->now, err);
    return rc == KZ_OK ? record(st, a, PAYOUT_SMS_MATCHED, id, err) : rc;
}

static int is_outgoing(const char *type)
{
    return strcmp(type, "sent") == 0 || strcmp(type, "airtime") == 0;
}

static kz_status sms_tx(kz_store *st, void *argp, kz_err *err)
{
    sms_arg *a = argp;
    const money_sms_result *r = a->r;
    int found = 0;
    kz_status rc = store_pay_sms_seen(st, r->provider, a->key, &found, err);
    if (rc != KZ_OK || found) {
        a->outcome = PAYOUT_SMS_DUPLICATE;
        return rc;
    }
    if (a->rec.balance_minor >= 0 && a->rec.currency)
        rc = store_pay_float_put(st, r->provider, a->rec.currency, a->rec.balance_minor, "sms",
                                 a->now, err);
    if (rc != KZ_OK)
        return rc;
    if (r->failure != MONEY_SMS_FAIL_NONE)
        return on_failure(st, a, err);
    if (strcmp(r->type, "balance") == 0)
        return record(st, a, PAYOUT_SMS_BALANCE, 0, err);
    if (is_outgoing(r->type))
        return on_sent(st, a, err);
    a->outcome = PAYOUT_SMS_IGNORED;
    return KZ_OK;
}

kz_status payout_on_sms(kz_store *st, const payout_config *cfg, const money_sms_result *r,
                        const char *sender, const char *body, int64_t current_id, int64_t now,
                        payout_sms_outcome *outcome, int64_t *payout_id, kz_err *err)
{
    sms_arg a = {.cfg = cfg, .r = r, .sender = sender, .body = body ? body : "",
                 .current = current_id, .now = now, .outcome = PAYOUT_SMS_IGNORED};
    const char *tx = money_sms_get(r, "transaction_id");
    if (tx)
        snprintf(a.key, sizeof a.key, "tx:%s", tx);
    else if (r->failure != MONEY_SMS_FAIL_NONE) /* the same words fail many payouts */
        snprintf(a.key, sizeof a.key, "fail:%" PRId64 ":%" PRId64 ":%.120s", current_id, now,
                 a.body);
    else
        snprintf(a.key, sizeof a.key, "text:%.180s", a.body);
    phone_tail(r, a.tail);
    a.rec = (store_pay_sms){
        .provider = r->provider, .sender = sender, .dedupe_key = a.key, .type = r->type,
        .failure = money_sms_failure_name(r->failure), .transaction_id = tx,
        .amount_minor = opt_minor(r, "amount"), .currency = money_sms_get(r, "currency"),
        .phone = money_sms_get(r, "counterparty_phone"),
        .balance_minor = opt_minor(r, "balance"), .body = a.body, .at = now};
    kz_status rc = pay_in_tx(st, sms_tx, &a, err);
    if (outcome)
        *outcome = a.outcome;
    if (payout_id)
        *payout_id = rc == KZ_OK ? a.payout_id : 0;
    return rc;
}
