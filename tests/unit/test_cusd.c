/*
 * test_cusd.c - unit tests of the +CUSD decoder and the AT+CUSD encoder:
 * error paths with their offsets, the AUTO rules one by one, every
 * truncation of valid lines, and requests round-tripped through the decoder.
 * Never reads the shared vectors (tests/vectors/test_cusd.c does).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cusd.h"
#include "harness.h"

static cusd_reply r; /* 1 KiB: keep it off the stack */

static kz_status parse(const char *line, cusd_wire wire, kz_err *err)
{
    return cusd_parse((const uint8_t *)line, strlen(line), wire, &r, err);
}

static void expect_fail(const char *line, kz_status want, size_t off)
{
    kz_err err;
    kz_status st = parse(line, CUSD_WIRE_AUTO, &err);
    KT_CHECK(st == want, "\"%s\": status %d, want %d", line, (int)st, (int)want);
    KT_CHECK(err.offset == off, "\"%s\": offset %zu, want %zu (%s)", line, err.offset, off,
             err.msg);
    KT_CHECK(!r.has_text && r.text[0] == '\0', "\"%s\": text left on failure", line);
}

static void expect_text(const char *line, cusd_wire wire, int m, int dcs, const char *text)
{
    kz_err err;
    kz_status st = parse(line, wire, &err);
    KT_CHECK(st == KZ_OK, "\"%s\": status %d (%s at %zu)", line, (int)st, err.msg, err.offset);
    KT_CHECK(r.status == m, "\"%s\": m %d", line, r.status);
    KT_CHECK(r.dcs == dcs, "\"%s\": dcs %d", line, r.dcs);
    if (!text) {
        KT_CHECK(!r.has_text, "\"%s\": unexpected text \"%s\"", line, r.text);
        return;
    }
    KT_CHECK(r.has_text, "\"%s\": no text", line);
    KT_STREQ(r.text, text, line);
    KT_CHECK(r.text_len == strlen(text), "\"%s\": text_len %zu", line, r.text_len);
}

static void test_errors(void)
{
    expect_fail("", KZ_ERR_INVALID, 0);
    expect_fail("+CUSD", KZ_ERR_INVALID, 5);
    expect_fail("+CMTI: 0", KZ_ERR_INVALID, 2);
    expect_fail("CUSD: 0", KZ_ERR_INVALID, 0);
    expect_fail("+cusd: 0", KZ_ERR_INVALID, 1);
    expect_fail("+CUSD:", KZ_ERR_INVALID, 6);
    expect_fail("+CUSD: ", KZ_ERR_INVALID, 7);
    expect_fail("+CUSD: x", KZ_ERR_INVALID, 7);
    expect_fail("+CUSD: 6", KZ_ERR_INVALID, 7);
    expect_fail("+CUSD: -1", KZ_ERR_INVALID, 7);
    expect_fail("+CUSD: 99999999999999999999", KZ_ERR_INVALID, 7);
    expect_fail("+CUSD: 0x", KZ_ERR_INVALID, 8);
    expect_fail("+CUSD: 0 ", KZ_ERR_INVALID, 8);
    expect_fail("+CUSD: 0,", KZ_ERR_INVALID, 9);
    expect_fail("+CUSD: 0,\"abc", KZ_ERR_INVALID, 9);
    expect_fail("+CUSD: 0,\"", KZ_ERR_INVALID, 9);
    expect_fail("+CUSD: 0,\"abc\"x", KZ_ERR_INVALID, 14);
    expect_fail("+CUSD: 0,\"abc\",", KZ_ERR_INVALID, 14);
    expect_fail("+CUSD: 0,\"abc\",15x", KZ_ERR_INVALID, 14);
    expect_fail("+CUSD: 0,\"abc\",256", KZ_ERR_INVALID, 15);
    expect_fail("+CUSD: 0,\"abc\",15,1", KZ_ERR_INVALID, 14);
    expect_fail("+CUSD: 0,abc,15 ", KZ_ERR_INVALID, 15);
    expect_fail("+CUSD: 0,abc,", KZ_ERR_INVALID, 13);
    expect_fail("+CUSD: 0,ab\"c", KZ_ERR_INVALID, 11);
    expect_fail("+CUSD: 0,abc,x", KZ_ERR_INVALID, 13);
}

