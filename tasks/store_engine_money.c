/*
 * store_engine_money.c - the engine's SQL for money and appeals: ledger
 * entries, an answer's money, rejection and acceptance, appeals, balances,
 * accuracy and the appeals listing.
 * Owns: those rows. Never computes an amount (the engine does) and never
 * changes a ledger entry (the table is append-only); never opens a transaction.
 */
#include "store_engine_internal.h"

#include <stddef.h>
#include <string.h>

kz_status store_eng_ledger_add(kz_store *st, const store_eng_entry *e, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_LEDGER_ADD, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, e->worker_id);
    db_bind_text(s, 2, e->kind, -1, DB_STATIC);
    db_bind_int64(s, 3, e->amount_minor);
    db_bind_text(s, 4, e->currency, -1, DB_STATIC);
    db_bind_int64(s, 5, e->answer_id);
    db_bind_int64(s, 6, e->message_id);
    store_eng_bind_text(s, 7, e->memo);
    db_bind_int64(s, 8, e->at);
    return store_eng_exec(st, s, "writing a ledger entry", err);
}

kz_status store_eng_answer_get(kz_store *st, int64_t answer_id, store_eng_answer_info *out,
                                kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_ANSWER_INFO, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    int rc = db_step(s);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof *out);
        out->id = answer_id;
        out->task_id = db_column_int64(s, 0);
        out->worker_id = db_column_int64(s, 1);
        out->assignment_id = db_column_int64(s, 2);
        out->ref = db_column_int(s, 3);
        store_col_copy(s, 4, out->state, sizeof out->state);
        out->late = db_column_int(s, 5);
        out->received_at = db_column_int64(s, 6);
        out->rejected_at = db_column_int64(s, 7);
        out->reward_minor = db_column_int64(s, 8);
        store_col_copy(s, 9, out->currency, sizeof out->currency);
        out->hold_minor = db_column_int64(s, 10);
        out->release_minor = db_column_int64(s, 11);
    }
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no answer %lld",
                          (long long)answer_id);
    if (rc != DB_ROW)
        return store_db_err(st, err, "reading an answer");
    return KZ_OK;
}

kz_status store_eng_answer_reject(kz_store *st, int64_t answer_id, const char *reason,
                                  int64_t now, int *changed, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_ANSWER_REJECT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    db_bind_text(s, 2, reason, -1, DB_STATIC);
    db_bind_int64(s, 3, now);
    kz_status rc = store_eng_exec(st, s, "rejecting an answer", err);
    *changed = rc == KZ_OK && db_changes(st->db) > 0;
    return rc;
}

kz_status store_eng_answer_unreject(kz_store *st, int64_t answer_id, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_ANSWER_UNREJECT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    return store_eng_exec(st, s, "accepting an answer", err);
}

kz_status store_eng_auto_accept(kz_store *st, int64_t before, size_t *n, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_AUTO_ACCEPT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, before);
    kz_status rc = store_eng_exec(st, s, "accepting answers", err);
    if (n)
        *n = rc == KZ_OK ? (size_t)db_changes(st->db) : 0;
    return rc;
}

/* Step s, expecting at most one row with one integer; *v = 0 when there is none. */
static kz_status one_int(kz_store *st, db_stmt *s, int64_t *v, const char *what,
                         kz_err *err)
{
    int rc = db_step(s);
    *v = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, what);
    return KZ_OK;
}

kz_status store_eng_rejected_by_ref(kz_store *st, int64_t worker_id, int ref,
                                    int64_t *answer_id, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_REJECTED_BY_REF, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_int(s, 2, ref);
    return one_int(st, s, answer_id, "finding a rejected answer", err);
}

kz_status store_eng_appeal_count(kz_store *st, int64_t answer_id, int64_t *n, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_APPEAL_COUNT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    return one_int(st, s, n, "counting appeals", err);
}

kz_status store_eng_appeal_insert(kz_store *st, int64_t answer_id, int64_t worker_id,
                                  const char *reason, int64_t now, int64_t *appeal_id,
                                  kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_APPEAL_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    db_bind_int64(s, 2, worker_id);
    db_bind_text(s, 3, reason, -1, DB_STATIC);
    db_bind_int64(s, 4, now);
    kz_status rc = store_eng_exec(st, s, "opening an appeal", err);
    if (rc == KZ_OK && appeal_id)
        *appeal_id = db_last_insert_rowid(st->db);
    return rc;
}

