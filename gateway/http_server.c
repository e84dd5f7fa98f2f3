/*
 * http_server.c - an [http] listener on libmicrohttpd (http_listener.h,
 * http_server.h), called through gateway/http_mhd.c's table (the library is
 * loaded when the first listener starts): one daemon with its internal
 * polling thread per listener; each request is refused early when its
 * route, method or announced length is wrong, else its body is read within
 * the route's limit, its form fields decoded by libmicrohttpd's post
 * processor, and one handler called with the whole request; the response
 * goes out with the security headers every answer carries. A handler that
 * took a later answer leaves its connection suspended (gateway/http_later.c)
 * until that answer comes; it is sent when libmicrohttpd resumes the
 * connection and calls again.
 * Owns: struct http_listener, the per-request state and the request
 * accessors. Never logs a body, a query string or a header value; never
 * runs SQL (handlers do, on env->st, on this listener's thread only).
 */
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_later.h"
#include "http_listener.h"
#include "http_mhd.h"
#include "log.h"

#define POST_BUFFER 16384             /* the post processor's own buffer (keys, boundaries) */
#define CONN_MEMORY (64 * 1024)       /* per connection: headers and the read buffer */
#define FIELDS_MAX 256                /* form fields of one request */
#define LOG_PATH_MAX 120              /* bytes of a path in a log line */
#define DRAIN_MAX (64 * 1024)         /* read and dropped past a limit before a 413 */

struct http_listener {
    struct MHD_Daemon *mhd;
    char name[24];
    http_role role;
    http_handlers h;
    http_limits lim;
    http_env *env;
    pthread_mutex_t run; /* held while a handler runs (http_listener_exclusive) */
    http_later_set *later; /* requests whose answer comes later */
};

/* One decoded form field, owned. */
typedef struct owned_field {
    char *name, *filename;
    uint8_t *data;
    size_t len, cap;
} owned_field;

/* One request in progress (libmicrohttpd's *con_cls), freed when it completes. */
typedef struct http_conn {
    http_route route;
    size_t body_max;
    bool refused;    /* a response went out before the body was read */
    bool too_big;    /* the body passed body_max: the rest is dropped */
    uint8_t *body;   /* NUL-terminated */
    size_t len, cap;
    owned_field *f;
    size_t nf, fcap;
    bool fields_bad; /* more than FIELDS_MAX or out of memory while decoding */
    http_later *later; /* the handler's later answer (shared, see http_later.h), or NULL */
    bool suspended;  /* waiting for it: the next call sends it */
} http_conn;

/* ---- accessors (http_server.h) ---- */

