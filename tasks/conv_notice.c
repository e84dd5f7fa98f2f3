/*
 * conv_notice.c - the notices a human's decision sends a worker (worker
 * promise 2): a rejection with its reason, the money held and how to
 * APPEAL; an appeal's outcome. One message each, in the worker's language,
 * queued in the transaction of the decision itself (see conv.h).
 * Owns: which template each outcome gets and how a reason is cut to fit.
 * Never decides anything about money (tasks/engine_money.c does), never
 * sends (the outbox does), never writes to a worker who sent STOP.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "money.h"
#include "sms_text.h"
#include "store_conv.h"

/* Characters of a reason shown (templates.c's "reason" placeholder). */
#define REASON_CHARS 70
/* A reason cut at a space no further back than this many characters. */
#define REASON_BACKUP 20

/* One notice being worded for one answer's worker. */
typedef struct notice {
    kz_store *st;
    const conv_config *cfg;
    store_conv_notice a;
    store_conv_worker w;
    char phone[PHONE_E164_CAP];
    char ref[24];
    char org[65];
    char text[TMPL_OUT_CAP];
    size_t len;
} notice;

/* Characters (not bytes) of UTF-8 text s[0..n). */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (s[i] & 0xC0) != 0x80;
    return c;
}

/*
 * reason on one line (control characters and runs of spaces made one
 * space, no full stop at the end: every template puts one after {reason}),
 * cut to REASON_CHARS characters: at a space near the end where there is
 * one, ending in ".." when anything was cut (with the template's full stop,
 * "..."). out holds cap bytes.
 */
static void cut_reason(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap; p++) {
        char ch = (unsigned char)*p < 0x20 ? ' ' : *p;
        if (ch != ' ' || (o > 0 && out[o - 1] != ' '))
            out[o++] = ch;
    }
    while (o && (out[o - 1] == ' ' || out[o - 1] == '.' || (out[o - 1] & 0xC0) == 0xC0))
        o--; /* trailing space or full stop, or a character cut in half by cap */
    out[o] = '\0';
    if (utf8_chars(out, o) <= REASON_CHARS)
        return;
    size_t keep = 0, chars = 0, space = 0;
    for (; keep < o; keep++) {
        if ((out[keep] & 0xC0) != 0x80 && chars++ == REASON_CHARS - 3)
            break;
        if (out[keep] == ' ')
            space = keep;
    }
    if (space && utf8_chars(out + space, keep - space) <= REASON_BACKUP)
        keep = space;
    while (keep && (out[keep - 1] == ' ' || out[keep - 1] == '.'))
        keep--;
    memcpy(out + keep, "..", 3);
}

/* Load the answer and its worker; *send false for a worker who sent STOP. */
static kz_status notice_load(notice *n, int64_t answer_id, bool *send, kz_err *err)
{
    *send = false;
    kz_status rc = store_conv_notice_answer(n->st, answer_id, &n->a, err);
    bool found = false;
    if (rc == KZ_OK)
        rc = store_conv_worker_by_id(n->st, n->a.worker_id, &n->w, n->phone, sizeof n->phone,
                                     &found, err);
    if (rc != KZ_OK)
        return rc;
    if (!found)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no worker %" PRId64,
                          n->a.worker_id);
    /* The ref the worker typed; an answer without an offer falls back to the task's id. */
    snprintf(n->ref, sizeof n->ref, "%" PRId64, n->a.ref > 0 ? (int64_t)n->a.ref : n->a.task_id);
    snprintf(n->org, sizeof n->org, "%s", n->a.requester);
    *send = strcmp(n->w.state, "stopped") != 0;
    return KZ_OK;
}

/* Render key in the worker's language and queue it under dedupe_key. */
static kz_status notice_queue(notice *n, const char *key, const tmpl_var *v, size_t nv,
                              const char *dedupe_key, int64_t now, conv_reply *out, kz_err *err)
{
    const char *lang = tmpl_has_lang(n->cfg->templates, n->w.lang) ? n->w.lang
                                                                  : n->cfg->default_lang;
    kz_status rc = tmpl_render(n->cfg->templates, lang, key, v, nv, n->text, sizeof n->text,
                               &n->len, err);
    if (rc != KZ_OK)
        return rc;
    size_t segs = sms_count_segments(n->text, n->len);
    int64_t id = 0;
    rc = store_conv_outbound_kind(n->st, n->phone, n->w.id, n->text, segs < 1 ? 1 : (int)segs,
                                  dedupe_key, true, now, &id, err);
    if (rc != KZ_OK || !out)
        return rc;
    snprintf(out->to, sizeof out->to, "%s", n->phone);
    memcpy(out->text, n->text, n->len + 1);
    out->segments = segs < 1 ? 1 : (int)segs;
    out->message_id = id;
    return KZ_OK;
}

