/*
 * test_store_check.c - store_check and store_backup (tasks/store_check.c,
 * tasks/store_backup.c): a clean database has no problem; each kind of row
 * pointing nowhere, written with foreign keys off on a raw connection (which
 * is why this test includes sqlite3.h), gives its exact line; an unknown
 * schema version and a zeroed index page are reported; a backup copies every
 * row and checks the copy. With KAZI_TEST_PG the checks of rows and versions
 * run on fresh PostgreSQL databases (store_fixture.h); the file's mode, its
 * pages and the backup are SQLite's own and are skipped there.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "store.h"
#include "store_check.h"
#include "store_fixture.h"

static char tmpdir[] = "/tmp/kazi-test-check-XXXXXX";

#define MAX_LINES 32

typedef struct lines {
    size_t n;
    char line[MAX_LINES][256];
} lines;

static void collect(void *ctx, const char *problem)
{
    lines *l = ctx;
    if (l->n < MAX_LINES)
        snprintf(l->line[l->n++], sizeof l->line[0], "%s", problem);
}

static int has_line(const lines *l, const char *want)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->line[i], want) == 0)
            return 1;
    return 0;
}

static void print_lines(const lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, "  got: %s\n", l->line[i]);
}

/* A small consistent world: one of each row the orphan checks look at. */
static const char fixture[] =
    "INSERT INTO requesters(id, name, created_at) VALUES (1, 'Acme', 1);"
    "INSERT INTO batches(id, name, requester_id, currency, reward_minor, redundancy, est_seconds,"
    " created_at) VALUES (1, 'b', 1, 'KES', 300, 1, 60, 1);"
    "INSERT INTO imports(id, batch_id, source, started_at) VALUES (1, 1, 't.csv', 1);"
    "INSERT INTO tasks(id, batch_id, ext_id, type, prompt, options, import_id, source_line)"
    " VALUES (1, 1, 't1', 'verify', 'Open?', 'Yes|No', 1, 2);"
    "INSERT INTO workers(id, phone, joined_at) VALUES (1, '+254711000001', 1);"
    "INSERT INTO messages(id, direction, peer, worker_id, body, state, created_at, updated_at)"
    " VALUES (1, 'in', '+254711000001', 1, '1 1', 'handled', 1, 1),"
    " (2, 'out', '+254711000001', 1, 'Thanks', 'queued', 1, 1);"
    "INSERT INTO outbox_parts(id, message_id, seq, total, pdu_hex, tpdu_len, updated_at)"
    " VALUES (1, 2, 1, 1, '0011', 2, 1);"
    "INSERT INTO assignments(id, task_id, worker_id, ref, state, offered_at, due_at, closed_at)"
    " VALUES (1, 1, 1, 1, 'answered', 1, 2, 2);"
    "INSERT INTO answers(id, task_id, worker_id, assignment_id, message_id, value, raw,"
    " received_at) VALUES (1, 1, 1, 1, 1, 'Yes', '1 1', 2);"
    "INSERT INTO ledger_entries(id, worker_id, kind, amount_minor, currency, answer_id,"
    " created_at) VALUES (1, 1, 'reward', 300, 'KES', 1, 2);";

static void make_db(const char *path)
{
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_open(path, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "create: %s", err.msg);
    store_close(st);
    int rc = raw_exec_fk_off(path, fixture);
    KT_CHECK(rc == SQLITE_OK, "fixture: %s", sqlite3_errstr(rc));
}

/* Run store_check on path (opened without migrating) into *l; returns its status. */
static kz_status check(const char *path, unsigned flags, lines *l)
{
    memset(l, 0, sizeof *l);
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    if (store_open(path, STORE_OPEN_NO_MIGRATE, &st, &err) != KZ_OK) {
        KT_CHECK(0, "open %s: %s", path, err.msg);
        return err.status;
    }
    size_t n = 99;
    kz_status rc = store_check(st, flags, collect, l, &n, &err);
    KT_CHECK(rc != KZ_OK || n == l->n, "count %zu, lines %zu", n, l->n);
    store_close(st);
    return rc;
}

static void test_clean(void)
{
    char path[320];
    fixture_target(path, sizeof path, tmpdir, "clean");
    make_db(path);
    lines l;
    KT_CHECK(check(path, 0, &l) == KZ_OK && l.n == 0, "clean database: %zu problems", l.n);
    if (l.n)
        print_lines(&l);
    KT_CHECK(check(path, STORE_CHECK_QUICK, &l) == KZ_OK && l.n == 0, "quick: %zu", l.n);
    if (kt_pg_base()) {
        printf("SKIP (SQLite only): the new database file's mode\n");
        kt_db_target_drop(path);
        return;
    }
    struct stat sb;
    KT_CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "new database mode %o",
             (unsigned)(sb.st_mode & 0777));
}

typedef struct orphan_case {
    const char *sql;  /* run with foreign keys off on the fixture */
    const char *line; /* the exact line store_check must report */
} orphan_case;

