/*
 * port_termios.c - the byte transport over plain termios, for the terminals
 * libserialport 0.1.1 refuses: pseudo-terminals (the modem simulator, socat
 * or ser2net links to a modem elsewhere) and ttys without a /sys/class/tty
 * entry. Raw 8N1, CLOCAL, no flow control, non-blocking, flock-ed.
 * Never blocks, never logs, never sets TIOCEXCL (on a pty it outlives our
 * close while the master stays open, locking out a restarted daemon).
 */
#include "port_impl.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/*
 * Raw 8N1 at speed, receiver on, modem lines ignored, no flow control.
 * VMIN=1/VTIME=0 so that, with O_NONBLOCK, an idle read fails with EAGAIN
 * and read() returning 0 can only mean end of file (hang-up).
 */
static void raw_8n1(struct termios *t, speed_t speed)
{
    cfmakeraw(t);
    t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS | HUPCL);
    t->c_cflag |= CS8 | CLOCAL | CREAD;
    t->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
    cfsetispeed(t, speed);
    cfsetospeed(t, speed);
}

static kz_status configure(port *p, int baud, kz_err *err)
{
    speed_t speed;
    if (!port_baud_speed(baud, &speed))
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s: unsupported baud rate %d",
                          p->shown, baud);
    struct termios t;
    if (tcgetattr(p->fd, &t) != 0) {
        if (errno == ENOTTY)
            return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                              "%s: not a serial device (not a terminal)", p->shown);
        return port_open_errno(p, errno, err);
    }
    raw_8n1(&t, speed);
    if (tcsetattr(p->fd, TCSANOW, &t) != 0)
        return port_open_errno(p, errno, err);
    return KZ_OK;
}

static void termios_close(port *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

static kz_status termios_open(port *p, const char *path, int baud, kz_err *err)
{
    kz_status st = port_open_locked(p, path, &p->fd, err);
    if (st != KZ_OK)
        return st;
    st = configure(p, baud, err);
    if (st != KZ_OK)
        termios_close(p);
    return st;
}

static kz_status termios_read(port *p, uint8_t *buf, size_t cap, size_t *got, kz_err *err)
{
    *got = 0;
    ssize_t n = read(p->fd, buf, cap);
    if (n > 0) {
        *got = (size_t)n;
        return KZ_OK;
    }
    if (n == 0)
        return port_gone(p, "end of file: the other side hung up", err);
    return port_io_errno(p, errno, "read", err);
}

static kz_status termios_write(port *p, const uint8_t *buf, size_t len, size_t *wrote,
                               kz_err *err)
{
    *wrote = 0;
    ssize_t n = write(p->fd, buf, len);
    if (n >= 0) {
        *wrote = (size_t)n;
        return KZ_OK;
    }
    return port_io_errno(p, errno, "write", err);
}

static int termios_fd(const port *p)
{
    return p->fd;
}

const port_ops port_termios_ops = {
    .name = "termios",
    .open = termios_open,
    .read = termios_read,
    .write = termios_write,
    .fd = termios_fd,
    .close = termios_close,
};
