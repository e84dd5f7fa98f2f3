/*
 * payout.h - mobile-money payouts as a persisted state machine, their ledger
 * entries, reconciliation with the provider's SMS, and the ledger check.
 *
 *   requested -> sending -> sent -> confirmed | failed | unknown
 *   (sending and sent together are "submitted"; unknown -> confirmed|failed
 *   only on evidence: a matching confirmation SMS or an operator decision)
 *
 * Every transition is committed before the side effect it permits (the
 * caller starts the USSD session only after payout_submit returned KZ_OK).
 * At most one payout per worker is in flight (requested, sending, sent or
 * unknown) - a partial unique index enforces it. The worker's balance is
 * debited ('payout' entry) at submit, so it cannot be spent twice; a failure
 * adds a 'payout_reversal'; the transfer fee the gateway pays is a
 * 'payout_fee' entry on the payer requester at confirmation. An unknown
 * outcome keeps the debit until reconciled and is never resent.
 * Owns: those rules (docs/payouts.md). Never logs, never talks to a modem,
 * never reads configuration files; all times are Unix seconds passed in.
 */
#ifndef KAZI_PAYOUT_H
#define KAZI_PAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money_sms.h"
#include "status.h"
#include "store.h"

#define PAYOUT_BANDS_MAX 8

/* One band of a tariff: amounts up to upto_minor cost fee_minor. */
typedef struct payout_band {
    int64_t upto_minor;
    int64_t fee_minor;
} payout_band;

typedef struct payout_config {
    char currency[4];            /* "KES" */
    int64_t min_minor;           /* smallest payout (KSh 50: the smallest agent withdrawal) */
    int64_t max_minor;           /* largest single payout (KSh 1,500: top cash-out band) */
    int64_t daily_cap_minor;     /* submitted per local day, gateway-wide; 0: no cap */
    int64_t threshold_minor;     /* automatic payout when a balance reaches it (KSh 100) */
    int tz_offset_minutes;       /* the deployment's local time, for the day of the cap */
    char payer[65];              /* requester charged the transfer fees ("gateway") */
    payout_band transfer[PAYOUT_BANDS_MAX]; /* what the gateway pays per transfer */
    size_t ntransfer;
    payout_band cashout[PAYOUT_BANDS_MAX];  /* what the worker pays an agent: shown only */
    size_t ncashout;
} payout_config;

/* Defaults for Kenya (../shared/economics.md). */
void payout_config_defaults(payout_config *cfg);

/* The fee for amount in bands (sorted by upto), or -1 above the last band. */
int64_t payout_band_fee(const payout_band *bands, size_t n, int64_t amount_minor);

typedef enum payout_method { PAYOUT_USSD = 0, PAYOUT_FILE, PAYOUT_AIRTIME } payout_method;

/* "ussd", "file", "airtime". */
const char *payout_method_name(payout_method m);
/* 0 and *m set, or -1 for an unknown name. */
int payout_method_parse(const char *s, payout_method *m);

/* One payout as stored. state is one of requested, sending, sent, confirmed, failed, unknown. */
typedef struct payout {
    int64_t id, worker_id;
    int64_t amount_minor;
    int64_t fee_minor;           /* the transfer fee the gateway paid (confirmed), else 0 */
    char currency[4];
    char phone[20];              /* E.164, copied from the worker at request */
    char state[12];
    char method[12];             /* "" until submitted */
    char key[80];                /* idempotency key */
    char provider_ref[40];       /* the provider's transaction id, "" until known */
    char error[200];             /* why it failed / is unknown / how it was resolved */
    int committed;               /* the PIN was sent: an end without an answer is unknown */
    int64_t created_at, updated_at;
} payout;

/*
 * Create ("schema v4-pending") what payouts need beyond migration 1 if it is
 * missing: the one-in-flight and once-per-payout indexes, payout_events,
 * payout_sms, payout_float and retainer_days (SQL in tasks/store_payout.c,
 * waiting to become a numbered migration). Idempotent; every other payout_
 * and retainer_ function calls it.
 */
kz_status payout_schema_ensure(kz_store *st, kz_err *err);

