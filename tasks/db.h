/*
 * db.h - one connection to the store's database, SQLite (a file path) or
 * PostgreSQL (a postgresql:// or postgres:// URI), behind the few calls the
 * store_*.c files make: prepare, bind, step, read a column, reset.
 * Owns: choosing the backend from the target and passing each call to it.
 * Never holds SQL of its own beyond what the caller passes, never logs, and
 * never shows a password: db_target_safe() is what logs may print.
 *
 * The calls and their result codes mirror SQLite's, so the store reads the
 * same on both: DB_ROW, DB_DONE and the constraint codes keep SQLite's values,
 * and the PostgreSQL backend (tasks/db_pg.c) maps its SQLSTATEs onto them.
 * SQL is written once, in SQLite's dialect; db_pg.c rewrites what PostgreSQL
 * spells differently (tasks/db_sql_pg.c) when it prepares a statement.
 */
#ifndef KAZI_DB_H
#define KAZI_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct db_conn db_conn;          /* one connection; db_close frees it */
typedef struct db_stmt db_stmt; /* one prepared statement; db_finalize frees it */

/* Result codes: SQLite's values (extended codes for constraints). */
enum {
    DB_OK = 0,
    DB_ERROR = 1,
    DB_BUSY = 5, /* PostgreSQL: serialization failure, deadlock, lock not available */
    DB_LOCKED = 6,
    DB_NOMEM = 7,
    DB_CONSTRAINT = 19,
    DB_ROW = 100,
    DB_DONE = 101,
    DB_CONSTRAINT_CHECK = 275,
    DB_CONSTRAINT_FOREIGNKEY = 787,
    DB_CONSTRAINT_NOTNULL = 1299,
    DB_CONSTRAINT_PRIMARYKEY = 1555,
    DB_CONSTRAINT_TRIGGER = 1811,
    DB_CONSTRAINT_UNIQUE = 2067
};

/* db_bind_text's last argument: the text outlives the statement's use, or not. */
enum { DB_STATIC = 0, DB_TRANSIENT = 1 };

/* Which backend a connection uses. */
typedef enum db_kind { DB_SQLITE = 0, DB_POSTGRES = 1 } db_kind;

/* True when target names a PostgreSQL database (postgresql:// or postgres://). */
int db_target_is_pg(const char *target);

/*
 * target as logs may show it: a URI's password replaced by "***". Writes at
 * most cap-1 bytes and a NUL into out and returns out.
 */
const char *db_target_safe(const char *target, char *out, size_t cap);

/*
 * Open target. SQLite: the file (created when create is set), read-write,
 * extended result codes on. PostgreSQL: connect (create is ignored: the
 * database must exist; the schema is the store's job). *out receives the
 * connection, which db_close frees, even on failure when it is not NULL so
 * that db_errmsg can say why. Returns DB_OK or an error code.
 */
int db_open(const char *target, int create, db_conn **out);

/* Finalize nothing (the caller finalizes its statements first); close and free. NULL-safe. */
void db_close(db_conn *d);

db_kind db_backend(const db_conn *d);

/* The last error's text on this connection (never NULL). */
const char *db_errmsg(db_conn *d);

/* The SQLite handle, for SQLite-only features (backup, pragmas); NULL on PostgreSQL. */
struct sqlite3 *db_sqlite(db_conn *d);

/*
 * Prepare sql (SQLite's dialect, ?N or ? parameters). persistent: kept for
 * the life of the connection (a hint). *out receives the statement, freed by
 * db_finalize. Returns DB_OK or an error code (db_errmsg says why).
 */
int db_prepare(db_conn *d, const char *sql, int persistent, db_stmt **out);

/* Bindings: index i counts from 1. Text of n < 0 bytes runs to its NUL. */
int db_bind_int64(db_stmt *s, int i, int64_t v);
int db_bind_int(db_stmt *s, int i, int v);
int db_bind_double(db_stmt *s, int i, double v);
int db_bind_null(db_stmt *s, int i);
int db_bind_text(db_stmt *s, int i, const char *p, int n, int lifetime);

/* Run or advance: DB_ROW with a row to read, DB_DONE at the end, else an error code. */
int db_step(db_stmt *s);

/* Columns of the current row, counting from 0. Text stays valid until the next step or reset. */
int64_t db_column_int64(db_stmt *s, int col);
int db_column_int(db_stmt *s, int col);
double db_column_double(db_stmt *s, int col);
const unsigned char *db_column_text(db_stmt *s, int col); /* NULL for SQL NULL */
int db_column_bytes(db_stmt *s, int col);
int db_column_is_null(db_stmt *s, int col);

/* Back to before the first step, bindings kept. */
int db_reset(db_stmt *s);
int db_clear_bindings(db_stmt *s);
/* True between a step that returned DB_ROW and the reset. */
int db_stmt_busy(db_stmt *s);
/* Free the statement. NULL-safe. */
int db_finalize(db_stmt *s);

/* The row id of the last INSERT on this connection (PostgreSQL: lastval()). */
int64_t db_last_insert_rowid(db_conn *d);
/* Rows changed by the last INSERT, UPDATE or DELETE on this connection. */
int db_changes(db_conn *d);
/* True outside a transaction. */
int db_get_autocommit(db_conn *d);

/*
 * Run sql, which may hold several statements and no parameters, discarding
 * any rows. Returns DB_OK or an error code (db_errmsg says why).
 */
int db_exec(db_conn *d, const char *sql);

#endif
