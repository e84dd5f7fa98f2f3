/*
 * port_serial.c - the byte transport over libserialport 0.1.1 for real
 * serial ports (USB modems, the Pi's UART), and the enumeration behind
 * `kazi modem list`. The only file in Kazi that includes libserialport.h.
 * Uses only the non-blocking calls (the blocking ones retry on EINTR and
 * cannot be interrupted); the caller poll()s the fd. Never blocks, never
 * logs, never opens a port without first taking its exclusive lock.
 */
#include "port_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Copy src (may be NULL) into dst (cap > 0 bytes), truncating. */
static void copy_opt(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* libserialport's last OS-level message into err, as "PATH: what: message". */
static kz_status sp_failure(const port *p, enum sp_return r, const char *what, kz_err *err)
{
    if (r == SP_ERR_MEM)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "%s: %s: out of memory", p->shown,
                          what);
    if (r == SP_ERR_SUPP)
        return kz_err_set(err, KZ_ERR_UNSUPPORTED, KZ_NO_OFFSET,
                          "%s: %s: not supported by this device", p->shown, what);
    if (r == SP_ERR_ARG)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "%s: %s: libserialport refused the arguments", p->shown, what);
    char *msg = sp_last_error_message();
    kz_status st = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s: %s", p->shown, what,
                              msg ? msg : "failed");
    sp_free_error_message(msg);
    return st;
}

kz_status port_serial_lookup(const char *path, kz_err *err)
{
    struct sp_port *sp = NULL;
    enum sp_return r = sp_get_port_by_name(path, &sp);
    if (r == SP_OK) {
        sp_free_port(sp);
        return KZ_OK;
    }
    if (r == SP_ERR_MEM)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "%s: out of memory", path);
    char *msg = r == SP_ERR_FAIL ? sp_last_error_message() : NULL;
    kz_status st = kz_err_set(err, KZ_ERR_UNSUPPORTED, KZ_NO_OFFSET,
                              "%s: libserialport does not accept this name (%s)", path,
                              msg ? msg
                                  : "0.1.1 needs a /dev/ name with an entry in /sys/class/tty");
    sp_free_error_message(msg);
    return st;
}

/* 8N1 at baud, no flow control, DTR and RTS asserted (modems want DTR). */
static enum sp_return apply_config(struct sp_port *sp, int baud)
{
    struct sp_port_config *c = NULL;
    enum sp_return r = sp_new_config(&c);
    if (r != SP_OK)
        return r;
    if ((r = sp_set_config_baudrate(c, baud)) == SP_OK &&
        (r = sp_set_config_bits(c, 8)) == SP_OK &&
        (r = sp_set_config_parity(c, SP_PARITY_NONE)) == SP_OK &&
        (r = sp_set_config_stopbits(c, 1)) == SP_OK &&
        (r = sp_set_config_rts(c, SP_RTS_ON)) == SP_OK &&
        (r = sp_set_config_cts(c, SP_CTS_IGNORE)) == SP_OK &&
        (r = sp_set_config_dtr(c, SP_DTR_ON)) == SP_OK &&
        (r = sp_set_config_dsr(c, SP_DSR_IGNORE)) == SP_OK &&
        (r = sp_set_config_xon_xoff(c, SP_XONXOFF_DISABLED)) == SP_OK)
        r = sp_set_config(sp, c);
    sp_free_config(c);
    return r;
}

static void serial_close(port *p)
{
    struct sp_port *sp = p->impl;
    if (sp) {
        if (p->fd >= 0)
            (void)ioctl(p->fd, TIOCNXCL);
        sp_close(sp);
        sp_free_port(sp);
    }
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    p->impl = NULL;
    p->fd = -1;
    p->lock_fd = -1;
}

/* After sp_open: fetch the fd, force O_NONBLOCK, configure, go exclusive. */
static kz_status serial_setup(port *p, struct sp_port *sp, int baud, kz_err *err)
{
    int fd = -1;
    enum sp_return r = sp_get_port_handle(sp, &fd);
    if (r != SP_OK)
        return sp_failure(p, r, "getting the port's fd", err);
    p->fd = fd;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return port_open_errno(p, errno, err);
    r = apply_config(sp, baud);
    if (r != SP_OK)
        return sp_failure(p, r, "setting 8N1 without flow control", err);
    /* Keep minicom, ModemManager and friends out while we hold it. A real
     * tty forgets this on its last close; we also clear it in close(). */
    (void)ioctl(fd, TIOCEXCL);
    return KZ_OK;
}

