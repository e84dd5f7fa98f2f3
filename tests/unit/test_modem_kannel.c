/*
 * test_modem_kannel.c - the kannel driver's sending side (driver = kannel,
 * modem/modem_kannel*.c) against a small sendsms server on 127.0.0.1 run by
 * this test: several requests are in flight at once (the server answers
 * nothing until HOLD of them are open together, so a driver that makes one
 * request at a time never gets an answer from it and fails), every send has
 * exactly one outcome of the right class (202 sent, 400 permanent, 503
 * retryable), each request carries the password and no outcome or event
 * does; then with the server gone the modem closes, the sends get retryable
 * outcomes once each, and it is ready again after the reopen interval.
 * Waits are bounded (a deadline stops a test that would hang); no check
 * depends on speed. Ends with "N passed, N failed".
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "modem.h"
#include "pdu.h"

#define PASSWORD "pw-3c9e71d2"
#define NSEND 24   /* sends in the first phase */
#define HOLD 8     /* requests the server waits for before it answers any */
#define MAXCONN 64
#define DEADLINE_MS 30000

/* ---- the sendsms server ---- */

typedef struct conn {
    int fd;
    char buf[16384];
    size_t len;
    bool pending; /* a whole request read, not answered yet */
} conn;

typedef struct server {
    int lfd, stop_pipe[2];
    uint16_t port;
    conn c[MAXCONN];
    int requests;      /* requests read */
    int max_open;      /* most requests waiting for their answer at once */
    int no_password;   /* requests without password=PASSWORD */
    int expect;        /* requests to come: the last ones are answered without waiting for HOLD */
    pthread_mutex_t mu;
} server;

static int pending_count(const server *s)
{
    int n = 0;
    for (int i = 0; i < MAXCONN; i++)
        n += s->c[i].fd >= 0 && s->c[i].pending;
    return n;
}

/* The answer the text asks for: "ok ..." 202, "bad ..." 400, else 503. */
static int status_for(const char *req)
{
    const char *t = strstr(req, "&text=");
    if (!t)
        return 400;
    t += 6;
    if (strncmp(t, "ok", 2) == 0)
        return 202;
    if (strncmp(t, "bad", 3) == 0)
        return 400;
    return 503;
}

static void answer(conn *c)
{
    int code = status_for(c->buf);
    const char *body = code == 202 ? "0: Accepted for delivery" : "Try again";
    char out[256];
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                     code, strlen(body), body);
    ssize_t w = write(c->fd, out, (size_t)n);
    (void)w;
    c->pending = false;
    c->len = 0;
}

static void answer_all(server *s)
{
    for (int i = 0; i < MAXCONN; i++)
        if (s->c[i].fd >= 0 && s->c[i].pending)
            answer(&s->c[i]);
}

static void accept_one(server *s)
{
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return;
    for (int i = 0; i < MAXCONN; i++) {
        if (s->c[i].fd < 0) {
            s->c[i].fd = fd;
            s->c[i].len = 0;
            s->c[i].pending = false;
            return;
        }
    }
    close(fd);
}

static void read_one(server *s, conn *c)
{
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (n <= 0) {
        close(c->fd);
        c->fd = -1;
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    if (!strstr(c->buf, "\r\n\r\n"))
        return;
    c->pending = true;
    pthread_mutex_lock(&s->mu);
    s->requests++;
    if (!strstr(c->buf, "password=" PASSWORD "&"))
        s->no_password++;
    int open = pending_count(s);
    if (open > s->max_open)
        s->max_open = open;
    bool go = open >= HOLD || s->requests >= s->expect;
    pthread_mutex_unlock(&s->mu);
    if (go)
        answer_all(s);
}

static void *server_main(void *arg)
{
    server *s = arg;
    for (;;) {
        struct pollfd p[MAXCONN + 2];
        int map[MAXCONN + 2];
        nfds_t n = 0;
        p[n] = (struct pollfd){s->stop_pipe[0], POLLIN, 0};
        map[n++] = -2;
        p[n] = (struct pollfd){s->lfd, POLLIN, 0};
        map[n++] = -1;
        for (int i = 0; i < MAXCONN; i++)
            if (s->c[i].fd >= 0) {
                p[n] = (struct pollfd){s->c[i].fd, POLLIN, 0};
                map[n++] = i;
            }
        if (poll(p, n, 1000) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        for (nfds_t k = 1; k < n; k++) {
            if (!p[k].revents)
                continue;
            if (map[k] == -1)
                accept_one(s);
            else
                read_one(s, &s->c[map[k]]);
        }
    }
    return NULL;
}

static bool server_start(server *s, pthread_t *t, int expect)
{
    memset(s, 0, sizeof *s);
    s->expect = expect;
    pthread_mutex_init(&s->mu, NULL);
    for (int i = 0; i < MAXCONN; i++)
        s->c[i].fd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->lfd, MAXCONN) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &alen) != 0 ||
        pipe(s->stop_pipe) != 0)
        return false;
    s->port = ntohs(a.sin_port);
    return pthread_create(t, NULL, server_main, s) == 0;
}

