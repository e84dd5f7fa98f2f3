/*
 * loop.c - the daemon's one poll loop: modem fds, a signalfd (SIGTERM,
 * SIGINT: clean stop; SIGHUP: reload) and the HTTP listeners' wake fd (their
 * handlers queued SMS or payouts), then the work that is due: inbound
 * sets handed over, the outbox pumped, and the timers (offer expiry,
 * auto-accept, unsent parts without an outcome, modem snapshots, pushing
 * offers to workers), and once the loop has been quiet for IDLE_RELEASE_MS,
 * the memory it can rebuild given back (SQLite's statements and unused page
 * cache, the free heap).
 * Owns: the order of work in one turn and the clean stop (no new sends, wait
 * up to STOP_GRACE_MS for outcomes of parts in flight, then close). Never
 * blocks anywhere but in poll(); never gives memory back during a burst.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "serve.h"
#include "serve_pay.h"
#include "store_memory.h"

#define STOP_GRACE_MS 5000
#define MAX_WAIT_MS 1000
#define PUMP_EVERY_MS 1000
#define INBOX_EVERY_S 5
/* No I/O for this long: the burst is over, give back what the loop can spare. */
#define IDLE_RELEASE_MS 10000

int loop_signals_init(kz_daemon *d)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
        (d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        log_error("signals: %s", strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* ---- reload ---- */

static void log_change(void *ctx, const char *section, const char *key, bool reloadable)
{
    (void)ctx;
    if (reloadable)
        log_info("reload: [%s] %s changed", section, key);
    else
        log_warn("reload: [%s] %s changed, but only a restart applies it (kept the old value)",
                 section, key);
}

static void reload(kz_daemon *d)
{
    kz_config *next = calloc(1, sizeof *next);
    cfg_errors *errs = calloc(1, sizeof *errs);
    if (!next || !errs) {
        free(next);
        free(errs);
        log_error("reload: out of memory");
        return;
    }
    size_t n = config_load(d->cfg.file, next, errs);
    if (n) {
        for (size_t i = 0; i < n && i < CFG_MAX_ERRORS; i++)
            log_error("reload: %s", errs->msg[i]);
        log_error("reload: configuration not applied (%zu error%s); still running the old one", n,
                  n == 1 ? "" : "s");
    } else if (config_diff(&d->cfg, next, log_change, NULL) == 0) {
        log_info("reload: %s: nothing changed", d->cfg.file);
    } else {
        config_apply_reloadable(&d->cfg, next);
        serve_modems_reload(d, next);
        memcpy(d->cfg.modems, next->modems, sizeof next->modems);
        d->cfg.nmodems = next->nmodems;
        outbox_settings os;
        serve_outbox_settings(&d->cfg, &os);
        outbox_configure(d->ob, &os);
        inbox_configure(d->ib, d->cfg.concat_timeout_s);
        serve_conv_setup(d);
        serve_http_reload(d);
        log_setup("kazi", (log_level)d->cfg.log_level, d->cfg.syslog);
        log_info("reload: applied");
    }
    free(next);
    free(errs);
}

static void read_signals(kz_daemon *d)
{
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            log_info("SIGHUP: reloading %s", d->cfg.file);
            reload(d);
        } else if (!d->stopping) {
            log_info("%s: stopping (waiting up to %d ms for %d part(s) in flight)",
                     si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT", STOP_GRACE_MS,
                     outbox_in_flight(d->ob));
            d->stopping = true;
            d->stop_deadline_ms = serve_now_ms() + STOP_GRACE_MS;
            serve_http_close(d); /* no new requests while the modems finish */
        }
    }
}

/* ---- I/O ---- */

static int poll_timeout(const kz_daemon *d, int64_t now_ms, int max_wait_ms)
{
    int64_t wait = max_wait_ms;
    for (size_t i = 0; i < d->nmodems; i++) {
        int64_t dl = modem_next_deadline(d->modems[i]->m) - now_ms;
        if (dl < wait)
            wait = dl < 0 ? 0 : dl;
    }
    int64_t power = serve_power_next_deadline(d) - now_ms; /* power-cycle commands */
    if (power < wait)
        wait = power < 0 ? 0 : power;
    return (int)wait;
}

/* A handler queued work: pump the outbox and look for payout requests now. */
static void read_wake(kz_daemon *d)
{
    if (!serve_http_woken(d))
        return;
    log_debug("http: a request queued work: pumping the outbox now");
    d->outbox_dirty = true;
    serve_pay_poke(d);
}