static kz_status serial_open(port *p, const char *path, int baud, kz_err *err)
{
    struct sp_port *sp = NULL;
    enum sp_return r = sp_get_port_by_name(path, &sp);
    if (r != SP_OK)
        return port_serial_lookup(path, err);
    /* Lock through our own fd first: sp_open() reconfigures and flushes the
     * port, which must never happen to a port another daemon is using. */
    kz_status st = port_open_locked(p, path, &p->lock_fd, err);
    if (st != KZ_OK) {
        sp_free_port(sp);
        return st;
    }
    p->impl = sp;
    r = sp_open(sp, SP_MODE_READ_WRITE);
    if (r != SP_OK) {
        st = r == SP_ERR_FAIL ? port_open_errno(p, sp_last_error_code(), err)
                              : sp_failure(p, r, "open", err);
        sp_free_port(sp);
        p->impl = NULL;
        serial_close(p);
        return st;
    }
    st = serial_setup(p, sp, baud, err);
    if (st != KZ_OK)
        serial_close(p);
    return st;
}

static kz_status serial_read(port *p, uint8_t *buf, size_t cap, size_t *got, kz_err *err)
{
    *got = 0;
    int n = sp_nonblocking_read(p->impl, buf, cap);
    if (n < 0) {
        if (n == SP_ERR_FAIL)
            return port_io_errno(p, sp_last_error_code(), "read", err);
        return sp_failure(p, (enum sp_return)n, "read", err);
    }
    /* 0.1.1 leaves VMIN=0, so 0 bytes is either "nothing yet" or a hang-up. */
    if (n == 0 && port_fd_hung_up(p->fd))
        return port_gone(p, "hung up: unplugged or reset?", err);
    *got = (size_t)n;
    return KZ_OK;
}

static kz_status serial_write(port *p, const uint8_t *buf, size_t len, size_t *wrote,
                              kz_err *err)
{
    *wrote = 0;
    int n = sp_nonblocking_write(p->impl, buf, len);
    if (n < 0) {
        if (n == SP_ERR_FAIL)
            return port_io_errno(p, sp_last_error_code(), "write", err);
        return sp_failure(p, (enum sp_return)n, "write", err);
    }
    *wrote = (size_t)n;
    return KZ_OK;
}

static int serial_fd(const port *p)
{
    return p->fd;
}

const port_ops port_serial_ops = {
    .name = "serial",
    .open = serial_open,
    .read = serial_read,
    .write = serial_write,
    .fd = serial_fd,
    .close = serial_close,
};

/* Fill one port_info from libserialport's description of sp. */
static void fill_info(port_info *out, const struct sp_port *sp)
{
    memset(out, 0, sizeof *out);
    copy_opt(out->path, sizeof out->path, sp_get_port_name(sp));
    copy_opt(out->description, sizeof out->description, sp_get_port_description(sp));
    port_find_by_id(out->path, out->by_id, sizeof out->by_id);
    out->usb_vid = -1;
    out->usb_pid = -1;
    if (sp_get_port_transport(sp) != SP_TRANSPORT_USB)
        return;
    int vid, pid;
    if (sp_get_port_usb_vid_pid(sp, &vid, &pid) == SP_OK) {
        out->usb_vid = vid;
        out->usb_pid = pid;
    }
    copy_opt(out->usb_serial, sizeof out->usb_serial, sp_get_port_usb_serial(sp));
    copy_opt(out->manufacturer, sizeof out->manufacturer, sp_get_port_usb_manufacturer(sp));
    copy_opt(out->product, sizeof out->product, sp_get_port_usb_product(sp));
}

static int info_cmp(const void *a, const void *b)
{
    return strcmp(((const port_info *)a)->path, ((const port_info *)b)->path);
}

kz_status port_list(port_info *out, size_t cap, size_t *n, kz_err *err)
{
    *n = 0;
    struct sp_port **list = NULL;
    enum sp_return r = sp_list_ports(&list);
    if (r != SP_OK) {
        char *msg = r == SP_ERR_FAIL ? sp_last_error_message() : NULL;
        kz_status st = kz_err_set(err, r == SP_ERR_MEM ? KZ_ERR_NOMEM : KZ_ERR_IO, KZ_NO_OFFSET,
                                  "listing serial ports: %s", msg ? msg : "failed");
        sp_free_error_message(msg);
        return st;
    }
    size_t count = 0;
    for (; list[count]; count++)
        if (count < cap)
            fill_info(&out[count], list[count]);
    sp_free_port_list(list);
    if (out && cap)
        qsort(out, count < cap ? count : cap, sizeof *out, info_cmp);
    *n = count;
    return KZ_OK;
}
