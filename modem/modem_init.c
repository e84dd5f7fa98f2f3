/*
 * modem_init.c - bringing a modem up and watching it: the init sequence
 * (AT, ATE0, AT+CMEE=1, PIN, identity, quirks, PDU mode, storage, new
 * message and status report indications, SMSC) and the periodic poll of
 * registration, signal, operator and storage use.
 * Owns the init step machine and the choice of storage and AT+CNMI values.
 * Never puts the PIN in a report, never sends a PIN the SIM refused once.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "at_scan.h"
#include "modem_internal.h"

/* Identity before the PIN: a probe can name a modem whose SIM is locked. */
enum init_step {
    S_AT, S_ECHO, S_CMEE, S_CGMI, S_CGMM, S_CGMR, S_CGSN, S_CPIN, S_PIN, S_CIMI, S_QUIRK,
    S_CMGF, S_CSMS, S_CPMS_TEST, S_CPMS_SET, S_CNMI_TEST, S_CNMI_SET, S_CSCA, S_DONE
};

#define CPIN_CHECKS_MAX 10
#define SIM_SETTLE_MS 2000

/* AT+CNMI values tried in order when AT+CNMI=? gives nothing usable. */
static const int cnmi_fallbacks[][5] = {
    {2, 1, 0, 2, 0}, {2, 1, 0, 1, 0}, {2, 1, 0, 0, 0}, {1, 1, 0, 0, 0},
    {2, 2, 0, 1, 0}, /* modems that only route directly (+CMT, +CDS) */
};
#define CNMI_FALLBACKS (int)(sizeof cnmi_fallbacks / sizeof cnmi_fallbacks[0])

static void init_run(modem *m);

static void init_goto(modem *m, int step)
{
    m->init_step = step;
    init_run(m);
}

static void init_wait(modem *m, int step, int ms)
{
    m->init_step = step;
    m->init_wait_until = m->now + ms;
}

static void pin_needed(modem *m, const char *why)
{
    modem_set_error(m, "%s", why);
    m->pin_recheck = m->now + m->cfg.poll_interval_ms;
    modem_set_state(m, MODEM_PIN_NEEDED, "%s", why);
}

/* ---- step handlers ---- */

static void next_step(modem *m, modem_job *j, const at_reply *r)
{
    if (modem_reply_aborted(r) || r->st == KZ_ERR_TIMEOUT)
        return;
    init_goto(m, (int)j->arg + 1);
}

static void on_cpin_value(modem *m, const char *v)
{
    if (strcmp(v, "READY") == 0) {
        init_goto(m, S_CIMI);
    } else if (strcmp(v, "SIM PIN") == 0 && m->pin && !m->pin_refused) {
        init_goto(m, S_PIN);
    } else if (strcmp(v, "SIM PIN") == 0) {
        pin_needed(m, m->pin_refused ? "the SIM wants its PIN, and refused the configured one"
                                     : "the SIM wants a PIN and none is configured");
    } else if (strcmp(v, "NOT READY") == 0 && ++m->cpin_checks < CPIN_CHECKS_MAX) {
        init_wait(m, S_CPIN, SIM_SETTLE_MS);
    } else {
        char why[120];
        snprintf(why, sizeof why, "the SIM is not usable (+CPIN: %s)", v);
        pin_needed(m, why);
    }
}

static void cpin_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r) || r->st == KZ_ERR_TIMEOUT)
        return;
    size_t len;
    const char *line = modem_reply_find(r, "+CPIN:", &len);
    char v[32] = "";
    if (r->st == KZ_OK && line && at_scan(line, len, NULL, "+CPIN: %s", v, sizeof v) == KZ_OK) {
        on_cpin_value(m, v);
        return;
    }
    if (r->final == AT_FINAL_CME_ERROR && r->code == 10) {
        pin_needed(m, "no SIM card inserted (+CME ERROR: 10)");
    } else if (++m->cpin_checks < CPIN_CHECKS_MAX) {
        init_wait(m, S_CPIN, SIM_SETTLE_MS); /* SIM busy (+CME ERROR: 14) or still starting */
    } else {
        char t[96], why[140];
        modem_reply_text(r, t, sizeof t);
        snprintf(why, sizeof why, "AT+CPIN? keeps failing: %s", t);
        pin_needed(m, why);
    }
}

