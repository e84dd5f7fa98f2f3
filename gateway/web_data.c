/*
 * web_data.c - the read side of the console and the API that concerns
 * batches and workers: the batch listing, one batch, its results CSV in
 * memory, the worker listing, and the masking of phone numbers.
 * Owns: the BATCH and WORKER objects of web_data.h. Never runs SQL itself
 * (the store's walkers do); never writes to the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_export.h"
#include "engine.h"
#include "web_data.h"
#include "web_data_internal.h"

void web_phone_mask(const char *phone, char out[WEB_PHONE_CAP])
{
    size_t n = phone ? strlen(phone) : 0;
    if (n == 0) {
        out[0] = '\0';
        return;
    }
    if (n <= 9 || n >= WEB_PHONE_CAP - 4 || phone[0] != '+') {
        snprintf(out, WEB_PHONE_CAP, "****%s", n >= 2 ? phone + n - 2 : "");
        return;
    }
    snprintf(out, WEB_PHONE_CAP, "%.5s****%s", phone, phone + n - 4);
}

json_t *web_phone_json(const char *phone, bool full)
{
    char m[WEB_PHONE_CAP];
    if (full)
        return json_string(phone ? phone : "");
    web_phone_mask(phone, m);
    return json_string(m);
}

kz_status web_oom(kz_err *err)
{
    return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
}

int web_append(json_t *arr, json_t *item)
{
    if (!item)
        return 1;
    return json_array_append_new(arr, item) != 0;
}

/* Answers received over answers wanted, 0..1 (capped at 1). */
static double progress(const store_batch_row *r)
{
    if (r->answers_needed <= 0)
        return 0.0;
    int64_t a = r->answers < r->answers_needed ? r->answers : r->answers_needed;
    return (double)(a * 1000 / r->answers_needed) / 1000.0;
}

json_t *web_batch_json(const store_batch_row *r)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s, s:I, s:I, "
                     "s:I, s:I}",
                     "name", r->name, "requester", r->requester, "state", r->state, "tasks",
                     (json_int_t)r->tasks, "tasks_complete", (json_int_t)r->tasks_complete,
                     "tasks_open", (json_int_t)(r->tasks - r->tasks_complete),
                     "tasks_resolved", (json_int_t)r->tasks_complete, "answers",
                     (json_int_t)r->answers, "answers_needed", (json_int_t)r->answers_needed,
                     "redundancy", (json_int_t)r->redundancy, "progress", progress(r),
                     "currency", r->currency, "reward_minor", (json_int_t)r->reward_minor,
                     "est_seconds", (json_int_t)r->est_seconds, "deadline",
                     (json_int_t)r->deadline, "created_at", (json_int_t)r->created_at);
}

static int batches_row(void *ctx, const store_batch_row *r)
{
    return web_append(ctx, web_batch_json(r));
}

kz_status web_batches(kz_store *st, json_t **out, kz_err *err)
{
    *out = NULL;
    json_t *arr = json_array();
    if (!arr)
        return web_oom(err);
    kz_status s = store_batches_each(st, batches_row, arr, err);
    if (s != KZ_OK) {
        json_decref(arr);
        return s == KZ_ERR_IO ? web_oom(err) : s; /* the row callback stops only on OOM */
    }
    *out = arr;
    return KZ_OK;
}

/* ---- one batch ---- */

typedef struct find_batch {
    const char *name;
    json_t *found; /* owned */
    int oom;
} find_batch;

static int find_row(void *ctx, const store_batch_row *r)
{
    find_batch *f = ctx;
    if (strcmp(r->name, f->name) != 0)
        return 0;
    f->found = web_batch_json(r);
    f->oom = f->found == NULL;
    return 1;
}

typedef struct status_counts {
    int64_t pending, partial, complete, cancelled;
} status_counts;

