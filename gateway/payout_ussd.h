/*
 * payout_ussd.h - the payout runner: pays requested payouts one at a time
 * through a modem's USSD menu (methods ussd and airtime), following a
 * provider script, then waits for the provider's SMS and reconciles it.
 * The daemon (gateway/serve.c) owns the modem and its callbacks and calls
 * in: payout_runner_step from its loop, payout_runner_on_ussd for every
 * on_ussd of that modem, payout_runner_on_sms for every reassembled SMS
 * (docs/payouts.md, "The runner").
 * Owns: the walk of one session, its deadlines and the halt state (wrong
 * PIN, empty float, limit: stop before making things worse). Never resends
 * a payout (an unknown one waits for evidence), never logs or stores the PIN
 * (expanded into a stack buffer, wiped after the reply), never blocks.
 */
#ifndef KAZI_PAYOUT_USSD_H
#define KAZI_PAYOUT_USSD_H

#include <stdbool.h>
#include <stdint.h>

#include "modem.h"
#include "money_sms.h"
#include "payout.h"
#include "payout_script.h"
#include "store.h"

typedef struct payout_runner payout_runner;

typedef struct payout_runner_config {
    payout_config pay;
    payout_method method;     /* PAYOUT_USSD or PAYOUT_AIRTIME */
    const char *pin;          /* the mobile-money PIN (copied; never reported) */
    int confirm_timeout_s;    /* wait for the SMS after the menu (0: 300), then unknown */
    int settle_s;             /* quiet time after a session ended badly (0: 35), so a late
                               * screen from it is not taken for the next session's */
    int64_t wall_offset_s;    /* Unix seconds = wall_offset_s + now_ms / 1000 */
} payout_runner_config;

/*
 * A runner for one modem. Borrows st, m, script and sms (they outlive it).
 * Runs payout_recover first: payouts a previous run left in flight become
 * unknown (or failed when their PIN was never sent); none is resent.
 * NULL with err on failure.
 */
payout_runner *payout_runner_new(kz_store *st, modem *m, const payout_script *script,
                                 const money_sms_set *sms, const payout_runner_config *cfg,
                                 int64_t now_ms, kz_err *err);

/* Free (the PIN copy is wiped). A session in progress is cancelled. NULL-safe. */
void payout_runner_free(payout_runner *r);

/*
 * Start the next requested payout when idle (not halted, modem ready, the
 * float and the daily cap allow it) and run deadlines. KZ_ERR_DB (err) when
 * the store failed; the runner then halts.
 */
kz_status payout_runner_step(payout_runner *r, int64_t now_ms, kz_err *err);

/* The modem's on_ussd, forwarded. Sessions that are not the runner's are ignored. */
void payout_runner_on_ussd(payout_runner *r, modem *m, uint64_t session_id, kz_status st,
                           const cusd_reply *reply, int64_t now_ms);

/*
 * A whole inbound SMS (reassembled). *consumed is true when a provider
 * claims the sender (the daemon must then neither answer it nor treat it as
 * a worker's message); it is then reconciled. KZ_ERR_DB when it could not
 * be recorded: return that to the modem so the SMS stays on the SIM.
 */
kz_status payout_runner_on_sms(payout_runner *r, const char *sender, const char *text,
                               int64_t now_ms, bool *consumed, kz_err *err);

/* When payout_runner_step must run next (INT64_MAX: nothing scheduled). */
int64_t payout_runner_next_deadline(const payout_runner *r);

typedef struct payout_runner_status {
    const char *phase;        /* idle, menu, await-sms, halted */
    bool halted;
    char halt_reason[160];
    int64_t current;          /* payout in progress, 0 if none */
    unsigned long started, confirmed, failed, unknown, sms_unmatched, sms_duplicate;
} payout_runner_status;

void payout_runner_get_status(const payout_runner *r, payout_runner_status *out);

/* The operator cleared the cause of a halt (new PIN: pin non-NULL; float topped up). */
void payout_runner_resume(payout_runner *r, const char *pin);

#endif
