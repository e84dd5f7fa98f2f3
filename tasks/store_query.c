/*
 * store_query.c - read-only walks over the store for export and listings:
 * per-task results with consensus, answers, batches with progress, workers.
 * Owns: turning result rows into the plain structs of store.h. Never writes;
 * each walk is one statement, so it reads one consistent snapshot.
 */
#include "store_internal.h"

/* Text of column i, never NULL. */
static const char *col_text(db_stmt *s, int i)
{
    const unsigned char *t = db_column_text(s, i);
    return t ? (const char *)t : "";
}

/* Step s to the end, calling row_fn for each row; shared loop of the walks. */
static kz_status walk(kz_store *st, db_stmt *s, int (*row_fn)(db_stmt *s, void *a),
                      void *arg, kz_err *err)
{
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (row_fn(s, arg) != 0) {
            db_reset(s);
            return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "stopped by the caller");
        }
    }
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(st, err, "reading");
    return KZ_OK;
}

typedef struct results_arg {
    int (*cb)(void *ctx, const store_result_row *row);
    void *ctx;
} results_arg;

static int results_row(db_stmt *s, void *a)
{
    results_arg *ra = a;
    store_result_row r = {
        .ext_id = col_text(s, 0),
        .status = col_text(s, 1),
        .answers = db_column_int64(s, 2),
        .consensus = col_text(s, 3),
        .top_votes = db_column_int64(s, 4),
        .extra = (const char *)db_column_text(s, 5),
    };
    return ra->cb(ra->ctx, &r);
}

kz_status store_results_each(kz_store *st, int64_t batch_id,
                             int (*cb)(void *ctx, const store_result_row *row), void *ctx,
                             kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_RESULTS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, batch_id);
    results_arg a = {cb, ctx};
    return walk(st, s, results_row, &a, err);
}

typedef struct answers_arg {
    int (*cb)(void *ctx, const store_answer_row *row);
    void *ctx;
} answers_arg;

static int answers_row(db_stmt *s, void *a)
{
    answers_arg *aa = a;
    store_answer_row r = {
        .ext_id = col_text(s, 0),
        .worker_id = db_column_int64(s, 1),
        .value = col_text(s, 2),
        .state = col_text(s, 3),
        .received_at = db_column_int64(s, 4),
    };
    return aa->cb(aa->ctx, &r);
}

kz_status store_answers_each(kz_store *st, int64_t batch_id,
                             int (*cb)(void *ctx, const store_answer_row *row), void *ctx,
                             kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_ANSWERS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, batch_id);
    answers_arg a = {cb, ctx};
    return walk(st, s, answers_row, &a, err);
}

typedef struct batches_arg {
    int (*cb)(void *ctx, const store_batch_row *row);
    void *ctx;
} batches_arg;

static int batches_row(db_stmt *s, void *a)
{
    batches_arg *ba = a;
    store_batch_row r = {
        .name = col_text(s, 0),
        .requester = col_text(s, 1),
        .state = col_text(s, 2),
        .currency = col_text(s, 3),
        .reward_minor = db_column_int64(s, 4),
        .redundancy = db_column_int64(s, 5),
        .est_seconds = db_column_int64(s, 6),
        .tasks = db_column_int64(s, 7),
        .tasks_complete = db_column_int64(s, 8),
        .answers = db_column_int64(s, 9),
        .answers_needed = db_column_int64(s, 10),
        .deadline = db_column_int64(s, 11),
        .created_at = db_column_int64(s, 12),
    };
    return ba->cb(ba->ctx, &r);
}

kz_status store_batches_each(kz_store *st, int (*cb)(void *ctx, const store_batch_row *row),
                             void *ctx, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_BATCHES, err);
    if (!s)
        return KZ_ERR_DB;
    batches_arg a = {cb, ctx};
    return walk(st, s, batches_row, &a, err);
}

typedef struct workers_arg {
    int (*cb)(void *ctx, const store_worker_row *row);
    void *ctx;
} workers_arg;

static int workers_row(db_stmt *s, void *a)
{
    workers_arg *wa = a;
    store_worker_row r = {
        .id = db_column_int64(s, 0),
        .phone = col_text(s, 1),
        .name = col_text(s, 2),
        .lang = col_text(s, 3),
        .state = col_text(s, 4),
        .answers = db_column_int64(s, 5),
        .currency = col_text(s, 6),
        .balance_minor = db_column_int64(s, 7),
        .joined_at = db_column_int64(s, 8),
    };
    return wa->cb(wa->ctx, &r);
}

kz_status store_workers_each(kz_store *st, int (*cb)(void *ctx, const store_worker_row *row),
                             void *ctx, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_WORKERS, err);
    if (!s)
        return KZ_ERR_DB;
    workers_arg a = {cb, ctx};
    return walk(st, s, workers_row, &a, err);
}