static void server_stop(server *s, pthread_t t)
{
    ssize_t w = write(s->stop_pipe[1], "x", 1);
    (void)w;
    pthread_join(t, NULL);
    for (int i = 0; i < MAXCONN; i++)
        if (s->c[i].fd >= 0)
            close(s->c[i].fd);
    close(s->lfd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    pthread_mutex_destroy(&s->mu);
}

/* ---- the modem side ---- */

typedef struct seen {
    int outcomes[NSEND + 8];   /* per send id: outcomes reported */
    kz_status st[NSEND + 8];
    bool retryable[NSEND + 8];
    int total;
    modem_state state;
    int closed;                /* times the modem went MODEM_CLOSED */
    bool secret_leaked;
} seen;

static void on_sent(void *ctx, modem *m, uint64_t id, kz_status st, int mr, int cms, bool retry)
{
    (void)m, (void)mr, (void)cms;
    seen *s = ctx;
    if (id < 1 || id >= NSEND + 8)
        return;
    s->outcomes[id]++;
    s->st[id] = st;
    s->retryable[id] = retry;
    s->total++;
}

static void on_state(void *ctx, modem *m, modem_state state, const char *reason)
{
    (void)m;
    seen *s = ctx;
    s->state = state;
    s->closed += state == MODEM_CLOSED;
    if (strstr(reason, PASSWORD))
        s->secret_leaked = true;
}

static void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)m, (void)level;
    seen *s = ctx;
    if (strstr(msg, PASSWORD))
        s->secret_leaked = true;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the modem as the daemon's loop does until done(s) or the deadline. */
static bool run_until(modem *m, seen *s, bool (*done)(const seen *, int), int arg)
{
    int64_t end = mono_ms() + DEADLINE_MS;
    while (!done(s, arg)) {
        int64_t now = mono_ms();
        if (now >= end)
            return false;
        int64_t due = modem_next_deadline(m) - now;
        int wait = due < 0 ? 0 : due > 200 ? 200 : (int)due;
        struct pollfd p = {modem_fd(m), modem_poll_events(m), 0};
        if (poll(&p, 1, wait) > 0)
            modem_on_io(m, p.revents, mono_ms());
        modem_tick(m, mono_ms());
    }
    return true;
}

static bool is_ready(const seen *s, int arg)
{
    (void)arg;
    return s->state == MODEM_READY;
}

static bool has_outcomes(const seen *s, int n)
{
    return s->total >= n;
}

static bool queue_text(modem *m, uint64_t id, const char *text)
{
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = "+254700000123";
    sms_pdu pdu[1];
    size_t n = 0;
    return pdu_encode_submit((const uint8_t *)text, strlen(text), &o, pdu, 1, &n, NULL) == KZ_OK &&
           modem_send_pdu(m, id, &pdu[0]) == KZ_OK;
}

/* Send i's text: 16 "ok", 4 "bad", 4 "busy". */
static const char *text_of(int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %d", i % 6 == 1 ? "bad" : i % 6 == 4 ? "busy" : "ok", i);
    return buf;
}

