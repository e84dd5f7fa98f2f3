/*
 * test_cmgs_interrupted.c - an outbound part whose AT+CMGS is cut short
 * after the PDU went out: the modem reboots on its own after the network
 * took the PDU and before it answered "+CMGS:". Real pieces on one fake
 * clock: the simulator engine on a pseudo-terminal, the AT driver, the
 * outbox and the store on a SQLite file in a temporary directory.
 * Checks, per case, how often the network took the part and what the
 * outbox recorded: without a fault, once and 'sent'; with the reboot and
 * after_crash = unknown, once and 'unknown' (never queued again); with
 * after_crash = resend, twice (the operator's choice), 'sent' after two
 * attempts. Never sleeps; each case is bounded by the fake clock.
 */
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "modem.h"
#include "outbox.h"
#include "queue_store.h"
#include "sim_pty.h"
#include "store.h"
#include "store_fixture.h"

#define T0_MS (INT64_C(1705647600) * 1000) /* 2024-01-19 10:00 in Nairobi */
#define RUN_MS (20 * 60 * 1000)            /* past the outbox's sending_timeout */
#define PEER "+254712345678"

typedef struct world {
    simpty sp;
    modem *m;
    kz_store *st;
    kz_queue *q;
    outbox *ob;
    int64_t now;     /* ms */
    int on_sent_errors;
} world;

static bool w_ready(void *dev)
{
    modem_status s;
    modem_get_status(((world *)dev)->m, &s);
    return s.state == MODEM_READY;
}

static kz_status w_send(void *dev, uint64_t id, const sms_pdu *pdu)
{
    return modem_send_pdu(((world *)dev)->m, id, pdu);
}

static const outbox_sender_ops w_ops = {w_ready, w_send};

static void on_sent(void *ctx, modem *m, uint64_t id, kz_status st, int mr, int cms, bool retry)
{
    (void)m;
    world *w = ctx;
    kz_err err;
    kz_err_clear(&err);
    if (outbox_on_sent(w->ob, "m1", id, st, mr, cms, retry, w->now / 1000, &err) != KZ_OK)
        w->on_sent_errors++;
}

static void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)ctx, (void)m;
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "[%d] %s\n", level, msg);
}

/* One turn: move bytes, run the driver, then let the clock jump (at most 100 ms). */
static void step(world *w)
{
    w->sp.now = (uint64_t)w->now;
    simpty_pump(&w->sp);
    bool io = false;
    int fd = modem_fd(w->m);
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = modem_poll_events(w->m)};
        if (poll(&p, 1, w->sp.moved ? 2 : 0) > 0 && p.revents) {
            io = true;
            modem_on_io(w->m, p.revents, w->now);
        }
    }
    modem_tick(w->m, w->now);
    if (w->sp.moved || io)
        return;
    int64_t next = modem_next_deadline(w->m);
    uint64_t sd = simpty_deadline(&w->sp);
    if (sd != UINT64_MAX && (int64_t)sd < next)
        next = (int64_t)sd;
    if (next > w->now + 100)
        next = w->now + 100;
    if (next <= w->now)
        next = w->now + 1;
    w->now = next;
}

typedef struct outcome {
    size_t taken;       /* parts the network took */
    bool faulted;
    bool sending_at_fault;
    int64_t attempts;
    char state[16];
} outcome;

static void part_state(const char *path, outcome *o)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    o->state[0] = '\0';
    o->attempts = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT state, attempts FROM outbox_parts", -1, &s, NULL) ==
            SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        snprintf(o->state, sizeof o->state, "%s", (const char *)sqlite3_column_text(s, 0));
        o->attempts = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* One message through one modem; reboot the modem once the network has its PDU. */
