/*
 * gsm7.c - the GSM 03.38 default alphabet and extension table (TS 23.038
 * 6.2.1) in both directions, and LSB-first septet packing (6.1.2.1).
 * Owns the character tables; the reverse lookup is a 128-entry array for
 * ASCII plus a switch for the rest, so it costs O(1) per character.
 * Never allocates and never maps two code points to one septet sequence:
 * every text gsm7_fits() accepts converts back unchanged.
 */
#include "gsm7.h"

#include "utf8.h"

/* Default table: septet -> code point. 0x1B (ESC) reads as a space. */
static const uint16_t gsm7_default[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* 00 @£$¥èéùì */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* 08 òÇ\nØø\rÅå */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* 10 Δ_ΦΓΛΩΠΨ */
    0x03A3, 0x0398, 0x039E, 0x0020, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* 18 ΣΘΞ(ESC)ÆæßÉ */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* 20  !"#¤%&' */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* 28 ()*+,-./ */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 30 01234567 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 38 89:;<=>? */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 40 ¡ABCDEFG */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* 48 HIJKLMNO */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 50 PQRSTUVW */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* 58 XYZÄÖÑÜ§ */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 60 ¿abcdefg */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* 68 hijklmno */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 70 pqrstuvw */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* 78 xyzäöñüà */
};

/* Reverse map entries: NO = no GSM-7 form; EXT|c = ESC then c. */
#define NO 0xFF
#define EXT 0x80

/* ASCII code point -> septet (or EXT|extension code, or NO). */
static const uint8_t gsm7_from_ascii[128] = {
    NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   /* 00 */
    NO,   NO,   0x0A, NO,   EXT | 0x0A, 0x0D, NO, NO, /* 08 \n FF \r */
    NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   /* 10 */
    NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   /* 18 */
    0x20, 0x21, 0x22, 0x23, 0x02, 0x25, 0x26, 0x27, /* 20  !"#$%&' */
    0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, /* 28 ()*+,-./ */
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, /* 30 01234567 */
    0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, /* 38 89:;<=>? */
    0x00, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, /* 40 @ABCDEFG */
    0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, /* 48 HIJKLMNO */
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, /* 50 PQRSTUVW */
    0x58, 0x59, 0x5A, EXT | 0x3C, EXT | 0x2F, EXT | 0x3E, EXT | 0x14, 0x11, /* 58 XYZ[\]^_ */
    NO,   0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, /* 60 `abcdefg */
    0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, /* 68 hijklmno */
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, /* 70 pqrstuvw */
    0x78, 0x79, 0x7A, EXT | 0x28, EXT | 0x40, EXT | 0x29, EXT | 0x3D, NO, /* 78 xyz{|}~ DEL */
};

/* Non-ASCII code point -> septet (or EXT|code, or NO). */
static uint8_t gsm7_from_other(uint32_t cp)
{
    switch (cp) {
    case 0x00A1: return 0x40; /* ¡ */
    case 0x00A3: return 0x01; /* £ */
    case 0x00A4: return 0x24; /* ¤ */
    case 0x00A5: return 0x03; /* ¥ */
    case 0x00A7: return 0x5F; /* § */
    case 0x00BF: return 0x60; /* ¿ */
    case 0x00C4: return 0x5B; /* Ä */
    case 0x00C5: return 0x0E; /* Å */
    case 0x00C6: return 0x1C; /* Æ */
    case 0x00C7: return 0x09; /* Ç */
    case 0x00C9: return 0x1F; /* É */
    case 0x00D1: return 0x5D; /* Ñ */
    case 0x00D6: return 0x5C; /* Ö */
    case 0x00D8: return 0x0B; /* Ø */
    case 0x00DC: return 0x5E; /* Ü */
    case 0x00DF: return 0x1E; /* ß */
    case 0x00E0: return 0x7F; /* à */
    case 0x00E4: return 0x7B; /* ä */
    case 0x00E5: return 0x0F; /* å */
    case 0x00E6: return 0x1D; /* æ */
    case 0x00E8: return 0x04; /* è */
    case 0x00E9: return 0x05; /* é */
    case 0x00EC: return 0x07; /* ì */
    case 0x00F1: return 0x7D; /* ñ */
    case 0x00F2: return 0x08; /* ò */
    case 0x00F6: return 0x7C; /* ö */
    case 0x00F8: return 0x0C; /* ø */
    case 0x00F9: return 0x06; /* ù */
    case 0x00FC: return 0x7E; /* ü */
    case 0x0393: return 0x13; /* Γ */
    case 0x0394: return 0x10; /* Δ */
    case 0x0398: return 0x19; /* Θ */
    case 0x039B: return 0x14; /* Λ */
    case 0x039E: return 0x1A; /* Ξ */
    case 0x03A0: return 0x16; /* Π */
    case 0x03A3: return 0x18; /* Σ */
    case 0x03A6: return 0x12; /* Φ */
    case 0x03A8: return 0x17; /* Ψ */
    case 0x03A9: return 0x15; /* Ω */
    case 0x20AC: return EXT | 0x65; /* € */
    default: return NO;
    }
}

