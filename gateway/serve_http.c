/*
 * serve_http.c - the [http] listeners inside `kazi serve`: [http] listen
 * (the USSD callback, and the console and API unless console_listen is set)
 * and console_listen, libmicrohttpd loaded (or the daemon refused) and the
 * ports bound before the privilege drop and started after it,
 * each on its own thread with its own database connection and its own copy
 * of the configuration, templates and conversation settings; the eventfd
 * through which their handlers wake the loop.
 * Owns: struct serve_http and everything it holds. Never touches the
 * daemon's own connection (d->st) from a listener's thread, and never lets a
 * handler run while its copies are swapped on a reload.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "http_listener.h"
#include "http_mhd.h"
#include "log.h"
#include "serve.h"
#include "ussd_http.h"
#include "web_auth.h"

#define LISTENERS_MAX 2

/* One listener and what its handlers use. */
typedef struct http_slot {
    const char *key; /* "listen", "console_listen" */
    const char *addr;
    http_role role;
    int fd;          /* bound, until the listener owns it */
    http_listener *l;
    http_env env;
    kz_store *st;
    kz_config cfg;
    conv_config conv;
    tmpl_set *templates;
} http_slot;

struct serve_http {
    int wakefd;
    struct http_sessions *sessions;
    http_slot slot[LISTENERS_MAX];
    size_t n;
};

static const char *role_text(http_role role)
{
    switch (role) {
    case HTTP_ROLE_ALL:
        return "USSD callback, console and API";
    case HTTP_ROLE_USSD:
        return "USSD callback only";
    case HTTP_ROLE_CONSOLE:
        return "console and API";
    }
    return "?";
}

/* env->wake: any thread; a full counter only means a wake is already pending. */
static void wake(void *ctx)
{
    const int *fd = ctx;
    uint64_t one = 1;
    if (write(*fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("http: waking the loop: %s", strerror(errno));
}

static void add_slot(struct serve_http *h, const char *key, const char *addr, http_role role)
{
    h->slot[h->n++] = (http_slot){.key = key, .addr = addr, .role = role, .fd = -1};
}

int serve_http_bind(kz_daemon *d)
{
    const kz_config *c = &d->cfg;
    if (!c->http_listen[0])
        return 0;
    kz_err lib;
    kz_err_clear(&lib);
    if (http_mhd_load(&lib) != KZ_OK) { /* loaded before the privilege drop, or refused */
        log_error("%s", lib.msg);
        return -1;
    }
    struct serve_http *h = calloc(1, sizeof *h);
    if (!h) {
        log_error("http: out of memory");
        return -1;
    }
    d->http = h;
    h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->wakefd < 0) {
        log_error("http: eventfd: %s", strerror(errno));
        return -1;
    }
    bool split = c->http_console_listen[0] != '\0';
    add_slot(h, "listen", c->http_listen, split ? HTTP_ROLE_USSD : HTTP_ROLE_ALL);
    if (split)
        add_slot(h, "console_listen", c->http_console_listen, HTTP_ROLE_CONSOLE);
    for (size_t i = 0; i < h->n; i++) {
        kz_err err;
        kz_err_clear(&err);
        if (http_bind(h->slot[i].addr, &h->slot[i].fd, &err) != KZ_OK) {
            log_error("[http] %s: %s", h->slot[i].key, err.msg);
            return -1;
        }
    }
    return 0;
}

/* The listener's own copies: database connection, configuration, templates, settings. */
static int slot_open(kz_daemon *d, struct serve_http *h, http_slot *s)
{
    kz_err err;
    kz_err_clear(&err);
    if (store_open(d->cfg.database, 0, &s->st, &err) != KZ_OK) {
        log_error("[http] %s: database: %s", s->key, err.msg); /* err names it, masked */
        return -1;
    }
    s->cfg = d->cfg;
    if (serve_templates_load(&s->cfg, &s->templates) != 0)
        return -1;
    serve_conv_fill(&s->cfg, s->templates, &s->conv);
    s->env = (http_env){.st = s->st,
                        .cfg = &s->cfg,
                        .conv = &s->conv,
                        .sessions = h->sessions,
                        .wake = wake,
                        .wake_ctx = &h->wakefd};
    return 0;
}

int serve_http_start(kz_daemon *d)
{
    struct serve_http *h = d->http;
    if (!h)
        return 0;
    if (!(h->sessions = http_sessions_new())) {
        log_error("http: out of memory");
        return -1;
    }
    kz_err check;
    kz_err_clear(&check);
    if (ussd_http_check(&d->cfg, &check) != KZ_OK)
        log_warn("[http] /ussd: %s", check.msg);
    static const http_handlers handlers = {ussd_http_handle, console_handle, api_handle,
                                           kannel_http_handle};
    const http_limits lim = {.upload_max = (size_t)d->cfg.http_upload_max,
                             .max_connections = (unsigned)d->cfg.http_max_connections,
                             .timeout_s = (unsigned)d->cfg.http_timeout_s};
    for (size_t i = 0; i < h->n; i++) {
        http_slot *s = &h->slot[i];
        if (slot_open(d, h, s) != 0)
            return -1;
        kz_err err;
        kz_err_clear(&err);
        int fd = s->fd;
        s->fd = -1; /* the listener owns it now, even if it does not start */
        if (http_listener_start(fd, s->key, s->role, &handlers, &lim, &s->env, &s->l, &err) !=
            KZ_OK) {
            log_error("[http] %s %s: %s", s->key, s->addr, err.msg);
            return -1;
        }
        log_info("http: listening on %s (%s)", s->addr, role_text(s->role));
    }
    return 0;
}

int serve_http_wake_fd(const kz_daemon *d)
{
    return d->http ? d->http->wakefd : -1;
}

bool serve_http_woken(kz_daemon *d)
{
    uint64_t n = 0;
    return d->http && read(d->http->wakefd, &n, sizeof n) == (ssize_t)sizeof n && n > 0;
}

/* What a reload hands to one listener between two of its requests. */
typedef struct swap_ctx {
    http_slot *s;
    const kz_config *cfg;
    tmpl_set *templates; /* in: the new set; out: the old one, to free */
} swap_ctx;

static void swap_copies(void *ctx)
{
    swap_ctx *x = ctx;
    tmpl_set *old = x->s->templates;
    x->s->cfg = *x->cfg;
    x->s->templates = x->templates;
    serve_conv_fill(&x->s->cfg, x->s->templates, &x->s->conv);
    x->templates = old;
}

void serve_http_reload(kz_daemon *d)
{
    struct serve_http *h = d->http;
    for (size_t i = 0; h && i < h->n; i++) {
        http_slot *s = &h->slot[i];
        swap_ctx x = {s, &d->cfg, NULL};
        if (!s->l || serve_templates_load(&d->cfg, &x.templates) != 0)
            continue; /* (logged) the listener keeps the templates it has */
        http_listener_exclusive(s->l, swap_copies, &x);
        tmpl_free(x.templates);
    }
}

void serve_http_close(kz_daemon *d)
{
    struct serve_http *h = d->http;
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        http_slot *s = &h->slot[i];
        if (s->l)
            log_info("http: %s %s stopped", s->key, s->addr);
        http_listener_stop(s->l);
        if (s->fd >= 0)
            close(s->fd);
        store_close(s->st);
        tmpl_free(s->templates);
    }
    if (h->sessions)
        http_sessions_free(h->sessions);
    if (h->wakefd >= 0)
        close(h->wakefd);
    free(h);
    d->http = NULL;
}
