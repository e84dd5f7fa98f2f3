/*
 * modem_fixture.h - what the modem driver tests share (test_modem.c,
 * test_modem_recovery.c): the driver on a real pseudo-terminal against the
 * simulator engine stepped in-process with a fake clock, the callbacks that
 * record what the driver reported (and that a PIN never appears in it),
 * stepping until a state or a count, and the small helpers (a PDU encoded,
 * the driver settled after its first poll and sweep).
 * Test code only: never sleeps or reads the real clock. Its functions are
 * static inline, so a test may use any subset of them without a warning.
 */
#ifndef KAZI_TESTS_MODEM_FIXTURE_H
#define KAZI_TESTS_MODEM_FIXTURE_H

#include <poll.h>

#include "harness.h"
#include "modem.h"
#include "sim_pty.h"

typedef struct tctx {
    simpty sp;
    modem *m;
    int64_t now;
    /* receiver */
    int sms_calls, sms_committed, refuse_next, refuse_all;
    int held_seen;        /* on_sms calls told the part is held (modem_sms_held) */
    int on_sim_at_commit; /* commits that found their PDU still stored */
    char last_text[512];
    int reports;
    int reports_held;     /* on_status_report calls told the report is held */
    uint64_t report_id;
    uint8_t report_status;
    /* sends */
    int sent_calls;
    uint64_t sent_id;
    kz_status sent_st;
    int sent_mr, sent_cms;
    bool sent_retry;
    /* ussd */
    int ussd_calls;
    kz_status ussd_st;
    int ussd_status;
    char ussd_text[1024];
    /* reports */
    int states[8];
    bool secret_leaked;
    const char *secret;
    char last_reason[300];
} tctx;

static inline bool pdu_on_sim(const sim_engine *e, const uint8_t *pdu, size_t len)
{
    sim_slot_view v;
    for (size_t i = 0; sim_storage_get(e, i, &v); i++)
        if (v.pdu_len == len && memcmp(v.pdu, pdu, len) == 0)
            return true;
    return false;
}

static inline size_t sim_stored(const sim_engine *e)
{
    sim_slot_view v;
    size_t n = 0;
    while (sim_storage_get(e, n, &v))
        n++;
    return n;
}

static inline kz_status on_sms(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                        size_t len)
{
    tctx *t = ctx;
    t->sms_calls++;
    t->held_seen += modem_sms_held(m);
    if (t->refuse_all || t->refuse_next > 0) {
        if (t->refuse_next > 0)
            t->refuse_next--;
        return KZ_ERR_DB;
    }
    t->sms_committed++;
    if (pdu_on_sim(t->sp.e, pdu, len))
        t->on_sim_at_commit++;
    snprintf(t->last_text, sizeof t->last_text, "%s", msg->text);
    return KZ_OK;
}

static inline kz_status on_report(void *ctx, modem *m, uint64_t send_id, const sms_message *r)
{
    tctx *t = ctx;
    t->reports++;
    t->reports_held += modem_sms_held(m);
    t->report_id = send_id;
    t->report_status = r->status;
    return KZ_OK;
}

static inline void on_sent(void *ctx, modem *m, uint64_t id, kz_status st, int mr, int cms, bool retry)
{
    (void)m;
    tctx *t = ctx;
    t->sent_calls++;
    t->sent_id = id;
    t->sent_st = st;
    t->sent_mr = mr;
    t->sent_cms = cms;
    t->sent_retry = retry;
}

static inline void on_ussd(void *ctx, modem *m, uint64_t sid, kz_status st, const cusd_reply *r)
{
    (void)m, (void)sid;
    tctx *t = ctx;
    t->ussd_calls++;
    t->ussd_st = st;
    t->ussd_status = r ? r->status : -1;
    snprintf(t->ussd_text, sizeof t->ussd_text, "%s", r && r->has_text ? r->text : "");
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "ussd %llu st %d status %d %s\n", (unsigned long long)sid, st, t->ussd_status, t->ussd_text);
}

static inline void check_secret(tctx *t, const char *msg)
{
    if (t->secret && strstr(msg, t->secret))
        t->secret_leaked = true;
}

static inline void on_state(void *ctx, modem *m, modem_state s, const char *reason)
{
    (void)m;
    tctx *t = ctx;
    if ((unsigned)s < 8)
        t->states[s]++;
    snprintf(t->last_reason, sizeof t->last_reason, "%s", reason);
    check_secret(t, reason);
}

static inline void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)m, (void)level;
    check_secret(ctx, msg);
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "event %d: %s\n", level, msg);
}

