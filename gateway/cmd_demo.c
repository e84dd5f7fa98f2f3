/*
 * cmd_demo.c - `kazi demo`: the whole loop on a machine with no hardware.
 * Two simulated modems (`kazi sim`), the sample batch imported (`kazi
 * import`), the real daemon (`kazi serve`), and a population of simulated
 * workers who JOIN, receive offers and answer by SMS through the
 * simulators, until the batch is complete; then `kazi export` and a last
 * line "results: PATH". Read top to bottom in cmd_demo().
 * Owns: the order of those steps, the demo's process group (every child
 * dies with it; SIGINT/SIGTERM stop them cleanly) and its time limit. Never
 * touches the database itself: children and the daemon do, and a demo
 * killed at any moment resumes from the database and its journal.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "demo_proc.h"
#include "demo_setup.h"
#include "demo_sim.h"
#include "demo_status.h"
#include "demo_view.h"
#include "demo_workers.h"

#define BATCH "water-kiosks"
#define REQUESTER "Maji Mtaani"
#define REWARD "5"
#define REDUNDANCY "3"
#define EST_SECONDS "30"

#define TICK_MS 50
#define COLLECT_MS 200
#define POLL_MS 1000
#define CTL_TIMEOUT_MS 5000
#define DRAIN_MS 10000
#define PAY_WORKERS 5    /* the daemon pays one at a time through the menu */
#define PAY_WAIT_MS 60000

typedef struct demo_opts {
    const char *db, *sample;
    long workers, tasks, latency_ms, timeout_s;
    bool no_view;
} demo_opts;

typedef struct demo {
    demo_opts o;
    demo_paths p;
    demo_sample sample;
    dw_pop pop;
    demo_sim sim[DEMO_MODEMS];
    demo_concat cc;
    pid_t sim_pid[DEMO_MODEMS], serve_pid;
    FILE *journal;
    demo_stats st;
    demo_score score;
    long long t0, deadline;
    bool tty;
    int view_lines;
    long last_plain_done, last_plain_answers;
    long long last_plain_ms;
    unsigned long notes_shown;
    char user[64]; /* started as root: the daemon drops to this user */
    bool paid_asked[PAY_WORKERS]; /* the payers (pay_idx) heard back after PAY */
    size_t pay_idx[PAY_WORKERS], npay;
    char *pay_json;  /* `kazi pay list --json` at the end */
    int check_rc;    /* `kazi check`'s exit status; -2: not run */
} demo;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* ---- options ---- */

static int usage(FILE *f, int status)
{
    fprintf(f, "usage: kazi demo [--db FILE] [--workers N] [--tasks N] [--latency MS] [--no-view]\n"
               "                 [--timeout SECONDS] [--sample FILE.csv]\n"
               "  --db FILE       keep the demo's database here (working files in FILE.demo/);\n"
               "                  default ./kazi-demo/demo.db. A demo stopped part-way resumes.\n"
               "  --workers N     simulated workers (default 25, 1-500)\n"
               "  --tasks N       tasks taken from the sample batch (default all 60)\n"
               "  --latency MS    network delay per SMS sent (default 400: the two modems get\n"
               "                  0.75x and 1.5x of it, 300 and 600 ms; 0 for a fast run)\n"
               "  --no-view       plain progress lines instead of the live panel\n"
               "  --timeout S     give up after S seconds (default 600)\n");
    return status;
}

