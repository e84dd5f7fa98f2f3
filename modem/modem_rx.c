/*
 * modem_rx.c - the receiving side: unsolicited result codes (after the
 * channel has held them past any command), reading a message on +CMTI or
 * +CDSI (AT+CMGR for one, one AT+CMGL=0 listing for a burst), full AT+CMGL=4
 * sweeps, +CMT/+CDS routed directly, and deleting a message only after the
 * receiver's callback returned KZ_OK - or, while deletes are held for the
 * receiver's group commit, only after modem_release_held (a +CDS report's
 * AT+CNMA likewise); deletes go out several to a command line.
 * Owns the table of committed-but-not-yet-deleted messages, keyed by SIM
 * index and a hash of the PDU, so a committed message is never handed over
 * twice and a delete is never aimed at a different message that reused its
 * index. Never deletes a message the receiver has not committed, never
 * deletes an undecodable one, never handles a URC inside a command's wait.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "at_scan.h"
#include "hex.h"
#include "modem_internal.h"
#include "modem_kannel_internal.h"

/* FNV-1a over the PDU. */
static uint32_t pdu_hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* ---- committed, awaiting delete ---- */

static pending_del *del_find(modem *m, int index)
{
    for (size_t i = 0; i < MODEM_DEL_MAX; i++)
        if (m->dels[i].used && m->dels[i].index == index)
            return &m->dels[i];
    return NULL;
}

static pending_del *del_add(modem *m, int index, uint32_t hash)
{
    for (size_t i = 0; i < MODEM_DEL_MAX; i++) {
        pending_del *d = &m->dels[i];
        if (!d->used) {
            *d = (pending_del){.used = true, .index = index, .hash = hash};
            return d;
        }
    }
    return NULL;
}

static bool del_room(const modem *m)
{
    for (size_t i = 0; i < MODEM_DEL_MAX; i++)
        if (!m->dels[i].used)
            return true;
    return false;
}

static void cmgd_done(modem *m, modem_job *j, const at_reply *r)
{
    size_t n = 0;
    int first = -1;
    for (size_t i = 0; i < MODEM_DEL_MAX; i++) {
        pending_del *d = &m->dels[i];
        if (!d->used || !d->inflight || d->batch != (unsigned)j->arg)
            continue;
        d->inflight = false;
        first = n++ ? first : d->index;
        if (r->st == KZ_OK) {
            d->used = false;
            if (m->st.storage_used > 0)
                m->st.storage_used--;
        }
    }
    if (r->st == KZ_OK || n == 0)
        return;
    if (r->st == KZ_ERR_TIMEOUT || n > 1)
        modem_sweep_soon(m); /* which were deleted? the listing says (never delete blindly) */
    if (n > 1 && !modem_reply_aborted(r) && r->st != KZ_ERR_TIMEOUT)
        m->cmgd_one_per_line = true; /* it may not take several commands on one line */
    if (!modem_reply_aborted(r) && r->st != KZ_ERR_TIMEOUT) {
        char t[96];
        modem_reply_text(r, t, sizeof t);
        modem_event(m, 1, "AT+CMGD=%d%s: %s (the next sweep checks the message%s and retries)",
                    first, n > 1 ? " and others on the line" : "", t, n > 1 ? "s" : "");
    }
}

/*
 * One AT+CMGD line for ds[0..n): "AT+CMGD=4;+CMGD=5;..." (V.250 lets
 * extended commands share a line; one final result for all). JOB_PROBE,
 * never repeated: if the first AT+CMGD worked and only its OK was lost, the
 * network may have put a new message in the freed slot meanwhile, and a
 * second AT+CMGD would delete it uncommitted.
 */
static void submit_deletes(modem *m, pending_del *const *ds, size_t n)
{
    char cmd[AT_CMD_MAX + 1];
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof cmd; i++)
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, i ? ";+CMGD=%d" : "AT+CMGD=%d",
                              ds[i]->index);
    unsigned batch = ++m->del_batch;
    if (!modem_job_submit(m, cmd, NULL, JOB_PROBE, modem_cmd_timeout(m), cmgd_done,
                          (long)batch, false))
        return;
    for (size_t i = 0; i < n; i++) {
        ds[i]->inflight = true;
        ds[i]->batch = batch;
    }
}

