/*
 * csv_import.c - streams a task CSV through libcsv into one transaction
 * (format and limits: csv_import.h, docs/csv.md).
 * Owns: line tracking, the header, per-row validation and the commit or
 * rollback decision. Never prints or logs; never parses quoting itself
 * (libcsv does, in strict mode); never holds more than one record.
 */
#include "csv_import.h"

#include <csv.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv_batch.h"
#include "csv_row.h"
#include "money.h"
#include "utf8.h"

#define CHUNK 65536
#define MAX_ROW_BYTES (1u << 20) /* a whole record; past it the row is rejected */

static const int required_col[CSV_COL__COUNT] = {
    [CSV_COL_ID] = 1, [CSV_COL_TYPE] = 1, [CSV_COL_PROMPT] = 1};

/* Names the results export uses; an extra column may not take one. */
static const char *const reserved_cols[] = {
    "status", "answers", "consensus", "agreement", "worker", "answer", "answered_at",
};

typedef struct imp {
    kz_store *st;
    const csv_import_opts *o;
    csv_import_result *res;
    kz_err *err;
    struct csv_parser p;

    uint64_t line;     /* physical line being fed */
    uint64_t rec_line; /* line the current record started on, 0 = none yet */

    /* the current record: fields back to back in buf, NUL after each */
    char *buf;
    size_t buf_len, buf_cap;
    size_t *off, *flen;
    size_t nstored, nfields; /* fields kept / fields seen */
    int row_too_big;
    const char **fptr; /* pointers for callbacks, built at record end */

    /* header */
    int have_header;
    size_t ncols;
    csv_row_rules rules; /* column positions and the batch terms rows are checked against */
    unsigned char *is_extra;
    char **names;
    int header_ok; /* names[] all filled and checked */

    /* the batch */
    store_batch batch;
    int batch_ready;
    int64_t import_id;
    char currency[4];

    int failed;          /* a row was rejected */
    int fatal;           /* parsing stopped */
    kz_status fatal_rc;
    char opt_buf[CSV_IMPORT_MAX_FIELD + 1];
} imp;

/* libcsv grows its field buffer through this: refusing past the cap bounds memory. */
static void *capped_realloc(void *ptr, size_t n)
{
    if (n > CSV_IMPORT_MAX_FIELD + 1)
        return NULL;
    return realloc(ptr, n);
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0; /* RFC 4180: spaces are part of a field */
}

static const char *col_name(const imp *im, size_t col)
{
    if (!im->names || col < 1 || col > im->ncols || !im->names[col - 1])
        return "";
    return im->names[col - 1];
}

/* Report a problem; fields are the current record's unless whole_file. */
static void report(imp *im, uint64_t line, size_t col, int with_fields, const char *reason)
{
    if (!im->o->on_reject)
        return;
    csv_reject r = {
        .line = line,
        .column = col,
        .column_name = col_name(im, col),
        .reason = reason,
        .nfields = with_fields ? im->nstored : 0,
        .fields = with_fields ? im->fptr : NULL,
        .lens = with_fields ? im->flen : NULL,
        .nheader = im->header_ok ? im->ncols : 0,
        .header = im->header_ok ? (const char *const *)im->names : NULL,
    };
    im->o->on_reject(im->o->ctx, &r);
}

