/*
 * engine.h - the task engine: offering tasks to workers, taking answers,
 * aggregating them into results, and the money each answer earns.
 * Owns: eligibility and fairness of dispatch, assignment references (the
 * short numbers workers type), offer expiry, MORE and SKIP, aggregation and
 * "needs review" (and a human's settlement of it), reward and SMS-refund
 * ledger entries, rejections, appeals and their decisions, automatic
 * acceptance.
 * Never renders text, parses SMS, logs or reads configuration files: the
 * conversation layer (tasks/conv.h) turns SMS into these calls and results
 * into templates. All times are Unix seconds (UTC) passed in by the caller.
 */
#ifndef KAZI_ENGINE_H
#define KAZI_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

typedef struct engine_config {
    int tz_offset_minutes;     /* local time of the deployment (Kenya: +180) */
    int push_from_minute;      /* unsolicited offers only from 07:00 ... */
    int push_to_minute;        /* ... to 19:00 local (minutes after midnight) */
    int offer_seconds;         /* time to answer an offer before it returns to the pool */
    int more_seconds;          /* what one MORE adds */
    int max_extensions;        /* MOREs allowed per offer */
    int max_open_per_worker;   /* offers a worker may hold at once */
    int gold_per_mille;        /* gold tasks mixed in per 1000 offers */
    int agreement_percent;     /* plurality share needed to resolve (e.g. 67) */
    int max_redundancy_extra;  /* extra workers an unresolved task may go to before review */
    int auto_accept_days;      /* pending answers accepted after this many days */
    int64_t sms_refund_minor;  /* per reply segment a worker sends (KES 120 = KSh 1.20) */
    char currency[4];          /* "KES" */
} engine_config;

/*
 * Days after a rejection during which the worker may appeal; the money stays
 * held (engine_balance.held_minor) until then, or until an appeal is decided.
 */
#define ENGINE_APPEAL_DAYS 30

/*
 * Seconds after an offer expired during which its ref is not handed out again,
 * so a late answer ("42 2" an hour too late) still finds its own task.
 */
#define ENGINE_LATE_WINDOW (24 * 3600)

/*
 * Seconds after an offer was answered or skipped during which its ref is not
 * handed out again: a worker's "42 2" sent twice (the first seemed lost) is
 * then "already answered", never an answer to a different task 42, and two
 * tasks in a row that both deserve "1 1" never look like a resend.
 */
#define ENGINE_REF_REST 3600

/* Defaults for a Kenyan deployment (../shared/economics.md). */
void engine_config_defaults(engine_config *cfg);

/* One task offered to one worker: what the conversation layer needs to word it. */
typedef struct engine_offer {
    int64_t assignment_id;
    int64_t task_id;
    int ref;                   /* the short number the worker types (1-9999) */
    char requester[65];
    char batch[65];
    char type[12];             /* verify | choice | transcribe */
    char prompt[481];
    char options[481];         /* "Yes|No|Closed", "" for transcribe */
    int est_seconds;
    int64_t reward_minor;
    char currency[4];
    int64_t due_at;
} engine_offer;

/*
 * Offer worker_id one task now, if one is eligible: the worker is active
 * (and, unless solicited, inside their own hours and the push window and
 * not paused), under max_open_per_worker, never offered the same task
 * twice, tasks needing answers spread fairly (fewest answers first, then
 * oldest), gold tasks mixed in at gold_per_mille. solicited is true when the
 * worker asked (NEXT): the push window and the worker's hours do not apply
 * to a reply to their own request. *found false when nothing is eligible.
 * Runs in its own IMMEDIATE transaction unless one is open.
 */
kz_status engine_offer_next(kz_store *st, const engine_config *cfg, int64_t worker_id,
                            int64_t now, bool solicited, engine_offer *out, bool *found,
                            kz_err *err);

typedef enum engine_answer_status {
    ENGINE_ANSWER_OK = 0,       /* recorded; earned_minor credited */
    ENGINE_ANSWER_NO_TASK,      /* no open offer with that ref for this worker */
    ENGINE_ANSWER_AMBIGUOUS,    /* a bare answer while several offers are open */
    ENGINE_ANSWER_TWICE,        /* this worker already answered that task */
    ENGINE_ANSWER_BAD_OPTION,   /* not one of the options (n_options says how many) */
    ENGINE_ANSWER_LATE          /* the offer expired; recorded as late, not paid */
} engine_answer_status;

typedef struct engine_answer_result {
    engine_answer_status status;
    int ref;
    int64_t answer_id;
    int64_t earned_minor;      /* reward + SMS refund credited by this answer */
    char currency[4];
    int n_options;
    char value[481];           /* the normalised answer */
} engine_answer_result;

