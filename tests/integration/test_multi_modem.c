/*
 * test_multi_modem.c - several modems at once, each independent: three
 * drivers, each on its own simulator behind its own pseudo-terminal, driven
 * by ONE poll loop like the daemon's (fake clock). Modem 1 hangs forever,
 * goes dead, or vanishes while modems 0 and 2 send and receive; the healthy
 * ones must finish their work in the same fake time and (nearly) the same
 * number of loop iterations as in a run without the fault. Then the faulty
 * one recovers (hang cleared, power cycle + modem_restart, the port coming
 * back) and finishes its own work: nothing lost, nothing committed twice.
 * Bounded by iteration and fake-clock caps. Never sleeps.
 */
#include <poll.h>

#include "harness.h"
#include "modem.h"
#include "sim_pty.h"

#define NM 3
#define N_MSG 24          /* outbound and inbound messages per modem */
#define FAULTY 1          /* the modem that fails */
#define MAX_ITER 400000
#define MAX_FAKE_MS (3LL * 3600 * 1000)

typedef enum scenario { SC_NONE, SC_HANG, SC_DEAD, SC_VANISH } scenario;
static const char *const scenario_names[] = {"no fault", "hang", "dead", "vanish"};

typedef struct unit {
    simpty sp;
    modem *m;
    int idx;
    /* outbox: 0 waiting, 1 given to the modem, 2 sent */
    int out_state[N_MSG];
    uint64_t out_id[N_MSG];
    uint64_t next_id;
    int sent_ok, sent_fail, unknown_sent;
    /* inbound */
    int seen[N_MSG];
    int committed, dup, unmatched;
    /* completion */
    long done_iter;
    int64_t done_ms;
} unit;

typedef struct world {
    unit u[NM];
    int64_t now;
    long iter;
    int64_t fault_at;
} world;

static sms_pdu out_pdu[NM][N_MSG];

/* ---- callbacks ---- */

static kz_status on_sms(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                        size_t len)
{
    (void)m, (void)pdu, (void)len;
    unit *u = ctx;
    int owner = -1, i = -1;
    if (sscanf(msg->text, "in %d-%d", &owner, &i) != 2 || owner != u->idx || i < 0 ||
        i >= N_MSG) {
        u->unmatched++;
        return KZ_OK;
    }
    if (u->seen[i]++)
        u->dup++;
    else
        u->committed++;
    return KZ_OK;
}

static void on_sent(void *ctx, modem *m, uint64_t id, kz_status st, int mr, int cms, bool retry)
{
    (void)m, (void)mr, (void)cms;
    unit *u = ctx;
    for (int i = 0; i < N_MSG; i++) {
        if (u->out_id[i] != id || u->out_state[i] != 1)
            continue;
        if (st == KZ_OK) {
            u->out_state[i] = 2;
            u->sent_ok++;
        } else {
            u->sent_fail++;
            u->out_state[i] = retry ? 0 : 2;
        }
        return;
    }
    u->unknown_sent++;
}

static void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)ctx, (void)m;
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "event %d: %s\n", level, msg);
}

/* ---- setup ---- */

static void build_pdus(void)
{
    for (int k = 0; k < NM; k++) {
        for (int i = 0; i < N_MSG; i++) {
            char text[64], to[40];
            snprintf(text, sizeof text, "out %d-%d: is the shop open?", k, i);
            snprintf(to, sizeof to, "+25471%d%06d", k, i);
            sms_submit_opts o;
            sms_submit_opts_init(&o);
            o.to = to;
            size_t n = 0;
            KT_CHECK(pdu_encode_submit((const uint8_t *)text, strlen(text), &o,
                                       &out_pdu[k][i], 1, &n, NULL) == KZ_OK && n == 1,
                     "encode");
        }
    }
}

static int unit_open(world *w, int k)
{
    unit *u = &w->u[k];
    memset(u, 0, sizeof *u);
    u->idx = k;
    u->done_iter = -1;
    sim_config sc;
    sim_config_init(&sc);
    sc.cmgs_latency_ms = 400; /* the network's round trip paces each modem */
    sc.latency_ms = 20;
    sc.report_status = -1;
    sc.seed = (uint32_t)k + 1;
    kz_err err;
    sim_engine *e = sim_new(&sc, (uint64_t)w->now, &err);
    if (!e || simpty_open(&u->sp, e, (uint64_t)w->now) != 0)
        return -1;
    char name[16];
    snprintf(name, sizeof name, "m%d", k);
    modem_config mc = {.name = name, .port = u->sp.link, .cmd_timeout_ms = 2000,
                       .poll_interval_ms = 30000, .sweep_interval_ms = 60000,
                       .reopen_interval_ms = 1000, .boot_wait_ms = 2000, .max_resets = 2};
    modem_callbacks cb = {.ctx = u, .on_sms = on_sms, .on_sent = on_sent, .on_event = on_event};
    u->m = modem_new(&mc, &cb, &err);
    return u->m ? 0 : -1;
}

