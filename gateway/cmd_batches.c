/*
 * cmd_batches.c - `kazi batches [--json] [--db FILE]`: every batch with its
 * progress, as an aligned table for people or JSON for scripts.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "money.h"

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
    cli_listing *o = ctx;
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
        return cli_listing_add_json(o, j);
    }
    char tasks[24], done[24], answers[48], prog[16];
    snprintf(tasks, sizeof tasks, "%" PRId64, r->tasks);
    snprintf(done, sizeof done, "%" PRId64, r->tasks_complete);
    snprintf(answers, sizeof answers, "%" PRId64 "/%" PRId64, r->answers, r->answers_needed);
    snprintf(prog, sizeof prog, "%d.%d%%", (int)(p / 10), (int)(p % 10));
    const char *row[] = {r->name, r->requester, r->state, tasks, done, answers, prog, reward,
                         deadline, created};
    return cli_listing_add_row(o, row);
}

static kz_status walk(kz_store *st, const void *arg, cli_listing *l, kz_err *err)
{
    (void)arg;
    return store_batches_each(st, batch_row, l, err);
}

int cmd_batches(int argc, char **argv)
{
    static const char *const head[] = {"BATCH", "REQUESTER", "STATE", "TASKS", "DONE",
                                       "ANSWERS", "PROGRESS", "REWARD", "DEADLINE", "CREATED"};
    static const unsigned char right[] = {0, 0, 0, 1, 1, 1, 1, 1, 0, 0};
    static const cli_listing_spec spec = {
        .name = "batches",
        .ncols = sizeof head / sizeof head[0],
        .head = head,
        .right = right,
        .walk = walk,
    };
    return cli_listing_run(argc, argv, &spec);
}
