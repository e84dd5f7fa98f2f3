/*
 * pdu_fields.h - internal to the PDU codec: the field helpers shared by
 * pdu_decode.c and pdu_encode.c (addresses, time stamps, the user data
 * header). Not for use outside modem/pdu_*.c.
 * Owns: nothing but the declarations. Never allocates.
 */
#ifndef KAZI_PDU_FIELDS_H
#define KAZI_PDU_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdu.h"
#include "status.h"

/* Most octets an address value holds after its TOA (20 semi-octets). */
#define PDU_ADDR_OCTETS_MAX 10

/* IEIs of the concatenation information elements (TS 23.040 9.2.3.24). */
#define PDU_IEI_CONCAT8 0x00
#define PDU_IEI_CONCAT16 0x08

/*
 * Decode an address value: `n` octets at v (after the TOA octet, at byte
 * index `off` of the whole PDU) into out->text, out->toa = toa. digits is
 * the number of useful semi-octets (TP-OA/DA/RA length), or -1 for the SMSC
 * field, whose length counts octets. KZ_ERR_INVALID (offset `off`) if an
 * alphanumeric value is not GSM-7; never writes past out.
 */
kz_status pdu_addr_value_decode(const uint8_t *v, size_t n, int digits, uint8_t toa, size_t off,
                                sms_address *out, kz_err *err);

/*
 * Encode an address for the PDU. smsc: write the SMSC field (length in
 * octets, "00" when text is NULL or empty); otherwise a TP-DA/OA (length in
 * semi-octets). toa -1 picks 0x91 for "+digits", 0x81 for digits (and
 * "*#abc"), 0xD0 for anything else (packed GSM-7, at most 11 septets).
 * Writes into out (cap >= 12) and *n the octets written. KZ_ERR_INVALID on
 * an address that cannot be written.
 */
kz_status pdu_addr_encode(const char *text, int toa, bool smsc, uint8_t *out, size_t cap, size_t *n,
                          kz_err *err);

/*
 * Read a 7-octet semi-octet time stamp (TS 23.040 9.2.3.11) found at byte
 * index `off`. KZ_ERR_INVALID (offset of the octet) if a date or time octet
 * holds a non-decimal nibble. The zone octet is read leniently: a
 * non-decimal units nibble counts with its value, as SMSCs send it and other
 * decoders read it; the result stays within +-21:15.
 */
kz_status pdu_time_decode(const uint8_t in[7], size_t off, sms_time *out, kz_err *err);

/* Write t as 7 semi-octets. KZ_ERR_RANGE if a field does not fit its two digits. */
kz_status pdu_time_encode(const sms_time *t, uint8_t out[7], kz_err *err);

/*
 * Walk the information elements of a user data header (without its UDHL
 * octet; `off` is the byte index of udh[0] in the PDU). Fills *has_concat and
 * *concat from the last valid concatenation IE (one with seq 0, total 0 or
 * seq > total is ignored, TS 23.040 9.2.3.24.1). KZ_ERR_INVALID if an IE's
 * length runs past the header or a concatenation IE has the wrong length.
 */
kz_status pdu_udh_parse(const uint8_t *udh, size_t len, size_t off, bool *has_concat,
                        sms_concat *concat, kz_err *err);

#endif
