/*
 * cmd_appeals.c - `kazi appeals`: the human side of worker promise 2. Lists
 * appeals, decides one with a reason (overturn releases the held money,
 * uphold makes the hold final), and rejects an answer with a reason (the
 * reward is held, not forfeited, while it can be appealed).
 *
 *   kazi appeals [list] [--all] [--json] [--db FILE]
 *   kazi appeals decide ID --overturn|--uphold --reason TEXT [--reviewer NAME] [--db FILE]
 *   kazi appeals reject ANSWER_ID --reason TEXT [--db FILE]
 *
 * A rejection and a decision each queue one notice to the worker (worded by
 * tasks/conv_notice.c in the worker's language) in the same transaction as
 * the decision: both are committed, or neither. --config FILE takes the
 * database and the templates from the daemon's configuration.
 * Owns: those three verbs and the columns of the listing. Never writes the
 * ledger itself (tasks/engine_money.c does); never sends anything (the
 * outbox sends the queued notice).
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_conv.h"
#include "cli_db.h"
#include "conv.h"
#include "engine.h"
#include "money.h"

#define APPEALS_USAGE                                                                        \
    "usage: kazi appeals [list] [--all] [--json] [--db FILE]\n"                             \
    "       kazi appeals decide ID --overturn|--uphold --reason TEXT [--reviewer NAME]"     \
    " [--db FILE] [--config FILE]\n"                                                        \
    "       kazi appeals reject ANSWER_ID --reason TEXT [--db FILE] [--config FILE]\n"

typedef struct appeals_opts {
    const char *db, *reason, *reviewer, *config;
    int json, all, overturn, uphold;
} appeals_opts;

static int list_row(void *ctx, const engine_appeal_row *r)
{
    cli_listing *o = ctx;
    if (o->json) {
        json_t *j = json_pack(
            "{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
            "id", (json_int_t)r->id, "answer_id", (json_int_t)r->answer_id, "worker_id",
            (json_int_t)r->worker_id, "phone", r->phone, "batch", r->batch, "task", r->ext_id,
            "answer", r->answer, "reject_reason", r->reject_reason, "reason", r->reason, "state",
            r->state, "reviewer", r->reviewer, "decision", r->decision, "opened_at",
            (json_int_t)r->opened_at, "decided_at", (json_int_t)r->decided_at, "held_minor",
            (json_int_t)r->held_minor, "currency", r->currency);
        return cli_listing_add_json(o, j);
    }
    char id[24], held[40], opened[32];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    if (*r->currency)
        money_format(held, sizeof held, r->held_minor, r->currency, 0);
    else
        snprintf(held, sizeof held, "-");
    cli_time_format(r->opened_at, opened, sizeof opened);
    const char *row[] = {id, r->state, r->batch, r->ext_id, r->phone, r->answer,
                         r->reject_reason, *r->reason ? r->reason : "-", held, opened};
    return cli_listing_add_row(o, row);
}

/* arg: the appeals_opts (--all lists decided appeals too). */
static kz_status list_walk(kz_store *st, const void *arg, cli_listing *l, kz_err *err)
{
    const appeals_opts *op = arg;
    return engine_appeals_each(st, !op->all, list_row, l, err);
}

static int appeals_list(kz_store *st, const appeals_opts *op)
{
    static const char *const head[] = {"ID", "STATE", "BATCH", "TASK", "WORKER", "ANSWER",
                                       "REJECTED FOR", "APPEAL", "HELD", "OPENED"};
    static const unsigned char right[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static const cli_listing_spec spec = {
        .name = "appeals",
        .ncols = sizeof head / sizeof head[0],
        .head = head,
        .right = right,
        .walk = list_walk,
    };
    return cli_listing_show(st, &spec, op->json, op);
}

/* Parse a positive row id; 0 if s is not one. */
static int64_t parse_id(const char *s)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    return (s && *s && end && *end == '\0' && v > 0) ? (int64_t)v : 0;
}

/* Print the notice a decision queued (or why there is none). */
static void print_notice(const conv_reply *r)
{
    if (r->message_id)
        printf("notice queued to %s (%d segment%s): %s\n", r->to, r->segments,
               r->segments == 1 ? "" : "s", r->text);
    else
        printf("no notice: the worker has left Kazi (STOP)\n");
}

