/*
 * sim_store.c - the simulated SIM ("SM") and phone ("ME") message storage:
 * AT+CPMS, AT+CMGL, AT+CMGR, AT+CMGD, and handing messages waiting in the
 * network to the modem as AT+CNMI says (+CMTI after storing, +CMT direct,
 * +CDS / +CDSI for status reports). Owns the slots and the network queue.
 * Never accepts a message when the receiving storage is full: it waits in
 * the network queue (as a real SMSC keeps retrying) until a slot is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "sim_internal.h"

kz_status sim_sms_init(sim_engine *e, kz_err *err)
{
    static const char *const names[2] = {"SM", "ME"};
    size_t caps[2] = {e->cfg.sm_slots, e->cfg.me_slots};
    for (int m = 0; m < 2; m++) {
        e->mem[m].name = names[m];
        e->mem[m].cap = caps[m];
        e->mem[m].slots = caps[m] ? calloc(caps[m], sizeof(sim_slot)) : NULL;
        if (caps[m] && !e->mem[m].slots)
            return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    e->netq = calloc(SIM_NETQ_MAX, sizeof *e->netq);
    if (!e->netq)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    return KZ_OK;
}

void sim_sms_free(sim_engine *e)
{
    for (int m = 0; m < 2; m++)
        free(e->mem[m].slots);
    free(e->netq);
    free(e->sent);
}

static size_t store_used(const sim_store *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->cap; i++)
        n += s->slots[i].used;
    return n;
}

unsigned sim_store_put(sim_engine *e, int m, const uint8_t *pdu, size_t len, int stat)
{
    sim_store *s = &e->mem[m];
    if (len > SMS_PDU_MAX)
        return 0;
    for (size_t i = 0; i < s->cap; i++) {
        sim_slot *sl = &s->slots[i];
        if (sl->used)
            continue;
        sl->used = true;
        sl->stat = (uint8_t)stat;
        memcpy(sl->pdu, pdu, len);
        sl->len = len;
        return (unsigned)i + 1;
    }
    return 0;
}

bool sim_storage_get(const sim_engine *e, size_t n, sim_slot_view *out)
{
    for (int m = 0; m < 2; m++) {
        const sim_store *s = &e->mem[m];
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i].used)
                continue;
            if (n-- > 0)
                continue;
            out->mem = s->name;
            out->index = (unsigned)i + 1;
            out->stat = s->slots[i].stat;
            out->pdu = s->slots[i].pdu;
            out->pdu_len = s->slots[i].len;
            return true;
        }
    }
    return false;
}

/* TPDU length (what <length> in +CMGL/+CMGR/+CMT says): the PDU minus its SMSC field. */
static size_t tpdu_len(const uint8_t *pdu, size_t len)
{
    size_t smsc = len ? (size_t)pdu[0] + 1 : 0;
    return len > smsc ? len - smsc : 0;
}

static void put_pdu_hex(sim_buf *out, const uint8_t *pdu, size_t len)
{
    char hex[2 * SMS_PDU_MAX + 1];
    if (hex_encode(pdu, len, hex, sizeof hex) == KZ_OK)
        sim_buf_puts(out, hex);
}

static int mem_index(const char *name)
{
    if (strcmp(name, "SM") == 0 || strcmp(name, "SM_P") == 0)
        return 0;
    if (strcmp(name, "ME") == 0 || strcmp(name, "ME_P") == 0)
        return 1;
    return -1;
}

static void cpms_counts(sim_engine *e, sim_buf *out, bool names)
{
    sim_buf_puts(out, "\r\n+CPMS: ");
    for (int k = 0; k < 3; k++) {
        const sim_store *s = &e->mem[e->mem_sel[k]];
        if (names)
            sim_buf_printf(out, "\"%s\",", s->name);
        sim_buf_printf(out, "%zu,%zu%s", store_used(s), s->cap, k < 2 ? "," : "\r\n");
    }
}

static sim_res cmd_cpms(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    char name[8];
    int sel[3] = {e->mem_sel[0], e->mem_sel[1], e->mem_sel[2]};
    const char *list = e->mem[1].cap ? "(\"SM\",\"ME\")" : "(\"SM\")";
    switch (op) {
    case SIM_OP_READ:
        cpms_counts(e, out, true);
        return sim_ok();
    case SIM_OP_TEST:
        sim_line(out, "+CPMS: %s,%s,%s", list, list, list);
        return sim_ok();
    case SIM_OP_SET:
        for (int k = 0; k < 3 && sim_arg_more(&a); k++) {
            if (!sim_arg_str(&a, name, sizeof name))
                return sim_cms(302);
            sel[k] = mem_index(name);
            if (sel[k] < 0 || e->mem[sel[k]].cap == 0)
                return sim_cms(302);
        }
        if (!sim_arg_end(&a))
            return sim_cms(302);
        memcpy(e->mem_sel, sel, sizeof sel);
        cpms_counts(e, out, false);
        return sim_ok();
    case SIM_OP_EXEC:
        break;
    }
    return sim_error();
}

