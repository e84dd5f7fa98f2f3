/*
 * test_kannel_map.c - the kannel driver's mapping rules (modem/kannel_map.h):
 * SMS-SUBMIT PDUs made by our own encoder turned into sendsms queries (GSM
 * text, UCS-2 text, a concatenated part's UDH, the dlr-url with our send id,
 * no DLR without a status-report request, no room), smsbox's HTTP statuses
 * as outcomes, DLR types as TP-ST classes, and inbound messages as DELIVER
 * PDUs that decode back to the same sender and text, the same for a retried
 * request and different for another message id. Ends with "N passed, N failed".
 */
#include <string.h>

#include "../harness.h"
#include "kannel_map.h"
#include "pdu.h"

static const kannel_send_opts opts = {"kazi", "p&ss", "100", "fake",
                                      "http://127.0.0.1:8080/kannel/k1/dlr?secret=s"};

/* One SUBMIT PDU of text (the first part when it needs several). */
static sms_pdu submit(const char *text, bool srr, sms_coding coding, size_t *nparts)
{
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = "+254700000001";
    o.srr = srr;
    o.coding = coding;
    sms_pdu out[4];
    kz_err err;
    kz_err_clear(&err);
    size_t n = 0;
    kz_status rc = pdu_encode_submit((const uint8_t *)text, strlen(text), &o, out, 4, &n, &err);
    KT_CHECK(rc == KZ_OK, "encode: %s", err.msg);
    *nparts = n;
    return out[0];
}

static void query_of(const char *text, bool srr, sms_coding coding, char *q, size_t cap)
{
    size_t n = 0;
    sms_pdu p = submit(text, srr, coding, &n);
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = kannel_sendsms_query(p.bytes, p.len, 42, &opts, q, cap, &err);
    KT_CHECK(rc == KZ_OK, "query of '%s': %s", text, err.msg);
}

static void test_queries(void)
{
    char q[4096];
    query_of("Hello Amina", true, SMS_CODING_AUTO, q, sizeof q);
    KT_STREQ(q,
             "username=kazi&password=p%26ss&to=%2B254700000001&from=100&smsc=fake&text=Hello%20Amina"
             "&coding=0&charset=UTF-8&dlr-mask=19&dlr-url=http%3A%2F%2F127.0.0.1%3A8080%2Fkannel%2F"
             "k1%2Fdlr%3Fsecret%3Ds%26id%3D42%26type%3D%25d",
             "GSM text with a report");

    query_of("Habari \xe2\x82\xac", false, SMS_CODING_UCS2, q, sizeof q);
    KT_CHECK(strstr(q, "text=Habari%20%E2%82%AC&coding=2&charset=UTF-8") != NULL, "UCS-2: %s", q);
    KT_CHECK(strstr(q, "dlr-") == NULL, "no report asked, no dlr: %s", q);

    char longtext[400];
    memset(longtext, 'a', 200);
    longtext[200] = '\0';
    size_t n = 0;
    sms_pdu p = submit(longtext, false, SMS_CODING_GSM7, &n);
    KT_CHECK(n == 2, "200 characters take 2 parts, not %zu", n);
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(kannel_sendsms_query(p.bytes, p.len, 7, &opts, q, sizeof q, &err) == KZ_OK, "%s",
             err.msg);
    KT_CHECK(strstr(q, "&udh=%05%00%03") != NULL, "concatenation UDH with its length: %s", q);

    kz_err_clear(&err);
    KT_CHECK(kannel_sendsms_query(p.bytes, p.len, 7, &opts, q, 40, &err) == KZ_ERR_NOSPACE,
             "a short buffer is refused");
    KT_CHECK(q[0] == '\0', "nothing half-written");

    sms_deliver_opts d;
    sms_deliver_opts_init(&d);
    d.from = "+254700000001";
    sms_pdu dp;
    size_t dn = 0;
    kz_err_clear(&err);
    pdu_encode_deliver((const uint8_t *)"hi", 2, &d, &dp, 1, &dn, &err);
    kz_err_clear(&err);
    KT_CHECK(kannel_sendsms_query(dp.bytes, dp.len, 1, &opts, q, sizeof q, &err) == KZ_ERR_INVALID,
             "a DELIVER is not sent");
}

