/*
 * conv_internal.h - what tasks/conv.c (the flow of one SMS) and
 * tasks/conv_cmds.c (one handler per command) share: the context of the SMS
 * being handled and the helpers that word replies.
 * Owns: nothing beyond those declarations. Never included outside tasks/conv*.c.
 */
#ifndef KAZI_CONV_INTERNAL_H
#define KAZI_CONV_INTERNAL_H

#include "conv.h"
#include "store_conv.h"

typedef struct conv_ctx {
    kz_store *st;
    const conv_config *cfg;
    kz_err *err;
    const conv_cmd *cmd;
    char peer[PHONE_E164_CAP];
    bool is_worker;
    store_conv_worker w;
    char lang[8];          /* the reply language */
    int64_t now;
    int64_t in_id;         /* the inbound message */
    int in_segments;
    /* what the handler decided */
    char text[TMPL_OUT_CAP];
    size_t len;
    bool has_reply;
    int64_t offer_assignment; /* the reply carries this offer (0: none) */
    bool exempt;           /* a STOP confirmation: not held back by the hourly limits */
    bool refund;           /* reimburse the worker's SMS (commands; answers pay their own) */
    bool ignored;          /* nothing was done (empty, junk): the message is 'ignored' */
    bool not_understood;   /* the reply says "not understood": never twice in a row an hour */
    /* the inbound limits (conv_abuse.c) */
    const char *body;      /* the cleaned text */
    int parts;             /* parts the sender sent */
    bool binary;
    bool took_answer;      /* the engine recorded it as an answer */
    bool has_norm;         /* norm is the normalised text's hash (not an answer, not empty) */
    int64_t norm;
    const char *reason;    /* static: why not acted on / not answered (messages.reason) */
    const char *in_state;  /* static: the inbound message's end state ('handled', 'ignored') */
} conv_ctx;

/* Render key into c->text as the reply. */
kz_status conv_say(conv_ctx *c, const char *key, const tmpl_var *v, size_t n);

/* Render key into out (cap bytes) in the reply language, without making it the reply. */
kz_status conv_word(conv_ctx *c, const char *key, const tmpl_var *v, size_t n, char *out,
                    size_t cap);

/* May one more reply that carries an offer go to this number today? */
kz_status conv_may_offer(conv_ctx *c, bool *ok);

/* Money in the SMS form ("KSh3", "KSh4.20") in the engine's currency. */
void conv_money(const conv_ctx *c, int64_t minor, char *out, size_t cap);

/* Forms of local time in replies. */
typedef enum conv_time_form {
    CONV_TIME_HM,     /* "14:05" */
    CONV_TIME_DAY_HM, /* "05/12 14:05" (day first, as in East Africa) */
    CONV_TIME_DATE    /* "2025-12-05" */
} conv_time_form;

/* Local time of t (the deployment's offset) in form, into out. */
void conv_local(const conv_ctx *c, int64_t t, conv_time_form form, char *out, size_t cap);

/* HIST, CERT and CHECK (conv_record.c): the reply is left in c. */
kz_status conv_hist(conv_ctx *c);
kz_status conv_cert(conv_ctx *c);
kz_status conv_check(conv_ctx *c);

/* ---- the inbound limits (conv_abuse.c); each sets c->reason when it bites ---- */

/* Before the parser: a binary message (no reply) or an oversized one (one short reply). */
kz_status conv_abuse_size(conv_ctx *c, conv_result *out, bool *refused);

/* After the parser: past the number's inbound rate (STOP passes; one notice a window). */
kz_status conv_abuse_rate(conv_ctx *c, conv_result *out, bool *refused);

/* After acting: the same text again and again (no answer, no offer) is not answered. */
kz_status conv_abuse_repeat(conv_ctx *c, conv_result *out);

/* Record that limit kind bit (number_flags); out->flag names it the first time today. */
kz_status conv_abuse_flag(conv_ctx *c, conv_result *out, const char *kind);

/* Unix time of the local midnight that began the day of t. */
int64_t conv_day_start(const conv_config *cfg, int64_t t);

/* Route the parsed command (conv_cmds.c). */
kz_status conv_dispatch(conv_ctx *c);

#endif
