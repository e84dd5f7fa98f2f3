/*
 * cmd_sim.c - `kazi sim`: runs the modem simulator (modem/sim_engine.h) on a
 * pseudo-terminal, with a Unix-socket control interface (gateway/sim_ctl.c),
 * and `kazi sim ctl`. Owns the pty (raw mode, the --link symlink, vanishing
 * and coming back), the control socket, signals and the poll loop.
 * Never interprets AT commands itself, and never leaves its link or socket
 * behind on a clean exit (SIGTERM, SIGINT, "quit").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sim_ctl.h"
#include "sim_engine.h"

#define MAX_CLIENTS 8
#define CLIENT_LINE_MAX 8192
#define OUT_MAX (1u << 20) /* bytes the host has not read; beyond this they are lost, as on a UART */

typedef struct ctl_client {
    int fd;
    char buf[CLIENT_LINE_MAX];
    size_t len;
} ctl_client;

typedef struct sim_proc {
    sim_engine *e;
    const char *link;
    const char *control;
    char slave_path[PATH_MAX];
    int master;        /* -1 while vanished */
    int slave_hold;    /* our own slave fd: keeps the master from seeing POLLHUP */
    uint64_t back_at;  /* when a vanished port returns */
    int listen_fd;
    ctl_client clients[MAX_CLIENTS];
    char *out;         /* engine output not yet written to the master */
    size_t out_len;
    bool quit;
    struct timespec t0;
    FILE *delivery_log;      /* --delivery-log: "UNIX_MS DELIVERED" when messages reach the modem */
    unsigned long logged;    /* delivered count last written there */
} sim_proc;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static uint64_t now_ms(const sim_proc *p)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)(t.tv_sec - p->t0.tv_sec) * 1000u +
           (uint64_t)((t.tv_nsec - p->t0.tv_nsec) / 1000000L) ;
}

static int sim_usage(void)
{
    fprintf(stderr,
            "usage: kazi sim [--link PATH] [--control SOCKET] [--script USSD_FILE]\n"
            "                [--latency MS] [--cmgs-latency MS] [--ussd-latency MS] [--boot MS]\n"
            "                [--storage N] [--me-storage N] [--pin PIN] [--seed N]\n"
            "                [--report-delay MS] [--report-status N|none] [--rssi N]\n"
            "                [--cnmi-mode sim800|cmt|cdsi] [--csms-service 0|1]\n"
            "                [--delivery-log FILE]\n"
            "       kazi sim ctl SOCKET COMMAND [ARGS...]\n");
    return CLI_USAGE;
}

/* Raw mode on the slave: no echo, no CR/LF translation, no signals from bytes. */
static int open_pty(sim_proc *p)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 ||
        ptsname_r(m, p->slave_path, sizeof p->slave_path) != 0) {
        fprintf(stderr, "kazi sim: cannot create a pseudo-terminal: %s\n", strerror(errno));
        if (m >= 0)
            close(m);
        return -1;
    }
    int s = open(p->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios tio;
    if (s < 0 || tcgetattr(s, &tio) != 0) {
        fprintf(stderr, "kazi sim: %s: %s\n", p->slave_path, strerror(errno));
        close(m);
        if (s >= 0)
            close(s);
        return -1;
    }
    cfmakeraw(&tio);
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    tcsetattr(s, TCSANOW, &tio);
    p->master = m;
    p->slave_hold = s;
    return 0;
}

