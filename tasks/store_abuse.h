/*
 * store_abuse.h - the rows the inbound abuse limits (tasks/conv_abuse.c)
 * read and write: counts of a number's recent inbound messages (all, by
 * repeat hash, by reason; store_conv_inbound_done writes the reason and the
 * hash) and number_flags (one row per number, kind of limit and local day).
 * Owns: that SQL (store_abuse.c). Never decides anything, never logs; every
 * value is bound. Callers run these inside their own transaction.
 */
#ifndef KAZI_STORE_ABUSE_H
#define KAZI_STORE_ABUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/*
 * Inbound messages from peer created at or after `since`, other than
 * message `self`, counted up to `limit` (the count stops there, so a flood
 * costs no more than the limit): *n.
 */
kz_status store_abuse_inbound_count(kz_store *st, const char *peer, int64_t since, int64_t self,
                                    int64_t limit, int64_t *n, kz_err *err);

/* The same, only those whose norm_hash is `norm`. */
kz_status store_abuse_repeat_count(kz_store *st, const char *peer, int64_t norm, int64_t since,
                                   int64_t self, int64_t limit, int64_t *n, kz_err *err);

/* Is there an inbound message from peer since `since`, other than self, with this reason? */
kz_status store_abuse_reason_seen(kz_store *st, const char *peer, const char *reason,
                                  int64_t since, int64_t self, bool *seen, kz_err *err);

/*
 * Count one hit of limit `kind` for peer on local day `day` (YYYY-MM-DD) at
 * `at`, naming message_id (0: none). *first is set when this is the first
 * hit of that number, kind and day (the caller logs it then, and only then).
 */
kz_status store_abuse_flag(kz_store *st, const char *peer, const char *kind, const char *day,
                           int64_t at, int64_t message_id, bool *first, kz_err *err);

/* One number_flags row. Pointers valid during the callback only. */
typedef struct store_flag_row {
    const char *peer;
    const char *kind;
    const char *day;
    int64_t first_at, last_at, hits;
    int64_t message_id; /* the message that raised it, 0 if none */
    int64_t worker_id;  /* the worker with that phone, 0 if none */
} store_flag_row;

/* Call cb for every flag, the latest first; cb returns non-zero to stop. */
kz_status store_abuse_flags_each(kz_store *st, int (*cb)(void *ctx, const store_flag_row *r),
                                 void *ctx, kz_err *err);

#endif