static void queue_delete(modem *m, pending_del *d)
{
    submit_deletes(m, &d, 1);
}

/* ---- handing a message to the receiver ---- */

static kz_status hand_over(modem *m, const sms_message *msg, const uint8_t *pdu, size_t n)
{
    if (msg->type == SMS_DELIVER) {
        if (!m->cb.on_sms)
            return KZ_ERR_STATE;
        kz_status st = m->cb.on_sms(m->cb.ctx, m, msg, pdu, n);
        if (st == KZ_OK)
            m->st.received++;
        return st;
    }
    if (msg->type == SMS_STATUS_REPORT) {
        if (!m->cb.on_status_report)
            return KZ_ERR_STATE;
        uint64_t id = modem_tx_match(m, msg->mr, msg->address.text);
        return m->cb.on_status_report(m->cb.ctx, m, id, msg);
    }
    return KZ_ERR_UNSUPPORTED; /* an SMS-SUBMIT stored on the SIM: not ours to take */
}

/*
 * Decode hex (stated TPDU length len, -1 unknown) into pdu; false (and a
 * report naming where) when it is not a well-formed PDU.
 */
static bool decode_hex(modem *m, const char *where, const char *hex, size_t hexlen, int len,
                       uint8_t *pdu, size_t *n, sms_message *msg)
{
    kz_err err;
    kz_err_clear(&err);
    if (hex_decode(hex, hexlen, pdu, SMS_PDU_MAX, n, &err) != KZ_OK || *n < 2) {
        modem_event(m, 1, "%s: the PDU is not hex (%s)", where, err.msg);
        return false;
    }
    if (len >= 0 && (size_t)pdu[0] + 1 + (size_t)len != *n) {
        modem_event(m, 1, "%s: PDU length %zu does not match the stated %d", where, *n, len);
        return false;
    }
    if (pdu_decode(pdu, *n, true, msg, &err) != KZ_OK) {
        modem_event(m, 1, "%s: undecodable PDU (%s)", where, err.msg);
        return false;
    }
    return true;
}

/* The receiver could not take a message: look for it again in MODEM_RETRY_SWEEP_MS. */
static void sweep_again_soon(modem *m)
{
    int64_t at = m->now + MODEM_RETRY_SWEEP_MS;
    if (!m->cfg.probe_only && at < m->next_sweep)
        m->next_sweep = at;
}

/* A message read from storage at index (AT+CMGR or AT+CMGL). */
static void stored_message(modem *m, int index, int len, const char *hex, size_t hexlen)
{
    uint8_t pdu[SMS_PDU_MAX];
    size_t n = 0;
    sms_message msg;
    char where[48];
    snprintf(where, sizeof where, "message %d in %s", index, m->st.storage);
    kz_err err;
    if (hex_decode(hex, hexlen, pdu, sizeof pdu, &n, &err) != KZ_OK) {
        modem_event(m, 1, "%s: the PDU is not hex; left on the SIM", where);
        return;
    }
    uint32_t h = pdu_hash(pdu, n);
    pending_del *d = del_find(m, index);
    if (d && d->hash == h) {
        if (!d->inflight && !d->held)
            queue_delete(m, d); /* committed before: only the delete is missing */
        return;
    }
    if (d && (d->inflight || d->held))
        return; /* decide after the delete's answer (or the receiver's commit) */
    if (d)
        d->used = false; /* that one is gone; this is a new message at the same index */
    if (!decode_hex(m, where, hex, hexlen, len, pdu, &n, &msg)) {
        modem_event(m, 1, "%s left on the SIM", where);
        return;
    }
    if (!del_room(m))
        return; /* too many deletes outstanding: the next sweep takes it */
    bool hold = m->hold_deletes &&
                (msg.type == SMS_DELIVER || msg.type == SMS_STATUS_REPORT);
    m->handing_held = hold;
    kz_status st = hand_over(m, &msg, pdu, n);
    m->handing_held = false;
    if (st == KZ_OK) {
        pending_del *nd = del_add(m, index, h);
        if (nd && hold)
            nd->held = true; /* deleted by modem_release_held, after the receiver's commit */
        else if (nd)
            queue_delete(m, nd);
    } else if (st != KZ_ERR_UNSUPPORTED) {
        modem_event(m, 2, "%s not committed by the receiver (%s): left for the next sweep",
                    where, kz_strerror(st));
        sweep_again_soon(m);
    }
}

