/*
 * console_page.c - the answer helpers every console page uses (console.h):
 * sending a page, redirects, error pages, fields, JSON values as text.
 * Owns: the mapping of a status to an HTTP code and the error page. Never
 * logs a field's value, a cookie or page data; never runs SQL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_db.h"
#include "console.h"
#include "log.h"
#include "money.h"

void console_send(console_ctx *c, int status, web_buf *b)
{
    char *body;
    size_t len;
    kz_status rc = web_buf_take(b, &body, &len);
    if (rc != KZ_OK) {
        log_error("console: %s %s: page not built: %s", c->req->method, c->req->path,
                  kz_strerror(rc));
        http_response_text(c->resp, 500, "internal error");
        return;
    }
    http_response_take(c->resp, status, "text/html; charset=utf-8", body, len);
}

void console_redirect(console_ctx *c, const char *location)
{
    if (http_response_text(c->resp, 303, "see other") != KZ_OK ||
        http_response_header(c->resp, "Location", location) != KZ_OK) {
        http_response_clear(c->resp);
        http_response_text(c->resp, 500, "internal error");
    }
}

void console_error(console_ctx *c, int status, const char *message)
{
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, status == 404 ? "Not found" : "Could not do that", NULL, c->csrf);
    web_error_begin(&b, message);
    web_error_end(&b);
    web_raw(&b, "<p><a id=\"back\" href=\"/\">Back to the dashboard</a></p>\n");
    web_page_end(&b);
    console_send(c, status, &b);
}

void console_fail(console_ctx *c, const char *what, kz_status rc, const kz_err *err)
{
    const char *msg = err && err->msg[0] ? err->msg : kz_strerror(rc);
    switch (rc) {
    case KZ_ERR_NOTFOUND:
        console_error(c, 404, msg);
        return;
    case KZ_ERR_INVALID:
    case KZ_ERR_RANGE:
        console_error(c, 400, msg);
        return;
    case KZ_ERR_STATE:
    case KZ_ERR_BUSY:
        console_error(c, 409, msg);
        return;
    default:
        log_error("console: %s %s: %s: %s", c->req->method, c->req->path, what, msg);
        console_error(c, 500, "The gateway could not do that (see its log).");
        return;
    }
}

const char *console_field(const console_ctx *c, const char *name)
{
    const http_field *f = http_request_field(c->req, name);
    return f ? (const char *)f->data : NULL;
}

int console_want_full(const console_ctx *c, const char *page)
{
    const char *f = http_request_query(c->req, "full");
    if (!f || strcmp(f, "1") != 0)
        return 0;
    log_info("console: full phone numbers on %s shown to %s", page, c->req->peer);
    return 1;
}

int64_t console_parse_id(const char *s)
{
    if (!s || *s < '1' || *s > '9')
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0)
        return 0;
    return (int64_t)v;
}

const char *cj_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int64_t cj_int(const json_t *o, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(o, key));
}

void console_pair(web_buf *b, const char *label, const char *value)
{
    web_raw(b, "<dt>");
    web_text(b, label);
    web_raw(b, "</dt><dd>");
    if (value && *value)
        web_text(b, value);
    else
        web_raw(b, "<span class=\"muted\">-</span>");
    web_raw(b, "</dd>\n");
}

void console_money(web_buf *b, const json_t *o, const char *key)
{
    char text[48];
    money_format(text, sizeof text, cj_int(o, key), cj_str(o, "currency"), 0);
    web_text(b, text);
}

void console_time(web_buf *b, int64_t t)
{
    char text[32];
    cli_time_format(t, text, sizeof text);
    web_raw(b, "<span class=\"when\">");
    web_text(b, text);
    web_raw(b, "</span>");
}

void console_progress(web_buf *b, int64_t done, int64_t total)
{
    if (total <= 0) {
        web_raw(b, "<span class=\"muted\">-</span>");
        return;
    }
    if (done > total)
        done = total;
    if (done < 0)
        done = 0;
    web_raw(b, "<progress max=\"");
    web_textf(b, "%" PRId64, total);
    web_raw(b, "\" value=\"");
    web_textf(b, "%" PRId64, done);
    web_raw(b, "\"></progress> ");
    web_textf(b, "%" PRId64 "%%", done * 100 / total);
}

void console_batch_link(web_buf *b, const json_t *r)
{
    web_raw(b, "<a href=\"/batches/");
    web_url(b, cj_str(r, "name"));
    web_raw(b, "\">");
    web_text(b, cj_str(r, "name"));
    web_raw(b, "</a>");
}

void console_batch_counts(web_buf *b, const json_t *r)
{
    web_raw(b, "</td><td class=\"num\">");
    web_textf(b, "%" PRId64 "/%" PRId64, cj_int(r, "tasks_complete"), cj_int(r, "tasks"));
    web_raw(b, "</td><td>");
    console_progress(b, cj_int(r, "answers"), cj_int(r, "answers_needed"));
}
