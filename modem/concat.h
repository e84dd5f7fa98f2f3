/*
 * concat.h - reassembly of concatenated (multipart) SMS.
 * Owns: the in-memory table of incomplete sets, keyed by sender, reference
 * size, reference and total. Tolerates parts out of order and duplicates.
 * Never talks to a modem or a store: the caller persists parts if it must
 * survive a restart, and passes the clock in (no time() calls here).
 *
 * Incomplete sets: a set whose newest part is older than the timeout is
 * released by concat_expire() as one message with incomplete=true, its text
 * the parts that did arrive in order with CONCAT_GAP ("...") where parts are
 * missing, so an answer is never silently dropped. A part arriving for a
 * set that was already released starts a new set.
 */
#ifndef KAZI_CONCAT_H
#define KAZI_CONCAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdu.h"
#include "status.h"

#define CONCAT_GAP "..."

typedef struct concat_store concat_store;

/* A reassembled (or expired) message. Owned by the caller: free with concat_msg_free(). */
typedef struct concat_msg {
    sms_address sender;
    sms_time first_scts;  /* time stamp of part 1 if it arrived, else of the earliest part */
    sms_coding coding;    /* of part 1 (parts may differ; text is UTF-8 either way) */
    uint16_t ref;
    uint8_t ref_bits;
    uint8_t total;
    uint8_t received;     /* distinct parts that arrived */
    bool incomplete;      /* released by timeout with parts missing */
    char *text;           /* heap, NUL-terminated UTF-8; CONCAT_GAP where parts are missing */
    size_t text_len;
    uint8_t *data;        /* heap: 8-bit payloads concatenated (NULL if none) */
    size_t data_len;
} concat_msg;

/*
 * New store holding at most max_sets incomplete sets; sets idle for more
 * than timeout_s seconds are released by concat_expire(). NULL on ENOMEM.
 * When the store is full, adding a part of a new set first releases the
 * oldest set through concat_expire's path (the caller gets it from
 * concat_add's `evicted` output).
 */
concat_store *concat_new(size_t max_sets, int64_t timeout_s);

/* Free the store and every part it still holds. NULL-safe. */
void concat_free(concat_store *cs);

/* Free the heap fields of msg (not msg itself) and zero them. NULL-safe. */
void concat_msg_free(concat_msg *msg);

/*
 * Add one decoded DELIVER part received at time `now` (seconds).
 * A message without a concatenation header, or with total 1, completes at
 * once. On completion *done is true and *out holds the whole message (caller
 * frees). A duplicate part (same seq already held) is ignored with KZ_OK.
 * If the table was full, the oldest set is released into *evicted and
 * *has_evicted is set (caller frees). A part with seq 0 or seq > total is
 * refused with KZ_ERR_INVALID. KZ_ERR_NOMEM on allocation failure (the part
 * is then not stored and the caller must keep it on the SIM).
 */
kz_status concat_add(concat_store *cs, const sms_message *part, int64_t now, bool *done,
                     concat_msg *out, bool *has_evicted, concat_msg *evicted, kz_err *err);

/*
 * Release sets whose newest part arrived before now - timeout. Writes up to
 * cap messages into out and returns how many; call again until it returns 0.
 */
size_t concat_expire(concat_store *cs, int64_t now, concat_msg *out, size_t cap);

/* Number of incomplete sets held. */
size_t concat_pending(const concat_store *cs);

#endif
