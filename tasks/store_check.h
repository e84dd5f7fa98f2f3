/*
 * store_check.h - whole-file operations on the database: verify it (SQLite's
 * integrity check, foreign keys, schema version, rows that point nowhere) and
 * copy it online with SQLite's backup API (`kazi check`, `kazi backup`,
 * docs/operations.md).
 * Owns: the SQL of those checks (store_check.c) and the backup loop
 * (store_backup.c). Never repairs, never logs, never exits, never builds SQL
 * from data.
 */
#ifndef KAZI_STORE_CHECK_H
#define KAZI_STORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* store_check flags. */
enum {
    STORE_CHECK_QUICK = 1u << 0 /* PRAGMA quick_check instead of integrity_check */
};

/* Called once per problem with one line (no newline), borrowed for the call. */
typedef void (*store_problem_fn)(void *ctx, const char *problem);

/*
 * Check the file behind st, in this order, calling cb once per problem:
 *  - "integrity: MESSAGE" for each line SQLite's integrity_check (or
 *    quick_check with STORE_CHECK_QUICK) reports;
 *  - "schema: ..." when user_version is 0 (not a kazi database) or newer than
 *    this program knows;
 *  - "orphan: TABLE row ROWID: COLUMN points to no row of PARENT" for each
 *    row PRAGMA foreign_key_check finds ("TABLE (without rowid)" where the
 *    table has none);
 *  - "orphan: ..." for rows whose link the schema cannot declare (an outbox
 *    part whose message is inbound; a payout entry, reward or SMS refund with
 *    nothing to point at).
 * *problems receives the count. KZ_OK when the checks ran (even with
 * problems); KZ_ERR_DB (err says which check) when one could not run, with
 * *problems counting what was found before.
 */
kz_status store_check(kz_store *st, unsigned flags, store_problem_fn cb, void *ctx,
                      size_t *problems, kz_err *err);

/* What store_backup copied. */
typedef struct store_backup_info {
    int64_t pages;      /* pages in the copy */
    int64_t page_size;  /* bytes per page */
    int schema_version; /* PRAGMA user_version of the copy */
    int restarts;       /* times a write to the source made the copy start over */
} store_backup_info;

/*
 * Copy the database behind src into the file at dest (which must exist and be
 * empty, or not exist: the caller chooses its name and mode) with SQLite's
 * online backup API, pages_per_step pages at a time (<= 0: 64) so that
 * writers on other connections keep going between steps. SQLITE_BUSY and
 * SQLITE_LOCKED are retried for up to about 10 seconds; after 20 restarts
 * caused by writers the rest is copied in one step (in WAL mode that read
 * does not stop a writer). Then the copy's integrity_check must say "ok".
 * Does not fsync or rename (the caller does). On failure the file at dest
 * may hold a partial copy; err names dest or the step that failed:
 * KZ_ERR_BUSY (still locked after the retries), KZ_ERR_DB otherwise.
 */
kz_status store_backup(kz_store *src, const char *dest, int pages_per_step,
                       store_backup_info *info, kz_err *err);

#endif