/* ---- AT+CMGR, and AT+CMGL=0 when messages come faster than one read ---- */

static void read_more(modem *m);

static void cmgr_done(modem *m, modem_job *j, const at_reply *r)
{
    m->read_pending = false;
    read_more(m);
    if (r->st != KZ_OK)
        return; /* the next sweep finds it */
    for (size_t i = 0; i < r->nlines; i++) {
        at_msg_header h;
        if (at_scan_cmgr(r->line[i], r->len[i], &h) != KZ_OK)
            continue;
        if (h.pdu)
            stored_message(m, (int)j->arg, h.length, h.pdu, h.pdu_len);
        else if (i + 1 < r->nlines)
            stored_message(m, (int)j->arg, h.length, r->line[i + 1], r->len[i + 1]);
        return;
    }
}

/* A read is queued and its answer is not overdue (a lost one frees the slot). */
static bool reading(const modem *m)
{
    return m->read_pending && m->now - m->read_since < modem_long_timeout(m);
}

/*
 * A +CMTI for index: noted, and read by modem_rx_reads once the URCs that
 * came with it are handled. While a read is queued, one AT+CMGL=0 (the unread
 * messages: this one and any that follow meanwhile) goes after it: one round
 * trip for a burst.
 */
static void read_index(modem *m, int index)
{
    if (reading(m)) {
        m->unread_more = true;
        return;
    }
    m->cmti_index = index;
    m->cmti_count++;
}

static void cmgl_unread_done(modem *m, modem_job *j, const at_reply *r);

static void read_one(modem *m, int index)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "AT+CMGR=%d", index);
    if (modem_job_submit(m, cmd, NULL, JOB_RETRY, modem_cmd_timeout(m), cmgr_done, index,
                         false)) {
        m->read_pending = true;
        m->read_since = m->now;
    }
}

/* Queued before the answer in hand is handled, so the next read overlaps with our work. */
static void read_more(modem *m)
{
    if (!m->unread_more || reading(m))
        return;
    m->unread_more = false;
    if (modem_job_submit(m, "AT+CMGL=0", NULL, JOB_RETRY, modem_long_timeout(m),
                         cmgl_unread_done, 0, false)) {
        m->read_pending = true;
        m->read_since = m->now;
    }
}

/* Each listed message (a listing's header line, with the PDU on it or on the next line). */
static void listed_messages(modem *m, const at_reply *r, int *listed, size_t *nlisted)
{
    for (size_t i = 0; i < r->nlines; i++) {
        at_msg_header h;
        if (at_scan_cmgl(r->line[i], r->len[i], &h) != KZ_OK)
            continue;
        if (listed && *nlisted < MODEM_DEL_MAX)
            listed[(*nlisted)++] = h.index;
        if (h.pdu) {
            stored_message(m, h.index, h.length, h.pdu, h.pdu_len);
        } else if (i + 1 < r->nlines) {
            stored_message(m, h.index, h.length, r->line[i + 1], r->len[i + 1]);
            i++;
        }
    }
}

void modem_rx_reads(modem *m)
{
    int n = m->cmti_count;
    m->cmti_count = 0;
    if (n == 0)
        return;
    if (n == 1 && !reading(m)) {
        read_one(m, m->cmti_index); /* a message alone: read just it */
        return;
    }
    m->unread_more = true; /* several at once (or a read started meanwhile): one listing */
    read_more(m);
}

static void cmgl_unread_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    m->read_pending = false;
    read_more(m);
    if (r->st == KZ_OK)
        listed_messages(m, r, NULL, NULL);
}

/* ---- AT+CMGL=4 sweeps ---- */

static bool index_listed(const int *listed, size_t n, int index)
{
    for (size_t i = 0; i < n; i++)
        if (listed[i] == index)
            return true;
    return false;
}

/* Committed entries whose message is no longer stored were deleted after all. */
static void prune_deleted(modem *m, const int *listed, size_t n)
{
    for (size_t i = 0; i < MODEM_DEL_MAX; i++) {
        pending_del *d = &m->dels[i];
        if (d->used && !d->inflight && !d->held && !index_listed(listed, n, d->index))
            d->used = false;
    }
}