static int count_status(void *ctx, const store_result_row *r)
{
    status_counts *c = ctx;
    if (strcmp(r->status, "pending") == 0)
        c->pending++;
    else if (strcmp(r->status, "partial") == 0)
        c->partial++;
    else if (strcmp(r->status, "complete") == 0)
        c->complete++;
    else if (strcmp(r->status, "cancelled") == 0)
        c->cancelled++;
    return 0;
}

typedef struct review_count {
    const char *batch;
    int64_t n;
} review_count;

static int count_review(void *ctx, const engine_review_row *r)
{
    review_count *c = ctx;
    if (strcmp(r->batch, c->batch) == 0)
        c->n++;
    return 0;
}

/* Add status_counts and in_review to the batch object j. */
static kz_status batch_detail(kz_store *st, const char *name, json_t *j, kz_err *err)
{
    store_batch b;
    memset(&b, 0, sizeof b);
    kz_status s = store_batch_get(st, name, &b, err);
    int64_t id = b.id;
    store_batch_clear(&b);
    status_counts c = {0};
    review_count rv = {.batch = name};
    if (s == KZ_OK)
        s = store_results_each(st, id, count_status, &c, err);
    if (s == KZ_OK)
        s = engine_review_each(st, count_review, &rv, err);
    if (s != KZ_OK)
        return s;
    json_t *counts = json_pack("{s:I, s:I, s:I, s:I}", "pending", (json_int_t)c.pending,
                               "partial", (json_int_t)c.partial, "complete",
                               (json_int_t)c.complete, "cancelled", (json_int_t)c.cancelled);
    if (!counts || json_object_set_new(j, "status_counts", counts) != 0 ||
        json_object_set_new(j, "in_review", json_integer(rv.n)) != 0)
        return web_oom(err);
    return KZ_OK;
}

kz_status web_batch(kz_store *st, const char *name, json_t **out, kz_err *err)
{
    *out = NULL;
    find_batch f = {.name = name ? name : ""};
    kz_status s = store_batches_each(st, find_row, &f, err);
    if (s != KZ_OK && !f.found && !f.oom)
        return s;
    if (f.oom)
        return web_oom(err);
    if (!f.found)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no batch named '%s'", f.name);
    s = batch_detail(st, f.name, f.found, err);
    if (s != KZ_OK) {
        json_decref(f.found);
        return s;
    }
    *out = f.found;
    return KZ_OK;
}

kz_status web_batch_results_csv(kz_store *st, const char *name, char **csv, size_t *len,
                                kz_err *err)
{
    *csv = NULL;
    *len = 0;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return web_oom(err);
    kz_status s = csv_export_results(st, name ? name : "", f, err);
    if (fclose(f) != 0 && s == KZ_OK)
        s = web_oom(err);
    if (s != KZ_OK) {
        free(buf);
        return s;
    }
    *csv = buf;
    *len = n;
    return KZ_OK;
}

/* ---- workers ---- */

typedef struct workers_out {
    json_t *arr;
    bool full;
} workers_out;

static int worker_row(void *ctx, const store_worker_row *r)
{
    workers_out *o = ctx;
    json_t *j = json_pack("{s:I, s:o, s:s, s:s, s:s, s:I, s:s, s:I, s:I}", "id",
                          (json_int_t)r->id, "phone", web_phone_json(r->phone, o->full), "name",
                          r->name, "lang", r->lang, "state", r->state, "answers",
                          (json_int_t)r->answers, "currency", r->currency, "balance_minor",
                          (json_int_t)r->balance_minor, "joined_at", (json_int_t)r->joined_at);
    return web_append(o->arr, j);
}

kz_status web_workers(kz_store *st, bool full, json_t **out, kz_err *err)
{
    *out = NULL;
    workers_out o = {.arr = json_array(), .full = full};
    if (!o.arr)
        return web_oom(err);
    kz_status s = store_workers_each(st, worker_row, &o, err);
    if (s != KZ_OK) {
        json_decref(o.arr);
        return s == KZ_ERR_IO ? web_oom(err) : s;
    }
    *out = o.arr;
    return KZ_OK;
}
