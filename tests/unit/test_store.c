/*
 * test_store.c - the store (tasks/store*.c) and its small helpers: opening,
 * migrations, the connection settings, the invariants the schema enforces
 * (checked with raw SQL through tasks/db.h, and for the SQLite-only parts
 * sqlite3.h), answers and consensus, and money, pay floor, task message and
 * pseudonym helpers. With KAZI_TEST_PG the store's parts run on fresh
 * PostgreSQL databases (store_fixture.h); migrations from old versions, the
 * journal mode and the schema's text are SQLite's own and are skipped there.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "money.h"
#include "payfloor.h"
#include "pseudonym.h"
#include "store.h"
#include "store_fixture.h"
#include "task_msg.h"

static char tmpdir[] = "/tmp/kazi-test-store-XXXXXX";

/* PostgreSQL: the schema made on open, the secret kept, a newer schema refused. */
static void test_open_pg(void)
{
    char target[320];
    fixture_target(target, sizeof target, tmpdir, "open");
    kz_store *st = NULL;
    kz_err err;
    KT_CHECK(store_open(target, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "create: %s", err.msg);
    KT_CHECK(store_schema_version(st) == store_schema_latest(), "latest version %d",
             store_schema_version(st));
    char secret[80] = "", again[80] = "";
    KT_CHECK(store_secret(st, secret, sizeof secret, &err) == KZ_OK && strlen(secret) == 64,
             "secret: %s", secret);
    store_close(st);
    KT_CHECK(store_open(target, 0, &st, &err) == KZ_OK, "reopen: %s", err.msg);
    store_secret(st, again, sizeof again, &err);
    KT_STREQ(again, secret, "secret survives reopen");
    store_close(st);
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE meta SET value = '%d' WHERE key = 'schema_version'",
             store_schema_latest() + 1);
    KT_CHECK(raw_exec(target, sql) == DB_OK, "a newer version");
    st = NULL;
    KT_CHECK(store_open(target, 0, &st, &err) == KZ_ERR_STATE && strstr(err.msg, "newer") &&
                 st == NULL,
             "newer schema: %s", err.msg);
    kt_db_target_drop(target);
}

static void test_open_and_migrate(void)
{
    if (kt_pg_base()) {
        printf("SKIP (SQLite only): opening a missing file, migrations step by step\n");
        test_open_pg();
        return;
    }
    char path[256];
    db_path(path, sizeof path, tmpdir, "open");
    kz_store *st = NULL;
    kz_err err;
    KT_CHECK(store_open(path, 0, &st, &err) == KZ_ERR_NOTFOUND && st == NULL,
             "missing file without CREATE");
    KT_CHECK(access(path, F_OK) != 0, "store_open without CREATE made a file");
    KT_CHECK(store_open(path, STORE_OPEN_CREATE | STORE_OPEN_NO_MIGRATE, &st, &err) == KZ_OK,
             "create: %s", err.msg);
    KT_CHECK(store_schema_version(st) == 0, "fresh version %d", store_schema_version(st));
    KT_CHECK(store_migrate(st, 1, &err) == KZ_OK && store_schema_version(st) == 1, "step 1");
    KT_CHECK(store_migrate(st, -1, &err) == KZ_OK &&
                 store_schema_version(st) == store_schema_latest(),
             "all steps");
    KT_CHECK(store_migrate(st, -1, &err) == KZ_OK, "migrating twice is a no-op");
    char secret[80];
    KT_CHECK(store_secret(st, secret, sizeof secret, &err) == KZ_OK && strlen(secret) == 64,
             "secret: %s", secret);
    store_close(st);
    KT_CHECK(store_open(path, 0, &st, &err) == KZ_OK, "reopen: %s", err.msg);
    char again[80];
    store_secret(st, again, sizeof again, &err);
    KT_STREQ(again, secret, "secret survives reopen");
    store_close(st);
    /* a file from a newer kazi is refused, not damaged */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_latest() + 1);
    raw_exec(path, sql);
    KT_CHECK(store_open(path, 0, &st, &err) == KZ_ERR_STATE && strstr(err.msg, "newer"),
             "newer schema: %s", err.msg);
    store_close(NULL);
}

