/*
 * csv_export.h - writing CSV for people's spreadsheets: a batch's results
 * (one row per task), its answers (one row per answer, workers pseudonymous),
 * and single rows for other reports.
 * Owns: the results file format (docs/csv.md) and formula-injection
 * neutralisation. Quoting is libcsv's (csv_fwrite); this module never quotes
 * by hand. Never logs; never writes anything but the FILE it is given.
 */
#ifndef KAZI_CSV_EXPORT_H
#define KAZI_CSV_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"
#include "store.h"

/*
 * Does a cell need neutralising? 1 if it starts with = + - @ TAB or CR and is
 * not a plain number (-12, +3.5 stay numbers), else 0.
 */
int csv_cell_dangerous(const char *p, size_t n);

/*
 * Write one CSV record of n cells (every cell quoted, CRLF at the end). With
 * neutralise set, a dangerous cell is written with a leading apostrophe so a
 * spreadsheet shows it as text instead of running it. KZ_ERR_IO on a write
 * error, KZ_ERR_NOMEM if the scratch copy fails.
 */
kz_status csv_write_row(FILE *out, const char *const *cells, const size_t *lens, size_t n,
                        int neutralise, kz_err *err);

/*
 * Write batch `batch`'s results to out: header id, status, answers,
 * consensus, agreement, then the batch's extra columns in import order; one
 * row per task in import order. KZ_ERR_NOTFOUND if there is no such batch.
 */
kz_status csv_export_results(kz_store *st, const char *batch, FILE *out, kz_err *err);

/*
 * Write every answer to batch `batch`'s tasks: header id, worker, answer,
 * status, answered_at (ISO 8601 UTC); worker is the pseudonym of
 * pseudonym.h, never a phone number. KZ_ERR_NOTFOUND if there is no such batch.
 */
kz_status csv_export_answers(kz_store *st, const char *batch, FILE *out, kz_err *err);

#endif
