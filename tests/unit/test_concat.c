/*
 * test_concat.c - unit tests of multipart SMS reassembly: order, duplicates,
 * interleaved sets, reference sizes, timeouts with gaps, eviction, refused
 * parts, and freeing (run under ASan: every message is freed).
 * Never depends on the PDU encoder: parts are sms_message structs filled here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "concat.h"
#include "harness.h"

/* A text part "seq/total" of a set; text is the part's own text. */
static sms_message mk(const char *from, uint16_t ref, uint8_t bits, uint8_t seq, uint8_t total,
                      const char *text)
{
    sms_message m;
    memset(&m, 0, sizeof m);
    m.type = SMS_DELIVER;
    snprintf(m.address.text, sizeof m.address.text, "%s", from);
    m.address.toa = SMS_TOA_INTERNATIONAL;
    m.dcsinfo.coding = SMS_CODING_GSM7;
    m.dcsinfo.msg_class = -1;
    m.scts.year = 2024;
    m.scts.month = 1;
    m.scts.day = 19;
    m.scts.hour = 10;
    m.scts.minute = seq;
    m.scts.tz_minutes = 180;
    m.has_concat = total > 0;
    m.concat.ref = ref;
    m.concat.ref_bits = bits;
    m.concat.seq = seq;
    m.concat.total = total;
    m.has_text = true;
    m.text_len = strlen(text);
    memcpy(m.text, text, m.text_len + 1);
    return m;
}

typedef struct run {
    concat_store *cs;
    int completed;
    concat_msg last; /* the last completed message (caller frees) */
} run;

static run run_new(size_t max_sets, int64_t timeout_s)
{
    run r;
    memset(&r, 0, sizeof r);
    r.cs = concat_new(max_sets, timeout_s);
    return r;
}

/* Add a part; a completed message replaces r->last; evictions are checked by the caller. */
static kz_status add(run *r, const sms_message *m, int64_t now)
{
    bool done = false, has_ev = false;
    concat_msg out, ev;
    kz_err err;
    kz_status st = concat_add(r->cs, m, now, &done, &out, &has_ev, &ev, &err);
    KT_CHECK(!has_ev, "unexpected eviction");
    concat_msg_free(&ev);
    if (done) {
        concat_msg_free(&r->last);
        r->last = out;
        r->completed++;
    } else {
        KT_CHECK(out.text == NULL, "text without completion");
    }
    return st;
}

static void run_order(const uint8_t *order, size_t n, const char *label)
{
    static const char *const texts[] = {"Alpha ", "Bravo ", "Charlie ", "Delta ", "Echo"};
    run r = run_new(8, 600);
    for (size_t i = 0; i < n; i++) {
        sms_message m = mk("+254700000001", 42, 8, order[i], 5, texts[order[i] - 1]);
        KT_CHECK(add(&r, &m, 1000 + (int64_t)i) == KZ_OK, "%s: add part %u", label, order[i]);
        KT_CHECK(r.completed == (i + 1 == n), "%s: completed after %zu parts", label, i + 1);
    }
    KT_STREQ(r.last.text ? r.last.text : "", "Alpha Bravo Charlie Delta Echo", label);
    KT_CHECK(r.last.text_len == 30, "%s: text_len %zu", label, r.last.text_len);
    KT_CHECK(!r.last.incomplete && r.last.received == 5 && r.last.total == 5, "%s: counts", label);
    KT_CHECK(r.last.ref == 42 && r.last.ref_bits == 8, "%s: ref", label);
    KT_STREQ(r.last.sender.text, "+254700000001", label);
    KT_CHECK(r.last.first_scts.minute == 1, "%s: first_scts is part 1's", label);
    KT_CHECK(r.last.data == NULL && r.last.data_len == 0, "%s: no data", label);
    KT_CHECK(concat_pending(r.cs) == 0, "%s: nothing pending", label);
    concat_msg_free(&r.last);
    concat_free(r.cs);
}

