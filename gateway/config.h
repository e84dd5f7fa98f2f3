/*
 * config.h - the daemon's configuration: an INI file (libinih) read into one
 * struct, every key described by one row of a table (gateway/config_keys.c)
 * with its type, bounds, default, whether SIGHUP may change it, and a line of
 * documentation (`kazi serve --print-config-reference` prints the table).
 * Owns: kz_config, the parsing rules and the error format "file:line: message".
 * Never opens the database or a port, never logs: callers print the errors.
 *
 * A minimal file:
 *     [gateway]
 *     database = /var/lib/kazi/kazi.db
 *     [modem m1]
 *     port = /dev/ttyUSB2
 */
#ifndef KAZI_CONFIG_H
#define KAZI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conv_limits.h"
#include "engine.h"

#define CFG_MAX_MODEMS 8
#define CFG_PATH_CAP 256
#define CFG_MAX_ERRORS 20

/* What to do with parts a crash left in state 'sending' (sent or not: nobody knows). */
typedef enum cfg_after_crash {
    CFG_AFTER_CRASH_UNKNOWN = 0, /* mark them 'unknown': never risk sending twice */
    CFG_AFTER_CRASH_RESEND = 1   /* send them again: a worker may get a duplicate */
} cfg_after_crash;

/* One [modem NAME] section. */
typedef struct cfg_modem {
    char name[32];
    char port[CFG_PATH_CAP];
    int baud;
    char pin[16];            /* secret: never logged, never printed */
    int storage;             /* 0 auto, 1 SM, 2 ME, 3 MT (cfg_storage_name) */
    int driver;              /* 0 at (our AT driver), 1 gammu (libgammu), 2 kannel: modem_driver */
    int daily_sms_cap;       /* 0: the [outbox] daily_sms_cap */
    char prefixes[200];      /* "+25470,+25471": recipients this SIM's operator serves */
    bool enabled;
    int max_resets;          /* AT resets without a good init before the modem is dead */
    int command_timeout_s;   /* AT command timeout (AT+CMGS, AT+CUSD: at least 60 s) */
    int boot_wait_s;         /* wait after AT+CFUN=1,1 before talking again */
    int poll_interval_s;     /* registration, signal and storage checks */
    char power_cycle[CFG_PATH_CAP]; /* /bin/sh -c command for a dead modem; "" none */
    int power_cycle_timeout_s;      /* the command is killed after this */
    int power_cycle_backoff_s;      /* wait after a cycle that did not help; doubles */
    int power_cycle_attempts;       /* cycles in a row without success before giving up */
    bool payouts;            /* this SIM holds the [payout] mobile-money account */
    /* driver = kannel (docs/kannel.md) */
    char kannel_sendsms[CFG_PATH_CAP]; /* smsbox's sendsms URL */
    char kannel_username[64];
    char kannel_password[64];  /* secret: never logged, never printed */
    char kannel_from[32];
    char kannel_smsc[32];
    char kannel_callback[CFG_PATH_CAP]; /* our [http] listen as Kannel reaches it */
    char kannel_secret[64];    /* secret: in the URLs Kannel calls back */
    int kannel_in_flight;      /* sendsms requests at once (outbox parts in flight) */
    int line;                /* line of the section header */
} cfg_modem;

typedef struct kz_config {
    char file[CFG_PATH_CAP];          /* the path it was read from */
    /* [gateway] */
    char database[CFG_PATH_CAP];
    char country[3];                  /* ISO 3166 code: local numbers are read in it */
    char templates[CFG_PATH_CAP];     /* "" = built in */
    int log_level;                    /* log_level */
    bool syslog;
    int housekeeping_s;               /* expire offers, auto-accept, modem snapshots */
    int push_interval_s;              /* unsolicited offers are tried this often */
    /* [outbox] */
    int daily_sms_cap;                /* per SIM per local day; 0 = no cap */
    int max_attempts;
    int retry_base_s, retry_max_s;
    bool status_reports;
    int validity_s;                   /* TP-VP asked of the SMSC; 0 = none */
    int max_in_flight;                /* PDUs queued on one modem at once */
    int after_crash;                  /* cfg_after_crash */
    int sending_timeout_s;            /* a part 'sending' this long without an outcome: unknown */
    /* [inbox] */
    int concat_timeout_s;
    /* [limits]: inbound abuse limits (tasks/conv_abuse.c) */
    conv_limits limits;
    /* [engine], [money] and the push window: the task engine's own struct */
    engine_config engine;
    /* [conv] and the rest of [money]: the conversation layer's knobs */
    int conv_default_lang;            /* 0 en, 1 sw */
    char terms_version[32];
    int max_replies_hour, max_replies_day, max_stranger_day, max_total_day;
    int64_t payout_min_minor;
    char provider[16];
    /* [payout] (read by `kazi pay run` too; docs/payouts.md) */
    char payout_pin[32];              /* mobile-money PIN: secret, never logged */
    char payout_script[CFG_PATH_CAP];
    char payout_airtime_script[CFG_PATH_CAP];
    char payout_providers[CFG_PATH_CAP];
    int payout_confirm_timeout_s;
    int64_t payout_daily_cap_minor;
    int64_t payout_run_min_minor;
    /* [http]: USSD callback, console and JSON API (docs/http.md) */
    char http_listen[64];             /* "ADDR:PORT"; "" = no HTTP at all */
    char http_console_listen[64];     /* "" = console and API on http_listen */
    char http_ussd_secret[128];       /* secret: never logged */
    char http_ussd_allow[256];        /* "ADDR[/BITS],..." ; "" = no address allow-list */
    int http_ussd_timeout_s;          /* a USSD session idle this long is over */
    char http_console_password[128];  /* secret: console login */
    char http_api_token[128];         /* secret: API bearer token (also a console login) */
    int http_session_idle_s;          /* a console login idle this long is logged out */
    int http_upload_max;              /* bytes of one request body (CSV upload) */
    int http_max_connections;         /* per listener */
    int http_timeout_s;               /* a connection idle this long is closed */
    /* [modem NAME] */
    cfg_modem modems[CFG_MAX_MODEMS];
    size_t nmodems;
} kz_config;

