/*
 * test_http_listener.c - one real listener (gateway/http_server.c) on
 * 127.0.0.1 with handlers of the test's own, spoken to over real sockets:
 * form fields decoded by libmicrohttpd (urlencoded and multipart, a file
 * with a NUL byte, a file larger than one read), the raw body, the request
 * accessors (header, query, cookie), HEAD, the handler's own headers beside
 * the server's, a handler that forgets its answer, a body that does not
 * decode, the body limits at their edge, too many fields, env->wake, and a
 * stop with a request half sent. Later answers (http_request_later): one
 * given from the test's thread after the handler returned (the listener
 * serves others meanwhile), one given before the handler returned, one
 * whose client left while it waited, one the server gives itself when its
 * time is up, and a stop with two still waiting (answered after the stop).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"
#include "http_form.h"
#include "http_listener.h"

/* What the last handler call saw (written on the listener's thread, read after the answer). */
static struct {
    char method[16], path[64], peer[64];
    size_t body_len, nfields;
    char body[256];
    char header[64], query[64], cookie[64];
    char fields[8][3][64]; /* name, filename ("-": none), value (printable) */
    size_t field_len[8];
    bool nul_terminated;
} seen;
static atomic_int wakes;
static _Atomic(http_later *) later_taken[8]; /* taken by the handler, answered by the test */
static atomic_int later_n;

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "(none)");
}

static void record(const http_request *req)
{
    memset(&seen, 0, sizeof seen);
    copy(seen.method, sizeof seen.method, req->method);
    copy(seen.path, sizeof seen.path, req->path);
    copy(seen.peer, sizeof seen.peer, req->peer);
    seen.body_len = req->body_len;
    seen.nul_terminated = req->body[req->body_len] == '\0';
    snprintf(seen.body, sizeof seen.body, "%.*s", (int)(req->body_len < 255 ? req->body_len : 255),
             (const char *)req->body);
    copy(seen.header, sizeof seen.header, http_request_header(req, "x-test-header"));
    copy(seen.query, sizeof seen.query, http_request_query(req, "q"));
    copy(seen.cookie, sizeof seen.cookie, http_request_cookie(req, "kazi_session"));
    seen.nfields = req->nfields;
    for (size_t i = 0; i < req->nfields && i < 8; i++) {
        const http_field *f = &req->fields[i];
        copy(seen.fields[i][0], 64, f->name);
        copy(seen.fields[i][1], 64, f->filename ? f->filename : "-");
        snprintf(seen.fields[i][2], 64, "%.*s", (int)(f->len < 63 ? f->len : 63),
                 (const char *)f->data);
        seen.field_len[i] = f->len;
    }
}

/* /later...: a later answer, kept for the test (/later-now answers it at once). */
static void later_handler(const http_request *req, http_response *resp)
{
    bool soon = strcmp(req->path, "/later-timeout") == 0;
    http_later *w = http_request_later(req, soon ? 300 : 60000, 503, "late");
    if (!w) {
        http_response_text(resp, 500, "no later answer");
        return;
    }
    if (strcmp(req->path, "/later-now") == 0) {
        http_later_answer(w, 202, "at once");
        return;
    }
    int i = atomic_load(&later_n);
    if (i < 8)
        atomic_store(&later_taken[i], w);
    atomic_fetch_add(&later_n, 1);
}

static void echo_handler(http_env *env, const http_request *req, http_response *resp)
{
    record(req);
    if (strncmp(req->path, "/later", 6) == 0) {
        later_handler(req, resp);
        return;
    }
    if (strcmp(req->path, "/forget") == 0)
        return; /* no answer: the server sends a 500 */
    if (strcmp(req->path, "/wake") == 0)
        env->wake(env->wake_ctx);
    if (strcmp(req->path, "/cache") == 0)
        http_response_header(resp, "Cache-Control", "max-age=60");
    const http_field *first = http_request_field(req, "a");
    char text[128];
    snprintf(text, sizeof text, "ok %s", first ? (const char *)first->data : "-");
    http_response_text(resp, 200, text);
}

static void on_wake(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&wakes, 1);
}

/* A connection to port that sent raw (len bytes), its reads bounded to 10 s; or -1. */
static int open_send(int port, const char *raw, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 10};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, raw + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    return fd;
}

