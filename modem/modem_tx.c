/*
 * modem_tx.c - the sending side: the queue behind modem_send_pdu, one
 * AT+CMGS at a time (PDU hex and Ctrl-Z after the "> " prompt), the TP-MR
 * from "+CMGS: <mr>", +CMS ERROR codes classified retryable or not, and the
 * recent sends that status reports are matched against.
 * Owns the send queue and the recent-sends ring. Never reports a send twice
 * or drops one silently: every accepted send_id gets exactly one on_sent.
 * Never repeats an AT+CMGS on its own (the network may have taken it); a
 * send cut short after its PDU went out is reported KZ_ERR_STATE ("possibly
 * sent"), never as a plain I/O failure.
 */
#include <stdio.h>
#include <string.h>

#include "at_scan.h"
#include "hex.h"
#include "modem_internal.h"

/* ---- +CMS ERROR classification ---- */

typedef struct cms_range {
    int lo, hi;
    bool retryable;
} cms_range;

/*
 * TS 27.005 3.2.5 (300-511), TS 24.011 E.2 RP causes and TS 23.040
 * 9.2.3.22 TP-FCS (0-255). Codes not listed are retryable: unknown is not
 * proof that the message can never go.
 */
static const cms_range cms_table[] = {
    {1, 1, false},     /* unassigned (unallocated) number */
    {8, 8, false},     /* operator determined barring */
    {10, 10, false},   /* call barred */
    {21, 21, false},   /* short message transfer rejected */
    {27, 30, false},   /* destination out of service .. unknown subscriber */
    {50, 50, false},   /* requested facility not subscribed */
    {69, 69, false},   /* requested facility not implemented */
    {81, 81, false},   /* invalid short message transfer reference value */
    {95, 99, false},   /* invalid message, protocol errors */
    {111, 111, false}, /* protocol error, unspecified */
    {127, 127, false}, /* interworking, unspecified */
    {128, 191, false}, /* TP-PID / TP-DCS / TP-Command errors, 0xB0-0xBF */
    {193, 193, false}, /* no SC subscription */
    {195, 199, false}, /* invalid SME address, SME barred, duplicate rejected, VPF, VP */
    {209, 209, false}, /* no SMS storage capability in SIM */
    {301, 301, false}, /* SMS service of ME reserved */
    {303, 305, false}, /* operation not supported, invalid PDU/text parameter */
    {330, 330, false}, /* SMSC address unknown: configuration, not chance */
};

bool modem_cms_retryable(int code)
{
    for (size_t i = 0; i < sizeof cms_table / sizeof cms_table[0]; i++)
        if (code >= cms_table[i].lo && code <= cms_table[i].hi)
            return cms_table[i].retryable;
    return true;
}

/* ---- recent sends ---- */

void modem_tx_remember(modem *m, uint64_t id, int mr, const sms_pdu *pdu)
{
    sms_message msg;
    recent_send *r = &m->recent[m->recent_next];
    m->recent_next = (m->recent_next + 1) % MODEM_RECENT_MAX;
    *r = (recent_send){.id = id, .mr = mr};
    if (pdu_decode(pdu->bytes, pdu->len, true, &msg, NULL) == KZ_OK)
        snprintf(r->to, sizeof r->to, "%s", msg.address.text);
}

/* The last up-to-9 digits of a number: networks write recipients nationally or not. */
static void digits_tail(const char *s, char *out, size_t cap)
{
    char d[SMS_ADDR_MAX];
    size_t n = 0;
    for (; *s && n + 1 < sizeof d; s++)
        if (*s >= '0' && *s <= '9')
            d[n++] = *s;
    d[n] = '\0';
    const char *t = n > 9 ? d + n - 9 : d;
    snprintf(out, cap, "%s", t);
}

static bool same_recipient(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    char ta[16], tb[16];
    digits_tail(a, ta, sizeof ta);
    digits_tail(b, tb, sizeof tb);
    return ta[0] && strcmp(ta, tb) == 0;
}

uint64_t modem_tx_match(const modem *m, int mr, const char *recipient)
{
    for (size_t k = 1; k <= MODEM_RECENT_MAX; k++) {
        const recent_send *r = &m->recent[(m->recent_next + MODEM_RECENT_MAX - k) %
                                          MODEM_RECENT_MAX];
        if (r->id && r->mr == mr && same_recipient(r->to, recipient))
            return r->id;
    }
    return 0;
}

/* ---- the queue ---- */

void modem_report_sent(modem *m, uint64_t id, kz_status st, int mr, int cms, bool retryable)
{
    if (st == KZ_OK)
        m->st.sent++;
    else
        m->st.failed_sends++;
    if (m->cb.on_sent)
        m->cb.on_sent(m->cb.ctx, m, id, st, mr, cms, retryable);
}

static send_req *sq_at(modem *m, size_t i)
{
    return &m->sendq[(m->sq_head + i) % MODEM_SENDQ_MAX];
}