static void test_orders(void)
{
    static const uint8_t in_order[] = {1, 2, 3, 4, 5};
    static const uint8_t reversed[] = {5, 4, 3, 2, 1};
    static const uint8_t shuffled[] = {3, 5, 1, 4, 2};
    run_order(in_order, 5, "in order");
    run_order(reversed, 5, "reversed");
    run_order(shuffled, 5, "shuffled");
}

static void test_duplicates(void)
{
    run r = run_new(4, 600);
    sms_message a = mk("+1", 7, 8, 1, 3, "one ");
    sms_message b = mk("+1", 7, 8, 2, 3, "two ");
    sms_message b2 = mk("+1", 7, 8, 2, 3, "TWO ");
    sms_message c = mk("+1", 7, 8, 3, 3, "three");
    KT_CHECK(add(&r, &a, 10) == KZ_OK, "a");
    KT_CHECK(add(&r, &b, 11) == KZ_OK, "b");
    KT_CHECK(add(&r, &b2, 12) == KZ_OK && r.completed == 0, "duplicate ignored");
    KT_CHECK(add(&r, &a, 13) == KZ_OK && r.completed == 0, "duplicate of 1 ignored");
    KT_CHECK(concat_pending(r.cs) == 1, "one set pending");
    KT_CHECK(add(&r, &c, 14) == KZ_OK && r.completed == 1, "completed");
    KT_STREQ(r.last.text, "one two three", "first copy kept");
    KT_CHECK(r.last.received == 3, "received counts distinct parts");
    /* the same part after completion starts a new set */
    KT_CHECK(add(&r, &c, 15) == KZ_OK && r.completed == 1 && concat_pending(r.cs) == 1,
             "late duplicate starts a new set");
    concat_msg_free(&r.last);
    concat_free(r.cs);
}

static void test_interleaved(void)
{
    run r = run_new(8, 600);
    sms_message a1 = mk("+111", 9, 8, 1, 2, "A1");
    sms_message a2 = mk("+111", 9, 8, 2, 2, "A2");
    sms_message b1 = mk("+222", 9, 8, 1, 2, "B1");
    sms_message b2 = mk("+222", 9, 8, 2, 2, "B2");
    sms_message c1 = mk("+111", 9, 16, 1, 2, "C1"); /* same sender, 16-bit ref, same value */
    sms_message c2 = mk("+111", 9, 16, 2, 2, "C2");
    sms_message d1 = mk("+111", 9, 8, 1, 3, "D1"); /* same ref, other total */
    KT_CHECK(add(&r, &a1, 1) == KZ_OK, "a1");
    KT_CHECK(add(&r, &b1, 2) == KZ_OK, "b1");
    KT_CHECK(add(&r, &c1, 3) == KZ_OK, "c1");
    KT_CHECK(add(&r, &d1, 4) == KZ_OK, "d1");
    KT_CHECK(concat_pending(r.cs) == 4, "four sets: %zu", concat_pending(r.cs));
    KT_CHECK(add(&r, &b2, 5) == KZ_OK && r.completed == 1, "b done");
    KT_STREQ(r.last.text, "B1B2", "sender B");
    KT_CHECK(add(&r, &c2, 6) == KZ_OK && r.completed == 2, "c done");
    KT_STREQ(r.last.text, "C1C2", "16-bit set");
    KT_CHECK(r.last.ref_bits == 16 && r.last.ref == 9, "16-bit ref kept");
    KT_CHECK(add(&r, &a2, 7) == KZ_OK && r.completed == 3, "a done");
    KT_STREQ(r.last.text, "A1A2", "sender A 8-bit");
    KT_CHECK(concat_pending(r.cs) == 1, "d still pending");
    concat_msg_free(&r.last);
    concat_free(r.cs); /* frees the pending set d */
}

