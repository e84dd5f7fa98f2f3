/*
 * test_hex.c - unit tests for modem/hex.c: round trips, both letter cases,
 * odd counts, bad digits, exact and short buffers.
 * Never touches files or the network.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "hex.h"

static void test_decode_basic(void)
{
    uint8_t out[8];
    size_t n = 99;
    kz_err err;
    KT_CHECK(hex_decode("", 0, out, 0, &n, &err) == KZ_OK && n == 0, "empty decodes to nothing");
    KT_CHECK(hex_decode("00ff7Fa0", 8, out, sizeof out, &n, &err) == KZ_OK, "mixed case");
    KT_CHECK(n == 4 && out[0] == 0x00 && out[1] == 0xFF && out[2] == 0x7F && out[3] == 0xA0,
             "bytes wrong (n=%zu)", n);
    uint8_t big[11];
    KT_CHECK(hex_decode("0123456789abcdefABCDEF", 22, big, sizeof big, &n, NULL) == KZ_OK &&
                 n == 11 && big[0] == 0x01 && big[7] == 0xEF && big[8] == 0xAB && big[10] == 0xEF,
             "all digits");
}

static void test_decode_errors(void)
{
    uint8_t out[8] = {0};
    size_t n = 99;
    kz_err err;
    KT_CHECK(hex_decode("ABC", 3, out, sizeof out, &n, &err) == KZ_ERR_INVALID, "odd count");
    KT_CHECK(err.offset == 2 && n == 0, "odd offset %zu", err.offset);
    KT_CHECK(hex_decode("A", 1, out, sizeof out, &n, &err) == KZ_ERR_INVALID && err.offset == 0,
             "single digit");
    KT_CHECK(hex_decode("0G", 2, out, sizeof out, &n, &err) == KZ_ERR_INVALID && err.offset == 1,
             "G is not hex, offset %zu", err.offset);
    KT_CHECK(hex_decode("00 1", 4, out, sizeof out, &n, &err) == KZ_ERR_INVALID &&
                 err.offset == 2,
             "space separator rejected");
    KT_CHECK(hex_decode("AB\0C", 4, out, sizeof out, &n, &err) == KZ_ERR_INVALID &&
                 err.offset == 2,
             "embedded NUL rejected");
    KT_CHECK(hex_decode("0x12", 4, out, sizeof out, &n, &err) == KZ_ERR_INVALID &&
                 err.offset == 1,
             "0x prefix rejected");
    KT_CHECK(hex_decode("1122G", 5, out, sizeof out, &n, &err) == KZ_ERR_INVALID &&
                 err.offset == 4,
             "bad char reported before odd count");
    KT_CHECK(out[0] == 0, "nothing written on error");
    KT_CHECK(hex_decode("112233", 6, out, 2, &n, &err) == KZ_ERR_NOSPACE && n == 0, "nospace");
    KT_CHECK(out[0] == 0, "nothing written on nospace");
    KT_CHECK(hex_decode("112233", 6, out, 3, &n, NULL) == KZ_OK && n == 3, "exact cap, NULL err");
    char bad[3] = {(char)0xC3, (char)0xA9, 0};
    KT_CHECK(hex_decode(bad, 2, out, sizeof out, &n, &err) == KZ_ERR_INVALID && err.offset == 0,
             "high bytes rejected");
}

static void test_encode(void)
{
    char out[16];
    uint8_t in[] = {0x00, 0x9F, 0xAB, 0xFF};
    KT_CHECK(hex_encode(in, 4, out, 9) == KZ_OK, "exact cap");
    KT_STREQ(out, "009FABFF", "encode");
    memset(out, 'x', sizeof out);
    KT_CHECK(hex_encode(in, 4, out, 8) == KZ_ERR_NOSPACE && out[0] == 'x', "one short");
    KT_CHECK(hex_encode(in, 0, out, 1) == KZ_OK && out[0] == '\0', "empty");
    KT_CHECK(hex_encode(in, 0, out, 0) == KZ_ERR_NOSPACE, "no room for NUL");
    KT_CHECK(hex_encode(in, (size_t)-1 / 2 + 1, out, sizeof out) == KZ_ERR_NOSPACE,
             "huge len does not overflow");
}

static void test_roundtrip(void)
{
    uint8_t all[256], back[256];
    char hex[513];
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    KT_CHECK(hex_encode(all, 256, hex, sizeof hex) == KZ_OK, "encode all");
    KT_CHECK(strlen(hex) == 512, "length");
    KT_CHECK(hex_decode(hex, 512, back, sizeof back, &n, NULL) == KZ_OK && n == 256 &&
                 memcmp(all, back, 256) == 0,
             "round trip of every byte");
}

int main(void)
{
    test_decode_basic();
    test_decode_errors();
    test_encode();
    test_roundtrip();
    return kt_report();
}
