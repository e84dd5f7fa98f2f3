/*
 * cmd_flags.c - `kazi flags [--json] [--db FILE]`: the numbers that reached
 * an inbound limit (number_flags: rate, repeat, oversized, binary,
 * reply_cap), one row per number, limit and local day, the latest first,
 * with the worker if the number is one.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "store_abuse.h"

static int flag_row(void *ctx, const store_flag_row *r)
{
    cli_listing *o = ctx;
    if (o->json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "peer", r->peer,
                              "kind", r->kind, "day", r->day, "hits", (json_int_t)r->hits,
                              "first_at", (json_int_t)r->first_at, "last_at",
                              (json_int_t)r->last_at, "message_id", (json_int_t)r->message_id,
                              "worker_id", (json_int_t)r->worker_id);
        return cli_listing_add_json(o, j);
    }
    char hits[24], worker[24], first[32], last[32];
    snprintf(hits, sizeof hits, "%" PRId64, r->hits);
    if (r->worker_id)
        snprintf(worker, sizeof worker, "%" PRId64, r->worker_id);
    else
        snprintf(worker, sizeof worker, "-");
    cli_time_format(r->first_at, first, sizeof first);
    cli_time_format(r->last_at, last, sizeof last);
    const char *row[] = {r->day, r->peer, worker, r->kind, hits, first, last};
    return cli_listing_add_row(o, row);
}

static kz_status walk(kz_store *st, const void *arg, cli_listing *l, kz_err *err)
{
    (void)arg;
    return store_abuse_flags_each(st, flag_row, l, err);
}

int cmd_flags(int argc, char **argv)
{
    static const char *const head[] = {"DAY", "NUMBER", "WORKER", "LIMIT", "HITS", "FIRST",
                                       "LAST"};
    static const unsigned char right[] = {0, 0, 1, 0, 1, 0, 0};
    static const cli_listing_spec spec = {
        .name = "flags",
        .ncols = sizeof head / sizeof head[0],
        .head = head,
        .right = right,
        .empty = "no number has reached a limit",
        .walk = walk,
    };
    return cli_listing_run(argc, argv, &spec);
}