/* Septets for cp: 1, 2 (ESC + code) or 0 if none; out may be NULL. */
bool gsm7_ascii_septets(const uint8_t *utf8, size_t len, size_t *septets)
{
    size_t total = 0;
    for (size_t i = 0; i < len; i++) {
        if (utf8[i] >= 0x80 || gsm7_from_ascii[utf8[i]] == NO)
            return false;
        total += gsm7_from_ascii[utf8[i]] & EXT ? 2 : 1;
    }
    *septets = total;
    return true;
}

size_t gsm7_from_codepoint(uint32_t cp, uint8_t out[2])
{
    uint8_t m = cp < 0x80 ? gsm7_from_ascii[cp] : gsm7_from_other(cp);
    if (m == NO)
        return 0;
    if (!(m & EXT)) {
        if (out)
            out[0] = m;
        return 1;
    }
    if (out) {
        out[0] = GSM7_ESC;
        out[1] = (uint8_t)(m & ~EXT);
    }
    return 2;
}

/* Code point of default septet s; ESC reads as a space, s > 127 as U+FFFD. */
uint32_t gsm7_default_codepoint(uint8_t s)
{
    return s < 128 ? gsm7_default[s] : 0xFFFD;
}

/* Code point of extension code s, or 0 if the table has no entry there. */
uint32_t gsm7_ext_codepoint(uint8_t s)
{
    switch (s) {
    case 0x0A: return 0x000C; /* form feed */
    case 0x14: return 0x005E; /* ^ */
    case 0x28: return 0x007B; /* { */
    case 0x29: return 0x007D; /* } */
    case 0x2F: return 0x005C; /* \ */
    case 0x3C: return 0x005B; /* [ */
    case 0x3D: return 0x007E; /* ~ */
    case 0x3E: return 0x005D; /* ] */
    case 0x40: return 0x007C; /* | */
    case 0x65: return 0x20AC; /* € */
    default: return 0;
    }
}

/*
 * UTF-8 -> septets. On failure *out_len is the count written before the
 * problem: KZ_ERR_UTF8 / KZ_ERR_INVALID with err->offset the byte index of
 * the offending character, KZ_ERR_NOSPACE with its byte index too.
 */
kz_status gsm7_from_utf8(const uint8_t *utf8, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len, kz_err *err)
{
    size_t i = 0, o = 0;
    *out_len = 0;
    while (i < len) {
        uint32_t cp;
        uint8_t s[2];
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        if (n == 0)
            return kz_err_set(err, KZ_ERR_UTF8, i, "invalid UTF-8 at byte %zu", i);
        size_t k = gsm7_from_codepoint(cp, s);
        if (k == 0)
            return kz_err_set(err, KZ_ERR_INVALID, i, "U+%04X at byte %zu has no GSM-7 form",
                              (unsigned)cp, i);
        if (cap - o < k)
            return kz_err_set(err, KZ_ERR_NOSPACE, i, "septet buffer full at byte %zu", i);
        out[o] = s[0];
        if (k == 2)
            out[o + 1] = s[1];
        o += k;
        *out_len = o;
        i += n;
    }
    return KZ_OK;
}

/* Append the UTF-8 form of cp to out[*pos], keeping one byte for the NUL. */
static bool put_utf8(uint32_t cp, char *out, size_t cap, size_t *pos)
{
    uint8_t b[4];
    size_t n = utf8_encode(cp, b);
    if (cap - *pos <= n)
        return false;
    for (size_t k = 0; k < n; k++)
        out[*pos + k] = (char)b[k];
    *pos += n;
    return true;
}

