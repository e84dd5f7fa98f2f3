/*
 * serve_pay.c - payouts in the daemon (serve_pay.h): the runner on the first
 * modem (or the first ready one marked payouts = yes, moving off a dead one
 * between payouts), stepped from the loop; the modem's USSD screens and the
 * provider's SMS routed to it; one SMS to the worker per settled payout ('paid' or
 * 'pay_failed' template, messages.dedupe_key "payout:ID:STATE", so a repeat
 * queues nothing).
 * Owns: struct serve_pay. Never logs the PIN (only the runner holds it, and
 * its reasons are redacted), never resends a payout, never moves a payout's
 * state itself (tasks/payout.c does, through the runner).
 */
#include "serve_pay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "money.h"
#include "payout_store.h"
#include "payout_ussd.h"
#include "store_conv.h"

#define WATCH_MAX 64
#define REOPEN_S 30

struct serve_pay {
    payout_runner *r;
    modem *m;                 /* the runner's modem (borrowed from d->modems) */
    payout_script sc;
    money_sms_set *sms;
    payout_runner_config rc;  /* rc.pin stays NULL: the PIN is only in d->cfg and the runner */
    int64_t watch[WATCH_MAX]; /* payouts whose outcome the worker has not been told yet */
    size_t nwatch;
    int64_t next_start, next_open; /* Unix seconds */
    payout_runner_status seen;     /* counts already logged */
    bool halt_logged;
};

static void watch_add(serve_pay *p, int64_t id)
{
    if (id <= 0)
        return;
    for (size_t i = 0; i < p->nwatch; i++)
        if (p->watch[i] == id)
            return;
    if (p->nwatch == WATCH_MAX) /* the oldest goes: its worker may miss one notice */
        memmove(p->watch, p->watch + 1, --p->nwatch * sizeof p->watch[0]);
    p->watch[p->nwatch++] = id;
}

static int watch_row(void *ctx, const payout *po)
{
    watch_add(ctx, po->id);
    return 0;
}

/* Word and queue the worker's SMS about settled payout po (no-op if queued before). */
static kz_status tell_worker(kz_daemon *d, const payout *po, int64_t now, kz_err *err)
{
    store_conv_worker w;
    bool found = false;
    kz_status rc = store_conv_worker_get(d->st, po->phone, &w, &found, err);
    if (rc != KZ_OK || (found && strcmp(w.state, "stopped") == 0))
        return rc; /* STOP means no SMS, even about money (kazi pay list shows it) */
    bool ok = strcmp(po->state, "confirmed") == 0;
    char amount[40], text[TMPL_OUT_CAP], key[64];
    money_format(amount, sizeof amount, po->amount_minor, po->currency, 1);
    tmpl_var v[] = {{"amount", amount},
                    {"provider", d->cfg.provider},
                    {"code", po->provider_ref[0] ? po->provider_ref : "-"}};
    rc = tmpl_render(d->templates, found ? w.lang : d->conv.default_lang,
                     ok ? "paid" : "pay_failed", v, ok ? 3 : 2, text, sizeof text, NULL, err);
    if (rc != KZ_OK)
        return rc;
    snprintf(key, sizeof key, "payout:%" PRId64 ":%s", po->id, po->state);
    return store_ret_notify(d->st, po->worker_id, po->phone, text, key, now, err);
}

/* Tell the workers of watched payouts that settled; drop those from the list. */
static void settle_watched(kz_daemon *d, serve_pay *p, int64_t now)
{
    size_t keep = 0;
    for (size_t i = 0; i < p->nwatch; i++) {
        payout po;
        kz_err err;
        kz_err_clear(&err);
        kz_status rc = payout_get(d->st, p->watch[i], &po, &err);
        bool settled = rc == KZ_OK && (strcmp(po.state, "confirmed") == 0 ||
                                       strcmp(po.state, "failed") == 0);
        if (settled && tell_worker(d, &po, now, &err) != KZ_OK) {
            log_error("payout %" PRId64 ": %s; the worker's SMS was not queued", po.id, err.msg);
        } else if (settled) {
            log_info("payout %" PRId64 ": %s%s%s; worker %" PRId64 " told by SMS", po.id,
                     po.state, po.provider_ref[0] ? ", transaction " : "", po.provider_ref,
                     po.worker_id);
            d->outbox_dirty = true;
        }
        if (!settled && rc != KZ_ERR_NOTFOUND)
            p->watch[keep++] = p->watch[i];
    }
    p->nwatch = keep;
}

