/*
 * csv_batch.c - the batch an import goes into: find it or create it with the
 * requested terms (defaults from economics.md), refuse terms that differ
 * from an existing batch's, apply the pay floor, and open the import record.
 * Owns: "a batch's terms are fixed when it is created". Never reads rows.
 */
#include "csv_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "money.h"

/* Defaults of the batch-level settings. */
static int eff_redundancy(const csv_import_opts *o)
{
    return o->redundancy > 0 ? o->redundancy : 3;
}

static int eff_est(const csv_import_opts *o)
{
    return o->est_seconds > 0 ? o->est_seconds : 30;
}

kz_status csv_batch_prepare(kz_store *st, const csv_import_opts *o, const char *currency,
                            const char *extra_json, store_batch *b, int64_t *import_id,
                            kz_err *err)
{
    kz_err e;
    kz_err_clear(&e);
    kz_status rc = store_batch_get(st, o->batch, b, &e);
    if (rc == KZ_OK) {
        char want[40], have[40];
        if (strcmp(b->requester, o->requester) != 0)
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "batch '%s' belongs to requester '%s', not '%s'", o->batch,
                              b->requester, o->requester);
        if (strcasecmp(b->currency, currency) != 0)
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "batch '%s' pays in %s, not %s", o->batch, b->currency,
                              currency);
        if (o->reward_minor >= 0 && o->reward_minor != b->reward_minor) {
            money_format(want, sizeof want, o->reward_minor, currency, 0);
            money_format(have, sizeof have, b->reward_minor, currency, 0);
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "batch '%s' exists with reward %s; --reward %s would change it",
                              o->batch, have, want);
        }
        if ((o->redundancy > 0 && o->redundancy != b->redundancy) ||
            (o->est_seconds > 0 && o->est_seconds != b->est_seconds) ||
            (o->deadline > 0 && o->deadline != b->deadline))
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "batch '%s' exists with other settings (redundancy %d, %d s a "
                              "task); a batch's settings are fixed when it is created",
                              o->batch, b->redundancy, b->est_seconds);
        if (strcmp(b->extra_columns, extra_json) != 0)
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "the extra columns differ from batch '%s' (%s, now %s)", o->batch,
                              b->extra_columns, extra_json);
    } else if (rc == KZ_ERR_NOTFOUND) {
        rc = store_requester_ensure(st, o->requester, &b->requester_id, err);
        if (rc != KZ_OK)
            return rc;
        snprintf(b->name, sizeof b->name, "%s", o->batch);
        snprintf(b->requester, sizeof b->requester, "%s", o->requester);
        memcpy(b->currency, currency, sizeof b->currency);
        b->redundancy = eff_redundancy(o);
        b->est_seconds = eff_est(o);
        b->deadline = o->deadline;
        if (o->reward_minor >= 0) {
            b->reward_minor = o->reward_minor;
        } else {
            /* economics.md: the floor's minimum, rounded up to a whole unit */
            int64_t unit = 1;
            for (int k = 0; k < money_exponent(currency); k++)
                unit *= 10;
            int64_t min = payfloor_min_reward(&o->floor, b->est_seconds, 1);
            b->reward_minor = (min + unit - 1) / unit * unit;
        }
        b->extra_columns = strdup(extra_json);
        if (!b->extra_columns)
            return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        rc = store_batch_create(st, b, err);
        if (rc != KZ_OK)
            return rc;
    } else {
        return kz_err_set(err, rc, KZ_NO_OFFSET, "%s", e.msg);
    }
    rc = payfloor_check(&o->floor, b->reward_minor, b->est_seconds, 1, err);
    if (rc != KZ_OK)
        return rc;
    rc = store_import_begin(st, b->id, o->source ? o->source : "-", import_id,
                            err);
    return rc;
}

