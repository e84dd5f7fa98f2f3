/*
 * gammu_diff_check.h - test helper for tests/unit/test_gammu_diff.c: the
 * judging machinery both directions share. Owns the case description printed
 * with every failure (diff_case), the one counting check (diff_check) and its
 * failure output, the state a run carries (diff_ctx: gammu's buffers, our
 * PDUs, the current text, the text gathered over the parts and the run's
 * figures), and the model of both UCS-2 cutting rules (ucs2_cut_model).
 * Never generates messages (gammu_diff_gen.h), never calls gammu itself
 * (gammu_oracle.h), never calls modem/ code (pdu.h is included for its
 * types only), never writes files and never relies on the locale.
 */
#ifndef KAZI_TEST_GAMMU_DIFF_CHECK_H
#define KAZI_TEST_GAMMU_DIFF_CHECK_H

#include <gammu.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gammu_diff_gen.h"
#include "gammu_oracle.h"
#include "harness.h"
#include "pdu.h"

#define PDU_CAP 32
#define FAILS_SHOWN 25

/* gammu's Unicode buffer (gammu_oracle.h) as UTF-8, by our own converter. */
static void gammu_to_utf8(const unsigned char *g, char *out, size_t cap)
{
    uint16_t u[TEXT_U16_MAX];
    utf16_to_utf8(u, gammu_units(g, u, TEXT_U16_MAX), out, cap);
}

/* ------------------------------------------------------------- reporting */

static int fails_shown;

static void print_hex(const char *label, const uint8_t *b, size_t n)
{
    fprintf(stderr, "    %s: ", label);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02X", b[i]);
    fputc('\n', stderr);
}

static void print_text(const char *label, const char *s)
{
    fprintf(stderr, "    %s: \"", label);
    for (; *s; s++) {
        if (*s == '\n')
            fputs("\\n", stderr);
        else if (*s == '\r')
            fputs("\\r", stderr);
        else if (*s == '\f')
            fputs("\\f", stderr);
        else
            fputc(*s, stderr);
    }
    fputs("\"\n", stderr);
}

/* The case under test, printed with every failure so it can be replayed. */
typedef struct diff_case {
    const char *dir; /* "submit" or "deliver" */
    int index;
    const char *addr;
    const msg_text *text;
    const uint8_t *pdu; /* the PDU being read when the check failed, or NULL */
    size_t pdu_len;
} diff_case;

/* Count one differential check; print the first FAILS_SHOWN failures in full. */
static bool diff_check(const diff_case *c, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool diff_check(const diff_case *c, bool ok, const char *fmt, ...)
{
    if (ok) {
        kt_passed++;
        return true;
    }
    kt_failed++;
    if (fails_shown++ >= FAILS_SHOWN)
        return false;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gammu diff FAIL (%s #%d): ", c->dir, c->index);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "    address: %s\n", c->addr);
    print_text("text", c->text->utf8);
    if (c->pdu)
        print_hex("pdu", c->pdu, c->pdu_len);
    return false;
}

/* ------------------------------------------------------ shared state */

typedef struct diff_ctx {
    GSM_Debug_Info *di;
    GSM_MultiPartSMSInfo *info;
    GSM_MultiSMSMessage *multi;
    GSM_SMSMessage *sms;
    sms_pdu pdus[PDU_CAP];
    sms_message msg;
    msg_text text;
    uint16_t acc[2 * TEXT_U16_MAX]; /* text units gathered over the parts */
    size_t nacc;
    char acc8[2 * TEXT_UTF8_MAX];   /* or UTF-8 text gathered over the parts */
    size_t nacc8;
    size_t submit_pdus, deliver_pdus;
    size_t flag_cuts;
    size_t alnum_addrs, multipart_msgs, ucs2_msgs;
} diff_ctx;

static void acc_add(diff_ctx *x, const uint16_t *u, size_t n)
{
    for (size_t i = 0; i < n && x->nacc < sizeof(x->acc) / sizeof(x->acc[0]); i++)
        x->acc[x->nacc++] = u[i];
}

/* True when the gathered units (or UTF-8 text) spell exactly the message text. */
static bool acc_matches(const diff_ctx *x, char *got, size_t cap)
{
    if (x->nacc8)
        snprintf(got, cap, "%s", x->acc8);
    else
        utf16_to_utf8(x->acc, x->nacc, got, cap);
    return strcmp(got, x->text.utf8) == 0;
}

static bool is_regional_indicator(uint32_t cp)
{
    return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

/*
 * UTF-16 units in each part of a UCS-2 text cut at `per` units a part
 * (67 with an 8-bit, 66 with a 16-bit reference; one part up to 70). Whole
 * code points only: a surrogate pair is never split (sms_text.h; gammu too).
 * flags: gammu 1.42's AlignIfCombinedSurrogate - when a part would end with a
 * regional indicator and the next start with one (half of a flag such as
 * U+1F1F0 U+1F1EA), that last one moves to the next part; gammu skips this
 * when the next indicator is the last character of the text (its check is
 * Copy + 2 >= BufferLen). TS 23.040 asks for neither; both cuts are valid.
 * Returns the number of parts (at most cap are written).
 */
static size_t ucs2_cut_model(const msg_text *t, size_t per, bool flags, size_t *units, size_t cap)
{
    if (t->nu16 <= 70) {
        if (cap)
            units[0] = t->nu16;
        return 1;
    }
    size_t parts = 0, i = 0, off = 0;
    while (i < t->ncp) {
        size_t used = 0;
        while (i < t->ncp && used + (t->cp[i] >= 0x10000 ? 2u : 1u) <= per)
            used += t->cp[i++] >= 0x10000 ? 2 : 1;
        if (flags && i < t->ncp && used > 2 && t->nu16 - off - used > 2 &&
            is_regional_indicator(t->cp[i]) && is_regional_indicator(t->cp[i - 1]))
            used -= 2, i--;
        if (parts < cap)
            units[parts] = used;
        parts++;
        off += used;
    }
    return parts;
}

#endif