/* Log what the runner did since the last look (counts, halts); watch its payout. */
static void log_progress(serve_pay *p)
{
    payout_runner_status s;
    payout_runner_get_status(p->r, &s);
    watch_add(p, s.current);
    if (s.started > p->seen.started)
        log_info("payout %" PRId64 ": USSD session started on modem %s", s.current,
                 modem_name(p->m));
    if (s.unknown > p->seen.unknown)
        log_warn("payouts: %lu payout(s) now 'unknown' (no answer after the PIN): reconcile "
                 "with kazi pay list --state unknown; never resent",
                 s.unknown - p->seen.unknown);
    if (s.sms_unmatched > p->seen.sms_unmatched)
        log_warn("payouts: a provider SMS fits no payout: kazi pay sms");
    if (s.halted && !p->halt_logged)
        log_error("payouts halted: %s (fix it, then restart kazi serve)", s.halt_reason);
    p->halt_logged = s.halted;
    p->seen = s;
}

static void pay_config(const kz_config *c, payout_config *out)
{
    payout_config_defaults(out);
    snprintf(out->currency, sizeof out->currency, "%s", c->engine.currency);
    out->min_minor = c->payout_run_min_minor ? c->payout_run_min_minor : c->payout_min_minor;
    out->daily_cap_minor = c->payout_daily_cap_minor; /* 0: no cap (config reference) */
    out->tz_offset_minutes = c->engine.tz_offset_minutes;
}

/*
 * The modem to pay from: with no [modem] payouts = yes anywhere, the first
 * modem (it holds the account); else the first such modem that is ready, or
 * the first such one if none is. NULL if none qualifies.
 */
static serve_modem *pay_modem(const kz_daemon *d)
{
    serve_modem *first = NULL;
    for (size_t i = 0; i < d->nmodems; i++) {
        serve_modem *sm = d->modems[i];
        if (!sm->cfg.payouts)
            continue;
        if (sm->state == MODEM_READY)
            return sm;
        if (!first)
            first = sm;
    }
    if (first)
        return first;
    for (size_t i = 0; i < d->nmodems; i++)
        if (d->modems[i]->cfg.payouts)
            return NULL;
    return d->nmodems ? d->modems[0] : NULL;
}

static serve_modem *serve_modem_of(const kz_daemon *d, const modem *m)
{
    for (size_t i = 0; i < d->nmodems; i++)
        if (d->modems[i]->m == m)
            return d->modems[i];
    return NULL;
}

/* Make the runner on pay_modem() (its recovery runs now). 0, or -1 (logged). */
static int runner_open(kz_daemon *d, serve_pay *p, int64_t now)
{
    p->next_open = now + REOPEN_S;
    serve_modem *sm = pay_modem(d);
    if (!sm)
        return -1;
    int64_t now_ms = serve_now_ms();
    p->rc.wall_offset_s = now - now_ms / 1000;
    p->rc.pin = d->cfg.payout_pin;
    kz_err err;
    kz_err_clear(&err);
    p->m = sm->m;
    p->r = payout_runner_new(d->st, p->m, &p->sc, p->sms, &p->rc, now_ms, &err);
    p->rc.pin = NULL;
    if (!p->r) {
        log_error("payouts: %s (retrying in %d s)", err.msg, REOPEN_S);
        return -1;
    }
    memset(&p->seen, 0, sizeof p->seen);
    log_info("payouts: paying from modem %s with %s", modem_name(p->m), d->cfg.payout_script);
    settle_watched(d, p, now); /* recovery may have failed some */
    return 0;
}

static void pay_free(serve_pay *p)
{
    payout_runner_free(p->r);
    payout_script_clear(&p->sc);
    money_sms_free(p->sms);
    free(p);
}

int serve_pay_open(kz_daemon *d)
{
    const kz_config *c = &d->cfg;
    if (!c->payout_script[0]) {
        log_info("payouts: no [payout] script: the daemon makes no payouts");
        return 0;
    }
    if (!c->payout_pin[0] || !c->payout_providers[0]) {
        log_error("payouts: [payout] script needs pin and providers too");
        return -1;
    }
    serve_pay *p = calloc(1, sizeof *p);
    kz_err err;
    kz_err_clear(&err);
    if (!p || !(p->sms = money_sms_new()) ||
        payout_script_load(c->payout_script, &p->sc, &err) != KZ_OK ||
        money_sms_load_dir(p->sms, c->payout_providers, &err) != KZ_OK) {
        log_error("payouts: %s", p && p->sms ? err.msg : "out of memory");
        if (p)
            pay_free(p);
        return -1;
    }
    pay_config(c, &p->rc.pay);
    p->rc.method = PAYOUT_USSD;
    p->rc.confirm_timeout_s = c->payout_confirm_timeout_s;
    /* Payouts a previous run left in flight: their workers hear the outcome too. */
    if (payout_each(d->st, "submitted", watch_row, p, &err) != KZ_OK ||
        payout_each(d->st, "unknown", watch_row, p, &err) != KZ_OK) {
        log_error("payouts: %s", err.msg);
        pay_free(p);
        return -1;
    }
    d->pay = p;
    if (runner_open(d, p, serve_now()) != 0 && d->nmodems == 0)
        log_warn("payouts: no modem to pay from");
    return 0;
}

