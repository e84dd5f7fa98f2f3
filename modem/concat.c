/*
 * concat.c - reassembly of concatenated SMS in memory.
 * Owns: the table of incomplete sets and the heap copies of their parts'
 * text and 8-bit data. Must never talk to a modem or a store, read the
 * clock, or drop a part silently: a set leaves the table only as a
 * concat_msg (complete, expired or evicted).
 *
 * Rules written down here:
 *   - A set is keyed by sender text, reference size, reference and total;
 *     the sender's TOA is not part of the key (the same phone can reach us
 *     through SMSCs that print its number with different TOAs).
 *   - "Oldest" (for eviction and for the order of concat_expire) is the set
 *     whose newest part arrived first, i.e. the one closest to timing out;
 *     ties go to the set created first. A duplicate part does not refresh a
 *     set's time, so repeats cannot keep a broken set alive.
 *   - A released incomplete set has one CONCAT_GAP for each run of missing
 *     parts ("A...D" for parts 2 and 3 missing).
 *   - data holds the payloads of the 8-bit parts only (sms_message.data of
 *     a UCS-2 part is its raw text octets, already in text); of a UCS-2
 *     part only its first and last UTF-16 unit are kept, so that a
 *     surrogate pair a sender split across two parts (against TS 23.040)
 *     is mended at the join instead of showing two U+FFFD.
 *   - max_sets 0 is taken as 1; a negative timeout as 0.
 */
#include "concat.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define GAP_LEN (sizeof CONCAT_GAP - 1)

typedef struct concat_part {
    bool have;
    sms_time scts;
    sms_coding coding;
    char *text;       /* heap, NUL-terminated; NULL when the part had no text */
    size_t text_len;
    uint8_t *data;    /* heap copy of an 8-bit payload; NULL if none */
    size_t data_len;
    uint16_t first_unit; /* UCS-2 parts: first and last UTF-16 unit, to mend */
    uint16_t last_unit;  /* a surrogate pair another phone split across parts */
} concat_part;

typedef struct concat_set {
    bool used;
    sms_address sender;
    uint16_t ref;
    uint8_t ref_bits;
    uint8_t total;
    uint8_t received;
    int64_t last_seen;   /* arrival time of the newest part */
    uint64_t serial;     /* creation order */
    concat_part *parts;  /* total slots, slot seq-1 */
} concat_set;

struct concat_store {
    concat_set *sets;
    size_t max_sets;
    size_t used;
    int64_t timeout_s;
    uint64_t next_serial;
};

/* ---------------------------------------------------------------- parts */

static void part_clear(concat_part *p)
{
    free(p->text);
    free(p->data);
    memset(p, 0, sizeof *p);
}

static kz_status part_copy(const sms_message *m, concat_part *p)
{
    memset(p, 0, sizeof *p);
    if (m->has_text) {
        p->text = malloc(m->text_len + 1);
        if (!p->text)
            return KZ_ERR_NOMEM;
        memcpy(p->text, m->text, m->text_len);
        p->text[m->text_len] = '\0';
        p->text_len = m->text_len;
    }
    if (m->dcsinfo.coding == SMS_CODING_8BIT && m->data_len > 0) {
        p->data = malloc(m->data_len);
        if (!p->data) {
            part_clear(p);
            return KZ_ERR_NOMEM;
        }
        memcpy(p->data, m->data, m->data_len);
        p->data_len = m->data_len;
    }
    if (m->dcsinfo.coding == SMS_CODING_UCS2 && m->data_len >= 2) {
        p->first_unit = (uint16_t)(m->data[0] << 8 | m->data[1]);
        p->last_unit = (uint16_t)(m->data[m->data_len - 2] << 8 | m->data[m->data_len - 1]);
    }
    p->scts = m->scts;
    p->coding = m->dcsinfo.coding;
    p->have = true;
    return KZ_OK;
}

