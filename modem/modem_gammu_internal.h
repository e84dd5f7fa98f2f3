/*
 * modem_gammu_internal.h - what the libgammu backend's files share:
 *   modem_gammu.c        loop-thread side: the public entry points, the
 *                        request and event queues, callbacks into the daemon
 *   modem_gammu_worker.c the worker thread: every libgammu call (connect,
 *                        PIN, identity, polling, sweeps, sends, deletes, USSD,
 *                        reconnects and MODEM_DEAD)
 *   modem_gammu_pdu.c    libgammu's messages and texts to and from ours
 * libgammu blocks, so it only ever runs on the worker; the loop thread sees
 * an eventfd. Its functions are called only through g->gl (gammu_lib.h: kazi
 * does not link libgammu; modem_gammu_start loads it). The two sides share nothing but the queues under `mu`.
 * Private to modem/modem_gammu*.c.
 */
#ifndef KAZI_MODEM_GAMMU_INTERNAL_H
#define KAZI_MODEM_GAMMU_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <gammu.h>

#include "gammu_lib.h"
#include "modem_gammu.h"

#define GM_USSD_TEXT_MAX 200
#define GM_HANDED_MAX 256   /* stored messages handed to the daemon, verdict pending */

/* What the loop thread asks of the worker. */
typedef enum gm_req_kind {
    GMR_SEND,        /* id, pdu */
    GMR_DELETE,      /* folder, location: committed, delete it */
    GMR_KEEP,        /* folder, location: refused, leave it for the next sweep */
    GMR_USSD,        /* id, text: start a session or answer its menu */
    GMR_USSD_CANCEL, /* forget the session */
    GMR_RESTART      /* close, reset the failed-reset count, connect again */
} gm_req_kind;

typedef struct gm_req {
    struct gm_req *next;
    gm_req_kind kind;
    uint64_t id;
    sms_pdu pdu;
    int folder, location;
    char text[GM_USSD_TEXT_MAX];
} gm_req;

/* What the worker tells the loop thread. */
typedef enum gm_ev_kind {
    GME_STATE,   /* state, text (reason) */
    GME_EVENT,   /* level, text */
    GME_STATUS,  /* status: identity, registration, signal, storage, counters */
    GME_SENT,    /* id, st, mr, cms, retryable */
    GME_SMS,     /* pdu (DELIVER or STATUS-REPORT, SMSC field included); stored: folder, location */
    GME_USSD     /* id, st, ussd */
} gm_ev_kind;

typedef struct gm_ev {
    struct gm_ev *next;
    gm_ev_kind kind;
    modem_state state;
    int level;
    char text[300];
    modem_status status;
    uint64_t id;
    kz_status st;
    int mr, cms;
    bool retryable;
    bool unsent;       /* GME_SENT: never reached the modem; back into the queue, no report */
    sms_pdu pdu;
    bool stored;
    int folder, location;
    cusd_reply ussd;
} gm_ev;

/* A stored message handed to the daemon: verdict pending, or committed and
 * its delete not done yet (retried by the next sweep that sees it again). */
typedef struct gm_handed {
    bool used;
    bool committed;
    int folder, location;
    uint32_t hash;        /* of the PDU handed over */
} gm_handed;

struct modem_gammu {
    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* signalled when a request arrives or on stop */
    gm_req *rq_head, *rq_tail;
    gm_ev *ev_head, *ev_tail;
    bool stop;
    const gammu_lib *gl;       /* libgammu's functions (read-only after start) */
    GSM_StateMachine *sm;      /* the worker's; read under mu only to abort */
    int efd;                   /* eventfd: readable while events wait */
    pthread_t thread;
    bool started;
    /* the watchdog: libgammu's own waits can last minutes on a silent modem */
    pthread_t dog;
    bool dog_started;
    pthread_cond_t dog_cv;     /* signalled when a guard begins or ends, or on stop */
    int64_t guard_until;       /* monotonic ms; 0: no libgammu call guarded */
    bool guard_fired;          /* the watchdog aborted the guarded call */

