/*
 * serve.h - what serve.c (start-up: options, configuration, lock, store,
 * modems, privileges) and loop.c / serve_modems.c (the poll loop, signals,
 * timers, reload, the modems' callbacks) share: the daemon's state.
 * Owns: kz_daemon. Outside gateway/serve*.c and gateway/loop*.c only the
 * clocks (serve_now) and serve_conv_fill (the CLI's conversation settings)
 * are used.
 */
#ifndef KAZI_SERVE_H
#define KAZI_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "conv.h"
#include "inbox.h"
#include "modem.h"
#include "outbox.h"
#include "queue_store.h"
#include "store.h"

struct kz_daemon;

/* One configured, enabled modem. */
typedef struct serve_modem {
    cfg_modem cfg;
    modem *m;
    struct kz_daemon *d;
    modem_state state;
    struct serve_power *power;    /* gateway/serve_power.c; NULL until the modem is dead */
} serve_modem;

typedef struct kz_daemon {
    kz_config cfg;
    kz_store *st;
    kz_queue *q;
    tmpl_set *templates;
    conv_config conv;
    inbox *ib;
    outbox *ob;
    serve_modem *modems[CFG_MAX_MODEMS];
    size_t nmodems;
    int sigfd;
    bool stopping;
    int64_t stop_deadline_ms;
    bool inbox_dirty, outbox_dirty;
    int64_t next_housekeeping, next_push, next_inbox, next_pump_ms; /* seconds / ms */
    int64_t busy_ms;              /* gateway/loop.c: the last turn with I/O (monotonic ms) */
    bool memory_released;         /* gateway/loop.c: spare memory given back since then */
    struct serve_pay *pay;        /* gateway/serve_pay.c; NULL: no payouts */
    struct serve_http *http;      /* gateway/serve_http.c; NULL: no [http] listen */
    struct held_part *held;       /* gateway/serve_inbox.c: this turn's parts, not committed */
    size_t nheld, held_cap;
    struct held_report *reports;  /* gateway/serve_reports.c: this turn's reports, not committed */
    size_t nreports, reports_cap;
    int64_t inbox_last_id;        /* newest inbound message handed over (for the log) */
} kz_daemon;

/* ---- serve_clock.c ---- */

/* Monotonic milliseconds (the modems' clock) and Unix seconds (the store's). */
int64_t serve_now_ms(void);
int64_t serve_now(void);

/* A replacement for both clocks (tests in simulated time); ctx is passed back. */
typedef struct serve_clock {
    int64_t (*now_ms)(void *ctx);
    int64_t (*now_s)(void *ctx);
    void *ctx;
} serve_clock;

/* Tests only: read c's clocks from now on (copied); NULL: the real clocks again. */
void serve_clock_set(const serve_clock *c);

/* ---- serve.c ---- */

/* Open the database, the queues, the inbox and the outbox, and run the outbox's
 * after-crash recovery. 0 or -1 (logged). */
int serve_open_store(kz_daemon *d);

/* The outbox knobs from a configuration. */
void serve_outbox_settings(const kz_config *cfg, outbox_settings *out);

/* ---- serve_modems.c ---- */

/* Create, attach to the outbox and start the enabled modems of d->cfg. 0 or -1 (logged). */
int serve_modems_open(kz_daemon *d);

/* Stop and free one modem (its in-flight parts get the after-crash rule). */
void serve_modem_close(kz_daemon *d, size_t i);

/* Stop and free every modem. */
void serve_modems_close(kz_daemon *d);

/* After a reload: open, close or reopen modems whose sections changed. */
void serve_modems_reload(kz_daemon *d, const kz_config *next);

/* Save each modem's snapshot to the modems table (`kazi status`). */
void serve_modems_snapshot(kz_daemon *d);

/* ---- serve_power.c ---- */

/* A modem's on_state, forwarded: notes a dead modem and a cycled one's return
 * (never forks or restarts here: serve_power_tick does). */
void serve_power_on_state(serve_modem *sm, modem_state state, int64_t now_ms);

/* Every loop turn: start, reap or kill power-cycle commands, restart modems. */
void serve_power_tick(kz_daemon *d, int64_t now_ms);

/* Earliest time serve_power_tick has work (INT64_MAX: none). */
int64_t serve_power_next_deadline(const kz_daemon *d);

/* For the modems table: *state and why (cap bytes) while a power cycle shapes
 * them; false (untouched) otherwise. */
bool serve_power_describe(const serve_modem *sm, const char **state, char *why, size_t cap);

/* The modem closes: a running command is killed and reaped; frees sm->power. */
void serve_power_stop(serve_modem *sm);

