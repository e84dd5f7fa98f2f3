/*
 * modem_kannel_worker.c - the kannel driver's worker thread: takes the sends
 * the loop queued, one at a time, turns each PDU into a sendsms request
 * (kannel_map.c) and makes it over one libcurl handle kept alive between
 * requests; posts each outcome (202: sent; a permanent 4xx; 5xx, 401/403 or
 * no answer: retryable). When smsbox does not answer the modem is reported
 * closed, and ready again after the reopen interval (the next send tells).
 * Owns the libcurl handle. Never calls the daemon's callbacks, never touches
 * struct modem, never logs; the query (it holds the password) never appears
 * in an outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modem_kannel_internal.h"

#define QUERY_MAX 8192
#define BODY_KEEP 120 /* bytes of smsbox's answer kept for the log */

typedef struct body_buf {
    char text[BODY_KEEP + 1];
    size_t len;
} body_buf;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    body_buf *b = ud;
    size_t len = size * n;
    for (size_t i = 0; i < len && b->len < BODY_KEEP; i++) {
        char c = p[i];
        b->text[b->len++] = c >= 32 && c < 127 ? c : ' ';
    }
    b->text[b->len] = '\0';
    return len;
}

/* Tell the loop whether smsbox answers (kn_mu held). */
static void set_up_locked(struct modem_kannel *k, bool up, const char *why)
{
    if (k->up == up && k->up_why[0])
        return;
    k->up = up;
    k->up_changed = true;
    snprintf(k->up_why, sizeof k->up_why, "%s", why);
    kn_wake(k);
}

static void set_up(struct modem_kannel *k, bool up, const char *why)
{
    pthread_mutex_lock(&kn_mu);
    set_up_locked(k, up, why);
    pthread_mutex_unlock(&kn_mu);
}

static void setup_handle(struct modem_kannel *k, CURL *h, body_buf *b)
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

/* The request for s, its outcome in s. False when smsbox did not answer. */
static bool send_one(struct modem_kannel *k, CURL *h, kn_send *s, char *url, size_t url_cap)
{
    char query[QUERY_MAX];
    kz_err err;
    kz_err_clear(&err);
    kannel_send_opts o = {k->username, k->password, k->from, k->smsc, k->dlr_url};
    if (kannel_sendsms_query(s->pdu.bytes, s->pdu.len, s->id, &o, query, sizeof query, &err) !=
        KZ_OK) {
        s->st = KZ_ERR_INVALID;
        snprintf(s->why, sizeof s->why, "not sent: %.140s", err.msg);
        return true;
    }
    snprintf(url, url_cap, "%s%s%s", k->url, strchr(k->url, '?') ? "&" : "?", query);
    body_buf b = {.len = 0};
    b.text[0] = '\0';
    setup_handle(k, h, &b);
    k->cl->easy_setopt(h, CURLOPT_URL, url);
    CURLcode rc = k->cl->easy_perform(h);
    memset(url, 0, url_cap); /* it held the password */
    memset(query, 0, sizeof query);
    if (rc != CURLE_OK) {
        bool maybe = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING ||
                     rc == CURLE_RECV_ERROR;
        s->st = maybe ? KZ_ERR_TIMEOUT : KZ_ERR_IO;
        s->retryable = true;
        snprintf(s->why, sizeof s->why, "sendsms did not answer: %s%s", k->cl->easy_strerror(rc),
                 maybe ? " (possibly sent)" : "");
        return false;
    }
    long code = 0;
    k->cl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    s->http_status = code;
    kannel_outcome oc = kannel_answer_class(code);
    s->st = oc == KANNEL_ACCEPTED ? KZ_OK : oc == KANNEL_PERMANENT ? KZ_ERR_INVALID : KZ_ERR_IO;
    s->retryable = oc == KANNEL_RETRYABLE;
    snprintf(s->why, sizeof s->why, "sendsms answered %ld: %s", code, b.text);
    return true;
}

static kn_send *take(struct modem_kannel *k, int64_t *retry_at)
{
    pthread_mutex_lock(&kn_mu);
    for (;;) {
        if (k->stop)
            break;
        if (*retry_at) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
            if (ms >= *retry_at) {
                *retry_at = 0;
                set_up_locked(k, true, "trying sendsms again");
                continue;
            }
            struct timespec ts = {(time_t)(*retry_at / 1000), (long)(*retry_at % 1000) * 1000000};
            if (!k->rq_head)
                pthread_cond_timedwait(&k->work, &kn_mu, &ts);
        } else if (!k->rq_head) {
            pthread_cond_wait(&k->work, &kn_mu);
        }
        if (k->rq_head && !k->stop)
            break;
    }
    kn_send *s = k->stop ? NULL : k->rq_head;
    if (s) {
        k->rq_head = s->next;
        if (!k->rq_head)
            k->rq_tail = NULL;
    }
    pthread_mutex_unlock(&kn_mu);
    return s;
}

void *kn_worker_main(void *arg)
{
    struct modem_kannel *k = arg;
    size_t url_cap = QUERY_MAX + sizeof k->url + 8;
    char *url = malloc(url_cap);
    CURL *h = url ? k->cl->easy_init() : NULL;
    char why[sizeof k->up_why];
    snprintf(why, sizeof why, "sendsms at %.150s", k->url);
    set_up(k, h != NULL, h ? why : "libcurl could not make a handle");
    int64_t retry_at = 0;
    kn_send *s;
    while (h && (s = take(k, &retry_at))) {
        bool answered = send_one(k, h, s, url, url_cap);
        pthread_mutex_lock(&kn_mu);
        if (!answered) {
            set_up_locked(k, false, s->why);
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            retry_at = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + k->reopen_ms;
        }
        kn_post_locked(k, s);
        pthread_mutex_unlock(&kn_mu);
    }
    if (h)
        k->cl->easy_cleanup(h);
    free(url);
    return NULL;
}
