/*
 * test_modem_recovery.c - the modem driver's recovery over a real
 * pseudo-terminal against the simulator engine with a fake clock
 * (tests/modem_fixture.h): hung while sending and while idle, a dead modem,
 * a spontaneous reset, the port vanishing and returning, and a reboot while
 * AT+CMGS waits. Never sleeps or reads the real clock.
 */
#include "modem_fixture.h"

/* Hung while AT+CMGS waits: reported as a retryable timeout, then reset. */
static void test_hang_during_send(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    if (!start_settled(&t, &sc, &mc))
        return;
    sim_fault(t.sp.e, SIM_FAULT_HANG, 70000, 0, (uint64_t)t.now);
    sms_pdu p;
    encode("+254711000111", "after the hang", false, &p);
    KT_CHECK(modem_send_pdu(t.m, 1, &p) == KZ_OK, "queued");
    run_until(&t, &t.sent_calls, 1, 20000);
    KT_CHECK(t.sent_calls == 1 && t.sent_st == KZ_ERR_TIMEOUT && t.sent_retry,
             "hung send reported as timeout, retryable (st %d)", t.sent_st);
    run_until(&t, &t.states[MODEM_RESETTING], 1, 20000);
    KT_CHECK(run_until_state(&t, MODEM_READY, 20000), "ready again (%s)",
             modem_state_name(state(&t)));
    modem_status s;
    modem_get_status(t.m, &s);
    KT_CHECK(s.resets >= 1, "went through a reset (%llu)", (unsigned long long)s.resets);
    KT_CHECK(t.states[MODEM_RESETTING] >= 1, "state resetting reported");
    KT_CHECK(modem_send_pdu(t.m, 2, &p) == KZ_OK, "queued after recovery");
    run_until(&t, &t.sent_calls, 2, 2000);
    KT_CHECK(t.sent_id == 2 && t.sent_st == KZ_OK, "sends again");
    teardown(&t);
}

/* Hung while idle: a poll times out, is retried once, then ATZ, AT+CFUN=1,1, re-init. */
static void test_hang_idle(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    if (!start_settled(&t, &sc, &mc))
        return;
    sim_fault(t.sp.e, SIM_FAULT_HANG, 12000, 0, (uint64_t)t.now);
    sms_pdu p;
    encode("+254711000111", "queued while hung", false, &p);
    KT_CHECK(modem_send_pdu(t.m, 3, &p) == KZ_OK, "queued");
    run_until(&t, &t.sent_calls, 1, 20000);
    KT_CHECK(t.sent_calls == 1 && t.sent_id == 3, "reported once (st %d)", t.sent_st);
    KT_CHECK(state(&t) == MODEM_READY, "ready (%s)", modem_state_name(state(&t)));
    if (t.sent_st == KZ_OK)
        KT_CHECK(sim_sent_count(t.sp.e) == 1, "and really sent");
    else
        KT_CHECK(t.sent_retry, "or failed retryable");
    teardown(&t);
}

static void test_dead(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    mc.max_resets = 2;
    if (setup(&t, &sc, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "setup");
        return;
    }
    sim_fault(t.sp.e, SIM_FAULT_DEAD, 0, 0, (uint64_t)t.now);
    run_for(&t, 60000);
    KT_CHECK(run_until_state(&t, MODEM_DEAD, 20000), "dead (%s)", modem_state_name(state(&t)));
    KT_CHECK(modem_fd(t.m) == -1, "port closed when dead");
    KT_CHECK(modem_tick(t.m, t.now) == KZ_ERR_STATE, "tick says dead");
    sms_pdu p;
    encode("+254711000111", "x", false, &p);
    KT_CHECK(modem_send_pdu(t.m, 1, &p) == KZ_ERR_STATE, "no sends when dead");
    sim_fault(t.sp.e, SIM_FAULT_POWER_CYCLE, 0, 0, (uint64_t)t.now);
    modem_restart(t.m);
    KT_CHECK(ready(&t), "ready after power cycle and restart");
    teardown(&t);
}

