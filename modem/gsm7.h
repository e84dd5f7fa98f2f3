/*
 * gsm7.h - the GSM 03.38 7-bit default alphabet and its extension table, and
 * septet packing (TS 23.038 section 6.1.2).
 * Owns: the character tables and the bit packing. Never allocates.
 *
 * Septets are one byte each, 0..127. An extension-table character is the
 * escape septet GSM7_ESC (0x1B) followed by its code, so it costs two septets.
 */
#ifndef KAZI_GSM7_H
#define KAZI_GSM7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define GSM7_ESC 0x1B

/*
 * Septets needed for code point cp: 1 (default table), 2 (extension table),
 * or 0 if cp has no GSM-7 representation. out (may be NULL) receives them.
 */
size_t gsm7_from_codepoint(uint32_t cp, uint8_t out[2]);

/*
 * Is utf8[0..len) plain ASCII that GSM-7 can carry? Then true, and *septets
 * is its length in septets (an extension character such as '~' takes two).
 * A fast path for counting: it never decodes UTF-8.
 */
bool gsm7_ascii_septets(const uint8_t *utf8, size_t len, size_t *septets);

/* Code point of default-table septet s (0..127). */
uint32_t gsm7_default_codepoint(uint8_t s);

/*
 * Code point of extension-table septet s (the one after an ESC), or 0 if the
 * extension table has no entry there (TS 23.038 says to show the
 * default-table character for s instead; gsm7_to_utf8 does).
 */
uint32_t gsm7_ext_codepoint(uint8_t s);

/*
 * Convert UTF-8 text to septets. Fails with KZ_ERR_UTF8 on invalid UTF-8,
 * KZ_ERR_INVALID if a character has no GSM-7 form (err->offset is its byte
 * index), KZ_ERR_NOSPACE if out is too small. *out_len = septets written.
 */
kz_status gsm7_from_utf8(const uint8_t *utf8, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len, kz_err *err);

/*
 * Convert septets to UTF-8 (NUL-terminated; *out_len excludes the NUL).
 * A trailing lone ESC is shown as a space (TS 23.038); an ESC before a code
 * with no extension entry is shown as that code's default character.
 * Septet values above 127 fail with KZ_ERR_INVALID. KZ_ERR_NOSPACE if out is
 * too small (3*n+1 bytes always suffice).
 */
kz_status gsm7_to_utf8(const uint8_t *septets, size_t n, char *out, size_t cap, size_t *out_len,
                       kz_err *err);

/*
 * True if the whole UTF-8 text has a GSM-7 form; *septets (may be NULL)
 * receives the count it would need. Invalid UTF-8 gives false.
 */
bool gsm7_fits(const uint8_t *utf8, size_t len, size_t *septets);

/* Octets that n septets occupy when packed after fill_bits (0-6) fill bits. */
size_t gsm7_packed_len(size_t n, unsigned fill_bits);

/*
 * Pack n septets LSB-first into out, starting fill_bits (0-6) bits into the
 * first octet (the fill bits are zero). Returns KZ_ERR_NOSPACE if out holds
 * fewer than gsm7_packed_len(n, fill_bits) octets, KZ_ERR_RANGE on a bad
 * fill_bits or a septet above 127. *out_len = octets written.
 */
kz_status gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits, uint8_t *out, size_t cap,
                    size_t *out_len);

/*
 * Unpack exactly n septets from len packed octets after fill_bits fill bits.
 * Fails with KZ_ERR_TRUNCATED if the octets hold fewer than n septets and
 * KZ_ERR_TRAILING if whole octets are left over (the packed length must be
 * exactly gsm7_packed_len(n, fill_bits)). KZ_ERR_NOSPACE if cap < n.
 */
kz_status gsm7_unpack(const uint8_t *octets, size_t len, unsigned fill_bits, size_t n,
                      uint8_t *septets, size_t cap, kz_err *err);

#endif