/* A new driver on t's simulator (at setup, or after a crash dropped the last one). */
static inline int open_modem(tctx *t, modem_config *mcfg)
{
    kz_err err;
    mcfg->name = "m1";
    mcfg->port = t->sp.link;
    modem_callbacks cb = {.ctx = t, .on_sms = on_sms, .on_status_report = on_report,
                          .on_sent = on_sent, .on_ussd = on_ussd, .on_state = on_state,
                          .on_event = on_event};
    t->m = modem_new(mcfg, &cb, &err);
    return t->m ? 0 : -1;
}

static inline int setup(tctx *t, const sim_config *scfg, modem_config *mcfg)
{
    memset(t, 0, sizeof *t);
    t->now = 1000;
    kz_err err;
    sim_engine *e = sim_new(scfg, (uint64_t)t->now, &err);
    if (!e || simpty_open(&t->sp, e, (uint64_t)t->now) != 0)
        return -1;
    return open_modem(t, mcfg);
}

static inline void teardown(tctx *t)
{
    modem_free(t->m);
    simpty_close(&t->sp);
}

/* Longest jump of the fake clock when all is quiet (tests that answer menus
 * or inject faults at a chosen moment keep it short). */
static int64_t g_max_jump = INT64_MAX;

/* One round: simulator, modem I/O, timers; the clock jumps when all is quiet. */
static inline void step(tctx *t)
{
    t->sp.now = (uint64_t)t->now;
    simpty_pump(&t->sp);
    bool io = false;
    int fd = modem_fd(t->m);
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = modem_poll_events(t->m)};
        if (poll(&p, 1, 2) > 0 && p.revents) {
            io = true;
            modem_on_io(t->m, p.revents, t->now);
        }
    }
    modem_tick(t->m, t->now);
    if (t->sp.moved || io)
        return;
    int64_t next = modem_next_deadline(t->m);
    uint64_t sd = simpty_deadline(&t->sp);
    if (sd != UINT64_MAX && (int64_t)sd < next)
        next = (int64_t)sd;
    if (next <= t->now)
        next = t->now + 1;
    if (next == INT64_MAX)
        next = t->now + 1000;
    if (next - t->now > g_max_jump)
        next = t->now + g_max_jump;
    t->now = next;
}

static inline modem_state state(tctx *t)
{
    modem_status s;
    modem_get_status(t->m, &s);
    return s.state;
}

static inline bool run_until_state(tctx *t, modem_state want, int max)
{
    for (int i = 0; i < max; i++) {
        if (state(t) == want)
            return true;
        step(t);
    }
    return state(t) == want;
}

static inline void run_until(tctx *t, const int *flag, int want, int max)
{
    for (int i = 0; i < max && *flag < want; i++)
        step(t);
}

/* Run for ms of fake time. */
static inline void run_for(tctx *t, int64_t ms)
{
    int64_t end = t->now + ms;
    for (int i = 0; i < 100000 && t->now < end; i++)
        step(t);
}

static inline void fast_config(modem_config *c)
{
    memset(c, 0, sizeof *c);
    c->cmd_timeout_ms = 2000;
    c->poll_interval_ms = 30000;
    c->sweep_interval_ms = 300000;
    c->reopen_interval_ms = 1000;
    c->boot_wait_ms = 3000;
}

static inline void encode(const char *to, const char *text, bool srr, sms_pdu *pdu)
{
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = to;
    o.srr = srr;
    size_t n;
    KT_CHECK(pdu_encode_submit((const uint8_t *)text, strlen(text), &o, pdu, 1, &n, NULL) ==
                 KZ_OK,
             "encode");
}

static inline bool ready(tctx *t)
{
    return run_until_state(t, MODEM_READY, 3000);
}

/* Run until the driver has polled and swept once, then a little more. */
static inline void settle(tctx *t)
{
    modem_status s;
    g_max_jump = 1;
    for (int i = 0; i < 2000; i++) {
        modem_get_status(t->m, &s);
        if (s.polls >= 1 && s.sweeps >= 1)
            break;
        step(t);
    }
    for (int i = 0; i < 20; i++)
        step(t);
    g_max_jump = INT64_MAX;
}

/* setup, ready and settle, the way most tests start: false (after a failed
 * "setup" check) when the modem did not come up. */
static inline bool start_settled(tctx *t, const sim_config *scfg, modem_config *mcfg)
{
    if (setup(t, scfg, mcfg) != 0 || !ready(t)) {
        KT_CHECK(0, "setup");
        return false;
    }
    settle(t);
    return true;
}

#endif
