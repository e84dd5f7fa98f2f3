/*
 * test_http_form.c - gateway/http_form.c (form bodies) and gateway/ussd_form.c
 * (the USSD aggregator callback) with the aggregator convention's own
 * examples: an empty text on a session's first request, "1*2*3" after three
 * replies, the phone number percent-encoded; and every refusal the strict
 * decoder promises, with the offset and a message that never holds a value.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "http_form.h"
#include "ussd_form.h"

static kz_status parse(const char *body, http_form *f, kz_err *err)
{
    return http_form_parse((const uint8_t *)body, strlen(body), f, err);
}

static kz_status ussd(const char *body, const char *country, ussd_request *r, kz_err *err)
{
    return ussd_request_parse((const uint8_t *)body, strlen(body), country, r, err);
}

static void input_is(const ussd_request *r, size_t i, const char *want)
{
    size_t len = 0;
    const char *in = ussd_request_input(r, i, &len);
    KT_CHECK(in && len == strlen(want) && memcmp(in, want, len) == 0,
             "input %zu: got '%.*s', want '%s'", i, in ? (int)len : 6, in ? in : "(none)", want);
}

#define AT_FIRST                                                                              \
    "sessionId=ATUid_5e7d4a2b&phoneNumber=%2B254711082123&networkCode=63902&serviceCode=%2A384" \
    "%2A123%23&text="

static void test_session(void)
{
    ussd_request r;
    kz_err err;
    /* the first request of a session: text is empty */
    KT_CHECK(ussd(AT_FIRST, "KE", &r, &err) == KZ_OK, "first request: %s", err.msg);
    KT_STREQ(r.session_id, "ATUid_5e7d4a2b", "sessionId");
    KT_STREQ(r.service_code, "*384*123#", "serviceCode");
    KT_STREQ(r.phone, "+254711082123", "phoneNumber");
    KT_STREQ(r.text, "", "text");
    KT_CHECK(r.ninputs == 0, "first request has no input, got %zu", r.ninputs);
    size_t len = 9;
    KT_CHECK(ussd_request_input(&r, 0, &len) == NULL && len == 0, "no input 0");

    /* one reply, then three: inputs joined by '*' */
    KT_CHECK(ussd(AT_FIRST "1", "KE", &r, &err) == KZ_OK, "one reply: %s", err.msg);
    KT_CHECK(r.ninputs == 1, "one reply: %zu inputs", r.ninputs);
    input_is(&r, 0, "1");
    KT_CHECK(ussd(AT_FIRST "1%2A2%2A3", "KE", &r, &err) == KZ_OK, "three replies: %s", err.msg);
    KT_STREQ(r.text, "1*2*3", "text");
    KT_CHECK(r.ninputs == 3, "three replies: %zu inputs", r.ninputs);
    input_is(&r, 0, "1");
    input_is(&r, 1, "2");
    input_is(&r, 2, "3");

    /* '*' unencoded is the same; '+' is a space; an empty reply is an empty input */
    KT_CHECK(ussd("sessionId=s-1&serviceCode=*144%23&phoneNumber=0712345678&text=2*Jane+Doe*",
                  "KE", &r, &err) == KZ_OK, "local number: %s", err.msg);
    KT_STREQ(r.phone, "+254712345678", "local number made E.164");
    KT_CHECK(r.ninputs == 3, "three inputs, got %zu", r.ninputs);
    input_is(&r, 1, "Jane Doe");
    input_is(&r, 2, "");

    /* keys in any order, unknown keys ignored, UTF-8 text */
    KT_CHECK(ussd("text=Caf%C3%A9&extra=1&phoneNumber=%2B255754123456&serviceCode=*150*00%23"
                  "&sessionId=tz.9:1", "TZ", &r, &err) == KZ_OK, "reordered: %s", err.msg);
    KT_STREQ(r.phone, "+255754123456", "Tanzanian number");
    input_is(&r, 0, "Caf\xC3\xA9");
}

static void refused(const char *body, kz_status want, size_t offset, const char *in_msg,
                    const char *label)
{
    http_form f;
    kz_err err;
    kz_status rc = parse(body, &f, &err);
    KT_CHECK(rc == want, "%s: status %d, want %d (%s)", label, rc, want, err.msg);
    KT_CHECK(f.n == 0, "%s: no pairs on error", label);
    KT_CHECK(offset == KZ_NO_OFFSET || err.offset == offset, "%s: offset %zu, want %zu", label,
             err.offset, offset);
    KT_CHECK(strstr(err.msg, in_msg) != NULL, "%s: message '%s' lacks '%s'", label, err.msg,
             in_msg);
}

