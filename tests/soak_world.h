/*
 * soak_world.h - test helper for tests/integration/test_soak.c: the
 * simulated world. Owns the run's constants, the seeded PRNG, the state of
 * the run (soak_state W: the virtual clock, the simulators, the daemon
 * handle, the figures), the test's own records of what the phones sent and
 * received (an in-memory SQLite database, tx/rx/stops), the worker
 * population and its behaviour (joining, answering offers right, wrong or
 * late, NEXT, STOP and coming back, PAY), and the task batches imported
 * into the daemon's database.
 * Never injects faults or restarts the daemon, never checks the run's
 * outcome, never reads the wall clock (the PRNG's seed is set by the driver).
 */
#ifndef KAZI_TEST_SOAK_WORLD_H
#define KAZI_TEST_SOAK_WORLD_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_import.h"
#include "harness.h"
#include "payout.h"
#include "serve.h"
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

typedef struct soak_state {
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
} soak_state;

static soak_state W; /* the one run; the driver sets it up and frees it */

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

/* ---- the population and the records ---- */

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

#endif
