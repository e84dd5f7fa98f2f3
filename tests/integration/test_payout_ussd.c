/*
 * test_payout_ussd.c - issue 10's acceptance: the payout runner pays 100
 * workers by USSD through our modem driver, over a real pseudo-terminal,
 * against the simulator (tests/sim_pty.h, fake clock) playing
 * tests/data/ussd/mpesa-ke-payout.ussd and sending MPESA's SMS.
 * Run 1: no faults, 100 payouts confirmed. Run 2: a fault for most payouts,
 * chosen by worker: empty float, lost confirmation, duplicated confirmation,
 * confirmation for an unknown transaction, menu timeout (the modem hangs at
 * each menu step in turn), wrong PIN, crash between submit and confirmation
 * (runner, modem and store dropped, then reopened). The operator reacts to
 * halts, sees every unknown payout (also through `kazi pay list --state
 * unknown --json` when KAZI_BIN is set) and resolves what no SMS settles.
 * Totals must be exact: what each worker was confirmed equals what the
 * simulator really moved (nothing paid twice, nothing lost), balances follow,
 * and the ledger invariant (payout_check, as `kazi check`) holds after each
 * run. The PIN never reaches the database. Bounded by step and clock caps.
 */
#include <poll.h>

#include "concat.h"
#include "harness.h"
#include "modem.h"
#include "payout_ussd.h"
#include "sim_pty.h"
#include "store_engine.h"

#define N 100
#define T0 1705650000
#define PIN "5807"
#define MAX_STEPS 4000000
#define MAX_FAKE_MS (4LL * 3600 * 1000)

enum { K_NORMAL, K_FUNDS, K_LOST, K_DUP, K_STRANGER, K_HANG, K_WRONG_PIN, K_CRASH };

typedef struct world {
    simpty sp;
    modem *m;
    int64_t now;
    kz_store *st;
    char db[96];
    payout_script sc;
    money_sms_set *sms;
    payout_runner_config rcfg;
    payout_runner *r;
    concat_store *cs;
    int faults; /* run 2 */
    int64_t wid[N], earned[N], truth[N];
    int kind[N];
    char last_sms[N][300];
    int64_t cur, screens, wrong_pin_for;
    int64_t hang_clear_at, restart_at;
    bool crashed, crashed_once[N];
    int halts_pin, halts_float, crashes, hangs;
    unsigned long dup, unmatched;
    char pin_seen_in_events;
} world;

static void fail_setup(const char *what)
{
    KT_CHECK(0, "%s", what);
}

static int index_of_worker(world *w, int64_t worker_id)
{
    for (int i = 0; i < N; i++)
        if (w->wid[i] == worker_id)
            return i;
    return -1;
}

static int index_of_payout(world *w, int64_t payout_id)
{
    payout p;
    if (!payout_id || payout_get(w->st, payout_id, &p, NULL) != KZ_OK)
        return -1;
    return index_of_worker(w, p.worker_id);
}

/* ---- modem callbacks (the daemon's part) ---- */

static void on_ussd(void *ctx, modem *m, uint64_t sid, kz_status st, const cusd_reply *rep)
{
    world *w = ctx;
    payout_runner_status rs;
    if (!w->r)
        return;
    payout_runner_get_status(w->r, &rs);
    int i = index_of_payout(w, rs.current);
    if (rs.current != w->cur) {
        w->cur = rs.current;
        w->screens = 0;
    }
    w->screens++;
    const char *text = rep && rep->has_text ? rep->text : "";
    if (i >= 0 && st == KZ_OK && strncmp(text, "Sent", 4) == 0) {
        payout p;
        payout_get(w->st, rs.current, &p, NULL);
        w->truth[i] += p.amount_minor; /* the simulator moved the money */
    }
    if (i >= 0 && w->kind[i] == K_HANG && w->screens == 1 + (i / 10) % 4 && !w->hang_clear_at) {
        sim_fault(w->sp.e, SIM_FAULT_HANG, 0, 0, (uint64_t)w->now);
        w->hang_clear_at = w->now + 45000;
        w->hangs++;
    }
    payout_runner_on_ussd(w->r, m, sid, st, rep, w->now);
}