static outcome run_case(const char *label, bool reboot, bool resend)
{
    outcome o = {0};
    static world w;
    memset(&w, 0, sizeof w);
    w.now = T0_MS;
    char dir[] = "/tmp/kazi-cmgsint-XXXXXX";
    KT_CHECK(mkdtemp(dir) != NULL, "%s: temp dir", label);
    char db[64];
    snprintf(db, sizeof db, "%s/kazi.db", dir);
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_open(db, STORE_OPEN_CREATE, &w.st, &err) == KZ_OK, "%s: store: %s", label,
             err.msg);
    KT_CHECK(qstore_open(w.st, &w.q, &err) == KZ_OK, "%s: qstore: %s", label, err.msg);
    outbox_settings set = {.max_attempts = 5, .retry_base_s = 30, .retry_max_s = 120,
                           .status_reports = false, .validity_s = 86400, .max_in_flight = 4,
                           .tz_offset_minutes = 180, .push_from_minute = 7 * 60,
                           .push_to_minute = 19 * 60, .resend_after_crash = resend,
                           .sending_timeout_s = 600};
    w.ob = outbox_new(w.q, &set);
    sim_config sc;
    sim_config_init(&sc);
    sc.report_status = -1;
    sc.latency_ms = 20;
    sc.cmgs_latency_ms = 1500;
    sc.boot_ms = 4000;
    sim_engine *e = sim_new(&sc, (uint64_t)w.now, &err);
    KT_CHECK(e && simpty_open(&w.sp, e, (uint64_t)w.now) == 0, "%s: simulator on a pty", label);
    modem_config mc = {.name = "m1", .port = w.sp.link, .reopen_interval_ms = 1000,
                       .boot_wait_ms = 5000, .max_resets = 6};
    modem_callbacks cb = {.ctx = &w, .on_sent = on_sent, .on_event = on_event};
    w.m = modem_new(&mc, &cb, &err);
    KT_CHECK(w.m && w.ob && outbox_attach(w.ob, "m1", &w, &w_ops, 0, "") == KZ_OK,
             "%s: modem and outbox", label);
    int64_t id = 0;
    KT_CHECK(qstore_outbox_enqueue(w.q, PEER, 0, "Your task: is the kiosk open? Reply 1 or 2",
                                   false, w.now / 1000, &id, &err) == KZ_OK,
             "%s: enqueue: %s", label, err.msg);
    int64_t next_pump = w.now, next_house = w.now;
    while (w.m && w.ob && w.now < T0_MS + RUN_MS) {
        step(&w);
        if (w.now >= next_pump) {
            outbox_pump(w.ob, w.now / 1000, NULL, NULL);
            next_pump = w.now + 1000;
        }
        if (w.now >= next_house) {
            outbox_housekeeping(w.ob, w.now / 1000, NULL);
            next_house = w.now + 30000;
        }
        if (reboot && !o.faulted && sim_sent_count(w.sp.e) == 1) {
            /* the network has the PDU; "+CMGS:" is still 1.5 s away */
            o.faulted = true;
            o.sending_at_fault = raw_int(db, "SELECT count(*) FROM outbox_parts"
                                             " WHERE state = 'sending'") == 1;
            sim_fault(w.sp.e, SIM_FAULT_RESET, 0, 0, (uint64_t)w.now);
        }
    }
    o.taken = w.sp.e ? sim_sent_count(w.sp.e) : 0;
    part_state(db, &o);
    KT_CHECK(w.on_sent_errors == 0, "%s: every outcome recorded (%d not)", label,
             w.on_sent_errors);
    printf("%s: the network took it %zu time(s); the outbox says %s after %lld attempt(s)\n",
           label, o.taken, o.state, (long long)o.attempts);
    modem_free(w.m);
    outbox_free(w.ob);
    qstore_close(w.q);
    store_close(w.st);
    simpty_close(&w.sp);
    const char *sfx[] = {"", "-wal", "-shm", ".lock"};
    for (int i = 0; i < 4; i++) {
        char p[80];
        snprintf(p, sizeof p, "%s%s", db, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
    return o;
}

int main(void)
{
    outcome o = run_case("no fault", false, false);
    KT_CHECK(o.taken == 1, "no fault: the network took the part once (%zu)", o.taken);
    KT_CHECK(strcmp(o.state, "sent") == 0 && o.attempts == 1,
             "no fault: 'sent' after one attempt (%s, %lld)", o.state, (long long)o.attempts);

    o = run_case("reboot, after_crash = unknown", true, false);
    KT_CHECK(o.faulted && o.sending_at_fault,
             "reboot: the modem rebooted while the part was 'sending'");
    KT_CHECK(o.taken == 1, "reboot: the network took the part once, not again (%zu)", o.taken);
    KT_CHECK(strcmp(o.state, "unknown") == 0 && o.attempts == 1,
             "reboot: the part is 'unknown' after one attempt (%s, %lld)", o.state,
             (long long)o.attempts);

    o = run_case("reboot, after_crash = resend", true, true);
    KT_CHECK(o.faulted && o.sending_at_fault,
             "resend: the modem rebooted while the part was 'sending'");
    KT_CHECK(o.taken == 2, "resend: the part went again, as configured (%zu)", o.taken);
    KT_CHECK(strcmp(o.state, "sent") == 0 && o.attempts == 2,
             "resend: 'sent' after two attempts (%s, %lld)", o.state, (long long)o.attempts);
    return kt_report();
}
