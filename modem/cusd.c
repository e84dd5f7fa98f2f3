/*
 * cusd.c - decoding "+CUSD:" result lines and writing AT+CUSD commands
 * (TS 27.007 7.15, DCS per TS 23.038 section 5).
 * Owns: the line grammar, the USSD data coding scheme groups and the AUTO
 * rules below that tell the modems' <str> representations apart.
 * Must never allocate, talk to a port, or pick a representation by a rule
 * that is not written down in this comment.
 *
 * Line grammar: "+CUSD:" SP* <m> [ "," SP* <str> [ "," SP* <dcs> ] ].
 *   <m> is 0-5 and <dcs> 0-255, decimal. Spaces are allowed only after the
 *   colon and after a comma. A quoted <str> may hold CR, LF and even '"': it
 *   ends at the first '"' that is followed by the end of the line or by
 *   "," SP* digits up to the end. An unquoted <str> (Huawei E160) runs to the
 *   next comma and may not contain '"'. An empty <str> ("0,,15") means no text.
 *
 * DCS (TS 23.038 section 5, the cell-broadcast groups USSD uses; absent <dcs>
 * is read as GSM-7): 0x00-0x0F GSM-7 (the low nibble is a language, 0x0F
 * unspecified, and is not trusted); 0x10 GSM-7 whose first three characters
 * are a language and CR; 0x11 UCS-2 whose first two octets are a language
 * packed in GSM-7; 0x12-0x3F GSM-7; 0x40-0x7F general coding: bit 5 set is
 * compressed (KZ_ERR_UNSUPPORTED), bits 3-2 give 00 GSM-7, 01 8-bit,
 * 10 UCS-2, 11 reserved (GSM-7); 0xF0-0xFF: bit 2 clear GSM-7, set 8-bit;
 * 0x80-0xEF (reserved, UDH and WAP groups; not used for USSD) GSM-7, as the
 * spec says reserved codings are to be read.
 *
 * The three wire forms, when forced by a modem quirk:
 *   TEXT      <str> is text in the TE character set (see "text" below).
 *   GSM7_HEX  Huawei style: <str> is the network's own octets as hex, so it
 *             holds packed septets when the DCS says GSM-7 and UTF-16BE when
 *             it says UCS-2; 8-bit data is KZ_ERR_UNSUPPORTED.
 *   UCS2_HEX  +CSCS="UCS2": <str> is the text as UTF-16BE hex whatever the DCS.
 * In every hex form DCS 0x11 drops its two language octets first, and UTF-16
 * text ends at the first U+0000 (the Telit HE910 appends junk after it).
 * Packed GSM-7 follows TS 23.038 6.1.2.3.1: k octets hold floor(8k/7)
 * septets; when 8k is a multiple of 7 (the last septet filled the octet
 * exactly) a final CR is padding and is dropped, which also undoes the extra
 * CR a sender adds after a wanted final CR.
 *
 * AUTO rules, in order (a string "is hex" if it is at least two hex digits,
 * of either case, and of even length):
 *   1. DCS says UCS-2 and <str> is hex with a length that is a multiple of 4:
 *      UCS-2 hex. Otherwise the modem converted it: text.
 *   2. DCS says 8-bit and <str> is hex: Huawei raw octets (unsupported).
 *      Otherwise text.
 *   3. DCS says GSM-7 (or is absent) and <str> is hex with a length that is a
 *      multiple of 4 and every UTF-16 unit is a character of the GSM-7
 *      alphabet (default or extension table): UCS-2 hex. This is a modem on
 *      +CSCS="UCS2" (Quectel M35): the network sent GSM-7, so the converted
 *      text can only hold GSM-7 characters, while packed septets read as
 *      UTF-16 almost never do.
 *   4. DCS says GSM-7 (or is absent) and <str> is hex but not only decimal
 *      digits: packed GSM-7 hex (Huawei). A string of decimal digits only
 *      ("1000", "0712345678") is read as text: an answer that is a number is
 *      far likelier than packed septets with no nibble above 9.
 *   5. Anything else is text.
 * Text (TEXT forced, or chosen by AUTO) is read as:
 *   - raw GSM-7 codes, one byte each, when every byte is below 0x80 and at
 *     least one byte is a control byte other than CR and LF (GSM puts
 *     letters such as è é Ø Å Δ Σ ß É and '@' '£' '$' there) or DEL (à), or
 *     one of [ \ ] ^ { | } ~ (GSM Ä Ö Ñ Ü ä ö ñ ü) stands between two ASCII
 *     letters, as in "w{hlen" for "wählen": the modem passed the network's
 *     codes through unconverted. Then every byte is mapped, so '$' is read
 *     as '¤' and '@' as '¡', consistently with the GSM table;
 *   - else UTF-8 when it is valid UTF-8 (plain ASCII included);
 *   - else ISO 8859-1 (+CSCS="8859-1").
 *   A NUL byte in UTF-8 or Latin-1 text becomes U+FFFD so the text stays a C
 *   string. With DCS 0x10 a leading "<letter><letter>CR" (the language) is
 *   dropped from the decoded text.
 */
