/*
 * ussd_menu.h - the worker's USSD menu: one aggregator callback in (session
 * id, phone number, every input of the session so far), one screen out
 * ("CON ..." to go on, "END ..." to finish, at most USSD_SCREEN_CHARS
 * characters), and its effects in the database, all in one transaction.
 * Menus (docs/http.md "USSD"): 1 Next task (answered by the next input,
 * 99 Skip, 0 Back), 2 Balance, 3 Cash out, 4 Work record, 5 Help,
 * 6 Language; a stranger gets Join, Help and Language.
 * Owns: the session (tasks/store_ussd.h): replaying the callback's text
 * safely (a retried callback gets the same screen and acts on nothing; an
 * input is acted on once; an answer or a cash-out is taken only from a
 * screen the worker saw), the idle timeout, refusing a session id used by
 * another phone. Every callback is recorded as an inbound message of
 * channel 'ussd'. Joining, answers, money and the work record go through
 * the conversation and the engine exactly as their SMS commands do (conv.h,
 * engine.h), without any SMS refund: USSD costs the worker nothing.
 * Never logs, never sends, never reads configuration files.
 */
#ifndef KAZI_USSD_MENU_H
#define KAZI_USSD_MENU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conv.h"
#include "status.h"
#include "store.h"
#include "ussd_screen.h"

#define USSD_MENU_MAX_INPUTS 32
#define USSD_REPLY_CAP 1024 /* bytes: USSD_SCREEN_CHARS characters of UTF-8 */
/* Sessions last seen longer ago than this are deleted. */
#define USSD_PRUNE_SECONDS 86400

/* One callback. Everything is borrowed for the call. */
typedef struct ussd_menu_request {
    const char *session_id;   /* the aggregator's sessionId */
    const char *service_code; /* "*384*123#" */
    const char *phone;        /* E.164 */
    size_t ninputs;           /* inputs in the callback's text (0 on the first callback) */
    const char *input[USSD_MENU_MAX_INPUTS]; /* input i: input[i][0..input_len[i]), no NUL */
    size_t input_len[USSD_MENU_MAX_INPUTS];
    int64_t now;              /* Unix seconds */
} ussd_menu_request;

typedef enum ussd_outcome {
    USSD_SHOWN = 0, /* a new screen (the first, or after new input) */
    USSD_REPEAT,    /* a retried or stale callback: the last screen again, nothing done */
    USSD_TIMED_OUT, /* idle longer than the timeout: END, dial again */
    USSD_REFUSED    /* the session id belongs to another phone, or the text contradicts it */
} ussd_outcome;

typedef struct ussd_menu_reply {
    char text[USSD_REPLY_CAP]; /* "CON ..." or "END ...", NUL-terminated */
    size_t len;
    bool end;
    ussd_outcome outcome;
    bool payout;               /* a payout was requested: the daemon should run */
    int64_t worker_id;         /* 0 for a stranger */
    size_t acted;              /* new inputs acted on */
} ussd_menu_reply;

/*
 * Handle callback rq for cfg (templates required) with sessions ending after
 * timeout_s seconds idle. The whole callback - pruning old sessions,
 * recording it, acting, saving the session - is one BEGIN IMMEDIATE
 * transaction, committed before returning. *out always holds an answer to
 * send: on a failure (a database error: its status is returned, err says
 * why) the "ussd_error" END screen.
 */
kz_status ussd_menu_handle(kz_store *st, const conv_config *cfg, int timeout_s,
                           const ussd_menu_request *rq, ussd_menu_reply *out, kz_err *err);

#endif
