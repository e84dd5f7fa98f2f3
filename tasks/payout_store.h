/*
 * payout_store.h - the SQL primitives behind payouts, retainers and the
 * ledger check (implemented in tasks/store_payout*.c, the only payout files
 * that hold the SQL). Each call is one statement or a short read.
 * Owns: nothing but the calls' contracts. Never decides (payout.c and
 * retainer.c do), never opens a transaction (the callers bracket every
 * read-then-write with store_begin/store_commit).
 */
#ifndef KAZI_PAYOUT_STORE_H
#define KAZI_PAYOUT_STORE_H

#include <stdint.h>

#include "payout.h"
#include "store.h"

/* Apply the DDL payouts need if missing (idempotent; own transaction unless one is open). */
kz_status store_pay_schema(kz_store *st, kz_err *err);

/* Insert a requested payout from p (worker, amount, currency, phone, key). *id: new row. */
kz_status store_pay_insert(kz_store *st, const payout *p, int64_t now, int64_t *id, kz_err *err);

/* Fill *out for id (method and committed from its events). KZ_ERR_NOTFOUND if none. */
kz_status store_pay_get(kz_store *st, int64_t id, payout *out, kz_err *err);

/* The payout with idempotency key, or the worker's in-flight one; *id 0 if none. */
kz_status store_pay_by_key(kz_store *st, const char *key, int64_t *id, kz_err *err);
kz_status store_pay_in_flight(kz_store *st, int64_t worker_id, int64_t *id, kz_err *err);

/* Oldest payout in state; *id 0 if none. */
kz_status store_pay_oldest(kz_store *st, const char *state, int64_t *id, kz_err *err);

/*
 * Move id from state `from` to `to`, setting error (NULL keeps it),
 * provider_ref and fee_minor (when ref non-NULL / fee >= 0). *changed 0 if
 * the payout was not in `from`. KZ_ERR_BUSY if provider_ref is taken.
 */
kz_status store_pay_move(kz_store *st, int64_t id, const char *from, const char *to,
                         const char *error, const char *ref, int64_t fee, int64_t now,
                         int *changed, kz_err *err);

/* Append to payout_events. method and note may be NULL. */
kz_status store_pay_event(kz_store *st, int64_t id, const char *state, const char *method,
                          const char *actor, const char *note, int64_t now, kz_err *err);

/* One ledger entry (worker_id or requester_id 0 = NULL). KZ_ERR_BUSY: once-only index. */
typedef struct store_pay_entry {
    int64_t worker_id, requester_id;
    const char *kind;
    int64_t amount_minor;
    const char *currency;
    int64_t payout_id;
    const char *memo;
    int64_t at;
} store_pay_entry;

kz_status store_pay_ledger(kz_store *st, const store_pay_entry *e, int64_t *entry_id,
                           kz_err *err);

/* Sum of worker_id's entries in currency, and the id of their newest entry (0 if none). */
kz_status store_pay_worker_sum(kz_store *st, int64_t worker_id, const char *currency,
                               int64_t *sum, int64_t *last_entry, kz_err *err);

/* The worker's phone (E.164). KZ_ERR_NOTFOUND if no such worker. */
kz_status store_pay_worker_phone(kz_store *st, int64_t worker_id, char *phone, size_t cap,
                                 kz_err *err);

/* Sum of amounts of payouts in currency submitted at or after since, failed excluded. */
kz_status store_pay_day_total(kz_store *st, const char *currency, int64_t since, int64_t *total,
                              kz_err *err);

/*
 * Payouts in states sending, sent or unknown (and, with with_closed, failed
 * and confirmed) with this amount and currency whose phone ends with tail
 * (NULL: any). Up to cap ids into ids, *n how many matched in all.
 */
kz_status store_pay_candidates(kz_store *st, int64_t amount, const char *currency,
                               const char *tail, int with_closed, int64_t *ids, size_t cap,
                               size_t *n, kz_err *err);

/* The ids of payouts in sending or sent whose method is ussd or airtime. */
kz_status store_pay_stranded(kz_store *st, int64_t *ids, size_t cap, size_t *n, kz_err *err);

/* A provider SMS as recorded for reconciliation. */
typedef struct store_pay_sms {
    const char *provider, *sender, *dedupe_key, *type, *failure, *transaction_id;
    int64_t amount_minor;  /* -1: none */
    const char *currency, *phone;
    int64_t balance_minor; /* -1: none */
    int64_t payout_id;     /* 0: none */
    const char *outcome, *body;
    int64_t at;
} store_pay_sms;

/* *found 1 if (provider, dedupe_key) was recorded before. */
kz_status store_pay_sms_seen(kz_store *st, const char *provider, const char *key, int *found,
                             kz_err *err);
kz_status store_pay_sms_insert(kz_store *st, const store_pay_sms *s, kz_err *err);
kz_status store_pay_sms_each(kz_store *st, int all,
                             int (*cb)(void *ctx, const payout_sms_row *r), void *ctx,
                             kz_err *err);

kz_status store_pay_float_put(kz_store *st, const char *provider, const char *currency,
                              int64_t balance, const char *source, int64_t now, kz_err *err);
kz_status store_pay_float_get(kz_store *st, const char *currency, int64_t *balance,
                              int64_t *at, int *found, kz_err *err);

/* Call cb for each payout whose state is in the comma-free list states (NULL: all). */
kz_status store_pay_each(kz_store *st, const char *state1, const char *state2,
                         int (*cb)(void *ctx, const payout *p), void *ctx, kz_err *err);

/* The requester named name, created if missing. */
kz_status store_pay_requester(kz_store *st, const char *name, int64_t *id, kz_err *err);

/*
 * Run the invariant queries of the ledger check (store_payout_check.c);
 * cb gets one sentence per problem row.
 */
kz_status store_pay_check(kz_store *st, void (*cb)(void *ctx, const char *problem), void *ctx,
                          size_t *problems, kz_err *err);

/* Call cb(worker_id, currency, sum, paid) for each worker with ledger entries. */
kz_status store_pay_worker_sums_each(kz_store *st,
                                     int (*cb)(void *ctx, int64_t worker_id,
                                               const char *currency, int64_t sum,
                                               int64_t paid, int64_t expect_paid),
                                     void *ctx, kz_err *err);

/* ---- retainers (store_payout_retainer.c) ---- */

typedef struct store_retainer {
    int64_t id, requester_id, worker_id, starts_at, ends_at, amount_minor;
    char currency[4];
    char requester[65];
    char phone[20];
    char worker_state[12]; /* active | paused | stopped */
} store_retainer;

kz_status store_ret_insert(kz_store *st, const store_retainer *r, int64_t now, int64_t *id,
                           kz_err *err);
/* Retainers active at some time in [from, to). */
kz_status store_ret_each_active(kz_store *st, int64_t from, int64_t to,
                                int (*cb)(void *ctx, const store_retainer *r), void *ctx,
                                kz_err *err);
/* *found 1 if (retainer, day) was accrued already. */
kz_status store_ret_day_seen(kz_store *st, int64_t retainer_id, const char *day, int *found,
                             kz_err *err);
/* Record the accrual of (retainer, day) as ledger entry ledger_id. KZ_ERR_BUSY if recorded. */
kz_status store_ret_day_put(kz_store *st, int64_t retainer_id, const char *day,
                            int64_t ledger_id, kz_err *err);
/* Queue an outbound SMS to the worker (dedupe_key makes it once only). */
kz_status store_ret_notify(kz_store *st, int64_t worker_id, const char *phone, const char *body,
                           const char *dedupe_key, int64_t now, kz_err *err);

#endif
