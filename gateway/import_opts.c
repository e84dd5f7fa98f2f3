/*
 * import_opts.c - parsing the text options of a task CSV import
 * (import_opts.h): deadlines and bounded counts.
 * Owns: the deadline syntax. Never prints: callers word the refusal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "import_opts.h"

/* +Nd or +Nh after now; 0 or -1. */
static int parse_relative(const char *s, int64_t now, int64_t *out)
{
    char *end;
    errno = 0;
    long n = strtol(s + 1, &end, 10);
    if (errno || end == s + 1 || n <= 0 || n > 3650 * 24 || (strcmp(end, "d") && strcmp(end, "h")))
        return -1;
    *out = now + (int64_t)n * (*end == 'd' ? 86400 : 3600);
    return 0;
}

int import_parse_deadline(const char *s, int64_t now, int64_t *out)
{
    if (!s)
        return -1;
    if (s[0] == '+')
        return parse_relative(s, now, out);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end)
        return -1;
    int utc = 0;
    if (*end == '\0') {
        tm.tm_hour = 23;
        tm.tm_min = 59;
        tm.tm_sec = 59;
    } else {
        if (*end != 'T' && *end != ' ')
            return -1;
        const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
        if (!e2)
            e2 = strptime(end + 1, "%H:%M", &tm);
        if (!e2)
            return -1;
        if (*e2 == 'Z')
            utc = 1, e2++;
        if (*e2)
            return -1;
    }
    tm.tm_isdst = -1;
    time_t t = utc ? timegm(&tm) : mktime(&tm);
    if (t == (time_t)-1 || (int64_t)t <= now)
        return -1;
    *out = (int64_t)t;
    return 0;
}

int import_parse_count(const char *s, long lo, long hi, int *out)
{
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}
