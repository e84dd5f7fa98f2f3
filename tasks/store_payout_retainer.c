/*
 * store_payout_retainer.c - the SQL of retainers: the retainer rows, the
 * days accrued (retainer_days) and the worker's notification (a queued
 * outbound message).
 * Owns: that SQL. Never decides which days are due (retainer.c does).
 */
#include "payout_sql.h"

#include <string.h>

kz_status store_ret_insert(kz_store *st, const store_retainer *r, int64_t now, int64_t *id,
                           kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO retainers(requester_id, worker_id, starts_at, ends_at,"
                               " amount_minor, currency, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, r->requester_id);
    db_bind_int64(s, 2, r->worker_id);
    db_bind_int64(s, 3, r->starts_at);
    db_bind_int64(s, 4, r->ends_at);
    db_bind_int64(s, 5, r->amount_minor);
    pay_bind_text(s, 6, r->currency);
    db_bind_int64(s, 7, now);
    kz_status rc = pay_exec(st, s, "recording a retainer", err);
    *id = rc == KZ_OK ? db_last_insert_rowid(st->db) : 0;
    return rc;
}

kz_status store_ret_each_active(kz_store *st, int64_t from, int64_t to,
                                int (*cb)(void *ctx, const store_retainer *r), void *ctx,
                                kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT r.id, r.requester_id, r.worker_id, r.starts_at, r.ends_at,"
                               " r.amount_minor, r.currency, q.name, w.phone, w.state"
                               " FROM retainers r JOIN requesters q ON q.id = r.requester_id"
                               " JOIN workers w ON w.id = r.worker_id"
                               " WHERE r.starts_at < ?2 AND r.ends_at > ?1 ORDER BY r.id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, from);
    db_bind_int64(s, 2, to);
    int rc;
    kz_status out = KZ_OK;
    while ((rc = db_step(s)) == DB_ROW) {
        store_retainer r;
        memset(&r, 0, sizeof r);
        r.id = db_column_int64(s, 0);
        r.requester_id = db_column_int64(s, 1);
        r.worker_id = db_column_int64(s, 2);
        r.starts_at = db_column_int64(s, 3);
        r.ends_at = db_column_int64(s, 4);
        r.amount_minor = db_column_int64(s, 5);
        store_col_copy(s, 6, r.currency, sizeof r.currency);
        store_col_copy(s, 7, r.requester, sizeof r.requester);
        store_col_copy(s, 8, r.phone, sizeof r.phone);
        store_col_copy(s, 9, r.worker_state, sizeof r.worker_state);
        if (cb(ctx, &r) != 0) {
            out = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "retainers: stopped");
            break;
        }
    }
    if (out == KZ_OK && rc != DB_DONE)
        out = store_db_err(st, err, "reading retainers");
    pay_done(s);
    return out;
}

kz_status store_ret_day_seen(kz_store *st, int64_t retainer_id, const char *day, int *found,
                             kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT count(*) FROM retainer_days WHERE retainer_id = ?1 AND day = ?2",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, retainer_id);
    pay_bind_text(s, 2, day);
    int64_t n = 0;
    kz_status rc = pay_int(st, s, &n, "reading retainer days", err);
    *found = n > 0;
    return rc;
}

kz_status store_ret_day_put(kz_store *st, int64_t retainer_id, const char *day,
                            int64_t ledger_id, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO retainer_days(retainer_id, day, ledger_id) VALUES (?1, ?2, ?3)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, retainer_id);
    pay_bind_text(s, 2, day);
    db_bind_int64(s, 3, ledger_id);
    return pay_exec(st, s, "recording a retainer day", err);
}

kz_status store_ret_notify(kz_store *st, int64_t worker_id, const char *phone, const char *body,
                           const char *dedupe_key, int64_t now, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO messages(direction, channel, peer, worker_id, body, state,"
                               " dedupe_key, next_attempt_at, created_at, updated_at)"
                               " VALUES ('out', 'sms', ?1, ?2, ?3, 'queued', ?4, ?5, ?5, ?5)"
                               " ON CONFLICT(dedupe_key) DO NOTHING",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, phone);
    db_bind_int64(s, 2, worker_id);
    pay_bind_text(s, 3, body);
    pay_bind_text(s, 4, dedupe_key);
    db_bind_int64(s, 5, now);
    return pay_exec(st, s, "queueing a message", err);
}
