/*
 * serve_modems.c - the daemon's modems: creating them from [modem NAME]
 * sections, their callbacks (inbound parts to the inbox and reports to the
 * outbox, held for the turn's group commit when the driver allows it
 * (serve_inbox.c, serve_reports.c); outcomes to the outbox, states and
 * events to the log), reloads and the status snapshots `kazi status` reads.
 * Owns: serve_modem objects. Never logs a PIN (the driver never reports it,
 * and the configuration's copy is only passed to modem_new).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "serve.h"
#include "serve_pay.h"

/* A held part or report kept for the turn's commit (st KZ_OK), or left on the SIM. */
static kz_status kept(const modem *m, kz_status st, const char *what)
{
    if (st != KZ_OK)
        log_error("modem %s: %s not kept for the commit (left on the SIM): %s", modem_name(m),
                  what, kz_strerror(st));
    return st;
}

static kz_status on_sms(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                        size_t pdu_len)
{
    serve_modem *sm = ctx;
    if (modem_sms_held(m)) /* committed with the turn's others, then deleted */
        return kept(m, serve_inbox_hold(sm->d, sm, pdu, pdu_len, serve_now()), "inbound SMS");
    kz_err err;
    kz_err_clear(&err);
    bool ready = false;
    kz_status rc = inbox_on_sms(sm->d->ib, modem_name(m), msg, pdu, pdu_len, serve_now(), &ready,
                                &err);
    if (rc != KZ_OK) {
        log_error("modem %s: inbound SMS not stored (left on the SIM): %s", modem_name(m),
                  err.msg);
        return rc;
    }
    log_debug("modem %s: inbound SMS part stored", modem_name(m));
    if (ready)
        sm->d->inbox_dirty = true;
    return KZ_OK;
}

static kz_status on_report(void *ctx, modem *m, uint64_t send_id, const sms_message *report)
{
    serve_modem *sm = ctx;
    if (modem_sms_held(m)) /* committed with the turn's others, then deleted */
        return kept(m, serve_reports_hold(sm->d, sm, send_id, report, serve_now()),
                    "status report");
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = outbox_on_report(sm->d->ob, modem_name(m), send_id, report, serve_now(), &err);
    if (rc != KZ_OK)
        log_error("modem %s: status report not stored (left on the SIM): %s", modem_name(m),
                  err.msg);
    return rc;
}

static void on_sent(void *ctx, modem *m, uint64_t send_id, kz_status st, int mr, int cms_error,
                    bool retryable)
{
    serve_modem *sm = ctx;
    kz_err err;
    kz_err_clear(&err);
    if (st == KZ_ERR_STATE)
        log_warn("modem %s: part %llu possibly sent (the modem restarted or closed after "
                 "taking it): the after_crash rule decides", modem_name(m),
                 (unsigned long long)send_id);
    else if (st != KZ_OK)
        log_warn("modem %s: part %llu not sent: %s%s%d (%s)", modem_name(m),
                 (unsigned long long)send_id, kz_strerror(st), cms_error >= 0 ? ", +CMS ERROR " : "",
                 cms_error >= 0 ? cms_error : 0, retryable ? "will retry" : "permanent");
    else
        log_debug("modem %s: part %llu sent (mr %d)", modem_name(m), (unsigned long long)send_id,
                  mr);
    if (outbox_on_sent(sm->d->ob, modem_name(m), send_id, st, mr, cms_error, retryable,
                       serve_now(), &err) != KZ_OK)
        log_error("modem %s: outcome of part %llu not recorded: %s", modem_name(m),
                  (unsigned long long)send_id, err.msg);
    sm->d->outbox_dirty = true;
}

static void on_ussd(void *ctx, modem *m, uint64_t session_id, kz_status st,
                    const cusd_reply *reply)
{
    serve_modem *sm = ctx;
    log_debug("modem %s: USSD session %llu: %s", modem_name(m), (unsigned long long)session_id,
              kz_strerror(st));
    serve_pay_on_ussd(sm->d, m, session_id, st, reply);
}

