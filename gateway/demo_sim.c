/*
 * demo_sim.c - the `kazi sim` control-socket client of `kazi demo` and the
 * multipart reassembly of what the modems sent (see demo_sim.h).
 * Owns: the line protocol on the demo's side. Never starts a simulator.
 */
#include "demo_sim.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "demo_proc.h"

#define READ_MAX (64 << 20)

void demo_sim_init(demo_sim *s, const char *name, const char *ctl_path)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->ctl, sizeof s->ctl, "%s", ctl_path);
}

void demo_sim_close(demo_sim *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

static int connect_once(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return -1;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int demo_sim_connect(demo_sim *s, int timeout_ms)
{
    long long until = demo_now_ms() + timeout_ms;
    demo_sim_close(s);
    while ((s->fd = connect_once(s->ctl)) < 0) {
        if (demo_now_ms() >= until)
            return -1;
        usleep(50000);
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n, long long until)
{
    while (n > 0) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        long long left = until - demo_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return -1;
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read until the buffer holds a whole line; returns its length (without LF) or -1. */
static long read_line(demo_sim *s, long long until)
{
    for (;;) {
        char *nl = s->len ? memchr(s->buf, '\n', s->len) : NULL;
        if (nl)
            return nl - s->buf;
        if (s->cap - s->len < 65536) {
            size_t ncap = s->cap ? s->cap * 2 : 262144;
            char *nb = ncap > READ_MAX ? NULL : realloc(s->buf, ncap);
            if (!nb)
                return -1;
            s->buf = nb;
            s->cap = ncap;
        }
        struct pollfd pfd = {s->fd, POLLIN, 0};
        long long left = until - demo_now_ms();
        if (left <= 0)
            return -1;
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s->len += (size_t)n;
    }
}

/* Drop the first line (n bytes plus LF) from the buffer. */
static void consume(demo_sim *s, long n)
{
    size_t used = (size_t)n + 1;
    memmove(s->buf, s->buf + used, s->len - used);
    s->len -= used;
}

/* Read one status line; 0 if it starts with "ok", -1 otherwise. *count gets "ok N"'s N. */
static int read_status(demo_sim *s, long long until, long *count)
{
    long n = read_line(s, until);
    if (n < 0)
        return -1;
    int ok = n >= 2 && strncmp(s->buf, "ok", 2) == 0;
    if (ok && count) {
        s->buf[n] = '\0';
        *count = strtol(s->buf + 2, NULL, 10);
    }
    consume(s, n);
    return ok ? 0 : -1;
}

int demo_sim_inject(demo_sim *s, const char *from, const char *text, int timeout_ms)
{
    char line[512];
    size_t pos = (size_t)snprintf(line, sizeof line, "inject %s ", from);
    for (const char *p = text; *p && pos + 3 < sizeof line; p++) {
        if (*p == '\\' || *p == '\n')
            line[pos++] = '\\';
        line[pos++] = *p == '\n' ? 'n' : *p == '\r' ? ' ' : *p;
    }
    line[pos++] = '\n';
    long long until = demo_now_ms() + timeout_ms;
    if (s->fd < 0 || write_all(s->fd, line, pos, until) != 0 || read_status(s, until, NULL) != 0)
        return -1;
    s->injected++;
    return 0;
}

/* ---- multipart reassembly ---- */

static void deliver_slot(demo_concat *cc, int i, demo_sms_fn cb, void *ctx)
{
    char text[8 * 200 + 1];
    size_t pos = 0;
    for (int k = 0; k < cc->slot[i].total; k++)
        pos += (size_t)snprintf(text + pos, sizeof text - pos, "%s", cc->slot[i].part[k]);
    cc->slot[i].used = false;
    cb(ctx, cc->slot[i].to, text);
}

void demo_concat_add(demo_concat *cc, const char *to, int ref, int total, int seq,
                     const char *text, demo_sms_fn cb, void *ctx)
{
    if (total <= 1 || total > 8 || seq < 1 || seq > total) {
        cb(ctx, to, text);
        return;
    }
    int slot = -1, free_slot = -1;
    for (int i = 0; i < DEMO_CONCAT_SLOTS; i++) {
        if (cc->slot[i].used && cc->slot[i].ref == ref && cc->slot[i].total == total &&
            strcmp(cc->slot[i].to, to) == 0)
            slot = i;
        else if (!cc->slot[i].used && free_slot < 0)
            free_slot = i;
    }
    if (slot < 0 && free_slot < 0) {
        cb(ctx, to, text); /* too many half messages: show the part as it is */
        return;
    }
    if (slot < 0) {
        slot = free_slot;
        memset(&cc->slot[slot], 0, sizeof cc->slot[slot]);
        cc->slot[slot].used = true;
        snprintf(cc->slot[slot].to, sizeof cc->slot[slot].to, "%s", to);
        cc->slot[slot].ref = ref;
        cc->slot[slot].total = total;
    }
    if (!cc->slot[slot].got[seq - 1]) {
        cc->slot[slot].got[seq - 1] = true;
        cc->slot[slot].have++;
        snprintf(cc->slot[slot].part[seq - 1], sizeof cc->slot[slot].part[0], "%s", text);
    }
    if (cc->slot[slot].have == total)
        deliver_slot(cc, slot, cb, ctx);
}

/* One JSON line of the sent log. */
static void sent_line(const char *line, size_t n, demo_concat *cc, demo_sms_fn cb, void *ctx)
{
    json_t *j = json_loadb(line, n, 0, NULL);
    if (!j)
        return;
    const char *to = json_string_value(json_object_get(j, "to"));
    const char *text = json_string_value(json_object_get(j, "text"));
    json_t *c = json_object_get(j, "concat");
    if (to && text) {
        if (json_is_object(c))
            demo_concat_add(cc, to, (int)json_integer_value(json_object_get(c, "ref")),
                            (int)json_integer_value(json_object_get(c, "total")),
                            (int)json_integer_value(json_object_get(c, "seq")), text, cb, ctx);
        else
            cb(ctx, to, text);
    }
    json_decref(j);
}

int demo_sim_collect(demo_sim *s, demo_concat *cc, demo_sms_fn cb, void *ctx, int timeout_ms)
{
    static const char req[] = "sent\nsent-clear\n";
    long long until = demo_now_ms() + timeout_ms;
    long count = 0;
    if (s->fd < 0 || write_all(s->fd, req, sizeof req - 1, until) != 0 ||
        read_status(s, until, &count) != 0)
        return -1;
    for (long i = 0; i < count; i++) {
        long n = read_line(s, until);
        if (n < 0)
            return -1;
        sent_line(s->buf, (size_t)n, cc, cb, ctx);
        consume(s, n);
    }
    if (read_status(s, until, NULL) != 0)
        return -1;
    s->delivered += count;
    return (int)count;
}
