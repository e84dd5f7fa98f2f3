/*
 * http_bind.c - the listening socket of an [http] listener: "ADDR:PORT" or
 * "[ADDR6]:PORT" parsed with getaddrinfo and bound to exactly that address
 * (0.0.0.0 and [::] only when written so; an IPv6 socket takes IPv6 only).
 * Owns: the address syntax and the socket options. Never resolves a host
 * name (a name could mean several addresses) and never logs.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_listener.h"

#define LISTEN_BACKLOG 128

kz_status http_addr_split(const char *text, char *host, size_t hcap, char *port, size_t pcap,
                          kz_err *err)
{
    const char *colon = strrchr(text, ':');
    const char *h = text, *hend = colon;
    if (!colon || colon == text || !colon[1])
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "'%s' is not ADDRESS:PORT", text);
    if (text[0] == '[') {
        if (colon[-1] != ']' || colon - text < 3)
            return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                              "'%s': an IPv6 address is written [ADDRESS]:PORT", text);
        h = text + 1;
        hend = colon - 1;
    } else if (memchr(text, ':', (size_t)(colon - text))) {
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "'%s': an IPv6 address is written [ADDRESS]:PORT", text);
    }
    size_t hlen = (size_t)(hend - h), plen = strlen(colon + 1);
    if (hlen >= hcap || plen >= pcap)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "'%s' is too long", text);
    long num = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || (num = num * 10 + (*p - '0')) > 65535)
            return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                              "'%s': the port is not a number from 0 to 65535", text);
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, colon + 1, plen);
    port[plen] = '\0';
    return KZ_OK;
}

/* A socket bound and listening on ai. fd or -1 (errno set). */
static int bind_one(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (ai->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

kz_status http_bind(const char *text, int *fd, kz_err *err)
{
    char host[64], port[8];
    *fd = -1;
    kz_status rc = http_addr_split(text, host, sizeof host, port, sizeof port, err);
    if (rc != KZ_OK)
        return rc;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "'%s': %s (give a numeric address: 127.0.0.1:8080, [::1]:8080)", text,
                          gai_strerror(gai));
    *fd = bind_one(res);
    int e = errno;
    freeaddrinfo(res);
    if (*fd < 0)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s", text, strerror(e));
    return KZ_OK;
}
