/*
 * kannel_map.c - Kazi's PDUs to smsbox's sendsms parameters and back
 * (kannel_map.h): percent-encoding, the coding and UDH rules, the answer and
 * DLR classes, and inbound messages as deterministic SMS-DELIVER PDUs.
 * Owns nothing. Never does I/O, never allocates, never logs.
 */
#include "kannel_map.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ucs2.h"
#include "utf8.h"

#define MO_TEXT_MAX (SMS_UD_MAX * 8 * 3) /* a long inbound text as UTF-8, generously */

/* ---- the query ---- */

typedef struct qbuf {
    char *p;
    size_t len, cap;
    bool full;
} qbuf;

static void put_raw(qbuf *q, const char *s, size_t n)
{
    if (q->full || q->len + n >= q->cap) {
        q->full = true;
        return;
    }
    memcpy(q->p + q->len, s, n);
    q->len += n;
    q->p[q->len] = '\0';
}

static bool unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static void put_escaped(qbuf *q, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        char e[3] = {(char)s[i], 0, 0};
        if (unreserved(s[i])) {
            put_raw(q, e, 1);
            continue;
        }
        e[0] = '%';
        e[1] = hex[s[i] >> 4];
        e[2] = hex[s[i] & 15];
        put_raw(q, e, 3);
    }
}

/* "&key=value" (no '&' first), value escaped; nothing for a NULL or empty value. */
static void put_param(qbuf *q, const char *key, const uint8_t *v, size_t n)
{
    if (!v || !n)
        return;
    if (q->len)
        put_raw(q, "&", 1);
    put_raw(q, key, strlen(key));
    put_raw(q, "=", 1);
    put_escaped(q, v, n);
}

static void put_str(qbuf *q, const char *key, const char *v)
{
    put_param(q, key, (const uint8_t *)v, v ? strlen(v) : 0);
}

static void put_text(qbuf *q, const sms_message *m)
{
    if (m->dcsinfo.coding == SMS_CODING_8BIT) {
        put_param(q, "text", m->data, m->data_len);
        put_str(q, "coding", "1");
        return;
    }
    put_param(q, "text", (const uint8_t *)m->text, m->text_len);
    put_str(q, "coding", m->dcsinfo.coding == SMS_CODING_UCS2 ? "2" : "0");
    put_str(q, "charset", "UTF-8");
}

static void put_dlr(qbuf *q, const char *dlr_url, uint64_t send_id)
{
    char mask[8], url[1024];
    snprintf(mask, sizeof mask, "%d", KANNEL_DLR_MASK);
    int n = snprintf(url, sizeof url, "%s&id=%llu&type=%%d", dlr_url,
                     (unsigned long long)send_id);
    if (n < 0 || (size_t)n >= sizeof url) {
        q->full = true;
        return;
    }
    put_str(q, "dlr-mask", mask);
    put_str(q, "dlr-url", url);
}

kz_status kannel_sendsms_query(const uint8_t *pdu, size_t pdu_len, uint64_t send_id,
                               const kannel_send_opts *o, char *out, size_t cap, kz_err *err)
{
    sms_message m;
    kz_status rc = pdu_decode(pdu, pdu_len, true, &m, err);
    if (rc != KZ_OK)
        return rc;
    if (m.type != SMS_SUBMIT || m.dcsinfo.compressed)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "send %llu: not an uncompressed SMS-SUBMIT",
                          (unsigned long long)send_id);
    if (cap == 0)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "send %llu: no room",
                          (unsigned long long)send_id);
    qbuf q = {out, 0, cap, false};
    out[0] = '\0';
    put_str(&q, "username", o->username);
    put_str(&q, "password", o->password);
    put_str(&q, "to", m.address.text);
    put_str(&q, "from", o->from);
    put_str(&q, "smsc", o->smsc);
    put_text(&q, &m);
    if (m.udh_len) {
        uint8_t udh[SMS_UD_MAX + 1];
        udh[0] = (uint8_t)m.udh_len;
        memcpy(udh + 1, m.udh, m.udh_len);
        put_param(&q, "udh", udh, m.udh_len + 1);
    }
    if (m.status_report && o->dlr_url && o->dlr_url[0])
        put_dlr(&q, o->dlr_url, send_id);
    if (q.full) {
        out[0] = '\0';
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET,
                          "send %llu: the sendsms query needs more than %zu bytes",
                          (unsigned long long)send_id, cap);
    }
    return KZ_OK;
}

