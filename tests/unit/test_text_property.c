/*
 * test_text_property.c - property test for the outgoing-text path: random
 * texts from a fixed-seed PRNG (pure GSM-7, with extension characters, with
 * non-GSM and astral characters), sized at and around every segment
 * boundary, are planned, converted part by part and converted back. The
 * concatenation must equal the input, the segment count and sizes must match
 * a reference computed here from per-character costs the generator knows,
 * and no part may exceed its limit or start inside an escape/surrogate pair.
 * Never touches files or the network; the seed is fixed so failures repeat.
 */
#include <stdint.h>
#include <string.h>

#include "gsm7.h"
#include "harness.h"
#include "sms_text.h"
#include "ucs2.h"

#define MAXCH 1200

/* Characters by class, written out from TS 23.038 independently of gsm7.c. */
static const uint32_t gsm_default_cps[] = {
    '\n', '\r', ' ', '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', '@', 'A',
    'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S',
    'T', 'U', 'V', 'W', 'X', 'Y', 'Z', '_', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j',
    'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0xA3, 0xA5,
    0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0xD8, 0xF8, 0xC5, 0xE5, 0x394, 0x3A6, 0x393, 0x39B,
    0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9, 0xA4, 0xA1, 0xC4, 0xD6,
    0xD1, 0xDC, 0xA7, 0xBF, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0};
static const uint32_t gsm_ext_cps[] = {0x0C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC};
/* No GSM-7 form; U+0000 included because '@' is septet 0x00, not U+0000. */
static const uint32_t bmp_other_cps[] = {0xE7,   0x436,  0x4E2D, '`',    '\t',   0xA0,
                                         0xFFFD, 0x105,  0x629,  0xE000, 0xFFFF, 0x0};
static const uint32_t astral_cps[] = {0x1F600, 0x1F44D, 0x1F3FD, 0x10000, 0x10FFFF, 0x1D11E};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x4B617A6953454544ull; /* "KaziSEED" */

/* splitmix64: a fixed-seed generator, so every run sees the same texts. */
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t rnd(size_t n)
{
    return (size_t)(rng() % n);
}

/* The generated text with what the generator knows about each character. */
typedef struct gen_text {
    uint8_t bytes[MAXCH * 4];
    size_t len;
    size_t nch;
    size_t off[MAXCH + 1];   /* byte offset of each character, off[nch] = len */
    uint8_t gsm[MAXCH];      /* septets: 1, 2, or 0 if no GSM-7 form */
    uint8_t ucs[MAXCH];      /* UTF-16 units: 1 or 2 */
} gen_text;

static gen_text t;

