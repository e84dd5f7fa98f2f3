/*
 * conv_abuse.c - the inbound abuse limits (conv_limits.h) for one SMS:
 * binary and oversized messages refused before the parser, a number past
 * its inbound rate, a number that keeps sending the same text, and the cap
 * of messages per number per local day. Every message stays recorded; what
 * bit is written to messages.reason and, once per number, kind and local
 * day, to number_flags.
 * Owns: those decisions. Never deletes or drops a message, never holds back
 * a STOP, never counts an answer or a message that got an offer as a
 * repeat, never logs (the daemon logs out->flag).
 */
#include <stdio.h>

#include "conv_internal.h"
#include "store_abuse.h"

#define DAY 86400

int64_t conv_day_start(const conv_config *cfg, int64_t t)
{
    int64_t local = t + (int64_t)cfg->engine.tz_offset_minutes * 60;
    int64_t into = local % DAY;
    if (into < 0)
        into += DAY;
    return t - into;
}

kz_status conv_day_cap_ok(kz_store *st, const conv_config *cfg, const char *phone, int64_t now,
                          bool *ok, kz_err *err)
{
    int64_t all = 0;
    kz_status rc = store_conv_replies_since(st, phone, conv_day_start(cfg, now), &all, NULL,
                                            err);
    *ok = rc == KZ_OK && all < cfg->max_total_day;
    return rc;
}

/*
 * FNV-1a 64 of text with ASCII letters lowercased and every ASCII byte that
 * is not a letter or digit left out ("Hello!!", "hello" and "H E L L O" are
 * one text); other bytes count as they are. *empty when nothing counted.
 */
static int64_t norm_hash(const char *text, bool *empty)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    *empty = true;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        unsigned char b = *p;
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b - 'A' + 'a');
        else if (b < 0x80 && !(b >= 'a' && b <= 'z') && !(b >= '0' && b <= '9'))
            continue;
        h ^= b;
        h *= 0x100000001b3ULL;
        *empty = false;
    }
    return (int64_t)(h >> 1); /* a non-negative SQLite integer */
}

/* Characters (code points) of UTF-8 text. */
static size_t utf8_chars(const char *text)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

kz_status conv_abuse_flag(conv_ctx *c, conv_result *out, const char *kind)
{
    char day[16];
    conv_local(c, c->now, CONV_TIME_DATE, day, sizeof day);
    bool first = false;
    kz_status rc = store_abuse_flag(c->st, c->peer, kind, day, c->now, c->in_id, &first, c->err);
    if (rc == KZ_OK && first && !out->flag)
        out->flag = kind;
    return rc;
}

static void set_reason(conv_ctx *c, const char *reason)
{
    if (!c->reason)
        c->reason = reason;
}

kz_status conv_abuse_size(conv_ctx *c, conv_result *out, bool *refused)
{
    const conv_limits *l = &c->cfg->limits;
    *refused = false;
    if (c->binary) {
        *refused = true;
        set_reason(c, "binary");
        return conv_abuse_flag(c, out, "binary"); /* a machine's message: never answered */
    }
    bool big = (l->max_parts > 0 && c->parts > l->max_parts) ||
               (l->max_chars > 0 && utf8_chars(c->body) > (size_t)l->max_chars);
    if (!big)
        return KZ_OK;
    *refused = true;
    set_reason(c, "oversized");
    kz_status rc = conv_abuse_flag(c, out, "oversized");
    if (rc != KZ_OK)
        return rc;
    char max[16];
    snprintf(max, sizeof max, "%d", l->max_chars > 0 ? l->max_chars : 153 * l->max_parts);
    tmpl_var v[] = {{"max", max}};
    c->not_understood = true; /* the same reply never twice in a row within an hour */
    return conv_say(c, "in_too_long", v, 1);
}

kz_status conv_abuse_rate(conv_ctx *c, conv_result *out, bool *refused)
{
    const conv_limits *l = &c->cfg->limits;
    *refused = false;
    if (l->rate_max <= 0 || l->rate_window_s <= 0 || c->cmd->kind == CONV_STOP)
        return KZ_OK;
    int64_t since = c->now - l->rate_window_s, n = 0;
    kz_status rc = store_abuse_inbound_count(c->st, c->peer, since, c->in_id, l->rate_max, &n,
                                             c->err);
    if (rc != KZ_OK || n < l->rate_max)
        return rc;
    *refused = true;
    set_reason(c, "rate");
    out->limited = true;
    bool noticed = false;
    rc = store_abuse_reason_seen(c->st, c->peer, "rate", since, c->in_id, &noticed, c->err);
    if (rc == KZ_OK)
        rc = conv_abuse_flag(c, out, "rate");
    if (rc != KZ_OK || noticed)
        return rc;
    char minutes[16];
    snprintf(minutes, sizeof minutes, "%d", (l->rate_window_s + 59) / 60);
    tmpl_var v[] = {{"n", minutes}};
    return conv_say(c, "slow_down", v, 1);
}

kz_status conv_abuse_repeat(conv_ctx *c, conv_result *out)
{
    const conv_limits *l = &c->cfg->limits;
    if (c->took_answer || c->offer_assignment || c->cmd->kind == CONV_STOP)
        return KZ_OK;
    bool empty = true;
    int64_t h = norm_hash(c->body, &empty);
    if (empty)
        return KZ_OK;
    c->has_norm = true;
    c->norm = h;
    if (l->repeat_max <= 1 || l->repeat_window_s <= 0)
        return KZ_OK;
    int64_t n = 0;
    kz_status rc = store_abuse_repeat_count(c->st, c->peer, h, c->now - l->repeat_window_s,
                                            c->in_id, l->repeat_max - 1, &n, c->err);
    if (rc != KZ_OK || n < l->repeat_max - 1)
        return rc;
    set_reason(c, "repeat");
    if (c->has_reply && !c->exempt) {
        c->has_reply = false;
        out->limited = true;
    }
    return conv_abuse_flag(c, out, "repeat");
}
