/*
 * store_payout.c - the SQL of payouts: payout rows, their events and their
 * ledger entries (the tables are migration 5 in store_schema.c).
 * Owns: that SQL text. Never builds SQL from data (every value is bound),
 * never decides a transition (payout.c does), never updates or deletes a
 * ledger entry or an event (both are append-only).
 */
#include "payout_sql.h"

#include <stdio.h>
#include <string.h>



db_stmt *pay_prep(kz_store *st, const char *sql, kz_err *err)
{
    int free_slot = -1;
    for (int i = 0; i < STORE_PAY_STMTS; i++) {
        if (st->pay[i].sql == sql) {
            db_reset(st->pay[i].stmt);
            db_clear_bindings(st->pay[i].stmt);
            return st->pay[i].stmt;
        }
        if (!st->pay[i].sql && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0) {
        kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET,
                   "payout statements: more than %d (grow STORE_PAY_STMTS)", STORE_PAY_STMTS);
        return NULL;
    }
    db_stmt *s = NULL;
    if (db_prepare(st->db, sql, 1, &s) != DB_OK) {
        store_db_err(st, err, "preparing a payout statement");
        db_finalize(s); /* never cached */
        return NULL;
    }
    st->pay[free_slot].sql = sql;
    st->pay[free_slot].stmt = s;
    return s;
}

void pay_done(db_stmt *s)
{
    if (!s)
        return;
    db_reset(s);
    db_clear_bindings(s);
}

kz_status pay_exec(kz_store *st, db_stmt *s, const char *what, kz_err *err)
{
    int rc = db_step(s);
    kz_status out = KZ_OK;
    if (rc == DB_CONSTRAINT_UNIQUE || rc == DB_CONSTRAINT_PRIMARYKEY)
        out = kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: already exists", what);
    else if (rc != DB_DONE && rc != DB_ROW)
        out = store_db_err(st, err, what);
    pay_done(s);
    return out;
}

void pay_bind_text(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, -1, DB_TRANSIENT);
    else
        db_bind_null(s, i);
}

kz_status pay_int(kz_store *st, db_stmt *s, int64_t *v, const char *what, kz_err *err)
{
    int rc = db_step(s);
    *v = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    kz_status out = (rc == DB_ROW || rc == DB_DONE) ? KZ_OK : store_db_err(st, err, what);
    pay_done(s);
    return out;
}

void pay_row_fill(db_stmt *s, payout *p)
{
    memset(p, 0, sizeof *p);
    p->id = db_column_int64(s, 0);
    p->worker_id = db_column_int64(s, 1);
    p->amount_minor = db_column_int64(s, 2);
    p->fee_minor = db_column_int64(s, 3);
    store_col_copy(s, 4, p->currency, sizeof p->currency);
    store_col_copy(s, 5, p->phone, sizeof p->phone);
    store_col_copy(s, 6, p->state, sizeof p->state);
    store_col_copy(s, 7, p->key, sizeof p->key);
    store_col_copy(s, 8, p->provider_ref, sizeof p->provider_ref);
    store_col_copy(s, 9, p->error, sizeof p->error);
    store_col_copy(s, 10, p->method, sizeof p->method);
    p->committed = db_column_int(s, 11);
    p->created_at = db_column_int64(s, 12);
    p->updated_at = db_column_int64(s, 13);
}

kz_status store_pay_schema(kz_store *st, kz_err *err)
{
    /* migration 5 (tasks/store_schema.c) creates the payout tables */
    if (store_schema_version(st) >= 5)
        return KZ_OK;
    return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                      "database schema %d has no payout tables (migration 5)",
                      store_schema_version(st));
}

