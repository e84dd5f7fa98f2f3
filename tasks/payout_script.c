/*
 * payout_script.c - parsing provider USSD scripts and expanding their
 * values (payout_script.h).
 * Owns: the script grammar. Never logs; never stores an expanded value.
 */
#include "payout_script.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_S 30

typedef struct ps_ctx {
    const char *name;
    int line;
    int timeout_s;
    kz_err *err;
    payout_script *s;
} ps_ctx;

static kz_status perr(ps_ctx *c, const char *why)
{
    return kz_err_set(c->err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s:%d: %s", c->name, c->line, why);
}

static kz_status compile(ps_ctx *c, regex_t *re, const char *text)
{
    int rc = regcomp(re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc == 0)
        return KZ_OK;
    char msg[120];
    regerror(rc, re, msg, sizeof msg);
    return perr(c, msg);
}

static kz_status add_step(ps_ctx *c, ps_kind kind, const char *rest)
{
    payout_script *s = c->s;
    if (s->nsteps == PS_STEPS_MAX)
        return perr(c, "too many steps");
    if (!*rest || strlen(rest) >= PS_VALUE_MAX)
        return perr(c, kind == PS_SEND ? "want: send VALUE" : "want: expect REGEX");
    if (kind == PS_EXPECT && s->nsteps == 0)
        return perr(c, "the first step sends the code to dial");
    ps_step *st = &s->step[s->nsteps];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    snprintf(st->value, sizeof st->value, "%s", rest);
    st->timeout_s = c->timeout_s;
    st->has_pin = kind == PS_SEND && strstr(rest, "{pin}") != NULL;
    if (kind == PS_EXPECT) {
        kz_status rc = compile(c, &st->re, rest);
        if (rc != KZ_OK)
            return rc;
    }
    s->nsteps++;
    return KZ_OK;
}

static kz_status add_screen(ps_ctx *c, int is_fail, char *rest)
{
    payout_script *s = c->s;
    ps_screen *list = is_fail ? s->fail : s->await;
    size_t *n = is_fail ? &s->nfail : &s->nawait;
    if (*n == PS_SCREENS_MAX)
        return perr(c, "too many await/fail lines");
    ps_screen *sc = &list[*n];
    memset(sc, 0, sizeof *sc);
    const char *regex = rest;
    if (is_fail) {
        char *sp = strchr(rest, ' ');
        if (!sp)
            return perr(c, "want: fail CLASS REGEX");
        *sp = '\0';
        regex = sp + 1;
        static const char *const classes[] = {"", "insufficient_funds", "wrong_pin", "limit",
                                              "other"};
        for (int k = 1; k <= MONEY_SMS_FAIL_OTHER; k++)
            if (strcmp(rest, classes[k]) == 0)
                sc->failure = (money_sms_failure)k;
        if (sc->failure == MONEY_SMS_FAIL_NONE)
            return perr(c, "fail CLASS: insufficient_funds, wrong_pin, limit or other");
    }
    kz_status rc = compile(c, &sc->re, regex);
    if (rc == KZ_OK)
        (*n)++;
    return rc;
}

static kz_status parse_line(ps_ctx *c, char *line)
{
    char *sp = strchr(line, ' ');
    char *rest = sp ? sp + 1 : line + strlen(line);
    if (sp)
        *sp = '\0';
    if (strcmp(line, "send") == 0)
        return add_step(c, PS_SEND, rest);
    if (strcmp(line, "expect") == 0)
        return add_step(c, PS_EXPECT, rest);
    if (strcmp(line, "await") == 0 || strcmp(line, "fail") == 0)
        return add_screen(c, line[0] == 'f', rest);
    if (strcmp(line, "timeout") == 0) {
        char *end = NULL;
        long v = strtol(rest, &end, 10);
        if (!*rest || *end || v < 1 || v > 600)
            return perr(c, "want: timeout SECONDS (1-600)");
        c->timeout_s = (int)v;
        return KZ_OK;
    }
    if (strcmp(line, "local") == 0) {
        if (sscanf(rest, "%7s %3s", c->s->trunk_cc, c->s->trunk) != 2 || c->s->trunk_cc[0] != '+')
            return perr(c, "want: local +CC TRUNK (e.g. local +254 0)");
        return KZ_OK;
    }
    return perr(c, "unknown keyword (send, expect, timeout, await, fail, local)");
}

kz_status payout_script_parse(const char *name, const char *text, size_t len, payout_script *out,
                              kz_err *err)
{
    memset(out, 0, sizeof *out);
    ps_ctx c = {.name = name, .timeout_s = DEFAULT_TIMEOUT_S, .err = err, .s = out};
    char buf[512];
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        c.line++;
        if (n >= sizeof buf)
            return perr(&c, "line too long");
        memcpy(buf, text + i, n);
        buf[n] = '\0';
        i = j + 1;
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        kz_status rc = parse_line(&c, s);
        if (rc != KZ_OK)
            return rc;
    }
    if (out->nsteps == 0 || out->step[0].kind != PS_SEND)
        return perr(&c, "a script starts with 'send CODE'");
    return KZ_OK;
}

