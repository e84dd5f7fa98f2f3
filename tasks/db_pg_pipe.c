/*
 * db_pg_pipe.c - the PostgreSQL backend's two round-trip savers: a write
 * and the savepoint it runs behind sent together (libpq's pipeline mode),
 * and the new id returned by the INSERT itself instead of asked for after.
 * Owns: the pipeline's send-and-read sequence and the per-connection memory
 * of which tables have an identity id. Never leaves the connection in
 * pipeline mode; never changes what a statement does, only how it travels.
 */
#include "db_pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int failed(ExecStatusType st)
{
    return st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY;
}

/* Read the results of n commands and the sync; keep the last one's, or the first failure. */
static PGresult *read_results(pg_db *d, int n, int *sp_made, int sp_index)
{
    const pq_lib *pq = d->pq;
    PGresult *keep = NULL;
    int keep_failed = 0;
    for (int i = 0; i < n; i++) {
        PGresult *r;
        while ((r = pq->getResult(d->conn)) != NULL) {
            int bad = failed(pq->resultStatus(r));
            if (i == sp_index && !bad)
                *sp_made = 1;
            if (!keep_failed && (bad || i == n - 1)) {
                pq->clear(keep);
                keep = r;
                keep_failed = bad;
            } else {
                pq->clear(r);
            }
        }
    }
    PGresult *sync = pq->getResult(d->conn); /* PGRES_PIPELINE_SYNC */
    pq->clear(sync);
    return keep;
}

PGresult *pg_pipe_guarded(pg_stmt *s, int release, int *sp_made)
{
    pg_db *d = s->d;
    const pq_lib *pq = d->pq;
    *sp_made = 0;
    if (!pq->enterPipelineMode(d->conn))
        return NULL;
    int n = 0, ok = 1;
    if (release) {
        ok = pq->sendQueryParams(d->conn, "RELEASE SAVEPOINT kz_stmt", 0, NULL, NULL, NULL,
                                 NULL, 0);
        n++;
    }
    int sp_index = n;
    ok = ok && pq->sendQueryParams(d->conn, "SAVEPOINT kz_stmt", 0, NULL, NULL, NULL, NULL, 0);
    n++;
    ok = ok && pq->sendQueryPrepared(d->conn, s->name, s->nparams,
                                     (const char *const *)s->values, NULL, NULL, 0);
    n++;
    ok = ok && pq->pipelineSync(d->conn);
    PGresult *res = ok ? read_results(d, n, sp_made, sp_index) : NULL;
    if (!pq->exitPipelineMode(d->conn)) {
        pq->clear(res);
        return NULL;
    }
    return res;
}

/* The table an INSERT writes ("INSERT INTO name(" or "INSERT INTO name "), or 0. */
static int insert_table(const char *sql, char *out, size_t cap)
{
    const char *p = sql + strspn(sql, " \t\n");
    if (strncasecmp(p, "INSERT", 6) != 0)
        return 0;
    p += 6;
    p += strspn(p, " \t\n");
    if (strncasecmp(p, "INTO", 4) != 0)
        return 0;
    p += 4;
    p += strspn(p, " \t\n");
    size_t n = strcspn(p, " \t\n(");
    if (n == 0 || n >= cap)
        return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return strspn(out, "abcdefghijklmnopqrstuvwxyz_0123456789") == n;
}

/* Does table have an identity column id? Asked once per table and connection; -1 on failure. */
static int has_identity_id(pg_db *d, const char *table)
{
    for (int i = 0; i < d->nids; i++)
        if (strcmp(d->ids[i].name, table) == 0)
            return d->ids[i].has_id;
    const char *values[1] = {table};
    PGresult *r = d->pq->execParams(d->conn,
                                    "SELECT count(*) FROM pg_attribute a"
                                    " JOIN pg_class c ON c.oid = a.attrelid"
                                    " WHERE c.oid = to_regclass($1) AND a.attname = 'id'"
                                    " AND a.attidentity <> ''",
                                    1, NULL, values, NULL, NULL, 0);
    int has = -1;
    if (r && d->pq->resultStatus(r) == PGRES_TUPLES_OK && d->pq->ntuples(r) == 1)
        has = atoi(d->pq->getvalue(r, 0, 0)) > 0;
    d->pq->clear(r);
    if (has >= 0 && d->nids < ID_TABLES) {
        snprintf(d->ids[d->nids].name, sizeof d->ids[d->nids].name, "%s", table);
        d->ids[d->nids++].has_id = has;
    }
    return has;
}

char *pg_returning_id(pg_db *d, const char *sql, const char *pgsql)
{
    char table[48];
    if (!insert_table(sql, table, sizeof table) || strcasestr(sql, "RETURNING") ||
        has_identity_id(d, table) != 1)
        return NULL;
    size_t n = strlen(pgsql);
    while (n > 0 && (pgsql[n - 1] == ' ' || pgsql[n - 1] == ';' || pgsql[n - 1] == '\n'))
        n--;
    char *out = malloc(n + sizeof " RETURNING id");
    if (!out)
        return NULL;
    memcpy(out, pgsql, n);
    memcpy(out + n, " RETURNING id", sizeof " RETURNING id");
    return out;
}
