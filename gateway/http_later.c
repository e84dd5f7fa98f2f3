/*
 * http_later.c - answers that come later (http_later.h, http_server.h): a
 * handler takes an http_later, the listener suspends the connection (no
 * thread waits), and whoever answers it (any thread) stores the answer and
 * resumes the connection; libmicrohttpd's thread then calls the server
 * again for that connection, which sends the stored answer. Each listener
 * has a set of them and one thread that answers those whose time is up.
 * Lifetimes: an http_later is shared by its connection (until libmicrohttpd
 * completes it) and its answerer (until http_later_answer), and freed by
 * the last; both shares, the lists and every suspend and resume are under
 * one lock, so a connection is never resumed after it completed, nor
 * suspended after its answer came. Closing a set answers all of its
 * requests and refuses new ones, so the daemon stops with none suspended.
 * Owns: struct http_later, struct http_later_set, the lock and the
 * deadline threads. Never runs a handler, never logs a request's content.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_later.h"
#include "http_mhd.h"
#include "log.h"

#define TEXT_MAX 64

struct http_later {
    struct http_later *prev, *next; /* in set's list while the connection lives */
    http_later_set *set;            /* NULL once the connection completed */
    struct MHD_Connection *conn;    /* NULL once the connection completed */
    int refs;                       /* the connection's and the answerer's shares */
    bool answered;                  /* resp holds the answer (until collected) */
    bool suspended;                 /* suspended and not resumed yet */
    int64_t deadline_ms;            /* CLOCK_MONOTONIC: the server answers itself */
    int status_after;
    char text_after[TEXT_MAX];
    http_response resp;
};

struct http_later_set {
    char name[24];
    http_later *head, *tail;
    bool closing;
    int64_t wake_ms;                /* when the thread wakes next (INT64_MAX: when told) */
    pthread_cond_t cv;
    pthread_t thread;
};

static pthread_mutex_t later_mu = PTHREAD_MUTEX_INITIALIZER; /* every set and every later */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- under later_mu ---- */

static void drop_locked(http_later *w)
{
    if (--w->refs > 0)
        return;
    http_response_clear(&w->resp);
    free(w);
}

static void unlink_locked(http_later *w)
{
    http_later_set *s = w->set;
    if (!s)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail = w->prev;
    w->prev = w->next = NULL;
    w->set = NULL;
}

/* Store the answer (the first one only) and resume the connection if it waits. */
static void answer_locked(http_later *w, int status, const char *text)
{
    if (w->answered)
        return;
    w->answered = true;
    if (http_response_text(&w->resp, status, text) != KZ_OK)
        w->resp.status = status; /* out of memory: the status without a body */
    if (w->suspended && w->conn) {
        w->suspended = false;
        http_mhd.resume_connection(w->conn);
    }
}

/* Answer what is due; the earliest deadline still ahead, or INT64_MAX. */
static int64_t expire_locked(http_later_set *s, int64_t now)
{
    int64_t next = INT64_MAX;
    for (http_later *w = s->head; w; w = w->next) {
        if (w->answered)
            continue;
        if (w->deadline_ms <= now)
            answer_locked(w, w->status_after, w->text_after);
        else if (w->deadline_ms < next)
            next = w->deadline_ms;
    }
    return next;
}

/* ---- the deadline thread ---- */

static void *deadline_main(void *arg)
{
    http_later_set *s = arg;
    pthread_mutex_lock(&later_mu);
    while (!s->closing) {
        s->wake_ms = expire_locked(s, now_ms());
        if (s->wake_ms == INT64_MAX) {
            pthread_cond_wait(&s->cv, &later_mu);
            continue;
        }
        struct timespec until = {.tv_sec = (time_t)(s->wake_ms / 1000),
                                 .tv_nsec = (long)(s->wake_ms % 1000) * 1000000};
        pthread_cond_timedwait(&s->cv, &later_mu, &until);
    }
    pthread_mutex_unlock(&later_mu);
    return NULL;
}

/* ---- the set (http_later.h) ---- */

kz_status http_later_set_new(const char *name, http_later_set **out, kz_err *err)
{
    *out = NULL;
    http_later_set *s = calloc(1, sizeof *s);
    if (!s)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "%s: out of memory", name);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->wake_ms = INT64_MAX;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&s->thread, NULL, deadline_main, s);
    if (rc != 0) {
        pthread_cond_destroy(&s->cv);
        free(s);
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: cannot start a thread: %s", name,
                          strerror(rc));
    }
    *out = s;
    return KZ_OK;
}

void http_later_set_close(http_later_set *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&later_mu);
    if (s->closing) {
        pthread_mutex_unlock(&later_mu);
        return;
    }
    s->closing = true;
    size_t n = 0;
    for (http_later *w = s->head; w; w = w->next) {
        n += !w->answered;
        answer_locked(w, w->status_after, w->text_after);
    }
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&later_mu);
    pthread_join(s->thread, NULL);
    if (n)
        log_info("http %s: %zu request%s waiting for an answer answered now (stopping)", s->name,
                 n, n == 1 ? "" : "s");
}

void http_later_set_free(http_later_set *s)
{
    if (!s)
        return;
    http_later_set_close(s);
    pthread_mutex_lock(&later_mu);
    while (s->head) /* none once every connection completed; never left pointing at s */
        unlink_locked(s->head);
    pthread_mutex_unlock(&later_mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* ---- one request ---- */

http_later *http_request_later(const http_request *req, int timeout_ms, int status_after,
                               const char *text_after)
{
    http_later_slot *slot = req->later_slot;
    if (!slot || slot->taken)
        return NULL;
    http_later *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->conn = slot->conn;
    w->refs = 2;
    w->status_after = status_after;
    snprintf(w->text_after, sizeof w->text_after, "%s", text_after ? text_after : "");
    w->deadline_ms = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
    http_later_set *s = slot->set;
    pthread_mutex_lock(&later_mu);
    if (s->closing) {
        pthread_mutex_unlock(&later_mu);
        free(w);
        return NULL;
    }
    w->set = s;
    w->prev = s->tail;
    if (s->tail)
        s->tail->next = w;
    else
        s->head = w;
    s->tail = w;
    if (w->deadline_ms < s->wake_ms)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&later_mu);
    slot->taken = w;
    return w;
}

void http_later_answer(http_later *w, int status, const char *text)
{
    if (!w)
        return;
    pthread_mutex_lock(&later_mu);
    answer_locked(w, status, text);
    drop_locked(w);
    pthread_mutex_unlock(&later_mu);
}

/* Move w's answer into out (w keeps none). */
static void move_answer(http_later *w, http_response *out)
{
    *out = w->resp;
    memset(&w->resp, 0, sizeof w->resp);
}

bool http_later_suspend(http_later *w, http_response *out)
{
    pthread_mutex_lock(&later_mu);
    if (w->answered) {
        move_answer(w, out);
        pthread_mutex_unlock(&later_mu);
        return false;
    }
    w->suspended = true;
    http_mhd.suspend_connection(w->conn);
    pthread_mutex_unlock(&later_mu);
    return true;
}

void http_later_collect(http_later *w, http_response *out)
{
    pthread_mutex_lock(&later_mu);
    if (w->answered)
        move_answer(w, out);
    pthread_mutex_unlock(&later_mu);
    if (out->status == 0)
        http_response_text(out, 500, "Internal error");
}

void http_later_release(http_later *w)
{
    pthread_mutex_lock(&later_mu);
    unlink_locked(w);
    w->conn = NULL;
    w->suspended = false;
    drop_locked(w);
    pthread_mutex_unlock(&later_mu);
}