static const orphan_case orphans[] = {
    {"INSERT INTO answers(id, task_id, worker_id, value, raw, received_at)"
     " VALUES (7, 99, 1, 'No', '1 2', 3)",
     "orphan: answers row 7: task_id points to no row of tasks"},
    {"INSERT INTO answers(id, task_id, worker_id, value, raw, received_at)"
     " VALUES (8, 1, 42, 'No', '1 2', 3)",
     "orphan: answers row 8: worker_id points to no row of workers"},
    {"INSERT INTO assignments(id, task_id, worker_id, ref, state, offered_at, due_at)"
     " VALUES (5, 1, 42, 2, 'offered', 1, 2)",
     "orphan: assignments row 5: worker_id points to no row of workers"},
    {"INSERT INTO assignments(id, task_id, worker_id, ref, state, offered_at, due_at)"
     " VALUES (6, 77, 1, 3, 'offered', 1, 2)",
     "orphan: assignments row 6: task_id points to no row of tasks"},
    {"INSERT INTO outbox_parts(id, message_id, seq, total, pdu_hex, tpdu_len, updated_at)"
     " VALUES (9, 55, 1, 1, '0011', 2, 1)",
     "orphan: outbox_parts row 9: message_id points to no row of messages"},
    {"INSERT INTO outbox_parts(id, message_id, seq, total, pdu_hex, tpdu_len, updated_at)"
     " VALUES (10, 1, 1, 1, '0011', 2, 1)",
     "orphan: outbox_parts row 10: message_id 1 is an inbound message"},
    {"INSERT INTO ledger_entries(id, worker_id, kind, amount_minor, currency, payout_id,"
     " created_at) VALUES (20, 1, 'adjustment', 5, 'KES', 123, 3)",
     "orphan: ledger_entries row 20: payout_id points to no row of payouts"},
    {"INSERT INTO ledger_entries(id, worker_id, kind, amount_minor, currency, answer_id,"
     " created_at) VALUES (21, 1, 'adjustment', 5, 'KES', 321, 3)",
     "orphan: ledger_entries row 21: answer_id points to no row of answers"},
    {"INSERT INTO ledger_entries(id, worker_id, kind, amount_minor, currency, created_at)"
     " VALUES (22, 1, 'reward', 5, 'KES', 3)",
     "orphan: ledger_entries row 22: a reward entry with no answer_id"},
    {"INSERT INTO ledger_entries(id, requester_id, kind, amount_minor, currency, answer_id,"
     " created_at) VALUES (23, 1, 'hold', -5, 'KES', 1, 3)",
     "orphan: ledger_entries row 23: a hold entry with no worker_id"},
    {"INSERT INTO ledger_entries(id, worker_id, kind, amount_minor, currency, created_at)"
     " VALUES (24, 1, 'sms_refund', 5, 'KES', 3)",
     "orphan: ledger_entries row 24: an sms_refund entry with neither answer_id nor message_id"},
    {"INSERT INTO payouts(id, worker_id, amount_minor, currency, phone, state, idempotency_key,"
     " created_at, updated_at) VALUES (3, 42, 100, 'KES', '+254711000042', 'requested', 'k3', 1, 1)",
     "orphan: payouts row 3: worker_id points to no row of workers"},
    {"INSERT INTO retainer_days(retainer_id, day, ledger_id) VALUES (9, '2024-01-01', 1)",
     "orphan: retainer_days (without rowid): retainer_id points to no row of retainers"},
    {"DELETE FROM tasks WHERE id = 1",
     "orphan: assignments row 1: task_id points to no row of tasks"},
};

/*
 * A broken foreign key: PostgreSQL enforces them always, and store_check
 * leaves them to it (SQLite's PRAGMA foreign_key_check finds them there).
 */
static int fk_case(const orphan_case *c)
{
    return strstr(c->line, "points to no row of") != NULL;
}

static void test_orphans_one_by_one(void)
{
    if (kt_pg_base())
        printf("SKIP (SQLite only): rows breaking a foreign key (PRAGMA foreign_key_check)\n");
    for (size_t i = 0; i < sizeof orphans / sizeof orphans[0]; i++) {
        if (kt_pg_base() && fk_case(&orphans[i]))
            continue;
        char path[320];
        fixture_target(path, sizeof path, tmpdir, "orphan");
        make_db(path);
        int rc = raw_exec_fk_off(path, orphans[i].sql);
        KT_CHECK(rc == SQLITE_OK, "case %zu: %s", i, sqlite3_errstr(rc));
        lines l;
        KT_CHECK(check(path, 0, &l) == KZ_OK, "case %zu ran", i);
        KT_CHECK(has_line(&l, orphans[i].line), "case %zu: want \"%s\"", i, orphans[i].line);
        if (!has_line(&l, orphans[i].line))
            print_lines(&l);
        kt_db_target_drop(path);
    }
}

