/*
 * store_engine_answer.c - the engine's SQL for answers and results: recording
 * an answer, reading a task's counted votes, marking agreement, writing the
 * result and the task's state and wanted count, listing and settling the
 * tasks in review.
 * Owns: those rows. Never judges an answer or decides a consensus (the
 * engine does); never opens a transaction.
 */
#include "store_engine_internal.h"

#include <string.h>

kz_status store_eng_answered(kz_store *st, int64_t task_id, int64_t worker_id, int *exists,
                             kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_ANSWERED, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_int64(s, 2, worker_id);
    int rc = db_step(s);
    *exists = rc == DB_ROW;
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, "looking for an answer");
    return KZ_OK;
}

kz_status store_eng_answer_insert(kz_store *st, const store_eng_answer_in *a,
                                  int64_t *answer_id, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_ANSWER_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->task_id);
    db_bind_int64(s, 2, a->worker_id);
    db_bind_int64(s, 3, a->assignment_id);
    db_bind_int64(s, 4, a->message_id);
    db_bind_text(s, 5, a->value, -1, DB_STATIC);
    db_bind_text(s, 6, a->raw ? a->raw : a->value, -1, DB_STATIC);
    db_bind_int(s, 7, a->late ? 1 : 0);
    db_bind_int64(s, 8, a->at);
    kz_status rc = store_eng_exec(st, s, "recording an answer", err);
    if (rc == KZ_OK && answer_id)
        *answer_id = db_last_insert_rowid(st->db);
    return rc;
}

kz_status store_eng_votes(kz_store *st, int64_t task_id,
                          int (*cb)(void *ctx, int64_t answer_id, const char *value), void *ctx,
                          kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_VOTES, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const unsigned char *v = db_column_text(s, 1);
        if (cb(ctx, db_column_int64(s, 0), v ? (const char *)v : "") != 0) {
            db_reset(s);
            return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory reading votes");
        }
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "reading answers");
    return KZ_OK;
}

kz_status store_eng_answer_agrees(kz_store *st, int64_t answer_id, int agrees, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_AGREES, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    db_bind_int(s, 2, agrees ? 1 : 0);
    return store_eng_exec(st, s, "marking agreement", err);
}

kz_status store_eng_result_put(kz_store *st, const store_eng_result *r, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_RESULT_PUT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, r->task_id);
    db_bind_text(s, 2, r->state, -1, DB_STATIC);
    store_eng_bind_text(s, 3, r->consensus);
    db_bind_int(s, 4, r->votes);
    db_bind_int(s, 5, r->answers);
    db_bind_int(s, 6, r->agreement);
    db_bind_int64(s, 7, r->at);
    return store_eng_exec(st, s, "recording a result", err);
}

kz_status store_eng_task_state(kz_store *st, int64_t task_id, const char *state, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_TASK_STATE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_text(s, 2, state, -1, DB_STATIC);
    return store_eng_exec(st, s, "setting task state", err);
}

kz_status store_eng_task_wanted(kz_store *st, int64_t task_id, int wanted, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_TASK_WANTED, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_int(s, 2, wanted);
    return store_eng_exec(st, s, "asking for more answers", err);
}

kz_status store_eng_result_get(kz_store *st, int64_t task_id, store_eng_result_row *out,
                               kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_RESULT_GET, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    int rc = db_step(s);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof *out);
        store_col_copy(s, 0, out->state, sizeof out->state);
        store_col_copy(s, 1, out->consensus, sizeof out->consensus);
        out->votes = db_column_int(s, 2);
        out->answers = db_column_int(s, 3);
        out->agreement = db_column_int(s, 4);
        out->wanted = db_column_int(s, 5);
    }
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no task %lld", (long long)task_id);
    if (rc != DB_ROW)
        return store_db_err(st, err, "reading a result");
    return KZ_OK;
}

kz_status store_eng_review_each(kz_store *st,
                                int (*cb)(void *ctx, const store_eng_review_row *r), void *ctx,
                                kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_REVIEW_LIST, err);
    if (!s)
        return KZ_ERR_DB;
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        store_eng_review_row r = {
            .task_id = db_column_int64(s, 0),
            .batch = (const char *)db_column_text(s, 1),
            .ext_id = (const char *)db_column_text(s, 2),
            .type = (const char *)db_column_text(s, 3),
            .prompt = (const char *)db_column_text(s, 4),
            .options = (const char *)db_column_text(s, 5),
            .flagged_at = db_column_int64(s, 6),
        };
        if (!r.batch || !r.ext_id || !r.type || !r.prompt || !r.options) {
            rc = DB_NOMEM;
            break;
        }
        if (cb(ctx, &r) != 0) {
            rc = DB_DONE;
            break;
        }
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "listing tasks in review");
    return KZ_OK;
}

kz_status store_eng_result_settle(kz_store *st, const store_eng_result *r, const char *reviewer,
                                  int *changed, kz_err *err)
{
    db_stmt *s = store_eng_stmt(st, SE_RESULT_SETTLE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, r->task_id);
    store_eng_bind_text(s, 2, r->consensus);
    db_bind_int(s, 3, r->votes);
    db_bind_int(s, 4, r->answers);
    db_bind_int(s, 5, r->agreement);
    store_eng_bind_text(s, 6, reviewer && *reviewer ? reviewer : NULL);
    db_bind_int64(s, 7, r->at);
    kz_status rc = store_eng_exec(st, s, "settling a task in review", err);
    *changed = rc == KZ_OK && db_changes(st->db) > 0;
    return rc;
}
