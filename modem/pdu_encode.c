/*
 * pdu_encode.c - writes SMS-SUBMIT PDUs for sending (AT+CMGS in PDU mode),
 * and SMS-DELIVER and SMS-STATUS-REPORT PDUs for the simulator and tests
 * (TS 23.040 9.2.2), multipart text with a concatenation header included.
 * Owns: the TPDU headers and the user data layout (UDH, fill bits). The cut
 * into segments belongs to sms_text.c, the alphabets to gsm7.c and ucs2.c.
 * Never allocates; writes only into the caller's sms_pdu array.
 */
#include <string.h>

#include "gsm7.h"
#include "pdu.h"
#include "pdu_fields.h"
#include "ucs2.h"

#define DCS_UCS2 0x08
#define DCS_CLASS 0x10 /* general group: bits 1-0 hold the class */

/* Writes the SMSC field and the TPDU up to (not including) TP-UDL. */
typedef kz_status (*head_fn)(const void *opts, bool udhi, sms_coding coding, sms_pdu *p,
                             kz_err *err);

/* One message as the encoders see it: text, coding, reference, header writer. */
typedef struct encode_job {
    const uint8_t *utf8;
    size_t len;
    sms_coding coding;
    unsigned ref_bits;
    uint16_t ref;
    head_fn head;
    const void *opts;
} encode_job;

static kz_status put(sms_pdu *p, const uint8_t *b, size_t n, kz_err *err)
{
    if (sizeof p->bytes - p->len < n)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "PDU longer than %d octets", SMS_PDU_MAX);
    memcpy(p->bytes + p->len, b, n);
    p->len += n;
    return KZ_OK;
}

static kz_status put_u8(sms_pdu *p, uint8_t v, kz_err *err)
{
    return put(p, &v, 1, err);
}

static kz_status put_addr(sms_pdu *p, const char *text, int toa, bool smsc, kz_err *err)
{
    uint8_t a[2 + PDU_ADDR_OCTETS_MAX];
    size_t n = 0;
    kz_status st = pdu_addr_encode(text, toa, smsc, a, sizeof a, &n, err);
    return st != KZ_OK ? st : put(p, a, n, err);
}

/* SMSC field, then marks where the TPDU starts (tpdu_len counts from there). */
static kz_status put_smsc(sms_pdu *p, const char *smsc, int toa, kz_err *err)
{
    p->len = 0;
    kz_status st = put_addr(p, smsc, toa, true, err);
    p->tpdu_len = p->len; /* fixed up by finish() */
    return st;
}

static void finish(sms_pdu *p)
{
    p->tpdu_len = p->len - p->tpdu_len;
}

static size_t concat_udh(uint8_t udh[7], unsigned ref_bits, uint16_t ref, size_t total, size_t seq)
{
    if (ref_bits == 16) {
        const uint8_t h[7] = {6, PDU_IEI_CONCAT16, 4, (uint8_t)(ref >> 8), (uint8_t)ref,
                              (uint8_t)total, (uint8_t)seq};
        memcpy(udh, h, 7);
        return 7;
    }
    const uint8_t h[6] = {5, PDU_IEI_CONCAT8, 3, (uint8_t)ref, (uint8_t)total, (uint8_t)seq};
    memcpy(udh, h, 6);
    return 6;
}

/* TP-UDL and TP-UD for one segment; udh includes its UDHL octet (udh_len 0: none). */
static kz_status put_ud(sms_pdu *p, const encode_job *job, const sms_segment *seg,
                        const uint8_t *udh, size_t udh_len, kz_err *err)
{
    uint8_t ud[SMS_UD_MAX], sept[160];
    size_t n = 0, packed = 0, udl;
    const uint8_t *s = job->utf8 + seg->start;
    kz_status st;

    memcpy(ud, udh, udh_len);
    if (job->coding == SMS_CODING_UCS2) {
        st = ucs2_from_utf8(s, seg->end - seg->start, ud + udh_len, sizeof ud - udh_len, &n, err);
        udl = udh_len + n;
        packed = n;
    } else {
        size_t hs = (udh_len * 8 + 6) / 7;
        st = gsm7_from_utf8(s, seg->end - seg->start, sept, sizeof sept - hs, &n, err);
        if (st == KZ_OK)
            st = gsm7_pack(sept, n, (unsigned)(hs * 7 - udh_len * 8), ud + udh_len,
                           sizeof ud - udh_len, &packed);
        udl = hs + n;
    }
    if (st != KZ_OK)
        return st == KZ_ERR_NOSPACE ? kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET,
                                                 "segment does not fit one PDU")
                                    : st;
    if ((st = put_u8(p, (uint8_t)udl, err)) != KZ_OK)
        return st;
    return put(p, ud, udh_len + packed, err);
}

