/*
 * cusd.h - USSD through AT+CUSD (TS 27.007 7.15): decoding "+CUSD:" result
 * lines and encoding requests.
 * Owns: the <str> representations modems use (plain text in the TE character
 * set, GSM-7 packed as hex as Huawei does, UCS-2 hex for DCS 72 or when
 * +CSCS="UCS2", UCS-2 with a two-octet language prefix for DCS 17) and the
 * rules for telling them apart. Never allocates or talks to a port.
 */
#ifndef KAZI_CUSD_H
#define KAZI_CUSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define CUSD_TEXT_MAX 1024 /* 182 GSM-7 characters can take 3 bytes each; UCS-2 up to 4 */

/* How the modem represents <str>; a modem-quirks table may force one. */
typedef enum cusd_wire {
    CUSD_WIRE_AUTO = 0,   /* decide from the DCS and the string's shape */
    CUSD_WIRE_TEXT,       /* characters as they are (GSM code points mapped) */
    CUSD_WIRE_GSM7_HEX,   /* packed GSM-7 septets, as hex */
    CUSD_WIRE_UCS2_HEX    /* UTF-16BE as hex */
} cusd_wire;

typedef struct cusd_reply {
    int status;          /* <m>: 0 done, 1 further action required, 2 terminated by network, 3-5 other */
    bool has_text;
    char text[CUSD_TEXT_MAX]; /* NUL-terminated UTF-8 */
    size_t text_len;
    int dcs;             /* <dcs>, or -1 when absent */
} cusd_reply;

/*
 * Decode one "+CUSD: <m>[,<str>[,<dcs>]]" line (without the final CR LF; the
 * quoted <str> may contain CR or LF). wire is CUSD_WIRE_AUTO unless the
 * modem's quirks say otherwise. Fails with KZ_ERR_INVALID (with the byte
 * offset) on a missing prefix, a bad <m> or <dcs>, an unterminated quote or
 * bytes left after the last field; KZ_ERR_UNSUPPORTED for a compressed DCS.
 */
kz_status cusd_parse(const uint8_t *line, size_t len, cusd_wire wire, cusd_reply *out,
                     kz_err *err);

/*
 * Write the AT command for a USSD request into out: AT+CUSD=1,"<req>",15
 * with the request as text, or as packed GSM-7 hex when wire is
 * CUSD_WIRE_GSM7_HEX (Huawei). req is what the user dials or answers
 * ("*144#", "1", "0712345678"); only GSM-7 characters are allowed and a
 * quote never is (KZ_ERR_INVALID). KZ_ERR_NOSPACE if out is too small.
 */
kz_status cusd_encode_request(const char *req, cusd_wire wire, char *out, size_t cap,
                              kz_err *err);

/* Write AT+CUSD=2 (cancel the session) into out. */
kz_status cusd_encode_cancel(char *out, size_t cap);

#endif
