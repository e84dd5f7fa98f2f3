/*
 * hex.h - hexadecimal text <-> bytes, as modems print PDUs in AT+CMGR/+CMGL.
 * Owns: nothing but the conversion. Never allocates.
 */
#ifndef KAZI_HEX_H
#define KAZI_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/*
 * Decode `len` hex digits (upper or lower case, no separators) into out.
 * Fails with KZ_ERR_INVALID on a non-hex character or an odd count (err->offset
 * is the character index), KZ_ERR_NOSPACE if out holds fewer than len/2 bytes.
 * *out_len receives the number of bytes written.
 */
kz_status hex_decode(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                     kz_err *err);

/*
 * Write 2*len upper-case hex digits and a NUL into out (cap >= 2*len+1).
 * Returns KZ_ERR_NOSPACE (and writes nothing) if it does not fit.
 */
kz_status hex_encode(const uint8_t *buf, size_t len, char *out, size_t cap);

#endif
