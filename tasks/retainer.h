/*
 * retainer.h - retainers (DESIGN promise 6): a requester pays a named worker
 * a daily rate to be on call for a period. Each local day of the period
 * becomes one 'retainer' ledger entry (once per day however often accrual
 * runs) and one SMS queued to the worker saying so.
 * Owns: the accrual rule (a day is paid once it has begun and the period
 * covers it). Never sends (it queues a message row), never logs, never
 * messages a worker who sent STOP (the money still accrues).
 */
#ifndef KAZI_RETAINER_H
#define KAZI_RETAINER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/*
 * Retain worker_id for requester (created if missing) from starts_at to
 * ends_at (Unix seconds, ends after starts) at daily_minor of currency a day.
 * *id receives the retainer. KZ_ERR_INVALID on a bad period or rate,
 * KZ_ERR_NOTFOUND if no such worker.
 */
kz_status retainer_add(kz_store *st, const char *requester, int64_t worker_id, int64_t starts_at,
                       int64_t ends_at, int64_t daily_minor, const char *currency, int64_t now,
                       int64_t *id, kz_err *err);

/*
 * Accrue every retainer day that has begun by now (days are local to
 * tz_offset_minutes), idempotently: a day already accrued is skipped, days
 * missed while the gateway was off are caught up. *entries (may be NULL)
 * receives how many entries were written. One transaction.
 */
kz_status retainer_accrue(kz_store *st, int tz_offset_minutes, int64_t now, size_t *entries,
                          kz_err *err);

#endif
