/*
 * test_modem.c - the modem driver over a real pseudo-terminal against the
 * simulator engine stepped in-process with a fake clock: init and identity,
 * PIN handling (never reported), send with TP-MR, receive with delete only
 * after commit (a receiver that refuses once), status reports matched to
 * send_id, a USSD menu walk, cancel and timeout, a full SIM, deletes held
 * for the group commit (inbound parts, +CDSI and +CDS reports), +CMT routing. The recovery from faults is
 * test_modem_recovery.c; the shared fixture tests/modem_fixture.h.
 * Never sleeps or reads the real clock.
 */
#include "modem_fixture.h"


static void test_init_identity(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    if (setup(&t, &sc, &mc) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    KT_CHECK(state(&t) == MODEM_CLOSED && modem_fd(t.m) == -1, "closed before the first tick");
    KT_CHECK(ready(&t), "ready");
    for (int i = 0; i < 50; i++)
        step(&t);
    modem_status s;
    modem_get_status(t.m, &s);
    KT_STREQ(s.manufacturer, "SIMCOM_Ltd", "manufacturer");
    KT_STREQ(s.model, "SIMCOM_SIM800", "model");
    KT_STREQ(s.imei, "867856030123459", "imei");
    KT_STREQ(s.imsi, "639020123456789", "imsi");
    KT_STREQ(s.operator_name, "Safaricom", "operator");
    KT_STREQ(s.smsc, "+254722500029", "smsc");
    KT_STREQ(s.storage, "SM", "storage");
    KT_CHECK(s.signal_dbm == -73, "signal %d", s.signal_dbm);
    KT_CHECK(s.reg_stat == 1, "registered home");
    KT_CHECK(s.storage_total == 30 && s.storage_used == 0, "storage %d/%d", s.storage_used,
             s.storage_total);
    KT_CHECK(s.polls >= 1 && s.sweeps >= 1, "polled and swept (%llu %llu)",
             (unsigned long long)s.polls, (unsigned long long)s.sweeps);
    KT_CHECK(s.rx_bytes > 0, "bytes received");
    KT_CHECK(strcmp(modem_state_name(MODEM_READY), "ready") == 0, "state name");
    KT_CHECK(modem_next_deadline(t.m) > t.now, "idle until a timer");
    teardown(&t);
}

static void test_pin(const char *sim_pin, const char *cfg_pin, modem_state want)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.pin = sim_pin;
    modem_config mc;
    fast_config(&mc);
    mc.pin = cfg_pin;
    if (setup(&t, &sc, &mc) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    t.secret = cfg_pin;
    KT_CHECK(run_until_state(&t, want, 3000), "PIN %s/%s -> %s (now %s: %s)", sim_pin,
             cfg_pin ? cfg_pin : "none", modem_state_name(want), modem_state_name(state(&t)),
             t.last_reason);
    run_for(&t, 120000); /* rechecks must not resend a refused PIN */
    KT_CHECK(state(&t) == want, "stays %s", modem_state_name(want));
    KT_CHECK(!t.secret_leaked, "the PIN never appears in a report");
    if (want == MODEM_PIN_NEEDED && cfg_pin) {
        sim_stats st;
        sim_get_stats(t.sp.e, &st);
        KT_CHECK(strstr(t.last_reason, "refused") != NULL, "reason says refused: %s",
                 t.last_reason);
    }
    teardown(&t);
}

static void test_send_and_report(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.report_delay_ms = 5000;
    modem_config mc;
    fast_config(&mc);
    if (setup(&t, &sc, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "setup");
        return;
    }
    sms_pdu p;
    encode("+254711000111", "Task 42: is the shop open? Reply 42 1 yes, 42 2 no", true, &p);
    KT_CHECK(modem_send_pdu(t.m, 0, &p) == KZ_ERR_INVALID, "send_id 0 refused");
    KT_CHECK(modem_send_pdu(t.m, 77, &p) == KZ_OK, "queued");
    KT_CHECK(t.sent_calls == 0, "on_sent never from inside modem_send_pdu");
    run_until(&t, &t.sent_calls, 1, 2000);
    KT_CHECK(t.sent_calls == 1 && t.sent_id == 77 && t.sent_st == KZ_OK, "sent (st %d)",
             t.sent_st);
    const sim_sent *ss = sim_sent_get(t.sp.e, 0);
    KT_CHECK(ss && ss->mr == t.sent_mr, "TP-MR %d matches the modem's", t.sent_mr);
    KT_CHECK(ss && strcmp(ss->msg.address.text, "+254711000111") == 0, "recipient");
    run_until(&t, &t.reports, 1, 3000);
    KT_CHECK(t.reports == 1 && t.report_id == 77 && t.report_status == 0,
             "status report matched to send_id (%llu)", (unsigned long long)t.report_id);
    for (int i = 0; i < 30; i++)
        step(&t);
    KT_CHECK(sim_stored(t.sp.e) == 0, "report deleted after commit");
    /* a second send, then +CMS ERROR: 500 (retryable) and 304 (not) */
    sim_fault(t.sp.e, SIM_FAULT_CMS, 500, 1000, (uint64_t)t.now);
    KT_CHECK(modem_send_pdu(t.m, 78, &p) == KZ_OK, "queued 78");
    run_until(&t, &t.sent_calls, 2, 2000);
    sim_fault(t.sp.e, SIM_FAULT_CLEAR, 0, 0, (uint64_t)t.now);
    KT_CHECK(t.sent_id == 78 && t.sent_st != KZ_OK && t.sent_cms == 500 && t.sent_retry,
             "+CMS ERROR: 500 retryable (cms %d)", t.sent_cms);
    sim_fault(t.sp.e, SIM_FAULT_CMS, 304, 1000, (uint64_t)t.now);
    KT_CHECK(modem_send_pdu(t.m, 79, &p) == KZ_OK, "queued 79");
    run_until(&t, &t.sent_calls, 3, 2000);
    sim_fault(t.sp.e, SIM_FAULT_CLEAR, 0, 0, (uint64_t)t.now);
    KT_CHECK(t.sent_id == 79 && t.sent_cms == 304 && !t.sent_retry, "+CMS ERROR: 304 final");
    KT_CHECK(state(&t) == MODEM_READY, "still ready after send errors");
    modem_status s;
    modem_get_status(t.m, &s);
    KT_CHECK(s.sent == 1 && s.failed_sends == 2, "counters %llu %llu",
             (unsigned long long)s.sent, (unsigned long long)s.failed_sends);
    teardown(&t);
}

static void test_receive_refuse_once(void)
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
    const char *text = "42 2";
    KT_CHECK(sim_inject_text(t.sp.e, "+254722000222", text, strlen(text), SMS_CODING_AUTO, NULL,
                             (uint64_t)t.now, NULL) == KZ_OK,
             "inject");
    run_until(&t, &t.sms_committed, 1, 2000);
    KT_CHECK(t.sms_committed == 1 && t.on_sim_at_commit == 1, "committed while still on SIM");
    KT_STREQ(t.last_text, text, "text");
    for (int i = 0; i < 30; i++)
        step(&t);
    KT_CHECK(sim_stored(t.sp.e) == 0, "deleted after commit");
    /* a receiver that refuses once (its database away): the message stays on the SIM and
     * is read again by a sweep MODEM_RETRY_SWEEP_MS later, not at the periodic one */
    t.refuse_next = 1;
    const char *u = "Habari, jibu 42: ndiyo \xe2\x9c\x93";
    sim_inject_text(t.sp.e, "+254722000333", u, strlen(u), SMS_CODING_AUTO, NULL,
                    (uint64_t)t.now, NULL);
    run_until(&t, &t.sms_calls, 2, 2000);
    int64_t refused_at = t.now;
    KT_CHECK(t.sms_calls == 2 && t.sms_committed == 1, "refused once");
    KT_CHECK(sim_stored(t.sp.e) == 1, "left on the SIM");
    run_until(&t, &t.sms_committed, 2, 5000);
    KT_CHECK(t.sms_committed == 2 && t.sms_calls == 3, "came back at the sweep (%d calls)",
             t.sms_calls);
    KT_CHECK(t.now - refused_at >= MODEM_RETRY_SWEEP_MS &&
                 t.now - refused_at < MODEM_RETRY_SWEEP_MS + 20000,
             "read again %lld ms after the refusal, not at the periodic sweep",
             (long long)(t.now - refused_at));
    KT_STREQ(t.last_text, u, "UCS-2 text");
    for (int i = 0; i < 30; i++)
        step(&t);
    KT_CHECK(sim_stored(t.sp.e) == 0, "deleted after the second, committed, delivery");
    KT_CHECK(t.on_sim_at_commit == t.sms_committed, "every commit saw its PDU still stored");
    teardown(&t);
}

