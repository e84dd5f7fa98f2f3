/*
 * sim_util.c - the simulator's byte buffer and its typed scanner for AT
 * command arguments (integers and quoted strings separated by commas).
 * Owns nothing but those two helpers. Never does I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static bool buf_reserve(sim_buf *b, size_t extra)
{
    if (b->oom || extra > SIZE_MAX / 2 - b->len)
        return false;
    if (b->len + extra <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

/* Append n bytes (dropped, with b->oom set, if memory runs out). */
void sim_buf_put(sim_buf *b, const void *data, size_t n)
{
    if (n == 0 || !buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* Append a NUL-terminated string without its NUL. */
void sim_buf_puts(sim_buf *b, const char *s)
{
    sim_buf_put(b, s, strlen(s));
}

/* Append printf-formatted text. */
void sim_buf_printf(sim_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        sim_buf_put(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Insert n bytes at offset at (clamped to the end). */
void sim_buf_insert(sim_buf *b, size_t at, const void *data, size_t n)
{
    if (n == 0 || !buf_reserve(b, n))
        return;
    if (at > b->len)
        at = b->len;
    memmove(b->p + at + n, b->p + at, b->len - at);
    memcpy(b->p + at, data, n);
    b->len += n;
}

/* Drop the first n bytes (all of them if n >= len). */
void sim_buf_consume(sim_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* Release the memory; the buffer is empty and usable again. */
void sim_buf_free(sim_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void skip_spaces(sim_args *a)
{
    while (*a->p == ' ')
        a->p++;
}

/* After a field: a comma (consumed) or the end; anything else is malformed. */
static bool field_end(sim_args *a)
{
    skip_spaces(a);
    if (*a->p == ',') {
        a->p++;
        return true;
    }
    if (*a->p == '\0')
        return true;
    a->bad = true;
    return false;
}

/*
 * Read an integer field in [lo, hi]. Returns false for an empty field (the
 * comma is consumed) and, with a->bad set, for a malformed or out-of-range one.
 */
bool sim_arg_int(sim_args *a, long lo, long hi, long *out)
{
    skip_spaces(a);
    if (*a->p == ',' || *a->p == '\0') {
        if (*a->p == ',')
            a->p++;
        return false;
    }
    if (!isdigit((unsigned char)*a->p)) {
        a->bad = true;
        return false;
    }
    long v = 0;
    while (isdigit((unsigned char)*a->p)) {
        if (v > 100000000L) {
            a->bad = true;
            return false;
        }
        v = v * 10 + (*a->p++ - '0');
    }
    if (v < lo || v > hi) {
        a->bad = true;
        return false;
    }
    *out = v;
    return field_end(a);
}

/*
 * Read a quoted string field (no escapes, as TS 27.007 <string>) into out.
 * An unquoted field is taken up to the next comma. Returns false for an
 * empty field and, with a->bad set, for a malformed or too long one.
 */
bool sim_arg_str(sim_args *a, char *out, size_t cap)
{
    skip_spaces(a);
    const char *start = a->p;
    size_t n;
    if (*a->p == '"') {
        const char *q = strchr(a->p + 1, '"');
        if (!q) {
            a->bad = true;
            return false;
        }
        start = a->p + 1;
        n = (size_t)(q - start);
        a->p = q + 1;
    } else {
        n = strcspn(a->p, ",");
        a->p += n;
        while (n > 0 && start[n - 1] == ' ')
            n--;
        if (n == 0) {
            if (*a->p == ',')
                a->p++;
            return false;
        }
    }
    if (n >= cap) {
        a->bad = true;
        return false;
    }
    memcpy(out, start, n);
    out[n] = '\0';
    return field_end(a);
}

/* True when nothing (but spaces) is left and nothing was malformed. */
bool sim_arg_end(sim_args *a)
{
    skip_spaces(a);
    return !a->bad && *a->p == '\0';
}

/* True when another field follows. */
bool sim_arg_more(sim_args *a)
{
    skip_spaces(a);
    return !a->bad && *a->p != '\0';
}

sim_res sim_ok(void)
{
    return (sim_res){SIM_RES_OK, 0};
}

sim_res sim_error(void)
{
    return (sim_res){SIM_RES_ERROR, 0};
}

sim_res sim_cme(int code)
{
    return (sim_res){SIM_RES_CME, code};
}

sim_res sim_cms(int code)
{
    return (sim_res){SIM_RES_CMS, code};
}

void sim_line(sim_buf *out, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sim_buf_puts(out, "\r\n");
    sim_buf_put(out, small, (size_t)n < sizeof small ? (size_t)n : sizeof small - 1);
    sim_buf_puts(out, "\r\n");
}
