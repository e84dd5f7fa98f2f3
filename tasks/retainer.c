/*
 * retainer.c - retainers and their daily accrual (retainer.h).
 * Owns: which days are due and the wording of the worker's notice. Never
 * writes a day twice (retainer_days is the proof), never logs.
 */
#include "retainer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "money.h"
#include "payout_store.h"

#define DAY 86400
#define CATCH_UP_DAYS 400 /* days one run may accrue per retainer (a year of downtime) */

kz_status retainer_add(kz_store *st, const char *requester, int64_t worker_id, int64_t starts_at,
                       int64_t ends_at, int64_t daily_minor, const char *currency, int64_t now,
                       int64_t *id, kz_err *err)
{
    if (ends_at <= starts_at || daily_minor <= 0 || !currency || strlen(currency) != 3 ||
        !requester || !*requester)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "a retainer needs a requester, a period that ends after it starts and"
                          " a positive daily rate");
    store_retainer r;
    memset(&r, 0, sizeof r);
    r.worker_id = worker_id;
    r.starts_at = starts_at;
    r.ends_at = ends_at;
    r.amount_minor = daily_minor;
    snprintf(r.currency, sizeof r.currency, "%s", currency);
    kz_status rc = store_pay_schema(st, err);
    if (rc == KZ_OK)
        rc = store_begin(st, err);
    if (rc != KZ_OK)
        return rc;
    rc = store_pay_worker_phone(st, worker_id, r.phone, sizeof r.phone, err);
    if (rc == KZ_OK)
        rc = store_pay_requester(st, requester, &r.requester_id, err);
    if (rc == KZ_OK)
        rc = store_ret_insert(st, &r, now, id, err);
    if (rc != KZ_OK) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st, err);
}

typedef struct accrue_ctx {
    kz_store *st;
    int64_t off, now;
    size_t entries;
    kz_err *err;
    kz_status rc;
} accrue_ctx;

static void day_name(int64_t local_day_start, char *out, size_t cap)
{
    time_t t = (time_t)local_day_start;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d", &tm);
}

/* Accrue local day starting at `start` (UTC seconds) for r, unless it was. */
static kz_status accrue_day(accrue_ctx *c, const store_retainer *r, int64_t start)
{
    char day[16], key[64], memo[96], amount[40], body[200];
    day_name(start + c->off, day, sizeof day);
    int found = 0;
    kz_status rc = store_ret_day_seen(c->st, r->id, day, &found, c->err);
    if (rc != KZ_OK || found)
        return rc;
    snprintf(memo, sizeof memo, "retainer %" PRId64 " %s", r->id, day);
    store_pay_entry e = {.worker_id = r->worker_id, .requester_id = r->requester_id,
                         .kind = "retainer", .amount_minor = r->amount_minor,
                         .currency = r->currency, .memo = memo, .at = c->now};
    int64_t lid = 0;
    rc = store_pay_ledger(c->st, &e, &lid, c->err);
    if (rc == KZ_OK)
        rc = store_ret_day_put(c->st, r->id, day, lid, c->err);
    if (rc != KZ_OK)
        return rc;
    c->entries++;
    if (strcmp(r->worker_state, "stopped") == 0)
        return KZ_OK; /* STOP means no message, not no money */
    money_format(amount, sizeof amount, r->amount_minor, r->currency, 1);
    snprintf(body, sizeof body, "Kazi: %.60s pays you %s for being on call on %s. It is in your"
             " balance (BAL).", r->requester, amount, day);
    snprintf(key, sizeof key, "retainer:%" PRId64 ":%s", r->id, day);
    return store_ret_notify(c->st, r->worker_id, r->phone, body, key, c->now, c->err);
}

static int accrue_one(void *ctxp, const store_retainer *r)
{
    accrue_ctx *c = ctxp;
    int64_t local = r->starts_at + c->off;
    int64_t start = local - ((local % DAY) + DAY) % DAY - c->off; /* the first covered day */
    for (int i = 0; i < CATCH_UP_DAYS && start <= c->now && start < r->ends_at; i++, start += DAY) {
        c->rc = accrue_day(c, r, start);
        if (c->rc != KZ_OK)
            return 1;
    }
    return 0;
}

kz_status retainer_accrue(kz_store *st, int tz_offset_minutes, int64_t now, size_t *entries,
                          kz_err *err)
{
    accrue_ctx c = {.st = st, .off = (int64_t)tz_offset_minutes * 60, .now = now, .err = err,
                    .rc = KZ_OK};
    kz_status rc = store_pay_schema(st, err);
    if (rc == KZ_OK)
        rc = store_begin(st, err);
    if (rc != KZ_OK)
        return rc;
    rc = store_ret_each_active(st, now - (int64_t)CATCH_UP_DAYS * DAY, now + 1, accrue_one, &c, err);
    if (rc == KZ_ERR_IO && c.rc != KZ_OK)
        rc = c.rc;
    if (rc != KZ_OK) {
        store_rollback(st);
        return rc;
    }
    rc = store_commit(st, err);
    if (entries)
        *entries = rc == KZ_OK ? c.entries : 0;
    return rc;
}
