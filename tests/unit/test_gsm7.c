/*
 * test_gsm7.c - unit tests for modem/gsm7.c: the whole default alphabet and
 * extension table checked against a list written out here from TS 23.038,
 * reverse-lookup consistency over every code point, ESC edge cases, septet
 * packing at every fill, and the trailing '@' (0x00) ambiguity.
 * Never touches files or the network.
 */
#include <stdint.h>
#include <string.h>

#include "gsm7.h"
#include "harness.h"

/* TS 23.038 6.2.1 default alphabet in septet order; 0x1B (ESC) left out. */
static const char alphabet_lo[] = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ";
static const char alphabet_hi[] = "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                                  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
                                  "abcdefghijklmnopqrstuvwxyzäöñüà";
/* TS 23.038 6.2.1.1 extension table, in code order, and the codes. */
static const char ext_chars[] = "\f^{}\\[~]|€";
static const uint8_t ext_codes[] = {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65};

static kz_status to_septets(const char *s, uint8_t *out, size_t cap, size_t *n, kz_err *err)
{
    return gsm7_from_utf8((const uint8_t *)s, strlen(s), out, cap, n, err);
}

static void test_default_alphabet(void)
{
    uint8_t sep[128];
    size_t n = 0;
    KT_CHECK(to_septets(alphabet_lo, sep, sizeof sep, &n, NULL) == KZ_OK && n == 27, "lo n=%zu",
             n);
    for (size_t i = 0; i < n; i++)
        KT_CHECK(sep[i] == i, "septet %zu is 0x%02X", i, sep[i]);
    KT_CHECK(to_septets(alphabet_hi, sep, sizeof sep, &n, NULL) == KZ_OK && n == 100, "hi n=%zu",
             n);
    for (size_t i = 0; i < n; i++)
        KT_CHECK(sep[i] == 0x1C + i, "septet %zu is 0x%02X", 0x1C + i, sep[i]);

    uint8_t all[127];
    char text[400];
    for (unsigned s = 0, k = 0; s < 128; s++) {
        if (s != GSM7_ESC)
            all[k++] = (uint8_t)s;
    }
    size_t tl = 0;
    KT_CHECK(gsm7_to_utf8(all, 127, text, sizeof text, &tl, NULL) == KZ_OK, "decode all");
    char want[400];
    snprintf(want, sizeof want, "%s%s", alphabet_lo, alphabet_hi);
    KT_STREQ(text, want, "whole default alphabet");
    KT_CHECK(tl == strlen(want), "out_len %zu", tl);
}

static void test_extension_table(void)
{
    uint8_t sep[32];
    size_t n = 0;
    KT_CHECK(to_septets(ext_chars, sep, sizeof sep, &n, NULL) == KZ_OK && n == 20, "n=%zu", n);
    for (size_t i = 0; i < 10; i++) {
        KT_CHECK(sep[2 * i] == GSM7_ESC && sep[2 * i + 1] == ext_codes[i], "ext %zu: %02X %02X",
                 i, sep[2 * i], sep[2 * i + 1]);
        KT_CHECK(gsm7_ext_codepoint(ext_codes[i]) != 0, "ext code 0x%02X", ext_codes[i]);
    }
    char text[64];
    size_t tl = 0;
    KT_CHECK(gsm7_to_utf8(sep, n, text, sizeof text, &tl, NULL) == KZ_OK, "decode ext");
    KT_STREQ(text, ext_chars, "extension round trip");
    KT_CHECK(gsm7_ext_codepoint(0x65) == 0x20AC && gsm7_ext_codepoint(0x0A) == 0x0C,
             "euro and form feed");
    unsigned defined = 0;
    for (unsigned s = 0; s < 128; s++)
        defined += gsm7_ext_codepoint((uint8_t)s) != 0;
    KT_CHECK(defined == 10, "%u extension entries", defined);
    KT_CHECK(gsm7_ext_codepoint(0x1B) == 0 && gsm7_ext_codepoint(0x0D) == 0, "reserved codes");
}