/*
 * Take worker_id's answer `text` to the offer `ref` (0 for a bare answer,
 * allowed when exactly one offer is open). A choice/verify answer is an
 * option number or the option's text (case-insensitive, also YES/Y/NDIYO/NDIO
 * and NO/N/HAPANA/LA for options named Yes and No); a transcription is kept
 * as sent (white space runs made one space). message_id (0 if none) and
 * segments (the inbound SMS's segment count) drive the SMS refund, once per
 * message. Aggregates the task when it has enough answers.
 * On time means the offer was still open (not yet returned to the pool by
 * engine_expire): paid. An answer to an offer that expired within
 * ENGINE_LATE_WINDOW is recorded with late = 1 and status LATE: its SMS is
 * refunded, it earns no reward and does not count towards the consensus.
 * BAD_OPTION, NO_TASK, AMBIGUOUS and TWICE write nothing.
 * A database failure is a status; an answer outcome is out->status.
 */
kz_status engine_answer(kz_store *st, const engine_config *cfg, int64_t worker_id, int ref,
                        const char *text, int64_t message_id, int segments, int64_t now,
                        engine_answer_result *out, kz_err *err);

/* SKIP: free the offer ref, no penalty. *found false if no such open offer. */
kz_status engine_skip(kz_store *st, int64_t worker_id, int ref, int64_t now, bool *found,
                      kz_err *err);

/*
 * MORE: extend the offer ref by more_seconds. *new_due receives the new due
 * time; *found false if no such open offer; *allowed false once
 * max_extensions is reached (nothing changes then).
 */
kz_status engine_more(kz_store *st, const engine_config *cfg, int64_t worker_id, int ref,
                      int64_t now, int64_t *new_due, bool *found, bool *allowed, kz_err *err);

/* Return expired offers to the pool (no penalty). *n (may be NULL) receives how many. */
kz_status engine_expire(kz_store *st, int64_t now, size_t *n, kz_err *err);

/*
 * Call cb for each worker who may get an unsolicited offer now (active, not
 * paused, inside their hours and the push window, under the open limit).
 * Stops early when cb returns non-zero.
 */
kz_status engine_push_each(kz_store *st, const engine_config *cfg, int64_t now,
                           int (*cb)(void *ctx, int64_t worker_id), void *ctx, kz_err *err);

/* Accept answers pending longer than auto_accept_days. *n may be NULL. */
kz_status engine_auto_accept(kz_store *st, const engine_config *cfg, int64_t now, size_t *n,
                             kz_err *err);

/*
 * A requester rejects an answer: reason required (sent to the worker). The
 * reward is held (a 'hold' ledger entry), not forfeited, until the appeal
 * window closes or an appeal is decided.
 */
kz_status engine_reject(kz_store *st, int64_t answer_id, const char *reason, int64_t now,
                        kz_err *err);

/* APPEAL ref reason: *appeal_id receives the new appeal; KZ_ERR_STATE if not rejected. */
kz_status engine_appeal_open(kz_store *st, int64_t worker_id, int ref, const char *reason,
                             int64_t now, int64_t *appeal_id, kz_err *err);

/* A human decides: overturn releases the held money; uphold reverses it. Reason required. */
kz_status engine_appeal_decide(kz_store *st, int64_t appeal_id, bool overturn,
                               const char *reviewer, const char *reason, int64_t now,
                               kz_err *err);

/* A worker's money in one currency: available to cash out, held, paid out. */
typedef struct engine_balance {
    int64_t available_minor;
    int64_t held_minor;
    int64_t paid_minor;
    int64_t earned_minor;
    char currency[4];
} engine_balance;

/*
 * worker_id's balance in currency now (the wall clock; engine_balance_at for a
 * given time). available_minor is the sum of all the worker's entries in that
 * currency (a 'hold' entry has already taken rejected money out of it);
 * held_minor is money under a rejection that is not final yet (appeal open,
 * or no appeal and within ENGINE_APPEAL_DAYS), shown beside it, not in it;
 * paid_minor is what payouts took out; earned_minor is reward + sms_refund +
 * retainer entries. docs/engine.md lists every entry.
 */
kz_status engine_balance_get(kz_store *st, int64_t worker_id, const char *currency,
                             engine_balance *out, kz_err *err);

/* Accuracy feedback for a worker (from gold and agreement); never used to ban. */
typedef struct engine_accuracy {
    int64_t answers, gold_seen, gold_right, agreed, compared;
} engine_accuracy;

kz_status engine_accuracy_get(kz_store *st, int64_t worker_id, engine_accuracy *out,
                              kz_err *err);

/* ---- additions (docs/engine.md) ---- */

/* engine_balance_get as of time now (held money depends on the appeal window). */
kz_status engine_balance_at(kz_store *st, int64_t worker_id, const char *currency, int64_t now,
                            engine_balance *out, kz_err *err);

