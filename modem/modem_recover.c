/*
 * modem_recover.c - what the driver does when the modem stops behaving:
 * a command timeout is retried once (or, for commands that must not be
 * repeated, followed by an "AT" probe); a second timeout resets the modem
 * (ATZ, then AT+CFUN=1,1 if ATZ is not answered) and re-initialises it;
 * more than max_resets resets without a successful init make it MODEM_DEAD;
 * a port that fails is closed (MODEM_CLOSED) and reopened by path every
 * reopen_interval; a modem that reboots on its own is re-initialised.
 * Owns the reset steps and the port's open/close. Never sleeps, never
 * retries an AT+CMGS or a PIN entry.
 */
#include <stdio.h>
#include <string.h>

#include "modem_internal.h"

/* ---- port ---- */

void modem_close_port(modem *m)
{
    if (!m->port)
        return;
    m->st.rx_bytes = at_chan_rx_bytes(m->chan);
    at_chan_detach(m->chan, KZ_ERR_IO);
    port_free(m->port);
    m->port = NULL;
    m->poll_inflight = 0;
    m->sweep_inflight = false;
    m->send_inflight = false;
    m->cds_held = 0; /* an AT+CNMA would reach a new session: the network offers it again */
    m->boot_until = m->init_wait_until = m->pin_recheck = MODEM_NEVER;
    modem_tx_fail_all(m, KZ_ERR_IO, "the modem's port was closed");
    modem_ussd_end(m, KZ_ERR_IO);
}

void modem_port_lost(modem *m, const kz_err *err)
{
    const char *why = err && err->msg[0] ? err->msg : "port failed";
    modem_set_error(m, "%s", why);
    modem_close_port(m);
    m->next_reopen = m->now + m->cfg.reopen_interval_ms;
    modem_set_state(m, MODEM_CLOSED, "%s; reopening every %d ms", why,
                    m->cfg.reopen_interval_ms);
}

void modem_reopen_tick(modem *m)
{
    if (m->now < m->next_reopen)
        return;
    kz_err err;
    kz_err_clear(&err);
    port *p = port_open(m->path, m->cfg.baud, &err);
    if (!p) {
        m->next_reopen = m->now + m->cfg.reopen_interval_ms;
        if (strcmp(err.msg, m->last_open_error) != 0) {
            snprintf(m->last_open_error, sizeof m->last_open_error, "%s", err.msg);
            modem_set_error(m, "%s", err.msg);
            modem_event(m, 1, "cannot open: %s (retrying every %d ms)", err.msg,
                        m->cfg.reopen_interval_ms);
        }
        return;
    }
    m->last_open_error[0] = '\0';
    m->port = p;
    at_chan_attach(m->chan, p, m->now);
    modem_event(m, 2, "opened %s", port_name(p));
    modem_init_start(m);
}

/* ---- giving up ---- */

static void go_dead(modem *m, const char *why)
{
    modem_close_port(m);
    modem_set_state(m, MODEM_DEAD, "%s; %d resets did not help: the modem needs a power cycle",
                    why, m->cfg.max_resets);
}

/* ---- resets ---- */

static void boot_wait(modem *m)
{
    m->boot_until = m->now + m->cfg.boot_wait_ms;
}

static void cfun_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    boot_wait(m); /* answered or not: the modem reboots, or the next init finds out */
}

static void atz_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    if (r->st == KZ_ERR_TIMEOUT) {
        modem_event(m, 1, "ATZ not answered: restarting the modem with AT+CFUN=1,1");
        if (!modem_job_submit_esc(m, "AT+CFUN=1,1", cfun_done))
            boot_wait(m);
        return;
    }
    modem_init_start(m); /* any answer: the modem talks again */
}

void modem_reset_start(modem *m, const char *why)
{
    if (!m->port || m->st.state == MODEM_RESETTING)
        return;
    m->resets_in_row++;
    m->st.resets++;
    modem_set_error(m, "%s", why);
    if (m->resets_in_row > m->cfg.max_resets) {
        go_dead(m, why);
        return;
    }
    modem_set_state(m, MODEM_RESETTING, "%s; reset %d of %d", why, m->resets_in_row,
                    m->cfg.max_resets);
    modem_ussd_end(m, KZ_ERR_IO);
    at_chan_abort(m->chan, KZ_ERR_STATE);
    m->poll_inflight = 0;
    m->sweep_inflight = false;
    m->init_wait_until = m->pin_recheck = MODEM_NEVER;
    if (!modem_job_submit_esc(m, "ATZ", atz_done)) /* ESC: out of a stuck "> " prompt */
        boot_wait(m);
}

