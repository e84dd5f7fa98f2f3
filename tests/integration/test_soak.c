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

#include "csv_import.h"
#include "harness.h"
#include "log.h"
#include "payout.h"
#include "serve.h"
#include "serve_pay.h"
#include "sim_pty.h"

#define N_MODEMS 2
#define MAX_WORKERS 2000
#define W_OPEN 8
#define REWARD 1000                   /* KSh 10 per answer */
#define T0 INT64_C(1740970800)        /* Monday 3 March 2025 06:00 Nairobi */
#define V0 INT64_C(1000000)           /* virtual ms at T0 */
#define TZ_MIN 180
#define PUSH_FROM (7 * 60)
#define PUSH_TO (21 * 60)
#define QUIET_GRACE_S 600             /* a part handed over at 20:59 may reach the network later */
#define DRAIN_MAX_S (3 * 86400)
#define MAX_TURNS_AT_ONCE 400

/* ---- the PRNG (xorshift64*), seeded ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static int64_t rnd(int64_t n)
{
    return n <= 0 ? 0 : (int64_t)(rng() % (uint64_t)n);
}

static bool chance(int per_mille)
{
    return rnd(1000) < per_mille;
}

/* ---- the world ---- */

typedef struct worker {
    char phone[20];
    int home;                 /* modem the worker texts */
    int accuracy;             /* per mille */
    bool joined, stopping, stopped;
    int64_t stop_from_ms;     /* when the reply to STOP arrived */
    int64_t next_ms;          /* next spontaneous act */
    int64_t last_sent_s;
    int answered_since_pay;
    struct { int ref, task; int64_t at_ms; } open[W_OPEN];
    int n_open;
} worker;

typedef struct task {
    int truth;                /* 1 or 2 (verify), 1..3 (choice) */
    int kind;                 /* 0 verify, 1 choice */
} task;

static struct {
    int days, nworkers, batches, batch_tasks;
    int64_t vnow;             /* virtual monotonic ms */
    int64_t end_ms;
    char dir[96], db[160], conf[160];
    simpty sp[N_MODEMS];
    size_t sent_seen[N_MODEMS];
    bool dead[N_MODEMS];
    int64_t register_at[N_MODEMS], cycle_at[N_MODEMS];
    kz_daemon *d;
    sqlite3 *t;               /* the test's own records; the daemon's db attached as k */
    worker *w;
    task *tasks;
    int ntasks;
    int64_t next_fault_ms, next_restart_ms, next_batch_ms, restart_at_ms, next_worker_ms;
    bool faults_on, traffic_on;
    long crashes, clean_stops, faults[SIM_FAULT_CLEAR + 1], injected, rx_parts, offers_seen;
    long stops, rejoins, pays, answers, late_answers, nexts, queue_full;
} W;

static int64_t now_s(void)
{
    return T0 + (W.vnow - V0) / 1000;
}

static int64_t clock_ms(void *ctx)
{
    (void)ctx;
    return W.vnow;
}

static int64_t clock_s(void *ctx)
{
    (void)ctx;
    return now_s();
}

static void t_exec(const char *sql)
{
    char *msg = NULL;
    KT_CHECK(sqlite3_exec(W.t, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql,
             msg ? msg : "");
    sqlite3_free(msg);
}

static int64_t t_int(const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(W.t, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    else
        KT_CHECK(0, "%s: %s", sql, sqlite3_errmsg(W.t));
    sqlite3_finalize(s);
    return v;
}

/* Print the first rows of a query that should have none (the evidence of a failed check). */
static void t_show(const char *what, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(W.t, sql, -1, &s, NULL) != SQLITE_OK)
        return;
    for (int n = 0; n < 8 && sqlite3_step(s) == SQLITE_ROW; n++) {
        fprintf(stderr, "  %s:", what);
        for (int c = 0; c < sqlite3_column_count(s); c++)
            fprintf(stderr, " %s", sqlite3_column_text(s, c) ? (const char *)sqlite3_column_text(s, c) : "NULL");
        fputc('\n', stderr);
    }
    sqlite3_finalize(s);
}

static void record(const char *sql, const char *a, const char *b, int64_t x, int64_t y)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(W.t, sql, -1, &s, NULL) != SQLITE_OK) {
        KT_CHECK(0, "%s: %s", sql, sqlite3_errmsg(W.t));
        return;
    }
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, x);
    sqlite3_bind_int64(s, 4, y);
    KT_CHECK(sqlite3_step(s) == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(W.t));
    sqlite3_finalize(s);
}

