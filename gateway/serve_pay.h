/*
 * serve_pay.h - mobile-money payouts inside `kazi serve`: one payout runner
 * (gateway/payout_ussd.h) on the daemon's first modem (or the first ready
 * one with [modem] payouts = yes), fed by the loop, the modem's USSD
 * callbacks and the provider SMS the inbox hands over; workers
 * are told by SMS when their payout is confirmed or failed.
 * Owns: the daemon's runner, its script and provider patterns, and the list
 * of payouts it watches for an outcome. Never logs the PIN, never resends a
 * payout, never runs two USSD sessions at once.
 */
#ifndef KAZI_SERVE_PAY_H
#define KAZI_SERVE_PAY_H

#include <stdbool.h>
#include <stdint.h>

#include "serve.h"

typedef struct serve_pay serve_pay;

/*
 * Load [payout] script and providers and make the runner (its restart
 * recovery runs now: payouts left in flight become unknown or failed, none
 * is resent). 0 when payouts are ready or not configured (no script),
 * -1 (logged) when the configuration names files that do not load.
 * Call after serve_modems_open, before the loop.
 */
int serve_pay_open(kz_daemon *d);

/* Stop: a session in progress is cancelled, its payout is settled by the next
 * start's recovery (never resent). NULL-safe on d->pay. */
void serve_pay_close(kz_daemon *d);

/* Every loop turn while not stopping (now: Unix seconds). Starts the oldest
 * requested payout at most once per housekeeping interval, runs deadlines. */
void serve_pay_tick(kz_daemon *d, int64_t now);

/* A payout may have been requested elsewhere (a web handler): the next
 * serve_pay_tick looks for requested payouts at once. NULL-safe on d->pay. */
void serve_pay_poke(kz_daemon *d);

/* A modem's on_ussd, forwarded (sessions not the runner's are ignored). */
void serve_pay_on_ussd(kz_daemon *d, modem *m, uint64_t session_id, kz_status st,
                       const cusd_reply *reply);

/* Modem m is about to be freed: a runner on it is dropped first. */
void serve_pay_modem_closing(kz_daemon *d, modem *m);

/*
 * A whole inbound SMS, inside the inbox's hand-over transaction (after the
 * conversation layer recorded it). *consumed is true when a provider claims
 * the sender; it is then reconciled and the worker's SMS about the outcome
 * is queued in the same transaction. KZ_ERR_DB (err) to roll the hand-over
 * back; KZ_OK otherwise.
 */
kz_status serve_pay_on_sms(kz_daemon *d, const char *sender, const char *text, bool *consumed,
                           kz_err *err);

#endif
