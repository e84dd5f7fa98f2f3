/*
 * modem_gammu_worker.c - the libgammu backend's worker thread: it owns the
 * GSM_StateMachine and makes every libgammu call (they block). Connects with
 * connection "at<baud>", enters the PIN (never reported), reads identity,
 * polls registration, signal and storage, sweeps the SIM with GSM_GetNextSMS
 * on an interval and whenever libgammu reports a new message, hands each
 * DELIVER and STATUS-REPORT to the loop thread and deletes it only after the
 * daemon committed it, sends one PDU at a time (TP-MR from libgammu's send
 * status callback), and runs USSD requests. A timeout or a device error
 * closes the connection: a device that cannot be opened is retried every
 * reopen interval (MODEM_CLOSED); a device that stops answering is
 * reconnected (MODEM_RESETTING) until max_resets reconnects in a row failed
 * (MODEM_DEAD, until modem_restart). libgammu's own waits can last minutes
 * on a silent modem, so every call runs under a budget that the watchdog
 * thread enforces with GSM_AbortOperation. Timing here is real time
 * (CLOCK_MONOTONIC): libgammu knows no other.
 * Owns the state machine and the sweep buffer. Never calls the daemon's
 * callbacks (it posts events), never touches struct modem, never logs, and
 * the PIN never appears in an event.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modem_gammu_internal.h"

#define READ_SLICE_MS 100   /* how often unsolicited lines are looked at */
#define GM_SWEEP_MAX 1024   /* GSM_GetNextSMS calls in one sweep at most */

/* ---- posting ---- */

