/*
 * config.c - reading kazi.conf (see config.h): libinih splits lines into
 * sections and key = value pairs; this file feeds it one line at a time
 * (so every error knows its line), checks each pair against the table in
 * config_keys.c and stores the typed value.
 * Owns: the value syntaxes and the error messages. Never logs, never opens
 * anything but the configuration file, never prints a secret's value.
 */
#include "config.h"
#include "db.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "money.h"
#include "phone.h"

#define CFG_FILE_MAX (1024 * 1024)
#define CFG_NKEYS 128
#define CFG_MONEY_PENDING 8

/* A money value waits for the [money] currency, which may come later in the file. */
typedef struct pending_money {
    const cfg_key *k;
    void *base;
    char text[48];
    int line;
} pending_money;

typedef struct parse_ctx {
    const char *file;
    const char *text;
    size_t len, pos;
    int line;
    kz_config *cfg;
    cfg_errors *errs;
    const char *sec;            /* current section kind ("gateway", "modem"), NULL if invalid */
    cfg_modem *modem;           /* current [modem NAME] */
    int sec_line[16];           /* line of each cfg_sections entry seen, 0 if not */
    int key_line[CFG_NKEYS];    /* line each non-modem key was set on */
    int modem_key_line[CFG_MAX_MODEMS][CFG_NKEYS];
    pending_money money[CFG_MONEY_PENDING];
    size_t nmoney;
} parse_ctx;

static void add_error(cfg_errors *errs, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(cfg_errors *errs, const char *file, int line, const char *fmt, ...)
{
    if (errs->n >= CFG_MAX_ERRORS) {
        errs->dropped++;
        return;
    }
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(errs->msg[errs->n], sizeof errs->msg[0], "%s:%d: %s", file, line, text);
    else
        snprintf(errs->msg[errs->n], sizeof errs->msg[0], "%s: %s", file, text);
    errs->n++;
}

const char *cfg_type_name(cfg_type t)
{
    static const char *const names[] = {"string",      "integer", "boolean", "duration",
                                        "time of day", "money",   "enum",    "UTC offset",
                                        "address"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const char *cfg_lang_name(int lang)
{
    return lang == 1 ? "sw" : "en";
}

const char *cfg_storage_name(int storage)
{
    static const char *const names[] = {NULL, "SM", "ME", "MT"};
    return storage >= 0 && storage < 4 ? names[storage] : NULL;
}

/* ---- value parsers: 0 and *out on success, else -1 and why (a static text) ---- */

static int parse_int(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || (!isdigit((unsigned char)v[0]) && v[0] != '-'))
        return -1;
    *out = n;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

static int parse_duration(const char *v, int64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)v[0]))
        return -1;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || n > 100000000)
        return -1;
    int64_t unit = 1;
    if (*end == 'm')
        unit = 60;
    else if (*end == 'h')
        unit = 3600;
    else if (*end == 'd')
        unit = 86400;
    else if (*end != 's' && *end != '\0')
        return -1;
    if (*end && end[1])
        return -1;
    *out = n * unit;
    return 0;
}

