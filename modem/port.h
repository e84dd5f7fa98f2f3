/*
 * port.h - the byte transport under the AT channel: one ops struct, two
 * implementations (OpenSMTPD queue_backend style seam).
 *   - serial: real serial ports through libserialport 0.1.1 (only
 *     modem/port_serial.c includes libserialport.h);
 *   - termios: pseudo-terminals (the simulator; socat or ser2net links to a
 *     modem elsewhere), which libserialport 0.1.1 refuses.
 * Owns: opening by path (symlinks such as /dev/serial0 or /dev/serial/by-id/...
 * resolved first), non-blocking read/write, the fd for the caller's poll().
 * Never blocks, never retries, never logs: the caller's event loop decides.
 */
#ifndef KAZI_PORT_H
#define KAZI_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct port port; /* defined in port_impl.h (modem/ internals only) */

typedef struct port_ops {
    const char *name; /* "serial" or "termios" */
    /* Open path at baud, 8N1, no flow control, raw, non-blocking, under an
     * exclusive flock. p comes from port_alloc() (port_impl.h) and names the
     * device in errors; path is the resolved device. On failure nothing stays
     * open; the caller still frees p. */
    kz_status (*open)(port *p, const char *path, int baud, kz_err *err);
    /* Read what is available (never blocks): *got 0 means nothing yet.
     * KZ_ERR_IO when the device is gone (unplugged, pty master closed): the
     * message says "device gone"; free the port and reopen by path later. */
    kz_status (*read)(port *p, uint8_t *buf, size_t cap, size_t *got, kz_err *err);
    /* Write what the device takes now (never blocks): *wrote may be < len. */
    kz_status (*write)(port *p, const uint8_t *buf, size_t len, size_t *wrote, kz_err *err);
    /* The fd to poll for POLLIN/POLLOUT, or -1 when closed. */
    int (*fd)(const port *p);
    /* Release the device. Safe to call twice. */
    void (*close)(port *p);
} port_ops;

extern const port_ops port_serial_ops;
extern const port_ops port_termios_ops;

/*
 * Open path, choosing the implementation: symlinks are resolved, then a
 * device with an entry in /sys/class/tty that is not a pseudo-terminal goes
 * through libserialport, anything else (ptys) through termios. The
 * resolved name is kept for messages (port_name). Returns NULL and fills err
 * (naming the path) on failure: KZ_ERR_NOTFOUND (no such device, or a
 * dangling link), KZ_ERR_BUSY (held by another process: we take an exclusive
 * flock, plus TIOCEXCL on real serial ports; the message gives the holder's
 * pid when /proc/locks tells), KZ_ERR_INVALID (not a character device, not a
 * terminal, /dev/ptmx, empty path), KZ_ERR_RANGE (baud rate without a termios
 * constant: 1200..921600 standard rates only), KZ_ERR_NOMEM, KZ_ERR_IO
 * otherwise (EACCES says to check the dialout group). err may be NULL.
 * Caller owns the result: port_free().
 */
port *port_open(const char *path, int baud, kz_err *err);

/* Close and free. NULL-safe. */
void port_free(port *p);

/* Thin wrappers over the ops. *got / *wrote are always set (0 on error);
 * KZ_ERR_STATE if the port was closed; cap or len 0 does no I/O. */
kz_status port_read(port *p, uint8_t *buf, size_t cap, size_t *got, kz_err *err);
kz_status port_write(port *p, const uint8_t *buf, size_t len, size_t *wrote, kz_err *err);
int port_fd(const port *p);

/* "/dev/ttyUSB2 (serial)" style label, owned by p. */
const char *port_name(const port *p);

/* One serial port found on the system, for `kazi modem list`. */
typedef struct port_info {
    char path[128];        /* /dev/ttyUSB0 */
    char by_id[256];       /* a /dev/serial/by-id/ link to it, or "" */
    char description[128];
    int usb_vid, usb_pid;  /* -1 when not USB */
    char usb_serial[64];
    char manufacturer[64];
    char product[64];
} port_info;

/*
 * List serial ports (libserialport's enumeration plus /dev/serial/by-id
 * links). Fills up to cap entries, sorted by path; *n receives how many
 * exist (may exceed cap: call again with more room). out may be NULL when
 * cap is 0. Pseudo-terminals are not listed. Opens no port for I/O.
 * KZ_ERR_IO or KZ_ERR_NOMEM on failure.
 */
kz_status port_list(port_info *out, size_t cap, size_t *n, kz_err *err);

#endif