static void remember_sms(world *w, const char *text)
{
    for (int i = 0; i < N; i++) {
        char local[16];
        snprintf(local, sizeof local, "0711%04d", i);
        const char *p = strstr(text, local);
        if (p && strstr(text, "Confirmed")) {
            snprintf(w->last_sms[i], sizeof w->last_sms[i], "%s", text);
            return;
        }
    }
}

static kz_status on_sms(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                        size_t len)
{
    (void)m, (void)pdu, (void)len;
    world *w = ctx;
    if (w->crashed || !w->r)
        return KZ_ERR_DB; /* nobody to commit it: it stays on the SIM */
    bool done = false, has_ev = false;
    concat_msg out, ev;
    if (concat_add(w->cs, msg, w->now / 1000, &done, &out, &has_ev, &ev, NULL) != KZ_OK)
        return KZ_ERR_NOMEM;
    if (has_ev)
        concat_msg_free(&ev);
    if (!done)
        return KZ_OK;
    remember_sms(w, out.text);
    bool consumed = false;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = payout_runner_on_sms(w->r, out.sender.text, out.text, w->now, &consumed, &err);
    KT_CHECK(rc == KZ_OK && consumed, "provider SMS taken (%s): %s", err.msg, out.text);
    concat_msg_free(&out);
    return rc;
}

static void on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)m, (void)level;
    world *w = ctx;
    if (strstr(msg, PIN))
        w->pin_seen_in_events = 1;
    if (getenv("KAZI_TEST_VERBOSE"))
        fprintf(stderr, "%lld event: %s\n", (long long)w->now, msg);
}

static modem *open_modem(world *w)
{
    modem_config mc;
    memset(&mc, 0, sizeof mc);
    mc.name = "m1";
    mc.port = w->sp.link;
    mc.cmd_timeout_ms = 2000;
    mc.poll_interval_ms = 30000;
    mc.sweep_interval_ms = 20000;
    mc.reopen_interval_ms = 1000;
    mc.boot_wait_ms = 3000;
    mc.ussd_timeout_ms = 20000;
    modem_callbacks cb = {.ctx = w, .on_sms = on_sms, .on_ussd = on_ussd, .on_event = on_event};
    kz_err err;
    return modem_new(&mc, &cb, &err);
}

static bool open_runner(world *w, const char *pin)
{
    kz_err err;
    kz_err_clear(&err);
    w->rcfg.pin = pin;
    w->r = payout_runner_new(w->st, w->m, &w->sc, w->sms, &w->rcfg, w->now, &err);
    KT_CHECK(w->r != NULL, "runner: %s", err.msg);
    return w->r != NULL;
}

/* ---- the loop ---- */

static void operator_reacts(world *w)
{
    payout_runner_status rs;
    payout_runner_get_status(w->r, &rs);
    if (!rs.halted)
        return;
    if (strstr(rs.halt_reason, "wrong_pin")) {
        w->halts_pin++;
        payout_runner_resume(w->r, PIN);
        return;
    }
    if (strstr(rs.halt_reason, "float") || strstr(rs.halt_reason, "insufficient")) {
        w->halts_float++;
        payout_float_put(w->st, "mpesa-ke", "KES", 5000000, "operator top-up",
                         T0 + w->now / 1000, NULL);
        payout_runner_resume(w->r, NULL);
        return;
    }
    KT_CHECK(0, "unexpected halt: %s", rs.halt_reason);
    payout_runner_resume(w->r, NULL);
}

static void crash(world *w)
{
    payout_runner_free(w->r);
    w->r = NULL;
    modem_free(w->m);
    w->m = NULL;
    store_close(w->st);
    w->st = NULL;
    w->crashed = true;
    w->crashes++;
    w->restart_at = w->now + 30000;
}

static void restart(world *w)
{
    kz_err err;
    if (store_open(w->db, 0, &w->st, &err) != KZ_OK) {
        fail_setup("reopen the store");
        return;
    }
    w->m = open_modem(w);
    w->crashed = false;
    if (w->m)
        open_runner(w, PIN);
}

