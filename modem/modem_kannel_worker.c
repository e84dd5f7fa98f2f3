/*
 * modem_kannel_worker.c - the kannel driver's worker thread: takes the sends
 * the loop queued and keeps up to KN_INFLIGHT_MAX sendsms requests in flight
 * at once through libcurl's multi interface (one easy handle per request
 * slot, the connections kept alive in the multi handle's cache); the request
 * itself and its outcome are modem_kannel_xfer.c's. Outcomes are posted as
 * requests end, in any order. When smsbox does not answer, the modem is
 * reported closed and no new request starts until the reopen interval has
 * passed (the requests already in flight end on their own and post their
 * outcomes); then it is ready again and the next send tells.
 * Owns the multi handle and the slots. Sleeps only in curl_multi_poll, woken
 * by the loop through k->wfd. Never calls the daemon's callbacks, never
 * touches struct modem, never logs; the URL (it holds the password) never
 * appears in an outcome.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modem_kannel_internal.h"

#define IDLE_WAIT_MS 60000 /* a wait with nothing in flight (k->wfd wakes it sooner) */

typedef struct kn_worker {
    struct modem_kannel *k;
    CURLM *mh;
    kn_xfer x[KN_INFLIGHT_MAX];
    size_t busy;       /* slots with a request in flight */
    int64_t retry_at;  /* 0: smsbox answers; else when to try again (monotonic ms) */
} kn_worker;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* Post s's outcome; a request smsbox did not answer closes the modem for a while. */
static void post(kn_worker *w, kn_send *s, bool answered)
{
    struct modem_kannel *k = w->k;
    pthread_mutex_lock(&kn_mu);
    if (!answered && !w->retry_at) {
        set_up_locked(k, false, s->why);
        w->retry_at = now_ms() + k->reopen_ms;
    }
    kn_post_locked(k, s);
    pthread_mutex_unlock(&kn_mu);
}

static kn_xfer *free_slot(kn_worker *w)
{
    for (size_t i = 0; i < KN_INFLIGHT_MAX; i++)
        if (!w->x[i].s)
            return &w->x[i];
    return NULL;
}

/* The next queued send, or NULL (stopping or none). */
static kn_send *take(struct modem_kannel *k)
{
    pthread_mutex_lock(&kn_mu);
    kn_send *s = k->stop ? NULL : k->rq_head;
    if (s) {
        k->rq_head = s->next;
        if (!k->rq_head)
            k->rq_tail = NULL;
    }
    pthread_mutex_unlock(&kn_mu);
    return s;
}

/* Start queued sends while a slot is free and smsbox is believed to answer. */
static void start_queued(kn_worker *w)
{
    kn_xfer *x;
    while (!w->retry_at && (x = free_slot(w))) {
        kn_send *s = take(w->k);
        if (!s)
            return;
        if (kn_xfer_start(w->k, w->mh, x, s) != KZ_OK) {
            x->s = NULL;
            post(w, s, true); /* never reached smsbox: its outcome says why */
            continue;
        }
        w->busy++;
    }
}

static kn_xfer *slot_of(kn_worker *w, CURL *h)
{
    for (size_t i = 0; i < KN_INFLIGHT_MAX; i++)
        if (w->x[i].s && w->x[i].h == h)
            return &w->x[i];
    return NULL;
}

/* Post the outcome of every request that ended. */
static void collect(kn_worker *w)
{
    int left = 0;
    CURLMsg *msg;
    while ((msg = w->k->cl->multi_info_read(w->mh, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        kn_xfer *x = slot_of(w, msg->easy_handle);
        if (!x)
            continue; /* not ours: cannot happen */
        CURLcode rc = msg->data.result; /* msg is invalid once the handle is removed */
        kn_send *s = x->s;
        bool answered = kn_xfer_finish(w->k, w->mh, x, rc);
        x->s = NULL;
        w->busy--;
        post(w, s, answered);
    }
}

/* Past the reopen interval: ready again, the next send tells. */
static void maybe_reopen(kn_worker *w)
{
    if (!w->retry_at || now_ms() < w->retry_at)
        return;
    w->retry_at = 0;
    set_up(w->k, true, "trying sendsms again");
}

/* How long curl_multi_poll may sleep (libcurl shortens it for its own timeouts). */
static int wait_ms(kn_worker *w)
{
    int64_t ms = w->busy ? 1000 : IDLE_WAIT_MS;
    if (w->retry_at) {
        int64_t until = w->retry_at - now_ms();
        if (until < ms)
            ms = until < 0 ? 0 : until;
        return (int)ms;
    }
    pthread_mutex_lock(&kn_mu);
    bool queued = w->k->rq_head != NULL;
    pthread_mutex_unlock(&kn_mu);
    if (queued && w->busy < KN_INFLIGHT_MAX)
        ms = 0;
    return (int)ms;
}

static bool stopping(struct modem_kannel *k)
{
    pthread_mutex_lock(&kn_mu);
    bool stop = k->stop;
    pthread_mutex_unlock(&kn_mu);
    return stop;
}

static void run(kn_worker *w)
{
    const curl_lib *cl = w->k->cl;
    while (!stopping(w->k)) {
        maybe_reopen(w);
        start_queued(w);
        int running = 0;
        if (w->busy)
            cl->multi_perform(w->mh, &running);
        collect(w);
        struct curl_waitfd wake = {.fd = w->k->wfd, .events = POLLIN, .revents = 0};
        cl->multi_poll(w->mh, &wake, 1, wait_ms(w), NULL);
        uint64_t v;
        ssize_t n = read(w->k->wfd, &v, sizeof v);
        (void)n; /* EAGAIN: woken by a socket or the clock */
    }
}

/* Stopping: the requests still in flight end here without an outcome (the
 * owner detaching the modem applies the after-crash rule to them). */
static void finish_all(kn_worker *w)
{
    for (size_t i = 0; i < KN_INFLIGHT_MAX; i++) {
        kn_xfer *x = &w->x[i];
        if (x->s) {
            w->k->cl->multi_remove_handle(w->mh, x->h);
            free(x->s);
            x->s = NULL;
        }
        if (x->h)
            w->k->cl->easy_cleanup(x->h);
        x->h = NULL;
    }
    w->k->cl->multi_cleanup(w->mh);
}

void *kn_worker_main(void *arg)
{
    struct modem_kannel *k = arg;
    kn_worker *w = calloc(1, sizeof *w);
    CURLM *mh = w ? k->cl->multi_init() : NULL;
    if (!mh) {
        free(w);
        set_up(k, false, "libcurl could not make a handle");
        return NULL;
    }
    w->k = k;
    w->mh = mh;
    /* every slot's connection stays open between requests */
    k->cl->multi_setopt(mh, CURLMOPT_MAXCONNECTS, (long)KN_INFLIGHT_MAX);
    char why[sizeof k->up_why];
    snprintf(why, sizeof why, "sendsms at %.150s", k->url);
    set_up(k, true, why);
    run(w);
    finish_all(w);
    free(w);
    return NULL;
}