static void sq_pop(modem *m, send_req *out)
{
    *out = *sq_at(m, 0);
    m->sq_head = (m->sq_head + 1) % MODEM_SENDQ_MAX;
    m->sq_len--;
}

static void sq_push_front(modem *m, const send_req *r)
{
    m->sq_head = (m->sq_head + MODEM_SENDQ_MAX - 1) % MODEM_SENDQ_MAX;
    m->sendq[m->sq_head] = *r;
    m->sq_len++;
}

kz_status modem_send_pdu(modem *m, uint64_t send_id, const sms_pdu *pdu)
{
    if (send_id == 0 || !pdu || pdu->len < 2 || pdu->len > SMS_PDU_MAX ||
        (size_t)pdu->bytes[0] + 1 + pdu->tpdu_len != pdu->len)
        return KZ_ERR_INVALID;
    if (m->st.state != MODEM_READY)
        return KZ_ERR_STATE;
    if (m->sq_len + (m->send_inflight ? 1 : 0) >= MODEM_SENDQ_MAX)
        return KZ_ERR_BUSY;
    send_req *r = sq_at(m, m->sq_len);
    r->id = send_id;
    r->pdu = *pdu;
    r->queued_at = m->now;
    m->sq_len++;
    return KZ_OK;
}

static void cmgs_done(modem *m, modem_job *j, const at_reply *r)
{
    send_req req = m->inflight;
    m->send_inflight = false;
    if (modem_reply_aborted(r) && !r->written) {
        sq_push_front(m, &req); /* never reached the modem: it goes again */
        return;
    }
    size_t len;
    const char *line = modem_reply_find(r, "+CMGS:", &len);
    int mr = -1;
    bool taken = line && at_scan_cmgs(line, len, &mr) == KZ_OK;
    /* "+CMGS: <mr>" is the network's answer: sent, even if the OK after it was
     * lost to noise (timeout) or to a reboot (aborted) */
    if (taken && (r->st == KZ_OK || r->st == KZ_ERR_TIMEOUT || modem_reply_aborted(r))) {
        modem_tx_remember(m, j->id, mr, &req.pdu);
        modem_report_sent(m, j->id, KZ_OK, mr, -1, false);
        return;
    }
    if (r->st == KZ_OK && !r->prompted) {
        /* an OK before the "> " prompt (a stray line after a hang or a
         * reset): the PDU itself was never written, so the network cannot
         * have it; a retryable failure, never "sent" */
        modem_report_sent(m, j->id, KZ_ERR_IO, -1, -1, true);
        return;
    }
    if (r->st == KZ_OK) {
        /* sent; no reference to match reports by */
        modem_report_sent(m, j->id, KZ_OK, -1, -1, false);
        return;
    }
    if (modem_reply_aborted(r) && r->prompted) {
        /* the PDU went out, then the modem rebooted, was reset or its port
         * closed before it answered: the network may have taken it */
        modem_report_sent(m, j->id, KZ_ERR_STATE, -1, -1, true);
        return;
    }
    if (r->st == KZ_ERR_TIMEOUT || modem_reply_aborted(r)) {
        modem_report_sent(m, j->id, r->st == KZ_ERR_TIMEOUT ? KZ_ERR_TIMEOUT : KZ_ERR_IO, -1, -1,
                          true);
        return;
    }
    int code = r->final == AT_FINAL_CMS_ERROR ? r->code : -1;
    bool retry = code < 0 || modem_cms_retryable(code);
    if (code == 331 || code == 332)
        m->next_poll = m->now; /* no network: see what registration says */
    modem_report_sent(m, j->id, KZ_ERR_IO, -1, code, retry);
}

void modem_tx_pump(modem *m)
{
    if (m->st.state != MODEM_READY || m->send_inflight || m->sq_len == 0 || !m->port)
        return;
    send_req req;
    sq_pop(m, &req);
    char hex[2 * SMS_PDU_MAX + 1], cmd[32];
    hex_encode(req.pdu.bytes, req.pdu.len, hex, sizeof hex);
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu", req.pdu.tpdu_len);
    m->inflight = req;
    m->send_inflight = true;
    if (!modem_job_submit_prompt(m, cmd, hex, modem_long_timeout(m), cmgs_done, req.id)) {
        m->send_inflight = false;
        sq_push_front(m, &req);
    }
}

void modem_tx_fail_all(modem *m, kz_status st, const char *why)
{
    if (m->sq_len)
        modem_event(m, 1, "%zu queued send(s) failed: %s", m->sq_len, why);
    while (m->sq_len) {
        send_req req;
        sq_pop(m, &req);
        modem_report_sent(m, req.id, st, -1, -1, true);
    }
}

void modem_tx_tick(modem *m)
{
    if (m->st.state == MODEM_READY)
        return;
    int64_t limit = 2 * (int64_t)modem_long_timeout(m);
    while (m->sq_len && m->now - sq_at(m, 0)->queued_at >= limit) {
        send_req req;
        sq_pop(m, &req);
        modem_report_sent(m, req.id, KZ_ERR_IO, -1, -1, true);
    }
}