static kz_status rejection_tx(notice *n, int64_t answer_id, const char *reason, int64_t now,
                              conv_reply *out, kz_err *err)
{
    bool send = false;
    kz_status rc = notice_load(n, answer_id, &send, err);
    if (rc != KZ_OK || !send)
        return rc;
    if (strcmp(n->a.state, "rejected") != 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "answer %" PRId64 " is %s, not rejected",
                          answer_id, n->a.state);
    char why[512], held[40], days[16], key[48];
    cut_reason(reason, why, sizeof why);
    money_format(held, sizeof held, -n->a.hold_minor, n->a.currency, 1);
    snprintf(days, sizeof days, "%d", ENGINE_APPEAL_DAYS);
    snprintf(key, sizeof key, "notice:rejected:%" PRId64, answer_id);
    tmpl_var v[] = {{"ref", n->ref}, {"org", n->org}, {"reason", why}, {"days", days},
                    {"held", held}};
    bool paid = n->a.hold_minor < 0;
    return notice_queue(n, paid ? "rejected" : "rejected_unpaid", v, paid ? 5 : 4, key, now, out,
                        err);
}

static kz_status decision_tx(notice *n, int64_t appeal_id, int64_t now, conv_reply *out,
                             kz_err *err)
{
    int64_t answer_id = 0;
    char state[16], decision[512];
    kz_status rc = store_conv_notice_appeal(n->st, appeal_id, &answer_id, state, sizeof state,
                                            decision, sizeof decision, err);
    bool send = false;
    if (rc == KZ_OK)
        rc = notice_load(n, answer_id, &send, err);
    if (rc != KZ_OK || !send)
        return rc;
    bool won = strcmp(state, "overturned") == 0;
    if (!won && strcmp(state, "upheld") != 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "appeal %" PRId64 " is still open",
                          appeal_id);
    char why[512], amount[40], key[48];
    cut_reason(decision, why, sizeof why);
    money_format(amount, sizeof amount, n->a.release_minor, n->a.currency, 1);
    snprintf(key, sizeof key, "notice:appeal:%" PRId64, appeal_id);
    tmpl_var v[] = {{"ref", n->ref}, {"org", n->org}, {"reason", why}, {"amount", amount}};
    const char *tk = !won                      ? "appeal_lost"
                     : n->a.release_minor > 0 ? "appeal_won"
                                              : "appeal_won_unpaid";
    return notice_queue(n, tk, v, 4, key, now, out, err);
}

/* Run a notice in the caller's transaction, or in its own. */
static kz_status in_tx(kz_store *st, kz_status (*body)(notice *, int64_t, const char *, int64_t,
                                                       conv_reply *, kz_err *),
                       notice *n, int64_t id, const char *reason, int64_t now, conv_reply *out,
                       kz_err *err)
{
    bool own = !store_conv_in_tx(st);
    kz_status rc = own ? store_begin(st, err) : KZ_OK;
    if (rc == KZ_OK)
        rc = body(n, id, reason, now, out, err);
    if (own && rc == KZ_OK)
        rc = store_commit(st, err);
    if (own && rc != KZ_OK)
        store_rollback(st);
    return rc;
}

static kz_status decision_body(notice *n, int64_t id, const char *unused, int64_t now,
                               conv_reply *out, kz_err *err)
{
    (void)unused;
    return decision_tx(n, id, now, out, err);
}

static kz_status start(notice *n, kz_store *st, const conv_config *cfg, conv_reply *out,
                       kz_err *err)
{
    memset(n, 0, sizeof *n);
    n->st = st;
    n->cfg = cfg;
    if (out)
        memset(out, 0, sizeof *out);
    if (!cfg->templates)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "no message templates loaded");
    return KZ_OK;
}

kz_status conv_notify_rejection(kz_store *st, const conv_config *cfg, int64_t answer_id,
                                const char *reason, int64_t now, conv_reply *out, kz_err *err)
{
    notice n;
    kz_status rc = start(&n, st, cfg, out, err);
    if (rc != KZ_OK)
        return rc;
    if (!reason || !*reason)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "a rejection needs a reason");
    return in_tx(st, rejection_tx, &n, answer_id, reason, now, out, err);
}

kz_status conv_notify_appeal_decision(kz_store *st, const conv_config *cfg, int64_t appeal_id,
                                      int64_t now, conv_reply *out, kz_err *err)
{
    notice n;
    kz_status rc = start(&n, st, cfg, out, err);
    return rc == KZ_OK ? in_tx(st, decision_body, &n, appeal_id, NULL, now, out, err) : rc;
}
