/*
 * store_payout.c - the SQL of payouts: the DDL they need beyond migration 1
 * (applied idempotently until it becomes a numbered migration), payout rows,
 * their events and their ledger entries.
 * Owns: that SQL text. Never builds SQL from data (every value is bound),
 * never decides a transition (payout.c does), never updates or deletes a
 * ledger entry or an event (both are append-only).
 */
#include "payout_sql.h"

#include <stdio.h>
#include <string.h>

/*
 * What payouts need beyond migration 1 - proposed as migration 4 (2 and 3
 * belong to other modules). Everything is IF NOT EXISTS so applying it again
 * changes nothing.
 *  - payouts_one_in_flight: at most one payout per worker requested,
 *    approved, sending, sent or unknown.
 *  - ledger_once_per_payout: one debit, one reversal, one fee per payout.
 *  - payout_events: append-only history of each payout (state entered,
 *    method at submit, who decided, why); state 'commit' marks the PIN sent.
 *  - payout_sms: provider SMS seen, once per (provider, transaction id or
 *    text), with what they did (matched, failed, unmatched, conflict, balance).
 *  - payout_float: the gateway's own mobile-money balance as last seen.
 *  - retainer_days: one accrual per retainer and local day.
 */
static const char pay_schema[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS payouts_one_in_flight ON payouts(worker_id)"
    "  WHERE state IN ('requested','approved','sending','sent','unknown');"
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_once_per_payout ON ledger_entries(payout_id, kind)"
    "  WHERE payout_id IS NOT NULL AND kind IN ('payout','payout_fee','payout_reversal');"
    "CREATE TABLE IF NOT EXISTS payout_events ("
    "  id        INTEGER PRIMARY KEY,"
    "  payout_id INTEGER NOT NULL REFERENCES payouts(id),"
    "  state     TEXT NOT NULL CHECK (state IN ('requested','sending','commit','sent',"
    "            'confirmed','failed','unknown')),"
    "  method    TEXT CHECK (method IN ('ussd','file','airtime')),"
    "  actor     TEXT NOT NULL,"
    "  note      TEXT,"
    "  at        INTEGER NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS payout_events_payout ON payout_events(payout_id, id);"
    "CREATE INDEX IF NOT EXISTS payout_events_day ON payout_events(at) WHERE state = 'sending';"
    "CREATE TRIGGER IF NOT EXISTS payout_events_append_only_u BEFORE UPDATE ON payout_events"
    "  BEGIN SELECT RAISE(ABORT, 'payout_events are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS payout_events_append_only_d BEFORE DELETE ON payout_events"
    "  BEGIN SELECT RAISE(ABORT, 'payout_events are append-only'); END;"
    "CREATE TABLE IF NOT EXISTS payout_sms ("
    "  id             INTEGER PRIMARY KEY,"
    "  provider       TEXT NOT NULL,"
    "  sender         TEXT,"
    "  dedupe_key     TEXT NOT NULL,"
    "  type           TEXT NOT NULL,"
    "  failure        TEXT,"
    "  transaction_id TEXT,"
    "  amount_minor   INTEGER,"
    "  currency       TEXT,"
    "  phone          TEXT,"
    "  balance_minor  INTEGER,"
    "  payout_id      INTEGER REFERENCES payouts(id),"
    "  outcome        TEXT NOT NULL CHECK (outcome IN"
    "                 ('matched','failed','unmatched','conflict','balance')),"
    "  body           TEXT NOT NULL,"
    "  received_at    INTEGER NOT NULL,"
    "  UNIQUE (provider, dedupe_key)"
    ");"
    "CREATE TABLE IF NOT EXISTS payout_float ("
    "  id            INTEGER PRIMARY KEY,"
    "  provider      TEXT NOT NULL,"
    "  currency      TEXT NOT NULL CHECK (length(currency) = 3),"
    "  balance_minor INTEGER NOT NULL,"
    "  source        TEXT NOT NULL,"
    "  at            INTEGER NOT NULL"
    ");"
    "CREATE TABLE IF NOT EXISTS retainer_days ("
    "  retainer_id INTEGER NOT NULL REFERENCES retainers(id),"
    "  day         TEXT NOT NULL,"
    "  ledger_id   INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),"
    "  PRIMARY KEY (retainer_id, day)"
    ") WITHOUT ROWID;";

sqlite3_stmt *pay_prep(kz_store *st, const char *sql, kz_err *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        store_db_err(st, err, "preparing a payout statement");
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

kz_status pay_exec(kz_store *st, sqlite3_stmt *s, const char *what, kz_err *err)
{
    int rc = sqlite3_step(s);
    kz_status out = KZ_OK;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        out = kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: already exists", what);
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        out = store_db_err(st, err, what);
    sqlite3_finalize(s);
    return out;
}

void pay_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

kz_status pay_int(kz_store *st, sqlite3_stmt *s, int64_t *v, const char *what, kz_err *err)
{
    int rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    kz_status out = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? KZ_OK : store_db_err(st, err, what);
    sqlite3_finalize(s);
    return out;
}

void pay_row_fill(sqlite3_stmt *s, payout *p)
{
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(s, 0);
    p->worker_id = sqlite3_column_int64(s, 1);
    p->amount_minor = sqlite3_column_int64(s, 2);
    p->fee_minor = sqlite3_column_int64(s, 3);
    store_col_copy(s, 4, p->currency, sizeof p->currency);
    store_col_copy(s, 5, p->phone, sizeof p->phone);
    store_col_copy(s, 6, p->state, sizeof p->state);
    store_col_copy(s, 7, p->key, sizeof p->key);
    store_col_copy(s, 8, p->provider_ref, sizeof p->provider_ref);
    store_col_copy(s, 9, p->error, sizeof p->error);
    store_col_copy(s, 10, p->method, sizeof p->method);
    p->committed = sqlite3_column_int(s, 11);
    p->created_at = sqlite3_column_int64(s, 12);
    p->updated_at = sqlite3_column_int64(s, 13);
}

kz_status store_pay_schema(kz_store *st, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st, "SELECT 1 FROM sqlite_master WHERE name = 'retainer_days'", err);
    if (!s)
        return KZ_ERR_DB;
    int64_t have = 0;
    kz_status rc = pay_int(st, s, &have, "reading the schema", err);
    if (rc != KZ_OK || have)
        return rc;
    char *msg = NULL;
    if (sqlite3_exec(st->db, pay_schema, NULL, NULL, &msg) != SQLITE_OK) {
        rc = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "payout schema: %s",
                        msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
    }
    return rc;
}

kz_status store_pay_insert(kz_store *st, const payout *p, int64_t now, int64_t *id, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
                               "INSERT INTO payouts(worker_id, amount_minor, currency, phone, state,"
                               " idempotency_key, created_at, updated_at)"
                               " VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?6, ?6)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, p->worker_id);
    sqlite3_bind_int64(s, 2, p->amount_minor);
    pay_bind_text(s, 3, p->currency);
    pay_bind_text(s, 4, p->phone);
    pay_bind_text(s, 5, p->key);
    sqlite3_bind_int64(s, 6, now);
    kz_status rc = pay_exec(st, s, "recording a payout", err);
    *id = rc == KZ_OK ? sqlite3_last_insert_rowid(st->db) : 0;
    return rc;
}

kz_status store_pay_get(kz_store *st, int64_t id, payout *out, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st, PAY_SELECT " WHERE p.id = ?1", err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        pay_row_fill(s, out);
    kz_status r = rc == SQLITE_ROW ? KZ_OK
                  : rc == SQLITE_DONE
                      ? kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no payout %lld",
                                   (long long)id)
                      : store_db_err(st, err, "reading a payout");
    sqlite3_finalize(s);
    return r;
}

