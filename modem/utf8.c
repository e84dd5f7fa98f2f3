/*
 * utf8.c - strict UTF-8 decoding and encoding of single code points.
 * Owns the UTF-8 rules of RFC 3629: shortest form only, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. Never allocates, never accepts
 * a sequence it would not itself produce.
 */
#include "utf8.h"

/*
 * From a lead byte: the sequence length (2-4), the payload bits of the lead
 * byte and the smallest code point that length may carry. Returns 0 for a
 * byte that cannot start a multi-byte sequence (continuation bytes, C0/C1
 * overlong leads, F5..FF).
 */
static size_t utf8_lead(uint8_t b, uint32_t *bits, uint32_t *min)
{
    if (b >= 0xC2 && b <= 0xDF) {
        *bits = b & 0x1Fu;
        *min = 0x80;
        return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        *bits = b & 0x0Fu;
        *min = 0x800;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        *bits = b & 0x07u;
        *min = 0x10000;
        return 4;
    }
    return 0;
}

/* Decode one code point; 0 if invalid or truncated (see utf8.h). */
size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
    if (len == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    uint32_t v, min;
    size_t n = utf8_lead(s[0], &v, &min);
    if (n == 0 || len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Encode cp into out; 0 for a surrogate or a value above U+10FFFF. */
size_t utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF)
        return 0;
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * 1 if s[0..len) is valid UTF-8; else 0 and *bad_offset (if not NULL) is the
 * index of the byte that starts the first invalid or truncated sequence.
 */
int utf8_valid(const uint8_t *s, size_t len, size_t *bad_offset)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            if (bad_offset)
                *bad_offset = i;
            return 0;
        }
        i += n;
    }
    return 1;
}
