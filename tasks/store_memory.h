/*
 * store_memory.h - the memory SQLite holds for the store: how it is set up
 * (once, before the first connection) and giving back, while the daemon is
 * idle, what a connection can rebuild on demand (its unused page cache and
 * its cached prepared statements).
 * Owns: SQLite's process-wide memory settings. Never touches the data, never
 * frees a statement in the middle of a step or memory a transaction holds,
 * never logs.
 */
#ifndef KAZI_STORE_MEMORY_H
#define KAZI_STORE_MEMORY_H

#include <stddef.h>

#include "queue_store.h"
#include "status.h"
#include "store.h"

/*
 * Before any connection is opened: no up-front block of page-cache pages per
 * connection (SQLite's default takes 20 pages, about 85 KiB, at the first
 * read and keeps them until close; without it each page is its own
 * allocation, which store_release_memory can give back). The cache's size
 * is unchanged. KZ_ERR_STATE (err says so) when SQLite was already
 * initialised in this process: the setting then stays as it was, which is
 * harmless.
 */
kz_status store_memory_setup(kz_err *err);

/* What one connection holds, in bytes (sqlite3_db_status). */
typedef struct store_memory_use {
    size_t cache;  /* the page cache, unused pages included */
    size_t schema; /* the parsed schema */
    size_t stmts;  /* the prepared statements */
} store_memory_use;

/* Fill *out for st's connection. KZ_ERR_DB when SQLite cannot tell. */
kz_status store_memory_use_get(kz_store *st, store_memory_use *out, kz_err *err);

/*
 * Give back what st's connection (and q's, which shares it; q may be NULL)
 * can rebuild: the cached prepared statements not in the middle of a step
 * are finalized (each is prepared again on its next use), then the page-cache
 * pages no statement or transaction holds are freed. Call it between two
 * turns of work when the connection has been idle for a while, never inside
 * a burst: the next statements are prepared again and their pages read again
 * from the OS's file cache. *freed (may be NULL) receives what the cache and
 * the statements shrank by. KZ_ERR_DB on failure (what was freed stays freed).
 */
kz_status store_release_memory(kz_store *st, kz_queue *q, store_memory_use *freed, kz_err *err);

#endif
