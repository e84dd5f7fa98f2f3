/*
 * web_data_appeals.c - appeals for the console and the API: the listing
 * (`kazi appeals --json` fields, phone masked) and a decision made exactly
 * as `kazi appeals decide` makes it: the engine's decision and the worker's
 * notice in one transaction, both committed or neither.
 * Owns: the APPEAL object and the decision's answer object of web_data.h.
 * Never writes the ledger itself (engine_appeal_decide does), never sends
 * anything (the outbox sends the queued notice).
 */
#include <string.h>

#include "engine.h"
#include "web_data.h"
#include "web_data_internal.h"

typedef struct appeals_out {
    json_t *arr;
    bool full;
} appeals_out;

static int appeal_row(void *ctx, const engine_appeal_row *r)
{
    appeals_out *o = ctx;
    json_t *j = json_pack(
        "{s:I, s:I, s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id",
        (json_int_t)r->id, "answer_id", (json_int_t)r->answer_id, "worker_id",
        (json_int_t)r->worker_id, "phone", web_phone_json(r->phone, o->full), "batch", r->batch,
        "task", r->ext_id, "answer", r->answer, "reject_reason", r->reject_reason, "reason",
        r->reason, "state", r->state, "reviewer", r->reviewer, "decision", r->decision,
        "opened_at", (json_int_t)r->opened_at, "decided_at", (json_int_t)r->decided_at,
        "held_minor", (json_int_t)r->held_minor, "currency", r->currency);
    return web_append(o->arr, j);
}

kz_status web_appeals(kz_store *st, bool open_only, bool full, json_t **out, kz_err *err)
{
    *out = NULL;
    appeals_out o = {.arr = json_array(), .full = full};
    if (!o.arr)
        return web_oom(err);
    kz_status s = engine_appeals_each(st, open_only, appeal_row, &o, err);
    if (s != KZ_OK) {
        json_decref(o.arr);
        return s == KZ_ERR_IO ? web_oom(err) : s;
    }
    *out = o.arr;
    return KZ_OK;
}

/* The notice part of a decision's answer. NULL if out of memory. */
static json_t *notice_json(const conv_reply *n, bool full)
{
    if (!n->message_id)
        return json_pack("{s:b}", "queued", 0);
    return json_pack("{s:b, s:o, s:i, s:s}", "queued", 1, "to", web_phone_json(n->to, full),
                     "segments", n->segments, "text", n->text);
}

/* The decision and its notice in one transaction (as cmd_appeals.c decides). */
static kz_status decide(kz_store *st, const conv_config *conv, int64_t id, bool overturn,
                        const char *note, const char *reviewer, int64_t now, conv_reply *notice,
                        kz_err *err)
{
    kz_status s = store_begin(st, err);
    if (s == KZ_OK)
        s = engine_appeal_decide(st, id, overturn, reviewer, note, now, err);
    if (s == KZ_OK)
        s = conv_notify_appeal_decision(st, conv, id, now, notice, err);
    if (s == KZ_OK)
        s = store_commit(st, err);
    if (s != KZ_OK)
        store_rollback(st);
    return s;
}

kz_status web_appeal_decide(kz_store *st, const conv_config *conv, int64_t id,
                            const char *decision, const char *note, const char *reviewer,
                            bool full, int64_t now, json_t **out, kz_err *err)
{
    *out = NULL;
    bool overturn = decision && strcmp(decision, "overturn") == 0;
    if (!overturn && !(decision && strcmp(decision, "uphold") == 0))
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "decision must be 'overturn' or 'uphold'");
    if (!note || !*note)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET,
                          "a decision needs a note for the worker");
    if (id <= 0)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no appeal %lld", (long long)id);
    conv_reply notice;
    memset(&notice, 0, sizeof notice);
    kz_status s = decide(st, conv, id, overturn, note, reviewer, now, &notice, err);
    if (s != KZ_OK)
        return s;
    json_t *j = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "state",
                          overturn ? "overturned" : "upheld", "notice",
                          notice_json(&notice, full));
    if (!j)
        return web_oom(err);
    *out = j;
    return KZ_OK;
}
