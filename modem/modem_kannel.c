/*
 * modem_kannel.c - the kannel driver (driver = kannel), loop-thread side:
 * the entry points modem.c forwards to, the registry HTTP handlers find a
 * modem in (modem_kannel.h), inbound messages and delivery reports handed
 * over by those handlers, send outcomes posted by the worker
 * (modem_kannel_worker.c, several requests in flight, outcomes in any
 * order), and the completions that give the handlers their verdicts. An
 * inbound message goes to on_sms exactly as a part read from a SIM; while
 * the receiver holds deletes (modem_sms_held), its completion waits for
 * modem_release_held (committed: 200) or modem_forget_held (not: Kannel
 * retries), which is this driver's "delete from the SIM after the commit";
 * a delivery report is handed over and answered the same way. A report that
 * comes before its send's outcome waits for that outcome. Nothing here
 * waits for a verdict: a ticket queued is the modem's, and every one ends in
 * exactly one completion (stopping the modem completes those left).
 * Owns the registry, the tickets, the worker's lifetime and the queues.
 * Callbacks run only from modem_on_io and modem_tick; the loop-thread
 * functions hold kn_mu only to link or unlink; nothing here logs or reports
 * the password.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "modem_kannel_internal.h"

pthread_mutex_t kn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct modem_kannel *reg_head;         /* running kannel modems, under kn_mu */

void kn_wake(struct modem_kannel *k)
{
    uint64_t one = 1;
    ssize_t n = write(k->efd, &one, sizeof one);
    (void)n; /* the counter saturating still leaves the fd readable */
}

void kn_wake_worker(struct modem_kannel *k)
{
    uint64_t one = 1;
    ssize_t n = write(k->wfd, &one, sizeof one);
    (void)n; /* as kn_wake */
}

void kn_post_locked(struct modem_kannel *k, kn_send *s)
{
    s->next = NULL;
    if (k->ev_tail)
        k->ev_tail->next = s;
    else
        k->ev_head = s;
    k->ev_tail = s;
    kn_wake(k);
}

/* ---- completions (never under kn_mu) ---- */

/* Give t's verdict to its handler and free t. */
static void verdict(const struct modem_kannel *k, kn_ticket *t, kz_status st)
{
    char why[160] = "";
    if (st != KZ_OK && t->is_report)
        snprintf(why, sizeof why, "modem %.40s: report of part %llu not recorded (%s)", k->name,
                 (unsigned long long)t->send_id, kz_strerror(st));
    else if (st != KZ_OK)
        snprintf(why, sizeof why, "modem %.40s: message not stored (%s)", k->name,
                 kz_strerror(st));
    t->done(t->done_ctx, st, why);
    free(t);
}

static void fail_list(const struct modem_kannel *k, kn_ticket *t, kz_status st)
{
    while (t) {
        kn_ticket *next = t->next;
        verdict(k, t, st);
        t = next;
    }
}

/* ---- the HTTP threads' side (modem_kannel.h) ---- */

static struct modem_kannel *reg_find_locked(const char *name)
{
    for (struct modem_kannel *k = reg_head; k; k = k->reg_next)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

/* Queue t for modem name. KZ_OK: the modem owns t now; else t is freed. */
static kz_status hand_over(const char *name, kn_ticket *t, kz_err *err)
{
    pthread_mutex_lock(&kn_mu);
    struct modem_kannel *k = reg_find_locked(name);
    if (!k) {
        pthread_mutex_unlock(&kn_mu);
        free(t);
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET,
                          "no modem %.40s with driver = kannel is running", name);
    }
    t->next = NULL;
    if (k->in_tail)
        k->in_tail->next = t;
    else
        k->in_head = t;
    k->in_tail = t;
    kn_wake(k);
    pthread_mutex_unlock(&kn_mu);
    return KZ_OK;
}