/* Point --link at the current slave: a new symlink renamed over the old one. */
static int update_link(const sim_proc *p)
{
    if (!p->link)
        return 0;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", p->link, (long)getpid());
    unlink(tmp);
    if (symlink(p->slave_path, tmp) != 0 || rename(tmp, p->link) != 0) {
        fprintf(stderr, "kazi sim: --link %s: %s\n", p->link, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void remove_link(const sim_proc *p)
{
    char target[PATH_MAX];
    ssize_t n = p->link ? readlink(p->link, target, sizeof target - 1) : -1;
    if (n < 0)
        return;
    target[n] = '\0';
    if (strcmp(target, p->slave_path) == 0)
        unlink(p->link);
}

static void close_pty(sim_proc *p)
{
    if (p->master >= 0)
        close(p->master);
    if (p->slave_hold >= 0)
        close(p->slave_hold);
    p->master = p->slave_hold = -1;
    p->out_len = 0;
}

static int open_control(sim_proc *p)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(p->control) >= sizeof sa.sun_path) {
        fprintf(stderr, "kazi sim: --control path too long\n");
        return -1;
    }
    memcpy(sa.sun_path, p->control, strlen(p->control) + 1);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
        fprintf(stderr, "kazi sim: %s: another simulator is listening there\n", p->control);
        close(probe);
        return -1;
    }
    if (probe >= 0)
        close(probe);
    unlink(p->control);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0) {
        fprintf(stderr, "kazi sim: --control %s: %s\n", p->control, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    p->listen_fd = fd;
    return 0;
}

static int load_script(sim_engine *e, const char *path, char *why, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    bool too_big = text && !feof(f);
    fclose(f);
    kz_err err;
    kz_err_clear(&err);
    int rc = 0;
    if (!text || too_big) {
        snprintf(why, cap, "%s: %s", path, text ? "larger than 1 MiB" : "out of memory");
        rc = -1;
    } else if (sim_ussd_load(e, text, n, &err) != KZ_OK) {
        snprintf(why, cap, "%s:%s", path, err.msg + (strncmp(err.msg, "line ", 5) ? 0 : 5));
        rc = -1;
    }
    free(text);
    return rc;
}

/* ---- the loop ---- */

static void pump_output(sim_proc *p)
{
    uint8_t chunk[4096];
    size_t n;
    while ((n = sim_output(p->e, chunk, sizeof chunk)) > 0) {
        if (p->master < 0 || p->out_len + n > OUT_MAX)
            continue; /* nobody to hear it, or the host stopped reading: lost */
        char *nb = realloc(p->out, p->out_len + n);
        if (!nb)
            continue;
        p->out = nb;
        memcpy(p->out + p->out_len, chunk, n);
        p->out_len += n;
    }
    while (p->master >= 0 && p->out_len > 0) {
        ssize_t w = write(p->master, p->out, p->out_len);
        if (w <= 0)
            break; /* EAGAIN: the pty buffer is full; POLLOUT tells us when to go on */
        memmove(p->out, p->out + w, p->out_len - (size_t)w);
        p->out_len -= (size_t)w;
    }
}

static void read_master(sim_proc *p)
{
    uint8_t buf[4096];
    ssize_t n = read(p->master, buf, sizeof buf);
    if (n > 0)
        sim_input(p->e, buf, (size_t)n, now_ms(p));
}

static void vanish(sim_proc *p, long ms)
{
    fprintf(stderr, "kazi sim: port %s vanishes for %ld ms\n", p->slave_path, ms);
    close_pty(p);
    remove_link(p);
    p->back_at = now_ms(p) + (uint64_t)ms;
}

static void come_back(sim_proc *p)
{
    p->back_at = 0;
    if (open_pty(p) != 0) {
        p->quit = true;
        return;
    }
    update_link(p);
    sim_fault(p->e, SIM_FAULT_POWER_CYCLE, 0, 0, now_ms(p)); /* a re-enumerated modem has rebooted */
    fprintf(stderr, "kazi sim: port is back as %s\n", p->slave_path);
}

static void client_close(ctl_client *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void send_answer(ctl_client *c, const char *s, size_t n)
{
    /* Answers are small; a client that does not read them is dropped. */
    while (n > 0) {
        struct pollfd pfd = {c->fd, POLLOUT, 0};
        if (poll(&pfd, 1, 2000) <= 0)
            break;
        ssize_t w = write(c->fd, s, n);
        if (w <= 0)
            break;
        s += w;
        n -= (size_t)w;
    }
    if (n > 0)
        client_close(c);
}

static void run_control_line(sim_proc *p, ctl_client *c, char *line)
{
    char *ans = NULL;
    size_t alen = 0;
    FILE *out = open_memstream(&ans, &alen);
    if (!out)
        return;
    sim_ctl_action act;
    memset(&act, 0, sizeof act);
    sim_ctl_run(p->e, line, now_ms(p), &act, out);
    if (act.load_script) {
        char why[600];
        if (load_script(p->e, act.script_path, why, sizeof why) == 0)
            fprintf(out, "ok\n");
        else
            fprintf(out, "error %s\n", why);
    }
    fclose(out);
    send_answer(c, ans, alen);
    free(ans);
    if (act.quit)
        p->quit = true;
    if (act.vanish)
        vanish(p, act.vanish_ms);
}

static void read_client(sim_proc *p, ctl_client *c)
{
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (n <= 0) {
        client_close(c);
        return;
    }
    c->len += (size_t)n;
    char *nl;
    while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
        *nl = '\0';
        if (nl > c->buf && nl[-1] == '\r')
            nl[-1] = '\0';
        run_control_line(p, c, c->buf);
        size_t used = (size_t)(nl - c->buf) + 1;
        if (c->fd >= 0) {
            memmove(c->buf, nl + 1, c->len - used);
            c->len -= used;
        }
    }
    if (c->fd >= 0 && c->len == sizeof c->buf - 1)
        client_close(c); /* a line longer than any command */
}

static void accept_client(sim_proc *p)
{
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (p->clients[i].fd < 0) {
            p->clients[i].fd = fd;
            p->clients[i].len = 0;
            return;
        }
    }
    const char busy[] = "error too many control clients\n";
    if (write(fd, busy, sizeof busy - 1) < 0)
        (void)0;
    close(fd);
}

