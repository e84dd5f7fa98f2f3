/*
 * test_soak.c - issue 6's soak test in simulated time: the real daemon code
 * (gateway/serve*.c, gateway/loop.c: store, inbox, outbox, payouts, the
 * modem driver) runs in-process on a virtual clock (serve_clock_set), turn
 * by turn through loop_step, against simulator engines on real
 * pseudo-terminals (tests/sim_pty.h) ticking on the same clock. A worker
 * population joins, answers offers (right, wrong, late), asks for NEXT,
 * sends STOP and comes back, asks for PAY (paid through the simulated
 * M-PESA menu, confirmed by SMS); modem faults (hang, reset, garbage, +CMS
 * errors, lost network, dead until a power cycle) and daemon restarts
 * (crash: everything freed without the clean-stop path; or a clean stop)
 * come at random. When nothing is due, the clock jumps to the next deadline.
 * Then faults stop, the queues drain, and the invariants are checked (in the
 * test's own SQLite table of what the phones sent and received, with the
 * daemon's database attached): every injected SMS stored exactly once; every
 * part the network took sent once, unless the outbox marked it 'unknown'
 * (or retried it after an AT+CMGS timeout, the documented duplicate);
 * every task resolved or flagged; every on-time answer paid once; the ledger
 * check; nobody offered a task twice; nothing to a worker after the reply to
 * their STOP; pushes only inside the push window.
 * Size: KAZI_SOAK_SIZE=full (7 days, 500 workers; `make soak`) or the small
 * default (1 day, 50 workers); KAZI_SOAK_DAYS / KAZI_SOAK_WORKERS override.
 * Seed: KAZI_SOAK_SEED (printed; the small size has a fixed default).
 * This file is the driver: size and seed, setup, the turn loop on the
 * virtual clock, the drain, the figures and main. The world and workers
 * (tests/soak_world.h), the daemon's life (tests/soak_daemon.h), the fault
 * and restart schedule (tests/soak_faults.h) and the invariants
 * (tests/soak_checks.h) live in their own headers.
 * Never reads the wall clock for the daemon or the simulators (the seed of a
 * full run may come from it); every loop is bounded.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "serve.h"
#include "sim_pty.h"
#include "soak_world.h"   /* the state, the PRNG, the records, the workers, the tasks */
#include "soak_daemon.h"  /* start, crash, clean close */
#include "soak_faults.h"  /* the fault and restart schedule */
#include "soak_checks.h"  /* the invariants at the end */

/* ---- driving ---- */

