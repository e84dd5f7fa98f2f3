/*
 * http_form.c - application/x-www-form-urlencoded bodies (see http_form.h).
 * Owns: splitting on '&' and '=', '+' and %XX decoding, the limits and the
 * duplicate-key rule. Never allocates, never logs, never copies a value into
 * an error message.
 */
#include "http_form.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The key for a message: itself if it is plain printable ASCII, else a placeholder. */
static const char *key_label(const char *key)
{
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E || *p == '\'')
            return "(a key with special characters)";
    return key;
}

/*
 * Decode body[start..end) into out (cap bytes with room for the NUL).
 * *n receives the decoded length. what is "key" or "value", key the key
 * for messages (NULL while decoding the key itself).
 */
static kz_status decode(const uint8_t *body, size_t start, size_t end, char *out, size_t cap,
                        size_t *n, const char *what, const char *key, kz_err *err)
{
    size_t o = 0;
    for (size_t i = start; i < end; i++) {
        uint8_t c = body[i];
        if (c == '%') {
            if (end - i < 3 || hex_digit(body[i + 1]) < 0 || hex_digit(body[i + 2]) < 0)
                return kz_err_set(err, KZ_ERR_INVALID, i,
                                  "byte %zu: '%%' is not followed by two hex digits", i);
            c = (uint8_t)(hex_digit(body[i + 1]) * 16 + hex_digit(body[i + 2]));
            if (c == 0)
                return kz_err_set(err, KZ_ERR_INVALID, i, "byte %zu: %%00 (a NUL byte) in a %s",
                                  i, what);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o + 1 >= cap) {
            if (key)
                return kz_err_set(err, KZ_ERR_RANGE, start,
                                  "byte %zu: %s of '%s' longer than %zu bytes", start, what,
                                  key_label(key), cap - 1);
            return kz_err_set(err, KZ_ERR_RANGE, start, "byte %zu: %s longer than %zu bytes",
                              start, what, cap - 1);
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (!utf8_valid((const uint8_t *)out, o, NULL)) {
        if (key)
            return kz_err_set(err, KZ_ERR_UTF8, start, "byte %zu: %s of '%s' is not UTF-8",
                              start, what, key_label(key));
        return kz_err_set(err, KZ_ERR_UTF8, start, "byte %zu: %s is not UTF-8", start, what);
    }
    *n = o;
    return KZ_OK;
}

/* Decode the pair body[start..end) into out->f[out->n]. */
static kz_status parse_pair(const uint8_t *body, size_t start, size_t end, http_form *out,
                            kz_err *err)
{
    if (start == end)
        return kz_err_set(err, KZ_ERR_INVALID, start,
                          "byte %zu: an empty pair ('&&' or a '&' at an end)", start);
    const uint8_t *eq = memchr(body + start, '=', end - start);
    if (!eq)
        return kz_err_set(err, KZ_ERR_INVALID, start, "byte %zu: a pair without '='", start);
    size_t mid = (size_t)(eq - body);
    if (mid == start)
        return kz_err_set(err, KZ_ERR_INVALID, start, "byte %zu: a pair with an empty key", start);
    if (out->n == HTTP_FORM_MAX_FIELDS)
        return kz_err_set(err, KZ_ERR_RANGE, start, "byte %zu: more than %d pairs", start,
                          HTTP_FORM_MAX_FIELDS);
    http_form_field *f = &out->f[out->n];
    size_t klen = 0;
    kz_status rc = decode(body, start, mid, f->key, sizeof f->key, &klen, "key", NULL, err);
    if (rc != KZ_OK)
        return rc;
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->f[i].key, f->key) == 0)
            return kz_err_set(err, KZ_ERR_INVALID, start, "byte %zu: key '%s' sent twice", start,
                              key_label(f->key));
    rc = decode(body, mid + 1, end, f->value, sizeof f->value, &f->value_len, "value", f->key,
                err);
    if (rc != KZ_OK)
        return rc;
    out->n++;
    return KZ_OK;
}

kz_status http_form_parse(const uint8_t *body, size_t len, http_form *out, kz_err *err)
{
    kz_err_clear(err);
    out->n = 0;
    if (len > HTTP_FORM_BODY_MAX)
        return kz_err_set(err, KZ_ERR_RANGE, HTTP_FORM_BODY_MAX, "body longer than %d bytes",
                          HTTP_FORM_BODY_MAX);
    for (size_t i = 0; i < len; i++)
        if (body[i] < 0x21 || body[i] > 0x7E)
            return kz_err_set(err, KZ_ERR_INVALID, i,
                              "byte %zu: 0x%02X is not allowed in a form body (percent-encode it)",
                              i, body[i]);
    size_t start = 0;
    while (len > 0) {
        const uint8_t *amp = memchr(body + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - body) : len;
        kz_status rc = parse_pair(body, start, end, out, err);
        if (rc != KZ_OK) {
            out->n = 0;
            return rc;
        }
        if (!amp)
            break;
        start = end + 1;
    }
    return KZ_OK;
}

const char *http_form_get(const http_form *form, const char *key)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->f[i].key, key) == 0)
            return form->f[i].value;
    return NULL;
}

/* Append s[0..n) encoded; *o counts what is needed even past cap. */
static void encode_part(const char *s, size_t n, char *out, size_t cap, size_t *o)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char enc[3] = {(char)c, 0, 0};
        size_t k = 1;
        if (c == ' ') {
            enc[0] = '+';
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~')) {
            enc[0] = '%';
            enc[1] = hex[c >> 4];
            enc[2] = hex[c & 15];
            k = 3;
        }
        for (size_t j = 0; j < k; j++, (*o)++)
            if (*o + 1 < cap)
                out[*o] = enc[j];
    }
}

size_t http_form_encode(const http_form *form, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < form->n; i++) {
        if (i) {
            if (o + 1 < cap)
                out[o] = '&';
            o++;
        }
        encode_part(form->f[i].key, strlen(form->f[i].key), out, cap, &o);
        if (o + 1 < cap)
            out[o] = '=';
        o++;
        encode_part(form->f[i].value, form->f[i].value_len, out, cap, &o);
    }
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
    return o;
}