/* Reverse lookup agrees with the tables for every Unicode scalar value. */
static void test_reverse_exhaustive(void)
{
    unsigned one = 0, two = 0, bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t s[2] = {0xEE, 0xEE};
        size_t k = gsm7_from_codepoint(cp, s);
        if (k == 1) {
            one++;
            bad += s[0] > 127 || s[0] == GSM7_ESC || gsm7_default_codepoint(s[0]) != cp;
        } else if (k == 2) {
            two++;
            bad += s[0] != GSM7_ESC || gsm7_ext_codepoint(s[1]) != cp;
        } else {
            bad += k != 0;
        }
    }
    KT_CHECK(one == 127 && two == 10 && bad == 0, "one=%u two=%u bad=%u", one, two, bad);
    KT_CHECK(gsm7_from_codepoint('A', NULL) == 1 && gsm7_from_codepoint(0x20AC, NULL) == 2,
             "NULL out");
    static const uint32_t none[] = {'`', 0x7F, '\t', 0x00, 0x1B, 0xE7, 0xA0, 0xC0,
                                    0x3B1, 0x410, 0x1F600, 0xFFFD, 0x10FFFF, 0x110000};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        KT_CHECK(gsm7_from_codepoint(none[i], NULL) == 0, "U+%04X has no form",
                 (unsigned)none[i]);
    KT_CHECK(gsm7_default_codepoint(0x1B) == ' ', "ESC reads as space");
    KT_CHECK(gsm7_default_codepoint(0x00) == '@' && gsm7_default_codepoint(0x02) == '$' &&
                 gsm7_default_codepoint(0x11) == '_' && gsm7_default_codepoint(0x09) == 0xC7,
             "spot checks");
}

static void test_from_utf8_errors(void)
{
    uint8_t sep[8];
    size_t n = 9;
    kz_err err;
    KT_CHECK(to_septets("", sep, 0, &n, &err) == KZ_OK && n == 0, "empty");
    KT_CHECK(to_septets("ab`c", sep, sizeof sep, &n, &err) == KZ_ERR_INVALID && err.offset == 2,
             "backquote offset %zu", err.offset);
    KT_CHECK(to_septets("é\xC3", sep, sizeof sep, &n, &err) == KZ_ERR_UTF8 && err.offset == 2,
             "truncated utf8 offset %zu", err.offset);
    KT_CHECK(to_septets("a\xED\xA0\x80", sep, sizeof sep, &n, &err) == KZ_ERR_UTF8 &&
                 err.offset == 1,
             "surrogate");
    KT_CHECK(to_septets("a\xC0\x80", sep, sizeof sep, &n, &err) == KZ_ERR_UTF8, "overlong NUL");
    KT_CHECK(to_septets("aé😀", sep, sizeof sep, &n, &err) == KZ_ERR_INVALID && err.offset == 3,
             "emoji offset %zu", err.offset);
    KT_CHECK(to_septets("abc", sep, 2, &n, &err) == KZ_ERR_NOSPACE && err.offset == 2, "nospace");
    KT_CHECK(to_septets("a€", sep, 2, &n, &err) == KZ_ERR_NOSPACE, "ext needs two septets");
    KT_CHECK(to_septets("a€", sep, 3, &n, &err) == KZ_OK && n == 3, "ext exact fit");
    KT_CHECK(to_septets("@", sep, 1, &n, NULL) == KZ_OK && n == 1 && sep[0] == 0, "@ is 0x00");
}

