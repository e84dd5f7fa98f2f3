/*
 * log.c - the daemon's log lines (see log.h).
 * Owns: the threshold, the syslog connection and the line format:
 *   "2024-01-19T10:00:00Z kazi info: modem m1: ready"   (a terminal or a file)
 *   "kazi info: modem m1: ready"                       (under systemd: the journal stamps it)
 * Any thread may log (the HTTP listeners do): one lock guards the settings
 * and keeps a line and its syslog copy together.
 * Never logs a secret: it cannot tell one from text, so callers never pass one.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static struct {
    char ident[32];
    log_level level;
    bool syslog_open;
} lg = {"kazi", LOG_LVL_INFO, false};
static pthread_mutex_t lg_lock = PTHREAD_MUTEX_INITIALIZER;

void log_setup(const char *ident, log_level level, bool use_syslog)
{
    pthread_mutex_lock(&lg_lock);
    snprintf(lg.ident, sizeof lg.ident, "%s", ident && *ident ? ident : "kazi");
    lg.level = level;
    if (lg.syslog_open && !use_syslog) {
        closelog();
        lg.syslog_open = false;
    } else if (!lg.syslog_open && use_syslog) {
        openlog(lg.ident, LOG_PID, LOG_DAEMON);
        lg.syslog_open = true;
    }
    pthread_mutex_unlock(&lg_lock);
}

void log_close(void)
{
    pthread_mutex_lock(&lg_lock);
    if (lg.syslog_open)
        closelog();
    lg.syslog_open = false;
    pthread_mutex_unlock(&lg_lock);
}

log_level log_get_level(void)
{
    pthread_mutex_lock(&lg_lock);
    log_level l = lg.level;
    pthread_mutex_unlock(&lg_lock);
    return l;
}

const char *log_level_name(log_level l)
{
    return l >= LOG_LVL_ERROR && l <= LOG_LVL_DEBUG ? level_names[l] : "?";
}

int log_level_parse(const char *s)
{
    for (int i = 0; i <= LOG_LVL_DEBUG; i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

static int syslog_priority(log_level l)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    return prio[l];
}

/* Under systemd (JOURNAL_STREAM set) the journal adds the time itself. */
static void stamp(char *out, size_t cap)
{
    out[0] = '\0';
    if (getenv("JOURNAL_STREAM"))
        return;
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ ", &tm);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (level > log_get_level() || level < LOG_LVL_ERROR)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    char when[32];
    stamp(when, sizeof when);
    pthread_mutex_lock(&lg_lock);
    fprintf(stderr, "%s%s %s: %s\n", when, lg.ident, level_names[level], text);
    if (lg.syslog_open)
        syslog(syslog_priority(level), "%s: %s", level_names[level], text);
    pthread_mutex_unlock(&lg_lock);
}