static void test_single(void)
{
    run r = run_new(2, 600);
    sms_message m = mk("+1", 0, 8, 0, 0, "no header");
    KT_CHECK(add(&r, &m, 1) == KZ_OK && r.completed == 1, "plain message completes");
    KT_STREQ(r.last.text, "no header", "plain text");
    KT_CHECK(r.last.total == 1 && r.last.received == 1 && r.last.ref_bits == 0, "plain counts");
    sms_message one = mk("+1", 77, 16, 1, 1, "one of one");
    KT_CHECK(add(&r, &one, 2) == KZ_OK && r.completed == 2, "1/1 completes");
    KT_STREQ(r.last.text, "one of one", "1/1 text");
    KT_CHECK(r.last.ref == 77 && r.last.ref_bits == 16 && r.last.total == 1, "1/1 ref");
    KT_CHECK(concat_pending(r.cs) == 0, "nothing held");
    concat_msg_free(&r.last);
    concat_free(r.cs);
}

static void test_refused(void)
{
    run r = run_new(2, 600);
    sms_message z = mk("+1", 3, 8, 0, 3, "zero");
    sms_message big = mk("+1", 3, 8, 4, 3, "four of three");
    sms_message none = mk("+1", 3, 8, 1, 0, "of zero");
    none.has_concat = true;
    sms_message bits = mk("+1", 3, 12, 1, 2, "bad ref size");
    KT_CHECK(add(&r, &z, 1) == KZ_ERR_INVALID, "seq 0 refused");
    KT_CHECK(add(&r, &big, 1) == KZ_ERR_INVALID, "seq > total refused");
    KT_CHECK(add(&r, &none, 1) == KZ_ERR_INVALID, "total 0 refused");
    KT_CHECK(add(&r, &bits, 1) == KZ_ERR_INVALID, "ref_bits 12 refused");
    sms_message len = mk("+1", 3, 8, 1, 2, "x");
    len.text_len = SMS_TEXT_MAX;
    KT_CHECK(add(&r, &len, 1) == KZ_ERR_INVALID, "text_len out of range refused");
    KT_CHECK(concat_pending(r.cs) == 0 && r.completed == 0, "nothing held");
    concat_free(r.cs);
}

/* Release a single set by timeout and check its text. */
static void expect_expired(const uint8_t *have, size_t n, const char *want, const char *label)
{
    static const char *const texts[] = {"aa", "bb", "cc", "dd", "ee"};
    run r = run_new(4, 100);
    for (size_t i = 0; i < n; i++) {
        sms_message m = mk("+9", 200, 8, have[i], 5, texts[have[i] - 1]);
        m.scts.minute = 50 - have[i]; /* later parts stamped earlier */
        KT_CHECK(add(&r, &m, 1000 + (int64_t)i) == KZ_OK, "%s: add", label);
    }
    int64_t newest = 1000 + (int64_t)n - 1;
    concat_msg out[2];
    KT_CHECK(concat_expire(r.cs, newest + 100, out, 2) == 0, "%s: not yet at the timeout", label);
    KT_CHECK(concat_pending(r.cs) == 1, "%s: pending", label);
    size_t got = concat_expire(r.cs, newest + 101, out, 2);
    KT_CHECK(got == 1, "%s: released %zu", label, got);
    if (got == 1) {
        KT_STREQ(out[0].text, want, label);
        KT_CHECK(out[0].incomplete && out[0].received == n && out[0].total == 5, "%s: flags",
                 label);
        int want_minute = have[0] == 1 ? 49 : 50 - have[n - 1];
        KT_CHECK(out[0].first_scts.minute == want_minute, "%s: first_scts minute %d, want %d",
                 label, out[0].first_scts.minute, want_minute);
        concat_msg_free(&out[0]);
        KT_CHECK(out[0].text == NULL && out[0].text_len == 0, "%s: freed fields zeroed", label);
    }
    KT_CHECK(concat_expire(r.cs, newest + 500, out, 2) == 0, "%s: only once", label);
    KT_CHECK(concat_pending(r.cs) == 0, "%s: empty", label);
    concat_free(r.cs);
}