static void post_text(struct modem_gammu *g, gm_ev_kind kind, modem_state s, int level,
                      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void post_text(struct modem_gammu *g, gm_ev_kind kind, modem_state s, int level,
                      const char *fmt, va_list ap)
{
    gm_ev *e = gm_ev_new(kind);
    if (!e)
        return;
    e->state = s;
    e->level = level;
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    gm_post(g, e);
}

static void post_event(struct modem_gammu *g, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void post_event(struct modem_gammu *g, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    post_text(g, GME_EVENT, MODEM_CLOSED, level, fmt, ap);
    va_end(ap);
}

static void post_state(struct modem_gammu *g, modem_state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void post_state(struct modem_gammu *g, modem_state s, const char *fmt, ...)
{
    if (g->wstate == s)
        return;
    g->wstate = s;
    g->ws.state = s;
    va_list ap;
    va_start(ap, fmt);
    post_text(g, GME_STATE, s, 0, fmt, ap);
    va_end(ap);
}

static void post_status(struct modem_gammu *g)
{
    gm_ev *e = gm_ev_new(GME_STATUS);
    if (!e)
        return;
    e->status = g->ws;
    gm_post(g, e);
}

static void post_sent(struct modem_gammu *g, uint64_t id, kz_status st, int mr, int cms,
                      bool retryable)
{
    gm_ev *e = gm_ev_new(GME_SENT);
    if (!e)
        return;
    *e = (gm_ev){.kind = GME_SENT, .id = id, .st = st, .mr = mr, .cms = cms,
                 .retryable = retryable};
    gm_post(g, e);
}

/* Post what was held back during a send, oldest first. */
static void post_held(struct modem_gammu *g)
{
    gm_ev *rev = NULL;
    while (g->held) {
        gm_ev *e = g->held;
        g->held = e->next;
        e->next = rev;
        rev = e;
    }
    while (rev) {
        gm_ev *e = rev;
        rev = e->next;
        e->next = NULL;
        gm_post(g, e);
    }
}

static void post_ussd(struct modem_gammu *g, uint64_t id, kz_status st, const cusd_reply *r)
{
    gm_ev *e = gm_ev_new(GME_USSD);
    if (!e)
        return;
    e->id = id;
    e->st = st;
    if (r)
        e->ussd = *r;
    gm_post(g, e);
}

/* ---- the watchdog ---- */

/* Guard the libgammu calls that follow for ms: past that they are aborted. */
static void guard(struct modem_gammu *g, int ms)
{
    pthread_mutex_lock(&g->mu);
    g->guard_until = gm_now_ms() + ms;
    g->guard_fired = false;
    pthread_cond_signal(&g->dog_cv);
    pthread_mutex_unlock(&g->mu);
}

static void unguard(struct modem_gammu *g)
{
    pthread_mutex_lock(&g->mu);
    g->guard_until = 0;
    pthread_cond_signal(&g->dog_cv);
    pthread_mutex_unlock(&g->mu);
}

void *gm_watchdog_main(void *arg)
{
    struct modem_gammu *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        int64_t now = gm_now_ms();
        if (g->guard_until && now >= g->guard_until) {
            if (g->sm)
                g->gl->GSM_AbortOperation(g->sm);
            g->guard_fired = true;
            g->guard_until = 0;
            continue;
        }
        if (!g->guard_until) {
            pthread_cond_wait(&g->dog_cv, &g->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (g->guard_until - now) % 1000 * 1000000;
        ts.tv_sec += (time_t)((g->guard_until - now) / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&g->dog_cv, &g->mu, &ts);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- errors and the connection ---- */

static bool device_error(GSM_Error e)
{
    switch (e) {
    case ERR_DEVICEOPENERROR: case ERR_DEVICELOCKED: case ERR_DEVICENOTEXIST:
    case ERR_DEVICEBUSY: case ERR_DEVICENOPERMISSION: case ERR_DEVICENODRIVER:
    case ERR_DEVICENOTWORK: case ERR_DEVICEDTRRTSERROR: case ERR_DEVICECHANGESPEEDERROR:
    case ERR_DEVICEWRITEERROR: case ERR_DEVICEREADERROR: case ERR_DEVICEPARITYERROR:
    case ERR_NOTCONNECTED:
        return true;
    default:
        return false;
    }
}

/* True for the errors after which the connection cannot be trusted. */
static bool fatal(GSM_Error e)
{
    return device_error(e) || e == ERR_TIMEOUT || e == ERR_ABORTED;
}

static void disconnect(struct modem_gammu *g)
{
    if (!g->sm)
        return;
    /* also after a failed GSM_InitConnection: it may leave the device open */
    guard(g, g->cmd_timeout_ms);
    GSM_Error e = g->gl->GSM_TerminateConnection(g->sm);
    unguard(g);
    /* Should the phone layer's goodbye fail (after an abort), GSM_TerminateConnection
     * returns before closing the device: close it below the phone layer, or the
     * descriptor would leak and keep reading from the port. */
    if (e != ERR_NONE && g->gl->GSM_IsConnected(g->sm))
        g->gl->GSM_CloseConnection(g->sm);
    pthread_mutex_lock(&g->mu);
    GSM_StateMachine *sm = g->sm;
    g->sm = NULL;
    pthread_mutex_unlock(&g->mu);
    g->gl->GSM_FreeStateMachine(sm);
    g->connected = false;
}

/* The connection failed in `what` with e: reopen later, reconnect, or give up. */
static void lost(struct modem_gammu *g, const char *what, GSM_Error e)
{
    snprintf(g->ws.last_error, sizeof g->ws.last_error, "%s: %s", what, g->gl->GSM_ErrorString(e));
    disconnect(g);
    int64_t now = gm_now_ms();
    if (gm_stopping(g))
        return;
    if (device_error(e)) {
        g->next_connect = now + g->reopen_ms;
        post_state(g, MODEM_CLOSED, "%s: %s (libgammu); reopening every %d ms", what,
                   g->gl->GSM_ErrorString(e), g->reopen_ms);
        post_status(g);
        return;
    }
    if (g->resets_in_row >= g->max_resets) {
        g->dead = true;
        post_state(g, MODEM_DEAD, "%s: %s after %d reconnects in a row; needs a power cycle",
                   what, g->gl->GSM_ErrorString(e), g->resets_in_row);
        post_status(g);
        return;
    }
    g->resets_in_row++;
    g->ws.resets++;
    g->next_connect = now + (int64_t)g->reopen_ms * (g->resets_in_row - 1);
    post_state(g, MODEM_RESETTING, "%s: %s (libgammu); reconnecting (%d of %d)", what,
               g->gl->GSM_ErrorString(e), g->resets_in_row, g->max_resets);
    post_status(g);
}

/* Check e from `what`: true when the connection is still usable. */
static bool ok_or_lost(struct modem_gammu *g, const char *what, GSM_Error e)
{
    if (!fatal(e))
        return true;
    lost(g, what, e);
    return false;
}

/* ---- libgammu callbacks (run inside libgammu calls, on this thread) ---- */

static void cb_send_status(GSM_StateMachine *sm, int status, int mr, void *ud)
{
    (void)sm;
    struct modem_gammu *g = ud;
    g->send_done = true;
    g->send_status = status;
    g->send_mr = mr;
}

static void cb_incoming_sms(GSM_StateMachine *sm, GSM_SMSMessage *sms, void *ud)
{
    (void)sm;
    struct modem_gammu *g = ud;
    if (sms->Location > 0 || g->probe_only) {
        g->sweep_now = true; /* stored (+CMTI, +CDSI): the sweep reads it */
        g->flush_due = true; /* it may have filled the SIM: +CIEV: "SMSFULL" next */
        return;
    }
    gm_ev *e = gm_ev_new(GME_SMS); /* routed (+CMT, +CDS): nothing to delete */
    if (!e)
        return;
    kz_err err;
    kz_err_clear(&err);
    if (gm_sms_to_pdu(sms, &e->pdu, &err) != KZ_OK) {
        free(e);
        post_event(g, 1, "a routed message could not be read back: %s", err.msg);
        return;
    }
    if (g->sending) {
        e->next = g->held; /* a report for the message being sent: after its GME_SENT */
        g->held = e;
        return;
    }
    gm_post(g, e);
}

static void cb_incoming_ussd(GSM_StateMachine *sm, GSM_USSDMessage *u, void *ud)
{
    (void)sm;
    struct modem_gammu *g = ud;
    post_event(g, 3, "USSD answer (status %d) for session %llu", (int)u->Status,
               (unsigned long long)g->ussd_id);
    if (!g->ussd_id)
        return; /* no session open (cancelled, or another client's) */
    cusd_reply r;
    gm_ussd_to_reply(u, &r);
    post_ussd(g, g->ussd_id, KZ_OK, &r);
    if (r.status != 1)
        g->ussd_id = 0;
}

/* ---- connecting ---- */

static GSM_StateMachine *new_machine(struct modem_gammu *g)
{
    GSM_StateMachine *sm = g->gl->GSM_AllocStateMachine();
    if (!sm)
        return NULL;
    GSM_Config *c = g->gl->GSM_GetConfig(sm, 0);
    char conn[32];
    snprintf(conn, sizeof conn, "at%d", g->baud);
    /* KAZI_GAMMU_LOG=PATH: libgammu's own trace, PATH.<modem>.<connection>, for debugging */
    const char *log = getenv("KAZI_GAMMU_LOG");
    char logfile[512] = "";
    if (log)
        snprintf(logfile, sizeof logfile, "%.400s.%.40s.%d", log, g->name, ++g->connects);
    c->Device = strdup(g->path);
    c->Connection = strdup(conn);
    c->DebugFile = strdup(logfile);
    snprintf(c->DebugLevel, sizeof c->DebugLevel, "%s", log ? "textalldate" : "");
    c->UseGlobalDebugFile = FALSE;
    c->SyncTime = FALSE;
    c->LockDevice = FALSE;
    c->StartInfo = FALSE;
    for (int i = 0; i < 5; i++)
        c->CNMIParams[i] = -1; /* libgammu picks +CNMI settings from AT+CNMI=? */
    snprintf(c->TextReminder, sizeof c->TextReminder, "Reminder");
    snprintf(c->TextMeeting, sizeof c->TextMeeting, "Meeting");
    snprintf(c->TextCall, sizeof c->TextCall, "Call");
    snprintf(c->TextBirthday, sizeof c->TextBirthday, "Birthday");
    snprintf(c->TextMemo, sizeof c->TextMemo, "Memo");
    if (!c->Device || !c->Connection || !c->DebugFile) {
        g->gl->GSM_FreeStateMachine(sm);
        return NULL;
    }
    g->gl->GSM_SetConfigNum(sm, 1);
    return sm;
}

/* Copy src into dst, cut to fit (identity strings are shorter in practice). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void identity(struct modem_gammu *g)
{
    char v[GSM_MAX_INFO_LENGTH + 1] = "", date[GSM_MAX_VERSION_LENGTH + 1] = "";
    double num = 0;
    modem_status *s = &g->ws;
    if (g->gl->GSM_GetManufacturer(g->sm, v) == ERR_NONE)
        copy_str(s->manufacturer, sizeof s->manufacturer, v);
    if (g->gl->GSM_GetModel(g->sm, v) == ERR_NONE)
        copy_str(s->model, sizeof s->model, v);
    if (g->gl->GSM_GetFirmware(g->sm, v, date, &num) == ERR_NONE)
        copy_str(s->revision, sizeof s->revision, v);
    if (g->gl->GSM_GetIMEI(g->sm, v) == ERR_NONE)
        copy_str(s->imei, sizeof s->imei, v);
    if (g->gl->GSM_GetSIMIMSI(g->sm, v) == ERR_NONE)
        copy_str(s->imsi, sizeof s->imsi, v);
    GSM_SMSC smsc;
    memset(&smsc, 0, sizeof smsc);
    smsc.Location = 1;
    if (g->gl->GSM_GetSMSC(g->sm, &smsc) == ERR_NONE)
        gm_text_to_utf8(smsc.Number, GSM_MAX_NUMBER_LENGTH, s->smsc, sizeof s->smsc);
}

/* PIN: true when the SIM is ready for the rest of the init. */
static bool sim_unlocked(struct modem_gammu *g)
{
    GSM_SecurityCodeType sec = SEC_None;
    GSM_Error e = g->gl->GSM_GetSecurityStatus(g->sm, &sec);
    if (!ok_or_lost(g, "reading the SIM's PIN status", e))
        return false;
    if (e != ERR_NONE || sec == SEC_None)
        return true;
    if (sec != SEC_Pin) {
        post_state(g, MODEM_PIN_NEEDED, "the SIM wants a code other than its PIN (PUK or phone code)");
        return false;
    }
    if (!g->pin[0] || g->pin_refused) {
        post_state(g, MODEM_PIN_NEEDED, g->pin_refused ? "the SIM refused the configured PIN"
                                                      : "the SIM wants a PIN and none is configured");
        return false;
    }
    GSM_SecurityCode code;
    memset(&code, 0, sizeof code);
    code.Type = SEC_Pin;
    snprintf(code.Code, sizeof code.Code, "%s", g->pin);
    e = g->gl->GSM_EnterSecurityCode(g->sm, &code);
    memset(&code, 0, sizeof code);
    if (!ok_or_lost(g, "entering the PIN", e))
        return false;
    if (e != ERR_NONE) {
        g->pin_refused = true; /* never again: three wrong PINs lock the SIM */
        post_state(g, MODEM_PIN_NEEDED, "the SIM refused the configured PIN (%s)",
                   g->gl->GSM_ErrorString(e));
        return false;
    }
    post_event(g, 2, "PIN accepted");
    return true;
}

static void poll_network(struct modem_gammu *g);

/* After the connection or the PIN: identity, notifications, first poll and sweep. */
static void finish_init(struct modem_gammu *g)
{
    identity(g);
    if (!g->connected)
        return;
    if (!g->probe_only) {
        GSM_Error e = g->gl->GSM_SetIncomingSMS(g->sm, TRUE);
        if (e != ERR_NONE)
            post_event(g, 2, "no new-message notifications (%s): sweeping every %d ms",
                       g->gl->GSM_ErrorString(e), g->sweep_ms);
        if (!ok_or_lost(g, "enabling new-message notifications", e))
            return;
    }
    GSM_Error e = g->gl->GSM_SetIncomingUSSD(g->sm, TRUE);
    if (!ok_or_lost(g, "enabling USSD notifications", e))
        return;
    g->resets_in_row = 0;
    snprintf(g->ws.storage, sizeof g->ws.storage, "SM");
    g->next_sweep = gm_now_ms();
    poll_network(g);
}

static void connect_device(struct modem_gammu *g)
{
    GSM_StateMachine *sm = new_machine(g);
    if (!sm) {
        g->next_connect = gm_now_ms() + g->reopen_ms;
        post_event(g, 0, "out of memory for libgammu");
        return;
    }
    pthread_mutex_lock(&g->mu);
    g->sm = sm;
    pthread_mutex_unlock(&g->mu);
    /* libgammu's init is some 30 commands; identity, PIN and the first poll follow */
    guard(g, 8 * g->cmd_timeout_ms);
    gm_excl_clear(g); /* the last connection's exclusive mode would refuse us (EBUSY) */
    GSM_Error e = g->gl->GSM_InitConnection(sm, 1);
    if (e != ERR_NONE) {
        if (g->wstate == MODEM_CLOSED && device_error(e)) {
            disconnect(g); /* still closed: no new state; a new reason is logged once */
            g->next_connect = gm_now_ms() + g->reopen_ms;
            char why[sizeof g->ws.last_error];
            snprintf(why, sizeof why, "opening %.80s: %.60s%s", g->path, g->gl->GSM_ErrorString(e),
                     g->excl_errno == EBUSY ? " (left exclusive by an earlier connection)" : "");
            if (strcmp(why, g->ws.last_error) != 0) {
                post_event(g, 1, "%s (libgammu); retrying every %d ms", why, g->reopen_ms);
                memcpy(g->ws.last_error, why, sizeof why);
                post_status(g);
            }
            return;
        }
        lost(g, "connecting through libgammu", e);
        return;
    }
    /* GSM_InitConnection clears the callbacks: set them now */
    g->gl->GSM_SetIncomingSMSCallback(sm, cb_incoming_sms, g);
    g->gl->GSM_SetIncomingUSSDCallback(sm, cb_incoming_ussd, g);
    g->gl->GSM_SetSendSMSStatusCallback(sm, cb_send_status, g);
    g->connected = true;
    g->ws.rx_bytes = 1; /* it answered; libgammu does not count bytes */
    post_state(g, MODEM_INIT, "connected through libgammu");
    if (sim_unlocked(g))
        finish_init(g);
    else if (g->connected)
        g->next_poll = gm_now_ms() + g->poll_ms;
}

/* ---- polling ---- */

static int reg_stat(GSM_NetworkInfo_State s)
{
    switch (s) {
    case GSM_HomeNetwork: return 1;
    case GSM_RoamingNetwork: return 5;
    case GSM_RequestingNetwork: return 2;
    case GSM_RegistrationDenied: return 3;
    case GSM_NoNetwork: return 0;
    default: return 4;
    }
}

static void poll_network(struct modem_gammu *g)
{
    g->next_poll = gm_now_ms() + g->poll_ms;
    guard(g, 3 * g->cmd_timeout_ms);
    gm_excl_flush(g);
    GSM_SignalQuality sig;
    memset(&sig, 0, sizeof sig);
    GSM_Error e = g->gl->GSM_GetSignalQuality(g->sm, &sig);
    if (!ok_or_lost(g, "reading the signal", e))
        return;
    g->ws.signal_dbm = e == ERR_NONE && sig.SignalStrength < 0 ? sig.SignalStrength : 0;
    GSM_NetworkInfo net;
    memset(&net, 0, sizeof net);
    e = g->gl->GSM_GetNetworkInfo(g->sm, &net);
    if (!ok_or_lost(g, "reading the registration", e))
        return;
    g->ws.reg_stat = e == ERR_NONE ? reg_stat(net.State) : -1;
    if (e == ERR_NONE) {
        gm_text_to_utf8(net.NetworkName, 20, g->ws.operator_name, sizeof g->ws.operator_name);
        if (!g->ws.operator_name[0])
            snprintf(g->ws.operator_name, sizeof g->ws.operator_name, "%s", net.NetworkCode);
    }
    GSM_SMSMemoryStatus ms;
    memset(&ms, 0, sizeof ms);
    e = g->gl->GSM_GetSMSStatus(g->sm, &ms);
    if (!ok_or_lost(g, "reading the message storage", e))
        return;
    if (e == ERR_NONE) {
        g->ws.storage_used = ms.SIMUsed;
        g->ws.storage_total = ms.SIMSize;
    }
    g->ws.polls++;
    bool registered = g->ws.reg_stat == 1 || g->ws.reg_stat == 5;
    post_status(g); /* first: whoever sees READY sees the status that made it */
    if (registered)
        post_state(g, MODEM_READY, "registered (%s)", g->ws.operator_name);
    else
        post_state(g, MODEM_SEARCHING, "not registered (+CREG stat %d)", g->ws.reg_stat);
}

/* ---- receiving ---- */

static uint32_t pdu_hash(const sms_pdu *p)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < p->len; i++)
        h = (h ^ p->bytes[i]) * 16777619u;
    return h;
}

static gm_handed *handed_find(struct modem_gammu *g, int folder, int location)
{
    for (size_t i = 0; i < GM_HANDED_MAX; i++)
        if (g->handed[i].used && g->handed[i].folder == folder &&
            g->handed[i].location == location)
            return &g->handed[i];
    return NULL;
}

static gm_handed *handed_add(struct modem_gammu *g, int folder, int location, uint32_t hash)
{
    for (size_t i = 0; i < GM_HANDED_MAX; i++) {
        if (!g->handed[i].used) {
            g->handed[i] = (gm_handed){.used = true, .folder = folder, .location = location,
                                       .hash = hash};
            return &g->handed[i];
        }
    }
    return NULL;
}

static bool delete_stored(struct modem_gammu *g, gm_handed *h)
{
    GSM_SMSMessage *sms = calloc(1, sizeof *sms);
    if (!sms)
        return true; /* tried again at the next sweep */
    sms->Folder = h->folder;
    sms->Location = h->location;
    guard(g, g->cmd_timeout_ms);
    if (g->flush_due)
        gm_excl_flush(g);
    GSM_Error e = g->gl->GSM_DeleteSMS(g->sm, sms);
    g->flush_due = true; /* a freed slot refilled at once may bring +CIEV: "SMSFULL" */
    free(sms);
    if (!ok_or_lost(g, "deleting a committed message", e))
        return false; /* still committed: deleted after the reconnect */
    if (e != ERR_NONE && e != ERR_EMPTY)
        post_event(g, 1, "deleting message %d (folder %d): %s", h->location, h->folder,
                   g->gl->GSM_ErrorString(e));
    else
        *h = (gm_handed){0};
    return true;
}

/* One message of a sweep. False when the connection was lost meanwhile. */
static bool sweep_one(struct modem_gammu *g, const GSM_SMSMessage *sms)
{
    if (sms->PDU == SMS_Submit)
        return true; /* a draft or a sent message: not ours to read */
    gm_ev *e = gm_ev_new(GME_SMS);
    if (!e)
        return true;
    kz_err err;
    kz_err_clear(&err);
    if (gm_sms_to_pdu(sms, &e->pdu, &err) != KZ_OK) {
        post_event(g, 1, "message %d (folder %d) left on the SIM: %s", sms->Location,
                   sms->Folder, err.msg);
        free(e);
        return true;
    }
    uint32_t hash = pdu_hash(&e->pdu);
    gm_handed *h = handed_find(g, sms->Folder, sms->Location);
    if (h && h->hash == hash) {
        free(e); /* awaiting the daemon's verdict, or committed and not yet deleted */
        return !h->committed || delete_stored(g, h);
    }
    if (h)
        *h = (gm_handed){0}; /* the slot holds another message now */
    if (!handed_add(g, sms->Folder, sms->Location, hash)) {
        free(e); /* too many verdicts pending: the next sweep */
        return true;
    }
    e->stored = true;
    e->folder = sms->Folder;
    e->location = sms->Location;
    gm_post(g, e);
    return true;
}

static void sweep(struct modem_gammu *g)
{
    g->sweep_now = false;
    g->next_sweep = gm_now_ms() + g->sweep_ms;
    if (g->probe_only)
        return;
    GSM_MultiSMSMessage *ms = g->multi;
    memset(ms, 0, sizeof *ms);
    for (int round = 0; round < GM_SWEEP_MAX; round++) {
        guard(g, 2 * g->cmd_timeout_ms); /* the first call lists the whole storage */
        if (g->flush_due)
            gm_excl_flush(g);
        GSM_Error e = g->gl->GSM_GetNextSMS(g->sm, ms, round == 0);
        if (e == ERR_EMPTY)
            break;
        if (!ok_or_lost(g, "listing messages", e))
            return;
        if (e != ERR_NONE) {
            post_event(g, 1, "listing messages: %s", g->gl->GSM_ErrorString(e));
            break;
        }
        for (int i = 0; i < ms->Number && i < GSM_MAX_MULTI_SMS; i++)
            if (!sweep_one(g, &ms->SMS[i]))
                return;
    }
    g->ws.sweeps++;
    post_status(g);
}

static void verdict(struct modem_gammu *g, const gm_req *r)
{
    gm_handed *h = handed_find(g, r->folder, r->location);
    if (!h)
        return;
    if (r->kind == GMR_KEEP) {
        *h = (gm_handed){0}; /* refused: delivered again by the next sweep */
        return;
    }
    h->committed = true;
    if (g->connected)
        delete_stored(g, h);
}

/* ---- sending ---- */

static void send_pdu_now(struct modem_gammu *g, const gm_req *r)
{
    if (!g->connected) {
        gm_ev *e = gm_ev_new(GME_SENT); /* waits in the queue for the modem to be ready */
        if (e) {
            e->id = r->id;
            e->unsent = true;
        }
        gm_post(g, e);
        return;
    }
    GSM_SMSMessage *sms = calloc(1, sizeof *sms);
    kz_err err;
    kz_err_clear(&err);
    if (!sms || gm_pdu_to_sms(g->gl, g->sm, &r->pdu, sms, &err) != KZ_OK) {
        post_event(g, 1, "send %llu refused: %s", (unsigned long long)r->id,
                   sms ? err.msg : "out of memory");
        post_sent(g, r->id, sms ? KZ_ERR_INVALID : KZ_ERR_NOMEM, -1, -1, !sms);
        free(sms);
        return;
    }
    guard(g, g->long_timeout_ms + g->cmd_timeout_ms);
    if (g->flush_due)
        gm_excl_flush(g);
    if (sms->SMSC.Location == 1 && g->ws.smsc[0] &&
        gm_text_from_utf8(g->ws.smsc, sms->SMSC.Number, sizeof sms->SMSC.Number) == KZ_OK)
        sms->SMSC.Location = 0; /* the SIM's, read at connect: no AT+CSCA? before each send */
    g->send_done = false;
    g->send_status = -1;
    g->send_mr = -1;
    GSM_Error e = g->gl->GSM_SendSMS(g->sm, sms);
    free(sms);
    int64_t deadline = gm_now_ms() + g->long_timeout_ms;
    while (e == ERR_NONE && !g->send_done && gm_now_ms() < deadline && !gm_stopping(g))
        if (g->gl->GSM_ReadDevice(g->sm, TRUE) < 0)
            break;
    if (g->send_done && g->send_status == 0) {
        post_sent(g, r->id, KZ_OK, g->send_mr, -1, false);
        return;
    }
    if (g->send_done) {
        int cms = g->send_status > 0 ? g->send_status : -1;
        post_sent(g, r->id, KZ_ERR_IO, -1, cms, cms < 0 || modem_cms_retryable(cms));
        if (cms == 331 || cms == 332)
            g->next_poll = gm_now_ms(); /* no network: see what registration says */
        return;
    }
    if (e == ERR_NONE)
        e = ERR_TIMEOUT;
    post_sent(g, r->id, e == ERR_TIMEOUT ? KZ_ERR_TIMEOUT : KZ_ERR_IO, -1, -1,
              fatal(e) || e == ERR_UNKNOWN);
    if (fatal(e))
        lost(g, "sending a message", e);
    else
        post_event(g, 1, "send %llu failed: %s", (unsigned long long)r->id,
                   g->gl->GSM_ErrorString(e));
}

static void send_pdu(struct modem_gammu *g, const gm_req *r)
{
    g->sending = true;
    send_pdu_now(g, r);
    g->sending = false;
    post_held(g);
}

/* ---- USSD ---- */

static void ussd(struct modem_gammu *g, const gm_req *r)
{
    if (!g->connected) {
        post_ussd(g, r->id, KZ_ERR_IO, NULL);
        return;
    }
    char text[GM_USSD_TEXT_MAX];
    snprintf(text, sizeof text, "%s", r->text);
    g->ussd_id = r->id;
    guard(g, 2 * g->cmd_timeout_ms);
    if (g->flush_due)
        gm_excl_flush(g);
    GSM_Error e = g->gl->GSM_DialService(g->sm, text);
    if (e == ERR_NONE)
        return; /* the answer comes through cb_incoming_ussd */
    g->ussd_id = 0;
    post_ussd(g, r->id, fatal(e) ? KZ_ERR_IO : KZ_ERR_INVALID, NULL);
    if (fatal(e))
        lost(g, "starting a USSD request", e);
    else
        post_event(g, 1, "USSD request refused: %s", g->gl->GSM_ErrorString(e));
}

/* ---- the thread ---- */

static void restart(struct modem_gammu *g)
{
    disconnect(g);
    g->dead = false;
    g->resets_in_row = 0;
    g->pin_refused = false;
    g->next_connect = gm_now_ms();
    post_state(g, MODEM_CLOSED, "restart requested");
}

static void handle_request(struct modem_gammu *g, const gm_req *r)
{
    switch (r->kind) {
    case GMR_SEND: send_pdu(g, r); break;
    case GMR_DELETE:
    case GMR_KEEP: verdict(g, r); break;
    case GMR_USSD: ussd(g, r); break;
    case GMR_USSD_CANCEL:
        if (g->ussd_id == r->id)
            g->ussd_id = 0;
        break;
    case GMR_RESTART: restart(g); break;
    }
}

static void connected_step(struct modem_gammu *g)
{
    int64_t now = gm_now_ms();
    if (now >= g->next_poll) {
        if (g->wstate != MODEM_PIN_NEEDED)
            poll_network(g);
        else if (sim_unlocked(g))
            finish_init(g);
        else
            g->next_poll = now + g->poll_ms;
    }
    bool working = g->wstate == MODEM_READY || g->wstate == MODEM_SEARCHING;
    if (g->connected && working && (g->sweep_now || now >= g->next_sweep))
        sweep(g);
    if (g->connected)
        guard(g, g->cmd_timeout_ms);
    if (g->connected && g->gl->GSM_ReadDevice(g->sm, FALSE) < 0)
        lost(g, "reading", ERR_DEVICEREADERROR);
    if (g->connected && !g->sweep_now)
        gm_wait(g, gm_now_ms() + READ_SLICE_MS);
}

void *gm_worker_main(void *arg)
{
    struct modem_gammu *g = arg;
    g->multi = calloc(1, sizeof *g->multi);
    g->wstate = MODEM_CLOSED;
    g->ws.state = MODEM_CLOSED;
    g->ws.reg_stat = -1;
    while (g->multi && !gm_stopping(g)) {
        gm_req *r;
        while (!gm_stopping(g) && (r = gm_take(g))) {
            handle_request(g, r);
            unguard(g);
            free(r);
        }
        if (gm_stopping(g))
            break;
        if (g->dead)
            gm_wait(g, gm_now_ms() + 60000);
        else if (!g->connected && gm_now_ms() < g->next_connect)
            gm_wait(g, g->next_connect);
        else if (!g->connected)
            connect_device(g);
        else
            connected_step(g);
        unguard(g);
    }
    if (!g->multi)
        post_event(g, 0, "out of memory for libgammu's message buffer");
    disconnect(g);
    free(g->multi);
    g->multi = NULL;
    return NULL;
}
