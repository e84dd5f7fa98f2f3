/*
 * modem.c - the modem object and its public glue: creation, the event-loop
 * entry points (fd, poll events, I/O, timers, deadline), state changes and
 * reports, and the job wrapper every AT command of the driver goes through
 * (timeouts -> modem_recover.c; +CMS ERROR: 322 -> sweep). With driver =
 * gammu each entry point hands over to modem_gammu.c instead, with driver =
 * kannel to modem_kannel.c.
 * Owns the object's lifetime and its timers. Never blocks, sleeps, reads a
 * clock, logs or exits; the PIN is never put in any report.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modem_gammu.h"
#include "modem_internal.h"
#include "modem_kannel_internal.h"

#define DEFAULT_TIMEOUT_MS 10000
#define LONG_TIMEOUT_MS 60000

static const char *const state_names[] = {
    [MODEM_CLOSED] = "closed",     [MODEM_INIT] = "init",
    [MODEM_PIN_NEEDED] = "pin-needed", [MODEM_SEARCHING] = "searching",
    [MODEM_READY] = "ready",       [MODEM_RESETTING] = "resetting",
    [MODEM_DEAD] = "dead",
};

const char *modem_state_name(modem_state s)
{
    if ((unsigned)s >= sizeof state_names / sizeof state_names[0])
        return "?";
    return state_names[s];
}

const char *modem_name(const modem *m)
{
    return m->name;
}

int modem_cmd_timeout(const modem *m)
{
    return m->cfg.cmd_timeout_ms;
}

int modem_long_timeout(const modem *m)
{
    return m->cfg.cmd_timeout_ms > LONG_TIMEOUT_MS ? m->cfg.cmd_timeout_ms : LONG_TIMEOUT_MS;
}

bool modem_online(const modem *m)
{
    return m->st.state == MODEM_INIT || m->st.state == MODEM_SEARCHING ||
           m->st.state == MODEM_READY || m->st.state == MODEM_PIN_NEEDED;
}

bool modem_reply_aborted(const at_reply *r)
{
    return r->st == KZ_ERR_STATE || r->st == KZ_ERR_IO;
}

/* ---- reports ---- */

void modem_event(modem *m, int level, const char *fmt, ...)
{
    if (!m->cb.on_event)
        return;
    char msg[300];
    int n = snprintf(msg, sizeof msg, "%s (%s): ", m->name, m->path);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof msg)
        vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    m->cb.on_event(m->cb.ctx, m, level, msg);
}

void modem_set_error(modem *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->st.last_error, sizeof m->st.last_error, fmt, ap);
    va_end(ap);
}

void modem_set_state(modem *m, modem_state s, const char *fmt, ...)
{
    if (m->st.state == s)
        return;
    m->st.state = s;
    if (!m->cb.on_state)
        return;
    char msg[300];
    int n = snprintf(msg, sizeof msg, "%s (%s): ", m->name, m->path);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof msg)
        vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    m->cb.on_state(m->cb.ctx, m, s, msg);
}

/* ---- replies ---- */

const char *modem_reply_find(const at_reply *r, const char *prefix, size_t *len)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < r->nlines; i++) {
        if (r->len[i] >= n && memcmp(r->line[i], prefix, n) == 0) {
            *len = r->len[i];
            return r->line[i];
        }
    }
    return NULL;
}

void modem_reply_text(const at_reply *r, char *out, size_t cap)
{
    switch (r->final) {
    case AT_FINAL_CMS_ERROR:
        snprintf(out, cap, "+CMS ERROR: %d (%s)", r->code, at_cms_text(r->code));
        return;
    case AT_FINAL_CME_ERROR:
        snprintf(out, cap, "+CME ERROR: %d (%s)", r->code, at_cme_text(r->code));
        return;
    case AT_FINAL_NONE:
        snprintf(out, cap, "%s", r->interrupted            ? "the modem restarted"
                                 : r->st == KZ_ERR_TIMEOUT ? "no answer (timeout)"
                                                           : kz_strerror(r->st));
        return;
    default:
        snprintf(out, cap, "%s", at_final_name(r->final));
        return;
    }
}

/* ---- jobs ---- */

