/*
 * test_utf8.c - unit tests for modem/utf8.c: every length class, the
 * boundaries of each, and the inputs strict UTF-8 must refuse (overlongs,
 * surrogates, values above U+10FFFF, stray continuations, truncations).
 * Never touches files or the network.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "utf8.h"

/* Expect s (n bytes) to decode to cp using all n bytes. */
static void want_cp(const char *s, size_t n, uint32_t cp, const char *label)
{
    uint32_t got = 0xDEADBEEF;
    size_t used = utf8_decode((const uint8_t *)s, n, &got);
    KT_CHECK(used == n && got == cp, "%s: used %zu got U+%04X", label, used, (unsigned)got);
}

/* Expect s (n bytes) to be refused, leaving *cp untouched, and utf8_valid to say where. */
static void want_bad(const char *s, size_t n, size_t bad_at, const char *label)
{
    uint32_t got = 0x12345;
    size_t off = 999;
    if (bad_at == 0) {
        KT_CHECK(utf8_decode((const uint8_t *)s, n, &got) == 0 && got == 0x12345,
                 "%s: decoded", label);
    }
    KT_CHECK(!utf8_valid((const uint8_t *)s, n, &off) && off == bad_at, "%s: offset %zu", label,
             off);
}

static void test_valid_boundaries(void)
{
    want_cp("\x00", 1, 0x00, "NUL");
    want_cp("\x7F", 1, 0x7F, "DEL");
    want_cp("\xC2\x80", 2, 0x80, "first 2-byte");
    want_cp("\xDF\xBF", 2, 0x7FF, "last 2-byte");
    want_cp("\xE0\xA0\x80", 3, 0x800, "first 3-byte");
    want_cp("\xED\x9F\xBF", 3, 0xD7FF, "before surrogates");
    want_cp("\xEE\x80\x80", 3, 0xE000, "after surrogates");
    want_cp("\xEF\xBF\xBD", 3, 0xFFFD, "replacement char");
    want_cp("\xEF\xBF\xBF", 3, 0xFFFF, "last BMP");
    want_cp("\xF0\x90\x80\x80", 4, 0x10000, "first 4-byte");
    want_cp("\xF0\x9F\x98\x80", 4, 0x1F600, "emoji");
    want_cp("\xF4\x8F\xBF\xBF", 4, 0x10FFFF, "last code point");
    want_cp("\xE2\x82\xAC", 3, 0x20AC, "euro");
    uint32_t cp;
    KT_CHECK(utf8_decode((const uint8_t *)"ab", 2, &cp) == 1 && cp == 'a', "stops after one");
    KT_CHECK(utf8_decode((const uint8_t *)"", 0, &cp) == 0, "empty input");
    KT_CHECK(utf8_valid((const uint8_t *)"", 0, NULL) == 1, "empty is valid");
    const char *mixed = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";
    KT_CHECK(utf8_valid((const uint8_t *)mixed, strlen(mixed), NULL) == 1, "mixed valid");
}

