/*
 * conv.c - one inbound SMS, start to finish (see conv.h): who sent it,
 * recording it once, routing the command (conv_cmds.c), holding replies
 * back when a number has had enough, queueing what is left, one transaction.
 * Owns: the reply limits and the order "record, size check, parse, rate
 * check, act, repeat check, queue, mark, commit" (the inbound limits
 * themselves are conv_abuse.c's). Never answers a number that is not a
 * person; never sends.
 */
#include "conv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conv_internal.h"
#include "money.h"
#include "pseudonym.h"
#include "sms_text.h"
#include "utf8.h"

/* Seconds in the rate-limit windows. */
#define HOUR 3600
#define DAY 86400

void conv_config_defaults(conv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->country, sizeof cfg->country, "KE");
    snprintf(cfg->default_lang, sizeof cfg->default_lang, "en");
    snprintf(cfg->terms_version, sizeof cfg->terms_version, "2025-01");
    snprintf(cfg->provider, sizeof cfg->provider, "M-Pesa");
    cfg->max_replies_hour = 15;
    cfg->max_replies_day = 50;
    cfg->max_stranger_day = 2;
    cfg->max_total_day = 300;
    cfg->payout_min_minor = 5000; /* KSh 50: the smallest agent withdrawal */
    cfg->limits = (conv_limits)CONV_LIMITS_DEFAULT;
    /* economics.md: M-Pesa agent withdrawal, KSh 11 for 50-100, KSh 29 for 101-1,500 */
    cfg->fees[0] = (conv_fee_tier){5000, 10000, 1100};
    cfg->fees[1] = (conv_fee_tier){10001, 150000, 2900};
    cfg->nfees = 2;
    engine_config_defaults(&cfg->engine);
}

void conv_money(const conv_ctx *c, int64_t minor, char *out, size_t cap)
{
    money_format(out, cap, minor, c->cfg->engine.currency, 1);
}

