/*
 * serve_conv.c - where the daemon meets the worker's conversation
 * (tasks/conv.h): each whole inbound message handed over by the inbox goes to
 * conv_handle_inbound inside the inbox's transaction, and the periodic push
 * offers tasks to workers who may get one (engine_push_each lists them,
 * conv_push_offer offers, words and queues, one worker per transaction).
 * Owns: the conversation's configuration and templates as the daemon holds
 * them. Never words a message itself; never sends (the outbox does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "serve.h"
#include "serve_pay.h"

#define PUSH_BATCH 64

static const char *templates_dir(const kz_config *cfg)
{
    const char *env = getenv("KAZI_TEMPLATES");
    if (cfg->templates[0])
        return cfg->templates;
    return env && *env ? env : KAZI_TEMPLATE_DIR;
}

int serve_templates_load(const kz_config *cfg, tmpl_set **out)
{
    kz_err err;
    kz_err_clear(&err);
    *out = NULL;
    if (tmpl_load_dir(templates_dir(cfg), out, &err) != KZ_OK) {
        log_error("templates %s: %s", templates_dir(cfg), err.msg);
        return -1;
    }
    return 0;
}

void serve_conv_fill(const kz_config *cfg, const tmpl_set *t, conv_config *c)
{
    conv_config_defaults(c);
    snprintf(c->country, sizeof c->country, "%s", cfg->country);
    snprintf(c->default_lang, sizeof c->default_lang, "%s", cfg_lang_name(cfg->conv_default_lang));
    snprintf(c->terms_version, sizeof c->terms_version, "%s", cfg->terms_version);
    snprintf(c->provider, sizeof c->provider, "%s", cfg->provider);
    c->max_replies_hour = cfg->max_replies_hour;
    c->max_replies_day = cfg->max_replies_day;
    c->max_stranger_day = cfg->max_stranger_day;
    c->max_total_day = cfg->max_total_day;
    c->limits = cfg->limits;
    c->payout_min_minor = cfg->payout_min_minor;
    c->engine = cfg->engine;
    c->templates = t;
}

int serve_conv_setup(kz_daemon *d)
{
    tmpl_set *t = NULL;
    if (serve_templates_load(&d->cfg, &t) != 0) {
        if (!d->templates)
            return -1;
        log_error("templates: keeping the ones loaded before");
    } else {
        tmpl_free(d->templates);
        d->templates = t;
    }
    serve_conv_fill(&d->cfg, d->templates, &d->conv);
    return 0;
}

kz_status serve_deliver(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err)
{
    kz_daemon *d = ctx;
    conv_result res;
    conv_inbound in = {m->sender, m->text, strlen(m->text), m->received_at, m->dedupe_key,
                       m->segments, m->binary};
    kz_status rc = conv_handle_inbound(d->st, &d->conv, &in, &res, err);
    if (rc != KZ_OK)
        return rc;
    *message_id = res.message_id;
    bool provider = false; /* a provider's SMS (conv recorded and ignored it): reconcile */
    if (!res.duplicate && (rc = serve_pay_on_sms(d, m->sender, m->text, &provider, err)) != KZ_OK)
        return rc;
    if (res.duplicate && qstore_message_by_key(d->q, m->dedupe_key, message_id, err) != KZ_OK)
        return KZ_ERR_DB;
    log_info("inbox: message %lld (%s, %d segment%s%s): %zu repl%s queued%s",
             (long long)*message_id, conv_kind_name(res.command), m->segments,
             m->segments == 1 ? "" : "s", m->incomplete ? ", incomplete" : "", res.nreplies,
             res.nreplies == 1 ? "y" : "ies", res.limited ? ", a reply held back by limits" : "");
    if (res.reason)
        log_debug("inbox: message %lld from %s: %s", (long long)*message_id, m->sender,
                  res.reason);
    if (res.flag) /* once per number, limit and local day */
        log_warn("limits: %s flagged %s (message %lld); logged once a day, see kazi flags",
                 m->sender, res.flag, (long long)*message_id);
    return KZ_OK;
}

typedef struct push_list {
    int64_t ids[PUSH_BATCH];
    size_t n;
} push_list;

static int collect_worker(void *ctx, int64_t worker_id)
{
    push_list *l = ctx;
    l->ids[l->n++] = worker_id;
    return l->n == PUSH_BATCH;
}

void serve_push_offers(kz_daemon *d, int64_t now)
{
    push_list l = {.n = 0};
    kz_err err;
    kz_err_clear(&err);
    if (engine_push_each(d->st, &d->cfg.engine, now, collect_worker, &l, &err) != KZ_OK) {
        log_error("push: %s", err.msg);
        return;
    }
    size_t offered = 0;
    for (size_t i = 0; i < l.n; i++) {
        bool ok = false;
        if (conv_push_offer(d->st, &d->conv, l.ids[i], now, &ok, NULL, &err) != KZ_OK) {
            log_error("push: worker %lld: %s", (long long)l.ids[i], err.msg);
            continue;
        }
        offered += ok;
    }
    if (offered)
        log_info("push: %zu task offer(s) queued", offered);
}
