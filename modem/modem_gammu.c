/*
 * modem_gammu.c - the libgammu backend (driver = gammu), loop-thread side:
 * the public entry points modem.c forwards to, the queues shared with the
 * worker thread (modem_gammu_worker.c) and every callback into the daemon.
 * The worker does all device I/O; it posts events (state, log lines,
 * status, send outcomes, messages, USSD screens) and wakes the loop through
 * an eventfd, which is what modem_fd returns. Callbacks run only from
 * modem_on_io and modem_tick, on the caller's thread, as the contract says.
 * The first start loads libgammu (gammu_lib.c: kazi does not link it).
 * Owns the worker's and the watchdog's lifetime and both queues. The
 * loop-thread functions never block (the queue lock is held only to link or
 * unlink a node) and never read a clock (the caller's "now" is m->now; the
 * monotonic clock here serves the worker's waits); nothing here logs or
 * reports the PIN.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "modem_gammu_internal.h"

/* ---- queues (either thread) ---- */

int64_t gm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

gm_ev *gm_ev_new(gm_ev_kind kind)
{
    gm_ev *e = calloc(1, sizeof *e);
    if (e)
        e->kind = kind;
    return e;
}

void gm_post(struct modem_gammu *g, gm_ev *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&g->mu);
    if (g->ev_tail)
        g->ev_tail->next = ev;
    else
        g->ev_head = ev;
    g->ev_tail = ev;
    pthread_mutex_unlock(&g->mu);
    uint64_t one = 1;
    ssize_t n = write(g->efd, &one, sizeof one);
    (void)n; /* the counter saturating still leaves the fd readable */
}

static gm_ev *ev_take(struct modem_gammu *g)
{
    pthread_mutex_lock(&g->mu);
    gm_ev *e = g->ev_head;
    if (e) {
        g->ev_head = e->next;
        if (!g->ev_head)
            g->ev_tail = NULL;
    }
    pthread_mutex_unlock(&g->mu);
    return e;
}

static bool req_post(struct modem_gammu *g, gm_req *r)
{
    if (!r)
        return false;
    pthread_mutex_lock(&g->mu);
    if (g->rq_tail)
        g->rq_tail->next = r;
    else
        g->rq_head = r;
    g->rq_tail = r;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return true;
}

static gm_req *req_new(gm_req_kind kind, uint64_t id)
{
    gm_req *r = calloc(1, sizeof *r);
    if (r) {
        r->kind = kind;
        r->id = id;
    }
    return r;
}

gm_req *gm_take(struct modem_gammu *g)
{
    pthread_mutex_lock(&g->mu);
    gm_req *r = g->rq_head;
    if (r) {
        g->rq_head = r->next;
        if (!g->rq_head)
            g->rq_tail = NULL;
    }
    pthread_mutex_unlock(&g->mu);
    return r;
}

void gm_wait(struct modem_gammu *g, int64_t until_ms)
{
    int64_t now = gm_now_ms();
    if (until_ms <= now)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + (until_ms - now) % 1000 * 1000000;
    ts.tv_sec += (time_t)((until_ms - now) / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&g->mu);
    if (!g->stop && !g->rq_head)
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    pthread_mutex_unlock(&g->mu);
}

bool gm_stopping(struct modem_gammu *g)
{
    pthread_mutex_lock(&g->mu);
    bool s = g->stop;
    pthread_mutex_unlock(&g->mu);
    return s;
}

/* ---- lifetime ---- */

static void free_lists(struct modem_gammu *g)
{
    while (g->rq_head) {
        gm_req *r = g->rq_head;
        g->rq_head = r->next;
        free(r);
    }
    while (g->ev_head) {
        gm_ev *e = g->ev_head;
        g->ev_head = e->next;
        free(e);
    }
    g->rq_tail = NULL;
    g->ev_tail = NULL;
}

