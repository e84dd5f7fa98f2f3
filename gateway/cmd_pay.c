/*
 * cmd_pay.c - `kazi pay`: payouts for the operator (docs/payouts.md).
 *   kazi pay [list] [--state S] [--json] [--db FILE]
 *   kazi pay sms [--all] [--json] [--db FILE]     provider SMS needing a human
 *   kazi pay run [--method ussd|airtime|file] [--db FILE] [-c CONF] [--max-seconds N]
 *   kazi pay export FILE [--db FILE]              the `file` method, out
 *   kazi pay import RESULT.csv [--db FILE]        the `file` method, back
 *   kazi pay resolve ID confirmed|failed --reason TEXT [--db FILE]
 * Owns: the subcommand table of `pay`, its output and the foreground run
 * loop. Never prints or logs the mobile-money PIN; never resends a payout.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_db.h"
#include "concat.h"
#include "ini.h"
#include "money.h"
#include "payout.h"
#include "payout_file.h"
#include "payout_ussd.h"

/* What `pay run` reads from -c CONF ([gateway] database, the first [modem] port, [payout]). */
typedef struct pay_conf {
    char database[256], port[256], script[256], providers[256], airtime_script[256];
    char pin[32];
    int baud, confirm_timeout_s;
    payout_config pay;
} pay_conf;

typedef struct pay_opts {
    const char *db, *conf, *state, *reason;
    int json, all, max_seconds;
    payout_method method;
} pay_opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: kazi pay [list] [--state S] [--json] [--db FILE]\n"
            "       kazi pay sms [--all] [--json] [--db FILE]\n"
            "       kazi pay run [--method ussd|airtime|file] [--db FILE] [-c CONF]\n"
            "       kazi pay export FILE [--db FILE]\n"
            "       kazi pay import RESULT.csv [--db FILE]\n"
            "       kazi pay resolve ID confirmed|failed --reason TEXT [--db FILE]\n");
}

/* Parse options into o; returns the index of the first operand, or -1 (usage). */
static int parse_opts(int argc, char **argv, pay_opts *o)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"all", no_argument, NULL, 'a'},         {"method", required_argument, NULL, 'm'},
        {"reason", required_argument, NULL, 'r'}, {"max-seconds", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o->state = optarg; break;
        case 'j': o->json = 1; break;
        case 'a': o->all = 1; break;
        case 'r': o->reason = optarg; break;
        case 'c': o->conf = optarg; break;
        case 'D': o->db = optarg; break;
        case 'x': o->max_seconds = atoi(optarg); break;
        case 'm':
            if (payout_method_parse(optarg, &o->method) != 0)
                return -1;
            break;
        default: return -1;
        }
    }
    return optind;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- list ---- */

typedef struct list_out {
    int json, oom;
    json_t *arr;
    cli_table table;
} list_out;

static json_t *payout_json(const payout *p)
{
    return json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I}",
                     "id", (json_int_t)p->id, "worker_id", (json_int_t)p->worker_id, "phone",
                     p->phone, "amount_minor", (json_int_t)p->amount_minor, "currency",
                     p->currency, "fee_minor", (json_int_t)p->fee_minor, "state", p->state,
                     "method", p->method, "provider_ref", p->provider_ref, "idempotency_key",
                     p->key, "error", p->error, "pin_sent", p->committed, "created_at",
                     (json_int_t)p->created_at, "updated_at", (json_int_t)p->updated_at);
}