kz_status payout_script_load(const char *path, payout_script *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: cannot open", path);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n == sizeof buf)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s: too big", path);
    return payout_script_parse(path, buf, n, out, err);
}

void payout_script_clear(payout_script *s)
{
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->step[i].kind == PS_EXPECT)
            regfree(&s->step[i].re);
    for (size_t i = 0; i < s->nawait; i++)
        regfree(&s->await[i].re);
    for (size_t i = 0; i < s->nfail; i++)
        regfree(&s->fail[i].re);
    memset(s, 0, sizeof *s);
}

/* The value of one placeholder name into out; -1 if unknown or impossible. */
static int placeholder(const payout_script *s, const char *name, size_t n, const ps_vars *v,
                       char *out, size_t cap)
{
    const char *e = v->e164 ? v->e164 : "";
    size_t cc = strlen(s->trunk_cc);
    if (n == 5 && strncmp(name, "phone", 5) == 0) {
        if (cc && strncmp(e, s->trunk_cc, cc) == 0)
            return snprintf(out, cap, "%s%s", s->trunk, e + cc) >= (int)cap ? -1 : 0;
        return snprintf(out, cap, "%s", e[0] == '+' ? e + 1 : e) >= (int)cap ? -1 : 0;
    }
    if (n == 6 && strncmp(name, "msisdn", 6) == 0)
        return snprintf(out, cap, "%s", e[0] == '+' ? e + 1 : e) >= (int)cap ? -1 : 0;
    if (n == 6 && strncmp(name, "amount", 6) == 0) {
        int64_t unit = 1;
        for (int i = 0; i < v->exponent; i++)
            unit *= 10;
        if (v->amount_minor <= 0 || v->amount_minor % unit)
            return -1;
        return snprintf(out, cap, "%" PRId64, v->amount_minor / unit) >= (int)cap ? -1 : 0;
    }
    if (n == 3 && strncmp(name, "pin", 3) == 0 && v->pin)
        return snprintf(out, cap, "%s", v->pin) >= (int)cap ? -1 : 0;
    if (n == 3 && strncmp(name, "ref", 3) == 0 && v->ref)
        return snprintf(out, cap, "%s", v->ref) >= (int)cap ? -1 : 0;
    return -1;
}

kz_status payout_script_expand(const payout_script *s, const char *tmpl, const ps_vars *v,
                               char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        if (*p != '{') {
            if (o + 1 >= cap)
                return KZ_ERR_NOSPACE;
            out[o++] = *p++;
            continue;
        }
        const char *close = strchr(p, '}');
        char val[64];
        if (!close || placeholder(s, p + 1, (size_t)(close - p - 1), v, val, sizeof val) != 0)
            return KZ_ERR_INVALID;
        size_t vl = strlen(val);
        if (o + vl >= cap)
            return KZ_ERR_NOSPACE;
        memcpy(out + o, val, vl);
        o += vl;
        p = close + 1;
    }
    if (cap)
        out[o] = '\0';
    return KZ_OK;
}
