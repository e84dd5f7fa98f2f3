/*
 * inbox.c - inbound SMS parts to whole messages, through the database (see
 * inbox.h). Owns the dedupe keys:
 *   part:    "MODEM|SENDER|SCTS|FNV-1a-64 of the PDU"  (the same PDU read twice)
 *   set:     the part key for a single SMS, "MODEM|SENDER|BITS|REF|TOTAL" for a multipart
 *   message: "sms:" + the part keys of seq 1..n joined by '+'
 * Never logs, never deletes anything from a SIM (the driver does, after KZ_OK).
 */
#include "inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concat.h"
#include "hex.h"
#include "store.h"

#define INBOX_BATCH 128 /* sets read per query */
#define INBOX_ROUNDS 8  /* queries per call: a bound, the rest waits for the next turn */

struct inbox {
    kz_queue *q;
    int timeout_s;
    inbox_deliver_fn deliver;
    void *ctx;
};

inbox *inbox_new(kz_queue *q, int concat_timeout_s, inbox_deliver_fn deliver, void *ctx)
{
    inbox *ib = calloc(1, sizeof *ib);
    if (!ib)
        return NULL;
    *ib = (inbox){q, concat_timeout_s, deliver, ctx};
    return ib;
}

void inbox_free(inbox *ib)
{
    free(ib);
}

void inbox_configure(inbox *ib, int concat_timeout_s)
{
    ib->timeout_s = concat_timeout_s;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

kz_status inbox_on_sms(inbox *ib, const char *modem, const sms_message *msg, const uint8_t *pdu,
                       size_t pdu_len, int64_t now, bool *ready, kz_err *err)
{
    *ready = false;
    char scts[32], hexbuf[2 * SMS_PDU_MAX + 1], key[256], set[256];
    if (sms_time_format(&msg->scts, scts, sizeof scts) != KZ_OK)
        snprintf(scts, sizeof scts, "?");
    if (pdu_len > SMS_PDU_MAX || hex_encode(pdu, pdu_len, hexbuf, sizeof hexbuf) != KZ_OK)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "PDU of %zu bytes", pdu_len);
    snprintf(key, sizeof key, "%s|%s|%s|%016llx", modem, msg->address.text, scts,
             (unsigned long long)fnv1a(pdu, pdu_len));
    /* A header with seq 0 or past total is junk: the part is kept as a single SMS. */
    bool multi = msg->has_concat && msg->concat.total > 1 && msg->concat.seq >= 1 &&
                 msg->concat.seq <= msg->concat.total;
    if (multi)
        snprintf(set, sizeof set, "%s|%s|%u|%u|%u", modem, msg->address.text,
                 (unsigned)msg->concat.ref_bits, (unsigned)msg->concat.ref,
                 (unsigned)msg->concat.total);
    else
        snprintf(set, sizeof set, "%s", key);
    unsigned total = multi ? msg->concat.total : 1, seq = multi ? msg->concat.seq : 1;
    inbox_part_in in = {
        .modem = modem,
        .sender = msg->address.text,
        .ref_bits = multi ? msg->concat.ref_bits : 0,
        .ref = multi ? msg->concat.ref : 0,
        .total = total,
        .seq = seq,
        .scts = scts,
        .pdu_hex = hexbuf,
        .dedupe_key = key,
        .set_key = set,
        .received_at = now,
    };
    bool dup = false;
    kz_status rc = qstore_inbox_add(ib->q, &in, &dup, err);
    if (rc == KZ_OK)
        *ready = !multi || !dup;
    return rc;
}

/* ---- reassembly ---- */

typedef struct set_build {
    concat_store *cs;
    int64_t now;
    bool done;
    concat_msg msg;
    char modem[64];
    char *key;          /* message dedupe key, heap */
    size_t key_len;
    unsigned last_seq;
    int64_t first_at;
    int bad;            /* parts that did not decode */
    bool binary;        /* a part is a machine's message (is_binary) */
} set_build;

/* UDH information elements 0x04 and 0x05: addressed to an application port. */
static bool has_port(const sms_message *m)
{
    for (size_t i = 0; i + 1 < m->udh_len; i += 2 + (size_t)m->udh[i + 1])
        if (m->udh[i] == 0x04 || m->udh[i] == 0x05)
            return true;
    return false;
}

/*
 * A machine's message, never read as text: 8-bit data (WAP push, OTA
 * settings), an application port, a type 0 ("silent") SMS or a SIM
 * data download (TP-PID 0x40, 0x7C-0x7F).
 */
static bool is_binary(const sms_message *m)
{
    return m->dcsinfo.coding == SMS_CODING_8BIT || has_port(m) || m->pid == 0x40 ||
           (m->pid >= 0x7C && m->pid <= 0x7F);
}

