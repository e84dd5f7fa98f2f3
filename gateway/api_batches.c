/*
 * api_batches.c - the batch endpoints of the JSON API (docs/api.md):
 * GET /api/batches, POST /api/batches (a task CSV, imported as `kazi
 * import` imports it), GET /api/batches/NAME and GET
 * /api/batches/NAME/results (the results CSV as a download).
 * Owns: where an upload's CSV and options are read from (a multipart file
 * field, a form field or the raw body; form fields, then the query string)
 * and the download's headers. Never validates a CSV row itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "serve.h"

/* An option of the upload: the form field name, else the query argument name. */
static const char *option(const http_request *req, const char *name)
{
    const http_field *f = http_request_field(req, name);
    if (f && !f->filename)
        return (const char *)f->data;
    return http_request_query(req, name);
}

/* Does the request carry form fields (multipart or urlencoded) rather than a raw CSV body? */
static bool is_form(const http_request *req)
{
    const char *ct = http_request_header(req, "Content-Type");
    return ct && (strncasecmp(ct, "multipart/form-data", 19) == 0 ||
                  strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0);
}

/* The CSV of an upload: the file field "file" (or "csv"), else the raw body. */
static void upload_data(const http_request *req, const uint8_t **data, size_t *len,
                        const char **source)
{
    *data = req->body;
    *len = req->body_len;
    *source = NULL;
    if (!is_form(req)) {
        *source = http_request_query(req, "filename");
        return;
    }
    const http_field *f = http_request_field(req, "file");
    if (!f)
        f = http_request_field(req, "csv");
    *data = f ? f->data : (const uint8_t *)"";
    *len = f ? f->len : 0;
    *source = f ? f->filename : NULL;
}

/* POST /api/batches */
static void post_batch(http_env *env, const http_request *req, http_response *resp)
{
    web_upload u = {
        .batch = option(req, "batch"),
        .requester = option(req, "requester"),
        .reward = option(req, "reward"),
        .redundancy = option(req, "redundancy"),
        .est_seconds = option(req, "est_seconds"),
        .deadline = option(req, "deadline"),
        .currency = option(req, "currency"),
    };
    const uint8_t *data;
    size_t len;
    upload_data(req, &data, &len, &u.source);
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_upload_csv(env->st, &u, data, len, serve_now(), &j, &err);
    if (!j)
        return api_fail(resp, s, &err);
    bool committed = json_is_true(json_object_get(j, "committed"));
    if (s == KZ_OK && committed)
        api_wake(env); /* new tasks: the loop may offer them at once */
    if (s == KZ_OK)
        return api_json(resp, committed ? 201 : 200, j);
    if (s == KZ_ERR_INVALID || s == KZ_ERR_RANGE || s == KZ_ERR_UTF8)
        return api_json(resp, 422, j);
    json_decref(j);
    api_fail(resp, s, &err);
}

/* "NAME-results.csv" with every byte outside [A-Za-z0-9._-] made '_'. */
static void download_name(const char *batch, char *out, size_t cap)
{
    snprintf(out, cap, "%.64s-results.csv", batch);
    for (char *p = out; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok)
            *p = '_';
    }
}

/* GET /api/batches/NAME/results */
static void get_results(http_env *env, const char *name, http_response *resp)
{
    char *csv = NULL;
    size_t len = 0;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_batch_results_csv(env->st, name, &csv, &len, &err);
    if (s != KZ_OK)
        return api_fail(resp, s, &err);
    http_response_take(resp, 200, "text/csv; charset=utf-8", csv, len);
    char file[96], disp[128];
    download_name(name, file, sizeof file);
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", file);
    if (http_response_header(resp, "Content-Disposition", disp) != KZ_OK) {
        http_response_clear(resp);
        api_error(resp, 500, "out of memory");
    }
}

/* GET /api/batches/NAME */
static void get_batch(http_env *env, const char *name, http_response *resp)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_batch(env->st, name, &j, &err);
    if (s != KZ_OK)
        return api_fail(resp, s, &err);
    api_json(resp, 200, j);
}

/* GET /api/batches */
static void get_batches(http_env *env, http_response *resp)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_batches(env->st, &j, &err);
    if (s != KZ_OK)
        return api_fail(resp, s, &err);
    api_json(resp, 200, j);
}

static void method_not_allowed(http_response *resp, const char *allow)
{
    api_error(resp, 405, "method not allowed here");
    (void)http_response_header(resp, "Allow", allow);
}

void api_route_batches(http_env *env, const http_request *req, const char *rest,
                       http_response *resp)
{
    bool get = strcmp(req->method, "GET") == 0;
    if (*rest == '\0') {
        if (get)
            return get_batches(env, resp);
        return post_batch(env, req, resp);
    }
    char name[80];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n == 0 || n >= sizeof name || (slash && strcmp(slash, "/results") != 0))
        return api_error(resp, 404, "no such endpoint");
    memcpy(name, rest, n);
    name[n] = '\0';
    if (!get)
        return method_not_allowed(resp, "GET, HEAD");
    if (slash)
        return get_results(env, name, resp);
    get_batch(env, name, resp);
}
