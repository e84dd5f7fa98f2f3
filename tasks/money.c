/*
 * money.c - parsing and formatting of money amounts (see money.h).
 * Owns: the small table of known currencies. Never uses floating point.
 */
#include "money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct currency_info {
    const char *code;
    const char *symbol;
    int exponent;
} currency_info;

static const currency_info currencies[] = {
    {"KES", "KSh", 2}, {"TZS", "TSh", 2}, {"UGX", "USh", 0}, {"NGN", "NGN", 2},
    {"GHS", "GHS", 2}, {"USD", "USD", 2}, {"EUR", "EUR", 2},
};

static const currency_info *find_currency(const char *code)
{
    for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++)
        if (code && strcasecmp(code, currencies[i].code) == 0)
            return &currencies[i];
    return NULL;
}

int money_exponent(const char *currency)
{
    const currency_info *c = find_currency(currency);
    return c ? c->exponent : 2;
}

const char *money_symbol(const char *currency)
{
    const currency_info *c = find_currency(currency);
    return c ? c->symbol : (currency ? currency : "");
}

/* If s[*i..n) starts with word (case-insensitive), skip it. */
static int skip_word(const char *s, size_t n, size_t *i, const char *word)
{
    size_t wl = strlen(word);
    if (wl && n - *i >= wl && strncasecmp(s + *i, word, wl) == 0) {
        *i += wl;
        return 1;
    }
    return 0;
}

kz_status money_parse(const char *s, size_t n, const char *currency, int64_t *minor,
                      kz_err *err)
{
    size_t i = 0;
    int exp = money_exponent(currency);
    while (i < n && s[i] == ' ')
        i++;
    if (!skip_word(s, n, &i, money_symbol(currency)))
        (void)skip_word(s, n, &i, currency ? currency : "");
    while (i < n && s[i] == ' ')
        i++;
    while (n > i && s[n - 1] == ' ')
        n--;
    if (i == n)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "no amount");
    int64_t whole = 0;
    size_t digits = 0;
    for (; i < n && (s[i] == ',' || (s[i] >= '0' && s[i] <= '9')); i++) {
        if (s[i] == ',')
            continue;
        whole = whole * 10 + (s[i] - '0');
        if (whole > MONEY_MAX_MINOR)
            return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "amount too large");
        digits++;
    }
    int64_t frac = 0;
    int fdigits = 0;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (++fdigits > exp)
                return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                                  "more than %d decimal%s", exp, exp == 1 ? "" : "s");
            frac = frac * 10 + (s[i] - '0');
        }
    }
    if (i != n || (digits == 0 && fdigits == 0))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "not an amount");
    for (int k = fdigits; k < exp; k++)
        frac *= 10;
    int64_t scale = 1;
    for (int k = 0; k < exp; k++)
        scale *= 10;
    if (whole > MONEY_MAX_MINOR / scale)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "amount too large");
    *minor = whole * scale + frac;
    if (*minor > MONEY_MAX_MINOR)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "amount too large");
    return KZ_OK;
}

size_t money_format(char *out, size_t cap, int64_t minor, const char *currency, int compact)
{
    int exp = money_exponent(currency);
    const char *sym = money_symbol(currency);
    const char *sign = minor < 0 ? "-" : "";
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t scale = 1;
    for (int k = 0; k < exp; k++)
        scale *= 10;
    uint64_t whole = mag / scale, frac = mag % scale;
    int n;
    if (exp == 0 || (compact && frac == 0))
        n = snprintf(out, cap, "%s%s%s%" PRIu64, sign, sym, compact ? "" : " ", whole);
    else
        n = snprintf(out, cap, "%s%s%s%" PRIu64 ".%0*" PRIu64, sign, sym, compact ? "" : " ",
                     whole, exp, frac);
    return n < 0 ? 0 : (size_t)n;
}
