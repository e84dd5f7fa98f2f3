/*
 * payout_sql.h - what tasks/store_payout*.c share: preparing a statement,
 * stepping it to the end, binding text or NULL.
 * Owns: nothing else. Never included outside tasks/store_payout*.c (it pulls
 * in db.h through store_internal.h).
 *
 * Payout statements are prepared per call and finalized at once: kz_store
 * has no slot table for them yet (store_internal.h is not this module's), and
 * payouts are a few hundred statements a day. A `pay[]` table like the
 * engine's `eng[]` would make them prepare-once without other changes here.
 */
#ifndef KAZI_PAYOUT_SQL_H
#define KAZI_PAYOUT_SQL_H

#include "payout_store.h"
#include "store_internal.h"

/*
 * The statement for sql, prepared once per store (sql must be a static string:
 * its address is the key), reset and unbound; NULL and err (KZ_ERR_DB) on
 * failure. Release it with pay_done, never db_finalize (store_close does).
 */
db_stmt *pay_prep(kz_store *st, const char *sql, kz_err *err);

/* Reset and unbind a statement from pay_prep after use (it stays prepared). NULL-safe. */
void pay_done(db_stmt *s);

/*
 * Step s to SQLITE_DONE and finalize it. KZ_ERR_BUSY (err prefixed by what)
 * for a UNIQUE violation, KZ_ERR_DB for anything else.
 */
kz_status pay_exec(kz_store *st, db_stmt *s, const char *what, kz_err *err);

/* Bind text (SQLITE_TRANSIENT) or NULL when v is NULL. */
void pay_bind_text(db_stmt *s, int i, const char *v);

/* Run a one-row, one-integer query already bound; *v 0 when there is no row. Finalizes. */
kz_status pay_int(kz_store *st, db_stmt *s, int64_t *v, const char *what, kz_err *err);

/* The columns pay_row_fill reads, "FROM payouts p" included; append WHERE/ORDER. */
#define PAY_SELECT                                                                          \
    "SELECT p.id, p.worker_id, p.amount_minor, p.fee_minor, p.currency, p.phone, p.state,"  \
    " p.idempotency_key, coalesce(p.provider_ref, ''), coalesce(p.error, ''),"              \
    " coalesce((SELECT e.method FROM payout_events e WHERE e.payout_id = p.id"              \
    "           AND e.method IS NOT NULL ORDER BY e.id DESC LIMIT 1), ''),"                 \
    " EXISTS (SELECT 1 FROM payout_events e WHERE e.payout_id = p.id AND e.state = 'commit'),"\
    " p.created_at, p.updated_at FROM payouts p"

/* Fill *p from the current row of a PAY_SELECT statement. */
void pay_row_fill(db_stmt *s, payout *p);

#endif
