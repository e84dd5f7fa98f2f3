/*
 * db_pg_internal.h - what the PostgreSQL backend's files share (db_pg.c:
 * connection, statements, values and rows; db_pg_pipe.c: a write behind its
 * savepoint in one round trip, and the id an INSERT returns).
 * Owns: the pg_db and pg_stmt structs. Never included outside tasks/db_pg*.c.
 */
#ifndef KAZI_DB_PG_INTERNAL_H
#define KAZI_DB_PG_INTERNAL_H

#include "db.h"
#include "db_pg.h"
#include "pq_lib.h"

/* PostgreSQL's fixed type OID of boolean (catalog/pg_type.dat). */
#define PG_BOOL_OID 16

/* What a statement's first keyword says about how it must run. */
typedef enum stmt_kind {
    KIND_READ,      /* SELECT, VALUES, WITH ... SELECT: never behind a savepoint */
    KIND_WRITE,     /* anything else that is not transaction control */
    KIND_TXN,       /* BEGIN, START, COMMIT, END, ROLLBACK, ABORT */
    KIND_SAVEPOINT, /* the caller's own SAVEPOINT or RELEASE */
    KIND_COMMIT     /* COMMIT or END: a failed transaction must not pass for committed */
} stmt_kind;

#define ID_TABLES 64 /* tables whose "has an identity id" answer is remembered */

/* One table's answer to "has an identity column named id" (db_pg_pipe.c). */
typedef struct pg_id_table {
    char name[48];
    int has_id;
} pg_id_table;

struct pg_db {
    const pq_lib *pq;
    PGconn *conn;      /* owned: PQfinish in pg_db_close */
    unsigned next_id;  /* the next statement is named "k<next_id>" */
    int changes;       /* rows changed by the last INSERT, UPDATE or DELETE */
    int sp_open;       /* "SAVEPOINT kz_stmt" is the innermost savepoint of the transaction */
    int seq_used;      /* lastval() has answered once: it cannot fail again this session */
    char errmsg[512];  /* the last error, one line */
    int64_t last_id;   /* the id the last INSERT ... RETURNING id gave */
    int have_last_id;  /* last_id is set */
    pg_id_table ids[ID_TABLES];
    int nids;
    unsigned epoch;    /* connections made so far, less one (db_pg_link.c) */
    char *session_sql; /* owned: the SET commands run on this session, replayed on a new one */
    int txn_lost;      /* the connection went away inside a transaction not yet rolled back */
};

struct pg_stmt {
    pg_db *d;          /* borrowed: the connection outlives its statements */
    char name[16];     /* the server-side name */
    stmt_kind kind;
    int nparams;
    char **values;     /* owned: nparams strings, each owned; NULL is SQL NULL */
    PGresult *res;     /* owned: the current run's rows, NULL when none */
    int nrows;
    int row;           /* the current row of res, -1 before the first */
    int ran;           /* executed since the last reset */
    int last_rc;       /* the last step's error, DB_OK when it did not fail */
    int returns_id;    /* " RETURNING id" was added: its row is the new id, not the caller's */
    char *pgsql;       /* owned: the rewritten SQL, prepared again on a new connection */
    unsigned epoch;    /* the connection (pg_db.epoch) it is prepared on */
};

/* Put msg (libpq's, possibly several lines) into d's error text as one line. */
void pg_set_msg(pg_db *d, const char *msg);

/* Record why res (which may be NULL) failed and return its db.h code. */
int pg_fail_result(pg_db *d, const PGresult *res);

/* After a successful result: note the rows an INSERT, UPDATE or DELETE changed. */
void pg_note_changes(pg_db *d, PGresult *res);

/*
 * Run s with its bound values behind a fresh "SAVEPOINT kz_stmt" (after
 * releasing the previous one when release is set) in one round trip, through
 * libpq's pipeline mode. Returns the statement's result, or the first
 * failure's; NULL when the connection failed (its message is in libpq).
 * *sp_made says whether the savepoint now exists. The caller clears the result.
 */
PGresult *pg_pipe_guarded(pg_stmt *s, int release, int *sp_made);

/*
 * For an INSERT into a table with an identity id and no RETURNING of its
 * own: sql with " RETURNING id" added (heap, the caller frees) so its id
 * comes back with it; NULL otherwise (and on a failed lookup, which only
 * costs the later lastval()). Asks the server once per table and connection.
 */
char *pg_returning_id(pg_db *d, const char *sql, const char *pgsql);

/* ---- the connection's life (db_pg_link.c) ---- */

/* Connect to uri, waiting at most 10 s unless the URI sets connect_timeout. */
PGconn *pg_link_connect(const pq_lib *pq, const char *uri);

/* Remember a SET command that succeeded, to run again on a new connection. */
void pg_link_remember(pg_db *d, const char *sql);

/*
 * Before running sql: DB_BUSY while a lost transaction has not been rolled
 * back (a plain ROLLBACK clears that and sets *skip: nothing to send);
 * reconnects a broken connection (DB_BUSY when the server is still away).
 */
int pg_link_ready(pg_db *d, const char *sql, int *skip);

/*
 * After a statement failed with rc: when the connection broke, DB_BUSY (and
 * the transaction, if one was open before it, is lost); rc otherwise.
 */
int pg_link_failed(pg_db *d, PGTransactionStatusType before, int rc);

/* Prepare s again when the connection is newer than its preparation. */
int pg_link_prepared(pg_stmt *s);

#endif
