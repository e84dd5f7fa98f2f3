/*
 * test_db_pg.c - the PostgreSQL backend of db.h (tasks/db_pg.c) against a
 * real server named by KAZI_TEST_PG_URI: binding and reading each type,
 * booleans, NULLs, several rows, changes and lastval, the SQLSTATE mapping,
 * and the savepoint rule (a failed statement inside a transaction leaves the
 * rest to commit). Without KAZI_TEST_PG_URI it says SKIP and checks nothing.
 * Owns one schema of its own (kz_test_db_pg_<pid>), dropped at the end; never
 * touches anything else in the database.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_pg.h"
#include "harness.h"

static char schema[64];

/* Open a connection working in the test's schema (created by the first caller). */
static pg_db *connect_to(const char *uri, int create)
{
    pg_db *d = NULL;
    int rc = pg_db_open(uri, &d);
    KT_CHECK(rc == DB_OK, "open: %d %s", rc, pg_db_errmsg(d));
    if (rc != DB_OK) {
        pg_db_close(d);
        return NULL;
    }
    char sql[256];
    if (create) {
        snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
        KT_CHECK(pg_db_exec(d, sql) == DB_OK, "%s: %s", sql, pg_db_errmsg(d));
    }
    snprintf(sql, sizeof sql, "SET search_path = %s", schema);
    KT_CHECK(pg_db_exec(d, sql) == DB_OK, "%s: %s", sql, pg_db_errmsg(d));
    return d;
}

/* Prepare sql, counting a failure; NULL then. */
static pg_stmt *prep(pg_db *d, const char *sql)
{
    pg_stmt *s = NULL;
    int rc = pg_db_prepare(d, sql, &s);
    KT_CHECK(rc == DB_OK && s, "prepare %s: %d %s", sql, rc, pg_db_errmsg(d));
    return s;
}

/* Run a one-row, one-column query and read it as an integer (-1 on failure). */
static int64_t one_int(pg_db *d, const char *sql)
{
    pg_stmt *s = prep(d, sql);
    if (!s)
        return -1;
    int rc = pg_db_step(s);
    int64_t v = rc == DB_ROW ? pg_db_column_int64(s, 0) : -1;
    KT_CHECK(rc == DB_ROW, "%s: %d %s", sql, rc, pg_db_errmsg(d));
    KT_CHECK(pg_db_step(s) == DB_DONE, "%s: one row only", sql);
    pg_db_finalize(s);
    return v;
}

/* Insert (name, n) through a prepared statement; returns the step's code. */
static int insert_named(pg_db *d, const char *name, int64_t n)
{
    pg_stmt *s = prep(d, "INSERT INTO item(name, n) VALUES (?1, ?2)");
    if (!s)
        return -1;
    pg_db_bind_text(s, 1, name, -1);
    pg_db_bind_int64(s, 2, n);
    int rc = pg_db_step(s);
    pg_db_finalize(s);
    return rc;
}

static void test_open_failure(void)
{
    pg_db *d = NULL;
    int rc = pg_db_open("postgresql://kazi:s3cr3tpw@127.0.0.1:1/nodb?connect_timeout=5", &d);
    KT_CHECK(rc != DB_OK, "open of a closed port succeeded");
    KT_CHECK(d != NULL, "no connection object to ask why");
    const char *msg = pg_db_errmsg(d);
    KT_CHECK(*msg != '\0', "no message");
    KT_CHECK(strchr(msg, '\n') == NULL, "message has a newline: \"%s\"", msg);
    KT_CHECK(strstr(msg, "s3cr3tpw") == NULL, "message shows the password: \"%s\"", msg);
    pg_db_close(d);
}

