/*
 * test_config.c - gateway/config.c: every key type with its bounds, the
 * defaults (and that they agree with engine_config_defaults and
 * conv_config_defaults), unknown and duplicate keys and sections, errors as
 * file:line, the secrets permission rule, reload diffs, and the malformed
 * files of tests/data/config/ (each says on its first line "# expect: TEXT").
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conv.h"
#include "engine.h"
#include "harness.h"

#define MIN_MODEM "[modem m1]\nport = /dev/ttyUSB0\n"

static kz_config cfg;
static cfg_errors errs;

static size_t load(const char *text)
{
    return config_load_string(text, "t.conf", &cfg, &errs);
}

static int has_error(const char *want)
{
    for (size_t i = 0; i < errs.n; i++)
        if (strstr(errs.msg[i], want))
            return 1;
    return 0;
}

static void print_errors(void)
{
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "    %s\n", errs.msg[i]);
}

static void test_minimal_and_defaults(void)
{
    size_t n = load("[gateway]\ndatabase = /tmp/k.db\n" MIN_MODEM);
    KT_CHECK(n == 0, "minimal file: %zu errors", n);
    KT_STREQ(cfg.database, "/tmp/k.db", "database");
    KT_CHECK(cfg.nmodems == 1 && strcmp(cfg.modems[0].name, "m1") == 0, "one modem");
    KT_CHECK(cfg.modems[0].baud == 115200 && cfg.modems[0].enabled && cfg.modems[0].storage == 0,
             "modem defaults");
    KT_CHECK(cfg.modems[0].line == 3, "modem line %d", cfg.modems[0].line);
    KT_CHECK(cfg.engine.push_from_minute == 420 && cfg.engine.push_to_minute == 1140, "window");
    KT_CHECK(cfg.engine.tz_offset_minutes == 180, "tz %d", cfg.engine.tz_offset_minutes);
    KT_CHECK(cfg.housekeeping_s == 30 && cfg.retry_max_s == 3600 && cfg.validity_s == 86400,
             "durations");
    KT_CHECK(cfg.engine.sms_refund_minor == 120, "refund %lld",
             (long long)cfg.engine.sms_refund_minor);
    KT_CHECK(cfg.after_crash == CFG_AFTER_CRASH_UNKNOWN && cfg.status_reports, "outbox");
    KT_STREQ(cfg.country, "KE", "country");
    KT_STREQ(cfg.http_listen, "", "http listen off");
}

/* The table's defaults are the engine's and the conversation's own. */
static void test_defaults_agree(void)
{
    engine_config e;
    engine_config_defaults(&e);
    conv_config c;
    conv_config_defaults(&c);
    kz_config d;
    config_defaults(&d);
    KT_CHECK(memcmp(&e, &d.engine, sizeof e) == 0, "engine defaults differ from the table");
    KT_CHECK(d.engine.offer_seconds == e.offer_seconds && d.engine.more_seconds == e.more_seconds &&
                 d.engine.max_open_per_worker == e.max_open_per_worker &&
                 d.engine.agreement_percent == e.agreement_percent,
             "engine: offer %d more %d open %d agree %d", d.engine.offer_seconds,
             d.engine.more_seconds, d.engine.max_open_per_worker, d.engine.agreement_percent);
    KT_STREQ(d.terms_version, c.terms_version, "terms_version");
    KT_STREQ(d.provider, c.provider, "provider");
    KT_STREQ(cfg_lang_name(d.conv_default_lang), c.default_lang, "default_lang");
    KT_CHECK(d.max_replies_hour == c.max_replies_hour && d.max_replies_day == c.max_replies_day &&
                 d.max_stranger_day == c.max_stranger_day && d.max_total_day == c.max_total_day,
             "reply limits");
    KT_CHECK(d.payout_min_minor == c.payout_min_minor, "payout_min %lld",
             (long long)d.payout_min_minor);
}

/* Every default, written into a file, parses without error (and the table fits). */
static void test_table_defaults_parse(void)
{
    char *text = calloc(1, 16384);
    size_t len = 0, keys = 0;
    for (int s = 0; cfg_sections[s]; s++) {
        const char *sec = cfg_sections[s];
        int modem = strcmp(sec, "modem") == 0;
        len += (size_t)snprintf(text + len, 16384 - len, "[%s%s]\n", sec, modem ? " m1" : "");
        for (const cfg_key *k = cfg_keys; k->key; k++) {
            if (strcmp(k->section, sec) != 0)
                continue;
            keys++;
            const char *v = k->def ? k->def : strcmp(k->key, "database") == 0 ? "/tmp/x.db"
                                                                              : "/dev/ttyUSB0";
            len += (size_t)snprintf(text + len, 16384 - len, "%s = %s\n", k->key, v);
        }
    }
    KT_CHECK(keys < 128, "table of %zu keys outgrows CFG_NKEYS", keys);
    size_t n = load(text);
    KT_CHECK(n == 0, "every default written out: %zu errors", n);
    print_errors();
    free(text);
}