#include "cusd.h"

#include <stdio.h>
#include <string.h>

#include "gsm7.h"
#include "hex.h"
#include "ucs2.h"
#include "utf8.h"

#define CUSD_PREFIX "+CUSD:"
#define CUSD_PREFIX_LEN 6
#define CUSD_M_MAX 5
#define CUSD_DCS_MAX 255
#define CUSD_RAW_MAX (CUSD_TEXT_MAX / 2)          /* octets a hex <str> may carry */
#define CUSD_SEPTET_MAX (CUSD_RAW_MAX * 8 / 7 + 1)
#define CUSD_REQ_SEPTETS 182                       /* 160 octets of packed GSM-7 */
#define CUSD_DCS_REQUEST 15                        /* GSM-7, language unspecified */
#define CH_CR 0x0D
#define CH_LF 0x0A
#define CP_REPLACEMENT 0xFFFDu

typedef enum ussd_alphabet {
    USSD_GSM7,
    USSD_8BIT,
    USSD_UCS2,
    USSD_COMPRESSED
} ussd_alphabet;

typedef struct ussd_dcs {
    ussd_alphabet alphabet;
    bool lang_prefix; /* 0x10: "xx" CR before the text; 0x11: two language octets */
} ussd_dcs;

/* The byte ranges of one decoded line. */
typedef struct cusd_fields {
    int m;
    bool has_str;
    size_t str_off;
    size_t str_len;
    int dcs;
} cusd_fields;

/* ---------------------------------------------------------------- DCS */

static ussd_alphabet general_alphabet(unsigned dcs)
{
    switch ((dcs >> 2) & 3u) {
    case 1:
        return USSD_8BIT;
    case 2:
        return USSD_UCS2;
    default:
        return USSD_GSM7;
    }
}

static void dcs_classify(int dcs, ussd_dcs *d)
{
    d->alphabet = USSD_GSM7;
    d->lang_prefix = false;
    if (dcs < 0)
        return;
    unsigned v = (unsigned)dcs;
    if (v == 0x10 || v == 0x11) {
        d->lang_prefix = true;
        d->alphabet = v == 0x11 ? USSD_UCS2 : USSD_GSM7;
        return;
    }
    if (v >= 0x40 && v <= 0x7F) {
        d->alphabet = (v & 0x20u) ? USSD_COMPRESSED : general_alphabet(v);
        return;
    }
    if (v >= 0xF0)
        d->alphabet = (v & 0x04u) ? USSD_8BIT : USSD_GSM7;
}

/* ---------------------------------------------------------------- line grammar */

