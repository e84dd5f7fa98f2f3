/*
 * ussd_form.h - the USSD aggregator callback: a form-encoded POST
 * (http_form.h) with sessionId, serviceCode, phoneNumber and text, where
 * text is every reply of the session so far joined by '*' ("" on the first
 * request, "1*2*3" three replies later). Other keys (networkCode, ...) are
 * allowed and ignored.
 * Owns: which keys are required, their syntax, the phone number made E.164
 * (tasks/phone.c) and the split of text into inputs. Never allocates, never
 * logs, never puts the text (it may hold a PIN) in an error message.
 */
#ifndef KAZI_USSD_FORM_H
#define KAZI_USSD_FORM_H

#include <stddef.h>
#include <stdint.h>

#include "http_form.h"
#include "phone.h"
#include "status.h"

#define USSD_SESSION_MAX 64 /* bytes of a sessionId: letters, digits, '-', '_', '.', ':' */
#define USSD_SERVICE_MAX 32 /* bytes of a serviceCode: digits, '*', '#' */
#define USSD_MAX_INPUTS 32  /* replies in one session */

/* One callback, decoded. Caller-owned storage; copying it is safe (no pointers). */
typedef struct ussd_request {
    char session_id[USSD_SESSION_MAX + 1];
    char service_code[USSD_SERVICE_MAX + 1];
    char phone[PHONE_E164_CAP];           /* E.164, "+254712345678" */
    char text[HTTP_FORM_VALUE_MAX + 1];   /* as sent: the inputs joined by '*' */
    size_t ninputs;                       /* 0 when text is "" (the first request) */
    size_t input_off[USSD_MAX_INPUTS];    /* input i is text[input_off[i]..+input_len[i]) */
    size_t input_len[USSD_MAX_INPUTS];
} ussd_request;

/*
 * Fill *out from a decoded form; country (ISO code, "KE") reads local phone
 * numbers. KZ_OK; KZ_ERR_INVALID when a required key is missing or a value
 * breaks its syntax (a control character in text, a phoneNumber that is not
 * a subscriber's), KZ_ERR_RANGE when a value is too long or text holds more
 * than USSD_MAX_INPUTS inputs. err (may be NULL) names the key.
 */
kz_status ussd_request_from_form(const http_form *form, const char *country, ussd_request *out,
                                 kz_err *err);

/* http_form_parse then ussd_request_from_form: a callback body straight from the wire. */
kz_status ussd_request_parse(const uint8_t *body, size_t len, const char *country,
                             ussd_request *out, kz_err *err);

/*
 * Input i (0-based) of r: a pointer into r->text, not NUL-terminated, its
 * length in *len. NULL (and *len 0) when i >= r->ninputs.
 */
const char *ussd_request_input(const ussd_request *r, size_t i, size_t *len);

#endif
