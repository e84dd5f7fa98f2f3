/*
 * log.h - the daemon's log: one line per event with a level, to stderr and
 * optionally syslog (the journal reads stderr under systemd).
 * Owns: the level threshold and the line format. Never receives secrets: the
 * callers pass names, ids and reasons, never a PIN, a token or a message body.
 * Only gateway/ logs; modem/ and tasks/ report through return values and
 * callbacks.
 */
#ifndef KAZI_LOG_H
#define KAZI_LOG_H

#include <stdbool.h>

typedef enum log_level {
    LOG_LVL_ERROR = 0,
    LOG_LVL_WARN = 1,
    LOG_LVL_INFO = 2,
    LOG_LVL_DEBUG = 3
} log_level;

/*
 * Set the program name, the threshold (events above it are dropped) and
 * whether lines also go to syslog (facility daemon). May be called again
 * (SIGHUP) to change the level or syslog; openlog/closelog follow.
 */
void log_setup(const char *ident, log_level level, bool use_syslog);

/* Close syslog if it was opened. */
void log_close(void);

/* The current threshold. */
log_level log_get_level(void);

/* Constant name of a level ("error", "warn", "info", "debug"). */
const char *log_level_name(log_level l);

/* Parse a level name; -1 if unknown. */
int log_level_parse(const char *s);

/* One line at level: printf-formatted, newlines in the text become spaces. */
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
