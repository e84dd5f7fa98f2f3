/*
 * test_gammu_diff.c - differential test of the PDU codec (modem/pdu.h)
 * against libgammu, an independent implementation: gammu decodes the
 * SMS-SUBMIT PDUs we encode and must read the same destination, coding,
 * concatenation header and text, and split the text into as many parts as we
 * do; we decode SMS-DELIVER PDUs that gammu encodes and must read the same
 * sender, SMSC, time stamp, coding, concatenation header and text.
 * Owns: the seeded random message generator, its own UTF-8 / UTF-16 / GSM-7
 * tables (so the check never trusts modem/ code to judge modem/ code), the
 * checks and their counts, and the model of both UCS-2 cutting rules
 * (ucs2_cut_model). The seed is printed; KAZI_SEED=<n> replays a run.
 * Never writes files, never relies on the locale.
 * The libgammu side (calls into gammu, its buffers and its quirks) is
 * tests/gammu_oracle.h.
 */
#include <gammu.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gammu_oracle.h"
#include "harness.h"
#include "pdu.h"

#define N_SUBMIT 1000
#define N_DELIVER 1000
#define DEFAULT_SEED 0x4B415A49u /* "KAZI" */

#define TEXT_CP_MAX 520
#define TEXT_U16_MAX (2 * TEXT_CP_MAX)
#define TEXT_UTF8_MAX (4 * TEXT_CP_MAX + 1)
#define PDU_CAP 32
#define ADDR_MAX 24
#define FAILS_SHOWN 25

/* ------------------------------------------------------------------ random */

static uint64_t rng_state;

/* splitmix64: tiny, fast, and the same sequence on every platform. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned rng_below(unsigned n)
{
    return (unsigned)(rng_next() % n);
}

static bool rng_chance(unsigned percent)
{
    return rng_below(100) < percent;
}

static int rng_range(int lo, int hi)
{
    return lo + (int)rng_below((unsigned)(hi - lo + 1));
}

#define PICK(arr) ((arr)[rng_below(sizeof(arr) / sizeof((arr)[0]))])

/* ---------------------------------------------------- alphabets (TS 23.038) */

/* GSM 7-bit default alphabet, 6.2.1; 0x1B is the escape to the extension table. */
static const uint32_t gsm_basic[128] = {
    0x40,  0xA3,  0x24,  0xA5,  0xE8,  0xE9,  0xF9,  0xEC,  0xF2,  0xC7,  0x0A,  0xD8,  0xF8,
    0x0D,  0xC5,  0xE5,  0x394, 0x5F,  0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398,
    0x39E, 0,     0xC6,  0xE6,  0xDF,  0xC9,  ' ',   '!',   '"',   '#',   0xA4,  '%',   '&',
    '\'',  '(',   ')',   '*',   '+',   ',',   '-',   '.',   '/',   '0',   '1',   '2',   '3',
    '4',   '5',   '6',   '7',   '8',   '9',   ':',   ';',   '<',   '=',   '>',   '?',   0xA1,
    'A',   'B',   'C',   'D',   'E',   'F',   'G',   'H',   'I',   'J',   'K',   'L',   'M',
    'N',   'O',   'P',   'Q',   'R',   'S',   'T',   'U',   'V',   'W',   'X',   'Y',   'Z',
    0xC4,  0xD6,  0xD1,  0xDC,  0xA7,  0xBF,  'a',   'b',   'c',   'd',   'e',   'f',   'g',
    'h',   'i',   'j',   'k',   'l',   'm',   'n',   'o',   'p',   'q',   'r',   's',   't',
    'u',   'v',   'w',   'x',   'y',   'z',   0xE4,  0xF6,  0xF1,  0xFC,  0xE0,
};

/* The extension table (6.2.1.1) characters: two septets each. */
static const uint32_t gsm_ext[] = {0x0C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC};

/* Not in GSM-7, in the BMP: one UTF-16 unit. No U+00B9 (see the top comment). */
static const uint32_t bmp_other[] = {
    0xE1,   0xE7,   0xF7,   0x151,  0x142,  0x15F,  0x391,  0x3B1,  0x416,
    0x44F,  0x5E9,  0x639,  0x915,  0x4E2D, 0x6587, 0xAC00, 0x2018, 0x2019, 0x201C, 0x201D,
    0x2026, 0x2013, 0x20B9, 0xA2,   0xA9,   0xB0,   0xFE0F, 0x200D, 0xC0,   0xFB01,
};

