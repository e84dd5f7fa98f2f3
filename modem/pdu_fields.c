/*
 * pdu_fields.c - the small fields of a TPDU (TS 23.040 / 23.038): addresses
 * (BCD and packed alphanumeric), semi-octet time stamps, the user data
 * header's information elements, the DCS octet and TP-ST meanings.
 * Owns: the field layouts, not the TPDU layout (pdu_decode.c, pdu_encode.c).
 * Never allocates, never reads past the lengths it is given.
 */
#include "pdu_fields.h"

#include <stdio.h>
#include <string.h>

#include "gsm7.h"

/* BCD nibbles 0xA-0xE as TS 23.040 9.1.2.3 writes them. */
static const char bcd_chars[] = "0123456789*#abc";

static bool toa_is_international(uint8_t toa)
{
    return ((toa >> 4) & 0x07) == 1;
}

static bool toa_is_alphanumeric(uint8_t toa)
{
    return ((toa >> 4) & 0x07) == 5;
}

/* Append BCD digits; a 0xF nibble is filler and is skipped wherever it is. */
static void digits_decode(const uint8_t *v, size_t n, size_t ndigits, char *out, size_t *pos)
{
    for (size_t i = 0; i < ndigits && i / 2 < n; i++) {
        uint8_t nib = (i % 2 == 0) ? (v[i / 2] & 0x0F) : (v[i / 2] >> 4);
        if (nib == 0x0F)
            continue;
        out[(*pos)++] = bcd_chars[nib];
    }
    out[*pos] = '\0';
}

static kz_status alnum_decode(const uint8_t *v, size_t n, size_t septets, size_t off,
                              sms_address *out, kz_err *err)
{
    uint8_t sept[PDU_ADDR_OCTETS_MAX * 8 / 7 + 1];
    size_t used = gsm7_packed_len(septets, 0);
    size_t tlen = 0;

    if (septets > sizeof sept || used > n)
        return kz_err_set(err, KZ_ERR_INVALID, off, "alphanumeric address too long");
    if (septets == 0) {
        out->text[0] = '\0';
        return KZ_OK;
    }
    if (gsm7_unpack(v, used, 0, septets, sept, sizeof sept, NULL) != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, off, "alphanumeric address does not unpack");
    if (gsm7_to_utf8(sept, septets, out->text, sizeof out->text, &tlen, NULL) != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, off, "alphanumeric address is not GSM-7");
    return KZ_OK;
}

/* Contract in pdu_fields.h: KZ_ERR_INVALID at `off`; out always NUL-terminated. */
kz_status pdu_addr_value_decode(const uint8_t *v, size_t n, int digits, uint8_t toa, size_t off,
                                sms_address *out, kz_err *err)
{
    size_t nd = digits < 0 ? n * 2 : (size_t)digits;
    size_t pos = 0;

    out->toa = toa;
    out->text[0] = '\0';
    if (n > PDU_ADDR_OCTETS_MAX)
        return kz_err_set(err, KZ_ERR_INVALID, off, "address of %zu octets", n);
    if (toa_is_alphanumeric(toa))
        return alnum_decode(v, n, nd * 4 / 7, off, out, err);
    if (toa_is_international(toa))
        out->text[pos++] = '+';
    digits_decode(v, n, nd, out->text, &pos);
    return KZ_OK;
}

/* Index of c in bcd_chars, or -1. Upper-case A-C are not BCD: they start names. */
static int bcd_value(char c)
{
    const char *p = c ? strchr(bcd_chars, c) : NULL;
    return p ? (int)(p - bcd_chars) : -1;
}

/* True if s is a non-empty run of BCD characters with at least one of 0-9 * #. */
static bool is_bcd_number(const char *s)
{
    bool key = false;
    if (!*s)
        return false;
    for (; *s; s++) {
        int v = bcd_value(*s);
        if (v < 0)
            return false;
        if (v < 12)
            key = true;
    }
    return key;
}

