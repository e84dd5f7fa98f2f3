/*
 * sim_pty.h - test helper: the simulator engine (modem/sim_engine.h) on the
 * master side of a real pseudo-terminal, stepped in-process with a fake
 * clock, so the driver under test opens the slave through port_open like a
 * real modem. The slave is reached through a symlink that survives the
 * "vanish and return" fault (a new pty, the link repointed).
 * Owns the master fd, the link and the bytes not yet written to the master.
 * Never sleeps; never reads the real clock.
 */
#ifndef KAZI_TEST_SIM_PTY_H
#define KAZI_TEST_SIM_PTY_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sim_engine.h"

typedef struct simpty {
    int master;              /* -1 while vanished */
    char slave[64];
    char dir[64];
    char link[96];           /* the path the driver opens */
    sim_engine *e;
    uint64_t now;
    uint8_t out[65536];      /* simulator output not yet taken by the pty */
    size_t out_len;
    unsigned long moved;     /* bytes moved either way by the last simpty_pump */
} simpty;

/* A new pty whose slave is raw (so nothing echoes before the driver opens it). */
static inline int simpty_new_pty(simpty *s)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || !ptsname(fd)) {
        close(fd);
        return -1;
    }
    snprintf(s->slave, sizeof s->slave, "%s", ptsname(fd));
    int sl = open(s->slave, O_RDWR | O_NOCTTY);
    if (sl >= 0) {
        struct termios t;
        if (tcgetattr(sl, &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(sl, TCSANOW, &t);
        }
        close(sl);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->master = fd;
    unlink(s->link);
    if (symlink(s->slave, s->link) != 0) {
        close(fd);
        s->master = -1;
        return -1;
    }
    return 0;
}

/* Set up s with engine e (owned by s from now on). 0 on success. */
static inline int simpty_open(simpty *s, sim_engine *e, uint64_t now)
{
    memset(s, 0, sizeof *s);
    s->master = -1;
    s->e = e;
    s->now = now;
    snprintf(s->dir, sizeof s->dir, "/tmp/kazi-simpty-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    char dir[sizeof s->dir];
    memcpy(dir, s->dir, sizeof dir); /* a copy: gcc cannot prove link and dir apart */
    snprintf(s->link, sizeof s->link, "%s/modem", dir);
    return simpty_new_pty(s);
}

/* The device disappears: the master closes and the link goes away. */
static inline void simpty_vanish(simpty *s)
{
    if (s->master >= 0)
        close(s->master);
    s->master = -1;
    s->out_len = 0;
    unlink(s->link);
}

/* The device comes back (a new pty behind the same link). 0 on success. */
static inline int simpty_return(simpty *s)
{
    return s->master >= 0 ? 0 : simpty_new_pty(s);
}

static inline void simpty_close(simpty *s)
{
    simpty_vanish(s);
    rmdir(s->dir);
    sim_free(s->e);
    s->e = NULL;
}

/* With SIMPTY_TRACE set, show the bytes each way on stderr. */
static inline void simpty_trace(const char *dir, uint64_t now, const uint8_t *p, size_t n)
{
    if (!getenv("SIMPTY_TRACE"))
        return;
    fprintf(stderr, "%8llu %s ", (unsigned long long)now, dir);
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f)
            fputc(p[i], stderr);
        else
            fprintf(stderr, "\\x%02x", p[i]);
    }
    fputc('\n', stderr);
}

/* Move bytes both ways and let the simulator's time pass to s->now. */
static inline void simpty_pump(simpty *s)
{
    uint8_t buf[4096];
    s->moved = 0;
    sim_tick(s->e, s->now);
    for (int i = 0; s->master >= 0 && i < 64; i++) {
        ssize_t n = read(s->master, buf, sizeof buf);
        if (n <= 0)
            break; /* EAGAIN, or EIO while the driver has the slave closed */
        s->moved += (unsigned long)n;
        simpty_trace("->", s->now, buf, (size_t)n);
        sim_input(s->e, buf, (size_t)n, s->now);
    }
    s->out_len += sim_output(s->e, s->out + s->out_len, sizeof s->out - s->out_len);
    if (s->master < 0) {
        s->out_len = 0; /* nobody listens: lost, as on a vanished device */
        return;
    }
    while (s->out_len) {
        ssize_t n = write(s->master, s->out, s->out_len);
        if (n <= 0)
            break;
        simpty_trace("<-", s->now, s->out, (size_t)n);
        memmove(s->out, s->out + n, s->out_len - (size_t)n);
        s->out_len -= (size_t)n;
        s->moved += (unsigned long)n;
    }
}

/* The simulator's next deadline, or UINT64_MAX. */
static inline uint64_t simpty_deadline(const simpty *s)
{
    uint64_t t;
    return sim_next_deadline(s->e, &t) ? t : UINT64_MAX;
}

#endif
