/*
 * queue_store.h - the SQL of the daemon's durable queues: inbound SMS parts
 * (inbox_parts, committed before the SIM copy is deleted), outbound parts
 * (outbox_parts, each state persisted before the modem is asked to act), the
 * per-SIM daily SMS counter and the modems' status snapshots.
 * Owns: the kz_queue handle (its own prepared statements on a kz_store
 * connection) and the tables of migration 3 (docs/schema.md). Never decides
 * anything (which modem, when to retry, what to say: gateway/ decides), never
 * logs. Only tasks/store_*.c hold SQL; callers see plain C types.
 * Times are Unix seconds (UTC); `day` is the deployment's local date "YYYY-MM-DD".
 */
#ifndef KAZI_QUEUE_STORE_H
#define KAZI_QUEUE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "store.h"

typedef struct kz_queue kz_queue;

/*
 * Statements for the queues on st's connection. *out is freed with
 * qstore_close(), which must run before store_close(st). KZ_ERR_NOMEM.
 */
kz_status qstore_open(kz_store *st, kz_queue **out, kz_err *err);

/* Finalize the statements and free. NULL-safe. */
void qstore_close(kz_queue *q);

/*
 * On a database several daemons share: hand over only the inbound parts that
 * came through these modems (the names are copied). Each daemon then turns
 * its own workers' messages into conversation steps, in the order they came,
 * and sends first what answers them (qstore_outbox_due_each). The modems'
 * rows are made if missing. Unset (the default), every waiting part and
 * every queued reply is this daemon's. KZ_ERR_NOMEM, KZ_ERR_DB.
 */
kz_status qstore_set_own_modems(kz_queue *q, const char *const *names, size_t n, kz_err *err);

/* The store the queue works on. */
kz_store *qstore_store(kz_queue *q);

/* ---- inbox (store_inbox.c) ---- */

typedef struct inbox_part_in {
    const char *modem;      /* modem name */
    const char *sender;     /* address as decoded */
    unsigned ref_bits;      /* 0 for a single SMS, else 8 or 16 */
    unsigned ref, total, seq;
    const char *scts;       /* ISO 8601 service-centre time */
    const char *pdu_hex;    /* the PDU as read, SMSC field included */
    const char *dedupe_key; /* identical for the same PDU read twice */
    const char *set_key;    /* parts that reassemble together share it */
    int64_t received_at;
} inbox_part_in;

/*
 * Insert one part in its own committed transaction (durable on return).
 * *dup is set when a part with the same dedupe_key is already stored
 * (nothing written). KZ_ERR_DB on failure: the caller must keep the SIM copy.
 */
kz_status qstore_inbox_add(kz_queue *q, const inbox_part_in *p, bool *dup, kz_err *err);

/*
 * Sets of parts not yet handed over that are complete (every seq of total
 * present) or whose newest part is older than `stale_before`, oldest first,
 * at most `limit`. cb gets each set's key; non-zero stops.
 */
kz_status qstore_inbox_ready_each(kz_queue *q, int64_t stale_before, int limit,
                                  int (*cb)(void *ctx, const char *set_key), void *ctx,
                                  kz_err *err);

/* One stored part as read back. Pointers valid during the callback only. */
typedef struct inbox_part_row {
    int64_t id;
    const char *modem;
    const char *sender;
    unsigned seq, total;
    const char *pdu_hex;
    const char *dedupe_key;
    int64_t received_at;
} inbox_part_row;

/* The waiting parts of set_key by seq (duplicates of a seq included). */
kz_status qstore_inbox_parts_each(kz_queue *q, const char *set_key,
                                  int (*cb)(void *ctx, const inbox_part_row *row), void *ctx,
                                  kz_err *err);

/* Mark the waiting parts of set_key as handed over as message_id (caller's transaction). */
kz_status qstore_inbox_set_done(kz_queue *q, const char *set_key, int64_t message_id,
                                kz_err *err);

/*
 * On a shared database (qstore_set_own_modems): note on inbound message
 * message_id the modem it came through, which makes this daemon the one that
 * answers its sender (qstore_outbox_due_each). Does nothing otherwise.
 */
kz_status qstore_inbox_note_modem(kz_queue *q, int64_t message_id, const char *modem,
                                  kz_err *err);

