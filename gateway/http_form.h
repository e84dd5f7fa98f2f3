/*
 * http_form.h - strict decoding of an application/x-www-form-urlencoded
 * body ("key=value&key=value", '+' for a space, %XX for any byte), the way
 * USSD aggregators POST their callbacks.
 * Owns: the decoding rules and their limits. Refuses, rather than repairs:
 * a byte outside visible ASCII in the body, a '%' not followed by two hex
 * digits, an empty pair or key, a pair without '=', a NUL byte (raw or
 * %00), a key or value that is not UTF-8 once decoded, a key or value over
 * its limit, more than HTTP_FORM_MAX_FIELDS pairs, a key sent twice.
 * Never allocates, never logs, never puts a value in an error message
 * (a USSD reply may hold a PIN): messages name the byte offset and the key.
 */
#ifndef KAZI_HTTP_FORM_H
#define KAZI_HTTP_FORM_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define HTTP_FORM_MAX_FIELDS 16
#define HTTP_FORM_KEY_MAX 32    /* bytes of a decoded key */
#define HTTP_FORM_VALUE_MAX 512 /* bytes of a decoded value */
#define HTTP_FORM_BODY_MAX 8192 /* bytes of a whole body */

/* One decoded pair; key and value are NUL-terminated UTF-8 without NUL inside. */
typedef struct http_form_field {
    char key[HTTP_FORM_KEY_MAX + 1];
    char value[HTTP_FORM_VALUE_MAX + 1];
    size_t value_len;
} http_form_field;

/* A decoded body, pairs in the order sent. Caller-owned storage (about 9 KB). */
typedef struct http_form {
    size_t n;
    http_form_field f[HTTP_FORM_MAX_FIELDS];
} http_form;

/*
 * Decode body[0..len) into *out. An empty body is a form with no pairs.
 * KZ_OK; KZ_ERR_INVALID (bad byte, bad escape, empty pair or key, no '=',
 * NUL, duplicate key), KZ_ERR_UTF8 (a decoded key or value is not UTF-8),
 * KZ_ERR_RANGE (body, key, value or pair count over its limit). On error
 * err (may be NULL) holds the offset in body and a printable-ASCII message,
 * and out->n is 0.
 */
kz_status http_form_parse(const uint8_t *body, size_t len, http_form *out, kz_err *err);

/* The value of key (exact, case-sensitive), or NULL if the form lacks it. */
const char *http_form_get(const http_form *form, const char *key);

/*
 * Encode form back into out (cap bytes, NUL-terminated when cap > 0): every
 * byte but ALPHA / DIGIT / "-._~" as %XX, a space as '+'. Returns the length
 * needed (snprintf rule). http_form_parse of the result gives form back.
 */
size_t http_form_encode(const http_form *form, char *out, size_t cap);

#endif
