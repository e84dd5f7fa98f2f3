/*
 * port.c - opening a modem's byte transport by path: resolves symlinks,
 * refuses what is not a character device, chooses libserialport or termios,
 * and holds the helpers both transports share (errno mapping with messages
 * that name the path, the exclusive lock, hang-up detection).
 * Owns the port object's lifetime. Never logs, never blocks, never retries,
 * never includes libserialport.h (port_serial.c does).
 */
#include "port_impl.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define BY_ID_DIR "/dev/serial/by-id"
#define UNIX98_PTS_MAJOR_FIRST 136 /* Linux devices.txt: 136-143 are /dev/pts/N */
#define UNIX98_PTS_MAJOR_LAST 143

/* Copy src into dst (cap > 0 bytes), truncating; true if it all fit. */
static bool copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    bool fits = n < cap;
    if (!fits)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

port *port_alloc(const port_ops *ops, const char *given, const char *resolved)
{
    bool same = strcmp(given, resolved) == 0;
    /* text: "resolved\0" "given[ (resolved)]\0" "resolved (ops)\0" */
    size_t path_n = strlen(resolved) + 1;
    size_t shown_n = same ? path_n : strlen(given) + path_n + 3;
    size_t label_n = path_n + strlen(ops->name) + 3;
    port *p = calloc(1, sizeof *p + path_n + shown_n + label_n);
    if (!p)
        return NULL;
    p->ops = ops;
    p->fd = -1;
    p->lock_fd = -1;
    char *path = p->text, *shown = path + path_n, *label = shown + shown_n;
    memcpy(path, resolved, path_n);
    if (same)
        memcpy(shown, resolved, path_n);
    else
        snprintf(shown, shown_n, "%s (%s)", given, resolved);
    snprintf(label, label_n, "%s (%s)", resolved, ops->name);
    p->path = path;
    p->shown = shown;
    p->label = label;
    return p;
}

/* port_open_errno() for a device named shown. */
static kz_status open_errno_named(const char *shown, int e, kz_err *err)
{
    switch (e) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: no such device", shown);
    case EBUSY:
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                          "%s: busy: opened exclusively by another program "
                          "(another kazi, ModemManager, minicom?)",
                          shown);
    case EACCES:
    case EPERM:
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET,
                          "%s: permission denied (is the user in the dialout group?)", shown);
    default:
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s", shown, strerror(e));
    }
}

kz_status port_open_errno(const port *p, int e, kz_err *err)
{
    return open_errno_named(p->shown, e, err);
}

/* The short command name of pid into out ("" if unknown). */
static void process_name(long pid, char *out, size_t cap)
{
    char file[64];
    snprintf(file, sizeof file, "/proc/%ld/comm", pid);
    out[0] = '\0';
    FILE *f = fopen(file, "re");
    if (!f)
        return;
    if (fgets(out, (int)cap, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/*
 * The pid holding a flock on the file open as fd, from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 1234 00:05:3 0 EOF"), or 0 if unknown.
 */
static long flock_holder(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return 0;
    FILE *f = fopen("/proc/locks", "re");
    if (!f)
        return 0;
    char line[256];
    long found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        long pid;
        unsigned maj, min;
        unsigned long ino;
        if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) == 4 &&
            maj == major(st.st_dev) && min == minor(st.st_dev) && ino == (unsigned long)st.st_ino)
            found = pid;
    }
    fclose(f);
    return found;
}

static kz_status busy_error(const port *p, int fd, kz_err *err)
{
    long pid = flock_holder(fd);
    if (pid > 0 && pid == (long)getpid())
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                          "%s: busy: already open in this process (pid %ld)", p->shown, pid);
    if (pid > 0) {
        char name[32];
        process_name(pid, name, sizeof name);
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET,
                          "%s: busy: in use by another process (pid %ld%s%s)", p->shown, pid,
                          name[0] ? ", " : "", name);
    }
    return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: busy: in use by another process",
                      p->shown);
}

kz_status port_open_locked(const port *p, const char *path, int *fd, kz_err *err)
{
    *fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return port_open_errno(p, errno, err);
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        return KZ_OK;
    int e = errno;
    kz_status st = e == EWOULDBLOCK ? busy_error(p, *fd, err) : port_open_errno(p, e, err);
    close(*fd);
    *fd = -1;
    return st;
}

kz_status port_gone(const port *p, const char *why, kz_err *err)
{
    return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: device gone (%s)", p->shown, why);
}

kz_status port_io_errno(const port *p, int e, const char *what, kz_err *err)
{
    switch (e) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR:
        return KZ_OK;
    case EIO:
    case ENXIO:
    case ENODEV:
    case EPIPE:
        return port_gone(p, strerror(e), err);
    default:
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s failed: %s", p->shown, what,
                          strerror(e));
    }
}

