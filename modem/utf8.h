/*
 * utf8.h - strict UTF-8 reading and writing of Unicode code points.
 * Owns: the UTF-8 rules (no overlongs, no surrogates, nothing above U+10FFFF).
 * Never allocates.
 */
#ifndef KAZI_UTF8_H
#define KAZI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one code point from s[0..len). Returns the number of bytes used
 * (1-4) and stores the code point in *cp, or returns 0 if the sequence is
 * invalid or truncated (*cp is then untouched).
 */
size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/*
 * Encode cp into out (at least 4 bytes). Returns the byte count (1-4), or 0
 * if cp is a surrogate or above U+10FFFF.
 */
size_t utf8_encode(uint32_t cp, uint8_t out[4]);

/*
 * Check that s[0..len) is valid UTF-8. Returns 1 if valid; otherwise 0 and
 * *bad_offset (if not NULL) is the index of the first bad byte.
 */
int utf8_valid(const uint8_t *s, size_t len, size_t *bad_offset);

#endif
