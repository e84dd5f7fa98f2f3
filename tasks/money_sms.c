/*
 * money_sms.c - provider SMS patterns: loading .provider files, matching a
 * text against them and normalising the captured fields (see money_sms.h
 * and docs/payouts.md for the file format).
 * Owns: the compiled regexes. Never logs; never matches an SMS against a
 * provider that does not claim its sender (when one is given).
 */
#include "money_sms.h"

#include <ctype.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "money.h"

#define SENDERS_MAX 8
#define ALIASES_MAX 8
#define GROUPS_MAX 32

typedef struct sms_pattern {
    char type[MONEY_SMS_NAME_MAX];
    money_sms_failure failure;
    regex_t re;
    int compiled;
    size_t nmap;
    char map_name[MONEY_SMS_FIELDS_MAX][MONEY_SMS_NAME_MAX];
    int map_group[MONEY_SMS_FIELDS_MAX]; /* 0 with map_const: a constant value */
    char map_const[MONEY_SMS_FIELDS_MAX][MONEY_SMS_VALUE_MAX];
} sms_pattern;

typedef struct sms_provider {
    char name[MONEY_SMS_NAME_MAX];
    char currency[4];
    size_t nsenders, naliases;
    char senders[SENDERS_MAX][MONEY_SMS_NAME_MAX];
    char alias[ALIASES_MAX][16];
    char alias_code[ALIASES_MAX][4];
    sms_pattern *pat;
    size_t npat, cap;
} sms_provider;

struct money_sms_set {
    sms_provider *prov;
    size_t n, cap;
};

money_sms_set *money_sms_new(void)
{
    return calloc(1, sizeof(money_sms_set));
}

static void provider_clear(sms_provider *p)
{
    for (size_t i = 0; i < p->npat; i++)
        if (p->pat[i].compiled)
            regfree(&p->pat[i].re);
    free(p->pat);
    memset(p, 0, sizeof *p);
}

void money_sms_free(money_sms_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        provider_clear(&set->prov[i]);
    free(set->prov);
    free(set);
}

size_t money_sms_providers(const money_sms_set *set)
{
    return set ? set->n : 0;
}

