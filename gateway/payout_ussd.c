/*
 * payout_ussd.c - the payout runner (payout_ussd.h): one payout at a time,
 * submit (debit persisted) -> dial -> walk the script's screens -> commit
 * point persisted before the PIN -> sent -> wait for the SMS -> confirmed,
 * failed or unknown. A session that ends badly before the PIN fails the
 * payout (nothing can have moved); after the PIN it makes the payout
 * unknown, to be reconciled by a late SMS or the operator.
 * Owns: the session state and deadlines. Never resends, never logs, never
 * lets the PIN out of the stack buffer it is expanded into.
 */
#include "payout_ussd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

#define DEFAULT_CONFIRM_S 300
/* A network may answer a dead session ~5 s late, and the simulator's menus
 * wait 30 s for input: start nothing new until the old session is surely gone
 * (ussd-menus.md section 8, romellfudi/VoIpUSSD#93). */
#define DEFAULT_SETTLE_S 35
#define SESSION_BASE ((uint64_t)0x50415900 << 32) /* "PAY": never 0, unlike others' ids */

typedef enum runner_phase { R_IDLE = 0, R_MENU, R_AWAIT, R_HALTED } runner_phase;

struct payout_runner {
    kz_store *st;
    modem *m;
    const payout_script *sc;
    const money_sms_set *sms;
    payout_runner_config cfg;
    char pin[32];
    runner_phase phase;
    char halt[160];
    payout cur;
    bool committed, session_open;
    size_t pos;
    uint64_t session, nsessions;
    int64_t deadline, hold_until, now_ms;
    payout_runner_status counts;
};

