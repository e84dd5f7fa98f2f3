/*
 * test_pdu_property.c - property test of the PDU encoders against the
 * decoder: thousands of random texts (fixed seed; pure GSM-7, extension
 * characters, non-GSM and emoji, lengths around every segment boundary)
 * go through pdu_encode_submit and pdu_encode_deliver, each part through
 * pdu_decode; the parts must give back the text, carry consistent
 * concatenation headers and number exactly what TS 23.040 asks for.
 * Never depends on the clock or on files: a failure reproduces.
 */
#include "harness.h"

#include "pdu.h"

#define TEXTS 3000
#define MAX_PARTS 16
#define TEXT_CAP 4096

static uint32_t rng_state = 0x4B617A69u; /* "Kazi" */

static uint32_t rnd(void)
{
    /* xorshift32 */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint32_t rnd_below(uint32_t n)
{
    return rnd() % n;
}

/* A character as the generator sees it: UTF-8, septets (0: none), UTF-16 units. */
typedef struct pchar {
    const char *utf8;
    unsigned septets;
    unsigned units;
} pchar;

static const pchar basic[] = {
    {"a", 1, 1}, {"z", 1, 1}, {"K", 1, 1}, {"0", 1, 1}, {"9", 1, 1}, {" ", 1, 1}, {".", 1, 1},
    {",", 1, 1}, {"@", 1, 1}, {"?", 1, 1}, {"\n", 1, 1}, {"\r", 1, 1}, {"_", 1, 1},
    {"\xC2\xA3", 1, 1} /* £ */, {"\xCE\x94", 1, 1} /* Δ */, {"\xC3\xA9", 1, 1} /* é */,
    {"\xC3\x98", 1, 1} /* Ø */, {"\xC3\x9F", 1, 1} /* ß */, {"\xC3\xBC", 1, 1} /* ü */,
    {"\xC2\xA7", 1, 1} /* § */, {"\xC2\xBF", 1, 1} /* ¿ */, {"\xC3\xA0", 1, 1} /* à */,
    {"$", 1, 1}, {"\"", 1, 1}, {"#", 1, 1},
};

static const pchar ext[] = {
    {"{", 2, 1}, {"}", 2, 1}, {"[", 2, 1}, {"]", 2, 1}, {"~", 2, 1},
    {"|", 2, 1}, {"^", 2, 1}, {"\\", 2, 1}, {"\xE2\x82\xAC", 2, 1} /* € */, {"\f", 2, 1},
};

static const pchar other[] = {
    {"\xD0\xB6", 0, 1} /* ж */,      {"\xE4\xB8\xAD", 0, 1} /* 中 */,
    {"\xC5\x91", 0, 1} /* ő */,      {"\xF0\x9F\x98\x80", 0, 2} /* 😀 */,
    {"\xF0\x9F\x99\x8F", 0, 2} /* 🙏 */, {"\xE0\xA4\x95", 0, 1} /* क */,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Unit counts at which the number of segments changes, and some more. */
static const unsigned boundaries[] = {0, 1, 66, 67, 70, 132, 134, 140, 152, 153,
                                      160, 201, 304, 306, 459, 612};

typedef struct gen_text {
    char s[TEXT_CAP];
    size_t len;
    unsigned cost7[700], cost16[700]; /* per character */
    size_t nchars;
    bool gsm;
} gen_text;

static const pchar *pick(int mode)
{
    uint32_t r = rnd_below(100);
    if (mode == 1 && r < 20)
        return &ext[rnd_below(N(ext))];
    if (mode == 2 && r < 3)
        return &other[rnd_below(N(other))];
    if (mode == 3 && r < 70)
        return &other[rnd_below(N(other))];
    if (mode == 3 && r < 80)
        return &ext[rnd_below(N(ext))];
    return &basic[rnd_below(N(basic))];
}

static void generate(gen_text *t)
{
    int mode = (int)rnd_below(4);
    unsigned target = rnd_below(3) ? boundaries[rnd_below(N(boundaries))] : rnd_below(520);
    unsigned units = 0;

    if (target > 3 && rnd_below(2))
        target = target - 3 + rnd_below(7); /* around the boundary */
    memset(t, 0, sizeof *t);
    t->gsm = true;
    while (units < target && t->nchars < N(t->cost7) && t->len + 5 < sizeof t->s) {
        const pchar *c = pick(mode);
        size_t l = strlen(c->utf8);
        memcpy(t->s + t->len, c->utf8, l);
        t->len += l;
        t->cost7[t->nchars] = c->septets;
        t->cost16[t->nchars] = c->units;
        t->nchars++;
        t->gsm = t->gsm && c->septets;
        units += mode == 3 || mode == 2 ? c->units : c->septets;
    }
}

/* TS 23.040 count: one SMS up to `single` units, else parts of `part`, no character split. */
static size_t ts_count(const unsigned *cost, size_t n, size_t single, size_t part)
{
    size_t total = 0, parts = 1, cur = 0;
    for (size_t i = 0; i < n; i++)
        total += cost[i];
    if (total <= single)
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (cur + cost[i] > part) {
            parts++;
            cur = 0;
        }
        cur += cost[i];
    }
    return parts;
}

static size_t expected_parts(const gen_text *t, unsigned ref_bits)
{
    if (t->gsm)
        return ts_count(t->cost7, t->nchars, 160, ref_bits == 16 ? 152 : 153);
    return ts_count(t->cost16, t->nchars, 70, ref_bits == 16 ? 66 : 67);
}

/* Decode n parts, check them and that they join to the text. */
static void check_parts(const char *what, int k, const gen_text *t, const sms_pdu *p, size_t n,
                        sms_type type, unsigned ref_bits, uint16_t ref, sms_message *first)
{
    char joined[TEXT_CAP + SMS_TEXT_MAX] = "";
    size_t jl = 0;
    int bad = 0;
    sms_coding want = t->gsm ? SMS_CODING_GSM7 : SMS_CODING_UCS2;

    for (size_t i = 0; i < n; i++) {
        sms_message m;
        kz_err e;
        kz_status st = pdu_decode(p[i].bytes, p[i].len, true, &m, &e);
        if (st != KZ_OK) {
            KT_CHECK(st == KZ_OK, "%s %d part %zu: %s (%s)", what, k, i, kz_strerror(st), e.msg);
            return;
        }
        if (i == 0)
            *first = m;
        bad += m.type != type || m.dcsinfo.coding != want || !m.has_text;
        bad += p[i].tpdu_len != p[i].len - 1u - p[i].bytes[0] || p[i].len > SMS_PDU_MAX;
        if (n == 1)
            bad += m.has_concat || m.udh_len != 0;
        else
            bad += !m.has_concat || m.concat.total != n || m.concat.seq != i + 1 ||
                   m.concat.ref_bits != ref_bits ||
                   m.concat.ref != (ref_bits == 8 ? (ref & 0xFF) : ref);
        if (jl + m.text_len < sizeof joined) {
            memcpy(joined + jl, m.text, m.text_len + 1);
            jl += m.text_len;
        }
    }
    KT_CHECK(bad == 0, "%s %d: %d part fields wrong (%zu parts)", what, k, bad, n);
    KT_CHECK(jl == t->len && memcmp(joined, t->s, t->len) == 0, "%s %d: text differs (%zu vs %zu bytes)",
             what, k, jl, t->len);
}

static const char *const numbers[] = {"+15550001111", "0712345678", "+254712345678", "100"};
static const char *const senders[] = {"+254700000001", "MPESA", "Kazi Tasks", "22167"};

static void via_submit(int k, const gen_text *t)
{
    sms_submit_opts o;
    sms_pdu p[MAX_PARTS];
    sms_message first;
    size_t n = 0;
    kz_err e;

    sms_submit_opts_init(&o);
    o.to = numbers[rnd_below(N(numbers))];
    o.smsc = rnd_below(2) ? NULL : "+254722000000";
    o.concat_ref_bits = rnd_below(2) ? 8 : 16;
    o.concat_ref = (uint16_t)rnd();
    o.srr = rnd_below(2);
    o.vp_relative = rnd_below(2) ? -1 : (int)rnd_below(256);
    o.mr = (uint8_t)rnd();
    kz_status st = pdu_encode_submit((const uint8_t *)t->s, t->len, &o, p, MAX_PARTS, &n, &e);
    KT_CHECK(st == KZ_OK, "submit %d: %s (%s)", k, kz_strerror(st), e.msg);
    if (st != KZ_OK)
        return;
    KT_CHECK(n == expected_parts(t, o.concat_ref_bits), "submit %d: %zu parts, TS 23.040 says %zu",
             k, n, expected_parts(t, o.concat_ref_bits));
    check_parts("submit", k, t, p, n, SMS_SUBMIT, o.concat_ref_bits, o.concat_ref, &first);
    KT_CHECK(strcmp(first.address.text, o.to) == 0 && first.mr == o.mr && first.status_report == o.srr &&
                 (o.vp_relative < 0 ? first.vp_format == 0
                                    : first.vp_format == 2 && first.vp[0] == o.vp_relative),
             "submit %d: header fields", k);
}

static void via_deliver(int k, const gen_text *t)
{
    sms_deliver_opts o;
    sms_pdu p[MAX_PARTS];
    sms_message first;
    size_t n = 0;
    kz_err e;

    sms_deliver_opts_init(&o);
    o.from = senders[rnd_below(N(senders))];
    o.concat_ref_bits = rnd_below(2) ? 8 : 16;
    o.concat_ref = (uint16_t)rnd();
    o.more_messages = rnd_below(2);
    o.msg_class = (int)rnd_below(5) - 1;
    o.scts = (sms_time){1970 + (int)rnd_below(100), 1 + (int)rnd_below(12), 1 + (int)rnd_below(28),
                        (int)rnd_below(24), (int)rnd_below(60), (int)rnd_below(60),
                        ((int)rnd_below(97) - 48) * 15};
    kz_status st = pdu_encode_deliver((const uint8_t *)t->s, t->len, &o, p, MAX_PARTS, &n, &e);
    KT_CHECK(st == KZ_OK, "deliver %d: %s (%s)", k, kz_strerror(st), e.msg);
    if (st != KZ_OK)
        return;
    KT_CHECK(n == expected_parts(t, o.concat_ref_bits), "deliver %d: %zu parts, TS 23.040 says %zu",
             k, n, expected_parts(t, o.concat_ref_bits));
    check_parts("deliver", k, t, p, n, SMS_DELIVER, o.concat_ref_bits, o.concat_ref, &first);
    KT_CHECK(strcmp(first.address.text, o.from) == 0 && first.more_messages == o.more_messages &&
                 first.dcsinfo.msg_class == o.msg_class &&
                 memcmp(&first.scts, &o.scts, sizeof o.scts) == 0,
             "deliver %d: header fields", k);
}

int main(void)
{
    static gen_text t;
    size_t per_parts[8] = {0};

    for (int k = 0; k < TEXTS; k++) {
        generate(&t);
        size_t e = expected_parts(&t, 8);
        per_parts[e < 7 ? e : 7]++;
        via_submit(k, &t);
        via_deliver(k, &t);
    }
    printf("texts by 8-bit-reference part count: 1:%zu 2:%zu 3:%zu 4:%zu 5:%zu 6:%zu 7+:%zu\n",
           per_parts[1], per_parts[2], per_parts[3], per_parts[4], per_parts[5], per_parts[6],
           per_parts[7]);
    return kt_report();
}
