/*
 * http_response.c - the answer a request handler fills (http_response in
 * http_server.h): status, type, body and a few headers, owned by the
 * response until the server sends and clears it.
 * Owns: the response's memory. Never sends anything and never logs (a body
 * may hold a token or a phone number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"

static void set_type(http_response *r, const char *content_type)
{
    snprintf(r->content_type, sizeof r->content_type, "%s",
             content_type ? content_type : "text/plain; charset=utf-8");
}

kz_status http_response_set(http_response *r, int status, const char *content_type,
                            const void *body, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return KZ_ERR_NOMEM;
    if (len)
        memcpy(copy, body, len);
    copy[len] = '\0';
    http_response_take(r, status, content_type, copy, len);
    return KZ_OK;
}

void http_response_take(http_response *r, int status, const char *content_type, char *body,
                        size_t len)
{
    free(r->body);
    r->status = status;
    set_type(r, content_type);
    r->body = body;
    r->len = body ? len : 0;
}

kz_status http_response_text(http_response *r, int status, const char *text)
{
    size_t n = strlen(text);
    char *body = malloc(n + 2);
    if (!body)
        return KZ_ERR_NOMEM;
    memcpy(body, text, n);
    body[n] = '\n';
    body[n + 1] = '\0';
    http_response_take(r, status, "text/plain; charset=utf-8", body, n + 1);
    return KZ_OK;
}

kz_status http_response_header(http_response *r, const char *name, const char *value)
{
    if (r->nheaders >= HTTP_MAX_HEADERS || strlen(name) >= sizeof r->header_name[0])
        return KZ_ERR_NOSPACE;
    char *copy = strdup(value);
    if (!copy)
        return KZ_ERR_NOMEM;
    snprintf(r->header_name[r->nheaders], sizeof r->header_name[0], "%s", name);
    r->header_value[r->nheaders++] = copy;
    return KZ_OK;
}

void http_response_clear(http_response *r)
{
    free(r->body);
    for (size_t i = 0; i < r->nheaders && i < HTTP_MAX_HEADERS; i++)
        free(r->header_value[i]);
    memset(r, 0, sizeof *r);
}