static void test_refusals(void)
{
    refused("a=1&b=%ZZ", KZ_ERR_INVALID, 6, "two hex digits", "bad escape");
    refused("a=1&b=%4", KZ_ERR_INVALID, 6, "two hex digits", "cut escape");
    refused("a=%", KZ_ERR_INVALID, 2, "two hex digits", "lone percent");
    refused("a=x%00y", KZ_ERR_INVALID, 3, "NUL", "encoded NUL");
    refused("a=b c", KZ_ERR_INVALID, 3, "0x20", "raw space");
    refused("a=\xC3\xA9", KZ_ERR_INVALID, 2, "0xC3", "raw non-ASCII byte");
    refused("a=1\r\n", KZ_ERR_INVALID, 3, "0x0D", "raw line break");
    refused("a=%C3%28", KZ_ERR_UTF8, 2, "not UTF-8", "invalid UTF-8 value");
    refused("%FF=1", KZ_ERR_UTF8, 0, "key is not UTF-8", "invalid UTF-8 key");
    refused("a=1&&b=2", KZ_ERR_INVALID, 4, "empty pair", "empty pair");
    refused("a=1&", KZ_ERR_INVALID, 4, "empty pair", "trailing '&'");
    refused("&a=1", KZ_ERR_INVALID, 0, "empty pair", "leading '&'");
    refused("a=1&flag", KZ_ERR_INVALID, 4, "without '='", "no '='");
    refused("=1", KZ_ERR_INVALID, 0, "empty key", "empty key");
    refused("text=1&text=2", KZ_ERR_INVALID, 7, "'text' sent twice", "duplicate key");

    char body[HTTP_FORM_BODY_MAX + 16];
    snprintf(body, sizeof body, "k=%0*d", HTTP_FORM_VALUE_MAX + 1, 0);
    refused(body, KZ_ERR_RANGE, 2, "longer than 512", "value over the limit");
    snprintf(body, sizeof body, "k=%0*d", HTTP_FORM_VALUE_MAX, 0);
    http_form f;
    kz_err err;
    KT_CHECK(parse(body, &f, &err) == KZ_OK && f.f[0].value_len == HTTP_FORM_VALUE_MAX,
             "a value of exactly the limit: %s", err.msg);
    snprintf(body, sizeof body, "%0*d=1", HTTP_FORM_KEY_MAX + 1, 0);
    refused(body, KZ_ERR_RANGE, 0, "key longer than 32", "key over the limit");
    body[0] = '\0';
    for (int i = 0; i <= HTTP_FORM_MAX_FIELDS; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "%sk%d=%d", i ? "&" : "", i, i);
    refused(body, KZ_ERR_RANGE, KZ_NO_OFFSET, "more than 16 pairs", "too many pairs");
    memset(body, 'a', HTTP_FORM_BODY_MAX + 1);
    body[1] = '=';
    body[HTTP_FORM_BODY_MAX + 1] = '\0';
    refused(body, KZ_ERR_RANGE, KZ_NO_OFFSET, "body longer than", "body over the limit");

    /* a raw NUL byte (the length says it is there) */
    const uint8_t nul[] = {'a', '=', '1', 0, '2'};
    KT_CHECK(http_form_parse(nul, sizeof nul, &f, &err) == KZ_ERR_INVALID && err.offset == 3,
             "raw NUL: %s", err.msg);

    /* a value never reaches a message, even a refused one (a PIN typed in a menu) */
    KT_CHECK(parse("text=1*4321%G1", &f, &err) == KZ_ERR_INVALID && !strstr(err.msg, "4321"),
             "message holds the value: %s", err.msg);
    KT_CHECK(parse("text=4321%C3", &f, &err) == KZ_ERR_UTF8 && !strstr(err.msg, "4321"),
             "message holds the value: %s", err.msg);
    /* a key that could inject into a log line is not echoed */
    KT_CHECK(parse("a%0Ab=1&a%0Ab=2", &f, &err) == KZ_ERR_INVALID && !strchr(err.msg, '\n'),
             "message holds a line break: %s", err.msg);
}

static void test_form_basics(void)
{
    http_form f;
    kz_err err;
    KT_CHECK(parse("", &f, &err) == KZ_OK && f.n == 0, "empty body: %s", err.msg);
    KT_CHECK(parse("a=&b=%2a%2A+x&C=3", &f, &err) == KZ_OK && f.n == 3, "three pairs: %s",
             err.msg);
    KT_STREQ(http_form_get(&f, "a"), "", "empty value");
    KT_STREQ(http_form_get(&f, "b"), "** x", "decoded value");
    KT_CHECK(http_form_get(&f, "c") == NULL, "keys are case-sensitive");
    KT_CHECK(http_form_get(&f, "d") == NULL, "absent key");
    KT_STREQ(f.f[2].key, "C", "order kept");

    /* encoding: unreserved bytes as they are, space as '+', the rest %XX; and back */
    KT_CHECK(parse("phoneNumber=%2B254711082123&text=1*Jane+Doe&k%C3%A9=%E2%82%AC", &f, &err) ==
                 KZ_OK, "to encode: %s", err.msg);
    char enc[256];
    size_t n = http_form_encode(&f, enc, sizeof enc);
    KT_STREQ(enc, "phoneNumber=%2B254711082123&text=1%2AJane+Doe&k%C3%A9=%E2%82%AC", "encoded");
    KT_CHECK(n == strlen(enc), "encode length %zu", n);
    http_form back;
    KT_CHECK(parse(enc, &back, &err) == KZ_OK && back.n == f.n, "encoded form parses: %s",
             err.msg);
    for (size_t i = 0; i < f.n && i < back.n; i++)
        KT_CHECK(strcmp(back.f[i].key, f.f[i].key) == 0 &&
                     strcmp(back.f[i].value, f.f[i].value) == 0, "pair %zu round trip", i);
    char small[8];
    KT_CHECK(http_form_encode(&f, small, sizeof small) == n && strlen(small) == 7,
             "encode into a small buffer truncates and says what it needed");
}

