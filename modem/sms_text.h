/*
 * sms_text.h - choosing an SMS coding for a text and cutting it into segments.
 * Owns: the segment limits (TS 23.040: 160 septets / 140 octets in one SMS;
 * 153 / 152 septets, 67 / 66 UTF-16 units a part with an 8- / 16-bit
 * concatenation header) and the rule that a cut never splits a GSM-7 escape
 * pair or a UTF-16 surrogate pair. Never allocates, never builds PDUs.
 */
#ifndef KAZI_SMS_TEXT_H
#define KAZI_SMS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum sms_coding {
    SMS_CODING_GSM7 = 0,
    SMS_CODING_8BIT = 1,
    SMS_CODING_UCS2 = 2,
    SMS_CODING_AUTO = 3 /* input only: GSM-7 if the text fits it, else UCS-2 */
} sms_coding;

/* Most segments one message may have (the concatenation header's total is one octet). */
#define SMS_MAX_SEGMENTS 255

/* One segment: bytes [start, end) of the UTF-8 input, `units` septets or UTF-16 units. */
typedef struct sms_segment {
    size_t start;
    size_t end;
    size_t units;
} sms_segment;

typedef struct sms_plan {
    sms_coding coding;  /* GSM7 or UCS2 (never AUTO) */
    size_t nsegments;   /* 1 for a single SMS (no header), else parts */
    size_t total_units; /* septets or UTF-16 units of the whole text */
} sms_plan;

/* Name of a coding as used in JSON output: "gsm7", "8bit", "ucs2", "auto". */
const char *sms_coding_name(sms_coding c);

/*
 * Plan how to send a UTF-8 text. coding is AUTO, GSM7 (fails with
 * KZ_ERR_INVALID if a character has no GSM-7 form) or UCS2. ref_bits (8 or 16)
 * is the concatenation reference size used if the text needs several parts.
 * segs (may be NULL when cap is 0) receives up to cap segments; the plan is
 * filled either way, and KZ_ERR_NOSPACE is returned if segs was too small.
 * KZ_ERR_UTF8 on invalid text; KZ_ERR_RANGE if more than SMS_MAX_SEGMENTS.
 * An empty text is one empty segment.
 */
kz_status sms_plan_text(const uint8_t *utf8, size_t len, sms_coding coding, unsigned ref_bits,
                        sms_segment *segs, size_t cap, sms_plan *plan, kz_err *err);

/*
 * Segments the text needs with automatic coding and 8-bit references, or 0
 * if it is not valid UTF-8 or needs more than SMS_MAX_SEGMENTS.
 */
size_t sms_count_segments(const char *utf8, size_t len);

#endif