/* ---- the daemon ---- */

static bool daemon_start(void)
{
    kz_daemon *d = calloc(1, sizeof *d);
    cfg_errors *errs = calloc(1, sizeof *errs);
    if (!d || !errs) {
        free(d);
        free(errs);
        return false;
    }
    d->sigfd = -1; /* no signals here: stops are asked by setting d->stopping */
    size_t n = config_load(W.conf, &d->cfg, errs);
    for (size_t i = 0; i < n && i < CFG_MAX_ERRORS; i++)
        fprintf(stderr, "%s\n", errs->msg[i]);
    free(errs);
    log_setup("kazi", (log_level)d->cfg.log_level, false);
    bool ok = n == 0 && serve_conv_setup(d) == 0 && serve_open_store(d) == 0 &&
              serve_modems_open(d) == 0 && serve_pay_open(d) == 0;
    W.d = d;
    KT_CHECK(ok, "daemon start at %+.0f s", (double)(W.vnow - V0) / 1000.0);
    serve_modems_snapshot(d);
    d->outbox_dirty = d->inbox_dirty = true;
    return ok;
}

/* Free what the clean path frees (serve.c close_all, without the lock and the log). */
static void daemon_free(kz_daemon *d)
{
    outbox_free(d->ob);
    inbox_free(d->ib);
    qstore_close(d->q);
    store_close(d->st);
    tmpl_free(d->templates);
    free(d);
}

/* A crash: the database keeps what was committed; nothing is detached or settled. */
static void daemon_crash(void)
{
    kz_daemon *d = W.d;
    W.d = NULL;
    serve_pay_close(d); /* memory only: recovery settles a payout in flight */
    for (size_t i = 0; i < d->nmodems; i++) {
        serve_power_stop(d->modems[i]); /* memory (a power-cycle command dies with us) */
        modem_free(d->modems[i]->m);
        free(d->modems[i]);
    }
    d->nmodems = 0;
    daemon_free(d);
    W.crashes++;
}

/* After loop_step said the clean stop finished. */
static void daemon_close_clean(void)
{
    kz_daemon *d = W.d;
    W.d = NULL;
    serve_modems_snapshot(d);
    serve_pay_close(d);
    serve_modems_close(d);
    daemon_free(d);
    W.clean_stops++;
}

/* ---- the phones ---- */

static worker *worker_of(const char *addr)
{
    const char *p = addr;
    while (*p && (*p < '0' || *p > '9'))
        p++;
    long long num = atoll(p);
    if (strncmp(p, "0", 1) == 0)
        num += 254000000000LL;
    long long x = num - 254710010000LL, last = x % 100;
    if (x < 0 || last == 97 || last == 99)
        return NULL;
    long long i = x / 100 * 98 + (last == 98 ? 97 : last);
    return i < W.nworkers ? &W.w[i] : NULL;
}

/* w texts the gateway. False when the network queue is full (the phone tries later). */
static bool send_sms(worker *w, const char *text)
{
    if (w->last_sent_s >= now_s())
        return false; /* one SMS a second at most: the same text twice is two messages */
    int m = chance(900) ? w->home : (int)rnd(N_MODEMS);
    kz_err err;
    kz_status rc = sim_inject_text(W.sp[m].e, w->phone, text, strlen(text), SMS_CODING_AUTO, NULL,
                                   (uint64_t)W.vnow, &err);
    if (rc == KZ_ERR_NOSPACE) {
        W.queue_full++;
        return false;
    }
    KT_CHECK(rc == KZ_OK, "inject '%s' from %s: %s", text, w->phone, err.msg);
    if (rc != KZ_OK)
        return false;
    w->last_sent_s = now_s();
    record("INSERT INTO tx (phone, body, at_ms, modem) VALUES (?1, ?2, ?3, ?4)", w->phone, text,
           W.vnow, m);
    W.injected++;
    return true;
}