static int64_t wall(const payout_runner *r, int64_t now_ms)
{
    return r->cfg.wall_offset_s + now_ms / 1000;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

static void halt(payout_runner *r, const char *why)
{
    r->phase = R_HALTED;
    snprintf(r->halt, sizeof r->halt, "%.150s", why);
}

/* Back to idle - or halted, when a halt was asked for meanwhile. */
static void to_idle(payout_runner *r)
{
    r->phase = r->halt[0] ? R_HALTED : R_IDLE;
    memset(&r->cur, 0, sizeof r->cur);
    r->committed = r->session_open = false;
    r->session = 0;
    r->deadline = INT64_MAX;
}

/* Copy text into out with the PIN blotted out (a menu never should echo it). */
static void redact(const payout_runner *r, const char *text, char *out, size_t cap)
{
    snprintf(out, cap, "%s", text);
    for (char *nl = out; (nl = strpbrk(nl, "\r\n")) != NULL;)
        *nl = ' ';
    size_t pl = strlen(r->pin);
    for (char *p = pl ? strstr(out, r->pin) : NULL; p; p = strstr(p + pl, r->pin))
        memset(p, '*', pl);
}

static void cancel_session(payout_runner *r)
{
    if (r->session_open)
        (void)modem_ussd_cancel(r->m, r->session);
    r->session_open = false;
}

/* After a session that ended badly: let its stragglers arrive while none is open. */
static void settle(payout_runner *r)
{
    int s = r->cfg.settle_s > 0 ? r->cfg.settle_s : DEFAULT_SETTLE_S;
    int64_t until = r->now_ms + (int64_t)s * 1000;
    if (until > r->hold_until)
        r->hold_until = until;
}

/* The session ended without the script's end: fail (before the PIN) or unknown. */
static void abnormal(payout_runner *r, const char *reason)
{
    cancel_session(r);
    settle(r);
    int64_t now = wall(r, r->now_ms);
    kz_status rc;
    if (r->committed) {
        rc = payout_mark_unknown(r->st, r->cur.id, reason, now, NULL);
        r->counts.unknown += rc == KZ_OK;
    } else {
        rc = payout_fail(r->st, r->cur.id, reason, "runner", now, NULL);
        r->counts.failed += rc == KZ_OK;
    }
    if (rc != KZ_OK)
        halt(r, "the database refused a payout update: see kazi pay list");
    to_idle(r);
}

static void refused(payout_runner *r, money_sms_failure why, const char *screen)
{
    char reason[200], text[120];
    redact(r, screen, text, sizeof text);
    snprintf(reason, sizeof reason, "provider refused (%s): %s", money_sms_failure_name(why),
             text);
    cancel_session(r);
    settle(r);
    kz_status rc = payout_fail(r->st, r->cur.id, reason, "runner", wall(r, r->now_ms), NULL);
    r->counts.failed += rc == KZ_OK;
    to_idle(r);
    if (why == MONEY_SMS_FAIL_PIN || why == MONEY_SMS_FAIL_FUNDS || why == MONEY_SMS_FAIL_LIMIT)
        halt(r, reason);
}

static void finished(payout_runner *r)
{
    cancel_session(r);
    if (payout_mark_sent(r->st, r->cur.id, wall(r, r->now_ms), NULL) != KZ_OK) {
        abnormal(r, "could not record the end of the menu");
        return;
    }
    int t = r->cfg.confirm_timeout_s > 0 ? r->cfg.confirm_timeout_s : DEFAULT_CONFIRM_S;
    r->phase = R_AWAIT;
    r->deadline = r->now_ms + (int64_t)t * 1000;
}

static int step_timeout_ms(const payout_runner *r)
{
    size_t i = r->pos < r->sc->nsteps ? r->pos : r->sc->nsteps - 1;
    return r->sc->step[i].timeout_s * 1000;
}

/* Run the send at r->pos (persisting the commit point before a PIN). */
static void send_step(payout_runner *r)
{
    const ps_step *s = &r->sc->step[r->pos];
    char ref[24], value[PS_VALUE_MAX];
    snprintf(ref, sizeof ref, "KZ%" PRId64, r->cur.id);
    ps_vars v = {.e164 = r->cur.phone, .amount_minor = r->cur.amount_minor,
                 .exponent = money_exponent(r->cur.currency), .pin = r->pin, .ref = ref};
    if (payout_script_expand(r->sc, s->value, &v, value, sizeof value) != KZ_OK) {
        wipe(value, sizeof value);
        abnormal(r, "the script's value cannot be made for this payout (whole units only)");
        return;
    }
    if (s->has_pin && !r->committed) {
        if (payout_commit_point(r->st, r->cur.id, wall(r, r->now_ms), NULL) != KZ_OK) {
            wipe(value, sizeof value);
            abnormal(r, "could not record the commit point: PIN not sent");
            return;
        }
        r->committed = true;
    }
    kz_status st = r->pos == 0 ? modem_ussd_start(r->m, r->session, value)
                               : modem_ussd_reply(r->m, r->session, value);
    wipe(value, sizeof value);
    r->pos++;
    if (st != KZ_OK) {
        char why[96];
        snprintf(why, sizeof why, "the modem refused the USSD step: %s", kz_strerror(st));
        abnormal(r, why);
        return;
    }
    r->session_open = true;
    r->deadline = r->now_ms + step_timeout_ms(r);
}

static bool float_allows(payout_runner *r, const payout *p)
{
    int64_t bal = 0;
    bool found = false;
    if (payout_float_get(r->st, p->currency, &bal, NULL, &found, NULL) != KZ_OK || !found)
        return true; /* unknown float: the provider will refuse if it is empty */
    int64_t fee = payout_band_fee(r->cfg.pay.transfer, r->cfg.pay.ntransfer, p->amount_minor);
    if (bal >= p->amount_minor + (fee > 0 ? fee : 0))
        return true;
    char b[40], a[40], why[160];
    money_format(b, sizeof b, bal, p->currency, 0);
    money_format(a, sizeof a, p->amount_minor, p->currency, 0);
    snprintf(why, sizeof why, "float too low: %s left, payout %" PRId64 " needs %s and its fee",
             b, p->id, a);
    halt(r, why);
    return false;
}

static int64_t next_local_day_ms(const payout_runner *r)
{
    int64_t off = (int64_t)r->cfg.pay.tz_offset_minutes * 60;
    int64_t local = wall(r, r->now_ms) + off;
    int64_t next = local - ((local % 86400) + 86400) % 86400 + 86400 - off;
    return (next - r->cfg.wall_offset_s) * 1000;
}

static kz_status start_next(payout_runner *r, kz_err *err)
{
    modem_status ms;
    modem_get_status(r->m, &ms);
    if (r->now_ms < r->hold_until || ms.state != MODEM_READY)
        return KZ_OK;
    payout p;
    bool found = false;
    kz_status rc = payout_next_requested(r->st, &p, &found, err);
    if (rc != KZ_OK || !found || !float_allows(r, &p))
        return rc;
    rc = payout_submit(r->st, &r->cfg.pay, p.id, r->cfg.method, wall(r, r->now_ms), err);
    if (rc == KZ_ERR_RANGE) { /* the daily cap: wait for tomorrow */
        r->hold_until = next_local_day_ms(r);
        return KZ_OK;
    }
    if (rc == KZ_ERR_STATE) { /* failed at submit (balance): nothing sent, try the next */
        r->counts.failed++;
        return KZ_OK;
    }
    if (rc != KZ_OK)
        return rc;
    rc = payout_get(r->st, p.id, &r->cur, err);
    if (rc != KZ_OK)
        return rc;
    r->counts.started++;
    r->phase = R_MENU;
    r->pos = 0;
    r->committed = false;
    r->session = SESSION_BASE | ++r->nsessions;
    send_step(r);
    return KZ_OK;
}

payout_runner *payout_runner_new(kz_store *st, modem *m, const payout_script *script,
                                 const money_sms_set *sms, const payout_runner_config *cfg,
                                 int64_t now_ms, kz_err *err)
{
    if (!script->nsteps || !cfg->pin || strlen(cfg->pin) >= sizeof(((payout_runner *)0)->pin)) {
        kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "a runner needs a script and a PIN");
        return NULL;
    }
    payout_runner *r = calloc(1, sizeof *r);
    if (!r) {
        kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        return NULL;
    }
    *r = (payout_runner){.st = st, .m = m, .sc = script, .sms = sms, .cfg = *cfg,
                         .now_ms = now_ms};
    snprintf(r->pin, sizeof r->pin, "%s", cfg->pin);
    r->cfg.pin = NULL; /* only r->pin holds it */
    to_idle(r);
    size_t n = 0;
    if (payout_recover(st, wall(r, now_ms), &n, err) != KZ_OK) {
        payout_runner_free(r);
        return NULL;
    }
    return r;
}