static const char ussd_script[] = "code *334# root\n"
                                  "node root\n"
                                  "say M-PESA\n"
                                  "say 1 Send money\n"
                                  "say 2 My account\n"
                                  "on 1 send\n"
                                  "on 2 acct\n"
                                  "node send\n"
                                  "say Enter phone no.\n"
                                  "match [0-9]+ amount\n"
                                  "node amount\n"
                                  "say Enter amount\n"
                                  "match [0-9]+ done\n"
                                  "end done\n"
                                  "say Request accepted\n"
                                  "end acct\n"
                                  "say Balance: 0\n";

static void test_ussd(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    mc.ussd_timeout_ms = 20000;
    if (setup(&t, &sc, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "setup");
        return;
    }
    kz_err err;
    KT_CHECK(sim_ussd_load(t.sp.e, ussd_script, strlen(ussd_script), &err) == KZ_OK,
             "script: %s", err.msg);
    g_max_jump = 1000; /* the user answers within a second */
    KT_CHECK(modem_ussd_start(t.m, 5, "*334#") == KZ_OK, "start");
    KT_CHECK(modem_ussd_start(t.m, 6, "*334#") == KZ_ERR_BUSY, "one session at a time");
    run_until(&t, &t.ussd_calls, 1, 2000);
    KT_CHECK(t.ussd_st == KZ_OK && t.ussd_status == 1, "menu (st %d, status %d)", t.ussd_st,
             t.ussd_status);
    KT_CHECK(strstr(t.ussd_text, "Send money") != NULL, "menu text: %s", t.ussd_text);
    KT_CHECK(modem_ussd_reply(t.m, 9, "1") == KZ_ERR_NOTFOUND, "wrong session");
    KT_CHECK(modem_ussd_reply(t.m, 5, "1") == KZ_OK, "answer 1");
    run_until(&t, &t.ussd_calls, 2, 2000);
    KT_STREQ(t.ussd_text, "Enter phone no.", "screen 2");
    modem_ussd_reply(t.m, 5, "0712345678");
    run_until(&t, &t.ussd_calls, 3, 2000);
    KT_STREQ(t.ussd_text, "Enter amount", "screen 3");
    modem_ussd_reply(t.m, 5, "100");
    run_until(&t, &t.ussd_calls, 4, 2000);
    KT_CHECK(t.ussd_status == 0, "session ends");
    KT_STREQ(t.ussd_text, "Request accepted", "last screen");
    KT_CHECK(modem_ussd_reply(t.m, 5, "1") == KZ_ERR_NOTFOUND, "closed");
    /* cancel */
    KT_CHECK(modem_ussd_start(t.m, 7, "*334#") == KZ_OK, "start again");
    run_until(&t, &t.ussd_calls, 5, 2000);
    KT_CHECK(modem_ussd_cancel(t.m, 7) == KZ_OK, "cancel");
    run_for(&t, 60000);
    KT_CHECK(t.ussd_calls == 5, "no report after cancel");
    /* our timeout: the user never answers */
    KT_CHECK(modem_ussd_start(t.m, 8, "*334#") == KZ_OK, "start a third");
    run_until(&t, &t.ussd_calls, 6, 2000);
    run_until(&t, &t.ussd_calls, 7, 5000);
    KT_CHECK(t.ussd_calls == 7 && t.ussd_st == KZ_ERR_TIMEOUT, "timed out (st %d, %d calls)",
             t.ussd_st, t.ussd_calls);
    /* an unknown code: status 4 ends the session */
    KT_CHECK(modem_ussd_start(t.m, 9, "*999#") == KZ_OK, "unknown code");
    run_until(&t, &t.ussd_calls, 8, 2000);
    KT_CHECK(t.ussd_status == 4 && modem_ussd_cancel(t.m, 9) == KZ_ERR_NOTFOUND,
             "not supported ends it");
    g_max_jump = INT64_MAX;
    teardown(&t);
}


