/*
 * test_sms_text.c - unit tests for modem/sms_text.c: coding choice, the
 * exact segment boundaries of TS 23.040 (160/161, 153*2, 152*2, 70/71,
 * 67*2, 66*2), escape pairs and surrogate pairs at the cut, argument and
 * buffer errors, and the 255-segment ceiling.
 * Never touches files or the network.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "sms_text.h"

#define ZHE "\xD0\xB6"             /* Cyrillic zhe: UCS-2 only, 2 bytes */
#define EMOJI "\xF0\x9F\x98\x80"   /* U+1F600: a surrogate pair */
#define EURO "\xE2\x82\xAC"        /* extension table: ESC + 0x65 */

static char text[48000];
static size_t text_len;

/* text = pre * npre followed by post * npost. */
static void build(const char *pre, size_t npre, const char *post, size_t npost)
{
    text_len = 0;
    for (size_t i = 0; i < npre; i++, text_len += strlen(pre))
        memcpy(text + text_len, pre, strlen(pre));
    for (size_t i = 0; i < npost; i++, text_len += strlen(post))
        memcpy(text + text_len, post, strlen(post));
    text[text_len] = '\0';
}

static sms_segment segs[SMS_MAX_SEGMENTS + 2];
static sms_plan plan;

static kz_status plan_it(sms_coding c, unsigned ref_bits)
{
    memset(&plan, 0, sizeof plan);
    return sms_plan_text((const uint8_t *)text, text_len, c, ref_bits, segs,
                         sizeof segs / sizeof segs[0], &plan, NULL);
}

/* Plan text and compare coding and per-segment unit counts (0-terminated list). */
static void want_units(sms_coding c, unsigned ref_bits, sms_coding want_c, const size_t *units,
                       const char *label)
{
    size_t n = 0;
    while (units[n])
        n++;
    if (n == 0)
        n = 1; /* the empty text: one segment of 0 units */
    kz_status st = plan_it(c, ref_bits);
    KT_CHECK(st == KZ_OK, "%s: status %d", label, st);
    KT_CHECK(plan.coding == want_c, "%s: coding %s", label, sms_coding_name(plan.coding));
    KT_CHECK(plan.nsegments == n, "%s: %zu segments, want %zu", label, plan.nsegments, n);
    size_t total = 0, at = 0;
    for (size_t i = 0; i < plan.nsegments && i < n; i++) {
        KT_CHECK(segs[i].units == units[i], "%s: segment %zu has %zu units, want %zu", label, i,
                 segs[i].units, units[i]);
        KT_CHECK(segs[i].start == at, "%s: segment %zu starts at %zu", label, i, segs[i].start);
        at = segs[i].end;
        total += segs[i].units;
    }
    KT_CHECK(at == text_len, "%s: last segment ends at %zu of %zu", label, at, text_len);
    KT_CHECK(plan.total_units == total, "%s: total %zu", label, plan.total_units);
}

#define UNITS(...) ((const size_t[]){__VA_ARGS__, 0})

static void test_gsm7_boundaries(void)
{
    build("", 0, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(0), "empty");
    KT_CHECK(segs[0].start == 0 && segs[0].end == 0, "empty segment");
    build("a", 160, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(160), "160");
    build("a", 161, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(153, 8), "161");
    build("a", 306, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(153, 153), "153*2");
    build("a", 307, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(153, 153, 1), "153*2+1");
    build("a", 304, "", 0);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_GSM7, UNITS(152, 152), "152*2 ref16");
    build("a", 305, "", 0);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_GSM7, UNITS(152, 152, 1), "152*2+1 ref16");
    build("a", 161, "", 0);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_GSM7, UNITS(152, 9), "161 ref16");
}

static void test_escape_at_cut(void)
{
    build("a", 158, EURO, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(160), "euro ends at 160");
    build("a", 159, EURO, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(153, 8), "euro makes 161");
    build("a", 151, EURO "bbbbbbbbbb", 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(153, 10), "escape at 152/153 fits");
    build("a", 152, EURO "bbbbbbbbbb", 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(152, 12), "escape at 153/154 moves");
    KT_CHECK(segs[1].start == 152 && memcmp(text + segs[1].start, EURO, 3) == 0,
             "part 2 starts with the euro");
    build("a", 151, EURO "bbbbbbbbbb", 1);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_GSM7, UNITS(151, 12), "escape at 152/153 ref16");
    build("{", 80, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(160), "80 braces");
    build("{", 81, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(152, 10), "81 braces");
    build("a", 153, "|||||", 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(153, 10), "pipes after a full part");
}

static void test_ucs2_boundaries(void)
{
    build(ZHE, 70, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(70), "70");
    build(ZHE, 71, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(67, 4), "71");
    build(ZHE, 134, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(67, 67), "67*2");
    build(ZHE, 135, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(67, 67, 1), "67*2+1");
    build(ZHE, 132, "", 0);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_UCS2, UNITS(66, 66), "66*2 ref16");
    build(ZHE, 133, "", 0);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_UCS2, UNITS(66, 66, 1), "66*2+1 ref16");
    build("a", 70, "", 0);
    want_units(SMS_CODING_UCS2, 8, SMS_CODING_UCS2, UNITS(70), "forced UCS2 ascii 70");
    build("a", 71, "", 0);
    want_units(SMS_CODING_UCS2, 8, SMS_CODING_UCS2, UNITS(67, 4), "forced UCS2 ascii 71");
}