static void check_concurrent(modem *m, seen *s, server *srv)
{
    KT_CHECK(run_until(m, s, is_ready, 0), "the kannel modem never became ready");
    int queued = 0;
    char text[32];
    for (int i = 1; i <= NSEND; i++)
        queued += queue_text(m, (uint64_t)i, text_of(i, text, sizeof text));
    KT_CHECK(queued == NSEND, "%d of %d sends queued", queued, NSEND);
    KT_CHECK(run_until(m, s, has_outcomes, NSEND), "%d outcomes of %d", s->total, NSEND);
    pthread_mutex_lock(&srv->mu);
    int reqs = srv->requests, open = srv->max_open, nopw = srv->no_password;
    pthread_mutex_unlock(&srv->mu);
    KT_CHECK(open >= HOLD, "at most %d requests in flight at once, want %d or more", open, HOLD);
    KT_CHECK(reqs == NSEND, "the server read %d requests for %d sends", reqs, NSEND);
    KT_CHECK(nopw == 0, "%d requests without the password", nopw);
    int once = 0, right = 0;
    for (int i = 1; i <= NSEND; i++) {
        once += s->outcomes[i] == 1;
        const char *t = text_of(i, text, sizeof text);
        bool ok = t[0] == 'o'   ? s->st[i] == KZ_OK
                  : t[1] == 'a' ? s->st[i] != KZ_OK && !s->retryable[i]
                                : s->st[i] != KZ_OK && s->retryable[i];
        right += ok;
    }
    KT_CHECK(once == NSEND, "%d of %d sends had exactly one outcome", once, NSEND);
    KT_CHECK(right == NSEND, "%d of %d outcomes of the right class", right, NSEND);
    KT_CHECK(s->closed == 0, "the modem closed while smsbox answered");
}

/* smsbox gone: closed, each send one retryable outcome, ready again later. */
static void check_down(modem *m, seen *s)
{
    int queued = 0;
    for (int i = NSEND + 1; i <= NSEND + 3; i++)
        queued += queue_text(m, (uint64_t)i, "ok again");
    KT_CHECK(queued == 3, "%d of 3 sends queued with the server gone", queued);
    KT_CHECK(run_until(m, s, has_outcomes, NSEND + 3), "%d outcomes of %d", s->total, NSEND + 3);
    int once = 0;
    for (int i = NSEND + 1; i <= NSEND + 3; i++)
        once += s->outcomes[i] == 1 && s->st[i] != KZ_OK && s->retryable[i];
    KT_CHECK(once == 3, "%d of 3 sends had one retryable outcome", once);
    KT_CHECK(s->closed >= 1, "the modem did not close when smsbox did not answer");
    KT_CHECK(run_until(m, s, is_ready, 0), "the modem was not ready again after the interval");
    int extra = 0;
    for (int i = 1; i <= NSEND + 3; i++)
        extra += s->outcomes[i] > 1;
    KT_CHECK(extra == 0, "%d sends had more than one outcome", extra);
}

int main(void)
{
    server srv;
    pthread_t t;
    if (!server_start(&srv, &t, NSEND)) {
        KT_CHECK(false, "cannot start the sendsms server on 127.0.0.1: %s", strerror(errno));
        return kt_report();
    }
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/cgi-bin/sendsms", (unsigned)srv.port);
    seen s;
    memset(&s, 0, sizeof s);
    s.state = MODEM_CLOSED;
    modem_config cfg = {.name = "k1", .port = url, .driver = MODEM_DRIVER_KANNEL,
                        .kannel_username = "kazi", .kannel_password = PASSWORD,
                        .reopen_interval_ms = 300};
    modem_callbacks cb = {.ctx = &s, .on_sent = on_sent, .on_state = on_state,
                          .on_event = on_event};
    kz_err err;
    kz_err_clear(&err);
    modem *m = modem_new(&cfg, &cb, &err);
    if (!m) {
        KT_CHECK(false, "modem_new: %s", err.msg);
        server_stop(&srv, t);
        return kt_report();
    }
    check_concurrent(m, &s, &srv);
    server_stop(&srv, t);
    check_down(m, &s);
    KT_CHECK(!s.secret_leaked, "the password in an event or a state reason");
    modem_free(m);
    return kt_report();
}
