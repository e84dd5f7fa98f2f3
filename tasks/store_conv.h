/*
 * store_conv.h - the rows the worker's SMS conversation (tasks/conv.c) reads
 * and writes: the message log (inbound with its dedupe key, outbound replies
 * queued for the outbox), worker settings and consents, rate-limit counts,
 * ASK questions, payout requests and certificates.
 * Owns: that SQL (store_conv.c, the only conversation file that includes
 * sqlite3.h). Never decides anything, never logs; every value is bound.
 * Callers run these inside their own transaction (store_begin).
 */
#ifndef KAZI_STORE_CONV_H
#define KAZI_STORE_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

/* 1 if a transaction is open on the connection (the caller's), else 0. */
int store_conv_in_tx(kz_store *st);

/* ---- messages ---- */

/*
 * Record an inbound SMS (state 'received'). worker_id 0 for none. If
 * dedupe_key is already in the log, *duplicate is set and nothing changes.
 * *message_id receives the new row's id.
 */
kz_status store_conv_inbound(kz_store *st, const char *peer, int64_t worker_id, const char *body,
                             int segments, const char *dedupe_key, int64_t at,
                             int64_t *message_id, bool *duplicate, kz_err *err);

/* How an inbound message ended (store_conv_inbound_done). */
typedef struct store_conv_in_end {
    const char *state;  /* 'handled' or 'ignored' */
    int64_t worker_id;  /* 0 keeps the one recorded */
    const char *reason; /* why it was not acted on or not answered; NULL: none */
    bool has_norm;      /* norm is its normalised text's hash (false: NULL) */
    int64_t norm;
    int64_t at;
} store_conv_in_end;

/* Write how inbound message_id ended: state, worker, reason, norm_hash, in one update. */
kz_status store_conv_inbound_done(kz_store *st, int64_t message_id, const store_conv_in_end *e,
                                  kz_err *err);

/* Queue an outbound reply (state 'queued', due now). *message_id receives its id. */
kz_status store_conv_outbound(kz_store *st, const char *peer, int64_t worker_id,
                              const char *body, int segments, const char *dedupe_key, int64_t at,
                              int64_t *message_id, kz_err *err);

/*
 * Queue an outbound message Kazi sends on its own (a pushed offer, a notice)
 * as kind 'unsolicited' (the outbox sends it only inside the push window) or
 * 'reply'. KZ_ERR_BUSY if dedupe_key was used already. *message_id: its id.
 */
kz_status store_conv_outbound_kind(kz_store *st, const char *peer, int64_t worker_id,
                                   const char *body, int segments, const char *dedupe_key,
                                   bool unsolicited, int64_t at, int64_t *message_id,
                                   kz_err *err);

/* Record that outbound message_id carries the offer assignment_id. */
kz_status store_conv_offer_link(kz_store *st, int64_t assignment_id, int64_t message_id,
                                kz_err *err);

/*
 * Replies queued to peer since `since`: *all counts every one, *plain only
 * those that carry no task offer. plain may be NULL: *all alone is counted
 * from the index, without looking at offers.
 */
kz_status store_conv_replies_since(kz_store *st, const char *peer, int64_t since, int64_t *all,
                                   int64_t *plain, kz_err *err);

/* Replies queued to peer in the windows of the reply limits (tasks/conv.c). */
typedef struct store_conv_replies {
    int64_t day_all;    /* since day_since: every reply */
    int64_t day_plain;  /* ... those that carry no task offer */
    int64_t local_all;  /* since local_since (the local midnight): every reply */
    int64_t hour_plain; /* since hour_since: those that carry no task offer */
} store_conv_replies;

/* The four counts of store_conv_replies in one pass over peer's replies. */
kz_status store_conv_reply_windows(kz_store *st, const char *peer, int64_t day_since,
                                   int64_t local_since, int64_t hour_since,
                                   store_conv_replies *out, kz_err *err);

/* The text of the latest reply to peer since `since` into out ("" if none). */
kz_status store_conv_last_reply(kz_store *st, const char *peer, int64_t since, char *out,
                                size_t cap, kz_err *err);

/* The text of peer's inbound message before before_id, if handled since `since` ("" if none). */
kz_status store_conv_prev_inbound(kz_store *st, const char *peer, int64_t before_id,
                                  int64_t since, char *out, size_t cap, kz_err *err);

/* ---- workers ---- */

typedef struct store_conv_worker {
    int64_t id;
    char name[65];
    char lang[8];
    char state[12];       /* active | paused | stopped */
    int64_t paused_until; /* 0 = none */
    int hours_from, hours_to; /* -1 when no hours are set */
    int64_t joined_at;
} store_conv_worker;

/* Find the worker with phone; *found false if none. */
kz_status store_conv_worker_get(kz_store *st, const char *phone, store_conv_worker *w,
                                bool *found, kz_err *err);

/* Find worker id: *w and their phone (cap bytes); *found false if none. */
kz_status store_conv_worker_by_id(kz_store *st, int64_t id, store_conv_worker *w, char *phone,
                                  size_t cap, bool *found, kz_err *err);

/* Register a worker (state active) joined at `at`; *id receives the row id. */
kz_status store_conv_worker_add(kz_store *st, const char *phone, const char *name,
                                const char *lang, int64_t at, int64_t *id, kz_err *err);