/* "... #42 Acme: Is the kiosk in photo 17 open? ..." -> ref 42, task 16. */
static void read_offer(worker *w, const char *text)
{
    const char *h = strstr(text, " Soak Survey: ");
    const char *p = h;
    while (p && p > text && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (!h || p == text || p[-1] != '#')
        return;
    const char *q = strstr(h, "item ");
    int ref = atoi(p), t = q ? atoi(q + 5) - 1 : -1;
    KT_CHECK(ref > 0 && t >= 0 && t < W.ntasks, "offer not understood: %s", text);
    if (ref <= 0 || t < 0 || t >= W.ntasks || w->n_open == W_OPEN)
        return;
    W.offers_seen++;
    int64_t delay = chance(850) ? 20 + rnd(25 * 60) : 65 * 60 + rnd(60 * 60); /* some late */
    w->open[w->n_open].ref = ref;
    w->open[w->n_open].task = t;
    w->open[w->n_open].at_ms = W.vnow + delay * 1000;
    if (w->open[w->n_open].at_ms < W.next_worker_ms)
        W.next_worker_ms = w->open[w->n_open].at_ms;
    w->n_open++;
}

/* One part the network took from modem m. */
static void on_sent_part(int m, const sim_sent *s)
{
    worker *w = worker_of(s->msg.address.text);
    record("INSERT INTO rx (pdu, phone, at_ms, modem) VALUES (?1, ?2, ?3, ?4)", s->pdu_hex,
           s->msg.address.text, W.vnow, m);
    W.rx_parts++;
    KT_CHECK(w != NULL, "a part to a stranger %s: %s", s->msg.address.text, s->msg.text);
    if (!w)
        return;
    const char *text = s->msg.has_text ? s->msg.text : "";
    if (w->stopping && strstr(text, "You have left Kazi")) {
        w->stopping = false;
        w->stopped = true;
        w->stop_from_ms = W.vnow + 1; /* anything after this reply breaks the promise */
        return;
    }
    if (!w->stopped && !w->stopping)
        read_offer(w, text);
}

static void collect_sent(void)
{
    for (int m = 0; m < N_MODEMS; m++) {
        size_t n = sim_sent_count(W.sp[m].e);
        for (; W.sent_seen[m] < n; W.sent_seen[m]++)
            on_sent_part(m, sim_sent_get(W.sp[m].e, W.sent_seen[m]));
        if (n > 15000) { /* the log keeps 20000: start again (reports are long delivered) */
            sim_sent_clear(W.sp[m].e);
            W.sent_seen[m] = 0;
        }
    }
}

/* ---- the workers ---- */

static void answer(worker *w, int i)
{
    const task *t = &W.tasks[w->open[i].task];
    int n = t->kind == 0 ? 2 : 3;
    int v = chance(w->accuracy) ? t->truth : 1 + (t->truth + (int)rnd(n - 1)) % n;
    char text[32];
    snprintf(text, sizeof text, "%d %d", w->open[i].ref, v);
    if (!send_sms(w, text)) {
        w->open[i].at_ms = W.vnow + 2000;
        return;
    }
    W.answers++;
    w->answered_since_pay++;
    w->open[i] = w->open[--w->n_open];
}

/* Something the worker does on their own: PAY, NEXT, STOP, coming back. */
static void spontaneous(worker *w)
{
    char text[40];
    w->next_ms = W.vnow + (20 * 60 + rnd(4 * 3600)) * 1000;
    if (!w->joined) {
        snprintf(text, sizeof text, "JOIN Soak %d", (int)(w - W.w));
        w->joined = send_sms(w, text);
        if (!w->joined)
            w->next_ms = W.vnow + 5000;
        return;
    }
    if (w->stopping)
        return; /* waiting for the reply */
    if (w->stopped) {
        if (!W.traffic_on || !chance(500) || !send_sms(w, "JOIN"))
            return;
        record("INSERT INTO stops (phone, body, from_ms, to_ms) VALUES (?1, ?2, ?3, ?4)", w->phone,
               "", w->stop_from_ms, W.vnow);
        w->stopped = false;
        W.rejoins++;
        return;
    }
    if (!W.traffic_on)
        return;
    if (w->answered_since_pay >= 6 && chance(400)) {
        if (send_sms(w, "PAY")) {
            w->answered_since_pay = 0;
            W.pays++;
        }
    } else if (chance(30)) {
        if (send_sms(w, "STOP")) {
            w->stopping = true;
            w->n_open = 0; /* STOP gives the open tasks back */
            W.stops++;
        }
    } else if (w->n_open == 0 && chance(300) && send_sms(w, "NEXT")) {
        W.nexts++;
    }
}

static void workers_step(void)
{
    if (W.vnow < W.next_worker_ms)
        return;
    int64_t next = INT64_MAX;
    for (int k = 0; k < W.nworkers; k++) {
        worker *w = &W.w[k];
        for (int i = 0; i < w->n_open;) {
            if (w->open[i].at_ms > W.vnow) {
                next = w->open[i].at_ms < next ? w->open[i].at_ms : next;
                i++;
                continue;
            }
            int before = w->n_open;
            answer(w, i);
            if (w->n_open == before) /* not sent: retried later */
                i++;
        }
        if (w->next_ms <= W.vnow)
            spontaneous(w);
        next = w->next_ms < next ? w->next_ms : next;
        for (int i = 0; i < w->n_open; i++)
            next = w->open[i].at_ms < next ? w->open[i].at_ms : next;
    }
    W.next_worker_ms = next;
}

/* ---- tasks ---- */

static void import_batch(int b)
{
    size_t cap = 128 * (size_t)W.batch_tasks + 64, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "id,type,prompt,options\n");
    for (int i = 0; i < W.batch_tasks; i++) {
        task *t = &W.tasks[W.ntasks];
        t->kind = (int)rnd(2);
        t->truth = 1 + (int)rnd(t->kind == 0 ? 2 : 3);
        int no = W.ntasks + 1;
        if (t->kind == 0)
            len += (size_t)snprintf(csv + len, cap - len, "b%dt%d,verify,Is item %d open?,Yes|No\n",
                                    b, no, no);
        else
            len += (size_t)snprintf(csv + len, cap - len,
                                    "b%dt%d,choice,What sells at item %d?,Food|Phones|Cloth\n", b,
                                    no, no);
        W.ntasks++;
    }
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    char batch[32];
    snprintf(batch, sizeof batch, "soak-%d", b);
    csv_import_opts o = {.source = "soak.csv", .batch = batch, .requester = "Soak Survey",
                         .reward_minor = REWARD, .redundancy = 3, .est_seconds = 30,
                         .floor = PAYFLOOR_KES_DEFAULT};
    csv_import_result res;
    memset(&res, 0, sizeof res);
    FILE *f = fmemopen(csv, len, "rb");
    kz_status rc = store_open(W.db, STORE_OPEN_CREATE, &st, &err);
    if (rc == KZ_OK)
        rc = csv_import_file(st, f, &o, &res, &err);
    KT_CHECK(rc == KZ_OK && res.added == (uint64_t)W.batch_tasks, "import batch %d: %s", b,
             err.msg);
    fclose(f);
    store_close(st);
    free(csv);
}

