/*
 * modem_internal.h - what the modem driver's files share: the modem struct,
 * the job wrapper around AT commands (timeouts -> retry once -> reset), and
 * the entry points each file offers the others.
 *   modem.c         object, public glue, state changes, jobs, timers
 *   modem_init.c    init sequence, identity, storage and indication choice, polling
 *   modem_rx.c      URCs, reading (+CMTI, sweeps, +CMT), delete-after-commit, reports
 *   modem_tx.c      send queue, AT+CMGS, +CMS classification, recent sends
 *   modem_ussd.c    USSD sessions
 *   modem_recover.c timeouts, resets, port loss and reopening, MODEM_DEAD
 *   modem_quirks.c  the quirks table
 *   modem_gammu*.c  the libgammu backend (driver = gammu), entry points in modem_gammu.h
 *   modem_kannel*.c the Kannel backend (driver = kannel), modem_kannel_internal.h
 * Private to modem/modem*.c; never included elsewhere (tests included).
 */
#ifndef KAZI_MODEM_INTERNAL_H
#define KAZI_MODEM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "at_chan.h"
#include "modem.h"
#include "port.h"

#define MODEM_SENDQ_MAX 32
#define MODEM_RECENT_MAX 256  /* sends remembered for status-report matching */
#define MODEM_DEL_MAX 256     /* committed messages awaiting their AT+CMGD */
#define MODEM_DEL_PER_LINE 16 /* AT+CMGD commands on one line (about 160 characters) */
#define MODEM_NEVER INT64_MAX

/* Per-manufacturer/model differences we can justify (modem_quirks.c). */
typedef struct modem_quirk {
    const char *manufacturer; /* case-insensitive substring of +CGMI, NULL: any */
    const char *model;        /* case-insensitive substring of +CGMM, NULL: any */
    cusd_wire cusd_wire;      /* how AT+CUSD strings travel */
    const char *init_cmd;     /* one extra init command, or NULL */
    const char *why;          /* the source */
} modem_quirk;

/* The quirks row matching manufacturer/model, or the empty default row. Never NULL. */
const modem_quirk *modem_quirk_find(const char *manufacturer, const char *model);

typedef struct modem_job modem_job;
typedef void (*modem_job_fn)(modem *m, modem_job *j, const at_reply *r);

/* What to do when a job's command times out. */
typedef enum job_retry {
    JOB_RETRY,   /* idempotent: write it again once, then reset */
    JOB_PROBE,   /* not idempotent (AT+CMGS, AT+CUSD): report, then probe with "AT" */
    JOB_RESET,   /* its timeout means the modem is gone: reset at once */
    JOB_SELF     /* the handler deals with its own timeout (reset steps) */
} job_retry;

/* One AT command issued by the driver (heap; freed after its handler ran). */
struct modem_job {
    modem *m;
    modem_job_fn fn;
    job_retry retry;
    bool retried;
    bool esc_first;       /* ESC before the command (leave a stuck "> " prompt) */
    char cmd[AT_CMD_MAX + 1];
    char label[48];       /* how reports name it (never holds the PIN) */
    char *payload;        /* AT+CMGS hex, heap */
    int timeout_ms;
    long arg;             /* handler's argument (SIM index, init step, ...) */
    uint64_t id;          /* send_id / session_id */
};

typedef struct send_req {
    uint64_t id;
    sms_pdu pdu;
    int64_t queued_at;
} send_req;

typedef struct recent_send {
    uint64_t id;          /* 0: empty */
    int mr;
    char to[SMS_ADDR_MAX];
} recent_send;

typedef struct pending_del {
    bool used;
    int index;
    uint32_t hash;        /* of the PDU the receiver committed */
    bool inflight;        /* AT+CMGD queued */
    bool held;            /* handed over while deletes are held: not committed yet */
    unsigned batch;       /* the AT+CMGD line it went out on */
} pending_del;

struct modem {
    modem_config cfg;
    char *name, *path, *pin, *storage_pref;
    modem_callbacks cb;
    port *port;
    at_chan *chan;
    int64_t now;
    modem_status st;
    const modem_quirk *quirk;

    /* init */
    int init_step;
    int cpin_checks;
    int cnmi_try;
    int cnmi[5];
    bool cnmi_known;
    bool pin_refused;     /* the SIM refused our PIN: never send it again (PUK risk) */
    int csms_service;     /* +CSMS <service>: 1 means +CMT/+CDS need AT+CNMA */
    int64_t init_wait_until; /* MODEM_NEVER: not waiting */

    /* timers */
    int64_t next_poll, next_sweep, next_reopen, pin_recheck, last_full_sweep;
    int poll_inflight;
    bool sweep_inflight;

    /* sending */
    send_req sendq[MODEM_SENDQ_MAX];
    size_t sq_head, sq_len;
    bool send_inflight;
    send_req inflight;    /* the send AT+CMGS is working on */
    recent_send recent[MODEM_RECENT_MAX];
    size_t recent_next;