static void test_to_utf8_edges(void)
{
    char out[32];
    size_t n = 0;
    kz_err err;
    const uint8_t lone[] = {'a', GSM7_ESC};
    KT_CHECK(gsm7_to_utf8(lone, 2, out, sizeof out, &n, &err) == KZ_OK, "lone ESC ok");
    KT_STREQ(out, "a ", "trailing lone ESC is a space");
    const uint8_t only[] = {GSM7_ESC};
    KT_CHECK(gsm7_to_utf8(only, 1, out, sizeof out, &n, &err) == KZ_OK && n == 1, "only ESC");
    KT_STREQ(out, " ", "only ESC");
    const uint8_t undef[] = {GSM7_ESC, 0x41, GSM7_ESC, 0x00};
    KT_CHECK(gsm7_to_utf8(undef, 4, out, sizeof out, &n, &err) == KZ_OK, "undefined ext");
    KT_STREQ(out, "A@", "ESC + undefined code shows the default character");
    const uint8_t escesc[] = {GSM7_ESC, GSM7_ESC, 0x28};
    KT_CHECK(gsm7_to_utf8(escesc, 3, out, sizeof out, &n, &err) == KZ_OK, "ESC ESC");
    KT_STREQ(out, " (", "ESC ESC is a space, then the next septet");
    const uint8_t ats[] = {0x00, 0x00, 'x', 0x00};
    KT_CHECK(gsm7_to_utf8(ats, 4, out, sizeof out, &n, &err) == KZ_OK && n == 4, "@ runs");
    KT_STREQ(out, "@@x@", "0x00 is @ everywhere, also last");
    const uint8_t high[] = {'a', 0x80};
    KT_CHECK(gsm7_to_utf8(high, 2, out, sizeof out, &n, &err) == KZ_ERR_INVALID &&
                 err.offset == 1,
             "septet > 127");
    KT_CHECK(gsm7_to_utf8(high, 0, out, sizeof out, &n, &err) == KZ_OK && n == 0 && !out[0],
             "empty");
    KT_CHECK(gsm7_to_utf8(high, 0, out, 0, &n, &err) == KZ_ERR_NOSPACE, "no room for NUL");
    const uint8_t euro[] = {GSM7_ESC, 0x65, 0x10};
    KT_CHECK(gsm7_to_utf8(euro, 3, out, 6, &n, &err) == KZ_OK && n == 5, "exact fit");
    KT_STREQ(out, "€Δ", "euro delta");
    KT_CHECK(gsm7_to_utf8(euro, 3, out, 5, &n, &err) == KZ_ERR_NOSPACE && out[0] == '\0',
             "one short");
    uint8_t worst[40];
    char big[3 * 40 + 1];
    for (size_t i = 0; i < 40; i++)
        worst[i] = i % 2 ? 0x65 : GSM7_ESC;
    worst[39] = 0x10;
    KT_CHECK(gsm7_to_utf8(worst, 40, big, sizeof big, &n, NULL) == KZ_OK, "3n+1 suffices");
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", b[i]);
    out[2 * n] = '\0';
}

static void test_pack_known(void)
{
    uint8_t sep[16], packed[16];
    size_t n = 0, pn = 0;
    char hex[40];
    to_septets("hellohello", sep, sizeof sep, &n, NULL);
    KT_CHECK(gsm7_pack(sep, n, 0, packed, sizeof packed, &pn) == KZ_OK && pn == 9, "pack");
    hex_of(packed, pn, hex);
    KT_STREQ(hex, "E8329BFD4697D9EC37", "hellohello (TS 23.038 example)");
    KT_CHECK(gsm7_pack(sep, 1, 1, packed, sizeof packed, &pn) == KZ_OK && pn == 1 &&
                 packed[0] == (0x68 << 1),
             "fill 1");
    KT_CHECK(gsm7_pack(sep, 1, 6, packed, sizeof packed, &pn) == KZ_OK && pn == 2 &&
                 packed[0] == 0x00 && packed[1] == 0x1A,
             "fill 6 spills: %02X %02X", packed[0], packed[1]);
    const uint8_t bad[] = {0x41, 0x80};
    KT_CHECK(gsm7_pack(bad, 2, 0, packed, sizeof packed, &pn) == KZ_ERR_RANGE, "septet > 127");
    KT_CHECK(gsm7_pack(sep, 2, 7, packed, sizeof packed, &pn) == KZ_ERR_RANGE, "fill 7");
    KT_CHECK(gsm7_pack(sep, 8, 0, packed, 6, &pn) == KZ_ERR_NOSPACE, "nospace");
    KT_CHECK(gsm7_pack(sep, 8, 0, packed, 7, &pn) == KZ_OK && pn == 7, "8 septets in 7 octets");
    KT_CHECK(gsm7_pack(sep, 0, 0, NULL, 0, &pn) == KZ_OK && pn == 0, "nothing to pack");
    KT_CHECK(gsm7_packed_len(0, 0) == 0 && gsm7_packed_len(1, 0) == 1 &&
                 gsm7_packed_len(7, 0) == 7 && gsm7_packed_len(8, 0) == 7 &&
                 gsm7_packed_len(9, 0) == 8 && gsm7_packed_len(160, 0) == 140 &&
                 gsm7_packed_len(153, 1) == 134 && gsm7_packed_len(152, 0) == 133 &&
                 gsm7_packed_len(8, 1) == 8 && gsm7_packed_len(0, 6) == 1,
             "packed lengths");
    KT_CHECK(gsm7_packed_len((size_t)-1, 6) == (size_t)-1 / 8 * 7 + (7 * 7 + 6 + 7) / 8,
             "no overflow on huge n");
}