/* ---- faults ---- */

static void fault(int m, sim_fault_kind k, long a, long b)
{
    KT_CHECK(sim_fault(W.sp[m].e, k, a, b, (uint64_t)W.vnow) == KZ_OK, "fault %d on m%d", k,
             m + 1);
    W.faults[k]++;
}

static void faults_step(void)
{
    for (int m = 0; m < N_MODEMS; m++) {
        if (W.register_at[m] && W.vnow >= W.register_at[m]) {
            fault(m, SIM_FAULT_REGISTER, 0, 0);
            W.register_at[m] = 0;
        }
        if (W.cycle_at[m] && W.vnow >= W.cycle_at[m]) {
            fault(m, SIM_FAULT_POWER_CYCLE, 0, 0);
            W.cycle_at[m] = 0;
            W.dead[m] = false;
            /* The operator, told "needs a manual power cycle (then restart kazi)", restarts. */
            int64_t op = W.vnow + (60 + rnd(600)) * 1000;
            W.next_restart_ms = op < W.next_restart_ms ? op : W.next_restart_ms;
        }
    }
    if (!W.faults_on || W.vnow < W.next_fault_ms)
        return;
    W.next_fault_ms = W.vnow + (60 + rnd(20 * 60)) * 1000;
    int m = (int)rnd(N_MODEMS);
    if (W.dead[m])
        return;
    switch (rnd(7)) {
    case 0: fault(m, SIM_FAULT_HANG, (long)(2000 + rnd(90000)), 0); break;
    case 1: fault(m, SIM_FAULT_RESET, 0, 0); break;
    case 2: fault(m, SIM_FAULT_GARBAGE, (long)(1 + rnd(200)), 0); break;
    case 3: fault(m, SIM_FAULT_CMS, chance(500) ? 500 : 331, (long)(1 + rnd(4))); break;
    case 4:
        if (!W.register_at[m]) {
            fault(m, SIM_FAULT_DEREGISTER, 0, 0);
            W.register_at[m] = W.vnow + (30 + rnd(30 * 60)) * 1000;
        }
        break;
    case 5:
        if (chance(300)) {
            fault(m, SIM_FAULT_DEAD, 0, 0);
            W.dead[m] = true;
            W.cycle_at[m] = W.vnow + (60 + rnd(20 * 60)) * 1000;
        }
        break;
    default: break; /* a quiet spell */
    }
}