/* Stop parsing: a file-level problem. Message goes to both the callback and err. */
static void fatal(imp *im, kz_status rc, uint64_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fatal(imp *im, kz_status rc, uint64_t line, size_t col, const char *fmt, ...)
{
    if (im->fatal)
        return;
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    im->fatal = 1;
    im->fatal_rc = rc;
    report(im, line, col, 0, msg);
    if (col)
        kz_err_set(im->err, rc, KZ_NO_OFFSET, "line %llu, column %zu%s%s%s: %s",
                   (unsigned long long)line, col, *col_name(im, col) ? " (" : "",
                   col_name(im, col), *col_name(im, col) ? ")" : "", msg);
    else
        kz_err_set(im->err, rc, KZ_NO_OFFSET, "line %llu: %s", (unsigned long long)line, msg);
}

/* Reject the current row (data rows only). */
static void reject(imp *im, size_t col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reject(imp *im, size_t col, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    im->res->rejected++;
    im->failed = 1;
    report(im, im->rec_line, col, 1, msg);
}

/* ---- libcsv callbacks ---- */

static int grow(imp *im, size_t need)
{
    if (need <= im->buf_cap)
        return 0;
    size_t cap = im->buf_cap ? im->buf_cap : 4096;
    while (cap < need)
        cap *= 2;
    char *nb = realloc(im->buf, cap);
    if (!nb)
        return -1;
    im->buf = nb;
    im->buf_cap = cap;
    return 0;
}

static void on_field(void *s, size_t len, void *data)
{
    imp *im = data;
    if (im->fatal)
        return;
    if (im->rec_line == 0)
        im->rec_line = im->line;
    size_t idx = im->nfields++;
    if (idx > CSV_IMPORT_MAX_COLUMNS || im->row_too_big)
        return;
    if (im->buf_len + len + 1 > MAX_ROW_BYTES) {
        im->row_too_big = 1;
        return;
    }
    if (grow(im, im->buf_len + len + 1) != 0) {
        fatal(im, KZ_ERR_NOMEM, im->line, idx + 1, "out of memory");
        return;
    }
    if (len)
        memcpy(im->buf + im->buf_len, s, len);
    im->buf[im->buf_len + len] = '\0';
    im->off[idx] = im->buf_len;
    im->flen[idx] = len;
    im->buf_len += len + 1;
    im->nstored = idx + 1;
}

static void on_header(imp *im);
static void on_row(imp *im);

static void on_record(int term, void *data)
{
    (void)term;
    imp *im = data;
    if (im->fatal)
        return;
    if (im->rec_line == 0)
        im->rec_line = im->line;
    for (size_t i = 0; i < im->nstored; i++)
        im->fptr[i] = im->buf + im->off[i];
    if (!im->have_header)
        on_header(im);
    else
        on_row(im);
    im->buf_len = 0;
    im->nstored = im->nfields = 0;
    im->row_too_big = 0;
    im->rec_line = 0;
}

/* ---- the header ---- */

static void on_header(imp *im)
{
    im->have_header = 1;
    uint64_t line = im->rec_line;
    if (im->nfields > CSV_IMPORT_MAX_COLUMNS) {
        fatal(im, KZ_ERR_INVALID, line, 0, "the header has %zu columns; at most %d are allowed",
              im->nfields, CSV_IMPORT_MAX_COLUMNS);
        return;
    }
    im->ncols = im->nstored;
    im->names = calloc(im->ncols, sizeof *im->names);
    im->is_extra = calloc(im->ncols, 1);
    if (!im->names || !im->is_extra) {
        fatal(im, KZ_ERR_NOMEM, line, 0, "out of memory");
        return;
    }
    for (int c = 0; c < CSV_COL__COUNT; c++)
        im->rules.col[c] = -1;
    char why[120];
    for (size_t i = 0; i < im->ncols; i++) {
        const char *p = im->fptr[i];
        size_t n = im->flen[i];
        if (csv_field_check_bytes(p, n, why, sizeof why) != 0) {
            fatal(im, KZ_ERR_INVALID, line, i + 1, "column name: %s", why);
            return;
        }
        csv_trim(&p, &n);
        if (n == 0) {
            fatal(im, KZ_ERR_INVALID, line, i + 1, "column %zu has no name", i + 1);
            return;
        }
        im->names[i] = strndup(p, n);
        if (!im->names[i]) {
            fatal(im, KZ_ERR_NOMEM, line, i + 1, "out of memory");
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(im->names[j], im->names[i]) == 0) {
                fatal(im, KZ_ERR_INVALID, line, i + 1, "column '%s' appears twice (columns %zu and %zu)",
                      im->names[i], j + 1, i + 1);
                return;
            }
        int known = -1;
        for (int c = 0; c < CSV_COL__COUNT; c++)
            if (strcasecmp(im->names[i], csv_col_names[c]) == 0)
                known = c;
        if (known >= 0) {
            im->rules.col[known] = (int)i;
            continue;
        }
        for (size_t r = 0; r < sizeof reserved_cols / sizeof reserved_cols[0]; r++)
            if (strcasecmp(im->names[i], reserved_cols[r]) == 0) {
                fatal(im, KZ_ERR_INVALID, line, i + 1,
                      "column name '%s' is used by the results file; rename the column",
                      im->names[i]);
                return;
            }
        im->is_extra[i] = 1;
        im->res->extra_columns++;
    }
    for (int c = 0; c < CSV_COL__COUNT; c++)
        if (required_col[c] && im->rules.col[c] < 0) {
            fatal(im, KZ_ERR_INVALID, line, 0, "missing column '%s' (the header needs id, type and prompt)",
                  csv_col_names[c]);
            return;
        }
    im->header_ok = 1;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < im->ncols; i++)
        if (im->is_extra[i] && json_array_append_new(arr, json_string(im->names[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    char *extra_json = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!extra_json) {
        fatal(im, KZ_ERR_NOMEM, line, 0, "out of memory");
        return;
    }
    kz_status rc = csv_batch_prepare(im->st, im->o, im->currency, extra_json, &im->batch,
                                     &im->import_id, im->err);
    if (rc == KZ_OK) {
        im->rules.requester = im->batch.requester;
        im->rules.currency = im->currency;
        im->rules.est_seconds = im->batch.est_seconds;
        im->rules.batch_reward_minor = im->batch.reward_minor;
        im->rules.floor = &im->o->floor;
        im->batch_ready = 1;
    }
    free(extra_json);
    if (rc != KZ_OK && !im->fatal) {
        /* a batch-level refusal (pay floor, settings): not about a line */
        im->fatal = 1;
        im->fatal_rc = rc;
        report(im, 0, 0, 0, im->err ? im->err->msg : kz_strerror(rc));
    }
}

/* ---- data rows ---- */

static int row_blank(const imp *im)
{
    for (size_t i = 0; i < im->nstored; i++) {
        const char *p = im->fptr[i];
        size_t n = im->flen[i];
        csv_trim(&p, &n);
        if (n)
            return 0;
    }
    return !im->row_too_big;
}

static void insert_row(imp *im, store_task_in *t);

static void on_row(imp *im)
{
    if (row_blank(im))
        return; /* spreadsheets write trailing ",,," rows */
    im->res->rows++;
    if (!im->batch_ready)
        return;
    if (im->row_too_big) {
        reject(im, 0, "row longer than %u bytes", MAX_ROW_BYTES);
        return;
    }
    if (im->nfields != im->ncols) {
        reject(im, im->nfields > im->ncols ? im->ncols + 1 : 0,
               "row has %zu field%s; the header has %zu", im->nfields,
               im->nfields == 1 ? "" : "s", im->ncols);
        return;
    }
    char why[300];
    store_task_in t = {.batch_id = im->batch.id, .import_id = im->import_id,
                       .source_line = (int64_t)im->rec_line};
    size_t bad_col = 0;
    if (csv_row_check(&im->rules, im->fptr, im->flen, im->ncols, &t, im->opt_buf,
                      sizeof im->opt_buf, &bad_col, why, sizeof why) != 0) {
        reject(im, bad_col, "%s", why);
        return;
    }
    insert_row(im, &t);
}

static void insert_row(imp *im, store_task_in *t)
{
    char *extra = NULL;
    if (im->res->extra_columns) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < im->ncols; i++)
            if (im->is_extra[i] &&
                json_array_append_new(arr, json_stringn_nocheck(im->fptr[i], im->flen[i])) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        extra = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
        json_decref(arr);
        if (!extra) {
            fatal(im, KZ_ERR_NOMEM, im->rec_line, 0, "out of memory");
            return;
        }
        t->extra = (store_text){extra, strlen(extra)};
    }
    store_insert_result what;
    int64_t first = 0;
    kz_status rc = store_task_insert(im->st, t, &what, &first, im->err);
    free(extra);
    if (rc != KZ_OK) {
        fatal(im, rc, im->rec_line, 0, "%s", im->err ? im->err->msg : kz_strerror(rc));
        return;
    }
    size_t idcol = (size_t)im->rules.col[CSV_COL_ID] + 1;
    switch (what) {
    case STORE_TASK_ADDED:
        im->res->added++;
        break;
    case STORE_TASK_UNCHANGED:
        im->res->unchanged++;
        break;
    case STORE_TASK_DUPLICATE:
        reject(im, idcol, "duplicate id '%.*s' (first on line %lld)",
               (int)(t->ext_id.n > 40 ? 40 : t->ext_id.n), t->ext_id.p, (long long)first);
        break;
    case STORE_TASK_CONFLICT:
        reject(im, idcol,
               "id '%.*s' is already in batch '%s' (imported from line %lld) with different "
               "content; a task is never overwritten",
               (int)(t->ext_id.n > 40 ? 40 : t->ext_id.n), t->ext_id.p, im->batch.name,
               (long long)first);
        break;
    }
}

/* ---- the byte stream ---- */

/* Pick ',' or ';' from the first line (outside quotes) of buf. */
static char detect_delimiter(const unsigned char *buf, size_t n)
{
    size_t commas = 0, semis = 0;
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted && c == ',')
            commas++;
        else if (!quoted && c == ';')
            semis++;
    }
    return semis > commas ? ';' : ',';
}

/*
 * Feed buf to libcsv one physical line at a time, so callbacks know the line.
 * A line ends at LF, at CR, or at CR LF (counted once).
 */
static void feed(imp *im, const unsigned char *buf, size_t len, int *prev_cr)
{
    size_t pos = 0;
    while (pos < len && !im->fatal) {
        size_t end = pos;
        while (end < len && buf[end] != '\n' && buf[end] != '\r')
            end++;
        int has_term = end < len;
        if (has_term)
            end++;
        size_t n = end - pos;
        int lone_lf = n == 1 && buf[pos] == '\n' && *prev_cr;
        size_t done = csv_parse(&im->p, buf + pos, n, on_field, on_record, im);
        if (im->fatal)
            return;
        if (done != n) {
            int e = csv_error(&im->p);
            if (e == CSV_ENOMEM && csv_get_buffer_size(&im->p) >= CSV_IMPORT_MAX_FIELD / 2)
                fatal(im, KZ_ERR_INVALID, im->line, im->nfields + 1,
                      "field longer than %d bytes", CSV_IMPORT_MAX_FIELD);
            else if (e == CSV_EPARSE)
                fatal(im, KZ_ERR_INVALID, im->line, im->nfields + 1,
                      "malformed quoting: a quote inside an unquoted field or text after a "
                      "closing quote (a quote inside a field is written \"\")");
            else
                fatal(im, KZ_ERR_NOMEM, im->line, im->nfields + 1, "%s", csv_strerror(e));
            return;
        }
        if (has_term) {
            if (!lone_lf)
                im->line++;
            *prev_cr = buf[end - 1] == '\r';
        } else {
            *prev_cr = 0;
        }
        pos = end;
    }
}

static void imp_free(imp *im)
{
    csv_free(&im->p);
    free(im->buf);
    free(im->off);
    free(im->flen);
    free(im->fptr);
    if (im->names)
        for (size_t i = 0; i < im->ncols; i++)
            free(im->names[i]);
    free(im->names);
    free(im->is_extra);
    store_batch_clear(&im->batch);
}

static kz_status check_opts(const csv_import_opts *o, kz_err *err)
{
    if (!o->batch || !*o->batch || strlen(o->batch) > 64)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "a batch name is 1 to 64 bytes");
    if (!o->requester || !*o->requester || strlen(o->requester) > 64)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "a requester name is 1 to 64 bytes");
    if (!utf8_valid((const uint8_t *)o->batch, strlen(o->batch), NULL) ||
        !utf8_valid((const uint8_t *)o->requester, strlen(o->requester), NULL))
        return kz_err_set(err, KZ_ERR_UTF8, KZ_NO_OFFSET, "batch and requester names must be UTF-8");
    if (o->redundancy < 0 || o->redundancy > CSV_IMPORT_MAX_REDUNDANCY)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "redundancy must be 1 to %d",
                          CSV_IMPORT_MAX_REDUNDANCY);
    if (o->est_seconds < 0 || o->est_seconds > 86400)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET,
                          "estimated seconds must be 1 to 86400");
    if (o->reward_minor > MONEY_MAX_MINOR)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "reward too large");
    return KZ_OK;
}