static void copy_config(struct modem_gammu *g, const modem *m)
{
    snprintf(g->name, sizeof g->name, "%s", m->name);
    snprintf(g->path, sizeof g->path, "%s", m->path);
    snprintf(g->pin, sizeof g->pin, "%s", m->pin ? m->pin : "");
    g->baud = m->cfg.baud;
    g->cmd_timeout_ms = m->cfg.cmd_timeout_ms;
    g->long_timeout_ms = modem_long_timeout(m);
    g->poll_ms = m->cfg.poll_interval_ms;
    g->sweep_ms = m->cfg.sweep_interval_ms;
    g->reopen_ms = m->cfg.reopen_interval_ms;
    g->max_resets = m->cfg.max_resets;
    g->probe_only = m->cfg.probe_only;
}

kz_status modem_gammu_start(modem *m, kz_err *err)
{
    /* libgammu is loaded only now, by the first modem that uses it */
    kz_err lib_err;
    kz_err_clear(&lib_err);
    const gammu_lib *gl = gammu_lib_load(&lib_err);
    if (!gl)
        return kz_err_set(err, lib_err.status, KZ_NO_OFFSET, "modem %.20s (%.60s): %s", m->name,
                          m->path, lib_err.msg);
    struct modem_gammu *g = calloc(1, sizeof *g);
    if (!g)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    g->gl = gl;
    copy_config(g, m);
    g->excl_fd = -1;
    gm_excl_open(g); /* now, while the daemon may still be root */
    g->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->efd < 0) {
        int e = errno;
        gm_excl_close(g);
        free(g);
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "modem %s: eventfd: %s", m->path,
                          strerror(e));
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_cond_init(&g->dog_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&g->mu, NULL);
    g->last_state = MODEM_CLOSED;
    m->gm = g;
    int rc = pthread_create(&g->dog, NULL, gm_watchdog_main, g);
    g->dog_started = rc == 0;
    if (rc == 0)
        rc = pthread_create(&g->thread, NULL, gm_worker_main, g);
    if (rc != 0) {
        modem_gammu_stop(m);
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "modem %s: cannot start its thread: %s",
                          m->path, strerror(rc));
    }
    g->started = true;
    return KZ_OK;
}

void modem_gammu_stop(modem *m)
{
    struct modem_gammu *g = m->gm;
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    if (g->sm)
        g->gl->GSM_AbortOperation(g->sm); /* end a wait for a modem that does not answer */
    pthread_cond_signal(&g->cv);
    pthread_cond_signal(&g->dog_cv);
    pthread_mutex_unlock(&g->mu);
    if (g->started)
        pthread_join(g->thread, NULL);
    if (g->dog_started)
        pthread_join(g->dog, NULL);
    free_lists(g);
    pthread_cond_destroy(&g->cv);
    pthread_cond_destroy(&g->dog_cv);
    pthread_mutex_destroy(&g->mu);
    close(g->efd);
    gm_excl_close(g);
    memset(g->pin, 0, sizeof g->pin);
    free(g);
    m->gm = NULL;
}

/* ---- events (loop thread) ---- */

static void ussd_close(modem *m)
{
    m->ussd_open = false;
    m->ussd_waiting = false;
    m->ussd_deadline = MODEM_NEVER;
}

static void ussd_end(modem *m, kz_status st)
{
    if (!m->ussd_open)
        return;
    uint64_t id = m->ussd_id;
    ussd_close(m);
    req_post(m->gm, req_new(GMR_USSD_CANCEL, id));
    if (m->cb.on_ussd)
        m->cb.on_ussd(m->cb.ctx, m, id, st, NULL);
}

static void on_state_ev(modem *m, const gm_ev *e)
{
    modem_set_state(m, e->state, "%s", e->text);
    if (e->state != MODEM_READY && e->state != MODEM_SEARCHING)
        ussd_end(m, KZ_ERR_IO);
}