static void test_answers(void)
{
    KT_CHECK(kannel_answer_class(202) == KANNEL_ACCEPTED, "202");
    KT_CHECK(kannel_answer_class(200) == KANNEL_ACCEPTED, "200");
    KT_CHECK(kannel_answer_class(400) == KANNEL_PERMANENT, "400");
    KT_CHECK(kannel_answer_class(404) == KANNEL_PERMANENT, "404");
    KT_CHECK(kannel_answer_class(403) == KANNEL_RETRYABLE, "403: a configuration to fix");
    KT_CHECK(kannel_answer_class(503) == KANNEL_RETRYABLE, "503");
    KT_CHECK(kannel_answer_class(0) == KANNEL_RETRYABLE, "no answer");
    KT_CHECK(kannel_dlr_status(1) == 0x00, "delivered");
    KT_CHECK(kannel_dlr_status(2) == 0x40 && kannel_dlr_status(16) == 0x40, "failed");
    KT_CHECK(kannel_dlr_status(4) == 0x20 && kannel_dlr_status(8) == 0x20, "in progress");
    KT_CHECK(kannel_dlr_status(3) == -1 && kannel_dlr_status(0) == -1, "unknown types");
    KT_CHECK(sms_st_classify((uint8_t)kannel_dlr_status(2)) == SMS_ST_PERMANENT, "class");
}

static void mo_round_trip(const kannel_mo *mo, const char *want_text, sms_message *out,
                          sms_pdu *pdu)
{
    size_t n = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(kannel_mo_pdus(mo, pdu, 1, &n, &err) == KZ_OK && n == 1, "mo %s: %s", mo->id,
             err.msg);
    kz_err_clear(&err);
    KT_CHECK(pdu_decode(pdu->bytes, pdu->len, true, out, &err) == KZ_OK, "decode: %s", err.msg);
    KT_CHECK(out->type == SMS_DELIVER, "a DELIVER");
    KT_STREQ(out->address.text, mo->from, "sender");
    KT_STREQ(out->text, want_text, "text");
}

static void test_inbound(void)
{
    const char *text = "JOIN Amina";
    kannel_mo mo = {"+254700000001", "0b6f2b4e-1111", 1796032615, 0, (const uint8_t *)text,
                    strlen(text)};
    sms_message a, b, c;
    sms_pdu pa, pb, pc;
    mo_round_trip(&mo, "JOIN Amina", &a, &pa);
    KT_CHECK(a.scts.year == 2026 && a.scts.tz_minutes == 0, "Kannel's time: %d", a.scts.year);
    mo_round_trip(&mo, "JOIN Amina", &b, &pb);
    KT_CHECK(pa.len == pb.len && memcmp(pa.bytes, pb.bytes, pa.len) == 0,
             "a retried request gives the same PDU");
    mo.id = "0b6f2b4e-2222";
    mo_round_trip(&mo, "JOIN Amina", &c, &pc);
    KT_CHECK(pa.len != pc.len || memcmp(pa.bytes, pc.bytes, pa.len) != 0,
             "another message id gives another PDU");

    static const uint8_t ucs2[] = {0x00, 'H', 0x00, 'i', 0x20, 0xAC};
    kannel_mo u = {"+254700000001", "id-u", 0, 2, ucs2, sizeof ucs2};
    mo_round_trip(&u, "Hi\xe2\x82\xac", &a, &pa);

    static const uint8_t bin[] = {0xff, 0x00, 0x81};
    kannel_mo d = {"+254700000001", "id-d", 0, 1, bin, sizeof bin};
    size_t n = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(kannel_mo_pdus(&d, &pa, 1, &n, &err) == KZ_ERR_INVALID, "8-bit data refused");
    kannel_mo nofrom = {"", "id", 0, 0, (const uint8_t *)"x", 1};
    kz_err_clear(&err);
    KT_CHECK(kannel_mo_pdus(&nofrom, &pa, 1, &n, &err) == KZ_ERR_INVALID, "no sender refused");

    char longtext[300];
    memset(longtext, 'b', 250);
    kannel_mo l = {"+254700000001", "id-l", 0, 0, (const uint8_t *)longtext, 250};
    sms_pdu parts[4];
    kz_err_clear(&err);
    KT_CHECK(kannel_mo_pdus(&l, parts, 4, &n, &err) == KZ_OK && n == 2,
             "a long message in 2 parts (%zu): %s", n, err.msg);
}

int main(void)
{
    test_queries();
    test_answers();
    test_inbound();
    return kt_report();
}
