/*
 * test_modem_gammu.c - the libgammu backend (driver = gammu) against the
 * simulator engine on a real pseudo-terminal, through the same modem.h
 * contract as the AT driver: READY with identity, sends with their TP-MR,
 * a status report matched to its send, inbound messages (GSM-7, UCS-2,
 * multipart) written back byte for byte as the SIM holds them, deleted only
 * after the receiver committed, a refused message left on the SIM and
 * handed over again, a USSD menu walked and cancelled, and recovery from a
 * spontaneous reset, a hang and a modem that stays dead until it is power-
 * cycled and restarted.
 * libgammu blocks on its own timers, so this test runs on the real clock
 * (the simulator is stepped with it); every wait is bounded.
 */
#include <poll.h>
#include <time.h>

#include "concat.h"
#include "harness.h"
#include "hex.h"
#include "modem.h"
#include "sim_pty.h"

#define WAIT_MS 60000

typedef struct world {
    simpty sp;
    modem *m;
    int64_t now;
    modem_state state;
    int states_seen[MODEM_DEAD + 1];
    /* sends */
    uint64_t sent_id[8];
    int sent_mr[8];
    kz_status sent_st[8];
    int nsent_cb, sent_unknown;
    /* reports */
    uint64_t report_id;
    int reports;
    uint8_t report_st;
    /* receiving */
    int refuse_left;       /* refuse this many on_sms calls first */
    int refused, committed, not_on_sim, not_faithful;
    concat_store *cs;
    char done_text[4][600];
    int ndone;
    /* USSD */
    int ussd_calls;
    kz_status ussd_st;
    cusd_reply ussd;
} world;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- callbacks ---- */

static bool pdu_on_sim(const sim_engine *e, const uint8_t *pdu, size_t len, bool *same_bytes)
{
    sms_message want;
    *same_bytes = false;
    if (pdu_decode(pdu, len, true, &want, NULL) != KZ_OK)
        return false;
    sim_slot_view v;
    for (size_t i = 0; sim_storage_get(e, i, &v); i++) {
        sms_message got;
        if (v.pdu_len == len && memcmp(v.pdu, pdu, len) == 0) {
            *same_bytes = true;
            return true;
        }
        if (pdu_decode(v.pdu, v.pdu_len, true, &got, NULL) == KZ_OK &&
            strcmp(got.text, want.text) == 0 && strcmp(got.address.text, want.address.text) == 0) {
            if (getenv("KAZI_TEST_VERBOSE")) {
                char a[2 * SMS_PDU_MAX + 1], b[2 * SMS_PDU_MAX + 1];
                hex_encode(v.pdu, v.pdu_len, a, sizeof a);
                hex_encode(pdu, len, b, sizeof b);
                fprintf(stderr, "stored  %s\nhanded  %s\n", a, b);
            }
            return true;
        }
    }
    return false;
}

static kz_status on_sms(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                        size_t len)
{
    (void)m;
    world *w = ctx;
    if (w->refuse_left > 0) {
        w->refuse_left--;
        w->refused++;
        return KZ_ERR_DB;
    }
    bool same = false;
    if (!pdu_on_sim(w->sp.e, pdu, len, &same))
        w->not_on_sim++;
    else if (!same)
        w->not_faithful++;
    bool done = false, has_ev = false;
    concat_msg out, ev;
    if (concat_add(w->cs, msg, w->now / 1000, &done, &out, &has_ev, &ev, NULL) != KZ_OK)
        return KZ_ERR_NOMEM;
    if (has_ev)
        concat_msg_free(&ev);
    if (done) {
        if (w->ndone < 4)
            snprintf(w->done_text[w->ndone++], sizeof w->done_text[0], "%s", out.text);
        concat_msg_free(&out);
    }
    w->committed++;
    return KZ_OK;
}

static kz_status on_report(void *ctx, modem *m, uint64_t send_id, const sms_message *r)
{
    (void)m;
    world *w = ctx;
    w->reports++;
    w->report_id = send_id;
    w->report_st = r->status;
    return KZ_OK;
}

