/*
 * store_engine.h - the SQL primitives of the task engine (tasks/engine*.c):
 * reading workers and the task pool, writing assignments, answers, results,
 * ledger entries and appeals. Each call is one or two prepared statements.
 * Owns: the engine's statement table (store_engine_sql.c). Never decides
 * anything (eligibility, consensus, amounts are the engine's); never opens a
 * transaction of its own: the engine brackets every read-then-write.
 * Only store_engine*.c include sqlite3.h; callers see plain C types.
 */
#ifndef KAZI_STORE_ENGINE_H
#define KAZI_STORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* 1 if the connection is inside an explicit transaction. */
int store_eng_in_tx(kz_store *st);

/* ---- dispatch (store_engine_dispatch.c) ---- */

typedef struct store_eng_worker {
    int64_t id;
    char state[12];         /* active | paused | stopped */
    int64_t paused_until;   /* 0 = not set */
    int has_hours;          /* hours_from/hours_to set */
    int hours_from, hours_to;
    int64_t open_offers;    /* assignments in state offered */
    int64_t total_offers;   /* assignments ever */
} store_eng_worker;

/* Fill *w for worker_id. KZ_ERR_NOTFOUND if there is no such worker. */
kz_status store_eng_worker_get(kz_store *st, int64_t worker_id, store_eng_worker *w, kz_err *err);

/* Bytes of the ref bitmap: one bit for each ref 0..9999 (the schema's range). */
#define STORE_ENG_REF_BITMAP 1250

/*
 * The refs worker_id must not be given now: those of open offers, of offers
 * that expired after `since` (so a late answer still finds its task) and of
 * offers answered or skipped after `rest_since` (so a resent "42 2" is never
 * taken for an answer to a different task 42).
 * Sets bit r (busy[r / 8] & (1 << r % 8)) for each; busy is zeroed first.
 */
kz_status store_eng_refs_busy(kz_store *st, int64_t worker_id, int64_t since,
                              int64_t rest_since, unsigned char busy[STORE_ENG_REF_BITMAP],
                              kz_err *err);

/* Insert an offer. KZ_ERR_BUSY if the worker already had the task or the ref is taken. */
kz_status store_eng_offer_insert(kz_store *st, int64_t task_id, int64_t worker_id, int ref,
                                 int64_t now, int64_t due, int64_t *assignment_id, kz_err *err);

typedef struct store_eng_task {
    int64_t id, batch_id, requester_id;
    char requester[65], batch[65], type[12], state[12];
    char prompt[481], options[481], gold[481];
    int has_gold;
    int est_seconds;
    int64_t reward_minor;
    char currency[4];
    int redundancy; /* the task's, else the batch's */
    int wanted, taken;
} store_eng_task;

/* Fill *t for task_id. KZ_ERR_NOTFOUND if none. */
kz_status store_eng_task_get(kz_store *st, int64_t task_id, store_eng_task *t, kz_err *err);

/*
 * The task to offer worker_id next from the pool (gold = 0: tasks without a
 * gold answer that still want answers; gold = 1: gold tasks), fewest
 * answers+open offers first, then oldest, never one the worker has had, only
 * from open batches, read whole into *t in the same query. t->id is 0 when
 * there is none.
 */
kz_status store_eng_pick_task(kz_store *st, int64_t worker_id, int gold, store_eng_task *t,
                              kz_err *err);

typedef struct store_eng_assign {
    int64_t id, task_id;
    int ref;
    char state[12];
    int64_t offered_at, due_at;
    int extensions;
} store_eng_assign;

/*
 * worker_id's open offer with ref; ref 0 means "the only open one". *count
 * receives how many matched (0, 1, or 2 meaning "two or more" for ref 0);
 * *a is filled when *count >= 1.
 */
kz_status store_eng_open_offer(kz_store *st, int64_t worker_id, int ref, store_eng_assign *a,
                               int *count, kz_err *err);

/* worker_id's most recent offer with ref that expired after since. *found 0/1. */
kz_status store_eng_expired_offer(kz_store *st, int64_t worker_id, int ref, int64_t since,
                                  store_eng_assign *a, int *found, kz_err *err);

/* The same for an offer closed in `state` (answered, skipped, expired) after since. */
kz_status store_eng_closed_offer(kz_store *st, int64_t worker_id, int ref, const char *state,
                                 int64_t since, store_eng_assign *a, int *found, kz_err *err);

/* Close an open offer as state (answered|skipped|expired). *changed 1 if it was open. */
kz_status store_eng_offer_close(kz_store *st, int64_t assignment_id, const char *state,
                                int64_t now, int *changed, kz_err *err);