static void pin_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    if (r->st == KZ_OK || r->st == KZ_ERR_TIMEOUT) {
        m->cpin_checks = 0;
        init_wait(m, S_CPIN, SIM_SETTLE_MS); /* see whether the SIM took it */
        return;
    }
    char t[96], why[200];
    modem_reply_text(r, t, sizeof t);
    m->pin_refused = true;
    snprintf(why, sizeof why,
             "the SIM refused the configured PIN (%s); not trying it again, so the SIM is not "
             "locked with its PUK",
             t);
    pin_needed(m, why);
}

/* The value of an identity reply: the first line, without a "+CGMI: " style prefix. */
static void identity_value(const at_reply *r, char *out, size_t cap)
{
    out[0] = '\0';
    if (r->st != KZ_OK || r->nlines == 0)
        return;
    const char *s = r->line[0];
    size_t n = r->len[0];
    if (n > 0 && s[0] == '+') {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            n -= (size_t)(colon + 1 - s);
            s = colon + 1;
        }
    }
    if (n > 9 && strncasecmp(s, "Revision:", 9) == 0) { /* SIMCom's AT+CGMR */
        s += 9;
        n -= 9;
    }
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '"'))
        n--;
    if (n > 0 && *s == '"') {
        s++;
        n--;
    }
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    out[n] = '\0';
}

static void identity_done(modem *m, modem_job *j, const at_reply *r)
{
    if (modem_reply_aborted(r) || r->st == KZ_ERR_TIMEOUT)
        return;
    switch (j->arg) {
    case S_CGMI: identity_value(r, m->st.manufacturer, sizeof m->st.manufacturer); break;
    case S_CGMM:
        identity_value(r, m->st.model, sizeof m->st.model);
        m->quirk = modem_quirk_find(m->st.manufacturer, m->st.model);
        break;
    case S_CGMR: identity_value(r, m->st.revision, sizeof m->st.revision); break;
    case S_CGSN: identity_value(r, m->st.imei, sizeof m->st.imei); break;
    default: identity_value(r, m->st.imsi, sizeof m->st.imsi); break;
    }
    init_goto(m, (int)j->arg + 1);
}

static void cmgf_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r) || r->st == KZ_ERR_TIMEOUT)
        return;
    if (r->st == KZ_OK) {
        init_goto(m, S_CMGF + 1);
        return;
    }
    char t[96], why[140];
    modem_reply_text(r, t, sizeof t);
    snprintf(why, sizeof why, "the modem refuses PDU mode (AT+CMGF=0: %s)", t);
    if (r->final == AT_FINAL_CMS_ERROR && r->code == 303) {
        modem_set_error(m, "%s", why); /* "operation not supported": no reset changes that */
        modem_close_port(m);
        modem_set_state(m, MODEM_DEAD, "%s", why);
        return;
    }
    modem_reset_start(m, why); /* persistent refusals end in MODEM_DEAD after max_resets */
}

static void csms_done(modem *m, modem_job *j, const at_reply *r)
{
    size_t len;
    const char *line = modem_reply_find(r, "+CSMS:", &len);
    int svc = -1, mt, mo, bm;
    if (r->st == KZ_OK && line &&
        at_scan(line, len, NULL, "+CSMS: %i,%i,%i,%i", &svc, &mt, &mo, &bm) == KZ_OK)
        m->csms_service = svc;
    next_step(m, j, r);
}

/* ---- storage ---- */

static bool list_allows(const at_list *l, const char *mem)
{
    return l->count == 0 || at_list_has_str(l, mem);
}

static void choose_storage(modem *m, const at_cpms_test *t)
{
    static const char *const prefs[] = {"SM", "MT", "ME"};
    const at_list *l = t->count ? &t->mem[0] : NULL;
    const char *pick = NULL;
    if (m->storage_pref && (!l || list_allows(l, m->storage_pref)))
        pick = m->storage_pref;
    for (size_t i = 0; !pick && i < sizeof prefs / sizeof prefs[0]; i++)
        if (!l || at_list_has_str(l, prefs[i]))
            pick = prefs[i];
    if (!pick && l && l->count)
        pick = l->item[0];
    snprintf(m->st.storage, sizeof m->st.storage, "%.15s", pick ? pick : "SM");
}

