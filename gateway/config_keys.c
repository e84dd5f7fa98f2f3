/*
 * config_keys.c - the table of every configuration key: section, name, type,
 * where it lands in kz_config, bounds, default, whether SIGHUP applies it and
 * one line of documentation. docs/configuration.md is generated from it
 * (`kazi serve --print-config-reference`).
 * Owns: the keys and their defaults. Never parses (config.c does).
 * The [engine] and [money] defaults are the Kenyan figures of
 * ../shared/economics.md, as engine_config_defaults() has them.
 */
#include <stddef.h>

#include "config.h"

#define G(f) offsetof(kz_config, f)
#define M(f) offsetof(cfg_modem, f)
#define SZ(f) sizeof(((kz_config *)0)->f)
#define MSZ(f) sizeof(((cfg_modem *)0)->f)
#define DAY 86400

const char *const cfg_sections[] = {"gateway", "outbox", "inbox", "engine", "conv",
                                    "money", "payout", "http", "modem", "limits", NULL};

const cfg_key cfg_keys[] = {
    /* [gateway] */
    {"gateway", "database", CFG_STRING, G(database), SZ(database), 0, 0, NULL, NULL, false,
     "the SQLite file, or a postgresql:// URI several daemons share (required;"
     " docs/scaling.md); a file is locked (DATABASE.lock) so two daemons never share it"},
    {"gateway", "country", CFG_STRING, G(country), SZ(country), 0, 0, NULL, "KE", false,
     "ISO 3166 country: local numbers (07...) are read as this country's"},
    {"gateway", "timezone", CFG_UTCOFFSET, G(engine.tz_offset_minutes), 0, -720, 840, NULL,
     "+03:00", true, "local time of the deployment as an offset from UTC (days, hours, caps)"},
    {"gateway", "templates", CFG_STRING, G(templates), SZ(templates), 0, 0, NULL, "", true,
     "directory of message templates; empty: the ones installed with kazi"},
    {"gateway", "log_level", CFG_ENUM, G(log_level), 0, 0, 0, "error|warn|info|debug", "info",
     true, "lines below this level are not written"},
    {"gateway", "syslog", CFG_BOOL, G(syslog), 0, 0, 0, NULL, "no", true,
     "also send log lines to syslog (stderr goes to the journal under systemd anyway)"},
    {"gateway", "push_from", CFG_TIMEOFDAY, G(engine.push_from_minute), 0, 0, 1439, NULL,
     "07:00", true, "unsolicited messages (task offers) only from this local time ..."},
    {"gateway", "push_to", CFG_TIMEOFDAY, G(engine.push_to_minute), 0, 0, 1439, NULL, "19:00",
     true, "... until this one; replies to a worker's own message are sent at any hour"},
    {"gateway", "housekeeping_interval", CFG_DURATION, G(housekeeping_s), 0, 1, 3600, NULL,
     "30s", true, "how often offers expire, answers are auto-accepted and modem state is saved"},
    {"gateway", "push_interval", CFG_DURATION, G(push_interval_s), 0, 5, DAY, NULL, "60s", true,
     "how often workers who may get an unsolicited task are offered one"},

    /* [outbox] */
    {"outbox", "daily_sms_cap", CFG_INT, G(daily_sms_cap), 0, 0, 1000000, NULL, "0", true,
     "SMS parts one SIM may send per local day (SIM bundles have limits); 0: no cap"},
    {"outbox", "max_attempts", CFG_INT, G(max_attempts), 0, 1, 50, NULL, "5", true,
     "send attempts of one part before the message is failed"},
    {"outbox", "retry_base", CFG_DURATION, G(retry_base_s), 0, 1, 3600, NULL, "30s", true,
     "wait after the first retryable failure; doubles with each attempt"},
    {"outbox", "retry_max", CFG_DURATION, G(retry_max_s), 0, 1, DAY, NULL, "1h", true,
     "longest wait between two attempts"},
    {"outbox", "status_reports", CFG_BOOL, G(status_reports), 0, 0, 0, NULL, "yes", true,
     "ask the network for delivery reports (state 'delivered')"},
    {"outbox", "validity", CFG_DURATION, G(validity_s), 0, 0, 30 * DAY, NULL, "1d", true,
     "how long the SMS centre keeps trying to deliver; 0: the network's default"},
    {"outbox", "max_in_flight", CFG_INT, G(max_in_flight), 0, 1, 16, NULL, "2", true,
     "parts handed to one modem at once"},
    {"outbox", "after_crash", CFG_ENUM, G(after_crash), 0, 0, 0, "unknown|resend", "unknown",
     true, "parts a crash left 'sending' (maybe sent): mark unknown, or send again"},
    {"outbox", "sending_timeout", CFG_DURATION, G(sending_timeout_s), 0, 60, DAY, NULL, "10m",
     true, "a part without an outcome this long after it went to a modem is 'unknown'"},

    /* [inbox] */
    {"inbox", "concat_timeout", CFG_DURATION, G(concat_timeout_s), 0, 30, DAY, NULL, "10m", true,
     "a multipart SMS still missing parts this long is handled as it is, gaps marked"},

    /* [limits]: inbound abuse limits (docs/sms-commands.md, "Limits") */
    {"limits", "rate_max", CFG_INT, G(limits.rate_max), 0, 0, 100000, NULL, "40", true,
     "SMS one number may send per rate_window; more are kept, not acted on (STOP is); 0: none"},
    {"limits", "rate_window", CFG_DURATION, G(limits.rate_window_s), 0, 60, DAY, NULL, "10m",
     true, "the window of rate_max; a number past it gets one short notice per window"},
    {"limits", "max_parts", CFG_INT, G(limits.max_parts), 0, 0, 255, NULL, "6", true,
     "an inbound SMS of more parts is kept unread and gets one short reply; 0: no limit"},
    {"limits", "max_chars", CFG_INT, G(limits.max_chars), 0, 0, 9999, NULL, "918", true,
     "the same for more characters; 0: no limit"},
    {"limits", "repeat_max", CFG_INT, G(limits.repeat_max), 0, 0, 1000, NULL, "5", true,
     "the same text (not an answer, no offer) this often per repeat_window: flagged, not"
     " answered; 0 or 1: no check"},
    {"limits", "repeat_window", CFG_DURATION, G(limits.repeat_window_s), 0, 60, DAY, NULL, "10m",
     true, "the window of repeat_max"},

    /* [engine] */
    {"engine", "offer_time", CFG_DURATION, G(engine.offer_seconds), 0, 60, 7 * DAY, NULL, "1h",
     true, "time to answer an offered task before it returns to the pool"},
    {"engine", "more_time", CFG_DURATION, G(engine.more_seconds), 0, 60, DAY, NULL, "1h", true,
     "time one MORE adds"},
    {"engine", "max_extensions", CFG_INT, G(engine.max_extensions), 0, 0, 10, NULL, "2", true,
     "MOREs allowed per offer"},
    {"engine", "max_open_per_worker", CFG_INT, G(engine.max_open_per_worker), 0, 1, 20, NULL,
     "3", true, "offers one worker may hold at once"},
    {"engine", "gold_per_mille", CFG_INT, G(engine.gold_per_mille), 0, 0, 1000, NULL, "50", true,
     "gold (known-answer) tasks mixed in per 1000 offers"},
    {"engine", "agreement_percent", CFG_INT, G(engine.agreement_percent), 0, 50, 100, NULL, "60",
     true, "share of answers that must agree to resolve a task"},
    {"engine", "max_redundancy_extra", CFG_INT, G(engine.max_redundancy_extra), 0, 0, 20, NULL,
     "2", true, "extra workers an unresolved task may go to before human review"},
    {"engine", "auto_accept_days", CFG_INT, G(engine.auto_accept_days), 0, 1, 365, NULL, "7",
     true, "pending answers are accepted (and paid) after this many days"},

    /* [conv] */
    {"conv", "default_lang", CFG_ENUM, G(conv_default_lang), 0, 0, 0, "en|sw", "en", true,
     "language of replies to people who have not chosen one"},
    {"conv", "terms_version", CFG_STRING, G(terms_version), SZ(terms_version), 0, 0, NULL,
     "2025-01", true, "version of the terms recorded with every JOIN, STOP and return"},
    {"conv", "max_replies_hour", CFG_INT, G(max_replies_hour), 0, 1, 1000, NULL, "15", true,
     "replies without a task offer, per number, per hour (no ping-pong with robots)"},
    {"conv", "max_replies_day", CFG_INT, G(max_replies_day), 0, 1, 10000, NULL, "50", true,
     "the same per 24 hours"},
    {"conv", "max_stranger_day", CFG_INT, G(max_stranger_day), 0, 0, 1000, NULL, "2", true,
     "replies to a number that never joined, per 24 hours"},
    {"conv", "max_total_day", CFG_INT, G(max_total_day), 0, 1, 100000, NULL, "300", true,
     "every message, offers included, per number per local day (STOP and money notices pass)"},

    /* [money] */
    {"money", "currency", CFG_STRING, G(engine.currency), SZ(engine.currency), 0, 0, NULL, "KES",
     false, "ISO 4217 currency of rewards and refunds"},
    {"money", "sms_refund", CFG_MONEY, G(engine.sms_refund_minor), 0, 0, 100000, NULL, "1.20",
     true, "paid back per reply segment a worker sends (their SMS cost)"},

    {"money", "payout_min", CFG_MONEY, G(payout_min_minor), 0, 0, 100000000, NULL, "50", true,
     "smallest cash-out a worker may ask for (PAY)"},
    {"money", "provider", CFG_STRING, G(provider), SZ(provider), 0, 0, NULL, "M-Pesa", true,
     "the mobile-money service named to workers"},

    /* [payout]: mobile-money payouts (docs/payouts.md); `kazi pay run` reads the same keys */
    {"payout", "pin", CFG_STRING, G(payout_pin), SZ(payout_pin), 0, 0, NULL, "", false,
     "mobile-money PIN of the gateway's SIM (secret: the file must then be mode 0600)"},
    {"payout", "script", CFG_STRING, G(payout_script), SZ(payout_script), 0, 0, NULL, "", false,
     "provider USSD script for transfers (tasks/providers/*.ussd-script); empty: no ussd payouts"},
    {"payout", "airtime_script", CFG_STRING, G(payout_airtime_script),
     SZ(payout_airtime_script), 0, 0, NULL, "", false,
     "provider USSD script for airtime transfers, the fallback method"},
    {"payout", "providers", CFG_STRING, G(payout_providers), SZ(payout_providers), 0, 0, NULL,
     "", false, "directory of provider SMS pattern files (tasks/providers)"},
    {"payout", "confirm_timeout", CFG_DURATION, G(payout_confirm_timeout_s), 0, 60, 7 * DAY,
     NULL, "10m", false, "wait this long for the provider's confirmation SMS, then 'unknown'"},
    {"payout", "daily_cap", CFG_MONEY, G(payout_daily_cap_minor), 0, 0, 1000000000000LL, NULL,
     "0", false, "most paid out per local day (0: no cap)"},
    {"payout", "min", CFG_MONEY, G(payout_run_min_minor), 0, 0, 100000000, NULL, "0", false,
     "smallest payout `kazi pay run` makes (0: [money] payout_min)"},

    /* [http] */
    {"http", "listen", CFG_ADDR, G(http_listen), SZ(http_listen), 0, 0, NULL, "", false,
     "ADDR:PORT for the USSD callback (POST /ussd), the console (/) and the API (/api); "
     "empty: no HTTP"},
    {"http", "console_listen", CFG_ADDR, G(http_console_listen), SZ(http_console_listen), 0, 0,
     NULL, "", false,
     "ADDR:PORT of a listener of their own for the console and the API (e.g. the LAN only); "
     "then listen serves only /ussd"},
    {"http", "ussd_secret", CFG_STRING, G(http_ussd_secret), SZ(http_ussd_secret), 0, 0, NULL,
     "", false,
     "shared secret the aggregator sends with each USSD callback (secret: file mode 0600)"},
    {"http", "ussd_allow", CFG_STRING, G(http_ussd_allow), SZ(http_ussd_allow), 0, 0, NULL, "",
     false, "addresses or networks (ADDR[/BITS], comma-separated) allowed to call /ussd"},
    {"http", "ussd_timeout", CFG_DURATION, G(http_ussd_timeout_s), 0, 10, 3600, NULL, "180s",
     false, "a USSD session with no request for this long is over"},
    {"http", "console_password", CFG_STRING, G(http_console_password),
     SZ(http_console_password), 0, 0, NULL, "", false,
     "password of the web console (secret: file mode 0600); empty: login by token only"},
    {"http", "api_token", CFG_STRING, G(http_api_token), SZ(http_api_token), 0, 0, NULL, "",
     false, "bearer token of the JSON API, also accepted at the console login (secret)"},
    {"http", "session_idle", CFG_DURATION, G(http_session_idle_s), 0, 10, DAY, NULL, "30m",
     false, "a console login unused for this long must log in again"},
    {"http", "upload_max", CFG_INT, G(http_upload_max), 0, 4096, 1073741824LL, NULL, "16777216",
     false, "largest request body in bytes (a CSV upload)"},
    {"http", "max_connections", CFG_INT, G(http_max_connections), 0, 1, 4096, NULL, "256",
     false, "connections one listener serves at once"},
    {"http", "timeout", CFG_DURATION, G(http_timeout_s), 0, 1, 3600, NULL, "30s", false,
     "a connection idle this long is closed"},

    /* [modem NAME] */
    {"modem", "port", CFG_STRING, M(port), MSZ(port), 0, 0, NULL, NULL, true,
     "serial device (required); prefer /dev/serial/by-id/... names"},
    {"modem", "baud", CFG_INT, M(baud), 0, 1200, 4000000, NULL, "115200", true, "line speed"},
    {"modem", "pin", CFG_STRING, M(pin), MSZ(pin), 0, 0, NULL, "", true,
     "SIM PIN (secret: the file must then be mode 0600); empty: none"},
    {"modem", "storage", CFG_ENUM, M(storage), 0, 0, 0, "auto|SM|ME|MT", "auto", true,
     "message storage to read inbound SMS from"},
    {"modem", "driver", CFG_ENUM, M(driver), 0, 0, 0, "at|gammu|kannel", "at", true,
     "at: Kazi's own AT driver; gammu: drive the device through libgammu (docs/gammu-driver.md); "
     "kannel: send and receive through Kannel's smsbox (docs/kannel.md)"},
    {"modem", "daily_sms_cap", CFG_INT, M(daily_sms_cap), 0, 0, 1000000, NULL, "0", true,
     "this SIM's cap per local day; 0: [outbox] daily_sms_cap"},
    {"modem", "prefixes", CFG_STRING, M(prefixes), MSZ(prefixes), 0, 0, NULL, "", true,
     "comma-separated number prefixes of this SIM's operator (+25470,+25471): preferred for them"},
    {"modem", "enabled", CFG_BOOL, M(enabled), 0, 0, 0, NULL, "yes", true,
     "no: leave the modem closed"},
    {"modem", "max_resets", CFG_INT, M(max_resets), 0, 1, 20, NULL, "3", false,
     "AT resets in a row that do not bring the modem back before it is 'dead'"},
    {"modem", "command_timeout", CFG_DURATION, M(command_timeout_s), 0, 1, 120, NULL, "10s",
     false, "answer time allowed to an AT command (AT+CMGS and AT+CUSD: at least 60 s)"},
    {"modem", "boot_wait", CFG_DURATION, M(boot_wait_s), 0, 1, 120, NULL, "10s", false,
     "wait after a modem restart (AT+CFUN=1,1) unless it says it is ready sooner"},
    {"modem", "poll_interval", CFG_DURATION, M(poll_interval_s), 0, 1, 3600, NULL, "30s", false,
     "how often registration, signal and storage are checked (and an idle modem's death seen)"},
    {"modem", "power_cycle", CFG_STRING, M(power_cycle), MSZ(power_cycle), 0, 0, NULL, "",
     true, "command (run with /bin/sh -c) that powers a dead modem off and on; hardware.md"},
    {"modem", "power_cycle_timeout", CFG_DURATION, M(power_cycle_timeout_s), 0, 1, 600, NULL,
     "60s", true, "the power_cycle command is killed (and counts as failed) after this long"},
    {"modem", "power_cycle_backoff", CFG_DURATION, M(power_cycle_backoff_s), 0, 1, 3600, NULL,
     "30s", true, "wait after a power cycle that did not help; doubles each time, up to 1h"},
    {"modem", "power_cycle_attempts", CFG_INT, M(power_cycle_attempts), 0, 1, 100, NULL, "5",
     true, "power cycles in a row that do not help before the modem is left dead"},
    {"modem", "payouts", CFG_BOOL, M(payouts), 0, 0, 0, NULL, "no", true,
     "this SIM holds the [payout] mobile-money account (same PIN); none set: the first modem"},
    {"modem", "kannel_sendsms", CFG_STRING, M(kannel_sendsms), MSZ(kannel_sendsms), 0, 0, NULL,
     "", true, "driver = kannel: smsbox's sendsms URL (http://127.0.0.1:13013/cgi-bin/sendsms)"},
    {"modem", "kannel_username", CFG_STRING, M(kannel_username), MSZ(kannel_username), 0, 0,
     NULL, "", true, "driver = kannel: the sendsms-user's username"},
    {"modem", "kannel_password", CFG_STRING, M(kannel_password), MSZ(kannel_password), 0, 0,
     NULL, "", true, "driver = kannel: the sendsms-user's password (secret: file mode 0600)"},
    {"modem", "kannel_from", CFG_STRING, M(kannel_from), MSZ(kannel_from), 0, 0, NULL, "", true,
     "driver = kannel: sender of outbound SMS; empty: the sendsms-user's default"},
    {"modem", "kannel_smsc", CFG_STRING, M(kannel_smsc), MSZ(kannel_smsc), 0, 0, NULL, "", true,
     "driver = kannel: smsc-id outbound SMS are routed through; empty: Kannel's routing"},
    {"modem", "kannel_callback", CFG_STRING, M(kannel_callback), MSZ(kannel_callback), 0, 0,
     NULL, "", true,
     "driver = kannel: [http] listen as Kannel reaches it (http://127.0.0.1:8080), for dlr-urls"},
    {"modem", "kannel_secret", CFG_STRING, M(kannel_secret), MSZ(kannel_secret), 0, 0, NULL, "",
     true, "driver = kannel: shared secret in the URLs Kannel calls (/kannel/NAME/mo and /dlr; "
     "letters, digits, - . _ ~; secret: file mode 0600)"},
    {"modem", "kannel_in_flight", CFG_INT, M(kannel_in_flight), 0, 1, 32, NULL, "16", true,
     "driver = kannel: sendsms requests (parts) in flight at once, not [outbox] max_in_flight"},

    {NULL, NULL, CFG_STRING, 0, 0, 0, 0, NULL, NULL, false, NULL},
};
