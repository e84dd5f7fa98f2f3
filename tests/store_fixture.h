/*
 * store_fixture.h - what the store tests share (test_store.c,
 * test_store_check.c, and through conv_world.h the conversation tests): a
 * temporary directory made and removed, a database path inside it, and a
 * separate raw SQLite connection that runs SQL or reads one integer back,
 * past the store's own API (which is why these tests include sqlite3.h).
 * Test code only: it never opens the store itself, and never keeps a
 * connection open between calls. Its functions are static inline, so a test
 * may use any subset of them without a warning.
 */
#ifndef KAZI_TESTS_STORE_FIXTURE_H
#define KAZI_TESTS_STORE_FIXTURE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* out = dir/name.db, with any file of that name removed first. */
static inline void db_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s.db", dir, name);
    unlink(out);
}

/* Run pragma, then sql, on a raw connection to path; sql's sqlite3 result code. */
static inline int raw_exec_after(const char *path, const char *pragma, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) {
        sqlite3_exec(db, pragma, NULL, NULL, NULL);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return rc;
}

/* Run SQL with foreign keys ON, as the store does; the sqlite3 result code. */
static inline int raw_exec(const char *path, const char *sql)
{
    return raw_exec_after(path, "PRAGMA foreign_keys = ON", sql);
}

/* Run SQL with foreign keys OFF (rows pointing nowhere); the sqlite3 result code. */
static inline int raw_exec_fk_off(const char *path, const char *sql)
{
    return raw_exec_after(path, "PRAGMA foreign_keys = OFF", sql);
}

/* The first column of the first row of sql, or -1. */
static inline int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

#endif