static int append_key(set_build *b, const char *part_key)
{
    size_t n = strlen(part_key);
    char *k = realloc(b->key, b->key_len + n + 6);
    if (!k)
        return -1;
    b->key = k;
    if (b->key_len == 0)
        b->key_len = (size_t)snprintf(b->key, 5, "sms:");
    else
        b->key[b->key_len++] = '+';
    memcpy(b->key + b->key_len, part_key, n + 1);
    b->key_len += n;
    return 0;
}

static int add_part(void *ctx, const inbox_part_row *r)
{
    set_build *b = ctx;
    if (b->key_len && r->seq == b->last_seq)
        return 0; /* a second copy of a seq: the first one counts */
    b->last_seq = r->seq;
    if (append_key(b, r->dedupe_key) != 0)
        return 1;
    if (!b->modem[0]) {
        snprintf(b->modem, sizeof b->modem, "%s", r->modem);
        b->first_at = r->received_at;
    }
    uint8_t raw[SMS_PDU_MAX];
    size_t n = 0;
    sms_message m;
    if (hex_decode(r->pdu_hex, strlen(r->pdu_hex), raw, sizeof raw, &n, NULL) != KZ_OK ||
        pdu_decode(raw, n, true, &m, NULL) != KZ_OK) {
        b->bad++;
        return 0;
    }
    b->binary = b->binary || is_binary(&m);
    if (r->total <= 1)
        m.has_concat = false; /* stored as a single: reassemble it as one */
    bool ev = false;
    concat_msg evicted;
    kz_status rc = concat_add(b->cs, &m, b->now, &b->done, &b->msg, &ev, &evicted, NULL);
    if (ev)
        concat_msg_free(&evicted);
    return rc == KZ_OK || rc == KZ_ERR_INVALID ? 0 : 1;
}

/* Build the set's message (complete, or released with gaps). 0 on success. */
static int build_set(inbox *ib, const char *set_key, set_build *b, int64_t now, kz_err *err)
{
    b->cs = concat_new(4, ib->timeout_s);
    b->now = now;
    if (!b->cs) {
        kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        return -1;
    }
    kz_status rc = qstore_inbox_parts_each(ib->q, set_key, add_part, b, err);
    if (rc != KZ_OK)
        return -1;
    if (!b->done && concat_expire(b->cs, INT64_MAX / 4, &b->msg, 1) == 1)
        b->done = true;
    return 0;
}

static void set_build_free(set_build *b)
{
    concat_free(b->cs);
    concat_msg_free(&b->msg);
    free(b->key);
}

/*
 * What a binary message is stored as: "8-bit data: ", up to BINARY_SHOWN
 * payload bytes in hex, then any text. Heap; NULL on ENOMEM.
 */
#define BINARY_SHOWN 140
static char *binary_text(const concat_msg *msg)
{
    static const char head[] = "8-bit data: ";
    size_t n = msg->data_len < BINARY_SHOWN ? msg->data_len : BINARY_SHOWN;
    size_t tlen = msg->text ? strlen(msg->text) : 0;
    char *out = malloc(sizeof head + 2 * n + 4 + tlen + 2);
    if (!out)
        return NULL;
    size_t o = (size_t)snprintf(out, sizeof head, "%s", head);
    if (n && hex_encode(msg->data, n, out + o, 2 * n + 1) == KZ_OK)
        o += 2 * n;
    if (msg->data_len > n)
        o += (size_t)snprintf(out + o, 4, "...");
    if (tlen) /* text addressed to a port: kept as it came */
        snprintf(out + o, tlen + 2, " %s", msg->text);
    return out;
}

typedef struct process_ctx {
    inbox *ib;
    int64_t now;
    int seen, handed, fallback;
    kz_status rc;
    kz_err *err;
} process_ctx;

/* Record the message unhandled (deliver failed) so a person can see it. Caller's transaction. */
static kz_status record_unhandled(inbox *ib, const char *set_key, const inbox_msg *m,
                                  int64_t now, kz_err *err)
{
    int64_t id = 0;
    kz_status rc = qstore_message_by_key(ib->q, m->dedupe_key, &id, err);
    if (rc == KZ_OK && id == 0)
        rc = qstore_inbox_record(ib->q, m->sender, m->text, m->segments, m->dedupe_key, now, &id,
                                 err);
    if (rc == KZ_OK)
        rc = qstore_inbox_set_done(ib->q, set_key, id, err);
    return rc;
}

