/*
 * db_target.h - where a test's database lives: the SQLite file the test
 * names, or, when KAZI_TEST_PG is set (a postgresql:// URI of a server on
 * which the test may create databases, as tests/pg.inc starts one), a new
 * empty PostgreSQL database made for this test alone.
 * Owns: making and dropping those test databases. Never used by the product.
 */
#ifndef KAZI_TEST_DB_TARGET_H
#define KAZI_TEST_DB_TARGET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

/* The server URI tests run against, or NULL for SQLite files. */
static inline const char *kt_pg_base(void)
{
    const char *b = getenv("KAZI_TEST_PG");
    return b && db_target_is_pg(b) ? b : NULL;
}

/* base with its database name replaced by name, into out. */
static inline void kt_pg_uri(const char *base, const char *name, char *out, size_t cap)
{
    const char *p = strstr(base, "://") + 3;
    p += strcspn(p, "/?"); /* past user@host:port */
    size_t head = (size_t)(p - base);
    const char *tail = *p == '/' ? p + 1 + strcspn(p + 1, "?") : p;
    snprintf(out, cap, "%.*s/%s%s", (int)head, base, name, tail);
}

/* Run one statement on the server's maintenance database; exits on failure. */
static inline void kt_pg_admin(const char *sql)
{
    db_conn *d = NULL;
    if (db_open(kt_pg_base(), 0, &d) != DB_OK || db_exec(d, sql) != DB_OK) {
        fprintf(stderr, "%s: %s\n", sql, db_errmsg(d));
        exit(1);
    }
    db_close(d);
}

/*
 * The target for a test's database: sqlite_path as it is, or a fresh
 * PostgreSQL database's URI (KAZI_TEST_PG set). out receives it.
 */
static inline void kt_db_target(char *out, size_t cap, const char *sqlite_path)
{
    const char *base = kt_pg_base();
    if (!base) {
        snprintf(out, cap, "%s", sqlite_path);
        return;
    }
    static int n;
    char name[48], sql[96];
    snprintf(name, sizeof name, "kt_%ld_%d", (long)getpid(), ++n);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    kt_pg_admin(sql);
    kt_pg_uri(base, name, out, cap);
}

/* Drop a database kt_db_target made: the PostgreSQL database, or the SQLite file with its WAL. */
static inline void kt_db_target_drop(const char *target)
{
    if (!db_target_is_pg(target)) {
        const char *sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char p[320];
            snprintf(p, sizeof p, "%s%s", target, sfx[i]);
            unlink(p);
        }
        return;
    }
    const char *p = strstr(target, "://") + 3;
    p += strcspn(p, "/?");
    if (*p != '/')
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.*s WITH (FORCE)",
             (int)strcspn(p + 1, "?"), p + 1);
    kt_pg_admin(sql);
}

#endif