    /* receiving */
    pending_del dels[MODEM_DEL_MAX];
    bool hold_deletes;    /* modem_hold_deletes: the receiver commits a turn's parts at once */
    bool handing_held;    /* inside on_sms for a part that will be held (modem_sms_held) */
    int cds_held;         /* +CDS reports handed over held: their AT+CNMA waits for the release */
    bool read_pending;    /* an AT+CMGR or AT+CMGL=0 for new messages is queued */
    int64_t read_since;   /* when it was queued (a lost answer frees the slot after a while) */
    bool unread_more;     /* a +CMTI came meanwhile: list the unread ones next */
    int cmti_index;       /* the one +CMTI of this read, not yet asked for (cmti_count 1) */
    int cmti_count;       /* +CMTI seen since the last modem_rx_reads */
    unsigned del_batch;   /* AT+CMGD lines sent (ids for their answers) */
    bool cmgd_one_per_line; /* a line of several AT+CMGD failed: one per line from now on */

    /* USSD */
    bool ussd_open;
    bool ussd_waiting;    /* a request is out; no answer yet */
    uint64_t ussd_id;
    int64_t ussd_deadline;

    /* recovery */
    int resets_in_row;
    int reset_step;
    int64_t boot_until;   /* MODEM_NEVER: not waiting for a reboot */
    int64_t reboot_at;    /* when the last reboot we did not ask for was noticed */
    bool boot_interrupted; /* a reboot URC has just ended a command's wait */
    char last_open_error[200];

    /* driver = gammu: the libgammu backend (modem_gammu.c); NULL for the AT driver */
    struct modem_gammu *gm;
    /* driver = kannel: the smsbox backend (modem_kannel.c); NULL otherwise */
    struct modem_kannel *kn;
};

/* modem.c */
void modem_set_state(modem *m, modem_state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void modem_event(modem *m, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Count one send's outcome in the status and hand it to on_sent (modem_tx.c;
 * both drivers report through it). */
void modem_report_sent(modem *m, uint64_t id, kz_status st, int mr, int cms, bool retryable);
void modem_set_error(modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Queue cmd (label names it in reports; NULL: cmd itself). front: before
 * everything queued. payload: AT+CMGS hex or NULL. Returns the job (owned by
 * the channel until its handler ran) or NULL when it could not be queued
 * (reported through on_event).
 */
modem_job *modem_job_submit(modem *m, const char *cmd, const char *label, job_retry retry,
                            int timeout_ms, modem_job_fn fn, long arg, bool front);
/* As modem_job_submit (JOB_SELF, at the front) with an ESC written before the command. */
modem_job *modem_job_submit_esc(modem *m, const char *cmd, modem_job_fn fn);
/* Queue a prompt command (AT+CMGS=<n>, payload written after "> "); JOB_PROBE on timeout. */
modem_job *modem_job_submit_prompt(modem *m, const char *cmd, const char *payload,
                                   int timeout_ms, modem_job_fn fn, uint64_t id);
int modem_cmd_timeout(const modem *m);
int modem_long_timeout(const modem *m);
/* The first reply line starting with prefix, or NULL; *len set. */
const char *modem_reply_find(const at_reply *r, const char *prefix, size_t *len);
/* Text of a failed reply for messages: "timeout", "+CMS ERROR: 500 (unknown error)". */
void modem_reply_text(const at_reply *r, char *out, size_t cap);
/* True while the modem may talk (INIT, SEARCHING, READY, PIN_NEEDED). */
bool modem_online(const modem *m);
/* True when r is an abort (reset, port gone) rather than an answer. */
bool modem_reply_aborted(const at_reply *r);
/* Queue j's command again (a retry), at the front. False if it could not be queued. */
bool modem_job_requeue(modem *m, modem_job *j);
void modem_job_free(modem_job *j);

/* modem_init.c */
void modem_init_start(modem *m);
void modem_poll_start(modem *m);
void modem_init_tick(modem *m);

/* modem_rx.c */
void modem_rx_urc(modem *m, const at_urc_msg *u);
/* After URCs were handled: read what their +CMTI announced (AT+CMGR for one, AT+CMGL=0 for several). */
void modem_rx_reads(modem *m);
void modem_sweep_start(modem *m);
void modem_sweep_if_full(modem *m);
/* Sweep at the next tick (SIM full), at most once per command timeout. */
void modem_sweep_soon(modem *m);

/* modem_tx.c */
void modem_tx_pump(modem *m);
void modem_tx_tick(modem *m);
void modem_tx_fail_all(modem *m, kz_status st, const char *why);
void modem_tx_remember(modem *m, uint64_t id, int mr, const sms_pdu *pdu);
uint64_t modem_tx_match(const modem *m, int mr, const char *recipient);
bool modem_cms_retryable(int code);

/* modem_ussd.c */
void modem_ussd_urc(modem *m, const char *line, size_t len);
void modem_ussd_tick(modem *m);
void modem_ussd_end(modem *m, kz_status st);

/* modem_recover.c */
void modem_on_timeout(modem *m, modem_job *j, const at_reply *r);
void modem_reset_start(modem *m, const char *why);
void modem_port_lost(modem *m, const kz_err *err);
void modem_reopen_tick(modem *m);
void modem_close_port(modem *m);
void modem_boot_seen(modem *m, const char *line);
/* The at_chan interrupt predicate: true for a reboot or power-down URC that
 * must end the in-flight command's wait (the modem will never answer it). */
bool modem_urc_interrupts(modem *m, const at_urc_msg *u);
/* NORMAL POWER DOWN and the like: the modem is gone until it boots again. */
void modem_power_down_seen(modem *m, const char *line);

#endif
