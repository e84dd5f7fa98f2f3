/*
 * conv.h - the worker's SMS conversation: one inbound SMS in, its effects in
 * the database and the replies queued in the outbox, all in one transaction.
 * Every command of docs/sms-commands.md (English and Swahili) is routed
 * here to the task engine (tasks/engine.h) or to worker settings, and worded
 * with the language templates (tasks/templates.h).
 * Owns: who gets an answer (never an alphanumeric sender or a short code;
 * replies per number are rate-limited, so Kazi cannot ping-pong with a robot
 * or burn the SMS budget), which reply each outcome gets, and the idea that
 * an acknowledgement rides on the next offer. Never sends (the outbox does),
 * never logs, never reads configuration files.
 */
#ifndef KAZI_CONV_H
#define KAZI_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conv_limits.h"
#include "conv_parse.h"
#include "engine.h"
#include "phone.h"
#include "status.h"
#include "store.h"
#include "templates.h"

/* Agent cash-out fee tiers shown to workers (BAL, PAY). */
#define CONV_FEE_TIERS 8

typedef struct conv_fee_tier {
    int64_t from_minor; /* amounts from ... */
    int64_t to_minor;   /* ... to, inclusive */
    int64_t fee_minor;
} conv_fee_tier;

typedef struct conv_config {
    char country[3];          /* ISO code for local numbers: "KE" */
    char default_lang[8];     /* replies to strangers who wrote no keyword: "en" */
    char terms_version[32];   /* recorded with every JOIN, STOP and return */
    char provider[16];        /* how payouts travel: "M-Pesa" */
    int max_replies_hour;     /* replies without a task offer, per number, per hour */
    int max_replies_day;      /* ... per 24 hours */
    int max_stranger_day;     /* replies to a number that never joined, per 24 hours */
    int max_total_day;        /* every reply, offers included, per number per local day */
    int64_t payout_min_minor; /* smallest PAY */
    size_t nfees;
    conv_fee_tier fees[CONV_FEE_TIERS];
    conv_limits limits;       /* inbound abuse limits (tasks/conv_abuse.c) */
    engine_config engine;
    const tmpl_set *templates; /* loaded by the caller (tmpl_load_dir); required */
} conv_config;

/* Defaults for a Kenyan deployment (economics.md); templates is left NULL. */
void conv_config_defaults(conv_config *cfg);

#define CONV_MAX_REPLIES 2

typedef struct conv_reply {
    char to[PHONE_E164_CAP];
    char text[TMPL_OUT_CAP];
    int segments;
    int64_t message_id; /* the outbox row */
} conv_reply;

typedef struct conv_result {
    int64_t message_id;   /* the inbound row (0 for a duplicate) */
    bool duplicate;       /* the same SMS was handled before: nothing done */
    phone_kind sender;    /* PHONE_PERSON, or a sender that is never answered */
    conv_kind command;
    int64_t worker_id;    /* 0 if the sender is not a worker */
    bool limited;         /* a reply was held back by the rate limits */
    const char *reason;   /* static: why it was not acted on or not answered, NULL if it was */
    const char *flag;     /* static: a limit this number reached for the first time today */
    size_t nreplies;
    conv_reply replies[CONV_MAX_REPLIES];
} conv_result;

/*
 * Handle one inbound SMS from `from` (as the modem gave it) with text[0..len)
 * received at `received_at` (Unix seconds; the SMSC time stamp when known).
 * dedupe_key identifies the SMS (NULL: derived from sender, time and text),
 * so the same SMS handled twice is acted on once. Records the message, acts,
 * and queues the replies (messages direction 'out', state 'queued') in one
 * BEGIN IMMEDIATE transaction, committed before returning, or inside the
 * caller's transaction if one is open (the caller commits then). *out
 * receives what was queued. A database failure returns its status; in its
 * own transaction conv then still records the message (state 'received') so
 * it is not lost.
 */
kz_status conv_handle_sms(kz_store *st, const conv_config *cfg, const char *from,
                          const char *text, size_t len, int64_t received_at,
                          const char *dedupe_key, conv_result *out, kz_err *err);

/* One inbound SMS as the daemon's inbox hands it over. */
typedef struct conv_inbound {
    const char *from;       /* as the modem gave it */
    const char *text;       /* UTF-8 (bad bytes are cleaned), len bytes */
    size_t len;
    int64_t received_at;
    const char *dedupe_key; /* NULL: derived as in conv_handle_sms */
    int parts;              /* SMS parts the sender sent; 0: counted from the text */
    bool binary;            /* 8-bit data or an application port: a machine's, never read */
} conv_inbound;

/*
 * conv_handle_sms with what the inbox knows beyond the text: the parts the
 * sender sent and whether the message is binary. The inbound limits
 * (conv_limits.h) apply to both: a refused message is still recorded,
 * with messages.reason saying why.
 */
kz_status conv_handle_inbound(kz_store *st, const conv_config *cfg, const conv_inbound *in,
                              conv_result *out, kz_err *err);

/*
 * May one more message (an offer Kazi pushes) go to phone today? *ok is
 * false once phone has had max_total_day messages since local midnight.
 */
kz_status conv_day_cap_ok(kz_store *st, const conv_config *cfg, const char *phone, int64_t now,
                          bool *ok, kz_err *err);

/* ---- messages Kazi sends on its own (conv_notice.c, conv_push.c) ---- */