kz_status csv_import_file(kz_store *st, FILE *in, const csv_import_opts *o,
                          csv_import_result *res, kz_err *err)
{
    memset(res, 0, sizeof *res);
    kz_err_clear(err);
    kz_status rc = check_opts(o, err);
    if (rc != KZ_OK)
        return rc;
    imp *im = calloc(1, sizeof *im);
    unsigned char *chunk = malloc(CHUNK);
    if (!im || !chunk) {
        free(im);
        free(chunk);
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    im->st = st;
    im->o = o;
    im->res = res;
    im->err = err;
    im->line = 1;
    snprintf(im->currency, sizeof im->currency, "%s", o->currency ? o->currency : o->floor.currency);
    size_t nslots = CSV_IMPORT_MAX_COLUMNS + 1;
    im->off = calloc(nslots, sizeof *im->off);
    im->flen = calloc(nslots, sizeof *im->flen);
    im->fptr = calloc(nslots, sizeof *im->fptr);
    if (!im->off || !im->flen || !im->fptr ||
        csv_init(&im->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        imp_free(im);
        free(im);
        free(chunk);
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    csv_set_realloc_func(&im->p, capped_realloc);
    csv_set_space_func(&im->p, no_space);
    csv_set_blk_size(&im->p, 4096);

    rc = store_begin(st, err);
    if (rc != KZ_OK) {
        imp_free(im);
        free(im);
        free(chunk);
        return rc;
    }
    uint64_t total = 0;
    int first = 1, prev_cr = 0;
    size_t n;
    while (!im->fatal && (n = fread(chunk, 1, CHUNK, in)) > 0) {
        const unsigned char *p = chunk;
        total += n;
        if (first) {
            first = 0;
            if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
                fatal(im, KZ_ERR_UTF8, 1, 0, "the file is UTF-16; save it as CSV UTF-8");
                break;
            }
            if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
                p += 3;
                n -= 3;
                res->had_bom = 1;
            }
            res->delimiter = detect_delimiter(p, n);
            csv_set_delim(&im->p, (unsigned char)res->delimiter);
        }
        feed(im, p, n, &prev_cr);
        if (o->on_progress)
            o->on_progress(o->ctx, total, res->rows);
    }
    if (!im->fatal && ferror(in))
        fatal(im, KZ_ERR_IO, im->line, 0, "read error");
    if (!im->fatal && csv_fini(&im->p, on_field, on_record, im) != 0)
        fatal(im, KZ_ERR_INVALID, im->rec_line ? im->rec_line : im->line, im->nfields + 1,
              "unterminated quoted field (a quote opened here is never closed)");
    if (!im->fatal && !im->have_header)
        fatal(im, KZ_ERR_INVALID, 1, 0, "empty file: no header line");
    if (!im->fatal && res->rows == 0)
        fatal(im, KZ_ERR_INVALID, im->line, 0, "no data rows after the header");

    if (im->fatal) {
        rc = im->fatal_rc;
    } else if (im->failed && !o->keep_good) {
        rc = kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                        "%llu of %llu rows rejected; nothing imported",
                        (unsigned long long)res->rejected, (unsigned long long)res->rows);
    } else if (res->added == 0) {
        rc = KZ_OK; /* nothing new: leave the database exactly as it was */
    } else {
        rc = store_import_finish(st, im->import_id, (int64_t)res->added,
                                 (int64_t)res->unchanged, (int64_t)res->rejected, err);
        if (rc == KZ_OK)
            rc = store_commit(st, err);
        if (rc == KZ_OK) {
            res->committed = 1;
            res->batch_id = im->batch.id;
        }
    }
    if (!res->committed)
        store_rollback(st);
    imp_free(im);
    free(im);
    free(chunk);
    return rc;
}
