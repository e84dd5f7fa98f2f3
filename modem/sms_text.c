/*
 * sms_text.c - picks the coding for an outgoing text and cuts it into SMS
 * segments. Owns the TS 23.040 segment limits and the rule that cuts fall
 * only between characters, so no GSM-7 escape pair or UTF-16 surrogate pair
 * is ever split. Never allocates, never builds PDUs, never changes the text.
 */
#include "sms_text.h"

#include "gsm7.h"
#include "utf8.h"

/* Units in a single SMS (no UDH) and in one part of a concatenated message. */
#define GSM7_SINGLE 160
#define GSM7_PART_REF8 153  /* 140 octets - 6 octets UDH = 134 octets = 153 septets */
#define GSM7_PART_REF16 152 /* 140 - 7 = 133 octets = 152 septets */
#define UCS2_SINGLE 70
#define UCS2_PART_REF8 67 /* 134 octets */
#define UCS2_PART_REF16 66 /* 133 octets, the odd one unused */

/* Name of a coding for JSON output; "unknown" for a value outside the enum. */
const char *sms_coding_name(sms_coding c)
{
    switch (c) {
    case SMS_CODING_GSM7: return "gsm7";
    case SMS_CODING_8BIT: return "8bit";
    case SMS_CODING_UCS2: return "ucs2";
    case SMS_CODING_AUTO: return "auto";
    }
    return "unknown";
}

/* Units one code point costs in coding c (GSM7 or UCS2); 0 if it has no form. */
static size_t unit_cost(uint32_t cp, sms_coding c)
{
    if (c == SMS_CODING_UCS2)
        return cp >= 0x10000 ? 2 : 1;
    return gsm7_from_codepoint(cp, NULL);
}

/*
 * Total units of the (already validated) text in coding c. Returns KZ_OK, or
 * KZ_ERR_INVALID with err->offset at the first character c cannot carry.
 */
static kz_status text_units(const uint8_t *utf8, size_t len, sms_coding c, size_t *total,
                            kz_err *err)
{
    size_t i = 0, sum = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        size_t k = unit_cost(cp, c);
        if (k == 0)
            return kz_err_set(err, KZ_ERR_INVALID, i, "U+%04X at byte %zu has no GSM-7 form",
                              (unsigned)cp, i);
        sum += k;
        i += n;
    }
    *total = sum;
    return KZ_OK;
}

/* Record segment number idx if the caller has room for it. */
static void put_segment(sms_segment *segs, size_t cap, size_t idx, size_t start, size_t end,
                        size_t units)
{
    if (idx >= cap)
        return;
    segs[idx].start = start;
    segs[idx].end = end;
    segs[idx].units = units;
}

/*
 * Greedy cut of the text into parts of at most `limit` units, each ending
 * on a character boundary. Writes up to cap segments; returns the count.
 */
static size_t cut_parts(const uint8_t *utf8, size_t len, sms_coding c, size_t limit,
                        sms_segment *segs, size_t cap)
{
    size_t i = 0, start = 0, units = 0, count = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        size_t k = unit_cost(cp, c);
        if (units + k > limit) {
            put_segment(segs, cap, count++, start, i, units);
            start = i;
            units = 0;
        }
        units += k;
        i += n;
    }
    put_segment(segs, cap, count++, start, len, units);
    return count;
}

/* Check the arguments and settle AUTO; KZ_ERR_INVALID for a bad coding or ref_bits. */
static kz_status choose_coding(const uint8_t *utf8, size_t len, sms_coding *c, unsigned ref_bits,
                               kz_err *err)
{
    if (ref_bits != 8 && ref_bits != 16)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "ref_bits %u is not 8 or 16",
                          ref_bits);
    if (*c == SMS_CODING_AUTO) {
        *c = gsm7_fits(utf8, len, NULL) ? SMS_CODING_GSM7 : SMS_CODING_UCS2;
        return KZ_OK;
    }
    if (*c != SMS_CODING_GSM7 && *c != SMS_CODING_UCS2)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "cannot plan text as %s",
                          sms_coding_name(*c));
    return KZ_OK;
}

static size_t part_limit(sms_coding c, unsigned ref_bits)
{
    if (c == SMS_CODING_GSM7)
        return ref_bits == 16 ? GSM7_PART_REF16 : GSM7_PART_REF8;
    return ref_bits == 16 ? UCS2_PART_REF16 : UCS2_PART_REF8;
}

/*
 * Plan a UTF-8 text (see sms_text.h). The plan is filled whenever the text
 * is valid and codable (also on KZ_ERR_RANGE and KZ_ERR_NOSPACE); segs gets
 * min(cap, nsegments) entries. KZ_ERR_INVALID also for a coding other than
 * AUTO/GSM7/UCS2 or ref_bits other than 8/16.
 */
kz_status sms_plan_text(const uint8_t *utf8, size_t len, sms_coding coding, unsigned ref_bits,
                        sms_segment *segs, size_t cap, sms_plan *plan, kz_err *err)
{
    size_t bad;
    if (!utf8_valid(utf8, len, &bad))
        return kz_err_set(err, KZ_ERR_UTF8, bad, "invalid UTF-8 at byte %zu", bad);
    kz_status st = choose_coding(utf8, len, &coding, ref_bits, err);
    if (st != KZ_OK)
        return st;
    size_t total = 0;
    st = text_units(utf8, len, coding, &total, err);
    if (st != KZ_OK)
        return st;
    plan->coding = coding;
    plan->total_units = total;
    if (total <= (coding == SMS_CODING_GSM7 ? GSM7_SINGLE : UCS2_SINGLE)) {
        plan->nsegments = 1;
        put_segment(segs, cap, 0, 0, len, total);
    } else {
        plan->nsegments = cut_parts(utf8, len, coding, part_limit(coding, ref_bits), segs, cap);
    }
    if (plan->nsegments > SMS_MAX_SEGMENTS)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%zu segments, at most %d allowed",
                          plan->nsegments, SMS_MAX_SEGMENTS);
    if (plan->nsegments > cap)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "%zu segments, room for %zu",
                          plan->nsegments, cap);
    return KZ_OK;
}

/* Segments with AUTO coding and 8-bit references; 0 if invalid or too many. */
size_t sms_count_segments(const char *utf8, size_t len)
{
    size_t septets = 0;
    if (gsm7_ascii_septets((const uint8_t *)utf8, len, &septets)) {
        if (septets <= GSM7_SINGLE)
            return 1;
        /* Without escapes no character can straddle a part boundary. */
        size_t n = (septets + GSM7_PART_REF8 - 1) / GSM7_PART_REF8;
        if (septets == len)
            return n > SMS_MAX_SEGMENTS ? 0 : n;
    }
    sms_plan plan;
    kz_status st = sms_plan_text((const uint8_t *)utf8, len, SMS_CODING_AUTO, 8, NULL, 0, &plan,
                                 NULL);
    if (st != KZ_OK && st != KZ_ERR_NOSPACE)
        return 0;
    return plan.nsegments;
}