/* Faults the test drives from outside the callbacks. */
static void drive_faults(world *w)
{
    if (w->hang_clear_at && w->now >= w->hang_clear_at) {
        sim_fault(w->sp.e, SIM_FAULT_CLEAR, 0, 0, (uint64_t)w->now);
        w->hang_clear_at = 0;
    }
    if (w->crashed) {
        if (w->now >= w->restart_at)
            restart(w);
        return;
    }
    payout_runner_status rs;
    payout_runner_get_status(w->r, &rs);
    int i = index_of_payout(w, rs.current);
    if (i < 0)
        return;
    if (w->kind[i] == K_WRONG_PIN && w->wrong_pin_for != rs.current) {
        w->wrong_pin_for = rs.current; /* the operator mistyped the PIN in the config */
        payout_runner_resume(w->r, "0000");
    }
    if (w->kind[i] == K_CRASH && !w->crashed_once[i] && strcmp(rs.phase, "await-sms") == 0) {
        w->crashed_once[i] = true;
        crash(w);
    }
}

static void step(world *w)
{
    w->sp.now = (uint64_t)w->now;
    simpty_pump(&w->sp);
    bool io = false;
    int fd = w->m ? modem_fd(w->m) : -1;
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = modem_poll_events(w->m)};
        if (poll(&p, 1, 2) > 0 && p.revents) {
            io = true;
            modem_on_io(w->m, p.revents, w->now);
        }
    }
    if (w->m)
        modem_tick(w->m, w->now);
    if (w->m) { /* the daemon's power-cycle hook for a modem that stopped answering */
        modem_status ms;
        modem_get_status(w->m, &ms);
        if (ms.state == MODEM_DEAD && !w->hang_clear_at)
            modem_restart(w->m);
    }
    drive_faults(w);
    if (w->r) {
        kz_err err;
        kz_status rc = payout_runner_step(w->r, w->now, &err);
        KT_CHECK(rc == KZ_OK, "runner step: %s", err.msg);
        operator_reacts(w);
    }
    if (w->sp.moved || io)
        return;
    int64_t next = w->m ? modem_next_deadline(w->m) : INT64_MAX;
    uint64_t sd = simpty_deadline(&w->sp);
    if (sd != UINT64_MAX && (int64_t)sd < next)
        next = (int64_t)sd;
    if (w->r && payout_runner_next_deadline(w->r) < next)
        next = payout_runner_next_deadline(w->r);
    if (w->hang_clear_at && w->hang_clear_at < next)
        next = w->hang_clear_at;
    if (w->crashed && w->restart_at < next)
        next = w->restart_at;
    if (next <= w->now)
        next = w->now + 1;
    if (next - w->now > 1000)
        next = w->now + 1000;
    w->now = next;
}

static int count_state(world *w, const char *state)
{
    int n = 0;
    for (int i = 0; i < N; i++) {
        (void)i;
    }
    payout p;
    for (int64_t id = 1; payout_get(w->st, id, &p, NULL) == KZ_OK; id++)
        n += strcmp(p.state, state) == 0;
    return n;
}

static bool settled(world *w)
{
    if (w->crashed || !w->r)
        return false;
    payout_runner_status rs;
    payout_runner_get_status(w->r, &rs);
    return strcmp(rs.phase, "idle") == 0 && count_state(w, "requested") == 0 &&
           count_state(w, "sending") == 0 && count_state(w, "sent") == 0 && !w->hang_clear_at;
}

/* Run until settled and quiet for quiet_ms of fake time. */
static void run_settle(world *w, int64_t quiet_ms)
{
    int64_t since = -1;
    for (long k = 0; k < MAX_STEPS && w->now < MAX_FAKE_MS; k++) {
        step(w);
        if (!settled(w)) {
            since = -1;
            continue;
        }
        if (since < 0)
            since = w->now;
        if (w->now - since >= quiet_ms)
            return;
    }
    payout_runner_status rs = {.phase = "none"};
    if (w->r)
        payout_runner_get_status(w->r, &rs);
    modem_status ms = {.state = MODEM_CLOSED};
    if (w->m)
        modem_get_status(w->m, &ms);
    KT_CHECK(0, "the run did not settle by %lld ms: modem %s, runner %s (%s), %d requested,"
             " %d sending, %d sent, crashed %d, hang %lld", (long long)w->now,
             modem_state_name(ms.state), rs.phase, rs.halt_reason,
             w->st ? count_state(w, "requested") : -1, w->st ? count_state(w, "sending") : -1,
             w->st ? count_state(w, "sent") : -1, w->crashed, (long long)w->hang_clear_at);
}