/* Append cp (UTF-8 written here, not with utf8.c) with its known costs. */
static void add_char(uint32_t cp, unsigned gsm)
{
    uint8_t *p = t.bytes + t.len;
    size_t n;
    if (cp < 0x80) {
        p[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        p[0] = (uint8_t)(0xC0 | cp >> 6);
        p[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        p[0] = (uint8_t)(0xE0 | cp >> 12);
        p[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        p[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        p[0] = (uint8_t)(0xF0 | cp >> 18);
        p[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        p[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        p[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    t.off[t.nch] = t.len;
    t.gsm[t.nch] = (uint8_t)gsm;
    t.ucs[t.nch] = cp >= 0x10000 ? 2 : 1;
    t.nch++;
    t.len += n;
    t.off[t.nch] = t.len;
}

enum { K_PLAIN, K_EXT, K_BMP, K_EMOJI, K_ALL_EXT, K_ALL_ASTRAL, K_COUNT };

/* One random character of text kind k. */
static void add_random(int k)
{
    size_t r = rnd(100);
    if (k == K_ALL_EXT || (k == K_EXT && r < 25) || (k >= K_BMP && r < 10))
        add_char(gsm_ext_cps[rnd(COUNT(gsm_ext_cps))], 2);
    else if (k == K_ALL_ASTRAL || (k == K_EMOJI && r < 40))
        add_char(astral_cps[rnd(COUNT(astral_cps))], 0);
    else if (k == K_BMP && r < 13)
        add_char(bmp_other_cps[rnd(COUNT(bmp_other_cps))], 0);
    else
        add_char(gsm_default_cps[rnd(COUNT(gsm_default_cps))], 1);
}

/* Lengths (in the kind's natural units) at and around every boundary. */
static const size_t gsm_targets[] = {0,   1,   2,   151, 152, 153, 154, 159, 160, 161,
                                     162, 303, 304, 305, 306, 307, 456, 458, 459, 460};
static const size_t ucs_targets[] = {0,  1,  65,  66,  67,  68,  69,  70,  71,  72,
                                     131, 132, 133, 134, 135, 198, 200, 201, 202, 268};

/* Fill t with a text of kind k until its cost reaches target units. */
static void generate(int k, size_t target)
{
    int gsm_kind = k == K_PLAIN || k == K_EXT || k == K_ALL_EXT;
    size_t units = 0;
    t.len = 0;
    t.nch = 0;
    t.off[0] = 0;
    while (units < target && t.nch < MAXCH) {
        add_random(k);
        size_t c = gsm_kind ? t.gsm[t.nch - 1] : t.ucs[t.nch - 1];
        units += c ? c : 1;
    }
}

/* The reference plan: coding, then greedy parts by known per-character costs. */
typedef struct ref_plan {
    sms_coding coding;
    size_t n;
    size_t units[SMS_MAX_SEGMENTS + 1];
    size_t limit;
} ref_plan;

static void reference(unsigned ref_bits, ref_plan *r)
{
    r->coding = SMS_CODING_GSM7;
    for (size_t i = 0; i < t.nch; i++) {
        if (t.gsm[i] == 0)
            r->coding = SMS_CODING_UCS2;
    }
    const uint8_t *cost = r->coding == SMS_CODING_GSM7 ? t.gsm : t.ucs;
    size_t total = 0;
    for (size_t i = 0; i < t.nch; i++)
        total += cost[i];
    size_t single = r->coding == SMS_CODING_GSM7 ? 160 : 70;
    if (total <= single) {
        r->n = 1;
        r->units[0] = total;
        r->limit = single;
        return;
    }
    size_t header = ref_bits == 8 ? 6 : 7; /* UDHL + IE: octets */
    r->limit = r->coding == SMS_CODING_GSM7 ? (140 * 8 - ((header * 8 + 6) / 7) * 7) / 7
                                            : (140 - header) / 2;
    r->n = 1;
    r->units[0] = 0;
    for (size_t i = 0; i < t.nch; i++) {
        if (r->units[r->n - 1] + cost[i] > r->limit)
            r->units[r->n++] = 0;
        r->units[r->n - 1] += cost[i];
    }
}

static uint8_t out_text[MAXCH * 4 + 1];
static size_t out_len;
static unsigned fails;

/* Convert one GSM-7 segment there and back; append the text to out_text. */
static void gsm7_segment(const sms_segment *s, unsigned fill, size_t max_octets)
{
    uint8_t sep[400], packed[200], back[400];
    char txt[1300];
    size_t n = 0, pn = 0, tn = 0;
    int ok = gsm7_from_utf8(t.bytes + s->start, s->end - s->start, sep, sizeof sep, &n, NULL) ==
                 KZ_OK &&
             n == s->units && (n == 0 || sep[n - 1] != GSM7_ESC) &&
             gsm7_pack(sep, n, fill, packed, sizeof packed, &pn) == KZ_OK && pn <= max_octets &&
             gsm7_unpack(packed, pn, fill, n, back, sizeof back, NULL) == KZ_OK &&
             memcmp(back, sep, n) == 0 &&
             gsm7_to_utf8(back, n, txt, sizeof txt, &tn, NULL) == KZ_OK;
    KT_CHECK(ok, "GSM-7 segment [%zu,%zu) failed", s->start, s->end);
    fails += !ok;
    if (ok && out_len + tn <= sizeof out_text) {
        memcpy(out_text + out_len, txt, tn);
        out_len += tn;
    }
}

/* Convert one UCS-2 segment there and back; no pair split across its edges. */
static void ucs2_segment(const sms_segment *s, size_t max_octets)
{
    uint8_t be[300];
    char txt[1300];
    size_t n = 0, tn = 0;
    int ok = ucs2_from_utf8(t.bytes + s->start, s->end - s->start, be, sizeof be, &n, NULL) ==
                 KZ_OK &&
             n == 2 * s->units && n <= max_octets &&
             (n == 0 || ((be[0] & 0xFC) != 0xDC && (be[n - 2] & 0xFC) != 0xD8)) &&
             ucs2_to_utf8(be, n, txt, sizeof txt, &tn, NULL) == KZ_OK;
    KT_CHECK(ok, "UCS-2 segment [%zu,%zu) failed", s->start, s->end);
    fails += !ok;
    if (ok && out_len + tn <= sizeof out_text) {
        memcpy(out_text + out_len, txt, tn);
        out_len += tn;
    }
}

/* True if byte offset b starts one of the generated characters. */
static int is_char_start(size_t b)
{
    for (size_t i = 0; i <= t.nch; i++) {
        if (t.off[i] == b)
            return 1;
    }
    return 0;
}

static sms_segment segs[SMS_MAX_SEGMENTS];
static ref_plan ref;

static void check_one(unsigned ref_bits)
{
    sms_plan plan;
    kz_status st = sms_plan_text(t.bytes, t.len, SMS_CODING_AUTO, ref_bits, segs,
                                 COUNT(segs), &plan, NULL);
    reference(ref_bits, &ref);
    int same = st == KZ_OK && plan.coding == ref.coding && plan.nsegments == ref.n;
    for (size_t i = 0; same && i < ref.n; i++)
        same = segs[i].units == ref.units[i] && segs[i].units <= ref.limit &&
               is_char_start(segs[i].start) && segs[i].start == (i ? segs[i - 1].end : 0);
    KT_CHECK(same, "plan differs from reference (%zu chars, ref %zu parts of <= %zu, got %zu)",
             t.nch, ref.n, ref.limit, plan.nsegments);
    fails += !same;
    if (!same)
        return;
    if (ref_bits == 8)
        KT_CHECK(sms_count_segments((const char *)t.bytes, t.len) == ref.n, "count");
    out_len = 0;
    size_t udh = ref.n == 1 ? 0 : (ref_bits == 8 ? 6 : 7);
    unsigned fill = udh ? (unsigned)((7 - udh * 8 % 7) % 7) : 0;
    for (size_t i = 0; i < ref.n; i++) {
        if (ref.coding == SMS_CODING_GSM7)
            gsm7_segment(&segs[i], fill, 140 - udh);
        else
            ucs2_segment(&segs[i], 140 - udh);
    }
    int equal = out_len == t.len && memcmp(out_text, t.bytes, t.len) == 0;
    KT_CHECK(equal, "round trip of %zu bytes gave %zu bytes", t.len, out_len);
    fails += !equal;
}

/*
 * sms_count_segments has a fast path for plain ASCII (one septet a byte):
 * it must agree with the full plan for every length around the boundaries
 * and for ASCII texts with one escape or one non-GSM character at the end.
 */
static void check_ascii_counts(void)
{
    static const char plain[] = "abcXYZ019 .,:;?!'\"#%&()*+-/<=>@_$";
    static const char *const tails[] = {"", "[", "~", "\x60", "\xc3\xa9"};
    char buf[1300];
    size_t bad = 0, n = 0;
    for (size_t len = 0; len < 1200; len += len < 170 || (len > 300 && len < 320) ? 1 : 7) {
        for (size_t k = 0; k < COUNT(tails); k++) {
            for (size_t i = 0; i < len; i++)
                buf[i] = plain[rnd(sizeof plain - 1)];
            size_t tl = strlen(tails[k]);
            memcpy(buf + len, tails[k], tl);
            sms_plan plan;
            kz_status st = sms_plan_text((const uint8_t *)buf, len + tl, SMS_CODING_AUTO, 8,
                                         NULL, 0, &plan, NULL);
            size_t want = st == KZ_OK || st == KZ_ERR_NOSPACE ? plan.nsegments : 0;
            bad += sms_count_segments(buf, len + tl) != want;
            n++;
        }
    }
    KT_CHECK(bad == 0, "ASCII fast path: %zu of %zu counts differ from the plan", bad, n);
}

int main(void)
{
    size_t cases = 0, multipart = 0, gsm = 0, ucs = 0;
    check_ascii_counts();
    for (int round = 0; round < 25; round++) {
        for (int k = 0; k < K_COUNT; k++) {
            int gsm_kind = k == K_PLAIN || k == K_EXT || k == K_ALL_EXT;
            const size_t *targets = gsm_kind ? gsm_targets : ucs_targets;
            for (size_t j = 0; j < COUNT(gsm_targets) + 2; j++) {
                size_t target = j < COUNT(gsm_targets) ? targets[j] : rnd(gsm_kind ? 1100 : 500);
                generate(k, target);
                for (unsigned ref_bits = 8; ref_bits <= 16; ref_bits += 8) {
                    check_one(ref_bits);
                    cases++;
                    multipart += ref.n > 1;
                    gsm += ref.coding == SMS_CODING_GSM7;
                    ucs += ref.coding == SMS_CODING_UCS2;
                }
            }
        }
    }
    KT_CHECK(cases >= 5000 && multipart > cases / 3 && gsm > 1000 && ucs > 1000,
             "coverage: %zu cases, %zu multipart, %zu gsm, %zu ucs2", cases, multipart, gsm, ucs);
    printf("property: %zu texts, %zu multipart, %zu GSM-7, %zu UCS-2, %u failed\n", cases,
           multipart, gsm, ucs, fails);
    return kt_report();
}