/* A connection to port that sent a GET of path (Connection: close), or -1. */
static int open_get(int port, const char *path)
{
    char raw[256];
    int n = snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     path);
    return open_send(port, raw, (size_t)n);
}

/* Read fd's whole answer into out (cap) and close fd. Bytes read. */
static size_t read_all(int fd, char *out, size_t cap)
{
    size_t got = 0;
    ssize_t n;
    while (got + 1 < cap && (n = recv(fd, out + got, cap - 1 - got, 0)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(fd);
    return got;
}

/* Send raw (len bytes) to port and read the whole answer into out (cap). Bytes read, or -1. */
static ssize_t call(int port, const char *raw, size_t len, char *out, size_t cap)
{
    int fd = open_send(port, raw, len);
    return fd < 0 ? -1 : (ssize_t)read_all(fd, out, cap);
}

/* Wait (bounded) until the handler took n later answers in all. */
static bool taken(int n)
{
    for (int i = 0; i < 10000 && atomic_load(&later_n) < n; i++)
        usleep(1000);
    return atomic_load(&later_n) >= n;
}

static ssize_t call_s(int port, const char *raw, char *out, size_t cap)
{
    return call(port, raw, strlen(raw), out, cap);
}

static int status_of(const char *answer)
{
    int st = 0;
    return sscanf(answer, "HTTP/1.1 %d ", &st) == 1 ? st : 0;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_urlencoded(int port)
{
    char out[4096];
    const char *body = "a=1&b=&c=x+y%21&a=2";
    char raw[512];
    snprintf(raw, sizeof raw,
             "POST /ussd?q=a%%20b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "X-Test-Header: hv\r\nCookie: kazi_session=abc; other=1\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    KT_CHECK(call_s(port, raw, out, sizeof out) > 0 && status_of(out) == 200, "urlencoded: %s", out);
    KT_CHECK(strstr(out, "\r\n\r\nok 1\n") != NULL, "the first field of a name: %s", out);
    KT_STREQ(seen.method, "POST", "method");
    KT_STREQ(seen.path, "/ussd", "path without the query");
    KT_STREQ(seen.peer, "127.0.0.1", "peer");
    KT_STREQ(seen.body, body, "raw body");
    KT_CHECK(seen.nul_terminated, "the body ends with a NUL");
    KT_STREQ(seen.header, "hv", "header, any case");
    KT_STREQ(seen.query, "a b", "query decoded");
    KT_STREQ(seen.cookie, "abc", "cookie");
    KT_CHECK(seen.nfields == 4, "four fields: %zu", seen.nfields);
    KT_STREQ(seen.fields[0][0], "a", "field 1 name");
    KT_STREQ(seen.fields[0][2], "1", "field 1 value");
    KT_STREQ(seen.fields[1][0], "b", "field 2 name");
    KT_CHECK(seen.field_len[1] == 0, "field 2 empty");
    KT_STREQ(seen.fields[2][2], "x y!", "field 3 decoded");
    KT_STREQ(seen.fields[3][2], "2", "the same name again");
    KT_STREQ(seen.fields[0][1], "-", "no file name");
    KT_CHECK(strstr(out, "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n") &&
                 strstr(out, "X-Content-Type-Options: nosniff\r\n") &&
                 strstr(out, "Cache-Control: no-store\r\n"), "security headers: %s", out);
}

static void test_multipart(int port)
{
    static char raw[300000], out[4096];
    char file[120000];
    for (size_t i = 0; i < sizeof file; i++)
        file[i] = (char)('a' + i % 26);
    memcpy(file, "id,x\r\n1,\0\r\n", 11); /* CRLF and a NUL byte inside the file */
    const char *b = "XyZzY1234";
    char head[512], mid[512], tail[64];
    snprintf(head, sizeof head,
             "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok123\r\n"
             "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.csv\"\r\n"
             "Content-Type: text/csv\r\n\r\n", b, b);
    snprintf(mid, sizeof mid, "\r\n--%s\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nzz", b);
    snprintf(tail, sizeof tail, "\r\n--%s--\r\n", b);
    size_t blen = strlen(head) + sizeof file + strlen(mid) + strlen(tail);
    int n = snprintf(raw, sizeof raw,
                     "POST /api/batches HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %zu\r\n\r\n%s",
                     b, blen, head);
    size_t len = (size_t)n;
    memcpy(raw + len, file, sizeof file);
    len += sizeof file;
    len += (size_t)snprintf(raw + len, sizeof raw - len, "%s%s", mid, tail);
    KT_CHECK(call(port, raw, len, out, sizeof out) > 0 && status_of(out) == 200, "multipart: %s", out);
    KT_CHECK(seen.body_len == blen, "raw body kept: %zu of %zu", seen.body_len, blen);
    KT_CHECK(seen.nfields == 3, "three fields: %zu", seen.nfields);
    KT_STREQ(seen.fields[0][0], "csrf", "field 1 name");
    KT_STREQ(seen.fields[0][2], "tok123", "field 1 value");
    KT_STREQ(seen.fields[1][0], "file", "file field name");
    KT_STREQ(seen.fields[1][1], "t.csv", "file name");
    KT_CHECK(seen.field_len[1] == sizeof file, "the whole file: %zu of %zu", seen.field_len[1],
             sizeof file);
    KT_STREQ(seen.fields[2][2], "zz", "the field after the file");
    KT_CHECK(strstr(out, "\r\n\r\nok zz\n") != NULL, "field by name: %s", out);
}

static void test_edges(int port)
{
    char out[4096], raw[20000];
    KT_CHECK(call_s(port, "HEAD /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                    sizeof out) > 0 && status_of(out) == 200, "HEAD: %s", out);
    KT_STREQ(seen.method, "GET", "HEAD reaches the handler as GET");
    KT_CHECK(strstr(out, "ok -") == NULL, "HEAD: no body");
    KT_CHECK(call_s(port, "GET /cache HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                    sizeof out) > 0 && count(out, "Cache-Control:") == 1 &&
                 strstr(out, "Cache-Control: max-age=60\r\n"),
             "the handler's Cache-Control replaces the server's: %s", out);
    KT_CHECK(call_s(port, "GET /forget HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                    sizeof out) > 0 && status_of(out) == 500, "no answer: 500: %s", out);
    KT_CHECK(call_s(port, "GET /wake HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                    sizeof out) > 0 && atomic_load(&wakes) == 1, "env->wake reaches the daemon");

    /* /ussd: 8192 bytes pass, 8193 are refused before they are read. */
    for (int extra = 0; extra <= 1; extra++) {
        size_t blen = HTTP_FORM_BODY_MAX + (size_t)extra;
        int n = snprintf(raw, sizeof raw,
                         "POST /ussd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", blen);
        memset(raw + n, 'q', blen);
        int want = extra ? 413 : 200;
        KT_CHECK(call(port, raw, (size_t)n + blen, out, sizeof out) > 0 && status_of(out) == want,
                 "%zu bytes to /ussd: want %d: %.40s", blen, want, out);
    }
    /* Too many fields. */
    size_t blen = 0;
    char body[4000];
    for (int i = 0; i < 300; i++)
        blen += (size_t)snprintf(body + blen, sizeof body - blen, "%sf=%d", i ? "&" : "", i % 10);
    snprintf(raw, sizeof raw,
             "POST /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             blen, body);
    KT_CHECK(call_s(port, raw, out, sizeof out) > 0 && status_of(out) == 413, "300 fields: %.40s",
             out);
    KT_CHECK(call_s(port,
                    "POST /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Type: multipart/form-data\r\nContent-Length: 7\r\n\r\na=1&b=2",
                    out, sizeof out) > 0 && status_of(out) == 200,
             "multipart without a boundary: %.40s", out);
    KT_CHECK(seen.nfields == 0 && strcmp(seen.body, "a=1&b=2") == 0,
             "a body that does not decode: the raw body, no fields (%zu)", seen.nfields);
    KT_CHECK(call_s(port, "DELETE /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                    sizeof out) > 0 && status_of(out) == 405 &&
                 strstr(out, "Allow: GET, HEAD, POST\r\n"), "DELETE on the console: %.60s", out);
}

#define GET_CLOSE(path) "GET " path " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

static void test_later(int port)
{
    char out[4096], other[256];
    /* Answered by another thread once the handler returned. */
    int fd = open_get(port, "/later");
    KT_CHECK(fd >= 0 && taken(1), "the handler took a later answer");
    char b;
    KT_CHECK(recv(fd, &b, 1, MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
             "no answer before it is given");
    KT_CHECK(call_s(port, GET_CLOSE("/x"), other, sizeof other) > 0 && status_of(other) == 200,
             "another request is served while one waits: %.40s", other);
    http_later_answer(atomic_load(&later_taken[0]), 201, "done later");
    KT_CHECK(fd >= 0 && read_all(fd, out, sizeof out) > 0 && status_of(out) == 201 &&
                 strstr(out, "\r\n\r\ndone later\n") &&
                 strstr(out, "X-Content-Type-Options: nosniff\r\n"),
             "the later answer, with the security headers: %s", out);

    /* Answered before the handler returned: sent at once. */
    KT_CHECK(call_s(port, GET_CLOSE("/later-now"), out, sizeof out) > 0 &&
                 status_of(out) == 202 && strstr(out, "\r\n\r\nat once\n"),
             "answered within the handler: %s", out);

    /* The client leaves while its request waits; the answer then goes nowhere. */
    fd = open_get(port, "/later");
    KT_CHECK(fd >= 0 && taken(2), "a second later answer taken");
    if (fd >= 0)
        close(fd);
    http_later_answer(atomic_load(&later_taken[1]), 200, "nobody reads this");
    KT_CHECK(call_s(port, GET_CLOSE("/x"), other, sizeof other) > 0 && status_of(other) == 200,
             "the listener serves on after a client left while waiting: %.40s", other);

    /* Nobody answers: the server does, with the handler's status_after. */
    fd = open_get(port, "/later-timeout");
    KT_CHECK(fd >= 0 && taken(3), "a third later answer taken");
    KT_CHECK(fd >= 0 && read_all(fd, out, sizeof out) > 0 && status_of(out) == 503 &&
                 strstr(out, "\r\n\r\nlate\n"), "its time up: the server answers: %s", out);
    http_later_answer(atomic_load(&later_taken[2]), 200, "too late"); /* only frees it */
}

/* A client that sent half a body; the listener must still stop. */
static int half_sent(int port)
{
    const char *raw = "POST /page HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc";
    return open_send(port, raw, strlen(raw));
}

static int port_of(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    return getsockname(fd, (struct sockaddr *)&sa, &len) == 0 ? ntohs(sa.sin_port) : 0;
}

int main(void)
{
    int fd = -1;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(http_bind("127.0.0.1:0", &fd, &err) == KZ_OK, "bind: %s", err.msg);
    int port = port_of(fd);
    http_env env = {.wake = on_wake};
    const http_handlers h = {echo_handler, echo_handler, echo_handler, NULL};
    const http_limits lim = {.upload_max = 200000, .max_connections = 16, .timeout_s = 10};
    http_listener *l = NULL;
    KT_CHECK(http_listener_start(fd, "test", HTTP_ROLE_ALL, &h, &lim, &env, &l, &err) == KZ_OK,
             "start: %s", err.msg);
    if (!l)
        return kt_report();
    test_urlencoded(port);
    test_multipart(port);
    test_edges(port);
    test_later(port);
    int c = half_sent(port);
    char out[256];
    KT_CHECK(call_s(port, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                    sizeof out) > 0, "answers beside a half-sent request");
    int w1 = open_get(port, "/later"), w2 = open_get(port, "/later");
    KT_CHECK(w1 >= 0 && w2 >= 0 && taken(5), "two requests wait for their answers at the stop");
    http_listener_stop(l); /* returns although a request is half read and two wait */
    char buf[16];
    KT_CHECK(recv(c, buf, sizeof buf, 0) <= 0, "the half-sent request's connection is closed");
    close(c);
    for (int i = 0; i < 2; i++) {
        size_t n = read_all(i ? w2 : w1, out, sizeof out);
        KT_CHECK(n == 0 || status_of(out) == 503, "a waiting request at the stop: its status_after "
                 "or the connection closed: %.40s", out);
    }
    http_later_answer(atomic_load(&later_taken[3]), 200, "after the stop"); /* only frees */
    http_later_answer(atomic_load(&later_taken[4]), 200, "after the stop");
    KT_CHECK(call_s(port, "GET /x HTTP/1.1\r\n\r\n", out, sizeof out) < 0, "nothing listens after stop");
    return kt_report();
}