/* ---- setup and checks ---- */

static void print_problem(void *ctx, const char *p)
{
    (void)ctx;
    fprintf(stderr, "  ledger: %s\n", p);
}

static void ledger_ok(world *w, const char *where)
{
    size_t n = 99;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(payout_check(w->st, print_problem, NULL, &n, &err) == KZ_OK && n == 0,
             "%s: ledger invariant (%zu problems) %s", where, n, err.msg);
}

static int world_open(world *w, int faults, const char *tag)
{
    memset(w, 0, sizeof *w);
    w->now = 1000;
    w->faults = faults;
    /* tmpfs when there is one: synchronous=FULL fsyncs every commit, and a
     * busy disk would make the test slow without testing anything more. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(w->db, sizeof w->db, "%s/kazi-payout-ussd-%s-%d.db", dir, tag, (int)getpid());
    unlink(w->db);
    kz_err err;
    kz_err_clear(&err);
    sim_config sc;
    sim_config_init(&sc);
    sc.wall_base_s = T0;
    sim_engine *e = sim_new(&sc, (uint64_t)w->now, &err);
    char script[8192];
    FILE *f = fopen("tests/data/ussd/mpesa-ke-payout.ussd", "r");
    size_t n = f ? fread(script, 1, sizeof script, f) : 0;
    if (f)
        fclose(f);
    if (!e || sim_ussd_load(e, script, n, &err) != KZ_OK || simpty_open(&w->sp, e, 1000) != 0) {
        fail_setup(err.msg);
        return -1;
    }
    w->sms = money_sms_new();
    if (money_sms_load_dir(w->sms, "tasks/providers", &err) != KZ_OK ||
        payout_script_load("tasks/providers/mpesa-ke.ussd-script", &w->sc, &err) != KZ_OK ||
        store_open(w->db, STORE_OPEN_CREATE, &w->st, &err) != KZ_OK) {
        fail_setup(err.msg);
        return -1;
    }
    payout_config_defaults(&w->rcfg.pay);
    w->rcfg.method = PAYOUT_USSD;
    w->rcfg.confirm_timeout_s = 120;
    w->rcfg.wall_offset_s = T0;
    w->cs = concat_new(64, 3600);
    w->m = open_modem(w);
    return w->m && open_runner(w, PIN) ? 0 : -1;
}

static void world_close(world *w)
{
    payout_runner_free(w->r);
    modem_free(w->m);
    store_close(w->st);
    simpty_close(&w->sp);
    payout_script_clear(&w->sc);
    money_sms_free(w->sms);
    concat_free(w->cs);
    char side[120];
    unlink(w->db);
    snprintf(side, sizeof side, "%s-wal", w->db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", w->db);
    unlink(side);
}

static int kind_for(int i)
{
    /* A hang disturbs the payouts right after it (they fail safely before their
     * PIN); normal ones follow it so every other fault gets a clean start. */
    static const int by_digit[10] = {K_NORMAL, K_FUNDS, K_LOST, K_DUP, K_STRANGER,
                                     K_WRONG_PIN, K_CRASH, K_HANG, K_NORMAL, K_NORMAL};
    return by_digit[i % 10];
}

/* 100 workers, worker i earned KSh 100+i, each asks for the whole balance. */
static void add_workers(world *w)
{
    for (int i = 0; i < N; i++) {
        w->kind[i] = w->faults ? kind_for(i) : K_NORMAL;
        const char *suffix = w->kind[i] == K_FUNDS ? "99" : w->kind[i] == K_LOST ? "98" : "10";
        char phone[40];
        snprintf(phone, sizeof phone, "+254711%04d%s", i, suffix);
        store_worker_ensure(w->st, phone, NULL, NULL, &w->wid[i], NULL);
        w->earned[i] = (100 + i) * 100;
        store_eng_entry e = {.worker_id = w->wid[i], .kind = "reward",
                             .amount_minor = w->earned[i], .currency = "KES", .at = T0};
        KT_CHECK(store_eng_ledger_add(w->st, &e, NULL) == KZ_OK, "reward %d", i);
        payout p;
        kz_err err;
        KT_CHECK(payout_request(w->st, &w->rcfg.pay, w->wid[i], 0, NULL, T0, &p, &err) == KZ_OK,
                 "request %d: %s", i, err.msg);
    }
}