static void test_timeouts(void)
{
    static const uint8_t no_middle[] = {1, 2, 4, 5};
    static const uint8_t no_first[] = {2, 3, 4, 5};
    static const uint8_t no_last[] = {1, 2, 3, 4};
    static const uint8_t holes[] = {1, 4};
    static const uint8_t only_mid[] = {3};
    expect_expired(no_middle, 4, "aabb...ddee", "missing middle");
    expect_expired(no_first, 4, "...bbccddee", "missing first");
    expect_expired(no_last, 4, "aabbccdd...", "missing last");
    expect_expired(holes, 2, "aa...dd...", "runs of missing parts");
    expect_expired(only_mid, 1, "...cc...", "only the middle");
}

/* A set is idle from its newest part; expiry comes out oldest first and respects cap. */
static void test_expire_order(void)
{
    run r = run_new(8, 50);
    sms_message a1 = mk("+1", 1, 8, 1, 2, "a");
    sms_message b1 = mk("+2", 1, 8, 1, 2, "b");
    sms_message c1 = mk("+3", 1, 8, 1, 2, "c");
    sms_message a1dup = a1;
    add(&r, &a1, 0);
    add(&r, &b1, 10);
    add(&r, &c1, 20);
    add(&r, &a1dup, 40); /* a duplicate does not refresh */
    concat_msg out[3];
    size_t got = concat_expire(r.cs, 65, out, 1);
    KT_CHECK(got == 1 && strcmp(out[0].sender.text, "+1") == 0, "oldest first, cap 1");
    concat_msg_free(&out[0]);
    got = concat_expire(r.cs, 65, out, 3);
    KT_CHECK(got == 1 && strcmp(out[0].sender.text, "+2") == 0, "then b only");
    concat_msg_free(&out[0]);
    KT_CHECK(concat_expire(r.cs, 65, out, 0) == 0, "cap 0");
    got = concat_expire(r.cs, INT64_MAX, out, 3);
    KT_CHECK(got == 1 && strcmp(out[0].sender.text, "+3") == 0, "far future releases c");
    concat_msg_free(&out[0]);
    /* a clock that went backwards never expires anything */
    add(&r, &a1, 1000);
    KT_CHECK(concat_expire(r.cs, INT64_MIN, out, 3) == 0, "past clock");
    concat_free(r.cs);
}

static void test_eviction(void)
{
    concat_store *cs = concat_new(2, 600);
    bool done, has_ev;
    concat_msg out, ev;
    sms_message a1 = mk("+1", 1, 8, 1, 3, "a1");
    sms_message b1 = mk("+2", 1, 8, 1, 3, "b1");
    sms_message a2 = mk("+1", 1, 8, 2, 3, "a2");
    sms_message c1 = mk("+3", 1, 8, 3, 3, "c3");
    KT_CHECK(concat_add(cs, &a1, 1, &done, &out, &has_ev, &ev, NULL) == KZ_OK && !has_ev, "a1");
    KT_CHECK(concat_add(cs, &b1, 2, &done, &out, &has_ev, &ev, NULL) == KZ_OK && !has_ev, "b1");
    KT_CHECK(concat_add(cs, &a2, 3, &done, &out, &has_ev, &ev, NULL) == KZ_OK && !has_ev, "a2");
    /* full: b (newest part at 2) is the oldest, a was refreshed at 3 */
    KT_CHECK(concat_add(cs, &c1, 4, &done, &out, &has_ev, &ev, NULL) == KZ_OK, "c1");
    KT_CHECK(has_ev && !done, "eviction reported");
    KT_STREQ(has_ev ? ev.text : "", "b1...", "evicted text");
    KT_CHECK(ev.incomplete && ev.received == 1 && strcmp(ev.sender.text, "+2") == 0,
             "evicted flags");
    concat_msg_free(&ev);
    concat_msg_free(&ev); /* twice is harmless */
    concat_msg_free(NULL);
    KT_CHECK(concat_pending(cs) == 2, "still two sets");
    /* a message without header never evicts */
    sms_message plain = mk("+4", 0, 8, 0, 0, "hi");
    KT_CHECK(concat_add(cs, &plain, 5, &done, &out, &has_ev, &ev, NULL) == KZ_OK && done &&
                 !has_ev, "plain passes a full table");
    concat_msg_free(&out);
    concat_free(cs);
    concat_free(NULL);

    /* max_sets 0 behaves as 1 */
    cs = concat_new(0, 600);
    KT_CHECK(cs != NULL, "max_sets 0");
    KT_CHECK(concat_add(cs, &a1, 1, &done, &out, &has_ev, &ev, NULL) == KZ_OK && !has_ev, "0:a1");
    KT_CHECK(concat_add(cs, &b1, 2, &done, &out, &has_ev, &ev, NULL) == KZ_OK && has_ev, "0:b1");
    KT_STREQ(has_ev ? ev.text : "", "a1...", "max_sets 0 evicts");
    concat_msg_free(&ev);
    concat_free(cs);
}

