/*
 * engine_answer.c - taking a worker's answer: finding the offer it answers
 * (by ref, or the only open one), matching it to an option, recording it
 * on time or late, paying it, and handing the task to aggregation.
 * Owns: "every answer given on time is paid, once" (a 'reward' entry per
 * on-time answer, an 'sms_refund' per answering message) and the answer
 * matching rules. Never parses SMS syntax (the conversation layer splits
 * "42 2" into ref and text) and never renders a reply.
 */
#include "engine_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Bytes of the UTF-8 punctuation the text key drops, at p (0 if none). */
static size_t utf8_punct(const unsigned char *p)
{
    if (p[0] == 0xC2 && p[1] == 0xA0)
        return 2; /* no-break space */
    if (p[0] == 0xE2 && p[1] == 0x80 &&
        ((p[2] >= 0x93 && p[2] <= 0x94) || (p[2] >= 0x98 && p[2] <= 0x9D) || p[2] == 0xA6))
        return 3; /* dashes, curly quotes, ellipsis */
    return 0;
}

size_t engine_text_key(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t skip = *p >= 0x80 ? utf8_punct(p) : 0;
        if (skip) {
            p += skip;
            continue;
        }
        unsigned char c = *p++;
        if (c < 0x80 && !isalnum(c))
            continue;
        if (n + 1 < cap)
            out[n] = (char)(c < 0x80 ? tolower(c) : c);
        n++;
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* Copy at most cap-1 bytes of p[0..n) into out without splitting a UTF-8 character. */
static void copy_utf8(char *out, size_t cap, const char *p, size_t n)
{
    if (cap == 0)
        return;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Does key k name option opt (by the synonyms of Yes and No)? */
static bool synonym(const char *k, const char *opt_key)
{
    static const char *const yes[] = {"yes", "y", "ndiyo", "ndio", NULL};
    static const char *const no[] = {"no", "n", "hapana", "la", NULL};
    const char *const *list = strcmp(opt_key, "yes") == 0 ? yes
                              : strcmp(opt_key, "no") == 0 ? no
                                                            : NULL;
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

/* A key of only digits, as a number (-1 otherwise or when too long). */
static int key_number(const char *k)
{
    if (!*k || strlen(k) > 3)
        return -1;
    int v = 0;
    for (const char *p = k; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

int engine_option_match(const char *options, const char *text, char *value, size_t cap,
                        int *n_options)
{
    char key[128], okey[128];
    engine_text_key(text, key, sizeof key);
    int num = key_number(key);
    int match = 0, n = 0;
    const char *p = options;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        while (len && p[0] == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        n++;
        char opt[481];
        copy_utf8(opt, sizeof opt, p, len);
        engine_text_key(opt, okey, sizeof okey);
        if (!match && (num == n || (*key && (strcmp(key, okey) == 0 || synonym(key, okey))))) {
            match = n;
            copy_utf8(value, cap, opt, strlen(opt));
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    *n_options = n;
    return match;
}

/* A transcription as kept: outer spaces trimmed, inner runs of white space made one space. */
static void transcription_value(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    int space = 0;
    for (const char *p = text; *p && n + 1 < cap; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < cap)
            out[n++] = ' ';
        space = 0;
        out[n++] = *p;
    }
    while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80 && n + 1 >= cap)
        n--; /* never end on a cut character */
    out[n] = '\0';
}

void engine_gold_value(const store_eng_task *t, char *out, size_t cap)
{
    int n = 0;
    if (strcmp(t->type, "transcribe") == 0 || !engine_option_match(t->options, t->gold, out, cap, &n))
        transcription_value(t->gold, out, cap);
}

/* Normalise text for task t into out->value; false (with n_options) if it is not an answer. */
static bool normalise(const store_eng_task *t, const char *text, engine_answer_result *out)
{
    if (strcmp(t->type, "transcribe") == 0) {
        transcription_value(text, out->value, sizeof out->value);
        return out->value[0] != '\0';
    }
    return engine_option_match(t->options, text, out->value, sizeof out->value,
                               &out->n_options) != 0;
}

/* Is value the gold answer of t (compared by text key)? */
static bool gold_agrees(const store_eng_task *t, const char *value)
{
    char gold[481], a[481], b[481];
    engine_gold_value(t, gold, sizeof gold);
    engine_text_key(gold, a, sizeof a);
    engine_text_key(value, b, sizeof b);
    return strcmp(a, b) == 0;
}

/* Credit the reward (on time only) and the message's SMS refund; add them to out. */
static kz_status pay_answer(kz_store *st, const engine_config *cfg, const store_eng_task *t,
                            int64_t worker_id, int64_t message_id, int segments, int64_t now,
                            engine_answer_result *out, kz_err *err)
{
    memcpy(out->currency, t->currency, sizeof out->currency);
    if (out->status == ENGINE_ANSWER_OK && t->reward_minor > 0) {
        store_eng_entry e = {.worker_id = worker_id, .kind = "reward",
                             .amount_minor = t->reward_minor, .currency = t->currency,
                             .answer_id = out->answer_id, .at = now};
        kz_status rc = store_eng_ledger_add(st, &e, err);
        if (rc != KZ_OK)
            return rc;
        out->earned_minor += t->reward_minor;
    }
    if (segments < 1 || cfg->sms_refund_minor <= 0)
        return KZ_OK;
    store_eng_entry e = {.worker_id = worker_id, .kind = "sms_refund",
                         .amount_minor = cfg->sms_refund_minor * segments,
                         .currency = cfg->currency, .answer_id = out->answer_id,
                         .message_id = message_id, .at = now};
    kz_status rc = store_eng_ledger_add(st, &e, err);
    if (rc == KZ_ERR_BUSY)
        return KZ_OK; /* this message was refunded already */
    if (rc == KZ_OK && strcmp(cfg->currency, t->currency) == 0)
        out->earned_minor += e.amount_minor;
    return rc;
}

/* Find the offer the answer is for: *late set when only an expired one matches. */
static kz_status find_offer(kz_store *st, int64_t worker_id, int ref, int64_t now,
                            store_eng_assign *a, bool *late, engine_answer_result *out,
                            kz_err *err)
{
    int count = 0;
    *late = false;
    kz_status rc = store_eng_open_offer(st, worker_id, ref, a, &count, err);
    if (rc != KZ_OK)
        return rc;
    if (count == 1)
        return KZ_OK;
    if (count > 1) {
        out->status = ENGINE_ANSWER_AMBIGUOUS;
        return KZ_OK;
    }
    int found = 0;
    if (ref != 0)
        rc = store_eng_expired_offer(st, worker_id, ref, now - ENGINE_LATE_WINDOW, a, &found,
                                     err);
    *late = found;
    if (rc != KZ_OK || found)
        return rc;
    out->status = ENGINE_ANSWER_NO_TASK;
    if (ref != 0)
        rc = store_eng_closed_offer(st, worker_id, ref, "answered", now - ENGINE_REF_REST, a,
                                    &found, err);
    if (rc == KZ_OK && found) {
        out->status = ENGINE_ANSWER_TWICE;
        out->ref = ref;
    }
    return rc;
}

/* Record the matched answer, close its offer, pay it, aggregate. */
static kz_status record(kz_store *st, const engine_config *cfg, const store_eng_task *t,
                        const store_eng_assign *a, int64_t worker_id, const char *text,
                        int64_t message_id, int segments, int64_t now,
                        engine_answer_result *out, kz_err *err)
{
    bool late = out->status == ENGINE_ANSWER_LATE;
    store_eng_answer_in in = {.task_id = t->id, .worker_id = worker_id, .assignment_id = a->id,
                              .message_id = message_id, .value = out->value, .raw = text,
                              .late = late, .at = now};
    kz_status rc = store_eng_answer_insert(st, &in, &out->answer_id, err);
    if (rc == KZ_OK && !late)
        rc = store_eng_offer_close(st, a->id, "answered", now, NULL, err);
    if (rc == KZ_OK && t->has_gold)
        rc = store_eng_answer_agrees(st, out->answer_id, gold_agrees(t, out->value), err);
    if (rc == KZ_OK)
        rc = pay_answer(st, cfg, t, worker_id, message_id, segments, now, out, err);
    if (rc == KZ_OK && !late)
        rc = engine_aggregate(st, cfg, t, now, err);
    return rc;
}

/* The body of engine_answer inside its transaction; *keep false when nothing was written. */
static kz_status answer_tx(kz_store *st, const engine_config *cfg, int64_t worker_id, int ref,
                           const char *text, int64_t message_id, int segments, int64_t now,
                           engine_answer_result *out, bool *keep, kz_err *err)
{
    store_eng_assign a;
    bool late = false;
    kz_status rc = find_offer(st, worker_id, ref, now, &a, &late, out, err);
    if (rc != KZ_OK || out->status != ENGINE_ANSWER_OK)
        return rc;
    out->ref = a.ref;
    int exists = 0;
    rc = store_eng_answered(st, a.task_id, worker_id, &exists, err);
    if (rc != KZ_OK || exists) {
        out->status = ENGINE_ANSWER_TWICE;
        return rc;
    }
    store_eng_task t;
    rc = store_eng_task_get(st, a.task_id, &t, err);
    if (rc != KZ_OK)
        return rc;
    if (!normalise(&t, text, out)) {
        out->status = ENGINE_ANSWER_BAD_OPTION;
        return KZ_OK;
    }
    if (late)
        out->status = ENGINE_ANSWER_LATE;
    *keep = true;
    return record(st, cfg, &t, &a, worker_id, text, message_id, segments, now, out, err);
}

kz_status engine_answer(kz_store *st, const engine_config *cfg, int64_t worker_id, int ref,
                        const char *text, int64_t message_id, int segments, int64_t now,
                        engine_answer_result *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    out->status = ENGINE_ANSWER_OK;
    out->ref = ref;
    if (!text)
        text = "";
    int own;
    kz_status rc = engine_tx_begin(st, &own, err);
    if (rc != KZ_OK)
        return rc;
    bool keep = false;
    rc = answer_tx(st, cfg, worker_id, ref, text, message_id, segments, now, out, &keep, err);
    if (rc == KZ_OK && !keep) {
        engine_tx_drop(st, own);
        return KZ_OK;
    }
    return engine_tx_end(st, own, rc, err);
}
