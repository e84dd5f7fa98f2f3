/*
 * inbox.h - the daemon's inbound SMS: each part a modem reads is committed to
 * inbox_parts before the modem may delete it from the SIM; parts are then
 * reassembled from the database (concat.h rules: a complete set at once, an
 * incomplete one after the timeout with CONCAT_GAP where parts are missing)
 * and handed over exactly once, in the same transaction that records that
 * the parts were handed over. A crash anywhere loses nothing and hands
 * nothing over twice (the messages row's dedupe_key is the parts' keys).
 * Owns: part and message dedupe keys, reassembly from the store. Never logs;
 * never answers anyone (the deliver callback, the conversation layer, does).
 */
#ifndef KAZI_INBOX_H
#define KAZI_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdu.h"
#include "queue_store.h"

typedef struct inbox inbox;

/* A whole inbound message, as handed over. Pointers valid during the call only. */
typedef struct inbox_msg {
    const char *modem;      /* the modem it arrived on */
    const char *sender;     /* address as the network gave it */
    const char *text;       /* UTF-8; CONCAT_GAP where parts are missing */
    int segments;           /* parts the sender sent (total) */
    bool incomplete;        /* released by the timeout with parts missing */
    bool binary;            /* a part was 8-bit data, had an application port, or was a
                               type 0 / SIM data-download message: a machine's, never read;
                               text then shows the payload in hex */
    const char *dedupe_key; /* for the messages row */
    int64_t received_at;    /* when the first part was stored */
} inbox_msg;

/*
 * Record and handle m inside the transaction inbox_process has open (the
 * messages row with m->dedupe_key, and whatever replies it queues). Return
 * KZ_OK with *message_id set to commit; any other status rolls back all it
 * wrote (its savepoint) and the message is recorded unhandled (state
 * 'received') instead.
 */
typedef kz_status (*inbox_deliver_fn)(void *ctx, const inbox_msg *m, int64_t *message_id,
                                      kz_err *err);

/* New inbox on q (borrowed). NULL on ENOMEM. */
inbox *inbox_new(kz_queue *q, int concat_timeout_s, inbox_deliver_fn deliver, void *ctx);
void inbox_free(inbox *ib);
void inbox_configure(inbox *ib, int concat_timeout_s);

/*
 * A part from a modem's on_sms: store it (a duplicate of a stored part is
 * fine). Outside a transaction KZ_OK means it is durable and the caller may
 * let the modem delete it; inside the caller's transaction, only once that
 * commits. *ready is set when a set may now be handed over.
 */
kz_status inbox_on_sms(inbox *ib, const char *modem, const sms_message *msg, const uint8_t *pdu,
                       size_t pdu_len, int64_t now, bool *ready, kz_err *err);

/*
 * Hand over every set that is complete, or older than the timeout, in one
 * transaction (see inbox_process_tx). *handed
 * (may be NULL) receives how many messages went to deliver; *fallback (may
 * be NULL) how many were recorded unhandled because deliver failed.
 */
kz_status inbox_process(inbox *ib, int64_t now, int *handed, int *fallback, kz_err *err);

/*
 * inbox_process inside the caller's transaction (the caller commits, after
 * storing the turn's parts with inbox_on_sms in the same transaction: one
 * commit for all). Each set runs in its own savepoint: a set whose deliver
 * fails is undone alone and recorded unhandled. Any other status means the
 * transaction must be rolled back.
 */
kz_status inbox_process_tx(inbox *ib, int64_t now, int *handed, int *fallback, kz_err *err);

#endif
