/*
 * payout_file.c - the `file` payout method: a bulk-payment CSV for an
 * operator to upload to the provider by hand, and the provider's result
 * file read back (payout_file.h, docs/payouts.md "The file method").
 * Owns: both CSV layouts. Never writes a payout into a file before it is
 * submitted (debited, state sending), never marks one sent before its row
 * is written, never guesses a result: a row it cannot read changes nothing.
 */
#include "payout_file.h"

#include <csv.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv_export.h"
#include "money.h"

/* ---- export ---- */

typedef struct export_ctx {
    kz_store *st;
    const payout_config *cfg;
    FILE *out;
    int64_t now;
    size_t n;
    int64_t ids[4096];
    size_t nids;
} export_ctx;

static int collect(void *ctxp, const payout *p)
{
    export_ctx *c = ctxp;
    bool file_sending = strcmp(p->state, "sending") == 0 && strcmp(p->method, "file") == 0;
    if ((strcmp(p->state, "requested") == 0 || file_sending) && c->nids < 4096)
        c->ids[c->nids++] = p->id;
    return 0;
}

static kz_status write_row(export_ctx *c, const payout *p, kz_err *err)
{
    char ref[24], amount[40];
    snprintf(ref, sizeof ref, "KZ%" PRId64, p->id);
    int exp = money_exponent(p->currency);
    int64_t unit = 1;
    for (int i = 0; i < exp; i++)
        unit *= 10;
    int n = snprintf(amount, sizeof amount, "%" PRId64, p->amount_minor / unit);
    if (exp > 0 && n > 0 && (size_t)n + (size_t)exp + 2 <= sizeof amount) {
        int64_t frac = p->amount_minor % unit;
        amount[n] = '.';
        for (int i = exp; i > 0; i--, frac /= 10)
            amount[n + i] = (char)('0' + frac % 10);
        amount[n + exp + 1] = '\0';
    }
    const char *msisdn = p->phone[0] == '+' ? p->phone + 1 : p->phone;
    const char *cells[] = {ref, msisdn, amount, p->currency};
    size_t lens[] = {strlen(ref), strlen(msisdn), strlen(amount), strlen(p->currency)};
    return csv_write_row(c->out, cells, lens, 4, 1, err);
}

kz_status payout_export(kz_store *st, const payout_config *cfg, FILE *out, int64_t now,
                        size_t *written, kz_err *err)
{
    export_ctx c = {.st = st, .cfg = cfg, .out = out, .now = now};
    *written = 0;
    kz_status rc = payout_each(st, NULL, collect, &c, err);
    static const char *const head[] = {"reference", "msisdn", "amount", "currency"};
    size_t hl[] = {9, 6, 6, 8};
    if (rc == KZ_OK)
        rc = csv_write_row(out, head, hl, 4, 0, err);
    for (size_t i = 0; rc == KZ_OK && i < c.nids; i++) {
        payout p;
        rc = payout_get(st, c.ids[i], &p, err);
        if (rc == KZ_OK && strcmp(p.state, "requested") == 0) {
            kz_status s = payout_submit(st, cfg, p.id, PAYOUT_FILE, now, err);
            if (s == KZ_ERR_RANGE || s == KZ_ERR_STATE)
                continue; /* over today's cap, or the balance fell: not in this file */
            rc = s == KZ_OK ? payout_get(st, p.id, &p, err) : s;
        }
        if (rc == KZ_OK)
            rc = write_row(&c, &p, err);
        if (rc == KZ_OK)
            c.n++;
    }
    if (rc == KZ_OK && fflush(out) != 0)
        rc = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "writing the payout file failed");
    /* Only once every row is out: the file is the side effect. */
    for (size_t i = 0; rc == KZ_OK && i < c.nids; i++) {
        payout p;
        if (payout_get(st, c.ids[i], &p, NULL) == KZ_OK && strcmp(p.state, "sending") == 0 &&
            strcmp(p.method, "file") == 0)
            rc = payout_mark_sent(st, p.id, now, err);
    }
    *written = c.n;
    return rc;
}

/* ---- import ---- */

#define IMPORT_FIELDS 6
#define IMPORT_FIELD_MAX 256