/* Move an open offer's due time and count one extension. */
kz_status store_eng_offer_extend(kz_store *st, int64_t assignment_id, int64_t new_due,
                                 kz_err *err);

/* Expire every open offer due at or before now. *n receives how many. */
kz_status store_eng_expire(kz_store *st, int64_t now, size_t *n, kz_err *err);

/*
 * Call cb with each worker who may get an unsolicited offer: not stopped, not
 * paused (or the pause has run out), the local minute of the day `minute`
 * inside their hours (if set), fewer than max_open open offers. Order: fewest
 * open offers, fewest offers since recent_since, least recently offered, id.
 * A non-zero return from cb stops the walk (KZ_OK). cb must not write.
 */
kz_status store_eng_push_candidates(kz_store *st, int64_t now, int minute, int max_open,
                                    int64_t recent_since,
                                    int (*cb)(void *ctx, int64_t worker_id), void *ctx,
                                    kz_err *err);

/* ---- answers and results (store_engine_answer.c) ---- */

/* *exists 1 if worker_id already answered task_id. */
kz_status store_eng_answered(kz_store *st, int64_t task_id, int64_t worker_id, int *exists,
                             kz_err *err);

typedef struct store_eng_answer_in {
    int64_t task_id, worker_id;
    int64_t assignment_id; /* 0: none */
    int64_t message_id;    /* 0: none */
    const char *value, *raw;
    int late;
    int64_t at;
} store_eng_answer_in;

/* Insert an answer. KZ_ERR_BUSY if the worker already answered the task. */
kz_status store_eng_answer_insert(kz_store *st, const store_eng_answer_in *a,
                                  int64_t *answer_id, kz_err *err);

/* Call cb(answer_id, value) for each counted answer of task_id (on time, not rejected). */
kz_status store_eng_votes(kz_store *st, int64_t task_id,
                          int (*cb)(void *ctx, int64_t answer_id, const char *value), void *ctx,
                          kz_err *err);

/* Set answers.agrees (0/1). */
kz_status store_eng_answer_agrees(kz_store *st, int64_t answer_id, int agrees, kz_err *err);

typedef struct store_eng_result {
    int64_t task_id;
    const char *state;     /* resolved | review */
    const char *consensus; /* NULL for review */
    int votes, answers, agreement;
    int64_t at;
} store_eng_result;

/* Record how a task ended (first time only: a second call changes nothing). */
kz_status store_eng_result_put(kz_store *st, const store_eng_result *r, kz_err *err);

/* How a task ended: state "open" (no result yet), "resolved" or "review". */
typedef struct store_eng_result_row {
    char state[12];
    char consensus[481];
    int votes, answers, agreement, wanted;
} store_eng_result_row;

/* Fill *out for task_id. KZ_ERR_NOTFOUND if no such task. */
kz_status store_eng_result_get(kz_store *st, int64_t task_id, store_eng_result_row *out,
                               kz_err *err);

/* A task waiting for a human (task_results state 'review'). Pointers valid in the callback. */
typedef struct store_eng_review_row {
    int64_t task_id;
    const char *batch, *ext_id, *type, *prompt, *options;
    int64_t flagged_at;
} store_eng_review_row;

/* Call cb for each task in review, oldest first; non-zero stops. cb may read, not write. */
kz_status store_eng_review_each(kz_store *st,
                                int (*cb)(void *ctx, const store_eng_review_row *r), void *ctx,
                                kz_err *err);

/*
 * Settle a task in review as r (state resolved, consensus set), noting
 * reviewer (NULL: none) and r->at. *changed 0 if the task was not in review.
 */
kz_status store_eng_result_settle(kz_store *st, const store_eng_result *r, const char *reviewer,
                                  int *changed, kz_err *err);

/* Set tasks.state (open|done|cancelled). */
kz_status store_eng_task_state(kz_store *st, int64_t task_id, const char *state, kz_err *err);

/* Set tasks.wanted (answers wanted, escalation included). */
kz_status store_eng_task_wanted(kz_store *st, int64_t task_id, int wanted, kz_err *err);

/* ---- money and appeals (store_engine_money.c) ---- */

typedef struct store_eng_entry {
    int64_t worker_id;
    const char *kind; /* reward | sms_refund | hold | release | ... */
    int64_t amount_minor;
    const char *currency;
    int64_t answer_id;  /* 0: none */
    int64_t message_id; /* 0: none */
    const char *memo;   /* may be NULL */
    int64_t at;
} store_eng_entry;

