/*
 * ucs2.c - UTF-8 <-> UTF-16BE, the "UCS-2" of SMS (TS 23.038 with surrogate
 * pairs for characters beyond the BMP, as phones send emoji). Owns the
 * conversion only; never allocates and never emits a lone surrogate in
 * either direction (bad input surrogates become U+FFFD).
 */
#include "ucs2.h"

#include <stdbool.h>

#include "utf8.h"

#define HI_FIRST 0xD800u
#define LO_FIRST 0xDC00u
#define LO_LAST 0xDFFFu

static bool is_high(uint32_t u)
{
    return u >= HI_FIRST && u < LO_FIRST;
}

static bool is_low(uint32_t u)
{
    return u >= LO_FIRST && u <= LO_LAST;
}

/* Store one UTF-16 unit big-endian, byte by byte (no aligned stores). */
static void put_be16(uint8_t *p, uint32_t u)
{
    p[0] = (uint8_t)(u >> 8);
    p[1] = (uint8_t)u;
}

static uint32_t get_be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

/*
 * UTF-8 -> UTF-16BE bytes. On failure *out_len is the byte count written
 * before the offending character: KZ_ERR_UTF8 (err->offset = its byte
 * index) or KZ_ERR_NOSPACE (err->offset likewise).
 */
kz_status ucs2_from_utf8(const uint8_t *utf8, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len, kz_err *err)
{
    size_t i = 0, o = 0;
    *out_len = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        if (n == 0)
            return kz_err_set(err, KZ_ERR_UTF8, i, "invalid UTF-8 at byte %zu", i);
        size_t need = cp >= 0x10000 ? 4 : 2;
        if (cap - o < need)
            return kz_err_set(err, KZ_ERR_NOSPACE, i, "UCS-2 buffer full at byte %zu", i);
        if (need == 2) {
            put_be16(out + o, cp);
        } else {
            put_be16(out + o, HI_FIRST + ((cp - 0x10000) >> 10));
            put_be16(out + o + 2, LO_FIRST + ((cp - 0x10000) & 0x3FF));
        }
        o += need;
        *out_len = o;
        i += n;
    }
    return KZ_OK;
}

/* The code point at be[*i], consuming 2 or 4 bytes; bad surrogates give U+FFFD. */
static uint32_t ucs2_take(const uint8_t *be, size_t len, size_t *i)
{
    uint32_t u = get_be16(be + *i);
    *i += 2;
    if (!is_high(u) && !is_low(u))
        return u;
    if (is_low(u) || len - *i < 2)
        return 0xFFFD;
    uint32_t lo = get_be16(be + *i);
    if (!is_low(lo))
        return 0xFFFD; /* the next unit is read again on its own */
    *i += 2;
    return 0x10000 + ((u - HI_FIRST) << 10) + (lo - LO_FIRST);
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

/*
 * UTF-16BE -> NUL-terminated UTF-8. KZ_ERR_TRUNCATED (err->offset = len - 1)
 * on an odd byte count, KZ_ERR_NOSPACE if out is too small (3*len/2+1
 * bytes suffice); out is an empty string after a failure when cap > 0.
 * A U+0000 unit is kept as a NUL byte inside the text (*out_len counts it).
 */
kz_status ucs2_to_utf8(const uint8_t *be, size_t len, char *out, size_t cap, size_t *out_len,
                       kz_err *err)
{
    *out_len = 0;
    if (cap == 0)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "no room for the NUL");
    out[0] = '\0';
    if (len % 2 != 0)
        return kz_err_set(err, KZ_ERR_TRUNCATED, len - 1, "odd UCS-2 byte count %zu", len);
    size_t i = 0, pos = 0;
    while (i < len) {
        if (!put_utf8(ucs2_take(be, len, &i), out, cap, &pos)) {
            out[0] = '\0';
            return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "text buffer of %zu too small",
                              cap);
        }
    }
    out[pos] = '\0';
    *out_len = pos;
    return KZ_OK;
}

/* UTF-16 units for valid UTF-8 text, (size_t)-1 if it is invalid. */
size_t ucs2_units(const uint8_t *utf8, size_t len)
{
    size_t i = 0, units = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        if (n == 0)
            return (size_t)-1;
        units += cp >= 0x10000 ? 2 : 1;
        i += n;
    }
    return units;
}
