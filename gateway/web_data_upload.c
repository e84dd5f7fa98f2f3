/*
 * web_data_upload.c - a task CSV uploaded through the console or the API,
 * imported as `kazi import` imports a file: the same options with the same
 * bounds (gateway/import_opts.h), the same pay floor, the same all-or-nothing
 * import (tasks/csv_import.c), every problem listed by line and column.
 * Owns: the upload's answer object of web_data.h. Never validates a row
 * itself and never parses CSV (csv_import_file does both).
 */
#include <stdio.h>
#include <string.h>

#include "csv_import.h"
#include "import_opts.h"
#include "money.h"
#include "web_data.h"
#include "web_data_internal.h"

typedef struct upload_out {
    json_t *errors; /* borrowed from the answer object */
    int64_t more;   /* problems past WEB_UPLOAD_MAX_ERRORS */
    int oom;
} upload_out;

static void add_error(upload_out *o, uint64_t line, size_t column, const char *column_name,
                      const char *field, const char *message)
{
    if (json_array_size(o->errors) >= WEB_UPLOAD_MAX_ERRORS) {
        o->more++;
        return;
    }
    json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s}", "line", (json_int_t)line, "column",
                          (json_int_t)column, "column_name", column_name ? column_name : "",
                          "field", field ? field : "", "message", message);
    if (web_append(o->errors, j) != 0)
        o->oom = 1;
}

static void on_reject(void *ctx, const csv_reject *r)
{
    add_error(ctx, r->line, r->column, r->column_name, "", r->reason);
}

/* Refuse option field with message; KZ_ERR_INVALID. */
static kz_status bad_option(upload_out *o, const char *field, const char *message, kz_err *err)
{
    add_error(o, 0, 0, "", field, message);
    return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s: %s", field, message);
}

/* The options of u into *io, as cmd_import.c reads them from its command line. */
static kz_status read_options(const web_upload *u, int64_t now, csv_import_opts *io,
                              upload_out *o, kz_err *err)
{
    if (!u->batch || !*u->batch)
        return bad_option(o, "batch", "a batch name is required", err);
    if (!u->requester || !*u->requester)
        return bad_option(o, "requester", "a requester name is required", err);
    io->batch = u->batch;
    io->requester = u->requester;
    io->source = u->source && *u->source ? u->source : "upload";
    char m[80];
    snprintf(m, sizeof m, "must be a whole number from 1 to %d", CSV_IMPORT_MAX_REDUNDANCY);
    if (u->redundancy && *u->redundancy &&
        import_parse_count(u->redundancy, 1, CSV_IMPORT_MAX_REDUNDANCY, &io->redundancy) != 0)
        return bad_option(o, "redundancy", m, err);
    if (u->est_seconds && *u->est_seconds &&
        import_parse_count(u->est_seconds, 1, 86400, &io->est_seconds) != 0)
        return bad_option(o, "est_seconds", "must be a whole number from 1 to 86400", err);
    if (u->currency && *u->currency && strcmp(u->currency, io->floor.currency) != 0) {
        snprintf(m, sizeof m, "no pay floor is configured for it (only %s)", io->floor.currency);
        return bad_option(o, "currency", m, err);
    }
    if (u->currency && *u->currency)
        io->currency = u->currency;
    kz_err e;
    kz_err_clear(&e);
    if (u->reward && *u->reward &&
        money_parse(u->reward, strlen(u->reward), io->floor.currency, &io->reward_minor, &e) !=
            KZ_OK)
        return bad_option(o, "reward", e.msg, err);
    if (u->deadline && *u->deadline && import_parse_deadline(u->deadline, now, &io->deadline) != 0)
        return bad_option(o, "deadline", IMPORT_DEADLINE_HELP, err);
    return KZ_OK;
}

/* The answer object with its empty error list; NULL if out of memory. */
static json_t *answer_new(const web_upload *u, upload_out *o)
{
    json_t *j = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:b, s:s, s:[]}", "ok", 0, "batch",
                          u->batch ? u->batch : "", "rows", (json_int_t)0, "added",
                          (json_int_t)0, "unchanged", (json_int_t)0, "rejected", (json_int_t)0,
                          "committed", 0, "message", "", "errors");
    o->errors = j ? json_object_get(j, "errors") : NULL;
    return j;
}

/* Fill the counts and the message of the answer from the import's outcome. */
static void answer_finish(json_t *j, upload_out *o, kz_status s, const csv_import_result *r,
                          const char *msg)
{
    json_object_set_new(j, "ok", json_boolean(s == KZ_OK));
    json_object_set_new(j, "rows", json_integer((json_int_t)r->rows));
    json_object_set_new(j, "added", json_integer((json_int_t)r->added));
    json_object_set_new(j, "unchanged", json_integer((json_int_t)r->unchanged));
    json_object_set_new(j, "rejected", json_integer((json_int_t)r->rejected));
    json_object_set_new(j, "committed", json_boolean(r->committed));
    json_object_set_new(j, "message", json_string(msg));
    if (o->more)
        json_object_set_new(j, "errors_more", json_integer(o->more));
}

/* Run the import of csv[0..len) with io. */
static kz_status import(kz_store *st, const uint8_t *csv, size_t len, const csv_import_opts *io,
                        csv_import_result *res, kz_err *err)
{
    if (len == 0)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "the file is empty");
    /* Read only ("r"): fmemopen never writes through the pointer. */
    FILE *in = fmemopen((void *)csv, len, "r");
    if (!in)
        return web_oom(err);
    kz_status s = csv_import_file(st, in, io, res, err);
    fclose(in);
    return s;
}

kz_status web_upload_csv(kz_store *st, const web_upload *u, const uint8_t *csv, size_t len,
                         int64_t now, json_t **out, kz_err *err)
{
    *out = NULL;
    upload_out o = {0};
    json_t *j = answer_new(u, &o);
    if (!j)
        return web_oom(err);
    payfloor_policy floor = PAYFLOOR_KES_DEFAULT;
    csv_import_opts io = {.reward_minor = -1, .floor = floor, .on_reject = on_reject, .ctx = &o};
    csv_import_result res;
    memset(&res, 0, sizeof res);
    kz_status s = read_options(u, now, &io, &o, err);
    if (s == KZ_OK)
        s = import(st, csv, len, &io, &res, err);
    char msg[240];
    if (s == KZ_OK)
        snprintf(msg, sizeof msg, "batch '%s': %llu added, %llu unchanged%s", u->batch,
                 (unsigned long long)res.added, (unsigned long long)res.unchanged,
                 res.committed ? "" : "; nothing new, database unchanged");
    else if (err && strstr(err->msg, "nothing imported"))
        snprintf(msg, sizeof msg, "%s", err->msg);
    else
        snprintf(msg, sizeof msg, "nothing imported: %s", err && err->msg[0] ? err->msg
                                                                            : kz_strerror(s));
    if (s != KZ_OK)
        res.added = res.unchanged = 0; /* rolled back: nothing was added */
    if (s != KZ_OK && json_array_size(o.errors) == 0)
        add_error(&o, 0, 0, "", "", err && err->msg[0] ? err->msg : kz_strerror(s));
    answer_finish(j, &o, s, &res, msg);
    if (o.oom || s == KZ_ERR_NOMEM) {
        json_decref(j);
        return web_oom(err);
    }
    *out = j;
    return s;
}
