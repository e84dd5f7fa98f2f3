/*
 * conv_push.c - an offer nobody asked for (the push): the engine picks the
 * task under the quiet-hours rules, the conversation words it in the
 * worker's language and queues it as an 'unsolicited' message linked to its
 * assignment, all in one transaction (see conv.h, conv_push_offer).
 * Owns: the order "cap, idle, offer, word, queue, link" and the rule that a
 * push goes only to a worker holding no open offer. Never decides who may be
 * contacted otherwise (engine_offer_next and engine_push_each do), never sends.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "conv_offer.h"
#include "sms_text.h"
#include "store_conv.h"

/* Queue offer o to the worker at phone; fill *out. */
static kz_status push_queue(kz_store *st, const conv_config *cfg, const store_conv_worker *w,
                            const char *phone, const engine_offer *o, int64_t now,
                            conv_reply *out, kz_err *err)
{
    const char *lang = tmpl_has_lang(cfg->templates, w->lang) ? w->lang : cfg->default_lang;
    size_t len = 0;
    kz_status rc = conv_offer_render(cfg->templates, lang, o, out->text, sizeof out->text, &len,
                                     err);
    if (rc != KZ_OK)
        return rc;
    size_t segs = sms_count_segments(out->text, len);
    char key[48];
    snprintf(key, sizeof key, "push:%" PRId64, o->assignment_id);
    out->segments = segs < 1 ? 1 : (int)segs;
    snprintf(out->to, sizeof out->to, "%s", phone);
    rc = store_conv_outbound_kind(st, phone, w->id, out->text, out->segments, key, true, now,
                                  &out->message_id, err);
    if (rc == KZ_OK)
        rc = store_conv_offer_link(st, o->assignment_id, out->message_id, err);
    return rc;
}

/*
 * Does the worker hold an open offer already? Then nothing is pushed: the
 * reply to their answer brings the next task with the acknowledgement
 * riding in front, at no extra segment, where a second pushed offer costs
 * one segment now and leaves one answer's acknowledgement to go alone later.
 * More open offers at once are for a worker who asks (NEXT).
 */
static kz_status push_busy(kz_store *st, int64_t worker_id, bool *busy, kz_err *err)
{
    int ref = 0;
    size_t n = 0;
    kz_status rc = store_conv_open_refs(st, worker_id, &ref, 1, &n, err);
    *busy = n > 0;
    return rc;
}

static kz_status push_tx(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                         bool *offered, conv_reply *out, kz_err *err)
{
    store_conv_worker w;
    char phone[PHONE_E164_CAP];
    bool found = false;
    kz_status rc = store_conv_worker_by_id(st, worker_id, &w, phone, sizeof phone, &found, err);
    if (rc != KZ_OK || !found || strcmp(w.state, "stopped") == 0)
        return rc;
    bool ok = false;
    rc = conv_day_cap_ok(st, cfg, phone, now, &ok, err);
    if (rc != KZ_OK || !ok)
        return rc;
    bool busy = false;
    rc = push_busy(st, worker_id, &busy, err);
    if (rc != KZ_OK || busy)
        return rc;
    engine_offer o;
    rc = engine_offer_next(st, &cfg->engine, worker_id, now, false, &o, &found, err);
    if (rc != KZ_OK || !found)
        return rc;
    rc = push_queue(st, cfg, &w, phone, &o, now, out, err);
    *offered = rc == KZ_OK;
    return rc;
}

kz_status conv_push_offer(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                          bool *offered, conv_reply *out, kz_err *err)
{
    conv_reply scratch;
    conv_reply *r = out ? out : &scratch;
    memset(r, 0, sizeof *r);
    *offered = false;
    if (!cfg->templates)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "no message templates loaded");
    bool own = !store_conv_in_tx(st);
    kz_status rc = own ? store_begin(st, err) : KZ_OK;
    if (rc == KZ_OK)
        rc = push_tx(st, cfg, worker_id, now, offered, r, err);
    if (own && rc == KZ_OK && !*offered)
        store_rollback(st); /* nothing written */
    else if (own && rc == KZ_OK)
        rc = store_commit(st, err);
    else if (own)
        store_rollback(st);
    if (rc != KZ_OK)
        *offered = false;
    return rc;
}