static void test_sim_full(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.sm_slots = 3;
    modem_config mc;
    fast_config(&mc);
    mc.sweep_interval_ms = 3600000; /* only a full SIM may trigger the sweep */
    if (setup(&t, &sc, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "setup");
        return;
    }
    t.refuse_all = 1;
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof text, "answer %d", i);
        sim_inject_text(t.sp.e, "+254722000555", text, strlen(text), SMS_CODING_AUTO, NULL,
                        (uint64_t)t.now, NULL);
    }
    run_for(&t, 2000);
    KT_CHECK(sim_stored(t.sp.e) == 3, "SIM full (%zu)", sim_stored(t.sp.e));
    t.refuse_all = 0;
    run_for(&t, 120000);
    KT_CHECK(t.sms_committed == 5, "all 5 delivered after the SIM filled (%d)",
             t.sms_committed);
    KT_CHECK(sim_stored(t.sp.e) == 0, "SIM emptied");
    teardown(&t);
}

/*
 * Group commit: parts handed over while deletes are held stay on the SIM
 * until modem_release_held, which deletes them with fewer command lines than
 * messages (several AT+CMGD on one line); modem_forget_held leaves them on
 * the SIM and a sweep reads them again.
 */
static void test_held_deletes(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    modem_config mc;
    fast_config(&mc);
    mc.sweep_interval_ms = 3600000;
    if (!start_settled(&t, &sc, &mc))
        return;
    KT_CHECK(modem_hold_deletes(t.m, true), "the AT driver holds deletes");
    for (int i = 0; i < 8; i++) {
        char text[32];
        snprintf(text, sizeof text, "held %d", i);
        sim_inject_text(t.sp.e, "+254722000556", text, strlen(text), SMS_CODING_AUTO, NULL,
                        (uint64_t)t.now, NULL);
    }
    run_until(&t, &t.sms_committed, 8, 5000);
    run_for(&t, 2000);
    KT_CHECK(t.sms_committed == 8 && t.held_seen == 8, "8 handed over, each held (%d, %d)",
             t.sms_committed, t.held_seen);
    KT_CHECK(sim_stored(t.sp.e) == 8, "nothing deleted before the release (%zu)",
             sim_stored(t.sp.e));
    sim_stats s0, s1;
    sim_get_stats(t.sp.e, &s0);
    modem_release_held(t.m);
    run_for(&t, 5000); /* the fake clock may jump a command timeout before the answer is read */
    sim_get_stats(t.sp.e, &s1);
    KT_CHECK(sim_stored(t.sp.e) == 0, "all deleted after the release (%zu)", sim_stored(t.sp.e));
    KT_CHECK(s1.commands - s0.commands < 8, "fewer command lines than deletes (%lu)",
             s1.commands - s0.commands);
    for (int i = 0; i < 3; i++) {
        char text[32];
        snprintf(text, sizeof text, "again %d", i);
        sim_inject_text(t.sp.e, "+254722000556", text, strlen(text), SMS_CODING_AUTO, NULL,
                        (uint64_t)t.now, NULL);
    }
    run_until(&t, &t.sms_committed, 11, 5000);
    modem_forget_held(t.m);
    run_until(&t, &t.sms_committed, 14, 5000);
    KT_CHECK(t.sms_committed == 14, "forgotten parts read again by a sweep (%d)",
             t.sms_committed);
    KT_CHECK(sim_stored(t.sp.e) == 3, "and still on the SIM (%zu)", sim_stored(t.sp.e));
    modem_release_held(t.m);
    run_for(&t, 5000);
    KT_CHECK(sim_stored(t.sp.e) == 0, "deleted once released (%zu)", sim_stored(t.sp.e));
    teardown(&t);
}

