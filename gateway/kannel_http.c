/*
 * kannel_http.c - the callbacks of Kannel's smsbox for modems with driver =
 * kannel (docs/kannel.md): POST /kannel/NAME/mo (the sms-service post-url:
 * the message octets as the body; from, id, time, coding and charset in the
 * query) and GET /kannel/NAME/dlr (the dlr-url Kazi gave with each send: id
 * and type). Each must carry the modem's kannel_secret as `secret`. The
 * message or report goes to the running modem (modem_kannel.h), which hands
 * it to the daemon's loop, and the handler returns with a later answer
 * (http_request_later: the connection waits, no thread does); the modem's
 * completion gives it: 200 only once committed, 400 for what can never be
 * stored, and 403/404/503/500 otherwise, all of which make smsbox send it
 * again (http-request-retry). Not committed within WAIT_MS: the listener
 * answers 503 itself.
 * Owns: the HTTP side of these two callbacks. Never logs a message's text,
 * the secret or a query string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_server.h"
#include "log.h"
#include "modem.h"
#include "modem_kannel.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define WAIT_MS 5000  /* for the loop's commit; a 503 after it (smsbox retries) */
#define TRY_AGAIN "not stored, try again"

/* "/kannel/NAME/WHAT" into name and what; false for any other shape. */
static bool split_path(const char *path, char *name, size_t ncap, const char **what)
{
    const char *p = path + strlen("/kannel/");
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= ncap || p[n] != '/')
        return false;
    memcpy(name, p, n);
    name[n] = '\0';
    *what = p + n + 1;
    return true;
}

static void answer(http_response *resp, int status, const char *text)
{
    http_response_text(resp, status, text);
}

/* The HTTP status for a hand-over that did not end in a commit. */
static int status_of(kz_status st)
{
    switch (st) {
    case KZ_ERR_INVALID:
    case KZ_ERR_UTF8:
    case KZ_ERR_RANGE:
    case KZ_ERR_NOSPACE:
        return 400;
    case KZ_ERR_NOTFOUND:
        return 404;
    case KZ_ERR_TIMEOUT:
    case KZ_ERR_STATE:
        return 503;
    default:
        return 500;
    }
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return false;
    *out = strtoull(s, NULL, 10);
    return true;
}

static bool parse_long(const char *s, long *out)
{
    uint64_t v = 0;
    if (s && *s == '-')
        return false;
    if (!parse_u64(s, &v) || v > 0x7fffffff)
        return false;
    *out = (long)v;
    return true;
}

/* ISO-8859-1 octets as UTF-8 into out (2 bytes per octet at most). */
static size_t latin1_to_utf8(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] < 0x80) {
            out[k++] = in[i];
            continue;
        }
        out[k++] = (uint8_t)(0xC0 | (in[i] >> 6));
        out[k++] = (uint8_t)(0x80 | (in[i] & 0x3F));
    }
    return k;
}

static bool is_latin1(const char *charset)
{
    return charset && (strcasecmp(charset, "ISO-8859-1") == 0 ||
                       strcasecmp(charset, "latin1") == 0 ||
                       strcasecmp(charset, "WINDOWS-1252") == 0);
}

/* The verdict of an inbound message (modem_kannel.h): its later answer. */
static void mo_done(void *ctx, kz_status st, const char *why)
{
    if (st == KZ_OK) {
        http_later_answer(ctx, 200, "");
        return;
    }
    int code = status_of(st);
    if (code == 400)
        log_error("kannel: inbound message refused (Kannel will give up after its retries): %s",
                  why);
    else
        log_warn("kannel: inbound message not stored now (Kannel retries): %s", why);
    http_later_answer(ctx, code, code == 400 ? "refused" : TRY_AGAIN);
}