kz_status store_pay_insert(kz_store *st, const payout *p, int64_t now, int64_t *id, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO payouts(worker_id, amount_minor, currency, phone, state,"
                               " idempotency_key, created_at, updated_at)"
                               " VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?6, ?6)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, p->worker_id);
    db_bind_int64(s, 2, p->amount_minor);
    pay_bind_text(s, 3, p->currency);
    pay_bind_text(s, 4, p->phone);
    pay_bind_text(s, 5, p->key);
    db_bind_int64(s, 6, now);
    kz_status rc = pay_exec(st, s, "recording a payout", err);
    *id = rc == KZ_OK ? db_last_insert_rowid(st->db) : 0;
    return rc;
}

kz_status store_pay_get(kz_store *st, int64_t id, payout *out, kz_err *err)
{
    db_stmt *s = pay_prep(st, PAY_SELECT " WHERE p.id = ?1", err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    int rc = db_step(s);
    if (rc == DB_ROW)
        pay_row_fill(s, out);
    kz_status r = rc == DB_ROW ? KZ_OK
                  : rc == DB_DONE
                      ? kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no payout %lld",
                                   (long long)id)
                      : store_db_err(st, err, "reading a payout");
    pay_done(s);
    return r;
}

static kz_status one_id(kz_store *st, const char *sql, const char *text, int64_t num,
                        int64_t *id, kz_err *err)
{
    db_stmt *s = pay_prep(st, sql, err);
    if (!s)
        return KZ_ERR_DB;
    if (text)
        pay_bind_text(s, 1, text);
    else
        db_bind_int64(s, 1, num);
    return pay_int(st, s, id, "finding a payout", err);
}

kz_status store_pay_by_key(kz_store *st, const char *key, int64_t *id, kz_err *err)
{
    return one_id(st, "SELECT id FROM payouts WHERE idempotency_key = ?1", key, 0, id, err);
}

kz_status store_pay_in_flight(kz_store *st, int64_t worker_id, int64_t *id, kz_err *err)
{
    return one_id(st,
                  "SELECT id FROM payouts WHERE worker_id = ?1"
                  " AND state IN ('requested','approved','sending','sent','unknown')",
                  NULL, worker_id, id, err);
}

kz_status store_pay_oldest(kz_store *st, const char *state, int64_t *id, kz_err *err)
{
    return one_id(st, "SELECT id FROM payouts WHERE state = ?1 ORDER BY id LIMIT 1", state, 0,
                  id, err);
}

kz_status store_pay_move(kz_store *st, int64_t id, const char *from, const char *to,
                         const char *error, const char *ref, int64_t fee, int64_t now,
                         int *changed, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "UPDATE payouts SET state = ?3, error = coalesce(?4, error),"
                               " provider_ref = coalesce(?5, provider_ref),"
                               " fee_minor = CASE WHEN ?6 >= 0 THEN ?6 ELSE fee_minor END,"
                               " updated_at = ?7 WHERE id = ?1 AND state = ?2",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    pay_bind_text(s, 2, from);
    pay_bind_text(s, 3, to);
    pay_bind_text(s, 4, error);
    pay_bind_text(s, 5, ref && *ref ? ref : NULL);
    db_bind_int64(s, 6, fee);
    db_bind_int64(s, 7, now);
    kz_status rc = pay_exec(st, s, "changing a payout's state", err);
    *changed = rc == KZ_OK && db_changes(st->db) > 0;
    return rc;
}

kz_status store_pay_event(kz_store *st, int64_t id, const char *state, const char *method,
                          const char *actor, const char *note, int64_t now, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO payout_events(payout_id, state, method, actor, note, at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    pay_bind_text(s, 2, state);
    pay_bind_text(s, 3, method);
    pay_bind_text(s, 4, actor);
    pay_bind_text(s, 5, note);
    db_bind_int64(s, 6, now);
    return pay_exec(st, s, "recording a payout event", err);
}

kz_status store_pay_ledger(kz_store *st, const store_pay_entry *e, int64_t *entry_id,
                           kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "INSERT INTO ledger_entries(worker_id, requester_id, kind, amount_minor,"
                               " currency, payout_id, memo, created_at)"
                               " VALUES (nullif(?1, 0), nullif(?2, 0), ?3, ?4, ?5, nullif(?6, 0), ?7, ?8)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, e->worker_id);
    db_bind_int64(s, 2, e->requester_id);
    pay_bind_text(s, 3, e->kind);
    db_bind_int64(s, 4, e->amount_minor);
    pay_bind_text(s, 5, e->currency);
    db_bind_int64(s, 6, e->payout_id);
    pay_bind_text(s, 7, e->memo);
    db_bind_int64(s, 8, e->at);
    kz_status rc = pay_exec(st, s, "writing a ledger entry", err);
    if (entry_id)
        *entry_id = rc == KZ_OK ? db_last_insert_rowid(st->db) : 0;
    return rc;
}

kz_status store_pay_worker_sum(kz_store *st, int64_t worker_id, const char *currency,
                               int64_t *sum, int64_t *last_entry, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT coalesce(sum(amount_minor), 0), coalesce(max(id), 0)"
                               " FROM ledger_entries WHERE worker_id = ?1 AND currency = ?2",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    pay_bind_text(s, 2, currency);
    int rc = db_step(s);
    *sum = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    if (last_entry)
        *last_entry = rc == DB_ROW ? db_column_int64(s, 1) : 0;
    kz_status out = rc == DB_ROW ? KZ_OK : store_db_err(st, err, "reading a balance");
    pay_done(s);
    return out;
}

kz_status store_pay_worker_phone(kz_store *st, int64_t worker_id, char *phone, size_t cap,
                                 kz_err *err)
{
    db_stmt *s = pay_prep(st, "SELECT phone FROM workers WHERE id = ?1", err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    int rc = db_step(s);
    if (rc == DB_ROW)
        store_col_copy(s, 0, phone, cap);
    kz_status out = rc == DB_ROW ? KZ_OK
                    : rc == DB_DONE
                        ? kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no worker %lld",
                                     (long long)worker_id)
                        : store_db_err(st, err, "reading a worker");
    pay_done(s);
    return out;
}

kz_status store_pay_day_total(kz_store *st, const char *currency, int64_t since, int64_t *total,
                              kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT coalesce(sum(p.amount_minor), 0) FROM payouts p"
                               " WHERE p.currency = ?1 AND p.state <> 'failed'"
                               " AND p.id IN (SELECT e.payout_id FROM payout_events e"
                               "              WHERE e.state = 'sending' AND e.at >= ?2)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, currency);
    db_bind_int64(s, 2, since);
    return pay_int(st, s, total, "adding up today's payouts", err);
}

static kz_status collect_ids(kz_store *st, db_stmt *s, int64_t *ids, size_t cap, size_t *n,
                             kz_err *err)
{
    int rc;
    *n = 0;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*n < cap)
            ids[*n] = db_column_int64(s, 0);
        (*n)++;
    }
    kz_status out = rc == DB_DONE ? KZ_OK : store_db_err(st, err, "finding payouts");
    pay_done(s);
    return out;
}