static void cmgl_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    m->sweep_inflight = false;
    if (r->st != KZ_OK)
        return;
    int listed[MODEM_DEL_MAX];
    size_t nlisted = 0;
    listed_messages(m, r, listed, &nlisted);
    if (nlisted < MODEM_DEL_MAX)
        prune_deleted(m, listed, nlisted);
    m->st.sweeps++;
}

void modem_sweep_start(modem *m)
{
    m->next_sweep = m->cfg.probe_only ? MODEM_NEVER : m->now + m->cfg.sweep_interval_ms;
    if (m->sweep_inflight || m->cfg.probe_only)
        return;
    if (modem_job_submit(m, "AT+CMGL=4", NULL, JOB_RETRY, modem_long_timeout(m), cmgl_done, 0,
                         false))
        m->sweep_inflight = true;
}

void modem_sweep_soon(modem *m)
{
    if (m->now - m->last_full_sweep < modem_cmd_timeout(m)) {
        sweep_again_soon(m); /* one just ran: once more a little later, not in 5 minutes */
        return;
    }
    m->last_full_sweep = m->now;
    m->next_sweep = m->now;
}

void modem_sweep_if_full(modem *m)
{
    if (m->st.storage_total > 0 && m->st.storage_used >= m->st.storage_total)
        modem_sweep_soon(m);
}

/* ---- +CMT / +CDS routed directly ---- */

/*
 * Phase 2+: the network keeps a +CMT/+CDS until we acknowledge it (TS 27.005
 * 3.4.4); AT+CNMA=2 refuses it, so it comes again later. Never repeated
 * blindly: a second AT+CNMA could acknowledge the next message unread.
 */
static void cnma(modem *m, bool committed)
{
    modem_job_submit(m, committed ? "AT+CNMA" : "AT+CNMA=2", NULL, JOB_PROBE,
                     modem_cmd_timeout(m), NULL, 0, true);
}

static void direct_message(modem *m, const at_urc_msg *u)
{
    at_msg_header h;
    uint8_t pdu[SMS_PDU_MAX];
    size_t n = 0;
    sms_message msg;
    const char *what = u->urc == AT_URC_CMT ? "+CMT" : "+CDS";
    if (at_scan_cmt(u->line, u->len, &h) != KZ_OK || !u->body ||
        !decode_hex(m, what, u->body, u->body_len, h.length, pdu, &n, &msg)) {
        modem_event(m, 0, "%s: unreadable message routed directly: lost", what);
        return;
    }
    /* A +CDS report joins the receiver's group commit: its AT+CNMA (service 1)
     * waits for modem_release_held, and the network offers no other +CMT/+CDS
     * until then. Without AT+CNMA it is no less safe than a commit first: a
     * crash before the commit loses it either way. A +CMT commits first. */
    bool hold = m->hold_deletes && msg.type == SMS_STATUS_REPORT;
    m->handing_held = hold;
    kz_status st = hand_over(m, &msg, pdu, n);
    m->handing_held = false;
    if (st == KZ_OK && hold) {
        m->cds_held++;
        return;
    }
    if (m->csms_service == 1) {
        cnma(m, st == KZ_OK);
        return;
    }
    if (st != KZ_OK)
        modem_event(m, 0, "%s: routed directly and not committed (%s): lost", what,
                    kz_strerror(st));
}

/* ---- URCs ---- */

static void on_cmti(modem *m, const at_urc_msg *u)
{
    at_mem_index mi;
    if (at_scan_cmti(u->line, u->len, &mi) != KZ_OK) {
        modem_sweep_soon(m);
        return;
    }
    if (m->st.storage[0] && strcmp(mi.mem, m->st.storage) != 0)
        modem_event(m, 1, "new message in \"%s\", not in \"%s\"", mi.mem, m->st.storage);
    read_index(m, mi.index);
}

static void on_creg(modem *m, const at_urc_msg *u)
{
    at_creg c;
    if (at_scan_creg(u->line, u->len, false, &c) != KZ_OK)
        return;
    m->st.reg_stat = c.stat;
    m->next_poll = m->now; /* confirm, and update operator and signal */
}