void serve_pay_close(kz_daemon *d)
{
    serve_pay *p = d->pay;
    if (!p)
        return;
    payout_runner_status s = {.phase = "idle"};
    if (p->r)
        payout_runner_get_status(p->r, &s);
    if (s.current)
        log_warn("payout %" PRId64 ": stopped during %s; the next start makes it 'unknown' "
                 "(or 'failed' if its PIN was never sent), never resent",
                 s.current, s.phase);
    pay_free(p);
    d->pay = NULL;
}

void serve_pay_modem_closing(kz_daemon *d, modem *m)
{
    serve_pay *p = d->pay;
    if (!p || !p->r || p->m != m)
        return;
    log_warn("payouts: modem %s closes: the runner stops (a payout in flight is settled by "
             "recovery, never resent)", modem_name(m));
    payout_runner_free(p->r);
    p->r = NULL;
    p->m = NULL;
    p->next_open = 0;
}

/*
 * The runner's modem is dead and no payout is in progress: move the runner to
 * another ready modem with payouts = yes, if there is one (never in the middle
 * of a payout: its menu and confirmation SMS belong to the dead modem's SIM).
 */
static void maybe_move(kz_daemon *d, serve_pay *p, int64_t now)
{
    const serve_modem *cur = serve_modem_of(d, p->m);
    if (!cur || cur->state != MODEM_DEAD)
        return;
    serve_modem *next = pay_modem(d);
    if (!next || next == cur || next->state != MODEM_READY)
        return;
    payout_runner_status s;
    payout_runner_get_status(p->r, &s);
    if (s.current || strcmp(s.phase, "idle") != 0)
        return;
    log_warn("payouts: modem %s is dead: paying from modem %s from now on", cur->cfg.name,
             next->cfg.name);
    payout_runner_free(p->r);
    p->r = NULL;
    p->m = NULL;
    runner_open(d, p, now);
}

void serve_pay_tick(kz_daemon *d, int64_t now)
{
    serve_pay *p = d->pay;
    if (p && p->r)
        maybe_move(d, p, now);
    if (!p || (!p->r && (now < p->next_open || runner_open(d, p, now) != 0)))
        return;
    int64_t now_ms = serve_now_ms();
    bool due = now >= p->next_start;
    if (!due && payout_runner_next_deadline(p->r) > now_ms)
        return;
    if (due)
        p->next_start = now + d->cfg.housekeeping_s;
    payout next;
    bool found = false;
    if (payout_next_requested(d->st, &next, &found, NULL) == KZ_OK && found)
        watch_add(p, next.id); /* a submit refused for the balance fails it at once */
    kz_err err;
    kz_err_clear(&err);
    if (payout_runner_step(p->r, now_ms, &err) != KZ_OK)
        log_error("payouts: %s", err.msg);
    log_progress(p);
    settle_watched(d, p, now);
}

void serve_pay_poke(kz_daemon *d)
{
    if (d->pay)
        d->pay->next_start = 0;
}

void serve_pay_on_ussd(kz_daemon *d, modem *m, uint64_t session_id, kz_status st,
                       const cusd_reply *reply)
{
    serve_pay *p = d->pay;
    if (!p || !p->r || m != p->m)
        return;
    payout_runner_on_ussd(p->r, m, session_id, st, reply, serve_now_ms());
    log_progress(p);
    settle_watched(d, p, serve_now());
}

/* No runner (it could not be made): reconcile the SMS directly, no payout current. */
static kz_status reconcile_alone(kz_daemon *d, serve_pay *p, const char *sender,
                                 const char *text, kz_err *err)
{
    money_sms_result res;
    if (money_sms_parse(p->sms, sender, text, strlen(text), &res) != KZ_OK)
        return KZ_OK;
    payout_sms_outcome o = PAYOUT_SMS_IGNORED;
    int64_t id = 0;
    kz_status rc = payout_on_sms(d->st, &p->rc.pay, &res, sender, text, 0, serve_now(), &o,
                                 &id, err);
    watch_add(p, id);
    return rc;
}

kz_status serve_pay_on_sms(kz_daemon *d, const char *sender, const char *text, bool *consumed,
                           kz_err *err)
{
    serve_pay *p = d->pay;
    *consumed = false;
    if (!p || !money_sms_sender_known(p->sms, sender))
        return KZ_OK;
    *consumed = true;
    kz_status rc;
    if (p->r) {
        log_progress(p); /* watch the payout in progress before the SMS settles it */
        rc = payout_runner_on_sms(p->r, sender, text, serve_now_ms(), consumed, err);
    } else {
        rc = reconcile_alone(d, p, sender, text, err);
    }
    if (rc != KZ_OK)
        return rc;
    if (p->r)
        log_progress(p);
    log_info("payouts: provider SMS from %s reconciled", sender);
    settle_watched(d, p, serve_now());
    return KZ_OK;
}