kz_status store_eng_appeal_get(kz_store *st, int64_t appeal_id, store_eng_appeal *out,
                               kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_APPEAL_GET, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, appeal_id);
    int rc = db_step(s);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof *out);
        out->id = appeal_id;
        out->answer_id = db_column_int64(s, 0);
        out->worker_id = db_column_int64(s, 1);
        store_col_copy(s, 2, out->state, sizeof out->state);
    }
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no appeal %lld",
                          (long long)appeal_id);
    if (rc != DB_ROW)
        return store_db_err(st, err, "reading an appeal");
    return KZ_OK;
}

kz_status store_eng_appeal_decide(kz_store *st, int64_t appeal_id, const char *state,
                                  const char *reviewer, const char *decision, int64_t now,
                                  int *changed, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_APPEAL_DECIDE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, appeal_id);
    db_bind_text(s, 2, state, -1, DB_STATIC);
    store_eng_bind_text(s, 3, reviewer);
    db_bind_text(s, 4, decision, -1, DB_STATIC);
    db_bind_int64(s, 5, now);
    kz_status rc = store_eng_exec(st, s, "deciding an appeal", err);
    *changed = rc == KZ_OK && db_changes(st->db) > 0;
    return rc;
}

/* Which field of store_eng_sums a ledger kind adds to (NULL for unknown kinds). */
static int64_t *sum_slot(store_eng_sums *o, const char *kind)
{
    static const struct {
        const char *kind;
        size_t off;
    } slots[] = {
        {"reward", offsetof(store_eng_sums, reward)},
        {"sms_refund", offsetof(store_eng_sums, sms_refund)},
        {"retainer", offsetof(store_eng_sums, retainer)},
        {"payout", offsetof(store_eng_sums, payout)},
        {"payout_fee", offsetof(store_eng_sums, payout_fee)},
        {"payout_reversal", offsetof(store_eng_sums, payout_reversal)},
        {"hold", offsetof(store_eng_sums, hold)},
        {"release", offsetof(store_eng_sums, release)},
        {"adjustment", offsetof(store_eng_sums, adjustment)},
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (strcmp(kind, slots[i].kind) == 0)
            return (int64_t *)((char *)o + slots[i].off);
    return NULL;
}

kz_status store_eng_sums_get(kz_store *st, int64_t worker_id, const char *currency,
                             store_eng_sums *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    db_stmt *s = store_eng_stmt(st, SE_SUMS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_text(s, 2, currency, -1, DB_STATIC);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const unsigned char *k = db_column_text(s, 0);
        int64_t v = db_column_int64(s, 1);
        int64_t *slot = k ? sum_slot(out, (const char *)k) : NULL;
        if (slot)
            *slot += v;
        out->all += v;
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "summing the ledger");
    return KZ_OK;
}

kz_status store_eng_held(kz_store *st, int64_t worker_id, const char *currency,
                         int64_t window_since, int64_t *held, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_HELD, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_text(s, 2, currency, -1, DB_STATIC);
    db_bind_int64(s, 3, window_since);
    return one_int(st, s, held, "summing held money", err);
}

kz_status store_eng_accuracy(kz_store *st, int64_t worker_id, int64_t out[5], kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_ACCURACY, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    int rc = db_step(s);
    for (int i = 0; i < 5; i++)
        out[i] = rc == DB_ROW ? db_column_int64(s, i) : 0;
    db_reset(s);
    if (rc != DB_ROW)
        return store_db_err(st, err, "reading accuracy");
    return KZ_OK;
}

/* Text of column i, never NULL. */
static const char *col_text(db_stmt *s, int i)
{
    const unsigned char *t = db_column_text(s, i);
    return t ? (const char *)t : "";
}

kz_status store_eng_appeals_each(kz_store *st, int open_only,
                                 int (*cb)(void *ctx, const store_eng_appeal_row *r),
                                 void *ctx, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_APPEALS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int(s, 1, open_only ? 1 : 0);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        store_eng_appeal_row r = {
            .id = db_column_int64(s, 0),
            .answer_id = db_column_int64(s, 1),
            .worker_id = db_column_int64(s, 2),
            .phone = col_text(s, 3),
            .batch = col_text(s, 4),
            .ext_id = col_text(s, 5),
            .value = col_text(s, 6),
            .reject_reason = col_text(s, 7),
            .reason = col_text(s, 8),
            .state = col_text(s, 9),
            .reviewer = col_text(s, 10),
            .decision = col_text(s, 11),
            .opened_at = db_column_int64(s, 12),
            .decided_at = db_column_int64(s, 13),
            .held_minor = db_column_int64(s, 14),
            .currency = col_text(s, 15),
        };
        if (cb(ctx, &r) != 0) {
            db_reset(s);
            return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "stopped by the caller");
        }
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "listing appeals");
    return KZ_OK;
}
