/*
 * ussd_screen.c - USSD screens that fit (see ussd_screen.h).
 * Owns: character counting and word-boundary shortening. Never allocates.
 */
#include "ussd_screen.h"

#include <stdio.h>
#include <string.h>

#define ELLIPSIS "..."
#define PREFIX_CHARS 4 /* "CON " or "END " */

size_t ussd_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Byte length of the first `chars` characters of s. */
static size_t bytes_of(const char *s, size_t chars)
{
    size_t i = 0, c = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == chars)
                break;
            c++;
        }
        i++;
    }
    return i;
}

static void copy_bytes(char *out, size_t cap, const char *in, size_t n)
{
    if (cap == 0)
        return;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, in, n);
    out[n] = '\0';
}

void ussd_shorten(const char *in, size_t max, char *out, size_t cap)
{
    if (ussd_chars(in) <= max) {
        copy_bytes(out, cap, in, strlen(in));
        return;
    }
    size_t room = max > 3 ? max - 3 : 0;
    size_t limit = bytes_of(in, room); /* bytes of the first `room` characters */
    size_t cut = 0;
    for (size_t i = 1; i <= limit; i++) /* the last word end inside the room */
        if (in[i] == ' ' && in[i - 1] != ' ')
            cut = i;
    if (in[limit] == ' ' || in[limit] == '\0')
        cut = limit;
    if (cut == 0)
        cut = limit; /* one word longer than the room: cut it, visibly */
    while (cut > 0 && (in[cut - 1] == ' ' || in[cut - 1] == ',' || in[cut - 1] == ':'))
        cut--;
    char buf[USSD_LINE_CAP];
    copy_bytes(buf, sizeof buf - 3, in, cut);
    size_t n = strlen(buf);
    memcpy(buf + n, ELLIPSIS, sizeof ELLIPSIS);
    if (max < 3)
        buf[bytes_of(buf, max)] = '\0';
    copy_bytes(out, cap, buf, strlen(buf));
}

void ussd_screen_init(ussd_screen *s)
{
    s->n = 0;
}

void ussd_screen_add(ussd_screen *s, const char *text)
{
    if (s->n >= USSD_SCREEN_LINES)
        return;
    copy_bytes(s->line[s->n], USSD_LINE_CAP, text, strlen(text));
    s->n++;
}

void ussd_screen_item(ussd_screen *s, const char *num, const char *label)
{
    char buf[USSD_LINE_CAP];
    snprintf(buf, sizeof buf, "%s %s", num, label);
    ussd_screen_add(s, buf);
}

void ussd_screen_lines(ussd_screen *s, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        char buf[USSD_LINE_CAP];
        copy_bytes(buf, sizeof buf, p, n);
        ussd_screen_add(s, buf);
        p += n + (p[n] == '\n');
    }
}

size_t ussd_screen_chars(const ussd_screen *s)
{
    size_t n = PREFIX_CHARS + (s->n ? s->n - 1 : 0);
    for (size_t i = 0; i < s->n; i++)
        n += ussd_chars(s->line[i]);
    return n;
}

void ussd_screen_fit(ussd_screen *s)
{
    /* Each pass shortens the longest line by the overflow; lines only shrink. */
    for (int pass = 0; pass < 2 * USSD_SCREEN_LINES; pass++) {
        size_t total = ussd_screen_chars(s);
        if (total <= USSD_SCREEN_CHARS || s->n == 0)
            return;
        size_t longest = 0;
        for (size_t i = 1; i < s->n; i++)
            if (ussd_chars(s->line[i]) > ussd_chars(s->line[longest]))
                longest = i;
        size_t have = ussd_chars(s->line[longest]);
        size_t over = total - USSD_SCREEN_CHARS;
        char buf[USSD_LINE_CAP];
        ussd_shorten(s->line[longest], have > over ? have - over : 0, buf, sizeof buf);
        memcpy(s->line[longest], buf, strlen(buf) + 1);
    }
}

void ussd_screen_join(const ussd_screen *s, size_t from, const char *prefix, char *out,
                      size_t cap)
{
    size_t pos = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    int w = snprintf(out, cap, "%s", prefix ? prefix : "");
    if (w < 0 || (size_t)w >= cap)
        return;
    pos = (size_t)w;
    for (size_t i = from; i < s->n; i++) {
        w = snprintf(out + pos, cap - pos, "%s%s", i > from ? "\n" : "", s->line[i]);
        if (w < 0 || (size_t)w >= cap - pos)
            return;
        pos += (size_t)w;
    }
}
