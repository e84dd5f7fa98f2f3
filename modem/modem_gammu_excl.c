/*
 * modem_gammu_excl.c - keeps the libgammu backend's port openable again.
 * libgammu's serial open puts the tty in exclusive mode (TIOCEXCL) and its
 * close never takes it out. On a pseudo-terminal, and on any tty something
 * else holds open, the mode outlives the close, and from then on only a
 * process with CAP_SYS_ADMIN can open the port: the daemon, which dropped
 * root (--user), could never reconnect after a reset, and a daemon started
 * again after a crash could not open the port at all. So the backend holds
 * a descriptor of its own on the port, opened when the modem is opened
 * (before the drop), and clears the mode through it (TIOCNXCL, which needs
 * no privilege) right before every libgammu connection; libgammu's own
 * connection stays exclusive while it lasts.
 * The same descriptor ends libgammu's pending line (gm_excl_flush): its AT
 * layer knows only a fixed list of unsolicited lines, and any other (the
 * SIM800's +CIEV: "SMSFULL",1 after each delete on a full SIM under load)
 * stays in its buffer and is glued to the next command's answer, which it
 * then no longer recognises; that command waits until the watchdog aborts
 * it and the connection has to be rebuilt. Writing "AT" between two
 * libgammu calls makes the modem print a final OK, which closes the
 * pending line into a frame of its own that libgammu drops.
 * Owns that descriptor. Never reads through it, writes only "AT\r" and only
 * between libgammu calls (the worker's thread), never logs (the open's
 * failure is only remembered: without the descriptor the backend works as
 * before), never sets exclusive mode itself.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "modem_gammu_internal.h"

/* True when fd is open on the device path names now (a port that vanished
 * and came back, or a simulator that made a new pty, is another device). */
static bool same_device(int fd, const char *path)
{
    struct stat held, now;
    if (fstat(fd, &held) != 0 || stat(path, &now) != 0)
        return false;
    return held.st_rdev == now.st_rdev;
}

void gm_excl_open(struct modem_gammu *g)
{
    if (g->excl_fd >= 0 && same_device(g->excl_fd, g->path))
        return;
    gm_excl_close(g);
    int fd = open(g->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        g->excl_errno = errno;
        return;
    }
    if (!isatty(fd)) {
        close(fd); /* not a tty: nothing can be exclusive */
        return;
    }
    g->excl_fd = fd;
    g->excl_errno = 0;
}

void gm_excl_clear(struct modem_gammu *g)
{
    gm_excl_open(g);
    if (g->excl_fd < 0)
        return;
    if (ioctl(g->excl_fd, TIOCNXCL) != 0) {
        gm_excl_close(g); /* hung up: opened again before the next connection */
        gm_excl_open(g);
        if (g->excl_fd >= 0)
            (void)ioctl(g->excl_fd, TIOCNXCL);
    }
}

void gm_excl_close(struct modem_gammu *g)
{
    if (g->excl_fd < 0)
        return;
    close(g->excl_fd);
    g->excl_fd = -1;
}

#define FLUSH_BYTES 9        /* "AT\r\r\nOK\r\n": the echo and the final OK */
#define FLUSH_WAIT_MS 2000

void gm_excl_flush(struct modem_gammu *g)
{
    g->flush_due = false;
    if (g->excl_fd < 0 || !g->sm)
        return;
    if (write(g->excl_fd, "AT\r", 3) != 3)
        return;
    int64_t deadline = gm_now_ms() + FLUSH_WAIT_MS;
    int got = 0;
    while (got < FLUSH_BYTES && gm_now_ms() < deadline && !gm_stopping(g)) {
        int n = g->gl->GSM_ReadDevice(g->sm, TRUE); /* libgammu reads and parses the answer */
        if (n < 0)
            return;
        got += n;
    }
}