/* Does slot stat s match an AT+CMGL <stat> (0-3, or 4 for all)? */
static bool stat_matches(int want, int s)
{
    return want == 4 || want == s;
}

static sim_res cmd_cmgl(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long want = 0, keep = 0;
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CMGL: (0-4)");
        return sim_ok();
    }
    if (op == SIM_OP_SET && !sim_arg_int(&a, 0, 4, &want))
        return sim_cms(302);
    if (sim_arg_more(&a) && !sim_arg_int(&a, 0, 1, &keep))
        return sim_cms(302);
    if (op == SIM_OP_READ || !sim_arg_end(&a))
        return sim_cms(302);
    sim_store *s = &e->mem[e->mem_sel[0]];
    bool first = true;
    for (size_t i = 0; i < s->cap; i++) {
        sim_slot *sl = &s->slots[i];
        if (!sl->used || !stat_matches((int)want, sl->stat))
            continue;
        sim_buf_printf(out, "%s+CMGL: %zu,%d,\"\",%zu\r\n", first ? "\r\n" : "", i + 1,
                       sl->stat, tpdu_len(sl->pdu, sl->len));
        put_pdu_hex(out, sl->pdu, sl->len);
        sim_buf_puts(out, "\r\n");
        first = false;
        if (sl->stat == 0 && !keep)
            sl->stat = 1;
    }
    return sim_ok();
}

static sim_res cmd_cmgr(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long idx, keep = 0;
    sim_store *s = &e->mem[e->mem_sel[0]];
    if (op == SIM_OP_TEST)
        return sim_ok();
    if (op != SIM_OP_SET || !sim_arg_int(&a, 0, 100000, &idx))
        return sim_cms(302);
    if (sim_arg_more(&a) && !sim_arg_int(&a, 0, 1, &keep))
        return sim_cms(302);
    if (!sim_arg_end(&a))
        return sim_cms(302);
    if (idx < 1 || (size_t)idx > s->cap)
        return sim_cms(321);
    sim_slot *sl = &s->slots[idx - 1];
    if (!sl->used)
        return sim_ok(); /* SIM800 answers a bare OK for an empty slot */
    sim_buf_printf(out, "\r\n+CMGR: %d,\"\",%zu\r\n", sl->stat, tpdu_len(sl->pdu, sl->len));
    put_pdu_hex(out, sl->pdu, sl->len);
    sim_buf_puts(out, "\r\n");
    if (sl->stat == 0 && !keep)
        sl->stat = 1;
    return sim_ok();
}

/* AT+CMGD <delflag>: 1 read, 2 read+sent, 3 read+sent+unsent, 4 all. */
static bool delflag_hits(long flag, int stat)
{
    switch (flag) {
    case 1:
        return stat == 1;
    case 2:
        return stat == 1 || stat == 3;
    case 3:
        return stat != 0;
    default:
        return true;
    }
}

static sim_res cmd_cmgd(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long idx = 0, flag = 0;
    sim_store *s = &e->mem[e->mem_sel[0]];
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CMGD: (1-%zu),(0-4)", s->cap);
        return sim_ok();
    }
    if (op != SIM_OP_SET)
        return sim_cms(302);
    bool has_idx = sim_arg_int(&a, 0, 100000, &idx);
    if (sim_arg_more(&a) && !sim_arg_int(&a, 0, 4, &flag))
        return sim_cms(302);
    if (!sim_arg_end(&a) || (!has_idx && flag == 0))
        return sim_cms(302);
    if (flag == 0) {
        if (idx < 1 || (size_t)idx > s->cap)
            return sim_cms(321);
        s->slots[idx - 1].used = false;
    } else {
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].used && delflag_hits(flag, s->slots[i].stat))
                s->slots[i].used = false;
    }
    e->full_shown = false;
    return sim_ok();
}

const sim_cmd_entry sim_store_commands[] = {
    {"+CPMS", cmd_cpms, true, true},
    {"+CMGL", cmd_cmgl, true, true},
    {"+CMGR", cmd_cmgr, true, true},
    {"+CMGD", cmd_cmgd, true, true},
    {NULL, NULL, false, false},
};

