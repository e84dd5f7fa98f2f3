/*
 * modem_kannel_internal.h - what the kannel driver's files share:
 *   modem_kannel.c        loop-thread side: the entry points modem.c forwards
 *                         to, the registry, inbound messages and reports handed
 *                         over by HTTP threads, send outcomes, the held parts
 *   modem_kannel_worker.c the worker thread: up to KN_INFLIGHT_MAX sendsms
 *                         requests in flight at once on one libcurl multi
 *                         handle, connections kept alive
 *   modem_kannel_xfer.c   one of those requests: its URL, its start, its outcome
 * Everything shared sits under one lock (kn_mu, modem_kannel.c): the send
 * queue, the event queue and the inbound queue; a ticket, once queued, is
 * the modem's until its completion runs. The loop thread is woken through
 * the eventfd modem_fd returns, the worker through its own (wfd). libcurl is
 * called only through the table of curl_lib.h, only on the worker.
 * How many requests are in flight is bounded by what the loop hands over:
 * the outbox gives a kannel modem at most its kannel_in_flight parts.
 * Private to modem/modem*.c.
 */
#ifndef KAZI_MODEM_KANNEL_INTERNAL_H
#define KAZI_MODEM_KANNEL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "curl_lib.h"
#include "modem_internal.h"
#include "modem_kannel.h"

#define KN_INFLIGHT_MAX 64 /* sendsms requests handed to the worker, outcome pending */
#define KN_BODY_KEEP 120   /* bytes of smsbox's answer kept for the log */
#define KN_MO_PDUS 8       /* parts of one inbound message at most */

/* A send for the worker (queue) or its outcome for the loop (events). */
typedef struct kn_send {
    struct kn_send *next;
    uint64_t id;
    sms_pdu pdu;
    kz_status st;      /* outcome: KZ_OK, KZ_ERR_IO (never reached smsbox), ... */
    bool retryable;
    long http_status;  /* 0: no answer */
    char why[160];     /* outcome text for the log (never the query: it holds the password) */
} kn_send;

/* An inbound message or report from an HTTP thread, until its completion. */
typedef struct kn_ticket {
    struct kn_ticket *next;
    bool is_report;
    sms_pdu pdus[KN_MO_PDUS];  /* message */
    size_t npdu;
    uint64_t send_id;          /* report */
    int tp_st;
    char to[SMS_ADDR_MAX];
    kannel_done_fn done;       /* called once with the verdict, then the ticket is freed */
    void *done_ctx;
} kn_ticket;

struct modem_kannel {
    struct modem_kannel *reg_next; /* registry (under kn_mu) */
    modem *m;                      /* for the registry lookup by name; loop-owned */
    /* shared, under kn_mu */
    kn_send *rq_head, *rq_tail;    /* sends for the worker */
    kn_send *ev_head, *ev_tail;    /* outcomes for the loop */
    kn_ticket *in_head, *in_tail;  /* inbound for the loop */
    bool stop;
    bool up;                       /* the worker's view: smsbox answers */
    char up_why[200];
    bool up_changed;
    int wfd;                       /* eventfd: wakes the worker (new sends, stop) */
    int efd;                       /* eventfd: wakes the loop (outcomes, inbound) */
    pthread_t thread;
    bool started;
    const curl_lib *cl;

    /* configuration copies (read-only after start) */
    char name[64], url[512], username[128], password[128], from[64], smsc[64], dlr_url[640];
    int timeout_ms, reopen_ms;

    /* loop thread only */
    uint64_t inflight[KN_INFLIGHT_MAX];
    size_t ninflight;
    kn_ticket *held;               /* messages handed while deletes are held: commit pending */
    kn_ticket *parked;             /* reports that came before their send's outcome */
};

/* smsbox's answer to one request, as much as the log shows. */
typedef struct kn_body {
    char text[KN_BODY_KEEP + 1];
    size_t len;
} kn_body;

/* One of the worker's request slots (modem_kannel_worker.c). */
typedef struct kn_xfer {
    CURL *h;   /* made at the slot's first request, kept for the next ones */
    kn_send *s; /* the send in flight; NULL: the slot is free */
    kn_body body;
} kn_xfer;

/* modem_kannel.c */
extern pthread_mutex_t kn_mu;
/* Post an outcome to the loop (kn_mu held by the caller). */
void kn_post_locked(struct modem_kannel *k, kn_send *s);
/* Wake the loop thread. */
void kn_wake(struct modem_kannel *k);

/* Wake the worker thread. */
void kn_wake_worker(struct modem_kannel *k);

/* modem_kannel_worker.c */
void *kn_worker_main(void *arg);

/* modem_kannel_xfer.c (worker thread only) */
/*
 * Start s's request on mh through slot x (its easy handle made if need be).
 * KZ_OK: x->s is s, in flight. Otherwise nothing started, x->s unchanged, and
 * s holds its outcome (KZ_ERR_INVALID: this PDU can never be sent).
 */
kz_status kn_xfer_start(const struct modem_kannel *k, CURLM *mh, kn_xfer *x, kn_send *s);
/*
 * x's request ended with rc: remove it from mh and fill in x->s's outcome.
 * False when smsbox did not answer (rc not CURLE_OK). x->s is left to the caller.
 */
bool kn_xfer_finish(const struct modem_kannel *k, CURLM *mh, kn_xfer *x, CURLcode rc);

/* modem.c's entry points */
kz_status modem_kannel_start(modem *m, kz_err *err);
void modem_kannel_stop(modem *m);
int modem_kannel_fd(const modem *m);
kz_status modem_kannel_on_io(modem *m);
kz_status modem_kannel_tick(modem *m);
int64_t modem_kannel_deadline(const modem *m);
void modem_kannel_restart(modem *m);
size_t modem_kannel_queued(const modem *m);
/* modem_rx.c's group commit: the held messages were committed (ok) or not */
void modem_kannel_release(modem *m, bool ok);

#endif
