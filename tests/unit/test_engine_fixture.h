/*
 * test_engine_fixture.h - what the engine tests share: a fresh database in a
 * temporary directory (or a fresh PostgreSQL database: tests/db_target.h),
 * batches, tasks and workers made through the store's own functions, and a
 * second connection (tasks/db.h) to set up worker states and to check rows.
 * Never used by the product code.
 */
#ifndef KAZI_TEST_ENGINE_FIXTURE_H
#define KAZI_TEST_ENGINE_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_target.h"
#include "engine.h"
#include "harness.h"
#include "store.h"

/* Monday 3 March 2025, 10:00 in Nairobi (07:00 UTC). */
#define FX_T0 INT64_C(1740985200)
#define FX_MIN 60
#define FX_HOUR 3600
#define FX_DAY 86400

typedef struct fx {
    char dir[64];
    char path[128];
    char target[320]; /* path, or a PostgreSQL URI (KAZI_TEST_PG) */
    kz_store *st;
    db_conn *raw;
    engine_config cfg;
    int64_t requester_id, import_id;
    int nworkers;
} fx;

static inline void fx_open(fx *f, const char *name)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kazi-%s-XXXXXX", name);
    if (!mkdtemp(f->dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(f->path, sizeof f->path, "%s/kazi.db", f->dir);
    kt_db_target(f->target, sizeof f->target, f->path);
    kz_err err;
    if (store_open(f->target, STORE_OPEN_CREATE, &f->st, &err) != KZ_OK) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        exit(1);
    }
    if (db_open(f->target, 0, &f->raw) != DB_OK ||
        (!kt_pg_base() && db_exec(f->raw, "PRAGMA busy_timeout = 5000") != DB_OK)) {
        fprintf(stderr, "raw open: %s\n", db_errmsg(f->raw));
        exit(1);
    }
    engine_config_defaults(&f->cfg);
    if (store_requester_ensure(f->st, "Acme", &f->requester_id, &err) != KZ_OK) {
        fprintf(stderr, "requester: %s\n", err.msg);
        exit(1);
    }
}

static inline void fx_close(fx *f)
{
    store_close(f->st);
    db_close(f->raw);
    kt_db_target_drop(f->target);
    rmdir(f->dir);
}

/* Run printf-formatted SQL on the raw connection; fails the test on error. */
static inline void fx_sql(fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void fx_sql(fx *f, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    int rc = db_exec(f->raw, sql);
    KT_CHECK(rc == DB_OK, "%s: %s", sql, db_errmsg(f->raw));
}

/* The first column of the first row of a printf-formatted query (-1 if none). */
static inline int64_t fx_int(fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int64_t fx_int(fx *f, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    db_stmt *s = NULL;
    int64_t v = -1;
    if (db_prepare(f->raw, sql, 0, &s) == DB_OK && db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    else
        KT_CHECK(0, "%s: %s", sql, db_errmsg(f->raw));
    db_finalize(s);
    return v;
}

/* Copy the text of the first column of the first row into out. */
static inline void fx_text(fx *f, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void fx_text(fx *f, char *out, size_t cap, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    db_stmt *s = NULL;
    out[0] = '\0';
    if (db_prepare(f->raw, sql, 0, &s) == DB_OK && db_step(s) == DB_ROW &&
        db_column_text(s, 0))
        snprintf(out, cap, "%s", (const char *)db_column_text(s, 0));
    db_finalize(s);
}

/* A batch with an import record; returns its id. */
static inline int64_t fx_batch(fx *f, const char *name, int redundancy, int64_t reward_minor)
{
    store_batch b;
    memset(&b, 0, sizeof b);
    snprintf(b.name, sizeof b.name, "%s", name);
    b.requester_id = f->requester_id;
    memcpy(b.currency, "KES", 4);
    b.reward_minor = reward_minor;
    b.redundancy = redundancy;
    b.est_seconds = 30;
    char extra[] = "[]";
    b.extra_columns = extra;
    kz_err err;
    KT_CHECK(store_batch_create(f->st, &b, &err) == KZ_OK, "batch: %s", err.msg);
    KT_CHECK(store_import_begin(f->st, b.id, "test", &f->import_id, &err) == KZ_OK, "import: %s",
             err.msg);
    return b.id;
}

static inline store_text fx_t(const char *s)
{
    return (store_text){s ? s : "", s ? strlen(s) : 0};
}

/* One task (options NULL for transcribe, gold NULL for none); returns its id. */
static inline int64_t fx_task(fx *f, int64_t batch_id, const char *ext, const char *type,
                       const char *options, const char *gold, int redundancy)
{
    static int64_t line = 1;
    store_task_in t = {.batch_id = batch_id, .import_id = f->import_id, .source_line = ++line,
                       .ext_id = fx_t(ext), .type = fx_t(type), .prompt = fx_t("Is it open?"),
                       .options = fx_t(options), .gold = fx_t(gold), .redundancy = redundancy,
                       .reward_minor = -1};
    store_insert_result res;
    int64_t first = 0;
    kz_err err;
    KT_CHECK(store_task_insert(f->st, &t, &res, &first, &err) == KZ_OK && res == STORE_TASK_ADDED,
             "task %s: %s", ext, err.msg);
    return fx_int(f, "SELECT id FROM tasks WHERE batch_id = %lld AND ext_id = '%s'",
                  (long long)batch_id, ext);
}

/* A new active worker with no hours; returns its id. */
static inline int64_t fx_worker(fx *f)
{
    char phone[24];
    snprintf(phone, sizeof phone, "+2547%08d", ++f->nworkers);
    int64_t id = 0;
    kz_err err;
    KT_CHECK(store_worker_ensure(f->st, phone, NULL, NULL, &id, &err) == KZ_OK, "worker: %s",
             err.msg);
    return id;
}

/* An inbound message row from worker (for refunds once per message); returns its id. */
static inline int64_t fx_message(fx *f, int64_t worker_id, const char *body, int segments)
{
    fx_sql(f,
           "INSERT INTO messages(direction, peer, worker_id, body, segments, state, created_at,"
           " updated_at) VALUES ('in', '+254700000000', %lld, '%s', %d, 'received', 0, 0)",
           (long long)worker_id, body, segments);
    return db_last_insert_rowid(f->raw);
}

/* Offer the worker a task now (unsolicited); returns the offer's ref, 0 if none. */
static inline int fx_offer(fx *f, int64_t worker_id, int64_t now, engine_offer *o)
{
    engine_offer tmp;
    bool found = false;
    kz_err err;
    kz_status rc = engine_offer_next(f->st, &f->cfg, worker_id, now, false, o ? o : &tmp, &found,
                                     &err);
    KT_CHECK(rc == KZ_OK, "offer: %s", err.msg);
    return found ? (o ? o : &tmp)->ref : 0;
}

/* Answer ref with text (no message); returns the outcome. */
static inline engine_answer_status fx_answer(fx *f, int64_t worker_id, int ref, const char *text,
                                      int64_t now, engine_answer_result *r)
{
    engine_answer_result tmp;
    kz_err err;
    kz_status rc = engine_answer(f->st, &f->cfg, worker_id, ref, text, 0, 0, now, r ? r : &tmp,
                                 &err);
    KT_CHECK(rc == KZ_OK, "answer: %s", err.msg);
    return (r ? r : &tmp)->status;
}

#endif
