/*
 * cmd_workers.c - `kazi workers [--json] [--db FILE]`: every registered
 * worker with state, answers and balance, as a table or JSON.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "money.h"

typedef struct workers_out {
    int json;
    json_t *arr;
    cli_table table;
    int oom;
} workers_out;

static int worker_row(void *ctx, const store_worker_row *r)
{
    workers_out *o = ctx;
    char joined[32], balance[40];
    cli_time_format(r->joined_at, joined, sizeof joined);
    if (*r->currency)
        money_format(balance, sizeof balance, r->balance_minor, r->currency, 0);
    else
        snprintf(balance, sizeof balance, "0");
    if (o->json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I}", "id",
                              (json_int_t)r->id, "phone", r->phone, "name", r->name, "lang",
                              r->lang, "state", r->state, "answers", (json_int_t)r->answers,
                              "currency", r->currency, "balance_minor",
                              (json_int_t)r->balance_minor, "joined_at",
                              (json_int_t)r->joined_at);
        if (!j || json_array_append_new(o->arr, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char id[24], answers[24];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    snprintf(answers, sizeof answers, "%" PRId64, r->answers);
    const char *row[] = {id, r->phone, *r->name ? r->name : "-", r->lang, r->state, answers,
                         balance, joined};
    if (cli_table_add(&o->table, row) != 0)
        o->oom = 1;
    return o->oom;
}

int cmd_workers(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int json = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'D': db = optarg; break;
        default:
            fprintf(stderr, "usage: kazi workers [--json] [--db FILE]\n");
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: kazi workers [--json] [--db FILE]\n");
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    static const char *const head[] = {"ID", "PHONE", "NAME", "LANG", "STATE", "ANSWERS",
                                       "BALANCE", "JOINED"};
    static const unsigned char right[] = {1, 0, 0, 0, 0, 1, 1, 0};
    workers_out o = {.json = json, .arr = json ? json_array() : NULL};
    cli_table_init(&o.table, sizeof head / sizeof head[0], head, right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = (json && !o.arr) ? KZ_ERR_NOMEM : store_workers_each(st, worker_row, &o, &err);
    store_close(st);
    if (s != KZ_OK || o.oom) {
        fprintf(stderr, "kazi workers: %s\n", o.oom || !err.msg[0] ? "out of memory" : err.msg);
        rc = CLI_FAIL;
    } else if (json) {
        json_dumpf(o.arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        cli_table_print(&o.table, stdout);
    }
    json_decref(o.arr);
    cli_table_free(&o.table);
    return rc;
}
