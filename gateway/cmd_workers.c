/*
 * cmd_workers.c - `kazi workers [--json] [--db FILE]`: every registered
 * worker with state, answers and balance, as a table or JSON.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "money.h"

static int worker_row(void *ctx, const store_worker_row *r)
{
    cli_listing *o = ctx;
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
        return cli_listing_add_json(o, j);
    }
    char id[24], answers[24];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    snprintf(answers, sizeof answers, "%" PRId64, r->answers);
    const char *row[] = {id, r->phone, *r->name ? r->name : "-", r->lang, r->state, answers,
                         balance, joined};
    return cli_listing_add_row(o, row);
}

static kz_status walk(kz_store *st, const void *arg, cli_listing *l, kz_err *err)
{
    (void)arg;
    return store_workers_each(st, worker_row, l, err);
}

int cmd_workers(int argc, char **argv)
{
    static const char *const head[] = {"ID", "PHONE", "NAME", "LANG", "STATE", "ANSWERS",
                                       "BALANCE", "JOINED"};
    static const unsigned char right[] = {1, 0, 0, 0, 0, 1, 1, 0};
    static const cli_listing_spec spec = {
        .name = "workers",
        .ncols = sizeof head / sizeof head[0],
        .head = head,
        .right = right,
        .walk = walk,
    };
    return cli_listing_run(argc, argv, &spec);
}