static void set_clear(concat_set *s)
{
    if (s->parts)
        for (size_t i = 0; i < s->total; i++)
            part_clear(&s->parts[i]);
    free(s->parts);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- building messages */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Seconds since 1970 in UTC, for ordering time stamps with different offsets. */
static int64_t time_key(const sms_time *t)
{
    int64_t days = days_from_civil(t->year, t->month, t->day);
    return days * 86400 + (int64_t)t->hour * 3600 + (int64_t)t->minute * 60 + t->second -
           (int64_t)t->tz_minutes * 60;
}

static const concat_part *first_present(const concat_set *s)
{
    for (size_t i = 0; i < s->total; i++)
        if (s->parts[i].have)
            return &s->parts[i];
    return NULL;
}

static const concat_part *earliest_present(const concat_set *s)
{
    const concat_part *best = NULL;
    for (size_t i = 0; i < s->total; i++) {
        const concat_part *p = &s->parts[i];
        if (p->have && (!best || time_key(&p->scts) < time_key(&best->scts)))
            best = p;
    }
    return best;
}

/* UTF-8 of U+FFFD, which ucs2_to_utf8 writes for a lone surrogate. */
static const char replacement[] = "\xEF\xBF\xBD";
#define REPL_LEN 3

static bool ends_with_repl(const concat_part *p)
{
    return p->text_len >= REPL_LEN &&
           memcmp(p->text + p->text_len - REPL_LEN, replacement, REPL_LEN) == 0;
}

static bool starts_with_repl(const concat_part *p)
{
    return p->text_len >= REPL_LEN && memcmp(p->text, replacement, REPL_LEN) == 0;
}

/*
 * True when part a ends with a high surrogate and the next part b starts
 * with its low surrogate (a sender split the pair, against TS 23.040): the
 * two U+FFFD at the join are then replaced by the real character.
 */
static bool split_pair(const concat_part *a, const concat_part *b)
{
    if (!a->have || !b->have || a->coding != SMS_CODING_UCS2 || b->coding != SMS_CODING_UCS2)
        return false;
    if (a->last_unit < 0xD800 || a->last_unit > 0xDBFF)
        return false;
    if (b->first_unit < 0xDC00 || b->first_unit > 0xDFFF)
        return false;
    return ends_with_repl(a) && starts_with_repl(b);
}

/* Write the UTF-8 of the pair a->last_unit, b->first_unit (4 bytes) to out. */
static void write_pair(const concat_part *a, const concat_part *b, char *out)
{
    uint32_t cp = 0x10000 + (((uint32_t)a->last_unit - 0xD800) << 10) +
                  ((uint32_t)b->first_unit - 0xDC00);
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
}

static bool mends_next(const concat_set *s, size_t i)
{
    return i + 1 < s->total && split_pair(&s->parts[i], &s->parts[i + 1]);
}

static void measure(const concat_set *s, size_t *tlen, size_t *dlen)
{
    bool in_gap = false;
    *tlen = 0;
    *dlen = 0;
    for (size_t i = 0; i < s->total; i++) {
        const concat_part *p = &s->parts[i];
        if (!p->have) {
            *tlen += in_gap ? 0 : GAP_LEN;
            in_gap = true;
            continue;
        }
        in_gap = false;
        *tlen += p->text_len;
        *dlen += p->data_len;
        if (mends_next(s, i))
            *tlen -= 2 * REPL_LEN - 4;
    }
}

static void fill(const concat_set *s, char *text, uint8_t *data)
{
    bool in_gap = false;
    size_t t = 0, d = 0;
    for (size_t i = 0; i < s->total; i++) {
        const concat_part *p = &s->parts[i];
        if (!p->have) {
            if (!in_gap)
                memcpy(text + t, CONCAT_GAP, GAP_LEN);
            t += in_gap ? 0 : GAP_LEN;
            in_gap = true;
            continue;
        }
        in_gap = false;
        size_t from = (i > 0 && mends_next(s, i - 1)) ? REPL_LEN : 0;
        size_t to = mends_next(s, i) ? p->text_len - REPL_LEN : p->text_len;
        if (to > from)
            memcpy(text + t, p->text + from, to - from);
        t += to > from ? to - from : 0;
        if (mends_next(s, i)) {
            write_pair(p, &s->parts[i + 1], text + t);
            t += 4;
        }
        if (p->data_len)
            memcpy(data + d, p->data, p->data_len);
        d += p->data_len;
    }
    text[t] = '\0';
}

/* Write the message a set stands for into out. Leaves the set untouched. */
static kz_status msg_build(const concat_set *s, concat_msg *out)
{
    size_t tlen, dlen;
    measure(s, &tlen, &dlen);
    char *text = malloc(tlen + 1);
    uint8_t *data = dlen ? malloc(dlen) : NULL;
    if (!text || (dlen && !data)) {
        free(text);
        free(data);
        return KZ_ERR_NOMEM;
    }
    fill(s, text, data);
    const concat_part *lead = s->parts[0].have ? &s->parts[0] : first_present(s);
    const concat_part *when = s->parts[0].have ? &s->parts[0] : earliest_present(s);
    assert(lead && when);
    memset(out, 0, sizeof *out);
    out->sender = s->sender;
    out->first_scts = when->scts;
    out->coding = lead->coding;
    out->ref = s->ref;
    out->ref_bits = s->ref_bits;
    out->total = s->total;
    out->received = s->received;
    out->incomplete = s->received < s->total;
    out->text = text;
    out->text_len = tlen;
    out->data = data;
    out->data_len = dlen;
    return KZ_OK;
}

/* A message that needs no reassembly: built through a one-slot set. */
static kz_status release_single(const sms_message *m, concat_msg *out)
{
    concat_set s;
    concat_part p;
    memset(&s, 0, sizeof s);
    s.sender = m->address;
    if (m->has_concat) {
        s.ref = m->concat.ref;
        s.ref_bits = m->concat.ref_bits;
    }
    s.total = 1;
    s.received = 1;
    if (part_copy(m, &p) != KZ_OK)
        return KZ_ERR_NOMEM;
    s.parts = &p;
    kz_status st = msg_build(&s, out);
    part_clear(&p);
    return st;
}

/* ---------------------------------------------------------------- the table */

static bool set_matches(const concat_set *s, const sms_message *m)
{
    return s->used && s->ref == m->concat.ref && s->ref_bits == m->concat.ref_bits &&
           s->total == m->concat.total &&
           strncmp(s->sender.text, m->address.text, SMS_ADDR_MAX) == 0;
}

static concat_set *find_set(concat_store *cs, const sms_message *m)
{
    for (size_t i = 0; i < cs->max_sets; i++)
        if (set_matches(&cs->sets[i], m))
            return &cs->sets[i];
    return NULL;
}

static bool older(const concat_set *a, const concat_set *b)
{
    if (a->last_seen != b->last_seen)
        return a->last_seen < b->last_seen;
    return a->serial < b->serial;
}

static bool expired(const concat_store *cs, const concat_set *s, int64_t now)
{
    if (now <= s->last_seen)
        return false;
    return (uint64_t)now - (uint64_t)s->last_seen > (uint64_t)cs->timeout_s;
}

/* Oldest used set; with only_expired, oldest among those past the timeout. */
static concat_set *oldest_set(concat_store *cs, bool only_expired, int64_t now)
{
    concat_set *best = NULL;
    for (size_t i = 0; i < cs->max_sets; i++) {
        concat_set *s = &cs->sets[i];
        if (!s->used || (only_expired && !expired(cs, s, now)))
            continue;
        if (!best || older(s, best))
            best = s;
    }
    return best;
}

static concat_set *free_slot(concat_store *cs)
{
    for (size_t i = 0; i < cs->max_sets; i++)
        if (!cs->sets[i].used)
            return &cs->sets[i];
    return NULL;
}

static kz_status check_part(const sms_message *m, kz_err *err)
{
    if ((m->has_text && m->text_len >= SMS_TEXT_MAX) || m->data_len > SMS_UD_MAX)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "part lengths out of range");
    if (!m->has_concat)
        return KZ_OK;
    const sms_concat *c = &m->concat;
    if (c->ref_bits != 8 && c->ref_bits != 16)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "reference size %u",
                          (unsigned)c->ref_bits);
    if (c->seq == 0 || c->seq > c->total)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "part %u of %u", (unsigned)c->seq,
                          (unsigned)c->total);
    return KZ_OK;
}