/* What a worker is told before asking to be paid (DESIGN promise 7). */
typedef struct payout_quote {
    int64_t available_minor;     /* the balance that can be paid out */
    int64_t amount_minor;        /* what would be sent (asked, or the whole balance) */
    int64_t cashout_fee_minor;   /* the agent's fee to withdraw it as cash; -1 unknown */
    int64_t transfer_fee_minor;  /* what the gateway pays (never the worker) */
    char currency[4];
} payout_quote;

/*
 * Quote a payout of amount_minor (0: the whole available balance) for
 * worker_id. KZ_ERR_RANGE if below min_minor or above max_minor,
 * KZ_ERR_STATE if more than the available balance; q is filled either way.
 */
kz_status payout_quote_get(kz_store *st, const payout_config *cfg, int64_t worker_id,
                           int64_t amount_minor, payout_quote *q, kz_err *err);

/*
 * Request a payout of amount_minor (0: the whole balance) to the worker's
 * own number. key is the idempotency key (e.g. "sms:<message id>" for a
 * PAY text); NULL makes one from the worker and their last ledger entry, so
 * repeating the same request finds the same payout. Repeating a key returns
 * the payout it made (*out, KZ_OK) and changes nothing. KZ_ERR_BUSY if the
 * worker has another payout in flight (*out is that one), KZ_ERR_RANGE /
 * KZ_ERR_STATE as payout_quote_get, KZ_ERR_NOTFOUND if no such worker.
 */
kz_status payout_request(kz_store *st, const payout_config *cfg, int64_t worker_id,
                         int64_t amount_minor, const char *key, int64_t now, payout *out,
                         kz_err *err);

/* Fill *out for payout_id. KZ_ERR_NOTFOUND if none. */
kz_status payout_get(kz_store *st, int64_t payout_id, payout *out, kz_err *err);

/* The oldest requested payout, *found false if none. */
kz_status payout_next_requested(kz_store *st, payout *out, bool *found, kz_err *err);

/*
 * requested -> sending: checks the daily cap (KZ_ERR_RANGE, nothing changes)
 * and the balance (KZ_ERR_STATE: the payout fails, nothing was sent), then
 * debits the worker and records the method, in one transaction. Only after
 * KZ_OK may the caller start the transfer.
 */
kz_status payout_submit(kz_store *st, const payout_config *cfg, int64_t payout_id,
                        payout_method method, int64_t now, kz_err *err);

/* Record that the PIN is about to be sent (the point of no return). sending only. */
kz_status payout_commit_point(kz_store *st, int64_t payout_id, int64_t now, kz_err *err);

/* sending -> sent: the provider accepted the request; its answer comes by SMS. */
kz_status payout_mark_sent(kz_store *st, int64_t payout_id, int64_t now, kz_err *err);

/*
 * sending|sent -> unknown, with the reason (never a PIN). The debit stays.
 * KZ_ERR_STATE from any other state.
 */
kz_status payout_mark_unknown(kz_store *st, int64_t payout_id, const char *reason, int64_t now,
                              kz_err *err);

/*
 * requested|sending|sent|unknown -> failed with reason; a debited payout is
 * reversed. actor is who decided ("runner", "sms", "operator", "import").
 * Failing an unknown payout is an operator's decision (payout_resolve) or
 * follows a provider message; KZ_ERR_STATE from confirmed or failed.
 */
kz_status payout_fail(kz_store *st, int64_t payout_id, const char *reason, const char *actor,
                      int64_t now, kz_err *err);

/*
 * sending|sent|unknown -> confirmed with the provider's transaction id (may
 * be NULL) and the transfer fee (-1: from the tariff), charged to the payer.
 * KZ_ERR_BUSY if provider_ref already belongs to another payout.
 */
kz_status payout_confirm(kz_store *st, const payout_config *cfg, int64_t payout_id,
                         const char *provider_ref, int64_t fee_minor, const char *actor,
                         const char *note, int64_t now, kz_err *err);

/*
 * The operator decides an unknown (or stuck submitted) payout: confirmed or
 * failed, with a reason (required). KZ_ERR_INVALID without a reason.
 */