static kz_status digits_encode(const char *s, uint8_t toa, bool smsc, uint8_t *out, size_t cap,
                               size_t *n, kz_err *err)
{
    size_t nd = strlen(s);
    size_t oct = (nd + 1) / 2;

    if (nd == 0 || nd > 2 * PDU_ADDR_OCTETS_MAX || cap < oct + 2)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "address has %zu digits", nd);
    out[0] = smsc ? (uint8_t)(oct + 1) : (uint8_t)nd;
    out[1] = toa;
    for (size_t i = 0; i < oct; i++) {
        int lo = bcd_value(s[2 * i]);
        int hi = 2 * i + 1 < nd ? bcd_value(s[2 * i + 1]) : 0x0F;
        if (lo < 0 || hi < 0)
            return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "bad digit in address \"%s\"", s);
        out[2 + i] = (uint8_t)(lo | (hi << 4));
    }
    *n = oct + 2;
    return KZ_OK;
}

static kz_status alnum_encode(const char *s, uint8_t toa, bool smsc, uint8_t *out, size_t cap,
                              size_t *n, kz_err *err)
{
    uint8_t sept[11];
    size_t ns = 0, used = 0;

    if (gsm7_from_utf8((const uint8_t *)s, strlen(s), sept, sizeof sept, &ns, NULL) != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "alphanumeric address \"%s\" is not 1-11 GSM-7 septets", s);
    if (ns == 0 || cap < 2 + gsm7_packed_len(ns, 0))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "empty alphanumeric address");
    if (gsm7_pack(sept, ns, 0, out + 2, cap - 2, &used) != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "cannot pack address");
    out[0] = smsc ? (uint8_t)(used + 1) : (uint8_t)((ns * 7 + 3) / 4);
    out[1] = toa;
    *n = used + 2;
    return KZ_OK;
}

/* Contract in pdu_fields.h: writes only out[0..cap), KZ_ERR_INVALID on a bad address. */
kz_status pdu_addr_encode(const char *text, int toa, bool smsc, uint8_t *out, size_t cap, size_t *n,
                          kz_err *err)
{
    bool plus = text && text[0] == '+';
    const char *digits = plus ? text + 1 : text;

    if (cap < 1)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "no room for address");
    if (smsc && (!text || !*text)) {
        out[0] = 0;
        *n = 1;
        return KZ_OK;
    }
    if (!text || !*text)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "empty address");
    if (toa >= 0 && (toa > 0xFF || !(toa & 0x80)))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "bad TOA 0x%02X", (unsigned)toa);
    if (toa < 0 && is_bcd_number(digits))
        toa = plus ? SMS_TOA_INTERNATIONAL : SMS_TOA_UNKNOWN;
    if (toa < 0 && (plus || smsc))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "bad number \"%s\"", text);
    if (toa < 0)
        toa = SMS_TOA_ALPHANUMERIC;
    if (toa_is_alphanumeric((uint8_t)toa))
        return alnum_encode(text, (uint8_t)toa, smsc, out, cap, n, err);
    return digits_encode(digits, (uint8_t)toa, smsc, out, cap, n, err);
}

/* Two semi-octets, first digit in the low nibble; -1 if a nibble is not decimal. */
static int semi_octet(uint8_t o)
{
    if ((o & 0x0F) > 9 || (o >> 4) > 9)
        return -1;
    return (o & 0x0F) * 10 + (o >> 4);
}

/* Contract in pdu_fields.h: KZ_ERR_INVALID at the bad octet; *out untouched then. */
kz_status pdu_time_decode(const uint8_t in[7], size_t off, sms_time *out, kz_err *err)
{
    int f[6];
    /* Zone: a non-decimal units nibble counts with its value (pgm-status-nonbcd-tz). */
    int quarters = (in[6] & 0x07) * 10 + (in[6] >> 4);

    for (int i = 0; i < 6; i++)
        if ((f[i] = semi_octet(in[i])) < 0)
            return kz_err_set(err, KZ_ERR_INVALID, off + (size_t)i,
                              "time stamp octet 0x%02X is not two decimal digits", in[i]);
    out->year = f[0] >= 70 ? 1900 + f[0] : 2000 + f[0];
    out->month = f[1];
    out->day = f[2];
    out->hour = f[3];
    out->minute = f[4];
    out->second = f[5];
    out->tz_minutes = (in[6] & 0x08) ? -quarters * 15 : quarters * 15;
    return KZ_OK;
}

static uint8_t to_semi_octet(int v)
{
    return (uint8_t)((v / 10) | ((v % 10) << 4));
}