static kz_status no_memory(kz_err *err)
{
    return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory reassembling SMS");
}

static kz_status add_to_set(concat_store *cs, concat_set *s, const sms_message *m, int64_t now,
                            bool *done, concat_msg *out, kz_err *err)
{
    concat_part *p = &s->parts[m->concat.seq - 1];
    if (p->have)
        return KZ_OK; /* duplicate */
    if (part_copy(m, p) != KZ_OK)
        return no_memory(err);
    s->received++;
    if (s->received < s->total) {
        s->last_seen = now;
        return KZ_OK;
    }
    if (msg_build(s, out) != KZ_OK) {
        part_clear(p); /* as if the part never came: the caller keeps it */
        s->received--;
        return no_memory(err);
    }
    set_clear(s);
    cs->used--;
    *done = true;
    return KZ_OK;
}

/* Make room by releasing the oldest set into *evicted. */
static kz_status evict_oldest(concat_store *cs, concat_set **slot, bool *has_evicted,
                              concat_msg *evicted)
{
    concat_set *old = oldest_set(cs, false, 0);
    assert(old);
    if (msg_build(old, evicted) != KZ_OK)
        return KZ_ERR_NOMEM;
    set_clear(old);
    cs->used--;
    *has_evicted = true;
    *slot = old;
    return KZ_OK;
}