static void test_types(void)
{
    size_t n = load("[gateway]\ndatabase = /tmp/k.db\ntimezone = -05:30\npush_from = 06:15\n"
                    "push_to = 22:00\nlog_level = DEBUG\nsyslog = on\n"
                    "[outbox]\nretry_base = 45\nretry_max = 2h\nvalidity = 3d\n"
                    "after_crash = resend\nsending_timeout = 15m\n"
                    "[money]\ncurrency = KES\nsms_refund = 2.50\n"
                    "[http]\nlisten = [::1]:8080\n"
                    "[modem m1]\nport = \"/dev/serial/by-id/usb-x\"\nstorage = me\npin = 1234\n"
                    "prefixes = +25470, +25471\n");
    KT_CHECK(n == 0, "types: %zu errors", n);
    print_errors();
    KT_CHECK(cfg.engine.tz_offset_minutes == -330, "tz %d", cfg.engine.tz_offset_minutes);
    KT_CHECK(cfg.engine.push_from_minute == 375 && cfg.engine.push_to_minute == 1320, "window");
    KT_CHECK(cfg.log_level == 3 && cfg.syslog, "log");
    KT_CHECK(cfg.retry_base_s == 45 && cfg.retry_max_s == 7200 && cfg.validity_s == 259200 &&
                 cfg.sending_timeout_s == 900,
             "durations");
    KT_CHECK(cfg.after_crash == CFG_AFTER_CRASH_RESEND, "after_crash");
    KT_CHECK(cfg.engine.sms_refund_minor == 250, "money");
    KT_STREQ(cfg.http_listen, "[::1]:8080", "listen");
    KT_STREQ(cfg.modems[0].port, "/dev/serial/by-id/usb-x", "quoted port");
    KT_CHECK(cfg.modems[0].storage == 2, "storage ME");
    KT_STREQ(cfg_storage_name(cfg.modems[0].storage), "ME", "storage name");
    KT_STREQ(cfg.modems[0].pin, "1234", "pin");
    /* bounds at both ends */
    KT_CHECK(load("[gateway]\ndatabase=/x\n[outbox]\nmax_attempts = 50\n" MIN_MODEM) == 0, "50");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[outbox]\nmax_attempts = 51\n" MIN_MODEM) == 1 &&
                 has_error("t.conf:4: max_attempts: 51 is out of range (1 to 50)"),
             "51");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[outbox]\nmax_attempts = 0\n" MIN_MODEM) == 1, "0");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[outbox]\nretry_base = 2h\n" MIN_MODEM) == 1 &&
                 has_error("retry_base: 2h is out of range (1 to 3600 seconds)"),
             "duration bound");
    KT_CHECK(load("[gateway]\ndatabase=/x\npush_from = 24:00\n" MIN_MODEM) == 1, "24:00");
    KT_CHECK(load("[gateway]\ndatabase=/x\ntimezone = +15:00\n" MIN_MODEM) == 1, "+15:00");
    KT_CHECK(load("[gateway]\ndatabase=/x\ntimezone = Z\n" MIN_MODEM) == 0 &&
                 cfg.engine.tz_offset_minutes == 0,
             "Z");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[money]\ncurrency = kes\n" MIN_MODEM) == 1 &&
                 has_error("currency: 'kes' is not an ISO 4217 code"),
             "currency");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[outbox]\nretry_base = 10m\nretry_max = 5m\n" MIN_MODEM) ==
                 1,
             "retry_max < retry_base");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[modem m1]\nport = /dev/a\npin = 12345678901234567\n") ==
                 1 && has_error("pin: longer than 15 characters") && !has_error("1234567890"),
             "a long pin is refused without echoing it");
    KT_CHECK(load("[gateway]\ndatabase=/x\n[modem m1]\nport = /dev/a\n[modem m2]\nport = /dev/b\n"
                  "[modem m3]\nport=/dev/c\n[modem m4]\nport=/dev/d\n[modem m5]\nport=/dev/e\n"
                  "[modem m6]\nport=/dev/f\n[modem m7]\nport=/dev/g\n[modem m8]\nport=/dev/h\n"
                  "[modem m9]\nport=/dev/i\n") == 1 &&
                 has_error("too many modems"),
             "nine modems");
}

static void test_errors_accumulate(void)
{
    size_t n = load("[gateway]\ndatabase = /x\nfoo = 1\nbar = 2\n[nope]\nx = 1\n" MIN_MODEM);
    KT_CHECK(n == 3, "three errors, got %zu", n);
    KT_CHECK(has_error("t.conf:3: unknown key 'foo' in [gateway]") &&
                 has_error("t.conf:4: unknown key 'bar'") && has_error("t.conf:5: unknown section [nope]"),
             "each with its line");
}