const char *http_request_header(const http_request *r, const char *name)
{
    return http_mhd.lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const http_request *r, const char *key)
{
    return http_mhd.lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_request_cookie(const http_request *r, const char *name)
{
    return http_mhd.lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const http_field *http_request_field(const http_request *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0)
            return &r->fields[i];
    return NULL;
}

/* ---- responses ---- */

/* The headers every answer carries (docs/http.md), unless the handler set its own. */
static const char *const security_headers[][2] = {
    {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Cache-Control", "no-store"},
    {"Referrer-Policy", "no-referrer"},
};

static bool handler_set(const http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders && i < HTTP_MAX_HEADERS; i++)
        if (strcasecmp(r->header_name[i], name) == 0)
            return true;
    return false;
}

/* Printable ASCII of s (at most cap - 1 bytes), anything else as '?': for a log line. */
static void printable(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[n] = '\0';
}

/* The client's address, numeric ("127.0.0.1", "::1"), or "?". */
static void peer_of(struct MHD_Connection *conn, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    const union MHD_ConnectionInfo *ci =
        http_mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                               : sizeof(struct sockaddr_in);
    if (getnameinfo(sa, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, cap, "?");
}

/* One line per failed request: method, path, status, peer; never a query or a header. */
static void log_failure(const http_listener *l, struct MHD_Connection *conn, const char *method,
                        const char *url, int status)
{
    if (status < 400)
        return;
    char m[16], path[LOG_PATH_MAX], peer[64];
    printable(method, m, sizeof m);
    printable(url, path, sizeof path);
    peer_of(conn, peer, sizeof peer);
    log_msg(status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO, "http %s: %s %s %d from %s", l->name,
            m, path, status, peer);
}

/* Send r (its body goes to libmicrohttpd, which frees it); r is cleared. */
static enum MHD_Result send_response(const http_listener *l, struct MHD_Connection *conn,
                                     const char *method, const char *url, http_response *r)
{
    if (r->status < 100 || r->status > 599)
        r->status = 500;
    struct MHD_Response *mr;
    if (r->body && r->len) {
        mr = http_mhd.create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
        if (mr)
            r->body = NULL;
    } else {
        mr = http_mhd.create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!mr) {
        http_response_clear(r);
        return MHD_NO;
    }
    bool ok = true;
    if (r->content_type[0])
        ok = http_mhd.add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type) ==
             MHD_YES;
    for (size_t i = 0; ok && i < r->nheaders && i < HTTP_MAX_HEADERS; i++)
        ok = http_mhd.add_response_header(mr, r->header_name[i], r->header_value[i]) == MHD_YES;
    for (size_t i = 0; ok && i < sizeof security_headers / sizeof security_headers[0]; i++)
        if (!handler_set(r, security_headers[i][0]))
            ok = http_mhd.add_response_header(mr, security_headers[i][0],
                                              security_headers[i][1]) == MHD_YES;
    int status = r->status;
    http_response_clear(r);
    enum MHD_Result rc = ok ? http_mhd.queue_response(conn, (unsigned)status, mr) : MHD_NO;
    http_mhd.destroy_response(mr);
    if (rc == MHD_YES)
        log_failure(l, conn, method, url, status);
    return rc;
}

/* A short plain answer from the server itself (404, 405, 413, ...). */
static enum MHD_Result send_plain(const http_listener *l, struct MHD_Connection *conn,
                                  const char *method, const char *url, int status,
                                  const char *text, const char *allow)
{
    http_response r = {0};
    if (http_response_text(&r, status, text) != KZ_OK)
        return MHD_NO;
    if (allow && http_response_header(&r, "Allow", allow) != KZ_OK) {
        http_response_clear(&r);
        return MHD_NO;
    }
    return send_response(l, conn, method, url, &r);
}

/* ---- request state ---- */

/* Drop the fields decoded so far (also: the body did not decode to the end). */
static void fields_drop(http_conn *c)
{
    for (size_t i = 0; i < c->nf; i++) {
        free(c->f[i].name);
        free(c->f[i].filename);
        free(c->f[i].data);
    }
    c->nf = 0;
}

static void conn_free(http_conn *c)
{
    if (!c)
        return;
    if (c->later)
        http_later_release(c->later);
    fields_drop(c);
    free(c->f);
    free(c->body);
    free(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    conn_free(*con_cls);
    *con_cls = NULL;
}

/* Append n bytes to buf (NUL-terminated, room doubled as needed). false: out of memory. */
static bool append(uint8_t **buf, size_t *len, size_t *cap, const void *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 256;
        while (want < *len + n + 1)
            want *= 2;
        uint8_t *p = realloc(*buf, want);
        if (!p)
            return false;
        *buf = p;
        *cap = want;
    }
    if (n)
        memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

/* A new field named key (filename may be NULL). NULL when out of memory or past FIELDS_MAX. */
static owned_field *field_new(http_conn *c, const char *key, const char *filename)
{
    if (c->nf == FIELDS_MAX)
        return NULL;
    if (c->nf == c->fcap) {
        size_t want = c->fcap ? c->fcap * 2 : 8;
        owned_field *p = realloc(c->f, want * sizeof *p);
        if (!p)
            return NULL;
        c->f = p;
        c->fcap = want;
    }
    owned_field *f = &c->f[c->nf];
    *f = (owned_field){.name = strdup(key ? key : "")};
    if (filename)
        f->filename = strdup(filename);
    if (!f->name || (filename && !f->filename) || !append(&f->data, &f->len, &f->cap, "", 0)) {
        free(f->name);
        free(f->filename);
        free(f->data);
        return NULL;
    }
    c->nf++;
    return f;
}

/* The post processor's callback: a field starts at offset 0, later pieces append. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    http_conn *c = cls;
    owned_field *f = off == 0 || c->nf == 0 ? field_new(c, key, filename) : &c->f[c->nf - 1];
    if (!f || !append(&f->data, &f->len, &f->cap, data, size)) {
        c->fields_bad = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* A body libmicrohttpd's post processor decodes? */
static bool is_form(struct MHD_Connection *conn)
{
    const char *ct = http_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct)
        return false;
    return strncasecmp(ct, MHD_HTTP_POST_ENCODING_FORM_URLENCODED,
                       strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED)) == 0 ||
           strncasecmp(ct, MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA,
                       strlen(MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA)) == 0;
}