static size_t skip_spaces(const uint8_t *p, size_t len, size_t pos)
{
    while (pos < len && p[pos] == ' ')
        pos++;
    return pos;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* Decimal number at *pos, at most max; *pos moves past it. */
static kz_status scan_int(const uint8_t *p, size_t len, size_t *pos, int max, const char *what,
                          int *val, kz_err *err)
{
    size_t start = *pos;
    long v = 0;
    if (start >= len || !is_digit(p[start]))
        return kz_err_set(err, KZ_ERR_INVALID, start, "expected a number for %s", what);
    size_t i = start;
    for (; i < len && is_digit(p[i]); i++) {
        v = v * 10 + (p[i] - '0');
        if (v > max)
            return kz_err_set(err, KZ_ERR_INVALID, start, "%s out of range 0-%d", what, max);
    }
    *pos = i;
    *val = (int)v;
    return KZ_OK;
}

/* True if p[q..len) is empty or "," SP* digits up to the end. */
static bool tail_ok(const uint8_t *p, size_t len, size_t q)
{
    if (q == len)
        return true;
    if (p[q] != ',')
        return false;
    q = skip_spaces(p, len, q + 1);
    if (q == len)
        return false;
    for (; q < len; q++)
        if (!is_digit(p[q]))
            return false;
    return true;
}

/* Quoted <str> opening at p[open]; *end is set past the closing quote. */
static kz_status scan_quoted(const uint8_t *p, size_t len, size_t open, cusd_fields *f,
                             size_t *end, kz_err *err)
{
    size_t first_close = KZ_NO_OFFSET;
    for (size_t q = open + 1; q < len; q++) {
        if (p[q] != '"')
            continue;
        if (first_close == KZ_NO_OFFSET)
            first_close = q;
        if (tail_ok(p, len, q + 1)) {
            f->str_off = open + 1;
            f->str_len = q - open - 1;
            f->has_str = f->str_len > 0;
            *end = q + 1;
            return KZ_OK;
        }
    }
    if (first_close == KZ_NO_OFFSET)
        return kz_err_set(err, KZ_ERR_INVALID, open, "unterminated quote");
    return kz_err_set(err, KZ_ERR_INVALID, first_close + 1, "unexpected bytes after <str>");
}

/* Unquoted <str> (Huawei E160) from p[start] to the next comma or the end. */
static kz_status scan_bare(const uint8_t *p, size_t len, size_t start, cusd_fields *f,
                           size_t *end, kz_err *err)
{
    size_t q = start;
    for (; q < len && p[q] != ','; q++)
        if (p[q] == '"')
            return kz_err_set(err, KZ_ERR_INVALID, q, "quote inside an unquoted <str>");
    f->str_off = start;
    f->str_len = q - start;
    f->has_str = f->str_len > 0;
    *end = q;
    return KZ_OK;
}

/* <str> and the optional <dcs> after the comma that follows <m>. */
static kz_status scan_str_dcs(const uint8_t *p, size_t len, size_t pos, cusd_fields *f,
                              kz_err *err)
{
    pos = skip_spaces(p, len, pos);
    if (pos == len)
        return kz_err_set(err, KZ_ERR_INVALID, pos, "missing <str> after comma");
    kz_status st = p[pos] == '"' ? scan_quoted(p, len, pos, f, &pos, err)
                                 : scan_bare(p, len, pos, f, &pos, err);
    if (st != KZ_OK)
        return st;
    if (pos == len)
        return KZ_OK;
    pos = skip_spaces(p, len, pos + 1); /* p[pos] is ',' here */
    st = scan_int(p, len, &pos, CUSD_DCS_MAX, "<dcs>", &f->dcs, err);
    if (st != KZ_OK)
        return st;
    if (pos != len)
        return kz_err_set(err, KZ_ERR_INVALID, pos, "unexpected bytes after <dcs>");
    return KZ_OK;
}

static kz_status scan_line(const uint8_t *p, size_t len, cusd_fields *f, kz_err *err)
{
    f->m = -1;
    f->has_str = false;
    f->str_off = 0;
    f->str_len = 0;
    f->dcs = -1;
    for (size_t i = 0; i < CUSD_PREFIX_LEN; i++)
        if (i >= len || p[i] != (uint8_t)CUSD_PREFIX[i])
            return kz_err_set(err, KZ_ERR_INVALID, i, "missing \"+CUSD:\" prefix");
    size_t pos = skip_spaces(p, len, CUSD_PREFIX_LEN);
    kz_status st = scan_int(p, len, &pos, CUSD_M_MAX, "<m>", &f->m, err);
    if (st != KZ_OK)
        return st;
    if (pos == len)
        return KZ_OK;
    if (p[pos] != ',')
        return kz_err_set(err, KZ_ERR_INVALID, pos, "unexpected byte after <m>");
    return scan_str_dcs(p, len, pos + 1, f, err);
}

/* ---------------------------------------------------------------- shapes */

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool is_hex(const uint8_t *s, size_t n)
{
    if (n < 2 || n % 2)
        return false;
    for (size_t i = 0; i < n; i++)
        if (hex_value(s[i]) < 0)
            return false;
    return true;
}

static bool all_decimal(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* Rule 3: s is hex, a multiple of 4 long, and every UTF-16 unit is a GSM-7 character. */
static bool ucs2_of_gsm_text(const uint8_t *s, size_t n)
{
    if (!is_hex(s, n) || n % 4)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t u = 0;
        for (size_t j = 0; j < 4; j++)
            u = u << 4 | (uint32_t)hex_value(s[i + j]);
        if (u >= 0xD800 && u <= 0xDFFF)
            return false;
        if (gsm7_from_codepoint(u, NULL) == 0)
            return false;
    }
    return true;
}

static cusd_wire auto_wire(const uint8_t *s, size_t n, const ussd_dcs *d)
{
    switch (d->alphabet) {
    case USSD_UCS2:
        return is_hex(s, n) && n % 4 == 0 ? CUSD_WIRE_UCS2_HEX : CUSD_WIRE_TEXT;
    case USSD_8BIT:
        return is_hex(s, n) ? CUSD_WIRE_GSM7_HEX : CUSD_WIRE_TEXT;
    default:
        break;
    }
    if (ucs2_of_gsm_text(s, n))
        return CUSD_WIRE_UCS2_HEX;
    if (is_hex(s, n) && !all_decimal(s, n))
        return CUSD_WIRE_GSM7_HEX;
    return CUSD_WIRE_TEXT;
}

/* ---------------------------------------------------------------- text */

static bool is_alpha(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* ASCII punctuation that GSM-7 uses for national letters (Ä Ö Ñ Ü ä ö ñ ü). */
static bool is_national(uint8_t c)
{
    return (c >= 0x5B && c <= 0x5E) || (c >= 0x7B && c <= 0x7E);
}

static bool looks_like_raw_gsm(const uint8_t *s, size_t n)
{
    bool hint = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x80)
            return false;
        if ((c < 0x20 && c != CH_CR && c != CH_LF) || c == 0x7F)
            hint = true;
        else if (is_national(c) && i > 0 && i + 1 < n && is_alpha(s[i - 1]) && is_alpha(s[i + 1]))
            hint = true;
    }
    return hint;
}