static void test_emoji_at_cut(void)
{
    build(ZHE, 68, EMOJI, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(70), "emoji ends at 70");
    build(ZHE, 69, EMOJI, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(67, 4), "emoji makes 71");
    build(ZHE, 65, EMOJI ZHE ZHE ZHE ZHE ZHE, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(67, 5), "emoji at 66/67 fits");
    build(ZHE, 66, EMOJI ZHE ZHE ZHE ZHE ZHE, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(66, 7), "emoji at 67/68 moves");
    KT_CHECK(memcmp(text + segs[1].start, EMOJI, 4) == 0, "part 2 starts with the emoji");
    build(ZHE, 65, EMOJI ZHE ZHE ZHE ZHE ZHE, 1);
    want_units(SMS_CODING_AUTO, 16, SMS_CODING_UCS2, UNITS(65, 7), "emoji at 66/67 ref16");
    build(EMOJI, 35, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(70), "35 emoji");
    build(EMOJI, 36, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(66, 6), "36 emoji");
    build("a", 200, EMOJI, 1);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(67, 67, 66, 2), "one emoji forces UCS2");
}

static void test_coding_choice(void)
{
    build("Hello {world} " EURO, 1, "", 0);
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_GSM7, UNITS(18), "GSM with extension");
    build("caf\xC3\xA7", 1, "", 0); /* c-cedilla lower case: not in the table */
    want_units(SMS_CODING_AUTO, 8, SMS_CODING_UCS2, UNITS(4), "lower-case c cedilla");
    kz_err err;
    memset(&plan, 0, sizeof plan);
    KT_CHECK(sms_plan_text((const uint8_t *)text, text_len, SMS_CODING_GSM7, 8, segs, 4, &plan,
                           &err) == KZ_ERR_INVALID &&
                 err.offset == 3,
             "forced GSM7 refuses at byte %zu", err.offset);
    build("abc\xED\xA0\x80", 1, "", 0);
    KT_CHECK(sms_plan_text((const uint8_t *)text, text_len, SMS_CODING_AUTO, 8, segs, 4, &plan,
                           &err) == KZ_ERR_UTF8 &&
                 err.offset == 3,
             "surrogate in UTF-8");
    KT_CHECK(sms_plan_text((const uint8_t *)text, 3, SMS_CODING_8BIT, 8, segs, 4, &plan, &err) ==
                 KZ_ERR_INVALID,
             "8-bit is not a text coding");
    KT_CHECK(sms_plan_text((const uint8_t *)text, 3, SMS_CODING_AUTO, 12, segs, 4, &plan, &err) ==
                 KZ_ERR_INVALID,
             "ref_bits 12");
    KT_STREQ(sms_coding_name(SMS_CODING_GSM7), "gsm7", "name");
    KT_STREQ(sms_coding_name(SMS_CODING_8BIT), "8bit", "name");
    KT_STREQ(sms_coding_name(SMS_CODING_UCS2), "ucs2", "name");
    KT_STREQ(sms_coding_name(SMS_CODING_AUTO), "auto", "name");
}

static void test_space_and_range(void)
{
    sms_segment one[1];
    sms_plan p;
    kz_err err;
    build("a", 400, "", 0);
    KT_CHECK(sms_plan_text((const uint8_t *)text, text_len, SMS_CODING_AUTO, 8, one, 1, &p,
                           &err) == KZ_ERR_NOSPACE,
             "nospace");
    KT_CHECK(p.nsegments == 3 && p.total_units == 400 && one[0].units == 153 && one[0].end == 153,
             "plan and first segment filled anyway");
    KT_CHECK(sms_plan_text((const uint8_t *)text, text_len, SMS_CODING_AUTO, 8, NULL, 0, &p,
                           NULL) == KZ_ERR_NOSPACE &&
                 p.nsegments == 3,
             "NULL segs, cap 0");
    KT_CHECK(sms_count_segments(text, text_len) == 3, "count 400");
    build("a", 153 * 255, "", 0);
    KT_CHECK(plan_it(SMS_CODING_AUTO, 8) == KZ_OK && plan.nsegments == 255, "255 segments");
    KT_CHECK(sms_count_segments(text, text_len) == 255, "count 255");
    build("a", 153 * 255 + 1, "", 0);
    KT_CHECK(plan_it(SMS_CODING_AUTO, 8) == KZ_ERR_RANGE && plan.nsegments == 256,
             "256 is too many");
    KT_CHECK(sms_count_segments(text, text_len) == 0, "count of too many is 0");
    KT_CHECK(sms_count_segments("", 0) == 1, "empty counts 1");
    KT_CHECK(sms_count_segments("\xFF", 1) == 0, "invalid counts 0");
    KT_CHECK(sms_count_segments(EMOJI, 4) == 1, "one emoji");
    KT_CHECK(sms_count_segments("a\0b", 3) == 1, "embedded NUL has no GSM-7 form: one UCS2 part");
}

int main(void)
{
    test_gsm7_boundaries();
    test_escape_at_cut();
    test_ucs2_boundaries();
    test_emoji_at_cut();
    test_coding_choice();
    test_space_and_range();
    return kt_report();
}
