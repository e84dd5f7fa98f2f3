/*
 * pdu_decode.c - reads SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT TPDUs
 * (TS 23.040 9.2.2) as modems print them into an sms_message.
 * Owns: the TPDU layouts and the user data (UDL, UDH, fill bits, text).
 * Never allocates, never reads outside (buf, len), and refuses a PDU with a
 * byte missing (KZ_ERR_TRUNCATED) or left over (KZ_ERR_TRAILING); the one
 * tolerance is the 0xFF fill after a status report (see report_optional()).
 *
 * Deliberate choices:
 * - A UDL that claims more octets than the PDU holds is KZ_ERR_TRUNCATED,
 *   even if what is there decodes: otherwise a PDU cut short by a serial
 *   glitch would be taken for a whole (shorter) message.
 * - A GSM-7 UDL whose packed length is shorter than the octets that follow
 *   is KZ_ERR_TRAILING (the octets are then not what the DCS says).
 * - GSM-7 UDL above 160 septets and 8-bit/UCS-2 UDL above 140 octets are
 *   KZ_ERR_INVALID; a UCS-2 body of odd length is KZ_ERR_INVALID.
 * - Compressed user data (TS 23.042) is checked for structure, then refused
 *   with KZ_ERR_UNSUPPORTED at the DCS octet.
 */
#include <string.h>

#include "gsm7.h"
#include "pdu.h"
#include "pdu_fields.h"
#include "ucs2.h"

#define SMSC_FIELD_MAX 11 /* TOA + 10 octets of digits */
#define ADDR_DIGITS_MAX 20

typedef struct reader {
    const uint8_t *b;
    size_t len;
    size_t pos;
    kz_err *err;
} reader;

static kz_status rd_take(reader *r, size_t n, const char *what, const uint8_t **p)
{
    *p = NULL;
    if (r->len - r->pos < n)
        return kz_err_set(r->err, KZ_ERR_TRUNCATED, r->len, "PDU ends inside %s (%zu of %zu octets)",
                          what, r->len - r->pos, n);
    *p = r->b + r->pos;
    r->pos += n;
    return KZ_OK;
}

static kz_status rd_u8(reader *r, const char *what, uint8_t *v)
{
    const uint8_t *p;
    kz_status st = rd_take(r, 1, what, &p);
    if (st == KZ_OK)
        *v = *p;
    return st;
}

static kz_status check_toa(reader *r, uint8_t toa, size_t off)
{
    if (!(toa & 0x80))
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "bad TOA 0x%02X (bit 7 clear)", toa);
    return KZ_OK;
}

static kz_status read_smsc(reader *r, sms_message *m)
{
    uint8_t n;
    const uint8_t *p;
    size_t off = r->pos;
    kz_status st = rd_u8(r, "SMSC length", &n);

    if (st != KZ_OK)
        return st;
    if (n == 0)
        return KZ_OK;
    if (n > SMSC_FIELD_MAX)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "SMSC length %u", n);
    if ((st = rd_take(r, n, "SMSC address", &p)) != KZ_OK)
        return st;
    if ((st = check_toa(r, p[0], off + 1)) != KZ_OK)
        return st;
    m->has_smsc = true;
    return pdu_addr_value_decode(p + 1, n - 1u, -1, p[0], off + 1, &m->smsc, r->err);
}

/* TP-OA, TP-DA or TP-RA: length in semi-octets, TOA, value. */
static kz_status read_addr(reader *r, const char *what, sms_address *a)
{
    uint8_t n;
    const uint8_t *p;
    size_t off = r->pos;
    kz_status st = rd_u8(r, what, &n);

    if (st != KZ_OK)
        return st;
    if (n > ADDR_DIGITS_MAX)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "%s length %u semi-octets", what, n);
    if ((st = rd_take(r, 1 + (n + 1u) / 2, what, &p)) != KZ_OK)
        return st;
    if ((st = check_toa(r, p[0], off + 1)) != KZ_OK)
        return st;
    return pdu_addr_value_decode(p + 1, (n + 1u) / 2, n, p[0], off + 2, a, r->err);
}

static kz_status read_time(reader *r, const char *what, sms_time *t)
{
    const uint8_t *p;
    size_t off = r->pos;
    kz_status st = rd_take(r, 7, what, &p);
    return st != KZ_OK ? st : pdu_time_decode(p, off, t, r->err);
}

static kz_status read_dcs(reader *r, sms_message *m, size_t *dcs_off)
{
    *dcs_off = r->pos;
    kz_status st = rd_u8(r, "TP-DCS", &m->dcs);
    if (st == KZ_OK)
        sms_dcs_parse(m->dcs, &m->dcsinfo);
    return st;
}