/* Contract in pdu_fields.h: KZ_ERR_RANGE (out untouched) if t cannot be written. */
kz_status pdu_time_encode(const sms_time *t, uint8_t out[7], kz_err *err)
{
    int f[6] = {t->year % 100, t->month, t->day, t->hour, t->minute, t->second};
    int tz = t->tz_minutes < 0 ? -t->tz_minutes : t->tz_minutes;

    if (t->year < 1970 || t->year > 2069)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "year %d", t->year);
    for (int i = 1; i < 6; i++)
        if (f[i] < 0 || f[i] > 99)
            return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "time field %d", f[i]);
    if (tz % 15 != 0 || tz / 15 > 79)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "time zone %d min", t->tz_minutes);
    for (int i = 0; i < 6; i++)
        out[i] = to_semi_octet(f[i]);
    out[6] = to_semi_octet(tz / 15);
    if (t->tz_minutes < 0)
        out[6] |= 0x08;
    return KZ_OK;
}

/* Contract in pdu.h; also KZ_ERR_RANGE for a field that does not fit two digits. */
kz_status sms_time_format(const sms_time *t, char *out, size_t cap)
{
    int tz = t->tz_minutes < 0 ? -t->tz_minutes : t->tz_minutes;
    int f[5] = {t->month, t->day, t->hour, t->minute, t->second};

    if (cap < 26)
        return KZ_ERR_NOSPACE;
    if (t->year < 0 || t->year > 9999 || tz / 60 > 99)
        return KZ_ERR_RANGE;
    for (int i = 0; i < 5; i++)
        if (f[i] < 0 || f[i] > 99)
            return KZ_ERR_RANGE;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", t->year, t->month, t->day,
             t->hour, t->minute, t->second, t->tz_minutes < 0 ? '-' : '+', tz / 60, tz % 60);
    return KZ_OK;
}

static kz_status concat_ie(uint8_t iei, const uint8_t *d, size_t l, size_t off, bool *has,
                           sms_concat *c, kz_err *err)
{
    size_t want = iei == PDU_IEI_CONCAT8 ? 3 : 4;
    sms_concat v;

    if (l != want)
        return kz_err_set(err, KZ_ERR_INVALID, off, "concatenation IE 0x%02X of length %zu", iei, l);
    v.ref_bits = iei == PDU_IEI_CONCAT8 ? 8 : 16;
    v.ref = iei == PDU_IEI_CONCAT8 ? d[0] : (uint16_t)((d[0] << 8) | d[1]);
    v.total = d[want - 2];
    v.seq = d[want - 1];
    if (v.total == 0 || v.seq == 0 || v.seq > v.total)
        return KZ_OK; /* TS 23.040 9.2.3.24.1: the IE is ignored */
    *has = true;
    *c = v;
    return KZ_OK;
}

/* Contract in pdu_fields.h: KZ_ERR_INVALID at the bad IE's length octet. */
kz_status pdu_udh_parse(const uint8_t *udh, size_t len, size_t off, bool *has_concat,
                        sms_concat *concat, kz_err *err)
{
    size_t i = 0;

    *has_concat = false;
    memset(concat, 0, sizeof *concat);
    while (i < len) {
        if (len - i < 2)
            return kz_err_set(err, KZ_ERR_INVALID, off + i, "IE header runs past the UDH");
        uint8_t iei = udh[i];
        size_t l = udh[i + 1];
        if (l > len - i - 2)
            return kz_err_set(err, KZ_ERR_INVALID, off + i + 1,
                              "IE 0x%02X length %zu runs past the UDH", iei, l);
        if (iei == PDU_IEI_CONCAT8 || iei == PDU_IEI_CONCAT16) {
            kz_status st = concat_ie(iei, udh + i + 2, l, off + i + 1, has_concat, concat, err);
            if (st != KZ_OK)
                return st;
        }
        i += 2 + l;
    }
    return KZ_OK;
}

/* General data coding (00xx xxxx) and automatic deletion (01xx xxxx) groups. */
static void dcs_general(uint8_t dcs, sms_dcs_info *out)
{
    static const sms_coding alphabet[4] = {SMS_CODING_GSM7, SMS_CODING_8BIT, SMS_CODING_UCS2,
                                           SMS_CODING_GSM7 /* reserved: read as GSM-7 */};
    out->auto_delete = (dcs & 0x40) != 0;
    out->compressed = (dcs & 0x20) != 0;
    out->msg_class = (dcs & 0x10) ? (dcs & 0x03) : -1;
    out->coding = alphabet[(dcs >> 2) & 0x03];
}