static kz_status text_too_long(size_t off, kz_err *err)
{
    return kz_err_set(err, KZ_ERR_RANGE, off, "<str> does not fit %d bytes of text",
                      CUSD_TEXT_MAX);
}

static kz_status put_cp(cusd_reply *out, uint32_t cp, size_t off, kz_err *err)
{
    uint8_t b[4];
    if (cp == 0)
        cp = CP_REPLACEMENT;
    size_t k = utf8_encode(cp, b);
    if (k == 0) {
        cp = CP_REPLACEMENT;
        k = utf8_encode(cp, b);
    }
    if (out->text_len + k >= CUSD_TEXT_MAX)
        return text_too_long(off, err);
    memcpy(out->text + out->text_len, b, k);
    out->text_len += k;
    out->text[out->text_len] = '\0';
    return KZ_OK;
}

/* UTF-8 when valid, else ISO 8859-1; NUL becomes U+FFFD. */
static kz_status text_from_te(const uint8_t *s, size_t n, size_t off, cusd_reply *out, kz_err *err)
{
    bool utf8 = utf8_valid(s, n, NULL) != 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = s[i];
        size_t k = 1;
        if (utf8)
            k = utf8_decode(s + i, n - i, &cp);
        kz_status st = put_cp(out, cp, off, err);
        if (st != KZ_OK)
            return st;
        i += k ? k : 1;
    }
    return KZ_OK;
}