/* ---- timeouts ---- */

static void probe_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (r->final != AT_FINAL_NONE)
        modem_event(m, 2, "the modem answers again");
}

void modem_on_timeout(modem *m, modem_job *j, const at_reply *r)
{
    if (j->retry == JOB_RETRY && !j->retried && m->st.state != MODEM_RESETTING) {
        j->retried = true;
        modem_event(m, 1, "%s: no answer in %d ms, trying once more", j->label, j->timeout_ms);
        if (modem_job_requeue(m, j))
            return;
    }
    job_retry kind = j->retry;
    char why[96];
    snprintf(why, sizeof why, "%s: no answer in %d ms", j->label, j->timeout_ms);
    if (j->fn)
        j->fn(m, j, r);
    modem_job_free(j);
    if (kind == JOB_SELF || !m->port || m->st.state == MODEM_RESETTING)
        return;
    if (kind == JOB_PROBE) {
        modem_event(m, 1, "%s; checking the modem with AT", why);
        if (modem_job_submit(m, "AT", NULL, JOB_RESET, modem_cmd_timeout(m), probe_done, 0,
                             true))
            return;
    }
    modem_reset_start(m, why);
}

/* ---- reboots we did not ask for ---- */

static bool is_reboot_line(const char *line)
{
    return strcmp(line, "RDY") == 0 || strncmp(line, "+CFUN:", 6) == 0 ||
           strcmp(line, "+CPIN: SIM PIN") == 0 || strcmp(line, "+CPIN: NOT READY") == 0;
}

static bool is_boot_done_line(const char *line)
{
    return strcmp(line, "SMS Ready") == 0 || strcmp(line, "PB DONE") == 0 ||
           strcmp(line, "+CPIN: SIM PIN") == 0 || strcmp(line, "+CPIN: SIM PUK") == 0;
}

bool modem_urc_interrupts(modem *m, const at_urc_msg *u)
{
    if (!modem_online(m))
        return false; /* resetting: the reset steps expect the reboot */
    if (u->urc == AT_URC_POWER_DOWN) {
        m->boot_interrupted = true;
        return true;
    }
    if (u->urc != AT_URC_BOOT || !is_reboot_line(u->line))
        return false;
    /* RDY, +CFUN: 1, +CPIN: ... of one boot come seconds apart: only the first
     * of them restarts the init sequence */
    if (m->st.state == MODEM_INIT && m->now - m->reboot_at < m->cfg.boot_wait_ms)
        return false;
    m->boot_interrupted = true;
    return true;
}

void modem_boot_seen(modem *m, const char *line)
{
    if (m->st.state == MODEM_RESETTING) {
        if (m->boot_until != MODEM_NEVER && is_boot_done_line(line))
            m->boot_until = m->now; /* booted: no need to wait longer */
        return;
    }
    if (!is_reboot_line(line) || !modem_online(m))
        return;
    bool interrupted = m->boot_interrupted;
    m->boot_interrupted = false;
    if (m->st.state == MODEM_INIT && !interrupted)
        return; /* the init sequence is still running: it finds out by itself */
    m->reboot_at = m->now;
    modem_set_error(m, "the modem rebooted on its own (\"%s\")", line);
    modem_event(m, 1, "the modem rebooted on its own (\"%s\"): initialising again", line);
    modem_set_state(m, MODEM_INIT, "the modem rebooted on its own (\"%s\")", line);
    at_chan_abort(m->chan, KZ_ERR_STATE);
    m->poll_inflight = 0;
    m->sweep_inflight = false;
    modem_ussd_end(m, KZ_ERR_IO);
    modem_init_start(m);
}

void modem_power_down_seen(modem *m, const char *line)
{
    m->boot_interrupted = false;
    modem_event(m, 0, "the modem says \"%s\"", line);
    if (!modem_online(m))
        return;
    char why[120];
    snprintf(why, sizeof why, "the modem says \"%.80s\"", line);
    modem_reset_start(m, why); /* it answers again after a reboot, or ends MODEM_DEAD */
}