/* Already handed over (crash after commit)? else deliver; mark the parts. Caller's transaction. */
static kz_status hand_over(inbox *ib, const char *set_key, const inbox_msg *m, bool *delivered,
                           kz_err *err)
{
    *delivered = false;
    int64_t id = 0;
    kz_status rc = qstore_message_by_key(ib->q, m->dedupe_key, &id, err);
    if (rc == KZ_OK && id == 0) {
        rc = ib->deliver(ib->ctx, m, &id, err);
        *delivered = rc == KZ_OK;
    }
    if (rc == KZ_OK && *delivered)
        rc = qstore_inbox_note_modem(ib->q, id, m->modem, err);
    if (rc == KZ_OK)
        rc = qstore_inbox_set_done(ib->q, set_key, id, err);
    if (rc != KZ_OK)
        *delivered = false;
    return rc;
}

/* body(ib, ...) inside its own savepoint: kept on KZ_OK, undone otherwise. */
static kz_status in_savepoint(inbox *ib, kz_status rc_body, kz_err *err)
{
    kz_err e;
    kz_err_clear(&e);
    kz_status rc = qstore_inbox_savepoint(ib->q, rc_body == KZ_OK ? QSTORE_SP_KEEP : QSTORE_SP_UNDO,
                                          &e);
    if (rc != KZ_OK && err)
        *err = e;
    return rc_body != KZ_OK ? rc_body : rc;
}

/*
 * One set inside the caller's transaction, in a savepoint: a message whose
 * hand-over fails is undone alone and recorded unhandled, so one bad message
 * never takes the others of the group with it.
 */
static kz_status deliver_set(process_ctx *c, const char *set_key, const inbox_msg *m)
{
    inbox *ib = c->ib;
    kz_status rc = qstore_inbox_savepoint(ib->q, QSTORE_SP_OPEN, c->err);
    if (rc != KZ_OK)
        return rc;
    bool delivered = false;
    kz_err e;
    kz_err_clear(&e);
    if (in_savepoint(ib, hand_over(ib, set_key, m, &delivered, &e), &e) == KZ_OK) {
        c->handed += delivered;
        return KZ_OK;
    }
    c->fallback++;
    rc = qstore_inbox_savepoint(ib->q, QSTORE_SP_OPEN, c->err);
    if (rc != KZ_OK)
        return rc;
    return in_savepoint(ib, record_unhandled(ib, set_key, m, c->now, c->err), c->err);
}

static int process_set(void *vctx, const char *set_key)
{
    process_ctx *c = vctx;
    set_build b;
    memset(&b, 0, sizeof b);
    c->seen++;
    if (build_set(c->ib, set_key, &b, c->now, c->err) != 0 || !b.done || !b.key) {
        set_build_free(&b);
        c->rc = c->rc != KZ_OK ? c->rc : KZ_ERR_NOMEM;
        return 1;
    }
    char *hex = b.binary ? binary_text(&b.msg) : NULL;
    inbox_msg m = {
        .modem = b.modem,
        .sender = b.msg.sender.text[0] ? b.msg.sender.text : "?",
        .text = hex ? hex : b.msg.text ? b.msg.text : "",
        .segments = b.msg.total ? b.msg.total : 1,
        .incomplete = b.msg.incomplete,
        .binary = b.binary,
        .dedupe_key = b.key,
        .received_at = b.first_at,
    };
    kz_status rc = deliver_set(c, set_key, &m);
    if (rc != KZ_OK)
        c->rc = rc;
    free(hex);
    set_build_free(&b);
    return c->rc != KZ_OK;
}

kz_status inbox_process_tx(inbox *ib, int64_t now, int *handed, int *fallback, kz_err *err)
{
    int h = 0, f = 0;
    kz_status rc = KZ_OK;
    for (int round = 0; round < INBOX_ROUNDS; round++) {
        process_ctx c = {ib, now, 0, 0, 0, KZ_OK, err};
        rc = qstore_inbox_ready_each(ib->q, now - ib->timeout_s, INBOX_BATCH, process_set, &c,
                                     err);
        h += c.handed;
        f += c.fallback;
        if (c.rc != KZ_OK)
            rc = c.rc;
        if (rc != KZ_OK || c.seen < INBOX_BATCH)
            break;
    }
    if (handed)
        *handed = h;
    if (fallback)
        *fallback = f;
    return rc;
}

kz_status inbox_process(inbox *ib, int64_t now, int *handed, int *fallback, kz_err *err)
{
    kz_store *st = qstore_store(ib->q);
    kz_status rc = store_begin(st, err);
    if (rc == KZ_OK)
        rc = inbox_process_tx(ib, now, handed, fallback, err);
    if (rc == KZ_OK)
        return store_commit(st, err);
    store_rollback(st);
    if (handed)
        *handed = 0;
    return rc;
}
