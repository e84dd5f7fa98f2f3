/*
 * test_http_server.c - the pieces of the HTTP server that need no socket
 * traffic: ADDR:PORT parsing and binding (gateway/http_bind.c), the routing
 * table of each listener role (gateway/http_route.c), the response
 * helpers handlers fill (gateway/http_response.c), no later answer for a
 * request made without a listener (gateway/http_later.c), and libmicrohttpd
 * loaded at run time into gateway/http_mhd.c's table (never linked).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "http_form.h"
#include "http_listener.h"
#include "http_mhd.h"

static void test_addr_split(void)
{
    char host[64], port[8];
    KT_CHECK(http_addr_split("127.0.0.1:8080", host, sizeof host, port, sizeof port, NULL) ==
                 KZ_OK, "IPv4");
    KT_STREQ(host, "127.0.0.1", "IPv4 host");
    KT_STREQ(port, "8080", "IPv4 port");
    KT_CHECK(http_addr_split("[::1]:80", host, sizeof host, port, sizeof port, NULL) == KZ_OK,
             "IPv6");
    KT_STREQ(host, "::1", "IPv6 host without brackets");
    KT_STREQ(port, "80", "IPv6 port");
    KT_CHECK(http_addr_split("[fe80::1%eth0]:443", host, sizeof host, port, sizeof port, NULL) ==
                 KZ_OK && strcmp(host, "fe80::1%eth0") == 0, "IPv6 with a zone");
    static const char *const bad[] = {"", ":80", "127.0.0.1", "127.0.0.1:", "::1:80", "[::1]",
                                      "[]:80", "[::1:80", "127.0.0.1:8o", "127.0.0.1:123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kz_err err;
        kz_err_clear(&err);
        KT_CHECK(http_addr_split(bad[i], host, sizeof host, port, sizeof port, &err) ==
                     KZ_ERR_INVALID, "'%s' refused", bad[i]);
        KT_CHECK(err.msg[0] != '\0', "'%s': a reason", bad[i]);
    }
}

/* The port a bound socket got, or 0. */
static int bound_port(int fd, int family)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || ss.ss_family != family)
        return 0;
    if (family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void test_bind(void)
{
    int fd = -1;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(http_bind("127.0.0.1:0", &fd, &err) == KZ_OK && fd >= 0, "bind 127.0.0.1: %s",
             err.msg);
    int port = bound_port(fd, AF_INET);
    KT_CHECK(port > 0, "an IPv4 socket with a port");
    char again[32];
    snprintf(again, sizeof again, "127.0.0.1:%d", port);
    int fd2 = -1;
    kz_err_clear(&err);
    KT_CHECK(http_bind(again, &fd2, &err) == KZ_ERR_IO && fd2 < 0, "the same port twice");
    KT_CHECK(strstr(err.msg, again) != NULL, "the error names the address: %s", err.msg);
    close(fd);

    int fd6 = -1;
    if (http_bind("[::1]:0", &fd6, NULL) == KZ_OK) { /* IPv6 may be off in a container */
        int v6only = 0;
        socklen_t len = sizeof v6only;
        KT_CHECK(bound_port(fd6, AF_INET6) > 0, "an IPv6 socket");
        KT_CHECK(getsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == 0 && v6only,
                 "an IPv6 socket takes IPv6 only");
        close(fd6);
    }
    kz_err_clear(&err);
    KT_CHECK(http_bind("localhost:8080", &fd, &err) == KZ_ERR_INVALID && fd < 0,
             "a host name is refused (numeric addresses only)");
    KT_CHECK(strstr(err.msg, "localhost:8080") != NULL, "the error names it: %s", err.msg);
    KT_CHECK(http_bind("127.0.0.1:99999", &fd, NULL) != KZ_OK && fd < 0, "a port past 65535");
}

static void test_routes(void)
{
    KT_CHECK(http_route_of(HTTP_ROLE_ALL, "/ussd") == HTTP_ROUTE_USSD, "all: /ussd");
    KT_CHECK(http_route_of(HTTP_ROLE_ALL, "/api") == HTTP_ROUTE_API, "all: /api");
    KT_CHECK(http_route_of(HTTP_ROLE_ALL, "/api/batches/3") == HTTP_ROUTE_API, "all: /api/...");
    KT_CHECK(http_route_of(HTTP_ROLE_ALL, "/apis") == HTTP_ROUTE_CONSOLE, "all: /apis is not /api");
    KT_CHECK(http_route_of(HTTP_ROLE_ALL, "/ussd/x") == HTTP_ROUTE_CONSOLE, "all: /ussd/x");
    KT_CHECK(http_route_of(HTTP_ROLE_ALL, "/") == HTTP_ROUTE_CONSOLE, "all: /");
    KT_CHECK(http_route_of(HTTP_ROLE_USSD, "/ussd") == HTTP_ROUTE_USSD, "ussd: /ussd");
    KT_CHECK(http_route_of(HTTP_ROLE_USSD, "/") == HTTP_ROUTE_NOT_FOUND, "ussd: / is not found");
    KT_CHECK(http_route_of(HTTP_ROLE_USSD, "/api") == HTTP_ROUTE_NOT_FOUND, "ussd: /api");
    KT_CHECK(http_route_of(HTTP_ROLE_CONSOLE, "/ussd") == HTTP_ROUTE_NOT_FOUND, "console: /ussd");
    KT_CHECK(http_route_of(HTTP_ROLE_CONSOLE, "/api/x") == HTTP_ROUTE_API, "console: /api/x");
    KT_CHECK(http_route_of(HTTP_ROLE_CONSOLE, "/login") == HTTP_ROUTE_CONSOLE, "console: /login");

    KT_CHECK(http_route_takes(HTTP_ROUTE_USSD, "POST"), "/ussd takes POST");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_USSD, "GET"), "/ussd refuses GET");
    KT_CHECK(http_route_takes(HTTP_ROUTE_CONSOLE, "HEAD"), "console takes HEAD");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_CONSOLE, "DELETE"), "console refuses DELETE");
    KT_CHECK(http_route_takes(HTTP_ROUTE_API, "DELETE"), "API takes DELETE");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_API, "TRACE"), "API refuses TRACE");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_CONSOLE, "POS"), "a prefix of a method is not one");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_CONSOLE, "ET"), "a suffix of a method is not one");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_CONSOLE, ""), "no method");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_CONSOLE, "GET, HEAD"), "a list is not a method");
    KT_CHECK(!http_route_takes(HTTP_ROUTE_NOT_FOUND, "GET"), "nothing on no route");
    KT_STREQ(http_route_allow(HTTP_ROUTE_USSD), "POST", "Allow of /ussd");
    KT_STREQ(http_route_allow(HTTP_ROUTE_CONSOLE), "GET, HEAD, POST", "Allow of the console");

    http_limits lim = {.upload_max = 1 << 20};
    KT_CHECK(http_route_body_max(HTTP_ROUTE_USSD, &lim) == HTTP_FORM_BODY_MAX, "/ussd: 8 KiB");
    KT_CHECK(http_route_body_max(HTTP_ROUTE_API, &lim) == lim.upload_max, "API: upload_max");
    KT_CHECK(http_route_body_max(HTTP_ROUTE_CONSOLE, &lim) == lim.upload_max, "console: upload_max");
    KT_CHECK(http_route_body_max(HTTP_ROUTE_NOT_FOUND, &lim) == 0, "no route: nothing");
}