/* Message waiting indication groups 1100, 1101 (GSM-7) and 1110 (UCS-2). */
static void dcs_mwi(uint8_t dcs, sms_dcs_info *out)
{
    out->mwi = true;
    out->mwi_discard = (dcs & 0xF0) == 0xC0;
    out->coding = (dcs & 0xF0) == 0xE0 ? SMS_CODING_UCS2 : SMS_CODING_GSM7;
    out->mwi_active = (dcs & 0x08) != 0;
    out->mwi_kind = dcs & 0x03;
}

/* Contract in pdu.h: never fails, *out fully written. */
void sms_dcs_parse(uint8_t dcs, sms_dcs_info *out)
{
    memset(out, 0, sizeof *out);
    out->coding = SMS_CODING_GSM7;
    out->msg_class = -1;
    if ((dcs & 0x80) == 0) {
        dcs_general(dcs, out);
    } else if ((dcs & 0xF0) == 0xF0) {
        /* Group 1111: bit 3 reserved, bit 2 8-bit data, bits 1-0 class. */
        out->coding = (dcs & 0x04) ? SMS_CODING_8BIT : SMS_CODING_GSM7;
        out->msg_class = dcs & 0x03;
    } else if ((dcs & 0xF0) >= 0xC0) {
        dcs_mwi(dcs, out);
    }
    /* 1000-1011: reserved coding groups, read as GSM-7 without class (TS 23.038 4). */
}

/* Contract in pdu.h: values above 0x7F are reserved and count as permanent failures. */
sms_st_class sms_st_classify(uint8_t st)
{
    if (st > 0x7F)
        return SMS_ST_PERMANENT; /* reserved: treated as a final failure */
    return (sms_st_class)(st >> 5);
}

/* TP-ST values TS 23.040 9.2.3.15 names; the rest are reserved or SC-specific. */
static const struct {
    uint8_t st;
    const char *meaning;
} st_named[] = {
    {0x00, "delivered (short message received by the SME)"},
    {0x01, "delivered (forwarded by the SC to the SME, delivery not confirmed)"},
    {0x02, "delivered (short message replaced by the SC)"},
    {0x20, "temporary error, SC still trying (congestion)"},
    {0x21, "temporary error, SC still trying (SME busy)"},
    {0x22, "temporary error, SC still trying (no response from SME)"},
    {0x23, "temporary error, SC still trying (service rejected)"},
    {0x24, "temporary error, SC still trying (quality of service not available)"},
    {0x25, "temporary error, SC still trying (error in SME)"},
    {0x40, "permanent error (remote procedure error)"},
    {0x41, "permanent error (incompatible destination)"},
    {0x42, "permanent error (connection rejected by SME)"},
    {0x43, "permanent error (not obtainable)"},
    {0x44, "permanent error (quality of service not available)"},
    {0x45, "permanent error (no interworking available)"},
    {0x46, "permanent error (SM validity period expired)"},
    {0x47, "permanent error (SM deleted by originating SME)"},
    {0x48, "permanent error (SM deleted by SC administration)"},
    {0x49, "permanent error (SM does not exist)"},
    {0x60, "temporary error, SC no longer trying (congestion)"},
    {0x61, "temporary error, SC no longer trying (SME busy)"},
    {0x62, "temporary error, SC no longer trying (no response from SME)"},
    {0x63, "temporary error, SC no longer trying (service rejected)"},
    {0x64, "temporary error, SC no longer trying (quality of service not available)"},
    {0x65, "temporary error, SC no longer trying (error in SME)"},
};

/* [class][0]: reserved value in the class, [class][1]: SC-specific value (0x10-0x1F). */
static const char *const st_generic[4][2] = {
    {"completed (reserved value)", "completed (SC-specific value)"},
    {"temporary error, SC still trying (reserved value)",
     "temporary error, SC still trying (SC-specific value)"},
    {"permanent error (reserved value)", "permanent error (SC-specific value)"},
    {"temporary error, SC no longer trying (reserved value)",
     "temporary error, SC no longer trying (SC-specific value)"},
};

/* Contract in pdu.h: a static string, never NULL. */
const char *sms_st_meaning(uint8_t st)
{
    if (st > 0x7F)
        return "reserved value (treated as a permanent error)";
    for (size_t i = 0; i < sizeof st_named / sizeof st_named[0]; i++)
        if (st_named[i].st == st)
            return st_named[i].meaning;
    return st_generic[st >> 5][(st & 0x10) ? 1 : 0];
}
