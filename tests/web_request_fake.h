/*
 * web_request_fake.h - requests built by hand for unit tests of the console's
 * handlers and logins: req->conn points at a web_fake_conn instead of a
 * libmicrohttpd connection, and this file's web_fake_lookup, put in the
 * table of gateway/http_mhd.c by web_fake_install (the test's main calls it
 * first; the library itself is never loaded), answers the server's accessors
 * (http_request_header, _cookie, _query in gateway/http_server.c) from it.
 * Owns: the stand-in lookup. Never included by the daemon; include it in one
 * test file only.
 */
#ifndef KAZI_WEB_REQUEST_FAKE_H
#define KAZI_WEB_REQUEST_FAKE_H

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "http_mhd.h"
#include "http_server.h"

typedef struct web_fake_conn {
    const char *cookie;        /* the Cookie header ("a=1; b=2"), or NULL */
    const char *authorization; /* the Authorization header, or NULL */
    const char *query;         /* the query string ("a=1&b=2", not decoded), or NULL */
} web_fake_conn;

/* The value of name in "k=v<sep>k=v" (spaces after a separator skipped), or NULL.
 * Static storage: valid until the next call. */
static const char *web_fake_pair(const char *list, char sep, const char *name)
{
    static char value[512];
    size_t n = strlen(name);
    while (list && *list) {
        while (*list == ' ' || *list == sep)
            list++;
        const char *end = strchr(list, sep);
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len > n && strncmp(list, name, n) == 0 && list[n] == '=' &&
            len - n - 1 < sizeof value) {
            memcpy(value, list + n + 1, len - n - 1);
            value[len - n - 1] = '\0';
            return value;
        }
        list = end;
    }
    return NULL;
}

/* libmicrohttpd's MHD_lookup_connection_value, answered from a web_fake_conn. */
static const char *web_fake_lookup(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                   const char *key)
{
    const web_fake_conn *fc = (const web_fake_conn *)(void *)connection;
    if (!fc || !key)
        return NULL;
    switch (kind) {
    case MHD_HEADER_KIND:
        if (strcasecmp(key, "Cookie") == 0)
            return fc->cookie;
        if (strcasecmp(key, "Authorization") == 0)
            return fc->authorization;
        return NULL;
    case MHD_COOKIE_KIND:
        return web_fake_pair(fc->cookie, ';', key);
    case MHD_GET_ARGUMENT_KIND:
        return web_fake_pair(fc->query, '&', key);
    default:
        return NULL;
    }
}

/* Route the server's lookups to web_fake_lookup. */
static void web_fake_install(void)
{
    http_mhd.lookup_connection_value = web_fake_lookup;
}

#endif