/*
 * Decode the body's form fields into c->f. 0, or 413 past FIELDS_MAX. A body
 * the post processor cannot decode leaves no fields: the handler sees the raw
 * body only (the USSD callback parses it strictly itself).
 */
static int decode_fields(struct MHD_Connection *conn, http_conn *c)
{
    if (!c->len || !is_form(conn))
        return 0;
    struct MHD_PostProcessor *pp =
        http_mhd.create_post_processor(conn, POST_BUFFER, on_field, c);
    bool ok = pp && http_mhd.post_process(pp, (const char *)c->body, c->len) == MHD_YES;
    if (pp)
        ok = http_mhd.destroy_post_processor(pp) == MHD_YES && ok;
    if (c->fields_bad && c->nf == FIELDS_MAX)
        return 413;
    if (!ok || c->fields_bad)
        fields_drop(c);
    return 0;
}

/* ---- the request ---- */

/* The handler of a route nobody serves on this listener. */
static void not_found(http_env *env, const http_request *req, http_response *resp)
{
    (void)env;
    (void)req;
    http_response_text(resp, 404, "Not found");
}

static http_handler handler_of(const http_listener *l, http_route route)
{
    if (route == HTTP_ROUTE_USSD)
        return l->h.ussd;
    if (route == HTTP_ROUTE_KANNEL)
        return l->h.kannel ? l->h.kannel : not_found;
    return route == HTTP_ROUTE_API ? l->h.api : l->h.console;
}

/* The whole request is in: decode its fields, run its handler, send the answer. */
static enum MHD_Result dispatch(http_listener *l, struct MHD_Connection *conn, const char *url,
                                const char *method, http_conn *c)
{
    if (c->too_big)
        return send_plain(l, conn, method, url, 413, "Request body too large", NULL);
    if (decode_fields(conn, c) == 413)
        return send_plain(l, conn, method, url, 413, "Too many form fields", NULL);
    http_field *fields = calloc(c->nf ? c->nf : 1, sizeof *fields);
    if (!fields)
        return MHD_NO;
    for (size_t i = 0; i < c->nf; i++)
        fields[i] = (http_field){c->f[i].name, c->f[i].filename, c->f[i].data, c->f[i].len};
    char peer[64];
    peer_of(conn, peer, sizeof peer);
    http_later_slot slot = {.set = l->later, .conn = conn};
    http_request req = {
        .method = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 ? MHD_HTTP_METHOD_GET : method,
        .path = url,
        .peer = peer,
        .body = c->body ? c->body : (const uint8_t *)"",
        .body_len = c->len,
        .fields = fields,
        .nfields = c->nf,
        .conn = conn,
        .later_slot = &slot,
    };
    http_response resp = {0};
    http_handler h = handler_of(l, c->route);
    pthread_mutex_lock(&l->run);
    h(l->env, &req, &resp);
    pthread_mutex_unlock(&l->run);
    free(fields);
    if (slot.taken) {
        c->later = slot.taken;
        http_response_clear(&resp); /* the later answer is the answer */
        if (http_later_suspend(c->later, &resp)) {
            c->suspended = true;
            return MHD_YES;
        }
    }
    if (resp.status == 0)
        http_response_text(&resp, 500, "Internal error");
    return send_response(l, conn, method, url, &resp);
}

