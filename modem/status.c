/*
 * status.c - names for kz_status and filling of the caller's kz_err.
 * Never allocates or prints.
 */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const status_names[KZ_ERR__COUNT] = {
    [KZ_OK] = "ok",
    [KZ_ERR_TRUNCATED] = "truncated input",
    [KZ_ERR_TRAILING] = "trailing bytes",
    [KZ_ERR_INVALID] = "invalid value",
    [KZ_ERR_UNSUPPORTED] = "unsupported",
    [KZ_ERR_NOSPACE] = "output buffer too small",
    [KZ_ERR_UTF8] = "invalid UTF-8",
    [KZ_ERR_RANGE] = "out of range",
    [KZ_ERR_NOMEM] = "out of memory",
    [KZ_ERR_IO] = "input/output error",
    [KZ_ERR_TIMEOUT] = "timed out",
    [KZ_ERR_DB] = "database error",
    [KZ_ERR_NOTFOUND] = "not found",
    [KZ_ERR_BUSY] = "busy",
    [KZ_ERR_STATE] = "not allowed in this state",
};

const char *kz_strerror(kz_status st)
{
    if ((unsigned)st >= KZ_ERR__COUNT)
        return "unknown error";
    return status_names[st];
}

void kz_err_clear(kz_err *err)
{
    if (!err)
        return;
    err->status = KZ_OK;
    err->offset = KZ_NO_OFFSET;
    err->msg[0] = '\0';
}

kz_status kz_err_set(kz_err *err, kz_status st, size_t offset, const char *fmt, ...)
{
    if (!err)
        return st;
    err->status = st;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}
