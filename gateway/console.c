/*
 * console.c - console_handle: the operator's web console's routing table.
 * Public: GET /style.css, GET and POST /login. Everything else needs a login
 * (web_auth_check): a GET without one is sent to /login (303), any other
 * method gets 403. Every POST must carry the session's CSRF token in the
 * field `csrf` (web_auth_csrf_ok), else 403. Pages live in console_*.c.
 * Owns: which path and method reach which page. Never renders a page's data
 * itself, never runs SQL, never logs a field, a cookie or a query value.
 *
 * Routes (the ids of each page are listed at the top of its file):
 *   GET  /style.css                   the stylesheet (no login)
 *   GET  /login, POST /login          console_login.c (no login)
 *   POST /logout                      console_login.c
 *   GET  /                            console_dash.c
 *   GET  /batches, POST /batches      console_batches.c
 *   GET  /batches/NAME                console_batch.c
 *   GET  /batches/NAME/results.csv    console_batch.c
 *   GET  /appeals, POST /appeals/ID   console_appeals.c
 *   GET  /payouts, POST /payouts/ID   console_payouts.c
 *   GET  /workers                     console_workers.c
 */
#include <string.h>
#include <time.h>

#include "console.h"
#include "log.h"

/* path starts with prefix; *rest receives what follows it. */
static int has_prefix(const char *path, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return 0;
    *rest = path + n;
    return 1;
}

static int is_get(const console_ctx *c)
{
    return strcmp(c->req->method, "GET") == 0 || strcmp(c->req->method, "HEAD") == 0;
}

static int is_post(const console_ctx *c)
{
    return strcmp(c->req->method, "POST") == 0;
}

/* 405 with the methods the path allows. */
static void not_allowed(console_ctx *c, const char *allow)
{
    http_response_clear(c->resp);
    if (http_response_text(c->resp, 405, "method not allowed") == KZ_OK)
        http_response_header(c->resp, "Allow", allow);
}

static void serve_css(console_ctx *c)
{
    size_t len;
    const char *css = web_html_css(&len);
    if (http_response_set(c->resp, 200, "text/css; charset=utf-8", css, len) != KZ_OK)
        http_response_text(c->resp, 500, "out of memory");
}

/* /batches/NAME and /batches/NAME/results.csv (name is everything after the prefix). */
static void route_batch(console_ctx *c, const char *rest)
{
    static const char suffix[] = "/results.csv";
    size_t n = strlen(rest), s = sizeof suffix - 1;
    if (!is_get(c)) {
        not_allowed(c, "GET");
        return;
    }
    if (n > s && strcmp(rest + n - s, suffix) == 0) {
        char name[1024];
        if (n - s >= sizeof name) {
            console_error(c, 404, "There is no such batch.");
            return;
        }
        memcpy(name, rest, n - s);
        name[n - s] = '\0';
        console_batch_results(c, name);
        return;
    }
    console_batch_get(c, rest);
}

/* A logged-in request whose POST (if any) passed the CSRF check. */
static void route(console_ctx *c)
{
    const char *path = c->req->path, *rest;
    if (strcmp(path, "/") == 0) {
        if (is_get(c))
            console_dash_get(c);
        else
            not_allowed(c, "GET");
    } else if (strcmp(path, "/logout") == 0) {
        if (is_post(c))
            console_logout_post(c);
        else
            not_allowed(c, "POST");
    } else if (strcmp(path, "/batches") == 0) {
        if (is_get(c))
            console_batches_get(c);
        else if (is_post(c))
            console_batches_post(c);
        else
            not_allowed(c, "GET, POST");
    } else if (has_prefix(path, "/batches/", &rest) && *rest) {
        route_batch(c, rest);
    } else if (strcmp(path, "/appeals") == 0) {
        if (is_get(c))
            console_appeals_get(c);
        else
            not_allowed(c, "GET");
    } else if (has_prefix(path, "/appeals/", &rest) && *rest) {
        if (is_post(c))
            console_appeal_post(c, rest);
        else
            not_allowed(c, "POST");
    } else if (strcmp(path, "/payouts") == 0) {
        if (is_get(c))
            console_payouts_get(c);
        else
            not_allowed(c, "GET");
    } else if (has_prefix(path, "/payouts/", &rest) && *rest) {
        if (is_post(c))
            console_payout_post(c, rest);
        else
            not_allowed(c, "POST");
    } else if (strcmp(path, "/workers") == 0) {
        if (is_get(c))
            console_workers_get(c);
        else
            not_allowed(c, "GET");
    } else {
        console_error(c, 404, "There is no such page.");
    }
}

/* The pages anyone may reach; 1 when path was one of them. */
static int route_public(console_ctx *c)
{
    const char *path = c->req->path;
    if (strcmp(path, "/style.css") == 0) {
        if (is_get(c))
            serve_css(c);
        else
            not_allowed(c, "GET");
        return 1;
    }
    if (strcmp(path, "/login") == 0) {
        if (is_get(c))
            console_login_get(c);
        else if (is_post(c))
            console_login_post(c);
        else
            not_allowed(c, "GET, POST");
        return 1;
    }
    return 0;
}

void console_handle(http_env *env, const http_request *req, http_response *resp)
{
    console_ctx c = {.env = env, .req = req, .resp = resp, .now = (int64_t)time(NULL)};
    if (route_public(&c))
        return;
    if (!web_auth_check(env, req, c.csrf)) {
        if (is_get(&c)) {
            console_redirect(&c, "/login");
            return;
        }
        http_response_text(resp, 403, "log in first");
        return;
    }
    if (is_post(&c)) {
        const char *given = console_field(&c, "csrf");
        if (!web_auth_csrf_ok(env, req, given ? given : "")) {
            log_warn("console: %s %s from %s refused: missing or wrong CSRF token",
                     req->method, req->path, req->peer);
            http_response_text(resp, 403, "the form has expired: reload the page and try again");
            return;
        }
    }
    route(&c);
}
