/*
 * conv_multi.c - several answers in one SMS (see conv_multi.h): a small
 * scanner over numbers and the separators allowed between them.
 * Owns: that grammar. Never allocates, never touches the database.
 */
#include "conv_multi.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Separators between a ref and its option. */
static bool inner_sep(char c)
{
    return c == ' ' || c == '=' || c == '*' || c == '.' || c == ':' || c == '-' || c == '#';
}

/* Separators between two pairs (and a '#' in front of the next ref). */
static bool outer_sep(char c)
{
    return c == ' ' || c == ',' || c == ';' || c == '/' || c == '\n' || c == '\r' ||
           c == '\t' || c == '#';
}

/* Read 1..maxd digits at s[*i] (not starting with '0'); -1 if there are none, more, or a zero. */
static int read_num(const char *s, size_t len, size_t *i, int maxd)
{
    size_t start = *i;
    int v = 0;
    while (*i < len && is_digit(s[*i])) {
        if ((int)(*i - start) == maxd)
            return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    if (*i == start || s[start] == '0')
        return -1;
    return v;
}

/* Skip separators accepted by sep; true if at least one was skipped. */
static bool skip(const char *s, size_t len, size_t *i, bool (*sep)(char))
{
    size_t start = *i;
    while (*i < len && sep(s[*i]))
        (*i)++;
    return *i > start;
}

static bool seen(const conv_multi *m, int ref)
{
    for (size_t k = 0; k < m->n; k++)
        if (m->ref[k] == ref)
            return true;
    return false;
}

bool conv_multi_parse(const char *text, size_t len, conv_multi *out)
{
    memset(out, 0, sizeof *out);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '.'))
        len--; /* "12 1 13 2." */
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '#'))
        i++;
    conv_multi m;
    memset(&m, 0, sizeof m);
    while (i < len) {
        if (m.n == CONV_MULTI_MAX)
            return false;
        int ref = read_num(text, len, &i, 4);
        if (ref < 1 || seen(&m, ref) || !skip(text, len, &i, inner_sep))
            return false;
        int opt = read_num(text, len, &i, 2);
        if (opt < 1)
            return false;
        if (i < len && !skip(text, len, &i, outer_sep))
            return false; /* "12 1x" */
        m.ref[m.n] = ref;
        m.answer[m.n][0] = (char)(opt >= 10 ? '0' + opt / 10 : '0' + opt);
        m.answer[m.n][1] = (char)(opt >= 10 ? '0' + opt % 10 : '\0');
        m.answer[m.n][2] = '\0';
        m.n++;
    }
    if (m.n < 2)
        return false;
    *out = m;
    return true;
}
