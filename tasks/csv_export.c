/*
 * csv_export.c - results and answers CSV (see csv_export.h, docs/csv.md).
 * Owns: column order of the results files and the neutralisation rule.
 * Never quotes by hand (libcsv's csv_fwrite does) and never writes a phone
 * number.
 */
#include "csv_export.h"

#include <csv.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pseudonym.h"

/* Like -12, +3.5, 0.25: what spreadsheets read as a number, not a formula. */
static int plain_number(const char *p, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        digits++;
    if (i < n && p[i] == '.') {
        i++;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            digits++;
    }
    return digits > 0 && i == n;
}

int csv_cell_dangerous(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    switch (p[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
        return !plain_number(p, n);
    default:
        return 0;
    }
}

kz_status csv_write_row(FILE *out, const char *const *cells, const size_t *lens, size_t n,
                        int neutralise, kz_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = cells[i] ? cells[i] : "";
        size_t len = cells[i] ? lens[i] : 0;
        if (i && fputc(',', out) == EOF)
            return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "write failed");
        int rc;
        if (neutralise && csv_cell_dangerous(p, len)) {
            char *tmp = malloc(len + 1);
            if (!tmp)
                return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
            tmp[0] = '\'';
            memcpy(tmp + 1, p, len);
            rc = csv_fwrite(out, tmp, len + 1);
            free(tmp);
        } else {
            rc = csv_fwrite(out, p, len);
        }
        if (rc != 0)
            return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "write failed");
    }
    if (fputs("\r\n", out) == EOF)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "write failed");
    return KZ_OK;
}

/* Write a row of NUL-terminated strings. */
static kz_status write_strs(FILE *out, const char *const *cells, size_t n, kz_err *err)
{
    size_t lens[16];
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(cells[i]);
    return csv_write_row(out, cells, lens, n, 1, err);
}

typedef struct results_ctx {
    FILE *out;
    size_t nextra;
    const char **cells; /* 5 + nextra */
    size_t *lens;
    kz_err *err;
    kz_status rc;
} results_ctx;

static int results_cb(void *arg, const store_result_row *r)
{
    results_ctx *c = arg;
    char answers[24], agreement[48] = "";
    snprintf(answers, sizeof answers, "%" PRId64, r->answers);
    if (r->answers > 0) {
        int64_t h = (r->top_votes * 100 + r->answers / 2) / r->answers; /* hundredths */
        snprintf(agreement, sizeof agreement, "%" PRId64 ".%02" PRId64, h / 100, h % 100);
    }
    const char *fixed[5] = {r->ext_id, r->status, answers, r->consensus, agreement};
    for (size_t i = 0; i < 5; i++) {
        c->cells[i] = fixed[i];
        c->lens[i] = strlen(fixed[i]);
    }
    json_t *arr = NULL;
    if (c->nextra) {
        arr = r->extra ? json_loads(r->extra, JSON_DECODE_ANY, NULL) : NULL;
        for (size_t i = 0; i < c->nextra; i++) {
            json_t *v = arr ? json_array_get(arr, i) : NULL;
            c->cells[5 + i] = v && json_is_string(v) ? json_string_value(v) : "";
            c->lens[5 + i] = v && json_is_string(v) ? json_string_length(v) : 0;
        }
    }
    c->rc = csv_write_row(c->out, c->cells, c->lens, 5 + c->nextra, 1, c->err);
    json_decref(arr);
    return c->rc != KZ_OK;
}

kz_status csv_export_results(kz_store *st, const char *batch, FILE *out, kz_err *err)
{
    store_batch b;
    kz_status rc = store_batch_get(st, batch, &b, err);
    if (rc != KZ_OK) {
        store_batch_clear(&b);
        return rc;
    }
    json_t *names = json_loads(b.extra_columns, 0, NULL);
    size_t nextra = json_is_array(names) ? json_array_size(names) : 0;
    results_ctx c = {.out = out, .nextra = nextra, .err = err};
    c.cells = calloc(5 + nextra, sizeof *c.cells);
    c.lens = calloc(5 + nextra, sizeof *c.lens);
    if (!c.cells || !c.lens) {
        rc = kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        goto done;
    }
    static const char *const head[5] = {"id", "status", "answers", "consensus", "agreement"};
    for (size_t i = 0; i < 5; i++) {
        c.cells[i] = head[i];
        c.lens[i] = strlen(head[i]);
    }
    for (size_t i = 0; i < nextra; i++) {
        json_t *v = json_array_get(names, i);
        c.cells[5 + i] = json_is_string(v) ? json_string_value(v) : "";
        c.lens[5 + i] = strlen(c.cells[5 + i]);
    }
    rc = csv_write_row(out, c.cells, c.lens, 5 + nextra, 1, err);
    if (rc == KZ_OK) {
        rc = store_results_each(st, b.id, results_cb, &c, err);
        if (rc != KZ_OK && c.rc != KZ_OK)
            rc = c.rc; /* the write failed, err already says so */
    }
done:
    free(c.cells);
    free(c.lens);
    json_decref(names);
    store_batch_clear(&b);
    return rc;
}

typedef struct answers_ctx {
    FILE *out;
    char secret[80];
    int64_t requester_id;
    kz_err *err;
    kz_status rc;
} answers_ctx;

static int answers_cb(void *arg, const store_answer_row *r)
{
    answers_ctx *c = arg;
    char worker[PSEUDONYM_LEN], when[32] = "";
    pseudonym_worker(c->secret, c->requester_id, r->worker_id, worker);
    time_t t = (time_t)r->received_at;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *cells[5] = {r->ext_id, worker, r->value, r->state, when};
    c->rc = write_strs(c->out, cells, 5, c->err);
    return c->rc != KZ_OK;
}

kz_status csv_export_answers(kz_store *st, const char *batch, FILE *out, kz_err *err)
{
    store_batch b;
    kz_status rc = store_batch_get(st, batch, &b, err);
    if (rc != KZ_OK) {
        store_batch_clear(&b);
        return rc;
    }
    answers_ctx c = {.out = out, .requester_id = b.requester_id, .err = err};
    rc = store_secret(st, c.secret, sizeof c.secret, err);
    if (rc == KZ_OK) {
        static const char *const head[5] = {"id", "worker", "answer", "status", "answered_at"};
        rc = write_strs(out, head, 5, err);
    }
    if (rc == KZ_OK) {
        rc = store_answers_each(st, b.id, answers_cb, &c, err);
        if (rc != KZ_OK && c.rc != KZ_OK)
            rc = c.rc;
    }
    store_batch_clear(&b);
    return rc;
}