static void on_state(void *ctx, modem *m, modem_state state, const char *reason)
{
    serve_modem *sm = ctx;
    sm->state = state;
    log_msg(state == MODEM_DEAD ? LOG_LVL_ERROR : LOG_LVL_INFO, "modem %s: %s%s%s",
            modem_name(m), modem_state_name(state), reason && *reason ? ": " : "",
            reason ? reason : "");
    if (state == MODEM_READY)
        sm->d->outbox_dirty = true;
    serve_power_on_state(sm, state, serve_now_ms()); /* a dead modem gets power-cycled */
}

static void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)ctx;
    log_msg(level < 0 ? LOG_LVL_ERROR : level > 3 ? LOG_LVL_DEBUG : (log_level)level,
            "modem %s: %s", modem_name(m), msg);
}

static bool sender_ready(void *dev)
{
    serve_modem *sm = dev;
    return sm->m && sm->state == MODEM_READY;
}

static kz_status sender_send(void *dev, uint64_t send_id, const sms_pdu *pdu)
{
    serve_modem *sm = dev;
    return modem_send_pdu(sm->m, send_id, pdu);
}

static const outbox_sender_ops modem_sender = {sender_ready, sender_send};

/* driver = kannel: the dlr-url prefix smsbox calls back ("&id=..." follows). */
static void kannel_dlr_url(const cfg_modem *c, char *out, size_t cap)
{
    char base[CFG_PATH_CAP];
    snprintf(base, sizeof base, "%s", c->kannel_callback);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        base[--n] = '\0';
    snprintf(out, cap, "%s/kannel/%s/dlr?secret=%s", base, c->name, c->kannel_secret);
}

static int open_one(kz_daemon *d, const cfg_modem *c)
{
    if (d->nmodems == CFG_MAX_MODEMS)
        return -1;
    serve_modem *sm = calloc(1, sizeof *sm);
    if (!sm)
        return -1;
    sm->cfg = *c;
    sm->d = d;
    bool kannel = sm->cfg.driver == 2;
    char dlr_url[CFG_PATH_CAP + 200];
    kannel_dlr_url(&sm->cfg, dlr_url, sizeof dlr_url);
    modem_config mc = {
        .name = sm->cfg.name,
        .port = kannel ? sm->cfg.kannel_sendsms : sm->cfg.port,
        .baud = sm->cfg.baud,
        .pin = sm->cfg.pin[0] ? sm->cfg.pin : NULL,
        .storage = cfg_storage_name(sm->cfg.storage),
        .driver = kannel ? MODEM_DRIVER_KANNEL
                  : sm->cfg.driver == 1 ? MODEM_DRIVER_GAMMU : MODEM_DRIVER_AT,
        .kannel_username = sm->cfg.kannel_username,
        .kannel_password = sm->cfg.kannel_password,
        .kannel_from = sm->cfg.kannel_from,
        .kannel_smsc = sm->cfg.kannel_smsc,
        .kannel_dlr_url = sm->cfg.kannel_callback[0] ? dlr_url : NULL,
        .max_resets = sm->cfg.max_resets,
        .cmd_timeout_ms = sm->cfg.command_timeout_s * 1000,
        .boot_wait_ms = sm->cfg.boot_wait_s * 1000,
        .poll_interval_ms = sm->cfg.poll_interval_s * 1000,
    };
    modem_callbacks cb = {sm, on_sms, on_report, on_sent, on_ussd, on_state, on_event};
    kz_err err;
    kz_err_clear(&err);
    sm->m = modem_new(&mc, &cb, &err);
    if (!sm->m) {
        log_error("modem %s: %s", c->name, err.msg);
        free(sm);
        return -1;
    }
    if (outbox_attach(d->ob, c->name, sm, &modem_sender, c->daily_sms_cap, c->prefixes) !=
        KZ_OK) {
        modem_free(sm->m);
        free(sm);
        return -1;
    }
    /* an SMPP link through smsbox carries many parts at once; a GSM modem, [outbox]'s few */
    outbox_set_in_flight(d->ob, c->name, kannel ? c->kannel_in_flight : 0);
    modem_hold_deletes(sm->m, true); /* group commit (AT driver; gammu: per part) */
    d->modems[d->nmodems++] = sm;
    modem_tick(sm->m, serve_now_ms()); /* opens the port now, before privileges are dropped */
    log_info("modem %s: opened on %s", c->name, kannel ? c->kannel_sendsms : c->port);
    return 0;
}