/* Drop a leading "<letter><letter>CR" (DCS 0x10 language) from the decoded text. */
static void strip_text_language(cusd_reply *out)
{
    const uint8_t *t = (const uint8_t *)out->text;
    if (out->text_len < 3 || !is_alpha(t[0]) || !is_alpha(t[1]) || t[2] != CH_CR)
        return;
    memmove(out->text, out->text + 3, out->text_len - 3 + 1);
    out->text_len -= 3;
}

static kz_status decode_text(const uint8_t *s, size_t n, size_t off, cusd_reply *out, kz_err *err)
{
    if (!looks_like_raw_gsm(s, n))
        return text_from_te(s, n, off, out, err);
    if (gsm7_to_utf8(s, n, out->text, CUSD_TEXT_MAX, &out->text_len, NULL) != KZ_OK)
        return text_too_long(off, err);
    return KZ_OK;
}

/* ---------------------------------------------------------------- hex forms */

static kz_status decode_hex(const uint8_t *s, size_t n, size_t off, uint8_t *raw, size_t *k,
                            kz_err *err)
{
    if (n / 2 > CUSD_RAW_MAX)
        return text_too_long(off, err);
    kz_err e;
    kz_err_clear(&e);
    kz_status st = hex_decode((const char *)s, n, raw, CUSD_RAW_MAX, k, &e);
    if (st == KZ_OK)
        return KZ_OK;
    size_t at = e.offset == KZ_NO_OFFSET ? off : off + e.offset;
    return kz_err_set(err, KZ_ERR_INVALID, at, "<str> is not hex: %s", e.msg);
}

/* UTF-16BE octets to text, ending at the first U+0000. */
static kz_status decode_utf16(const uint8_t *be, size_t k, size_t off, cusd_reply *out,
                              kz_err *err)
{
    if (k % 2)
        return kz_err_set(err, KZ_ERR_INVALID, off, "UCS-2 <str> has an odd octet count");
    size_t used = 0;
    while (used < k && (be[used] | be[used + 1]) != 0)
        used += 2;
    if (ucs2_to_utf8(be, used, out->text, CUSD_TEXT_MAX, &out->text_len, NULL) != KZ_OK)
        return text_too_long(off, err);
    return KZ_OK;
}

/* Packed septets to text with the CR padding rule and the 0x10 language prefix. */
static kz_status decode_packed(const uint8_t *raw, size_t k, size_t off, const ussd_dcs *d,
                               cusd_reply *out, kz_err *err)
{
    uint8_t sept[CUSD_SEPTET_MAX];
    size_t n = k * 8 / 7;
    if (gsm7_unpack(raw, k, 0, n, sept, sizeof sept, NULL) != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, off, "cannot unpack %zu septets", n);
    if ((k * 8) % 7 == 0 && n > 0 && sept[n - 1] == CH_CR)
        n--;
    size_t skip = d->lang_prefix && n >= 3 && sept[2] == CH_CR ? 3 : 0;
    if (gsm7_to_utf8(sept + skip, n - skip, out->text, CUSD_TEXT_MAX, &out->text_len, NULL) !=
        KZ_OK)
        return text_too_long(off, err);
    return KZ_OK;
}

static kz_status skip_language_octets(const ussd_dcs *d, size_t *first, size_t k, size_t off,
                                      kz_err *err)
{
    *first = 0;
    if (!d->lang_prefix || d->alphabet != USSD_UCS2)
        return KZ_OK;
    if (k < 2)
        return kz_err_set(err, KZ_ERR_INVALID, off, "DCS 0x11 <str> lacks its language octets");
    *first = 2;
    return KZ_OK;
}

