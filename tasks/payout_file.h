/*
 * payout_file.h - the `file` payout method: export requested payouts as a
 * bulk-payment CSV (reference,msisdn,amount,currency; reference KZ<id>) to
 * upload by hand, and import the provider's result file
 * (reference,status,transaction_id[,fee][,reason]).
 * Owns: the two layouts. Never logs; never changes a settled payout (a
 * re-imported result file counts those as unchanged).
 */
#ifndef KAZI_PAYOUT_FILE_H
#define KAZI_PAYOUT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "payout.h"

/*
 * Submit every requested payout with method file (debit first; those over
 * the daily cap or the balance stay out), write them and any file payout
 * submitted earlier but never written (a crash between the two) to out,
 * then mark them sent. *written receives the rows.
 */
kz_status payout_export(kz_store *st, const payout_config *cfg, FILE *out, int64_t now,
                        size_t *written, kz_err *err);

typedef struct payout_import_counts {
    size_t applied, unchanged, rejected;
} payout_import_counts;

/*
 * Apply a result file buf[0..len): completed/success -> confirmed (with the
 * transaction id and fee), failed -> failed (reversed). report (may be
 * NULL) hears about each row that was refused, with its line. KZ_OK unless
 * the file is not CSV or the database failed.
 */
kz_status payout_import(kz_store *st, const payout_config *cfg, const char *buf, size_t len,
                        int64_t now, void (*report)(void *ctx, long line, const char *what),
                        void *rctx, payout_import_counts *counts, kz_err *err);

#endif
