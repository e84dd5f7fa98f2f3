/*
 * ussd_form.c - a USSD aggregator callback from its form fields (see
 * ussd_form.h). Owns: the required keys and their syntax, the phone
 * normalisation call and the split of text on '*'. Never allocates, never
 * logs, never echoes text.
 */
#include "ussd_form.h"

#include <stdio.h>
#include <string.h>

/* Copy the value of key into out (cap bytes); it must be there and not too long. */
static kz_status take(const http_form *form, const char *key, char *out, size_t cap, kz_err *err)
{
    const char *v = http_form_get(form, key);
    if (!v)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s is missing", key);
    size_t n = strlen(v);
    if (n >= cap)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s is longer than %zu bytes", key,
                          cap - 1);
    memcpy(out, v, n + 1);
    return KZ_OK;
}

static int session_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == ':';
}

static kz_status check_session(const char *s, kz_err *err)
{
    if (!*s)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "sessionId is empty");
    for (size_t i = 0; s[i]; i++)
        if (!session_char(s[i]))
            return kz_err_set(err, KZ_ERR_INVALID, i,
                              "sessionId: character %zu is not a letter, digit, '-', '_', '.' "
                              "or ':'", i + 1);
    return KZ_OK;
}

/* "*384*123#", "*144#", "384": digits, '*' and '#', at least one digit. */
static kz_status check_service(const char *s, kz_err *err)
{
    int digits = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] != '*' && s[i] != '#')
            return kz_err_set(err, KZ_ERR_INVALID, i,
                              "serviceCode: character %zu is not a digit, '*' or '#'", i + 1);
    }
    if (!digits)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "serviceCode has no digits");
    return KZ_OK;
}

/* The number as given, if it is short plain text worth quoting in a message. */
static const char *phone_label(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 20)
        return "";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7E || v[i] == '\'')
            return "";
    return v;
}

static kz_status take_phone(const http_form *form, const char *country, char *out, kz_err *err)
{
    const char *v = http_form_get(form, "phoneNumber");
    if (!v)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "phoneNumber is missing");
    phone_kind k = phone_normalise(v, country, out);
    if (k != PHONE_PERSON) {
        out[0] = '\0';
        const char *label = phone_label(v);
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "phoneNumber%s%s%s is not a subscriber number (%s)", *label ? " '" : "",
                          label, *label ? "'" : "", phone_kind_name(k));
    }
    return KZ_OK;
}

/* Split r->text on '*'; "" is no input at all. */
static kz_status split_text(ussd_request *r, kz_err *err)
{
    r->ninputs = 0;
    for (size_t i = 0; r->text[i]; i++)
        if ((unsigned char)r->text[i] < 0x20 || r->text[i] == 0x7F)
            return kz_err_set(err, KZ_ERR_INVALID, i,
                              "text: character %zu is a control character", i + 1);
    size_t len = strlen(r->text);
    if (len == 0)
        return KZ_OK;
    size_t start = 0;
    for (;;) {
        const char *star = memchr(r->text + start, '*', len - start);
        size_t end = star ? (size_t)(star - r->text) : len;
        if (r->ninputs == USSD_MAX_INPUTS)
            return kz_err_set(err, KZ_ERR_RANGE, start, "text holds more than %d inputs",
                              USSD_MAX_INPUTS);
        r->input_off[r->ninputs] = start;
        r->input_len[r->ninputs] = end - start;
        r->ninputs++;
        if (!star)
            return KZ_OK;
        start = end + 1;
    }
}

kz_status ussd_request_from_form(const http_form *form, const char *country, ussd_request *out,
                                 kz_err *err)
{
    kz_err_clear(err);
    memset(out, 0, sizeof *out);
    kz_status rc = take(form, "sessionId", out->session_id, sizeof out->session_id, err);
    if (rc == KZ_OK)
        rc = check_session(out->session_id, err);
    if (rc == KZ_OK)
        rc = take(form, "serviceCode", out->service_code, sizeof out->service_code, err);
    if (rc == KZ_OK)
        rc = check_service(out->service_code, err);
    if (rc == KZ_OK)
        rc = take_phone(form, country, out->phone, err);
    if (rc == KZ_OK)
        rc = take(form, "text", out->text, sizeof out->text, err);
    if (rc == KZ_OK)
        rc = split_text(out, err);
    if (rc != KZ_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

kz_status ussd_request_parse(const uint8_t *body, size_t len, const char *country,
                             ussd_request *out, kz_err *err)
{
    http_form form;
    kz_status rc = http_form_parse(body, len, &form, err);
    if (rc != KZ_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    return ussd_request_from_form(&form, country, out, err);
}

const char *ussd_request_input(const ussd_request *r, size_t i, size_t *len)
{
    if (i >= r->ninputs) {
        *len = 0;
        return NULL;
    }
    *len = r->input_len[i];
    return r->text + r->input_off[i];
}
