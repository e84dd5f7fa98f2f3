/*
 * console.h - what the console's page files share (private to
 * gateway/console*.c): the request being answered, sending a page, a
 * redirect or an error page, reading form fields and formatting the values
 * of web_data.h's JSON.
 * Owns: the console's routing context and its answer helpers. Never runs
 * SQL (web_data does), never checks a password or a CSRF token itself
 * (web_auth does), never appends data to a page without escaping.
 */
#ifndef KAZI_CONSOLE_H
#define KAZI_CONSOLE_H

#include <jansson.h>
#include <stdint.h>

#include "http_server.h"
#include "status.h"
#include "web_auth.h"
#include "web_html.h"

/* The request being answered, once routed. */
typedef struct console_ctx {
    http_env *env;
    const http_request *req;
    http_response *resp;
    char csrf[WEB_CSRF_CAP]; /* the session's CSRF token ("" with the bearer token) */
    int64_t now;             /* Unix seconds */
} console_ctx;

/* Pages (one file each). rest is the path after the page's prefix (e.g. "NAME"). */
void console_login_get(console_ctx *c);
void console_login_post(console_ctx *c);
void console_logout_post(console_ctx *c);
void console_dash_get(console_ctx *c);
void console_batches_get(console_ctx *c);
void console_batches_post(console_ctx *c);
void console_batch_get(console_ctx *c, const char *name);
void console_batch_results(console_ctx *c, const char *name);
void console_appeals_get(console_ctx *c);
void console_appeal_post(console_ctx *c, const char *id);
void console_payouts_get(console_ctx *c);
void console_payout_post(console_ctx *c, const char *id);
void console_workers_get(console_ctx *c);

/*
 * Send b (taken over and emptied) as an HTML page with status. When b holds
 * a failure (out of memory, too large), a plain 500 goes out instead.
 */
void console_send(console_ctx *c, int status, web_buf *b);

/* 303 See Other to location (a path built by the caller, already URL-encoded). */
void console_redirect(console_ctx *c, const char *location);

/*
 * A short error page (logged-in frame) with status and message (escaped).
 * console_fail maps a web_data status to one: NOTFOUND 404, INVALID 400,
 * STATE and BUSY 409, RANGE 400, anything else 500 (logged with what, and
 * err's message, without the page's data).
 */
void console_error(console_ctx *c, int status, const char *message);
void console_fail(console_ctx *c, const char *what, kz_status rc, const kz_err *err);

/* A posted field as a NUL-terminated string (the server's copy), or NULL. */
const char *console_field(const console_ctx *c, const char *name);

/*
 * Did the operator ask for whole phone numbers (?full=1)? When yes, one log
 * line says which page showed them to which address.
 */
int console_want_full(const console_ctx *c, const char *page);

/* A positive decimal id from text ("12"); 0 for anything else. */
int64_t console_parse_id(const char *s);

/* JSON readers that never fail: "" / 0 / false when the key is absent or of another type. */
const char *cj_str(const json_t *o, const char *key);
int64_t cj_int(const json_t *o, const char *key);

/* <dt>label</dt><dd>value</dd> (both escaped; "-" for an empty value): a card's line. */
void console_pair(web_buf *b, const char *label, const char *value);

/* Append, escaped: o[key] minor units in o["currency"] ("KSh 3.00"). */
void console_money(web_buf *b, const json_t *o, const char *key);

/* Append, escaped: Unix seconds as local "YYYY-MM-DD HH:MM" ("-" for 0), in a span.when. */
void console_time(web_buf *b, int64_t t);

/* <progress> of done out of total plus "N%" (escaped numbers only). */
void console_progress(web_buf *b, int64_t done, int64_t total);

/* A batch row's cells (r: one batch of web_data's list): the name linked to
 * its page, inside an open <td>; and "</td><td ...>done/tasks</td><td>answers'
 * progress" between the cells before and after. Both escaped. */
void console_batch_link(web_buf *b, const json_t *r);
void console_batch_counts(web_buf *b, const json_t *r);

#endif