const char *money_sms_failure_name(money_sms_failure f)
{
    static const char *const names[] = {"", "insufficient_funds", "wrong_pin", "limit", "other"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "";
}

/* ---- loading ---- */

typedef struct load_ctx {
    const char *name;
    int line;
    kz_err *err;
    sms_provider *p;
} load_ctx;

static kz_status lerr(load_ctx *c, const char *why)
{
    return kz_err_set(c->err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s:%d: %s", c->name, c->line, why);
}

static int copy_word(char *out, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static sms_pattern *cur_pattern(load_ctx *c)
{
    return c->p->npat ? &c->p->pat[c->p->npat - 1] : NULL;
}

static kz_status add_pattern(load_ctx *c, const char *rest)
{
    sms_provider *p = c->p;
    if (p->npat == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        sms_pattern *np = realloc(p->pat, nc * sizeof *np);
        if (!np)
            return kz_err_set(c->err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        p->pat = np;
        p->cap = nc;
    }
    sms_pattern *pt = &p->pat[p->npat];
    memset(pt, 0, sizeof *pt);
    if (copy_word(pt->type, sizeof pt->type, rest, strlen(rest)) != 0 || strchr(rest, ' '))
        return lerr(c, "want: pattern TYPE");
    p->npat++;
    return KZ_OK;
}

static kz_status set_failure(load_ctx *c, sms_pattern *pt, const char *rest)
{
    for (int f = MONEY_SMS_FAIL_FUNDS; f <= MONEY_SMS_FAIL_OTHER; f++) {
        if (strcmp(rest, money_sms_failure_name((money_sms_failure)f)) == 0) {
            pt->failure = (money_sms_failure)f;
            return KZ_OK;
        }
    }
    return lerr(c, "failure must be insufficient_funds, wrong_pin, limit or other");
}

static kz_status set_regex(load_ctx *c, sms_pattern *pt, const char *rest)
{
    if (pt->compiled)
        return lerr(c, "a pattern has one regex");
    int rc = regcomp(&pt->re, rest, REG_EXTENDED);
    if (rc != 0) {
        char msg[120];
        regerror(rc, &pt->re, msg, sizeof msg);
        return lerr(c, msg);
    }
    pt->compiled = 1;
    if (pt->re.re_nsub + 1 > GROUPS_MAX)
        return lerr(c, "too many groups (31 at most)");
    return KZ_OK;
}

/* field NAME INDEX, or set NAME VALUE (a constant). */
static kz_status add_field(load_ctx *c, sms_pattern *pt, const char *rest, int constant)
{
    const char *sp = strchr(rest, ' ');
    if (!sp || pt->nmap == MONEY_SMS_FIELDS_MAX)
        return lerr(c, constant ? "want: set NAME VALUE" : "want: field NAME INDEX");
    size_t i = pt->nmap;
    if (copy_word(pt->map_name[i], MONEY_SMS_NAME_MAX, rest, (size_t)(sp - rest)) != 0)
        return lerr(c, "field name too long");
    const char *v = sp + 1;
    if (constant) {
        if (copy_word(pt->map_const[i], MONEY_SMS_VALUE_MAX, v, strlen(v)) != 0)
            return lerr(c, "value too long");
        pt->map_group[i] = 0;
    } else {
        char *end = NULL;
        long g = strtol(v, &end, 10);
        if (!pt->compiled || *end || g < 1 || (size_t)g > pt->re.re_nsub)
            return lerr(c, "field needs the regex first and a group index it has");
        pt->map_group[i] = (int)g;
    }
    pt->nmap++;
    return KZ_OK;
}

/* currency CODE [ALIAS...]: the first line is the default currency. */
static kz_status add_currency(load_ctx *c, char *rest)
{
    sms_provider *p = c->p;
    char *save = NULL;
    char *code = strtok_r(rest, " ", &save);
    if (!code || strlen(code) != 3)
        return lerr(c, "want: currency CODE [ALIAS...]");
    if (!p->currency[0])
        memcpy(p->currency, code, 4);
    for (char *a = code; a; a = strtok_r(NULL, " ", &save)) {
        if (p->naliases == ALIASES_MAX || strlen(a) >= sizeof p->alias[0])
            return lerr(c, "too many or too long currency aliases");
        snprintf(p->alias[p->naliases], sizeof p->alias[0], "%s", a);
        memcpy(p->alias_code[p->naliases], code, 4);
        p->naliases++;
    }
    return KZ_OK;
}

static kz_status load_line(load_ctx *c, char *line)
{
    char *sp = strchr(line, ' ');
    const char *kw = line;
    char *rest = sp ? sp + 1 : line + strlen(line);
    if (sp)
        *sp = '\0';
    sms_pattern *pt = cur_pattern(c);
    if (strcmp(kw, "provider") == 0)
        return copy_word(c->p->name, sizeof c->p->name, rest, strlen(rest)) ? lerr(c, "bad name")
                                                                             : KZ_OK;
    if (strcmp(kw, "currency") == 0)
        return add_currency(c, rest);
    if (strcmp(kw, "sender") == 0) {
        if (c->p->nsenders == SENDERS_MAX ||
            copy_word(c->p->senders[c->p->nsenders], MONEY_SMS_NAME_MAX, rest, strlen(rest)))
            return lerr(c, "want: sender ID (8 at most)");
        c->p->nsenders++;
        return KZ_OK;
    }
    if (strcmp(kw, "pattern") == 0)
        return add_pattern(c, rest);
    if (!pt)
        return lerr(c, "unknown keyword, or a pattern line before any 'pattern TYPE'");
    if (strcmp(kw, "failure") == 0)
        return set_failure(c, pt, rest);
    if (strcmp(kw, "regex") == 0)
        return set_regex(c, pt, rest);
    if (strcmp(kw, "field") == 0 || strcmp(kw, "set") == 0)
        return add_field(c, pt, rest, kw[0] == 's');
    return lerr(c, "unknown keyword");
}

static kz_status check_provider(load_ctx *c)
{
    if (!c->p->name[0] || !c->p->currency[0])
        return lerr(c, "a provider needs 'provider NAME' and 'currency CODE'");
    for (size_t i = 0; i < c->p->npat; i++)
        if (!c->p->pat[i].compiled)
            return lerr(c, "a pattern without a regex");
    return KZ_OK;
}

/* Split text into lines (LF, optional CR) and feed each non-comment line. */
static kz_status load_lines(load_ctx *c, const char *text, size_t len)
{
    char buf[2048];
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        c->line++;
        if (n >= sizeof buf)
            return lerr(c, "line too long");
        memcpy(buf, text + i, n);
        buf[n] = '\0';
        i = j + 1;
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        kz_status rc = load_line(c, s);
        if (rc != KZ_OK)
            return rc;
    }
    return check_provider(c);
}

kz_status money_sms_load_text(money_sms_set *set, const char *name, const char *text,
                              size_t len, kz_err *err)
{
    if (set->n == set->cap) {
        size_t nc = set->cap ? set->cap * 2 : 8;
        sms_provider *np = realloc(set->prov, nc * sizeof *np);
        if (!np)
            return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        set->prov = np;
        set->cap = nc;
    }
    sms_provider *p = &set->prov[set->n];
    memset(p, 0, sizeof *p);
    load_ctx c = {.name = name, .line = 0, .err = err, .p = p};
    kz_status rc = load_lines(&c, text, len);
    if (rc != KZ_OK) {
        provider_clear(p);
        return rc;
    }
    set->n++;
    return KZ_OK;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static kz_status load_file(money_sms_set *set, const char *dir, const char *fname, kz_err *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, fname);
    FILE *f = fopen(path, "rb");
    if (!f)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: cannot open", path);
    char *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    int toolong = buf && n == 65535 && fgetc(f) != EOF;
    fclose(f);
    if (!buf)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    kz_status rc = toolong ? kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s: too big", path)
                           : money_sms_load_text(set, path, buf, n, err);
    free(buf);
    return rc;
}

kz_status money_sms_load_dir(money_sms_set *set, const char *dir, kz_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: cannot read the directory", dir);
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 256)
        if (has_suffix(de->d_name, ".provider") && (names[n] = strdup(de->d_name)) != NULL)
            n++;
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    kz_status rc = n ? KZ_OK
                     : kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: no .provider files", dir);
    for (size_t i = 0; i < n; i++) {
        if (rc == KZ_OK)
            rc = load_file(set, dir, names[i], err);
        free(names[i]);
    }
    return rc;
}

int money_sms_sender_known(const money_sms_set *set, const char *sender)
{
    for (size_t i = 0; sender && i < set->n; i++)
        for (size_t j = 0; j < set->prov[i].nsenders; j++)
            if (strcasecmp(set->prov[i].senders[j], sender) == 0)
                return 1;
    return 0;
}

/* ---- normalising values ---- */

static int is_amount_field(const char *name)
{
    return strcmp(name, "amount") == 0 || strcmp(name, "balance") == 0 ||
           strcmp(name, "fee") == 0 || has_suffix(name, "_balance") ||
           has_suffix(name, "_amount");
}

/* Keep digits and the decimal point ("3,500.00" -> "3500.00"). */
static int norm_amount(char *v)
{
    size_t o = 0;
    for (size_t i = 0; v[i]; i++)
        if (isdigit((unsigned char)v[i]) || v[i] == '.')
            v[o++] = v[i];
    v[o] = '\0';
    return o && isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[o - 1]) ? 0 : -1;
}

/* Up to three numbers separated by one of seps; returns how many were read. */
static int read_nums(const char *s, const char *seps, long out[3], char *sep_seen)
{
    int k = 0;
    while (k < 3) {
        char *end;
        if (!isdigit((unsigned char)*s))
            return -1;
        out[k++] = strtol(s, &end, 10);
        s = end;
        if (!*s || *s == ' ')
            break;
        if (!strchr(seps, *s))
            return -1;
        *sep_seen = *s++;
    }
    return *s && *s != ' ' ? -1 : k;
}

/* "31/7/13", "31/01/2014", "2024-05-10" -> "YYYY-MM-DD". */
static int norm_date(char *v, size_t cap)
{
    long n[3];
    char sep = 0;
    if (read_nums(v, "/-.", n, &sep) != 3)
        return -1;
    long y = n[2], m = n[1], d = n[0];
    if (n[0] > 31) { /* year first */
        y = n[0];
        d = n[2];
    }
    if (y < 100)
        y += y >= 70 ? 1900 : 2000;
    if (m < 1 || m > 12 || d < 1 || d > 31 || y > 9999)
        return -1;
    snprintf(v, cap, "%04ld-%02ld-%02ld", y, m, d);
    return 0;
}

/* "6:43 PM" -> "18:43"; "16:30:51" stays; "1:38 AM" -> "01:38". */
static int norm_time(char *v, size_t cap)
{
    long n[3];
    char sep = 0;
    int k = read_nums(v, ":", n, &sep);
    if (k < 2)
        return -1;
    const char *ampm = strchr(v, ' ');
    if (ampm) {
        ampm++;
        int pm = strncasecmp(ampm, "PM", 2) == 0;
        if (!pm && strncasecmp(ampm, "AM", 2) != 0)
            return -1;
        if (n[0] < 1 || n[0] > 12)
            return -1;
        n[0] = n[0] % 12 + (pm ? 12 : 0);
    }
    if (n[0] > 23 || n[1] > 59 || (k == 3 && n[2] > 60))
        return -1;
    if (k == 3)
        snprintf(v, cap, "%02ld:%02ld:%02ld", n[0], n[1], n[2]);
    else
        snprintf(v, cap, "%02ld:%02ld", n[0], n[1]);
    return 0;
}

static void strip_spaces(char *v)
{
    size_t o = 0;
    for (size_t i = 0; v[i]; i++)
        if (v[i] != ' ')
            v[o++] = v[i];
    v[o] = '\0';
}

static void trim(char *v)
{
    size_t n = strlen(v), s = 0;
    while (n && (v[n - 1] == ' ' || v[n - 1] == ','))
        v[--n] = '\0';
    while (v[s] == ' ')
        s++;
    memmove(v, v + s, n - s + 1);
}

static int norm_currency(const sms_provider *p, char *v, size_t cap)
{
    for (size_t i = 0; i < p->naliases; i++) {
        if (strcasecmp(p->alias[i], v) == 0) {
            snprintf(v, cap, "%s", p->alias_code[i]);
            return 0;
        }
    }
    return -1;
}

static int normalise(const sms_provider *p, money_sms_field *f)
{
    trim(f->value);
    if (is_amount_field(f->name))
        return norm_amount(f->value);
    if (strcmp(f->name, "date") == 0)
        return norm_date(f->value, sizeof f->value);
    if (strcmp(f->name, "time") == 0)
        return norm_time(f->value, sizeof f->value);
    if (strcmp(f->name, "currency") == 0)
        return norm_currency(p, f->value, sizeof f->value);
    if (has_suffix(f->name, "_phone") || strcmp(f->name, "phone") == 0)
        strip_spaces(f->value);
    return f->value[0] ? 0 : -1;
}

/* ---- matching ---- */

/* Collapse whitespace runs into one space and trim. -1 if it does not fit. */
static int squeeze(const char *text, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            space = o > 0;
            continue;
        }
        if (ch == '\0')
            return -1;
        if (o + 2 >= cap)
            return -1;
        if (space)
            out[o++] = ' ';
        space = 0;
        out[o++] = (char)ch;
    }
    out[o] = '\0';
    return 0;
}