/* Set state; paused_until 0 = NULL; stopped_at is set for 'stopped', cleared otherwise. */
kz_status store_conv_worker_state(kz_store *st, int64_t id, const char *state,
                                  int64_t paused_until, int64_t at, kz_err *err);

/* Set the name (NULL or "" clears it), language, or hours (-1, -1 clears them). */
kz_status store_conv_worker_name(kz_store *st, int64_t id, const char *name, kz_err *err);
kz_status store_conv_worker_lang(kz_store *st, int64_t id, const char *lang, kz_err *err);
kz_status store_conv_worker_hours(kz_store *st, int64_t id, int from, int to, kz_err *err);

/* Append a consent event ('join', 'stop', 'resume') with the terms version shown. */
kz_status store_conv_consent(kz_store *st, int64_t worker_id, const char *event,
                             const char *terms, int64_t message_id, int64_t at, kz_err *err);

/* The refs of worker_id's open offers, oldest first: up to cap into refs, *n = how many in all. */
kz_status store_conv_open_refs(kz_store *st, int64_t worker_id, int *refs, size_t cap,
                               size_t *n, kz_err *err);

/* Answers of worker_id that were not rejected, and the time of the first (0 if none). */
kz_status store_conv_work(kz_store *st, int64_t worker_id, int64_t *done, int64_t *first_at,
                          kz_err *err);

/* ---- tasks by the worker's ref ---- */

/*
 * The task worker_id knows as ref (the open offer, else the latest one):
 * *task_id (0 if none), its requester's name and about text ("" if none).
 */
kz_status store_conv_task_by_ref(kz_store *st, int64_t worker_id, int ref, int64_t *task_id,
                                 char *requester, size_t rcap, char *about, size_t acap,
                                 kz_err *err);

/* Record an ASK question about task_id. */
kz_status store_conv_ask(kz_store *st, int64_t task_id, int64_t worker_id, const char *question,
                         int64_t at, kz_err *err);

/* What a notice about an answer (rejection, appeal decision) says. */
typedef struct store_conv_notice {
    int64_t answer_id, worker_id, task_id;
    int ref;               /* the offer's ref, 0 if the answer had no offer */
    char requester[65];
    char state[12];        /* the answer's: pending | accepted | rejected */
    int64_t hold_minor;    /* sum of its hold entries (<= 0) */
    int64_t release_minor; /* sum of its release entries (>= 0) */
    char currency[4];      /* of its reward/hold, else the batch's */
} store_conv_notice;

/* Fill *out for answer_id. KZ_ERR_NOTFOUND if there is no such answer. */
kz_status store_conv_notice_answer(kz_store *st, int64_t answer_id, store_conv_notice *out,
                                   kz_err *err);

/*
 * Appeal appeal_id: *answer_id, its state (open|upheld|overturned) and the
 * decision's reason ("" while open). KZ_ERR_NOTFOUND if there is none.
 */
kz_status store_conv_notice_appeal(kz_store *st, int64_t appeal_id, int64_t *answer_id,
                                   char *state, size_t scap, char *decision, size_t dcap,
                                   kz_err *err);

/* ---- payouts ---- */

/*
 * worker_id's payouts in flight (requested, approved, sending, sent, unknown):
 * *amount the sum of those not yet in the ledger (no 'payout' entry), so the
 * balance is not counted down twice; *requested the amount of the one in
 * flight whatever its state (0 if none: a new PAY may be requested).
 */
kz_status store_conv_payouts_open(kz_store *st, int64_t worker_id, int64_t *amount,
                                  int64_t *requested, kz_err *err);

/* Create a payout in state 'requested'. KZ_ERR_BUSY if idem_key was used already. */
kz_status store_conv_payout_request(kz_store *st, int64_t worker_id, int64_t amount_minor,
                                    const char *currency, const char *phone,
                                    const char *idem_key, int64_t at, kz_err *err);

/* ---- certificates ---- */

/* worker_id's latest certificate: *found, its code (17 bytes) and tasks_done. */
kz_status store_conv_cert_latest(kz_store *st, int64_t worker_id, char code[17],
                                 int64_t *tasks_done, bool *found, kz_err *err);

/* Store a certificate. *taken is set (and nothing stored) if the code exists. */
kz_status store_conv_cert_add(kz_store *st, const char *code, int64_t worker_id, int64_t at,
                              int64_t tasks_done, const char *summary, bool *taken, kz_err *err);

/* Look a code up: *found, issued_at, tasks_done and summary (scap bytes). */
kz_status store_conv_cert_get(kz_store *st, const char *code, int64_t *issued_at,
                              int64_t *tasks_done, char *summary, size_t scap, bool *found,
                              kz_err *err);

/* n random bytes from the kernel (getrandom(2)), whichever database the store uses. */
kz_status store_conv_random(kz_store *st, uint8_t *buf, size_t n, kz_err *err);

/* ---- the outbox listing (kazi outbox) ---- */

/* One queued or sending outbound message. Pointers valid during the callback only. */
typedef struct store_outbox_row {
    int64_t id;
    const char *peer;
    const char *body;
    const char *state;
    int64_t segments;
    int64_t attempts;
    int64_t created_at;
    int64_t next_attempt_at; /* 0 = as soon as possible */
} store_outbox_row;

/* Call cb for each outbound message waiting to be sent (queued, sending), oldest first. */
kz_status store_outbox_each(kz_store *st, int (*cb)(void *ctx, const store_outbox_row *r),
                            void *ctx, kz_err *err);

#endif