/* 8-bit payloads, mixed codings, UTF-8 text and time stamps with other offsets. */
static void test_payloads(void)
{
    run r = run_new(2, 600);
    sms_message p1 = mk("+5", 300, 16, 1, 2, "");
    sms_message p2 = mk("+5", 300, 16, 2, 2, "");
    p1.has_text = p2.has_text = false;
    p1.dcsinfo.coding = p2.dcsinfo.coding = SMS_CODING_8BIT;
    memcpy(p1.data, "\x01\x02\x00", 3);
    p1.data_len = 3;
    memcpy(p2.data, "\xFF", 1);
    p2.data_len = 1;
    add(&r, &p2, 1);
    add(&r, &p1, 2);
    KT_CHECK(r.completed == 1 && r.last.data_len == 4, "8-bit data concatenated");
    KT_CHECK(r.last.data && memcmp(r.last.data, "\x01\x02\x00\xFF", 4) == 0, "data bytes");
    KT_STREQ(r.last.text ? r.last.text : "(null)", "", "8-bit text is empty");
    KT_CHECK(r.last.coding == SMS_CODING_8BIT, "coding");
    /* UCS-2 part data is raw text octets: not copied as data */
    sms_message u1 = mk("+6", 1, 8, 1, 2, "\xD0\x9F\xD1\x80");
    sms_message u2 = mk("+6", 1, 8, 2, 2, "\xD0\xB8");
    u1.dcsinfo.coding = SMS_CODING_UCS2;
    memcpy(u1.data, "\x04\x1F\x04\x40", 4);
    u1.data_len = 4;
    add(&r, &u2, 3);
    add(&r, &u1, 4);
    KT_STREQ(r.last.text, "\xD0\x9F\xD1\x80\xD0\xB8", "UTF-8 joined");
    KT_CHECK(r.last.coding == SMS_CODING_UCS2 && r.last.data == NULL, "coding of part 1");
    concat_msg_free(&r.last);
    concat_free(r.cs);

    /* earliest time stamp when part 1 is missing, across offsets */
    concat_store *cs = concat_new(2, 10);
    bool done, has_ev;
    concat_msg out, ev;
    sms_message q2 = mk("+7", 1, 8, 2, 3, "x");
    sms_message q3 = mk("+7", 1, 8, 3, 3, "y");
    q2.scts.hour = 10; /* 10:02 +03:00 = 07:02Z */
    q3.scts.hour = 8;  /* 08:03 -01:00 = 09:03Z */
    q3.scts.tz_minutes = -60;
    q3.dcsinfo.coding = SMS_CODING_UCS2;
    concat_add(cs, &q3, 0, &done, &out, &has_ev, &ev, NULL);
    concat_add(cs, &q2, 0, &done, &out, &has_ev, &ev, NULL);
    concat_msg rel;
    KT_CHECK(concat_expire(cs, 11, &rel, 1) == 1, "released");
    KT_CHECK(rel.first_scts.hour == 10 && rel.first_scts.minute == 2, "earliest in UTC");
    KT_CHECK(rel.coding == SMS_CODING_GSM7, "coding of the lowest part present");
    KT_STREQ(rel.text, "...xy", "text");
    concat_msg_free(&rel);
    concat_free(cs);
}