/* The messages row with this dedupe_key: *id 0 if none. */
kz_status qstore_message_by_key(kz_queue *q, const char *dedupe_key, int64_t *id, kz_err *err);

/*
 * Record an inbound message (state 'received') when no conversation layer
 * handles it. *id receives its row id. KZ_ERR_BUSY if dedupe_key exists.
 */
kz_status qstore_inbox_record(kz_queue *q, const char *peer, const char *body, int segments,
                              const char *dedupe_key, int64_t now, int64_t *id, kz_err *err);

/* Parts waiting to be handed over (for `kazi status`). */
kz_status qstore_inbox_waiting(kz_queue *q, int64_t *n, kz_err *err);

/* One set's (or report's) savepoint inside the caller's transaction (a turn's group commit). */
typedef enum qstore_savepoint {
    QSTORE_SP_OPEN,    /* SAVEPOINT */
    QSTORE_SP_KEEP,    /* RELEASE: the set's writes join the transaction */
    QSTORE_SP_UNDO     /* ROLLBACK TO, then RELEASE: the set's writes are gone */
} qstore_savepoint;
kz_status qstore_inbox_savepoint(kz_queue *q, qstore_savepoint op, kz_err *err);

/* ---- outbox (store_outbox.c) ---- */

/* An outbound message not yet cut into parts. Pointers valid during the callback. */
typedef struct outbox_msg_row {
    int64_t id;
    const char *peer;
    const char *body;
    bool unsolicited;
} outbox_msg_row;

/*
 * Queue an outbound SMS to peer (worker_id 0: none) as a 'reply' or an
 * 'unsolicited' message. *id (may be NULL) receives its row id. The
 * conversation layer queues its own rows; this is for the daemon's own
 * messages and for tests.
 */
kz_status qstore_outbox_enqueue(kz_queue *q, const char *peer, int64_t worker_id,
                                const char *body, bool unsolicited, int64_t now, int64_t *id,
                                kz_err *err);

/* A worker's phone number (E.164) into out (cap bytes). KZ_ERR_NOTFOUND. */
kz_status qstore_worker_phone(kz_queue *q, int64_t worker_id, char *out, size_t cap,
                              kz_err *err);

/*
 * Run fn(q, arg, err) as one transaction (BEGIN IMMEDIATE ... COMMIT, or a
 * rollback when fn fails; inside a transaction already open, fn just joins
 * it): the outbox calls fn makes commit together, with one sync of the disk.
 */
kz_status qstore_outbox_batch(kz_queue *q, kz_status (*fn)(kz_queue *q, void *arg, kz_err *err),
                              void *arg, kz_err *err);

/*
 * The same, but durable on return: KZ_ERR_STATE (fn not run) when a transaction
 * is already open. For writes that must be on disk before a modem is asked.
 */
kz_status qstore_outbox_commit(kz_queue *q, kz_status (*fn)(kz_queue *q, void *arg, kz_err *err),
                               void *arg, kz_err *err);

/*
 * Messages 'queued' without parts, oldest first, at most limit; after_id > 0:
 * only those with a larger id (a cheap range), 0: all.
 */
kz_status qstore_outbox_unencoded_each(kz_queue *q, int64_t after_id, int limit,
                                       int (*cb)(void *ctx, const outbox_msg_row *row),
                                       void *ctx, kz_err *err);

/* One encoded part to persist. */
typedef struct outbox_part_in {
    const char *pdu_hex;
    size_t tpdu_len;
} outbox_part_in;

/* Persist message_id's n parts (one transaction; messages.segments = n). */
kz_status qstore_outbox_add_parts(kz_queue *q, int64_t message_id, const outbox_part_in *parts,
                                  size_t n, int64_t now, kz_err *err);

/* Fail a message that cannot be sent at all (e.g. it does not encode). */
kz_status qstore_outbox_fail_message(kz_queue *q, int64_t message_id, const char *error,
                                     int64_t now, kz_err *err);

/* A part due to be sent. Pointers valid during the callback only. */
typedef struct outbox_part_row {
    int64_t id;
    int64_t message_id;
    unsigned seq, total;
    const char *peer;
    const char *pdu_hex;
    size_t tpdu_len;
    int attempts;
    bool unsolicited;
    const char *pinned_modem; /* "" or the modem a sibling part went through */
} outbox_part_row;