static void test_grammar(void)
{
    expect_text("+CUSD: 2", CUSD_WIRE_AUTO, 2, -1, NULL);
    expect_text("+CUSD:0", CUSD_WIRE_AUTO, 0, -1, NULL);
    expect_text("+CUSD: 5", CUSD_WIRE_AUTO, 5, -1, NULL);
    expect_text("+CUSD: 4,,15", CUSD_WIRE_AUTO, 4, 15, NULL);
    expect_text("+CUSD: 1,\"\",15", CUSD_WIRE_AUTO, 1, 15, NULL);
    expect_text("+CUSD: 1,\"Hi\"", CUSD_WIRE_AUTO, 1, -1, "Hi");
    expect_text("+CUSD: 1, \"Hi\", 15", CUSD_WIRE_AUTO, 1, 15, "Hi");
    expect_text("+CUSD: 0,\"a,b\",15", CUSD_WIRE_AUTO, 0, 15, "a,b");
    /* an embedded quote is kept: the string ends at the quote with a valid tail */
    expect_text("+CUSD: 0,\"say \"hi\" now\",15", CUSD_WIRE_AUTO, 0, 15, "say \"hi\" now");
    expect_text("+CUSD: 0,\"x\",15\",15", CUSD_WIRE_AUTO, 0, 15, "x\",15");
    expect_text("+CUSD: 0,\"a\r\nb\",15", CUSD_WIRE_AUTO, 0, 15, "a\r\nb");
    expect_text("+CUSD: 0,\"a\",255", CUSD_WIRE_AUTO, 0, 255, "a");
    expect_text("+CUSD: 0,\"a\",007", CUSD_WIRE_AUTO, 0, 7, "a");
}

/* DCS groups: compressed and 8-bit data are unsupported but keep m and dcs. */
static void test_dcs(void)
{
    kz_err err;
    kz_status st = parse("+CUSD: 1,\"C8329BFD06\",96", CUSD_WIRE_AUTO, &err);
    KT_CHECK(st == KZ_ERR_UNSUPPORTED, "compressed: %d", (int)st);
    KT_CHECK(r.status == 1 && r.dcs == 96 && !r.has_text, "compressed keeps m/dcs");
    KT_CHECK(err.offset == 10, "compressed offset %zu", err.offset);
    st = parse("+CUSD: 0,\"C8329BFD06\",68", CUSD_WIRE_AUTO, &err); /* 0x44: 8-bit */
    KT_CHECK(st == KZ_ERR_UNSUPPORTED && r.status == 0 && r.dcs == 68, "8-bit hex: %d", (int)st);
    st = parse("+CUSD: 0,\"C8329BFD06\",244", CUSD_WIRE_AUTO, &err); /* 0xF4: 8-bit */
    KT_CHECK(st == KZ_ERR_UNSUPPORTED, "0xF4 hex: %d", (int)st);
    expect_text("+CUSD: 0,\"Hello there\",68", CUSD_WIRE_AUTO, 0, 68, "Hello there");
    /* "hellohello" packed, with the GSM-7 groups 0x00, 0x0F, 0x21, 0x40, 0xF0, 0x80 */
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",0", CUSD_WIRE_AUTO, 0, 0, "hellohello");
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",15", CUSD_WIRE_AUTO, 0, 15, "hellohello");
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",33", CUSD_WIRE_AUTO, 0, 33, "hellohello");
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",64", CUSD_WIRE_AUTO, 0, 64, "hellohello");
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",240", CUSD_WIRE_AUTO, 0, 240, "hellohello");
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",128", CUSD_WIRE_AUTO, 0, 128, "hellohello");
    /* 0x48 UCS-2, and 0x4C (reserved alphabet bits) read as GSM-7 */
    expect_text("+CUSD: 0,\"04100042\",72", CUSD_WIRE_AUTO, 0, 72, "\xD0\x90" "B");
    expect_text("+CUSD: 0,\"E8329BFD4697D9EC37\",76", CUSD_WIRE_AUTO, 0, 76, "hellohello");
    /* UCS-2 DCS but the modem converted to text */
    expect_text("+CUSD: 0,\"Salio: 5\",72", CUSD_WIRE_AUTO, 0, 72, "Salio: 5");
}