/* ---- answers and reports ---- */

kannel_outcome kannel_answer_class(long http_status)
{
    if (http_status == 200 || http_status == 202)
        return KANNEL_ACCEPTED;
    if (http_status == 401 || http_status == 403 || http_status == 408 || http_status == 429)
        return KANNEL_RETRYABLE;
    if (http_status >= 400 && http_status < 500)
        return KANNEL_PERMANENT;
    return KANNEL_RETRYABLE;
}

int kannel_dlr_status(long type)
{
    switch (type) {
    case KANNEL_DLR_DELIVERED: return 0x00;
    case KANNEL_DLR_FAILED:
    case KANNEL_DLR_SMSC_REJECTED: return 0x40;
    case KANNEL_DLR_BUFFERED:
    case KANNEL_DLR_SMSC_ACCEPTED: return 0x20;
    default: return -1;
    }
}

/* ---- inbound ---- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void scts_of(int64_t t, sms_time *out)
{
    time_t tt = t > 0 ? (time_t)t : 946684800; /* unknown: 2000-01-01 */
    struct tm tm;
    gmtime_r(&tt, &tm);
    *out = (sms_time){.year = tm.tm_year + 1900, .month = tm.tm_mon + 1, .day = tm.tm_mday,
                      .hour = tm.tm_hour, .minute = tm.tm_min, .second = tm.tm_sec};
}

/* The message as UTF-8 text in buf; its length in *n. */
static kz_status mo_text(const kannel_mo *mo, char *buf, size_t cap, size_t *n, kz_err *err)
{
    if (mo->coding == 2)
        return ucs2_to_utf8(mo->data, mo->len, buf, cap, n, err);
    size_t bad = 0;
    if (!utf8_valid(mo->data, mo->len, &bad))
        return kz_err_set(err, mo->coding == 1 ? KZ_ERR_INVALID : KZ_ERR_UTF8, bad,
                          "message %s from %s: %s", mo->id, mo->from,
                          mo->coding == 1 ? "8-bit data, not text" : "text is not UTF-8");
    if (mo->len >= cap)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "message %s: %zu bytes, too long",
                          mo->id, mo->len);
    memcpy(buf, mo->data, mo->len);
    buf[mo->len] = '\0';
    *n = mo->len;
    return KZ_OK;
}

kz_status kannel_mo_pdus(const kannel_mo *mo, sms_pdu *out, size_t cap, size_t *nout,
                         kz_err *err)
{
    *nout = 0;
    if (!mo->from || !mo->from[0] || !mo->id || !mo->id[0])
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "inbound message without %s", mo->id && mo->id[0] ? "sender" : "id");
    char text[MO_TEXT_MAX];
    size_t n = 0;
    kz_status rc = mo_text(mo, text, sizeof text, &n, err);
    if (rc != KZ_OK)
        return rc;
    uint64_t h = fnv1a(mo->id);
    char smsc[24];
    snprintf(smsc, sizeof smsc, "+%012llu", (unsigned long long)(h % 1000000000000ULL));
    sms_deliver_opts o;
    sms_deliver_opts_init(&o);
    o.from = mo->from;
    o.smsc = smsc;
    scts_of(mo->time, &o.scts);
    o.coding = SMS_CODING_AUTO;
    o.concat_ref = (uint16_t)(h >> 48);
    o.concat_ref_bits = 16;
    return pdu_encode_deliver((const uint8_t *)text, n, &o, out, cap, nout, err);
}