static kz_status check_plan_args(const encode_job *job, kz_err *err)
{
    if (job->coding != SMS_CODING_AUTO && job->coding != SMS_CODING_GSM7 &&
        job->coding != SMS_CODING_UCS2)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "text coding must be AUTO, GSM7 or UCS2");
    if (job->ref_bits != 8 && job->ref_bits != 16)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "concatenation reference of %u bits",
                          job->ref_bits);
    return KZ_OK;
}

static kz_status encode_parts(encode_job *job, sms_pdu *out, size_t cap, size_t *nout, kz_err *err)
{
    sms_segment segs[SMS_MAX_SEGMENTS];
    sms_plan plan;
    kz_status st;

    *nout = 0;
    if ((st = check_plan_args(job, err)) != KZ_OK)
        return st;
    st = sms_plan_text(job->utf8, job->len, job->coding, job->ref_bits, segs, SMS_MAX_SEGMENTS,
                       &plan, err);
    if (st != KZ_OK)
        return st;
    if (plan.nsegments > cap) {
        *nout = plan.nsegments;
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "%zu PDUs needed, room for %zu",
                          plan.nsegments, cap);
    }
    job->coding = plan.coding;
    for (size_t i = 0; i < plan.nsegments; i++) {
        uint8_t udh[7];
        bool multi = plan.nsegments > 1;
        size_t udh_len = multi ? concat_udh(udh, job->ref_bits, job->ref, plan.nsegments, i + 1) : 0;
        if ((st = job->head(job->opts, multi, plan.coding, &out[i], err)) != KZ_OK ||
            (st = put_ud(&out[i], job, &segs[i], udh, udh_len, err)) != KZ_OK)
            return st;
        finish(&out[i]);
    }
    *nout = plan.nsegments;
    return KZ_OK;
}

/* Contract in pdu.h: every field set; opts->to must still be filled in. */
void sms_submit_opts_init(sms_submit_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->to_toa = -1;
    opts->smsc_toa = -1;
    opts->vp_relative = -1;
    opts->coding = SMS_CODING_AUTO;
    opts->concat_ref_bits = 8;
}

static kz_status submit_head(const void *vopts, bool udhi, sms_coding coding, sms_pdu *p,
                             kz_err *err)
{
    const sms_submit_opts *o = vopts;
    bool vp = o->vp_relative >= 0;
    uint8_t fo = 0x01 | (o->reject_duplicates ? 0x04 : 0) | (vp ? 0x10 : 0) | (o->srr ? 0x20 : 0) |
                 (udhi ? 0x40 : 0);
    uint8_t dcs = (coding == SMS_CODING_UCS2 ? DCS_UCS2 : 0) | (o->class0 ? DCS_CLASS : 0);
    kz_status st;

    if ((st = put_smsc(p, o->smsc, o->smsc_toa, err)) != KZ_OK || (st = put_u8(p, fo, err)) != KZ_OK ||
        (st = put_u8(p, o->mr, err)) != KZ_OK ||
        (st = put_addr(p, o->to, o->to_toa, false, err)) != KZ_OK ||
        (st = put_u8(p, 0x00, err)) != KZ_OK || (st = put_u8(p, dcs, err)) != KZ_OK)
        return st;
    return vp ? put_u8(p, (uint8_t)o->vp_relative, err) : KZ_OK;
}

