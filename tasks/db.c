/*
 * db.c - db.h's calls: each goes to SQLite or, for a postgresql:// target,
 * to the PostgreSQL backend (tasks/db_pg.c).
 * Owns: the db and db_stmt structs and the choice between the two. Never
 * rewrites SQL (db_pg.c does, for PostgreSQL), never logs.
 */
#include "db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_pg.h"

struct db_conn {
    db_kind kind;
    sqlite3 *lite; /* owned: DB_SQLITE */
    pg_db *pg;     /* owned: DB_POSTGRES */
};

struct db_stmt {
    sqlite3_stmt *lite; /* owned, one of the two */
    pg_stmt *pg;
};

int db_target_is_pg(const char *target)
{
    return target && (strncmp(target, "postgresql://", 13) == 0 ||
                      strncmp(target, "postgres://", 11) == 0);
}

/* Where a URI's password starts and ends ("user:PASSWORD@"), or 0 when it has none. */
static int uri_password(const char *t, size_t *from, size_t *to)
{
    const char *auth = strstr(t, "://");
    if (!auth)
        return 0;
    auth += 3;
    size_t end = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', end);
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon)
        return 0;
    *from = (size_t)(colon + 1 - t);
    *to = (size_t)(at - t);
    return 1;
}

const char *db_target_safe(const char *target, char *out, size_t cap)
{
    if (!cap)
        return out;
    size_t from, to;
    if (!target)
        target = "";
    if (!db_target_is_pg(target) || !uri_password(target, &from, &to)) {
        snprintf(out, cap, "%s", target);
    } else {
        snprintf(out, cap, "%.*s***%s", (int)from, target, target + to);
    }
    /* a password=... query parameter is a password too */
    char *pw = strstr(out, "password=");
    if (pw) {
        pw += 9;
        size_t n = strcspn(pw, "&#");
        memmove(pw + 3, pw + n, strlen(pw + n) + 1);
        memcpy(pw, "***", 3);
    }
    return out;
}

int db_open(const char *target, int create, db_conn **out)
{
    *out = calloc(1, sizeof **out);
    db_conn *d = *out;
    if (!d)
        return DB_NOMEM;
    if (db_target_is_pg(target)) {
        d->kind = DB_POSTGRES;
        return pg_db_open(target, &d->pg);
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(target, &d->lite, flags, NULL);
    if (d->lite)
        sqlite3_extended_result_codes(d->lite, 1);
    return rc;
}

void db_close(db_conn *d)
{
    if (!d)
        return;
    if (d->lite)
        sqlite3_close(d->lite);
    if (d->pg)
        pg_db_close(d->pg);
    free(d);
}

db_kind db_backend(const db_conn *d)
{
    return d->kind;
}

const char *db_errmsg(db_conn *d)
{
    if (!d)
        return "no database";
    if (d->kind == DB_POSTGRES)
        return d->pg ? pg_db_errmsg(d->pg) : "out of memory";
    return d->lite ? sqlite3_errmsg(d->lite) : "out of memory";
}

struct sqlite3 *db_sqlite(db_conn *d)
{
    return d ? d->lite : NULL;
}

int db_prepare(db_conn *d, const char *sql, int persistent, db_stmt **out)
{
    *out = NULL;
    db_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return DB_NOMEM;
    int rc;
    if (d->kind == DB_POSTGRES)
        rc = pg_db_prepare(d->pg, sql, &s->pg);
    else
        rc = sqlite3_prepare_v3(d->lite, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                                &s->lite, NULL);
    if (rc != DB_OK || (!s->lite && !s->pg)) {
        db_finalize(s);
        return rc != DB_OK ? rc : DB_ERROR;
    }
    *out = s;
    return DB_OK;
}

int db_bind_int64(db_stmt *s, int i, int64_t v)
{
    return s->lite ? sqlite3_bind_int64(s->lite, i, v) : pg_db_bind_int64(s->pg, i, v);
}

int db_bind_int(db_stmt *s, int i, int v)
{
    return s->lite ? sqlite3_bind_int(s->lite, i, v) : pg_db_bind_int64(s->pg, i, v);
}

int db_bind_double(db_stmt *s, int i, double v)
{
    return s->lite ? sqlite3_bind_double(s->lite, i, v) : pg_db_bind_double(s->pg, i, v);
}

int db_bind_null(db_stmt *s, int i)
{
    return s->lite ? sqlite3_bind_null(s->lite, i) : pg_db_bind_null(s->pg, i);
}

int db_bind_text(db_stmt *s, int i, const char *p, int n, int lifetime)
{
    if (!s->lite)
        return p ? pg_db_bind_text(s->pg, i, p, n) : pg_db_bind_null(s->pg, i);
    return sqlite3_bind_text(s->lite, i, p, n,
                             lifetime == DB_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

int db_step(db_stmt *s)
{
    return s->lite ? sqlite3_step(s->lite) : pg_db_step(s->pg);
}

int64_t db_column_int64(db_stmt *s, int col)
{
    return s->lite ? sqlite3_column_int64(s->lite, col) : pg_db_column_int64(s->pg, col);
}

int db_column_int(db_stmt *s, int col)
{
    return s->lite ? sqlite3_column_int(s->lite, col) : (int)pg_db_column_int64(s->pg, col);
}

double db_column_double(db_stmt *s, int col)
{
    return s->lite ? sqlite3_column_double(s->lite, col) : pg_db_column_double(s->pg, col);
}

const unsigned char *db_column_text(db_stmt *s, int col)
{
    return s->lite ? sqlite3_column_text(s->lite, col) : pg_db_column_text(s->pg, col);
}

int db_column_bytes(db_stmt *s, int col)
{
    return s->lite ? sqlite3_column_bytes(s->lite, col) : pg_db_column_bytes(s->pg, col);
}

int db_column_is_null(db_stmt *s, int col)
{
    if (s->lite)
        return sqlite3_column_type(s->lite, col) == SQLITE_NULL;
    return pg_db_column_is_null(s->pg, col);
}

int db_reset(db_stmt *s)
{
    return s->lite ? sqlite3_reset(s->lite) : pg_db_reset(s->pg);
}

int db_clear_bindings(db_stmt *s)
{
    return s->lite ? sqlite3_clear_bindings(s->lite) : pg_db_clear_bindings(s->pg);
}

int db_stmt_busy(db_stmt *s)
{
    return s->lite ? sqlite3_stmt_busy(s->lite) : pg_db_stmt_busy(s->pg);
}

int db_finalize(db_stmt *s)
{
    if (!s)
        return DB_OK;
    int rc = DB_OK;
    if (s->lite)
        rc = sqlite3_finalize(s->lite);
    if (s->pg)
        rc = pg_db_finalize(s->pg);
    free(s);
    return rc;
}

int64_t db_last_insert_rowid(db_conn *d)
{
    return d->lite ? sqlite3_last_insert_rowid(d->lite) : pg_db_last_insert_rowid(d->pg);
}

int db_changes(db_conn *d)
{
    return d->lite ? sqlite3_changes(d->lite) : pg_db_changes(d->pg);
}

int db_get_autocommit(db_conn *d)
{
    return d->lite ? sqlite3_get_autocommit(d->lite) : pg_db_get_autocommit(d->pg);
}

int db_exec(db_conn *d, const char *sql)
{
    return d->lite ? sqlite3_exec(d->lite, sql, NULL, NULL, NULL) : pg_db_exec(d->pg, sql);
}