void conv_local(const conv_ctx *c, int64_t t, conv_time_form form, char *out, size_t cap)
{
    time_t lt = (time_t)(t + (int64_t)c->cfg->engine.tz_offset_minutes * 60);
    struct tm tm;
    if (!gmtime_r(&lt, &tm)) {
        snprintf(out, cap, "?");
        return;
    }
    if (form == CONV_TIME_HM)
        snprintf(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
    else if (form == CONV_TIME_DAY_HM)
        snprintf(out, cap, "%02d/%02d %02d:%02d", tm.tm_mday, tm.tm_mon + 1, tm.tm_hour,
                 tm.tm_min);
    else
        snprintf(out, cap, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

kz_status conv_word(conv_ctx *c, const char *key, const tmpl_var *v, size_t n, char *out,
                    size_t cap)
{
    return tmpl_render(c->cfg->templates, c->lang, key, v, n, out, cap, NULL, c->err);
}

kz_status conv_say(conv_ctx *c, const char *key, const tmpl_var *v, size_t n)
{
    kz_status rc = tmpl_render(c->cfg->templates, c->lang, key, v, n, c->text, sizeof c->text,
                               &c->len, c->err);
    c->has_reply = rc == KZ_OK;
    return rc;
}

kz_status conv_may_offer(conv_ctx *c, bool *ok)
{
    return conv_day_cap_ok(c->st, c->cfg, c->peer, c->now, ok, c->err);
}

/* Does this reply fit the number's limits? *capped: the local day's cap is what bit. */
static kz_status reply_allowed(conv_ctx *c, bool *ok, bool *capped)
{
    const conv_config *cfg = c->cfg;
    store_conv_replies n;
    *capped = false;
    kz_status rc = store_conv_reply_windows(c->st, c->peer, c->now - DAY,
                                            conv_day_start(cfg, c->now), c->now - HOUR, &n,
                                            c->err);
    if (rc != KZ_OK)
        return rc;
    char last[TMPL_OUT_CAP];
    if (c->not_understood) {
        rc = store_conv_last_reply(c->st, c->peer, c->now - HOUR, last, sizeof last, c->err);
        if (rc != KZ_OK)
            return rc;
    }
    if (c->exempt) /* a STOP confirmation: at most one per STOP, by construction */
        *ok = true;
    else if (n.local_all >= cfg->max_total_day) {
        *ok = false;
        *capped = true;
    } else if (c->offer_assignment)
        *ok = true; /* an offer: bounded by the engine's open-offer limit */
    else if (c->not_understood && strcmp(last, c->text) == 0)
        *ok = false; /* "not understood" twice in a row: maybe a robot, stay quiet */
    else if (!c->is_worker)
        *ok = n.day_all < cfg->max_stranger_day;
    else
        *ok = n.hour_plain < cfg->max_replies_hour && n.day_plain < cfg->max_replies_day;
    return KZ_OK;
}

/* The key that makes one SMS one row: sender, time and text, hashed. */
static void derive_key(const char *from, const char *text, size_t len, int64_t at, char *out,
                       size_t cap)
{
    static const uint8_t zero[16];
    uint64_t h = siphash24(zero, (const uint8_t *)text, len);
    uint64_t f = siphash24(zero, (const uint8_t *)from, strlen(from));
    snprintf(out, cap, "sms:%016" PRIx64 ":%" PRId64 ":%016" PRIx64, f, at, h);
}

/* A copy of text that is valid UTF-8 without NULs (bad bytes become U+FFFD). Heap. */
static char *clean_body(const char *text, size_t len)
{
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode((const uint8_t *)text + i, len - i, &cp);
        if (n == 0 || cp == 0) {
            if (n == 0) {
                memcpy(out + o, "\xEF\xBF\xBD", 3);
                o += 3;
            } else {
                out[o++] = ' ';
            }
            i += n ? n : 1;
            continue;
        }
        memcpy(out + o, text + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}

/* Queue c's reply if the limits allow it; fill out->replies. */
static kz_status queue_reply(conv_ctx *c, conv_result *out)
{
    if (!c->has_reply || c->peer[0] == '\0')
        return KZ_OK;
    bool ok = false, capped = false;
    kz_status rc = reply_allowed(c, &ok, &capped);
    if (rc != KZ_OK)
        return rc;
    if (!ok) {
        out->limited = true;
        if (!c->reason)
            c->reason = capped ? "reply_cap" : "reply_limit";
        return capped ? conv_abuse_flag(c, out, "reply_cap") : KZ_OK;
    }
    int segs = (int)sms_count_segments(c->text, c->len);
    char key[64];
    snprintf(key, sizeof key, "re:%" PRId64 ":%zu", c->in_id, out->nreplies);
    int64_t id = 0;
    rc = store_conv_outbound(c->st, c->peer, c->is_worker ? c->w.id : 0, c->text,
                             segs < 1 ? 1 : segs, key, c->now, &id, c->err);
    if (rc == KZ_OK && c->offer_assignment)
        rc = store_conv_offer_link(c->st, c->offer_assignment, id, c->err);
    if (rc != KZ_OK || out->nreplies >= CONV_MAX_REPLIES)
        return rc;
    conv_reply *r = &out->replies[out->nreplies++];
    snprintf(r->to, sizeof r->to, "%s", c->peer);
    memcpy(r->text, c->text, c->len + 1);
    r->segments = segs < 1 ? 1 : segs;
    r->message_id = id;
    return KZ_OK;
}

/* Everything after the message is recorded: act, reimburse, queue, mark. */
static kz_status act(conv_ctx *c, conv_result *out)
{
    kz_status rc = conv_dispatch(c);
    if (rc == KZ_OK)
        rc = conv_abuse_repeat(c, out);
    if (rc == KZ_OK)
        rc = queue_reply(c, out);
    if (rc == KZ_OK && c->refund && !out->limited && c->is_worker)
        rc = engine_sms_refund(c->st, &c->cfg->engine, c->w.id, c->in_id, c->in_segments,
                               c->now, NULL, c->err);
    if (rc == KZ_OK)
        c->in_state = c->ignored ? "ignored" : "handled";
    return rc;
}

/* A message the limits refused before acting: its one short reply (if any), 'ignored'. */
static kz_status refuse(conv_ctx *c, conv_result *out)
{
    kz_status rc = c->reason && strcmp(c->reason, "rate") == 0 ? conv_abuse_repeat(c, out)
                                                                  : KZ_OK;
    if (rc == KZ_OK)
        rc = queue_reply(c, out);
    if (rc == KZ_OK)
        c->in_state = "ignored";
    return rc;
}

/* Look the sender up and record the SMS; sets out->duplicate. */
static kz_status record(conv_ctx *c, const char *from, const char *body, const char *key,
                        conv_result *out)
{
    kz_status rc = KZ_OK;
    if (out->sender == PHONE_PERSON)
        rc = store_conv_worker_get(c->st, c->peer, &c->w, &c->is_worker, c->err);
    if (rc != KZ_OK)
        return rc;
    const char *peer = c->peer[0] ? c->peer : from;
    char shortpeer[33];
    snprintf(shortpeer, sizeof shortpeer, "%s", peer[0] ? peer : "?");
    return store_conv_inbound(c->st, shortpeer, c->is_worker ? c->w.id : 0, body,
                              c->in_segments, key, c->now, &c->in_id, &out->duplicate, c->err);
}

static void pick_lang(conv_ctx *c)
{
    const char *l = c->cfg->default_lang;
    if (c->is_worker && tmpl_has_lang(c->cfg->templates, c->w.lang))
        l = c->w.lang;
    else if (c->cmd->lang[0] && tmpl_has_lang(c->cfg->templates, c->cmd->lang))
        l = c->cmd->lang;
    snprintf(c->lang, sizeof c->lang, "%s", l);
}

/* Parse, unless the size limits refuse the message unread; then the rate limit, then act. */
static kz_status route_tx(conv_ctx *c, conv_cmd *cmd, const char *text, size_t len,
                          conv_result *out)
{
    bool refused = false;
    kz_status rc = conv_abuse_size(c, out, &refused);
    if (rc != KZ_OK)
        return rc;
    if (!refused) {
        conv_parse(text, len, cmd);
        out->command = cmd->kind;
    }
    pick_lang(c);
    if (refused)
        return refuse(c, out);
    rc = conv_abuse_rate(c, out, &refused);
    if (rc != KZ_OK)
        return rc;
    return refused ? refuse(c, out) : act(c, out);
}

static kz_status handle_tx(conv_ctx *c, conv_cmd *cmd, const char *text, size_t len,
                           const char *from, const char *body, const char *key,
                           conv_result *out)
{
    kz_status rc = record(c, from, body, key, out);
    if (rc != KZ_OK || out->duplicate)
        return rc;
    out->message_id = c->in_id;
    if (out->sender != PHONE_PERSON) { /* robots and short codes: recorded, never answered */
        c->reason = "sender";
        c->in_state = "ignored";
    } else {
        rc = route_tx(c, cmd, text, len, out);
        out->worker_id = c->is_worker ? c->w.id : 0;
    }
    if (rc == KZ_OK) { /* how it ended and why, in one write of its row */
        store_conv_in_end e = {.state = c->in_state, .worker_id = c->is_worker ? c->w.id : 0,
                               .reason = c->reason, .has_norm = c->has_norm, .norm = c->norm,
                               .at = c->now};
        rc = store_conv_inbound_done(c->st, c->in_id, &e, c->err);
    }
    out->reason = c->reason;
    return rc;
}

/* After a failure in our own transaction: keep the message, unhandled, for a person. */
static void record_alone(conv_ctx *c, const char *from, const char *body, const char *key)
{
    kz_err ignore;
    bool dup;
    if (store_begin(c->st, &ignore) != KZ_OK)
        return;
    c->err = &ignore;
    if (store_conv_inbound(c->st, c->peer[0] ? c->peer : from, 0, body, c->in_segments, key,
                           c->now, &c->in_id, &dup, &ignore) != KZ_OK ||
        store_commit(c->st, &ignore) != KZ_OK)
        store_rollback(c->st);
}

kz_status conv_handle_sms(kz_store *st, const conv_config *cfg, const char *from,
                          const char *text, size_t len, int64_t received_at,
                          const char *dedupe_key, conv_result *out, kz_err *err)
{
    conv_inbound in = {from, text, len, received_at, dedupe_key, 0, false};
    return conv_handle_inbound(st, cfg, &in, out, err);
}

kz_status conv_handle_inbound(kz_store *st, const conv_config *cfg, const conv_inbound *in,
                              conv_result *out, kz_err *err)
{
    const char *from = in->from, *text = in->text, *dedupe_key = in->dedupe_key;
    size_t len = in->len;
    int64_t received_at = in->received_at;
    memset(out, 0, sizeof *out);
    if (!cfg->templates)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "no message templates loaded");
    conv_cmd *cmd = calloc(1, sizeof *cmd);
    conv_ctx *c = calloc(1, sizeof *c);
    char *body = clean_body(text ? text : "", text ? len : 0);
    if (!cmd || !c || !body) {
        free(cmd);
        free(c);
        free(body);
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    *c = (conv_ctx){.st = st, .cfg = cfg, .err = err, .cmd = cmd, .now = received_at,
                    .body = body, .binary = in->binary};
    out->command = cmd->kind;
    out->sender = phone_normalise(from ? from : "", cfg->country, c->peer);
    size_t segs = sms_count_segments(body, strlen(body));
    c->in_segments = segs < 1 ? 1 : (int)segs;
    c->parts = in->parts > 0 ? in->parts : c->in_segments;
    char key[96];
    if (!dedupe_key || !*dedupe_key)
        derive_key(from ? from : "", text ? text : "", text ? len : 0, received_at, key,
                   sizeof key);
    else
        snprintf(key, sizeof key, "%s", dedupe_key);

    int own = !store_conv_in_tx(st);
    kz_status rc = own ? store_begin(st, err) : KZ_OK;
    if (rc == KZ_OK)
        rc = handle_tx(c, cmd, text, text ? len : 0, from ? from : "", body, key, out);
    if (own && rc == KZ_OK && out->duplicate)
        store_rollback(st);
    else if (own && rc == KZ_OK)
        rc = store_commit(st, err);
    else if (own) {
        store_rollback(st);
        record_alone(c, from ? from : "", body, key);
    }
    if (rc != KZ_OK || out->duplicate) {
        out->nreplies = 0;
        out->message_id = rc == KZ_OK ? 0 : out->message_id;
    }
    free(cmd);
    free(c);
    free(body);
    return rc;
}
