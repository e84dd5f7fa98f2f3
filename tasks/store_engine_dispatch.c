/*
 * store_engine_dispatch.c - the engine's SQL for dispatch: workers, the task
 * pool, refs, offers, expiry and the push walk.
 * Owns: turning those rows into store_engine.h structs. Never decides who is
 * eligible beyond what one WHERE clause says; never opens a transaction.
 */
#include "store_engine_internal.h"

#include <string.h>

kz_status store_eng_worker_get(kz_store *st, int64_t worker_id, store_eng_worker *w, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_WORKER_GET, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    int rc = db_step(s);
    if (rc == DB_ROW) {
        memset(w, 0, sizeof *w);
        w->id = worker_id;
        store_col_copy(s, 0, w->state, sizeof w->state);
        w->paused_until = db_column_int64(s, 1);
        w->has_hours = db_column_int(s, 2);
        w->hours_from = db_column_int(s, 3);
        w->hours_to = db_column_int(s, 4);
        w->open_offers = db_column_int64(s, 5);
        w->total_offers = db_column_int64(s, 6);
    }
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no worker %lld",
                          (long long)worker_id);
    if (rc != DB_ROW)
        return store_db_err(st, err, "reading worker");
    return KZ_OK;
}

/* The columns of TASK_COLS (store_engine_sql.c) of the current row into *t. */
static void task_row(db_stmt *s, store_eng_task *t)
{
    memset(t, 0, sizeof *t);
    t->batch_id = db_column_int64(s, 0);
    t->requester_id = db_column_int64(s, 1);
    store_col_copy(s, 2, t->requester, sizeof t->requester);
    store_col_copy(s, 3, t->batch, sizeof t->batch);
    store_col_copy(s, 4, t->type, sizeof t->type);
    store_col_copy(s, 5, t->state, sizeof t->state);
    store_col_copy(s, 6, t->prompt, sizeof t->prompt);
    store_col_copy(s, 7, t->options, sizeof t->options);
    t->has_gold = db_column_int(s, 8);
    store_col_copy(s, 9, t->gold, sizeof t->gold);
    t->est_seconds = db_column_int(s, 10);
    t->reward_minor = db_column_int64(s, 11);
    store_col_copy(s, 12, t->currency, sizeof t->currency);
    t->redundancy = db_column_int(s, 13);
    t->wanted = db_column_int(s, 14);
    t->taken = db_column_int(s, 15);
    t->id = db_column_int64(s, 16);
}

kz_status store_eng_pick_task(kz_store *st, int64_t worker_id, int gold, store_eng_task *t,
                              kz_err *err)
{
    t->id = 0;
    db_stmt *s = store_eng_stmt(st, gold ? SE_PICK_GOLD : SE_PICK_POOL, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    int rc = db_step(s);
    if (rc == DB_ROW)
        task_row(s, t);
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, "choosing a task");
    return KZ_OK;
}

kz_status store_eng_refs_busy(kz_store *st, int64_t worker_id, int64_t since,
                              int64_t rest_since, unsigned char busy[STORE_ENG_REF_BITMAP],
                              kz_err *err)
{
    memset(busy, 0, STORE_ENG_REF_BITMAP);
    db_stmt *s = store_eng_stmt(st, SE_REFS_BUSY, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_int64(s, 2, since);
    db_bind_int64(s, 3, rest_since);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        int r = db_column_int(s, 0);
        if (r >= 0 && r < STORE_ENG_REF_BITMAP * 8)
            busy[r / 8] |= (unsigned char)(1u << (r % 8));
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "reading refs");
    return KZ_OK;
}

kz_status store_eng_offer_insert(kz_store *st, int64_t task_id, int64_t worker_id, int ref,
                                 int64_t now, int64_t due, int64_t *assignment_id, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_OFFER_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_int64(s, 2, worker_id);
    db_bind_int(s, 3, ref);
    db_bind_int64(s, 4, now);
    db_bind_int64(s, 5, due);
    kz_status rc = store_eng_exec(st, s, "offering a task", err);
    if (rc == KZ_OK && assignment_id)
        *assignment_id = db_last_insert_rowid(st->db);
    return rc;
}

