/*
 * store_schema_checks.c - migration 8's code step: every CHECK constraint of
 * the form `col IN ('a','b','c')` rewritten as `(col = 'a' OR col = 'b' OR
 * col = 'c')`. SQLite builds an ephemeral table for an IN list of three or
 * more values each time the constraint is checked, that is for every row
 * written: on the import and the daemon's hot paths that was a third of all
 * the work. Lists of integers (`ref_bits IN (0, 8, 16)`) likewise. The two
 * forms accept exactly the same values, and a CHECK constraint does not
 * change how rows are stored, so the table definitions are edited in place
 * (SQLite's documented procedure for such changes: writable_schema inside
 * the migration's transaction, then the schema version bumped so every
 * connection rereads the schema).
 * Owns: that rewrite. Never touches an index (a partial index's WHERE must
 * keep the form the queries that use it are written in), a trigger, or a
 * list that is not made only of quoted strings and integers.
 */
#include "store_internal.h"

#include <sqlite3.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* True for a byte that may be part of an SQL identifier as the schema writes them. */
static bool ident_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* The end of one literal at p (a quoted string without quotes inside, or an
 * integer), or NULL when p does not start one. */
static const char *literal_end(const char *p)
{
    if (*p == '\'') {
        const char *q = strchr(p + 1, '\'');
        return q && q[1] != '\'' ? q + 1 : NULL;
    }
    const char *q = p + (*p == '-');
    if (*q < '0' || *q > '9')
        return NULL;
    while (*q >= '0' && *q <= '9')
        q++;
    return q;
}

/*
 * At p (just after "IN ("), a list of literals separated by commas and
 * spaces and closed by ')'. Returns the number of literals and sets *end to
 * the byte after ')'; 0 if the list is anything else.
 */
static int literal_list(const char *p, const char **end)
{
    int n = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *q = literal_end(p);
        if (!q)
            return 0;
        n++;
        p = q;
        while (*p == ' ')
            p++;
        if (*p == ')') {
            *end = p + 1;
            return n;
        }
        if (*p != ',')
            return 0;
        p++;
    }
}

/* Append `(col = 'a' OR col = 'b' ...)` for the list at p (checked by literal_list). */
static void append_or_chain(sqlite3_str *out, const char *col, size_t col_len, const char *p)
{
    sqlite3_str_appendchar(out, 1, '(');
    bool first = true;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *q = literal_end(p);
        if (!q)
            break;
        sqlite3_str_appendf(out, "%s%.*s = %.*s", first ? "" : " OR ", (int)col_len, col,
                            (int)(q - p), p);
        first = false;
        p = q;
    }
    sqlite3_str_appendchar(out, 1, ')');
}

/*
 * The table definition sql with its IN lists of three or more literals
 * rewritten. Returns a string from sqlite3_malloc (the caller sqlite3_frees
 * it), or NULL when out of memory.
 */
static char *rewrite_table_sql(const char *sql)
{
    static const char needle[] = " IN";
    sqlite3_str *out = sqlite3_str_new(NULL);
    const char *done = sql; /* copied up to here */
    const char *hit;
    for (const char *from = sql; (hit = strstr(from, needle)) != NULL;) {
        const char *col = hit;
        while (col > done && ident_byte(col[-1]))
            col--;
        size_t col_len = (size_t)(hit - col);
        const char *list = hit + sizeof needle - 1;
        from = list;
        if (*list != ' ' && *list != '(')
            continue; /* a word that starts with IN */
        while (*list == ' ')
            list++;
        const char *end = NULL;
        int n = *list == '(' ? literal_list(list + 1, &end) : 0;
        if (col_len == 0 || n < 3 || (col_len == 3 && strncmp(col, "NOT", 3) == 0))
            continue;
        sqlite3_str_append(out, done, (int)(col - done));
        append_or_chain(out, col, col_len, list + 1);
        done = from = end;
    }
    sqlite3_str_appendall(out, done);
    return sqlite3_str_finish(out);
}

/* Read one integer PRAGMA; -1 on failure. */
static int pragma_int(kz_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db_sqlite(st->db), sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Rewrite every table whose definition has an IN list; *n counts them. */
static kz_status rewrite_tables(kz_store *st, int *n, kz_err *err)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    kz_status rc = KZ_OK;
    if (sqlite3_prepare_v2(db_sqlite(st->db),
                           "SELECT name, sql FROM sqlite_schema WHERE type = 'table'"
                           " AND instr(sql, ' IN ') > 0",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db_sqlite(st->db),
                           "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = ?2",
                           -1, &upd, NULL) != SQLITE_OK)
        rc = store_db_err(st, err, "migration 8: preparing the schema rewrite");
    while (rc == KZ_OK && sqlite3_step(sel) == SQLITE_ROW) {
        char *next = rewrite_table_sql((const char *)sqlite3_column_text(sel, 1));
        if (!next) {
            rc = kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "migration 8: out of memory");
            break;
        }
        sqlite3_bind_text(upd, 1, next, -1, sqlite3_free);
        sqlite3_bind_text(upd, 2, (const char *)sqlite3_column_text(sel, 0), -1,
                          SQLITE_TRANSIENT);
        if (sqlite3_step(upd) != SQLITE_DONE)
            rc = store_db_err(st, err, "migration 8: rewriting a table's constraints");
        sqlite3_reset(upd);
        (*n)++;
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return rc;
}

kz_status store_schema_rewrite_checks(kz_store *st, kz_err *err)
{
    int version = pragma_int(st, "PRAGMA schema_version");
    if (version < 0)
        return store_db_err(st, err, "migration 8: reading schema_version");
    sqlite3_db_config(db_sqlite(st->db), SQLITE_DBCONFIG_DEFENSIVE, 0, (int *)NULL);
    if (sqlite3_exec(db_sqlite(st->db), "PRAGMA writable_schema = ON", NULL, NULL, NULL) != SQLITE_OK)
        return store_db_err(st, err, "migration 8: writable_schema");
    int n = 0;
    kz_status rc = rewrite_tables(st, &n, err);
    char bump[48];
    snprintf(bump, sizeof bump, "PRAGMA schema_version = %d", version + 1);
    if (rc == KZ_OK && sqlite3_exec(db_sqlite(st->db), bump, NULL, NULL, NULL) != SQLITE_OK)
        rc = store_db_err(st, err, "migration 8: bumping schema_version");
    sqlite3_exec(db_sqlite(st->db), "PRAGMA writable_schema = OFF", NULL, NULL, NULL);
    return rc;
}