/* Outside the BMP: a UTF-16 surrogate pair each. */
static const uint32_t astral[] = {0x1F600, 0x1F389, 0x1F44D, 0x1F1F0, 0x1F1EA,
                                  0x1D11E, 0x1F4A9, 0x20BB7, 0x1F680};

/* Regional indicators: two make a flag (U+1F1F0 U+1F1EA is KE). */
static const uint32_t regional[] = {0x1F1F0, 0x1F1EA, 0x1F1FA, 0x1F1F8, 0x1F1EC, 0x1F1E7};

/* Septets a character takes in GSM-7: 1, 2 (extension), 0 when it has none. */
static int gsm_cost(uint32_t cp)
{
    for (size_t i = 0; i < 128; i++)
        if (i != 0x1B && gsm_basic[i] == cp)
            return 1;
    for (size_t i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++)
        if (gsm_ext[i] == cp)
            return 2;
    return 0;
}

static uint32_t pick_gsm_basic(void)
{
    unsigned i;
    do {
        i = rng_below(128);
    } while (i == 0x1B);
    return gsm_basic[i];
}

/* ------------------------------------------------------------ text model */

enum text_kind { KIND_GSM, KIND_GSM_EXT, KIND_BMP, KIND_EMOJI };

/* One message text, kept as code points and derived UTF-8 and UTF-16. */
typedef struct msg_text {
    uint32_t cp[TEXT_CP_MAX];
    size_t ncp;
    char utf8[TEXT_UTF8_MAX];
    size_t len;
    uint16_t u16[TEXT_U16_MAX];
    size_t nu16;
    bool gsm;       /* every character has a GSM-7 form */
    size_t septets; /* when gsm */
} msg_text;

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static size_t utf16_put(uint16_t *out, uint32_t cp)
{
    if (cp < 0x10000) {
        out[0] = (uint16_t)cp;
        return 1;
    }
    cp -= 0x10000;
    out[0] = (uint16_t)(0xD800 | (cp >> 10));
    out[1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
    return 2;
}

static bool is_high_surrogate(uint16_t u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

/* UTF-16 units to UTF-8 (a lone surrogate becomes U+FFFD); returns the length. */
static size_t utf16_to_utf8(const uint16_t *u, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        uint32_t cp = u[i];
        if (is_high_surrogate(u[i]) && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
            cp = 0x10000 + (((uint32_t)u[i] - 0xD800) << 10) + (u[i + 1] - 0xDC00u);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        o += utf8_put(out + o, cp);
    }
    out[o] = '\0';
    return o;
}

static void text_finish(msg_text *t)
{
    t->len = t->nu16 = t->septets = 0;
    t->gsm = true;
    for (size_t i = 0; i < t->ncp; i++) {
        int c = gsm_cost(t->cp[i]);
        t->gsm = t->gsm && c > 0;
        t->septets += (size_t)c;
        t->len += utf8_put(t->utf8 + t->len, t->cp[i]);
        t->nu16 += utf16_put(t->u16 + t->nu16, t->cp[i]);
    }
    t->utf8[t->len] = '\0';
}

static uint32_t pick_char(enum text_kind kind)
{
    if (kind == KIND_EMOJI && rng_chance(8))
        return PICK(regional);
    if (kind >= KIND_BMP && rng_chance(30))
        return kind == KIND_EMOJI && rng_chance(60) ? PICK(astral) : PICK(bmp_other);
    if (kind != KIND_GSM && rng_chance(kind == KIND_GSM_EXT ? 20 : 8))
        return PICK(gsm_ext);
    return pick_gsm_basic();
}

/* What a length target counts: septets for GSM kinds, UTF-16 units otherwise. */
static size_t char_cost(enum text_kind kind, uint32_t cp)
{
    if (kind <= KIND_GSM_EXT)
        return (size_t)gsm_cost(cp);
    return cp >= 0x10000 ? 2 : 1;
}

/* Lengths at and around the segment limits (TS 23.040 / sms_text.h). */
static const unsigned septet_marks[] = {0,   1,   7,   8,   151, 152, 153, 154, 159,
                                        160, 161, 304, 305, 306, 307, 456, 458, 459, 460};
static const unsigned unit_marks[] = {1,   2,   66,  67,  68,  69,  70,  71,  72,  132,
                                      133, 134, 135, 136, 198, 200, 201, 202, 264, 268,
                                      269, 330, 335, 336, 396, 402, 469};

/* A GSM-kind text that should need UCS-2 gets one non-GSM character. */
static void ensure_non_gsm(msg_text *t)
{
    for (size_t i = 0; i < t->ncp; i++)
        if (gsm_cost(t->cp[i]) == 0)
            return;
    for (size_t tries = 0; tries < 4 * t->ncp; tries++) {
        size_t i = rng_below((unsigned)t->ncp);
        if (t->cp[i] < 0x10000) {
            t->cp[i] = PICK(bmp_other);
            return;
        }
    }
}

/* Draw characters until the septets (GSM kinds) or UTF-16 units reach target exactly. */
static void fill_to_metric(msg_text *t, enum text_kind kind, size_t target)
{
    size_t metric = 0;
    while (metric < target && t->ncp < TEXT_CP_MAX) {
        uint32_t cp = pick_char(kind);
        if (metric + char_cost(kind, cp) > target)
            cp = pick_gsm_basic(); /* one septet, one unit */
        metric += char_cost(kind, cp);
        t->cp[t->ncp++] = cp;
        if (cp >= 0x1F1E6 && cp <= 0x1F1FF && metric + 2 <= target && t->ncp < TEXT_CP_MAX) {
            t->cp[t->ncp++] = PICK(regional); /* make it a flag */
            metric += 2;
        }
    }
}

static void text_generate(msg_text *t)
{
    enum text_kind kind = (enum text_kind)rng_below(4);
    t->ncp = 0;
    if (rng_chance(55)) {
        fill_to_metric(t, kind, kind <= KIND_GSM_EXT ? PICK(septet_marks) : PICK(unit_marks));
    } else {
        size_t chars = rng_below(501);
        while (t->ncp < chars)
            t->cp[t->ncp++] = pick_char(kind);
    }
    if (kind >= KIND_BMP)
        ensure_non_gsm(t);
    text_finish(t);
}

/* ------------------------------------------------------------- addresses */

static void digits_put(char *out, size_t n, bool first_nonzero)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('0' + (i == 0 && first_nonzero ? rng_range(1, 9) : rng_range(0, 9)));
    out[n] = '\0';
}

/*
 * A destination or sender: "+digits", bare digits, or (alphanumeric) 1-11
 * characters of [A-Za-z0-9]. An alphanumeric one starts with a letter that is
 * neither a BCD digit of pdu.h's "*#abc" convention (so it is not a number to
 * us) nor p/P (a pause digit to gammu's packer). No bare number starts "00".
 */
static void addr_generate(char *out, bool alnum_ok)
{
    static const char first[] = "DEFGHIJKLMNOQRSTUVWXYZdefghijklmnoqrstuvwxyz";
    static const char rest[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned r = rng_below(100);
    if (alnum_ok && r < 20) {
        size_t n = (size_t)rng_range(1, 11);
        out[0] = first[rng_below(sizeof(first) - 1)];
        for (size_t i = 1; i < n; i++)
            out[i] = rest[rng_below(sizeof(rest) - 1)];
        out[n] = '\0';
    } else if (r < 70) {
        out[0] = '+';
        digits_put(out + 1, (size_t)rng_range(7, 15), true);
    } else {
        size_t n = (size_t)rng_range(3, 15);
        bool trunk = rng_chance(30); /* a national "0" prefix, then a non-zero digit */
        if (trunk)
            out[0] = '0';
        digits_put(out + trunk, n - trunk, true);
    }
}

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

/* ------------------------------------------------------------ SUBMIT */

typedef struct submit_case {
    diff_case c;
    sms_submit_opts opts;
    char to[ADDR_MAX];
    char smsc[ADDR_MAX];
    size_t nparts;
    bool ref16;
    bool same_cuts;             /* our cuts and gammu's splitter's must coincide */
    size_t nwant;               /* UCS-2: parts under the TS 23.040 rule, else 0 */
    size_t want_units[PDU_CAP]; /* UCS-2: UTF-16 units part k must carry */
} submit_case;

static void submit_opts_generate(submit_case *s)
{
    sms_submit_opts_init(&s->opts);
    addr_generate(s->to, true);
    s->opts.to = s->to;
    s->smsc[0] = '\0';
    if (rng_chance(60)) {
        s->smsc[0] = '+';
        digits_put(s->smsc + 1, (size_t)rng_range(8, 12), true);
        s->opts.smsc = s->smsc;
    }
    s->opts.mr = (uint8_t)rng_below(256);
    s->opts.vp_relative = rng_chance(50) ? (int)rng_below(256) : -1;
    s->opts.srr = rng_chance(30);
    s->opts.class0 = rng_chance(10);
    s->ref16 = rng_chance(30);
    s->opts.concat_ref_bits = s->ref16 ? 16 : 8;
    s->opts.concat_ref = (uint16_t)rng_below(s->ref16 ? 65536 : 256);
}

/* The header fields of one of our SUBMIT PDUs as gammu read them. */
static void submit_check_fields(diff_ctx *x, const submit_case *s, const diff_case *c)
{
    const GSM_SMSMessage *g = x->sms;
    char got[4 * ADDR_MAX];
    gammu_to_utf8(g->Number, got, sizeof(got));
    diff_check(c, g->PDU == SMS_Submit, "gammu reads TP-MTI as %d, not SUBMIT", (int)g->PDU);
    diff_check(c, strcmp(got, s->to) == 0, "destination: gammu reads \"%s\", we meant \"%s\"", got,
               s->to);
    gammu_to_utf8(g->SMSC.Number, got, sizeof(got));
    diff_check(c, strcmp(got, s->smsc) == 0, "SMSC: gammu reads \"%s\", we meant \"%s\"", got,
               s->smsc);
    diff_check(c, g->MessageReference == s->opts.mr, "TP-MR: gammu reads %d, we wrote %d",
               g->MessageReference, s->opts.mr);
    bool vp = g->SMSC.Validity.Format == SMS_Validity_RelativeFormat;
    diff_check(c, vp == (s->opts.vp_relative >= 0) && (!vp || (int)g->SMSC.Validity.Relative ==
                                                                    s->opts.vp_relative),
               "TP-VP: gammu reads format %d value %d, we wrote %d", (int)g->SMSC.Validity.Format,
               (int)g->SMSC.Validity.Relative, s->opts.vp_relative);
    diff_check(c, g->Class == (s->opts.class0 ? 0 : -1), "class: gammu reads %d, class0=%d",
               g->Class, s->opts.class0);
    GSM_Coding_Type want = x->text.gsm ? SMS_Coding_Default_No_Compression
                                       : SMS_Coding_Unicode_No_Compression;
    diff_check(c, g->Coding == want, "coding: gammu reads %d, want %d", (int)g->Coding, (int)want);
}

static void submit_check_udh(diff_ctx *x, const submit_case *s, const diff_case *c, size_t k)
{
    const GSM_UDHHeader *u = &x->sms->UDH;
    if (s->nparts == 1) {
        diff_check(c, u->Type == UDH_NoUDH, "single part carries a UDH (gammu type %d)",
                   (int)u->Type);
        return;
    }
    GSM_UDH want = s->ref16 ? UDH_ConcatenatedMessages16bit : UDH_ConcatenatedMessages;
    int ref = s->ref16 ? u->ID16bit : u->ID8bit;
    diff_check(c,
               u->Type == want && ref == s->opts.concat_ref && u->PartNumber == (int)k + 1 &&
                   u->AllParts == (int)s->nparts,
               "concat: gammu reads type %d ref %d part %d/%d, want type %d ref %u part %zu/%zu",
               (int)u->Type, ref, u->PartNumber, u->AllParts, (int)want, s->opts.concat_ref,
               k + 1, s->nparts);
}

/* Part k as gammu's splitter cut it must hold the same units as our part k. */
static void submit_check_cut(diff_ctx *x, const diff_case *c, size_t k, const uint16_t *u,
                             size_t n)
{
    uint16_t g[2 * TEXT_U16_MAX];
    size_t gn = gammu_units(x->multi->SMS[k].Text, g, 2 * TEXT_U16_MAX);
    diff_check(c, gn == n && memcmp(g, u, n * sizeof(*u)) == 0,
               "part %zu differs from gammu's splitter's part %zu (%zu units, gammu %zu)", k + 1,
               k + 1, n, gn);
}

static void submit_check_part(diff_ctx *x, const submit_case *s, size_t k)
{
    const sms_pdu *p = &x->pdus[k];
    diff_case c = s->c;
    c.pdu = p->bytes;
    c.pdu_len = p->len;
    size_t fin;
    GSM_Error e = gammu_decode(x->di, x->sms, p->bytes, p->len, 1u + p->bytes[0] + 2, &fin); /* FO, MR, DA */
    if (!diff_check(&c, e == ERR_NONE && fin == p->len,
                    "gammu cannot read part %zu: error %d, stopped at %zu of %zu", k + 1, (int)e,
                    fin, p->len))
        return;
    diff_check(&c, p->tpdu_len == p->len - 1u - p->bytes[0], "tpdu_len %zu for %zu bytes",
               p->tpdu_len, p->len);
    submit_check_fields(x, s, &c);
    submit_check_udh(x, s, &c, k);
    uint16_t u[2 * TEXT_U16_MAX];
    size_t n = decoded_units(x->sms, u, 2 * TEXT_U16_MAX);
    diff_check(&c, n == 0 || !is_high_surrogate(u[n - 1]), "part %zu ends inside a surrogate pair",
               k + 1);
    if (s->same_cuts && k < (size_t)x->multi->Number)
        submit_check_cut(x, &c, k, u, n);
    if (k < s->nwant && k < PDU_CAP)
        diff_check(&c, n == s->want_units[k], "part %zu carries %zu units, TS 23.040 cuts give %zu",
                   k + 1, n, s->want_units[k]);
    acc_add(x, u, n);
}

/*
 * For UCS-2, where gammu's flag rule may cut elsewhere: gammu's parts must be
 * what the model of its rule says (ours were held to the TS 23.040 rule).
 * Returns whether the two rules cut this text alike.
 */
static bool submit_model_cuts(diff_ctx *x, const submit_case *s)
{
    size_t g_units[PDU_CAP];
    size_t theirs = ucs2_cut_model(&x->text, s->ref16 ? 66 : 67, true, g_units, PDU_CAP);
    bool g_ok = theirs == (size_t)x->multi->Number;
    for (size_t k = 0; g_ok && k < theirs && k < PDU_CAP; k++)
        g_ok = UnicodeLength(x->multi->SMS[k].Text) == g_units[k];
    diff_check(&s->c, g_ok, "gammu's splitter made %d parts, its rule as modelled %zu",
               x->multi->Number, theirs);
    return s->nwant == theirs && memcmp(s->want_units, g_units, theirs * sizeof(size_t)) == 0;
}

/* Our part count and coding choice against gammu's own splitter. */
static void submit_check_count(diff_ctx *x, submit_case *s)
{
    GSM_Error e = gammu_split(x->di, x->info, x->multi, x->text.u16, x->text.nu16, s->ref16);
    s->same_cuts = false;
    if (!diff_check(&s->c, e == ERR_NONE, "gammu's splitter failed: %d", (int)e))
        return;
    GSM_Coding_Type gc = x->multi->SMS[0].Coding;
    diff_check(&s->c, (gc == SMS_Coding_Default_No_Compression) == x->text.gsm,
               "gammu's automatic coding is %d, text is %sGSM-7", (int)gc, x->text.gsm ? "" : "not ");
    s->same_cuts = x->text.gsm || submit_model_cuts(x, s);
    x->flag_cuts += !s->same_cuts;
    if (s->same_cuts)
        diff_check(&s->c, s->nparts == (size_t)x->multi->Number,
                   "we make %zu parts, gammu's splitter %d", s->nparts, x->multi->Number);
}

static void submit_one(diff_ctx *x, int index)
{
    submit_case s;
    text_generate(&x->text);
    submit_opts_generate(&s);
    s.c = (diff_case){"submit", index, s.to, &x->text, NULL, 0};
    kz_err err;
    kz_err_clear(&err);
    kz_status st = pdu_encode_submit((const uint8_t *)x->text.utf8, x->text.len, &s.opts, x->pdus,
                                     PDU_CAP, &s.nparts, &err);
    if (!diff_check(&s.c, st == KZ_OK, "pdu_encode_submit: %s (%s)", kz_strerror(st), err.msg))
        return;
    s.nwant = 0;
    if (!x->text.gsm) {
        s.nwant = ucs2_cut_model(&x->text, s.ref16 ? 66 : 67, false, s.want_units, PDU_CAP);
        diff_check(&s.c, s.nparts == s.nwant, "we make %zu parts, TS 23.040 cuts give %zu",
                   s.nparts, s.nwant);
    }
    submit_check_count(x, &s);
    x->nacc = x->nacc8 = 0;
    for (size_t k = 0; k < s.nparts; k++)
        submit_check_part(x, &s, k);
    char got[2 * TEXT_UTF8_MAX];
    diff_check(&s.c, acc_matches(x, got, sizeof(got)), "gammu reads the parts as \"%s\"", got);
    x->submit_pdus += s.nparts;
    x->alnum_addrs += s.to[0] != '+' && (s.to[0] < '0' || s.to[0] > '9');
    x->multipart_msgs += s.nparts > 1;
    x->ucs2_msgs += !x->text.gsm;
}

/* ----------------------------------------------------------- DELIVER */

typedef struct deliver_case {
    diff_case c;
    char from[ADDR_MAX];
    char smsc[ADDR_MAX];
    sms_time scts;
    int msg_class;
    int replace;    /* gammu ReplaceMessage 0-7: TP-PID 0x40 + n when n > 0 */
    bool mms_bit;   /* first octet bit 2, which gammu sets for RejectDuplicates */
    bool reply_path;
    bool ref16;
    uint16_t ref;
    size_t nparts;
} deliver_case;

static void deliver_generate(deliver_case *d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    addr_generate(d->from, true);
    d->smsc[0] = '\0';
    if (rng_chance(80)) {
        d->smsc[0] = '+';
        digits_put(d->smsc + 1, (size_t)rng_range(8, 12), true);
    }
    /*
     * Two-digit years: gammu writes 2000-2069 as 00-69, read as 20xx by us
     * (70-99 are 19xx) and by gammu's decoder, which takes 90-99 as 1990 +
     * the value (99 -> 2089); so no year outside 2000-2069.
     */
    d->scts.year = rng_range(2000, 2069);
    d->scts.month = rng_range(1, 12);
    d->scts.day = rng_range(1, mdays[d->scts.month - 1]);
    d->scts.hour = rng_range(0, 23);
    d->scts.minute = rng_range(0, 59);
    d->scts.second = rng_range(0, 59);
    d->scts.tz_minutes = 15 * rng_range(-48, 56);
    d->msg_class = rng_range(-1, 3);
    d->replace = rng_chance(15) ? rng_range(1, 7) : 0;
    d->mms_bit = rng_chance(50);
    d->reply_path = rng_chance(20);
    d->ref16 = rng_chance(30);
    d->ref = (uint16_t)rng_below(d->ref16 ? 65536 : 256);
}

/* TS 23.040 9.2.3.11: quarter hours in swapped semi-octets, bit 3 the sign. */
static uint8_t tz_octet(int tz_minutes)
{
    int q = (tz_minutes < 0 ? -tz_minutes : tz_minutes) / 15;
    return (uint8_t)((q % 10) << 4 | (q / 10) | (tz_minutes < 0 ? 0x08 : 0));
}

/* Fill in the DELIVER fields of gammu's part g (its splitter made the text and UDH). */
static void deliver_fill_part(diff_ctx *x, const deliver_case *d, GSM_SMSMessage *g)
{
    g->PDU = SMS_Deliver;
    gammu_put_ascii(g->Number, d->from);
    gammu_put_ascii(g->SMSC.Number, d->smsc);
    g->DateTime = (GSM_DateTime){.Year = d->scts.year,
                                 .Month = d->scts.month,
                                 .Day = d->scts.day,
                                 .Hour = d->scts.hour,
                                 .Minute = d->scts.minute,
                                 .Second = d->scts.second,
                                 .Timezone = d->scts.tz_minutes * 60};
    g->Class = (signed char)d->msg_class;
    g->ReplaceMessage = (unsigned char)d->replace;
    g->RejectDuplicates = d->mms_bit;
    g->ReplyViaSameSMSC = d->reply_path;
    if (d->nparts > 1) {
        g->UDH.ID8bit = d->ref & 0xFF;
        g->UDH.ID16bit = d->ref;
        GSM_EncodeUDHHeader(x->di, &g->UDH);
    }
    if (g->Coding == SMS_Coding_Unicode_No_Compression)
        tilde_hide(g->Text);
}

static bool time_equal(const sms_time *a, const sms_time *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->tz_minutes == b->tz_minutes;
}

/* gammu's decoder on the same bytes: its reading of the time stamp. */
static void deliver_check_gammu_time(diff_ctx *x, const deliver_case *d, const diff_case *c,
                                     const uint8_t *pdu, size_t len)
{
    size_t fin;
    GSM_Error e = gammu_decode(x->di, x->sms, pdu, len, 1u + pdu[0] + 1, &fin); /* FO, OA */
    const GSM_DateTime *t = &x->sms->DateTime;
    sms_time g = {t->Year, t->Month, t->Day, t->Hour, t->Minute, t->Second, t->Timezone / 60};
    diff_check(c, e == ERR_NONE && fin == len && time_equal(&g, &d->scts) && t->Timezone % 60 == 0,
               "gammu's own decoder reads its PDU's time as %04d-%02d-%02d %02d:%02d:%02d %+d s",
               t->Year, t->Month, t->Day, t->Hour, t->Minute, t->Second, t->Timezone);
}

static void deliver_check_fields(diff_ctx *x, const deliver_case *d, const diff_case *c)
{
    const sms_message *m = &x->msg;
    diff_check(c, m->type == SMS_DELIVER, "type %d, not DELIVER", (int)m->type);
    diff_check(c, strcmp(m->address.text, d->from) == 0, "sender: we read \"%s\", gammu wrote \"%s\"",
               m->address.text, d->from);
    diff_check(c, m->has_smsc == (d->smsc[0] != '\0') && strcmp(m->smsc.text, d->smsc) == 0,
               "SMSC: we read has=%d \"%s\", gammu wrote \"%s\"", m->has_smsc, m->smsc.text,
               d->smsc);
    diff_check(c, time_equal(&m->scts, &d->scts),
               "SCTS: we read %04d-%02d-%02d %02d:%02d:%02d %+d min, want %04d-%02d-%02d "
               "%02d:%02d:%02d %+d min",
               m->scts.year, m->scts.month, m->scts.day, m->scts.hour, m->scts.minute,
               m->scts.second, m->scts.tz_minutes, d->scts.year, d->scts.month, d->scts.day,
               d->scts.hour, d->scts.minute, d->scts.second, d->scts.tz_minutes);
    sms_coding want = x->text.gsm ? SMS_CODING_GSM7 : SMS_CODING_UCS2;
    diff_check(c, m->dcsinfo.coding == want && m->dcsinfo.msg_class == d->msg_class,
               "DCS 0x%02X: we read coding %d class %d, want coding %d class %d", m->dcs,
               (int)m->dcsinfo.coding, m->dcsinfo.msg_class, (int)want, d->msg_class);
    diff_check(c, m->pid == (d->replace ? 0x40 + d->replace : 0), "TP-PID: we read 0x%02X", m->pid);
    diff_check(c, m->more_messages == !d->mms_bit && m->reply_path == d->reply_path,
               "first octet 0x%02X: we read more_messages=%d reply_path=%d", m->first_octet,
               m->more_messages, m->reply_path);
}

static void deliver_check_concat(diff_ctx *x, const deliver_case *d, const diff_case *c, size_t k)
{
    const sms_message *m = &x->msg;
    if (d->nparts == 1) {
        diff_check(c, !m->has_concat, "single part read as concatenated");
        return;
    }
    unsigned bits = d->ref16 ? 16 : 8;
    diff_check(c,
               m->has_concat && m->concat.ref == d->ref && m->concat.ref_bits == bits &&
                   m->concat.total == d->nparts && m->concat.seq == k + 1,
               "concat: we read has=%d ref %u/%u-bit part %u/%u, gammu wrote ref %u/%u-bit part "
               "%zu/%zu",
               m->has_concat, m->concat.ref, m->concat.ref_bits, m->concat.seq, m->concat.total,
               d->ref, bits, k + 1, d->nparts);
}

/*
 * Gather our reading of a part: GSM-7 text as UTF-8; UCS-2 as the raw units,
 * and the part's own text must be those units.
 */
static void deliver_gather_text(diff_ctx *x, const diff_case *c)
{
    const sms_message *m = &x->msg;
    if (m->dcsinfo.coding != SMS_CODING_UCS2) {
        diff_check(c, m->has_text && strlen(m->text) == m->text_len, "no text (has_text=%d)",
                   m->has_text);
        size_t room = sizeof(x->acc8) - 1 - x->nacc8;
        size_t n = m->text_len < room ? m->text_len : room;
        memcpy(x->acc8 + x->nacc8, m->text, n);
        x->nacc8 += n;
        x->acc8[x->nacc8] = '\0';
        return;
    }
    uint16_t u[SMS_UD_MAX / 2];
    size_t n = 0;
    diff_check(c, m->data_len % 2 == 0, "odd UCS-2 length %zu", m->data_len);
    for (size_t i = 0; i + 1 < m->data_len; i += 2)
        u[n++] = (uint16_t)(m->data[i] << 8 | m->data[i + 1]);
    char s[TEXT_UTF8_MAX];
    utf16_to_utf8(u, n, s, sizeof(s));
    diff_check(c, m->has_text && strcmp(s, m->text) == 0,
               "text \"%s\" (has_text=%d) is not its own UCS-2 data", m->text, m->has_text);
    acc_add(x, u, n);
}

static void deliver_check_part(diff_ctx *x, const deliver_case *d, size_t k)
{
    GSM_SMSMessage *g = &x->multi->SMS[k];
    deliver_fill_part(x, d, g);
    unsigned char frame[512];
    int flen = 0;
    GSM_Error e = GSM_EncodeSMSFrame(x->di, g, frame, PHONE_SMSDeliver, &flen, TRUE);
    if (!diff_check(&d->c, e == ERR_NONE && flen >= PHONE_SMSDeliver.Text,
                    "gammu cannot encode part %zu: %d", k + 1, (int)e))
        return;
    if (g->Coding == SMS_Coding_Unicode_No_Compression)
        tilde_restore(frame + PHONE_SMSDeliver.Text, (size_t)flen - PHONE_SMSDeliver.Text,
                      frame[PHONE_SMSDeliver.firstbyte] & 0x40);
    uint8_t flat[SMS_PDU_MAX + 16];
    size_t len = deliver_flatten(frame, flen, d->smsc[0] != 0, tz_octet(d->scts.tz_minutes), flat);
    if (!diff_check(&d->c, len > 0, "gammu's part %zu has %d octets of user data", k + 1,
                    flen - PHONE_SMSDeliver.Text))
        return;
    uint8_t *exact = malloc(len); /* exact size, so ASan sees any read past the end */
    if (!exact)
        return;
    memcpy(exact, flat, len);
    diff_case c = d->c;
    c.pdu = exact;
    c.pdu_len = len;
    kz_err err;
    kz_err_clear(&err);
    kz_status st = pdu_decode(exact, len, true, &x->msg, &err);
    if (diff_check(&c, st == KZ_OK, "pdu_decode part %zu: %s at %zu (%s)", k + 1,
                   kz_strerror(st), err.offset, err.msg)) {
        deliver_check_fields(x, d, &c);
        deliver_check_concat(x, d, &c, k);
        deliver_gather_text(x, &c);
        deliver_check_gammu_time(x, d, &c, exact, len);
    }
    free(exact);
}

static void deliver_one(diff_ctx *x, int index)
{
    deliver_case d;
    text_generate(&x->text);
    deliver_generate(&d);
    d.c = (diff_case){"deliver", index, d.from, &x->text, NULL, 0};
    GSM_Error e = gammu_split(x->di, x->info, x->multi, x->text.u16, x->text.nu16, d.ref16);
    if (!diff_check(&d.c, e == ERR_NONE && x->multi->Number >= 1, "gammu's splitter failed: %d",
                    (int)e))
        return;
    d.nparts = (size_t)x->multi->Number;
    x->nacc = x->nacc8 = 0;
    for (size_t k = 0; k < d.nparts; k++)
        deliver_check_part(x, &d, k);
    char got[2 * TEXT_UTF8_MAX];
    diff_check(&d.c, acc_matches(x, got, sizeof(got)), "we read the parts as \"%s\"", got);
    x->deliver_pdus += d.nparts;
}

/* ---------------------------------------------------------------- main */

static uint64_t seed_from_env(void)
{
    const char *s = getenv("KAZI_SEED");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end == '\0')
            return v;
        fprintf(stderr, "KAZI_SEED=\"%s\" is not a number; using the default\n", s);
    }
    return DEFAULT_SEED;
}

