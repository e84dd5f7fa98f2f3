/*
 * sim_sms.c - the simulated modem's sending side and SMS settings: AT+CMGF,
 * AT+CSCA, AT+CSMS, AT+CNMI, AT+CNMA, AT+CMGS / AT+CMGW with the "> " prompt, the
 * sent log (every SUBMIT decoded with pdu_decode), message references,
 * status reports (automatic or on request) and inbound injection.
 * Owns the sent log and the message-reference counter. Never delivers to
 * the host itself: inbound PDUs and reports go to the network queue
 * (sim_store.c decides when and how the modem shows them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "sim_internal.h"

static sim_res cmd_cmgf(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e;
    sim_args a = {args, false};
    long mode;
    switch (op) {
    case SIM_OP_READ:
        sim_line(out, "+CMGF: 0");
        return sim_ok();
    case SIM_OP_TEST:
        sim_line(out, "+CMGF: (0)");
        return sim_ok();
    case SIM_OP_SET:
        if (!sim_arg_int(&a, 0, 1, &mode) || !sim_arg_end(&a))
            return sim_cms(302);
        return mode == 0 ? sim_ok() : sim_cms(303); /* PDU mode only */
    case SIM_OP_EXEC:
        break;
    }
    return sim_cms(302);
}

static sim_res cmd_csca(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    char num[24];
    long toa;
    switch (op) {
    case SIM_OP_READ:
        sim_line(out, "+CSCA: \"%s\",%d", e->csca, e->csca[0] == '+' ? 145 : 129);
        return sim_ok();
    case SIM_OP_TEST:
        return sim_ok();
    case SIM_OP_SET:
        if (!sim_arg_str(&a, num, sizeof num))
            return sim_cms(302);
        if (sim_arg_more(&a) && !sim_arg_int(&a, 0, 255, &toa))
            return sim_cms(302);
        if (!sim_arg_end(&a) || strspn(num, "+0123456789") != strlen(num))
            return sim_cms(304);
        snprintf(e->csca, sizeof e->csca, "%s", num);
        return sim_ok();
    case SIM_OP_EXEC:
        break;
    }
    return sim_cms(302);
}

static sim_res cmd_csms(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long svc;
    switch (op) {
    case SIM_OP_READ:
        sim_line(out, "+CSMS: %d,1,1,1", e->csms);
        return sim_ok();
    case SIM_OP_TEST:
        sim_line(out, "+CSMS: (0,1)");
        return sim_ok();
    case SIM_OP_SET:
        if (!sim_arg_int(&a, 0, 1, &svc) || !sim_arg_end(&a))
            return sim_cms(302);
        e->csms = (int)svc;
        sim_line(out, "+CSMS: 1,1,1");
        return sim_ok();
    case SIM_OP_EXEC:
        break;
    }
    return sim_cms(302);
}

/*
 * AT+CNMA[=<n>] (TS 27.005 3.4.4): acknowledge the +CMT/+CDS shown last
 * (n 0 or 1), or refuse it (n 2: the network keeps it and retries later).
 * +CMS ERROR: 340 when no acknowledgement is expected (service 0, or none
 * outstanding).
 */
static sim_res cmd_cnma(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long n = 0;
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CNMA: (0-2)");
        return sim_ok();
    }
    if (op == SIM_OP_READ || (op == SIM_OP_SET && (!sim_arg_int(&a, 0, 2, &n) ||
                                                   !sim_arg_end(&a))))
        return sim_cms(302);
    if (e->csms != 1 || !e->cnma_wait)
        return sim_cms(340);
    if (n == 2) {
        e->netq_hold = e->now + SIM_CNMA_TIMEOUT_MS;
        sim_cnma_lost(e);
        e->stats.acks_missed--; /* refused, not missed */
    }
    e->cnma_wait = false;
    return sim_ok();
}

/* Text-mode parameters: accepted and shown, unused in PDU mode. */
static sim_res cmd_csmp(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    if (op == SIM_OP_READ)
        sim_line(out, "+CSMP: 17,167,0,0");
    return sim_ok();
}

