/*
 * store_copy.h - copying a whole SQLite database into an empty PostgreSQL
 * one of the same schema version: the move from one Pi to a shared store
 * (docs/scaling.md).
 * Owns: the order tables are copied in and what must be true before and
 * after. Never changes the source; never writes to a target that holds data.
 */
#ifndef KAZI_STORE_COPY_H
#define KAZI_STORE_COPY_H

#include <stdint.h>

#include "store.h"

/* Called after each table with its name and the rows copied (may be NULL). */
typedef void (*store_copy_fn)(void *ctx, const char *table, int64_t rows);

/*
 * Copy every row of every table of from (SQLite) into to (PostgreSQL), in one
 * transaction on to: ids are kept, the identity counters are moved past them,
 * tasks.taken is recounted (its trigger counts the copied assignments again),
 * and each table's row count is compared afterwards. The pseudonym key is
 * copied too, so workers keep their pseudonymous ids. KZ_ERR_STATE when to is
 * not PostgreSQL, from is not SQLite, the schema versions differ or to already
 * holds requesters, tasks, workers, messages or ledger entries; KZ_ERR_DB on a
 * database error (nothing is kept on to). *rows receives the total copied.
 */
kz_status store_copy(kz_store *from, kz_store *to, store_copy_fn cb, void *ctx, int64_t *rows,
                     kz_err *err);

#endif
