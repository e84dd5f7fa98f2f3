/*
 * cmd_status.c - `kazi status [--db FILE | -c FILE] [--json]`: each modem as
 * the daemon last saved it (state, signal, operator, queue, last error, SMS
 * sent today), batches' progress, the outbox depth, parts waiting in the
 * inbox and today's SMS count. An aligned text view for people, JSON for
 * scripts.
 * Owns: that view. Never talks to a modem or to the daemon: it reads the
 * database, which the daemon updates every housekeeping interval.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "cli_db.h"
#include "config.h"
#include "outbox.h"
#include "queue_store.h"

typedef struct status_out {
    json_t *root;      /* NULL: text */
    json_t *modems, *batches;
    cli_table mt, bt;
    int oom;
} status_out;

static int modem_row(void *ctx, const modem_snapshot *s, int64_t sent_today)
{
    status_out *o = ctx;
    if (o->root) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}",
                              "name", s->name, "device", s->device, "state", s->state,
                              "signal_dbm", s->signal_dbm ? json_integer(s->signal_dbm)
                                                          : json_null(),
                              "operator", s->operator_name, "queue", (json_int_t)s->queue,
                              "sent_today", (json_int_t)sent_today, "sent", (json_int_t)s->sent,
                              "received", (json_int_t)s->received, "failed",
                              (json_int_t)s->failed, "last_error", s->last_error, "updated_at",
                              (json_int_t)s->updated_at);
        if (!j || json_array_append_new(o->modems, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char sig[16], queue[24], today[24], seen[32];
    if (s->signal_dbm)
        snprintf(sig, sizeof sig, "%d dBm", s->signal_dbm);
    else
        snprintf(sig, sizeof sig, "-");
    snprintf(queue, sizeof queue, "%lld", (long long)s->queue);
    snprintf(today, sizeof today, "%lld", (long long)sent_today);
    cli_time_format(s->updated_at, seen, sizeof seen);
    const char *row[] = {s->name,  s->state, sig, s->operator_name[0] ? s->operator_name : "-",
                         queue, today, seen, s->last_error[0] ? s->last_error : "-"};
    if (cli_table_add(&o->mt, row) != 0)
        o->oom = 1;
    return o->oom;
}

static int batch_row(void *ctx, const store_batch_row *r)
{
    status_out *o = ctx;
    if (o->root) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "name", r->name,
                              "requester", r->requester, "state", r->state, "tasks",
                              (json_int_t)r->tasks, "tasks_complete",
                              (json_int_t)r->tasks_complete, "answers", (json_int_t)r->answers,
                              "answers_needed", (json_int_t)r->answers_needed);
        if (!j || json_array_append_new(o->batches, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char tasks[48], answers[48];
    snprintf(tasks, sizeof tasks, "%lld/%lld", (long long)r->tasks_complete, (long long)r->tasks);
    snprintf(answers, sizeof answers, "%lld/%lld", (long long)r->answers,
             (long long)r->answers_needed);
    const char *row[] = {r->name, r->requester, r->state, tasks, answers};
    if (cli_table_add(&o->bt, row) != 0)
        o->oom = 1;
    return o->oom;
}

static int print_text(status_out *o, const char *day, const outbox_depth *dp, int64_t waiting)
{
    printf("Modems\n");
    if (o->mt.nrows)
        cli_table_print(&o->mt, stdout);
    else
        printf("  (none yet: has kazi serve run on this database?)\n");
    printf("\nOutbox: %lld message(s) waiting; parts: %lld queued, %lld sending, %lld unknown, "
           "%lld failed\n",
           (long long)dp->messages_waiting, (long long)dp->parts_queued,
           (long long)dp->parts_sending, (long long)dp->parts_unknown,
           (long long)dp->parts_failed);
    printf("Inbox: %lld part(s) waiting for the rest of their message\n", (long long)waiting);
    printf("SMS sent today (%s): %lld\n\nBatches\n", day, (long long)dp->sent_today);
    if (o->bt.nrows)
        cli_table_print(&o->bt, stdout);
    else
        printf("  (none)\n");
    return CLI_OK;
}

static int print_json(status_out *o, const char *day, const outbox_depth *dp, int64_t waiting)
{
    json_t *ob = json_pack("{s:I, s:I, s:I, s:I, s:I}", "messages_waiting",
                           (json_int_t)dp->messages_waiting, "parts_queued",
                           (json_int_t)dp->parts_queued, "parts_sending",
                           (json_int_t)dp->parts_sending, "parts_unknown",
                           (json_int_t)dp->parts_unknown, "parts_failed",
                           (json_int_t)dp->parts_failed);
    json_object_set_new(o->root, "day", json_string(day));
    json_object_set_new(o->root, "sent_today", json_integer(dp->sent_today));
    json_object_set_new(o->root, "outbox", ob ? ob : json_null());
    json_object_set_new(o->root, "inbox_waiting", json_integer(waiting));
    char *s = json_dumps(o->root, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    if (!s) {
        fprintf(stderr, "kazi status: out of memory\n");
        return CLI_FAIL;
    }
    puts(s);
    free(s);
    return CLI_OK;
}

static int gather(kz_store *st, status_out *o, int tz_offset)
{
    kz_queue *q = NULL;
    kz_err err;
    kz_err_clear(&err);
    char day[11];
    outbox_local_day((int64_t)time(NULL), tz_offset, day);
    outbox_depth dp = {0};
    int64_t waiting = 0;
    int rc = CLI_FAIL;
    if (qstore_open(st, &q, &err) == KZ_OK && qstore_modems_each(q, day, modem_row, o, &err) == KZ_OK &&
        store_batches_each(st, batch_row, o, &err) == KZ_OK &&
        qstore_outbox_depth(q, day, &dp, &err) == KZ_OK &&
        qstore_inbox_waiting(q, &waiting, &err) == KZ_OK && !o->oom)
        rc = o->root ? print_json(o, day, &dp, waiting) : print_text(o, day, &dp, waiting);
    else
        fprintf(stderr, "kazi status: %s\n", o->oom ? "out of memory" : err.msg);
    qstore_close(q);
    return rc;
}

/* --db wins; else the configuration's database (and time zone); else ./kazi.db. */
static int resolve(const char *db, const char *conf, char *path, size_t cap, int *tz)
{
    kz_config *cfg = calloc(1, sizeof *cfg);
    cfg_errors *errs = calloc(1, sizeof *errs);
    int rc = CLI_OK;
    if (!cfg || !errs) {
        rc = CLI_FAIL;
    } else if (conf && config_load(conf, cfg, errs)) {
        for (size_t i = 0; i < errs->n; i++)
            fprintf(stderr, "%s\n", errs->msg[i]);
        rc = CLI_FAIL;
    } else {
        if (!conf)
            config_defaults(cfg);
        snprintf(path, cap, "%s", db ? db : conf ? cfg->database : cli_db_path(NULL));
        *tz = cfg->engine.tz_offset_minutes;
    }
    free(cfg);
    free(errs);
    return rc;
}

int cmd_status(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *conf = NULL;
    int json = 0, c, tz = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'D')
            db = optarg;
        else if (c == 'c')
            conf = optarg;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: kazi status [--db FILE | -c FILE] [--json]\n");
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc)
        return CLI_USAGE;
    char path[CFG_PATH_CAP];
    if (resolve(db, conf, path, sizeof path, &tz) != CLI_OK)
        return CLI_FAIL;
    kz_store *st = NULL;
    if (cli_db_open(path, 0, &st) != CLI_OK)
        return CLI_FAIL;
    static const char *const mhead[] = {"MODEM", "STATE", "SIGNAL", "OPERATOR",
                                        "QUEUE", "TODAY", "SEEN",   "LAST ERROR"};
    static const unsigned char mright[] = {0, 0, 1, 0, 1, 1, 0, 0};
    static const char *const bhead[] = {"BATCH", "REQUESTER", "STATE", "TASKS DONE", "ANSWERS"};
    static const unsigned char bright[] = {0, 0, 0, 1, 1};
    status_out o = {.oom = 0};
    cli_table_init(&o.mt, 8, mhead, mright);
    cli_table_init(&o.bt, 5, bhead, bright);
    if (json) {
        o.root = json_object();
        o.modems = json_array();
        o.batches = json_array();
        json_object_set_new(o.root, "modems", o.modems);
        json_object_set_new(o.root, "batches", o.batches);
    }
    int rc = gather(st, &o, tz);
    json_decref(o.root);
    cli_table_free(&o.mt);
    cli_table_free(&o.bt);
    store_close(st);
    return rc;
}