static void on_status_ev(modem *m, const gm_ev *e)
{
    modem_state s = m->st.state;
    uint64_t sent = m->st.sent, received = m->st.received, failed = m->st.failed_sends;
    m->st = e->status;
    m->st.state = s;
    m->st.sent = sent;
    m->st.received = received;
    m->st.failed_sends = failed;
}

static void on_sent_ev(modem *m, const gm_ev *e)
{
    if (!m->send_inflight || m->inflight.id != e->id)
        return;
    send_req req = m->inflight;
    m->send_inflight = false;
    if (e->unsent) {
        m->sq_head = (m->sq_head + MODEM_SENDQ_MAX - 1) % MODEM_SENDQ_MAX;
        m->sendq[m->sq_head] = req; /* first again, once the modem is ready */
        m->sq_len++;
        return;
    }
    if (e->st == KZ_OK && e->mr >= 0)
        modem_tx_remember(m, e->id, e->mr, &req.pdu);
    modem_report_sent(m, e->id, e->st, e->mr, e->cms, e->retryable);
}

static kz_status deliver(modem *m, const sms_message *msg, const sms_pdu *pdu)
{
    if (msg->type == SMS_DELIVER) {
        if (!m->cb.on_sms)
            return KZ_ERR_STATE;
        return m->cb.on_sms(m->cb.ctx, m, msg, pdu->bytes, pdu->len);
    }
    if (msg->type != SMS_STATUS_REPORT || !m->cb.on_status_report)
        return KZ_ERR_STATE;
    uint64_t id = modem_tx_match(m, msg->mr, msg->address.text);
    return m->cb.on_status_report(m->cb.ctx, m, id, msg);
}

static void on_sms_ev(modem *m, const gm_ev *e)
{
    sms_message msg;
    kz_err err;
    kz_err_clear(&err);
    kz_status st = pdu_decode(e->pdu.bytes, e->pdu.len, true, &msg, &err);
    if (st != KZ_OK)
        modem_event(m, 1, "message %d in folder %d not readable: %s", e->location, e->folder,
                    err.msg);
    else
        st = deliver(m, &msg, &e->pdu);
    if (st == KZ_OK && msg.type == SMS_DELIVER)
        m->st.received++;
    if (!e->stored)
        return;
    gm_req *r = req_new(st == KZ_OK ? GMR_DELETE : GMR_KEEP, 0);
    if (r) {
        r->folder = e->folder;
        r->location = e->location;
    }
    req_post(m->gm, r);
}

static void on_ussd_ev(modem *m, const gm_ev *e)
{
    if (!m->ussd_open || m->ussd_id != e->id)
        return;
    if (e->st != KZ_OK) {
        ussd_end(m, e->st);
        return;
    }
    m->ussd_waiting = false;
    if (e->ussd.status == 1)
        m->ussd_deadline = m->now + m->cfg.ussd_timeout_ms;
    else
        ussd_close(m);
    if (m->cb.on_ussd)
        m->cb.on_ussd(m->cb.ctx, m, e->id, KZ_OK, &e->ussd);
}

static void handle(modem *m, const gm_ev *e)
{
    switch (e->kind) {
    case GME_STATE: on_state_ev(m, e); break;
    case GME_EVENT: modem_event(m, e->level, "%s", e->text); break;
    case GME_STATUS: on_status_ev(m, e); break;
    case GME_SENT: on_sent_ev(m, e); break;
    case GME_SMS: on_sms_ev(m, e); break;
    case GME_USSD: on_ussd_ev(m, e); break;
    }
}

/* Handle what the worker posted; true if the device was lost meanwhile. */
static bool drain(modem *m)
{
    uint64_t v;
    ssize_t n = read(m->gm->efd, &v, sizeof v);
    (void)n; /* EAGAIN: nothing new */
    bool lost = false;
    gm_ev *e;
    /* the daemon's callbacks may queue work: handle a bounded number per call */
    for (int i = 0; i < 256 && (e = ev_take(m->gm)); i++) {
        handle(m, e);
        lost = lost || (e->kind == GME_STATE && e->state == MODEM_CLOSED);
        free(e);
    }
    pthread_mutex_lock(&m->gm->mu);
    bool more = m->gm->ev_head != NULL;
    pthread_mutex_unlock(&m->gm->mu);
    if (more) {
        uint64_t one = 1;
        n = write(m->gm->efd, &one, sizeof one); /* the rest at the next call */
    }
    return lost;
}