/* First call for a request (headers in, no body yet): refuse it now, or get ready for its body. */
static enum MHD_Result begin(http_listener *l, struct MHD_Connection *conn, const char *url,
                             const char *method, void **con_cls)
{
    http_conn *c = calloc(1, sizeof *c);
    if (!c)
        return MHD_NO;
    *con_cls = c;
    c->route = http_route_of(l->role, url);
    c->body_max = http_route_body_max(c->route, &l->lim);
    if (c->route == HTTP_ROUTE_NOT_FOUND) {
        c->refused = true;
        return send_plain(l, conn, method, url, 404, "Not found", NULL);
    }
    if (!http_route_takes(c->route, method)) {
        c->refused = true;
        return send_plain(l, conn, method, url, 405, "Method not allowed",
                          http_route_allow(c->route));
    }
    const char *cl = http_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > c->body_max) {
        c->refused = true; /* the body is never read; libmicrohttpd closes the connection */
        return send_plain(l, conn, method, url, 413, "Request body too large", NULL);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_listener *l = cls;
    http_conn *c = *con_cls;
    if (!c)
        return begin(l, conn, url, method, con_cls);
    if (c->suspended) { /* resumed: the later answer is in */
        c->suspended = false;
        http_response resp = {0};
        http_later_collect(c->later, &resp);
        return send_response(l, conn, method, url, &resp);
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->refused)
            return MHD_YES;
        if (c->len + n > c->body_max) {
            /* Only a body without a Content-Length gets here: libmicrohttpd answers
             * once the client stops sending, so drop a little more, then hang up. */
            c->too_big = true;
            free(c->body);
            c->body = NULL;
            c->cap = 0;
        }
        if (c->too_big) {
            c->len += n;
            return c->len - c->body_max <= DRAIN_MAX ? MHD_YES : MHD_NO;
        }
        return append(&c->body, &c->len, &c->cap, upload_data, n) ? MHD_YES : MHD_NO;
    }
    if (c->refused)
        return MHD_YES;
    return dispatch(l, conn, url, method, c);
}

/* libmicrohttpd's own messages (a connection refused at the limit, a socket error). */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
                                                             va_list ap)
{
    const http_listener *l = cls;
    char text[256];
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\r\n")] = '\0';
    log_warn("http %s: %s", l->name, text);
}

/* ---- the listener ---- */

static unsigned per_ip_limit(const http_limits *lim)
{
    if (lim->per_ip)
        return lim->per_ip;
    unsigned n = lim->max_connections - lim->max_connections / 8; /* a reverse proxy is one address */
    return n ? n : 1;
}

static bool is_ipv6(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET6;
}

kz_status http_listener_start(int fd, const char *name, http_role role,
                              const http_handlers *handlers, const http_limits *lim,
                              http_env *env, http_listener **out, kz_err *err)
{
    *out = NULL;
    kz_status st = http_mhd_load(err);
    if (st != KZ_OK) {
        close(fd);
        return st;
    }
    http_listener *l = calloc(1, sizeof *l);
    if (!l) {
        close(fd);
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    snprintf(l->name, sizeof l->name, "%s", name);
    l->role = role;
    l->h = *handlers;
    l->lim = *lim;
    l->env = env;
    st = http_later_set_new(name, &l->later, err);
    if (st != KZ_OK) {
        close(fd);
        free(l);
        return st;
    }
    pthread_mutex_init(&l->run, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL |
                     MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | (is_ipv6(fd) ? MHD_USE_IPv6 : 0);
    l->mhd = http_mhd.start_daemon(
        flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)lim->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip_limit(lim), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)lim->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_END);
    if (!l->mhd) {
        close(fd);
        http_later_set_free(l->later);
        pthread_mutex_destroy(&l->run);
        free(l);
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: libmicrohttpd did not start", name);
    }
    *out = l;
    return KZ_OK;
}

void http_listener_stop(http_listener *l)
{
    if (!l)
        return;
    http_later_set_close(l->later); /* libmicrohttpd cannot stop with connections suspended */
    http_mhd.stop_daemon(l->mhd); /* joins the thread, closes the connections and the socket */
    http_later_set_free(l->later);
    pthread_mutex_destroy(&l->run);
    free(l);
}

void http_listener_exclusive(http_listener *l, void (*fn)(void *ctx), void *ctx)
{
    if (!l) {
        fn(ctx);
        return;
    }
    pthread_mutex_lock(&l->run);
    fn(ctx);
    pthread_mutex_unlock(&l->run);
}
