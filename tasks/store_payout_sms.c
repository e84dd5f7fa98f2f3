/*
 * store_payout_sms.c - the SQL of provider SMS kept for reconciliation and
 * of the float (the gateway's own mobile-money balance) readings.
 * Owns: payout_sms and payout_float rows. Never decides what an SMS means
 * (payout.c does); never builds SQL from data.
 */
#include "payout_sql.h"

#include <string.h>

kz_status store_pay_sms_seen(kz_store *st, const char *provider, const char *key, int *found,
                             kz_err *err)
{
    db_stmt *s =
        pay_prep(st, "SELECT count(*) FROM payout_sms WHERE provider = ?1 AND dedupe_key = ?2", err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, provider);
    pay_bind_text(s, 2, key);
    int64_t n = 0;
    kz_status rc = pay_int(st, s, &n, "looking up a provider SMS", err);
    *found = n > 0;
    return rc;
}

static void bind_opt_int(db_stmt *s, int i, int64_t v)
{
    if (v >= 0)
        db_bind_int64(s, i, v);
    else
        db_bind_null(s, i);
}

kz_status store_pay_sms_insert(kz_store *st, const store_pay_sms *m, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO payout_sms(provider, sender, dedupe_key, type, failure,"
                               " transaction_id, amount_minor, currency, phone, balance_minor,"
                               " payout_id, outcome, body, received_at)"
                               " VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), ?6, ?7, ?8, ?9, ?10,"
                               " nullif(?11, 0), ?12, ?13, ?14)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, m->provider);
    pay_bind_text(s, 2, m->sender);
    pay_bind_text(s, 3, m->dedupe_key);
    pay_bind_text(s, 4, m->type);
    pay_bind_text(s, 5, m->failure);
    pay_bind_text(s, 6, m->transaction_id);
    bind_opt_int(s, 7, m->amount_minor);
    pay_bind_text(s, 8, m->currency);
    pay_bind_text(s, 9, m->phone);
    bind_opt_int(s, 10, m->balance_minor);
    db_bind_int64(s, 11, m->payout_id);
    pay_bind_text(s, 12, m->outcome);
    pay_bind_text(s, 13, m->body);
    db_bind_int64(s, 14, m->at);
    return pay_exec(st, s, "recording a provider SMS", err);
}

static const char *col_text(db_stmt *s, int i)
{
    const unsigned char *t = db_column_text(s, i);
    return t ? (const char *)t : "";
}

kz_status store_pay_sms_each(kz_store *st, int all,
                             int (*cb)(void *ctx, const payout_sms_row *r), void *ctx,
                             kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT id, coalesce(payout_id, 0), provider, coalesce(sender, ''),"
                               " type, coalesce(failure, ''), coalesce(transaction_id, ''), outcome,"
                               " body, coalesce(amount_minor, -1), received_at FROM payout_sms"
                               " WHERE ?1 OR outcome IN ('unmatched','conflict') ORDER BY id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int(s, 1, all);
    int rc;
    kz_status out = KZ_OK;
    while ((rc = db_step(s)) == DB_ROW) {
        payout_sms_row r = {
            .id = db_column_int64(s, 0), .payout_id = db_column_int64(s, 1),
            .provider = col_text(s, 2), .sender = col_text(s, 3), .type = col_text(s, 4),
            .failure = col_text(s, 5), .transaction_id = col_text(s, 6),
            .outcome = col_text(s, 7), .body = col_text(s, 8),
            .amount_minor = db_column_int64(s, 9), .received_at = db_column_int64(s, 10)};
        if (cb(ctx, &r) != 0) {
            out = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "listing provider SMS: stopped");
            break;
        }
    }
    if (out == KZ_OK && rc != DB_DONE)
        out = store_db_err(st, err, "listing provider SMS");
    pay_done(s);
    return out;
}

kz_status store_pay_float_put(kz_store *st, const char *provider, const char *currency,
                              int64_t balance, const char *source, int64_t now, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO payout_float(provider, currency, balance_minor, source, at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, provider);
    pay_bind_text(s, 2, currency);
    db_bind_int64(s, 3, balance);
    pay_bind_text(s, 4, source);
    db_bind_int64(s, 5, now);
    return pay_exec(st, s, "recording the float", err);
}

kz_status store_pay_float_get(kz_store *st, const char *currency, int64_t *balance,
                              int64_t *at, int *found, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT balance_minor, at FROM payout_float WHERE currency = ?1"
                               " ORDER BY at DESC, id DESC LIMIT 1",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, currency);
    int rc = db_step(s);
    *found = rc == DB_ROW;
    *balance = *found ? db_column_int64(s, 0) : 0;
    if (at)
        *at = *found ? db_column_int64(s, 1) : 0;
    kz_status out = rc == DB_ROW || rc == DB_DONE ? KZ_OK
                                                          : store_db_err(st, err, "reading the float");
    pay_done(s);
    return out;
}