/* Run the daemon and the simulators at the current time until nobody moves a byte. */
static void settle(void)
{
    for (int i = 0; i < MAX_TURNS_AT_ONCE; i++) {
        if (W.d && loop_step(W.d, 0)) {
            daemon_close_clean();
            continue;
        }
        unsigned long moved = 0;
        for (int m = 0; m < N_MODEMS; m++) {
            W.sp[m].now = (uint64_t)W.vnow;
            simpty_pump(&W.sp[m]);
            moved += W.sp[m].moved;
        }
        collect_sent();
        if (!moved)
            return;
    }
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t s_to_ms(int64_t unix_s)
{
    return V0 + (unix_s - T0) * 1000;
}

/* The next moment anything is due (at most a second away: the outbox pumps every second). */
static int64_t next_moment(void)
{
    int64_t t = W.vnow + 1000;
    if (W.d) {
        for (size_t i = 0; i < W.d->nmodems; i++)
            t = min64(t, modem_next_deadline(W.d->modems[i]->m));
        t = min64(t, W.d->next_pump_ms);
        t = min64(t, serve_power_next_deadline(W.d));
        t = min64(t, s_to_ms(W.d->next_inbox));
    } else {
        t = min64(t, W.restart_at_ms);
    }
    for (int m = 0; m < N_MODEMS; m++) {
        uint64_t dl = simpty_deadline(&W.sp[m]);
        if (dl != UINT64_MAX)
            t = min64(t, (int64_t)dl);
    }
    t = min64(t, W.next_worker_ms);
    return t > W.vnow ? t : W.vnow + 1;
}

static void turn(void)
{
    faults_step();
    restarts_step();
    workers_step();
    settle();
    W.vnow = next_moment();
}

/* ---- setup ---- */

static bool write_conf(void)
{
    snprintf(W.db, sizeof W.db, "%s/k.db", W.dir);
    snprintf(W.conf, sizeof W.conf, "%s/k.conf", W.dir);
    FILE *f = fopen(W.conf, "w");
    if (!f)
        return false;
    chmod(W.conf, 0600);
    const char *lvl = getenv("KAZI_SOAK_LOG");
    fprintf(f,
            "[gateway]\ndatabase = %s\nlog_level = %s\nhousekeeping_interval = 30s\n"
            "push_interval = 60s\npush_from = 07:00\npush_to = 21:00\ntimezone = +03:00\n"
            "[engine]\nmax_open_per_worker = 3\n"
            "[outbox]\nretry_base = 5s\n"
            "[payout]\npin = 5807\nscript = tasks/providers/mpesa-ke.ussd-script\n"
            "providers = tasks/providers\nconfirm_timeout = 10m\n",
            W.db, lvl && *lvl ? lvl : "error");
    for (int m = 0; m < N_MODEMS; m++)
        fprintf(f, "[modem m%d]\nport = %s\n", m + 1, W.sp[m].link);
    return fclose(f) == 0;
}

static bool open_sims(void)
{
    static char script[16384];
    FILE *f = fopen("tests/data/ussd/mpesa-ke-payout.ussd", "r");
    size_t n = f ? fread(script, 1, sizeof script, f) : 0;
    if (f)
        fclose(f);
    for (int m = 0; m < N_MODEMS; m++) {
        sim_config c;
        sim_config_init(&c);
        c.latency_ms = 20;
        c.cmgs_latency_ms = 1500;
        c.ussd_latency_ms = 1200;
        c.boot_ms = 4000;
        c.report_delay_ms = 8000;
        c.seed = (uint32_t)rng();
        c.wall_base_s = T0 - V0 / 1000;
        c.tz_minutes = TZ_MIN;
        kz_err err;
        sim_engine *e = sim_new(&c, (uint64_t)W.vnow, &err);
        if (!e || sim_ussd_load(e, script, n, &err) != KZ_OK ||
            simpty_open(&W.sp[m], e, (uint64_t)W.vnow) != 0) {
            KT_CHECK(0, "simulator %d: %s", m + 1, err.msg);
            return false;
        }
    }
    return true;
}

/* ---- the end: drain, then the invariants ---- */

static bool drained(void)
{
    if (!W.d)
        return false;
    for (int m = 0; m < N_MODEMS; m++) {
        sim_stats s;
        sim_get_stats(W.sp[m].e, &s);
        if (s.queued || s.sm_used || s.me_used)
            return false;
    }
    return t_int("SELECT (SELECT count(*) FROM k.outbox_parts WHERE state IN ('queued','sending'))"
             " + (SELECT count(*) FROM k.inbox_parts WHERE message_id IS NULL)"
             " + (SELECT count(*) FROM k.payouts WHERE state IN ('requested','sending','sent'))"
             " + (SELECT count(*) FROM k.tasks t WHERE NOT EXISTS (SELECT 1 FROM"
             " k.task_results r WHERE r.task_id = t.id))") == 0;
}

static void drain(void)
{
    W.faults_on = false;
    W.traffic_on = false;
    W.next_restart_ms = INT64_MAX; /* only the operator's, after a power cycle */
    for (int m = 0; m < N_MODEMS; m++) {
        fault(m, SIM_FAULT_CLEAR, 0, 0);
        if (W.register_at[m])
            W.register_at[m] = W.vnow;
        if (W.cycle_at[m])
            W.cycle_at[m] = W.vnow;
    }
    int64_t until = W.vnow + DRAIN_MAX_S * 1000;
    int64_t next_check = W.vnow;
    while (W.vnow < until) {
        turn();
        if (W.vnow >= next_check) {
            next_check = W.vnow + 60000;
            if (drained())
                break;
        }
    }
    KT_CHECK(drained(), "the queues drained within %d s after the traffic stopped (outbox %lld,"
             " unresolved tasks %lld)", DRAIN_MAX_S,
             (long long)t_int("SELECT count(*) FROM k.outbox_parts WHERE state IN"
                              " ('queued','sending')"),
             (long long)t_int("SELECT count(*) FROM k.tasks t WHERE NOT EXISTS (SELECT 1 FROM"
                              " k.task_results r WHERE r.task_id = t.id)"));
    W.d->stopping = true;
    W.d->stop_deadline_ms = W.vnow + 5000;
    for (int i = 0; i < 100000 && W.d; i++)
        turn();
    KT_CHECK(W.d == NULL, "the final clean stop finished");
}

static void report(double secs)
{
    printf("soak: %d day(s), %d workers, %d tasks at redundancy 3, %d modems; %.1f s\n", W.days,
           W.nworkers, W.ntasks, N_MODEMS, secs);
    printf("  SMS in %ld (queue full %ld times), parts out %ld, offers read %ld\n", W.injected,
           W.queue_full, W.rx_parts, W.offers_seen);
    printf("  answers %ld (late ones in %lld), NEXT %ld, STOP %ld, back %ld, PAY %ld\n",
           W.answers, (long long)t_int("SELECT count(*) FROM k.answers WHERE late = 1"), W.nexts,
           W.stops, W.rejoins, W.pays);
    printf("  payouts: %lld confirmed, %lld failed, %lld unknown\n",
           (long long)t_int("SELECT count(*) FROM k.payouts WHERE state = 'confirmed'"),
           (long long)t_int("SELECT count(*) FROM k.payouts WHERE state = 'failed'"),
           (long long)t_int("SELECT count(*) FROM k.payouts WHERE state = 'unknown'"));
    printf("  outbox parts: %lld sent/delivered, %lld unknown, %lld failed\n",
           (long long)t_int("SELECT count(*) FROM k.outbox_parts WHERE state IN"
                            " ('sent','delivered')"),
           (long long)t_int("SELECT count(*) FROM k.outbox_parts WHERE state = 'unknown'"),
           (long long)t_int("SELECT count(*) FROM k.outbox_parts WHERE state = 'failed'"));
    /* Cost (issue 8): SMS segments both ways per completed task, i.e. per answer
     * recorded; every part handed to a modem counts, whatever became of it. */
    int64_t seg_in = t_int("SELECT coalesce(sum(segments), 0) FROM k.messages WHERE direction = 'in'"
                           " AND channel = 'sms'");
    int64_t parts_out = t_int("SELECT count(*) FROM k.outbox_parts WHERE state IN"
                              " ('sent','delivered','unknown','failed') AND attempts > 0");
    int64_t done = t_int("SELECT count(*) FROM k.answers");
    printf("  cost: %lld segments in + %lld parts out over %lld answers\n", (long long)seg_in,
           (long long)parts_out, (long long)done);
    printf("cost.segments_per_task=%.2f\n", done ? (double)(seg_in + parts_out) / (double)done : 0);
    printf("  daemon: %ld crashes, %ld clean stops; faults: hang %ld, reset %ld, garbage %ld,"
           " cms %ld, deregister %ld, dead %ld\n",
           W.crashes, W.clean_stops, W.faults[SIM_FAULT_HANG], W.faults[SIM_FAULT_RESET],
           W.faults[SIM_FAULT_GARBAGE], W.faults[SIM_FAULT_CMS], W.faults[SIM_FAULT_DEREGISTER],
           W.faults[SIM_FAULT_DEAD]);
}

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

static void cleanup(void)
{
    for (int m = 0; m < N_MODEMS; m++)
        if (W.sp[m].e)
            simpty_close(&W.sp[m]);
    if (getenv("KAZI_SOAK_KEEP")) {
        printf("kept %s\n", W.dir);
        return;
    }
    static const char *const files[] = {"k.db", "k.db-wal", "k.db-shm", "k.conf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s/%s", W.dir, files[i]);
        unlink(p);
    }
    rmdir(W.dir);
}