/*
 * Parts 'queued' with next_attempt_at <= now, by message then seq, at most
 * limit; parts of unsolicited messages only when allow_unsolicited.
 */
kz_status qstore_outbox_due_each(kz_queue *q, int64_t now, bool allow_unsolicited, int limit,
                                 int (*cb)(void *ctx, const outbox_part_row *row), void *ctx,
                                 kz_err *err);

/*
 * Commit part_id as 'sending' through modem (attempts + 1, the message
 * 'sending', the modem's count for day + 1) BEFORE the modem is asked.
 * KZ_ERR_STATE if the part is no longer 'queued' (nothing written).
 */
kz_status qstore_outbox_sending(kz_queue *q, int64_t part_id, const char *modem,
                                const char *day, int64_t now, kz_err *err);

/* Undo qstore_outbox_sending when the modem refused at once (nothing went out). */
kz_status qstore_outbox_unsend(kz_queue *q, int64_t part_id, const char *day, int64_t now,
                               kz_err *err);

/* The outcome of one attempt. */
typedef enum outbox_outcome {
    OUTBOX_SENT = 0,   /* accepted by the network, with its TP-MR */
    OUTBOX_RETRY,      /* failed, try again at retry_at */
    OUTBOX_FAILED      /* failed for good: the message fails */
} outbox_outcome;

/* Record an attempt's outcome and settle the message's state. */
kz_status qstore_outbox_result(kz_queue *q, int64_t part_id, outbox_outcome oc, int mr,
                               const char *error, int64_t retry_at, int64_t now, kz_err *err);

/* Attempts made so far for part_id (the current one included). KZ_ERR_NOTFOUND. */
kz_status qstore_outbox_attempts(kz_queue *q, int64_t part_id, int *attempts, kz_err *err);

/* Delivery report classes. */
typedef enum outbox_report {
    OUTBOX_DELIVERED = 0,
    OUTBOX_UNDELIVERABLE
} outbox_report;

/*
 * A status report for part_id, or (part_id 0) for the latest 'sent' part
 * through modem with this mr to peer. *matched false when no part fits.
 */
kz_status qstore_outbox_report(kz_queue *q, int64_t part_id, const char *modem, int mr,
                               const char *peer, outbox_report r, const char *error, int64_t now,
                               bool *matched, kz_err *err);

/*
 * Parts left 'sending' (by a crash, or by a modem that went away): back to
 * 'queued' when resend, else 'unknown'. modem NULL: every modem. *n may be NULL.
 */
kz_status qstore_outbox_recover(kz_queue *q, const char *modem, bool resend, int64_t now,
                                int64_t *n, kz_err *err);

/* Parts 'sending' since before `before`: 'unknown'. *n may be NULL. */
kz_status qstore_outbox_expire_sending(kz_queue *q, int64_t before, int64_t now, int64_t *n,
                                       kz_err *err);

/* SMS parts sent (attempted) through modem on day. */
kz_status qstore_outbox_count_day(kz_queue *q, const char *modem, const char *day, int64_t *n,
                                  kz_err *err);

/* Outbox depth: messages queued or sending, and parts in each state. */
typedef struct outbox_depth {
    int64_t messages_waiting;
    int64_t parts_queued, parts_sending, parts_unknown, parts_failed;
    int64_t sent_today; /* all modems, day given */
} outbox_depth;

kz_status qstore_outbox_depth(kz_queue *q, const char *day, outbox_depth *out, kz_err *err);

/* ---- modems (store_outbox.c) ---- */

/* A modem's snapshot for `kazi status`. */
typedef struct modem_snapshot {
    const char *name, *device, *state, *operator_name, *imei, *imsi, *last_error;
    int signal_dbm;      /* 0 unknown */
    int64_t queue;       /* sends waiting in the driver */
    int64_t sent, received, failed;
    int64_t updated_at;
} modem_snapshot;

/* Insert or update the modems row named s->name. */
kz_status qstore_modem_save(kz_queue *q, const modem_snapshot *s, kz_err *err);

/* Each modems row (sent_today from the counter for day). Pointers valid in the callback. */
kz_status qstore_modems_each(kz_queue *q, const char *day,
                             int (*cb)(void *ctx, const modem_snapshot *s, int64_t sent_today),
                             void *ctx, kz_err *err);

#endif