void payout_runner_free(payout_runner *r)
{
    if (!r)
        return;
    cancel_session(r);
    wipe(r->pin, sizeof r->pin);
    free(r);
}

kz_status payout_runner_step(payout_runner *r, int64_t now_ms, kz_err *err)
{
    r->now_ms = now_ms;
    if (r->phase == R_MENU && now_ms >= r->deadline) {
        abnormal(r, "no answer from the menu in time");
    } else if (r->phase == R_AWAIT && now_ms >= r->deadline) {
        kz_status rc = payout_mark_unknown(r->st, r->cur.id, "no confirmation SMS in time",
                                           wall(r, now_ms), err);
        r->counts.unknown += rc == KZ_OK;
        to_idle(r);
        if (rc != KZ_OK)
            return rc;
    }
    if (r->phase != R_IDLE)
        return KZ_OK;
    kz_status rc = start_next(r, err);
    if (rc != KZ_OK)
        halt(r, "the database refused: payouts stopped");
    return rc;
}

static bool screen_is(const ps_screen *list, size_t n, const char *text, money_sms_failure *why)
{
    for (size_t i = 0; i < n; i++) {
        if (regexec(&list[i].re, text, 0, NULL, 0) == 0) {
            if (why)
                *why = list[i].failure;
            return true;
        }
    }
    return false;
}

static void on_screen(payout_runner *r, const cusd_reply *rep)
{
    const char *text = rep->has_text ? rep->text : "";
    money_sms_failure why = MONEY_SMS_FAIL_NONE;
    if (rep->status != 1)
        r->session_open = false;
    if (screen_is(r->sc->fail, r->sc->nfail, text, &why)) {
        refused(r, why, text);
        return;
    }
    if (r->committed && screen_is(r->sc->await, r->sc->nawait, text, NULL)) {
        finished(r);
        return;
    }
    const ps_step *s = r->pos < r->sc->nsteps ? &r->sc->step[r->pos] : NULL;
    if (s && s->kind == PS_EXPECT && regexec(&s->re, text, 0, NULL, 0) != 0) {
        char why_text[200], shown[120];
        redact(r, text, shown, sizeof shown);
        snprintf(why_text, sizeof why_text, "unexpected screen: %s", shown);
        abnormal(r, why_text);
        return;
    }
    if (s && s->kind == PS_EXPECT)
        r->pos++;
    if (r->pos >= r->sc->nsteps) {
        finished(r);
        return;
    }
    if (!r->session_open) {
        abnormal(r, "the menu ended before the script did");
        return;
    }
    send_step(r);
}