/* Crash or clean stop at random; bring the daemon back after a short while. */
static void restarts_step(void)
{
    if (!W.d && W.vnow >= W.restart_at_ms) {
        daemon_start();
        return;
    }
    if (!W.d || W.d->stopping || W.vnow < W.next_restart_ms)
        return;
    W.next_restart_ms = W.faults_on ? W.vnow + (600 + rnd(8 * 3600)) * 1000 : INT64_MAX;
    W.restart_at_ms = W.vnow + rnd(180) * 1000;
    if (W.faults_on && chance(600)) {
        daemon_crash();
    } else {
        W.d->stopping = true;
        W.d->stop_deadline_ms = W.vnow + 5000; /* loop.c's STOP_GRACE_MS */
    }
}

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

static void make_workers(void)
{
    W.w = calloc((size_t)W.nworkers, sizeof *W.w);
    for (int i = 0; i < W.nworkers; i++) {
        worker *w = &W.w[i];
        /* Numbers never end in 99 (the script's empty float, which halts payouts until an
         * operator tops it up); every 98th ends in 98: its confirmation SMS is lost. */
        int last = i % 98 == 97 ? 98 : i % 98;
        snprintf(w->phone, sizeof w->phone, "+2547100%05d", 10000 + i / 98 * 100 + last);
        w->home = i % N_MODEMS;
        w->accuracy = 600 + (int)rnd(390);
        w->next_ms = W.vnow + rnd(3 * 3600) * 1000; /* joins within the first hours */
    }
    W.next_worker_ms = W.vnow;
}