static void test_invalid(void)
{
    want_bad("\x80", 1, 0, "lone continuation");
    want_bad("\xBF", 1, 0, "lone continuation BF");
    want_bad("\xC0\x80", 2, 0, "overlong NUL");
    want_bad("\xC1\xBF", 2, 0, "overlong 7F");
    want_bad("\xE0\x80\x80", 3, 0, "overlong 3-byte NUL");
    want_bad("\xE0\x9F\xBF", 3, 0, "overlong 7FF");
    want_bad("\xF0\x80\x80\x80", 4, 0, "overlong 4-byte");
    want_bad("\xF0\x8F\xBF\xBF", 4, 0, "overlong FFFF");
    want_bad("\xED\xA0\x80", 3, 0, "high surrogate D800");
    want_bad("\xED\xBF\xBF", 3, 0, "low surrogate DFFF");
    want_bad("\xED\xA0\xBD\xED\xB8\x80", 6, 0, "CESU-8 pair");
    want_bad("\xF4\x90\x80\x80", 4, 0, "U+110000");
    want_bad("\xF5\x80\x80\x80", 4, 0, "F5 lead");
    want_bad("\xF8\x88\x80\x80\x80", 5, 0, "5-byte form");
    want_bad("\xFE", 1, 0, "FE");
    want_bad("\xFF", 1, 0, "FF");
    want_bad("\xC3", 1, 0, "truncated 2-byte");
    want_bad("\xE2\x82", 2, 0, "truncated 3-byte");
    want_bad("\xF0\x9F\x98", 3, 0, "truncated 4-byte");
    want_bad("\xC3\x41", 2, 0, "bad continuation");
    want_bad("\xE2\x41\xAC", 3, 0, "bad middle continuation");
    want_bad("\xF0\x9F\x98\x41", 4, 0, "bad last continuation");
    want_bad("ab\xC3", 3, 2, "truncated at end");
    want_bad("a\xE2\x82\xAC\x80", 5, 4, "stray continuation after euro");
    want_bad("ok\xED\xA0\x80ok", 7, 2, "surrogate in text");
    uint32_t cp = 7;
    KT_CHECK(utf8_decode((const uint8_t *)"\xE2\x82\xAC", 2, &cp) == 0 && cp == 7,
             "length limits the read");
}

static void test_encode(void)
{
    static const uint32_t cps[] = {0,      0x7F,   0x80,    0x7FF,   0x800,   0xD7FF,
                                   0xE000, 0xFFFD, 0xFFFF,  0x10000, 0x1F600, 0x10FFFF};
    static const size_t lens[] = {1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        uint8_t b[4];
        uint32_t back = 0;
        size_t n = utf8_encode(cps[i], b);
        KT_CHECK(n == lens[i], "U+%04X encodes to %zu bytes", (unsigned)cps[i], n);
        KT_CHECK(utf8_decode(b, n, &back) == n && back == cps[i], "U+%04X round trip",
                 (unsigned)cps[i]);
    }
    uint8_t b[4];
    KT_CHECK(utf8_encode(0xD800, b) == 0, "high surrogate refused");
    KT_CHECK(utf8_encode(0xDFFF, b) == 0, "low surrogate refused");
    KT_CHECK(utf8_encode(0x110000, b) == 0, "above U+10FFFF refused");
    KT_CHECK(utf8_encode(0xFFFFFFFF, b) == 0, "huge refused");
    KT_CHECK(utf8_encode(0x20AC, b) == 3 && memcmp(b, "\xE2\x82\xAC", 3) == 0, "euro bytes");
}

/* Every code point encodes and decodes back, and every surrogate is refused. */
static void test_exhaustive(void)
{
    size_t bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t b[4];
        uint32_t back = 0;
        size_t n = utf8_encode(cp, b);
        int surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (surrogate ? n != 0 : (n == 0 || utf8_decode(b, n, &back) != n || back != cp))
            bad++;
    }
    KT_CHECK(bad == 0, "%zu code points misbehave", bad);
}

/* Every two-byte input either decodes to its own encoding or is refused. */
static void test_all_two_byte_inputs(void)
{
    size_t bad = 0;
    for (unsigned a = 0xC0; a < 0x100; a++) {
        for (unsigned c = 0; c < 0x100; c++) {
            uint8_t s[2] = {(uint8_t)a, (uint8_t)c}, re[4];
            uint32_t cp;
            size_t n = utf8_decode(s, 2, &cp);
            if (n != 0 && (n != 2 || utf8_encode(cp, re) != 2 || memcmp(re, s, 2) != 0))
                bad++;
        }
    }
    KT_CHECK(bad == 0, "%zu two-byte inputs accepted wrongly", bad);
}

int main(void)
{
    test_valid_boundaries();
    test_invalid();
    test_encode();
    test_exhaustive();
    test_all_two_byte_inputs();
    return kt_report();
}