kz_status modem_kannel_mo(const char *name, const kannel_mo *mo, kannel_done_fn done, void *ctx,
                          kz_err *err)
{
    kn_ticket *t = calloc(1, sizeof *t);
    if (!t)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    kz_status rc = kannel_mo_pdus(mo, t->pdus, KN_MO_PDUS, &t->npdu, err);
    if (rc != KZ_OK) {
        free(t);
        return rc;
    }
    t->done = done;
    t->done_ctx = ctx;
    return hand_over(name, t, err);
}

kz_status modem_kannel_dlr(const char *name, uint64_t send_id, long type, const char *to,
                           kannel_done_fn done, void *ctx, kz_err *err)
{
    int st = kannel_dlr_status(type);
    if (st < 0 || send_id == 0)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "delivery report with type %ld for send %llu", type,
                          (unsigned long long)send_id);
    kn_ticket *t = calloc(1, sizeof *t);
    if (!t)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    t->is_report = true;
    t->send_id = send_id;
    t->tp_st = st;
    snprintf(t->to, sizeof t->to, "%s", to ? to : "");
    t->done = done;
    t->done_ctx = ctx;
    return hand_over(name, t, err);
}

/* ---- lifetime ---- */

static void copy_config(struct modem_kannel *k, const modem *m)
{
    const modem_config *c = &m->cfg;
    snprintf(k->name, sizeof k->name, "%s", m->name);
    snprintf(k->url, sizeof k->url, "%s", c->port);
    snprintf(k->username, sizeof k->username, "%s", c->kannel_username ? c->kannel_username : "");
    snprintf(k->password, sizeof k->password, "%s", c->kannel_password ? c->kannel_password : "");
    snprintf(k->from, sizeof k->from, "%s", c->kannel_from ? c->kannel_from : "");
    snprintf(k->smsc, sizeof k->smsc, "%s", c->kannel_smsc ? c->kannel_smsc : "");
    snprintf(k->dlr_url, sizeof k->dlr_url, "%s", c->kannel_dlr_url ? c->kannel_dlr_url : "");
    k->timeout_ms = modem_long_timeout(m);
    k->reopen_ms = c->reopen_interval_ms;
}

kz_status modem_kannel_start(modem *m, kz_err *err)
{
    kz_err lib_err;
    kz_err_clear(&lib_err);
    const curl_lib *cl = curl_lib_load(&lib_err);
    if (!cl)
        return kz_err_set(err, lib_err.status, KZ_NO_OFFSET, "modem %.20s: %s", m->name,
                          lib_err.msg);
    struct modem_kannel *k = calloc(1, sizeof *k);
    if (!k)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    k->cl = cl;
    k->m = m;
    copy_config(k, m);
    k->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    k->wfd = k->efd < 0 ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (k->wfd < 0) {
        int e = errno;
        if (k->efd >= 0)
            close(k->efd);
        free(k);
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "modem %s: eventfd: %s", m->name,
                          strerror(e));
    }
    m->kn = k;
    int rc = pthread_create(&k->thread, NULL, kn_worker_main, k);
    if (rc != 0) {
        modem_kannel_stop(m);
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "modem %s: cannot start its thread: %s",
                          m->name, strerror(rc));
    }
    k->started = true;
    pthread_mutex_lock(&kn_mu);
    if (reg_find_locked(k->name))
        rc = -1; /* a modem of that name still runs: the newest is not registered */
    else {
        k->reg_next = reg_head;
        reg_head = k;
    }
    pthread_mutex_unlock(&kn_mu);
    if (rc != 0) {
        modem_kannel_stop(m);
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                          "modem %s: another kannel modem of that name runs", m->name);
    }
    return KZ_OK;
}

static void unregister_locked(struct modem_kannel *k)
{
    for (struct modem_kannel **p = &reg_head; *p; p = &(*p)->reg_next) {
        if (*p == k) {
            *p = k->reg_next;
            return;
        }
    }
}

static void free_sends(kn_send *s)
{
    while (s) {
        kn_send *next = s->next;
        free(s);
        s = next;
    }
}

