/*
 * demo_status.c - `kazi status/workers/batches --json` into the demo's
 * figures (see demo_status.h).
 * Owns: the JSON reading. Never writes the database.
 */
#include "demo_status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_proc.h"

#define RUN_TIMEOUT_MS 10000

/* Run `kazi CMD --json --db DB` and parse its output. NULL on failure. */
static json_t *run_json(const char *cmd, const char *db)
{
    char *args[] = {(char *)cmd, "--json", "--db", (char *)db, NULL};
    char *out = NULL;
    if (demo_run(args, RUN_TIMEOUT_MS, &out, -1) != 0) {
        free(out);
        return NULL;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    return j;
}

static void str_field(json_t *o, const char *key, char *out, size_t cap)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (v)
        snprintf(out, cap, "%s", v);
}

static long int_field(json_t *o, const char *key)
{
    return (long)json_integer_value(json_object_get(o, key));
}

static void read_batch(json_t *batches, const char *batch, demo_stats *s)
{
    size_t i;
    json_t *b;
    json_array_foreach(batches, i, b) {
        const char *name = json_string_value(json_object_get(b, "name"));
        if (!name || strcmp(name, batch) != 0)
            continue;
        snprintf(s->batch, sizeof s->batch, "%s", name);
        str_field(b, "requester", s->requester, sizeof s->requester);
        s->tasks = int_field(b, "tasks");
        s->tasks_complete = int_field(b, "tasks_complete");
        s->answers = int_field(b, "answers");
        s->answers_needed = int_field(b, "answers_needed");
    }
}

static void read_modems(json_t *modems, demo_stats *s)
{
    size_t i;
    json_t *m;
    json_array_foreach(modems, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        for (int k = 0; name && k < s->nmodems; k++) {
            demo_modem_view *v = &s->modem[k];
            if (strcmp(v->name, name) != 0)
                continue;
            str_field(m, "state", v->state, sizeof v->state);
            str_field(m, "operator", v->op, sizeof v->op);
            str_field(m, "last_error", v->last_error, sizeof v->last_error);
            v->signal_dbm = (int)int_field(m, "signal_dbm");
            v->sent = int_field(m, "sent");
            v->received = int_field(m, "received");
            v->queue = int_field(m, "queue");
        }
    }
}

static void read_workers(json_t *workers, demo_stats *s)
{
    size_t i;
    json_t *w;
    long long money = 0;
    json_array_foreach(workers, i, w) {
        money += (long long)json_integer_value(json_object_get(w, "balance_minor"));
        const char *cur = json_string_value(json_object_get(w, "currency"));
        if (cur && *cur)
            snprintf(s->currency, sizeof s->currency, "%s", cur);
    }
    s->money_minor = money;
    s->workers = (long)json_array_size(workers);
}

int demo_status_poll(const char *db, const char *batch, demo_stats *s)
{
    json_t *st = run_json("status", db);
    if (!st)
        return -1;
    read_batch(json_object_get(st, "batches"), batch, s);
    read_modems(json_object_get(st, "modems"), s);
    s->outbox_waiting = int_field(json_object_get(st, "outbox"), "messages_waiting");
    json_decref(st);
    json_t *w = run_json("workers", db);
    if (json_is_array(w))
        read_workers(w, s);
    json_decref(w);
    return 0;
}

bool demo_status_has_batch(const char *db, const char *batch, long min_tasks)
{
    json_t *b = run_json("batches", db);
    demo_stats s;
    memset(&s, 0, sizeof s);
    if (json_is_array(b))
        read_batch(b, batch, &s);
    json_decref(b);
    return s.batch[0] && s.tasks >= min_tasks;
}

int demo_status_workers(const char *db, void (*cb)(void *ctx, const char *phone, bool stopped),
                        void *ctx)
{
    json_t *w = run_json("workers", db);
    if (!json_is_array(w)) {
        json_decref(w);
        return -1;
    }
    size_t i;
    json_t *o;
    json_array_foreach(w, i, o) {
        const char *phone = json_string_value(json_object_get(o, "phone"));
        const char *state = json_string_value(json_object_get(o, "state"));
        if (phone)
            cb(ctx, phone, state && strcmp(state, "stopped") == 0);
    }
    int n = (int)json_array_size(w);
    json_decref(w);
    return n;
}