void modem_job_free(modem_job *j)
{
    if (!j)
        return;
    free(j->payload);
    free(j);
}

static void job_done(void *ctx, const at_reply *r)
{
    modem_job *j = ctx;
    modem *m = j->m;
    if (r->st == KZ_ERR_TIMEOUT) {
        modem_on_timeout(m, j, r); /* frees j unless it is retried */
        return;
    }
    if (r->final == AT_FINAL_CMS_ERROR && r->code == 322)
        modem_sweep_soon(m); /* memory full */
    if (j->fn)
        j->fn(m, j, r);
    modem_job_free(j);
}

static bool job_queue(modem *m, modem_job *j, bool front)
{
    at_cmd_spec spec = {.cmd = j->cmd, .payload = j->payload, .timeout_ms = j->timeout_ms,
                        .esc_first = j->esc_first, .done = job_done, .ctx = j};
    kz_status st = front ? at_chan_submit_front(m->chan, &spec) : at_chan_submit(m->chan, &spec);
    if (st != KZ_OK) {
        modem_event(m, 1, "cannot queue %s: %s", j->label, kz_strerror(st));
        return false;
    }
    return true;
}

bool modem_job_requeue(modem *m, modem_job *j)
{
    return job_queue(m, j, true);
}

static modem_job *job_new(modem *m, const char *cmd, const char *label, job_retry retry,
                          int timeout_ms, modem_job_fn fn)
{
    if (!m->port || (m->st.state == MODEM_RESETTING && retry != JOB_SELF))
        return NULL;
    if (strlen(cmd) > AT_CMD_MAX)
        return NULL;
    modem_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->m = m;
    j->fn = fn;
    j->retry = retry;
    snprintf(j->cmd, sizeof j->cmd, "%s", cmd);
    snprintf(j->label, sizeof j->label, "%s", label ? label : cmd);
    j->timeout_ms = timeout_ms > 0 ? timeout_ms : modem_cmd_timeout(m);
    return j;
}

modem_job *modem_job_submit(modem *m, const char *cmd, const char *label, job_retry retry,
                            int timeout_ms, modem_job_fn fn, long arg, bool front)
{
    modem_job *j = job_new(m, cmd, label, retry, timeout_ms, fn);
    if (!j)
        return NULL;
    j->arg = arg;
    if (!job_queue(m, j, front)) {
        modem_job_free(j);
        return NULL;
    }
    return j;
}

modem_job *modem_job_submit_esc(modem *m, const char *cmd, modem_job_fn fn)
{
    modem_job *j = job_new(m, cmd, NULL, JOB_SELF, modem_cmd_timeout(m), fn);
    if (!j)
        return NULL;
    j->esc_first = true;
    if (!job_queue(m, j, true)) {
        modem_job_free(j);
        return NULL;
    }
    return j;
}

modem_job *modem_job_submit_prompt(modem *m, const char *cmd, const char *payload,
                                   int timeout_ms, modem_job_fn fn, uint64_t id)
{
    modem_job *j = job_new(m, cmd, NULL, JOB_PROBE, timeout_ms, fn);
    if (!j)
        return NULL;
    j->id = id;
    j->payload = strdup(payload);
    if (!j->payload || !job_queue(m, j, false)) {
        modem_job_free(j);
        return NULL;
    }
    return j;
}

/* ---- object ---- */

static void on_urc(void *ctx, const at_urc_msg *u)
{
    modem_rx_urc(ctx, u);
}

static bool on_interrupt(void *ctx, const at_urc_msg *u)
{
    return modem_urc_interrupts(ctx, u);
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s || !*s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

static kz_status check_config(const modem_config *cfg, kz_err *err)
{
    if (!cfg || !cfg->port || !*cfg->port)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "modem: no port given");
    if (cfg->driver != MODEM_DRIVER_AT && cfg->driver != MODEM_DRIVER_GAMMU &&
        cfg->driver != MODEM_DRIVER_KANNEL)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "modem %s: unknown driver %d",
                          cfg->port, (int)cfg->driver);
    if (cfg->baud < 0 || cfg->cmd_timeout_ms < 0 || cfg->poll_interval_ms < 0 ||
        cfg->sweep_interval_ms < 0 || cfg->reopen_interval_ms < 0 || cfg->max_resets < 0 ||
        cfg->ussd_timeout_ms < 0 || cfg->boot_wait_ms < 0)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "modem %s: negative setting",
                          cfg->port);
    const char *pin = cfg->pin ? cfg->pin : "";
    size_t n = strlen(pin);
    if (n && (n < 4 || n > 8 || strspn(pin, "0123456789") != n))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "modem %s: the PIN must be 4 to 8 digits", cfg->port);
    return KZ_OK;
}

