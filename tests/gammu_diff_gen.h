/*
 * gammu_diff_gen.h - test helper for tests/unit/test_gammu_diff.c: the
 * seeded random message generator. Owns the splitmix64 PRNG (seeded by the
 * including file through rng_state), its own GSM-7 alphabet tables
 * (TS 23.038) and UTF-8 / UTF-16 converters (so the check never trusts
 * modem/ code to judge modem/ code), the text model (msg_text), the
 * generated texts and the destination/sender addresses.
 * Never judges (no checks, no counts, no output), never calls modem/ or
 * gammu code, never writes files and never relies on the locale. Never uses
 * U+00B9 (see gammu_oracle.h).
 */
#ifndef KAZI_TEST_GAMMU_DIFF_GEN_H
#define KAZI_TEST_GAMMU_DIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_CP_MAX 520
#define TEXT_U16_MAX (2 * TEXT_CP_MAX)
#define TEXT_UTF8_MAX (4 * TEXT_CP_MAX + 1)
#define ADDR_MAX 24

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

#endif