static int add_value(money_sms_result *r, const char *name, const char *v, size_t n)
{
    if (r->nfields == MONEY_SMS_FIELDS_MAX || n >= MONEY_SMS_VALUE_MAX)
        return -1;
    money_sms_field *f = &r->f[r->nfields++];
    snprintf(f->name, sizeof f->name, "%s", name);
    memcpy(f->value, v, n);
    f->value[n] = '\0';
    return 0;
}

static int try_pattern(const sms_provider *p, const sms_pattern *pt, const char *s,
                       money_sms_result *out)
{
    regmatch_t m[GROUPS_MAX];
    if (regexec(&pt->re, s, pt->re.re_nsub + 1, m, 0) != 0)
        return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->provider, sizeof out->provider, "%s", p->name);
    snprintf(out->type, sizeof out->type, "%s", pt->type);
    out->failure = pt->failure;
    for (size_t i = 0; i < pt->nmap; i++) {
        int g = pt->map_group[i];
        if (g == 0) {
            if (add_value(out, pt->map_name[i], pt->map_const[i], strlen(pt->map_const[i])))
                return -1;
            continue;
        }
        if (m[g].rm_so < 0)
            continue; /* an optional group that did not take part */
        if (add_value(out, pt->map_name[i], s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so)) ||
            normalise(p, &out->f[out->nfields - 1]) != 0)
            return -1;
    }
    if (!money_sms_get(out, "currency") && add_value(out, "currency", p->currency, 3))
        return -1;
    return 0;
}

