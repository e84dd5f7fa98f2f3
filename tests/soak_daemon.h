/*
 * soak_daemon.h - test helper for tests/integration/test_soak.c: the
 * daemon's life in-process. Owns starting it from the run's configuration,
 * a crash (everything freed without the clean-stop path, the database keeps
 * what was committed) and closing it after loop_step finished a clean stop.
 * Works on the run's state W (soak_world.h).
 * Never decides when to crash or stop (soak_faults.h does), never drives
 * loop_step, never touches the test's records.
 */
#ifndef KAZI_TEST_SOAK_DAEMON_H
#define KAZI_TEST_SOAK_DAEMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "log.h"
#include "serve.h"
#include "serve_pay.h"
#include "soak_world.h"

static bool daemon_start(void)
{
    kz_daemon *d = calloc(1, sizeof *d);
    cfg_errors *errs = calloc(1, sizeof *errs);
    if (!d || !errs) {
        free(d);
        free(errs);
        return false;
    }
    d->sigfd = -1; /* no signals here: stops are asked by setting d->stopping */
    size_t n = config_load(W.conf, &d->cfg, errs);
    for (size_t i = 0; i < n && i < CFG_MAX_ERRORS; i++)
        fprintf(stderr, "%s\n", errs->msg[i]);
    free(errs);
    log_setup("kazi", (log_level)d->cfg.log_level, false);
    bool ok = n == 0 && serve_conv_setup(d) == 0 && serve_open_store(d) == 0 &&
              serve_modems_open(d) == 0 && serve_pay_open(d) == 0;
    W.d = d;
    KT_CHECK(ok, "daemon start at %+.0f s", (double)(W.vnow - V0) / 1000.0);
    serve_modems_snapshot(d);
    d->outbox_dirty = d->inbox_dirty = true;
    return ok;
}

/* Free what the clean path frees (serve.c close_all, without the lock and the log). */
static void daemon_free(kz_daemon *d)
{
    serve_inbox_free(d); /* parts read in the turn a crash cut short */
    outbox_free(d->ob);
    inbox_free(d->ib);
    qstore_close(d->q);
    store_close(d->st);
    tmpl_free(d->templates);
    free(d);
}

/* A crash: the database keeps what was committed; nothing is detached or settled. */
static void daemon_crash(void)
{
    kz_daemon *d = W.d;
    W.d = NULL;
    serve_pay_close(d); /* memory only: recovery settles a payout in flight */
    for (size_t i = 0; i < d->nmodems; i++) {
        serve_power_stop(d->modems[i]); /* memory (a power-cycle command dies with us) */
        modem_free(d->modems[i]->m);
        free(d->modems[i]);
    }
    d->nmodems = 0;
    daemon_free(d);
    W.crashes++;
}

/* After loop_step said the clean stop finished. */
static void daemon_close_clean(void)
{
    kz_daemon *d = W.d;
    W.d = NULL;
    serve_modems_snapshot(d);
    serve_pay_close(d);
    serve_modems_close(d);
    daemon_free(d);
    W.clean_stops++;
}

#endif
