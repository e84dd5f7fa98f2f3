/*
 * outbox.c - outbound SMS from the messages table to the modems (see outbox.h).
 * Owns: encoding into parts, the choice of sender, backoff, the in-flight
 * counts and the group commit: one transaction per pump encodes a batch of
 * messages, another records the sends confirmed since the last pump and marks
 * every part about to be handed 'sending'; only after that commit are the PDUs
 * handed to the modems. Never sends a part before its 'sending' state is
 * committed; never logs (serve.c logs what the calls return).
 */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"

#define OUTBOX_MAX_SENDERS 16
#define OUTBOX_BATCH 64       /* messages encoded / parts considered per pump */
#define OUTBOX_FIRST_PARTS 16 /* PDUs tried before asking pdu_encode_submit how many */
#define OUTBOX_SENT_MAX 256   /* confirmed sends kept before a pump commits them anyway */

/* A send the modem confirmed, not committed yet (outbox_flush). */
typedef struct sent_note {
    int64_t id;
    int mr;
    int64_t at;
} sent_note;

typedef struct sender {
    char name[32];
    void *dev;
    const outbox_sender_ops *ops;
    int daily_cap;
    char prefixes[200];
    int in_flight;
    int max_in_flight;    /* 0: the settings' (outbox_set_in_flight) */
    int64_t sent_today;   /* read at the start of each pump */
} sender;

struct outbox {
    kz_queue *q;
    outbox_settings set;
    sender senders[OUTBOX_MAX_SENDERS];
    size_t nsenders;
    size_t rr;            /* round-robin start among equals */
    sent_note *sent;      /* confirmed sends waiting for the next commit (owned) */
    size_t nsent, sent_cap;
    int64_t encoded_upto;  /* every outbound message up to this id has been encoded */
    int64_t next_full_scan; /* when to look below encoded_upto again (a reused id) */
};

/* A due part copied out of the query (sending writes, so it runs after the read). */
typedef struct due_part {
    int64_t id;
    int64_t message_id;
    char peer[SMS_ADDR_MAX];
    char pdu_hex[2 * SMS_PDU_MAX + 1];
    size_t tpdu_len;
    char pinned[32];
    char chosen[32];  /* the sender it was handed to in this pump */
    sender *to;       /* the sender chosen, until it is handed (or not) */
    bool marked;      /* committed 'sending' in this pump */
} due_part;

outbox *outbox_new(kz_queue *q, const outbox_settings *s)
{
    outbox *ob = calloc(1, sizeof *ob);
    if (!ob)
        return NULL;
    ob->q = q;
    ob->set = *s;
    return ob;
}

void outbox_free(outbox *ob)
{
    if (!ob)
        return;
    outbox_flush(ob, NULL); /* best effort: unflushed parts stay 'sending' (after-crash rule) */
    free(ob->sent);
    free(ob);
}

void outbox_configure(outbox *ob, const outbox_settings *s)
{
    ob->set = *s;
}

static sender *find_sender(outbox *ob, const char *name)
{
    for (size_t i = 0; i < ob->nsenders; i++)
        if (strcmp(ob->senders[i].name, name) == 0)
            return &ob->senders[i];
    return NULL;
}