typedef struct import_ctx {
    kz_store *st;
    const payout_config *cfg;
    int64_t now;
    void (*report)(void *ctx, long line, const char *what);
    void *rctx;
    char f[IMPORT_FIELDS][IMPORT_FIELD_MAX];
    size_t nf;
    long line;
    payout_import_counts *counts;
    kz_status rc;
    kz_err *err;
} import_ctx;

static void say(import_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(import_ctx *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->report)
        c->report(c->rctx, c->line, msg);
}

static void on_field(void *s, size_t len, void *data)
{
    import_ctx *c = data;
    if (c->nf < IMPORT_FIELDS) {
        size_t n = len < IMPORT_FIELD_MAX - 1 ? len : IMPORT_FIELD_MAX - 1;
        memcpy(c->f[c->nf], s, n);
        c->f[c->nf][n] = '\0';
    }
    c->nf++;
}

static int status_is(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

/* reference,status,transaction_id[,fee][,reason] */
static void apply_row(import_ctx *c)
{
    static const char *const ok[] = {"completed", "success", "successful", "confirmed", NULL};
    static const char *const bad[] = {"failed", "failure", "rejected", "declined", NULL};
    const char *ref = c->f[0], *status = c->f[1], *tx = c->f[2];
    char *end = NULL;
    int64_t id = strncmp(ref, "KZ", 2) == 0 ? strtoll(ref + 2, &end, 10) : 0;
    payout p;
    if (!id || (end && *end) || payout_get(c->st, id, &p, NULL) != KZ_OK) {
        c->counts->rejected++;
        say(c, "no payout with reference \"%s\"", ref);
        return;
    }
    int64_t fee = -1;
    if (c->nf > 3 && c->f[3][0] &&
        money_parse(c->f[3], strlen(c->f[3]), p.currency, &fee, NULL) != KZ_OK)
        fee = -1;
    kz_err e;
    kz_err_clear(&e);
    kz_status s;
    if (status_is(status, ok)) {
        s = payout_confirm(c->st, c->cfg, id, tx[0] ? tx : NULL, fee, "import",
                           "confirmed by the provider's result file", c->now, &e);
    } else if (status_is(status, bad)) {
        char why[200];
        snprintf(why, sizeof why, "provider result file: %.150s",
                 c->nf > 4 && c->f[4][0] ? c->f[4] : "failed");
        s = payout_fail(c->st, id, why, "import", c->now, &e);
    } else {
        c->counts->rejected++;
        say(c, "%s: unknown status \"%s\" (completed or failed)", ref, status);
        return;
    }
    if (s == KZ_OK) {
        c->counts->applied++;
    } else if (s == KZ_ERR_STATE) {
        c->counts->unchanged++; /* already settled: a re-imported file changes nothing */
    } else {
        c->counts->rejected++;
        say(c, "%s: %s", ref, e.msg);
        if (s == KZ_ERR_DB)
            c->rc = s;
    }
}

static void on_row(int term, void *data)
{
    (void)term;
    import_ctx *c = data;
    c->line++;
    if (c->nf == 0 || (c->nf == 1 && !c->f[0][0]))
        ;
    else if (c->line == 1 && strcasecmp(c->f[0], "reference") == 0)
        ; /* the header */
    else if (c->nf < 3)
        c->counts->rejected++, say(c, "want reference,status,transaction_id");
    else if (c->rc == KZ_OK)
        apply_row(c);
    c->nf = 0;
}

kz_status payout_import(kz_store *st, const payout_config *cfg, const char *buf, size_t len,
                        int64_t now, void (*report)(void *ctx, long line, const char *what),
                        void *rctx, payout_import_counts *counts, kz_err *err)
{
    memset(counts, 0, sizeof *counts);
    import_ctx c = {.st = st, .cfg = cfg, .now = now, .report = report, .rctx = rctx,
                    .counts = counts, .rc = KZ_OK, .err = err};
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    kz_status rc = KZ_OK;
    if (csv_parse(&p, buf, len, on_field, on_row, &c) != len)
        rc = kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "result file: %s",
                        csv_strerror(csv_error(&p)));
    else
        csv_fini(&p, on_field, on_row, &c);
    csv_free(&p);
    if (rc == KZ_OK && c.rc != KZ_OK)
        rc = kz_err_set(err, c.rc, KZ_NO_OFFSET, "the database refused a result");
    return rc;
}