static kz_status decode_hex_form(const uint8_t *s, size_t n, size_t off, cusd_wire wire,
                                 const ussd_dcs *d, cusd_reply *out, kz_err *err)
{
    uint8_t raw[CUSD_RAW_MAX];
    size_t k = 0;
    size_t first = 0;
    kz_status st = decode_hex(s, n, off, raw, &k, err);
    if (st == KZ_OK)
        st = skip_language_octets(d, &first, k, off, err);
    if (st != KZ_OK)
        return st;
    if (wire == CUSD_WIRE_UCS2_HEX || d->alphabet == USSD_UCS2)
        return decode_utf16(raw + first, k - first, off, out, err);
    if (d->alphabet == USSD_8BIT)
        return kz_err_set(err, KZ_ERR_UNSUPPORTED, off, "8-bit USSD data has no character set");
    return decode_packed(raw, k, off, d, out, err);
}

static kz_status decode_str(const uint8_t *s, size_t n, size_t off, cusd_wire wire,
                            const ussd_dcs *d, cusd_reply *out, kz_err *err)
{
    if (d->alphabet == USSD_COMPRESSED)
        return kz_err_set(err, KZ_ERR_UNSUPPORTED, off, "compressed USSD (TS 23.042)");
    if (wire == CUSD_WIRE_AUTO)
        wire = auto_wire(s, n, d);
    kz_status st = wire == CUSD_WIRE_TEXT ? decode_text(s, n, off, out, err)
                                          : decode_hex_form(s, n, off, wire, d, out, err);
    if (st == KZ_OK && wire != CUSD_WIRE_GSM7_HEX && d->lang_prefix &&
        d->alphabet == USSD_GSM7)
        strip_text_language(out);
    return st;
}

static void reply_reset(cusd_reply *out)
{
    out->status = -1;
    out->has_text = false;
    out->text[0] = '\0';
    out->text_len = 0;
    out->dcs = -1;
}

/*
 * See cusd.h. Also: KZ_ERR_INVALID when a forced hex form is not hex (or has
 * an odd UCS-2 octet count), KZ_ERR_RANGE with the offset of <str> when the
 * text does not fit CUSD_TEXT_MAX. On KZ_ERR_UNSUPPORTED (compressed DCS,
 * or 8-bit data sent as hex) out->status and out->dcs are set and has_text
 * is false, so the caller still knows whether the session goes on. On other
 * failures *out holds status -1, no text and dcs -1.
 */
kz_status cusd_parse(const uint8_t *line, size_t len, cusd_wire wire, cusd_reply *out,
                     kz_err *err)
{
    cusd_fields f;
    ussd_dcs d;
    kz_err_clear(err);
    reply_reset(out);
    kz_status st = scan_line(line, len, &f, err);
    if (st != KZ_OK)
        return st;
    out->status = f.m;
    out->dcs = f.dcs;
    if (!f.has_str)
        return KZ_OK;
    dcs_classify(f.dcs, &d);
    st = decode_str(line + f.str_off, f.str_len, f.str_off, wire, &d, out, err);
    if (st == KZ_OK) {
        out->has_text = true;
        return KZ_OK;
    }
    out->text[0] = '\0';
    out->text_len = 0;
    if (st != KZ_ERR_UNSUPPORTED)
        reply_reset(out);
    return st;
}

/* ---------------------------------------------------------------- encoding */

static kz_status emit(char *out, size_t cap, const char *body, kz_err *err)
{
    int w = snprintf(out, cap, "AT+CUSD=1,\"%s\",%d", body, CUSD_DCS_REQUEST);
    if (w < 0 || (size_t)w >= cap) {
        if (cap)
            out[0] = '\0';
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "AT+CUSD command needs %d bytes",
                          w + 1);
    }
    return KZ_OK;
}