/*
 * An indicator event. Named indicators are what modems send unasked (SIMCom:
 * +CIEV: "SMSFULL",1; TS 27.007 8.9 names the indicator "smsfull": 1 memory
 * full, 2 full and a message was rejected): storage full means sweep now, as
 * the network holds everything else back until a slot is free. Numbered
 * indicators (+CIEV: 7,1) only come after AT+CMER, which we never send, and
 * their numbers mean nothing without AT+CIND=?: ignored.
 */
static void on_ciev(modem *m, const at_urc_msg *u)
{
    char name[24];
    int value = 0;
    if (at_scan(u->line, u->len, NULL, "+CIEV: %s,%i", name, sizeof name, &value) != KZ_OK)
        return;
    if (strcasecmp(name, "SMSFULL") == 0 && value >= 1) {
        modem_event(m, 2, "the modem says its message storage is full: sweeping");
        modem_sweep_soon(m);
    }
}

static bool ready_for_messages(const modem *m)
{
    return m->port && !m->cfg.probe_only &&
           (m->st.state == MODEM_READY || m->st.state == MODEM_SEARCHING);
}

void modem_rx_urc(modem *m, const at_urc_msg *u)
{
    if (!m->port)
        return;
    if (u->kind == AT_EV_STRAY_LINE)
        return;
    switch (u->urc) {
    case AT_URC_CMTI:
    case AT_URC_CDSI:
        if (ready_for_messages(m))
            on_cmti(m, u);
        break;
    case AT_URC_CMT:
    case AT_URC_CDS:
        if (!m->cfg.probe_only)
            direct_message(m, u);
        break;
    case AT_URC_CUSD:
        modem_ussd_urc(m, u->line, u->len);
        break;
    case AT_URC_CREG:
        on_creg(m, u);
        break;
    case AT_URC_CIEV:
        if (ready_for_messages(m))
            on_ciev(m, u);
        break;
    case AT_URC_BOOT:
        modem_boot_seen(m, u->line);
        break;
    case AT_URC_POWER_DOWN:
        modem_power_down_seen(m, u->line);
        break;
    default:
        break;
    }
}

/* ---- group commit: deletes held until the receiver's commit ---- */

bool modem_hold_deletes(modem *m, bool on)
{
    if (m->cfg.driver == MODEM_DRIVER_GAMMU)
        return false;
    m->hold_deletes = on;
    return true;
}

bool modem_sms_held(const modem *m)
{
    return m->handing_held;
}

void modem_release_held(modem *m)
{
    if (m->kn) {
        modem_kannel_release(m, true); /* committed: their HTTP requests get their 200 */
        return;
    }
    if (m->cds_held && m->csms_service == 1 && m->port)
        cnma(m, true);
    m->cds_held = 0;
    pending_del *line[MODEM_DEL_PER_LINE];
    size_t n = 0, per_line = m->cmgd_one_per_line ? 1 : MODEM_DEL_PER_LINE;
    for (size_t i = 0; i < MODEM_DEL_MAX; i++) {
        pending_del *d = &m->dels[i];
        if (!d->used || !d->held)
            continue;
        d->held = false;
        if (!m->port)
            continue; /* still listed after a reopen: the sweep deletes it (hash matches) */
        line[n++] = d;
        if (n == per_line) {
            submit_deletes(m, line, n);
            n = 0;
        }
    }
    if (n)
        submit_deletes(m, line, n);
}

void modem_forget_held(modem *m)
{
    if (m->kn) {
        modem_kannel_release(m, false); /* not committed: Kannel sends them again */
        return;
    }
    if (m->cds_held && m->csms_service == 1 && m->port)
        cnma(m, false); /* the network offers it again */
    else if (m->cds_held)
        modem_event(m, 0, "%d +CDS report(s) routed directly and not committed: lost",
                    m->cds_held);
    m->cds_held = 0;
    bool any = false;
    for (size_t i = 0; i < MODEM_DEL_MAX; i++) {
        pending_del *d = &m->dels[i];
        if (d->used && d->held) {
            d->used = d->held = false;
            any = true;
        }
    }
    if (any)
        modem_sweep_soon(m); /* they were read: only a full listing shows them again */
}
