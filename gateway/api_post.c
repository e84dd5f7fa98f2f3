/*
 * api_post.c - the decisions of the JSON API (docs/api.md): POST
 * /api/appeals/ID (uphold or overturn, with a note for the worker) and POST
 * /api/payouts/ID (confirmed, failed or retry). The body is a JSON object or
 * a form (urlencoded or multipart) with the same field names.
 * Owns: reading those fields and refusing a body that is not JSON, not an
 * object, or has a field that is not a string. Never decides anything
 * itself (gateway/web_data_appeals.c and web_data_pay.c do).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "serve.h"

#define FIELD_MAX 4

/* The fields of one POST body, by name (values borrowed from the request or from obj). */
typedef struct post_fields {
    json_t *obj; /* owned: the parsed JSON body, or NULL for a form */
    const char *names[FIELD_MAX];
    const char *values[FIELD_MAX];
    size_t n;
} post_fields;

static bool is_form(const http_request *req)
{
    const char *ct = http_request_header(req, "Content-Type");
    return ct && (strncasecmp(ct, "multipart/form-data", 19) == 0 ||
                  strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0);
}

/* The JSON body's string field name, or NULL; -1 if it is there but not a string. */
static int json_field(json_t *obj, const char *name, const char **out)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

/*
 * Read the fields names[0..n) of req's body into f. 0, or -1 after
 * answering 400 (bad JSON, not an object, a field not a string).
 */
static int read_fields(const http_request *req, const char *const *names, size_t n,
                       post_fields *f, http_response *resp)
{
    memset(f, 0, sizeof *f);
    f->n = n < FIELD_MAX ? n : FIELD_MAX;
    for (size_t i = 0; i < f->n; i++)
        f->names[i] = names[i];
    if (is_form(req)) {
        for (size_t i = 0; i < f->n; i++) {
            const http_field *hf = http_request_field(req, names[i]);
            f->values[i] = hf && !hf->filename ? (const char *)hf->data : NULL;
        }
        return 0;
    }
    if (req->body_len == 0)
        return 0;
    json_error_t je;
    f->obj = json_loadb((const char *)req->body, req->body_len, 0, &je);
    char msg[256];
    if (!f->obj) {
        snprintf(msg, sizeof msg, "the body is not valid JSON: line %d, column %d: %s", je.line,
                 je.column, je.text);
        api_error(resp, 400, msg);
        return -1;
    }
    if (!json_is_object(f->obj)) {
        api_error(resp, 400, "the body must be a JSON object");
        return -1;
    }
    for (size_t i = 0; i < f->n; i++)
        if (json_field(f->obj, names[i], &f->values[i]) != 0) {
            snprintf(msg, sizeof msg, "field '%s' must be a string", names[i]);
            api_error(resp, 400, msg);
            return -1;
        }
    return 0;
}

/* The value of field name (NULL if absent or empty). */
static const char *field(const post_fields *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return f->values[i] && *f->values[i] ? f->values[i] : NULL;
    return NULL;
}

/* The note of a decision: "note", or "reason" as the command line calls it. */
static const char *note_of(const post_fields *f)
{
    const char *n = field(f, "note");
    return n ? n : field(f, "reason");
}

/* Answer a web_data action: 200 with its object, or its refusal (400 for bad input). */
static void answer(http_env *env, http_response *resp, kz_status s, json_t *j,
                   const kz_err *err)
{
    if (s != KZ_OK)
        return api_fail(resp, s, err);
    api_wake(env); /* a notice or a payout was queued */
    api_json(resp, 200, j);
}

void api_post_appeal(http_env *env, const http_request *req, int64_t id, http_response *resp)
{
    if (id <= 0)
        return api_error(resp, 404, "no such appeal");
    static const char *const names[] = {"decision", "note", "reason", "reviewer"};
    post_fields f;
    if (read_fields(req, names, 4, &f, resp) != 0) {
        json_decref(f.obj);
        return;
    }
    const char *reviewer = field(&f, "reviewer");
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_appeal_decide(env->st, env->conv, id, field(&f, "decision"), note_of(&f),
                                    reviewer ? reviewer : "api", api_flag(req, "full"),
                                    serve_now(), &j, &err);
    json_decref(f.obj);
    answer(env, resp, s, j, &err);
}

void api_post_payout(http_env *env, const http_request *req, int64_t id, http_response *resp)
{
    if (id <= 0)
        return api_error(resp, 404, "no such payout");
    static const char *const names[] = {"action", "note", "reason"};
    post_fields f;
    if (read_fields(req, names, 3, &f, resp) != 0) {
        json_decref(f.obj);
        return;
    }
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_payout_act(env->st, env->cfg, id, field(&f, "action"), note_of(&f),
                                 api_flag(req, "full"), serve_now(), &j, &err);
    json_decref(f.obj);
    answer(env, resp, s, j, &err);
}