void modem_kannel_stop(modem *m)
{
    struct modem_kannel *k = m->kn;
    if (!k)
        return;
    pthread_mutex_lock(&kn_mu);
    unregister_locked(k); /* no new tickets from here */
    k->stop = true;
    kn_wake_worker(k);
    kn_ticket *in = k->in_head;
    k->in_head = k->in_tail = NULL;
    pthread_mutex_unlock(&kn_mu);
    /* the requests waiting hear "not stored" now: Kannel retries */
    fail_list(k, in, KZ_ERR_STATE);
    fail_list(k, k->held, KZ_ERR_STATE);
    fail_list(k, k->parked, KZ_ERR_STATE);
    k->held = k->parked = NULL;
    if (k->started)
        pthread_join(k->thread, NULL);
    free_sends(k->rq_head);
    free_sends(k->ev_head);
    close(k->wfd);
    close(k->efd);
    memset(k->password, 0, sizeof k->password);
    free(k);
    m->kn = NULL;
}

/* ---- loop thread ---- */

static bool inflight_take(struct modem_kannel *k, uint64_t id)
{
    for (size_t i = 0; i < k->ninflight; i++) {
        if (k->inflight[i] == id) {
            k->inflight[i] = k->inflight[--k->ninflight];
            return true;
        }
    }
    return false;
}

static bool inflight_has(const struct modem_kannel *k, uint64_t id)
{
    for (size_t i = 0; i < k->ninflight; i++)
        if (k->inflight[i] == id)
            return true;
    return false;
}

/* Answer t now, or (handed over held) at modem_release_held / modem_forget_held. */
static void keep_or_answer(modem *m, kn_ticket *t, kz_status st, bool held)
{
    struct modem_kannel *k = m->kn;
    if (st != KZ_OK || !held) {
        verdict(k, t, st);
        return;
    }
    t->next = k->held;
    k->held = t;
}

static void do_report(modem *m, kn_ticket *t)
{
    sms_message rep;
    memset(&rep, 0, sizeof rep);
    rep.type = SMS_STATUS_REPORT;
    rep.status = (uint8_t)t->tp_st;
    snprintf(rep.address.text, sizeof rep.address.text, "%s", t->to);
    bool held = m->hold_deletes;
    m->handing_held = held;
    kz_status st = m->cb.on_status_report
                       ? m->cb.on_status_report(m->cb.ctx, m, t->send_id, &rep)
                       : KZ_ERR_STATE;
    m->handing_held = false;
    keep_or_answer(m, t, st, held);
}

static void do_message(modem *m, kn_ticket *t)
{
    bool held = m->hold_deletes;
    kz_status st = KZ_OK;
    for (size_t i = 0; i < t->npdu && st == KZ_OK; i++) {
        sms_message msg;
        kz_err err;
        kz_err_clear(&err);
        st = pdu_decode(t->pdus[i].bytes, t->pdus[i].len, true, &msg, &err);
        if (st != KZ_OK) {
            modem_event(m, 1, "inbound message not readable: %s", err.msg);
            break;
        }
        if (!m->cb.on_sms) {
            st = KZ_ERR_STATE;
            break;
        }
        m->handing_held = held;
        st = m->cb.on_sms(m->cb.ctx, m, &msg, t->pdus[i].bytes, t->pdus[i].len);
        m->handing_held = false;
    }
    if (st == KZ_OK)
        m->st.received++;
    keep_or_answer(m, t, st, held);
}

static void do_ticket(modem *m, kn_ticket *t)
{
    struct modem_kannel *k = m->kn;
    t->next = NULL;
    if (!t->is_report) {
        do_message(m, t);
        return;
    }
    if (inflight_has(k, t->send_id)) {
        t->next = k->parked; /* its send's outcome first: a report matches sent parts */
        k->parked = t;
        return;
    }
    do_report(m, t);
}

static void unpark(modem *m, uint64_t id)
{
    struct modem_kannel *k = m->kn;
    kn_ticket **p = &k->parked;
    while (*p) {
        kn_ticket *t = *p;
        if (t->send_id != id) {
            p = &t->next;
            continue;
        }
        *p = t->next;
        do_report(m, t);
    }
}