static void test_packed(void)
{
    /* 7 septets "1234567" + CR pad fill exactly 7 octets: the CR is dropped */
    expect_text("+CUSD: 0,\"31D98C56B3DD1A\",15", CUSD_WIRE_AUTO, 0, 15, "1234567");
    /* 8 septets "12345678": no pad; a last octet with spare bits is not a septet */
    expect_text("+CUSD: 0,\"31D98C56B3DD70\",15", CUSD_WIRE_AUTO, 0, 15, "12345678");
    /* wanted final CR ("123456\r") plus the CR pad: one CR stays */
    expect_text("+CUSD: 0,\"31D98C56B3351A\",15", CUSD_WIRE_AUTO, 0, 15, "123456\r");
    /* 7 zero pad bits would be '@' if not CR: kept, as TS 23.038 does not allow them */
    expect_text("+CUSD: 0,\"31D98C56B3DD00\",15", CUSD_WIRE_AUTO, 0, 15, "1234567@");
    /* forced GSM7_HEX on bad hex */
    kz_err err;
    KT_CHECK(parse("+CUSD: 0,\"31D9Z\",15", CUSD_WIRE_GSM7_HEX, &err) == KZ_ERR_INVALID,
             "bad hex refused");
    KT_CHECK(err.offset == 14, "bad hex offset %zu", err.offset);
    KT_CHECK(parse("+CUSD: 0,\"31D\",15", CUSD_WIRE_GSM7_HEX, &err) == KZ_ERR_INVALID,
             "odd hex refused");
    /* 0x10: language "en" CR before the text, dropped: septets e n CR h i */
    expect_text("+CUSD: 0,\"6577039D06\",16", CUSD_WIRE_AUTO, 0, 16, "hi");
    expect_text("+CUSD: 0,\"en\rhi\",16", CUSD_WIRE_AUTO, 0, 16, "hi");
    expect_text("+CUSD: 0,\"hi there\",16", CUSD_WIRE_AUTO, 0, 16, "hi there");
    /* all decimal digits are text, not packed hex */
    expect_text("+CUSD: 0,\"1000\",15", CUSD_WIRE_AUTO, 0, 15, "1000");
    expect_text("+CUSD: 0,\"1000\",15", CUSD_WIRE_GSM7_HEX, 0, 15, "\xCE\x94@");
    /* Huawei gives UCS-2 DCS as raw octets too */
    expect_text("+CUSD: 0,\"04100042\",72", CUSD_WIRE_GSM7_HEX, 0, 72, "\xD0\x90" "B");
}

