/*
 * db_sql_pg.h - rewrites one SQL statement from SQLite's dialect, as the
 * store writes it, into PostgreSQL's (tasks/db_sql_pg.c).
 * Owns: that text rewrite. Never parses beyond tokens (string literals,
 * quoted names, comments and parentheses are respected), never touches the
 * database, never allocates: the caller gives the buffer.
 *
 * Rewrites:
 *  - parameters: ?NNN -> $NNN; a bare ? -> $k, counting from 1 (or from the
 *    highest ?NNN seen so far plus one, as SQLite numbers them);
 *  - BEGIN IMMEDIATE / BEGIN DEFERRED / BEGIN EXCLUSIVE -> BEGIN;
 *  - CROSS JOIN x ON ... -> JOIN x ON ... (PostgreSQL refuses ON after CROSS
 *    JOIN; SQLite uses CROSS JOIN only to fix the join order);
 *  - unary + before a column (SQLite's "don't use an index" hint) dropped;
 *  - "a IS b" / "a IS NOT b" where b is not NULL, TRUE, FALSE or DISTINCT ->
 *    IS NOT DISTINCT FROM / IS DISTINCT FROM;
 *  - CAST(x AS INTEGER) -> CAST(x AS BIGINT), AS REAL -> AS DOUBLE PRECISION;
 *  - instr( -> strpos(  (same arguments);
 *  - a subquery in FROM or JOIN without a name gets one (" AS kz_sN"):
 *    PostgreSQL before 16 refuses it unnamed;
 *  - printf('...%d...', ...) -> format('...%s...', ...) (format() prints any
 *    value with %s);
 *  - NOT INDEXED (a planner hint) dropped.
 * Functions SQLite has and PostgreSQL lacks with the same meaning (scalar
 * max(a, b) and min(a, b), sum over a boolean) are not rewritten here: the
 * PostgreSQL schema defines them (tasks/store_schema_pg.c).
 */
#ifndef KAZI_DB_SQL_PG_H
#define KAZI_DB_SQL_PG_H

#include <stddef.h>

/*
 * Rewrite sql into out[cap] (NUL-terminated). Returns 0 on success, -1 when
 * out is too small (out then holds "" if cap > 0; nothing is written past
 * cap). *nparams (may be NULL) receives the highest parameter number used,
 * 0 on failure. sql must not be NULL; out may be NULL only when cap is 0.
 */
int db_sql_pg(const char *sql, char *out, size_t cap, int *nparams);

#endif
