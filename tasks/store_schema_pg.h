/*
 * store_schema_pg.h - the store's whole schema in PostgreSQL's dialect
 * (tasks/store_schema_pg.c), which tasks/store_open_pg.c runs once, inside
 * one transaction, on an empty database.
 * Owns: that text's name and the SQLite schema version it equals. Never
 * declares anything else.
 */
#ifndef KAZI_STORE_SCHEMA_PG_H
#define KAZI_STORE_SCHEMA_PG_H

/*
 * The whole current schema in PostgreSQL's dialect, as one text of several
 * statements: tables, constraints, indexes, triggers, the meta rows
 * ('pseudonym_key', 'schema_version') and the functions the store's
 * SQLite-dialect SQL calls (scalar max/min, sum over a boolean). It succeeds
 * only on a database without these objects and is never run twice.
 */
extern const char store_schema_pg_sql[];

/* The SQLite schema version it equals (store_schema_latest()'s value when written). */
#define STORE_SCHEMA_PG_VERSION 9

#endif