static int provider_claims(const sms_provider *p, const char *sender)
{
    for (size_t j = 0; j < p->nsenders; j++)
        if (strcasecmp(p->senders[j], sender) == 0)
            return 1;
    return 0;
}

kz_status money_sms_parse(const money_sms_set *set, const char *sender, const char *text,
                          size_t len, money_sms_result *out)
{
    char s[MONEY_SMS_TEXT_MAX];
    if (len >= MONEY_SMS_TEXT_MAX || squeeze(text, len, s, MONEY_SMS_TEXT_MAX) != 0)
        return KZ_ERR_RANGE;
    for (size_t i = 0; i < set->n; i++) {
        const sms_provider *p = &set->prov[i];
        if (sender && !provider_claims(p, sender))
            continue;
        for (size_t k = 0; k < p->npat; k++)
            if (try_pattern(p, &p->pat[k], s, out) == 0)
                return KZ_OK;
    }
    memset(out, 0, sizeof *out);
    return KZ_ERR_NOTFOUND;
}

const char *money_sms_get(const money_sms_result *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->f[i].name, name) == 0)
            return r->f[i].value;
    return NULL;
}

kz_status money_sms_minor(const money_sms_result *r, const char *name, int64_t *minor)
{
    const char *v = money_sms_get(r, name);
    const char *cur = money_sms_get(r, "currency");
    if (!v)
        return KZ_ERR_NOTFOUND;
    return money_parse(v, strlen(v), cur ? cur : "", minor, NULL);
}
