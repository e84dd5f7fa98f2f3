/*
 * db_pg_link.c - the PostgreSQL connection's life: connecting with a bounded
 * wait, noticing that the server went away (restart, network cut, a killed
 * backend), reconnecting before the next statement, and making what the old
 * connection held true again (its SET commands, its prepared statements).
 * Owns: the epoch, the session's SET commands and the "transaction lost"
 * state. Never retries a statement by itself: work that was inside a lost
 * transaction fails DB_BUSY until the caller's ROLLBACK, so the caller does
 * all of it again, never half of it.
 */
#include "db_pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds a connection attempt may take unless the URI says otherwise. */
#define CONNECT_TIMEOUT_S "10"

PGconn *pg_link_connect(const pq_lib *pq, const char *uri)
{
    if (strstr(uri, "connect_timeout="))
        return pq->connectdb(uri);
    /* expand_dbname: the URI is read whole, then connect_timeout is added to it */
    const char *const keys[] = {"dbname", "connect_timeout", NULL};
    const char *const values[] = {uri, CONNECT_TIMEOUT_S, NULL};
    return pq->connectdbParams(keys, values, 1);
}

void pg_link_remember(pg_db *d, const char *sql)
{
    size_t old = d->session_sql ? strlen(d->session_sql) : 0;
    char *s = realloc(d->session_sql, old + strlen(sql) + 3);
    if (!s)
        return; /* not replayed after a reconnect: only a setting lost */
    snprintf(s + old, strlen(sql) + 3, "%s%s", old ? "; " : "", sql);
    d->session_sql = s;
}

/* A new connection: forget what the old one held, and set it up as the old one was. */
static int after_reset(pg_db *d)
{
    d->epoch++;
    d->sp_open = 0;
    d->have_last_id = 0;
    d->seq_used = 0;
    if (!d->session_sql)
        return DB_OK;
    PGresult *r = d->pq->exec(d->conn, d->session_sql);
    int ok = r && d->pq->resultStatus(r) == PGRES_COMMAND_OK;
    int rc = ok ? DB_OK : pg_fail_result(d, r);
    d->pq->clear(r);
    return rc;
}

/* Plain ROLLBACK (not ROLLBACK TO) 1, COMMIT or END 2: the end of the lost transaction. */
static int ends_txn(const char *sql)
{
    const char *p = sql + strspn(sql, " \t\n");
    if (strncasecmp(p, "COMMIT", 6) == 0 || strncasecmp(p, "END", 3) == 0)
        return 2;
    if (strncasecmp(p, "ROLLBACK", 8) != 0)
        return 0;
    p += 8;
    p += strspn(p, " \t\n");
    return strncasecmp(p, "TO", 2) != 0;
}

int pg_link_ready(pg_db *d, const char *sql, int *skip)
{
    *skip = 0;
    if (d->txn_lost) {
        int end = ends_txn(sql);
        pg_set_msg(d, "the connection to PostgreSQL was lost inside this transaction;"
                      " it was rolled back");
        if (!end)
            return DB_BUSY;
        d->txn_lost = 0; /* the server rolled it back when the connection went */
        *skip = 1;
        return end == 1 ? DB_OK : DB_BUSY; /* a COMMIT did not commit */
    }
    if (d->pq->status(d->conn) == CONNECTION_OK)
        return DB_OK;
    d->pq->reset(d->conn);
    if (d->pq->status(d->conn) != CONNECTION_OK) {
        pg_set_msg(d, d->pq->errorMessage(d->conn));
        return DB_BUSY; /* the server may be back on a later turn */
    }
    return after_reset(d);
}

int pg_link_failed(pg_db *d, PGTransactionStatusType before, int rc)
{
    if (d->pq->status(d->conn) != CONNECTION_BAD)
        return rc;
    if (before == PQTRANS_INTRANS || before == PQTRANS_INERROR || before == PQTRANS_ACTIVE)
        d->txn_lost = 1;
    return DB_BUSY; /* done again on a new connection, on a later turn */
}

int pg_link_prepared(pg_stmt *s)
{
    pg_db *d = s->d;
    if (s->epoch == d->epoch)
        return DB_OK;
    PGTransactionStatusType before = d->pq->transactionStatus(d->conn);
    PGresult *r = d->pq->prepare(d->conn, s->name, s->pgsql, 0, NULL);
    int rc = DB_OK;
    if (!r || d->pq->resultStatus(r) != PGRES_COMMAND_OK)
        rc = pg_link_failed(d, before, pg_fail_result(d, r));
    d->pq->clear(r);
    if (rc == DB_OK)
        s->epoch = d->epoch;
    return rc;
}
