/*
 * store_internal.h - what the store_*.c files share: the kz_store struct, the
 * table of SQL statements (prepared once on first use, reset after each use,
 * finalized by store_close) and error helpers.
 * Owns: the statement table. Never included outside tasks/store_*.c. The
 * connection is tasks/db.h's (SQLite or PostgreSQL); only the SQLite-only
 * parts (backup, memory, migrations, pragmas) include sqlite3.h themselves.
 */
#ifndef KAZI_STORE_INTERNAL_H
#define KAZI_STORE_INTERNAL_H

#include "db.h"

#include "store.h"

typedef enum store_stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SECRET_GET,
    ST_REQ_FIND,
    ST_REQ_INSERT,
    ST_BATCH_GET,
    ST_BATCH_INSERT,
    ST_IMPORT_INSERT,
    ST_IMPORT_FINISH,
    ST_TASK_INSERT,
    ST_TASK_EXISTING,
    ST_TASK_BY_EXT,
    ST_WORKER_FIND,
    ST_WORKER_INSERT,
    ST_ASSIGN_ANSWERED,
    ST_ANSWER_INSERT,
    ST_ANSWER_REJECT,
    ST_RESULTS,
    ST_ANSWERS,
    ST_BATCHES,
    ST_WORKERS,
    ST__COUNT
} store_stmt_id;

/* Room for the task engine's own statement table (tasks/store_engine*.c). */
#define STORE_ENGINE_STMTS 96
/* Room for the conversation's statement table (tasks/store_conv.c). */
#define STORE_CONV_STMTS 64
/* Room for the payouts' statements (tasks/store_payout*.c), keyed by their SQL text. */
#define STORE_PAY_STMTS 64

typedef struct store_pay_stmt {
    const char *sql; /* the static SQL text the statement was prepared from */
    db_stmt *stmt;
} store_pay_stmt;

struct kz_store {
    db_conn *db; /* SQLite or PostgreSQL (tasks/db.h) */
    db_stmt *stmt[ST__COUNT]; /* NULL until first use */
    db_stmt *eng[STORE_ENGINE_STMTS]; /* the engine's, same rules (store_engine_sql.c) */
    db_stmt *conv[STORE_CONV_STMTS];  /* the conversation's, same rules (store_conv.c) */
    store_pay_stmt pay[STORE_PAY_STMTS];   /* the payouts', same rules (store_payout.c) */
};

/*
 * The prepared statement for id, reset and with bindings cleared, or NULL
 * with err filled (KZ_ERR_DB) if it cannot be prepared.
 */
db_stmt *store_stmt(kz_store *st, store_stmt_id id, kz_err *err);

/*
 * Run the one-text-parameter lookup id (e.g. ST_WORKER_FIND) with key and
 * read column 0 as a row id: *id receives it, or 0 when no row matches.
 * KZ_ERR_DB (err says `what`) on failure.
 */
kz_status store_find_id(kz_store *st, store_stmt_id id, const char *key, int64_t *out,
                        const char *what, kz_err *err);

/* Fill err with the connection's last error, prefixed by what; returns KZ_ERR_DB. */
kz_status store_db_err(kz_store *st, kz_err *err, const char *what);

/* Current time in Unix seconds. */
int64_t store_now(void);

/*
 * Run sql (no parameters, a fixed text) and read column 0 of its one row as
 * an integer into *out (-1 for NULL or no row). KZ_ERR_DB naming sql.
 */
kz_status store_one_int(kz_store *st, const char *sql, int64_t *out, kz_err *err);

/* Run sql (several statements, no parameters, no rows). KZ_ERR_DB, err prefixed by what. */
kz_status store_exec(kz_store *st, const char *sql, const char *what, kz_err *err);

/* store_open for a postgresql:// target (tasks/store_open_pg.c). */
kz_status store_open_pg(const char *uri, unsigned flags, kz_store **out, kz_err *err);

/* The PostgreSQL schema's version (meta 'schema_version'; 0 with no schema), -1 on error. */
int store_schema_version_pg(kz_store *st);

/* Migration 8's code step (tasks/store_schema_checks.c): CHECK IN lists as OR chains. */
kz_status store_schema_rewrite_checks(kz_store *st, kz_err *err);

/* Copy column col of the current row into out (cap bytes, NUL-terminated, truncated). */
void store_col_copy(db_stmt *s, int col, char *out, size_t cap);

#endif
