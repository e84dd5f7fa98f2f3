/*
 * store_query.c - read-only walks over the store for export and listings:
 * per-task results with consensus, answers, batches with progress, workers.
 * Owns: turning result rows into the plain structs of store.h. Never writes;
 * each walk is one statement, so it reads one consistent snapshot.
 */
#include "store_internal.h"

/* Text of column i, never NULL. */
static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

/* Step s to the end, calling row_fn for each row; shared loop of the walks. */
static kz_status walk(kz_store *st, sqlite3_stmt *s, int (*row_fn)(sqlite3_stmt *s, void *a),
                      void *arg, kz_err *err)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (row_fn(s, arg) != 0) {
            sqlite3_reset(s);
            return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "stopped by the caller");
        }
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store_db_err(st, err, "reading");
    return KZ_OK;
}

typedef struct results_arg {
    int (*cb)(void *ctx, const store_result_row *row);
    void *ctx;
} results_arg;

static int results_row(sqlite3_stmt *s, void *a)
{
    results_arg *ra = a;
    store_result_row r = {
        .ext_id = col_text(s, 0),
        .status = col_text(s, 1),
        .answers = sqlite3_column_int64(s, 2),
        .consensus = col_text(s, 3),
        .top_votes = sqlite3_column_int64(s, 4),
        .extra = (const char *)sqlite3_column_text(s, 5),
    };
    return ra->cb(ra->ctx, &r);
}

kz_status store_results_each(kz_store *st, int64_t batch_id,
                             int (*cb)(void *ctx, const store_result_row *row), void *ctx,
                             kz_err *err)
{
    sqlite3_stmt *s = store_stmt(st, ST_RESULTS, err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, batch_id);
    results_arg a = {cb, ctx};
    return walk(st, s, results_row, &a, err);
}

typedef struct answers_arg {
    int (*cb)(void *ctx, const store_answer_row *row);
    void *ctx;
} answers_arg;

static int answers_row(sqlite3_stmt *s, void *a)
{
    answers_arg *aa = a;
    store_answer_row r = {
        .ext_id = col_text(s, 0),
        .worker_id = sqlite3_column_int64(s, 1),
        .value = col_text(s, 2),
        .state = col_text(s, 3),
        .received_at = sqlite3_column_int64(s, 4),
    };
    return aa->cb(aa->ctx, &r);
}

kz_status store_answers_each(kz_store *st, int64_t batch_id,
                             int (*cb)(void *ctx, const store_answer_row *row), void *ctx,
                             kz_err *err)
{
    sqlite3_stmt *s = store_stmt(st, ST_ANSWERS, err);
    if (!s)
        return KZ_ERR_DB;
    sqlite3_bind_int64(s, 1, batch_id);
    answers_arg a = {cb, ctx};
    return walk(st, s, answers_row, &a, err);
}

typedef struct batches_arg {
    int (*cb)(void *ctx, const store_batch_row *row);
    void *ctx;
} batches_arg;

static int batches_row(sqlite3_stmt *s, void *a)
{
    batches_arg *ba = a;
    store_batch_row r = {
        .name = col_text(s, 0),
        .requester = col_text(s, 1),
        .state = col_text(s, 2),
        .currency = col_text(s, 3),
        .reward_minor = sqlite3_column_int64(s, 4),
        .redundancy = sqlite3_column_int64(s, 5),
        .est_seconds = sqlite3_column_int64(s, 6),
        .tasks = sqlite3_column_int64(s, 7),
        .tasks_complete = sqlite3_column_int64(s, 8),
        .answers = sqlite3_column_int64(s, 9),
        .answers_needed = sqlite3_column_int64(s, 10),
        .deadline = sqlite3_column_int64(s, 11),
        .created_at = sqlite3_column_int64(s, 12),
    };
    return ba->cb(ba->ctx, &r);
}

kz_status store_batches_each(kz_store *st, int (*cb)(void *ctx, const store_batch_row *row),
                             void *ctx, kz_err *err)
{
    sqlite3_stmt *s = store_stmt(st, ST_BATCHES, err);
    if (!s)
        return KZ_ERR_DB;
    batches_arg a = {cb, ctx};
    return walk(st, s, batches_row, &a, err);
}

typedef struct workers_arg {
    int (*cb)(void *ctx, const store_worker_row *row);
    void *ctx;
} workers_arg;

static int workers_row(sqlite3_stmt *s, void *a)
{
    workers_arg *wa = a;
    store_worker_row r = {
        .id = sqlite3_column_int64(s, 0),
        .phone = col_text(s, 1),
        .name = col_text(s, 2),
        .lang = col_text(s, 3),
        .state = col_text(s, 4),
        .answers = sqlite3_column_int64(s, 5),
        .currency = col_text(s, 6),
        .balance_minor = sqlite3_column_int64(s, 7),
        .joined_at = sqlite3_column_int64(s, 8),
    };
    return wa->cb(wa->ctx, &r);
}

kz_status store_workers_each(kz_store *st, int (*cb)(void *ctx, const store_worker_row *row),
                             void *ctx, kz_err *err)
{
    sqlite3_stmt *s = store_stmt(st, ST_WORKERS, err);
    if (!s)
        return KZ_ERR_DB;
    workers_arg a = {cb, ctx};
    return walk(st, s, workers_row, &a, err);
}