static bool open_records(void)
{
    if (sqlite3_open(":memory:", &W.t) != SQLITE_OK)
        return false;
    sqlite3_busy_timeout(W.t, 5000);
    t_exec("CREATE TABLE tx (phone TEXT, body TEXT, at_ms INTEGER, modem INTEGER);"
           "CREATE TABLE rx (pdu TEXT, phone TEXT, at_ms INTEGER, modem INTEGER);"
           "CREATE TABLE stops (phone TEXT, body TEXT, from_ms INTEGER, to_ms INTEGER);"
           "CREATE INDEX rx_pdu ON rx (pdu); CREATE INDEX rx_phone ON rx (phone, at_ms);");
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

static void check_messages(void)
{
    /* Inbound: each (phone, text) as often as the phones sent it. */
    const char *in =
        "WITH t AS (SELECT phone, body, count(*) n FROM tx GROUP BY 1, 2),"
        " d AS (SELECT peer phone, body, count(*) n FROM k.messages WHERE direction = 'in'"
        " AND peer <> 'MPESA' GROUP BY 1, 2)"
        " SELECT t.phone, t.body, t.n, coalesce(d.n, 0) FROM t LEFT JOIN d USING (phone, body)"
        " WHERE coalesce(d.n, 0) <> t.n UNION ALL SELECT d.phone, d.body, 0, d.n FROM d"
        " LEFT JOIN t USING (phone, body) WHERE t.phone IS NULL";
    char sql[1200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", in);
    int64_t bad = t_int(sql);
    KT_CHECK(bad == 0, "every SMS the phones sent is stored exactly once (%lld (phone, text)"
             " pairs differ; phone text sent stored:)", (long long)bad);
    if (bad)
        t_show("inbound", in);
    /*
     * Outbound: per PDU, sent/delivered rows <= parts the network took <= those
     * + unknown + timeouts. The one documented duplicate: an AT+CMGS the modem
     * did not answer in time is retried (KZ_ERR_TIMEOUT). A part sent after such
     * retries has attempts > 1 and its message keeps the "timed out via <modem>"
     * error, so it may have reached the network up to `attempts` times.
     */
    const char *out =
        "WITH s AS (SELECT pdu, count(*) n FROM rx GROUP BY 1),"
        " o AS (SELECT p.pdu_hex pdu, sum(p.state IN ('sent','delivered')) ok,"
        " sum(p.state = 'unknown') unk, sum(CASE WHEN p.state IN ('sent','delivered')"
        " AND m.error LIKE 'timed out via %' THEN p.attempts - 1 ELSE 0 END) tmo,"
        " count(*) rows FROM k.outbox_parts p JOIN k.messages m ON m.id = p.message_id"
        " GROUP BY 1)"
        " SELECT s.pdu, s.n, coalesce(o.ok, 0), coalesce(o.unk, 0) FROM s LEFT JOIN o USING (pdu)"
        " WHERE s.n < coalesce(o.ok, 0)"
        " OR s.n > coalesce(o.ok, 0) + coalesce(o.unk, 0) + coalesce(o.tmo, 0)"
        " UNION ALL SELECT o.pdu, 0, o.ok, o.unk FROM o LEFT JOIN s USING (pdu)"
        " WHERE s.pdu IS NULL AND o.ok > 0";
    /* For a failure: when and where the network took it, and what the outbox recorded. */
    const char *why =
        "SELECT r.pdu, 'taken by m' || (r.modem + 1) || ' at ' || r.at_ms, (SELECT"
        " group_concat(p.modem || ' ' || p.state || ' attempts ' || p.attempts || ' mr ' ||"
        " coalesce(p.mr, '-') || ' ' || coalesce(p.error, '') || ' (message: ' ||"
        " coalesce(m.error, '') || ')', '; ') FROM k.outbox_parts p JOIN k.messages m"
        " ON m.id = p.message_id WHERE p.pdu_hex = r.pdu) FROM rx r WHERE r.pdu IN"
        " (SELECT pdu FROM rx GROUP BY 1 HAVING count(*) > 1)";
    /* The documented duplicates that the check above let through. */
    const char *timeouts =
        "SELECT count(*) FROM (SELECT r.pdu FROM rx r JOIN k.outbox_parts p ON p.pdu_hex = r.pdu"
        " JOIN k.messages m ON m.id = p.message_id WHERE p.state IN ('sent','delivered')"
        " AND p.attempts > 1 AND m.error LIKE 'timed out via %' GROUP BY r.pdu"
        " HAVING count(*) > 1)";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", out);
    bad = t_int(sql);
    KT_CHECK(bad == 0, "every part the network took was sent exactly once, or marked 'unknown'"
             " (%lld PDUs differ; pdu taken sent unknown:)", (long long)bad);
    if (bad) {
        t_show("outbound", out);
        t_show("taken more than once", why);
    }
    printf("  outbound duplicates after an unanswered AT+CMGS (retried on timeout): %lld\n",
           (long long)t_int(timeouts));
    KT_CHECK(t_int("SELECT count(*) FROM k.outbox_parts WHERE state IN ('queued','sending')") == 0,
             "no part left queued or sending");
    /* The inbox's fallback: stored, but the conversation could not handle it (no reply). */
    const char *unhandled = "SELECT id, peer, body, created_at FROM k.messages WHERE direction ="
                            " 'in' AND state = 'received'";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", unhandled);
    bad = t_int(sql);
    KT_CHECK(bad == 0, "every inbound SMS was handled (%lld left 'received':)", (long long)bad);
    if (bad)
        t_show("unhandled", unhandled);
}

static void check_work(void)
{
    KT_CHECK(t_int("SELECT count(*) FROM k.tasks t WHERE t.gold IS NULL AND NOT EXISTS"
                   " (SELECT 1 FROM k.task_results r WHERE r.task_id = t.id)") == 0,
             "every task resolved or flagged for review");
    KT_CHECK(t_int("SELECT count(*) FROM k.answers a WHERE a.late = 0 AND (SELECT count(*) FROM"
                   " k.ledger_entries l WHERE l.answer_id = a.id AND l.kind = 'reward' AND"
                   " l.amount_minor = 1000) <> 1") == 0,
             "every on-time answer paid exactly once");
    KT_CHECK(t_int("SELECT count(*) FROM k.answers a JOIN k.ledger_entries l ON"
                   " l.answer_id = a.id AND l.kind = 'reward' WHERE a.late = 1") == 0,
             "no late answer paid");
    KT_CHECK(t_int("SELECT count(*) FROM (SELECT task_id, worker_id FROM k.assignments"
                   " GROUP BY 1, 2 HAVING count(*) > 1)") == 0,
             "no worker got the same task twice");
    KT_CHECK(t_int("SELECT count(*) FROM k.tasks WHERE taken <> (SELECT count(*) FROM"
                   " k.assignments a WHERE a.task_id = tasks.id AND a.state IN"
                   " ('offered','answered'))") == 0,
             "taken counters exact");
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    size_t problems = 0;
    kz_status rc = store_open(W.db, 0, &st, &err);
    if (rc == KZ_OK)
        rc = payout_check(st, NULL, NULL, &problems, &err);
    KT_CHECK(rc == KZ_OK && problems == 0, "ledger check (kazi check): %zu problem(s) %s",
             problems, err.msg);
    store_close(st);
}

static void check_promises(void)
{
    /* Intervals still open at the end: the worker never came back. */
    for (int i = 0; i < W.nworkers; i++)
        if (W.w[i].stopped)
            record("INSERT INTO stops (phone, body, from_ms, to_ms) VALUES (?1, ?2, ?3, ?4)",
                   W.w[i].phone, "", W.w[i].stop_from_ms, INT64_MAX);
    const char *after_stop =
        "SELECT r.phone, r.at_ms, s.from_ms, s.to_ms FROM rx r JOIN stops s ON"
        " s.phone = r.phone AND r.at_ms >= s.from_ms AND r.at_ms < s.to_ms";
    char sql[1400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", after_stop);
    int64_t bad = t_int(sql);
    KT_CHECK(bad == 0, "nothing reached a worker after the reply to their STOP (%lld parts)",
             (long long)bad);
    if (bad)
        t_show("after STOP", after_stop);
    /* Pushes: created inside the window, and reached the network inside it (+ grace). */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM k.messages m WHERE m.direction = 'out' AND m.kind ="
             " 'unsolicited' AND EXISTS (SELECT 1 FROM k.assignments a WHERE a.message_id ="
             " m.id) AND ((m.created_at + %d) %% 86400) / 60 NOT BETWEEN %d AND %d",
             TZ_MIN * 60, PUSH_FROM, PUSH_TO - 1);
    KT_CHECK(t_int(sql) == 0, "no offer pushed outside %02d:00-%02d:00", PUSH_FROM / 60,
             PUSH_TO / 60);
    char q[700];
    snprintf(q, sizeof q,
             "SELECT r.phone, r.at_ms, m.id, m.created_at FROM rx r JOIN k.outbox_parts p ON"
             " p.pdu_hex = r.pdu JOIN k.messages m ON m.id = p.message_id WHERE m.kind ="
             " 'unsolicited' AND ((%lld + (r.at_ms - %lld) / 1000 + %d) %% 86400) / 60"
             " NOT BETWEEN %d AND %d",
             (long long)T0, (long long)V0, TZ_MIN * 60, PUSH_FROM,
             PUSH_TO - 1 + QUIET_GRACE_S / 60);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", q);
    bad = t_int(sql);
    KT_CHECK(bad == 0, "no unsolicited part reached a phone in quiet hours (%lld)",
             (long long)bad);
    if (bad)
        t_show("quiet hours", q);
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
