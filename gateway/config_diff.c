/*
 * config_diff.c - what a reload needs from two configurations (which keys
 * changed, and whether SIGHUP may apply each), copying the reloadable keys,
 * and the key reference printed from the table for docs/configuration.md.
 * Owns: nothing but those walks over cfg_keys. Never parses (config.c does),
 * never prints a value (some are secrets).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

/* ---- comparing and reloading ---- */

static size_t field_size(const cfg_key *k)
{
    switch (k->type) {
    case CFG_STRING:
    case CFG_ADDR:
        return k->size;
    case CFG_BOOL:
        return sizeof(bool);
    case CFG_MONEY:
        return sizeof(int64_t);
    default:
        return sizeof(int);
    }
}

static int field_differs(const cfg_key *k, const void *a, const void *b)
{
    const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
    if (k->type == CFG_STRING || k->type == CFG_ADDR)
        return strcmp(fa, fb) != 0;
    return memcmp(fa, fb, field_size(k)) != 0;
}

const cfg_modem *config_modem_find(const kz_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nmodems; i++)
        if (strcmp(cfg->modems[i].name, name) == 0)
            return &cfg->modems[i];
    return NULL;
}

/* driver = kannel: the same smsbox, user, routing and callbacks. */
static bool same_kannel(const cfg_modem *a, const cfg_modem *b)
{
    return strcmp(a->kannel_sendsms, b->kannel_sendsms) == 0 &&
           strcmp(a->kannel_username, b->kannel_username) == 0 &&
           strcmp(a->kannel_password, b->kannel_password) == 0 &&
           strcmp(a->kannel_from, b->kannel_from) == 0 &&
           strcmp(a->kannel_smsc, b->kannel_smsc) == 0 &&
           strcmp(a->kannel_callback, b->kannel_callback) == 0 &&
           strcmp(a->kannel_secret, b->kannel_secret) == 0;
}

bool config_modem_same_device(const cfg_modem *a, const cfg_modem *b)
{
    return strcmp(a->port, b->port) == 0 && a->baud == b->baud && strcmp(a->pin, b->pin) == 0 &&
           a->storage == b->storage && a->driver == b->driver && same_kannel(a, b);
}

static size_t diff_modems(const kz_config *a, const kz_config *b,
                          void (*cb)(void *, const char *, const char *, bool), void *ctx)
{
    size_t n = 0;
    char sec[48];
    for (size_t i = 0; i < a->nmodems; i++) {
        const cfg_modem *mb = config_modem_find(b, a->modems[i].name);
        snprintf(sec, sizeof sec, "modem %s", a->modems[i].name);
        if (!mb) {
            cb(ctx, sec, "(section removed)", true);
            n++;
            continue;
        }
        for (const cfg_key *k = cfg_keys; k->key; k++)
            if (strcmp(k->section, "modem") == 0 && field_differs(k, &a->modems[i], mb)) {
                cb(ctx, sec, k->key, k->reload);
                n++;
            }
    }
    for (size_t i = 0; i < b->nmodems; i++)
        if (!config_modem_find(a, b->modems[i].name)) {
            snprintf(sec, sizeof sec, "modem %s", b->modems[i].name);
            cb(ctx, sec, "(section added)", true);
            n++;
        }
    return n;
}

size_t config_diff(const kz_config *a, const kz_config *b,
                   void (*cb)(void *ctx, const char *section, const char *key, bool reloadable),
                   void *ctx)
{
    size_t n = 0;
    for (const cfg_key *k = cfg_keys; k->key; k++)
        if (strcmp(k->section, "modem") != 0 && field_differs(k, a, b)) {
            cb(ctx, k->section, k->key, k->reload);
            n++;
        }
    return n + diff_modems(a, b, cb, ctx);
}

void config_apply_reloadable(kz_config *dst, const kz_config *src)
{
    for (const cfg_key *k = cfg_keys; k->key; k++)
        if (strcmp(k->section, "modem") != 0 && k->reload)
            memcpy((char *)dst + k->offset, (const char *)src + k->offset, field_size(k));
}

/* ---- the reference ---- */

static void print_range(FILE *f, const cfg_key *k)
{
    if (k->type == CFG_ENUM)
        fprintf(f, "%s", k->values);
    else if (k->type == CFG_INT || k->type == CFG_MONEY)
        fprintf(f, "%lld–%lld%s", (long long)k->min, (long long)k->max,
                k->type == CFG_MONEY ? " minor units" : "");
    else if (k->type == CFG_DURATION)
        fprintf(f, "%llds–%llds", (long long)k->min, (long long)k->max);
    else if (k->type == CFG_TIMEOFDAY)
        fprintf(f, "00:00–23:59");
    else if (k->type == CFG_UTCOFFSET)
        fprintf(f, "-12:00–+14:00");
    else
        fprintf(f, "–");
}

void config_print_reference(void *out)
{
    FILE *f = out;
    for (int s = 0; cfg_sections[s]; s++) {
        const char *sec = cfg_sections[s];
        fprintf(f, "### [%s%s]\n\n", sec, strcmp(sec, "modem") == 0 ? " NAME" : "");
        fprintf(f, "| key | type | default | range | SIGHUP | meaning |\n");
        fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
        for (const cfg_key *k = cfg_keys; k->key; k++) {
            if (strcmp(k->section, sec) != 0)
                continue;
            fprintf(f, "| `%s` | %s | %s%s%s | ", k->key, cfg_type_name(k->type),
                    k->def ? "`" : "", k->def ? (k->def[0] ? k->def : "\"\"") : "required",
                    k->def ? "`" : "");
            print_range(f, k);
            fprintf(f, " | %s | %s |\n", k->reload ? "yes" : "no", k->help);
        }
        fprintf(f, "\n");
    }
}