/*
 * Show a message routed directly (+CMT or +CDS). With +CSMS service 1 the
 * modem then waits for AT+CNMA before routing anything else (TS 27.005
 * 3.4.4), and gives the message back to the network if it does not come.
 */
static void route_direct(sim_engine *e, const sim_netmsg *m, const char *urc)
{
    char hex[2 * SMS_PDU_MAX + 1];
    if (hex_encode(m->pdu, m->len, hex, sizeof hex) == KZ_OK)
        sim_urc(e, "%s: %s%zu\r\n%s", urc, m->report ? "" : "\"\",", tpdu_len(m->pdu, m->len),
                hex);
    if (e->csms != 1)
        return;
    e->cnma_wait = true;
    e->cnma_msg = *m;
    e->cnma_due = e->now + SIM_CNMA_TIMEOUT_MS;
}

/* The unacknowledged +CMT/+CDS (if any) goes back to the front of the network queue. */
void sim_cnma_lost(sim_engine *e)
{
    if (!e->cnma_wait)
        return;
    e->cnma_wait = false;
    e->stats.acks_missed++;
    if (e->netq_len >= SIM_NETQ_MAX)
        return;
    memmove(e->netq + 1, e->netq, e->netq_len * sizeof *e->netq);
    e->netq[0] = e->cnma_msg;
    e->netq_len++;
    if (e->cnma_msg.report)
        e->stats.reports--; /* counted again when it is shown again */
    else
        e->stats.delivered--;
}

void sim_cnma_tick(sim_engine *e)
{
    if (e->cnma_wait && e->now >= e->cnma_due)
        sim_cnma_lost(e);
}

/* A status report, routed by CNMI <ds>. Returns false when it must wait (storage full). */
static bool deliver_report(sim_engine *e, const sim_netmsg *m)
{
    int ds = e->cnmi[3];
    if (ds == 0 || e->cnmi[0] == 0) {
        e->stats.dropped++;
        return true;
    }
    if (ds == 1) {
        route_direct(e, m, "+CDS");
        e->stats.reports++;
        return true;
    }
    unsigned idx = sim_store_put(e, e->mem_sel[2], m->pdu, m->len, 0);
    if (!idx)
        return false;
    sim_urc(e, "+CDSI: \"%s\",%u", e->mem[e->mem_sel[2]].name, idx);
    e->stats.reports++;
    return true;
}

/* An SMS-DELIVER, routed by CNMI <mt>. Returns false when it must wait. */
static bool deliver_sms(sim_engine *e, const sim_netmsg *m)
{
    int mode = e->cnmi[0], mt = e->cnmi[1];
    if (mode != 0 && (mt == 2 || mt == 3)) {
        route_direct(e, m, "+CMT");
        e->stats.delivered++;
        return true;
    }
    unsigned idx = sim_store_put(e, e->mem_sel[2], m->pdu, m->len, 0);
    if (!idx)
        return false;
    if (mode != 0 && mt == 1)
        sim_urc(e, "+CMTI: \"%s\",%u", e->mem[e->mem_sel[2]].name, idx);
    e->stats.delivered++;
    return true;
}

/*
 * Hand waiting messages to the modem while it is registered and idle. When
 * the receiving storage is full the queue stops (order is kept) and, once
 * per full episode, the modem says +CIEV: "SMSFULL",1.
 */
void sim_sms_deliver(sim_engine *e)
{
    size_t done = 0;
    if (e->now < e->netq_hold)
        return; /* the network retries later */
    while (done < e->netq_len && sim_registered(e) && sim_is_idle(e) && !e->cnma_wait) {
        const sim_netmsg *m = &e->netq[done];
        bool ok = m->report ? deliver_report(e, m) : deliver_sms(e, m);
        if (!ok) {
            if (!e->full_shown)
                sim_urc(e, "+CIEV: \"SMSFULL\",1");
            e->full_shown = true;
            break;
        }
        done++;
    }
    if (done) {
        memmove(e->netq, e->netq + done, (e->netq_len - done) * sizeof *e->netq);
        e->netq_len -= done;
    }
}

/* Queue a PDU in the network for the modem. KZ_ERR_NOSPACE when the queue is full. */
kz_status sim_netq_push(sim_engine *e, const uint8_t *pdu, size_t len, bool report, kz_err *err)
{
    if (e->netq_len >= SIM_NETQ_MAX)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "network queue full (%d)",
                          SIM_NETQ_MAX);
    if (len > SMS_PDU_MAX)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "PDU too long");
    sim_netmsg *m = &e->netq[e->netq_len++];
    memcpy(m->pdu, pdu, len);
    m->len = len;
    m->report = report;
    if (!report)
        e->stats.injected++;
    return KZ_OK;
}