/*
 * Group commit of status reports: a report stored with +CDSI is handed over
 * held and stays on the SIM until modem_release_held; forgotten, a sweep
 * reads it again; a driver dropped before the release (a crash before the
 * commit) leaves it on the SIM, and the next driver hands it over again.
 */
static void test_held_reports(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.cnmi_mode = SIM_CNMI_CDSI;
    sc.report_delay_ms = 1000;
    modem_config mc;
    fast_config(&mc);
    mc.sweep_interval_ms = 3600000;
    if (!start_settled(&t, &sc, &mc))
        return;
    KT_CHECK(modem_hold_deletes(t.m, true), "deletes held");
    sms_pdu p;
    encode("+254711000321", "report held", true, &p);
    for (uint64_t id = 51; id <= 53; id++)
        modem_send_pdu(t.m, id, &p);
    run_until(&t, &t.reports, 3, 5000);
    run_for(&t, 2000);
    KT_CHECK(t.reports == 3 && t.reports_held == 3, "3 reports handed over, each held (%d, %d)",
             t.reports, t.reports_held);
    KT_CHECK(sim_stored(t.sp.e) == 3, "all on the SIM before the release (%zu)",
             sim_stored(t.sp.e));
    modem_forget_held(t.m);
    run_until(&t, &t.reports, 6, 5000);
    KT_CHECK(t.reports == 6 && sim_stored(t.sp.e) == 3,
             "forgotten: read again by a sweep, still on the SIM (%d, %zu)", t.reports,
             sim_stored(t.sp.e));
    modem_free(t.m); /* a crash before the commit: nothing released */
    t.m = NULL;
    KT_CHECK(sim_stored(t.sp.e) == 3, "the crash left them on the SIM (%zu)", sim_stored(t.sp.e));
    fast_config(&mc);
    mc.sweep_interval_ms = 3600000;
    if (open_modem(&t, &mc) != 0 || !ready(&t)) {
        KT_CHECK(0, "the driver again");
        teardown(&t);
        return;
    }
    modem_hold_deletes(t.m, true);
    run_until(&t, &t.reports, 9, 5000);
    KT_CHECK(t.reports == 9 && t.reports_held == 9, "handed over again after the restart (%d)",
             t.reports);
    modem_release_held(t.m);
    run_for(&t, 5000);
    KT_CHECK(sim_stored(t.sp.e) == 0, "deleted once released (%zu)", sim_stored(t.sp.e));
    teardown(&t);
}