static void test_spontaneous_reset(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    if (setup(&t, &sc, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "setup");
        return;
    }
    for (int i = 0; i < 50; i++)
        step(&t);
    sim_fault(t.sp.e, SIM_FAULT_RESET, 0, 0, (uint64_t)t.now);
    int inits = t.states[MODEM_INIT];
    run_until(&t, &t.states[MODEM_INIT], inits + 1, 500);
    KT_CHECK(t.states[MODEM_INIT] == inits + 1, "re-initialised after the reboot");
    KT_CHECK(ready(&t), "ready");
    /* the re-init restored status reports (the reboot turned them off) */
    sms_pdu p;
    encode("+254711000444", "report me", true, &p);
    modem_send_pdu(t.m, 11, &p);
    run_until(&t, &t.reports, 1, 3000);
    KT_CHECK(t.reports == 1 && t.report_id == 11, "report after the reboot");
    teardown(&t);
}

static void test_vanish_return(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    if (setup(&t, &sc, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "setup");
        return;
    }
    sms_pdu p;
    encode("+254711000111", "lost?", false, &p);
    modem_send_pdu(t.m, 21, &p);
    simpty_vanish(&t.sp);
    KT_CHECK(run_until_state(&t, MODEM_CLOSED, 200), "closed when the port vanished");
    KT_CHECK(t.sent_calls == 1 && t.sent_id == 21 && t.sent_st == KZ_ERR_IO && t.sent_retry,
             "queued send failed, retryable");
    run_for(&t, 5000);
    KT_CHECK(state(&t) == MODEM_CLOSED, "stays closed while gone");
    KT_CHECK(simpty_return(&t.sp) == 0, "device back");
    KT_CHECK(ready(&t), "reopened and ready");
    const char *text = "after return";
    sim_inject_text(t.sp.e, "+254722000222", text, strlen(text), SMS_CODING_AUTO, NULL,
                    (uint64_t)t.now, NULL);
    run_until(&t, &t.sms_committed, 1, 2000);
    KT_CHECK(t.sms_committed == 1, "receives after return");
    teardown(&t);
}

/* A reboot ("RDY") while AT+CMGS waits ends the wait at once: the send is
 * reported "possibly sent" (KZ_ERR_STATE: the PDU went out) long before the
 * 60 s timeout, the one queued behind it is not failed and goes out after
 * the re-init. */
static void test_reboot_during_send(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.cmgs_latency_ms = 30000; /* the network takes its time */
    modem_config mc;
    fast_config(&mc);
    if (!start_settled(&t, &sc, &mc))
        return;
    sms_pdu p;
    encode("+254711000666", "interrupted by a reboot", false, &p);
    KT_CHECK(modem_send_pdu(t.m, 31, &p) == KZ_OK && modem_send_pdu(t.m, 32, &p) == KZ_OK,
             "two queued");
    g_max_jump = 100;
    for (int i = 0; i < 2000 && sim_sent_count(t.sp.e) == 0; i++)
        step(&t);
    KT_CHECK(sim_sent_count(t.sp.e) == 1, "the first PDU reached the network");
    int64_t at = t.now;
    int inits = t.states[MODEM_INIT];
    sim_fault(t.sp.e, SIM_FAULT_RESET, 0, 0, (uint64_t)t.now);
    run_until(&t, &t.sent_calls, 1, 2000);
    KT_CHECK(t.sent_calls == 1 && t.sent_id == 31 && t.sent_st == KZ_ERR_STATE && t.sent_retry,
             "send 31 reported possibly sent (st %d)", t.sent_st);
    KT_CHECK(t.now - at < 1000, "at once, not after the AT+CMGS timeout (%lld ms)",
             (long long)(t.now - at));
    KT_CHECK(t.states[MODEM_INIT] == inits + 1, "re-initialised (%d)", t.states[MODEM_INIT] - inits);
    g_max_jump = INT64_MAX;
    KT_CHECK(ready(&t), "ready again");
    run_until(&t, &t.sent_calls, 2, 5000);
    KT_CHECK(t.sent_calls == 2 && t.sent_id == 32 && t.sent_st == KZ_OK,
             "send 32 waited and went (id %llu st %d)", (unsigned long long)t.sent_id, t.sent_st);
    KT_CHECK(sim_sent_count(t.sp.e) == 2, "two PDUs in the network (%zu)",
             sim_sent_count(t.sp.e));
    modem_status s;
    modem_get_status(t.m, &s);
    KT_CHECK(s.resets == 0, "no reset needed (%llu)", (unsigned long long)s.resets);
    teardown(&t);
}

int main(void)
{
    test_hang_during_send();
    test_hang_idle();
    test_dead();
    test_spontaneous_reset();
    test_vanish_return();
    test_reboot_during_send();
    return kt_report();
}
