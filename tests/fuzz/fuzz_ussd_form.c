/*
 * fuzz_ussd_form.c - libFuzzer target for the USSD aggregator callback body:
 * gateway/http_form.c (form decoding) and gateway/ussd_form.c (the request).
 * Byte 0 picks the deployment country; the rest is the POST body. Checks:
 * an error has a status, a message in printable ASCII (no log injection)
 * and an offset inside the body; a decoded form has distinct non-empty
 * keys, values of the stated length without NUL, all UTF-8, and encoding
 * it then decoding again gives the same form; a request's phone number is
 * E.164 and normalises to itself, its inputs joined by '*' give text back,
 * and no input holds a '*'.
 * Never writes files.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http_form.h"
#include "phone.h"
#include "ussd_form.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const kz_err *err, kz_status rc, size_t len)
{
    assert(err->status == rc);
    assert(err->msg[0]);
    for (const char *p = err->msg; *p; p++)
        assert((unsigned char)*p >= 0x20 && (unsigned char)*p <= 0x7E);
    assert(err->offset == KZ_NO_OFFSET || err->offset <= len);
}

static void check_form(const http_form *f)
{
    assert(f->n <= HTTP_FORM_MAX_FIELDS);
    for (size_t i = 0; i < f->n; i++) {
        size_t klen = strlen(f->f[i].key);
        assert(klen > 0 && klen <= HTTP_FORM_KEY_MAX);
        assert(f->f[i].value_len <= HTTP_FORM_VALUE_MAX);
        assert(strlen(f->f[i].value) == f->f[i].value_len);
        assert(utf8_valid((const uint8_t *)f->f[i].key, klen, NULL));
        assert(utf8_valid((const uint8_t *)f->f[i].value, f->f[i].value_len, NULL));
        for (size_t j = 0; j < i; j++)
            assert(strcmp(f->f[i].key, f->f[j].key) != 0);
        assert(http_form_get(f, f->f[i].key) == f->f[i].value);
    }
}

/* Encoding and decoding again gives the same pairs (when it fits the body limit). */
static void check_round_trip(const http_form *f)
{
    static char enc[HTTP_FORM_MAX_FIELDS * 3 * (HTTP_FORM_KEY_MAX + HTTP_FORM_VALUE_MAX + 2)];
    static http_form again;
    size_t n = http_form_encode(f, enc, sizeof enc);
    assert(n < sizeof enc && strlen(enc) == n);
    kz_err err;
    kz_status rc = http_form_parse((const uint8_t *)enc, n, &again, &err);
    if (n > HTTP_FORM_BODY_MAX) {
        assert(rc == KZ_ERR_RANGE);
        return;
    }
    assert(rc == KZ_OK);
    assert(again.n == f->n);
    for (size_t i = 0; i < f->n; i++) {
        assert(strcmp(again.f[i].key, f->f[i].key) == 0);
        assert(again.f[i].value_len == f->f[i].value_len);
        assert(memcmp(again.f[i].value, f->f[i].value, f->f[i].value_len) == 0);
    }
}

static void check_request(const ussd_request *r, const char *country)
{
    assert(r->session_id[0] && r->service_code[0]);
    assert(r->phone[0] == '+');
    char again[PHONE_E164_CAP];
    assert(phone_normalise(r->phone, country, again) == PHONE_PERSON);
    assert(strcmp(again, r->phone) == 0);
    assert(r->ninputs <= USSD_MAX_INPUTS);
    assert((r->ninputs == 0) == (r->text[0] == '\0'));
    char joined[HTTP_FORM_VALUE_MAX + 1];
    size_t o = 0;
    for (size_t i = 0; i < r->ninputs; i++) {
        size_t len;
        const char *in = ussd_request_input(r, i, &len);
        assert(in && !memchr(in, '*', len));
        if (i)
            joined[o++] = '*';
        assert(o + len < sizeof joined);
        memcpy(joined + o, in, len);
        o += len;
    }
    joined[o] = '\0';
    assert(strcmp(joined, r->text) == 0);
    size_t len = 1;
    assert(ussd_request_input(r, r->ninputs, &len) == NULL && len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const countries[] = {"KE", "TZ", "UG", "NG", "GH", "RW", "XX", ""};
    static http_form form;
    static ussd_request req;
    if (size < 1)
        return 0;
    const char *country = countries[data[0] % 8];
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    kz_err err;
    kz_status rc = http_form_parse(body, len, &form, &err);
    if (rc != KZ_OK) {
        check_err(&err, rc, len);
        assert(form.n == 0);
        assert(ussd_request_parse(body, len, country, &req, &err) == rc);
        assert(req.ninputs == 0 && req.phone[0] == '\0');
        return 0;
    }
    check_form(&form);
    check_round_trip(&form);
    rc = ussd_request_from_form(&form, country, &req, &err);
    if (rc != KZ_OK) {
        check_err(&err, rc, HTTP_FORM_VALUE_MAX);
        assert(req.ninputs == 0 && req.phone[0] == '\0');
        return 0;
    }
    check_request(&req, country);
    static ussd_request direct;
    assert(ussd_request_parse(body, len, country, &direct, &err) == KZ_OK);
    assert(memcmp(&direct, &req, sizeof req) == 0);
    return 0;
}