static void apply_defaults(modem_config *c)
{
    if (!c->baud)
        c->baud = 115200;
    if (!c->cmd_timeout_ms)
        c->cmd_timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!c->poll_interval_ms)
        c->poll_interval_ms = 30000;
    if (!c->sweep_interval_ms)
        c->sweep_interval_ms = 300000;
    if (!c->reopen_interval_ms)
        c->reopen_interval_ms = 5000;
    if (!c->max_resets)
        c->max_resets = 3;
    if (!c->ussd_timeout_ms)
        c->ussd_timeout_ms = 60000;
    if (!c->boot_wait_ms)
        c->boot_wait_ms = 10000;
}

static void reset_timers(modem *m)
{
    m->next_poll = m->next_sweep = m->pin_recheck = MODEM_NEVER;
    m->init_wait_until = m->boot_until = MODEM_NEVER;
    m->ussd_deadline = MODEM_NEVER;
    m->next_reopen = 0;
    m->last_full_sweep = INT64_MIN / 2;
    m->reboot_at = INT64_MIN / 2;
    m->boot_interrupted = false;
}

modem *modem_new(const modem_config *cfg, const modem_callbacks *cb, kz_err *err)
{
    if (check_config(cfg, err) != KZ_OK)
        return NULL;
    modem *m = calloc(1, sizeof *m);
    bool oom = !m;
    if (m) {
        m->cfg = *cfg;
        apply_defaults(&m->cfg);
        m->name = dup_or_null(cfg->name ? cfg->name : "modem", &oom);
        m->path = dup_or_null(cfg->port, &oom);
        m->pin = dup_or_null(cfg->pin, &oom);
        m->storage_pref = dup_or_null(cfg->storage, &oom);
        m->chan = at_chan_new(on_urc, m);
        oom = oom || !m->chan;
    }
    if (oom) {
        modem_free(m);
        kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        return NULL;
    }
    at_chan_set_interrupt(m->chan, on_interrupt);
    m->cfg.pin = NULL; /* only m->pin holds it */
    if (cb)
        m->cb = *cb;
    m->st.state = MODEM_CLOSED;
    m->st.reg_stat = -1;
    m->csms_service = -1;
    m->quirk = modem_quirk_find("", "");
    reset_timers(m);
    if (m->cfg.driver == MODEM_DRIVER_GAMMU && modem_gammu_start(m, err) != KZ_OK) {
        modem_free(m);
        return NULL;
    }
    if (m->cfg.driver == MODEM_DRIVER_KANNEL && modem_kannel_start(m, err) != KZ_OK) {
        modem_free(m);
        return NULL;
    }
    m->cfg.kannel_password = NULL; /* only the backend's copy holds it */
    return m;
}

void modem_free(modem *m)
{
    if (!m)
        return;
    m->cb = (modem_callbacks){0}; /* nothing reported while tearing down */
    modem_gammu_stop(m);
    modem_kannel_stop(m);
    if (m->chan)
        at_chan_detach(m->chan, KZ_ERR_STATE);
    at_chan_free(m->chan);
    port_free(m->port);
    if (m->pin)
        memset(m->pin, 0, strlen(m->pin));
    free(m->pin);
    free(m->name);
    free(m->path);
    free(m->storage_pref);
    free(m);
}

/* ---- event loop ---- */

int modem_fd(const modem *m)
{
    if (m->gm)
        return modem_gammu_fd(m);
    if (m->kn)
        return modem_kannel_fd(m);
    return at_chan_fd(m->chan);
}

short modem_poll_events(const modem *m)
{
    if (m->gm)
        return modem_gammu_poll_events(m);
    if (m->kn)
        return POLLIN;
    return at_chan_poll_events(m->chan);
}