static int list_row(void *ctx, const payout *p)
{
    list_out *o = ctx;
    if (o->json) {
        json_t *j = payout_json(p);
        if (!j || json_array_append_new(o->arr, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char id[24], w[24], amount[40], upd[32];
    snprintf(id, sizeof id, "%" PRId64, p->id);
    snprintf(w, sizeof w, "%" PRId64, p->worker_id);
    money_format(amount, sizeof amount, p->amount_minor, p->currency, 0);
    cli_time_format(p->updated_at, upd, sizeof upd);
    const char *row[] = {id, w, p->phone, amount, p->state, *p->method ? p->method : "-",
                         *p->provider_ref ? p->provider_ref : "-", upd,
                         *p->error ? p->error : ""};
    if (cli_table_add(&o->table, row) != 0)
        o->oom = 1;
    return o->oom;
}

static const char *const states[] = {"requested", "submitted", "sending", "sent",
                                     "confirmed", "failed",    "unknown", NULL};

static int valid_state(const char *s)
{
    for (size_t i = 0; states[i]; i++)
        if (strcmp(s, states[i]) == 0)
            return 1;
    return 0;
}

static void print_float(kz_store *st)
{
    payout_config cfg;
    payout_config_defaults(&cfg);
    int64_t bal = 0, at = 0, day = 0;
    bool found = false;
    char b[40], d[40], when[32];
    payout_day_total(st, &cfg, now_s(), &day, NULL);
    money_format(d, sizeof d, day, cfg.currency, 0);
    if (payout_float_get(st, cfg.currency, &bal, &at, &found, NULL) == KZ_OK && found) {
        money_format(b, sizeof b, bal, cfg.currency, 0);
        cli_time_format(at, when, sizeof when);
        printf("float %s (seen %s); submitted today %s\n", b, when, d);
    } else {
        printf("float not seen yet; submitted today %s\n", d);
    }
}

static int count_sms(void *ctx, const payout_sms_row *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static int pay_list(kz_store *st, const pay_opts *o)
{
    if (o->state && !valid_state(o->state)) {
        fprintf(stderr, "kazi pay: unknown state %s (requested, submitted, sending, sent,"
                        " confirmed, failed, unknown)\n", o->state);
        return CLI_USAGE;
    }
    static const char *const head[] = {"ID", "WORKER", "PHONE", "AMOUNT", "STATE", "METHOD",
                                       "REF", "UPDATED", "NOTE"};
    static const unsigned char right[] = {1, 1, 0, 1, 0, 0, 0, 0, 0};
    list_out out = {.json = o->json, .arr = o->json ? json_array() : NULL};
    cli_table_init(&out.table, 9, head, right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = payout_each(st, o->state, list_row, &out, &err);
    int rc = CLI_OK;
    if (s != KZ_OK || out.oom) {
        fprintf(stderr, "kazi pay: %s\n", out.oom ? "out of memory" : err.msg);
        rc = CLI_FAIL;
    } else if (o->json) {
        json_dumpf(out.arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        print_float(st);
        cli_table_print(&out.table, stdout);
        int n = 0;
        payout_sms_each(st, false, count_sms, &n, NULL);
        if (n)
            printf("%d provider SMS fit no payout or a settled one: kazi pay sms\n", n);
    }
    json_decref(out.arr);
    cli_table_free(&out.table);
    return rc;
}

/* ---- sms ---- */

static int sms_row(void *ctx, const payout_sms_row *r)
{
    list_out *o = ctx;
    if (o->json) {
        json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "id",
                              (json_int_t)r->id, "payout_id", (json_int_t)r->payout_id,
                              "provider", r->provider, "sender", r->sender, "type", r->type,
                              "failure", r->failure, "transaction_id", r->transaction_id,
                              "outcome", r->outcome, "amount_minor", (json_int_t)r->amount_minor,
                              "body", r->body, "received_at", (json_int_t)r->received_at);
        if (!j || json_array_append_new(o->arr, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char id[24], pid[24], when[32];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    snprintf(pid, sizeof pid, "%" PRId64, r->payout_id);
    cli_time_format(r->received_at, when, sizeof when);
    const char *row[] = {id, r->outcome, r->payout_id ? pid : "-", when, r->body};
    if (cli_table_add(&o->table, row) != 0)
        o->oom = 1;
    return o->oom;
}

static int pay_sms(kz_store *st, const pay_opts *o)
{
    static const char *const head[] = {"ID", "OUTCOME", "PAYOUT", "RECEIVED", "TEXT"};
    static const unsigned char right[] = {1, 0, 1, 0, 0};
    list_out out = {.json = o->json, .arr = o->json ? json_array() : NULL};
    cli_table_init(&out.table, 5, head, right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = payout_sms_each(st, o->all, sms_row, &out, &err);
    int rc = s == KZ_OK && !out.oom ? CLI_OK : CLI_FAIL;
    if (rc != CLI_OK)
        fprintf(stderr, "kazi pay sms: %s\n", out.oom ? "out of memory" : err.msg);
    else if (o->json)
        json_dumpf(out.arr, stdout, JSON_INDENT(2)), fputc('\n', stdout);
    else
        cli_table_print(&out.table, stdout);
    json_decref(out.arr);
    cli_table_free(&out.table);
    return rc;
}

static void request_due(kz_store *st, const payout_config *cfg);

/* ---- resolve, export, import ---- */

static int pay_resolve(kz_store *st, const pay_opts *o, int argc, char **argv, int first)
{
    if (argc - first != 2 || (strcmp(argv[first + 1], "confirmed") != 0 &&
                              strcmp(argv[first + 1], "failed") != 0)) {
        usage();
        return CLI_USAGE;
    }
    char *end = NULL;
    int64_t id = strtoll(argv[first], &end, 10);
    if (!*argv[first] || *end || id <= 0) {
        fprintf(stderr, "kazi pay resolve: %s is not a payout id\n", argv[first]);
        return CLI_USAGE;
    }
    payout_config cfg;
    payout_config_defaults(&cfg);
    kz_err err;
    kz_err_clear(&err);
    bool ok = strcmp(argv[first + 1], "confirmed") == 0;
    if (payout_resolve(st, &cfg, id, ok, o->reason, now_s(), &err) != KZ_OK) {
        fprintf(stderr, "kazi pay resolve: %s\n", err.msg);
        return CLI_FAIL;
    }
    printf("payout %" PRId64 " %s\n", id, argv[first + 1]);
    return CLI_OK;
}

static int pay_export(kz_store *st, const char *path)
{
    FILE *f = fopen(path, "wbx"); /* never overwrite a file that may have been uploaded */
    if (!f) {
        fprintf(stderr, "kazi pay export: %s: cannot create (does it exist already?)\n", path);
        return CLI_FAIL;
    }
    payout_config cfg;
    payout_config_defaults(&cfg);
    request_due(st, &cfg); /* everyone whose balance reached the threshold */
    size_t n = 0;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = payout_export(st, &cfg, f, now_s(), &n, &err);
    if (fclose(f) != 0 && s == KZ_OK)
        s = kz_err_set(&err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: write failed", path);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi pay export: %s\n", err.msg);
        return CLI_FAIL;
    }
    printf("%zu payouts written to %s: upload it, then kazi pay import the result file\n", n,
           path);
    return CLI_OK;
}

static void import_report(void *ctx, long line, const char *what)
{
    fprintf(stderr, "%s:%ld: %s\n", (const char *)ctx, line, what);
}

static int pay_import(kz_store *st, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(4 << 20);
    size_t n = f && buf ? fread(buf, 1, 4 << 20, f) : 0;
    if (f)
        fclose(f);
    if (!f || !buf) {
        fprintf(stderr, "kazi pay import: %s: cannot read\n", path);
        free(buf);
        return CLI_FAIL;
    }
    payout_config cfg;
    payout_config_defaults(&cfg);
    payout_import_counts c;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = payout_import(st, &cfg, buf, n, now_s(), import_report, (void *)path, &c, &err);
    free(buf);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi pay import: %s\n", err.msg);
        return CLI_FAIL;
    }
    printf("%zu applied, %zu already settled, %zu refused\n", c.applied, c.unchanged, c.rejected);
    return c.rejected ? CLI_FAIL : CLI_OK;
}

/* ---- run ---- */

static int conf_key(void *user, const char *section, const char *name, const char *value)
{
    pay_conf *c = user;
    if (strcmp(section, "gateway") == 0 && strcmp(name, "database") == 0)
        snprintf(c->database, sizeof c->database, "%s", value);
    else if (strncmp(section, "modem", 5) == 0 && strcmp(name, "port") == 0 && !c->port[0])
        snprintf(c->port, sizeof c->port, "%s", value);
    else if (strncmp(section, "modem", 5) == 0 && strcmp(name, "baud") == 0)
        c->baud = atoi(value);
    else if (strcmp(section, "payout") != 0)
        return 1;
    else if (strcmp(name, "pin") == 0)
        snprintf(c->pin, sizeof c->pin, "%s", value);
    else if (strcmp(name, "script") == 0)
        snprintf(c->script, sizeof c->script, "%s", value);
    else if (strcmp(name, "airtime_script") == 0)
        snprintf(c->airtime_script, sizeof c->airtime_script, "%s", value);
    else if (strcmp(name, "providers") == 0)
        snprintf(c->providers, sizeof c->providers, "%s", value);
    else if (strcmp(name, "confirm_timeout") == 0)
        c->confirm_timeout_s = atoi(value);
    else if (strcmp(name, "daily_cap") == 0 || strcmp(name, "min") == 0) {
        int64_t v = 0;
        if (money_parse(value, strlen(value), c->pay.currency, &v, NULL) != KZ_OK)
            return 0;
        *(name[0] == 'd' ? &c->pay.daily_cap_minor : &c->pay.min_minor) = v;
    } else
        return 0; /* unknown [payout] key: inih reports the line */
    return 1;
}

typedef struct run_ctx {
    payout_runner *r;
    const money_sms_set *sms;
    concat_store *cs;
    int64_t now;
} run_ctx;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_on_ussd(void *ctx, modem *m, uint64_t sid, kz_status st, const cusd_reply *rep)
{
    run_ctx *c = ctx;
    payout_runner_on_ussd(c->r, m, sid, st, rep, c->now);
}

static kz_status run_on_sms(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                            size_t len)
{
    (void)m, (void)pdu, (void)len;
    run_ctx *c = ctx;
    bool done = false, has_ev = false, consumed = false;
    concat_msg out, ev;
    /* A worker's SMS (any part of it) is not ours: leave it on the SIM for `kazi serve`. */
    if (!money_sms_sender_known(c->sms, msg->address.text) ||
        concat_add(c->cs, msg, c->now / 1000, &done, &out, &has_ev, &ev, NULL) != KZ_OK)
        return KZ_ERR_STATE;
    if (has_ev)
        concat_msg_free(&ev);
    if (!done)
        return KZ_OK;
    kz_status rc = payout_runner_on_sms(c->r, out.sender.text, out.text, c->now, &consumed, NULL);
    concat_msg_free(&out);
    return rc == KZ_OK && consumed ? KZ_OK : KZ_ERR_STATE;
}

static void run_on_event(void *ctx, modem *m, int level, const char *msg)
{
    (void)ctx, (void)m;
    if (level <= 1)
        fprintf(stderr, "kazi pay run: modem: %s\n", msg);
}

static int run_loop(modem *m, run_ctx *c, kz_store *st, int max_seconds)
{
    int64_t start = c->now;
    for (;;) {
        c->now = mono_ms();
        payout_runner_status rs;
        payout_runner_get_status(c->r, &rs);
        if (rs.halted) {
            fprintf(stderr, "kazi pay run: halted: %s\n", rs.halt_reason);
            return CLI_FAIL;
        }
        payout p;
        bool more = false;
        payout_next_requested(st, &p, &more, NULL);
        if (!more && strcmp(rs.phase, "idle") == 0)
            return CLI_OK;
        if (max_seconds > 0 && c->now - start > (int64_t)max_seconds * 1000) {
            fprintf(stderr, "kazi pay run: stopped after %d s\n", max_seconds);
            return CLI_FAIL;
        }
        int fd = modem_fd(m);
        struct pollfd pf = {.fd = fd, .events = fd >= 0 ? modem_poll_events(m) : 0};
        int64_t next = modem_next_deadline(m), rn = payout_runner_next_deadline(c->r);
        int64_t wait = (rn < next ? rn : next) - c->now;
        wait = wait < 0 ? 0 : wait > 500 ? 500 : wait;
        if (poll(&pf, fd >= 0 ? 1 : 0, (int)wait) > 0 && pf.revents)
            modem_on_io(m, pf.revents, mono_ms());
        c->now = mono_ms();
        modem_tick(m, c->now);
        kz_err err;
        kz_err_clear(&err);
        if (payout_runner_step(c->r, c->now, &err) != KZ_OK) {
            fprintf(stderr, "kazi pay run: %s\n", err.msg);
            return CLI_FAIL;
        }
    }
}

static int run_ussd(kz_store *st, pay_conf *pc, const pay_opts *o)
{
    const char *script = o->method == PAYOUT_AIRTIME ? pc->airtime_script : pc->script;
    if (!pc->port[0] || !pc->pin[0] || !script[0] || !pc->providers[0]) {
        fprintf(stderr, "kazi pay run: the configuration needs a [modem] port and [payout] pin,"
                        " %s and providers\n", o->method == PAYOUT_AIRTIME ? "airtime_script" : "script");
        return CLI_USAGE;
    }
    payout_script sc;
    money_sms_set *sms = money_sms_new();
    kz_err err;
    kz_err_clear(&err);
    if (!sms || payout_script_load(script, &sc, &err) != KZ_OK ||
        money_sms_load_dir(sms, pc->providers, &err) != KZ_OK) {
        fprintf(stderr, "kazi pay run: %s\n", sms ? err.msg : "out of memory");
        payout_script_clear(&sc);
        money_sms_free(sms);
        return CLI_FAIL;
    }
    run_ctx c = {.cs = concat_new(32, 3600), .sms = sms, .now = mono_ms()};
    modem_config mc = {.name = "pay", .port = pc->port, .baud = pc->baud};
    modem_callbacks cb = {.ctx = &c, .on_sms = run_on_sms, .on_ussd = run_on_ussd,
                          .on_event = run_on_event};
    modem *m = modem_new(&mc, &cb, &err);
    payout_runner_config rc = {.pay = pc->pay, .method = o->method, .pin = pc->pin,
                               .confirm_timeout_s = pc->confirm_timeout_s,
                               .wall_offset_s = now_s() - c.now / 1000};
    c.r = m ? payout_runner_new(st, m, &sc, sms, &rc, c.now, &err) : NULL;
    memset(pc->pin, 0, sizeof pc->pin);
    int out = CLI_FAIL;
    if (!c.r)
        fprintf(stderr, "kazi pay run: %s\n", err.msg);
    else
        out = run_loop(m, &c, st, o->max_seconds > 0 ? o->max_seconds : 3600);
    payout_runner_status rs = {.phase = "none"};
    if (c.r)
        payout_runner_get_status(c.r, &rs);
    printf("started %lu, confirmed %lu, failed %lu, unknown %lu (kazi pay list --state unknown)\n",
           rs.started, rs.confirmed, rs.failed, rs.unknown);
    payout_runner_free(c.r);
    modem_free(m);
    concat_free(c.cs);
    payout_script_clear(&sc);
    money_sms_free(sms);
    return out;
}

typedef struct due_ctx {
    kz_store *st;
    const payout_config *cfg;
    int64_t ids[4096];
    size_t n;
} due_ctx;

static int due_row(void *ctx, const store_worker_row *w)
{
    due_ctx *d = ctx;
    if (strcmp(w->currency, d->cfg->currency) == 0 && w->balance_minor >= d->cfg->threshold_minor &&
        d->n < 4096)
        d->ids[d->n++] = w->id;
    return 0;
}

/* Request a payout for every worker whose balance reached the threshold. */
static void request_due(kz_store *st, const payout_config *cfg)
{
    due_ctx *d = calloc(1, sizeof *d);
    if (!d)
        return;
    d->st = st;
    d->cfg = cfg;
    store_workers_each(st, due_row, d, NULL);
    for (size_t i = 0; i < d->n; i++) {
        payout p;
        int64_t amount = 0;
        payout_quote q;
        if (payout_quote_get(st, cfg, d->ids[i], 0, &q, NULL) == KZ_ERR_RANGE &&
            q.amount_minor > cfg->max_minor)
            amount = cfg->max_minor; /* the rest follows in a later payout */
        (void)payout_request(st, cfg, d->ids[i], amount, NULL, now_s(), &p, NULL);
    }
    free(d);
}

static int pay_run(kz_store **stp, const pay_opts *o)
{
    pay_conf pc;
    memset(&pc, 0, sizeof pc);
    payout_config_defaults(&pc.pay);
    if (o->conf) {
        int line = ini_parse(o->conf, conf_key, &pc);
        if (line != 0) {
            fprintf(stderr, "kazi pay run: %s%s%d: cannot read\n", o->conf,
                    line > 0 ? ":" : "", line > 0 ? line : 0);
            return CLI_FAIL;
        }
    }
    if (o->method == PAYOUT_FILE) {
        fprintf(stderr, "kazi pay run: the file method is kazi pay export FILE, then import\n");
        return CLI_USAGE;
    }
    if (!*stp) {
        int rc = cli_db_open(cli_db_path(o->db ? o->db : pc.database[0] ? pc.database : NULL), 0,
                             stp);
        if (rc != CLI_OK)
            return rc;
    }
    request_due(*stp, &pc.pay);
    return run_ussd(*stp, &pc, o);
}

int cmd_pay(int argc, char **argv)
{
    pay_opts o = {.method = PAYOUT_USSD};
    int first = parse_opts(argc, argv, &o);
    if (first < 0) {
        usage();
        return CLI_USAGE;
    }
    const char *sub = first < argc ? argv[first++] : "list";
    kz_store *st = NULL;
    int rc;
    if (strcmp(sub, "run") == 0) {
        rc = first == argc ? pay_run(&st, &o) : CLI_USAGE;
        store_close(st);
        return rc;
    }
    int want = strcmp(sub, "export") == 0 || strcmp(sub, "import") == 0 ? 1
               : strcmp(sub, "resolve") == 0                           ? 2
                                                                       : 0;
    if (argc - first != want || (strcmp(sub, "list") != 0 && strcmp(sub, "sms") != 0 && !want)) {
        usage();
        return CLI_USAGE;
    }
    rc = cli_db_open(cli_db_path(o.db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    if (strcmp(sub, "list") == 0)
        rc = pay_list(st, &o);
    else if (strcmp(sub, "sms") == 0)
        rc = pay_sms(st, &o);
    else if (strcmp(sub, "export") == 0)
        rc = pay_export(st, argv[first]);
    else if (strcmp(sub, "import") == 0)
        rc = pay_import(st, argv[first]);
    else
        rc = pay_resolve(st, &o, argc, argv, first);
    store_close(st);
    return rc;
}