/* Contract in pdu.h: on failure *nout is 0, or the PDUs needed for KZ_ERR_NOSPACE. */
kz_status pdu_encode_submit(const uint8_t *utf8, size_t len, const sms_submit_opts *opts,
                            sms_pdu *out, size_t cap, size_t *nout, kz_err *err)
{
    encode_job job = {utf8, len, opts->coding, opts->concat_ref_bits ? opts->concat_ref_bits : 8,
                      opts->concat_ref, submit_head, opts};
    *nout = 0;
    if (opts->vp_relative > 255)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "TP-VP %d", opts->vp_relative);
    return encode_parts(&job, out, cap, nout, err);
}

/* Contract in pdu.h: every field set, scts 2000-01-01T00:00:00+00:00. */
void sms_deliver_opts_init(sms_deliver_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->from_toa = -1;
    opts->scts.year = 2000;
    opts->scts.month = 1;
    opts->scts.day = 1;
    opts->msg_class = -1;
    opts->coding = SMS_CODING_AUTO;
    opts->concat_ref_bits = 8;
}

static kz_status deliver_head(const void *vopts, bool udhi, sms_coding coding, sms_pdu *p,
                              kz_err *err)
{
    const sms_deliver_opts *o = vopts;
    uint8_t fo = (o->more_messages ? 0 : 0x04) | (udhi ? 0x40 : 0);
    uint8_t dcs = coding == SMS_CODING_UCS2 ? DCS_UCS2 : 0;
    uint8_t ts[7];
    kz_status st;

    if (o->msg_class >= 0)
        dcs |= DCS_CLASS | (uint8_t)o->msg_class;
    if ((st = pdu_time_encode(&o->scts, ts, err)) != KZ_OK ||
        (st = put_smsc(p, o->smsc, -1, err)) != KZ_OK || (st = put_u8(p, fo, err)) != KZ_OK ||
        (st = put_addr(p, o->from, o->from_toa, false, err)) != KZ_OK ||
        (st = put_u8(p, o->pid, err)) != KZ_OK || (st = put_u8(p, dcs, err)) != KZ_OK)
        return st;
    return put(p, ts, sizeof ts, err);
}

/* Contract in pdu.h; KZ_ERR_RANGE also for an scts outside 1970-2069. */
kz_status pdu_encode_deliver(const uint8_t *utf8, size_t len, const sms_deliver_opts *opts,
                             sms_pdu *out, size_t cap, size_t *nout, kz_err *err)
{
    encode_job job = {utf8, len, opts->coding, opts->concat_ref_bits ? opts->concat_ref_bits : 8,
                      opts->concat_ref, deliver_head, opts};
    *nout = 0;
    if (opts->msg_class < -1 || opts->msg_class > 3)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "message class %d", opts->msg_class);
    return encode_parts(&job, out, cap, nout, err);
}

/* Contract in pdu.h: "00" SMSC, no TP-PI; KZ_ERR_RANGE for times that cannot be written. */
kz_status pdu_encode_status_report(const char *recipient, uint8_t mr, const sms_time *scts,
                                   const sms_time *discharge, uint8_t status, sms_pdu *out,
                                   kz_err *err)
{
    uint8_t ts[7], dt[7];
    kz_status st;

    if ((st = pdu_time_encode(scts, ts, err)) != KZ_OK ||
        (st = pdu_time_encode(discharge, dt, err)) != KZ_OK ||
        (st = put_smsc(out, NULL, -1, err)) != KZ_OK ||
        (st = put_u8(out, 0x06, err)) != KZ_OK || /* STATUS-REPORT, no more messages */
        (st = put_u8(out, mr, err)) != KZ_OK ||
        (st = put_addr(out, recipient, -1, false, err)) != KZ_OK ||
        (st = put(out, ts, sizeof ts, err)) != KZ_OK || (st = put(out, dt, sizeof dt, err)) != KZ_OK ||
        (st = put_u8(out, status, err)) != KZ_OK)
        return st;
    finish(out);
    return KZ_OK;
}