/* 'abcdefg' and 'abcdefg@' pack to the same octets; only the count tells. */
static void test_trailing_at(void)
{
    uint8_t s7[8], s8[8], p7[8], p8[8], back[9];
    size_t n7, n8, l7, l8;
    kz_err err;
    to_septets("abcdefg", s7, sizeof s7, &n7, NULL);
    to_septets("abcdefg@", s8, sizeof s8, &n8, NULL);
    gsm7_pack(s7, n7, 0, p7, sizeof p7, &l7);
    gsm7_pack(s8, n8, 0, p8, sizeof p8, &l8);
    KT_CHECK(l7 == 7 && l8 == 7 && memcmp(p7, p8, 7) == 0, "same packing");
    KT_CHECK(gsm7_unpack(p8, 7, 0, 8, back, sizeof back, &err) == KZ_OK && back[7] == 0,
             "8 septets: trailing @");
    KT_CHECK(gsm7_unpack(p8, 7, 0, 7, back, sizeof back, &err) == KZ_OK, "7 septets");
    KT_CHECK(gsm7_unpack(p8, 7, 0, 9, back, sizeof back, &err) == KZ_ERR_TRUNCATED, "9: short");
    KT_CHECK(gsm7_unpack(p8, 7, 0, 6, back, sizeof back, &err) == KZ_ERR_TRAILING &&
                 err.offset == 6,
             "6: a whole octet left over");
    KT_CHECK(gsm7_unpack(p8, 7, 7, 7, back, sizeof back, &err) == KZ_ERR_RANGE, "fill 7");
    KT_CHECK(gsm7_unpack(p8, 7, 0, 8, back, 7, &err) == KZ_ERR_NOSPACE, "cap < n");
    KT_CHECK(gsm7_unpack(NULL, 0, 0, 0, NULL, 0, &err) == KZ_OK, "empty");
    KT_CHECK(gsm7_unpack(p8, 1, 3, 0, back, 0, &err) == KZ_OK, "fill-only octet, n=0");
    KT_CHECK(gsm7_unpack(p8, 1, 0, 0, back, 0, &err) == KZ_ERR_TRAILING, "octet, no septets");
    KT_CHECK(gsm7_unpack(p8, 0, 1, 0, back, 0, &err) == KZ_ERR_TRUNCATED, "fill octet missing");
}

/* Every length 0..40 at every fill packs and unpacks back, fill bits zero. */
static void test_pack_roundtrip_all_fills(void)
{
    unsigned bad = 0;
    for (unsigned fill = 0; fill <= 6; fill++) {
        for (size_t n = 0; n <= 40; n++) {
            uint8_t sep[40], back[40], packed[40];
            size_t pn = 0;
            for (size_t i = 0; i < n; i++)
                sep[i] = (uint8_t)((i * 37 + fill * 11 + 127) % 128);
            if (gsm7_pack(sep, n, fill, packed, sizeof packed, &pn) != KZ_OK ||
                pn != gsm7_packed_len(n, fill) || (pn && (packed[0] & ((1u << fill) - 1))) ||
                gsm7_unpack(packed, pn, fill, n, back, sizeof back, NULL) != KZ_OK ||
                memcmp(sep, back, n) != 0)
                bad++;
        }
    }
    KT_CHECK(bad == 0, "%u length/fill combinations fail", bad);
}

int main(void)
{
    test_default_alphabet();
    test_extension_table();
    test_reverse_exhaustive();
    test_from_utf8_errors();
    test_to_utf8_edges();
    test_pack_known();
    test_trailing_at();
    test_pack_roundtrip_all_fills();
    return kt_report();
}