static int64_t confirmed_of(world *w, int i)
{
    int64_t sum = 0;
    payout p;
    for (int64_t id = 1; payout_get(w->st, id, &p, NULL) == KZ_OK; id++)
        if (p.worker_id == w->wid[i] && strcmp(p.state, "confirmed") == 0)
            sum += p.amount_minor;
    return sum;
}

static void totals_exact(world *w, const char *where)
{
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int64_t got = confirmed_of(w, i), bal = 0;
        payout_quote q;
        payout_quote_get(w->st, &w->rcfg.pay, w->wid[i], 1, &q, NULL);
        bal = q.available_minor;
        if (got != w->truth[i] || bal != w->earned[i] - w->truth[i]) {
            bad++;
            fprintf(stderr, "%s: worker %d (kind %d) confirmed %lld, moved %lld, balance %lld\n",
                    where, i, w->kind[i], (long long)got, (long long)w->truth[i], (long long)bal);
        }
    }
    KT_CHECK(bad == 0, "%s: every worker's money exact (%d wrong)", where, bad);
}

/* The PIN must never reach the database file. */
static void pin_not_stored(world *w)
{
    char path[128];
    int found = 0;
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s%s", w->db, k ? "-wal" : "");
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        static char buf[1 << 22];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t j = 0; j + 4 <= n; j++)
            found += memcmp(buf + j, PIN, 4) == 0;
    }
    KT_CHECK(found == 0 && !w->pin_seen_in_events, "the PIN is in no file and no modem event");
}

/* ---- run 1: no faults ---- */

static void test_clean(void)
{
    world w;
    if (world_open(&w, 0, "clean") != 0) {
        world_close(&w);
        return;
    }
    add_workers(&w);
    run_settle(&w, 30000);
    KT_CHECK(count_state(&w, "confirmed") == N, "all %d confirmed (%d)", N,
             count_state(&w, "confirmed"));
    totals_exact(&w, "clean");
    ledger_ok(&w, "clean run");
    pin_not_stored(&w);
    printf("clean run: %d payouts confirmed in %lld s of fake time\n", N,
           (long long)(w.now / 1000));
    world_close(&w);
}

/* ---- run 2: faults ---- */

static int unknown_cb(void *ctx, const payout *p)
{
    world *w = ctx;
    int i = index_of_worker(w, p->worker_id);
    bool lost = i >= 0 && w->kind[i] == K_LOST;
    bool hang_after_pin = i >= 0 && w->kind[i] == K_HANG;
    KT_CHECK(lost || hang_after_pin, "unknown payout %lld belongs to worker %d kind %d",
             (long long)p->id, i, i >= 0 ? w->kind[i] : -1);
    return 0;
}

static int dump_cb(void *ctx, const payout *p)
{
    world *w = ctx;
    int i = index_of_worker(w, p->worker_id);
    fprintf(stderr, "payout %lld worker %d kind %d %s: %s\n", (long long)p->id, i,
            i >= 0 ? w->kind[i] : -1, p->state, p->error);
    return 0;
}

static void cli_unknowns(world *w, int want)
{
    const char *bin = getenv("KAZI_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        printf("skip: KAZI_BIN not set, `kazi pay list` not run\n");
        return;
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "%s pay list --state unknown --json --db %s", bin, w->db);
    FILE *p = popen(cmd, "r");
    int n = 0;
    char line[512];
    while (p && fgets(line, sizeof line, p))
        n += strstr(line, "\"state\": \"unknown\"") != NULL;
    int rc = p ? pclose(p) : -1;
    KT_CHECK(rc == 0 && n == want, "kazi pay list --state unknown shows %d of %d", n, want);
}

static void inject(world *w, const char *text)
{
    kz_err err;
    KT_CHECK(sim_inject_text(w->sp.e, "MPESA", text, strlen(text), SMS_CODING_AUTO, NULL,
                             (uint64_t)w->now, &err) == KZ_OK,
             "inject: %s", err.msg);
}