kz_status store_pay_candidates(kz_store *st, int64_t amount, const char *currency,
                               const char *tail, int with_closed, int64_t *ids, size_t cap,
                               size_t *n, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT id FROM payouts WHERE amount_minor = ?1 AND currency = ?2"
                               " AND (CAST(?3 AS TEXT) IS NULL OR (length(phone) >= length(?3)"
                               "      AND substr(phone, length(phone) - length(?3) + 1) = ?3))"
                               " AND (state IN ('sending','sent','unknown')"
                               "      OR (?4 AND state IN ('failed','confirmed')))"
                               " ORDER BY state IN ('failed','confirmed'), id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, amount);
    pay_bind_text(s, 2, currency);
    pay_bind_text(s, 3, tail);
    db_bind_int(s, 4, with_closed);
    return collect_ids(st, s, ids, cap, n, err);
}

kz_status store_pay_stranded(kz_store *st, int64_t *ids, size_t cap, size_t *n, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               "SELECT p.id FROM payouts p WHERE p.state IN ('sending','sent')"
                               " AND (SELECT e.method FROM payout_events e WHERE e.payout_id = p.id"
                               "      AND e.method IS NOT NULL ORDER BY e.id DESC LIMIT 1)"
                               "     IN ('ussd','airtime') ORDER BY p.id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    return collect_ids(st, s, ids, cap, n, err);
}

kz_status store_pay_each(kz_store *st, const char *state1, const char *state2,
                         int (*cb)(void *ctx, const payout *p), void *ctx, kz_err *err)
{
    db_stmt *s = pay_prep(st,
                               PAY_SELECT " WHERE CAST(?1 AS TEXT) IS NULL OR p.state = ?1 OR p.state = ?2"
                                          " ORDER BY p.id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, state1);
    pay_bind_text(s, 2, state2 ? state2 : state1);
    int rc;
    kz_status out = KZ_OK;
    payout p;
    while ((rc = db_step(s)) == DB_ROW) {
        pay_row_fill(s, &p);
        if (cb(ctx, &p) != 0) {
            out = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "listing payouts: stopped");
            break;
        }
    }
    if (out == KZ_OK && rc != DB_DONE)
        out = store_db_err(st, err, "listing payouts");
    pay_done(s);
    return out;
}

kz_status store_pay_requester(kz_store *st, const char *name, int64_t *id, kz_err *err)
{
    return store_requester_ensure(st, name, id, err);
}
