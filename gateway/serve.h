/*
 * serve.h - what serve.c (start-up: options, configuration, lock, store,
 * modems, privileges) and loop.c / serve_modems.c (the poll loop, signals,
 * timers, reload, the modems' callbacks) share: the daemon's state.
 * Owns: kz_daemon. Never used outside gateway/serve*.c and gateway/loop*.c.
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
    struct serve_pay *pay;        /* gateway/serve_pay.c; NULL: no payouts */
} kz_daemon;

/* Monotonic milliseconds (the modems' clock) and Unix seconds (the store's). */
int64_t serve_now_ms(void);
int64_t serve_now(void);

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

/* ---- loop.c ---- */

/* Block the daemon's signals and open the signalfd. 0 or -1 (logged). */
int loop_signals_init(kz_daemon *d);

/* Run until SIGTERM/SIGINT and a clean stop. Returns the process exit status. */
int loop_run(kz_daemon *d);

/* ---- serve_conv.c ---- */

/*
 * Load the message templates (cfg templates, else $KAZI_TEMPLATES, else the
 * installed ones) and fill d->conv from d->cfg. 0 or -1 (logged). On a reload
 * the old templates stay if the new ones do not load.
 */
int serve_conv_setup(kz_daemon *d);

/* The inbox's hand-over: record and handle one inbound message (ctx is the daemon). */
kz_status serve_deliver(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err);

/* Offer tasks to workers who may get one now; queue the offers. Logs its own errors. */
void serve_push_offers(kz_daemon *d, int64_t now);

#endif