static bool ud_is_septets(const sms_message *m)
{
    return m->dcsinfo.coding == SMS_CODING_GSM7 && !m->dcsinfo.compressed;
}

/* The header part of the user data: UDHL, IEs, concatenation. *hdr = octets used. */
static kz_status read_udh(reader *r, sms_message *m, const uint8_t *ud, size_t octets, size_t off,
                          size_t *hdr)
{
    if (octets == 0)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "UDHI set but no user data");
    size_t udhl = ud[0];
    if (udhl + 1 > octets)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "UDHL %zu exceeds user data", udhl);
    kz_status st = pdu_udh_parse(ud + 1, udhl, off + 1, &m->has_concat, &m->concat, r->err);
    if (st != KZ_OK)
        return st;
    memcpy(m->udh, ud + 1, udhl);
    m->udh_len = udhl;
    *hdr = udhl + 1;
    return KZ_OK;
}

/* udl_off: index of the TP-UDL octet. */
static kz_status text_gsm7(reader *r, sms_message *m, uint8_t udl, size_t hdr, size_t udl_off)
{
    size_t off = udl_off + 1 + hdr;
    uint8_t sept[160];
    size_t hdr_septets = (hdr * 8 + 6) / 7;
    unsigned fill = (unsigned)(hdr_septets * 7 - hdr * 8);

    if (udl < hdr_septets)
        return kz_err_set(r->err, KZ_ERR_INVALID, udl_off, "UDL %u shorter than the UDH", udl);
    size_t n = udl - hdr_septets;
    if (n > 0) {
        kz_err e;
        kz_status st = gsm7_unpack(m->data, m->data_len, fill, n, sept, sizeof sept, &e);
        if (st != KZ_OK)
            return kz_err_set(r->err, KZ_ERR_INVALID, off, "GSM-7 user data: %s", e.msg);
    }
    if (gsm7_to_utf8(sept, n, m->text, sizeof m->text, &m->text_len, NULL) != KZ_OK)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "GSM-7 text does not convert");
    return KZ_OK;
}

static kz_status text_ucs2(reader *r, sms_message *m, size_t off)
{
    if (m->data_len % 2)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "UCS-2 user data of odd length %zu",
                          m->data_len);
    if (ucs2_to_utf8(m->data, m->data_len, m->text, sizeof m->text, &m->text_len, NULL) != KZ_OK)
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "UCS-2 text does not convert");
    return KZ_OK;
}

/* TP-UDL and TP-UD; udhi from the first octet. */
static kz_status read_ud(reader *r, sms_message *m, bool udhi)
{
    uint8_t udl;
    const uint8_t *ud;
    size_t hdr = 0, off = r->pos;
    bool septets = ud_is_septets(m);
    kz_status st = rd_u8(r, "TP-UDL", &udl);

    if (st != KZ_OK)
        return st;
    if (udl > (septets ? 160 : SMS_UD_MAX))
        return kz_err_set(r->err, KZ_ERR_INVALID, off, "UDL %u too large", udl);
    size_t octets = septets ? (udl * 7u + 7) / 8 : udl;
    if ((st = rd_take(r, octets, "TP-UD", &ud)) != KZ_OK)
        return st;
    if (udhi && (st = read_udh(r, m, ud, octets, off + 1, &hdr)) != KZ_OK)
        return st;
    memcpy(m->data, ud + hdr, octets - hdr);
    m->data_len = octets - hdr;
    if (m->dcsinfo.compressed || m->dcsinfo.coding == SMS_CODING_8BIT)
        return KZ_OK;
    m->has_text = true;
    if (septets)
        return text_gsm7(r, m, udl, hdr, off);
    return text_ucs2(r, m, off + 1 + hdr);
}

static kz_status decode_deliver(reader *r, sms_message *m, size_t *dcs_off)
{
    uint8_t fo = m->first_octet;
    kz_status st;

    m->type = SMS_DELIVER;
    m->more_messages = !(fo & 0x04);
    m->status_report = (fo & 0x20) != 0;
    m->reply_path = (fo & 0x80) != 0;
    if ((st = read_addr(r, "TP-OA", &m->address)) != KZ_OK ||
        (st = rd_u8(r, "TP-PID", &m->pid)) != KZ_OK || (st = read_dcs(r, m, dcs_off)) != KZ_OK ||
        (st = read_time(r, "TP-SCTS", &m->scts)) != KZ_OK)
        return st;
    return read_ud(r, m, (fo & 0x40) != 0);
}

static kz_status read_vp(reader *r, sms_message *m)
{
    static const size_t vp_len[4] = {0, 7, 1, 7}; /* none, enhanced, relative, absolute */
    const uint8_t *p;
    size_t n = vp_len[m->vp_format];
    kz_status st = rd_take(r, n, "TP-VP", &p);
    if (st == KZ_OK)
        memcpy(m->vp, p, n);
    return st;
}

