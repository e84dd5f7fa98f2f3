/*
 * port_impl.h - internals shared by port.c, port_serial.c and port_termios.c
 * (and the port unit test): the port struct and the helpers both transports
 * use for errno mapping, locking and hang-up detection.
 * Never included outside modem/ and tests/unit/test_port.c; never includes
 * libserialport.h (only port_serial.c does).
 */
#ifndef KAZI_PORT_IMPL_H
#define KAZI_PORT_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <termios.h>

#include "port.h"

struct port {
    const port_ops *ops;
    int fd;                    /* I/O fd for poll(), -1 when closed */
    int lock_fd;               /* serial: our own fd holding the flock; -1 otherwise */
    void *impl;                /* serial: the struct sp_port *; NULL otherwise */
    /* The three point into text[], this object's own allocation (sized to fit). */
    const char *path;          /* the resolved device path that is opened */
    const char *shown;         /* how errors name it: "given" or "given (resolved)" */
    const char *label;         /* port_name(): "/dev/ttyUSB2 (serial)" */
    char text[];
};

/*
 * Allocate a closed port for ops: given is the path the user named, resolved
 * the device actually opened (may be the same). Returns NULL when out of
 * memory. Caller frees with port_free().
 */
port *port_alloc(const port_ops *ops, const char *given, const char *resolved);

/*
 * Record in err why opening failed with errno e (open(), flock(), ioctl()),
 * naming p->shown: ENOENT/ENODEV/ENXIO -> KZ_ERR_NOTFOUND, EBUSY -> KZ_ERR_BUSY,
 * EACCES/EPERM -> KZ_ERR_IO with a hint about the dialout group, anything
 * else -> KZ_ERR_IO with strerror(e). Returns the status set.
 */
kz_status port_open_errno(const port *p, int e, kz_err *err);

/*
 * Open path (p's device) for raw non-blocking I/O (O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC)
 * and take an exclusive flock on it so two daemons never share a modem.
 * On success *fd is the new descriptor (caller closes it). On failure *fd
 * is -1, nothing is left open and err names the path: KZ_ERR_BUSY when
 * another open file already holds the lock (with the holder's pid and name
 * when /proc/locks tells), otherwise as port_open_errno().
 */
kz_status port_open_locked(const port *p, const char *path, int *fd, kz_err *err);

/*
 * Map a failed read()/write() errno e to a status: EAGAIN/EWOULDBLOCK/EINTR
 * -> KZ_OK (nothing transferred, poll again); EIO/ENXIO/ENODEV/EPIPE ->
 * KZ_ERR_IO "device gone" so the driver can reopen by path later; anything
 * else -> KZ_ERR_IO with strerror(e). what is "read" or "write".
 */
kz_status port_io_errno(const port *p, int e, const char *what, kz_err *err);

/* Record "device gone (hung up)" for p in err; returns KZ_ERR_IO. */
kz_status port_gone(const port *p, const char *why, kz_err *err);

/*
 * True when fd reports a hang-up or error without blocking (poll() with
 * timeout 0 sees POLLHUP, POLLERR or POLLNVAL): the pty master closed or the
 * USB device vanished.
 */
bool port_fd_hung_up(int fd);

/*
 * Translate a baud rate (9600, 115200, ...) to its termios speed constant.
 * Returns false for rates termios has no constant for.
 */
bool port_baud_speed(int baud, speed_t *speed);

/*
 * Find a /dev/serial/by-id/ symlink that resolves to dev and copy its path to
 * out (cap bytes). out is "" when there is none or it does not fit.
 */
void port_find_by_id(const char *dev, char *out, size_t cap);

/*
 * Ask libserialport (sp_get_port_by_name, nothing opened) whether it accepts
 * path as a port name. KZ_OK if it does; KZ_ERR_UNSUPPORTED naming path and
 * libserialport's answer if it refuses (0.1.1 refuses anything without an
 * entry in /sys/class/tty, e.g. /dev/pts/N); KZ_ERR_NOMEM.
 */
kz_status port_serial_lookup(const char *path, kz_err *err);

#endif