    /* configuration copies (read-only after start) */
    char name[64], path[256], pin[16];
    int baud, cmd_timeout_ms, long_timeout_ms, poll_ms, sweep_ms, reopen_ms, max_resets;
    bool probe_only;

    /* our own descriptor on the port (modem_gammu_excl.c): opened by
     * modem_gammu_start, then used by the worker only; -1 when none */
    int excl_fd;
    int excl_errno;            /* why the last open of it failed; 0: it did not */
    bool flush_due;            /* worker: a delete or a stored message since the last
                                * gm_excl_flush (either may bring +CIEV: "SMSFULL") */

    /* worker only */
    bool connected, dead, pin_refused, sweep_now;
    int resets_in_row;
    int connects;              /* connections tried (names the debug trace) */
    modem_state wstate;
    int64_t next_connect, next_poll, next_sweep;
    modem_status ws;           /* the worker's view, posted as GME_STATUS */
    gm_handed handed[GM_HANDED_MAX];
    bool sending;              /* inside send_pdu: routed messages are held back */
    gm_ev *held;               /* ... until its GME_SENT is posted (reports need the TP-MR) */
    bool send_done;
    int send_status, send_mr;
    uint64_t ussd_id;          /* the session replies belong to; 0: none */
    GSM_MultiSMSMessage *multi; /* sweep buffer (large) */

    /* loop thread only */
    modem_state last_state;
};

/* modem_gammu.c (callable from either thread) */
void gm_post(struct modem_gammu *g, gm_ev *ev);     /* takes ev */
gm_ev *gm_ev_new(gm_ev_kind kind);                   /* NULL on no memory */
gm_req *gm_take(struct modem_gammu *g);              /* next request or NULL */
/* Wait until a request is queued, stop is set, or until (monotonic ms) passes. */
void gm_wait(struct modem_gammu *g, int64_t until_ms);
bool gm_stopping(struct modem_gammu *g);
int64_t gm_now_ms(void);

/* modem_gammu_worker.c */
void *gm_worker_main(void *arg);
/* The watchdog thread: aborts a guarded libgammu call that outlives its budget. */
void *gm_watchdog_main(void *arg);

/* modem_gammu_excl.c: libgammu leaves the tty exclusive (TIOCEXCL) after it
 * closed it; the port is held open so the mode can be cleared without root. */
/* Open (or open again, when the path names another device now) the held descriptor. */
void gm_excl_open(struct modem_gammu *g);
/* Clear exclusive mode through the held descriptor: right before libgammu opens the port. */
void gm_excl_clear(struct modem_gammu *g);
void gm_excl_close(struct modem_gammu *g);
/* Between libgammu calls on a live connection: have the modem print an OK so
 * that an unsolicited line libgammu does not know cannot spoil the next answer. */
void gm_excl_flush(struct modem_gammu *g);

/* modem_gammu_pdu.c */
/* gammu's text (UCS-2BE units, 00 00 terminated, at most max_units) as UTF-8 into out. */
void gm_text_to_utf8(const unsigned char *u, size_t max_units, char *out, size_t cap);
/* UTF-8 to gammu's text (00 00 terminated). KZ_ERR_UTF8 / KZ_ERR_NOSPACE. */
kz_status gm_text_from_utf8(const char *s, unsigned char *out, size_t cap);
/* A DELIVER or STATUS-REPORT read through libgammu, written back as the PDU a
 * modem prints (SMSC field included): user data header, coding, class and
 * time stamps kept. KZ_ERR_UNSUPPORTED for other types or compressed text. */
kz_status gm_sms_to_pdu(const GSM_SMSMessage *g, sms_pdu *out, kz_err *err);
/* Our SUBMIT PDU as libgammu's message, status report request kept. */
kz_status gm_pdu_to_sms(const gammu_lib *gl, GSM_StateMachine *sm, const sms_pdu *pdu,
                        GSM_SMSMessage *out, kz_err *err);
/* A USSD answer from libgammu as the AT driver reports it. */
void gm_ussd_to_reply(const GSM_USSDMessage *u, cusd_reply *out);

#endif