static kz_status decode_submit(reader *r, sms_message *m, size_t *dcs_off)
{
    uint8_t fo = m->first_octet;
    kz_status st;

    m->type = SMS_SUBMIT;
    m->reject_duplicates = (fo & 0x04) != 0;
    m->vp_format = (fo >> 3) & 0x03;
    m->status_report = (fo & 0x20) != 0;
    m->reply_path = (fo & 0x80) != 0;
    if ((st = rd_u8(r, "TP-MR", &m->mr)) != KZ_OK ||
        (st = read_addr(r, "TP-DA", &m->address)) != KZ_OK ||
        (st = rd_u8(r, "TP-PID", &m->pid)) != KZ_OK || (st = read_dcs(r, m, dcs_off)) != KZ_OK ||
        (st = read_vp(r, m)) != KZ_OK)
        return st;
    return read_ud(r, m, (fo & 0x40) != 0);
}

static bool all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/*
 * TP-PI and what it announces. A status report does not say where it ends,
 * and SIMs store it in a record padded with 0xFF (TS 31.102 EF_SMSR), which
 * some modems print whole; a rest that is nothing but 0xFF is that fill (a
 * TP-PI of 0xFF would set reserved bits) and is skipped.
 */
static kz_status report_optional(reader *r, sms_message *m, size_t *dcs_off)
{
    uint8_t pi, ext;
    kz_status st;

    sms_dcs_parse(0, &m->dcsinfo);
    if (r->pos == r->len || all_ff(r->b + r->pos, r->len - r->pos)) {
        r->pos = r->len;
        return KZ_OK;
    }
    if ((st = rd_u8(r, "TP-PI", &pi)) != KZ_OK)
        return st;
    for (ext = pi; ext & 0x80;) /* extension octets: nothing defined in them yet */
        if ((st = rd_u8(r, "TP-PI extension", &ext)) != KZ_OK)
            return st;
    if ((pi & 0x01) && (st = rd_u8(r, "TP-PID", &m->pid)) != KZ_OK)
        return st;
    if ((pi & 0x02) && (st = read_dcs(r, m, dcs_off)) != KZ_OK)
        return st;
    if (pi & 0x04)
        return read_ud(r, m, (m->first_octet & 0x40) != 0);
    return KZ_OK;
}

static kz_status decode_report(reader *r, sms_message *m, size_t *dcs_off)
{
    uint8_t fo = m->first_octet;
    kz_status st;

    m->type = SMS_STATUS_REPORT;
    m->more_messages = !(fo & 0x04);
    m->status_report = (fo & 0x20) != 0;
    if ((st = rd_u8(r, "TP-MR", &m->mr)) != KZ_OK ||
        (st = read_addr(r, "TP-RA", &m->address)) != KZ_OK ||
        (st = read_time(r, "TP-SCTS", &m->scts)) != KZ_OK ||
        (st = read_time(r, "TP-DT", &m->discharge)) != KZ_OK ||
        (st = rd_u8(r, "TP-ST", &m->status)) != KZ_OK)
        return st;
    return report_optional(r, m, dcs_off);
}

/* Contract in pdu.h: TRUNCATED / TRAILING / INVALID / UNSUPPORTED with err->offset. */
kz_status pdu_decode(const uint8_t *buf, size_t len, bool with_smsc, sms_message *out,
                     kz_err *err)
{
    reader r = {buf, len, 0, err};
    size_t dcs_off = KZ_NO_OFFSET;
    kz_status st;

    memset(out, 0, sizeof *out);
    sms_dcs_parse(0, &out->dcsinfo);
    if (with_smsc && (st = read_smsc(&r, out)) != KZ_OK)
        return st;
    size_t fo_off = r.pos;
    if ((st = rd_u8(&r, "first octet", &out->first_octet)) != KZ_OK)
        return st;
    switch (out->first_octet & 0x03) {
    case 0: st = decode_deliver(&r, out, &dcs_off); break;
    case 1: st = decode_submit(&r, out, &dcs_off); break;
    case 2: st = decode_report(&r, out, &dcs_off); break;
    default:
        return kz_err_set(err, KZ_ERR_INVALID, fo_off, "reserved TP-MTI 3 (first octet 0x%02X)",
                          out->first_octet);
    }
    if (st != KZ_OK)
        return st;
    if (r.pos != len)
        return kz_err_set(err, KZ_ERR_TRAILING, r.pos, "%zu octets after the TPDU", len - r.pos);
    if (out->dcsinfo.compressed)
        return kz_err_set(err, KZ_ERR_UNSUPPORTED, dcs_off, "compressed user data (DCS 0x%02X)",
                          out->dcs);
    return KZ_OK;
}