/* Size and seed from the environment; false on a bad size. */
static bool choose_size(void)
{
    const char *size = getenv("KAZI_SOAK_SIZE");
    bool full = size && strcmp(size, "full") == 0;
    W.days = env_int("KAZI_SOAK_DAYS", full ? 7 : 1);
    W.nworkers = env_int("KAZI_SOAK_WORKERS", full ? 500 : 50);
    if (W.days < 1 || W.nworkers < 4 || W.nworkers > MAX_WORKERS) {
        fprintf(stderr, "KAZI_SOAK_DAYS >= 1, 4 <= KAZI_SOAK_WORKERS <= %d\n", MAX_WORKERS);
        return false;
    }
    const char *seed = getenv("KAZI_SOAK_SEED");
    rng_state = seed && *seed ? strtoull(seed, NULL, 0)
                : full        ? (uint64_t)time(NULL)
                              : UINT64_C(0x4B415A49);
    if (!rng_state)
        rng_state = 1;
    printf("soak: seed %llu (reproduce with KAZI_SOAK_SEED=%llu)\n",
           (unsigned long long)rng_state, (unsigned long long)rng_state);
    W.batches = W.days + 1;
    W.batch_tasks = W.nworkers * 2 / 3 + 4;
    return true;
}

/* The directory, the simulators, the configuration, the first batch, the workers. */
static bool set_up(void)
{
    W.tasks = calloc((size_t)(W.batches * W.batch_tasks), sizeof *W.tasks);
    W.vnow = V0;
    W.end_ms = V0 + (int64_t)W.days * 86400 * 1000;
    W.faults_on = W.traffic_on = true;
    W.next_fault_ms = V0 + 600 * 1000;
    W.next_restart_ms = V0 + (1800 + rnd(3 * 3600)) * 1000;
    const char *base = getenv("KAZI_SOAK_DIR"); /* tmpfs by default: fsync is not under test */
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(W.dir, sizeof W.dir, "%s/kazi-soak-XXXXXX", base);
    if (!W.tasks || !mkdtemp(W.dir) || !open_records() || !open_sims() || !write_conf()) {
        KT_CHECK(0, "setup in %s", W.dir);
        return false;
    }
    import_batch(0); /* creates the database */
    make_workers();
    char att[300];
    snprintf(att, sizeof att, "ATTACH DATABASE '%s' AS k", W.db);
    t_exec(att);
    return true;
}