static void unit_close(unit *u)
{
    modem_free(u->m);
    simpty_close(&u->sp);
}

/* ---- the loop ---- */

static bool unit_done(const unit *u)
{
    if (u->committed < N_MSG)
        return false;
    for (int i = 0; i < N_MSG; i++)
        if (u->out_state[i] != 2)
            return false;
    return true;
}

static void feed_outbox(unit *u)
{
    for (int i = 0; i < N_MSG; i++) {
        if (u->out_state[i] != 0)
            continue;
        u->out_id[i] = ++u->next_id;
        if (modem_send_pdu(u->m, u->out_id[i], &out_pdu[u->idx][i]) != KZ_OK)
            return; /* not ready, or the queue is full: later */
        u->out_state[i] = 1;
    }
}

/* One turn of the daemon's loop over every modem; the clock jumps when all is quiet. */
static void loop_once(world *w)
{
    struct pollfd fds[NM];
    int who[NM], n = 0;
    bool moved = false;
    for (int k = 0; k < NM; k++) {
        w->u[k].sp.now = (uint64_t)w->now;
        simpty_pump(&w->u[k].sp);
        moved = moved || w->u[k].sp.moved;
        int fd = modem_fd(w->u[k].m);
        if (fd >= 0) {
            fds[n] = (struct pollfd){.fd = fd, .events = modem_poll_events(w->u[k].m)};
            who[n++] = k;
        }
    }
    bool io = false;
    if (n > 0 && poll(fds, (nfds_t)n, moved ? 2 : 0) > 0) {
        for (int i = 0; i < n; i++) {
            if (fds[i].revents) {
                io = true;
                modem_on_io(w->u[who[i]].m, fds[i].revents, w->now);
            }
        }
    }
    int64_t next = INT64_MAX;
    for (int k = 0; k < NM; k++) {
        unit *u = &w->u[k];
        modem_tick(u->m, w->now);
        feed_outbox(u);
        if (u->done_iter < 0 && unit_done(u)) {
            u->done_iter = w->iter;
            u->done_ms = w->now;
        }
        int64_t d = modem_next_deadline(u->m);
        uint64_t sd = simpty_deadline(&u->sp);
        if (sd != UINT64_MAX && (int64_t)sd < d)
            d = (int64_t)sd;
        if (d < next)
            next = d;
    }
    w->iter++;
    if (moved || io)
        return;
    if (next <= w->now)
        next = w->now + 1;
    if (next > w->now + 1000)
        next = w->now + 1000;
    w->now = next;
}

static bool all_ready(world *w)
{
    for (int k = 0; k < NM; k++) {
        modem_status s;
        modem_get_status(w->u[k].m, &s);
        if (s.state != MODEM_READY || s.polls < 1 || s.sweeps < 1)
            return false;
    }
    return true;
}

static void inject_all(world *w, int k)
{
    for (int i = 0; i < N_MSG; i++) {
        char text[32];
        snprintf(text, sizeof text, "in %d-%d", k, i);
        KT_CHECK(sim_inject_text(w->u[k].sp.e, "+254722000999", text, strlen(text),
                                 SMS_CODING_AUTO, NULL, (uint64_t)w->now, NULL) == KZ_OK,
                 "inject");
    }
}

static void start_fault(world *w, scenario sc)
{
    unit *b = &w->u[FAULTY];
    switch (sc) {
    case SC_HANG:
        sim_fault(b->sp.e, SIM_FAULT_HANG, 0, 0, (uint64_t)w->now); /* until cleared */
        break;
    case SC_DEAD:
        sim_fault(b->sp.e, SIM_FAULT_DEAD, 0, 0, (uint64_t)w->now);
        break;
    case SC_VANISH:
        simpty_vanish(&b->sp);
        break;
    case SC_NONE:
        break;
    }
}

/* The faulty modem comes back the way a daemon would see it. */
static void end_fault(world *w, scenario sc)
{
    unit *b = &w->u[FAULTY];
    modem_status s;
    modem_get_status(b->m, &s);
    switch (sc) {
    case SC_HANG:
        sim_fault(b->sp.e, SIM_FAULT_CLEAR, 0, 0, (uint64_t)w->now);
        break;
    case SC_DEAD:
        sim_fault(b->sp.e, SIM_FAULT_POWER_CYCLE, 0, 0, (uint64_t)w->now);
        break;
    case SC_VANISH:
        simpty_return(&b->sp);
        sim_fault(b->sp.e, SIM_FAULT_RESET, 0, 0, (uint64_t)w->now); /* re-enumerated: booted */
        break;
    case SC_NONE:
        break;
    }
    if (s.state == MODEM_DEAD)
        modem_restart(b->m); /* the daemon's power-cycle hook */
}

