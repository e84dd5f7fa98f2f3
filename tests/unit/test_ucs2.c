/*
 * test_ucs2.c - unit tests for modem/ucs2.c: UTF-16BE both ways with
 * surrogate pairs, lone/reversed surrogates becoming U+FFFD, odd byte counts,
 * buffer limits, and a round trip of every Unicode scalar value.
 * Never touches files or the network.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "ucs2.h"
#include "utf8.h"

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", b[i]);
    out[2 * n] = '\0';
}

/* Encode text and compare the UTF-16BE bytes with want_hex; then decode back. */
static void want_enc(const char *text, const char *want_hex)
{
    uint8_t be[64];
    char hex[129], back[96];
    size_t n = 0, bn = 0;
    kz_err err;
    KT_CHECK(ucs2_from_utf8((const uint8_t *)text, strlen(text), be, sizeof be, &n, &err) ==
                 KZ_OK,
             "encode %s: %s", want_hex, err.msg);
    hex_of(be, n, hex);
    KT_STREQ(hex, want_hex, "UTF-16BE");
    KT_CHECK(ucs2_units((const uint8_t *)text, strlen(text)) == n / 2, "units of %s", want_hex);
    KT_CHECK(ucs2_to_utf8(be, n, back, sizeof back, &bn, &err) == KZ_OK && bn == strlen(text),
             "decode %s", want_hex);
    KT_STREQ(back, text, "round trip");
}

/* Decode the given UTF-16BE bytes and compare with want (UTF-8). */
static void want_dec(const uint8_t *be, size_t len, const char *want, const char *label)
{
    char out[64];
    size_t n = 0;
    KT_CHECK(ucs2_to_utf8(be, len, out, sizeof out, &n, NULL) == KZ_OK && n == strlen(want),
             "%s: status/length", label);
    KT_STREQ(out, want, label);
}

static void test_encode(void)
{
    want_enc("", "");
    want_enc("Hi", "00480069");
    want_enc("\xE2\x82\xAC", "20AC");
    want_enc("Привет", "041F04400438043204350442");
    want_enc("\xF0\x9F\x98\x80", "D83DDE00");
    want_enc("\xF0\x90\x80\x80", "D800DC00");
    want_enc("\xF4\x8F\xBF\xBF", "DBFFDFFF");
    want_enc("a\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!", "0061D83DDC4DD83CDFFD0021");
    want_enc("\xEF\xBF\xBF\xEE\x80\x80\xED\x9F\xBF", "FFFFE000D7FF");
}

static void test_encode_errors(void)
{
    uint8_t be[8];
    size_t n = 9;
    kz_err err;
    KT_CHECK(ucs2_from_utf8((const uint8_t *)"ab\xC3", 3, be, sizeof be, &n, &err) ==
                     KZ_ERR_UTF8 &&
                 err.offset == 2,
             "truncated UTF-8 at %zu", err.offset);
    KT_CHECK(ucs2_from_utf8((const uint8_t *)"\xED\xA0\xBD", 3, be, sizeof be, &n, &err) ==
                 KZ_ERR_UTF8,
             "CESU surrogate in UTF-8");
    KT_CHECK(ucs2_from_utf8((const uint8_t *)"a\xF0\x9F\x98\x80", 5, be, 5, &n, &err) ==
                     KZ_ERR_NOSPACE &&
                 n == 2 && err.offset == 1,
             "pair needs 4 bytes");
    KT_CHECK(ucs2_from_utf8((const uint8_t *)"a\xF0\x9F\x98\x80", 5, be, 6, &n, NULL) == KZ_OK &&
                 n == 6,
             "exact fit");
    KT_CHECK(ucs2_from_utf8((const uint8_t *)"", 0, NULL, 0, &n, NULL) == KZ_OK && n == 0,
             "empty");
    KT_CHECK(ucs2_units((const uint8_t *)"", 0) == 0, "no units");
    KT_CHECK(ucs2_units((const uint8_t *)"\xC0\xAF", 2) == (size_t)-1, "overlong");
    KT_CHECK(ucs2_units((const uint8_t *)"\xF4\x90\x80\x80", 4) == (size_t)-1, "> U+10FFFF");
}

