/*
 * test_store_memory.c - tasks/store_memory.c: the page-cache setting made
 * before the first connection, and store_release_memory giving back an idle
 * connection's statements and unused cache pages while the store keeps
 * working (statements prepared again on their next use) and a statement in
 * the middle of a step is left alone.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "queue_store.h"
#include "store.h"
#include "store_fixture.h"
#include "store_memory.h"

#define WORKERS 400

static char tmpdir[] = "/tmp/kazi-test-store-memory-XXXXXX";

static void phone_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "+2547%08d", 10000000 + i);
}

/* The workers' ids, WORKERS of them; false (reported) on the first failure. */
static bool add_workers(kz_store *st, int64_t *ids)
{
    kz_err err;
    for (int i = 0; i < WORKERS; i++) {
        char phone[32];
        phone_of(i, phone, sizeof phone);
        if (store_worker_ensure(st, phone, NULL, NULL, &ids[i], &err) != KZ_OK) {
            KT_CHECK(0, "worker %d: %s", i, err.msg);
            return false;
        }
    }
    return true;
}

typedef struct walk {
    kz_store *st;
    kz_queue *q;
    int rows;
    bool released;
    kz_status release_rc;
} walk;

/* Half way through the walk, release: the walk's own statement is mid-step. */
static int walk_row(void *ctx, const store_worker_row *row)
{
    walk *w = ctx;
    (void)row;
    if (++w->rows == WORKERS / 2 && !w->released) {
        w->released = true;
        w->release_rc = store_release_memory(w->st, w->q, NULL, NULL);
    }
    return 0;
}

static void test_release(void)
{
    char path[256];
    db_path(path, sizeof path, tmpdir, "memory");
    kz_store *st = NULL;
    kz_queue *q = NULL;
    kz_err err;
    KT_CHECK(store_open(path, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "open: %s", err.msg);
    KT_CHECK(st && qstore_open(st, &q, &err) == KZ_OK, "queue: %s", err.msg);
    if (!st || !q) {
        qstore_close(q);
        store_close(st);
        return;
    }
    static int64_t ids[WORKERS];
    add_workers(st, ids);
    int64_t waiting = -1;
    KT_CHECK(qstore_inbox_waiting(q, &waiting, &err) == KZ_OK && waiting == 0, "waiting %" PRId64,
             waiting);

    store_memory_use before, freed, after;
    KT_CHECK(store_memory_use_get(st, &before, &err) == KZ_OK, "use: %s", err.msg);
    KT_CHECK(before.stmts > 0 && before.cache > 0 && before.schema > 0,
             "before: stmts %zu cache %zu schema %zu", before.stmts, before.cache, before.schema);

    /* a statement mid-step survives a release, and the walk sees every row */
    walk w = {.st = st, .q = q};
    KT_CHECK(store_workers_each(st, walk_row, &w, &err) == KZ_OK, "walk: %s", err.msg);
    KT_CHECK(w.released && w.release_rc == KZ_OK, "release inside the walk: %d", w.release_rc);
    KT_CHECK(w.rows == WORKERS, "walk saw %d of %d workers", w.rows, WORKERS);

    KT_CHECK(store_memory_use_get(st, &before, &err) == KZ_OK, "use: %s", err.msg);
    KT_CHECK(store_release_memory(st, q, &freed, &err) == KZ_OK, "release: %s", err.msg);
    KT_CHECK(store_memory_use_get(st, &after, &err) == KZ_OK, "use: %s", err.msg);
    KT_CHECK(after.stmts == 0, "statements left after an idle release: %zu bytes", after.stmts);
    KT_CHECK(freed.stmts == before.stmts && freed.stmts > 0, "freed %zu of %zu statement bytes",
             freed.stmts, before.stmts);
    KT_CHECK(after.cache < before.cache && freed.cache == before.cache - after.cache,
             "cache %zu -> %zu, freed %zu", before.cache, after.cache, freed.cache);
    KT_CHECK(after.schema == before.schema, "schema %zu -> %zu", before.schema, after.schema);

    /* the store works on: statements are prepared again, the same rows found */
    int64_t id = 0;
    char phone[32];
    phone_of(WORKERS - 1, phone, sizeof phone);
    KT_CHECK(store_worker_ensure(st, phone, NULL, NULL, &id, &err) == KZ_OK &&
                 id == ids[WORKERS - 1],
             "worker after release: %" PRId64 " want %" PRId64 " (%s)", id, ids[WORKERS - 1],
             err.msg);
    phone_of(WORKERS, phone, sizeof phone);
    KT_CHECK(store_worker_ensure(st, phone, NULL, NULL, &id, &err) == KZ_OK &&
                 id > ids[WORKERS - 1],
             "new worker after release: %" PRId64 " (%s)", id, err.msg);
    waiting = -1;
    KT_CHECK(qstore_inbox_waiting(q, &waiting, &err) == KZ_OK && waiting == 0,
             "queue after release: %" PRId64 " (%s)", waiting, err.msg);
    KT_CHECK(raw_int(path, "SELECT count(*) FROM workers") == WORKERS + 1, "workers stored");
    qstore_close(q);
    store_close(st);
}

int main(void)
{
    kz_err err;
    /* first, before anything in this process has used SQLite */
    KT_CHECK(store_memory_setup(&err) == KZ_OK, "setup: %s", err.msg);
    if (fixture_dir_make(tmpdir) != 0)
        return 1;
    test_release();
    KT_CHECK(store_memory_setup(&err) == KZ_ERR_STATE && strstr(err.msg, "already"),
             "setup after SQLite started: %s", err.msg);
    fixture_dir_remove(tmpdir);
    return kt_report();
}