static void cpms_test_done(modem *m, modem_job *j, const at_reply *r)
{
    size_t len;
    const char *line = modem_reply_find(r, "+CPMS:", &len);
    at_cpms_test t;
    memset(&t, 0, sizeof t);
    if (!(r->st == KZ_OK && line && at_scan_cpms_test(line, len, &t) == KZ_OK))
        t.count = 0;
    choose_storage(m, &t);
    next_step(m, j, r);
}

static void cpms_set_done(modem *m, modem_job *j, const at_reply *r)
{
    if (modem_reply_aborted(r) || r->st == KZ_ERR_TIMEOUT)
        return;
    size_t len;
    const char *line = modem_reply_find(r, "+CPMS:", &len);
    at_cpms c;
    if (r->st == KZ_OK && line && at_scan_cpms(line, len, &c) == KZ_OK && c.count >= 1) {
        m->st.storage_used = c.mem[0].used;
        m->st.storage_total = c.mem[0].total;
    } else if (r->st != KZ_OK && strcmp(m->st.storage, "SM") != 0) {
        modem_event(m, 1, "storage \"%s\" refused: using \"SM\"", m->st.storage);
        snprintf(m->st.storage, sizeof m->st.storage, "SM");
        init_goto(m, S_CPMS_SET);
        return;
    } else if (r->st != KZ_OK) {
        modem_event(m, 1, "AT+CPMS refused: keeping the modem's own storage");
    }
    init_goto(m, (int)j->arg + 1);
}

/* ---- indications ---- */

/* The first of prefs (n values) the list allows; -1 if none. */
static int pick_value(const at_list *l, const int *prefs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (at_list_has(l, prefs[i]))
            return prefs[i];
    return -1;
}

static bool choose_cnmi(modem *m, const at_cnmi_test *t)
{
    static const int mode[] = {2, 1, 3}, mt[] = {1, 2}, bm[] = {0}, ds[] = {2, 1, 0},
                     bfr[] = {0, 1};
    if (t->count < 2)
        return false;
    int v[5] = {pick_value(&t->mode, mode, 3), pick_value(&t->mt, mt, 2), 0, 0, 0};
    if (v[0] < 0 || v[1] < 0)
        return false;
    v[2] = t->count > 2 ? pick_value(&t->bm, bm, 1) : 0;
    v[3] = t->count > 3 ? pick_value(&t->ds, ds, 3) : 0;
    v[4] = t->count > 4 ? pick_value(&t->bfr, bfr, 2) : 0;
    for (int i = 2; i < 5; i++)
        if (v[i] < 0)
            v[i] = 0;
    memcpy(m->cnmi, v, sizeof v);
    return true;
}

static void cnmi_test_done(modem *m, modem_job *j, const at_reply *r)
{
    size_t len;
    const char *line = modem_reply_find(r, "+CNMI:", &len);
    at_cnmi_test t;
    m->cnmi_try = 0;
    m->cnmi_known = r->st == KZ_OK && line && at_scan_cnmi_test(line, len, &t) == KZ_OK &&
                    choose_cnmi(m, &t);
    if (!m->cnmi_known)
        memcpy(m->cnmi, cnmi_fallbacks[0], sizeof m->cnmi);
    next_step(m, j, r);
}

static void cnmi_set_done(modem *m, modem_job *j, const at_reply *r)
{
    if (modem_reply_aborted(r) || r->st == KZ_ERR_TIMEOUT)
        return;
    if (r->st == KZ_OK) {
        init_goto(m, (int)j->arg + 1);
        return;
    }
    int next = m->cnmi_known ? 0 : m->cnmi_try + 1;
    m->cnmi_known = false;
    if (next >= CNMI_FALLBACKS) {
        modem_event(m, 1, "no AT+CNMI setting accepted: new messages are found by sweeps only");
        init_goto(m, (int)j->arg + 1);
        return;
    }
    m->cnmi_try = next;
    memcpy(m->cnmi, cnmi_fallbacks[next], sizeof m->cnmi);
    init_goto(m, S_CNMI_SET);
}

static void csca_done(modem *m, modem_job *j, const at_reply *r)
{
    size_t len;
    const char *line = modem_reply_find(r, "+CSCA:", &len);
    int tosca;
    char num[sizeof m->st.smsc];
    if (r->st == KZ_OK && line && at_scan_csca(line, len, num, sizeof num, &tosca) == KZ_OK)
        snprintf(m->st.smsc, sizeof m->st.smsc, "%s", num);
    next_step(m, j, r);
}

