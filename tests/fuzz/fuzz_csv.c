/*
 * fuzz_csv.c - libFuzzer target for the requester CSV import
 * (tasks/csv_import.c, csv_row.c, csv_batch.c) into an in-memory
 * SQLite store. Byte 0 picks the options (bit 0: --report mode, bit 1: a
 * default reward below the pay floor); the rest is the file. Checks: every
 * problem names a line inside the file (only a batch-level pay-floor refusal
 * may name none) and has a reason; the row rejects reported add up to
 * res.rejected; without a file-level problem, added + unchanged + rejected =
 * rows; the database holds exactly the tasks committed; a refused import
 * commits nothing; importing a committed file again adds nothing.
 * Migrating a store costs far more than an import, so one ":memory:" store
 * serves STORE_REUSE inputs, each importing into a batch of its own.
 * Never writes files.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_import.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STORE_REUSE 200

typedef struct tally {
    uint64_t lines;      /* physical lines in the input */
    uint64_t row_rejects;
    uint64_t file_problems;
    uint64_t unlined;    /* file-level problems with line 0 */
} tally;

static void on_reject(void *ctx, const csv_reject *r)
{
    tally *t = ctx;
    assert(r->reason && r->reason[0]);
    assert(r->reason[strlen(r->reason) - 1] != '\n');
    assert(r->column_name);
    assert(r->line <= t->lines);
    assert(r->nfields <= CSV_IMPORT_MAX_COLUMNS + 1);
    assert(r->column <= CSV_IMPORT_MAX_COLUMNS + 1);
    for (size_t i = 0; r->fields && i < r->nfields; i++)
        assert(strlen(r->fields[i]) <= r->lens[i]);
    if (r->fields) {
        assert(r->line >= 1);
        t->row_rejects++;
    } else {
        t->file_problems++;
        if (r->line == 0)
            t->unlined++;
    }
}

typedef struct batch_count {
    const char *name;
    int64_t tasks;
} batch_count;

static int count_tasks(void *ctx, const store_batch_row *row)
{
    batch_count *b = ctx;
    if (strcmp(row->name, b->name) == 0)
        b->tasks += row->tasks;
    return 0;
}

static int64_t tasks_in(kz_store *st, const char *batch)
{
    batch_count b = {batch, 0};
    kz_err err;
    assert(store_batches_each(st, count_tasks, &b, &err) == KZ_OK);
    return b.tasks;
}

/* The shared store, opened again every STORE_REUSE inputs to bound its size. */
static kz_store *shared_store(void)
{
    static kz_store *st;
    static unsigned uses;
    if (st && uses++ < STORE_REUSE)
        return st;
    store_close(st);
    uses = 0;
    kz_err err;
    if (store_open(":memory:", STORE_OPEN_CREATE, &st, &err) != KZ_OK) {
        fprintf(stderr, "fuzz_csv: store_open: %s\n", err.msg);
        abort();
    }
    return st;
}

/* Physical lines as csv_import counts them: LF, CR and CR LF each end one. */
static uint64_t count_lines(const uint8_t *p, size_t n)
{
    uint64_t lines = 1;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n' || (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n')))
            lines++;
    return lines;
}

static kz_status import(kz_store *st, const uint8_t *csv, size_t n, const csv_import_opts *o,
                        csv_import_result *res, kz_err *err)
{
    FILE *f = fmemopen((void *)csv, n ? n : 1, "rb");
    assert(f);
    if (n == 0)
        fgetc(f); /* fmemopen refuses size 0: read the one byte so the stream is at EOF */
    kz_status rc = csv_import_file(st, f, o, res, err);
    fclose(f);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const uint8_t *csv = data + 1;
    size_t n = size - 1;
    static unsigned long long serial;
    char batch[32];
    snprintf(batch, sizeof batch, "fuzz-%llu", ++serial);
    kz_store *st = shared_store();
    kz_err err;
    tally t = {.lines = count_lines(csv, n)};
    csv_import_opts o = {.source = "fuzz.csv", .batch = batch, .requester = "Fuzz",
                         .reward_minor = (data[0] & 2) ? 100 : -1,
                         .floor = PAYFLOOR_KES_DEFAULT, .keep_good = data[0] & 1,
                         .on_reject = on_reject, .ctx = &t};
    csv_import_result res;
    kz_status rc = import(st, csv, n, &o, &res, &err);

    assert(t.row_rejects == res.rejected);
    assert(t.file_problems <= 1);
    assert(t.unlined == 0 || rc == KZ_ERR_RANGE);
    if (t.file_problems == 0)
        assert(res.added + res.unchanged + res.rejected == res.rows);
    else
        assert(res.added + res.unchanged + res.rejected <= res.rows);
    if (rc != KZ_OK) {
        assert(!res.committed && err.msg[0]);
    } else {
        assert(t.file_problems == 0);
        assert(res.committed == (res.added > 0));
    }
    if (!o.keep_good && res.rejected)
        assert(rc != KZ_OK);
    assert(res.delimiter == 0 || res.delimiter == ',' || res.delimiter == ';');

    int64_t tasks = tasks_in(st, batch);
    assert(tasks == (res.committed ? (int64_t)res.added : 0));

    if (res.committed) {
        /* the same file again changes nothing */
        csv_import_result again;
        tally t2 = {.lines = t.lines};
        o.ctx = &t2;
        kz_status rc2 = import(st, csv, n, &o, &again, &err);
        assert(again.added == 0 && !again.committed);
        assert(again.rows == res.rows);
        if (!o.keep_good)
            assert(rc2 == KZ_OK && again.unchanged == res.rows);
        assert(tasks_in(st, batch) == tasks);
    }
    return 0;
}