/* ---- sends ---- */

static void tx_pump(modem *m)
{
    if (m->st.state != MODEM_READY || m->send_inflight || m->sq_len == 0)
        return;
    send_req req = m->sendq[m->sq_head];
    gm_req *r = req_new(GMR_SEND, req.id);
    if (!r)
        return;
    r->pdu = req.pdu;
    m->sq_head = (m->sq_head + 1) % MODEM_SENDQ_MAX;
    m->sq_len--;
    m->inflight = req;
    m->send_inflight = true;
    req_post(m->gm, r);
}

/* ---- entry points ---- */

int modem_gammu_fd(const modem *m)
{
    return m->gm->efd;
}

short modem_gammu_poll_events(const modem *m)
{
    (void)m;
    return POLLIN;
}

kz_status modem_gammu_on_io(modem *m, short revents)
{
    (void)revents;
    bool lost = drain(m);
    tx_pump(m);
    return lost ? KZ_ERR_IO : KZ_OK;
}

kz_status modem_gammu_tick(modem *m)
{
    bool lost = drain(m);
    if (m->ussd_open && m->now >= m->ussd_deadline) {
        modem_event(m, 1, "USSD session timed out after %d ms", m->cfg.ussd_timeout_ms);
        ussd_end(m, KZ_ERR_TIMEOUT);
    }
    modem_tx_tick(m);
    tx_pump(m);
    if (m->st.state == MODEM_DEAD)
        return KZ_ERR_STATE;
    return lost ? KZ_ERR_IO : KZ_OK;
}

int64_t modem_gammu_deadline(const modem *m)
{
    int64_t best = m->ussd_open ? m->ussd_deadline : MODEM_NEVER;
    if (m->sq_len) {
        int64_t t = m->st.state == MODEM_READY && !m->send_inflight
                        ? m->now
                        : m->sendq[m->sq_head].queued_at + 2 * (int64_t)modem_long_timeout(m);
        if (t < best)
            best = t;
    }
    return best;
}

void modem_gammu_restart(modem *m)
{
    if (m->sq_len)
        modem_event(m, 1, "%zu queued send(s) failed: restart requested", m->sq_len);
    while (m->sq_len) {
        send_req req = m->sendq[m->sq_head];
        m->sq_head = (m->sq_head + 1) % MODEM_SENDQ_MAX;
        m->sq_len--;
        modem_report_sent(m, req.id, KZ_ERR_IO, -1, -1, true);
    }
    ussd_end(m, KZ_ERR_IO);
    req_post(m->gm, req_new(GMR_RESTART, 0));
}

kz_status modem_gammu_ussd_send(modem *m, uint64_t id, const char *text)
{
    char wire[GM_USSD_TEXT_MAX + 32];
    if (strlen(text) >= sizeof wire ||
        cusd_encode_request(text, CUSD_WIRE_AUTO, wire, sizeof wire, NULL) != KZ_OK)
        return KZ_ERR_INVALID;
    gm_req *r = req_new(GMR_USSD, id);
    if (!r)
        return KZ_ERR_NOMEM;
    snprintf(r->text, sizeof r->text, "%s", text);
    req_post(m->gm, r);
    m->ussd_waiting = true;
    m->ussd_deadline = m->now + m->cfg.ussd_timeout_ms;
    return KZ_OK;
}

void modem_gammu_ussd_cancel(modem *m, uint64_t session_id)
{
    req_post(m->gm, req_new(GMR_USSD_CANCEL, session_id));
}
