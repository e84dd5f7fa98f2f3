/*
 * payout_check.c - the ledger invariant behind `kazi check` (payout.h,
 * payout_check): the SQL checks of store_payout_check.c plus a comparison of
 * every worker's balance as the task engine reports it (engine_balance_get)
 * with the sum of their entries and the payouts.
 * Owns: the wording of the balance problems. Never writes, never logs.
 */
#include <inttypes.h>
#include <stdio.h>

#include "engine.h"
#include "payout.h"
#include "payout_store.h"

typedef struct check_ctx {
    kz_store *st;
    void (*cb)(void *ctx, const char *problem);
    void *ctx;
    size_t *problems;
    kz_err *err;
    kz_status rc;
} check_ctx;

static void problem(check_ctx *c, const char *msg)
{
    (*c->problems)++;
    if (c->cb)
        c->cb(c->ctx, msg);
}

static int worker_sums(void *ctxp, int64_t worker_id, const char *currency, int64_t sum,
                       int64_t paid, int64_t expect_paid)
{
    check_ctx *c = ctxp;
    engine_balance b;
    char msg[240];
    c->rc = engine_balance_get(c->st, worker_id, currency, &b, c->err);
    if (c->rc != KZ_OK)
        return 1;
    (void)expect_paid; /* the SQL check compares paid with the payouts */
    if (b.available_minor != sum) {
        snprintf(msg, sizeof msg,
                 "worker %" PRId64 ": balance %" PRId64 " %s reported, but the entries add up to"
                 " %" PRId64,
                 worker_id, b.available_minor, currency, sum);
        problem(c, msg);
    }
    if (b.paid_minor != paid) {
        snprintf(msg, sizeof msg,
                 "worker %" PRId64 ": paid %" PRId64 " %s reported, but the payout entries add"
                 " up to %" PRId64,
                 worker_id, b.paid_minor, currency, paid);
        problem(c, msg);
    }
    return 0;
}

kz_status payout_check(kz_store *st, void (*cb)(void *ctx, const char *problem), void *ctx,
                       size_t *problems, kz_err *err)
{
    *problems = 0;
    kz_status rc = payout_schema_ensure(st, err);
    if (rc != KZ_OK)
        return rc;
    rc = store_begin(st, err); /* one snapshot for every query */
    if (rc != KZ_OK)
        return rc;
    rc = store_pay_check(st, cb, ctx, problems, err);
    check_ctx c = {.st = st, .cb = cb, .ctx = ctx, .problems = problems, .err = err, .rc = KZ_OK};
    if (rc == KZ_OK)
        rc = store_pay_worker_sums_each(st, worker_sums, &c, err);
    if (rc == KZ_ERR_IO && c.rc != KZ_OK)
        rc = c.rc;
    store_rollback(st);
    return rc;
}