/* ---- the sequence ---- */

static void init_finish(modem *m)
{
    m->resets_in_row = 0;
    m->cpin_checks = 0;
    m->next_poll = m->now;
    m->next_sweep = m->now;
    modem_event(m, 2, "initialised: %s %s, storage %s, AT+CNMI=%d,%d,%d,%d,%d",
                m->st.manufacturer, m->st.model, m->st.storage, m->cnmi[0], m->cnmi[1],
                m->cnmi[2], m->cnmi[3], m->cnmi[4]);
    modem_set_state(m, MODEM_SEARCHING, "initialised; checking network registration");
}

/* Build step's command into cmd; false when the step is skipped. */
static bool build_cmd(modem *m, int step, char *cmd, size_t cap, modem_job_fn *fn)
{
    static const char *const fixed[] = {
        [S_AT] = "AT", [S_ECHO] = "ATE0", [S_CMEE] = "AT+CMEE=1", [S_CPIN] = "AT+CPIN?",
        [S_CGMI] = "AT+CGMI", [S_CGMM] = "AT+CGMM", [S_CGMR] = "AT+CGMR",
        [S_CGSN] = "AT+CGSN", [S_CIMI] = "AT+CIMI", [S_CMGF] = "AT+CMGF=0",
        [S_CSMS] = "AT+CSMS?", [S_CPMS_TEST] = "AT+CPMS=?", [S_CNMI_TEST] = "AT+CNMI=?",
        [S_CSCA] = "AT+CSCA?",
    };
    static const modem_job_fn fns[] = {
        [S_AT] = next_step, [S_ECHO] = next_step, [S_CMEE] = next_step, [S_CPIN] = cpin_done,
        [S_PIN] = pin_done, [S_CGMI] = identity_done, [S_CGMM] = identity_done,
        [S_CGMR] = identity_done, [S_CGSN] = identity_done, [S_CIMI] = identity_done,
        [S_QUIRK] = next_step, [S_CMGF] = cmgf_done, [S_CSMS] = csms_done,
        [S_CPMS_TEST] = cpms_test_done, [S_CPMS_SET] = cpms_set_done,
        [S_CNMI_TEST] = cnmi_test_done, [S_CNMI_SET] = cnmi_set_done, [S_CSCA] = csca_done,
    };
    *fn = fns[step];
    switch (step) {
    case S_PIN:
        snprintf(cmd, cap, "AT+CPIN=\"%s\"", m->pin);
        return true;
    case S_QUIRK:
        if (!m->quirk->init_cmd)
            return false;
        snprintf(cmd, cap, "%s", m->quirk->init_cmd);
        return true;
    case S_CPMS_SET:
        snprintf(cmd, cap, "AT+CPMS=\"%s\",\"%s\",\"%s\"", m->st.storage, m->st.storage,
                 m->st.storage);
        return true;
    case S_CNMI_SET:
        snprintf(cmd, cap, "AT+CNMI=%d,%d,%d,%d,%d", m->cnmi[0], m->cnmi[1], m->cnmi[2],
                 m->cnmi[3], m->cnmi[4]);
        return true;
    default:
        snprintf(cmd, cap, "%s", fixed[step]);
        return true;
    }
}

static void init_run(modem *m)
{
    char cmd[AT_CMD_MAX + 1];
    modem_job_fn fn;
    while (m->init_step < S_DONE && !build_cmd(m, m->init_step, cmd, sizeof cmd, &fn))
        m->init_step++;
    if (m->init_step >= S_DONE) {
        init_finish(m);
        return;
    }
    bool pin = m->init_step == S_PIN;
    job_retry retry = pin ? JOB_PROBE : JOB_RETRY; /* a PIN entry is never repeated blindly */
    modem_job *j = modem_job_submit(m, cmd, pin ? "AT+CPIN=<pin>" : NULL, retry,
                                    modem_cmd_timeout(m), fn, m->init_step, false);
    memset(cmd, 0, sizeof cmd);
    if (!j) {
        modem_event(m, 0, "init stalled: cannot queue a command");
        return;
    }
    /* ESC before the first AT: a modem left at a "> " prompt (we died mid
     * AT+CMGS) would otherwise swallow it and cost two timeouts. */
    if (m->init_step == S_AT)
        j->esc_first = true;
}

