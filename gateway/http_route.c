/*
 * http_route.c - which handler a request goes to (http_listener.h), the
 * methods each route takes and the body each may send.
 * Owns: the routing table of docs/http.md. Never looks at a query string,
 * a header or a body.
 */
#include <string.h>

#include "http_form.h"
#include "http_listener.h"

/* "/api" itself or anything under "/api/". */
static bool under_api(const char *path)
{
    return strncmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

/* "/kannel/" and something after it. */
static bool under_kannel(const char *path)
{
    return strncmp(path, "/kannel/", 8) == 0 && path[8] != '\0';
}

http_route http_route_of(http_role role, const char *path)
{
    bool ussd = strcmp(path, "/ussd") == 0;
    bool kannel = under_kannel(path);
    switch (role) {
    case HTTP_ROLE_USSD:
        if (kannel)
            return HTTP_ROUTE_KANNEL;
        return ussd ? HTTP_ROUTE_USSD : HTTP_ROUTE_NOT_FOUND;
    case HTTP_ROLE_CONSOLE:
        if (ussd || kannel)
            return HTTP_ROUTE_NOT_FOUND;
        return under_api(path) ? HTTP_ROUTE_API : HTTP_ROUTE_CONSOLE;
    case HTTP_ROLE_ALL:
        if (kannel)
            return HTTP_ROUTE_KANNEL;
        if (ussd)
            return HTTP_ROUTE_USSD;
        return under_api(path) ? HTTP_ROUTE_API : HTTP_ROUTE_CONSOLE;
    }
    return HTTP_ROUTE_NOT_FOUND;
}

/* Methods per route, as an Allow header lists them. */
static const char *const allow[] = {
    [HTTP_ROUTE_NOT_FOUND] = "",
    [HTTP_ROUTE_USSD] = "POST",
    [HTTP_ROUTE_API] = "GET, HEAD, POST, PUT, PATCH, DELETE",
    [HTTP_ROUTE_CONSOLE] = "GET, HEAD, POST",
    [HTTP_ROUTE_KANNEL] = "GET, POST",
};

const char *http_route_allow(http_route route)
{
    return route <= HTTP_ROUTE_KANNEL ? allow[route] : "";
}

bool http_route_takes(http_route route, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = http_route_allow(route); *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && n && strncmp(p, method, n) == 0)
            return true;
        p += len;
        p += strspn(p, ", ");
    }
    return false;
}

size_t http_route_body_max(http_route route, const http_limits *lim)
{
    if (route == HTTP_ROUTE_USSD || route == HTTP_ROUTE_KANNEL)
        return HTTP_FORM_BODY_MAX;
    return route == HTTP_ROUTE_NOT_FOUND ? 0 : lim->upload_max;
}