/* "HH:MM" with HH 0-23. */
static int parse_timeofday(const char *v, int64_t *out)
{
    if (strlen(v) != 5 || v[2] != ':' || !isdigit((unsigned char)v[0]) ||
        !isdigit((unsigned char)v[1]) || !isdigit((unsigned char)v[3]) ||
        !isdigit((unsigned char)v[4]))
        return -1;
    int h = (v[0] - '0') * 10 + (v[1] - '0'), m = (v[3] - '0') * 10 + (v[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    *out = h * 60 + m;
    return 0;
}

/* "0", "Z", "+3", "+03", "+03:00", "-05:30": minutes, a multiple of 15. */
static int parse_utcoffset(const char *v, int64_t *out)
{
    if (strcmp(v, "0") == 0 || strcasecmp(v, "Z") == 0 || strcasecmp(v, "UTC") == 0)
        return *out = 0, 0;
    if (v[0] != '+' && v[0] != '-')
        return -1;
    int sign = v[0] == '-' ? -1 : 1, h = 0, m = 0;
    const char *p = v + 1;
    int digits = 0;
    while (isdigit((unsigned char)*p) && digits < 2)
        h = h * 10 + (*p++ - '0'), digits++;
    if (digits == 0)
        return -1;
    if (*p == ':') {
        p++;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return -1;
        m = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
    }
    if (*p || m > 59 || m % 15)
        return -1;
    *out = sign * (h * 60 + m);
    return 0;
}

/* "HOST:PORT" (IPv6 as [addr]:port), or "" (off). */
static int parse_addr(const char *v)
{
    if (!*v)
        return 0;
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return -1;
    if (v[0] == '[' && colon[-1] != ']')
        return -1;
    int64_t port;
    if (parse_int(colon + 1, &port) != 0 || port < 1 || port > 65535)
        return -1;
    for (const char *p = v; p < colon; p++)
        if (isspace((unsigned char)*p))
            return -1;
    return 0;
}

static int enum_index(const char *values, const char *v)
{
    size_t n = strlen(v);
    int i = 0;
    for (const char *p = values;; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncasecmp(p, v, n) == 0)
            return i;
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

static int has_control(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7F)
            return 1;
    return 0;
}

/* ---- storing one value ---- */

static int *int_field(void *base, const cfg_key *k)
{
    return (int *)((char *)base + k->offset);
}

static int check_bounds(parse_ctx *c, const cfg_key *k, int64_t n, const char *v)
{
    if (n >= k->min && n <= k->max)
        return 0;
    add_error(c->errs, c->file, c->line, "%s: %s is out of range (%lld to %lld%s)", k->key, v,
              (long long)k->min, (long long)k->max, k->type == CFG_DURATION ? " seconds" : "");
    return -1;
}

static void store_string(parse_ctx *c, const cfg_key *k, void *base, const char *v)
{
    if (has_control(v)) {
        add_error(c->errs, c->file, c->line, "%s: control characters are not allowed", k->key);
        return;
    }
    if (strlen(v) >= k->size) {
        add_error(c->errs, c->file, c->line, "%s: longer than %zu characters", k->key,
                  k->size - 1);
        return;
    }
    memcpy((char *)base + k->offset, v, strlen(v) + 1);
}

static void store_money(parse_ctx *c, const cfg_key *k, void *base, const char *v)
{
    if (c->nmoney == CFG_MONEY_PENDING || strlen(v) >= sizeof c->money[0].text) {
        add_error(c->errs, c->file, c->line, "%s: '%s' is not an amount", k->key, v);
        return;
    }
    pending_money *p = &c->money[c->nmoney++];
    p->k = k;
    p->base = base;
    p->line = c->line;
    snprintf(p->text, sizeof p->text, "%s", v);
}

/* Parse v as k's type into base; errors name the key (never echo a secret's value). */
static void store_value(parse_ctx *c, const cfg_key *k, void *base, const char *v)
{
    int64_t n = 0;
    bool b;
    int idx;
    switch (k->type) {
    case CFG_STRING:
        store_string(c, k, base, v);
        return;
    case CFG_ADDR:
        if (parse_addr(v) != 0) {
            add_error(c->errs, c->file, c->line, "%s: '%s' is not ADDRESS:PORT", k->key, v);
            return;
        }
        store_string(c, k, base, v);
        return;
    case CFG_MONEY:
        store_money(c, k, base, v);
        return;
    case CFG_BOOL:
        if (parse_bool(v, &b) != 0) {
            add_error(c->errs, c->file, c->line, "%s: '%s' is not yes or no", k->key, v);
            return;
        }
        *(bool *)((char *)base + k->offset) = b;
        return;
    case CFG_ENUM:
        idx = enum_index(k->values, v);
        if (idx < 0) {
            add_error(c->errs, c->file, c->line, "%s: '%s' is not one of %s", k->key, v,
                      k->values);
            return;
        }
        *int_field(base, k) = idx;
        return;
    case CFG_INT:
        if (parse_int(v, &n) != 0) {
            add_error(c->errs, c->file, c->line, "%s: '%s' is not a whole number", k->key, v);
            return;
        }
        break;
    case CFG_DURATION:
        if (parse_duration(v, &n) != 0) {
            add_error(c->errs, c->file, c->line,
                      "%s: '%s' is not a duration (like 90s, 15m, 2h, 1d)", k->key, v);
            return;
        }
        break;
    case CFG_TIMEOFDAY:
        if (parse_timeofday(v, &n) != 0) {
            add_error(c->errs, c->file, c->line, "%s: '%s' is not a time of day (HH:MM)", k->key,
                      v);
            return;
        }
        *int_field(base, k) = (int)n;
        return;
    case CFG_UTCOFFSET:
        if (parse_utcoffset(v, &n) != 0) {
            add_error(c->errs, c->file, c->line,
                      "%s: '%s' is not a UTC offset (like +03:00, a multiple of 15 minutes)",
                      k->key, v);
            return;
        }
        break;
    }
    if (check_bounds(c, k, n, v) == 0)
        *int_field(base, k) = (int)n;
}

/* ---- sections and keys ---- */

static int section_index(const char *name)
{
    for (int i = 0; cfg_sections[i]; i++)
        if (strcmp(cfg_sections[i], name) == 0)
            return i;
    return -1;
}

static int valid_modem_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof ((cfg_modem *)0)->name)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

static void modem_defaults(cfg_modem *m);

static void open_modem_section(parse_ctx *c, const char *name)
{
    if (!valid_modem_name(name)) {
        add_error(c->errs, c->file, c->line,
                  "[modem %s]: a modem name is 1-31 letters, digits, '-' or '_'", name);
        return;
    }
    for (size_t i = 0; i < c->cfg->nmodems; i++)
        if (strcmp(c->cfg->modems[i].name, name) == 0) {
            add_error(c->errs, c->file, c->line, "duplicate section [modem %s] (first on line %d)",
                      name, c->cfg->modems[i].line);
            return;
        }
    if (c->cfg->nmodems == CFG_MAX_MODEMS) {
        add_error(c->errs, c->file, c->line, "too many modems (at most %d)", CFG_MAX_MODEMS);
        return;
    }
    cfg_modem *m = &c->cfg->modems[c->cfg->nmodems++];
    modem_defaults(m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->line = c->line;
    c->modem = m;
    c->sec = "modem";
}

/* A "[...]" line: decide which section the following keys belong to. */
static void open_section(parse_ctx *c, const char *line)
{
    c->sec = NULL;
    c->modem = NULL;
    const char *close = strchr(line, ']');
    if (!close)
        return; /* inih reports the syntax error */
    char name[128];
    size_t n = (size_t)(close - line - 1);
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, line + 1, n);
    name[n] = '\0';
    if (strncmp(name, "modem", 5) == 0 && (name[5] == ' ' || name[5] == '\t')) {
        char *p = name + 5;
        while (*p == ' ' || *p == '\t')
            p++;
        open_modem_section(c, p);
        return;
    }
    int i = section_index(name);
    if (i < 0 || strcmp(name, "modem") == 0) {
        add_error(c->errs, c->file, c->line, "unknown section [%s]%s", name,
                  strcmp(name, "modem") == 0 ? " (a modem section is [modem NAME])" : "");
        return;
    }
    if (c->sec_line[i]) {
        add_error(c->errs, c->file, c->line, "duplicate section [%s] (first on line %d)", name,
                  c->sec_line[i]);
        return;
    }
    c->sec_line[i] = c->line;
    c->sec = cfg_sections[i];
}

/* libinih's fgets-style reader: one line per call, leading blanks removed. */
static char *reader(char *str, int num, void *stream)
{
    parse_ctx *c = stream;
    if (c->pos >= c->len)
        return NULL;
    const char *start = c->text + c->pos;
    const char *nl = memchr(start, '\n', c->len - c->pos);
    size_t n = nl ? (size_t)(nl - start) + 1 : c->len - c->pos;
    c->pos += n;
    c->line++;
    while (n && (*start == ' ' || *start == '\t'))
        start++, n--;
    if (n + 1 > (size_t)num) {
        add_error(c->errs, c->file, c->line, "line too long (at most %d characters)", num - 3);
        return NULL;
    }
    memcpy(str, start, n);
    str[n] = '\0';
    if (str[0] == '[')
        open_section(c, str);
    return str;
}

static const cfg_key *find_key(const char *sec, const char *name, int *index)
{
    for (int i = 0; cfg_keys[i].key; i++)
        if (strcmp(cfg_keys[i].section, sec) == 0 && strcasecmp(cfg_keys[i].key, name) == 0) {
            *index = i;
            return &cfg_keys[i];
        }
    return NULL;
}

/* Strip one pair of double quotes around a value. */
static const char *unquote(const char *v, char *buf, size_t cap)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && n - 2 < cap) {
        memcpy(buf, v + 1, n - 2);
        buf[n - 2] = '\0';
        return buf;
    }
    return v;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *c = user;
    if (!section[0]) {
        add_error(c->errs, c->file, c->line, "'%s' is outside any section", name);
        return 1;
    }
    if (!c->sec)
        return 1; /* the section's own error was reported */
    int idx = -1;
    const cfg_key *k = find_key(c->sec, name, &idx);
    if (!k) {
        add_error(c->errs, c->file, c->line, "unknown key '%s' in [%s]", name, section);
        return 1;
    }
    int *seen = c->modem ? &c->modem_key_line[c->modem - c->cfg->modems][idx] : &c->key_line[idx];
    if (*seen) {
        add_error(c->errs, c->file, c->line, "duplicate key '%s' (first set on line %d)", k->key,
                  *seen);
        return 1;
    }
    *seen = c->line;
    char buf[CFG_PATH_CAP];
    store_value(c, k, c->modem ? (void *)c->modem : (void *)c->cfg,
                unquote(value, buf, sizeof buf));
    return 1;
}

