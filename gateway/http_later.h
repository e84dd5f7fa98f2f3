/*
 * http_later.h - the server's side of answers that come later
 * (http_request_later in http_server.h): each listener's set of requests
 * whose connection is suspended until another thread answers them, the
 * thread that answers them itself when their time is up, and the answers
 * given to every one of them when the listener stops (libmicrohttpd refuses
 * to stop with a connection still suspended).
 * Owns: struct http_later and struct http_later_set. Never used by a
 * handler (handlers see http_server.h only); only gateway/http_server.c
 * calls these.
 */
#ifndef KAZI_HTTP_LATER_H
#define KAZI_HTTP_LATER_H

#include <microhttpd.h>
#include <stdbool.h>

#include "http_server.h"
#include "status.h"

typedef struct http_later_set http_later_set;

/*
 * What the server lends a handler through http_request.later_slot, for
 * the length of one handler call: taken is set by http_request_later.
 */
typedef struct http_later_slot {
    http_later_set *set;
    struct MHD_Connection *conn;
    http_later *taken;
} http_later_slot;

/*
 * A new set for the listener named name (log lines), with the thread that
 * answers requests whose time is up. KZ_OK, KZ_ERR_NOMEM or KZ_ERR_IO (err
 * says why). Free with http_later_set_free.
 */
kz_status http_later_set_new(const char *name, http_later_set **out, kz_err *err);

/*
 * Answer every request of s not answered yet with its status_after, resume
 * their connections, refuse new later answers (http_request_later gives
 * NULL) and join the thread. Before MHD_stop_daemon. NULL-safe.
 */
void http_later_set_close(http_later_set *s);

/* Free s, after the daemon stopped (every connection completed). NULL-safe. */
void http_later_set_free(http_later_set *s);

/*
 * Right after the handler that took w returned, on the listener's thread:
 * true when the connection is now suspended (the answer comes later); false
 * when w was answered already, its answer moved into out (to send now).
 */
bool http_later_suspend(http_later *w, http_response *out);

/* The connection was resumed: its answer moved into out (a 500 if there is none). */
void http_later_collect(http_later *w, http_response *out);

/* The connection completed (answered, client gone, listener stopped): its share of w ends. */
void http_later_release(http_later *w);

#endif