static diff_ctx *ctx_new(void)
{
    diff_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->info = calloc(1, sizeof(*x->info));
    x->multi = calloc(1, sizeof(*x->multi)); /* ~260 KB: never on the stack */
    x->sms = calloc(1, sizeof(*x->sms));
    x->di = GSM_GetGlobalDebug();
    if (!x->info || !x->multi || !x->sms || !x->di) {
        free(x->info);
        free(x->multi);
        free(x->sms);
        free(x);
        return NULL;
    }
    GSM_SetDebugLevel("nothing", x->di);
    return x;
}

static void ctx_free(diff_ctx *x)
{
    if (!x)
        return;
    free(x->info);
    free(x->multi);
    free(x->sms);
    free(x);
}

int main(void)
{
    uint64_t seed = seed_from_env();
    rng_state = seed;
    printf("gammu differential: seed %" PRIu64 " (set KAZI_SEED to replay another)\n", seed);
    diff_ctx *x = ctx_new();
    KT_CHECK(x != NULL, "out of memory");
    if (!x)
        return kt_report();
    for (int i = 0; i < N_SUBMIT; i++)
        submit_one(x, i);
    for (int i = 0; i < N_DELIVER; i++)
        deliver_one(x, i);
    if (fails_shown > FAILS_SHOWN)
        fprintf(stderr, "gammu diff: %d more failures not shown\n", fails_shown - FAILS_SHOWN);
    printf("gammu differential: %d submit messages (%zu PDUs; %zu multipart, %zu UCS-2, %zu "
           "alphanumeric, %zu cut differently by gammu's flag rule), %d deliver messages (%zu "
           "PDUs): %s\n",
           N_SUBMIT, x->submit_pdus, x->multipart_msgs, x->ucs2_msgs, x->alnum_addrs,
           x->flag_cuts, N_DELIVER, x->deliver_pdus,
           kt_failed ? "DISAGREE" : "all agree");
    ctx_free(x);
    return kt_report();
}