/* Values each AT+CNMI field accepts (bit v set: v allowed), per sim_cnmi_mode. */
static const unsigned cnmi_allowed[3][5] = {
    [SIM_CNMI_SIM800] = {0xF, 0xF, 0x5, 0x3, 0x3}, /* (0-3),(0-3),(0,2),(0,1),(0,1) */
    [SIM_CNMI_CMT] = {0xF, 0x5, 0x5, 0x3, 0x3},    /* (0-3),(0,2),(0,2),(0,1),(0,1) */
    [SIM_CNMI_CDSI] = {0xF, 0xF, 0x5, 0x7, 0x3},   /* (0-3),(0-3),(0,2),(0-2),(0,1) */
};

/* "(0-3)" for a run of values, "(0,2)" otherwise. */
static void cnmi_list(sim_buf *out, unsigned mask)
{
    int lo = -1, hi = -1;
    bool run = true;
    for (int v = 0; v < 8; v++) {
        if (!(mask & (1u << v)))
            continue;
        if (lo < 0)
            lo = v;
        else if (v != hi + 1)
            run = false;
        hi = v;
    }
    if (run && hi > lo + 1) {
        sim_buf_printf(out, "(%d-%d)", lo, hi);
        return;
    }
    sim_buf_puts(out, "(");
    for (int v = 0, first = 1; v < 8; v++) {
        if (mask & (1u << v)) {
            sim_buf_printf(out, "%s%d", first ? "" : ",", v);
            first = 0;
        }
    }
    sim_buf_puts(out, ")");
}

static sim_res cmd_cnmi(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    const unsigned *allowed = cnmi_allowed[e->cfg.cnmi_mode];
    sim_args a = {args, false};
    int v[5];
    long x;
    memcpy(v, e->cnmi, sizeof v);
    switch (op) {
    case SIM_OP_READ:
        sim_line(out, "+CNMI: %d,%d,%d,%d,%d", v[0], v[1], v[2], v[3], v[4]);
        return sim_ok();
    case SIM_OP_TEST:
        sim_buf_puts(out, "\r\n+CNMI: ");
        for (int k = 0; k < 5; k++) {
            if (k)
                sim_buf_puts(out, ",");
            cnmi_list(out, allowed[k]);
        }
        sim_buf_puts(out, "\r\n");
        return sim_ok();
    case SIM_OP_SET:
        for (int k = 0; k < 5 && sim_arg_more(&a); k++) {
            if (!sim_arg_int(&a, 0, 7, &x))
                continue;
            if (!(allowed[k] & (1u << x)))
                return sim_cms(303); /* "operation not supported", as SIM800 for ds=2 */
            v[k] = (int)x;
        }
        if (!sim_arg_end(&a))
            return sim_cms(303);
        memcpy(e->cnmi, v, sizeof v);
        return sim_ok();
    case SIM_OP_EXEC:
        break;
    }
    return sim_cms(302);
}

static sim_res open_prompt(sim_engine *e, sim_op op, const char *args, sim_prompt kind)
{
    sim_args a = {args, false};
    long len, stat = 2;
    if (op == SIM_OP_TEST)
        return sim_ok();
    if (op != SIM_OP_SET || !sim_arg_int(&a, 1, 175, &len))
        return sim_cms(302);
    if (kind == SIM_PROMPT_CMGW && sim_arg_more(&a) && !sim_arg_int(&a, 0, 3, &stat))
        return sim_cms(302);
    if (!sim_arg_end(&a))
        return sim_cms(302);
    e->prompt = kind;
    e->prompt_len = (size_t)len;
    e->prompt_stat = (int)stat;
    e->pdu_hex.len = 0;
    return (sim_res){SIM_RES_PROMPT, 0};
}

static sim_res cmd_cmgs(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)out;
    return open_prompt(e, op, args, SIM_PROMPT_CMGS);
}

static sim_res cmd_cmgw(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)out;
    return open_prompt(e, op, args, SIM_PROMPT_CMGW);
}