/* Files in tests/data/config: the first line says what the error is ("OK": none). */
static void test_files(void)
{
    const char *dir = "tests/data/config";
    DIR *dp = opendir(dir);
    KT_CHECK(dp != NULL, "%s missing (run from the repository root)", dir);
    if (!dp)
        return;
    int files = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
            continue;
        char path[512], first[512] = "";
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        if (!f || !fgets(first, sizeof first, f)) {
            KT_CHECK(0, "%s unreadable", path);
            if (f)
                fclose(f);
            continue;
        }
        fclose(f);
        first[strcspn(first, "\n")] = '\0';
        const char *want = strncmp(first, "# expect: ", 10) == 0 ? first + 10 : "";
        KT_CHECK(want[0], "%s: no '# expect:' line", path);
        size_t n = config_load(path, &cfg, &errs);
        files++;
        if (strcmp(want, "OK") == 0) {
            KT_CHECK(n == 0, "%s: %zu errors", path, n);
            print_errors();
            continue;
        }
        KT_CHECK(n >= 1 && has_error(want), "%s: want '%s'", path, want);
        if (!(n >= 1 && has_error(want)))
            print_errors();
        KT_CHECK(n == 0 || strncmp(errs.msg[0], path, strlen(path)) == 0, "%s: error names file",
                 path);
    }
    closedir(dp);
    size_t n = config_load("docs/kazi.conf.example", &cfg, &errs);
    KT_CHECK(n == 0, "docs/kazi.conf.example: %zu errors", n);
    KT_CHECK(files >= 20, "only %d malformed files", files);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(path, mode);
}

static void test_secrets(void)
{
    char dir[] = "/tmp/kazi-cfg-XXXXXX";
    if (!mkdtemp(dir)) {
        KT_CHECK(0, "mkdtemp");
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "%s/k.conf", dir);
    const char *with_pin = "[gateway]\ndatabase = /x\n[modem m1]\nport = /dev/a\npin = 4321\n";
    write_file(path, with_pin, 0644);
    KT_CHECK(config_load(path, &cfg, &errs) == 1 &&
                 has_error("holds a secret (a PIN, a password or a token) but is readable by group or others (mode 0644)"),
             "world-readable file with a PIN refused");
    KT_CHECK(!has_error("4321"), "the PIN is never in an error");
    write_file(path, with_pin, 0640);
    KT_CHECK(config_load(path, &cfg, &errs) == 1, "group-readable refused");
    write_file(path, with_pin, 0600);
    KT_CHECK(config_load(path, &cfg, &errs) == 0, "0600 accepted");
    write_file(path, "[gateway]\ndatabase = /x\n" MIN_MODEM, 0644);
    KT_CHECK(config_load(path, &cfg, &errs) == 0, "no PIN: 0644 is fine");
    unlink(path);
    KT_CHECK(config_load(path, &cfg, &errs) == 1 && has_error("No such file"), "missing file");
    rmdir(dir);
}

typedef struct diff_seen {
    char what[16][64];
    bool reload[16];
    int n;
} diff_seen;

static void note(void *ctx, const char *section, const char *key, bool reloadable)
{
    diff_seen *s = ctx;
    if (s->n < 16) {
        snprintf(s->what[s->n], sizeof s->what[0], "%s.%s", section, key);
        s->reload[s->n++] = reloadable;
    }
}

static int seen(const diff_seen *s, const char *what, bool reload)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->what[i], what) == 0 && s->reload[i] == reload)
            return 1;
    return 0;
}

static void test_diff_and_reload(void)
{
    kz_config a, b;
    load("[gateway]\ndatabase = /a.db\nlog_level = info\n[modem m1]\nport = /dev/a\n"
         "[modem m2]\nport = /dev/b\n");
    a = cfg;
    load("[gateway]\ndatabase = /b.db\nlog_level = debug\n[modem m1]\nport = /dev/a\n"
         "daily_sms_cap = 100\n[modem m3]\nport = /dev/c\n");
    b = cfg;
    diff_seen s = {.n = 0};
    size_t n = config_diff(&a, &b, note, &s);
    KT_CHECK(n == 5, "5 differences, got %zu", n);
    KT_CHECK(seen(&s, "gateway.database", false), "database needs a restart");
    KT_CHECK(seen(&s, "gateway.log_level", true), "log_level reloads");
    KT_CHECK(seen(&s, "modem m1.daily_sms_cap", true), "modem key");
    KT_CHECK(seen(&s, "modem m2.(section removed)", true), "removed modem");
    KT_CHECK(seen(&s, "modem m3.(section added)", true), "added modem");
    config_apply_reloadable(&a, &b);
    KT_STREQ(a.database, "/a.db", "database kept");
    KT_CHECK(a.log_level == 3, "log_level applied");
    KT_CHECK(config_modem_same_device(&b.modems[0], &a.modems[0]), "same device");
    KT_CHECK(config_diff(&b, &b, note, &s) == 0, "no change");
}

static void test_reference(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_reference(f);
    fclose(f);
    KT_CHECK(buf && strstr(buf, "### [gateway]") && strstr(buf, "### [modem NAME]"), "sections");
    KT_CHECK(buf && strstr(buf, "| `database` | string | required |"), "database row");
    KT_CHECK(buf && strstr(buf, "| `push_from` | time of day | `07:00` |"), "push_from row");
    free(buf);
}

int main(void)
{
    test_minimal_and_defaults();
    test_defaults_agree();
    test_table_defaults_parse();
    test_types();
    test_errors_accumulate();
    test_files();
    test_secrets();
    test_diff_and_reload();
    test_reference();
    return kt_report();
}
