/*
 * payout_internal.h - what tasks/payout*.c share: running a step inside one
 * IMMEDIATE transaction, and the transitions other payout files reuse inside
 * their own transactions (reconciliation by SMS, the file method).
 * Owns: nothing else. Never included outside tasks/payout*.c.
 */
#ifndef KAZI_PAYOUT_INTERNAL_H
#define KAZI_PAYOUT_INTERNAL_H

#include "payout.h"

/* First member of every argument given to pay_in_tx. */
typedef struct pay_tx_hdr {
    int keep; /* set by fn: commit what it wrote even though it returns an error */
} pay_tx_hdr;

typedef kz_status (*pay_tx_fn)(kz_store *st, void *arg, kz_err *err);

/*
 * Ensure the payout schema, then run fn(st, arg) inside BEGIN IMMEDIATE ...
 * COMMIT (or inside the caller's transaction when one is open). An error
 * from fn rolls back unless it set arg's keep. Returns fn's status, else
 * the commit's.
 */
kz_status pay_in_tx(kz_store *st, pay_tx_fn fn, void *arg, kz_err *err);

/* KZ_OK if p->state is one of the NULL-terminated states, else KZ_ERR_STATE. */
kz_status pay_require(const payout *p, const char *const *states, kz_err *err);

/* Move p from its current state to `to` (KZ_ERR_STATE if it changed meanwhile). */
kz_status pay_move(kz_store *st, const payout *p, const char *to, const char *error,
                   const char *ref, int64_t fee, int64_t now, kz_err *err);

/* Fail p (reversing a debit) inside the caller's transaction. */
kz_status pay_fail_in_tx(kz_store *st, const payout *p, const char *reason, const char *actor,
                         int64_t now, kz_err *err);

/* Confirm p (fee -1: the tariff's) inside the caller's transaction. */
kz_status pay_confirm_in_tx(kz_store *st, const payout_config *cfg, const payout *p,
                            const char *ref, int64_t fee, const char *actor, const char *note,
                            int64_t now, kz_err *err);

#endif
