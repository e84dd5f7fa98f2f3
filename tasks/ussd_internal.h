/*
 * ussd_internal.h - what tasks/ussd_menu.c (the session: replay, timeout,
 * refusals, the transaction) and tasks/ussd_pages.c (one handler per
 * screen) share: the callback being handled and the screen calls.
 * Owns: nothing beyond those declarations. Never included outside
 * tasks/ussd_*.c.
 */
#ifndef KAZI_USSD_INTERNAL_H
#define KAZI_USSD_INTERNAL_H

#include <stdbool.h>

#include "store_conv.h"
#include "store_ussd.h"
#include "ussd_menu.h"

/* The screens a session can be on (ussd_sessions.screen): what the next input means. */
#define S_MAIN "main"     /* the menu (a worker's, or a stranger's) */
#define S_TASK "task"     /* a task: its answer, 99 Skip, 0 Back */
#define S_AFTER "after"   /* after an answer or a skip: 1 Next task, 0 Menu */
#define S_BAL "bal"       /* balance: 1 Cash out, 0 Menu */
#define S_PAY "pay"       /* cash-out confirmation: 1 Yes, 0 No */
#define S_RECORD "record" /* work record: 1 Certificate, 0 Menu */
#define S_INFO "info"     /* a message: 0 Menu */
#define S_LANG "lang"     /* languages: 1..n, 0 Back */
#define S_TERMS "terms"   /* the terms before joining: 1 I agree, 0 Back */
#define S_END "end"       /* an END screen: nothing more */

/* One callback being handled. */
typedef struct menu {
    kz_store *st;
    const conv_config *cfg;
    const ussd_menu_request *rq;
    int timeout_s;
    kz_err *err;
    store_ussd_session s;
    bool is_worker;
    store_conv_worker w;
    char lang[8];
    int64_t msg_id;   /* the recorded input being acted on */
    bool fresh;       /* the current screen was made in this callback: not seen yet */
    bool payout;
} menu;

/* The reply language: the worker's, else the one chosen in the session, else the default. */
void ussd_pick_lang(menu *m);

/* Show the menu (a worker's or a stranger's), with a note line on top (a template key) or NULL. */
void ussd_show_main(menu *m, const char *note_key);

/* Act on one input on the session's current screen; the next screen is left in m->s. */
kz_status ussd_on_input(menu *m, const char *in, size_t len);

/* Screens whose input has an effect (an answer, a cash-out, a join): acted on only once seen. */
bool ussd_guarded(const char *screen);

#endif