static void test_schema(pg_db *d)
{
    KT_CHECK(pg_db_exec(d, "CREATE TABLE item (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL"
                           " UNIQUE, n BIGINT CHECK (n >= 0), x DOUBLE PRECISION, flag BOOLEAN,"
                           " amt NUMERIC, note TEXT);"
                           " CREATE TABLE tag (item_id BIGINT REFERENCES item(id), label TEXT);"
                           " CREATE FUNCTION no_spam() RETURNS trigger LANGUAGE plpgsql AS"
                           " $$BEGIN IF NEW.label = 'spam' THEN RAISE EXCEPTION 'no spam';"
                           " END IF; RETURN NEW; END$$;"
                           " CREATE TRIGGER tag_no_spam BEFORE INSERT ON tag FOR EACH ROW"
                           " EXECUTE FUNCTION no_spam()") == DB_OK,
             "schema: %s", pg_db_errmsg(d));
}

static void test_bind_and_read(pg_db *d)
{
    KT_CHECK(pg_db_last_insert_rowid(d) == 0, "lastval before any sequence was used");
    pg_stmt *s = prep(d, "INSERT INTO item(name, n, x, flag, amt, note)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s)
        return;
    const char *name = "h\xc3\xa9llo, 'quoted'";
    KT_CHECK(pg_db_bind_text(s, 1, name, -1) == DB_OK, "bind text");
    KT_CHECK(pg_db_bind_int64(s, 2, INT64_MAX) == DB_OK, "bind int64");
    KT_CHECK(pg_db_bind_double(s, 3, 0.1) == DB_OK, "bind double");
    KT_CHECK(pg_db_bind_int64(s, 4, 1) == DB_OK, "bind int as boolean");
    KT_CHECK(pg_db_bind_text(s, 5, "12.75xyz", 5) == DB_OK, "bind text with a length");
    KT_CHECK(pg_db_bind_null(s, 6) == DB_OK, "bind null");
    KT_CHECK(pg_db_bind_int64(s, 7, 1) == DB_ERROR, "index past the parameters accepted");
    KT_CHECK(strstr(pg_db_errmsg(d), "out of range") != NULL, "message: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_bind_int64(s, 0, 1) == DB_ERROR, "index 0 accepted");
    KT_CHECK(pg_db_step(s) == DB_DONE, "insert: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_changes(d) == 1, "changes %d", pg_db_changes(d));
    int64_t first = pg_db_last_insert_rowid(d);
    KT_CHECK(first >= 1, "lastval %" PRId64, first);
    /* reset and run again with other values (bindings kept where not replaced) */
    KT_CHECK(pg_db_reset(s) == DB_OK, "reset");
    pg_db_bind_text(s, 1, "second", -1);
    pg_db_bind_int64(s, 2, 0);
    pg_db_bind_double(s, 3, -2.5e-300);
    pg_db_bind_int64(s, 4, 0);
    pg_db_bind_text(s, 5, "-3.5", -1);
    pg_db_bind_text(s, 6, "", 0);
    KT_CHECK(pg_db_step(s) == DB_DONE, "second insert: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_last_insert_rowid(d) == first + 1, "second id %" PRId64,
             pg_db_last_insert_rowid(d));
    KT_CHECK(pg_db_finalize(s) == DB_OK, "finalize");

    s = prep(d, "SELECT name, n, x, flag, amt, note, id FROM item WHERE id = ?1");
    if (!s)
        return;
    KT_CHECK(pg_db_column_text(s, 0) == NULL, "text before the first step");
    pg_db_bind_int64(s, 1, first);
    KT_CHECK(pg_db_step(s) == DB_ROW, "select: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_stmt_busy(s), "busy on a row");
    const unsigned char *t = pg_db_column_text(s, 0);
    KT_CHECK(t && strcmp((const char *)t, name) == 0, "text \"%s\"", t ? (const char *)t : "(null)");
    KT_CHECK(pg_db_column_bytes(s, 0) == (int)strlen(name), "bytes %d", pg_db_column_bytes(s, 0));
    KT_CHECK(pg_db_column_int64(s, 1) == INT64_MAX, "int64 %" PRId64, pg_db_column_int64(s, 1));
    KT_CHECK(pg_db_column_double(s, 2) == 0.1, "double %.17g", pg_db_column_double(s, 2));
    KT_CHECK(pg_db_column_int64(s, 3) == 1, "true as %" PRId64, pg_db_column_int64(s, 3));
    KT_CHECK(pg_db_column_double(s, 3) == 1.0, "true as double");
    KT_CHECK(pg_db_column_int64(s, 4) == 12, "numeric 12.75 as %" PRId64, pg_db_column_int64(s, 4));
    KT_CHECK(pg_db_column_double(s, 4) == 12.75, "numeric as double %g", pg_db_column_double(s, 4));
    KT_CHECK(pg_db_column_is_null(s, 5), "null is null");
    KT_CHECK(pg_db_column_text(s, 5) == NULL, "null text");
    KT_CHECK(pg_db_column_int64(s, 5) == 0 && pg_db_column_bytes(s, 5) == 0, "null as 0");
    KT_CHECK(!pg_db_column_is_null(s, 6), "id not null");
    KT_CHECK(pg_db_column_int64(s, 7) == 0 && pg_db_column_text(s, 7) == NULL, "column 7");
    KT_CHECK(pg_db_column_text(s, -1) == NULL, "column -1");
    KT_CHECK(pg_db_step(s) == DB_DONE, "one row");
    KT_CHECK(!pg_db_stmt_busy(s), "not busy after the last row");
    KT_CHECK(pg_db_column_text(s, 0) == NULL, "no row after DB_DONE");

    pg_db_reset(s);
    pg_db_bind_int64(s, 1, first + 1);
    KT_CHECK(pg_db_step(s) == DB_ROW, "second row: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_column_int64(s, 1) == 0, "zero");
    KT_CHECK(pg_db_column_double(s, 2) == -2.5e-300, "double %.17g", pg_db_column_double(s, 2));
    KT_CHECK(pg_db_column_int64(s, 3) == 0, "false as %" PRId64, pg_db_column_int64(s, 3));
    KT_CHECK(pg_db_column_int64(s, 4) == -3, "numeric -3.5 as %" PRId64, pg_db_column_int64(s, 4));
    t = pg_db_column_text(s, 5);
    KT_CHECK(t && *t == '\0' && !pg_db_column_is_null(s, 5), "empty text is not NULL");
    /* a text "t" is text, not a boolean */
    pg_db_finalize(s);
    KT_CHECK(one_int(d, "SELECT CAST('t' AS TEXT)") == 0, "text t reads as 0");
    KT_CHECK(one_int(d, "SELECT 1e30") == INT64_MAX, "huge numeric clamps");
}

static void test_rows_and_changes(pg_db *d)
{
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "row%d", i);
        KT_CHECK(insert_named(d, name, 10 + i) == DB_DONE, "insert %s: %s", name, pg_db_errmsg(d));
    }
    pg_stmt *s = prep(d, "SELECT n FROM item WHERE name LIKE 'row%' ORDER BY n");
    if (!s)
        return;
    int rows = 0, rc;
    int64_t sum = 0;
    while ((rc = pg_db_step(s)) == DB_ROW && rows < 10) {
        sum += pg_db_column_int64(s, 0);
        rows++;
    }
    KT_CHECK(rc == DB_DONE && rows == 3 && sum == 33, "rows %d sum %" PRId64 " rc %d", rows, sum, rc);
    KT_CHECK(pg_db_step(s) == DB_DONE, "done stays done");
    pg_db_reset(s);
    KT_CHECK(pg_db_step(s) == DB_ROW && pg_db_column_int64(s, 0) == 10, "re-run after reset");
    pg_db_finalize(s); /* mid-result */

    s = prep(d, "UPDATE item SET n = n + 1 WHERE name LIKE 'row%'");
    KT_CHECK(s && pg_db_step(s) == DB_DONE && pg_db_changes(d) == 3, "update changes %d",
             pg_db_changes(d));
    pg_db_finalize(s);
    KT_CHECK(one_int(d, "SELECT count(*) FROM item") == 5, "select leaves changes alone");
    KT_CHECK(pg_db_changes(d) == 3, "changes after a select %d", pg_db_changes(d));

    s = prep(d, "DELETE FROM item WHERE name = ? RETURNING id, n");
    if (s) {
        pg_db_bind_text(s, 1, "row2", -1);
        KT_CHECK(pg_db_step(s) == DB_ROW && pg_db_column_int64(s, 1) == 13, "returning row");
        KT_CHECK(pg_db_changes(d) == 1, "changes by DELETE RETURNING %d", pg_db_changes(d));
        KT_CHECK(pg_db_step(s) == DB_DONE, "returning done");
        pg_db_reset(s);
        KT_CHECK(pg_db_step(s) == DB_DONE && pg_db_changes(d) == 0, "nothing left to delete");
        pg_db_finalize(s);
    }
    s = prep(d, "SELECT id FROM item WHERE id < 0");
    KT_CHECK(s && pg_db_step(s) == DB_DONE && !pg_db_stmt_busy(s), "empty result");
    pg_db_finalize(s);
}

/* The savepoint rule: failures inside a transaction leave it usable. */
static void test_transaction(pg_db *d)
{
    KT_CHECK(pg_db_get_autocommit(d), "autocommit outside a transaction");
    KT_CHECK(pg_db_exec(d, "BEGIN") == DB_OK, "begin: %s", pg_db_errmsg(d));
    KT_CHECK(!pg_db_get_autocommit(d), "no autocommit inside");
    KT_CHECK(insert_named(d, "tx-a", 1) == DB_DONE, "a: %s", pg_db_errmsg(d));
    int rc = insert_named(d, "tx-a", 2);
    KT_CHECK(rc == DB_CONSTRAINT_UNIQUE, "duplicate gave %d", rc);
    KT_CHECK(strstr(pg_db_errmsg(d), "item_name_key") != NULL, "message: %s", pg_db_errmsg(d));
    KT_CHECK(insert_named(d, "tx-b", 3) == DB_DONE, "b after a failure: %s", pg_db_errmsg(d));
    rc = insert_named(d, "tx-c", -1);
    KT_CHECK(rc == DB_CONSTRAINT_CHECK, "check gave %d", rc);
    pg_stmt *s = prep(d, "INSERT INTO item(name) VALUES (?1)");
    if (s) {
        rc = pg_db_step(s); /* ?1 never bound: NULL */
        KT_CHECK(rc == DB_CONSTRAINT_NOTNULL, "not null gave %d", rc);
        KT_CHECK(pg_db_step(s) == rc, "a failed statement fails until reset");
        KT_CHECK(pg_db_reset(s) == rc, "reset tells the failure");
        pg_db_finalize(s);
    }
    s = prep(d, "INSERT INTO tag(item_id, label) VALUES (?1, ?2)");
    if (s) {
        pg_db_bind_int64(s, 1, -5);
        pg_db_bind_text(s, 2, "x", -1);
        rc = pg_db_step(s);
        KT_CHECK(rc == DB_CONSTRAINT_FOREIGNKEY, "foreign key gave %d", rc);
        pg_db_reset(s);
        pg_db_bind_null(s, 1);
        pg_db_bind_text(s, 2, "spam", -1);
        rc = pg_db_step(s);
        KT_CHECK(rc == DB_CONSTRAINT_TRIGGER, "trigger gave %d", rc);
        KT_CHECK(strcmp(pg_db_errmsg(d), "no spam") == 0, "message: %s", pg_db_errmsg(d));
        pg_db_finalize(s);
    }
    KT_CHECK(pg_db_exec(d, "INSERT INTO item(name) VALUES ('tx-a')") == DB_CONSTRAINT_UNIQUE,
             "exec's failure mapped");
    s = prep(d, "WITH v(name) AS (VALUES (?1)) INSERT INTO item(name) SELECT name FROM v");
    if (s) {
        pg_db_bind_text(s, 1, "tx-b", -1);
        rc = pg_db_step(s);
        KT_CHECK(rc == DB_CONSTRAINT_UNIQUE, "WITH ... INSERT duplicate gave %d", rc);
        pg_db_finalize(s);
    }
    KT_CHECK(pg_db_last_insert_rowid(d) > 0, "lastval inside");
    KT_CHECK(insert_named(d, "tx-d", 4) == DB_DONE, "d: %s", pg_db_errmsg(d));
    pg_stmt *commit = prep(d, "COMMIT");
    KT_CHECK(commit && pg_db_step(commit) == DB_DONE, "commit: %s", pg_db_errmsg(d));
    pg_db_finalize(commit);
    KT_CHECK(pg_db_get_autocommit(d), "autocommit after commit");
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name LIKE 'tx-%'") == 3,
             "a, b and d committed");
    KT_CHECK(one_int(d, "SELECT count(*) FROM tag") == 0, "no tag");
}

/* The caller's own savepoints keep working around ours. */
static void test_user_savepoints(pg_db *d)
{
    pg_stmt *begin = prep(d, "BEGIN IMMEDIATE");
    pg_stmt *sp = prep(d, "SAVEPOINT inbox_set");
    pg_stmt *undo = prep(d, "ROLLBACK TO inbox_set");
    pg_stmt *keep = prep(d, "RELEASE inbox_set");
    if (!begin || !sp || !undo || !keep)
        goto out;
    KT_CHECK(pg_db_step(begin) == DB_DONE, "begin: %s", pg_db_errmsg(d));
    KT_CHECK(insert_named(d, "sp-1", 1) == DB_DONE, "1: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_step(sp) == DB_DONE, "savepoint: %s", pg_db_errmsg(d));
    KT_CHECK(insert_named(d, "sp-2", 2) == DB_DONE, "2: %s", pg_db_errmsg(d));
    KT_CHECK(insert_named(d, "sp-1", 3) == DB_CONSTRAINT_UNIQUE, "duplicate");
    KT_CHECK(insert_named(d, "sp-3", 3) == DB_DONE, "3: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_step(undo) == DB_DONE, "rollback to: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_step(keep) == DB_DONE, "release: %s", pg_db_errmsg(d));
    KT_CHECK(insert_named(d, "sp-4", 4) == DB_DONE, "4: %s", pg_db_errmsg(d));
    pg_db_reset(sp);
    pg_db_reset(keep);
    KT_CHECK(pg_db_step(sp) == DB_DONE, "savepoint again: %s", pg_db_errmsg(d));
    KT_CHECK(insert_named(d, "sp-5", 5) == DB_DONE, "5: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_step(keep) == DB_DONE, "release again: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_exec(d, "COMMIT") == DB_OK, "commit: %s", pg_db_errmsg(d));
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name IN ('sp-1', 'sp-4', 'sp-5')") == 3,
             "kept rows");
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name IN ('sp-2', 'sp-3')") == 0,
             "rolled back rows");
out:
    pg_db_finalize(begin);
    pg_db_finalize(sp);
    pg_db_finalize(undo);
    pg_db_finalize(keep);
}

/* A failed SELECT aborts a PostgreSQL transaction: COMMIT must not pass for success. */
static void test_failed_commit(pg_db *d)
{
    KT_CHECK(pg_db_exec(d, "BEGIN") == DB_OK, "begin");
    KT_CHECK(insert_named(d, "lost", 1) == DB_DONE, "insert: %s", pg_db_errmsg(d));
    pg_stmt *s = prep(d, "SELECT 1 / (n - n) FROM item WHERE name = 'lost'");
    KT_CHECK(s && pg_db_step(s) == DB_ERROR, "division by zero");
    pg_db_finalize(s);
    KT_CHECK(pg_db_exec(d, "COMMIT") == DB_ERROR, "commit of a failed transaction");
    KT_CHECK(pg_db_get_autocommit(d), "transaction over");
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name = 'lost'") == 0, "rolled back");
}

static void test_prepare_errors(pg_db *d)
{
    pg_stmt *s = NULL;
    int rc = pg_db_prepare(d, "SELEC nonsense", &s);
    KT_CHECK(rc == DB_ERROR && s == NULL, "bad SQL prepared: %d", rc);
    KT_CHECK(strstr(pg_db_errmsg(d), "SELEC") != NULL, "message: %s", pg_db_errmsg(d));
    rc = pg_db_prepare(d, "SELECT * FROM no_such_table", &s);
    KT_CHECK(rc == DB_ERROR && s == NULL, "missing table prepared: %d", rc);
    KT_CHECK(strchr(pg_db_errmsg(d), '\n') == NULL, "one line: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_exec(d, "") == DB_OK, "empty exec");
}

/* Lock not available and serialization failure read as DB_BUSY. */
static void test_busy(pg_db *d, pg_db *d2)
{
    KT_CHECK(pg_db_exec(d, "BEGIN; UPDATE item SET n = 7 WHERE name = 'row0'") == DB_OK,
             "lock: %s", pg_db_errmsg(d));
    pg_stmt *s = prep(d2, "SELECT id FROM item WHERE name = 'row0' FOR UPDATE NOWAIT");
    KT_CHECK(s && pg_db_step(s) == DB_BUSY, "nowait: %s", pg_db_errmsg(d2));
    pg_db_finalize(s);
    KT_CHECK(pg_db_exec(d, "ROLLBACK") == DB_OK, "rollback");

    KT_CHECK(pg_db_exec(d2, "BEGIN ISOLATION LEVEL REPEATABLE READ") == DB_OK, "rr");
    KT_CHECK(one_int(d2, "SELECT n FROM item WHERE name = 'row0'") == 11, "snapshot");
    KT_CHECK(pg_db_exec(d, "UPDATE item SET n = 8 WHERE name = 'row0'") == DB_OK, "update");
    int rc = pg_db_exec(d2, "UPDATE item SET n = 9 WHERE name = 'row0'");
    KT_CHECK(rc == DB_BUSY, "serialization failure gave %d: %s", rc, pg_db_errmsg(d2));
    KT_CHECK(pg_db_exec(d2, "ROLLBACK") == DB_OK, "rollback");

    /* A write that meets another's lock for too long fails DB_BUSY and is not undone
     * alone: the transaction stays failed, so the caller retries all of it later. */
    KT_CHECK(pg_db_exec(d, "BEGIN; UPDATE item SET n = 7 WHERE name = 'row0'") == DB_OK,
             "lock again: %s", pg_db_errmsg(d));
    KT_CHECK(pg_db_exec(d2, "SET lock_timeout = '50ms'; BEGIN") == DB_OK, "d2 begin");
    KT_CHECK(pg_db_exec(d2, "INSERT INTO item(name, n) VALUES ('kept?', 1)") == DB_OK, "insert");
    rc = pg_db_exec(d2, "UPDATE item SET n = 9 WHERE name = 'row0'");
    KT_CHECK(rc == DB_BUSY, "lock wait gave %d: %s", rc, pg_db_errmsg(d2));
    rc = pg_db_exec(d2, "INSERT INTO item(name, n) VALUES ('after', 1)");
    KT_CHECK(rc == DB_BUSY, "a statement after it gave %d", rc);
    KT_CHECK(pg_db_exec(d2, "COMMIT") != DB_OK, "its COMMIT fails (rolls back)");
    KT_CHECK(pg_db_exec(d, "ROLLBACK") == DB_OK, "rollback d");
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name IN ('kept?', 'after')") == 0,
             "nothing of the failed transaction kept");
    KT_CHECK(pg_db_exec(d2, "RESET lock_timeout") == DB_OK, "reset");
}

/* d2 ends d's server process, as a server restart or a network cut would. */
static void kill_backend(pg_db *d, pg_db *d2)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)",
             (long long)one_int(d, "SELECT pg_backend_pid()"));
    KT_CHECK(one_int(d2, sql) == 1, "backend terminated");
}