static void ussd_refused(const char *body, const char *country, kz_status want,
                         const char *in_msg, const char *label)
{
    ussd_request r;
    kz_err err;
    kz_status rc = ussd(body, country, &r, &err);
    KT_CHECK(rc == want, "%s: status %d, want %d (%s)", label, rc, want, err.msg);
    KT_CHECK(strstr(err.msg, in_msg) != NULL, "%s: message '%s' lacks '%s'", label, err.msg,
             in_msg);
    KT_CHECK(r.phone[0] == '\0' && r.ninputs == 0, "%s: request left empty", label);
}

static void test_ussd_refusals(void)
{
    ussd_refused("serviceCode=*1%23&phoneNumber=0712345678&text=", "KE", KZ_ERR_INVALID,
                 "sessionId is missing", "no sessionId");
    ussd_refused("sessionId=s&phoneNumber=0712345678&text=", "KE", KZ_ERR_INVALID,
                 "serviceCode is missing", "no serviceCode");
    ussd_refused("sessionId=s&serviceCode=*1%23&text=", "KE", KZ_ERR_INVALID,
                 "phoneNumber is missing", "no phoneNumber");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=0712345678", "KE", KZ_ERR_INVALID,
                 "text is missing", "no text");
    ussd_refused("sessionId=&serviceCode=*1%23&phoneNumber=0712345678&text=", "KE",
                 KZ_ERR_INVALID, "sessionId is empty", "empty sessionId");
    ussd_refused("sessionId=a+b&serviceCode=*1%23&phoneNumber=0712345678&text=", "KE",
                 KZ_ERR_INVALID, "sessionId: character 2", "space in sessionId");
    ussd_refused("sessionId=s&serviceCode=*abc%23&phoneNumber=0712345678&text=", "KE",
                 KZ_ERR_INVALID, "serviceCode: character 2", "letters in serviceCode");
    ussd_refused("sessionId=s&serviceCode=*%23&phoneNumber=0712345678&text=", "KE",
                 KZ_ERR_INVALID, "serviceCode has no digits", "no digits in serviceCode");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=MPESA&text=", "KE", KZ_ERR_INVALID,
                 "phoneNumber 'MPESA' is not a subscriber number (alpha)", "alpha sender");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=100&text=", "KE", KZ_ERR_INVALID,
                 "(shortcode)", "short code");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=0712345678&text=", "XX",
                 KZ_ERR_INVALID, "(invalid)", "local number, unknown country");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=0712%0A345678&text=", "KE",
                 KZ_ERR_INVALID, "phoneNumber is not", "line break in phoneNumber not echoed");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=0712345678&text=1%0A2", "KE",
                 KZ_ERR_INVALID, "text: character 2 is a control character", "control in text");
    ussd_refused("sessionId=s&serviceCode=*1%23&phoneNumber=0712345678&text=%ZZ", "KE",
                 KZ_ERR_INVALID, "two hex digits", "bad body");
    char body[512] = "sessionId=s&serviceCode=*1%23&phoneNumber=0712345678&text=1";
    for (int i = 0; i < USSD_MAX_INPUTS; i++)
        strcat(body, "*1");
    ussd_refused(body, "KE", KZ_ERR_RANGE, "more than 32 inputs", "too many inputs");
    body[strlen(body) - 2] = '\0';
    ussd_request r;
    kz_err err;
    KT_CHECK(ussd(body, "KE", &r, &err) == KZ_OK && r.ninputs == USSD_MAX_INPUTS,
             "exactly %d inputs: %s", USSD_MAX_INPUTS, err.msg);
    char sid[128];
    snprintf(sid, sizeof sid, "sessionId=%0*d&serviceCode=*1%%23&phoneNumber=0712345678&text=",
             USSD_SESSION_MAX + 1, 0);
    ussd_refused(sid, "KE", KZ_ERR_RANGE, "sessionId is longer than 64", "long sessionId");
}

int main(void)
{
    test_session();
    test_form_basics();
    test_refusals();
    test_ussd_refusals();
    return kt_report();
}