/* The simulated days: traffic, faults, restarts, a new batch now and then. */
static void run_traffic(void)
{
    W.next_batch_ms = V0 + 86400 * 1000 / 2;
    int b = 1;
    int64_t next_day = V0 + 86400 * 1000;
    while (W.vnow < W.end_ms) {
        if (W.vnow >= next_day) {
            next_day += 86400 * 1000;
            printf("  day %lld: %ld SMS in, %ld parts out, %ld crashes, %ld clean stops\n",
                   (long long)((W.vnow - V0) / 86400000), W.injected, W.rx_parts, W.crashes,
                   W.clean_stops);
        }
        if (W.vnow >= W.next_batch_ms && b < W.batches) {
            import_batch(b++);
            W.next_batch_ms += 86400 * 1000 * (int64_t)W.days / W.batches;
        }
        turn();
    }
    while (b < W.batches)
        import_batch(b++);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* the figures survive a sanitizer's exit */
    if (!choose_size())
        return 1;
    static const serve_clock vclock = {clock_ms, clock_s, NULL};
    serve_clock_set(&vclock);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (set_up() && daemon_start()) {
        run_traffic();
        drain();
        check_messages();
        check_work();
        check_promises();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        report((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    if (W.d)
        daemon_crash();
    sqlite3_close(W.t);
    serve_clock_set(NULL);
    free(W.w);
    free(W.tasks);
    cleanup();
    return kt_report();
}
