/*
 * store_copy.c - store_copy (store_copy.h): every table of a SQLite store
 * into an empty PostgreSQL one, row by row through prepared statements.
 * Owns: the table order (parents before the rows that point at them) and the
 * fix-ups after the copy. Never builds SQL from data: table names come from
 * the list below and column names from the source's own schema, quoted.
 */
#include "store_copy.h"

#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* Parents first: every foreign key points to a table earlier in the list. */
static const char *const tables[] = {
    "meta",          "requesters",   "batches",        "imports",        "tasks",
    "workers",       "modems",       "messages",       "consents",       "assignments",
    "answers",       "appeals",      "payouts",        "ledger_entries", "retainers",
    "asks",          "certificates", "task_results",   "inbox_parts",    "outbox_parts",
    "sms_counts",    "payout_events", "payout_sms",    "payout_float",   "retainer_days",
    "number_flags",  "ussd_sessions",
};

/* Tables whose id is an identity column on PostgreSQL. */
static int has_id(const char *t)
{
    static const char *const no_id[] = {"meta", "certificates", "task_results", "sms_counts",
                                        "retainer_days", "number_flags", "ussd_sessions"};
    for (size_t i = 0; i < sizeof no_id / sizeof no_id[0]; i++)
        if (strcmp(t, no_id[i]) == 0)
            return 0;
    return 1;
}

#define COLS_MAX 32
#define SQL_MAX 2048

/* The quoted column list of table t on the SQLite side, and how many. */
static kz_status columns(kz_store *from, const char *t, char *out, size_t cap, int *n,
                         kz_err *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", t);
    db_stmt *s = NULL;
    if (db_prepare(from->db, sql, 0, &s) != DB_OK)
        return store_db_err(from, err, sql);
    size_t len = 0;
    int rc;
    *n = 0;
    out[0] = '\0';
    while ((rc = db_step(s)) == DB_ROW && *n < COLS_MAX) {
        int w = snprintf(out + len, cap - len, "%s\"%s\"", *n ? ", " : "",
                         (const char *)db_column_text(s, 0));
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
        (*n)++;
    }
    db_finalize(s);
    if (rc != DB_DONE || *n == 0)
        return kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: cannot read its columns", t);
    return KZ_OK;
}

/* Copy the current row of sel into ins (every value as text or NULL) and run it. */
static kz_status copy_row(kz_store *to, db_stmt *sel, db_stmt *ins, int n, const char *t,
                          kz_err *err)
{
    db_reset(ins);
    for (int c = 0; c < n; c++) {
        if (db_column_is_null(sel, c))
            db_bind_null(ins, c + 1);
        else
            db_bind_text(ins, c + 1, (const char *)db_column_text(sel, c),
                         db_column_bytes(sel, c), DB_TRANSIENT);
    }
    if (db_step(ins) != DB_DONE)
        return kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: %s", t, db_errmsg(to->db));
    return KZ_OK;
}

static kz_status copy_table(kz_store *from, kz_store *to, const char *t, int64_t *rows,
                            kz_err *err)
{
    char cols[SQL_MAX], sel_sql[SQL_MAX + 128], ins_sql[SQL_MAX * 2];
    int n = 0;
    kz_status rc = columns(from, t, cols, sizeof cols, &n, err);
    if (rc != KZ_OK)
        return rc;
    /* meta: the target made its own schema_version row; the pseudonym key is the source's */
    const char *where = strcmp(t, "meta") == 0 ? " WHERE key <> 'schema_version'" : "";
    snprintf(sel_sql, sizeof sel_sql, "SELECT %s FROM %s%s", cols, t, where);
    int len = snprintf(ins_sql, sizeof ins_sql, "INSERT INTO %s(%s) VALUES (", t, cols);
    for (int c = 1; c <= n && len > 0 && (size_t)len < sizeof ins_sql; c++)
        len += snprintf(ins_sql + len, sizeof ins_sql - (size_t)len, "%s?%d", c > 1 ? ", " : "", c);
    if (len <= 0 || (size_t)len + 2 >= sizeof ins_sql)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "%s: too many columns", t);
    memcpy(ins_sql + len, ")", 2);
    db_stmt *sel = NULL, *ins = NULL;
    if (db_prepare(from->db, sel_sql, 0, &sel) != DB_OK)
        rc = store_db_err(from, err, t);
    else if (db_prepare(to->db, ins_sql, 0, &ins) != DB_OK)
        rc = store_db_err(to, err, t);
    int step = DB_DONE;
    while (rc == KZ_OK && (step = db_step(sel)) == DB_ROW) {
        rc = copy_row(to, sel, ins, n, t, err);
        (*rows)++;
    }
    if (rc == KZ_OK && step != DB_DONE)
        rc = store_db_err(from, err, t);
    db_finalize(sel);
    db_finalize(ins);
    return rc;
}