/* A request built without a listener (a handler's unit test) has no later answer. */
static void test_later_without_listener(void)
{
    http_request req = {.method = "GET", .path = "/x", .peer = "127.0.0.1",
                        .body = (const uint8_t *)""};
    KT_CHECK(http_request_later(&req, 1000, 503, "late") == NULL,
             "no later answer without a listener");
    http_later_answer(NULL, 200, "x"); /* NULL-safe */
}

static void test_response(void)
{
    http_response r = {0};
    KT_CHECK(http_response_set(&r, 200, "text/csv", "a,b\n", 4) == KZ_OK, "set");
    KT_CHECK(r.status == 200 && r.len == 4 && memcmp(r.body, "a,b\n", 5) == 0,
             "set copies the body and ends it with a NUL");
    KT_STREQ(r.content_type, "text/csv", "set type");
    KT_CHECK(http_response_text(&r, 404, "Not found") == KZ_OK, "text replaces the body");
    KT_CHECK(r.status == 404 && r.len == 10 && strcmp(r.body, "Not found\n") == 0, "text body");
    KT_STREQ(r.content_type, "text/plain; charset=utf-8", "text type");
    char *mine = strdup("{}");
    http_response_take(&r, 201, "application/json", mine, 2);
    KT_CHECK(r.body == mine && r.len == 2 && r.status == 201, "take keeps the pointer");
    http_response_take(&r, 204, NULL, NULL, 7);
    KT_CHECK(r.body == NULL && r.len == 0, "take of no body has no length");
    KT_STREQ(r.content_type, "text/plain; charset=utf-8", "take with no type");
    KT_CHECK(http_response_set(&r, 200, "text/plain", "", 0) == KZ_OK && r.len == 0 && r.body &&
                 r.body[0] == '\0', "an empty body");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        KT_CHECK(http_response_header(&r, "Set-Cookie", "a=b") == KZ_OK, "header %d", i);
    KT_CHECK(http_response_header(&r, "X-One-Too-Many", "1") == KZ_ERR_NOSPACE,
             "past HTTP_MAX_HEADERS");
    KT_CHECK(r.nheaders == HTTP_MAX_HEADERS, "headers kept");
    http_response_clear(&r);
    KT_CHECK(r.body == NULL && r.nheaders == 0 && r.status == 0, "clear zeroes");
    KT_CHECK(http_response_header(&r, "A-Name-Longer-Than-Thirty-One-Bytes", "v") ==
                 KZ_ERR_NOSPACE, "a header name past its room");
    http_response_clear(&r);
}

