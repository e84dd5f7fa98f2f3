/*
 * test_engine_locks.c - the task pool's row locks when several daemons share
 * one PostgreSQL database (tasks/store_engine_sql.c, eng_sql_pg): while one
 * connection's open transaction is offering a task, another connection's
 * pick skips it (no wait, no second offer past the redundancy); after the
 * first commits, the task is full and nobody gets it; a worker is never
 * offered one task twice; tasks.taken never passes tasks.wanted.
 * PostgreSQL only (KAZI_TEST_PG): on SQLite one writer at a time makes these
 * interleavings impossible, and the test says so.
 */
#include "test_engine_fixture.h"

/* A second connection to the fixture's database, as another daemon has. */
static kz_store *other(fx *f)
{
    kz_store *st = NULL;
    kz_err err;
    if (store_open(f->target, 0, &st, &err) != KZ_OK) {
        fprintf(stderr, "second connection: %s\n", err.msg);
        exit(1);
    }
    return st;
}

/* Offer worker a task through st (inside st's open transaction); the task id or 0. */
static int64_t offer_on(fx *f, kz_store *st, int64_t worker, int64_t now)
{
    engine_offer o;
    bool found = false;
    kz_err err;
    kz_status rc = engine_offer_next(st, &f->cfg, worker, now, true, &o, &found, &err);
    KT_CHECK(rc == KZ_OK, "offer: %s", err.msg);
    return found ? o.task_id : 0;
}

static void begin(kz_store *st)
{
    kz_err err;
    KT_CHECK(store_begin(st, &err) == KZ_OK, "begin: %s", err.msg);
}

static void commit(kz_store *st)
{
    kz_err err;
    KT_CHECK(store_commit(st, &err) == KZ_OK, "commit: %s", err.msg);
}

static void test_skip_locked(void)
{
    fx f;
    fx_open(&f, "locks-skip");
    int64_t b = fx_batch(&f, "skip", 1, 300);
    int64_t t1 = fx_task(&f, b, "T1", "verify", "Yes|No", NULL, 0);
    int64_t t2 = fx_task(&f, b, "T2", "verify", "Yes|No", NULL, 0);
    int64_t w1 = fx_worker(&f), w2 = fx_worker(&f);
    kz_store *st2 = other(&f);

    begin(f.st);
    int64_t a = offer_on(&f, f.st, w1, FX_T0);
    KT_CHECK(a == t1, "the first daemon offers T1 (got %lld)", (long long)a);
    begin(st2);
    int64_t c = offer_on(&f, st2, w2, FX_T0);
    KT_CHECK(c == t2, "the second skips T1, locked, and offers T2 at once (got %lld)",
             (long long)c);
    commit(st2);
    commit(f.st);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM tasks WHERE taken > wanted") == 0,
             "no task past its redundancy");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM assignments") == 2, "two offers in all");
    store_close(st2);
    fx_close(&f);
}

static void test_full_after_commit(void)
{
    fx f;
    fx_open(&f, "locks-full");
    int64_t b = fx_batch(&f, "full", 2, 300);
    int64_t t = fx_task(&f, b, "T1", "verify", "Yes|No", NULL, 0);
    int64_t w1 = fx_worker(&f), w2 = fx_worker(&f), w3 = fx_worker(&f);
    kz_store *st2 = other(&f);

    begin(f.st);
    KT_CHECK(offer_on(&f, f.st, w1, FX_T0) == t, "w1 offered T1");
    begin(st2);
    KT_CHECK(offer_on(&f, st2, w2, FX_T0) == 0, "w2: T1 is being offered elsewhere: nothing");
    commit(st2);
    commit(f.st);
    begin(st2);
    KT_CHECK(offer_on(&f, st2, w2, FX_T0 + 1) == t, "after the commit w2 gets T1 (2 wanted)");
    commit(st2);
    begin(f.st);
    KT_CHECK(offer_on(&f, f.st, w3, FX_T0 + 2) == 0, "T1 is full: w3 gets nothing");
    KT_CHECK(offer_on(&f, f.st, w1, FX_T0 + 2) == 0, "w1 never gets T1 twice");
    commit(f.st);
    KT_CHECK(fx_int(&f, "SELECT taken FROM tasks WHERE id = %lld", (long long)t) == 2,
             "taken is exactly the redundancy");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments"
                        " GROUP BY 1, 2 HAVING count(*) > 1)") == 0,
             "no (task, worker) twice");
    store_close(st2);
    fx_close(&f);
}

int main(void)
{
    if (!kt_pg_base()) {
        printf("SKIP: PostgreSQL only (set KAZI_TEST_PG; tests/integration/pg_units.sh does)\n");
        return kt_report();
    }
    test_skip_locked();
    test_full_after_commit();
    return kt_report();
}