static void on_sent(void *ctx, modem *m, uint64_t id, kz_status st, int mr, int cms, bool retry)
{
    (void)m, (void)cms, (void)retry;
    world *w = ctx;
    if (id == 0 || id > 8 || w->sent_id[id - 1]) {
        w->sent_unknown++;
        return;
    }
    w->sent_id[id - 1] = id;
    w->sent_mr[id - 1] = mr;
    w->sent_st[id - 1] = st;
    w->nsent_cb++;
}

static void on_ussd(void *ctx, modem *m, uint64_t id, kz_status st, const cusd_reply *r)
{
    (void)m, (void)id;
    world *w = ctx;
    w->ussd_calls++;
    w->ussd_st = st;
    if (r)
        w->ussd = *r;
    else
        memset(&w->ussd, 0, sizeof w->ussd);
}

static void on_state(void *ctx, modem *m, modem_state s, const char *reason)
{
    (void)m;
    world *w = ctx;
    w->state = s;
    w->states_seen[s]++;
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "state %s: %s\n", modem_state_name(s), reason);
}

static void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)ctx, (void)m;
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "event %d: %s\n", level, msg);
}

/* ---- the loop ---- */

static void step(world *w)
{
    struct pollfd p[2] = {{.fd = modem_fd(w->m), .events = modem_poll_events(w->m)},
                          {.fd = w->sp.master, .events = POLLIN}};
    int64_t wait = 20;
    int64_t d = modem_next_deadline(w->m) - mono_ms();
    if (d < wait)
        wait = d < 0 ? 0 : d;
    poll(p, w->sp.master >= 0 ? 2 : 1, (int)wait);
    w->now = mono_ms();
    w->sp.now = (uint64_t)w->now;
    simpty_pump(&w->sp);
    if (p[0].revents)
        modem_on_io(w->m, p[0].revents, w->now);
    modem_tick(w->m, w->now);
}

typedef bool (*cond_fn)(const world *w, long arg);

static bool run_until(world *w, cond_fn c, long arg, int64_t max_ms)
{
    int64_t end = mono_ms() + max_ms;
    while (mono_ms() < end) {
        step(w);
        if (c(w, arg))
            return true;
    }
    return false;
}

static bool in_state(const world *w, long s)
{
    return w->state == (modem_state)s;
}

static bool sends_done(const world *w, long n)
{
    return w->nsent_cb >= n;
}

static bool reports_in(const world *w, long n)
{
    return w->reports >= n;
}

static bool sim_empty_and(const world *w, long committed)
{
    sim_stats s;
    sim_get_stats(w->sp.e, &s);
    return w->committed >= committed && s.sm_used == 0 && s.me_used == 0 && s.queued == 0;
}

static bool refused_at_least(const world *w, long n)
{
    return w->refused >= n;
}

static bool ussd_calls(const world *w, long n)
{
    return w->ussd_calls >= n;
}

/* ---- scenarios ---- */

static sms_pdu make_pdu(const char *to, const char *text, bool srr)
{
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = to;
    o.srr = srr;
    sms_pdu p;
    size_t n = 0;
    KT_CHECK(pdu_encode_submit((const uint8_t *)text, strlen(text), &o, &p, 1, &n, NULL) ==
                 KZ_OK && n == 1, "encode %s", text);
    return p;
}

static void test_ready(world *w)
{
    KT_CHECK(run_until(w, in_state, MODEM_READY, WAIT_MS), "READY through libgammu (state %s)",
             modem_state_name(w->state));
    modem_status s;
    modem_get_status(w->m, &s);
    KT_CHECK(strstr(s.manufacturer, "SIMCOM") != NULL, "manufacturer %s", s.manufacturer);
    KT_STREQ(s.imei, "867856030123459", "IMEI");
    KT_STREQ(s.imsi, "639020123456789", "IMSI");
    KT_CHECK(s.reg_stat == 1 && s.signal_dbm < 0, "registered %d, %d dBm", s.reg_stat,
             s.signal_dbm);
}

