/*
 * cmd_batches.c - `kazi batches [--json] [--db FILE]`: every batch with its
 * progress, as an aligned table for people or JSON for scripts.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "money.h"

typedef struct batches_out {
    int json;
    json_t *arr;
    cli_table table;
    int oom;
} batches_out;

/* Percent of wanted answers received (capped at 100), in tenths. */
static int64_t progress_tenths(const store_batch_row *r)
{
    if (r->answers_needed <= 0)
        return 0;
    int64_t a = r->answers < r->answers_needed ? r->answers : r->answers_needed;
    return a * 1000 / r->answers_needed;
}

static int batch_row(void *ctx, const store_batch_row *r)
{
    batches_out *o = ctx;
    char reward[32], deadline[32], created[32];
    money_format(reward, sizeof reward, r->reward_minor, r->currency, 0);
    cli_time_format(r->deadline, deadline, sizeof deadline);
    cli_time_format(r->created_at, created, sizeof created);
    int64_t p = progress_tenths(r);
    if (o->json) {
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:s, s:I, s:I, s:I, s:I}", "name",
            r->name, "requester", r->requester, "state", r->state, "tasks", (json_int_t)r->tasks,
            "tasks_complete", (json_int_t)r->tasks_complete, "answers", (json_int_t)r->answers,
            "answers_needed", (json_int_t)r->answers_needed, "redundancy",
            (json_int_t)r->redundancy, "progress", (double)p / 1000.0, "currency", r->currency,
            "reward_minor", (json_int_t)r->reward_minor, "est_seconds",
            (json_int_t)r->est_seconds, "deadline", (json_int_t)r->deadline, "created_at",
            (json_int_t)r->created_at);
        if (!j || json_array_append_new(o->arr, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char tasks[24], done[24], answers[48], prog[16];
    snprintf(tasks, sizeof tasks, "%" PRId64, r->tasks);
    snprintf(done, sizeof done, "%" PRId64, r->tasks_complete);
    snprintf(answers, sizeof answers, "%" PRId64 "/%" PRId64, r->answers, r->answers_needed);
    snprintf(prog, sizeof prog, "%d.%d%%", (int)(p / 10), (int)(p % 10));
    const char *row[] = {r->name, r->requester, r->state, tasks, done, answers, prog, reward,
                         deadline, created};
    if (cli_table_add(&o->table, row) != 0)
        o->oom = 1;
    return o->oom;
}

int cmd_batches(int argc, char **argv)
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
            fprintf(stderr, "usage: kazi batches [--json] [--db FILE]\n");
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: kazi batches [--json] [--db FILE]\n");
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    static const char *const head[] = {"BATCH", "REQUESTER", "STATE", "TASKS", "DONE",
                                       "ANSWERS", "PROGRESS", "REWARD", "DEADLINE", "CREATED"};
    static const unsigned char right[] = {0, 0, 0, 1, 1, 1, 1, 1, 0, 0};
    batches_out o = {.json = json, .arr = json ? json_array() : NULL};
    cli_table_init(&o.table, sizeof head / sizeof head[0], head, right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = (json && !o.arr) ? KZ_ERR_NOMEM : store_batches_each(st, batch_row, &o, &err);
    store_close(st);
    if (s != KZ_OK || o.oom) {
        fprintf(stderr, "kazi batches: %s\n", o.oom || !err.msg[0] ? "out of memory" : err.msg);
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