int serve_modems_open(kz_daemon *d)
{
    for (size_t i = 0; i < d->cfg.nmodems; i++) {
        if (!d->cfg.modems[i].enabled) {
            log_info("modem %s: disabled in the configuration", d->cfg.modems[i].name);
            continue;
        }
        if (open_one(d, &d->cfg.modems[i]) != 0)
            return -1;
    }
    if (d->nmodems == 0)
        log_warn("no modem is enabled: nothing will be sent or received");
    return 0;
}

void serve_modem_close(kz_daemon *d, size_t i)
{
    if (d->nheld || d->nreports)
        serve_inbox_run(d, serve_now()); /* its held parts are committed before it goes */
    serve_modem *sm = d->modems[i];
    kz_err err;
    kz_err_clear(&err);
    if (outbox_detach(d->ob, sm->cfg.name, serve_now(), &err) != KZ_OK && err.msg[0])
        log_error("modem %s: %s", sm->cfg.name, err.msg);
    serve_pay_modem_closing(d, sm->m);
    serve_power_stop(sm);
    modem_free(sm->m);
    log_info("modem %s: closed", sm->cfg.name);
    free(sm);
    memmove(&d->modems[i], &d->modems[i + 1], (d->nmodems - i - 1) * sizeof d->modems[0]);
    d->nmodems--;
}

void serve_modems_close(kz_daemon *d)
{
    while (d->nmodems)
        serve_modem_close(d, d->nmodems - 1);
    serve_inbox_free(d); /* no modem left to hold parts */
}

void serve_modems_reload(kz_daemon *d, const kz_config *next)
{
    for (size_t i = d->nmodems; i-- > 0;) {
        serve_modem *sm = d->modems[i];
        const cfg_modem *c = config_modem_find(next, sm->cfg.name);
        if (!c || !c->enabled || !config_modem_same_device(&sm->cfg, c)) {
            serve_modem_close(d, i);
            continue;
        }
        sm->cfg = *c;
        outbox_update(d->ob, c->name, c->daily_sms_cap, c->prefixes);
        outbox_set_in_flight(d->ob, c->name, c->driver == 2 ? c->kannel_in_flight : 0);
    }
    for (size_t i = 0; i < next->nmodems; i++) {
        const cfg_modem *c = &next->modems[i];
        bool open = false;
        for (size_t k = 0; k < d->nmodems; k++)
            open = open || strcmp(d->modems[k]->cfg.name, c->name) == 0;
        if (c->enabled && !open && open_one(d, c) != 0)
            log_error("modem %s: could not be opened after the reload", c->name);
    }
}

void serve_modems_snapshot(kz_daemon *d)
{
    for (size_t i = 0; i < d->nmodems; i++) {
        modem_status s;
        modem_get_status(d->modems[i]->m, &s);
        const char *state = modem_state_name(s.state);
        char why[sizeof s.last_error];
        if (serve_power_describe(d->modems[i], &state, why, sizeof why)) /* power cycles */
            memcpy(s.last_error, why, sizeof why);
        modem_snapshot snap = {
            .name = d->modems[i]->cfg.name,
            .device = d->modems[i]->cfg.driver == 2 ? d->modems[i]->cfg.kannel_sendsms
                                                     : d->modems[i]->cfg.port,
            .state = state,
            .operator_name = s.operator_name,
            .imei = s.imei,
            .imsi = s.imsi,
            .last_error = s.last_error,
            .signal_dbm = s.signal_dbm,
            .queue = (int64_t)s.send_queue,
            .sent = (int64_t)s.sent,
            .received = (int64_t)s.received,
            .failed = (int64_t)s.failed_sends,
            .updated_at = serve_now(),
        };
        kz_err err;
        kz_err_clear(&err);
        if (qstore_modem_save(d->q, &snap, &err) != KZ_OK)
            log_warn("modem %s: snapshot not saved: %s", snap.name, err.msg);
    }
}