/* Append a ledger entry. KZ_ERR_BUSY if a once-only index says it exists already. */
kz_status store_eng_ledger_add(kz_store *st, const store_eng_entry *e, kz_err *err);

typedef struct store_eng_answer_info {
    int64_t id, task_id, worker_id, assignment_id;
    int ref;             /* the offer's ref, 0 if none */
    char state[12];      /* pending | accepted | rejected */
    int late;
    int64_t received_at, rejected_at;
    int64_t reward_minor; /* the reward entry's amount, 0 if unpaid */
    char currency[4];     /* the reward entry's currency, "" if unpaid */
    int64_t hold_minor;   /* sum of hold entries (<= 0) */
    int64_t release_minor; /* sum of release entries (>= 0) */
} store_eng_answer_info;

/* Fill *out for answer_id. KZ_ERR_NOTFOUND if none. */
kz_status store_eng_answer_get(kz_store *st, int64_t answer_id, store_eng_answer_info *out,
                                kz_err *err);

/* Reject a pending answer with reason at now. *changed 0 if it was not pending. */
kz_status store_eng_answer_reject(kz_store *st, int64_t answer_id, const char *reason,
                                  int64_t now, int *changed, kz_err *err);

/* Accept a rejected answer (an overturned appeal). */
kz_status store_eng_answer_unreject(kz_store *st, int64_t answer_id, kz_err *err);

/* Accept answers still pending that were received at or before `before`. */
kz_status store_eng_auto_accept(kz_store *st, int64_t before, size_t *n, kz_err *err);

/* worker_id's most recent rejected answer whose offer had ref. *answer_id 0 if none. */
kz_status store_eng_rejected_by_ref(kz_store *st, int64_t worker_id, int ref,
                                    int64_t *answer_id, kz_err *err);

/* How many appeals answer_id has had (any state). */
kz_status store_eng_appeal_count(kz_store *st, int64_t answer_id, int64_t *n, kz_err *err);

/* Open an appeal. KZ_ERR_BUSY if one is open for the answer. */
kz_status store_eng_appeal_insert(kz_store *st, int64_t answer_id, int64_t worker_id,
                                  const char *reason, int64_t now, int64_t *appeal_id,
                                  kz_err *err);

typedef struct store_eng_appeal {
    int64_t id, answer_id, worker_id;
    char state[12];
} store_eng_appeal;

/* Fill *out for appeal_id. KZ_ERR_NOTFOUND if none. */
kz_status store_eng_appeal_get(kz_store *st, int64_t appeal_id, store_eng_appeal *out,
                               kz_err *err);

/* Decide an open appeal (state upheld|overturned). *changed 0 if it was not open. */
kz_status store_eng_appeal_decide(kz_store *st, int64_t appeal_id, const char *state,
                                  const char *reviewer, const char *decision, int64_t now,
                                  int *changed, kz_err *err);

/* Sums of worker_id's entries in currency by kind, for the balance. */
typedef struct store_eng_sums {
    int64_t all, reward, sms_refund, retainer, payout, payout_fee, payout_reversal, hold,
        release, adjustment;
} store_eng_sums;

kz_status store_eng_sums_get(kz_store *st, int64_t worker_id, const char *currency,
                             store_eng_sums *out, kz_err *err);

/*
 * Money of worker_id in currency held under rejections not yet final: the
 * answer has a hold without a release, and its appeal is open, or it has had
 * no appeal and was rejected after window_since. *held >= 0.
 */
kz_status store_eng_held(kz_store *st, int64_t worker_id, const char *currency,
                         int64_t window_since, int64_t *held, kz_err *err);

/* Accuracy counts (engine.h's engine_accuracy fields, in that order). */
kz_status store_eng_accuracy(kz_store *st, int64_t worker_id, int64_t out[5], kz_err *err);

/* One appeal for the `kazi appeals` listing. Pointers valid during the callback only. */
typedef struct store_eng_appeal_row {
    int64_t id, answer_id, worker_id;
    const char *phone, *batch, *ext_id, *value, *reject_reason, *reason, *state;
    const char *reviewer, *decision;
    int64_t opened_at, decided_at, held_minor;
    const char *currency;
} store_eng_appeal_row;

/* Call cb for each appeal (only open ones when open_only), oldest first. */
kz_status store_eng_appeals_each(kz_store *st, int open_only,
                                 int (*cb)(void *ctx, const store_eng_appeal_row *r),
                                 void *ctx, kz_err *err);

#endif