/* A +CDS report is held too: its AT+CNMA waits for the release (AT+CNMA=2 on forget). */
static void test_held_cds(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.cnmi_mode = SIM_CNMI_CMT;
    sc.csms_service = 1;
    sc.report_delay_ms = 1000;
    modem_config mc;
    fast_config(&mc);
    if (!start_settled(&t, &sc, &mc))
        return;
    modem_hold_deletes(t.m, true);
    sms_pdu p;
    encode("+254711000322", "report by +CDS, held", true, &p);
    modem_send_pdu(t.m, 61, &p);
    g_max_jump = 100; /* well inside the network's wait for the acknowledgement */
    run_until(&t, &t.reports, 1, 5000);
    KT_CHECK(t.reports == 1 && t.reports_held == 1, "the +CDS report handed over held (%d)",
             t.reports_held);
    sim_stats st;
    modem_forget_held(t.m); /* AT+CNMA=2: the network offers it again */
    run_until(&t, &t.reports, 2, 20000);
    KT_CHECK(t.reports == 2 && t.reports_held == 2, "refused, offered again (%d)", t.reports);
    modem_release_held(t.m);
    for (int i = 0; i < 30; i++)
        step(&t);
    sim_get_stats(t.sp.e, &st);
    KT_CHECK(st.acks_missed == 0 && st.queued == 0 && t.reports == 2,
             "acknowledged after the release (%lu missed, %zu queued, %d reports)",
             st.acks_missed, st.queued, t.reports);
    g_max_jump = INT64_MAX;
    teardown(&t);
}

/* +CIEV: "SMSFULL",1 makes the driver sweep at once (no poll, no periodic sweep for an hour). */
static void test_ciev_sweep(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.sm_slots = 3;
    modem_config mc;
    fast_config(&mc);
    mc.poll_interval_ms = 3600000;
    mc.sweep_interval_ms = 3600000;
    if (!start_settled(&t, &sc, &mc))
        return;
    modem_status s0;
    modem_get_status(t.m, &s0);
    /* The first read (AT+CMGR) is refused: that message stays on the SIM, read,
     * where only a sweep finds it again (AT+CMGL=0 for the others lists unread
     * ones); the SIM is full, so +CIEV must bring that sweep at once. */
    t.refuse_next = 1;
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof text, "full %d", i);
        sim_inject_text(t.sp.e, "+254722000555", text, strlen(text), SMS_CODING_AUTO, NULL,
                        (uint64_t)t.now, NULL);
    }
    int64_t start = t.now;
    run_until(&t, &t.sms_committed, 5, 5000);
    KT_CHECK(t.sms_committed == 5 && t.sms_calls == 6, "all 5 after the SIM filled (%d, %d calls)",
             t.sms_committed, t.sms_calls);
    KT_CHECK(t.now - start < 60000, "within a minute, not at the hourly sweep (%lld ms)",
             (long long)(t.now - start));
    modem_status s;
    modem_get_status(t.m, &s);
    KT_CHECK(s.sweeps > s0.sweeps, "a sweep ran (%llu)", (unsigned long long)s.sweeps);
    KT_CHECK(s.polls == s0.polls, "no poll found it (%llu)", (unsigned long long)s.polls);
    for (int i = 0; i < 30; i++)
        step(&t);
    KT_CHECK(sim_stored(t.sp.e) == 0, "SIM emptied");
    teardown(&t);
}