kz_status store_eng_task_get(kz_store *st, int64_t task_id, store_eng_task *t, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_TASK_GET, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    int rc = db_step(s);
    if (rc == DB_ROW)
        task_row(s, t);
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no task %lld", (long long)task_id);
    if (rc != DB_ROW)
        return store_db_err(st, err, "reading task");
    return KZ_OK;
}

static void assign_row(db_stmt *s, store_eng_assign *a)
{
    memset(a, 0, sizeof *a);
    a->id = db_column_int64(s, 0);
    a->task_id = db_column_int64(s, 1);
    a->ref = db_column_int(s, 2);
    store_col_copy(s, 3, a->state, sizeof a->state);
    a->offered_at = db_column_int64(s, 4);
    a->due_at = db_column_int64(s, 5);
    a->extensions = db_column_int(s, 6);
}

kz_status store_eng_open_offer(kz_store *st, int64_t worker_id, int ref, store_eng_assign *a,
                               int *count, kz_err *err)
{
    *count = 0;
    db_stmt *s = store_eng_stmt(st, SE_OPEN_OFFER, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_int(s, 2, ref);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*count == 0)
            assign_row(s, a);
        (*count)++;
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "finding an offer");
    return KZ_OK;
}

kz_status store_eng_expired_offer(kz_store *st, int64_t worker_id, int ref, int64_t since,
                                  store_eng_assign *a, int *found, kz_err *err)
{
    return store_eng_closed_offer(st, worker_id, ref, "expired", since, a, found, err);
}

kz_status store_eng_closed_offer(kz_store *st, int64_t worker_id, int ref, const char *state,
                                 int64_t since, store_eng_assign *a, int *found, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_EXPIRED_OFFER, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_int(s, 2, ref);
    db_bind_int64(s, 3, since);
    db_bind_text(s, 4, state, -1, DB_STATIC);
    int rc = db_step(s);
    *found = rc == DB_ROW;
    if (*found)
        assign_row(s, a);
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, "finding an expired offer");
    return KZ_OK;
}

kz_status store_eng_offer_close(kz_store *st, int64_t assignment_id, const char *state,
                                int64_t now, int *changed, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_OFFER_CLOSE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, assignment_id);
    db_bind_text(s, 2, state, -1, DB_STATIC);
    db_bind_int64(s, 3, now);
    kz_status rc = store_eng_exec(st, s, "closing an offer", err);
    if (changed)
        *changed = rc == KZ_OK && db_changes(st->db) > 0;
    return rc;
}

kz_status store_eng_offer_extend(kz_store *st, int64_t assignment_id, int64_t new_due,
                                 kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_OFFER_EXTEND, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, assignment_id);
    db_bind_int64(s, 2, new_due);
    return store_eng_exec(st, s, "extending an offer", err);
}

kz_status store_eng_expire(kz_store *st, int64_t now, size_t *n, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_EXPIRE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, now);
    kz_status rc = store_eng_exec(st, s, "expiring offers", err);
    if (n)
        *n = rc == KZ_OK ? (size_t)db_changes(st->db) : 0;
    return rc;
}

kz_status store_eng_push_candidates(kz_store *st, int64_t now, int minute, int max_open,
                                    int64_t recent_since,
                                    int (*cb)(void *ctx, int64_t worker_id), void *ctx,
                                    kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_PUSH, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, now);
    db_bind_int(s, 2, minute);
    db_bind_int(s, 3, max_open);
    db_bind_int64(s, 4, recent_since);
    int rc;
    while ((rc = db_step(s)) == DB_ROW)
        if (cb(ctx, db_column_int64(s, 0)) != 0)
            break;
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, "listing workers to offer to");
    return KZ_OK;
}
