/*
 * modem_ussd.c - USSD sessions over AT+CUSD: one open session per modem,
 * requests and menu answers (AT+CUSD=1,"...",15, packed GSM-7 hex when the
 * quirks say so), replies taken from the command's own response lines or
 * from a later +CUSD URC (decoded with cusd_parse), cancel (AT+CUSD=2) and
 * a session timeout.
 * Owns the session state. Never reports a session's end twice, never
 * handles a +CUSD inside another command's wait (the channel holds it).
 */
#include <stdio.h>
#include <string.h>

#include "modem_gammu.h"
#include "modem_internal.h"

static void session_close(modem *m)
{
    m->ussd_open = false;
    m->ussd_waiting = false;
    m->ussd_deadline = MODEM_NEVER;
}

void modem_ussd_end(modem *m, kz_status st)
{
    if (!m->ussd_open)
        return;
    uint64_t id = m->ussd_id;
    session_close(m);
    if (m->cb.on_ussd)
        m->cb.on_ussd(m->cb.ctx, m, id, st, NULL);
}

static void ignore_reply(modem *m, modem_job *j, const at_reply *r)
{
    (void)m, (void)j, (void)r;
}

static void send_cancel(modem *m)
{
    char cmd[32];
    if (cusd_encode_cancel(cmd, sizeof cmd) == KZ_OK)
        modem_job_submit(m, cmd, NULL, JOB_RETRY, modem_cmd_timeout(m), ignore_reply, 0, false);
}

/* One "+CUSD: ..." line for the open session. */
static void deliver_line(modem *m, const char *line, size_t len)
{
    cusd_reply rep;
    kz_err err;
    kz_err_clear(&err);
    if (cusd_parse((const uint8_t *)line, len, m->quirk->cusd_wire, &rep, &err) != KZ_OK) {
        modem_event(m, 1, "USSD reply not understood (%s): ending the session", err.msg);
        modem_ussd_end(m, KZ_ERR_INVALID);
        send_cancel(m);
        return;
    }
    uint64_t id = m->ussd_id;
    m->ussd_waiting = false;
    if (rep.status == 1)
        m->ussd_deadline = m->now + m->cfg.ussd_timeout_ms;
    else
        session_close(m);
    if (m->cb.on_ussd)
        m->cb.on_ussd(m->cb.ctx, m, id, KZ_OK, &rep);
}

void modem_ussd_urc(modem *m, const char *line, size_t len)
{
    if (!m->ussd_open) {
        modem_event(m, 2, "USSD message with no session open: ignored");
        return;
    }
    deliver_line(m, line, len);
}

static void cusd_done(modem *m, modem_job *j, const at_reply *r)
{
    if (!m->ussd_open || m->ussd_id != j->id || modem_reply_aborted(r))
        return;
    if (r->st == KZ_ERR_TIMEOUT) {
        modem_ussd_end(m, KZ_ERR_TIMEOUT);
        return;
    }
    if (r->st != KZ_OK) {
        char t[96];
        modem_reply_text(r, t, sizeof t);
        modem_event(m, 1, "USSD request refused: %s", t);
        modem_ussd_end(m, KZ_ERR_INVALID);
        return;
    }
    size_t len;
    const char *line = modem_reply_find(r, "+CUSD:", &len);
    if (line)
        deliver_line(m, line, len); /* answered along with the OK */
    else
        m->ussd_deadline = m->now + m->cfg.ussd_timeout_ms; /* the network answers later */
}

static kz_status send_request(modem *m, uint64_t id, const char *text)
{
    char cmd[AT_CMD_MAX + 1];
    kz_err err;
    if (cusd_encode_request(text, m->quirk->cusd_wire, cmd, sizeof cmd, &err) != KZ_OK)
        return KZ_ERR_INVALID;
    modem_job *j = modem_job_submit(m, cmd, "AT+CUSD=1", JOB_PROBE, modem_long_timeout(m),
                                    cusd_done, 0, false);
    if (!j)
        return KZ_ERR_BUSY;
    j->id = id;
    m->ussd_waiting = true;
    m->ussd_deadline = MODEM_NEVER; /* the command's own timeout runs until it is answered */
    return KZ_OK;
}

kz_status modem_ussd_start(modem *m, uint64_t session_id, const char *code)
{
    if (session_id == 0 || !code)
        return KZ_ERR_INVALID;
    if (m->st.state != MODEM_READY)
        return KZ_ERR_STATE;
    if (m->ussd_open)
        return KZ_ERR_BUSY;
    if (m->kn)
        return KZ_ERR_UNSUPPORTED; /* driver = kannel: Kannel carries no USSD */
    kz_status st = m->gm ? modem_gammu_ussd_send(m, session_id, code)
                         : send_request(m, session_id, code);
    if (st != KZ_OK)
        return st;
    m->ussd_open = true;
    m->ussd_id = session_id;
    return KZ_OK;
}

kz_status modem_ussd_reply(modem *m, uint64_t session_id, const char *answer)
{
    if (!m->ussd_open || m->ussd_id != session_id)
        return KZ_ERR_NOTFOUND;
    if (m->ussd_waiting)
        return KZ_ERR_STATE;
    if (!answer)
        return KZ_ERR_INVALID;
    return m->gm ? modem_gammu_ussd_send(m, session_id, answer)
                 : send_request(m, session_id, answer);
}

kz_status modem_ussd_cancel(modem *m, uint64_t session_id)
{
    if (!m->ussd_open || m->ussd_id != session_id)
        return KZ_ERR_NOTFOUND;
    session_close(m);
    if (m->gm)
        modem_gammu_ussd_cancel(m, session_id);
    else
        send_cancel(m);
    return KZ_OK;
}

void modem_ussd_tick(modem *m)
{
    if (!m->ussd_open || m->now < m->ussd_deadline)
        return;
    modem_event(m, 1, "USSD session timed out after %d ms", m->cfg.ussd_timeout_ms);
    modem_ussd_end(m, KZ_ERR_TIMEOUT);
    send_cancel(m);
}