static sim_res cmd_cmms(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    if (op == SIM_OP_READ)
        sim_line(out, "+CMMS: 0");
    return sim_ok();
}

const sim_cmd_entry sim_sms_commands[] = {
    {"+CMGF", cmd_cmgf, true, false}, {"+CSCA", cmd_csca, true, true},
    {"+CSMS", cmd_csms, true, false}, {"+CSMP", cmd_csmp, true, false},
    {"+CSDH", cmd_csmp, true, false}, {"+CNMI", cmd_cnmi, true, false},
    {"+CMGS", cmd_cmgs, true, true},  {"+CMGW", cmd_cmgw, true, true},
    {"+CMMS", cmd_cmms, true, false}, {"+CNMA", cmd_cnma, true, false},
    {NULL, NULL, false, false},
};

static sim_sent *sent_append(sim_engine *e)
{
    if (e->nsent == SIM_SENT_MAX) {
        size_t drop = SIM_SENT_MAX / 10;
        memmove(e->sent, e->sent + drop, (e->nsent - drop) * sizeof *e->sent);
        e->nsent -= drop;
    }
    if (e->nsent == e->sent_cap) {
        size_t cap = e->sent_cap ? e->sent_cap * 2 : 16;
        sim_sent *p = realloc(e->sent, cap * sizeof *p);
        if (!p)
            return NULL;
        e->sent = p;
        e->sent_cap = cap;
    }
    sim_sent *s = &e->sent[e->nsent++];
    memset(s, 0, sizeof *s);
    return s;
}

static sim_res accept_submit(sim_engine *e, const uint8_t *pdu, size_t len,
                             const sms_message *m, sim_buf *out)
{
    if (!sim_registered(e))
        return sim_cms(331);
    sim_sent *s = sent_append(e);
    if (!s)
        return sim_cms(500);
    s->id = e->next_sent_id++;
    s->mr = e->next_mr++;
    s->at_ms = e->now;
    s->unix_s = sim_unix_now(e);
    s->msg = *m;
    s->msg.mr = s->mr;
    hex_encode(pdu, len, s->pdu_hex, sizeof s->pdu_hex);
    s->report_status = -1;
    if (m->status_report && e->cfg.report_status >= 0) {
        s->report_due_ms = e->now + e->cfg.report_delay_ms;
        if (s->report_due_ms == 0)
            s->report_due_ms = 1;
        if (!e->report_due || s->report_due_ms < e->report_due)
            e->report_due = s->report_due_ms;
    }
    e->stats.sent++;
    sim_line(out, "+CMGS: %u", s->mr);
    return sim_ok();
}

/*
 * The PDU typed after "> " (hex, without the Ctrl-Z): checked against the
 * announced length and decoded; AT+CMGS sends it, AT+CMGW stores it.
 */
sim_res sim_sms_pdu(sim_engine *e, const char *hex, size_t len, sim_buf *out)
{
    uint8_t pdu[SMS_PDU_MAX];
    size_t n;
    sms_message m;
    if (hex_decode(hex, len, pdu, sizeof pdu, &n, NULL) != KZ_OK || n < 2)
        return sim_cms(304);
    if ((size_t)pdu[0] + 1 > n || n - pdu[0] - 1 != e->prompt_len)
        return sim_cms(304);
    if (pdu_decode(pdu, n, true, &m, NULL) != KZ_OK || m.type != SMS_SUBMIT)
        return sim_cms(304);
    if (e->prompt == SIM_PROMPT_CMGS)
        return accept_submit(e, pdu, n, &m, out);
    unsigned idx = sim_store_put(e, e->mem_sel[1], pdu, n, e->prompt_stat);
    if (!idx)
        return sim_cms(322);
    sim_line(out, "+CMGW: %u", idx);
    return sim_ok();
}