/* Refuse what would break the AT command line: '"', control bytes, DEL. */
static kz_status check_request_bytes(const uint8_t *r, size_t len, kz_err *err)
{
    if (len == 0)
        return kz_err_set(err, KZ_ERR_INVALID, 0, "empty USSD request");
    for (size_t i = 0; i < len; i++)
        if (r[i] == '"' || r[i] < 0x20 || r[i] == 0x7F)
            return kz_err_set(err, KZ_ERR_INVALID, i, "byte 0x%02X not allowed in a request",
                              r[i]);
    return KZ_OK;
}

static kz_status request_septets(const uint8_t *r, size_t len, uint8_t *sept, size_t *n,
                                 kz_err *err)
{
    kz_status st = check_request_bytes(r, len, err);
    if (st != KZ_OK)
        return st;
    kz_err e;
    kz_err_clear(&e);
    /* one spare septet for the CR pad */
    st = gsm7_from_utf8(r, len, sept, CUSD_REQ_SEPTETS, n, &e);
    if (st == KZ_ERR_NOSPACE)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "request longer than %d septets",
                          CUSD_REQ_SEPTETS);
    if (st == KZ_ERR_UTF8)
        return kz_err_set(err, KZ_ERR_UTF8, e.offset, "request is not valid UTF-8");
    if (st != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, e.offset, "request has a non-GSM-7 character");
    return KZ_OK;
}

static kz_status encode_packed(uint8_t *sept, size_t n, char *hex, size_t hexcap)
{
    uint8_t packed[CUSD_REQ_SEPTETS];
    size_t k = 0;
    if (n % 8 == 7)
        sept[n++] = CH_CR; /* TS 23.038 6.1.2.3.1: 7 spare bits are a CR, not '@' */
    kz_status st = gsm7_pack(sept, n, 0, packed, sizeof packed, &k);
    if (st == KZ_OK)
        st = hex_encode(packed, k, hex, hexcap);
    return st;
}

static kz_status encode_utf16(const uint8_t *r, size_t len, char *hex, size_t hexcap)
{
    uint8_t be[2 * CUSD_REQ_SEPTETS];
    size_t k = 0;
    kz_status st = ucs2_from_utf8(r, len, be, sizeof be, &k, NULL);
    if (st == KZ_OK)
        st = hex_encode(be, k, hex, hexcap);
    return st;
}

/*
 * See cusd.h. The command has no terminating CR (the AT layer adds it).
 * wire CUSD_WIRE_UCS2_HEX (+CSCS="UCS2") writes the request as UTF-16BE hex;
 * AUTO and TEXT write it as it is. Besides INVALID and NOSPACE: KZ_ERR_UTF8
 * for invalid UTF-8, KZ_ERR_RANGE above 182 septets. On failure out holds ""
 * when cap > 0.
 */
kz_status cusd_encode_request(const char *req, cusd_wire wire, char *out, size_t cap,
                              kz_err *err)
{
    uint8_t sept[CUSD_REQ_SEPTETS + 1];
    char hex[4 * CUSD_REQ_SEPTETS + 1];
    size_t n = 0;
    const uint8_t *r = (const uint8_t *)req;
    size_t len = strlen(req);
    kz_err_clear(err);
    if (cap)
        out[0] = '\0';
    kz_status st = request_septets(r, len, sept, &n, err);
    if (st != KZ_OK)
        return st;
    if (wire == CUSD_WIRE_GSM7_HEX)
        st = encode_packed(sept, n, hex, sizeof hex);
    else if (wire == CUSD_WIRE_UCS2_HEX)
        st = encode_utf16(r, len, hex, sizeof hex);
    else
        return emit(out, cap, req, err);
    if (st != KZ_OK)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "cannot encode request");
    return emit(out, cap, hex, err);
}

/* See cusd.h. KZ_ERR_NOSPACE (out holds "" when cap > 0) if cap < 10. */
kz_status cusd_encode_cancel(char *out, size_t cap)
{
    static const char cmd[] = "AT+CUSD=2";
    if (cap < sizeof cmd) {
        if (cap)
            out[0] = '\0';
        return KZ_ERR_NOSPACE;
    }
    memcpy(out, cmd, sizeof cmd);
    return KZ_OK;
}