static kz_status check_pair(kz_store *from, kz_store *to, kz_err *err)
{
    if (db_backend(from->db) != DB_SQLITE || db_backend(to->db) != DB_POSTGRES)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "copying goes from a SQLite file to a PostgreSQL database");
    int vf = store_schema_version(from), vt = store_schema_version(to);
    if (vf != vt)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "schema versions differ: the file is at %d, PostgreSQL at %d", vf, vt);
    int64_t used = 0;
    kz_status rc = store_one_int(to,
                           "SELECT (SELECT count(*) FROM requesters) + (SELECT count(*) FROM tasks)"
                           " + (SELECT count(*) FROM workers) + (SELECT count(*) FROM messages)"
                           " + (SELECT count(*) FROM ledger_entries)",
                           &used, err);
    if (rc == KZ_OK && used > 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "the PostgreSQL database already holds data (%lld rows); copy into an "
                          "empty one", (long long)used);
    return rc;
}

/* After the rows: identity counters past the copied ids, and taken recounted. */
static kz_status fix_up(kz_store *to, kz_err *err)
{
    kz_status rc = KZ_OK;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0] && rc == KZ_OK; i++) {
        if (!has_id(tables[i]))
            continue;
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
                 " coalesce(max(id), 0) + 1, false) FROM %s", tables[i], tables[i]);
        rc = store_exec(to, sql, "moving an id counter", err);
    }
    if (rc == KZ_OK)
        rc = store_exec(to, "UPDATE tasks SET taken = (SELECT count(*) FROM assignments a"
                            " WHERE a.task_id = tasks.id AND a.state IN ('offered','answered'))",
                        "recounting tasks.taken", err);
    return rc;
}

/* Each table has as many rows on both sides. */
static kz_status compare_counts(kz_store *from, kz_store *to, kz_err *err)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", tables[i],
                 strcmp(tables[i], "meta") == 0 ? " WHERE key <> 'schema_version'" : "");
        int64_t a = 0, b = 0;
        kz_status rc = store_one_int(from, sql, &a, err);
        if (rc == KZ_OK)
            rc = store_one_int(to, sql, &b, err);
        if (rc != KZ_OK)
            return rc;
        if (a != b)
            return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                              "%s: %lld rows in the file, %lld copied", tables[i],
                              (long long)a, (long long)b);
    }
    return KZ_OK;
}

kz_status store_copy(kz_store *from, kz_store *to, store_copy_fn cb, void *ctx, int64_t *rows,
                     kz_err *err)
{
    *rows = 0;
    kz_status rc = check_pair(from, to, err);
    if (rc != KZ_OK)
        return rc;
    rc = store_exec(from, "BEGIN", "BEGIN", err); /* one snapshot of the file */
    if (rc == KZ_OK)
        rc = store_exec(to, "BEGIN", "BEGIN", err);
    if (rc == KZ_OK)
        rc = store_exec(to, "DELETE FROM meta WHERE key <> 'schema_version'",
                        "clearing the target's meta rows", err);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0] && rc == KZ_OK; i++) {
        int64_t n = 0;
        rc = copy_table(from, to, tables[i], &n, err);
        *rows += n;
        if (rc == KZ_OK && cb)
            cb(ctx, tables[i], n);
    }
    if (rc == KZ_OK)
        rc = fix_up(to, err);
    if (rc == KZ_OK)
        rc = compare_counts(from, to, err);
    if (rc == KZ_OK)
        rc = store_exec(to, "COMMIT", "COMMIT", err);
    if (rc != KZ_OK)
        db_exec(to->db, "ROLLBACK");
    db_exec(from->db, "ROLLBACK");
    return rc;
}