static void test_send(world *w)
{
    sms_pdu a = make_pdu("+254712000001", "Habari, kazi mpya", false);
    sms_pdu b = make_pdu("+254712000002", "Asante \xe2\x9c\x93", true);
    KT_CHECK(modem_send_pdu(w->m, 0, &a) == KZ_ERR_INVALID, "send_id 0 refused");
    KT_CHECK(modem_send_pdu(w->m, 1, &a) == KZ_OK, "send 1 queued");
    KT_CHECK(modem_send_pdu(w->m, 2, &b) == KZ_OK, "send 2 queued");
    KT_CHECK(w->nsent_cb == 0, "no on_sent from inside modem_send_pdu");
    KT_CHECK(run_until(w, sends_done, 2, WAIT_MS), "both sends reported (%d)", w->nsent_cb);
    KT_CHECK(w->sent_st[0] == KZ_OK && w->sent_st[1] == KZ_OK, "sent: %s, %s",
             kz_strerror(w->sent_st[0]), kz_strerror(w->sent_st[1]));
    KT_CHECK(sim_sent_count(w->sp.e) == 2, "simulator sent log: %zu", sim_sent_count(w->sp.e));
    const sim_sent *s1 = sim_sent_get(w->sp.e, 0), *s2 = sim_sent_get(w->sp.e, 1);
    if (s1 && s2) {
        KT_CHECK(w->sent_mr[0] == s1->mr && w->sent_mr[1] == s2->mr, "TP-MR %d/%d, sim %d/%d",
                 w->sent_mr[0], w->sent_mr[1], s1->mr, s2->mr);
        KT_STREQ(s2->msg.text, "Asante \xe2\x9c\x93", "UCS-2 text as sent");
        KT_STREQ(s1->msg.address.text, "+254712000001", "recipient");
        KT_CHECK(!s1->msg.status_report && s2->msg.status_report, "status report requested");
    }
    KT_CHECK(run_until(w, reports_in, 1, 20000), "status report delivered (%d)", w->reports);
    KT_CHECK(w->report_id == 2 && w->report_st == 0, "report matched to send %llu, TP-ST %u",
             (unsigned long long)w->report_id, w->report_st);
    KT_CHECK(w->sent_unknown == 0, "on_sent exactly once per send (%d extra)", w->sent_unknown);
}

static const char *const texts[3] = {
    "Jibu 1 kwa ndiyo",
    "Caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x99\x82",
    ("Kazi 42: Je, duka hili liko wazi? Jibu 1 kwa ndiyo au 2 kwa hapana. Malipo KSh 20, "
     "muda dakika 2. Ujumbe huu ni mrefu kwa makusudi ili ugawanywe katika sehemu mbili.")};

static void test_receive(world *w)
{
    w->refuse_left = 1; /* the store is busy once: that message must stay and come back */
    for (int i = 0; i < 3; i++) {
        size_t parts = 0;
        KT_CHECK(sim_inject_text(w->sp.e, i == 2 ? "MPESA" : "+254700000001", texts[i],
                                 strlen(texts[i]), SMS_CODING_AUTO, &parts, (uint64_t)w->now,
                                 NULL) == KZ_OK, "inject %d", i);
    }
    KT_CHECK(run_until(w, refused_at_least, 1, WAIT_MS), "a message was handed over");
    sim_stats st;
    sim_get_stats(w->sp.e, &st);
    KT_CHECK(st.sm_used + st.me_used >= 1, "the refused message is still stored");
    KT_CHECK(run_until(w, sim_empty_and, 4, 2 * WAIT_MS), "all 4 parts committed and deleted "
             "(committed %d, refused %d)", w->committed, w->refused);
    KT_CHECK(w->not_on_sim == 0, "every committed PDU was on the SIM at commit time (%d not)",
             w->not_on_sim);
    KT_CHECK(w->not_faithful == 0, "PDUs handed over byte for byte as stored (%d differ)",
             w->not_faithful);
    KT_CHECK(w->ndone == 3, "3 messages reassembled (%d)", w->ndone);
    for (int i = 0; i < 3; i++) {
        bool found = false;
        for (int k = 0; k < w->ndone; k++)
            found = found || strcmp(w->done_text[k], texts[i]) == 0;
        KT_CHECK(found, "text %d received: %s", i, texts[i]);
    }
    modem_status s;
    modem_get_status(w->m, &s);
    KT_CHECK(s.received == 4, "received counter %llu", (unsigned long long)s.received);
}