/* End the transaction of a decision: commit if s is KZ_OK, else roll back and say why. */
static int finish(kz_store *st, kz_status s, kz_err *err)
{
    if (s == KZ_OK)
        s = store_commit(st, err);
    if (s != KZ_OK) {
        store_rollback(st);
        fprintf(stderr, "kazi appeals: %s\n", err->msg[0] ? err->msg : kz_strerror(s));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int appeals_decide(kz_store *st, const conv_config *cfg, const appeals_opts *op,
                          int64_t id)
{
    kz_err err;
    kz_err_clear(&err);
    conv_reply notice;
    int64_t now = (int64_t)time(NULL);
    kz_status s = store_begin(st, &err);
    if (s == KZ_OK)
        s = engine_appeal_decide(st, id, op->overturn, op->reviewer, op->reason, now, &err);
    if (s == KZ_OK)
        s = conv_notify_appeal_decision(st, cfg, id, now, &notice, &err);
    if (finish(st, s, &err) != CLI_OK)
        return CLI_FAIL;
    printf("appeal %" PRId64 " %s\n", id,
           op->overturn ? "overturned: the held reward is released" : "upheld: the hold stands");
    print_notice(&notice);
    return CLI_OK;
}

static int appeals_reject(kz_store *st, const conv_config *cfg, const appeals_opts *op,
                          int64_t id)
{
    kz_err err;
    kz_err_clear(&err);
    conv_reply notice;
    int64_t now = (int64_t)time(NULL);
    kz_status s = store_begin(st, &err);
    if (s == KZ_OK)
        s = engine_reject(st, id, op->reason, now, &err);
    if (s == KZ_OK)
        s = conv_notify_rejection(st, cfg, id, op->reason, now, &notice, &err);
    if (finish(st, s, &err) != CLI_OK)
        return CLI_FAIL;
    printf("answer %" PRId64 " rejected; its reward is held for %d days or until an appeal"
           " is decided\n",
           id, ENGINE_APPEAL_DAYS);
    print_notice(&notice);
    return CLI_OK;
}

/* The usage checks of decide and reject; 0 if id_text and the options will do. */
static int64_t check_verb(const char *verb, const appeals_opts *op, const char *id_text)
{
    int64_t id = parse_id(id_text);
    bool decide = strcmp(verb, "decide") == 0;
    if (!id || !op->reason || (decide && op->overturn == op->uphold))
        return 0;
    return id;
}

/* decide or reject: the conversation's settings, the database, one transaction. */
static int appeals_act(const appeals_opts *op, const char *verb, const char *id_text)
{
    int64_t id = check_verb(verb, op, id_text);
    if (!id) {
        fputs(APPEALS_USAGE, stderr);
        return CLI_USAGE;
    }
    static conv_config cfg;
    char db[4096];
    if (cli_conv_load(op->config, &cfg, db, sizeof db) != CLI_OK)
        return CLI_FAIL;
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(op->db ? op->db : (*db ? db : NULL)), 0, &st);
    if (rc == CLI_OK) {
        rc = strcmp(verb, "decide") == 0 ? appeals_decide(st, &cfg, op, id)
                                         : appeals_reject(st, &cfg, op, id);
        store_close(st);
    }
    tmpl_free((tmpl_set *)cfg.templates);
    return rc;
}

/* Parse options anywhere on the line; the verb and its id are left in argv[optind..]. */
static int parse_opts(int argc, char **argv, appeals_opts *op)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},     {"all", no_argument, NULL, 'a'},
        {"overturn", no_argument, NULL, 'o'}, {"uphold", no_argument, NULL, 'u'},
        {"reason", required_argument, NULL, 'r'}, {"reviewer", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},     {"config", required_argument, NULL, 'c'},
        CLI_DB_OPTION,                        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': op->json = 1; break;
        case 'a': op->all = 1; break;
        case 'o': op->overturn = 1; break;
        case 'u': op->uphold = 1; break;
        case 'r': op->reason = optarg; break;
        case 'v': op->reviewer = optarg; break;
        case 'c': op->config = optarg; break;
        case 'D': op->db = optarg; break;
        default:
            fputs(APPEALS_USAGE, stderr);
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    return -1;
}

int cmd_appeals(int argc, char **argv)
{
    appeals_opts op = {0};
    int rc = parse_opts(argc, argv, &op);
    if (rc >= 0)
        return rc;
    const char *verb = optind < argc ? argv[optind] : "list";
    int nargs = argc - optind - (optind < argc);
    const char *arg = nargs > 0 ? argv[optind + 1] : NULL;
    bool is_list = strcmp(verb, "list") == 0;
    if ((is_list && nargs != 0) || (!is_list && nargs != 1) ||
        (!is_list && strcmp(verb, "decide") != 0 && strcmp(verb, "reject") != 0)) {
        fputs(APPEALS_USAGE, stderr);
        return CLI_USAGE;
    }
    if (!is_list)
        return appeals_act(&op, verb, arg);
    kz_store *st = NULL;
    rc = cli_db_open(cli_db_path(op.db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    rc = appeals_list(st, &op);
    store_close(st);
    return rc;
}