kz_status outbox_attach(outbox *ob, const char *name, void *dev, const outbox_sender_ops *ops,
                        int daily_cap, const char *prefixes)
{
    if (find_sender(ob, name))
        return KZ_ERR_BUSY;
    if (ob->nsenders == OUTBOX_MAX_SENDERS)
        return KZ_ERR_NOSPACE;
    sender *s = &ob->senders[ob->nsenders++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->dev = dev;
    s->ops = ops;
    return outbox_update(ob, name, daily_cap, prefixes);
}

kz_status outbox_set_in_flight(outbox *ob, const char *name, int max_in_flight)
{
    sender *s = find_sender(ob, name);
    if (!s)
        return KZ_ERR_NOTFOUND;
    s->max_in_flight = max_in_flight > 0 ? max_in_flight : 0;
    return KZ_OK;
}

kz_status outbox_update(outbox *ob, const char *name, int daily_cap, const char *prefixes)
{
    sender *s = find_sender(ob, name);
    if (!s)
        return KZ_ERR_NOTFOUND;
    s->daily_cap = daily_cap;
    snprintf(s->prefixes, sizeof s->prefixes, "%s", prefixes ? prefixes : "");
    return KZ_OK;
}

kz_status outbox_detach(outbox *ob, const char *name, int64_t now, kz_err *err)
{
    sender *s = find_sender(ob, name);
    if (!s)
        return KZ_ERR_NOTFOUND;
    size_t i = (size_t)(s - ob->senders);
    memmove(&ob->senders[i], &ob->senders[i + 1], (ob->nsenders - i - 1) * sizeof *s);
    ob->nsenders--;
    /* Its confirmed sends first: recovery must see them 'sent', never 'sending'. */
    kz_status rc = outbox_flush(ob, err);
    if (rc != KZ_OK)
        return rc;
    return qstore_outbox_recover(ob->q, name, ob->set.resend_after_crash, now, NULL, err);
}

kz_status outbox_recover(outbox *ob, int64_t now, int64_t *n, kz_err *err)
{
    return qstore_outbox_recover(ob->q, NULL, ob->set.resend_after_crash, now, n, err);
}

/* ---- time ---- */

void outbox_local_day(int64_t now, int tz_offset_minutes, char out[11])
{
    time_t t = (time_t)(now + (int64_t)tz_offset_minutes * 60);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        snprintf(out, 11, "0000-00-00");
}

bool outbox_in_window(int64_t now, int tz_offset_minutes, int from_minute, int to_minute)
{
    int64_t local = now + (int64_t)tz_offset_minutes * 60;
    int minute = (int)(((local % 86400) + 86400) % 86400 / 60);
    if (from_minute <= to_minute)
        return minute >= from_minute && minute < to_minute;
    return minute >= from_minute || minute < to_minute;
}

int outbox_vp_octet(int seconds)
{
    int minutes = (seconds + 59) / 60;
    if (minutes <= 12 * 60)
        return minutes <= 5 ? 0 : (minutes + 4) / 5 - 1;
    if (minutes <= 24 * 60)
        return 143 + (minutes - 12 * 60 + 29) / 30;
    int days = (minutes + 1439) / 1440;
    if (days <= 30)
        return 166 + days;
    int weeks = (days + 6) / 7;
    return weeks + 192 > 255 ? 255 : weeks + 192;
}

/* 2^(attempts-1) * base, at most max. */
static int64_t backoff(const outbox_settings *s, int attempts)
{
    int64_t d = s->retry_base_s;
    for (int i = 1; i < attempts && d < s->retry_max_s; i++)
        d *= 2;
    return d > s->retry_max_s ? s->retry_max_s : d;
}

/* ---- encoding ---- */

typedef struct encode_ctx {
    outbox *ob;
    int64_t now;
    kz_status rc;
    kz_err *err;
    int64_t last_id; /* the largest message id taken in this batch */
} encode_ctx;

static kz_status encode_pdus(outbox *ob, const outbox_msg_row *m, sms_pdu **out, size_t *n,
                             kz_err *err)
{
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = m->peer;
    o.srr = ob->set.status_reports;
    o.vp_relative = ob->set.validity_s > 0 ? outbox_vp_octet(ob->set.validity_s) : -1;
    o.concat_ref = (uint16_t)(m->id & 0xFF);
    size_t cap = OUTBOX_FIRST_PARTS;
    for (int round = 0; round < 2; round++) {
        *out = calloc(cap, sizeof **out);
        if (!*out)
            return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        kz_status rc = pdu_encode_submit((const uint8_t *)m->body, strlen(m->body), &o, *out,
                                         cap, n, err);
        if (rc != KZ_ERR_NOSPACE || round == 1)
            return rc;
        free(*out);
        *out = NULL;
        cap = *n;
    }
    return KZ_ERR_NOSPACE;
}

/* Persist one message's parts, or fail the message if it cannot be encoded. */
static int encode_one(void *vctx, const outbox_msg_row *m)
{
    encode_ctx *c = vctx;
    if (m->id > c->last_id)
        c->last_id = m->id;
    sms_pdu *pdus = NULL;
    size_t n = 0;
    kz_err e;
    kz_err_clear(&e);
    kz_status rc = encode_pdus(c->ob, m, &pdus, &n, &e);
    if (rc == KZ_ERR_NOMEM) {
        free(pdus);
        c->rc = kz_err_set(c->err, rc, KZ_NO_OFFSET, "%s", e.msg);
        return 1;
    }
    if (rc != KZ_OK) {
        free(pdus);
        char why[240];
        snprintf(why, sizeof why, "cannot encode: %s", e.msg[0] ? e.msg : kz_strerror(rc));
        c->rc = qstore_outbox_fail_message(c->ob->q, m->id, why, c->now, c->err);
        return c->rc != KZ_OK;
    }
    outbox_part_in *parts = calloc(n, sizeof *parts);
    char *hex = calloc(n, 2 * SMS_PDU_MAX + 1);
    if (!parts || !hex) {
        c->rc = kz_err_set(c->err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            char *h = hex + i * (2 * SMS_PDU_MAX + 1);
            hex_encode(pdus[i].bytes, pdus[i].len, h, 2 * SMS_PDU_MAX + 1);
            parts[i] = (outbox_part_in){h, pdus[i].tpdu_len};
        }
        c->rc = qstore_outbox_add_parts(c->ob->q, m->id, parts, n, c->now, c->err);
    }
    free(parts);
    free(hex);
    free(pdus);
    return c->rc != KZ_OK;
}

/* ---- choosing a sender ---- */

static bool prefix_matches(const char *prefixes, const char *peer)
{
    const char *p = prefixes;
    while (*p) {
        size_t n = strcspn(p, ",");
        while (n && *p == ' ')
            p++, n--;
        size_t len = n;
        while (len && p[len - 1] == ' ')
            len--;
        if (len && strncmp(peer, p, len) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

/* The most parts s may have in flight: its own limit, else the settings'. */
static int in_flight_limit(const outbox *ob, const sender *s)
{
    return s->max_in_flight > 0 ? s->max_in_flight : ob->set.max_in_flight;
}

static bool has_room(const outbox *ob, const sender *s)
{
    int cap = s->daily_cap > 0 ? s->daily_cap : ob->set.daily_sms_cap;
    if (cap > 0 && s->sent_today >= cap)
        return false;
    return s->in_flight < in_flight_limit(ob, s) && s->ops->ready(s->dev);
}

/* Is a better than b for peer? Operator match, then fewest in flight, then fewest today. */
static bool better(const sender *a, const sender *b, const char *peer)
{
    if (!b)
        return true;
    bool ma = prefix_matches(a->prefixes, peer), mb = prefix_matches(b->prefixes, peer);
    if (ma != mb)
        return ma;
    if (a->in_flight != b->in_flight)
        return a->in_flight < b->in_flight;
    return a->sent_today < b->sent_today;
}

static sender *choose(outbox *ob, const due_part *p)
{
    sender *best = NULL;
    for (size_t k = 0; k < ob->nsenders; k++) {
        sender *s = &ob->senders[(ob->rr + k) % ob->nsenders];
        if (p->pinned[0] && strcmp(p->pinned, s->name) != 0)
            continue;
        if (has_room(ob, s) && better(s, best, p->peer))
            best = s;
    }
    if (best)
        ob->rr = (size_t)(best - ob->senders) + 1;
    return best;
}

/* ---- sending ---- */

typedef struct due_list {
    due_part parts[OUTBOX_BATCH];
    size_t n;
} due_list;

static int collect_due(void *ctx, const outbox_part_row *r)
{
    due_list *l = ctx;
    due_part *p = &l->parts[l->n++];
    memset(p, 0, sizeof *p);
    p->id = r->id;
    p->message_id = r->message_id;
    snprintf(p->peer, sizeof p->peer, "%s", r->peer);
    snprintf(p->pdu_hex, sizeof p->pdu_hex, "%s", r->pdu_hex);
    p->tpdu_len = r->tpdu_len;
    snprintf(p->pinned, sizeof p->pinned, "%s", r->pinned_modem);
    return l->n == OUTBOX_BATCH;
}

/*
 * The parts of one message must leave through one SIM (phones reassemble by
 * sender). The query pins parts whose siblings already went out; within one
 * pump, a part follows the sender an earlier sibling was just given.
 */
static void pin_to_sibling(due_list *l, size_t i)
{
    due_part *p = &l->parts[i];
    for (size_t k = 0; k < i && !p->pinned[0]; k++)
        if (l->parts[k].message_id == p->message_id && l->parts[k].chosen[0])
            snprintf(p->pinned, sizeof p->pinned, "%s", l->parts[k].chosen);
}

static kz_status refresh_counts(outbox *ob, const char *day, kz_err *err)
{
    for (size_t i = 0; i < ob->nsenders; i++) {
        kz_status rc = qstore_outbox_count_day(ob->q, ob->senders[i].name, day,
                                               &ob->senders[i].sent_today, err);
        if (rc != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

/*
 * The encoding of one batch, as one transaction. New messages are looked for
 * above the last id encoded (new rows get larger ids); once a minute the whole
 * queue is looked at again, in case an id was reused.
 */
static kz_status encode_tx(kz_queue *q, void *arg, kz_err *err)
{
    encode_ctx *ec = arg;
    outbox *ob = ec->ob;
    int64_t after = ob->encoded_upto;
    if (ec->now >= ob->next_full_scan)
        after = 0;
    kz_status rc = qstore_outbox_unencoded_each(q, after, OUTBOX_BATCH, encode_one, ec, err);
    if (ec->rc != KZ_OK)
        return ec->rc;
    return rc == KZ_ERR_IO ? KZ_OK : rc;
}

/*
 * After the batch committed: how far the queue is known to be encoded (a full
 * look takes the oldest unencoded first, so it never leaves a gap below).
 */
static void encoded(outbox *ob, const encode_ctx *ec)
{
    if (ec->now >= ob->next_full_scan)
        ob->next_full_scan = ec->now + 60;
    if (ec->last_id > ob->encoded_upto)
        ob->encoded_upto = ec->last_id;
}

/* The confirmed sends, recorded 'sent' (inside the caller's transaction). */
static kz_status sent_tx(kz_queue *q, void *arg, kz_err *err)
{
    outbox *ob = arg;
    for (size_t i = 0; i < ob->nsent; i++) {
        const sent_note *n = &ob->sent[i];
        kz_status rc = qstore_outbox_result(q, n->id, OUTBOX_SENT, n->mr, NULL, 0, n->at, err);
        if (rc != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

kz_status outbox_flush(outbox *ob, kz_err *err)
{
    if (ob->nsent == 0)
        return KZ_OK;
    kz_status rc = qstore_outbox_batch(ob->q, sent_tx, ob, err);
    if (rc == KZ_OK)
        ob->nsent = 0;
    return rc;
}

typedef struct mark_ctx {
    outbox *ob;
    due_list *l;
    const char *day;
    int64_t now;
} mark_ctx;

/* A chosen part that will not be handed in this pump gives its room back. */
static void unchoose(due_part *p)
{
    if (!p->to)
        return;
    p->to->in_flight--;
    p->to->sent_today--;
    p->to = NULL;
    p->chosen[0] = '\0';
}

/*
 * One transaction: the confirmed sends, then each chosen part 'sending' (a
 * PDU that is not hex fails its part instead). Nothing is handed before it
 * commits; when it does not, every part stays queued.
 */
static kz_status mark_tx(kz_queue *q, void *arg, kz_err *err)
{
    mark_ctx *c = arg;
    kz_status rc = sent_tx(q, c->ob, err);
    for (size_t i = 0; rc == KZ_OK && i < c->l->n; i++) {
        due_part *p = &c->l->parts[i];
        p->marked = false;
        if (!p->to)
            continue;
        uint8_t bytes[SMS_PDU_MAX];
        size_t len = 0;
        if (hex_decode(p->pdu_hex, strlen(p->pdu_hex), bytes, sizeof bytes, &len, NULL) !=
            KZ_OK) {
            rc = qstore_outbox_result(q, p->id, OUTBOX_FAILED, -1, "stored PDU is not hex", 0,
                                      c->now, err);
            continue;
        }
        /* The state first: a crash after the commit leaves 'sending', never a silent resend. */
        rc = qstore_outbox_sending(q, p->id, p->to->name, c->day, c->now, err);
        if (rc == KZ_ERR_STATE) {
            rc = KZ_OK; /* someone else settled it meanwhile */
            continue;
        }
        p->marked = rc == KZ_OK;
    }
    return rc;
}

/* Hand one committed part to its sender; a refusal puts it back in the queue. */
static kz_status hand(outbox *ob, due_part *p, const char *day, int64_t now, kz_err *err)
{
    sms_pdu pdu = {.len = 0};
    kz_status rc = hex_decode(p->pdu_hex, strlen(p->pdu_hex), pdu.bytes, sizeof pdu.bytes,
                              &pdu.len, err);
    pdu.tpdu_len = p->tpdu_len;
    if (rc == KZ_OK && p->to->ops->send(p->to->dev, (uint64_t)p->id, &pdu) == KZ_OK)
        return KZ_OK;
    unchoose(p);
    return qstore_outbox_unsend(ob->q, p->id, day, now, err);
}

/*
 * Is a pump worth a commit now? When some ready sender is down to half its
 * in-flight limit (so one commit tops up several parts, and the modem still
 * has work while it commits), or when confirmed sends have waited a second.
 */
static bool pump_due(const outbox *ob, int64_t now)
{
    if (ob->nsent >= OUTBOX_SENT_MAX || (ob->nsent && now > ob->sent[0].at))
        return true;
    for (size_t i = 0; i < ob->nsenders; i++) {
        const sender *s = &ob->senders[i];
        if (s->in_flight <= in_flight_limit(ob, s) / 2 && s->ops->ready(s->dev))
            return true;
    }
    return false;
}

kz_status outbox_pump(outbox *ob, int64_t now, int *handed, kz_err *err)
{
    if (handed)
        *handed = 0;
    if (ob->nsenders && !pump_due(ob, now))
        return KZ_OK;
    encode_ctx ec = {ob, now, KZ_OK, err, 0};
    kz_status rc = qstore_outbox_batch(ob->q, encode_tx, &ec, err);
    if (rc != KZ_OK)
        return rc;
    encoded(ob, &ec);
    if (ob->nsenders == 0)
        return outbox_flush(ob, err);
    char day[11];
    outbox_local_day(now, ob->set.tz_offset_minutes, day);
    if ((rc = refresh_counts(ob, day, err)) != KZ_OK)
        return rc;
    bool window = outbox_in_window(now, ob->set.tz_offset_minutes, ob->set.push_from_minute,
                                   ob->set.push_to_minute);
    /* Not zeroed as a whole: collect_due clears each entry it fills, so an
     * idle pump touches one page of the list, not all of its 33 KiB. */
    due_list *l = malloc(sizeof *l);
    if (!l)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    l->n = 0;
    rc = qstore_outbox_due_each(ob->q, now, window, OUTBOX_BATCH, collect_due, l, err);
    /* Choose for every part first: the counts taken here spread the batch. */
    for (size_t i = 0; rc == KZ_OK && i < l->n; i++) {
        due_part *p = &l->parts[i];
        pin_to_sibling(l, i);
        sender *s = choose(ob, p);
        if (!s)
            continue; /* no room now: it stays queued */
        p->to = s;
        s->in_flight++;
        s->sent_today++;
        snprintf(p->chosen, sizeof p->chosen, "%s", s->name);
    }
    bool any = ob->nsent > 0;
    for (size_t i = 0; i < l->n && !any; i++)
        any = l->parts[i].to != NULL;
    if (rc == KZ_OK && any) {
        mark_ctx mc = {ob, l, day, now};
        rc = qstore_outbox_commit(ob->q, mark_tx, &mc, err);
        if (rc == KZ_OK)
            ob->nsent = 0;
    }
    for (size_t i = 0; i < l->n; i++) {
        due_part *p = &l->parts[i];
        if (rc != KZ_OK || !p->marked) {
            unchoose(p);
            continue;
        }
        kz_status hr = hand(ob, p, day, now, err);
        if (p->to && handed)
            (*handed)++;
        if (hr != KZ_OK && rc == KZ_OK)
            rc = hr;
    }
    free(l);
    return rc;
}

/* ---- outcomes ---- */

/*
 * A confirmed send is kept in memory and committed with the next pump (the
 * loop pumps in the same turn) or outbox_flush. Until then the part is
 * 'sending' on disk: a crash meanwhile makes it 'unknown' (or, with
 * resend_after_crash, queued), as a crash before the modem answered would.
 */
static kz_status note_sent(outbox *ob, int64_t id, int mr, int64_t now, kz_err *err)
{
    if (ob->nsent == ob->sent_cap) {
        size_t cap = ob->sent_cap ? 2 * ob->sent_cap : 64;
        sent_note *p = realloc(ob->sent, cap * sizeof *p);
        if (!p) /* no room to wait: commit it alone */
            return qstore_outbox_result(ob->q, id, OUTBOX_SENT, mr, NULL, 0, now, err);
        ob->sent = p;
        ob->sent_cap = cap;
    }
    ob->sent[ob->nsent++] = (sent_note){id, mr, now};
    return KZ_OK;
}

kz_status outbox_on_sent(outbox *ob, const char *name, uint64_t send_id, kz_status st, int mr,
                         int cms_error, bool retryable, int64_t now, kz_err *err)
{
    sender *s = find_sender(ob, name);
    if (s && s->in_flight > 0)
        s->in_flight--;
    int64_t id = (int64_t)send_id;
    if (st == KZ_OK)
        return note_sent(ob, id, mr, now, err);
    /* KZ_ERR_STATE: the PDU went out, then the modem restarted or closed
     * before it answered. As after a crash: unless resend_after_crash, the
     * part stays 'sending' and becomes 'unknown' (housekeeping, a detach or
     * the next start's recovery), never sent again. */
    if (st == KZ_ERR_STATE && !ob->set.resend_after_crash)
        return KZ_OK;
    char why[120];
    if (cms_error >= 0)
        snprintf(why, sizeof why, "+CMS ERROR: %d via %s", cms_error, name);
    else
        snprintf(why, sizeof why, "%s via %s", kz_strerror(st), name);
    /* This try is already counted in the part's attempts (qstore_outbox_sending). */
    int attempts = 0;
    kz_status rc = qstore_outbox_attempts(ob->q, id, &attempts, err);
    if (rc != KZ_OK)
        return rc;
    if (!retryable || attempts >= ob->set.max_attempts) {
        char final[200];
        snprintf(final, sizeof final, "%s (attempt %d, %s)", why, attempts,
                 retryable ? "no attempts left" : "permanent");
        return qstore_outbox_result(ob->q, id, OUTBOX_FAILED, -1, final, 0, now, err);
    }
    int64_t at = now + backoff(&ob->set, attempts);
    return qstore_outbox_result(ob->q, id, OUTBOX_RETRY, -1, why, at, now, err);
}

typedef struct report_ctx {
    outbox *ob;
    const char *name;
    const sms_message *report;
    outbox_report r;
    const char *why;
    int64_t now;
    uint64_t send_id;
    char why_buf[120];
} report_ctx;

/* What a report says; false when the SMS centre is still trying (nothing changes). */
static bool report_meaning(report_ctx *c)
{
    sms_st_class cls = sms_st_classify(c->report->status);
    if (cls == SMS_ST_TEMPORARY)
        return false;
    c->r = cls == SMS_ST_COMPLETED ? OUTBOX_DELIVERED : OUTBOX_UNDELIVERABLE;
    snprintf(c->why_buf, sizeof c->why_buf, "not delivered: %s",
             sms_st_meaning(c->report->status));
    c->why = c->r == OUTBOX_DELIVERED ? NULL : c->why_buf;
    return true;
}

/* The report alone (idempotent: a part already delivered or failed stays as it is). */
static kz_status report_only_tx(kz_queue *q, report_ctx *c, kz_err *err)
{
    bool matched = false;
    return qstore_outbox_report(q, (int64_t)c->send_id, c->name, c->report->mr,
                                c->report->address.text, c->r, c->why, c->now, &matched, err);
}

/* The sends confirmed so far (a report matches 'sent' parts only), then the report. */
static kz_status report_tx(kz_queue *q, void *arg, kz_err *err)
{
    report_ctx *c = arg;
    kz_status rc = sent_tx(q, c->ob, err);
    if (rc != KZ_OK)
        return rc;
    return report_only_tx(q, c, err);
}

kz_status outbox_on_report(outbox *ob, const char *name, uint64_t send_id,
                           const sms_message *report, int64_t now, kz_err *err)
{
    report_ctx c = {.ob = ob, .name = name, .report = report, .now = now, .send_id = send_id};
    if (!report_meaning(&c))
        return KZ_OK;
    kz_status rc = qstore_outbox_commit(ob->q, report_tx, &c, err); /* before the SIM delete */
    if (rc == KZ_OK)
        ob->nsent = 0;
    return rc;
}

kz_status outbox_reports_begin(outbox *ob, kz_err *err)
{
    return sent_tx(ob->q, ob, err);
}

kz_status outbox_report_in_tx(outbox *ob, const char *name, uint64_t send_id,
                              const sms_message *report, int64_t now, kz_err *err)
{
    report_ctx c = {.ob = ob, .name = name, .report = report, .now = now, .send_id = send_id};
    if (!report_meaning(&c))
        return KZ_OK;
    kz_status rc = qstore_inbox_savepoint(ob->q, QSTORE_SP_OPEN, err);
    if (rc != KZ_OK)
        return rc;
    rc = report_only_tx(ob->q, &c, err);
    kz_err undo_err;
    kz_err_clear(&undo_err);
    kz_status sp = qstore_inbox_savepoint(ob->q, rc == KZ_OK ? QSTORE_SP_KEEP : QSTORE_SP_UNDO,
                                          rc == KZ_OK ? err : &undo_err);
    return rc != KZ_OK ? rc : sp;
}

void outbox_reports_committed(outbox *ob)
{
    ob->nsent = 0;
}

kz_status outbox_housekeeping(outbox *ob, int64_t now, kz_err *err)
{
    kz_status rc = outbox_flush(ob, err);
    if (rc != KZ_OK)
        return rc;
    return qstore_outbox_expire_sending(ob->q, now - ob->set.sending_timeout_s, now, NULL, err);
}

int outbox_in_flight(const outbox *ob)
{
    int n = 0;
    for (size_t i = 0; i < ob->nsenders; i++)
        n += ob->senders[i].in_flight;
    return n;
}