static void reconcile(world *w)
{
    int lost = 0;
    payout p;
    for (int i = 0; i < N; i++) {
        if (w->kind[i] == K_LOST)
            lost++;
        if (w->kind[i] == K_DUP && w->last_sms[i][0])
            inject(w, w->last_sms[i]); /* the network delivers it again */
        if (w->kind[i] == K_STRANGER) {
            char t[200];
            snprintf(t, sizeof t, "ZZ%08d Confirmed. Ksh%d.00 sent to 0799%06d on 19/1/24 at 9:00 PM."
                     " New M-PESA balance is Ksh1,000.00.", i, 300 + i, i);
            inject(w, t);
        }
    }
    /* Late confirmations for half of the lost ones; the operator decides the rest. */
    for (int64_t id = 1; payout_get(w->st, id, &p, NULL) == KZ_OK; id++) {
        int i = index_of_worker(w, p.worker_id);
        if (strcmp(p.state, "unknown") != 0 || i < 0 || w->kind[i] != K_LOST || (i / 10) % 2)
            continue;
        char t[200];
        snprintf(t, sizeof t, "LT%08d Confirmed. Ksh%lld.00 sent to 0711%04d98 on 19/1/24 at 11:00 PM."
                 " New M-PESA balance is Ksh40,000.00.", i, (long long)(p.amount_minor / 100), i);
        inject(w, t);
    }
    payout_runner_status before;
    payout_runner_get_status(w->r, &before);
    run_settle(w, 60000);
    payout_runner_status after;
    payout_runner_get_status(w->r, &after);
    KT_CHECK(after.sms_duplicate - before.sms_duplicate >= 10, "duplicates ignored (%lu)",
             after.sms_duplicate - before.sms_duplicate);
    KT_CHECK(after.sms_unmatched - before.sms_unmatched >= 10,
             "unknown transactions kept for the operator (%lu)",
             after.sms_unmatched - before.sms_unmatched);
    (void)lost;
    for (int64_t id = 1; payout_get(w->st, id, &p, NULL) == KZ_OK; id++) {
        int i = index_of_worker(w, p.worker_id);
        if (strcmp(p.state, "unknown") != 0 || i < 0)
            continue;
        bool moved = w->truth[i] >= p.amount_minor;
        kz_err err;
        KT_CHECK(payout_resolve(w->st, &w->rcfg.pay, p.id, moved,
                                moved ? "statement shows the transfer" : "statement: no transfer",
                                T0 + w->now / 1000, &err) == KZ_OK,
                 "operator resolves %lld: %s", (long long)p.id, err.msg);
    }
}

static void test_faults(void)
{
    world w;
    if (world_open(&w, 1, "faults") != 0) {
        world_close(&w);
        return;
    }
    add_workers(&w);
    run_settle(&w, 200000);
    int unknown = count_state(&w, "unknown");
    printf("fault run: %d confirmed, %d failed, %d unknown; %d crashes, %d hangs, %d PIN halts,"
           " %d float halts\n",
           count_state(&w, "confirmed"), count_state(&w, "failed"), unknown, w.crashes, w.hangs,
           w.halts_pin, w.halts_float);
    KT_CHECK(w.crashes == 10 && w.hangs == 10, "every crash and hang happened (%d, %d)",
             w.crashes, w.hangs);
    KT_CHECK(w.halts_pin >= 10 && w.halts_float >= 10, "halts on wrong PIN and empty float");
    KT_CHECK(unknown >= 10, "lost confirmations are unknown, not guessed (%d)", unknown);
    payout_each(w.st, "unknown", unknown_cb, &w, NULL);
    if (getenv("KAZI_TEST_DUMP"))
        payout_each(w.st, NULL, dump_cb, &w, NULL);
    cli_unknowns(&w, unknown);
    ledger_ok(&w, "fault run, before reconciling");
    for (int i = 0; i < N; i++) {
        int64_t got = confirmed_of(&w, i);
        KT_CHECK(got <= w.truth[i], "worker %d never confirmed more than moved", i);
    }
    reconcile(&w);
    KT_CHECK(count_state(&w, "unknown") == 0 && count_state(&w, "sending") == 0 &&
                 count_state(&w, "sent") == 0 && count_state(&w, "requested") == 0,
             "every payout settled");
    totals_exact(&w, "fault run");
    ledger_ok(&w, "fault run, reconciled");
    pin_not_stored(&w);
    world_close(&w);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_clean();
    test_faults();
    return kt_report();
}
