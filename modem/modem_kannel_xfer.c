/*
 * modem_kannel_xfer.c - one sendsms request of the kannel driver's worker
 * (modem_kannel_worker.c): turns a queued PDU into the request
 * (kannel_map.c), starts it on the worker's multi handle through the slot's
 * easy handle, and when it ends fills in the send's outcome (202: sent; a
 * permanent 4xx; 5xx, 401/403 or no answer: retryable).
 * Owns nothing past a call: the slot and the send are the worker's. Runs
 * only on the worker thread; never logs; the URL holds the password, so it
 * lives in a buffer wiped as soon as libcurl has its copy and never appears
 * in an outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modem_kannel_internal.h"

#define QUERY_MAX 8192

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    kn_body *b = ud;
    size_t len = size * n;
    for (size_t i = 0; i < len && b->len < KN_BODY_KEEP; i++) {
        char c = p[i];
        b->text[b->len++] = c >= 32 && c < 127 ? c : ' ';
    }
    b->text[b->len] = '\0';
    return len;
}

static void setup_handle(const struct modem_kannel *k, CURL *h, kn_body *b)
{
    const curl_lib *cl = k->cl;
    cl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    cl->easy_setopt(h, CURLOPT_HTTPGET, 1L);
    cl->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)k->timeout_ms);
    cl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    cl->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    cl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    cl->easy_setopt(h, CURLOPT_WRITEDATA, b);
    cl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
}

/* s cannot be sent now: its outcome says why (nothing reached smsbox). */
static kz_status not_started(kn_send *s, kz_status st, bool retryable, const char *why)
{
    s->st = st;
    s->retryable = retryable;
    snprintf(s->why, sizeof s->why, "not sent: %.140s", why);
    return st;
}

kz_status kn_xfer_start(const struct modem_kannel *k, CURLM *mh, kn_xfer *x, kn_send *s)
{
    const curl_lib *cl = k->cl;
    char query[QUERY_MAX];
    kz_err err;
    kz_err_clear(&err);
    kannel_send_opts o = {k->username, k->password, k->from, k->smsc, k->dlr_url};
    if (kannel_sendsms_query(s->pdu.bytes, s->pdu.len, s->id, &o, query, sizeof query, &err) !=
        KZ_OK)
        return not_started(s, KZ_ERR_INVALID, false, err.msg);
    if (!x->h && !(x->h = cl->easy_init())) {
        memset(query, 0, sizeof query);
        return not_started(s, KZ_ERR_NOMEM, true, "libcurl could not make a handle");
    }
    char url[QUERY_MAX + sizeof k->url + 8];
    snprintf(url, sizeof url, "%s%s%s", k->url, strchr(k->url, '?') ? "&" : "?", query);
    x->body.len = 0;
    x->body.text[0] = '\0';
    setup_handle(k, x->h, &x->body);
    CURLcode set = cl->easy_setopt(x->h, CURLOPT_URL, url); /* libcurl keeps a copy */
    memset(url, 0, sizeof url); /* they held the password */
    memset(query, 0, sizeof query);
    if (set != CURLE_OK)
        return not_started(s, KZ_ERR_IO, true, cl->easy_strerror(set));
    CURLMcode added = cl->multi_add_handle(mh, x->h);
    if (added != CURLM_OK)
        return not_started(s, KZ_ERR_IO, true, cl->multi_strerror(added));
    x->s = s;
    return KZ_OK;
}

bool kn_xfer_finish(const struct modem_kannel *k, CURLM *mh, kn_xfer *x, CURLcode rc)
{
    const curl_lib *cl = k->cl;
    kn_send *s = x->s;
    cl->multi_remove_handle(mh, x->h);
    if (rc != CURLE_OK) {
        bool maybe = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING ||
                     rc == CURLE_RECV_ERROR;
        s->st = maybe ? KZ_ERR_TIMEOUT : KZ_ERR_IO;
        s->retryable = true;
        snprintf(s->why, sizeof s->why, "sendsms did not answer: %s%s", cl->easy_strerror(rc),
                 maybe ? " (possibly sent)" : "");
        return false;
    }
    long code = 0;
    cl->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    s->http_status = code;
    kannel_outcome oc = kannel_answer_class(code);
    s->st = oc == KANNEL_ACCEPTED ? KZ_OK : oc == KANNEL_PERMANENT ? KZ_ERR_INVALID : KZ_ERR_IO;
    s->retryable = oc == KANNEL_RETRYABLE;
    snprintf(s->why, sizeof s->why, "sendsms answered %ld: %s", code, x->body.text);
    return true;
}
