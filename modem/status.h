/*
 * status.h - the project-wide status codes and the optional error buffer.
 * Owns: kz_status (0 is success) and kz_err, the caller-provided buffer that
 * library functions in modem/ and tasks/ fill with a one-line reason.
 * Never: allocates, logs or exits; libraries return a status, the gateway decides.
 */
#ifndef KAZI_STATUS_H
#define KAZI_STATUS_H

#include <stddef.h>

typedef enum kz_status {
    KZ_OK = 0,
    KZ_ERR_TRUNCATED,   /* input ended before a required byte */
    KZ_ERR_TRAILING,    /* bytes left over after a complete parse */
    KZ_ERR_INVALID,     /* a field holds a value the format does not allow */
    KZ_ERR_UNSUPPORTED, /* valid input we deliberately do not handle (e.g. compressed SMS) */
    KZ_ERR_NOSPACE,     /* a caller-provided output buffer is too small */
    KZ_ERR_UTF8,        /* text is not valid UTF-8 */
    KZ_ERR_RANGE,       /* a number or length is outside its allowed range */
    KZ_ERR_NOMEM,       /* allocation failed */
    KZ_ERR_IO,          /* a read, write or open failed */
    KZ_ERR_TIMEOUT,     /* a peer did not answer in time */
    KZ_ERR_DB,          /* the database refused an operation */
    KZ_ERR_NOTFOUND,    /* the thing asked for does not exist */
    KZ_ERR_BUSY,        /* a resource is held by someone else */
    KZ_ERR_STATE,       /* the call is not allowed in the current state */
    KZ_ERR__COUNT
} kz_status;

/* No offset known for an error (kz_err.offset). */
#define KZ_NO_OFFSET ((size_t)-1)

/*
 * kz_err: optional error detail, owned by the caller (usually on its stack).
 * Functions that take a `kz_err *err` accept NULL and then only return a status.
 * `offset` is the byte index in the input where the problem was found, or
 * KZ_NO_OFFSET.
 */
typedef struct kz_err {
    kz_status status;
    size_t offset;
    char msg[200];
} kz_err;

/* Short constant English name of a status ("truncated input", ...). Never NULL. */
const char *kz_strerror(kz_status st);

/* Reset err (if not NULL) to "no error". */
void kz_err_clear(kz_err *err);

/*
 * Record an error in err (if not NULL) and return st, so callers can write
 * `return kz_err_set(err, KZ_ERR_INVALID, pos, "bad TOA 0x%02X", toa);`.
 * The message is printf-formatted and silently truncated to fit.
 */
kz_status kz_err_set(kz_err *err, kz_status st, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