static kz_status one_id(kz_store *st, const char *sql, const char *text, int64_t num,
                        int64_t *id, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st, sql, err);
    if (!s)
        return KZ_ERR_DB;
    if (text)
        pay_bind_text(s, 1, text);
    else
        sqlite3_bind_int64(s, 1, num);
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
    sqlite3_stmt *s = pay_prep(st,
                               "UPDATE payouts SET state = ?3, error = coalesce(?4, error),"
                               " provider_ref = coalesce(?5, provider_ref),"
                               " fee_minor = CASE WHEN ?6 >= 0 THEN ?6 ELSE fee_minor END,"
                               " updated_at = ?7 WHERE id = ?1 AND state = ?2",
                               err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    pay_bind_text(s, 2, from);
    pay_bind_text(s, 3, to);
    pay_bind_text(s, 4, error);
    pay_bind_text(s, 5, ref && *ref ? ref : NULL);
    sqlite3_bind_int64(s, 6, fee);
    sqlite3_bind_int64(s, 7, now);
    kz_status rc = pay_exec(st, s, "changing a payout's state", err);
    *changed = rc == KZ_OK && sqlite3_changes(st->db) > 0;
    return rc;
}

kz_status store_pay_event(kz_store *st, int64_t id, const char *state, const char *method,
                          const char *actor, const char *note, int64_t now, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
                               "INSERT INTO payout_events(payout_id, state, method, actor, note, at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    pay_bind_text(s, 2, state);
    pay_bind_text(s, 3, method);
    pay_bind_text(s, 4, actor);
    pay_bind_text(s, 5, note);
    sqlite3_bind_int64(s, 6, now);
    return pay_exec(st, s, "recording a payout event", err);
}