static void on_outcome(modem *m, const kn_send *s)
{
    struct modem_kannel *k = m->kn;
    if (!inflight_take(k, s->id))
        return;
    if (s->st != KZ_OK)
        modem_event(m, 1, "send %llu: %s", (unsigned long long)s->id, s->why);
    modem_report_sent(m, s->id, s->st, -1, -1, s->retryable);
    unpark(m, s->id);
}

static void pump(modem *m)
{
    struct modem_kannel *k = m->kn;
    bool any = false;
    while (m->st.state == MODEM_READY && m->sq_len && k->ninflight < KN_INFLIGHT_MAX) {
        kn_send *s = calloc(1, sizeof *s);
        if (!s)
            break;
        send_req *r = &m->sendq[m->sq_head];
        s->id = r->id;
        s->pdu = r->pdu;
        m->sq_head = (m->sq_head + 1) % MODEM_SENDQ_MAX;
        m->sq_len--;
        k->inflight[k->ninflight++] = s->id;
        pthread_mutex_lock(&kn_mu);
        if (k->rq_tail)
            k->rq_tail->next = s;
        else
            k->rq_head = s;
        k->rq_tail = s;
        pthread_mutex_unlock(&kn_mu);
        any = true;
    }
    if (any)
        kn_wake_worker(k);
}

/* Everything the worker and the HTTP threads posted. */
static void drain(modem *m)
{
    struct modem_kannel *k = m->kn;
    uint64_t v;
    ssize_t n = read(k->efd, &v, sizeof v);
    (void)n; /* EAGAIN: nothing new */
    pthread_mutex_lock(&kn_mu);
    kn_send *ev = k->ev_head;
    kn_ticket *in = k->in_head;
    k->ev_head = k->ev_tail = NULL;
    k->in_head = k->in_tail = NULL;
    bool changed = k->up_changed, up = k->up;
    char why[sizeof k->up_why];
    memcpy(why, k->up_why, sizeof why);
    k->up_changed = false;
    pthread_mutex_unlock(&kn_mu);
    if (changed)
        modem_set_state(m, up ? MODEM_READY : MODEM_CLOSED, "%s", why);
    while (ev) {
        kn_send *next = ev->next;
        on_outcome(m, ev);
        free(ev);
        ev = next;
    }
    while (in) {
        kn_ticket *next = in->next;
        do_ticket(m, in);
        in = next;
    }
}

int modem_kannel_fd(const modem *m)
{
    return m->kn->efd;
}

kz_status modem_kannel_on_io(modem *m)
{
    drain(m);
    pump(m);
    return KZ_OK;
}

kz_status modem_kannel_tick(modem *m)
{
    drain(m);
    modem_tx_tick(m);
    pump(m);
    return KZ_OK;
}

int64_t modem_kannel_deadline(const modem *m)
{
    if (!m->sq_len)
        return MODEM_NEVER;
    if (m->st.state == MODEM_READY && m->kn->ninflight < KN_INFLIGHT_MAX)
        return m->now;
    return m->sendq[m->sq_head].queued_at + 2 * (int64_t)modem_long_timeout(m);
}

void modem_kannel_restart(modem *m)
{
    while (m->sq_len) {
        send_req req = m->sendq[m->sq_head];
        m->sq_head = (m->sq_head + 1) % MODEM_SENDQ_MAX;
        m->sq_len--;
        modem_report_sent(m, req.id, KZ_ERR_IO, -1, -1, true);
    }
}

size_t modem_kannel_queued(const modem *m)
{
    return m->sq_len + m->kn->ninflight;
}

void modem_kannel_release(modem *m, bool ok)
{
    struct modem_kannel *k = m->kn;
    kn_ticket *t = k->held;
    k->held = NULL;
    fail_list(k, t, ok ? KZ_OK : KZ_ERR_DB);
}
