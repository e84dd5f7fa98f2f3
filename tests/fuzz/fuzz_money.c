/*
 * fuzz_money.c - libFuzzer target for mobile-money SMS (tasks/money_sms.c
 * with every .provider file of tasks/providers) and for amounts people type
 * (tasks/money.c). Byte 0: bit 7 set picks the amount mode (low bits: the
 * currency), else the low bits pick the sender (none or a provider's id).
 * SMS checks: only overlong texts or a NUL byte are refused with
 * KZ_ERR_RANGE; the same text with its whitespace squeezed gives the same
 * result; a recognised SMS came from a sender its provider claims, has a
 * type, a three-letter currency, amounts of digits within MONEY_MAX_MINOR,
 * a valid date and time, a transaction id found in the text, and "failed"
 * as its type exactly when it names a failure. Amount checks: a parsed
 * amount is within 0..MONEY_MAX_MINOR and formatting it then parsing again
 * gives it back.
 * Reads tasks/providers (or $KAZI_PROVIDERS) once; never writes files.
 */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "money_sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const senders[] = {NULL, "MPESA", "M-PESA", "AIRTELMONEY", "M-Money",
                                      "mpesa", "Safaricom", "+254712345678"};
static const char *const currencies[] = {"KES", "UGX", "TZS", "RWF", "GHS", "NGN", "CDF", "USD"};

static const money_sms_set *providers(void)
{
    static money_sms_set *set;
    if (set)
        return set;
    const char *dir = getenv("KAZI_PROVIDERS");
    kz_err err;
    set = money_sms_new();
    if (!set || money_sms_load_dir(set, dir ? dir : "tasks/providers", &err) != KZ_OK) {
        fprintf(stderr, "fuzz_money: cannot load providers: %s\n", set ? err.msg : "no memory");
        abort();
    }
    return set;
}

/* Whitespace runs to one space, trimmed: what the matcher sees. */
static size_t squeeze(const uint8_t *s, size_t n, char *out)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = 0;
        out[o++] = (char)s[i];
    }
    out[o] = '\0';
    return o;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

static void check_amount(const money_sms_result *r, const char *name)
{
    const char *v = money_sms_get(r, name);
    if (!v)
        return;
    assert(isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[strlen(v) - 1]));
    assert(strspn(v, "0123456789.") == strlen(v));
    int64_t minor = -1;
    if (money_sms_minor(r, name, &minor) == KZ_OK)
        assert(minor >= 0 && minor <= MONEY_MAX_MINOR);
}

static void check_date_time(const money_sms_result *r)
{
    const char *d = money_sms_get(r, "date");
    if (d) {
        assert(strlen(d) == 10 && d[4] == '-' && d[7] == '-');
        assert(all_digits(d, 4) && all_digits(d + 5, 2) && all_digits(d + 8, 2));
        int m = atoi(d + 5), day = atoi(d + 8);
        assert(m >= 1 && m <= 12 && day >= 1 && day <= 31);
    }
    const char *t = money_sms_get(r, "time");
    if (t) {
        size_t n = strlen(t);
        assert((n == 5 || n == 8) && t[2] == ':' && all_digits(t, 2) && all_digits(t + 3, 2));
        assert(atoi(t) <= 23 && atoi(t + 3) <= 59);
        if (n == 8)
            assert(t[5] == ':' && all_digits(t + 6, 2) && atoi(t + 6) <= 60);
    }
}

static void check_result(const money_sms_result *r, const char *sender, const char *squeezed)
{
    const money_sms_set *set = providers();
    assert(r->provider[0] && r->type[0]);
    assert(r->nfields <= MONEY_SMS_FIELDS_MAX);
    if (sender)
        assert(money_sms_sender_known(set, sender));
    assert((r->failure != MONEY_SMS_FAIL_NONE) == (strcmp(r->type, "failed") == 0));
    for (size_t i = 0; i < r->nfields; i++) {
        assert(memchr(r->f[i].name, '\0', sizeof r->f[i].name));
        assert(memchr(r->f[i].value, '\0', sizeof r->f[i].value));
    }
    const char *cur = money_sms_get(r, "currency");
    assert(cur && strlen(cur) == 3 && isupper((unsigned char)cur[0]) &&
           isupper((unsigned char)cur[1]) && isupper((unsigned char)cur[2]));
    check_amount(r, "amount");
    check_amount(r, "balance");
    check_amount(r, "fee");
    check_date_time(r);
    const char *id = money_sms_get(r, "transaction_id");
    if (id)
        assert(id[0] && strstr(squeezed, id));
}

static void fuzz_sms(const char *sender, const uint8_t *text, size_t len)
{
    static money_sms_result r, again;
    static char squeezed[MONEY_SMS_TEXT_MAX + 1];
    const money_sms_set *set = providers();
    kz_status rc = money_sms_parse(set, sender, (const char *)text, len, &r);
    if (len >= MONEY_SMS_TEXT_MAX || memchr(text, '\0', len)) {
        assert(rc == KZ_ERR_RANGE);
        return;
    }
    assert(rc == KZ_OK || rc == KZ_ERR_NOTFOUND);
    size_t n = squeeze(text, len, squeezed);
    assert(money_sms_parse(set, sender, squeezed, n, &again) == rc);
    assert(memcmp(&r, &again, sizeof r) == 0);
    if (rc != KZ_OK)
        return;
    check_result(&r, sender, squeezed);
    if (sender)
        assert(money_sms_parse(set, NULL, (const char *)text, len, &again) == KZ_OK);
}

static void fuzz_amount(const char *currency, const uint8_t *s, size_t len)
{
    int64_t minor = -1;
    kz_err err;
    kz_status rc = money_parse((const char *)s, len, currency, &minor, &err);
    if (rc != KZ_OK) {
        assert(rc == KZ_ERR_INVALID || rc == KZ_ERR_RANGE);
        return;
    }
    assert(minor >= 0 && minor <= MONEY_MAX_MINOR);
    char text[64];
    for (int compact = 0; compact < 2; compact++) {
        size_t n = money_format(text, sizeof text, minor, currency, compact);
        assert(n < sizeof text);
        int64_t back = -1;
        assert(money_parse(text, n, currency, &back, NULL) == KZ_OK);
        assert(back == minor);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 0x80)
        fuzz_amount(currencies[data[0] % 8], data + 1, size - 1);
    else
        fuzz_sms(senders[data[0] % 8], data + 1, size - 1);
    return 0;
}