bool port_fd_hung_up(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return false;
    return (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static const struct {
    int baud;
    speed_t speed;
} baud_table[] = {
    {1200, B1200},     {2400, B2400},     {4800, B4800},     {9600, B9600},
    {19200, B19200},   {38400, B38400},   {57600, B57600},   {115200, B115200},
    {230400, B230400}, {460800, B460800}, {921600, B921600},
};

bool port_baud_speed(int baud, speed_t *speed)
{
    for (size_t i = 0; i < sizeof baud_table / sizeof baud_table[0]; i++) {
        if (baud_table[i].baud == baud) {
            *speed = baud_table[i].speed;
            return true;
        }
    }
    return false;
}

void port_find_by_id(const char *dev, char *out, size_t cap)
{
    out[0] = '\0';
    DIR *d = opendir(BY_ID_DIR);
    if (!d)
        return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[PATH_MAX], target[PATH_MAX];
        if (e->d_name[0] == '.' ||
            snprintf(link, sizeof link, "%s/%s", BY_ID_DIR, e->d_name) >= (int)sizeof link)
            continue;
        if (realpath(link, target) && strcmp(target, dev) == 0) {
            if (!copy_str(out, cap, link))
                out[0] = '\0';
            break;
        }
    }
    closedir(d);
}

/* "a regular file", "a directory", ... for the refusal message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a character device";
}

/* realpath() failed with errno e for path: say why, naming a dangling link's target. */
static kz_status resolve_error(const char *path, int e, kz_err *err)
{
    if (e != ENOENT && e != ENOTDIR)
        return open_errno_named(path, e, err);
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET,
                          "%s: no such device (the link points to %s, which does not exist)",
                          path, target);
    }
    return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: no such device", path);
}

/*
 * Resolve path into resolved (PATH_MAX bytes) and check it is a character
 * device; *st receives its stat.
 */
static kz_status resolve_device(const char *path, char *resolved, struct stat *st, kz_err *err)
{
    if (!realpath(path, resolved))
        return resolve_error(path, errno, err);
    if (stat(resolved, st) != 0)
        return resolve_error(path, errno, err);
    if (!S_ISCHR(st->st_mode)) {
        const char *kind = file_kind(st->st_mode);
        if (strcmp(path, resolved) == 0)
            return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                              "%s: not a serial device (%s)", path, kind);
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "%s (%s): not a serial device (%s)", path, resolved, kind);
    }
    if (strcmp(resolved, "/dev/ptmx") == 0)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "%s: the pseudo-terminal multiplexer, not a port; give the "
                          "/dev/pts/N path the simulator printed",
                          path);
    return KZ_OK;
}

static bool is_pty(const char *resolved, const struct stat *st)
{
    unsigned maj = major(st->st_rdev);
    return strncmp(resolved, "/dev/pts/", 9) == 0 ||
           (maj >= UNIX98_PTS_MAJOR_FIRST && maj <= UNIX98_PTS_MAJOR_LAST);
}

/* libserialport for the real serial ports it knows; termios for the rest. */
static const port_ops *choose_ops(const char *resolved, const struct stat *st)
{
    if (is_pty(resolved, st))
        return &port_termios_ops;
    if (port_serial_lookup(resolved, NULL) == KZ_OK)
        return &port_serial_ops;
    return &port_termios_ops;
}

port *port_open(const char *path, int baud, kz_err *err)
{
    kz_err_clear(err);
    if (!path || !*path) {
        kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "empty port path");
        return NULL;
    }
    speed_t speed;
    if (!port_baud_speed(baud, &speed)) {
        kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s: unsupported baud rate %d", path, baud);
        return NULL;
    }
    char resolved[PATH_MAX];
    struct stat st;
    if (resolve_device(path, resolved, &st, err) != KZ_OK)
        return NULL;
    port *p = port_alloc(choose_ops(resolved, &st), path, resolved);
    if (!p) {
        kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "%s: out of memory", path);
        return NULL;
    }
    if (p->ops->open(p, resolved, baud, err) != KZ_OK) {
        port_free(p);
        return NULL;
    }
    return p;
}

void port_free(port *p)
{
    if (!p)
        return;
    p->ops->close(p);
    free(p);
}

kz_status port_read(port *p, uint8_t *buf, size_t cap, size_t *got, kz_err *err)
{
    assert(p && got);
    *got = 0;
    if (p->ops->fd(p) < 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "%s: port is closed", p->shown);
    if (cap == 0)
        return KZ_OK;
    return p->ops->read(p, buf, cap, got, err);
}

kz_status port_write(port *p, const uint8_t *buf, size_t len, size_t *wrote, kz_err *err)
{
    assert(p && wrote);
    *wrote = 0;
    if (p->ops->fd(p) < 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "%s: port is closed", p->shown);
    if (len == 0)
        return KZ_OK;
    return p->ops->write(p, buf, len, wrote, err);
}

int port_fd(const port *p)
{
    return p ? p->ops->fd(p) : -1;
}

const char *port_name(const port *p)
{
    return p ? p->label : "(no port)";
}
