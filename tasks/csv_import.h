/*
 * csv_import.h - streaming import of a requester's task CSV into a batch.
 * Owns: the CSV task format (docs/csv.md): dialect detection (UTF-8 BOM,
 * comma or semicolon from the header line, CRLF/LF/CR), the columns, the
 * per-row validation, the limits, and the all-or-nothing rule. Parsing is
 * libcsv's (RFC 4180, strict); this module never parses quoting itself.
 * Never prints, logs or exits: problems go to the caller's callback and
 * kz_err. Memory stays flat: one record is held at a time.
 */
#ifndef KAZI_CSV_IMPORT_H
#define KAZI_CSV_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "payfloor.h"
#include "status.h"
#include "store.h"

/* Limits (docs/csv.md). A file past one is refused with line and column. */
#define CSV_IMPORT_MAX_COLUMNS 512     /* columns in the header */
#define CSV_IMPORT_MAX_FIELD 65536     /* bytes in one field */
#define CSV_IMPORT_MAX_ID 100          /* bytes in an id */
#define CSV_IMPORT_MAX_OPTIONS 9       /* answers are one keypad digit */
#define CSV_IMPORT_MAX_REDUNDANCY 100

/* One rejected row (or a file-level problem when fields is NULL). */
typedef struct csv_reject {
    uint64_t line;           /* physical line where the record starts, 1-based */
    size_t column;           /* 1-based field number, 0 if the whole row/file */
    const char *column_name; /* header name of that column, "" if none */
    const char *reason;      /* one English sentence, no trailing newline */
    size_t nfields;          /* the record's raw fields (for a rejects report) */
    const char *const *fields;
    const size_t *lens;
    size_t nheader;          /* the header's column names, once read (else 0/NULL) */
    const char *const *header;
} csv_reject;

typedef struct csv_import_opts {
    const char *source;    /* file name, recorded in the imports table */
    const char *batch;     /* batch name (created if absent) */
    const char *requester; /* requester name (created if absent) */
    const char *currency;  /* ISO code of all rewards; NULL = policy's */
    int64_t reward_minor;  /* default reward per answer; < 0: policy minimum rounded up */
    int redundancy;        /* answers wanted per task; 0 = 3 */
    int est_seconds;       /* estimated seconds per task; 0 = 30 */
    int64_t deadline;      /* Unix seconds, 0 = none */
    payfloor_policy floor; /* pay floor and reply-SMS price */
    int keep_good;         /* --report mode: import valid rows, reject the rest */
    /* Called for each rejected row and each file-level problem. May be NULL. */
    void (*on_reject)(void *ctx, const csv_reject *r);
    /* Called after each chunk read: bytes consumed and data rows seen. May be NULL. */
    void (*on_progress)(void *ctx, uint64_t bytes, uint64_t rows);
    void *ctx;
} csv_import_opts;

typedef struct csv_import_result {
    uint64_t rows;      /* data records seen (blank rows not counted) */
    uint64_t added;     /* tasks inserted */
    uint64_t unchanged; /* already in the batch with the same content */
    uint64_t rejected;  /* rows refused */
    int64_t batch_id;   /* 0 if nothing was committed */
    int committed;      /* 1 if the transaction was committed */
    char delimiter;     /* ',' or ';' */
    int had_bom;
    size_t extra_columns;
} csv_import_result;

/*
 * Read the CSV from in and import it as batch o->batch in one BEGIN
 * IMMEDIATE transaction. Without keep_good, any rejected row rolls back
 * everything (every row is still checked, so every problem is reported) and
 * KZ_ERR_INVALID is returned. With keep_good, valid rows are committed and
 * bad ones only reported; KZ_OK. A problem that stops parsing (broken
 * quoting, a field over CSV_IMPORT_MAX_FIELD, a bad header, an empty file)
 * rolls back in both modes: KZ_ERR_INVALID. A batch below the pay floor:
 * KZ_ERR_RANGE. Rows already in the batch with the same content are counted
 * unchanged, so importing a file twice changes nothing. If nothing new is
 * added, nothing is committed. *res is filled in every case.
 */
kz_status csv_import_file(kz_store *st, FILE *in, const csv_import_opts *o,
                          csv_import_result *res, kz_err *err);

#endif