static void test_ucs2(void)
{
    /* +CSCS="UCS2" with a GSM-7 DCS: every unit is a GSM character */
    expect_text("+CUSD: 0,\"0048006900E0\",15", CUSD_WIRE_AUTO, 0, 15, "Hi\xC3\xA0");
    /* U+0410 is not GSM-7: with DCS 15 that hex is packed GSM-7 */
    expect_text("+CUSD: 0,\"04100042\",15", CUSD_WIRE_UCS2_HEX, 0, 15, "\xD0\x90" "B");
    kz_err err;
    KT_CHECK(parse("+CUSD: 0,\"04100042\",15", CUSD_WIRE_AUTO, &err) == KZ_OK &&
                 r.has_text && strcmp(r.text, "\xD0\x90" "B") != 0, "AUTO reads it as packed");
    /* text ends at U+0000; junk after it is dropped */
    expect_text("+CUSD: 0,\"00410000FFFF\",72", CUSD_WIRE_AUTO, 0, 72, "A");
    /* 0x11: two language octets, then UCS-2 */
    expect_text("+CUSD: 0,\"65370041\",17", CUSD_WIRE_AUTO, 0, 17, "A");
    KT_CHECK(parse("+CUSD: 0,\"004\",72", CUSD_WIRE_UCS2_HEX, &err) == KZ_ERR_INVALID,
             "odd hex digits refused");
    KT_CHECK(parse("+CUSD: 0,\"004100\",72", CUSD_WIRE_UCS2_HEX, &err) == KZ_ERR_INVALID,
             "odd UCS-2 octets refused");
    KT_CHECK(parse("+CUSD: 0,\"65\",17", CUSD_WIRE_UCS2_HEX, &err) == KZ_ERR_INVALID,
             "missing language octet refused");
    /* a lone surrogate is replaced, the text kept */
    expect_text("+CUSD: 0,\"D8000041\",72", CUSD_WIRE_AUTO, 0, 72, "\xEF\xBF\xBD" "A");
}

static void test_text(void)
{
    /* raw GSM codes: '{' between letters is 'ä', so '$' is GSM 0x24 '¤' */
    expect_text("+CUSD: 1,\"w{hlen $\",15", CUSD_WIRE_AUTO, 1, 15,
                "w\xC3\xA4hlen \xC2\xA4");
    /* a GSM control-range letter (0x05 'é') triggers the GSM reading */
    expect_text("+CUSD: 1,\"caf\x05\"", CUSD_WIRE_AUTO, 1, -1, "caf\xC3\xA9");
    /* GSM ESC sequence (0x1B 0x65 = euro) */
    expect_text("+CUSD: 1,\"5\x1B\x65\"", CUSD_WIRE_TEXT, 1, -1, "5\xE2\x82\xAC");
    /* ASCII brackets not between letters stay ASCII */
    expect_text("+CUSD: 1,\"[1] Pay {x} $5\"", CUSD_WIRE_AUTO, 1, -1, "[1] Pay {x} $5");
    /* UTF-8 kept, Latin-1 converted */
    expect_text("+CUSD: 0,\"Salio ya M-P\xC3\xA9sa\"", CUSD_WIRE_AUTO, 0, -1,
                "Salio ya M-P\xC3\xA9sa");
    expect_text("+CUSD: 0,\"caf\xE9\"", CUSD_WIRE_AUTO, 0, -1, "caf\xC3\xA9");
    /* NUL in UTF-8 text becomes U+FFFD so text stays a C string */
    kz_err err;
    static const char nul_line[] = "+CUSD: 0,\"a\0b\xC3\xA9\"";
    kz_status st = cusd_parse((const uint8_t *)nul_line, sizeof nul_line - 1, CUSD_WIRE_AUTO, &r,
                              &err);
    KT_CHECK(st == KZ_OK, "NUL text: %d", (int)st);
    KT_STREQ(r.text, "a\xEF\xBF\xBD" "b\xC3\xA9", "NUL text");
    /* forced TEXT keeps hex-looking text */
    expect_text("+CUSD: 0,\"CAFE\",15", CUSD_WIRE_TEXT, 0, 15, "CAFE");
}