/* A UCS-2 part as ucs2_to_utf8 would give it, with its raw units in data. */
static sms_message mk_ucs2(uint8_t seq, const uint8_t *be, size_t len, const char *utf8)
{
    sms_message m = mk("+8", 9, 8, seq, 2, utf8);
    m.dcsinfo.coding = SMS_CODING_UCS2;
    memcpy(m.data, be, len);
    m.data_len = len;
    return m;
}

/* Another phone split U+1F600 (D83D DE00) across parts: the join is mended. */
static void test_split_surrogate(void)
{
    static const uint8_t be1[] = {0x00, 0x61, 0xD8, 0x3D};
    static const uint8_t be2[] = {0xDE, 0x00, 0x00, 0x62};
    static const uint8_t lone[] = {0xD8, 0x3D};
    run r = run_new(2, 600);
    sms_message a = mk_ucs2(1, be1, sizeof be1, "a\xEF\xBF\xBD");
    sms_message b = mk_ucs2(2, be2, sizeof be2, "\xEF\xBF\xBD" "b");
    add(&r, &b, 1);
    add(&r, &a, 2);
    KT_STREQ(r.last.text, "a\xF0\x9F\x98\x80" "b", "surrogate pair mended at the join");
    KT_CHECK(r.last.text_len == 6, "length %zu", r.last.text_len);
    /* a high surrogate followed by a GSM-7 part is left as it is */
    sms_message c = mk_ucs2(1, lone, sizeof lone, "\xEF\xBF\xBD");
    sms_message d = mk("+8", 9, 8, 2, 2, "x");
    add(&r, &c, 3);
    add(&r, &d, 4);
    KT_STREQ(r.last.text, "\xEF\xBF\xBDx", "no mending across codings");
    concat_msg_free(&r.last);
    concat_free(r.cs);
}

/* Many sets through a small table: everything comes out exactly once. */
static void test_churn(void)
{
    concat_store *cs = concat_new(3, 30);
    int released = 0, evicted = 0, completed = 0;
    for (int i = 0; i < 200; i++) {
        bool done, has_ev;
        concat_msg out, ev;
        char from[16];
        snprintf(from, sizeof from, "+%d", i % 7);
        sms_message m = mk(from, (uint16_t)(i % 5), 8, (uint8_t)(i % 3 + 1), 3, "p");
        kz_status st = concat_add(cs, &m, i, &done, &out, &has_ev, &ev, NULL);
        KT_CHECK(st == KZ_OK, "churn add %d", i);
        completed += done;
        evicted += has_ev;
        concat_msg_free(&out);
        concat_msg_free(&ev);
        concat_msg rel[2];
        size_t n;
        while ((n = concat_expire(cs, i, rel, 2)) > 0) {
            released += (int)n;
            for (size_t k = 0; k < n; k++)
                concat_msg_free(&rel[k]);
        }
        KT_CHECK(concat_pending(cs) <= 3, "bounded");
    }
    KT_CHECK(completed + evicted + released > 0, "churn produced messages");
    concat_free(cs);
}

int main(void)
{
    test_orders();
    test_duplicates();
    test_interleaved();
    test_single();
    test_refused();
    test_timeouts();
    test_expire_order();
    test_eviction();
    test_payloads();
    test_split_surrogate();
    test_churn();
    return kt_report();
}
