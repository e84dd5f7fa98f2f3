/*
 * demo_offer.c - finds the task offer and the "still open" task numbers in
 * the SMS a simulated worker receives (see demo_offer.h). The offer is read
 * from its end, "WORD REF HINT", back to its "#REF ", so an acknowledgement
 * riding in front of it and the word for "Reply" in any language do not
 * matter.
 * Owns: that parsing. Never allocates, never does I/O.
 */
#include "demo_offer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Position of the last byte c in t[0..end), or -1. */
static long last_char(const char *t, long end, char c)
{
    for (long i = end - 1; i >= 0; i--)
        if (t[i] == c)
            return i;
    return -1;
}

static bool digits(const char *p, long n)
{
    if (n < 1 || n > 4)
        return false;
    for (long i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return true;
}

static bool letters(const char *p, long n)
{
    if (n < 1)
        return false;
    for (long i = 0; i < n; i++)
        if (!isalpha((unsigned char)p[i]))
            return false;
    return true;
}

static void copy(char *dst, size_t cap, const char *src, long n)
{
    if (n < 0)
        n = 0;
    snprintf(dst, cap, "%.*s", (int)n, src);
}

/* The offer's tail "... PAY. WORD REF HINT": *pay_end is the '.' after PAY. */
typedef struct offer_tail {
    int ref;
    char ref_text[8];
    bool choice;
    long pay_end;
} offer_tail;

static bool read_tail(const char *t, long len, offer_tail *o)
{
    long sp_hint = last_char(t, len, ' ');
    if (sp_hint < 0 || !letters(t + sp_hint + 1, len - sp_hint - 1))
        return false;
    long sp_ref = last_char(t, sp_hint, ' ');
    if (sp_ref < 0 || !digits(t + sp_ref + 1, sp_hint - sp_ref - 1))
        return false;
    long sp_word = last_char(t, sp_ref, ' ');
    if (sp_word < 1 || !letters(t + sp_word + 1, sp_ref - sp_word - 1) || t[sp_word - 1] != '.')
        return false;
    copy(o->ref_text, sizeof o->ref_text, t + sp_ref + 1, sp_hint - sp_ref - 1);
    sscanf(o->ref_text, "%d", &o->ref);
    o->choice = len - sp_hint - 1 == 1 && toupper((unsigned char)t[sp_hint + 1]) == 'N';
    o->pay_end = sp_word - 1;
    return o->ref > 0;
}

/* Start of the body after the last "#REF " before end (at the start or after a space). */
static long find_head(const char *t, long end, const char *ref)
{
    size_t rl = strlen(ref);
    for (long i = end - 1; i >= 0; i--) {
        if (t[i] != '#' || (i > 0 && t[i - 1] != ' '))
            continue;
        if (strncmp(t + i + 1, ref, rl) == 0 && t[i + 1 + (long)rl] == ' ')
            return i + 2 + (long)rl;
    }
    return -1;
}

/* Position of the last occurrence of needle in t[from..end), or -1. */
static long last_str(const char *t, long from, long end, const char *needle)
{
    long n = (long)strlen(needle);
    for (long i = end - n; i >= from; i--)
        if (strncmp(t + i, needle, (size_t)n) == 0)
            return i;
    return -1;
}

static long first_str(const char *t, long from, long end, const char *needle)
{
    long n = (long)strlen(needle);
    for (long i = from; i + n <= end; i++)
        if (strncmp(t + i, needle, (size_t)n) == 0)
            return i;
    return -1;
}

/* Split "PROMPT 1=A 2=B" at its option markers. Returns false if no 1= and 2=. */
static bool read_options(const char *t, long from, long end, demo_offer *o)
{
    long one = -1;
    for (long at = end; (at = last_str(t, from, at, " 1=")) >= 0; at--)
        if (first_str(t, at, end, " 2=") >= 0) {
            one = at;
            break;
        }
    if (one < 0)
        return false;
    copy(o->prompt, sizeof o->prompt, t + from, one - from);
    long start = one + 3;
    int k = 1;
    while (k <= DEMO_OPT_MAX) {
        char mark[16];
        snprintf(mark, sizeof mark, " %d=", k + 1);
        long next = k < DEMO_OPT_MAX ? first_str(t, start, end, mark) : -1;
        long stop = next >= 0 ? next : end;
        copy(o->opts[k - 1], sizeof o->opts[0], t + start, stop - start);
        o->nopts = k++;
        if (next < 0)
            break;
        start = next + (long)strlen(mark);
    }
    return o->nopts >= 2;
}

bool demo_offer_parse(const char *text, demo_offer *out)
{
    long len = (long)strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    offer_tail tail = {0};
    if (!read_tail(text, len, &tail))
        return false;
    long body = find_head(text, tail.pay_end, tail.ref_text);
    if (body < 0)
        return false;
    long tilde = last_str(text, body, tail.pay_end, " ~");
    long colon = tilde < 0 ? -1 : first_str(text, body, tilde, ": ");
    if (colon < 0)
        return false;
    long pay = first_str(text, tilde + 2, tail.pay_end, " ");
    demo_offer o;
    memset(&o, 0, sizeof o);
    o.ref = tail.ref;
    copy(o.requester, sizeof o.requester, text + body, colon - body);
    if (pay >= 0)
        copy(o.pay, sizeof o.pay, text + pay + 1, tail.pay_end - pay - 1);
    if (tail.choice) {
        if (!read_options(text, colon + 2, tilde, &o))
            return false;
    } else {
        copy(o.prompt, sizeof o.prompt, text + colon + 2, tilde - colon - 2);
    }
    *out = o;
    return true;
}

/* Does t[0..at) end, within a few words, with a phrase about open tasks? */
static bool about_open(const char *t, long at)
{
    long from = at > 24 ? at - 24 : 0;
    char near[32];
    copy(near, sizeof near, t + from, at - from);
    for (char *p = near; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return strstr(near, "open") || strstr(near, "wazi");
}

size_t demo_offer_open_refs(const char *text, int *refs, size_t cap)
{
    demo_offer o;
    if (demo_offer_parse(text, &o))
        return 0;
    long len = (long)strlen(text);
    long colon = last_char(text, len, ':'), paren = last_char(text, len, '(');
    long at = colon > paren ? colon : paren;
    if (at < 0 || !about_open(text, at))
        return 0;
    size_t n = 0;
    const char *p = text + at + 1;
    for (int guard = 0; guard < 64; guard++) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!isdigit((unsigned char)*p))
            break;
        int v = 0;
        for (int d = 0; d < 5 && isdigit((unsigned char)*p); d++, p++)
            v = v * 10 + (*p - '0');
        if (n < cap && v > 0)
            refs[n++] = v;
    }
    return (*p == '.' || *p == ')' || *p == '\0') ? n : 0;
}