static void test_decode_surrogates(void)
{
    const uint8_t lone_hi[] = {0x00, 0x41, 0xD8, 0x3D};
    want_dec(lone_hi, 4, "A\xEF\xBF\xBD", "lone high at end");
    const uint8_t lone_lo[] = {0xDE, 0x00, 0x00, 0x41};
    want_dec(lone_lo, 4, "\xEF\xBF\xBD" "A", "lone low first");
    const uint8_t reversed[] = {0xDE, 0x00, 0xD8, 0x3D};
    want_dec(reversed, 4, "\xEF\xBF\xBD\xEF\xBF\xBD", "reversed pair");
    const uint8_t hi_then_char[] = {0xD8, 0x3D, 0x00, 0x42};
    want_dec(hi_then_char, 4, "\xEF\xBF\xBD" "B", "high then BMP keeps the BMP char");
    const uint8_t hi_hi_lo[] = {0xD8, 0x3D, 0xD8, 0x3D, 0xDE, 0x00};
    want_dec(hi_hi_lo, 6, "\xEF\xBF\xBD\xF0\x9F\x98\x80", "high, then a good pair");
    const uint8_t nul[] = {0x00, 0x41, 0x00, 0x00};
    char out[8];
    size_t n = 0;
    KT_CHECK(ucs2_to_utf8(nul, 4, out, sizeof out, &n, NULL) == KZ_OK && n == 2 &&
                 out[0] == 'A' && out[1] == '\0',
             "U+0000 kept as a NUL byte");
}

static void test_decode_errors(void)
{
    const uint8_t be[] = {0x00, 0x41, 0x00};
    char out[16];
    size_t n = 9;
    kz_err err;
    KT_CHECK(ucs2_to_utf8(be, 3, out, sizeof out, &n, &err) == KZ_ERR_TRUNCATED &&
                 err.offset == 2 && n == 0 && out[0] == '\0',
             "odd length");
    KT_CHECK(ucs2_to_utf8(be, 1, out, sizeof out, &n, &err) == KZ_ERR_TRUNCATED, "one byte");
    KT_CHECK(ucs2_to_utf8(be, 0, out, 1, &n, &err) == KZ_OK && n == 0 && out[0] == '\0',
             "empty");
    KT_CHECK(ucs2_to_utf8(be, 0, out, 0, &n, &err) == KZ_ERR_NOSPACE, "no room for NUL");
    const uint8_t euro[] = {0x20, 0xAC};
    KT_CHECK(ucs2_to_utf8(euro, 2, out, 4, &n, &err) == KZ_OK && n == 3, "exact fit");
    KT_CHECK(ucs2_to_utf8(euro, 2, out, 3, &n, &err) == KZ_ERR_NOSPACE && out[0] == '\0',
             "one short");
    /* Worst case: lone surrogates, 3 UTF-8 bytes per 2 input bytes. */
    uint8_t lone[40];
    char big[3 * 40 / 2 + 1];
    for (size_t i = 0; i < 40; i += 2) {
        lone[i] = 0xDC;
        lone[i + 1] = (uint8_t)i;
    }
    KT_CHECK(ucs2_to_utf8(lone, 40, big, sizeof big, &n, NULL) == KZ_OK && n == 60,
             "3*len/2+1 suffices");
}

/* Every scalar value survives UTF-8 -> UTF-16BE -> UTF-8. */
static void test_roundtrip_all(void)
{
    size_t bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t u8[4], be[4];
        char back[8];
        size_t n = utf8_encode(cp, u8), bn = 0, tn = 0;
        if (n == 0)
            continue;
        if (ucs2_from_utf8(u8, n, be, sizeof be, &bn, NULL) != KZ_OK ||
            bn != (cp >= 0x10000 ? 4u : 2u) ||
            ucs2_to_utf8(be, bn, back, sizeof back, &tn, NULL) != KZ_OK || tn != n ||
            memcmp(back, u8, n) != 0)
            bad++;
    }
    KT_CHECK(bad == 0, "%zu code points fail the round trip", bad);
}

int main(void)
{
    test_encode();
    test_encode_errors();
    test_decode_surrogates();
    test_decode_errors();
    test_roundtrip_all();
    return kt_report();
}