/* A modem that refuses mt=1 (--cnmi-mode cmt) with +CSMS service 1: the driver
 * routes with +CMT/+CDS, commits each PDU once and acknowledges it (AT+CNMA),
 * refuses what the receiver could not commit (AT+CNMA=2) so it comes again,
 * and matches +CDS reports to send ids. */
static void test_cmt_routing(void)
{
    tctx t;
    sim_config sc;
    sim_config_init(&sc);
    sc.cnmi_mode = SIM_CNMI_CMT;
    sc.csms_service = 1;
    sc.report_delay_ms = 3000;
    modem_config mc;
    fast_config(&mc);
    if (!start_settled(&t, &sc, &mc))
        return;
    const char *texts[] = {"42 1", "Habari \xe2\x9c\x93 jibu",
                           "A long answer that needs more than one part because it goes on "
                           "and on about the shop, the road, the rain and the price of maize "
                           "in the market this week, with a few more words for good measure."};
    size_t parts = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        sim_inject_text(t.sp.e, "+254722000777", texts[i], strlen(texts[i]), SMS_CODING_AUTO,
                        &n, (uint64_t)t.now, NULL);
        parts += n;
    }
    KT_CHECK(parts == 4, "4 parts injected (%zu)", parts);
    run_until(&t, &t.sms_committed, (int)parts, 5000);
    for (int i = 0; i < 30; i++)
        step(&t);
    sim_stats st;
    sim_get_stats(t.sp.e, &st);
    KT_CHECK(t.sms_committed == (int)parts && t.sms_calls == (int)parts,
             "each +CMT committed once (%d commits, %d calls)", t.sms_committed, t.sms_calls);
    KT_CHECK(t.on_sim_at_commit == 0 && sim_stored(t.sp.e) == 0, "never stored on the SIM");
    KT_CHECK(st.acks_missed == 0 && st.queued == 0, "every one acknowledged (%lu missed)",
             st.acks_missed);
    /* the receiver cannot commit: AT+CNMA=2, the network offers it again later */
    t.refuse_next = 1;
    sim_inject_text(t.sp.e, "+254722000778", "again", 5, SMS_CODING_AUTO, NULL, (uint64_t)t.now,
                    NULL);
    run_until(&t, &t.sms_committed, (int)parts + 1, 5000);
    KT_CHECK(t.sms_committed == (int)parts + 1 && t.sms_calls == (int)parts + 2,
             "refused once, committed on the second offer (%d, %d)", t.sms_committed,
             t.sms_calls);
    KT_STREQ(t.last_text, "again", "its text");
    /* status reports come as +CDS */
    sms_pdu p;
    encode("+254711000888", "report by +CDS", true, &p);
    modem_send_pdu(t.m, 41, &p);
    modem_send_pdu(t.m, 42, &p);
    run_until(&t, &t.reports, 2, 5000);
    KT_CHECK(t.reports == 2 && t.report_id == 42, "two +CDS reports, the last for 42 (%d, %llu)",
             t.reports, (unsigned long long)t.report_id);
    for (int i = 0; i < 30; i++)
        step(&t);
    sim_get_stats(t.sp.e, &st);
    KT_CHECK(st.reports == 2 && st.acks_missed == 0, "reports acknowledged (%lu, %lu missed)",
             st.reports, st.acks_missed);
    KT_CHECK(sim_stored(t.sp.e) == 0, "nothing stored");
    teardown(&t);
}

int main(void)
{
    test_init_identity();
    test_pin("1234", "1234", MODEM_READY);
    test_pin("1234", "9999", MODEM_PIN_NEEDED);
    test_pin("1234", NULL, MODEM_PIN_NEEDED);
    test_send_and_report();
    test_receive_refuse_once();
    test_ussd();
    test_sim_full();
    test_ciev_sweep();
    test_held_deletes();
    test_held_reports();
    test_held_cds();
    test_cmt_routing();
    return kt_report();
}
