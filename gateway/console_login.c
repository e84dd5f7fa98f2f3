/*
 * console_login.c - the console's login and logout: GET /login (the form),
 * POST /login (field `password`: web_auth_login; right -> 303 to /, wrong ->
 * the form again with an error and 401, too many failures -> 429), POST
 * /logout (ends the session, 303 to /login).
 * Owns: the login page. Never logs, echoes or keeps the password; the
 * session, and the log lines of logins and logouts, are web_auth.c's.
 *
 * Ids: form #login (POST /login), input #password (name "password"),
 * button #login-submit, error box #errors (wrong password or throttled).
 */
#include <string.h>

#include "console.h"
#include "log.h"

static void login_page(console_ctx *c, int status, const char *error)
{
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Log in", NULL, NULL);
    if (error) {
        web_error_begin(&b, error);
        web_error_end(&b);
    }
    web_form_begin(&b, "/login", "login", NULL, 0);
    web_input(&b, "password", "password", "Console password or API token", NULL, 1);
    web_button(&b, "login-submit", NULL, NULL, "Log in");
    web_form_end(&b);
    web_page_end(&b);
    console_send(c, status, &b);
}

void console_login_get(console_ctx *c)
{
    if (web_auth_check(c->env, c->req, NULL)) {
        console_redirect(c, "/");
        return;
    }
    login_page(c, 200, NULL);
}

void console_login_post(console_ctx *c)
{
    const char *secret = console_field(c, "password");
    kz_status rc = web_auth_login(c->env, c->req, secret ? secret : "", c->resp);
    switch (rc) {
    case KZ_OK:
        /* the response already carries the session cookie: keep it */
        if (http_response_text(c->resp, 303, "see other") != KZ_OK ||
            http_response_header(c->resp, "Location", "/") != KZ_OK) {
            http_response_clear(c->resp);
            http_response_text(c->resp, 500, "internal error");
        }
        return;
    case KZ_ERR_STATE:
        login_page(c, 401, "Wrong password.");
        return;
    case KZ_ERR_BUSY:
        login_page(c, 429, "Too many failed logins from this address: wait a few minutes "
                           "and try again.");
        return;
    default:
        log_error("console: login from %s: %s", c->req->peer, kz_strerror(rc));
        http_response_clear(c->resp);
        http_response_text(c->resp, 500, "internal error");
        return;
    }
}

void console_logout_post(console_ctx *c)
{
    web_auth_logout(c->env, c->req, c->resp);
    if (http_response_text(c->resp, 303, "see other") != KZ_OK ||
        http_response_header(c->resp, "Location", "/login") != KZ_OK) {
        http_response_clear(c->resp);
        http_response_text(c->resp, 500, "internal error");
    }
}
