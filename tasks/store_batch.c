/*
 * store_batch.c - requesters, batches, import records and task rows.
 * Owns: the rule that a task id is unique within its batch and that
 * re-importing a row is a no-op (compared, never overwritten). Never decides
 * whether a row is valid: csv_import.c validates before calling here.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

static int bind_text(db_stmt *s, int i, store_text t, int null_if_empty)
{
    if (null_if_empty && t.n == 0)
        return db_bind_null(s, i);
    return db_bind_text(s, i, t.p ? t.p : "", (int)t.n, DB_STATIC);
}

kz_status store_requester_ensure(kz_store *st, const char *name, int64_t *id, kz_err *err)
{
    kz_status found = store_find_id(st, ST_REQ_FIND, name, id, "finding requester", err);
    if (found != KZ_OK || *id)
        return found;
    db_stmt *s = store_stmt(st, ST_REQ_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_text(s, 1, name, -1, DB_STATIC);
    db_bind_int64(s, 2, store_now());
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "adding requester");
    *id = db_last_insert_rowid(st->db);
    return KZ_OK;
}

void store_batch_clear(store_batch *b)
{
    if (!b)
        return;
    free(b->extra_columns);
    b->extra_columns = NULL;
}

kz_status store_batch_get(kz_store *st, const char *name, store_batch *b, kz_err *err)
{
    memset(b, 0, sizeof *b);
    db_stmt *s = store_stmt(st, ST_BATCH_GET, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_text(s, 1, name, -1, DB_STATIC);
    int rc = db_step(s);
    if (rc == DB_DONE) {
        db_reset(s);
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no batch named '%s'", name);
    }
    if (rc != DB_ROW) {
        db_reset(s);
        return store_db_err(st, err, "reading batch");
    }
    b->id = db_column_int64(s, 0);
    b->requester_id = db_column_int64(s, 1);
    store_col_copy(s, 2, b->name, sizeof b->name);
    store_col_copy(s, 3, b->requester, sizeof b->requester);
    store_col_copy(s, 4, b->currency, sizeof b->currency);
    b->reward_minor = db_column_int64(s, 5);
    b->redundancy = db_column_int(s, 6);
    b->est_seconds = db_column_int(s, 7);
    b->deadline = db_column_int64(s, 8);
    store_col_copy(s, 9, b->state, sizeof b->state);
    b->created_at = db_column_int64(s, 10);
    const unsigned char *x = db_column_text(s, 11);
    size_t xn = (size_t)db_column_bytes(s, 11);
    b->extra_columns = malloc(xn + 1);
    if (!b->extra_columns) {
        db_reset(s);
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    if (xn)
        memcpy(b->extra_columns, x, xn);
    b->extra_columns[xn] = '\0';
    db_reset(s);
    return KZ_OK;
}

kz_status store_batch_create(kz_store *st, store_batch *b, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_BATCH_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_text(s, 1, b->name, -1, DB_STATIC);
    db_bind_int64(s, 2, b->requester_id);
    db_bind_text(s, 3, b->currency, -1, DB_STATIC);
    db_bind_int64(s, 4, b->reward_minor);
    db_bind_int(s, 5, b->redundancy);
    db_bind_int(s, 6, b->est_seconds);
    db_bind_int64(s, 7, b->deadline);
    db_bind_text(s, 8, b->extra_columns ? b->extra_columns : "[]", -1, DB_STATIC);
    b->created_at = store_now();
    db_bind_int64(s, 9, b->created_at);
    int rc = db_step(s);
    db_reset(s);
    if (rc == DB_CONSTRAINT_UNIQUE)
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "a batch named '%s' exists", b->name);
    if (rc != DB_DONE)
        return store_db_err(st, err, "creating batch");
    b->id = db_last_insert_rowid(st->db);
    return KZ_OK;
}

kz_status store_import_begin(kz_store *st, int64_t batch_id, const char *source,
                             int64_t *import_id, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_IMPORT_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, batch_id);
    db_bind_text(s, 2, source, -1, DB_STATIC);
    db_bind_int64(s, 3, store_now());
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "recording import");
    *import_id = db_last_insert_rowid(st->db);
    return KZ_OK;
}

kz_status store_import_finish(kz_store *st, int64_t import_id, int64_t added, int64_t unchanged,
                              int64_t rejected, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_IMPORT_FINISH, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, import_id);
    db_bind_int64(s, 2, added);
    db_bind_int64(s, 3, unchanged);
    db_bind_int64(s, 4, rejected);
    db_bind_int64(s, 5, store_now());
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "finishing import");
    return KZ_OK;
}

/* Bind the content columns shared by ST_TASK_INSERT and ST_TASK_EXISTING (?3..?9). */
static void bind_content(db_stmt *s, const store_task_in *t)
{
    bind_text(s, 3, t->type, 0);
    bind_text(s, 4, t->prompt, 0);
    bind_text(s, 5, t->options, 1);
    bind_text(s, 6, t->gold, 1);
    if (t->redundancy > 0)
        db_bind_int(s, 7, t->redundancy);
    else
        db_bind_null(s, 7);
    if (t->reward_minor >= 0)
        db_bind_int64(s, 8, t->reward_minor);
    else
        db_bind_null(s, 8);
    bind_text(s, 9, t->extra, 1);
}

kz_status store_task_insert(kz_store *st, const store_task_in *t, store_insert_result *res,
                            int64_t *first_line, kz_err *err)
{
    *first_line = 0;
    db_stmt *s = store_stmt(st, ST_TASK_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, t->batch_id);
    bind_text(s, 2, t->ext_id, 0);
    bind_content(s, t);
    db_bind_int64(s, 10, t->import_id);
    db_bind_int64(s, 11, t->source_line);
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "inserting task");
    if (db_changes(st->db) == 1) {
        *res = STORE_TASK_ADDED;
        return KZ_OK;
    }
    /* The id exists in this batch: same import (duplicate), or compare content. */
    s = store_stmt(st, ST_TASK_EXISTING, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, t->batch_id);
    bind_text(s, 2, t->ext_id, 0);
    bind_content(s, t);
    rc = db_step(s);
    if (rc != DB_ROW) {
        db_reset(s);
        return store_db_err(st, err, "comparing task");
    }
    int64_t imp = db_column_int64(s, 0);
    *first_line = db_column_int64(s, 1);
    int same = db_column_int(s, 2);
    db_reset(s);
    if (imp == t->import_id)
        *res = STORE_TASK_DUPLICATE;
    else
        *res = same ? STORE_TASK_UNCHANGED : STORE_TASK_CONFLICT;
    return KZ_OK;
}