static void test_ussd(world *w)
{
    KT_CHECK(modem_ussd_start(w->m, 0, "*334#") == KZ_ERR_INVALID, "session id 0 refused");
    KT_CHECK(modem_ussd_start(w->m, 7, "*334#") == KZ_OK, "USSD started");
    KT_CHECK(modem_ussd_start(w->m, 8, "*144#") == KZ_ERR_BUSY, "one session at a time");
    KT_CHECK(modem_ussd_reply(w->m, 7, "1") == KZ_ERR_STATE, "no answer before the menu");
    KT_CHECK(run_until(w, ussd_calls, 1, WAIT_MS), "menu arrived");
    KT_CHECK(w->ussd_st == KZ_OK && w->ussd.status == 1 && strstr(w->ussd.text, "1. Send money"),
             "menu wants an answer: %d \"%s\"", w->ussd.status, w->ussd.text);
    KT_CHECK(modem_ussd_reply(w->m, 7, "1") == KZ_OK, "answered 1");
    KT_CHECK(run_until(w, ussd_calls, 2, WAIT_MS), "next screen arrived");
    KT_CHECK(w->ussd_st == KZ_OK && strstr(w->ussd.text, "phone"), "next screen: \"%s\"",
             w->ussd.text);
    KT_CHECK(modem_ussd_cancel(w->m, 9) == KZ_ERR_NOTFOUND, "cancel of another session");
    KT_CHECK(modem_ussd_cancel(w->m, 7) == KZ_OK, "cancelled");
    int calls = w->ussd_calls;
    run_until(w, ussd_calls, calls + 1, 2000);
    KT_CHECK(w->ussd_calls == calls, "no on_ussd after cancel");
    KT_CHECK(modem_ussd_start(w->m, 10, "*144#") == KZ_OK, "a new session after cancel");
    KT_CHECK(run_until(w, ussd_calls, calls + 1, WAIT_MS) && w->ussd_st == KZ_OK,
             "second session answered: %s", kz_strerror(w->ussd_st));
}

static void send_one(world *w, uint64_t id, const char *what)
{
    sms_pdu a = make_pdu("+254712000009", what, false);
    int before = w->nsent_cb;
    KT_CHECK(modem_send_pdu(w->m, id, &a) == KZ_OK, "%s: queued", what);
    KT_CHECK(run_until(w, sends_done, before + 1, WAIT_MS) && w->sent_st[id - 1] == KZ_OK,
             "%s: sent (%s)", what, kz_strerror(w->sent_st[id - 1]));
}

static void phase(const char *what)
{
    static int64_t t0;
    if (!t0)
        t0 = mono_ms();
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "--- %s at %lld ms\n", what, (long long)(mono_ms() - t0));
}

