/*
 * store_open_pg.c - opening the store on PostgreSQL: connect, set the
 * session's lock wait, create the schema on an empty database (once, even
 * when several daemons start together) and check its version.
 * Owns: those steps and the schema version's place in PostgreSQL (the meta
 * row 'schema_version'). Never shows a password (errors name the database
 * through db_target_safe) and never changes an existing schema: PostgreSQL
 * schema changes come as their own numbered steps when there are any.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "store_schema_pg.h"

/* Any fixed number: the advisory lock that serialises schema creation. */
#define SCHEMA_LOCK_KEY "4655360"

int store_schema_version_pg(kz_store *st)
{
    int64_t has = 0, v = -1;
    if (store_one_int(st, "SELECT to_regclass('meta') IS NOT NULL", &has, NULL) != KZ_OK)
        return -1;
    if (!has)
        return 0;
    if (store_one_int(st, "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta"
                    " WHERE key = 'schema_version'), 0)",
                &v, NULL) != KZ_OK)
        return -1;
    return (int)v;
}

/*
 * The PostgreSQL spelling of each SQLite migration after the one the whole
 * schema text equals (STORE_SCHEMA_PG_VERSION): entry i takes the database
 * from version STORE_SCHEMA_PG_VERSION + i to the next. A migration added to
 * tasks/store_schema.c gets its entry here in the same change; until then
 * store_open refuses PostgreSQL (and the PostgreSQL tests fail) rather than
 * run with a schema that is not the one the SQL expects.
 */
static const char *const pg_steps[] = {NULL};
#define PG_STEPS ((int)(sizeof pg_steps / sizeof pg_steps[0]) - 1)

/* Take the database from version v to this program's, one step per transaction's part. */
static kz_status upgrade(kz_store *st, int v, kz_err *err)
{
    if (STORE_SCHEMA_PG_VERSION + PG_STEPS != store_schema_latest())
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "this kazi has no PostgreSQL form of schema version %d",
                          STORE_SCHEMA_PG_VERSION + PG_STEPS + 1);
    kz_status rc = KZ_OK;
    for (; rc == KZ_OK && v < store_schema_latest(); v++) {
        char what[64], bump[96];
        snprintf(what, sizeof what, "migration %d on PostgreSQL", v + 1);
        snprintf(bump, sizeof bump,
                 "UPDATE meta SET value = '%d' WHERE key = 'schema_version'", v + 1);
        rc = store_exec(st, pg_steps[v - STORE_SCHEMA_PG_VERSION], what, err);
        if (rc == KZ_OK)
            rc = store_exec(st, bump, what, err);
    }
    return rc;
}

/* Create the schema when the database has none, bring it up to date, or refuse it. */
static kz_status ensure_schema(kz_store *st, kz_err *err)
{
    kz_status rc = store_exec(st, "BEGIN", "BEGIN", err);
    int64_t locked;
    if (rc == KZ_OK)
        rc = store_one_int(st,
                           "SELECT 1 FROM (SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")) l",
                           &locked, err);
    int v = rc == KZ_OK ? store_schema_version_pg(st) : -1;
    if (rc == KZ_OK && v < 0)
        rc = store_db_err(st, err, "reading the schema version");
    if (rc == KZ_OK && v == 0) {
        rc = store_exec(st, store_schema_pg_sql, "creating the PostgreSQL schema", err);
        v = STORE_SCHEMA_PG_VERSION;
    }
    if (rc == KZ_OK && v > store_schema_latest())
        rc = kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                        "database schema version %d is newer than this kazi (%d)", v,
                        store_schema_latest());
    else if (rc == KZ_OK && v < STORE_SCHEMA_PG_VERSION)
        rc = kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                        "database schema version %d is not one this kazi made", v);
    else if (rc == KZ_OK)
        rc = upgrade(st, v, err);
    if (rc == KZ_OK)
        return store_exec(st, "COMMIT", "COMMIT", err);
    db_exec(st->db, "ROLLBACK");
    return rc;
}

kz_status store_open_pg(const char *uri, unsigned flags, kz_store **out, kz_err *err)
{
    char safe[512];
    db_target_safe(uri, safe, sizeof safe);
    kz_store *st = calloc(1, sizeof *st);
    if (!st)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    kz_status rc = KZ_OK;
    if (db_open(uri, 0, &st->db) != DB_OK)
        rc = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: %s", safe, db_errmsg(st->db));
    /* The busy timeout's counterpart: a row lock held longer than this is an error (DB_BUSY). */
    if (rc == KZ_OK)
        rc = store_exec(st, "SET lock_timeout = '10s'", "SET lock_timeout", err);
    if (rc == KZ_OK && !(flags & STORE_OPEN_NO_MIGRATE))
        rc = ensure_schema(st, err);
    if (rc != KZ_OK) {
        store_close(st);
        return rc;
    }
    *out = st;
    return KZ_OK;
}