/* The connection goes away: the next statement reconnects, with its settings and statements. */
static void test_reconnect(pg_db *d, pg_db *d2)
{
    KT_CHECK(pg_db_exec(d, "SET lock_timeout = '7s'") == DB_OK, "set");
    pg_stmt *s = prep(d, "SELECT count(*) FROM item WHERE n >= ?1");
    pg_db_bind_int64(s, 1, 0);
    KT_CHECK(s && pg_db_step(s) == DB_ROW, "before");
    pg_db_reset(s);
    kill_backend(d, d2);
    KT_CHECK(s && pg_db_step(s) == DB_ROW, "the prepared statement runs on a new connection: %s",
             pg_db_errmsg(d));
    pg_db_finalize(s);
    s = prep(d, "SHOW lock_timeout");
    KT_CHECK(s && pg_db_step(s) == DB_ROW &&
                 strcmp((const char *)pg_db_column_text(s, 0), "7s") == 0,
             "the session's SET commands are run again");
    pg_db_finalize(s);
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name = 'row0'") == 1,
             "search_path kept: the test's schema is found");

    /* Inside a transaction: nothing of it is kept, and nothing runs until ROLLBACK. */
    pg_stmt *ins = prep(d, "INSERT INTO item(name, n) VALUES ('lost2', 1)");
    KT_CHECK(pg_db_exec(d, "BEGIN") == DB_OK, "begin");
    KT_CHECK(insert_named(d, "lost1", 1) == DB_DONE, "insert before the cut");
    kill_backend(d, d2);
    KT_CHECK(ins && pg_db_step(ins) == DB_BUSY, "the cut fails the statement: DB_BUSY");
    pg_db_finalize(ins);
    KT_CHECK(pg_db_exec(d, "INSERT INTO item(name, n) VALUES ('lost3', 1)") == DB_BUSY,
             "and every statement after it, until ROLLBACK");
    KT_CHECK(pg_db_exec(d, "COMMIT") == DB_BUSY, "COMMIT of the lost transaction fails");
    KT_CHECK(insert_named(d, "after", 1) == DB_DONE, "after it, work goes on: %s",
             pg_db_errmsg(d));
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name LIKE 'lost%'") == 0,
             "nothing of the lost transaction kept");
    KT_CHECK(pg_db_exec(d, "BEGIN") == DB_OK, "begin again");
    kill_backend(d, d2);
    KT_CHECK(pg_db_exec(d, "DELETE FROM item WHERE name = 'after'") == DB_BUSY, "cut again");
    KT_CHECK(pg_db_exec(d, "ROLLBACK") == DB_OK, "ROLLBACK of a lost transaction succeeds");
    KT_CHECK(one_int(d, "SELECT count(*) FROM item WHERE name = 'after'") == 1, "work goes on");
}

int main(void)
{
    const char *uri = getenv("KAZI_TEST_PG_URI");
    if (!uri || !*uri) {
        printf("SKIP: KAZI_TEST_PG_URI not set\n");
        return kt_report();
    }
    snprintf(schema, sizeof schema, "kz_test_db_pg_%ld", (long)getpid());
    test_open_failure();
    pg_db *d = connect_to(uri, 1);
    pg_db *d2 = d ? connect_to(uri, 0) : NULL;
    if (d && d2) {
        test_schema(d);
        test_bind_and_read(d);
        test_rows_and_changes(d);
        test_transaction(d);
        test_user_savepoints(d);
        test_failed_commit(d);
        test_prepare_errors(d);
        test_busy(d, d2);
        test_reconnect(d, d2);
    }
    if (d) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
        KT_CHECK(pg_db_exec(d, sql) == DB_OK, "drop: %s", pg_db_errmsg(d));
    }
    pg_db_close(d2);
    pg_db_close(d);
    return kt_report();
}
