/*
 * store_check.c - the SQL of `kazi check` beyond the ledger (see
 * store_check.h): SQLite's own integrity check, the schema version, rows whose
 * foreign keys point nowhere, and the links the schema cannot declare.
 * Owns: those queries, each returning one sentence per problem. Never writes,
 * never repairs; never builds SQL from data.
 */
#include "store_check.h"

#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/*
 * Every row PRAGMA foreign_key_check finds, with the column(s) of the broken
 * key: a row written while foreign keys were off (another tool, a restore
 * gone wrong) or a parent deleted that way.
 */
static const char sql_foreign_keys[] =
    "SELECT printf('orphan: %s %s: %s points to no row of %s', fk.\"table\","
    " CASE WHEN fk.rowid IS NULL THEN '(without rowid)' ELSE 'row ' || fk.rowid END,"
    " coalesce((SELECT group_concat(fl.\"from\", ', ') FROM pragma_foreign_key_list(fk.\"table\")"
    "  AS fl WHERE fl.id = fk.fkid), '?'), fk.parent)"
    " FROM pragma_foreign_key_check AS fk";

/* Links the schema cannot declare as foreign keys, one sentence per row. */
static const char *const sql_links[] = {
    "SELECT printf('orphan: outbox_parts row %d: message_id %d is an inbound message',"
    " p.id, p.message_id) FROM outbox_parts p JOIN messages m ON m.id = p.message_id"
    " WHERE m.direction <> 'out' ORDER BY p.id",
    "SELECT printf('orphan: inbox_parts row %d: message_id %d is an outbound message',"
    " p.id, p.message_id) FROM inbox_parts p JOIN messages m ON m.id = p.message_id"
    " WHERE m.direction <> 'in' ORDER BY p.id",
    "SELECT printf('orphan: ledger_entries row %d: a %s entry with no worker_id', id, kind)"
    " FROM ledger_entries WHERE worker_id IS NULL"
    " AND kind IN ('reward','sms_refund','hold','release','payout','payout_reversal') ORDER BY id",
    "SELECT printf('orphan: ledger_entries row %d: a %s entry with no answer_id', id, kind)"
    " FROM ledger_entries WHERE answer_id IS NULL AND kind IN ('reward','hold','release')"
    " ORDER BY id",
    "SELECT printf('orphan: ledger_entries row %d: an sms_refund entry with neither answer_id"
    " nor message_id', id) FROM ledger_entries WHERE kind = 'sms_refund'"
    " AND answer_id IS NULL AND message_id IS NULL ORDER BY id",
};

typedef struct check_run {
    kz_store *st;
    store_problem_fn cb;
    void *ctx;
    size_t *problems;
    kz_err *err;
} check_run;

static void report(check_run *r, const char *line)
{
    (*r->problems)++;
    if (r->cb)
        r->cb(r->ctx, line);
}

/*
 * Report each line of text (integrity_check puts several in one row) with
 * prefix, leaving out its "*** in database main ***" headings.
 */
static void report_lines(check_run *r, const char *prefix, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\r\n");
        if (n && !(text[0] == '*' && text[1] == '*' && text[2] == '*')) {
            char line[512];
            snprintf(line, sizeof line, "%s%.*s", prefix, (int)(n < 400 ? n : 400), text);
            report(r, line);
        }
        text += n;
        text += strspn(text, "\r\n");
    }
}

/*
 * Prepare sql, step it, and for every row whose column 0 is text report it
 * with prefix before it (skipping a row equal to skip, e.g. "ok").
 */
static kz_status each_row(check_run *r, const char *sql, const char *prefix, const char *skip,
                          const char *what)
{
    db_stmt *s = NULL;
    if (db_prepare(r->st->db, sql, 0, &s) != DB_OK)
        return store_db_err(r->st, r->err, what);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *t = (const char *)db_column_text(s, 0);
        if (!t || (skip && strcmp(t, skip) == 0))
            continue;
        report_lines(r, prefix, t);
    }
    kz_status st = KZ_OK;
    if (rc != DB_DONE)
        st = store_db_err(r->st, r->err, what);
    db_finalize(s);
    return st;
}

static void check_schema(check_run *r)
{
    int v = store_schema_version(r->st);
    int latest = store_schema_latest();
    char line[160];
    if (v < 0)
        snprintf(line, sizeof line, "schema: PRAGMA user_version cannot be read");
    else if (v == 0)
        snprintf(line, sizeof line, "schema: version 0: not a kazi database (no migrations applied)");
    else if (v > latest)
        snprintf(line, sizeof line,
                 "schema: version %d is newer than this kazi knows (%d): use a newer kazi", v,
                 latest);
    else
        return;
    report(r, line);
}

kz_status store_check(kz_store *st, unsigned flags, store_problem_fn cb, void *ctx,
                      size_t *problems, kz_err *err)
{
    *problems = 0;
    check_run r = {.st = st, .cb = cb, .ctx = ctx, .problems = problems, .err = err};
    const char *integrity =
        (flags & STORE_CHECK_QUICK) ? "PRAGMA quick_check" : "PRAGMA integrity_check";
    /* PostgreSQL checks its own pages and always enforces foreign keys. */
    int lite = db_backend(st->db) == DB_SQLITE;
    kz_status rc = lite ? each_row(&r, integrity, "integrity: ", "ok", integrity) : KZ_OK;
    if (rc != KZ_OK)
        return rc;
    check_schema(&r);
    int v = store_schema_version(st);
    if (v <= 0 || v > store_schema_latest())
        return KZ_OK; /* the tables below are not the ones this program knows */
    if (lite)
        rc = each_row(&r, sql_foreign_keys, "", NULL, "PRAGMA foreign_key_check");
    if (rc != KZ_OK || v < store_schema_latest())
        return rc;
    for (size_t i = 0; i < sizeof sql_links / sizeof sql_links[0] && rc == KZ_OK; i++)
        rc = each_row(&r, sql_links[i], "", NULL, "checking links between rows");
    return rc;
}