/* The library is installed here (a -dev package's runtime), so the load must succeed. */
static void test_mhd_load(void)
{
    KT_CHECK(http_mhd.start_daemon == NULL && http_mhd.lookup_connection_value == NULL,
             "the table is empty before the load");
    kz_err err;
    kz_err_clear(&err);
    kz_status st = http_mhd_load(&err);
    KT_CHECK(st == KZ_OK, "http_mhd_load");
    if (st != KZ_OK)
        printf("  %s\n", err.msg);
    KT_CHECK(http_mhd.start_daemon && http_mhd.stop_daemon && http_mhd.lookup_connection_value &&
                 http_mhd.get_connection_info && http_mhd.create_response_from_buffer &&
                 http_mhd.add_response_header && http_mhd.queue_response &&
                 http_mhd.destroy_response && http_mhd.create_post_processor &&
                 http_mhd.post_process && http_mhd.destroy_post_processor &&
                 http_mhd.suspend_connection && http_mhd.resume_connection,
             "every function of the table filled");
    KT_CHECK(http_mhd_load(NULL) == st, "a second load answers the same");
    if (st != KZ_OK)
        return;
    /* A call through the table into the library: a memory response made and freed. */
    struct MHD_Response *r =
        http_mhd.create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    KT_CHECK(r != NULL, "a response made through the table");
    if (r) {
        KT_CHECK(http_mhd.add_response_header(r, "X-Test", "1") == MHD_YES,
                 "a header added through the table");
        http_mhd.destroy_response(r);
    }
}

int main(void)
{
    test_addr_split();
    test_bind();
    test_routes();
    test_response();
    test_later_without_listener();
    test_mhd_load();
    return kt_report();
}
