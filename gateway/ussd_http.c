/*
 * ussd_http.c - the USSD aggregator callback, POST /ussd (docs/http.md
 * "USSD"): who may call it ([http] ussd_secret, given as the `secret`
 * query argument of the callback URL or an X-Kazi-USSD-Secret header, and
 * the ussd_allow list of addresses; every one that is set must pass, and
 * with neither set nothing passes), the strict form parse
 * (gateway/ussd_form.h) and the menu (tasks/ussd_menu.h) on the
 * listener's own database connection.
 * Owns: the HTTP side of a callback: status codes, the text/plain answer,
 * the wake after a payout was requested. Never echoes or logs the callback's
 * text (it may hold a PIN), the secret or a query string.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_form.h"
#include "http_server.h"
#include "log.h"
#include "ussd_form.h"
#include "ussd_http.h"
#include "ussd_menu.h"

#define SECRET_HEADER "X-Kazi-USSD-Secret"
#define SECRET_QUERY "secret"
#define TEXT_PLAIN "text/plain; charset=utf-8"

/* One parsed address: family AF_INET (4 bytes used) or AF_INET6 (16). */
typedef struct net_addr {
    int family;
    uint8_t b[16];
} net_addr;

/* "127.0.0.1", "::1", "::ffff:10.0.0.1" (read as IPv4). false if not an address. */
static bool addr_parse(const char *s, net_addr *a)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, s, a->b) == 1) {
        a->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, a->b) != 1)
        return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (memcmp(a->b, mapped, sizeof mapped) == 0) {
        memmove(a->b, a->b + 12, 4);
        memset(a->b + 4, 0, 12);
        a->family = AF_INET;
        return true;
    }
    a->family = AF_INET6;
    return true;
}

/* Do the first bits bits of a and b agree? */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* One entry "ADDR" or "ADDR/BITS" (spaces trimmed) into *net and *bits. */
static bool entry_parse(const char *p, size_t n, net_addr *net, unsigned *bits)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    long b = -1;
    if (slash) {
        *slash = '\0';
        char *end = NULL;
        if (!slash[1] || slash[1] == '-' || slash[1] == '+')
            return false;
        b = strtol(slash + 1, &end, 10);
        if (*end)
            return false;
    }
    if (!addr_parse(buf, net))
        return false;
    unsigned max = net->family == AF_INET ? 32 : 128;
    if (b > (long)max)
        return false;
    *bits = b < 0 ? max : (unsigned)b;
    return true;
}

/*
 * Walk the list: KZ_OK with *hit whether peer (may be NULL: syntax only) is
 * in it; KZ_ERR_INVALID for a bad entry (err names it).
 */
static kz_status allow_match(const char *list, const char *peer, bool *hit, kz_err *err)
{
    net_addr who;
    bool have = peer && addr_parse(peer, &who);
    *hit = false;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        net_addr net;
        unsigned bits = 0;
        if (!entry_parse(p, n, &net, &bits))
            return kz_err_set(err, KZ_ERR_INVALID, (size_t)(p - list),
                              "ussd_allow: '%.*s' is not ADDR or ADDR/BITS", (int)(n > 60 ? 60 : n),
                              p);
        if (have && net.family == who.family && prefix_equal(net.b, who.b, bits))
            *hit = true;
        p += n + (p[n] == ',');
    }
    return KZ_OK;
}

kz_status ussd_http_check(const kz_config *cfg, kz_err *err)
{
    bool hit = false;
    if (cfg->http_ussd_allow[0]) {
        kz_status rc = allow_match(cfg->http_ussd_allow, NULL, &hit, err);
        if (rc != KZ_OK)
            return rc;
    }
    if (!cfg->http_ussd_secret[0] && !cfg->http_ussd_allow[0])
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "[http] has neither ussd_secret nor ussd_allow: POST /ussd refuses "
                          "every request (403)");
    return KZ_OK;
}

