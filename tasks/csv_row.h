/*
 * csv_row.h - checking one data row of a task CSV, apart from reading the
 * file (csv_import.c) so the rules can be tested and fuzzed alone.
 * Owns: the known column names and the row rules. Never touches the
 * database or allocates.
 */
#ifndef KAZI_CSV_ROW_H
#define KAZI_CSV_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "payfloor.h"
#include "store.h"

enum {
    CSV_COL_ID,
    CSV_COL_TYPE,
    CSV_COL_PROMPT,
    CSV_COL_OPTIONS,
    CSV_COL_GOLD,
    CSV_COL_REDUNDANCY,
    CSV_COL_REWARD,
    CSV_COL__COUNT
};

/* Header names of the known columns, lower case, indexed by CSV_COL_*. */
extern const char *const csv_col_names[CSV_COL__COUNT];

/* What a row is checked against: where the columns are and the batch's terms. */
typedef struct csv_row_rules {
    int col[CSV_COL__COUNT];         /* field index of each known column, -1 if absent */
    const char *requester;           /* named in the task message */
    const char *currency;
    int est_seconds;
    int64_t batch_reward_minor;      /* reward when the row has none */
    const payfloor_policy *floor;
} csv_row_rules;

/* Trim spaces and tabs around p[0..*n). */
void csv_trim(const char **p, size_t *n);

/* 0 if p[0..n) has no NUL byte and is valid UTF-8; else -1 and why says where. */
int csv_field_check_bytes(const char *p, size_t n, char *why, size_t whycap);

/*
 * Check the n fields f/len of one row (n equals the header's column count).
 * On success returns 0 and fills t's ext_id, type, prompt, options, gold,
 * redundancy and reward_minor (-1 = batch's); the texts borrow from f, from
 * static strings, or from opt_buf (opt_cap bytes, receives the normalised
 * options). On failure returns -1, *bad_col is the 1-based column (0 if
 * none) and why holds one sentence.
 */
int csv_row_check(const csv_row_rules *r, const char *const *f, const size_t *len, size_t n,
                  store_task_in *t, char *opt_buf, size_t opt_cap, size_t *bad_col, char *why,
                  size_t whycap);

#endif