static void test_too_long(void)
{
    static char line[4096];
    int n = snprintf(line, sizeof line, "+CUSD: 0,\"");
    for (int i = 0; i < 1100; i++)
        line[n++] = 'a';
    memcpy(line + n, "\",15", 5);
    kz_err err;
    KT_CHECK(parse(line, CUSD_WIRE_AUTO, &err) == KZ_ERR_RANGE, "too long text");
    KT_CHECK(err.offset == 10, "too long offset %zu", err.offset);
    /* 1000 UTF-16 units: too long as well */
    n = snprintf(line, sizeof line, "+CUSD: 0,\"");
    for (int i = 0; i < 1000; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "0041");
    snprintf(line + n, sizeof line - (size_t)n, "\",72");
    KT_CHECK(parse(line, CUSD_WIRE_AUTO, &err) == KZ_ERR_RANGE, "too long UCS-2");
    /* 250 UTF-16 units (500 octets) fit */
    n = snprintf(line, sizeof line, "+CUSD: 0,\"");
    for (int i = 0; i < 250; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "20AC");
    snprintf(line + n, sizeof line - (size_t)n, "\",72");
    KT_CHECK(parse(line, CUSD_WIRE_AUTO, &err) == KZ_OK && r.text_len == 750, "250 euros");
}

/* Every prefix of valid lines: no crash, offsets inside the prefix. */
static void test_truncations(void)
{
    static const char *const lines[] = {
        "+CUSD: 0,\"31D98C56B3DD1A\",15",
        "+CUSD: 0, 49B41C74ACD3D16171D90D",
        "+CUSD: 1,\"w{hlen\"",
        "+CUSD: 0,\"65370041\",17",
        "+CUSD: 2,\"0048006900E0\",15",
        "+CUSD: 0,\"say \"hi\" now\",15",
        "+CUSD: 1,\"a\r\nb\",72",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t len = strlen(lines[i]);
        int bad = 0;
        for (size_t k = 0; k <= len; k++) {
            kz_err err;
            /* copy so ASan catches reads past the prefix */
            char buf[128];
            memcpy(buf, lines[i], k);
            for (int w = CUSD_WIRE_AUTO; w <= CUSD_WIRE_UCS2_HEX; w++) {
                kz_status st = cusd_parse((const uint8_t *)buf, k, (cusd_wire)w, &r, &err);
                if (st != KZ_OK && err.offset != KZ_NO_OFFSET && err.offset > k)
                    bad++;
                if (st == KZ_OK && r.text_len != strlen(r.text))
                    bad++;
            }
        }
        KT_CHECK(bad == 0, "line %zu: %d bad prefixes", i, bad);
    }
}

static void roundtrip(const char *req, cusd_wire wire)
{
    char cmd[1024];
    char line[1100];
    kz_err err;
    kz_status st = cusd_encode_request(req, wire, cmd, sizeof cmd, &err);
    KT_CHECK(st == KZ_OK, "encode \"%s\" wire %d: %d (%s)", req, (int)wire, (int)st, err.msg);
    KT_CHECK(strncmp(cmd, "AT+CUSD=1,\"", 11) == 0, "command \"%s\"", cmd);
    snprintf(line, sizeof line, "+CUSD: 1,%s", cmd + 10);
    st = parse(line, wire, &err);
    KT_CHECK(st == KZ_OK, "decode \"%s\": %d (%s)", line, (int)st, err.msg);
    KT_STREQ(r.text, req, line);
    KT_CHECK(r.dcs == 15, "dcs %d", r.dcs);
}