/* Is this caller let in? *why names the check that failed (static). */
static bool let_in(const http_env *env, const http_request *req, const char **why)
{
    const kz_config *cfg = env->cfg;
    if (!cfg->http_ussd_secret[0] && !cfg->http_ussd_allow[0]) {
        static atomic_flag told = ATOMIC_FLAG_INIT;
        if (!atomic_flag_test_and_set(&told))
            log_warn("ussd: [http] has neither ussd_secret nor ussd_allow: every callback is "
                     "refused");
        *why = "no ussd_secret or ussd_allow configured";
        return false;
    }
    if (cfg->http_ussd_allow[0]) {
        bool hit = false;
        if (allow_match(cfg->http_ussd_allow, req->peer, &hit, NULL) != KZ_OK || !hit) {
            *why = "address not in ussd_allow";
            return false;
        }
    }
    if (cfg->http_ussd_secret[0]) {
        const char *given = http_request_query(req, SECRET_QUERY);
        if (!given)
            given = http_request_header(req, SECRET_HEADER);
        if (!given || !http_secret_equal(given, cfg->http_ussd_secret)) {
            *why = given ? "wrong secret" : "no secret";
            return false;
        }
    }
    return true;
}

static void text_answer(http_response *resp, int status, const char *text)
{
    if (http_response_text(resp, status, text) != KZ_OK)
        resp->status = 500;
}

static const char *outcome_name(ussd_outcome o)
{
    switch (o) {
    case USSD_SHOWN: return "shown";
    case USSD_REPEAT: return "repeat";
    case USSD_TIMED_OUT: return "timed out";
    case USSD_REFUSED: return "refused (session of another phone or contradicting text)";
    }
    return "?";
}

void ussd_http_handle(http_env *env, const http_request *req, http_response *resp)
{
    if (strcmp(req->method, "POST") != 0) {
        text_answer(resp, 405, "only POST\n");
        if (http_response_header(resp, "Allow", "POST") != KZ_OK)
            resp->status = 500;
        return;
    }
    const char *why = NULL;
    if (!let_in(env, req, &why)) {
        /* the server logs the 403 itself; this says why */
        log_debug("ussd: refused a callback from %s: %s", req->peer ? req->peer : "?", why);
        text_answer(resp, 403, "forbidden\n");
        return;
    }
    if (req->body_len > HTTP_FORM_BODY_MAX) {
        text_answer(resp, 413, "body too large\n");
        return;
    }
    ussd_request r;
    kz_err err;
    kz_err_clear(&err);
    if (ussd_request_parse(req->body, req->body_len, env->conv->country, &r, &err) != KZ_OK) {
        /* err names a key and an offset, never a value */
        log_debug("ussd: bad callback from %s: %s", req->peer ? req->peer : "?", err.msg);
        char msg[sizeof err.msg + 32];
        snprintf(msg, sizeof msg, "bad request: %s\n", err.msg);
        text_answer(resp, 400, msg);
        return;
    }
    ussd_menu_request rq = {.session_id = r.session_id, .service_code = r.service_code,
                            .phone = r.phone, .ninputs = r.ninputs, .now = (int64_t)time(NULL)};
    for (size_t i = 0; i < r.ninputs && i < USSD_MENU_MAX_INPUTS; i++)
        rq.input[i] = ussd_request_input(&r, i, &rq.input_len[i]);
    ussd_menu_reply out;
    kz_err_clear(&err);
    kz_status rc = ussd_menu_handle(env->st, env->conv, env->cfg->http_ussd_timeout_s, &rq, &out,
                                    &err);
    if (rc != KZ_OK)
        log_error("ussd: session %s from %s: %s", r.session_id, r.phone, err.msg);
    else if (out.outcome == USSD_REFUSED || out.outcome == USSD_TIMED_OUT)
        log_info("ussd: session %s from %s: %s", r.session_id, r.phone,
                 outcome_name(out.outcome));
    else
        log_debug("ussd: session %s: %s, %zu input(s) acted on", r.session_id,
                  outcome_name(out.outcome), out.acted);
    if (out.payout) {
        log_info("ussd: payout requested by worker %lld", (long long)out.worker_id);
        if (env->wake)
            env->wake(env->wake_ctx);
    }
    if (http_response_set(resp, 200, TEXT_PLAIN, out.text, out.len ? out.len : strlen(out.text)) !=
        KZ_OK)
        resp->status = 500;
}