static kz_status start_set(concat_store *cs, const sms_message *m, int64_t now, bool *has_evicted,
                           concat_msg *evicted, kz_err *err)
{
    concat_part *parts = calloc(m->concat.total, sizeof *parts);
    if (!parts)
        return no_memory(err);
    concat_part *p = &parts[m->concat.seq - 1];
    concat_set *slot = free_slot(cs);
    if (part_copy(m, p) != KZ_OK ||
        (!slot && evict_oldest(cs, &slot, has_evicted, evicted) != KZ_OK)) {
        part_clear(p);
        free(parts);
        return no_memory(err);
    }
    slot->used = true;
    slot->sender = m->address;
    slot->ref = m->concat.ref;
    slot->ref_bits = m->concat.ref_bits;
    slot->total = m->concat.total;
    slot->received = 1;
    slot->last_seen = now;
    slot->serial = cs->next_serial++;
    slot->parts = parts;
    cs->used++;
    return KZ_OK;
}

/* See concat.h. max_sets 0 is taken as 1, a negative timeout as 0. */
concat_store *concat_new(size_t max_sets, int64_t timeout_s)
{
    concat_store *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    cs->max_sets = max_sets ? max_sets : 1;
    cs->timeout_s = timeout_s > 0 ? timeout_s : 0;
    cs->sets = calloc(cs->max_sets, sizeof *cs->sets);
    if (!cs->sets) {
        free(cs);
        return NULL;
    }
    return cs;
}

void concat_free(concat_store *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->max_sets; i++)
        set_clear(&cs->sets[i]);
    free(cs->sets);
    free(cs);
}

void concat_msg_free(concat_msg *msg)
{
    if (!msg)
        return;
    free(msg->text);
    free(msg->data);
    msg->text = NULL;
    msg->text_len = 0;
    msg->data = NULL;
    msg->data_len = 0;
}

/*
 * See concat.h. All pointer arguments but err are required. *out and
 * *evicted are zeroed on entry, so concat_msg_free() on them is always safe.
 * A part whose set cannot be completed or started for lack of memory is not
 * held (KZ_ERR_NOMEM); an eviction that happened is still reported. Also
 * KZ_ERR_INVALID for a reference size other than 8 or 16 or for text/data
 * lengths beyond SMS_TEXT_MAX / SMS_UD_MAX.
 */
kz_status concat_add(concat_store *cs, const sms_message *part, int64_t now, bool *done,
                     concat_msg *out, bool *has_evicted, concat_msg *evicted, kz_err *err)
{
    assert(cs && part && done && out && has_evicted && evicted);
    *done = false;
    *has_evicted = false;
    memset(out, 0, sizeof *out);
    memset(evicted, 0, sizeof *evicted);
    kz_err_clear(err);
    kz_status st = check_part(part, err);
    if (st != KZ_OK)
        return st;
    if (!part->has_concat || part->concat.total == 1) {
        if (release_single(part, out) != KZ_OK)
            return no_memory(err);
        *done = true;
        return KZ_OK;
    }
    concat_set *s = find_set(cs, part);
    if (s)
        return add_to_set(cs, s, part, now, done, out, err);
    return start_set(cs, part, now, has_evicted, evicted, err);
}

/* See concat.h. Sets come out oldest first; one that cannot be built for lack of memory stays. */
size_t concat_expire(concat_store *cs, int64_t now, concat_msg *out, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        concat_set *s = oldest_set(cs, true, now);
        if (!s || msg_build(s, &out[n]) != KZ_OK)
            break;
        set_clear(s);
        cs->used--;
        n++;
    }
    return n;
}

size_t concat_pending(const concat_store *cs)
{
    return cs ? cs->used : 0;
}
