/*
 * store_worker.c - worker registration and the recording of answers.
 * Owns: "an answer received is an answer recorded, once": one answer per
 * worker per task, never replaced, and its assignment closed in the same
 * transaction. Never judges an answer (the engine does) and never pays.
 */
#include "store_internal.h"

#include <string.h>

/* E.164: '+', a non-zero digit, 7 to 15 digits in all. */
static int e164_valid(const char *p)
{
    if (!p || p[0] != '+' || p[1] < '1' || p[1] > '9')
        return 0;
    size_t n = 0;
    for (const char *q = p + 1; *q; q++, n++)
        if (*q < '0' || *q > '9')
            return 0;
    return n >= 7 && n <= 15;
}

kz_status store_worker_ensure(kz_store *st, const char *phone, const char *name,
                              const char *lang, int64_t *id, kz_err *err)
{
    if (!e164_valid(phone))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "'%s' is not an international number (+ and 7-15 digits)",
                          phone ? phone : "");
    kz_status found = store_find_id(st, ST_WORKER_FIND, phone, id, "finding worker", err);
    if (found != KZ_OK || *id)
        return found;
    db_stmt *s = store_stmt(st, ST_WORKER_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_text(s, 1, phone, -1, DB_STATIC);
    if (name && *name)
        db_bind_text(s, 2, name, -1, DB_STATIC);
    if (lang && *lang)
        db_bind_text(s, 3, lang, -1, DB_STATIC);
    db_bind_int64(s, 4, store_now());
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "adding worker");
    *id = db_last_insert_rowid(st->db);
    return KZ_OK;
}

/* The body of store_answer_record, run inside a transaction. */
static kz_status answer_record_tx(kz_store *st, int64_t batch_id, const char *ext_id,
                                  int64_t worker_id, const char *value, const char *raw,
                                  int64_t received_at, int64_t *answer_id, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_TASK_BY_EXT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, batch_id);
    db_bind_text(s, 2, ext_id, -1, DB_STATIC);
    int rc = db_step(s);
    int64_t task_id = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no task '%s' in batch %lld",
                          ext_id, (long long)batch_id);
    if (rc != DB_ROW)
        return store_db_err(st, err, "finding task");

    s = store_stmt(st, ST_ASSIGN_ANSWERED, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_int64(s, 2, worker_id);
    db_bind_int64(s, 3, received_at);
    rc = db_step(s);
    int64_t assignment_id = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc != DB_ROW)
        return store_db_err(st, err, "closing assignment");

    s = store_stmt(st, ST_ANSWER_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_int64(s, 2, worker_id);
    db_bind_int64(s, 3, assignment_id);
    db_bind_text(s, 4, value, -1, DB_STATIC);
    db_bind_text(s, 5, raw ? raw : value, -1, DB_STATIC);
    db_bind_int64(s, 6, received_at);
    rc = db_step(s);
    db_reset(s);
    if (rc == DB_CONSTRAINT_UNIQUE)
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                          "worker %lld already answered task '%s'", (long long)worker_id, ext_id);
    if (rc != DB_DONE)
        return store_db_err(st, err, "recording answer");
    if (answer_id)
        *answer_id = db_last_insert_rowid(st->db);
    return KZ_OK;
}

kz_status store_answer_record(kz_store *st, int64_t batch_id, const char *ext_id,
                              int64_t worker_id, const char *value, const char *raw,
                              int64_t received_at, int64_t *answer_id, kz_err *err)
{
    int own_tx = db_get_autocommit(st->db);
    if (own_tx) {
        kz_status rc = store_begin(st, err);
        if (rc != KZ_OK)
            return rc;
    }
    kz_status rc =
        answer_record_tx(st, batch_id, ext_id, worker_id, value, raw, received_at, answer_id, err);
    if (own_tx) {
        if (rc == KZ_OK)
            rc = store_commit(st, err);
        else
            store_rollback(st);
    }
    return rc;
}

kz_status store_answer_reject(kz_store *st, int64_t answer_id, const char *reason, kz_err *err)
{
    if (!reason || !*reason)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "a rejection needs a reason");
    db_stmt *s = store_stmt(st, ST_ANSWER_REJECT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    db_bind_text(s, 2, reason, -1, DB_STATIC);
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "rejecting answer");
    if (db_changes(st->db) == 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "answer %lld does not exist or cannot be rejected", (long long)answer_id);
    return KZ_OK;
}