/* ---- defaults and checks after the file ---- */

/* Set one row's default into base (defaults are valid: a unit test parses them all). */
static void set_default(const cfg_key *k, void *base)
{
    if (!k->def)
        return;
    cfg_errors errs = {.n = 0};
    parse_ctx c = {.file = "default", .errs = &errs};
    if (k->type == CFG_MONEY) {
        int64_t minor = 0;
        money_parse(k->def, strlen(k->def), "KES", &minor, NULL);
        *(int64_t *)((char *)base + k->offset) = minor;
        return;
    }
    store_value(&c, k, base, k->def);
}

static void modem_defaults(cfg_modem *m)
{
    memset(m, 0, sizeof *m);
    for (const cfg_key *k = cfg_keys; k->key; k++)
        if (strcmp(k->section, "modem") == 0)
            set_default(k, m);
}

void config_defaults(kz_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (const cfg_key *k = cfg_keys; k->key; k++)
        if (strcmp(k->section, "modem") != 0)
            set_default(k, cfg);
}

static void resolve_money(parse_ctx *c)
{
    const char *cur = c->cfg->engine.currency;
    for (size_t i = 0; i < c->nmoney; i++) {
        pending_money *p = &c->money[i];
        int64_t minor = 0;
        kz_err e;
        kz_err_clear(&e);
        if (money_parse(p->text, strlen(p->text), cur, &minor, &e) != KZ_OK) {
            add_error(c->errs, c->file, p->line, "%s: '%s' is not an amount in %s (%s)",
                      p->k->key, p->text, cur, e.msg);
            continue;
        }
        if (minor < p->k->min || minor > p->k->max) {
            add_error(c->errs, c->file, p->line, "%s: %s is out of range", p->k->key, p->text);
            continue;
        }
        *(int64_t *)((char *)p->base + p->k->offset) = minor;
    }
}

