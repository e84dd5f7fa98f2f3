/*
 * fuzz_config.c - libFuzzer target for the configuration file parser
 * (gateway/config.c with the key table of gateway/config_keys.c). The input
 * is the file's text. Checks: every error names the file, at most
 * CFG_MAX_ERRORS are kept, a NUL byte is refused, a SIM or mobile-money PIN
 * never appears in an error message, and parsing is deterministic. A file
 * that loads is printed back as INI from the key table (every key, every
 * modem) and that text loads with no error into a configuration
 * config_diff finds identical: the printed form is stable.
 * Never writes files.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "fuzz.conf"

typedef struct out_buf {
    char *p;
    size_t len, cap;
} out_buf;

static void put(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    assert(n >= 0 && (size_t)n < o->cap - o->len);
    o->len += (size_t)n;
}

/* A string value as the parser will read it back: quoted if it must be. */
static void put_string(out_buf *o, const char *s)
{
    size_t n = strlen(s);
    int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ' ||
                          (n >= 2 && s[0] == '"' && s[n - 1] == '"'));
    put(o, quote ? "\"%s\"" : "%s", s);
}

static void put_enum(out_buf *o, const char *values, int idx)
{
    const char *p = values;
    for (int i = 0; i < idx; i++) {
        p = strchr(p, '|');
        assert(p);
        p++;
    }
    put(o, "%.*s", (int)strcspn(p, "|"), p);
}

static void put_value(out_buf *o, const cfg_key *k, const void *base, const char *currency)
{
    const char *f = (const char *)base + k->offset;
    int i = 0;
    if (k->type != CFG_STRING && k->type != CFG_ADDR && k->type != CFG_BOOL &&
        k->type != CFG_MONEY)
        memcpy(&i, f, sizeof i);
    switch (k->type) {
    case CFG_STRING:
    case CFG_ADDR:
        put_string(o, f);
        return;
    case CFG_BOOL: {
        bool b;
        memcpy(&b, f, sizeof b);
        put(o, "%s", b ? "yes" : "no");
        return;
    }
    case CFG_MONEY: {
        int64_t m;
        memcpy(&m, f, sizeof m);
        int exp = money_exponent(currency);
        int64_t scale = 1;
        for (int e = 0; e < exp; e++)
            scale *= 10;
        if (exp)
            put(o, "%" PRId64 ".%0*" PRId64, m / scale, exp, m % scale);
        else
            put(o, "%" PRId64, m);
        return;
    }
    case CFG_ENUM:
        put_enum(o, k->values, i);
        return;
    case CFG_INT:
        put(o, "%d", i);
        return;
    case CFG_DURATION:
        put(o, "%ds", i);
        return;
    case CFG_TIMEOFDAY:
        put(o, "%02d:%02d", i / 60, i % 60);
        return;
    case CFG_UTCOFFSET:
        put(o, "%c%02d:%02d", i < 0 ? '-' : '+', abs(i) / 60, abs(i) % 60);
        return;
    }
}

/* The whole configuration as an INI file, from the key table. */
static void print_config(const kz_config *cfg, out_buf *o)
{
    const char *cur = cfg->engine.currency;
    for (int s = 0; cfg_sections[s]; s++) {
        if (strcmp(cfg_sections[s], "modem") == 0)
            continue;
        put(o, "[%s]\n", cfg_sections[s]);
        for (const cfg_key *k = cfg_keys; k->key; k++) {
            if (strcmp(k->section, cfg_sections[s]) != 0)
                continue;
            put(o, "%s=", k->key);
            put_value(o, k, cfg, cur);
            put(o, "\n");
        }
    }
    for (size_t m = 0; m < cfg->nmodems; m++) {
        put(o, "[modem %s]\n", cfg->modems[m].name);
        for (const cfg_key *k = cfg_keys; k->key; k++) {
            if (strcmp(k->section, "modem") != 0)
                continue;
            put(o, "%s=", k->key);
            put_value(o, k, &cfg->modems[m], cur);
            put(o, "\n");
        }
    }
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A PIN that occurs once in the file (as its own value) must not be in any error. */
static void check_secret(const char *text, const cfg_errors *errs, const char *pin)
{
    if (strlen(pin) < 4 || count(text, pin) != 1)
        return;
    for (size_t i = 0; i < errs->n; i++)
        assert(!strstr(errs->msg[i], pin));
}

static void no_diff(void *ctx, const char *section, const char *key, bool reloadable)
{
    (void)ctx;
    (void)reloadable;
    fprintf(stderr, "fuzz_config: [%s] %s differs after printing\n", section, key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kz_config cfg, again;
    static cfg_errors errs, errs2;
    static char printed[1 << 16];
    if (size > 1 << 16)
        return 0;
    char *text = malloc(size + 1);
    assert(text);
    memcpy(text, data, size);
    text[size] = '\0';

    size_t n = config_load_string(text, FILE_NAME, &cfg, &errs);
    assert(n == errs.n && n <= CFG_MAX_ERRORS);
    assert(errs.dropped == 0 || n == CFG_MAX_ERRORS);
    for (size_t i = 0; i < n; i++) {
        assert(strncmp(errs.msg[i], FILE_NAME ":", strlen(FILE_NAME ":")) == 0);
        assert(memchr(errs.msg[i], '\0', sizeof errs.msg[i]));
    }
    check_secret(text, &errs, cfg.payout_pin);
    for (size_t m = 0; m < cfg.nmodems && m < CFG_MAX_MODEMS; m++)
        check_secret(text, &errs, cfg.modems[m].pin);
    assert(cfg.nmodems <= CFG_MAX_MODEMS);

    /* deterministic */
    assert(config_load_string(text, FILE_NAME, &again, &errs2) == n);
    assert(memcmp(&errs, &errs2, sizeof errs) == 0);
    if (n == 0) {
        assert(memcmp(&cfg, &again, sizeof cfg) == 0);
        assert(config_diff(&cfg, &again, no_diff, NULL) == 0);
        /* printed and read back: the same configuration */
        out_buf o = {printed, 0, sizeof printed};
        print_config(&cfg, &o);
        size_t n2 = config_load_string(printed, FILE_NAME, &again, &errs2);
        if (n2)
            fprintf(stderr, "fuzz_config: printed form refused: %s\n%s", errs2.msg[0], printed);
        assert(n2 == 0);
        assert(config_diff(&cfg, &again, no_diff, NULL) == 0);
        assert(again.nmodems == cfg.nmodems);
    }
    free(text);
    return 0;
}