kz_status store_pay_ledger(kz_store *st, const store_pay_entry *e, int64_t *entry_id,
                           kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
                               "INSERT INTO ledger_entries(worker_id, requester_id, kind, amount_minor,"
                               " currency, payout_id, memo, created_at)"
                               " VALUES (nullif(?1, 0), nullif(?2, 0), ?3, ?4, ?5, nullif(?6, 0), ?7, ?8)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, e->worker_id);
    sqlite3_bind_int64(s, 2, e->requester_id);
    pay_bind_text(s, 3, e->kind);
    sqlite3_bind_int64(s, 4, e->amount_minor);
    pay_bind_text(s, 5, e->currency);
    sqlite3_bind_int64(s, 6, e->payout_id);
    pay_bind_text(s, 7, e->memo);
    sqlite3_bind_int64(s, 8, e->at);
    kz_status rc = pay_exec(st, s, "writing a ledger entry", err);
    if (entry_id)
        *entry_id = rc == KZ_OK ? sqlite3_last_insert_rowid(st->db) : 0;
    return rc;
}

kz_status store_pay_worker_sum(kz_store *st, int64_t worker_id, const char *currency,
                               int64_t *sum, int64_t *last_entry, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
                               "SELECT coalesce(sum(amount_minor), 0), coalesce(max(id), 0)"
                               " FROM ledger_entries WHERE worker_id = ?1 AND currency = ?2",
                               err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, worker_id);
    pay_bind_text(s, 2, currency);
    int rc = sqlite3_step(s);
    *sum = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    if (last_entry)
        *last_entry = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
    kz_status out = rc == SQLITE_ROW ? KZ_OK : store_db_err(st, err, "reading a balance");
    sqlite3_finalize(s);
    return out;
}

kz_status store_pay_worker_phone(kz_store *st, int64_t worker_id, char *phone, size_t cap,
                                 kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st, "SELECT phone FROM workers WHERE id = ?1", err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, worker_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        store_col_copy(s, 0, phone, cap);
    kz_status out = rc == SQLITE_ROW ? KZ_OK
                    : rc == SQLITE_DONE
                        ? kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no worker %lld",
                                     (long long)worker_id)
                        : store_db_err(st, err, "reading a worker");
    sqlite3_finalize(s);
    return out;
}

kz_status store_pay_day_total(kz_store *st, const char *currency, int64_t since, int64_t *total,
                              kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
                               "SELECT coalesce(sum(p.amount_minor), 0) FROM payouts p"
                               " WHERE p.currency = ?1 AND p.state <> 'failed'"
                               " AND p.id IN (SELECT e.payout_id FROM payout_events e"
                               "              WHERE e.state = 'sending' AND e.at >= ?2)",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, currency);
    sqlite3_bind_int64(s, 2, since);
    return pay_int(st, s, total, "adding up today's payouts", err);
}

static kz_status collect_ids(kz_store *st, sqlite3_stmt *s, int64_t *ids, size_t cap, size_t *n,
                             kz_err *err)
{
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n < cap)
            ids[*n] = sqlite3_column_int64(s, 0);
        (*n)++;
    }
    kz_status out = rc == SQLITE_DONE ? KZ_OK : store_db_err(st, err, "finding payouts");
    sqlite3_finalize(s);
    return out;
}

kz_status store_pay_candidates(kz_store *st, int64_t amount, const char *currency,
                               const char *tail, int with_closed, int64_t *ids, size_t cap,
                               size_t *n, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
                               "SELECT id FROM payouts WHERE amount_minor = ?1 AND currency = ?2"
                               " AND (?3 IS NULL OR substr(phone, -length(?3)) = ?3)"
                               " AND (state IN ('sending','sent','unknown')"
                               "      OR (?4 AND state IN ('failed','confirmed')))"
                               " ORDER BY state IN ('failed','confirmed'), id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, amount);
    pay_bind_text(s, 2, currency);
    pay_bind_text(s, 3, tail);
    sqlite3_bind_int(s, 4, with_closed);
    return collect_ids(st, s, ids, cap, n, err);
}

kz_status store_pay_stranded(kz_store *st, int64_t *ids, size_t cap, size_t *n, kz_err *err)
{
    sqlite3_stmt *s = pay_prep(st,
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
    sqlite3_stmt *s = pay_prep(st,
                               PAY_SELECT " WHERE ?1 IS NULL OR p.state = ?1 OR p.state = ?2"
                                          " ORDER BY p.id",
                               err);
    if (!s)
        return KZ_ERR_DB;
    pay_bind_text(s, 1, state1);
    pay_bind_text(s, 2, state2 ? state2 : state1);
    int rc;
    kz_status out = KZ_OK;
    payout p;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        pay_row_fill(s, &p);
        if (cb(ctx, &p) != 0) {
            out = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "listing payouts: stopped");
            break;
        }
    }
    if (out == KZ_OK && rc != SQLITE_DONE)
        out = store_db_err(st, err, "listing payouts");
    sqlite3_finalize(s);
    return out;
}

kz_status store_pay_requester(kz_store *st, const char *name, int64_t *id, kz_err *err)
{
    return store_requester_ensure(st, name, id, err);
}
