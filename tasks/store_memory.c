/*
 * store_memory.c - SQLite's memory settings for the store and the release of
 * an idle connection's statements and unused page cache (store_memory.h).
 * Owns: the sqlite3_config call made before the first connection. Never
 * touches the data; never finalizes a statement that is mid-step (it would
 * lose its rows); never logs.
 */
#include "store_memory.h"

#include "store_queue_internal.h"

#include <sqlite3.h>

kz_status store_memory_setup(kz_err *err)
{
    /* pMem NULL and N 0: no per-connection bulk of pages (sqlite3_config(3)). */
    if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0) != SQLITE_OK)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "SQLite is already initialised: page-cache setting unchanged");
    return KZ_OK;
}

static kz_status db_status(kz_store *st, int op, size_t *out, kz_err *err)
{
    int cur = 0, hi = 0;
    if (sqlite3_db_status(db_sqlite(st->db), op, &cur, &hi, 0) != SQLITE_OK || cur < 0)
        return kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "sqlite3_db_status(%d) failed", op);
    *out = (size_t)cur;
    return KZ_OK;
}

kz_status store_memory_use_get(kz_store *st, store_memory_use *out, kz_err *err)
{
    *out = (store_memory_use){0};
    if (!db_sqlite(st->db)) /* PostgreSQL: the server holds the cache */
        return KZ_OK;
    kz_status rc = db_status(st, SQLITE_DBSTATUS_CACHE_USED, &out->cache, err);
    if (rc == KZ_OK)
        rc = db_status(st, SQLITE_DBSTATUS_SCHEMA_USED, &out->schema, err);
    if (rc == KZ_OK)
        rc = db_status(st, SQLITE_DBSTATUS_STMT_USED, &out->stmts, err);
    return rc;
}

/* Finalize the n cached statements at s that are not mid-step; NULL their slots. */
static void drop_stmts(db_stmt **s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] && !db_stmt_busy(s[i])) {
            db_finalize(s[i]);
            s[i] = NULL;
        }
    }
}

static void drop_pay_stmts(kz_store *st)
{
    for (size_t i = 0; i < STORE_PAY_STMTS; i++) {
        if (st->pay[i].stmt && !db_stmt_busy(st->pay[i].stmt)) {
            db_finalize(st->pay[i].stmt);
            st->pay[i] = (store_pay_stmt){0}; /* a free slot again */
        }
    }
}

static size_t shrank(size_t before, size_t after)
{
    return before > after ? before - after : 0;
}

kz_status store_release_memory(kz_store *st, kz_queue *q, store_memory_use *freed, kz_err *err)
{
    store_memory_use before, after;
    if (freed)
        *freed = (store_memory_use){0};
    if (!db_sqlite(st->db)) /* PostgreSQL: statements live on the server; keep them */
        return KZ_OK;
    kz_status rc = store_memory_use_get(st, &before, err);
    if (rc != KZ_OK)
        return rc;
    drop_stmts(st->stmt, ST__COUNT);
    drop_stmts(st->eng, STORE_ENGINE_STMTS);
    drop_stmts(st->conv, STORE_CONV_STMTS);
    drop_pay_stmts(st);
    if (q)
        drop_stmts(q->slot, QSTORE_SLOTS);
    if (sqlite3_db_release_memory(db_sqlite(st->db)) != SQLITE_OK)
        return store_db_err(st, err, "releasing the page cache");
    rc = store_memory_use_get(st, &after, err);
    if (rc == KZ_OK && freed) {
        freed->cache = shrank(before.cache, after.cache);
        freed->schema = shrank(before.schema, after.schema);
        freed->stmts = shrank(before.stmts, after.stmts);
    }
    return rc;
}
