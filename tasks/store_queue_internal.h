/*
 * store_queue_internal.h - what store_inbox.c and store_outbox.c share: the
 * kz_queue struct (one statement slot per SQL text, prepared on first use,
 * reset after each use, finalized by qstore_close) and small helpers.
 * Owns: the statement slots. Never included outside tasks/store_*.c.
 */
#ifndef KAZI_STORE_QUEUE_INTERNAL_H
#define KAZI_STORE_QUEUE_INTERNAL_H

#include "queue_store.h"
#include "store_internal.h"

#define QSTORE_SLOTS 48

struct kz_queue {
    kz_store *st;
    db_stmt *slot[QSTORE_SLOTS]; /* store_inbox.c uses 0-15, store_outbox.c 16-47 */
    char *own_modems; /* owned: ",m1,m2," (qstore_set_own_modems) or NULL: every modem's */
};

/* The statement in slot, prepared from sql on first use, reset and unbound; NULL + err. */
db_stmt *qstore_stmt(kz_queue *q, int slot, const char *sql, kz_err *err);

/* Run a statement that returns no rows; KZ_ERR_DB on failure. */
kz_status qstore_exec(kz_queue *q, db_stmt *s, const char *what, kz_err *err);

/* Bind text (NULL binds NULL). */
void qstore_bind_text(db_stmt *s, int i, const char *v);

#endif