static int poll_timeout(const sim_proc *p)
{
    uint64_t now = now_ms(p), when;
    long t = -1;
    if (sim_next_deadline(p->e, &when))
        t = when <= now ? 0 : (long)(when - now);
    if (p->back_at) {
        long b = p->back_at <= now ? 0 : (long)(p->back_at - now);
        if (t < 0 || b < t)
            t = b;
    }
    return t > 60000 || t < 0 ? 60000 : (int)t;
}

static void handle_events(sim_proc *p, struct pollfd *fds, int nfds)
{
    for (int i = 0; i < nfds; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == p->master && (fds[i].revents & POLLIN))
            read_master(p);
        else if (fds[i].fd == p->listen_fd)
            accept_client(p);
        for (int k = 0; k < MAX_CLIENTS; k++)
            if (p->clients[k].fd >= 0 && p->clients[k].fd == fds[i].fd)
                read_client(p, &p->clients[k]);
    }
}

/*
 * --delivery-log: after messages were handed to the modem (stored, +CMTI or
 * +CMT written to the pty), one line "UNIX_MS N", N the messages delivered so
 * far, the wall clock in milliseconds: benchmarks time inbound latency from it.
 */
static void log_deliveries(sim_proc *p)
{
    if (!p->delivery_log)
        return;
    sim_stats s;
    sim_get_stats(p->e, &s);
    if (s.delivered == p->logged)
        return;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    fprintf(p->delivery_log, "%lld %lu\n", (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000,
            s.delivered);
    p->logged = s.delivered;
}

static void run_loop(sim_proc *p, const sigset_t *waitmask)
{
    while (!p->quit && !got_signal) {
        struct pollfd fds[2 + MAX_CLIENTS];
        int nfds = 0;
        if (p->master >= 0)
            fds[nfds++] = (struct pollfd){p->master, (short)(POLLIN | (p->out_len ? POLLOUT : 0)), 0};
        if (p->listen_fd >= 0)
            fds[nfds++] = (struct pollfd){p->listen_fd, POLLIN, 0};
        for (int k = 0; k < MAX_CLIENTS; k++)
            if (p->clients[k].fd >= 0)
                fds[nfds++] = (struct pollfd){p->clients[k].fd, POLLIN, 0};
        int t = poll_timeout(p);
        struct timespec ts = {t / 1000, (long)(t % 1000) * 1000000L};
        int r = ppoll(fds, (nfds_t)nfds, &ts, waitmask);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0)
            handle_events(p, fds, nfds);
        sim_tick(p->e, now_ms(p));
        if (p->back_at && now_ms(p) >= p->back_at)
            come_back(p);
        pump_output(p);
        log_deliveries(p);
    }
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

typedef struct sim_opts {
    const char *link, *control, *script, *delivery_log;
} sim_opts;

static int parse_cnmi_mode(const char *arg, sim_cnmi_mode *out)
{
    static const struct {
        const char *name;
        sim_cnmi_mode mode;
    } modes[] = {{"sim800", SIM_CNMI_SIM800}, {"cmt", SIM_CNMI_CMT}, {"cdsi", SIM_CNMI_CDSI}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(arg, modes[i].name) == 0) {
            *out = modes[i].mode;
            return 0;
        }
    }
    return -1;
}