void payout_runner_on_ussd(payout_runner *r, modem *m, uint64_t session_id, kz_status st,
                           const cusd_reply *reply, int64_t now_ms)
{
    if (m != r->m || r->phase != R_MENU || session_id != r->session)
        return;
    r->now_ms = now_ms;
    if (st != KZ_OK || !reply) {
        char why[96];
        r->session_open = false;
        snprintf(why, sizeof why, "the USSD session ended: %s", kz_strerror(st));
        abnormal(r, why);
        return;
    }
    on_screen(r, reply);
}

static void count_sms(payout_runner *r, payout_sms_outcome o, int64_t pid)
{
    bool mine = r->cur.id && pid == r->cur.id && (r->phase == R_MENU || r->phase == R_AWAIT);
    r->counts.confirmed += o == PAYOUT_SMS_MATCHED;
    r->counts.failed += o == PAYOUT_SMS_FAILED;
    r->counts.sms_unmatched += o == PAYOUT_SMS_UNMATCHED || o == PAYOUT_SMS_CONFLICT;
    r->counts.sms_duplicate += o == PAYOUT_SMS_DUPLICATE;
    if (mine && (o == PAYOUT_SMS_MATCHED || o == PAYOUT_SMS_FAILED)) {
        cancel_session(r);
        to_idle(r);
    }
}

kz_status payout_runner_on_sms(payout_runner *r, const char *sender, const char *text,
                               int64_t now_ms, bool *consumed, kz_err *err)
{
    *consumed = money_sms_sender_known(r->sms, sender) != 0;
    if (!*consumed)
        return KZ_OK;
    r->now_ms = now_ms;
    money_sms_result res;
    if (money_sms_parse(r->sms, sender, text, strlen(text), &res) != KZ_OK)
        return KZ_OK; /* a provider's promotion or notice: nothing to reconcile */
    int64_t current = (r->phase == R_MENU || r->phase == R_AWAIT) ? r->cur.id : 0;
    payout_sms_outcome o = PAYOUT_SMS_IGNORED;
    int64_t pid = 0;
    kz_status rc = payout_on_sms(r->st, &r->cfg.pay, &res, sender, text, current,
                                 wall(r, now_ms), &o, &pid, err);
    if (rc != KZ_OK)
        return rc;
    count_sms(r, o, pid);
    if (res.failure == MONEY_SMS_FAIL_PIN || res.failure == MONEY_SMS_FAIL_FUNDS ||
        res.failure == MONEY_SMS_FAIL_LIMIT) {
        char why[160];
        snprintf(why, sizeof why, "provider SMS: %s", money_sms_failure_name(res.failure));
        if (r->phase == R_IDLE || r->phase == R_HALTED)
            halt(r, why);
        else
            snprintf(r->halt, sizeof r->halt, "%s", why); /* to_idle halts after this payout */
    }
    return KZ_OK;
}

int64_t payout_runner_next_deadline(const payout_runner *r)
{
    if (r->phase == R_MENU || r->phase == R_AWAIT)
        return r->deadline;
    if (r->phase == R_IDLE && r->hold_until > r->now_ms)
        return r->hold_until;
    return INT64_MAX; /* idle: the caller steps the runner on every loop turn anyway */
}

void payout_runner_get_status(const payout_runner *r, payout_runner_status *out)
{
    static const char *const names[] = {"idle", "menu", "await-sms", "halted"};
    *out = r->counts;
    out->phase = names[r->phase];
    out->halted = r->phase == R_HALTED;
    snprintf(out->halt_reason, sizeof out->halt_reason, "%s", r->phase == R_HALTED ? r->halt : "");
    out->current = r->cur.id;
}

void payout_runner_resume(payout_runner *r, const char *pin)
{
    if (pin && strlen(pin) < sizeof r->pin) {
        wipe(r->pin, sizeof r->pin);
        snprintf(r->pin, sizeof r->pin, "%s", pin);
    }
    r->halt[0] = '\0';
    r->hold_until = 0;
    if (r->phase == R_HALTED)
        r->phase = R_IDLE;
}
