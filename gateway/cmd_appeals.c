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
 * Owns: those three verbs and the columns of the listing. Never writes the
 * ledger itself (tasks/engine_money.c does); never sends the worker anything
 * (the conversation layer words notices).
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_db.h"
#include "engine.h"
#include "money.h"

#define APPEALS_USAGE                                                                        \
    "usage: kazi appeals [list] [--all] [--json] [--db FILE]\n"                             \
    "       kazi appeals decide ID --overturn|--uphold --reason TEXT [--reviewer NAME]"     \
    " [--db FILE]\n"                                                                        \
    "       kazi appeals reject ANSWER_ID --reason TEXT [--db FILE]\n"

typedef struct appeals_opts {
    const char *db, *reason, *reviewer;
    int json, all, overturn, uphold;
} appeals_opts;

typedef struct list_out {
    int json, oom;
    json_t *arr;
    cli_table table;
} list_out;

static int list_row(void *ctx, const engine_appeal_row *r)
{
    list_out *o = ctx;
    if (o->json) {
        json_t *j = json_pack(
            "{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
            "id", (json_int_t)r->id, "answer_id", (json_int_t)r->answer_id, "worker_id",
            (json_int_t)r->worker_id, "phone", r->phone, "batch", r->batch, "task", r->ext_id,
            "answer", r->answer, "reject_reason", r->reject_reason, "reason", r->reason, "state",
            r->state, "reviewer", r->reviewer, "decision", r->decision, "opened_at",
            (json_int_t)r->opened_at, "decided_at", (json_int_t)r->decided_at, "held_minor",
            (json_int_t)r->held_minor, "currency", r->currency);
        if (!j || json_array_append_new(o->arr, j) != 0)
            o->oom = 1;
        return o->oom;
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
    if (cli_table_add(&o->table, row) != 0)
        o->oom = 1;
    return o->oom;
}

static int appeals_list(kz_store *st, const appeals_opts *op)
{
    static const char *const head[] = {"ID", "STATE", "BATCH", "TASK", "WORKER", "ANSWER",
                                       "REJECTED FOR", "APPEAL", "HELD", "OPENED"};
    static const unsigned char right[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    list_out o = {.json = op->json, .arr = op->json ? json_array() : NULL};
    cli_table_init(&o.table, sizeof head / sizeof head[0], head, right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = (op->json && !o.arr) ? KZ_ERR_NOMEM
                                       : engine_appeals_each(st, !op->all, list_row, &o, &err);
    int rc = CLI_OK;
    if (s != KZ_OK || o.oom) {
        fprintf(stderr, "kazi appeals: %s\n", o.oom || !err.msg[0] ? "out of memory" : err.msg);
        rc = CLI_FAIL;
    } else if (op->json) {
        json_dumpf(o.arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        cli_table_print(&o.table, stdout);
    }
    json_decref(o.arr);
    cli_table_free(&o.table);
    return rc;
}

/* Parse a positive row id; 0 if s is not one. */
static int64_t parse_id(const char *s)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    return (s && *s && end && *end == '\0' && v > 0) ? (int64_t)v : 0;
}

static int appeals_decide(kz_store *st, const appeals_opts *op, const char *id_text)
{
    int64_t id = parse_id(id_text);
    if (!id || op->overturn == op->uphold || !op->reason) {
        fputs(APPEALS_USAGE, stderr);
        return CLI_USAGE;
    }
    kz_err err;
    kz_err_clear(&err);
    kz_status s = engine_appeal_decide(st, id, op->overturn, op->reviewer, op->reason,
                                       (int64_t)time(NULL), &err);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi appeals: %s\n", err.msg[0] ? err.msg : kz_strerror(s));
        return CLI_FAIL;
    }
    printf("appeal %" PRId64 " %s\n", id,
           op->overturn ? "overturned: the held reward is released" : "upheld: the hold stands");
    return CLI_OK;
}

static int appeals_reject(kz_store *st, const appeals_opts *op, const char *id_text)
{
    int64_t id = parse_id(id_text);
    if (!id || !op->reason) {
        fputs(APPEALS_USAGE, stderr);
        return CLI_USAGE;
    }
    kz_err err;
    kz_err_clear(&err);
    kz_status s = engine_reject(st, id, op->reason, (int64_t)time(NULL), &err);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi appeals: %s\n", err.msg[0] ? err.msg : kz_strerror(s));
        return CLI_FAIL;
    }
    printf("answer %" PRId64 " rejected; its reward is held for %d days or until an appeal"
           " is decided\n",
           id, ENGINE_APPEAL_DAYS);
    return CLI_OK;
}

/* Parse options anywhere on the line; the verb and its id are left in argv[optind..]. */
static int parse_opts(int argc, char **argv, appeals_opts *op)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},     {"all", no_argument, NULL, 'a'},
        {"overturn", no_argument, NULL, 'o'}, {"uphold", no_argument, NULL, 'u'},
        {"reason", required_argument, NULL, 'r'}, {"reviewer", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},     CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
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
    kz_store *st = NULL;
    rc = cli_db_open(cli_db_path(op.db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    if (is_list)
        rc = appeals_list(st, &op);
    else if (strcmp(verb, "decide") == 0)
        rc = appeals_decide(st, &op, arg);
    else
        rc = appeals_reject(st, &op, arg);
    store_close(st);
    return rc;
}