static int key_line(const parse_ctx *c, const char *sec, const char *key)
{
    int idx = -1;
    return find_key(sec, key, &idx) ? c->key_line[idx] : 0;
}

static void check_currency(parse_ctx *c)
{
    const char *cur = c->cfg->engine.currency;
    int ok = strlen(cur) == 3;
    for (int i = 0; ok && i < 3; i++)
        ok = isupper((unsigned char)cur[i]);
    if (!ok)
        add_error(c->errs, c->file, key_line(c, "money", "currency"),
                  "currency: '%s' is not an ISO 4217 code (three capital letters)", cur);
}

static bool kannel_keys_set(const cfg_modem *m)
{
    return m->kannel_sendsms[0] || m->kannel_username[0] || m->kannel_password[0] ||
           m->kannel_from[0] || m->kannel_smsc[0] || m->kannel_callback[0] || m->kannel_secret[0];
}

/* A URL of ours or Kannel's: http:// or https:// and something after it. */
static bool http_url(const char *u)
{
    size_t n = strncmp(u, "http://", 7) == 0 ? 7 : strncmp(u, "https://", 8) == 0 ? 8 : 0;
    return n && u[n] && !strpbrk(u, " \t\r\n");
}

/* driver = kannel: what it needs, and the serial keys it does not use. */
static void check_kannel(parse_ctx *c, const cfg_modem *m)
{
    const char *n = m->name;
    if (m->port[0] || m->pin[0] || m->storage != 0)
        add_error(c->errs, c->file, m->line,
                  "[modem %s]: port, pin and storage do not apply to driver = kannel "
                  "(smsbox is kannel_sendsms): remove them", n);
    if (!http_url(m->kannel_sendsms))
        add_error(c->errs, c->file, m->line,
                  "[modem %s]: driver = kannel needs kannel_sendsms = http://HOST:PORT/cgi-bin/sendsms",
                  n);
    size_t len = strlen(m->kannel_secret);
    if (len < 16 || strspn(m->kannel_secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-._~") != len)
        add_error(c->errs, c->file, m->line,
                  "[modem %s]: driver = kannel needs kannel_secret of at least 16 letters, digits "
                  "or - . _ ~ (it goes in the URLs Kannel calls)", n);
    if (m->kannel_callback[0] && !http_url(m->kannel_callback))
        add_error(c->errs, c->file, m->line,
                  "[modem %s]: kannel_callback must be http://HOST:PORT (our [http] listen as "
                  "Kannel reaches it)", n);
    if (!m->kannel_callback[0] && c->cfg->status_reports)
        add_error(c->errs, c->file, m->line,
                  "[modem %s]: [outbox] status_reports needs kannel_callback = http://HOST:PORT "
                  "(where Kannel sends delivery reports)", n);
    if (!c->cfg->http_listen[0])
        add_error(c->errs, c->file, m->line,
                  "[modem %s]: driver = kannel needs [http] listen (Kannel delivers inbound SMS "
                  "to /kannel/%s/mo)", n, n);
}

static void check_whole(parse_ctx *c)
{
    kz_config *cfg = c->cfg;
    if (!cfg->database[0])
        add_error(c->errs, c->file, 0, "[gateway] database = PATH is required");
    if (!phone_country_find(cfg->country))
        add_error(c->errs, c->file, key_line(c, "gateway", "country"),
                  "country: '%s' is not a supported country code", cfg->country);
    if (cfg->engine.push_from_minute == cfg->engine.push_to_minute)
        add_error(c->errs, c->file, key_line(c, "gateway", "push_to"),
                  "push_to: the push window is empty (push_from = push_to)");
    if (cfg->retry_max_s < cfg->retry_base_s)
        add_error(c->errs, c->file, key_line(c, "outbox", "retry_max"),
                  "retry_max: shorter than retry_base");
    check_currency(c);
    if (cfg->nmodems == 0 && !cfg->http_listen[0])
        add_error(c->errs, c->file, 0,
                  "no [modem NAME] section and no [http] listen: at least one is needed");
    for (size_t i = 0; i < cfg->nmodems; i++)
        if (cfg->modems[i].driver == 2)
            check_kannel(c, &cfg->modems[i]);
        else if (!cfg->modems[i].port[0])
            add_error(c->errs, c->file, cfg->modems[i].line, "[modem %s]: port = PATH is required",
                      cfg->modems[i].name);
        else if (kannel_keys_set(&cfg->modems[i]))
            add_error(c->errs, c->file, cfg->modems[i].line,
                      "[modem %s]: the kannel_* keys apply only to driver = kannel",
                      cfg->modems[i].name);
}

/* A postgresql:// URI with a password in it (user:PASSWORD@ or password=). */
static int database_has_password(const char *database)
{
    char shown[CFG_PATH_CAP];
    return strcmp(db_target_safe(database, shown, sizeof shown), database) != 0;
}

static int holds_pin(const kz_config *cfg)
{
    if (cfg->payout_pin[0] || cfg->http_ussd_secret[0] || cfg->http_console_password[0] ||
        cfg->http_api_token[0] || database_has_password(cfg->database))
        return 1;
    for (size_t i = 0; i < cfg->nmodems; i++)
        if (cfg->modems[i].pin[0] || cfg->modems[i].kannel_password[0] ||
            cfg->modems[i].kannel_secret[0])
            return 1;
    return 0;
}

static size_t parse_text(const char *text, size_t len, const char *file, kz_config *cfg,
                         cfg_errors *errs)
{
    config_defaults(cfg);
    snprintf(cfg->file, sizeof cfg->file, "%s", file);
    parse_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        add_error(errs, file, 0, "out of memory");
        return errs->n;
    }
    *c = (parse_ctx){.file = file, .text = text, .len = len, .cfg = cfg, .errs = errs};
    if (memchr(text, '\0', len)) {
        add_error(errs, file, 0, "contains a NUL byte: not a text file");
        free(c);
        return errs->n;
    }
    size_t before = errs->n;
    int rc = ini_parse_stream(reader, c, handler, c);
    int reported = 0;
    for (size_t i = before; i < errs->n; i++) {
        char tag[CFG_PATH_CAP + 16];
        snprintf(tag, sizeof tag, "%s:%d:", file, rc);
        if (strncmp(errs->msg[i], tag, strlen(tag)) == 0)
            reported = 1;
    }
    if (rc > 0 && !reported)
        add_error(errs, file, rc, "syntax error: expected [section] or key = value");
    else if (rc < 0)
        add_error(errs, file, 0, "could not be parsed (out of memory)");
    if (errs->n == before) {
        resolve_money(c);
        check_whole(c);
    }
    free(c);
    return errs->n;
}

size_t config_load_string(const char *text, const char *file_name, kz_config *cfg,
                          cfg_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    return parse_text(text, strlen(text), file_name, cfg, errs);
}

/* Read the whole file; NULL with an error added on failure. */
static char *read_file(const char *path, size_t *len, struct stat *stt, cfg_errors *errs)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        add_error(errs, path, 0, "%s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    if (fstat(fd, stt) != 0 || !S_ISREG(stt->st_mode)) {
        add_error(errs, path, 0, "not a regular file");
    } else if (stt->st_size > CFG_FILE_MAX) {
        add_error(errs, path, 0, "larger than %d bytes", CFG_FILE_MAX);
    } else if (!(buf = malloc((size_t)stt->st_size + 1))) {
        add_error(errs, path, 0, "out of memory");
    } else {
        ssize_t n = read(fd, buf, (size_t)stt->st_size);
        if (n != (ssize_t)stt->st_size) {
            add_error(errs, path, 0, "read failed: %s", n < 0 ? strerror(errno) : "short read");
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    close(fd);
    return buf;
}

size_t config_load(const char *path, kz_config *cfg, cfg_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    config_defaults(cfg);
    struct stat stt;
    size_t len = 0;
    char *text = read_file(path, &len, &stt, errs);
    if (!text)
        return errs->n;
    size_t n = parse_text(text, len, path, cfg, errs);
    free(text);
    if (n == 0 && holds_pin(cfg) && (stt.st_mode & 077))
        add_error(errs, path, 0,
                  "holds a secret (a PIN, a password or a token) but is readable by group or "
                  "others (mode %04o): "
                  "run 'chmod 600 %s' (and chown it to the daemon's user)",
                  (unsigned)(stt.st_mode & 07777), path);
    return errs->n;
}
