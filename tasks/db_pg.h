/*
 * db_pg.h - the PostgreSQL backend of db.h (tasks/db_pg.c): libpq, loaded at
 * run time (tasks/pq_lib.c), emulating SQLite's prepare/bind/step/column calls.
 * Owns: the calls db.c passes on when a connection is PostgreSQL. Each has the
 * meaning of its db.h namesake. Never included outside tasks/db*.c (and
 * its unit test, tests/unit/test_db_pg.c).
 *
 * How the emulation behaves (what db_pg.c must keep true):
 *  - pg_db_prepare rewrites SQLite's dialect (db_sql_pg.h) and prepares it on
 *    the server under a name of its own; the first pg_db_step after a reset
 *    executes with the bound values (sent as text) and keeps the whole
 *    result; later steps walk its rows.
 *  - Booleans read as 1 or 0 ("t"/"f"); numbers are parsed from text; NULL
 *    reads as 0 or a NULL text pointer, as in SQLite.
 *  - Inside a transaction, every statement that is not a SELECT runs behind a
 *    savepoint, so that a failed statement (a UNIQUE violation the caller
 *    expects) leaves the transaction usable, as SQLite does.
 *  - SQLSTATEs map onto db.h's codes: 23505 DB_CONSTRAINT_UNIQUE, 23503
 *    DB_CONSTRAINT_FOREIGNKEY, 23514 DB_CONSTRAINT_CHECK, 23502
 *    DB_CONSTRAINT_NOTNULL, P0001 (a trigger's RAISE) DB_CONSTRAINT_TRIGGER,
 *    40001/40P01/55P03 DB_BUSY, another class 23 SQLSTATE (an exclusion
 *    constraint) DB_CONSTRAINT, anything else DB_ERROR.
 *
 * Details db_pg.c keeps as well:
 *  - The savepoint ("kz_stmt") is released lazily, together with the next
 *    one's creation, so a write inside a transaction costs one extra round
 *    trip. The caller's own SAVEPOINT/RELEASE/ROLLBACK TO work as usual: ours
 *    is released before the caller's SAVEPOINT runs, so it never encloses it.
 *  - Reads (SELECT, VALUES, WITH without INSERT/UPDATE/DELETE) are not
 *    guarded: a failed read aborts the transaction, as PostgreSQL does, and
 *    the COMMIT that follows returns DB_ERROR ("COMMIT rolled back ...")
 *    instead of passing for a commit. So does a prepare that fails inside a
 *    transaction (a typo, a missing table): prepare before BEGIN when a
 *    failure is expected.
 *  - A step that failed returns the same code until reset; reset (and
 *    finalize) return that code, as sqlite3_reset does. A step after DB_DONE
 *    returns DB_DONE again (no automatic re-run).
 *  - db_changes counts only INSERT, UPDATE, DELETE (and MERGE), RETURNING
 *    or not; other statements leave it as it was.
 *  - pg_db_last_insert_rowid is lastval(): 0 before any sequence was used on
 *    the connection (inside a transaction it runs behind a savepoint of its
 *    own, so that failure does not abort it). It reads the last sequence
 *    used, which a trigger's INSERT into another table may have moved.
 *  - pg_db_finalize DEALLOCATEs the server's copy (one round trip), except
 *    inside a failed transaction, where the copy stays until disconnection.
 */
#ifndef KAZI_DB_PG_H
#define KAZI_DB_PG_H

#include <stddef.h>
#include <stdint.h>

typedef struct pg_db pg_db;
typedef struct pg_stmt pg_stmt;

/* Connect to uri. *out is set even on failure (for the message) unless memory ran out. */
int pg_db_open(const char *uri, pg_db **out);
void pg_db_close(pg_db *d);
const char *pg_db_errmsg(pg_db *d);

int pg_db_prepare(pg_db *d, const char *sql, pg_stmt **out);
int pg_db_bind_int64(pg_stmt *s, int i, int64_t v);
int pg_db_bind_double(pg_stmt *s, int i, double v);
int pg_db_bind_null(pg_stmt *s, int i);
int pg_db_bind_text(pg_stmt *s, int i, const char *p, int n); /* always copied */
int pg_db_step(pg_stmt *s);
int64_t pg_db_column_int64(pg_stmt *s, int col);
double pg_db_column_double(pg_stmt *s, int col);
const unsigned char *pg_db_column_text(pg_stmt *s, int col);
int pg_db_column_bytes(pg_stmt *s, int col);
int pg_db_column_is_null(pg_stmt *s, int col);
int pg_db_reset(pg_stmt *s);
int pg_db_clear_bindings(pg_stmt *s);
int pg_db_stmt_busy(pg_stmt *s);
int pg_db_finalize(pg_stmt *s);
int64_t pg_db_last_insert_rowid(pg_db *d);
int pg_db_changes(pg_db *d);
int pg_db_get_autocommit(pg_db *d);
int pg_db_exec(pg_db *d, const char *sql);

#endif