typedef struct result {
    long iter[NM];
    int64_t ms[NM];
    modem_state faulty_state_at_end_of_fault;
} result;

static void run_scenario(scenario sc, result *res)
{
    static world w;
    memset(&w, 0, sizeof w);
    w.now = 1000;
    for (int k = 0; k < NM; k++)
        KT_CHECK(unit_open(&w, k) == 0, "modem %d on its own pty", k);
    for (long i = 0; i < MAX_ITER && !all_ready(&w); i++)
        loop_once(&w);
    KT_CHECK(all_ready(&w), "%s: all three ready", scenario_names[sc]);
    /* the work starts and the fault strikes at the same moment */
    int64_t t0 = w.now;
    long i0 = w.iter;
    for (int k = 0; k < NM; k++)
        inject_all(&w, k);
    start_fault(&w, sc);
    bool healthy_done = false;
    while (w.iter - i0 < MAX_ITER && w.now - t0 < MAX_FAKE_MS && !healthy_done) {
        loop_once(&w);
        healthy_done = w.u[0].done_iter >= 0 && w.u[2].done_iter >= 0;
    }
    /* the faulty one stays down a while longer (2 minutes), then recovers */
    int64_t back = w.now + 120000;
    while (w.iter - i0 < MAX_ITER && w.now < back)
        loop_once(&w);
    modem_status s;
    modem_get_status(w.u[FAULTY].m, &s);
    res->faulty_state_at_end_of_fault = s.state;
    end_fault(&w, sc);
    while (w.iter - i0 < MAX_ITER && w.now - t0 < MAX_FAKE_MS && w.u[FAULTY].done_iter < 0)
        loop_once(&w);
    for (int k = 0; k < NM; k++) {
        unit *u = &w.u[k];
        res->iter[k] = u->done_iter >= 0 ? u->done_iter - i0 : -1;
        res->ms[k] = u->done_iter >= 0 ? u->done_ms - t0 : -1;
        KT_CHECK(unit_done(u), "%s: modem %d finished (%d committed, %d sent)",
                 scenario_names[sc], k, u->committed, u->sent_ok);
        KT_CHECK(u->dup == 0 && u->unmatched == 0 && u->unknown_sent == 0,
                 "%s: modem %d nothing twice or foreign (%d %d %d)", scenario_names[sc], k,
                 u->dup, u->unmatched, u->unknown_sent);
        KT_CHECK(sim_sent_count(u->sp.e) >= N_MSG, "%s: modem %d's network got its PDUs",
                 scenario_names[sc], k);
    }
    printf("%-8s healthy: m0 %ld iterations %lld ms, m2 %ld iterations %lld ms; faulty m1 was "
           "%s, finished after %lld ms (%d failed sends retried)\n",
           scenario_names[sc], res->iter[0], (long long)res->ms[0], res->iter[2],
           (long long)res->ms[2], modem_state_name(res->faulty_state_at_end_of_fault),
           (long long)res->ms[FAULTY], w.u[FAULTY].sent_fail);
    for (int k = 0; k < NM; k++)
        unit_close(&w.u[k]);
}

int main(void)
{
    build_pdus();
    result base, r;
    memset(&base, 0, sizeof base);
    run_scenario(SC_NONE, &base);
    KT_CHECK(base.iter[0] > 0 && base.iter[2] > 0, "baseline finished");
    for (scenario sc = SC_HANG; sc <= SC_VANISH; sc++) {
        memset(&r, 0, sizeof r);
        run_scenario(sc, &r);
        KT_CHECK(r.faulty_state_at_end_of_fault != MODEM_READY,
                 "%s: the faulty modem really was out (%s)", scenario_names[sc],
                 modem_state_name(r.faulty_state_at_end_of_fault));
        for (int k = 0; k < NM; k += 2) {
            KT_CHECK(r.ms[k] == base.ms[k], "%s: modem %d as fast in fake time (%lld vs %lld ms)",
                     scenario_names[sc], k, (long long)r.ms[k], (long long)base.ms[k]);
            /* the faulty modem's own timers add a few turns of the loop, never waits */
            KT_CHECK(r.iter[k] >= 0 && r.iter[k] <= base.iter[k] + base.iter[k] / 10 + 20,
                     "%s: modem %d in about as many loop turns (%ld vs %ld)",
                     scenario_names[sc], k, r.iter[k], base.iter[k]);
        }
    }
    return kt_report();
}