/* True when something was readable or writable (a modem, a signal, a handler's wake). */
static bool poll_once(kz_daemon *d, int max_wait_ms)
{
    struct pollfd pfd[CFG_MAX_MODEMS + 2];
    serve_modem *who[CFG_MAX_MODEMS + 2];
    size_t n = 0;
    pfd[n] = (struct pollfd){.fd = d->sigfd, .events = POLLIN};
    who[n++] = NULL;
    pfd[n] = (struct pollfd){.fd = serve_http_wake_fd(d), .events = POLLIN}; /* -1: ignored */
    who[n++] = NULL;
    for (size_t i = 0; i < d->nmodems; i++) {
        int fd = modem_fd(d->modems[i]->m);
        if (fd < 0)
            continue;
        pfd[n] = (struct pollfd){.fd = fd, .events = modem_poll_events(d->modems[i]->m)};
        who[n++] = d->modems[i];
    }
    int rc = poll(pfd, (nfds_t)n, poll_timeout(d, serve_now_ms(), max_wait_ms));
    if (rc < 0 && errno != EINTR)
        log_error("poll: %s", strerror(errno));
    for (size_t i = 2; rc > 0 && i < n; i++)
        if (pfd[i].revents)
            modem_on_io(who[i]->m, pfd[i].revents, serve_now_ms());
    if (rc > 0 && pfd[1].revents)
        read_wake(d);
    if (rc > 0 && pfd[0].revents)
        read_signals(d);
    int64_t now_ms = serve_now_ms();
    for (size_t i = 0; i < d->nmodems; i++)
        if (modem_next_deadline(d->modems[i]->m) <= now_ms)
            modem_tick(d->modems[i]->m, now_ms);
    return rc > 0;
}

/* ---- memory ---- */

/*
 * Once per quiet spell (no I/O and no held parts for IDLE_RELEASE_MS): the
 * store's cached statements and unused page-cache pages, then the heap's free
 * pages, back to the system. The next message prepares its statements again
 * and reads its pages from the OS's file cache; a burst keeps them, since
 * every turn of a burst has I/O.
 */
static void release_when_idle(kz_daemon *d, bool busy, int64_t now_ms)
{
    if (busy || d->nheld || d->nreports) {
        d->busy_ms = now_ms;
        d->memory_released = false;
        return;
    }
    if (d->memory_released || now_ms - d->busy_ms < IDLE_RELEASE_MS)
        return;
    d->memory_released = true;
    store_memory_use freed;
    kz_err err;
    kz_err_clear(&err);
    if (store_release_memory(d->st, d->q, &freed, &err) != KZ_OK)
        log_warn("idle: %s", err.msg);
    malloc_trim(0);
    log_debug("idle: gave back %zu KiB of page cache, %zu KiB of statements and the free heap",
              freed.cache / 1024, freed.stmts / 1024);
}

/* ---- work ---- */

static void run_inbox(kz_daemon *d, int64_t now)
{
    if (!d->nheld && !d->nreports && !d->inbox_dirty && now < d->next_inbox)
        return;
    d->inbox_dirty = false;
    d->next_inbox = now + INBOX_EVERY_S;
    serve_inbox_run(d, now); /* the turn's parts and answers: one commit */
}

static void run_outbox(kz_daemon *d, int64_t now)
{
    int64_t now_ms = serve_now_ms();
    if (!d->outbox_dirty && now_ms < d->next_pump_ms)
        return;
    d->outbox_dirty = false;
    d->next_pump_ms = now_ms + PUMP_EVERY_MS;
    int handed = 0;
    kz_err err;
    kz_err_clear(&err);
    if (outbox_pump(d->ob, now, &handed, &err) != KZ_OK)
        log_error("outbox: %s", err.msg);
    if (handed)
        log_debug("outbox: %d part(s) handed to modems", handed);
}

static void housekeeping(kz_daemon *d, int64_t now)
{
    if (now < d->next_housekeeping)
        return;
    d->next_housekeeping = now + d->cfg.housekeeping_s;
    kz_err err;
    kz_err_clear(&err);
    size_t n = 0;
    if (engine_expire(d->st, now, &n, &err) != KZ_OK)
        log_error("expiring offers: %s", err.msg);
    else if (n)
        log_info("%zu offer(s) expired and went back to the pool", n);
    n = 0;
    if (engine_auto_accept(d->st, &d->cfg.engine, now, &n, &err) != KZ_OK)
        log_error("auto-accepting answers: %s", err.msg);
    else if (n)
        log_info("%zu answer(s) accepted automatically", n);
    if (outbox_housekeeping(d->ob, now, &err) != KZ_OK)
        log_error("outbox: %s", err.msg);
    serve_modems_snapshot(d);
}

static void push(kz_daemon *d, int64_t now)
{
    if (now < d->next_push)
        return;
    d->next_push = now + d->cfg.push_interval_s;
    serve_push_offers(d, now);
    d->outbox_dirty = true;
}

bool loop_step(kz_daemon *d, int max_wait_ms)
{
    bool busy = poll_once(d, max_wait_ms);
    serve_power_tick(d, serve_now_ms());
    int64_t now = serve_now();
    run_inbox(d, now);
    if (d->stopping) {
        kz_err err;
        kz_err_clear(&err);
        if (outbox_flush(d->ob, &err) != KZ_OK) /* outcomes confirmed while stopping */
            log_error("outbox: %s", err.msg);
        return outbox_in_flight(d->ob) == 0 || serve_now_ms() >= d->stop_deadline_ms;
    }
    housekeeping(d, now);
    serve_pay_tick(d, now);
    push(d, now);
    run_outbox(d, now);
    release_when_idle(d, busy, serve_now_ms());
    return false;
}

int loop_run(kz_daemon *d)
{
    serve_modems_snapshot(d);
    d->outbox_dirty = d->inbox_dirty = true;
    while (!loop_step(d, MAX_WAIT_MS))
        ;
    serve_modems_snapshot(d);
    log_info("stopped cleanly (%d part(s) still without an outcome)", outbox_in_flight(d->ob));
    return 0;
}
