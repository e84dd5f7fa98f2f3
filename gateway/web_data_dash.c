/*
 * web_data_dash.c - the dashboard of the console and GET /api/status: the
 * modems as the daemon last saved them, the outbox and inbox, batches, the
 * money owed, paid and on its way, workers, open appeals and payouts
 * needing attention.
 * Owns: the dashboard object of web_data.h. Never talks to a modem or to
 * the daemon's loop: it reads the database (the daemon saves the modems'
 * snapshots every housekeeping interval).
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "outbox.h"
#include "payout.h"
#include "queue_store.h"
#include "web_data.h"
#include "web_data_internal.h"

#define DASH_CURRENCIES 8

/* Money in one currency. */
typedef struct dash_money {
    char currency[4];
    int64_t owed, paid, pending, pending_n;
} dash_money;

typedef struct dash {
    json_t *modems; /* borrowed from the dashboard object */
    dash_money money[DASH_CURRENCIES];
    size_t nmoney;
    int64_t workers, active, appeals;
    int oom;
} dash;

static int modem_row(void *ctx, const modem_snapshot *s, int64_t sent_today)
{
    dash *d = ctx;
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:s, s:I}", "name", s->name,
                          "device", s->device, "state", s->state, "signal_dbm",
                          s->signal_dbm ? json_integer(s->signal_dbm) : json_null(), "operator",
                          s->operator_name, "queue", (json_int_t)s->queue, "sent_today",
                          (json_int_t)sent_today, "last_error", s->last_error, "last_seen_at",
                          (json_int_t)s->updated_at);
    d->oom = web_append(d->modems, j);
    return d->oom;
}

/* The money of currency (added if new); NULL past DASH_CURRENCIES or for "". */
static dash_money *money_of(dash *d, const char *currency)
{
    if (!currency || !*currency)
        return NULL;
    for (size_t i = 0; i < d->nmoney; i++)
        if (strcmp(d->money[i].currency, currency) == 0)
            return &d->money[i];
    if (d->nmoney == DASH_CURRENCIES)
        return NULL;
    dash_money *m = &d->money[d->nmoney++];
    snprintf(m->currency, sizeof m->currency, "%s", currency);
    return m;
}

static int worker_row(void *ctx, const store_worker_row *r)
{
    dash *d = ctx;
    d->workers++;
    d->active += strcmp(r->state, "active") == 0;
    dash_money *m = money_of(d, r->currency);
    if (m && r->balance_minor > 0)
        m->owed += r->balance_minor;
    return 0;
}

static int payout_row(void *ctx, const payout *p)
{
    dash_money *m = money_of(ctx, p->currency);
    if (!m)
        return 0;
    if (strcmp(p->state, "confirmed") == 0) {
        m->paid += p->amount_minor;
    } else if (strcmp(p->state, "failed") != 0) {
        m->pending += p->amount_minor;
        m->pending_n++;
    }
    return 0;
}

static int appeal_row(void *ctx, const engine_appeal_row *r)
{
    (void)r;
    ((dash *)ctx)->appeals++;
    return 0;
}

/* Modems, outbox and inbox (the daemon's queues) into j. */
static kz_status queues(kz_store *st, const char *day, dash *d, json_t *j, kz_err *err)
{
    kz_queue *q = NULL;
    outbox_depth dp = {0};
    int64_t waiting = 0;
    kz_status s = qstore_open(st, &q, err);
    if (s == KZ_OK)
        s = qstore_modems_each(q, day, modem_row, d, err);
    if (s == KZ_OK)
        s = qstore_outbox_depth(q, day, &dp, err);
    if (s == KZ_OK)
        s = qstore_inbox_waiting(q, &waiting, err);
    qstore_close(q);
    if (d->oom)
        return web_oom(err);
    if (s != KZ_OK)
        return s;
    json_t *ob = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "messages_waiting",
                           (json_int_t)dp.messages_waiting, "parts_queued",
                           (json_int_t)dp.parts_queued, "parts_sending",
                           (json_int_t)dp.parts_sending, "parts_unknown",
                           (json_int_t)dp.parts_unknown, "parts_failed",
                           (json_int_t)dp.parts_failed, "sent_today", (json_int_t)dp.sent_today);
    if (!ob || json_object_set_new(j, "outbox", ob) != 0 ||
        json_object_set_new(j, "inbox_waiting", json_integer(waiting)) != 0)
        return web_oom(err);
    return KZ_OK;
}

static json_t *money_json(const dash *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < d->nmoney; i++) {
        const dash_money *m = &d->money[i];
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I}", "currency", m->currency,
                              "owed_minor", (json_int_t)m->owed, "paid_minor",
                              (json_int_t)m->paid, "pending_minor", (json_int_t)m->pending,
                              "pending_payouts", (json_int_t)m->pending_n);
        if (web_append(arr, j) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* Batches, money, workers, appeals and payouts needing attention into j. */
static kz_status people_and_money(kz_store *st, int64_t now, dash *d, json_t *j, kz_err *err)
{
    json_t *batches = NULL, *attention = NULL;
    kz_status s = web_batches(st, &batches, err);
    if (s == KZ_OK)
        s = store_workers_each(st, worker_row, d, err);
    if (s == KZ_OK)
        s = payout_each(st, NULL, payout_row, d, err);
    if (s == KZ_OK)
        s = engine_appeals_each(st, true, appeal_row, d, err);
    if (s == KZ_OK)
        s = web_payouts(st, true, false, now, &attention, err);
    size_t nattention = json_array_size(attention);
    json_decref(attention);
    if (s != KZ_OK) {
        json_decref(batches);
        return s;
    }
    json_t *workers = json_pack("{s:I, s:I}", "total", (json_int_t)d->workers, "active",
                                (json_int_t)d->active);
    if (json_object_set_new(j, "batches", batches) != 0 ||
        json_object_set_new(j, "money", money_json(d)) != 0 || !workers ||
        json_object_set_new(j, "workers", workers) != 0 ||
        json_object_set_new(j, "appeals_open", json_integer(d->appeals)) != 0 ||
        json_object_set_new(j, "payouts_attention", json_integer((json_int_t)nattention)) != 0)
        return web_oom(err);
    return KZ_OK;
}

kz_status web_dashboard(kz_store *st, const kz_config *cfg, int64_t now, json_t **out,
                        kz_err *err)
{
    *out = NULL;
    char day[11];
    outbox_local_day(now, cfg ? cfg->engine.tz_offset_minutes : 0, day);
    dash d;
    memset(&d, 0, sizeof d);
    json_t *j = json_pack("{s:s, s:[]}", "day", day, "modems");
    if (!j)
        return web_oom(err);
    d.modems = json_object_get(j, "modems");
    kz_status s = queues(st, day, &d, j, err);
    if (s == KZ_OK)
        s = people_and_money(st, now, &d, j, err);
    if (s != KZ_OK) {
        json_decref(j);
        return s;
    }
    *out = j;
    return KZ_OK;
}
