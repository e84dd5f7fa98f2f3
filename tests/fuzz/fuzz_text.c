/*
 * fuzz_text.c - libFuzzer target for the text decoders and encoders: GSM-7
 * unpacking and septet->UTF-8, UCS-2->UTF-8, UTF-8 validation, GSM-7 and
 * UCS-2 encoding and segment planning, with round-trip assertions.
 * Input: first byte picks fill bits, the rest is the payload.
 * Never writes files.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "gsm7.h"
#include "sms_text.h"
#include "ucs2.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_CAP 4096

static void fuzz_unpack(const uint8_t *p, size_t n, unsigned fill)
{
    static uint8_t septets[TEXT_CAP];
    static char utf8[3 * TEXT_CAP + 1];
    size_t nsept = (n * 8 >= fill) ? (n * 8 - fill) / 7 : 0;
    if (nsept > TEXT_CAP)
        return;
    if (gsm7_unpack(p, n, fill, nsept, septets, TEXT_CAP, NULL) != KZ_OK)
        return;
    size_t ulen;
    if (gsm7_to_utf8(septets, nsept, utf8, sizeof utf8, &ulen, NULL) == KZ_OK)
        assert(utf8_valid((const uint8_t *)utf8, ulen, NULL));
}

static void fuzz_ucs2(const uint8_t *p, size_t n)
{
    static char utf8[3 * TEXT_CAP + 8];
    size_t ulen;
    if (n > TEXT_CAP)
        return;
    if (ucs2_to_utf8(p, n, utf8, sizeof utf8, &ulen, NULL) == KZ_OK)
        assert(utf8_valid((const uint8_t *)utf8, ulen, NULL));
}

/* Valid UTF-8 must survive GSM-7 (when it fits) and UCS-2 round trips. */
static void fuzz_roundtrip(const uint8_t *p, size_t n)
{
    static uint8_t septets[2 * TEXT_CAP];
    static uint8_t be[4 * TEXT_CAP];
    static char back[4 * TEXT_CAP + 1];
    size_t k, blen;
    if (n > TEXT_CAP || !utf8_valid(p, n, NULL))
        return;
    if (gsm7_fits(p, n, NULL)) {
        assert(gsm7_from_utf8(p, n, septets, sizeof septets, &k, NULL) == KZ_OK);
        assert(gsm7_to_utf8(septets, k, back, sizeof back, &blen, NULL) == KZ_OK);
        assert(blen == n && memcmp(back, p, n) == 0);
    }
    assert(ucs2_from_utf8(p, n, be, sizeof be, &k, NULL) == KZ_OK);
    assert(ucs2_to_utf8(be, k, back, sizeof back, &blen, NULL) == KZ_OK);
    assert(blen == n && memcmp(back, p, n) == 0);
    sms_plan plan;
    static sms_segment segs[SMS_MAX_SEGMENTS];
    if (sms_plan_text(p, n, SMS_CODING_AUTO, 8, segs, SMS_MAX_SEGMENTS, &plan, NULL) == KZ_OK) {
        size_t at = 0;
        for (size_t i = 0; i < plan.nsegments; i++) {
            assert(segs[i].start == at && segs[i].end >= segs[i].start);
            at = segs[i].end;
        }
        assert(at == n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned fill = data[0] % 7;
    fuzz_unpack(data + 1, size - 1, fill);
    fuzz_ucs2(data + 1, size - 1);
    fuzz_roundtrip(data + 1, size - 1);
    return 0;
}
