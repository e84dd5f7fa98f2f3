/*
 * store_fixture.h - what the store tests share (test_store.c,
 * test_store_check.c, and through conv_world.h the conversation tests): a
 * temporary directory made and removed, a database inside it (a SQLite
 * path, or with KAZI_TEST_PG set a fresh PostgreSQL database:
 * tests/db_target.h), and a separate raw connection (tasks/db.h) that runs
 * SQL or reads one integer back, past the store's own API. Raw SQL is
 * SQLite's dialect; db.h rewrites it for PostgreSQL.
 * Test code only: it never opens the store itself, and never keeps a
 * connection open between calls. Its functions are static inline, so a test
 * may use any subset of them without a warning.
 */
#ifndef KAZI_TESTS_STORE_FIXTURE_H
#define KAZI_TESTS_STORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "db_target.h"

/* mkdtemp on tmpl (a "...XXXXXX" array, rewritten in place); -1 with perror. */
static inline int fixture_dir_make(char *tmpl)
{
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

/* rm -rf dir; a failure is reported, never fatal. */
static inline void fixture_dir_remove(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* out = dir/name.db, with any file of that name removed first (always a SQLite file). */
static inline void db_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s.db", dir, name);
    unlink(out);
}

/*
 * out = the database a test works on: dir/name.db as db_path makes it, or,
 * with KAZI_TEST_PG set, a new PostgreSQL database's URI (the caller drops
 * it with kt_db_target_drop; out needs room for a URI, 320 bytes).
 */
static inline void fixture_target(char *out, size_t cap, const char *dir, const char *name)
{
    char path[256];
    db_path(path, sizeof path, dir, name);
    kt_db_target(out, cap, path);
}

/*
 * Run sql on a raw connection to target (a SQLite file is created when
 * missing), foreign keys on or off; the result's primary code (DB_OK,
 * DB_CONSTRAINT, ...: SQLite's values). PostgreSQL: foreign keys off is
 * session_replication_role = replica, which stops triggers as well.
 */
static inline int raw_exec_fk(const char *target, int fk_on, const char *sql)
{
    db_conn *d = NULL;
    int rc = db_open(target, 1, &d);
    const char *pre = NULL;
    if (rc != DB_OK)
        pre = NULL;
    else if (db_backend(d) == DB_POSTGRES)
        pre = fk_on ? NULL : "SET session_replication_role = replica";
    else
        pre = fk_on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF";
    if (rc == DB_OK && pre)
        rc = db_exec(d, pre);
    if (rc == DB_OK)
        rc = db_exec(d, sql);
    db_close(d);
    return rc & 0xff;
}

/* Run SQL with foreign keys ON, as the store does; the primary result code. */
static inline int raw_exec(const char *target, const char *sql)
{
    return raw_exec_fk(target, 1, sql);
}

/* Run SQL with foreign keys OFF (rows pointing nowhere); the primary result code. */
static inline int raw_exec_fk_off(const char *target, const char *sql)
{
    return raw_exec_fk(target, 0, sql);
}

/* The first column of the first row of sql, or -1. */
static inline int64_t raw_int(const char *target, const char *sql)
{
    db_conn *d = NULL;
    db_stmt *s = NULL;
    int64_t v = -1;
    if (db_open(target, 0, &d) == DB_OK && db_prepare(d, sql, 0, &s) == DB_OK &&
        db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    db_close(d);
    return v;
}

#endif
