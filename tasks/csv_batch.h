/*
 * csv_batch.h - preparing the batch a CSV import writes into (csv_batch.c).
 * Owns: the batch-level rules of an import. Never reads CSV.
 */
#ifndef KAZI_CSV_BATCH_H
#define KAZI_CSV_BATCH_H

#include <stdint.h>

#include "csv_import.h"
#include "store.h"

/*
 * Inside the caller's transaction: find batch o->batch or create it (with
 * o's terms, or the defaults: redundancy 3, 30 s, the pay floor's minimum
 * reward rounded up to a whole unit), then check its reward against the pay
 * floor and start an import record. An existing batch must have the same
 * requester, currency and extra columns (extra_json, a JSON array of names),
 * and any term given in o must equal its own: else KZ_ERR_STATE. Below the
 * floor: KZ_ERR_RANGE with the numbers. *b is filled (release with
 * store_batch_clear even on failure); *import_id receives the import's id.
 */
kz_status csv_batch_prepare(kz_store *st, const csv_import_opts *o, const char *currency,
                            const char *extra_json, store_batch *b, int64_t *import_id,
                            kz_err *err);

#endif