kz_status modem_on_io(modem *m, short revents, int64_t now_ms)
{
    if (now_ms > m->now)
        m->now = now_ms;
    if (m->gm)
        return modem_gammu_on_io(m, revents);
    if (m->kn)
        return modem_kannel_on_io(m);
    if (!m->port)
        return KZ_OK;
    kz_err err;
    kz_err_clear(&err);
    if (at_chan_on_io(m->chan, revents, m->now, &err) != KZ_OK) {
        modem_port_lost(m, &err);
        return KZ_ERR_IO;
    }
    modem_rx_reads(m); /* the +CMTI this read brought: one AT+CMGR, or one listing */
    modem_tx_pump(m);
    return KZ_OK;
}

static void run_periodic(modem *m)
{
    modem_state s = m->st.state;
    if (s != MODEM_READY && s != MODEM_SEARCHING)
        return;
    if (m->now >= m->next_poll)
        modem_poll_start(m);
    if (m->now >= m->next_sweep)
        modem_sweep_start(m);
}

kz_status modem_tick(modem *m, int64_t now_ms)
{
    if (now_ms > m->now)
        m->now = now_ms;
    if (m->gm)
        return modem_gammu_tick(m);
    if (m->kn)
        return modem_kannel_tick(m);
    if (m->st.state == MODEM_CLOSED)
        modem_reopen_tick(m);
    if (!m->port)
        return m->st.state == MODEM_DEAD ? KZ_ERR_STATE : KZ_OK;
    kz_err err;
    kz_err_clear(&err);
    if (at_chan_tick(m->chan, m->now, &err) != KZ_OK) {
        modem_port_lost(m, &err);
        return KZ_ERR_IO;
    }
    modem_rx_reads(m);
    modem_init_tick(m);
    run_periodic(m);
    modem_ussd_tick(m);
    modem_tx_tick(m);
    modem_tx_pump(m);
    /* work queued by the timers above starts now, not at the next call */
    if (m->port && at_chan_tick(m->chan, m->now, &err) != KZ_OK) {
        modem_port_lost(m, &err);
        return KZ_ERR_IO;
    }
    return KZ_OK;
}

static void earliest(int64_t *best, int64_t t)
{
    if (t < *best)
        *best = t;
}

int64_t modem_next_deadline(const modem *m)
{
    int64_t best = MODEM_NEVER;
    if (m->gm)
        return modem_gammu_deadline(m);
    if (m->kn)
        return modem_kannel_deadline(m);
    if (m->st.state == MODEM_CLOSED)
        return m->next_reopen;
    if (!m->port)
        return best;
    if (m->cmti_count)
        earliest(&best, m->now); /* a +CMTI waits to be read */
    earliest(&best, at_chan_deadline(m->chan));
    earliest(&best, m->init_wait_until);
    earliest(&best, m->boot_until);
    earliest(&best, m->pin_recheck);
    earliest(&best, m->ussd_deadline);
    if (m->st.state == MODEM_READY || m->st.state == MODEM_SEARCHING) {
        earliest(&best, m->next_poll);
        earliest(&best, m->next_sweep);
    }
    if (m->sq_len) {
        if (m->st.state == MODEM_READY && !m->send_inflight)
            earliest(&best, m->now);
        else
            earliest(&best, m->sendq[m->sq_head].queued_at + 2 * (int64_t)modem_long_timeout(m));
    }
    return best;
}

void modem_get_status(const modem *m, modem_status *out)
{
    *out = m->st;
    if (m->gm) {
        out->send_queue = m->sq_len + (m->send_inflight ? 1 : 0);
        return;
    }
    if (m->kn) {
        out->send_queue = modem_kannel_queued(m);
        return;
    }
    out->rx_bytes = m->port ? at_chan_rx_bytes(m->chan) : m->st.rx_bytes;
    out->send_queue = m->sq_len;
}

void modem_restart(modem *m)
{
    if (m->gm) {
        modem_gammu_restart(m);
        return;
    }
    if (m->kn) {
        modem_kannel_restart(m);
        return;
    }
    modem_close_port(m);
    m->resets_in_row = 0;
    reset_timers(m);
    m->next_reopen = m->now;
    modem_set_state(m, MODEM_CLOSED, "restart requested");
}