/* The verdict of a delivery report. */
static void dlr_done(void *ctx, kz_status st, const char *why)
{
    if (st == KZ_OK) {
        http_later_answer(ctx, 200, "");
        return;
    }
    int code = status_of(st);
    log_msg(code == 400 ? LOG_LVL_ERROR : LOG_LVL_WARN,
            "kannel: delivery report not recorded%s: %s", code == 400 ? "" : " now (Kannel retries)",
            why);
    http_later_answer(ctx, code, code == 400 ? "refused" : "not recorded, try again");
}

static void on_mo(const char *name, const http_request *req, http_response *resp)
{
    if (strcmp(req->method, "POST") != 0) {
        answer(resp, 405, "POST the message (sms-service post-url)");
        return;
    }
    long coding = 0, t = 0;
    const char *c = http_request_query(req, "coding");
    const char *ts = http_request_query(req, "time");
    if ((c && *c && !parse_long(c, &coding)) || (ts && *ts && !parse_long(ts, &t))) {
        answer(resp, 400, "coding and time must be numbers");
        return;
    }
    http_later *w = http_request_later(req, WAIT_MS, 503, TRY_AGAIN);
    if (!w) {
        answer(resp, 503, TRY_AGAIN);
        return;
    }
    uint8_t *conv = NULL; /* owned: the body as UTF-8 when it came as Latin-1 */
    const uint8_t *data = req->body;
    size_t len = req->body_len;
    if (coding == 0 && is_latin1(http_request_query(req, "charset"))) {
        conv = malloc(2 * len + 1);
        if (!conv) {
            http_later_answer(w, 503, "out of memory");
            return;
        }
        len = latin1_to_utf8(req->body, req->body_len, conv);
        data = conv;
    }
    kannel_mo mo = {
        .from = http_request_query(req, "from"),
        .id = http_request_query(req, "id"),
        .time = t,
        .coding = (int)coding,
        .data = data,
        .len = len,
    };
    kz_err err;
    kz_err_clear(&err);
    kz_status st = modem_kannel_mo(name, &mo, mo_done, w, &err);
    free(conv);
    if (st != KZ_OK) /* not handed over: its verdict now */
        mo_done(w, st, err.msg);
}

static void on_dlr(const char *name, const http_request *req, http_response *resp)
{
    uint64_t id = 0;
    long type = 0;
    if (!parse_u64(http_request_query(req, "id"), &id) ||
        !parse_long(http_request_query(req, "type"), &type)) {
        answer(resp, 400, "id and type must be numbers");
        return;
    }
    http_later *w = http_request_later(req, WAIT_MS, 503, "not recorded, try again");
    if (!w) {
        answer(resp, 503, "not recorded, try again");
        return;
    }
    kz_err err;
    kz_err_clear(&err);
    kz_status st = modem_kannel_dlr(name, id, type, http_request_query(req, "to"), dlr_done, w,
                                    &err);
    if (st != KZ_OK) /* not handed over: its verdict now */
        dlr_done(w, st, err.msg);
}

void kannel_http_handle(http_env *env, const http_request *req, http_response *resp)
{
    char name[32];
    const char *what = NULL;
    if (!split_path(req->path, name, sizeof name, &what)) {
        answer(resp, 404, "Not found");
        return;
    }
    const cfg_modem *m = config_modem_find(env->cfg, name);
    bool known = strcmp(what, "mo") == 0 || strcmp(what, "dlr") == 0;
    if (!m || m->driver != MODEM_DRIVER_KANNEL || !known) {
        answer(resp, 404, "Not found");
        return;
    }
    const char *given = http_request_query(req, "secret");
    if (!given || !m->kannel_secret[0] || !http_secret_equal(given, m->kannel_secret)) {
        log_warn("kannel %s: callback from %s refused: %s secret", name, req->peer,
                 given ? "wrong" : "no");
        answer(resp, 403, "Forbidden");
        return;
    }
    if (strcmp(what, "mo") == 0)
        on_mo(name, req, resp);
    else
        on_dlr(name, req, resp);
}