static void test_orphans_together(void)
{
    char path[320];
    fixture_target(path, sizeof path, tmpdir, "together");
    make_db(path);
    size_t all = sizeof orphans / sizeof orphans[0] - 1; /* all but the DELETE */
    size_t n = 0, found = 0;
    for (size_t i = 0; i < all; i++) {
        if (kt_pg_base() && fk_case(&orphans[i]))
            continue; /* as in test_orphans_one_by_one */
        raw_exec_fk_off(path, orphans[i].sql);
        n++;
    }
    lines l;
    KT_CHECK(check(path, 0, &l) == KZ_OK, "together ran");
    for (size_t i = 0; i < all; i++)
        found += (size_t)has_line(&l, orphans[i].line);
    KT_CHECK(found == n, "found %zu of %zu lines", found, n);
    /* The bad payout_id row also names no worker problem; each row once per broken link. */
    KT_CHECK(l.n == n, "%zu lines for %zu broken rows", l.n, n);
    if (l.n != n)
        print_lines(&l);
    kt_db_target_drop(path);
}

static void test_schema_versions(void)
{
    char path[320], want[160];
    fixture_target(path, sizeof path, tmpdir, "future");
    make_db(path);
    raw_exec_fk_off(path, kt_pg_base() ? "UPDATE meta SET value = '99' WHERE key = 'schema_version'"
                                       : "PRAGMA user_version = 99");
    lines l;
    KT_CHECK(check(path, 0, &l) == KZ_OK && l.n == 1, "future: %zu lines", l.n);
    snprintf(want, sizeof want,
             "schema: version 99 is newer than this kazi knows (%d): use a newer kazi",
             store_schema_latest());
    KT_STREQ(l.n ? l.line[0] : "", want, "newer schema");
    kt_db_target_drop(path);

    fixture_target(path, sizeof path, tmpdir, "empty");
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_open(path, STORE_OPEN_CREATE | STORE_OPEN_NO_MIGRATE, &st, &err) == KZ_OK,
             "empty: %s", err.msg);
    store_close(st);
    KT_CHECK(check(path, 0, &l) == KZ_OK && l.n == 1, "empty: %zu lines", l.n);
    KT_STREQ(l.n ? l.line[0] : "", "schema: version 0: not a kazi database (no migrations applied)",
             "version 0");
    kt_db_target_drop(path);
}

/* Zero the page of an index: integrity_check must say so. */
static void test_integrity(void)
{
    if (kt_pg_base()) {
        printf("SKIP (SQLite only): a zeroed index page and integrity_check\n");
        return;
    }
    char path[256];
    db_path(path, sizeof path, tmpdir, "corrupt");
    make_db(path);
    int64_t page = raw_int(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'answers_worker'");
    int64_t size = raw_int(path, "PRAGMA page_size");
    KT_CHECK(page > 1 && size >= 512, "index page %lld of %lld bytes", (long long)page,
             (long long)size);
    int fd = open(path, O_WRONLY);
    char *zero = calloc(1, (size_t)size);
    KT_CHECK(fd >= 0 && zero && pwrite(fd, zero, (size_t)size, (page - 1) * size) == size,
             "zeroing page %lld", (long long)page);
    free(zero);
    if (fd >= 0)
        close(fd);
    lines l;
    kz_status rc = check(path, 0, &l);
    KT_CHECK(l.n >= 1 && strncmp(l.line[0], "integrity: ", 11) == 0, "integrity line (status %d)",
             (int)rc);
    if (l.n == 0 || strncmp(l.line[0], "integrity: ", 11) != 0)
        print_lines(&l);
}

static void test_backup(void)
{
    if (kt_pg_base()) {
        printf("SKIP (SQLite only): store_backup's online copy of the file\n");
        return;
    }
    char path[256], copy[256];
    db_path(path, sizeof path, tmpdir, "live");
    db_path(copy, sizeof copy, tmpdir, "copy");
    make_db(path);
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_open(path, 0, &st, &err) == KZ_OK, "open: %s", err.msg);
    store_backup_info info;
    KT_CHECK(store_backup(st, copy, 1, &info, &err) == KZ_OK, "backup: %s", err.msg);
    KT_CHECK(info.pages > 10 && info.page_size >= 512, "pages %lld of %lld",
             (long long)info.pages, (long long)info.page_size);
    KT_CHECK(info.schema_version == store_schema_latest(), "copy version %d",
             info.schema_version);
    KT_CHECK(raw_int(copy, "SELECT count(*) FROM ledger_entries") == 1 &&
                 raw_int(copy, "SELECT count(*) FROM outbox_parts") == 1,
             "rows copied");
    lines l;
    KT_CHECK(check(copy, 0, &l) == KZ_OK && l.n == 0, "the copy checks clean: %zu", l.n);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.db", tmpdir);
    KT_CHECK(store_backup(st, bad, 0, &info, &err) == KZ_ERR_DB && strstr(err.msg, bad),
             "unwritable destination named: %s", err.msg);
    store_close(st);
}

int main(void)
{
    if (fixture_dir_make(tmpdir) != 0)
        return 1;
    test_clean();
    test_orphans_one_by_one();
    test_orphans_together();
    test_schema_versions();
    test_integrity();
    test_backup();
    fixture_dir_remove(tmpdir);
    return kt_report();
}