static void test_encode(void)
{
    char cmd[512];
    kz_err err;
    KT_CHECK(cusd_encode_request("*144#", CUSD_WIRE_AUTO, cmd, sizeof cmd, &err) == KZ_OK,
             "text request");
    KT_STREQ(cmd, "AT+CUSD=1,\"*144#\",15", "text request");
    /* python-gammu issue 3: "*100#" packed */
    KT_CHECK(cusd_encode_request("*100#", CUSD_WIRE_GSM7_HEX, cmd, sizeof cmd, &err) == KZ_OK,
             "packed request");
    KT_STREQ(cmd, "AT+CUSD=1,\"AA180C3602\",15", "packed request");
    KT_CHECK(cusd_encode_request("1234567", CUSD_WIRE_GSM7_HEX, cmd, sizeof cmd, &err) == KZ_OK,
             "8n-1 request");
    KT_STREQ(cmd, "AT+CUSD=1,\"31D98C56B3DD1A\",15", "8n-1 request gets a CR pad");
    KT_CHECK(cusd_encode_request("*1#", CUSD_WIRE_UCS2_HEX, cmd, sizeof cmd, &err) == KZ_OK,
             "ucs2 request");
    KT_STREQ(cmd, "AT+CUSD=1,\"002A00310023\",15", "ucs2 request");

    KT_CHECK(cusd_encode_request("a\"b", CUSD_WIRE_AUTO, cmd, sizeof cmd, &err) == KZ_ERR_INVALID
                 && err.offset == 1, "quote refused");
    KT_CHECK(cusd_encode_request("1\r", CUSD_WIRE_AUTO, cmd, sizeof cmd, &err) == KZ_ERR_INVALID,
             "CR refused");
    KT_CHECK(cusd_encode_request("", CUSD_WIRE_AUTO, cmd, sizeof cmd, &err) == KZ_ERR_INVALID,
             "empty refused");
    KT_CHECK(cusd_encode_request("\xE4\xB8\xAD", CUSD_WIRE_AUTO, cmd, sizeof cmd, &err) ==
                 KZ_ERR_INVALID, "non-GSM refused");
    KT_CHECK(cusd_encode_request("\xC3", CUSD_WIRE_AUTO, cmd, sizeof cmd, &err) == KZ_ERR_UTF8,
             "bad UTF-8 refused");
    char small[20];
    KT_CHECK(cusd_encode_request("*144#", CUSD_WIRE_AUTO, small, sizeof small, &err) ==
                 KZ_ERR_NOSPACE && small[0] == '\0', "small buffer");
    KT_CHECK(cusd_encode_request("*144#", CUSD_WIRE_AUTO, small, 21 - 1, &err) ==
                 KZ_ERR_NOSPACE, "one short");
    char exact[21];
    KT_CHECK(cusd_encode_request("*144#", CUSD_WIRE_AUTO, exact, sizeof exact, &err) == KZ_OK,
             "exact buffer");
    static char big[400];
    memset(big, '1', 183);
    KT_CHECK(cusd_encode_request(big, CUSD_WIRE_GSM7_HEX, cmd, sizeof cmd, &err) ==
                 KZ_ERR_RANGE, "183 septets refused");
    big[182] = '\0';
    KT_CHECK(cusd_encode_request(big, CUSD_WIRE_GSM7_HEX, cmd, sizeof cmd, &err) == KZ_OK,
             "182 septets fit");

    KT_CHECK(cusd_encode_cancel(cmd, sizeof cmd) == KZ_OK, "cancel");
    KT_STREQ(cmd, "AT+CUSD=2", "cancel");
    KT_CHECK(cusd_encode_cancel(small, 9) == KZ_ERR_NOSPACE && small[0] == '\0', "cancel small");
    KT_CHECK(cusd_encode_cancel(small, 10) == KZ_OK, "cancel exact");

    static const char *const reqs[] = {"*144#", "1", "0712345678", "*100*2*1#", "1234567",
                                       "Jambo \xC3\xA9\xE2\x82\xAC{}", "@home", "12345678"};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        roundtrip(reqs[i], CUSD_WIRE_GSM7_HEX);
        roundtrip(reqs[i], CUSD_WIRE_UCS2_HEX);
        roundtrip(reqs[i], CUSD_WIRE_TEXT);
    }
    roundtrip(big, CUSD_WIRE_GSM7_HEX);
}

int main(void)
{
    test_errors();
    test_grammar();
    test_dcs();
    test_packed();
    test_ucs2();
    test_text();
    test_too_long();
    test_truncations();
    test_encode();
    return kt_report();
}
