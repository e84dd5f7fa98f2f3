/*
 * http_server.h - the HTTP listeners of `kazi serve` ([http] listen and
 * console_listen) on libmicrohttpd, and the contract between them and the
 * request handlers (USSD callback, console, JSON API).
 * Each listener runs on one thread of its own (libmicrohttpd's internal
 * polling thread) with its own database connection (http_env.st), so a slow
 * request never holds up the modems' loop and a handler never shares a
 * connection with another thread. Handlers see one whole request (the body
 * already read, capped at [http] upload_max) and fill one response.
 * Owns: listening, reading bodies within limits, the routing table, the
 * response headers every answer carries. Never logs a body, a query string
 * or a header value (they may hold secrets); never runs SQL itself.
 */
#ifndef KAZI_HTTP_SERVER_H
#define KAZI_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "conv.h"
#include "status.h"
#include "store.h"

struct http_sessions; /* console logins (gateway/web_auth.c) */

/*
 * What a handler may use. One per listener; only its thread touches it.
 * st is that listener's own connection to the daemon's database; cfg and
 * conv are read-only copies taken when the listeners started (conv.templates
 * points at templates the listeners own).
 */
typedef struct http_env {
    kz_store *st;
    const kz_config *cfg;
    const conv_config *conv;
    struct http_sessions *sessions; /* shared by the listeners; locks inside */
    /* Tell the daemon's loop that outbox or payout work was queued (thread-safe). */
    void (*wake)(void *wake_ctx);
    void *wake_ctx;
} http_env;

/* One uploaded or posted field (multipart/form-data or urlencoded), decoded by libmicrohttpd. */
typedef struct http_field {
    const char *name;     /* field name */
    const char *filename; /* a file upload's name, or NULL */
    const uint8_t *data;  /* value bytes (NUL-terminated copy), len bytes */
    size_t len;
} http_field;

/* One request, complete. Everything is borrowed and valid during the handler only. */
typedef struct http_request {
    const char *method;    /* "GET", "POST", ...; a HEAD arrives as "GET" (no body is sent) */
    const char *path;      /* "/ussd", "/api/batches/3": no query string */
    const char *peer;      /* the client's address: "127.0.0.1", "::1" */
    const uint8_t *body;   /* the raw body (NUL-terminated copy), body_len bytes */
    size_t body_len;
    const http_field *fields; /* form fields of a POST (multipart or urlencoded) */
    size_t nfields;
    void *conn;            /* opaque, for the accessors below */
    void *later_slot;      /* opaque, for http_request_later (NULL: no later answer) */
} http_request;

/* A request header (case-insensitive name), or NULL. */
const char *http_request_header(const http_request *r, const char *name);

/* A decoded query-string argument ("/x?a=1" gives "1" for "a"), or NULL. */
const char *http_request_query(const http_request *r, const char *key);

/* A cookie's value, or NULL. */
const char *http_request_cookie(const http_request *r, const char *name);

/*
 * Is given (what a client sent: a password, token, secret or session id)
 * the same bytes as want? The time depends on given's length only, never on
 * where the first difference is (gateway/http_secret.c).
 */
bool http_secret_equal(const char *given, const char *want);

/* A form field by name (the first with that name), or NULL. */
const http_field *http_request_field(const http_request *r, const char *name);

#define HTTP_MAX_HEADERS 6

/* The answer a handler fills. http_response_* calls copy or take what they are given. */
typedef struct http_response {
    int status;                /* 200, 303, 400, 401, 403, 404, 405, 413, 500 ... */
    char content_type[64];     /* "text/html; charset=utf-8" */
    char *body;                /* owned (malloc); the server frees it after sending */
    size_t len;
    size_t nheaders;
    char header_name[HTTP_MAX_HEADERS][32];
    char *header_value[HTTP_MAX_HEADERS]; /* owned (malloc) */
} http_response;

/* Set status, type and a copy of body[0..len). KZ_OK or KZ_ERR_NOMEM. */
kz_status http_response_set(http_response *r, int status, const char *content_type,
                            const void *body, size_t len);

/* Set status and type and take ownership of body (malloc'd, len bytes). Always succeeds. */
void http_response_take(http_response *r, int status, const char *content_type, char *body,
                        size_t len);

/* Plain-text answer: status and a short message (a copy). KZ_OK or KZ_ERR_NOMEM. */
kz_status http_response_text(http_response *r, int status, const char *text);

/* Add a header (Set-Cookie, Location, Content-Disposition, ...); value copied.
 * KZ_OK, KZ_ERR_NOSPACE past HTTP_MAX_HEADERS, KZ_ERR_NOMEM. */
kz_status http_response_header(http_response *r, const char *name, const char *value);

/* Free what r owns and zero it (the server does this; handlers that start over may too). */
void http_response_clear(http_response *r);

/*
 * An answer that comes later, from any thread: a handler that cannot answer
 * before some other thread's work is done (Kannel's callbacks wait for the
 * loop's commit) takes one, hands it on, and returns without filling its
 * response. The connection is then suspended (no thread waits for it) until
 * http_later_answer gives the answer, or until timeout_ms pass or the
 * listener stops, when the server sends status_after and text_after itself.
 * Shared by the connection and the answerer, freed by the last of the two.
 */
typedef struct http_later http_later;

/*
 * Take the later answer of req (at most one per request), or NULL (the
 * listener is stopping, out of memory, or a request without a connection):
 * then answer now. text_after is copied.
 */
http_later *http_request_later(const http_request *req, int timeout_ms, int status_after,
                               const char *text_after);

/*
 * Answer w (status and a short plain text, copied) and give it up: exactly
 * once per http_request_later, from any thread, even before the handler
 * returned. Once the server answered it itself (timeout, stop) or the
 * client is gone, only w is freed. NULL-safe.
 */
void http_later_answer(http_later *w, int status, const char *text);

/* A request handler. It always leaves a response (a 500 for an internal failure),
 * or took a later answer (http_request_later) and leaves resp empty. */
typedef void (*http_handler)(http_env *env, const http_request *req, http_response *resp);

/* The handlers of the parts (each in its own file). */
void ussd_http_handle(http_env *env, const http_request *req, http_response *resp);
void console_handle(http_env *env, const http_request *req, http_response *resp);
void api_handle(http_env *env, const http_request *req, http_response *resp);
/* Kannel's callbacks for driver = kannel modems (gateway/kannel_http.c). */
void kannel_http_handle(http_env *env, const http_request *req, http_response *resp);

#endif