static int number(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* CLI_OK, CLI_USAGE, or -1 after --help. */
static int parse_opts(int argc, char **argv, demo_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'},      {"workers", required_argument, NULL, 'w'},
        {"tasks", required_argument, NULL, 't'},   {"latency", required_argument, NULL, 'l'},
        {"no-view", no_argument, NULL, 'n'},       {"timeout", required_argument, NULL, 'T'},
        {"sample", required_argument, NULL, 's'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (demo_opts){.workers = 25, .tasks = 0, .latency_ms = 400, .timeout_s = 600};
    int c, bad = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'D')
            o->db = optarg;
        else if (c == 's')
            o->sample = optarg;
        else if (c == 'n')
            o->no_view = true;
        else if (c == 'w')
            bad |= number(optarg, 1, 500, &o->workers);
        else if (c == 't')
            bad |= number(optarg, 1, 100000, &o->tasks);
        else if (c == 'l')
            bad |= number(optarg, 0, 10000, &o->latency_ms);
        else if (c == 'T')
            bad |= number(optarg, 10, 86400, &o->timeout_s);
        else if (c == 'h')
            return usage(stdout, -1);
        else
            return usage(stderr, CLI_USAGE);
    }
    if (bad || optind != argc)
        return usage(stderr, CLI_USAGE);
    if (db_target_is_pg(o->db)) {
        fputs("kazi demo: --db takes a file: the demo keeps its working files beside it"
              " (PostgreSQL: docs/scaling.md)\n", stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* ---- children ---- */

static int open_log(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    int fd = dup(fileno(f));
    fclose(f);
    return fd;
}

static int start_sims(demo *d)
{
    for (int i = 0; i < DEMO_MODEMS; i++) {
        int ms = (int)(d->o.latency_ms * (i == 0 ? 3 : 6) / 4); /* 0.75x and 1.5x */
        d->st.modem[i].cmgs_ms = ms;
        snprintf(d->st.modem[i].name, sizeof d->st.modem[i].name, "m%d", i + 1);
        char cmgs[16], lat[16], seed[16];
        snprintf(cmgs, sizeof cmgs, "%d", ms);
        snprintf(lat, sizeof lat, "%d", d->o.latency_ms ? 10 : 0); /* other AT commands */
        snprintf(seed, sizeof seed, "%d", i + 1);
        char *args[] = {"sim", "--link", d->p.link[i], "--control", d->p.ctl[i],
                        "--cmgs-latency", cmgs, "--latency", lat, "--report-delay", "1500",
                        "--seed", seed, "--storage", "50", NULL, NULL, NULL};
        if (d->p.payouts) { /* the M-PESA menu and its confirmation SMS */
            args[15] = "--script";
            args[16] = d->p.sim_script;
        }
        int fd = open_log(d->p.sim_log[i]);
        d->sim_pid[i] = demo_spawn(args, fd);
        if (fd >= 0)
            close(fd);
        demo_sim_init(&d->sim[i], d->st.modem[i].name, d->p.ctl[i]);
        if (d->sim_pid[i] < 0 || demo_sim_connect(&d->sim[i], 10000) != 0) {
            fprintf(stderr, "kazi demo: simulated modem %s did not start (see %s)\n",
                    d->st.modem[i].name, d->p.sim_log[i]);
            return -1;
        }
    }
    d->st.nmodems = DEMO_MODEMS;
    return 0;
}

static int import_batch(demo *d)
{
    if (demo_status_has_batch(d->p.db, BATCH, (long)d->sample.n)) {
        d->st.resumed = true;
        return 0;
    }
    char *args[] = {"import", d->p.csv, "--batch", BATCH, "--requester", REQUESTER,
                    "--reward", REWARD, "--redundancy", REDUNDANCY, "--est-seconds",
                    EST_SECONDS, "--db", d->p.db, NULL};
    char *out = NULL;
    int rc = demo_run(args, 60000, &out, 2);
    if (rc == 0 && out && !d->tty)
        fputs(out, stdout);
    free(out);
    if (rc != 0)
        fprintf(stderr, "kazi demo: importing %s failed\n", d->p.csv);
    return rc == 0 ? 0 : -1;
}

/* Started as root: `kazi serve` refuses root, so it drops to a plain user. */
static void pick_user(demo *d)
{
    if (geteuid() != 0)
        return;
    const char *u = getenv("KAZI_DEMO_USER");
    const char *sudo = getenv("SUDO_USER");
    if (!u || !*u)
        u = sudo && *sudo && strcmp(sudo, "root") != 0 ? sudo : "nobody";
    snprintf(d->user, sizeof d->user, "%s", u);
    struct passwd *pw = getpwnam(d->user);
    if (pw && chown(d->p.dir, pw->pw_uid, pw->pw_gid) != 0)
        fprintf(stderr, "kazi demo: chown %s: %s\n", d->p.dir, strerror(errno));
}

static int start_serve(demo *d)
{
    char *args[] = {"serve", "-c", d->p.conf, NULL, NULL, NULL};
    if (d->user[0]) {
        args[3] = "--user";
        args[4] = d->user;
    }
    int fd = open_log(d->p.serve_log);
    d->serve_pid = demo_spawn(args, fd);
    if (fd >= 0)
        close(fd);
    return d->serve_pid > 0 ? 0 : -1;
}

/* Daemon first (it finishes what is in flight), then the modems. */
static void stop_children(demo *d)
{
    demo_stop(d->serve_pid, 8000);
    d->serve_pid = 0;
    for (int i = 0; i < DEMO_MODEMS; i++) {
        demo_sim_close(&d->sim[i]);
        demo_stop(d->sim_pid[i], 3000);
        d->sim_pid[i] = 0;
    }
}

/* A child that should be running has exited: say which and where to look. */
static int check_children(demo *d)
{
    if (demo_exited(d->serve_pid, NULL)) {
        d->serve_pid = 0;
        fprintf(stderr, "kazi demo: the daemon (kazi serve) exited; its log is %s\n",
                d->p.serve_log);
        return -1;
    }
    for (int i = 0; i < DEMO_MODEMS; i++)
        if (demo_exited(d->sim_pid[i], NULL)) {
            d->sim_pid[i] = 0;
            fprintf(stderr, "kazi demo: simulated modem m%d exited; its log is %s\n", i + 1,
                    d->p.sim_log[i]);
            return -1;
        }
    return 0;
}

/* ---- the workers' side of the network ---- */

static void journal(demo *d, const char *dir, const char *phone, const char *text)
{
    if (!d->journal)
        return;
    fprintf(d->journal, "%s\t%s\t", dir, phone);
    for (const char *p = text; *p; p++)
        fputc(*p == '\n' || *p == '\t' || *p == '\r' ? ' ' : *p, d->journal);
    fputc('\n', d->journal);
    fflush(d->journal);
}

static int send_sms(void *ctx, const dw_worker *w, const char *text)
{
    demo *d = ctx;
    size_t idx = (size_t)(w - d->pop.w);
    demo_sim *s = &d->sim[idx % DEMO_MODEMS]; /* the gateway number this worker was given */
    if (demo_sim_inject(s, w->phone, text, CTL_TIMEOUT_MS) != 0) {
        demo_sim_connect(s, 1000);
        return -1;
    }
    journal(d, "out", w->phone, text);
    return 0;
}

static void got_sms(void *ctx, const char *to, const char *text)
{
    demo *d = ctx;
    dw_worker *w = dw_find(&d->pop, to);
    if (!w)
        return;
    journal(d, "in", to, text);
    for (size_t i = 0; i < d->npay; i++)
        if (&d->pop.w[d->pay_idx[i]] == w)
            d->paid_asked[i] = true;
    dw_receive(&d->pop, w, text, demo_now_ms());
}

static int collect(demo *d)
{
    for (int i = 0; i < DEMO_MODEMS; i++)
        if (demo_sim_collect(&d->sim[i], &d->cc, got_sms, d, CTL_TIMEOUT_MS) < 0 &&
            demo_sim_connect(&d->sim[i], 1000) != 0)
            return -1;
    d->st.sms_out = d->sim[0].delivered + d->sim[1].delivered;
    d->st.sms_in = d->sim[0].injected + d->sim[1].injected;
    return 0;
}

/* ---- resuming ---- */

static void replay_line(demo *d, char *line, long long now)
{
    char *dir = strtok(line, "\t"), *phone = strtok(NULL, "\t"), *text = strtok(NULL, "\n");
    dw_worker *w = phone ? dw_find(&d->pop, phone) : NULL;
    if (!w || !text)
        return;
    if (strcmp(dir, "in") == 0)
        dw_receive(&d->pop, w, text, now);
    else if (strcmp(dir, "out") == 0)
        dw_replay_sent(w, text);
}

static void replay_journal(demo *d)
{
    FILE *f = fopen(d->p.journal, "r");
    if (!f)
        return;
    char line[1024];
    long long now = demo_now_ms();
    for (long n = 0; n < 1000000 && fgets(line, sizeof line, f); n++)
        replay_line(d, line, now);
    fclose(f);
}

static void registered(void *ctx, const char *phone, bool stopped)
{
    demo *d = ctx;
    dw_worker *w = dw_find(&d->pop, phone);
    if (w)
        dw_mark_registered(w, stopped, demo_now_ms());
}

static int start_workers(demo *d)
{
    uint64_t seed = 0x4b617a69ULL + (uint64_t)d->o.workers;
    if (dw_pop_init(&d->pop, (size_t)d->o.workers, seed, demo_now_ms() + 500, demo_sample_truth,
                    &d->sample) != 0) {
        fprintf(stderr, "kazi demo: out of memory\n");
        return -1;
    }
    replay_journal(d);
    if (demo_status_workers(d->p.db, registered, d) > 0)
        d->st.resumed = true;
    d->journal = fopen(d->p.journal, "a");
    return 0;
}

/* ---- the view ---- */

static void show(demo *d, long long now)
{
    d->st.elapsed_ms = now - d->t0;
    if (d->tty) {
        demo_view_draw(stdout, &d->st, &d->pop, &d->view_lines);
        return;
    }
    for (; d->notes_shown < d->pop.nnotes; d->notes_shown++) {
        unsigned long back = d->pop.nnotes - d->notes_shown;
        if (back <= d->pop.nrecent)
            printf("  %s\n", d->pop.recent[d->pop.nrecent - back]);
    }
    bool changed = d->st.tasks_complete != d->last_plain_done ||
                   d->st.answers != d->last_plain_answers;
    if ((changed && now - d->last_plain_ms >= 3000) || now - d->last_plain_ms >= 15000) {
        demo_view_line(stdout, &d->st);
        d->last_plain_done = d->st.tasks_complete;
        d->last_plain_answers = d->st.answers;
        d->last_plain_ms = now;
    }
}

static int export_results(demo *d)
{
    char *args[] = {"export", BATCH, "-o", d->p.results, "--db", d->p.db, NULL};
    if (demo_run(args, 60000, NULL, 2) != 0) {
        fprintf(stderr, "kazi demo: kazi export failed\n");
        return -1;
    }
    return 0;
}

/*
 * Every task has its answers (`kazi status`) and the engine has decided
 * each one, resolved or left for review (the results file says so: a task
 * whose answers disagree wants more first).
 */
static bool complete(demo *d)
{
    if (d->st.tasks <= 0 || d->st.tasks_complete < d->st.tasks)
        return false;
    return export_results(d) == 0 && demo_results_score(d->p.results, &d->score) == 0 &&
           d->score.rows > 0 && d->score.open == 0;
}

/* ---- the loop ---- */

static int why_stop(demo *d, long long now)
{
    if (stop_signal) {
        fprintf(stderr, "\nkazi demo: stopped by %s; run the same command again to resume "
                        "(database %s)\n",
                stop_signal == SIGINT ? "SIGINT" : "SIGTERM", d->p.db);
        return -1;
    }
    if (now >= d->deadline) {
        fprintf(stderr, "\nkazi demo: gave up after %ld s with %ld of %ld tasks complete; the "
                        "daemon's log is %s\n",
                d->o.timeout_s, d->st.tasks_complete, d->st.tasks, d->p.serve_log);
        return -1;
    }
    return check_children(d);
}

/*
 * Run until pred holds (or the limit): 0 when it held, -1 otherwise. With
 * act false the workers only read what reaches them and send nothing.
 */
static int run_until(demo *d, bool (*pred)(demo *), long long limit, bool act)
{
    long long next_collect = 0, next_poll = 0;
    for (;;) {
        long long now = demo_now_ms();
        if (why_stop(d, now) != 0)
            return -1;
        if (now >= next_collect) {
            if (collect(d) != 0)
                return -1;
            next_collect = now + COLLECT_MS;
        }
        if (act)
            dw_tick(&d->pop, now, send_sms, d);
        if (now >= next_poll) {
            if (demo_status_poll(d->p.db, BATCH, &d->st) == 0)
                d->pop.outbox_idle = d->st.outbox_waiting == 0;
            show(d, now);
            next_poll = now + POLL_MS;
            if (pred(d))
                return 0;
            if (now >= limit)
                return -1;
        }
        usleep(TICK_MS * 1000);
    }
}

static bool outbox_empty(demo *d)
{
    return d->st.outbox_waiting == 0;
}

/* ---- payouts ---- */

static json_t *pay_list(demo *d)
{
    char *args[] = {"pay", "list", "--json", "--db", d->p.db, NULL};
    char *out = NULL;
    json_t *j = NULL;
    if (demo_run(args, 20000, &out, -1) == 0 && out)
        j = json_loads(out, 0, NULL);
    if (j && !json_is_array(j)) {
        json_decref(j);
        j = NULL;
    }
    if (j) {
        free(d->pay_json);
        d->pay_json = out;
    } else {
        free(out);
    }
    return j;
}

/* Every payer heard back from Kazi and no payout is still on its way. */
static bool payouts_settled(demo *d)
{
    for (size_t i = 0; i < d->npay; i++)
        if (!d->paid_asked[i])
            return false;
    json_t *j = pay_list(d);
    if (!j)
        return false;
    size_t k;
    json_t *p;
    bool open = false;
    json_array_foreach(j, k, p) {
        const char *st = json_string_value(json_object_get(p, "state"));
        open |= !st || (strcmp(st, "confirmed") != 0 && strcmp(st, "failed") != 0 &&
                        strcmp(st, "unknown") != 0);
    }
    json_decref(j);
    return !open;
}

/* The first PAY_WORKERS workers still in Kazi send PAY; wait (bounded) until settled. */
static void pay_workers(demo *d)
{
    if (!d->p.payouts)
        return;
    for (size_t i = 0; i < d->pop.n && d->npay < PAY_WORKERS; i++) {
        dw_worker *w = &d->pop.w[i];
        if (w->state != DW_ACTIVE || send_sms(d, w, "PAY") != 0)
            continue;
        d->pay_idx[d->npay++] = i;
    }
    if (!d->tty)
        printf("  %zu workers send PAY: Kazi pays them through the simulated M-PESA menu, one "
               "at a time\n", d->npay);
    fflush(stdout);
    run_until(d, payouts_settled, demo_now_ms() + PAY_WAIT_MS, false);
    char *args[] = {"check", "--db", d->p.db, NULL};
    d->check_rc = demo_run(args, 60000, NULL, -1);
}

static const char *name_of(demo *d, const char *phone)
{
    dw_worker *w = phone ? dw_find(&d->pop, phone) : NULL;
    return w ? w->name : phone ? phone : "?";
}

static void report_pay(demo *d)
{
    if (!d->p.payouts) {
        printf("No payouts: the M-PESA menu script was not found beside %s.\n",
               KAZI_TEMPLATE_DIR);
        return;
    }
    json_t *j = d->pay_json ? json_loads(d->pay_json, 0, NULL) : NULL;
    long long paid = 0;
    long confirmed = 0, other = 0;
    size_t k;
    json_t *p;
    if (j)
        json_array_foreach(j, k, p) {
            const char *st = json_string_value(json_object_get(p, "state"));
            const char *who = name_of(d, json_string_value(json_object_get(p, "phone")));
            const char *ref = json_string_value(json_object_get(p, "provider_ref"));
            long long a = (long long)json_integer_value(json_object_get(p, "amount_minor"));
            char amount[32];
            if (a % 100)
                snprintf(amount, sizeof amount, "%lld.%02lld", a / 100, a % 100);
            else
                snprintf(amount, sizeof amount, "%lld", a / 100);
            if (st && strcmp(st, "confirmed") == 0) {
                printf("%s was paid KSh %s (M-PESA %s)\n", who, amount, ref ? ref : "?");
                paid += a;
                confirmed++;
            } else {
                const char *err = json_string_value(json_object_get(p, "error"));
                printf("%s's payout of KSh %s: %s%s%s\n", who, amount, st ? st : "?",
                       err && *err ? ", " : "", err && *err ? err : "");
                other++;
            }
        }
    json_decref(j);
    printf("Paid out: KSh %lld.%02lld in %ld M-PESA payouts (%ld not confirmed); %zu of the "
           "workers sent PAY\n(the demo pays only the first %d, since the daemon runs one "
           "menu session at a time).\n",
           paid / 100, paid % 100, confirmed, other, d->npay, PAY_WORKERS);
    if (d->check_rc == 0)
        printf("kazi check passes: balances, ledger and payouts reconcile.\n");
    else
        printf("kazi check FAILED (exit %d): run kazi check --db %s\n", d->check_rc, d->p.db);
}

static void report(demo *d)
{
    if (d->tty)
        printf("\n");
    demo_view_summary(stdout, &d->st, &d->pop);
    const demo_score *sc = &d->score;
    if (demo_results_score(d->p.results, &d->score) == 0 && sc->rows)
        printf("Consensus reached on %ld of %ld tasks (%ld left for a person to review); it\n"
               "matches the sample's true answer on %ld of them, despite the workers who are\n"
               "often wrong.\n",
               sc->decided, sc->rows, sc->review, sc->right);
    report_pay(d);
    printf("The daemon's log: %s; its configuration: %s\n", d->p.serve_log, d->p.conf);
}

/* ---- start-up ---- */

static int prepare(demo *d)
{
    char sample[DEMO_PATH_CAP];
    demo_sample_default(sample, sizeof sample);
    if (demo_proc_init() != 0 || demo_paths_make(&d->p, d->o.db) != 0 ||
        demo_sample_load(d->o.sample ? d->o.sample : sample, (size_t)d->o.tasks, d->p.csv,
                         &d->sample) != 0 ||
        demo_config_write(&d->p) != 0)
        return -1;
    pick_user(d);
    return 0;
}

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void intro(const demo *d)
{
    printf("Kazi demo: %ld simulated workers, %zu tasks of the sample batch (%s, for %s),\n"
           "two simulated modems (%d ms and %d ms per SMS sent), the real daemon.\n"
           "Working files: %s\n"
           "Note: the demo opens the push window to the whole day so it runs at any hour;\n"
           "a real deployment offers tasks unasked only 07:00-19:00.\n",
           d->o.workers, d->sample.n, BATCH, REQUESTER, d->st.modem[0].cmgs_ms,
           d->st.modem[1].cmgs_ms, d->p.dir);
    if (d->user[0])
        printf("Started as root: the daemon runs as user '%s'.\n", d->user);
    if (d->st.resumed)
        printf("Resuming the demo found in %s.\n", d->p.db);
    fflush(stdout);
}

static int run(demo *d)
{
    if (prepare(d) != 0 || start_sims(d) != 0 || import_batch(d) != 0 || start_serve(d) != 0 ||
        start_workers(d) != 0)
        return -1;
    intro(d);
    snprintf(d->st.batch, sizeof d->st.batch, "%s", BATCH);
    snprintf(d->st.requester, sizeof d->st.requester, "%s", REQUESTER);
    d->st.reward_minor = atoi(REWARD) * 100;
    if (run_until(d, complete, d->deadline, true) != 0)
        return -1;
    /* The batch is done: the last acknowledgements still reach the workers. */
    run_until(d, outbox_empty, demo_now_ms() + DRAIN_MS, false);
    pay_workers(d);
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    demo *d = calloc(1, sizeof *d);
    if (!d)
        return CLI_FAIL;
    int rc = parse_opts(argc, argv, &d->o);
    if (rc != CLI_OK) {
        free(d);
        return rc < 0 ? CLI_OK : rc;
    }
    signals();
    d->tty = !d->o.no_view && isatty(STDOUT_FILENO);
    d->t0 = demo_now_ms();
    d->deadline = d->t0 + d->o.timeout_s * 1000LL;
    d->check_rc = -2;
    rc = run(d) == 0 ? CLI_OK : CLI_FAIL;
    stop_children(d);
    if (rc == CLI_OK) {
        report(d);
        printf("results: %s\n", d->p.results);
    }
    if (d->journal)
        fclose(d->journal);
    dw_pop_free(&d->pop);
    demo_sample_free(&d->sample);
    free(d->pay_json);
    free(d);
    return rc;
}