/* ---- serve_http.c ---- */

/*
 * Bind the sockets of [http] listen and console_listen (before the privilege
 * drop: a port under 1024 needs root). 0 (also when there is no [http]
 * listen) or -1 (logged, naming the address).
 */
int serve_http_bind(kz_daemon *d);

/*
 * Start a listener on each bound socket, each with its own database
 * connection and its own copy of the configuration, templates and
 * conversation settings (after the privilege drop). 0 or -1 (logged).
 */
int serve_http_start(kz_daemon *d);

/* The eventfd the handlers write when they queued work (-1: no listeners). */
int serve_http_wake_fd(const kz_daemon *d);

/* The wake fd polled readable: drain it. True when a handler asked for a pump. */
bool serve_http_woken(kz_daemon *d);

/* After a reload applied: the listeners take the new templates and settings
 * (between two requests); [http] keys need a restart (config_diff says so). */
void serve_http_reload(kz_daemon *d);

/* Stop the listeners (a handler running finishes first; open connections are
 * closed), close their connections and free d->http. NULL-safe, idempotent. */
void serve_http_close(kz_daemon *d);

/* ---- loop.c ---- */

/* Block the daemon's signals and open the signalfd. 0 or -1 (logged). */
int loop_signals_init(kz_daemon *d);

/* Run until SIGTERM/SIGINT and a clean stop. Returns the process exit status. */
int loop_run(kz_daemon *d);

/*
 * One turn of the loop: poll the modems and signals for at most max_wait_ms
 * (less when a modem deadline comes first), then the work that is due.
 * Returns true when a clean stop (d->stopping) has finished. loop_run is
 * this in a loop; tests drive it directly with a replaced clock.
 */
bool loop_step(kz_daemon *d, int max_wait_ms);

/* ---- serve_inbox.c ---- */

/* on_sms for a part the modem holds (modem_sms_held): kept for this turn's commit. */
kz_status serve_inbox_hold(kz_daemon *d, serve_modem *sm, const uint8_t *pdu, size_t len,
                           int64_t now);

/*
 * The turn's inbound work: the held parts stored and every ready set handed
 * over in one transaction, then the modems delete the parts. Logs its own
 * errors; falls back to one commit per part.
 */
void serve_inbox_run(kz_daemon *d, int64_t now);

/* The inbox's deliver callback: serve_deliver, noting the newest message id. */
kz_status serve_inbox_deliver(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err);

/* Free the held parts' array (serve_modems_close calls it, after the last modem). */
void serve_inbox_free(kz_daemon *d);

/* ---- serve_reports.c ---- */

/* on_status_report for a report the modem holds (modem_sms_held): kept for this turn's commit. */
kz_status serve_reports_hold(kz_daemon *d, serve_modem *sm, uint64_t send_id,
                             const sms_message *report, int64_t now);

/*
 * Inside serve_inbox_run's transaction: the confirmed sends, then each held
 * report in its own savepoint. failed[k] is set for modem k when one of its
 * reports was not recorded (its held work is left on the SIM). A database
 * error outside the savepoints is returned: the group fails.
 */
kz_status serve_reports_tx(kz_daemon *d, bool failed[], kz_err *err);

/* The group was not committed: each report alone (failed[k] as above). */
void serve_reports_one_by_one(kz_daemon *d, bool failed[]);

/* After the group's commit, or after one_by_one: forget the reports. */
void serve_reports_done(kz_daemon *d, bool committed);

/* Free the held reports' array. */
void serve_reports_free(kz_daemon *d);

/* ---- serve_conv.c ---- */

/*
 * Load the message templates (cfg templates, else $KAZI_TEMPLATES, else the
 * installed ones) and fill d->conv from d->cfg. 0 or -1 (logged). On a reload
 * the old templates stay if the new ones do not load.
 */
int serve_conv_setup(kz_daemon *d);

/* The templates cfg names (cfg templates, else $KAZI_TEMPLATES, else the
 * installed ones) into *out (tmpl_free). 0 or -1 (logged). */
int serve_templates_load(const kz_config *cfg, tmpl_set **out);

/* Fill c from cfg; c->templates = t (borrowed). */
void serve_conv_fill(const kz_config *cfg, const tmpl_set *t, conv_config *c);

/* The inbox's hand-over: record and handle one inbound message (ctx is the daemon). */
kz_status serve_deliver(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err);

/* Offer tasks to workers who may get one now; queue the offers. Logs its own errors. */
void serve_push_offers(kz_daemon *d, int64_t now);

#endif