kz_status payout_resolve(kz_store *st, const payout_config *cfg, int64_t payout_id,
                         bool confirmed, const char *reason, int64_t now, kz_err *err);

/*
 * After a restart: every payout left sending or sent by a ussd/airtime
 * runner becomes unknown if its PIN had been sent, else failed (nothing can
 * have moved). Never resends. *n (may be NULL) receives how many changed.
 */
kz_status payout_recover(kz_store *st, int64_t now, size_t *n, kz_err *err);

/* What a provider SMS did. */
typedef enum payout_sms_outcome {
    PAYOUT_SMS_MATCHED = 0, /* confirmed a payout (also a late one that was unknown) */
    PAYOUT_SMS_FAILED,      /* a failure for the payout in progress: failed and reversed */
    PAYOUT_SMS_DUPLICATE,   /* seen before: nothing changes */
    PAYOUT_SMS_UNMATCHED,   /* no payout fits: recorded for the operator */
    PAYOUT_SMS_CONFLICT,    /* fits a payout already failed/confirmed otherwise: for the operator */
    PAYOUT_SMS_BALANCE,     /* a balance message: the float was recorded */
    PAYOUT_SMS_IGNORED      /* money received, statements...: not about payouts */
} payout_sms_outcome;

const char *payout_sms_outcome_name(payout_sms_outcome o);

/*
 * Reconcile one recognised provider SMS (r from money_sms_parse; body is
 * the raw text, kept for the operator). current_id is the payout whose
 * session just ended on this modem (0: none); only it may be failed by a
 * failure message, which carries no transaction id. A confirmation is
 * matched on amount, currency and recipient number (last 9 digits) among
 * submitted and unknown payouts; without a number in the SMS only the
 * current payout can match. *payout_id (may be NULL) receives the payout
 * concerned, 0 if none. One transaction.
 */
kz_status payout_on_sms(kz_store *st, const payout_config *cfg, const money_sms_result *r,
                        const char *sender, const char *body, int64_t current_id, int64_t now,
                        payout_sms_outcome *outcome, int64_t *payout_id, kz_err *err);

/* The last float (the gateway's own mobile-money balance) seen. *found false if none. */
kz_status payout_float_get(kz_store *st, const char *currency, int64_t *balance_minor,
                           int64_t *at, bool *found, kz_err *err);

/* Record a float reading (from a USSD balance screen or an SMS). */
kz_status payout_float_put(kz_store *st, const char *provider, const char *currency,
                           int64_t balance_minor, const char *source, int64_t now, kz_err *err);

/* Sum of payouts submitted in the local day containing now (failed ones excluded). */
kz_status payout_day_total(kz_store *st, const payout_config *cfg, int64_t now, int64_t *total,
                           kz_err *err);

/* Call cb for each payout (state NULL: all; "submitted": sending and sent), by id. */
kz_status payout_each(kz_store *st, const char *state,
                      int (*cb)(void *ctx, const payout *p), void *ctx, kz_err *err);

/* One recorded provider SMS for the operator. Pointers valid during the callback. */
typedef struct payout_sms_row {
    int64_t id, payout_id;
    const char *provider, *sender, *type, *failure, *transaction_id, *outcome, *body;
    int64_t amount_minor, received_at;
} payout_sms_row;

/* Call cb for each recorded SMS needing the operator (unmatched, conflict) or all. */
kz_status payout_sms_each(kz_store *st, bool all, int (*cb)(void *ctx, const payout_sms_row *r),
                          void *ctx, kz_err *err);

/*
 * Verify the ledger invariant (docs/payouts.md, "kazi check"): balances
 * never negative and equal to the sum of entries (engine_balance_get agrees);
 * paid equals confirmed payouts plus those debited and unresolved; no payout
 * debited, reversed or charged a fee twice; entries agree with their payout
 * (worker, currency, amount, state); holds match rejections and appeals;
 * retainer accruals once per day. cb is called once per problem with one
 * sentence; *problems receives the count. KZ_OK when the check ran (even
 * with problems), KZ_ERR_DB when it could not.
 */
kz_status payout_check(kz_store *st, void (*cb)(void *ctx, const char *problem), void *ctx,
                       size_t *problems, kz_err *err);

#endif