/* The code point septets[*i] (and, after an ESC, the next one) stand for. */
static uint32_t gsm7_take(const uint8_t *septets, size_t n, size_t *i)
{
    uint8_t s = septets[(*i)++];
    if (s != GSM7_ESC || *i == n)
        return gsm7_default[s];
    uint8_t e = septets[(*i)++];
    uint32_t cp = gsm7_ext_codepoint(e);
    return cp ? cp : gsm7_default[e];
}

/*
 * Septets -> NUL-terminated UTF-8. KZ_ERR_INVALID (err->offset = septet
 * index) for a value above 127, KZ_ERR_NOSPACE if out is too small; out is
 * an empty string after any failure when cap > 0.
 */
kz_status gsm7_to_utf8(const uint8_t *septets, size_t n, char *out, size_t cap, size_t *out_len,
                       kz_err *err)
{
    *out_len = 0;
    if (cap == 0)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "no room for the NUL");
    out[0] = '\0';
    for (size_t j = 0; j < n; j++) {
        if (septets[j] > 127)
            return kz_err_set(err, KZ_ERR_INVALID, j, "septet 0x%02X at %zu is above 127",
                              (unsigned)septets[j], j);
    }
    size_t i = 0, pos = 0;
    while (i < n) {
        if (!put_utf8(gsm7_take(septets, n, &i), out, cap, &pos)) {
            out[0] = '\0';
            return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "text buffer of %zu too small",
                              cap);
        }
    }
    out[pos] = '\0';
    *out_len = pos;
    return KZ_OK;
}

/* True if all of the UTF-8 text has a GSM-7 form; *septets gets the count. */
bool gsm7_fits(const uint8_t *utf8, size_t len, size_t *septets)
{
    size_t i = 0, total = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        if (n == 0)
            return false;
        size_t k = gsm7_from_codepoint(cp, NULL);
        if (k == 0)
            return false;
        total += k;
        i += n;
    }
    if (septets)
        *septets = total;
    return true;
}

/* ceil((7n + fill_bits) / 8), computed without overflow. */
size_t gsm7_packed_len(size_t n, unsigned fill_bits)
{
    return n / 8 * 7 + ((n % 8) * 7 + fill_bits + 7) / 8;
}

/* Pack septets LSB-first after fill_bits zero bits (see gsm7.h). */
kz_status gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits, uint8_t *out, size_t cap,
                    size_t *out_len)
{
    *out_len = 0;
    if (fill_bits > 6)
        return KZ_ERR_RANGE;
    for (size_t i = 0; i < n; i++) {
        if (septets[i] > 127)
            return KZ_ERR_RANGE;
    }
    size_t need = gsm7_packed_len(n, fill_bits);
    if (cap < need)
        return KZ_ERR_NOSPACE;
    for (size_t k = 0; k < need; k++)
        out[k] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t bit = i % 8 * 7 + fill_bits; /* bit offset within this 7-octet group */
        size_t byte = i / 8 * 7 + bit / 8;
        unsigned v = (unsigned)septets[i] << (bit % 8);
        out[byte] |= (uint8_t)v;
        if (v > 0xFF)
            out[byte + 1] |= (uint8_t)(v >> 8);
    }
    *out_len = need;
    return KZ_OK;
}

/* Unpack exactly n septets from exactly gsm7_packed_len(n, fill_bits) octets. */
kz_status gsm7_unpack(const uint8_t *octets, size_t len, unsigned fill_bits, size_t n,
                      uint8_t *septets, size_t cap, kz_err *err)
{
    if (fill_bits > 6)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "fill bits %u above 6", fill_bits);
    size_t need = gsm7_packed_len(n, fill_bits);
    if (len < need)
        return kz_err_set(err, KZ_ERR_TRUNCATED, len, "%zu septets need %zu octets, have %zu", n,
                          need, len);
    if (len > need)
        return kz_err_set(err, KZ_ERR_TRAILING, need, "%zu octets left after %zu septets",
                          len - need, n);
    if (cap < n)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "need room for %zu septets", n);
    for (size_t i = 0; i < n; i++) {
        size_t bit = i % 8 * 7 + fill_bits;
        size_t byte = i / 8 * 7 + bit / 8;
        unsigned v = octets[byte];
        if (bit % 8 > 1)
            v |= (unsigned)octets[byte + 1] << 8;
        septets[i] = (uint8_t)(v >> (bit % 8) & 0x7F);
    }
    return KZ_OK;
}
