/*
 * hex.c - hexadecimal text <-> bytes for the PDUs modems print in
 * AT+CMGR/+CMGL/+CMT. Owns only the digit conversion; never allocates and
 * never writes output before the whole input has been checked.
 */
#include "hex.h"

/* Value of one hex digit, or -1 if c is not one. */
static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Decode len hex digits into out. On failure nothing is written to out and
 * *out_len is 0: KZ_ERR_INVALID for a non-hex character (err->offset is its
 * index) or an odd count (err->offset is the index of the unpaired last
 * digit), KZ_ERR_NOSPACE if cap < len/2.
 */
kz_status hex_decode(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                     kz_err *err)
{
    *out_len = 0;
    for (size_t i = 0; i < len; i++) {
        if (hex_digit(hex[i]) < 0)
            return kz_err_set(err, KZ_ERR_INVALID, i, "not a hex digit (0x%02X) at %zu",
                              (unsigned)(unsigned char)hex[i], i);
    }
    if (len % 2 != 0)
        return kz_err_set(err, KZ_ERR_INVALID, len - 1, "odd number of hex digits (%zu)", len);
    if (cap < len / 2)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "need %zu bytes, have %zu",
                          len / 2, cap);
    for (size_t i = 0; i < len; i += 2)
        out[i / 2] = (uint8_t)(hex_digit(hex[i]) << 4 | hex_digit(hex[i + 1]));
    *out_len = len / 2;
    return KZ_OK;
}

/*
 * Write buf as 2*len upper-case hex digits plus a NUL. KZ_ERR_NOSPACE, with
 * nothing written, unless cap >= 2*len+1.
 */
kz_status hex_encode(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";

    if (cap == 0 || len > (cap - 1) / 2)
        return KZ_ERR_NOSPACE;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[buf[i] >> 4];
        out[2 * i + 1] = digits[buf[i] & 0x0F];
    }
    out[2 * len] = '\0';
    return KZ_OK;
}