/* Errors of one parse, each "file:line: message" (or "file: message"). */
typedef struct cfg_errors {
    char msg[CFG_MAX_ERRORS][320];
    size_t n;
    size_t dropped; /* errors beyond CFG_MAX_ERRORS */
} cfg_errors;

/* Every field at its documented default (modems: none). */
void config_defaults(kz_config *cfg);

/*
 * Read path into *cfg (defaults first, then the file). 0 on success; on
 * failure the number of errors, each in errs (cfg is then unusable). Checks:
 * syntax, unknown sections and keys, duplicates, types and bounds, required
 * keys (database; port of each modem; at least one modem), and the secrets
 * rule: a file holding a SIM PIN must not be readable by group or others.
 */
size_t config_load(const char *path, kz_config *cfg, cfg_errors *errs);

/* The same from text in memory (tests); file_name is used in messages. No
 * permission check (there is no file). */
size_t config_load_string(const char *text, const char *file_name, kz_config *cfg,
                          cfg_errors *errs);

/*
 * Compare a running configuration with a newly read one. For each key that
 * differs, call cb with its section, key and whether SIGHUP may apply it
 * (values are not passed: some are secrets). Returns how many differ.
 */
size_t config_diff(const kz_config *a, const kz_config *b,
                   void (*cb)(void *ctx, const char *section, const char *key, bool reloadable),
                   void *ctx);

/* Copy the reloadable keys of src into dst (dst keeps the rest). Modems are the caller's. */
void config_apply_reloadable(kz_config *dst, const kz_config *src);

/* Is modem a the same device as b (port, baud, pin, storage, driver): no reopen needed? */
bool config_modem_same_device(const cfg_modem *a, const cfg_modem *b);

/* The modem section named name, or NULL. */
const cfg_modem *config_modem_find(const kz_config *cfg, const char *name);

/* "en", "sw": the default language's code. */
const char *cfg_lang_name(int lang);

/* "auto", "SM", "ME", "MT"; NULL for auto (what modem_config.storage wants). */
const char *cfg_storage_name(int storage);

/* Print the key reference (Markdown tables, one per section) to f (a FILE *). */
void config_print_reference(void *f);

/* ---- the table (config_keys.c) ---- */

typedef enum cfg_type {
    CFG_STRING = 0,
    CFG_INT,
    CFG_BOOL,
    CFG_DURATION,  /* "90", "90s", "15m", "2h", "1d": stored as int seconds */
    CFG_TIMEOFDAY, /* "07:00": stored as int minutes after midnight */
    CFG_MONEY,     /* "1.20" in the [money] currency: stored as int64 minor units */
    CFG_ENUM,      /* one of `values`: stored as int index */
    CFG_UTCOFFSET, /* "+03:00", "-05:30", "0": stored as int minutes */
    CFG_ADDR       /* "127.0.0.1:8080": stored as text */
} cfg_type;

typedef struct cfg_key {
    const char *section; /* "gateway", "outbox", ...; "modem" for every [modem NAME] */
    const char *key;
    cfg_type type;
    size_t offset;       /* into kz_config, or into cfg_modem for section "modem" */
    size_t size;         /* CFG_STRING/CFG_ADDR: field capacity */
    int64_t min, max;    /* CFG_INT, CFG_DURATION (seconds), CFG_MONEY (minor units) */
    const char *values;  /* CFG_ENUM: "a|b|c" */
    const char *def;     /* default as written in a file; NULL: required */
    bool reload;         /* SIGHUP applies it (for modems: the modem is reopened if needed) */
    const char *help;
} cfg_key;

/* The table, terminated by a row with key NULL; the sections in order. */
extern const cfg_key cfg_keys[];
extern const char *const cfg_sections[];

/* Name of a type as the reference shows it. */
const char *cfg_type_name(cfg_type t);

#endif
