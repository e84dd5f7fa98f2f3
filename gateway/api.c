/*
 * api.c - the JSON API under /api (docs/api.md): api_handle checks the
 * login (the bearer token, or a console session with its CSRF token on a
 * POST), picks the endpoint from the method and path, and answers with
 * JSON (or the results CSV) and a status code that says what happened.
 * Owns: the endpoints, their status codes and the {"error": "..."} body of
 * every refusal. Never runs SQL itself and never shapes the data (both are
 * gateway/web_data*.c); never logs a body, a token or a phone number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "serve.h"
#include "web_auth.h"

#define JSON_TYPE "application/json"

void api_json(http_response *resp, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    size_t n = s ? strlen(s) : 0;
    char *body = s ? realloc(s, n + 2) : NULL;
    if (!body) {
        free(s);
        static const char oom[] = "{\"error\": \"out of memory\"}\n";
        if (http_response_set(resp, 500, JSON_TYPE, oom, sizeof oom - 1) != KZ_OK)
            resp->status = 500;
        return;
    }
    body[n] = '\n';
    body[n + 1] = '\0';
    http_response_take(resp, status, JSON_TYPE, body, n + 1);
}

void api_error(http_response *resp, int status, const char *message)
{
    api_json(resp, status, json_pack("{s:s}", "error", message));
}

int api_status_of(kz_status s)
{
    switch (s) {
    case KZ_OK: return 200;
    case KZ_ERR_NOTFOUND: return 404;
    case KZ_ERR_INVALID:
    case KZ_ERR_UTF8: return 400;
    case KZ_ERR_STATE:
    case KZ_ERR_BUSY: return 409;
    case KZ_ERR_RANGE: return 422;
    default: return 500;
    }
}

void api_fail(http_response *resp, kz_status s, const kz_err *err)
{
    const char *msg = err->msg[0] ? err->msg : kz_strerror(s);
    if (api_status_of(s) == 500 && s != KZ_ERR_NOMEM)
        msg = "the database could not answer; see the daemon's log";
    api_error(resp, api_status_of(s), msg);
}

bool api_flag(const http_request *req, const char *key)
{
    const char *v = http_request_query(req, key);
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0);
}

int64_t api_id(const char *s)
{
    char *end = NULL;
    long long v = s && *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : 0;
    return end && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

void api_wake(http_env *env)
{
    if (env->wake)
        env->wake(env->wake_ctx);
}

/* 405 with the methods path takes. */
static void not_allowed(http_response *resp, const char *allow)
{
    api_error(resp, 405, "method not allowed here");
    (void)http_response_header(resp, "Allow", allow);
}

/* GET /api/status */
static void get_status(http_env *env, http_response *resp)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_dashboard(env->st, env->cfg, serve_now(), &j, &err);
    if (s != KZ_OK)
        api_fail(resp, s, &err);
    else
        api_json(resp, 200, j);
}

/* A listing endpoint: one of web_data's readers, 200 with its array. */
static void send_list(http_response *resp, kz_status s, json_t *j, const kz_err *err)
{
    if (s != KZ_OK)
        api_fail(resp, s, err);
    else
        api_json(resp, 200, j);
}

/* /api/appeals[/ID] */
static void route_appeals(http_env *env, const http_request *req, const char *rest,
                          http_response *resp)
{
    bool post = strcmp(req->method, "POST") == 0;
    kz_err err;
    kz_err_clear(&err);
    if (*rest == '\0') {
        if (post)
            return not_allowed(resp, "GET, HEAD");
        json_t *j = NULL;
        kz_status s = web_appeals(env->st, !api_flag(req, "all"), api_flag(req, "full"), &j,
                                  &err);
        return send_list(resp, s, j, &err);
    }
    if (!post)
        return not_allowed(resp, "POST");
    api_post_appeal(env, req, api_id(rest), resp);
}

/* /api/payouts[/ID] */
static void route_payouts(http_env *env, const http_request *req, const char *rest,
                          http_response *resp)
{
    bool post = strcmp(req->method, "POST") == 0;
    kz_err err;
    kz_err_clear(&err);
    if (*rest == '\0') {
        if (post)
            return not_allowed(resp, "GET, HEAD");
        json_t *j = NULL;
        kz_status s = web_payouts(env->st, api_flag(req, "attention"), api_flag(req, "full"),
                                  serve_now(), &j, &err);
        return send_list(resp, s, j, &err);
    }
    if (!post)
        return not_allowed(resp, "POST");
    api_post_payout(env, req, api_id(rest), resp);
}

/* /api/workers */
static void route_workers(http_env *env, const http_request *req, const char *rest,
                          http_response *resp)
{
    if (*rest)
        return api_error(resp, 404, "no such endpoint");
    if (strcmp(req->method, "GET") != 0)
        return not_allowed(resp, "GET, HEAD");
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_workers(env->st, api_flag(req, "full"), &j, &err);
    send_list(resp, s, j, &err);
}

/* The part of path after prefix ("" or what follows a '/'), or NULL if path is not under it. */
static const char *under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return path + n;
    return path[n] == '/' ? path + n + 1 : NULL;
}

/* Pick the endpoint; the login has been checked. */
static void route(http_env *env, const http_request *req, http_response *resp)
{
    const char *rest;
    if ((rest = under(req->path, "/api/status")) != NULL) {
        if (*rest)
            return api_error(resp, 404, "no such endpoint");
        if (strcmp(req->method, "GET") != 0)
            return not_allowed(resp, "GET, HEAD");
        return get_status(env, resp);
    }
    if ((rest = under(req->path, "/api/batches")) != NULL)
        return api_route_batches(env, req, rest, resp);
    if ((rest = under(req->path, "/api/appeals")) != NULL)
        return route_appeals(env, req, rest, resp);
    if ((rest = under(req->path, "/api/payouts")) != NULL)
        return route_payouts(env, req, rest, resp);
    if ((rest = under(req->path, "/api/workers")) != NULL)
        return route_workers(env, req, rest, resp);
    api_error(resp, 404, "no such endpoint (see docs/api.md)");
}

void api_handle(http_env *env, const http_request *req, http_response *resp)
{
    if (!web_auth_check(env, req, NULL)) {
        api_error(resp, 401, "login required: send the header Authorization: Bearer TOKEN");
        (void)http_response_header(resp, "WWW-Authenticate", "Bearer realm=\"kazi\"");
        return;
    }
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (!get && !post)
        return not_allowed(resp, "GET, HEAD, POST");
    if (post && !web_auth_csrf_ok(env, req, http_request_header(req, "X-CSRF-Token")))
        return api_error(resp, 403, "a POST with the console's login needs its CSRF token in "
                                    "the X-CSRF-Token header");
    route(env, req, resp);
}