/* Tables whose definition has an IN list of three or more values. */
static int64_t long_in_lists(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t n = 0;
    sqlite3_open(path, &db);
    sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE type = 'table'", -1, &s, NULL);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(s, 0);
        int found = 0;
        while (p && (p = strstr(p, " IN ")) != NULL) {
            p += 4;
            while (*p == ' ')
                p++;
            const char *close = *p == '(' ? strchr(p, ')') : NULL;
            int commas = 0;
            for (const char *q = p; close && q < close; q++)
                commas += *q == ',';
            found |= commas >= 2;
        }
        n += found;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/*
 * Migration 8 rewrites the tables' CHECK IN lists in place: a file with
 * rows from version 7 must come out whole, with the same rules enforced.
 */
static void test_checks_rewrite(void)
{
    if (kt_pg_base()) {
        printf("SKIP (SQLite only): migration 8's rewrite of a version 7 file\n");
        return;
    }
    char path[256];
    db_path(path, sizeof path, tmpdir, "checks");
    kz_store *st = NULL;
    kz_err err;
    KT_CHECK(store_open(path, STORE_OPEN_CREATE | STORE_OPEN_NO_MIGRATE, &st, &err) == KZ_OK,
             "create: %s", err.msg);
    if (!st)
        return;
    KT_CHECK(store_migrate(st, 7, &err) == KZ_OK, "to 7: %s", err.msg);
    store_close(st);
    KT_CHECK(raw_exec(path, "INSERT INTO messages(direction, peer, body, state, created_at,"
                            " updated_at) VALUES ('out', '+254712345678', 'hi', 'queued', 1, 1)") ==
                 SQLITE_OK,
             "a version 7 row");
    int64_t before = long_in_lists(path);
    KT_CHECK(before > 5, "version 7 has IN lists of three or more (%lld)", (long long)before);
    KT_CHECK(store_open(path, 0, &st, &err) == KZ_OK, "open migrates: %s", err.msg);
    KT_CHECK(store_schema_version(st) == store_schema_latest(), "latest");
    store_close(st);
    KT_CHECK(long_in_lists(path) == 0, "no IN list of three or more left in a table");
    KT_CHECK(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'tasks_wanted_init'") ==
                 0,
             "the wanted trigger is gone");
    KT_CHECK(raw_int(path, "SELECT count(*) FROM pragma_integrity_check"
                           " WHERE integrity_check <> 'ok'") == 0,
             "integrity_check after the rewrite");
    KT_CHECK(raw_int(path, "SELECT count(*) FROM messages WHERE state = 'queued'") == 1,
             "the row survived");
    KT_CHECK(raw_exec(path, "UPDATE messages SET state = 'bogus'") == SQLITE_CONSTRAINT,
             "a state outside the set is still refused");
    KT_CHECK(raw_exec(path, "UPDATE messages SET state = 'received'") == SQLITE_CONSTRAINT,
             "an inbound state on an outbound message is still refused");
    KT_CHECK(raw_exec(path, "UPDATE messages SET state = 'unknown'") == SQLITE_OK,
             "a state in the set is accepted");
}

/* The journal mode is WAL (SQLite only). */
static void check_wal(const char *path)
{
    if (kt_pg_base()) {
        printf("SKIP (SQLite only): WAL journal mode\n");
        return;
    }
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
    KT_CHECK(sqlite3_step(s) == SQLITE_ROW &&
                 strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0,
             "WAL mode");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_invariants(void)
{
    char path[320];
    fixture_target(path, sizeof path, tmpdir, "inv");
    kz_store *st = NULL;
    kz_err err;
    KT_CHECK(store_open(path, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "open: %s", err.msg);
    if (!st)
        return;
    check_wal(path);

    int64_t req, wid;
    KT_CHECK(store_requester_ensure(st, "Acme", &req, &err) == KZ_OK, "requester");
    int64_t req2;
    store_requester_ensure(st, "Acme", &req2, &err);
    KT_CHECK(req == req2, "requester_ensure finds the existing one");
    KT_CHECK(store_worker_ensure(st, "0712345678", NULL, NULL, &wid, &err) == KZ_ERR_INVALID,
             "local number refused");
    KT_CHECK(store_worker_ensure(st, "+254712345678", "Amina", "sw", &wid, &err) == KZ_OK,
             "worker: %s", err.msg);
    store_close(st);

    /* foreign keys are on: a task for a missing batch is refused */
    KT_CHECK(raw_exec(path, "INSERT INTO tasks(batch_id, ext_id, type, prompt, options, import_id,"
                            " source_line) VALUES (99, 'x', 'verify', 'p', 'Yes|No', 1, 1)") ==
                 DB_CONSTRAINT,
             "foreign key on tasks");
    /* the ledger is append-only */
    KT_CHECK(raw_exec(path, "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency,"
                            " created_at) VALUES (1, 'reward', 300, 'KES', 0)") == DB_OK,
             "ledger insert");
    KT_CHECK(raw_exec(path, "UPDATE ledger_entries SET amount_minor = 1") == DB_CONSTRAINT,
             "ledger update refused");
    KT_CHECK(raw_exec(path, "DELETE FROM ledger_entries") == DB_CONSTRAINT,
             "ledger delete refused");
    KT_CHECK(raw_exec(path, "INSERT INTO ledger_entries(kind, amount_minor, currency, created_at)"
                            " VALUES ('reward', 1, 'KES', 0)") == DB_CONSTRAINT,
             "ledger entry needs a party");
    /* message states follow their direction */
    KT_CHECK(raw_exec(path, "INSERT INTO messages(direction, peer, body, state, created_at,"
                            " updated_at) VALUES ('in', '+1', 'x', 'queued', 0, 0)") ==
                 DB_CONSTRAINT,
             "inbound message cannot be queued");
    KT_CHECK(raw_exec(path, "INSERT INTO workers(phone, joined_at) VALUES ('+2547abc', 0)") ==
                 DB_CONSTRAINT,
             "phone CHECK");
    kt_db_target_drop(path);
}

/* Build a batch of three tasks through the store functions. */
static int64_t make_batch(kz_store *st, int64_t *requester)
{
    kz_err err;
    store_batch b;
    memset(&b, 0, sizeof b);
    store_requester_ensure(st, "Acme", requester, &err);
    b.requester_id = *requester;
    snprintf(b.name, sizeof b.name, "b1");
    snprintf(b.currency, sizeof b.currency, "KES");
    b.reward_minor = 300;
    b.redundancy = 3;
    b.est_seconds = 30;
    b.extra_columns = (char *)"[\"site\"]";
    KT_CHECK(store_batch_create(st, &b, &err) == KZ_OK, "batch: %s", err.msg);
    store_batch dup = b;
    KT_CHECK(store_batch_create(st, &dup, &err) == KZ_ERR_BUSY, "duplicate batch name");
    int64_t imp;
    store_import_begin(st, b.id, "test", &imp, &err);
    const char *ids[] = {"t1", "t2", "t3"};
    for (int i = 0; i < 3; i++) {
        store_task_in t = {.batch_id = b.id, .import_id = imp, .source_line = i + 2,
                           .ext_id = {ids[i], 2}, .type = {"verify", 6}, .prompt = {"Open?", 5},
                           .options = {"Yes|No", 6}, .reward_minor = -1, .extra = {"[\"x\"]", 5}};
        store_insert_result r;
        int64_t first;
        KT_CHECK(store_task_insert(st, &t, &r, &first, &err) == KZ_OK && r == STORE_TASK_ADDED,
                 "task %d", i);
        KT_CHECK(store_task_insert(st, &t, &r, &first, &err) == KZ_OK &&
                     r == STORE_TASK_DUPLICATE && first == i + 2,
                 "duplicate in the same import");
    }
    return b.id;
}

typedef struct got {
    int n;
    char consensus[3][16];
    char status[3][16];
    int64_t answers[3], top[3];
} got;

static int result_cb(void *ctx, const store_result_row *r)
{
    got *g = ctx;
    if (g->n < 3) {
        snprintf(g->consensus[g->n], 16, "%s", r->consensus);
        snprintf(g->status[g->n], 16, "%s", r->status);
        g->answers[g->n] = r->answers;
        g->top[g->n] = r->top_votes;
    }
    g->n++;
    return 0;
}

static void test_answers_consensus(void)
{
    char path[320];
    fixture_target(path, sizeof path, tmpdir, "ans");
    kz_store *st = NULL;
    kz_err err;
    KT_CHECK(store_open(path, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "open");
    if (!st)
        return;
    int64_t req;
    int64_t batch = make_batch(st, &req);
    int64_t w[4];
    const char *phones[] = {"+254700000001", "+254700000002", "+254700000003", "+254700000004"};
    for (int i = 0; i < 4; i++)
        store_worker_ensure(st, phones[i], NULL, NULL, &w[i], &err);
    /* t1: Yes, Yes, No -> Yes 2/3 complete; t2: Yes, No -> tie; t3: none */
    int64_t a1 = 0, ax;
    KT_CHECK(store_answer_record(st, batch, "t1", w[0], "Yes", "1", 100, &a1, &err) == KZ_OK,
             "answer: %s", err.msg);
    store_answer_record(st, batch, "t1", w[1], "Yes", "1", 101, NULL, &err);
    store_answer_record(st, batch, "t1", w[2], "No", "2", 102, NULL, &err);
    store_answer_record(st, batch, "t2", w[0], "Yes", "1", 103, NULL, &err);
    store_answer_record(st, batch, "t2", w[1], "No", "2", 104, NULL, &err);
    KT_CHECK(store_answer_record(st, batch, "t1", w[0], "No", "2", 105, &ax, &err) == KZ_ERR_BUSY,
             "an answer is never replaced");
    KT_CHECK(store_answer_record(st, batch, "zz", w[0], "No", "2", 105, &ax, &err) ==
                 KZ_ERR_NOTFOUND,
             "unknown task");
    got g = {0};
    KT_CHECK(store_results_each(st, batch, result_cb, &g, &err) == KZ_OK && g.n == 3, "walk");
    KT_STREQ(g.consensus[0], "Yes", "t1 consensus");
    KT_CHECK(g.answers[0] == 3 && g.top[0] == 2, "t1 2 of 3");
    KT_STREQ(g.status[0], "complete", "t1 status");
    KT_STREQ(g.consensus[1], "", "t2 tie has no consensus");
    KT_STREQ(g.status[1], "partial", "t2 status");
    KT_STREQ(g.status[2], "pending", "t3 status");
    /* a rejected answer stops counting */
    KT_CHECK(store_answer_reject(st, a1, "", &err) == KZ_ERR_INVALID, "reason required");
    KT_CHECK(store_answer_reject(st, a1, "photo shows another shop", &err) == KZ_OK, "reject");
    KT_CHECK(store_answer_reject(st, a1, "again", &err) == KZ_ERR_STATE, "reject twice");
    memset(&g, 0, sizeof g);
    store_results_each(st, batch, result_cb, &g, &err);
    KT_CHECK(g.answers[0] == 2 && g.top[0] == 0 && strcmp(g.consensus[0], "") == 0,
             "t1 after rejection: %lld answers, consensus '%s'", (long long)g.answers[0],
             g.consensus[0]);
    /* an answer inside the caller's transaction rolls back with it */
    KT_CHECK(store_begin(st, &err) == KZ_OK, "begin");
    store_answer_record(st, batch, "t3", w[3], "Yes", "1", 106, NULL, &err);
    store_rollback(st);
    memset(&g, 0, sizeof g);
    store_results_each(st, batch, result_cb, &g, &err);
    KT_CHECK(g.answers[2] == 0, "rolled-back answer is gone");
    store_close(st);
    KT_CHECK(raw_int(path, "SELECT count(*) FROM assignments WHERE state = 'answered'") == 5,
             "assignments closed as answered");
    kt_db_target_drop(path);
}

static void test_money(void)
{
    int64_t m = -1;
    kz_err err;
    KT_CHECK(money_parse("3", 1, "KES", &m, &err) == KZ_OK && m == 300, "3");
    KT_CHECK(money_parse("2.5", 3, "KES", &m, &err) == KZ_OK && m == 250, "2.5");
    KT_CHECK(money_parse("KSh 1,200.00", 12, "KES", &m, &err) == KZ_OK && m == 120000, "KSh");
    KT_CHECK(money_parse("KES3", 4, "KES", &m, &err) == KZ_OK && m == 300, "KES3");
    KT_CHECK(money_parse("3.005", 5, "KES", &m, &err) == KZ_ERR_INVALID, "3 decimals");
    KT_CHECK(money_parse("-3", 2, "KES", &m, &err) == KZ_ERR_INVALID, "negative");
    KT_CHECK(money_parse("", 0, "KES", &m, &err) == KZ_ERR_INVALID, "empty");
    KT_CHECK(money_parse("1e3", 3, "KES", &m, &err) == KZ_ERR_INVALID, "exponent");
    KT_CHECK(money_parse("99999999999999999999", 20, "KES", &m, &err) == KZ_ERR_RANGE, "huge");
    KT_CHECK(money_parse("500", 3, "UGX", &m, &err) == KZ_OK && m == 500, "UGX has no cents");
    char b[32];
    money_format(b, sizeof b, 300, "KES", 0);
    KT_STREQ(b, "KSh 3.00", "format");
    money_format(b, sizeof b, 300, "KES", 1);
    KT_STREQ(b, "KSh3", "compact");
    money_format(b, sizeof b, 250, "KES", 1);
    KT_STREQ(b, "KSh2.50", "compact cents");
    money_format(b, sizeof b, -120, "KES", 0);
    KT_STREQ(b, "-KSh 1.20", "negative");

    payfloor_policy p = PAYFLOOR_KES_DEFAULT;
    KT_CHECK(payfloor_min_reward(&p, 30, 1) == 204, "min reward 30 s");
    KT_CHECK(payfloor_check(&p, 300, 30, 1, &err) == KZ_OK, "KSh 3 for 30 s passes");
    KT_CHECK(payfloor_check(&p, 204, 30, 1, &err) == KZ_OK, "exact minimum passes");
    KT_CHECK(payfloor_check(&p, 203, 30, 1, &err) == KZ_ERR_RANGE, "one cent less fails");
    KT_CHECK(payfloor_check(&p, 100, 30, 1, &err) == KZ_ERR_RANGE &&
                 strstr(err.msg, "does not cover"),
             "below SMS cost: %s", err.msg);
}

static void test_task_msg(void)
{
    task_msg m = {.ref = 42, .type = TASK_VERIFY, .requester = "Acme",
                  .prompt = "Is the shop open?", .prompt_len = 17,
                  .options = "Yes| No |Closed", .options_len = 15, .est_seconds = 30,
                  .reward_minor = 300, .currency = "KES"};
    char out[TASK_MSG_CAP];
    size_t len;
    KT_CHECK(task_msg_format(&m, out, sizeof out, &len, NULL) == KZ_OK, "format");
    KT_STREQ(out, "#42 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. Reply 42 N",
             "verify message");
    KT_CHECK(len == strlen(out), "length");
    KT_CHECK(task_msg_segments(&m) == 1, "fits one SMS");
    m.type = TASK_TRANSCRIBE;
    m.est_seconds = 150;
    m.reward_minor = 550;
    task_msg_format(&m, out, sizeof out, &len, NULL);
    KT_STREQ(out, "#42 Acme: Is the shop open? ~3min KSh5.50. Reply 42 TEXT", "transcribe");
    char small[20];
    KT_CHECK(task_msg_format(&m, small, sizeof small, &len, NULL) == KZ_ERR_NOSPACE, "nospace");
    KT_CHECK(task_type_parse("Choice", 6) == TASK_CHOICE && task_type_parse("verif", 5) < 0,
             "type names");
}

static void test_pseudonym(void)
{
    /* SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e */
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    KT_CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL, "SipHash test vector");
    KT_CHECK(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL, "SipHash empty message");
    char a[PSEUDONYM_LEN], b[PSEUDONYM_LEN], c[PSEUDONYM_LEN];
    const char *secret = "000102030405060708090a0b0c0d0e0f";
    pseudonym_worker(secret, 1, 7, a);
    pseudonym_worker(secret, 1, 7, b);
    pseudonym_worker(secret, 2, 7, c);
    KT_STREQ(a, b, "stable");
    KT_CHECK(strcmp(a, c) != 0, "differs between requesters");
    KT_CHECK(strlen(a) == PSEUDONYM_LEN - 1 && a[0] == 'W', "shape %s", a);
}

int main(void)
{
    if (fixture_dir_make(tmpdir) != 0)
        return 1;
    test_open_and_migrate();
    test_checks_rewrite();
    test_invariants();
    test_answers_consensus();
    test_money();
    test_task_msg();
    test_pseudonym();
    fixture_dir_remove(tmpdir);
    return kt_report();
}
