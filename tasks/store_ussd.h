/*
 * store_ussd.h - the rows the USSD menu (tasks/ussd_menu.c) reads and
 * writes: its sessions (ussd_sessions, migration 7), each callback as an
 * inbound message of channel 'ussd', and the offer a task screen shows.
 * Owns: that SQL (store_ussd.c). Never decides anything, never logs, never
 * opens a transaction (the menu runs a whole callback in one); every value
 * is bound.
 */
#ifndef KAZI_STORE_USSD_H
#define KAZI_STORE_USSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "status.h"
#include "store.h"

#define STORE_USSD_ID_CAP 65       /* a sessionId: 64 bytes and a NUL */
#define STORE_USSD_TEXT_CAP 1024   /* a screen (182 characters of UTF-8) or the inputs consumed */

/* One session as stored. */
typedef struct store_ussd_session {
    char session_id[STORE_USSD_ID_CAP];
    char phone[20];
    int64_t worker_id;      /* 0: a stranger when the session began */
    char service_code[40];
    char lang[8];           /* a language chosen in this session ("" none) */
    char screen[16];        /* which screen is shown: what the next input means */
    char screen_text[STORE_USSD_TEXT_CAP]; /* that screen without a note or the prefix */
    char reply[STORE_USSD_TEXT_CAP];       /* the whole last answer ("CON ..." / "END ...") */
    int64_t assignment_id;  /* the task the screen shows (0: none) */
    int64_t amount_minor;   /* the amount a cash-out screen asks to confirm */
    int64_t inputs;         /* inputs of the callback's text consumed so far */
    char consumed[STORE_USSD_TEXT_CAP];    /* those inputs joined by '*' */
    char state[12];         /* open | ended | expired */
    int64_t created_at, last_seen_at;
} store_ussd_session;

/* Find session_id: *found false (and *s untouched) when there is none. */
kz_status store_ussd_get(kz_store *st, const char *session_id, store_ussd_session *s,
                         bool *found, kz_err *err);

/* Insert s, or replace every column of the row with its session_id. */
kz_status store_ussd_put(kz_store *st, const store_ussd_session *s, kz_err *err);

/* Delete sessions last seen before `before`; *n (may be NULL) receives how many. */
kz_status store_ussd_prune(kz_store *st, int64_t before, int64_t *n, kz_err *err);

/*
 * Record one callback as an inbound message (channel 'ussd', one segment,
 * state as given: 'handled' or 'ignored'); worker_id 0 for none. The
 * dedupe_key makes a retried callback one row: then *duplicate is set and
 * *message_id is the row recorded first.
 */
kz_status store_ussd_message(kz_store *st, const char *phone, int64_t worker_id,
                             const char *body, const char *state, const char *dedupe_key,
                             int64_t at, int64_t *message_id, bool *duplicate, kz_err *err);

/* Set a recorded callback's worker (after a JOIN in it). */
kz_status store_ussd_message_worker(kz_store *st, int64_t message_id, int64_t worker_id,
                                    kz_err *err);

/*
 * The offer of assignment_id (any state) as the engine words it, in *o;
 * *found false when there is no such assignment. *open says whether it is
 * still offered.
 */
kz_status store_ussd_offer(kz_store *st, int64_t assignment_id, engine_offer *o, bool *open,
                           bool *found, kz_err *err);

/* worker_id's oldest open offer: its assignment id, 0 when none. */
kz_status store_ussd_oldest_open(kz_store *st, int64_t worker_id, int64_t *assignment_id,
                                 kz_err *err);

#endif
