/*
 * db_pg_values.c - the values going into a PostgreSQL statement (bindings,
 * each kept as text, as libpq sends them) and coming out of its rows
 * (columns, read from text the way SQLite reads its own: booleans as 1 and
 * 0, a real truncated toward zero, NULL as 0 or a NULL pointer).
 * Owns: each statement's values (freed on clear and finalize). Never talks
 * to the server.
 */
#include "db_pg_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replace value i (1-based) with v, which the statement then owns (NULL: SQL NULL). */
static int bind_owned(pg_stmt *s, int i, char *v, int was_null)
{
    if (i < 1 || i > s->nparams) {
        free(v);
        snprintf(s->d->errmsg, sizeof s->d->errmsg,
                 "bind index out of range: %d (statement %s has %d parameters)", i, s->name,
                 s->nparams);
        return DB_ERROR;
    }
    if (!v && !was_null) {
        pg_set_msg(s->d, "out of memory");
        return DB_NOMEM;
    }
    free(s->values[i - 1]);
    s->values[i - 1] = v;
    return DB_OK;
}

/* A NUL-terminated copy of p[0..n), which the caller owns; NULL when memory ran out. */
static char *text_of(const char *p, size_t n)
{
    char *v = malloc(n + 1);
    if (v) {
        memcpy(v, p, n);
        v[n] = '\0';
    }
    return v;
}

int pg_db_bind_int64(pg_stmt *s, int i, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return bind_owned(s, i, text_of(buf, (size_t)n), 0);
}

int pg_db_bind_double(pg_stmt *s, int i, double v)
{
    char buf[40];
    int n;
    if (isnan(v))
        n = snprintf(buf, sizeof buf, "NaN");
    else if (isinf(v))
        n = snprintf(buf, sizeof buf, "%sInfinity", v < 0 ? "-" : "");
    else
        n = snprintf(buf, sizeof buf, "%.17g", v);
    return bind_owned(s, i, text_of(buf, (size_t)n), 0);
}

int pg_db_bind_null(pg_stmt *s, int i)
{
    return bind_owned(s, i, NULL, 1);
}

int pg_db_bind_text(pg_stmt *s, int i, const char *p, int n)
{
    if (!p)
        return pg_db_bind_null(s, i);
    size_t len = n < 0 ? strlen(p) : (size_t)n;
    return bind_owned(s, i, text_of(p, len), 0);
}

int pg_db_clear_bindings(pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
    }
    return DB_OK;
}

/* The current row's value of col, or NULL (no row, no such column, SQL NULL). */
static const char *cell(pg_stmt *s, int col)
{
    if (!s->res || s->row < 0 || s->row >= s->nrows || col < 0 ||
        col >= s->d->pq->nfields(s->res))
        return NULL;
    if (s->d->pq->getisnull(s->res, s->row, col))
        return NULL;
    return s->d->pq->getvalue(s->res, s->row, col);
}

/* A boolean column's "t"/"f" as 1/0; -1 when col is not a boolean. */
static int bool_cell(pg_stmt *s, int col, const char *v)
{
    if (s->d->pq->ftype(s->res, col) != PG_BOOL_OID)
        return -1;
    return v[0] == 't';
}

int64_t pg_db_column_int64(pg_stmt *s, int col)
{
    const char *v = cell(s, col);
    if (!v)
        return 0;
    int b = bool_cell(s, col, v);
    if (b >= 0)
        return b;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end != '.' && *end != 'e' && *end != 'E')
        return (int64_t)n; /* out of range: strtoll's clamp, as SQLite's */
    double x = strtod(v, NULL); /* numeric or real: truncated toward zero, as SQLite */
    if (isnan(x))
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

double pg_db_column_double(pg_stmt *s, int col)
{
    const char *v = cell(s, col);
    if (!v)
        return 0.0;
    int b = bool_cell(s, col, v);
    if (b >= 0)
        return b;
    return strtod(v, NULL);
}

const unsigned char *pg_db_column_text(pg_stmt *s, int col)
{
    return (const unsigned char *)cell(s, col);
}

int pg_db_column_bytes(pg_stmt *s, int col)
{
    if (!cell(s, col))
        return 0;
    return s->d->pq->getlength(s->res, s->row, col);
}

int pg_db_column_is_null(pg_stmt *s, int col)
{
    return cell(s, col) == NULL;
}

