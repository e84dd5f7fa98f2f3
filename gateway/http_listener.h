/*
 * http_listener.h - one HTTP listener of `kazi serve` (gateway/http_server.c):
 * a bound socket, the libmicrohttpd daemon serving it on one thread of its
 * own, and the routing table that picks the handler for a request.
 * Owns: the listener's life (bind, start, stop), its limits and its role
 * (what it serves). Never used by a handler: handlers see http_server.h only.
 */
#ifndef KAZI_HTTP_LISTENER_H
#define KAZI_HTTP_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "http_server.h"
#include "status.h"

/* What one listener serves. */
typedef enum http_role {
    HTTP_ROLE_ALL,     /* [http] listen alone: /ussd, /kannel/, /api and the console */
    HTTP_ROLE_USSD,    /* [http] listen beside console_listen: /ussd and /kannel/ only */
    HTTP_ROLE_CONSOLE, /* [http] console_listen: the console and /api, never /ussd */
} http_role;

/* Where a path goes on a listener of some role. */
typedef enum http_route {
    HTTP_ROUTE_NOT_FOUND,
    HTTP_ROUTE_USSD,
    HTTP_ROUTE_API,
    HTTP_ROUTE_CONSOLE,
    HTTP_ROUTE_KANNEL, /* /kannel/NAME/mo and /dlr: driver = kannel callbacks */
} http_route;

/* The handlers (tests pass their own; a NULL kannel answers 404). */
typedef struct http_handlers {
    http_handler ussd, console, api;
    http_handler kannel;
} http_handlers;

/* A listener's limits, from [http]. */
typedef struct http_limits {
    size_t upload_max;        /* body of a console or API request; /ussd has HTTP_FORM_BODY_MAX */
    unsigned max_connections; /* open at once */
    unsigned per_ip;          /* open at once from one address (0: 7/8 of max_connections) */
    unsigned timeout_s;       /* an idle connection is closed */
} http_limits;

typedef struct http_listener http_listener;

/*
 * Split "ADDR:PORT" or "[ADDR6]:PORT" into host and port (NUL-terminated,
 * within hcap and pcap bytes). KZ_OK, or KZ_ERR_INVALID (err names the text).
 */
kz_status http_addr_split(const char *text, char *host, size_t hcap, char *port, size_t pcap,
                          kz_err *err);

/*
 * A listening TCP socket bound to exactly text's numeric address and port
 * (IPv6 sockets take IPv6 only). *fd receives it (close-on-exec); KZ_OK, or
 * KZ_ERR_INVALID (not a numeric ADDR:PORT) / KZ_ERR_IO (socket, bind or
 * listen failed), err naming the address and the reason.
 */
kz_status http_bind(const char *text, int *fd, kz_err *err);

/*
 * Serve fd (from http_bind; the listener owns it from now on, even on
 * failure) on a thread of its own. name labels the listener in log lines
 * ("listen", "console_listen"); env is used only on the listener's thread
 * and must outlive it; handlers and lim are copied. *out: stop with
 * http_listener_stop. KZ_OK, KZ_ERR_NOMEM, KZ_ERR_IO, or
 * KZ_ERR_UNSUPPORTED when libmicrohttpd cannot be loaded (http_mhd_load;
 * err says why).
 */
kz_status http_listener_start(int fd, const char *name, http_role role,
                              const http_handlers *handlers, const http_limits *lim,
                              http_env *env, http_listener **out, kz_err *err);

/*
 * Stop accepting, close every connection (requests being read are dropped,
 * a handler running finishes first; requests waiting for a later answer
 * get their status_after now, and a later http_later_answer frees only its
 * own share), join the threads, close the socket and free l. NULL-safe.
 */
void http_listener_stop(http_listener *l);

/*
 * Run fn(ctx) while no handler of l runs (the listener's handlers wait for
 * it): how another thread changes what l's env points to. NULL-safe on l.
 */
void http_listener_exclusive(http_listener *l, void (*fn)(void *ctx), void *ctx);

/* The route of path on a listener of role (paths are exact: "/ussd", "/api", "/api/..."). */
http_route http_route_of(http_role role, const char *path);

/* The methods a route takes, for an Allow header ("POST", "GET, HEAD, POST"). */
const char *http_route_allow(http_route route);

/* Does route take method? (HEAD is a GET without a body.) */
bool http_route_takes(http_route route, const char *method);

/* The largest body route takes with the limits lim. */
size_t http_route_body_max(http_route route, const http_limits *lim);

#endif