/*
 * Reimburse an inbound message that is not an answer (NEXT, SKIP, MORE, ...):
 * segments x sms_refund_minor in cfg->currency as an 'sms_refund' entry, once
 * per message_id (the ledger's unique index). *credited (may be NULL) receives
 * the amount, 0 if the message was already refunded. message_id must name a
 * row of messages; KZ_ERR_INVALID if it is 0 or segments < 1.
 */
kz_status engine_sms_refund(kz_store *st, const engine_config *cfg, int64_t worker_id,
                            int64_t message_id, int segments, int64_t now, int64_t *credited,
                            kz_err *err);

/*
 * The agreement key of a transcription: ASCII letters lowercased, ASCII
 * digits and non-ASCII characters kept, everything else (spaces, ASCII
 * punctuation, NBSP, curly quotes, dashes, ellipsis) dropped, so
 * "Nairobi West." and "nairobi-west" agree. Writes at most cap-1 bytes plus a
 * NUL; returns the key's full length (snprintf rule).
 */
size_t engine_text_key(const char *s, char *out, size_t cap);

/* How a task ended, for listings: *state receives "open", "resolved" or "review". */
typedef struct engine_result {
    char state[12];
    char consensus[481]; /* "" unless resolved */
    int votes, answers, agreement_percent;
    int wanted;          /* answers wanted now (redundancy plus any escalation) */
} engine_result;

/* Fill *out for task_id. KZ_ERR_NOTFOUND if no such task. */
kz_status engine_result_get(kz_store *st, int64_t task_id, engine_result *out, kz_err *err);

/* One appeal for listings. Pointers valid during the callback only. */
typedef struct engine_appeal_row {
    int64_t id, answer_id, worker_id;
    const char *phone, *batch, *ext_id;
    const char *answer;        /* the answer's value */
    const char *reject_reason; /* why it was rejected */
    const char *reason;        /* the worker's appeal */
    const char *state;         /* open | upheld | overturned */
    const char *reviewer, *decision; /* "" while open */
    int64_t opened_at, decided_at;   /* decided_at 0 while open */
    int64_t held_minor;        /* the reward held for it */
    const char *currency;
} engine_appeal_row;

/* Call cb for each appeal (only open ones if open_only), oldest first; non-zero stops. */
kz_status engine_appeals_each(kz_store *st, bool open_only,
                              int (*cb)(void *ctx, const engine_appeal_row *r), void *ctx,
                              kz_err *err);

/* ---- needs review (engine_review.c; docs/engine.md, "Needs review") ---- */

/* Distinct answers listed per task in review, most common first. */
#define ENGINE_REVIEW_GROUPS 8

/* One distinct answer of a task: its most common exact text and how many gave it. */
typedef struct engine_review_group {
    char value[481];
    int count;
} engine_review_group;

/* A task waiting for a human. Pointers valid during the callback only. */
typedef struct engine_review_row {
    int64_t task_id;
    const char *batch, *ext_id, *type, *prompt, *options;
    int64_t flagged_at;  /* when it went to review */
    int answers;         /* counted answers (on time, not rejected) */
    size_t ngroups;      /* distinct answers in groups[] (at most ENGINE_REVIEW_GROUPS) */
    size_t ngroups_all;  /* distinct answers in all */
    const engine_review_group *groups; /* largest first, then first given */
} engine_review_row;

/*
 * Call cb for each task in review (task_results state 'review'), oldest
 * first, with its answers grouped as the consensus groups them (options by
 * value, transcriptions by engine_text_key). A non-zero return stops.
 */
kz_status engine_review_each(kz_store *st, int (*cb)(void *ctx, const engine_review_row *r),
                             void *ctx, kz_err *err);

/* What a settlement recorded. */
typedef struct engine_settled {
    char consensus[481];
    int votes, answers, agreement_percent; /* workers whose answer matches the human's */
} engine_settled;

/*
 * A human settles task_id, in review, with `answer`: for verify/choice an
 * option's number or text (as a worker's answer is matched), for a
 * transcription the text (white space runs made one space). The result
 * becomes 'resolved' with that consensus, reviewer (may be NULL) and now
 * noted; each counted answer's agreement is set against it (feedback only).
 * Nothing is taken from anyone: every on-time answer stays paid.
 * KZ_ERR_NOTFOUND: no such task; KZ_ERR_STATE: not in review;
 * KZ_ERR_INVALID: an empty answer or not one of the options. *out may be
 * NULL. Its own IMMEDIATE transaction unless one is open.
 */
kz_status engine_review_settle(kz_store *st, int64_t task_id, const char *answer,
                               const char *reviewer, int64_t now, engine_settled *out,
                               kz_err *err);

#endif