static kz_status queue_report(sim_engine *e, sim_sent *s, uint8_t status, kz_err *err)
{
    sms_pdu p;
    sms_time sent_at, now;
    sim_time_now(e, &now);
    sim_time_at(e, s->unix_s, &sent_at);
    kz_status st = pdu_encode_status_report(s->msg.address.text, s->mr, &sent_at, &now, status,
                                            &p, err);
    if (st != KZ_OK)
        return st;
    st = sim_netq_push(e, p.bytes, p.len, true, err);
    if (st == KZ_OK)
        s->report_status = status;
    return st;
}

kz_status sim_report(sim_engine *e, uint8_t mr, uint8_t status, uint64_t now_ms, kz_err *err)
{
    sim_tick(e, now_ms);
    for (size_t i = e->nsent; i-- > 0;) {
        if (e->sent[i].mr != mr)
            continue;
        e->sent[i].report_due_ms = 0;
        kz_status st = queue_report(e, &e->sent[i], status, err);
        sim_pump(e);
        return st;
    }
    return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no sent message has reference %u",
                      mr);
}

/* Automatic status reports that have come due. */
void sim_sms_tick(sim_engine *e)
{
    if (!e->report_due || e->now < e->report_due)
        return;
    uint64_t next = 0;
    for (size_t i = 0; i < e->nsent; i++) {
        sim_sent *s = &e->sent[i];
        if (!s->report_due_ms)
            continue;
        if (s->report_due_ms <= e->now) {
            s->report_due_ms = 0;
            queue_report(e, s, (uint8_t)e->cfg.report_status, NULL);
        } else if (!next || s->report_due_ms < next) {
            next = s->report_due_ms;
        }
    }
    e->report_due = next;
}

size_t sim_sent_count(const sim_engine *e)
{
    return e->nsent;
}

const sim_sent *sim_sent_get(const sim_engine *e, size_t i)
{
    return i < e->nsent ? &e->sent[i] : NULL;
}

void sim_sent_clear(sim_engine *e)
{
    e->nsent = 0;
    e->report_due = 0;
}

kz_status sim_inject_text(sim_engine *e, const char *from, const char *utf8, size_t len,
                          sms_coding coding, size_t *nparts, uint64_t now_ms, kz_err *err)
{
    sim_tick(e, now_ms);
    kz_status st = sim_queue_text(e, from, utf8, len, coding, nparts, err);
    sim_pump(e);
    return st;
}

kz_status sim_queue_text(sim_engine *e, const char *from, const char *utf8, size_t len,
                         sms_coding coding, size_t *nparts, kz_err *err)
{
    sms_deliver_opts o;
    sms_deliver_opts_init(&o);
    o.from = from;
    o.smsc = e->csca;
    o.coding = coding;
    o.concat_ref = e->next_ref++ & 0xFF;
    o.concat_ref_bits = 8;
    sim_time_now(e, &o.scts);
    sms_pdu *parts = calloc(SMS_MAX_SEGMENTS, sizeof *parts);
    if (!parts)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    size_t n = 0;
    kz_status st = pdu_encode_deliver((const uint8_t *)utf8, len, &o, parts, SMS_MAX_SEGMENTS,
                                      &n, err);
    if (st == KZ_OK && e->netq_len + n > SIM_NETQ_MAX)
        st = kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "network queue full");
    for (size_t i = 0; st == KZ_OK && i < n; i++)
        st = sim_netq_push(e, parts[i].bytes, parts[i].len, false, err);
    free(parts);
    if (nparts)
        *nparts = st == KZ_OK ? n : 0;
    return st;
}

kz_status sim_inject_pdu(sim_engine *e, const uint8_t *pdu, size_t len, uint64_t now_ms,
                         kz_err *err)
{
    sim_tick(e, now_ms);
    sms_message m;
    kz_status st = pdu_decode(pdu, len, true, &m, err);
    if (st != KZ_OK)
        return st;
    if (m.type == SMS_SUBMIT)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "an SMS-SUBMIT never reaches a modem (want DELIVER or STATUS-REPORT)");
    st = sim_netq_push(e, pdu, len, m.type == SMS_STATUS_REPORT, err);
    sim_pump(e);
    return st;
}