static void test_recovery(world *w)
{
    /* a spontaneous reboot: noticed at the next poll at the latest */
    KT_CHECK(sim_fault(w->sp.e, SIM_FAULT_RESET, 0, 0, (uint64_t)w->now) == KZ_OK, "reset");
    KT_CHECK(run_until(w, in_state, MODEM_RESETTING, WAIT_MS), "reset noticed");
    KT_CHECK(run_until(w, in_state, MODEM_READY, WAIT_MS), "READY after a reset");
    send_one(w, 3, "after reset");

    /* a hang of a few seconds: reconnect, then READY */
    phase("hang");
    int resetting = w->states_seen[MODEM_RESETTING];
    KT_CHECK(sim_fault(w->sp.e, SIM_FAULT_HANG, 6000, 0, (uint64_t)w->now) == KZ_OK, "hang");
    KT_CHECK(run_until(w, in_state, MODEM_RESETTING, WAIT_MS), "hang noticed");
    KT_CHECK(w->states_seen[MODEM_RESETTING] > resetting, "reconnecting after the hang");
    KT_CHECK(run_until(w, in_state, MODEM_READY, 2 * WAIT_MS), "READY after the hang");
    send_one(w, 4, "after hang");

    /* dead until power-cycled: MODEM_DEAD, then the daemon's power cycle and restart */
    phase("dead");
    KT_CHECK(sim_fault(w->sp.e, SIM_FAULT_DEAD, 0, 0, (uint64_t)w->now) == KZ_OK, "dead");
    KT_CHECK(run_until(w, in_state, MODEM_DEAD, 4 * WAIT_MS), "MODEM_DEAD (state %s)",
             modem_state_name(w->state));
    KT_CHECK(modem_tick(w->m, mono_ms()) == KZ_ERR_STATE, "modem_tick says dead");
    sms_pdu a = make_pdu("+254712000009", "while dead", false);
    KT_CHECK(modem_send_pdu(w->m, 5, &a) == KZ_ERR_STATE, "no sends while dead");
    KT_CHECK(sim_fault(w->sp.e, SIM_FAULT_POWER_CYCLE, 0, 0, (uint64_t)w->now) == KZ_OK,
             "power cycle");
    modem_restart(w->m);
    KT_CHECK(run_until(w, in_state, MODEM_READY, 2 * WAIT_MS), "READY after restart");
    send_one(w, 6, "after power cycle");
}

int main(void)
{
    world w;
    memset(&w, 0, sizeof w);
    w.now = mono_ms();
    sim_config sc;
    sim_config_init(&sc);
    sc.latency_ms = 5;
    sc.boot_ms = 1500;
    sc.report_delay_ms = 500;
    sc.wall_base_s = 1764460800; /* 2025-11-30: time stamps as a network writes them */
    kz_err err;
    kz_err_clear(&err);
    sim_engine *e = sim_new(&sc, (uint64_t)w.now, &err);
    KT_CHECK(e != NULL, "simulator: %s", err.msg);
    if (!e || simpty_open(&w.sp, e, (uint64_t)w.now) != 0) {
        fprintf(stderr, "no pseudo-terminal\n");
        return kt_report() | 1;
    }
    FILE *f = fopen("tests/data/ussd/mpesa-ke.ussd", "r");
    if (f) {
        static char script[16384];
        size_t n = fread(script, 1, sizeof script, f);
        fclose(f);
        KT_CHECK(sim_ussd_load(e, script, n, &err) == KZ_OK, "USSD script: %s", err.msg);
    } else {
        KT_CHECK(f != NULL, "tests/data/ussd/mpesa-ke.ussd (run from the top directory)");
    }
    /* let the simulated modem finish booting (it is deaf until "RDY") */
    for (int64_t end = mono_ms() + sc.boot_ms + 300; mono_ms() < end;) {
        poll(NULL, 0, 20);
        w.sp.now = (uint64_t)mono_ms();
        simpty_pump(&w.sp);
    }
    w.cs = concat_new(16, 3600);
    modem_config mc = {.name = "g1", .port = w.sp.link, .driver = MODEM_DRIVER_GAMMU,
                       .cmd_timeout_ms = 2000, .poll_interval_ms = 2000,
                       .sweep_interval_ms = 1500, .reopen_interval_ms = 500, .max_resets = 2,
                       .ussd_timeout_ms = 20000};
    modem_callbacks cb = {&w, on_sms, on_report, on_sent, on_ussd, on_state, on_event};
    w.m = modem_new(&mc, &cb, &err);
    KT_CHECK(w.m != NULL, "modem_new: %s", err.msg);
    if (w.m) {
        phase("start");
        test_ready(&w);
        if (w.state == MODEM_READY) {
            phase("send");
            test_send(&w);
            phase("receive");
            test_receive(&w);
            phase("ussd");
            test_ussd(&w);
            phase("recovery");
            test_recovery(&w);
            phase("done");
        }
        modem_free(w.m);
    }
    concat_free(w.cs);
    simpty_close(&w.sp);
    return kt_report();
}
