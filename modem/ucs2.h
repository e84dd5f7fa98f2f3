/*
 * ucs2.h - UTF-8 <-> UTF-16BE ("UCS-2" in SMS speak), surrogate pairs included.
 * Owns: the conversion. Never allocates.
 */
#ifndef KAZI_UCS2_H
#define KAZI_UCS2_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/*
 * Convert UTF-8 to UTF-16BE bytes. KZ_ERR_UTF8 on invalid input (err->offset
 * is the byte index), KZ_ERR_NOSPACE if out is too small. *out_len = bytes.
 */
kz_status ucs2_from_utf8(const uint8_t *utf8, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len, kz_err *err);

/*
 * Convert UTF-16BE bytes to NUL-terminated UTF-8 (*out_len excludes the NUL).
 * An odd byte count fails with KZ_ERR_TRUNCATED. A lone or reversed surrogate
 * is replaced by U+FFFD (phones do send them; the text is still kept).
 * A U+0000 unit is kept as a NUL byte inside the text: trust *out_len.
 * KZ_ERR_NOSPACE if out is too small (3*len/2+1 bytes always suffice).
 */
kz_status ucs2_to_utf8(const uint8_t *be, size_t len, char *out, size_t cap, size_t *out_len,
                       kz_err *err);

/* Number of UTF-16 code units the valid UTF-8 text needs; (size_t)-1 if invalid. */
size_t ucs2_units(const uint8_t *utf8, size_t len);

#endif