static int apply_option(int c, const char *arg, sim_config *cfg, sim_opts *o)
{
    long v = 0;
    if (c == 'l' || c == 'c' || c == 's' || c == 'p') {
        *(c == 'l' ? &o->link : c == 'c' ? &o->control : c == 's' ? &o->script : &cfg->pin) = arg;
        return 0;
    }
    if (c == 'T') {
        o->delivery_log = arg;
        return 0;
    }
    if (c == 'R' && strcmp(arg, "none") == 0) {
        cfg->report_status = -1;
        return 0;
    }
    if (c == 'N')
        return parse_cnmi_mode(arg, &cfg->cnmi_mode);
    if (parse_num(arg, 0, c == 'S' || c == 'M' ? SIM_SLOTS_MAX : 86400000L, &v) != 0)
        return -1;
    switch (c) {
    case 'L': cfg->latency_ms = (unsigned)v; break;
    case 'G': cfg->cmgs_latency_ms = (unsigned)v; break;
    case 'U': cfg->ussd_latency_ms = (unsigned)v; break;
    case 'B': cfg->boot_ms = (unsigned)v; break;
    case 'S': cfg->sm_slots = (size_t)v; break;
    case 'M': cfg->me_slots = (size_t)v; break;
    case 'e': cfg->seed = (uint32_t)v; break;
    case 'D': cfg->report_delay_ms = (unsigned)v; break;
    case 'R': cfg->report_status = (int)v; break;
    case 'q': cfg->rssi = (int)v; break;
    case 'C':
        if (v > 1)
            return -1;
        cfg->csms_service = (int)v;
        break;
    default: return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, sim_config *cfg, sim_opts *o)
{
    static const struct option longopts[] = {
        {"link", required_argument, NULL, 'l'},      {"control", required_argument, NULL, 'c'},
        {"script", required_argument, NULL, 's'},    {"latency", required_argument, NULL, 'L'},
        {"cmgs-latency", required_argument, NULL, 'G'}, {"ussd-latency", required_argument, NULL, 'U'},
        {"boot", required_argument, NULL, 'B'},      {"storage", required_argument, NULL, 'S'},
        {"me-storage", required_argument, NULL, 'M'}, {"pin", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 'e'},      {"report-delay", required_argument, NULL, 'D'},
        {"report-status", required_argument, NULL, 'R'}, {"rssi", required_argument, NULL, 'q'},
        {"cnmi-mode", required_argument, NULL, 'N'}, {"csms-service", required_argument, NULL, 'C'},
        {"delivery-log", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == '?' || apply_option(c, optarg, cfg, o) != 0) {
            if (c != '?')
                fprintf(stderr, "kazi sim: bad value '%s'\n", optarg);
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static void proc_cleanup(sim_proc *p)
{
    remove_link(p);
    close_pty(p);
    if (p->listen_fd >= 0) {
        close(p->listen_fd);
        unlink(p->control);
    }
    for (int k = 0; k < MAX_CLIENTS; k++)
        if (p->clients[k].fd >= 0)
            close(p->clients[k].fd);
    free(p->out);
    sim_free(p->e);
    if (p->delivery_log)
        fclose(p->delivery_log);
}

static int start(sim_proc *p, const sim_config *cfg, const sim_opts *o)
{
    kz_err err;
    kz_err_clear(&err);
    char why[600];
    p->e = sim_new(cfg, 0, &err);
    if (!p->e) {
        fprintf(stderr, "kazi sim: %s\n", err.msg);
        return -1;
    }
    if (o->script && load_script(p->e, o->script, why, sizeof why) != 0) {
        fprintf(stderr, "kazi sim: --script %s\n", why);
        return -1;
    }
    if (o->delivery_log) {
        p->delivery_log = fopen(o->delivery_log, "a");
        if (!p->delivery_log) {
            fprintf(stderr, "kazi sim: --delivery-log %s: %s\n", o->delivery_log, strerror(errno));
            return -1;
        }
        setvbuf(p->delivery_log, NULL, _IOLBF, 0); /* whole lines, even if killed */
    }
    if (open_pty(p) != 0 || update_link(p) != 0)
        return -1;
    if (p->control && open_control(p) != 0)
        return -1;
    printf("%s\n", p->slave_path);
    fflush(stdout);
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
        return sim_ctl_client(argc - 1, argv + 1);
    sim_config cfg;
    sim_config_init(&cfg);
    sim_opts o = {NULL, NULL, NULL, NULL};
    if (parse_options(argc, argv, &cfg, &o) != 0)
        return sim_usage();
    sim_proc p;
    memset(&p, 0, sizeof p);
    p.master = p.slave_hold = p.listen_fd = -1;
    for (int k = 0; k < MAX_CLIENTS; k++)
        p.clients[k].fd = -1;
    p.link = o.link;
    p.control = o.control;
    clock_gettime(CLOCK_MONOTONIC, &p.t0);
    cfg.wall_base_s = (int64_t)time(NULL);

    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = CLI_OK;
    if (start(&p, &cfg, &o) == 0) {
        pump_output(&p);
        run_loop(&p, &waitmask);
    } else {
        rc = CLI_FAIL;
    }
    proc_cleanup(&p);
    return rc;
}