void modem_init_start(modem *m)
{
    m->init_wait_until = m->boot_until = m->pin_recheck = MODEM_NEVER;
    m->reboot_at = m->now; /* boot URCs arriving now belong to the boot we start from */
    m->next_poll = m->next_sweep = MODEM_NEVER;
    m->cpin_checks = 0;
    modem_set_state(m, MODEM_INIT, "initialising");
    init_goto(m, S_AT);
}

void modem_init_tick(modem *m)
{
    if (m->now >= m->boot_until) {
        m->boot_until = MODEM_NEVER;
        modem_init_start(m);
    }
    if (m->st.state == MODEM_INIT && m->now >= m->init_wait_until) {
        m->init_wait_until = MODEM_NEVER;
        init_run(m);
    }
    if (m->st.state == MODEM_PIN_NEEDED && m->now >= m->pin_recheck) {
        m->pin_recheck = MODEM_NEVER;
        modem_init_start(m);
    }
}

/* ---- polling ---- */

static bool registered(int stat)
{
    return stat == 1 || stat == 5 || stat == 6 || stat == 7;
}

static void poll_step_done(modem *m)
{
    if (m->poll_inflight > 0 && --m->poll_inflight == 0) {
        m->st.polls++;
        modem_sweep_if_full(m);
    }
}

static void creg_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    size_t len;
    const char *line = modem_reply_find(r, "+CREG:", &len);
    at_creg c;
    if (r->st == KZ_OK && line && at_scan_creg(line, len, true, &c) == KZ_OK) {
        m->st.reg_stat = c.stat;
        modem_state s = m->st.state;
        if (s == MODEM_SEARCHING && registered(c.stat))
            modem_set_state(m, MODEM_READY, "registered (+CREG stat %d)", c.stat);
        else if (s == MODEM_READY && !registered(c.stat))
            modem_set_state(m, MODEM_SEARCHING, "lost the network (+CREG stat %d)", c.stat);
    }
    poll_step_done(m);
}

static void csq_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    size_t len;
    const char *line = modem_reply_find(r, "+CSQ:", &len);
    at_csq q;
    if (r->st == KZ_OK && line && at_scan_csq(line, len, &q) == KZ_OK)
        m->st.signal_dbm = q.dbm_known ? q.dbm : 0;
    poll_step_done(m);
}

static void cops_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    size_t len;
    const char *line = modem_reply_find(r, "+COPS:", &len);
    int mode, fmt = -1, act;
    char name[sizeof m->st.operator_name] = "";
    unsigned got = 0;
    if (r->st == KZ_OK && line &&
        at_scan(line, len, &got, "+COPS: %i?,%i,%s,%i", &mode, &fmt, name, sizeof name,
                &act) == KZ_OK)
        snprintf(m->st.operator_name, sizeof m->st.operator_name, "%s", name);
    poll_step_done(m);
}

static void cpms_read_done(modem *m, modem_job *j, const at_reply *r)
{
    (void)j;
    if (modem_reply_aborted(r))
        return;
    size_t len;
    const char *line = modem_reply_find(r, "+CPMS:", &len);
    at_cpms c;
    if (r->st == KZ_OK && line && at_scan_cpms(line, len, &c) == KZ_OK && c.count >= 1) {
        m->st.storage_used = c.mem[0].used;
        m->st.storage_total = c.mem[0].total;
    }
    poll_step_done(m);
}

void modem_poll_start(modem *m)
{
    static const struct {
        const char *cmd;
        modem_job_fn fn;
    } polls[] = {
        {"AT+CREG?", creg_done},
        {"AT+CSQ", csq_done},
        {"AT+COPS?", cops_done},
        {"AT+CPMS?", cpms_read_done},
    };
    m->next_poll = m->now + m->cfg.poll_interval_ms;
    if (m->poll_inflight)
        return;
    for (size_t i = 0; i < sizeof polls / sizeof polls[0]; i++)
        if (modem_job_submit(m, polls[i].cmd, NULL, JOB_RETRY, modem_cmd_timeout(m),
                             polls[i].fn, 0, false))
            m->poll_inflight++;
}
