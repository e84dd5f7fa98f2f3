/*
 * store_backup.c - an online copy of the database with SQLite's backup API
 * (see store_backup() in store_check.h): step a few pages at a time so other
 * connections keep writing, retry while the source is busy, then check the
 * copy with integrity_check.
 * Owns: the backup loop and its bounds. Never touches the source's rows,
 * never names, fsyncs or renames the copy (the caller does).
 */
#include "store_check.h"

#include <string.h>

#include "store_internal.h"

#include <sqlite3.h>

#define BACKUP_DEFAULT_STEP 64 /* pages per step: 256 KiB at the default page size */
#define BACKUP_BUSY_SLEEP_MS 50
#define BACKUP_BUSY_TRIES 200 /* 200 x 50 ms: about 10 s of a held lock */
#define BACKUP_MAX_RESTARTS 20

static kz_status dest_err(sqlite3 *db, const char *dest, const char *what, kz_err *err)
{
    return kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: %s: %s", dest, what,
                      db ? sqlite3_errmsg(db) : "cannot open");
}

/* Run the backup to completion; SQLITE_DONE, or the code that stopped it. */
static int copy_pages(sqlite3_backup *b, int step, store_backup_info *info)
{
    int busy = 0;
    int last_remaining = -1;
    for (;;) {
        int n = info->restarts >= BACKUP_MAX_RESTARTS ? -1 : step;
        int rc = sqlite3_backup_step(b, n);
        if (rc == SQLITE_DONE)
            return rc;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (++busy > BACKUP_BUSY_TRIES)
                return rc;
            sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
            continue;
        }
        if (rc != SQLITE_OK)
            return rc;
        busy = 0;
        /* A write through another connection starts the copy over: no fewer pages left. */
        int remaining = sqlite3_backup_remaining(b);
        if (last_remaining >= 0 && remaining >= last_remaining)
            info->restarts++;
        last_remaining = remaining;
    }
}

/* The first line of an integrity_check report that is not a "*** in database" heading. */
static const char *first_problem(const char *t)
{
    while (*t == '*' || *t == '\n' || *t == '\r') {
        t += strcspn(t, "\r\n");
        t += strspn(t, "\r\n");
    }
    return *t ? t : "(no detail)";
}

/* integrity_check and user_version of the copy, on its own connection. */
static kz_status verify_copy(sqlite3 *db, const char *dest, store_backup_info *info,
                             kz_err *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return dest_err(db, dest, "integrity_check", err);
    }
    int rc = sqlite3_step(s);
    const char *t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
    kz_status st = KZ_OK;
    if (!t)
        st = dest_err(db, dest, "integrity_check", err);
    else if (strcmp(t, "ok") != 0)
        st = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: the copy fails integrity_check: %.*s",
                        dest, (int)strcspn(first_problem(t), "\r\n"), first_problem(t));
    sqlite3_finalize(s);
    if (st != KZ_OK)
        return st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return dest_err(db, dest, "user_version", err);
    }
    info->schema_version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return KZ_OK;
}

kz_status store_backup(kz_store *src, const char *dest, int pages_per_step,
                       store_backup_info *info, kz_err *err)
{
    memset(info, 0, sizeof *info);
    if (!db_sqlite(src->db))
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "the database is PostgreSQL: back it up with pg_dump (docs/scaling.md)");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(dest, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        kz_status rc = dest_err(db, dest, "opening the copy", err);
        sqlite3_close(db);
        return rc;
    }
    sqlite3_backup *b = sqlite3_backup_init(db, "main", db_sqlite(src->db), "main");
    if (!b) {
        kz_status rc = dest_err(db, dest, "starting the backup", err);
        sqlite3_close(db);
        return rc;
    }
    int rc = copy_pages(b, pages_per_step > 0 ? pages_per_step : BACKUP_DEFAULT_STEP, info);
    info->pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    kz_status st = KZ_OK;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        st = kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                        "%s: the database stayed locked for more than %d s; try again",
                        dest, BACKUP_BUSY_TRIES * BACKUP_BUSY_SLEEP_MS / 1000);
    else if (rc != SQLITE_DONE)
        st = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: copying pages: %s", dest,
                        sqlite3_errstr(rc));
    if (st == KZ_OK) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            info->page_size = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        st = verify_copy(db, dest, info, err);
    }
    if (sqlite3_close(db) != SQLITE_OK && st == KZ_OK)
        st = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: closing the copy failed", dest);
    return st;
}