/*
 * Tell the worker that answer_id was rejected: the reason (cut to fit), the
 * money held and how to APPEAL, in their language, as ONE outbound message
 * (direction 'out', state 'queued', kind 'unsolicited' so the outbox sends
 * it inside the push window, segments counted). Call it after engine_reject
 * inside the same transaction, so the rejection and its notice commit
 * together; with no transaction open it runs in its own. The task is named
 * by the ref the worker answered (APPEAL finds the most recent rejected
 * answer with that ref, which this one is) and its requester.
 * KZ_ERR_INVALID without a reason, KZ_ERR_NOTFOUND for no such answer,
 * KZ_ERR_STATE if it is not rejected. *out (may be NULL) receives the
 * message; out->message_id is 0 when nothing was queued: a worker who sent
 * STOP is never sent anything (their money stays held and APPEAL works).
 */
kz_status conv_notify_rejection(kz_store *st, const conv_config *cfg, int64_t answer_id,
                                const char *reason, int64_t now, conv_reply *out, kz_err *err);

/*
 * Tell the worker how their appeal appeal_id was decided: overturned (the
 * money released back to the balance) or upheld (the human's reason). Same
 * rules as conv_notify_rejection: after engine_appeal_decide in the same
 * transaction, one 'unsolicited' message, none to a stopped worker.
 * KZ_ERR_STATE if the appeal is still open.
 */
kz_status conv_notify_appeal_decision(kz_store *st, const conv_config *cfg, int64_t appeal_id,
                                      int64_t now, conv_reply *out, kz_err *err);

/*
 * The push: offer worker_id a task now without being asked
 * (engine_offer_next, solicited false: the push window, the worker's hours
 * and pause apply), worded in their language (conv_offer_render), queued as
 * kind 'unsolicited' and linked to its assignment, in one transaction (its
 * own, or the caller's if one is open). Nothing happens for a worker who
 * has had max_total_day messages in the last 24 hours, nor for one who
 * holds an open offer already (their answer's reply brings the next task,
 * with the acknowledgement riding: a second pushed offer would cost a
 * segment now and leave an acknowledgement to go alone later). The daemon's
 * periodic push (gateway/serve_conv.c) goes through here. *offered says
 * whether an offer was queued; *out (may be NULL) receives it.
 */
kz_status conv_push_offer(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                          bool *offered, conv_reply *out, kz_err *err);

/* ---- what the USSD menu (tasks/ussd_menu.c) shares with the SMS commands ---- */

/* A worker's money as BAL and PAY see it. */
typedef struct conv_cash {
    int64_t avail_minor;     /* may be cashed out now: the balance less payouts not in the ledger */
    int64_t held_minor;      /* under a rejection that is not final */
    int64_t requested_minor; /* the payout in flight, whatever its state (0: none) */
} conv_cash;

/* worker_id's money now (BAL's figures). */
kz_status conv_cash_get(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                        conv_cash *out, kz_err *err);

/* The agent's fee to withdraw amount: true and *fee, or false outside cfg's tiers. */
bool conv_cashout_fee(const conv_config *cfg, int64_t amount_minor, int64_t *fee_minor);

typedef enum conv_pay_outcome {
    CONV_PAY_OK = 0,  /* requested (or, without a key, it would be) */
    CONV_PAY_PENDING, /* a payout is in flight already: *amount is its amount */
    CONV_PAY_MORE,    /* more than is available (and the available is enough for a payout) */
    CONV_PAY_LOW      /* less than the smallest payout */
} conv_pay_outcome;

/*
 * PAY's rules: want_minor (0: all that is available) rounded down to whole
 * currency units, at least payout_min_minor, at most what is available, one
 * payout in flight per worker. With idem_key the payout is created in state
 * 'requested' to phone (the daemon takes it from there); with idem_key NULL
 * nothing is written (the figures for a confirmation). *o says which rule
 * decided, *amount the amount asked or in flight, *cash (may be NULL) the
 * figures. Inside the caller's transaction.
 */
kz_status conv_pay_request(kz_store *st, const conv_config *cfg, int64_t worker_id,
                           const char *phone, int64_t want_minor, const char *idem_key,
                           int64_t now, conv_pay_outcome *o, int64_t *amount, conv_cash *cash,
                           kz_err *err);

typedef enum conv_join_outcome {
    CONV_JOIN_NEW = 0, /* registered now, consent 'join' recorded */
    CONV_JOIN_ALREADY, /* a member already (the name, if given, updated) */
    CONV_JOIN_BACK     /* had left with STOP: active again, consent 'resume' recorded */
} conv_join_outcome;

/*
 * JOIN for phone (E.164) as the SMS JOIN does it: name ("" for none) and
 * lang for a new worker, the consent with cfg->terms_version and message_id
 * (the message that asked). *worker_id receives the worker. Inside the
 * caller's transaction.
 */
kz_status conv_join_phone(kz_store *st, const conv_config *cfg, const char *phone,
                          const char *name, const char *lang, int64_t message_id, int64_t now,
                          conv_join_outcome *o, int64_t *worker_id, kz_err *err);

/* A worker's record as HIST shows it. */
typedef struct conv_record {
    int64_t done;         /* answers not rejected */
    int64_t earned_minor; /* reward, SMS refunds and retainers */
    int64_t agreed, checked;
    bool feedback;        /* enough checked answers to show agreement */
} conv_record;

kz_status conv_record_get(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                          conv_record *out, kz_err *err);

/*
 * CERT: worker_id's certificate for their current record (a new code when
 * the record grew), name as the worker gave it. *done 0 (and code "") when
 * there is no work to certify yet.
 */
kz_status conv_cert_issue(kz_store *st, int64_t worker_id, const char *name, int64_t now,
                          char code[17], int64_t *done, kz_err *err);

#endif
