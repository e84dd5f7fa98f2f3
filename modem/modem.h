/*
 * modem.h - one GSM modem driven through its AT interface: init, identity,
 * registration and signal polling, sending PDUs, receiving (on +CMTI/+CMT
 * and by periodic AT+CMGL=4 sweeps), deleting only after the receiver has
 * committed, status reports matched to message references, USSD sessions,
 * and recovery (timeout -> retry -> reset -> re-init; port gone -> reopen).
 * With driver = gammu the same contract is kept through libgammu on a worker
 * thread of the modem's own (modem_gammu*.c, docs/gammu-driver.md); with
 * driver = kannel through Kannel's smsbox over HTTP (modem_kannel*.c,
 * docs/kannel.md), inbound messages arriving through modem_kannel.h.
 * Owns: the modem's state machine and its command queue. It is driven by
 * the caller's event loop (poll on modem_fd, modem_on_io, modem_tick) and
 * never blocks, never sleeps, never calls time() (the clock is passed in),
 * never logs (it reports through callbacks) and never touches the store.
 * Several modems are independent objects: one failing never stalls another.
 */
#ifndef KAZI_MODEM_H
#define KAZI_MODEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cusd.h"
#include "pdu.h"
#include "status.h"

typedef struct modem modem;

typedef enum modem_state {
    MODEM_CLOSED = 0,   /* port not open (gone, or waiting to reopen) */
    MODEM_INIT,         /* running the init sequence */
    MODEM_PIN_NEEDED,   /* SIM wants a PIN and none is configured (or it was refused) */
    MODEM_SEARCHING,    /* initialised, not registered */
    MODEM_READY,        /* registered: sends are attempted */
    MODEM_RESETTING,    /* recovering after timeouts */
    MODEM_DEAD          /* resets failed; needs a power cycle (the daemon's hook) */
} modem_state;

/* Which backend drives the device (the contract below is the same for both). */
typedef enum modem_driver {
    MODEM_DRIVER_AT = 0,  /* our own AT driver (default) */
    MODEM_DRIVER_GAMMU,   /* libgammu (connection "at"), on a worker thread of its own */
    MODEM_DRIVER_KANNEL   /* Kannel's smsbox over HTTP (modem_kannel*.c, docs/kannel.md) */
} modem_driver;

/* A message the receiver could not take (its database away, say) is read again by a
 * sweep this many ms later, not at the next periodic one. */
#define MODEM_RETRY_SWEEP_MS 30000

typedef struct modem_config {
    const char *name;       /* "m1": used in every report */
    const char *port;       /* device path: /dev/ttyUSB2, /dev/serial/by-id/..., a pty link */
    int baud;               /* 0: 115200 */
    const char *pin;        /* SIM PIN or NULL; never reported anywhere */
    const char *storage;    /* "SM", "ME", "MT" or NULL to choose from AT+CPMS=? */
    int cmd_timeout_ms;     /* 0: 10000 (AT+CMGS and AT+CUSD get 60000) */
    int poll_interval_ms;   /* 0: 30000 (registration, signal, storage) */
    int sweep_interval_ms;  /* 0: 300000 (AT+CMGL=4); MODEM_RETRY_SWEEP_MS after a refusal */
    int reopen_interval_ms; /* 0: 5000 */
    int max_resets;         /* 0: 3 consecutive resets before MODEM_DEAD */
    int ussd_timeout_ms;    /* 0: 60000 (no answer from the network, or none from us) */
    int boot_wait_ms;       /* 0: 10000 (after AT+CFUN=1,1 before talking again) */
    bool probe_only;        /* `kazi modem probe`: never read, delete or sweep messages */
    modem_driver driver;    /* MODEM_DRIVER_AT unless set */
    /* driver = kannel only: port is smsbox's sendsms URL; these may be NULL */
    const char *kannel_username;
    const char *kannel_password; /* secret: never reported */
    const char *kannel_from, *kannel_smsc;
    const char *kannel_dlr_url;  /* our DLR callback with its secret, before "&id=" */
} modem_config;

typedef struct modem_status {
    modem_state state;
    char manufacturer[64], model[64], revision[64], imei[32], imsi[32];
    char operator_name[64];
    int reg_stat;           /* +CREG <stat>, -1 unknown */
    int signal_dbm;         /* 0 when unknown */
    int storage_used, storage_total;
    char smsc[32];
    char last_error[200];
    uint64_t sent, received, failed_sends, resets;
    char storage[16];       /* message storage in use ("SM"), "" before init */
    uint64_t rx_bytes;      /* bytes read since the port was (re)opened: 0 = silent modem */
    uint64_t polls;         /* completed registration/signal/storage polls */
    uint64_t sweeps;        /* completed AT+CMGL=4 sweeps */
    size_t send_queue;      /* sends waiting (in flight included) */
} modem_status;

typedef struct modem_callbacks {
    void *ctx;
    /*
     * An inbound SMS part (DELIVER), as read from the SIM (or routed with
     * +CMT). Return KZ_OK only once it is committed durably; the driver then
     * deletes it from the SIM (or acknowledges the +CMT). While modem_sms_held
     * is true, KZ_OK may come first and the commit later, before
     * modem_release_held (see there). Any other status
     * leaves it on the SIM for the next sweep. Called at most once per SIM
     * index and read; the receiver must tolerate the same PDU again after a
     * crash (dedupe on its own key).
     */
    kz_status (*on_sms)(void *ctx, modem *m, const sms_message *msg, const uint8_t *pdu,
                        size_t pdu_len);
    /*
     * A status report; send_id is the id given to modem_send_pdu for the
     * message whose reference and recipient match, or 0 if none is known.
     * Same commit-then-delete contract as on_sms, modem_sms_held included
     * (a held report may be committed later, before modem_release_held).
     * The receiver must tolerate the same report again after a crash.
     */
    kz_status (*on_status_report)(void *ctx, modem *m, uint64_t send_id,
                                  const sms_message *report);
    /* Outcome of modem_send_pdu: KZ_OK with the TP-MR, or a failure with the
     * +CMS ERROR code (-1 if none) and whether retrying later may help. */
    void (*on_sent)(void *ctx, modem *m, uint64_t send_id, kz_status st, int mr, int cms_error,
                    bool retryable);
    /* A USSD reply or the end of a session (st KZ_ERR_TIMEOUT, KZ_ERR_IO ...). */
    void (*on_ussd)(void *ctx, modem *m, uint64_t session_id, kz_status st,
                    const cusd_reply *reply);
    /* State changes, with a one-line reason naming port and command. */
    void (*on_state)(void *ctx, modem *m, modem_state state, const char *reason);
    /* Anything worth a log line (level 0 error .. 3 debug). Never contains the PIN. */
    void (*on_event)(void *ctx, modem *m, int level, const char *msg);
} modem_callbacks;

/* New modem (port not opened until the first modem_tick). NULL + err on bad config/ENOMEM. */
modem *modem_new(const modem_config *cfg, const modem_callbacks *cb, kz_err *err);

/* Close the port and free. NULL-safe. No callback runs from here: sends still
 * queued are not reported (the caller's outbox still holds them). */
void modem_free(modem *m);

/* fd to poll, or -1 while closed; events to poll for (POLLIN, plus POLLOUT when output waits).
 * driver = gammu or kannel: always the backend's eventfd (POLLIN), readable when it has news. */
int modem_fd(const modem *m);
short modem_poll_events(const modem *m);

/*
 * Handle poll results for modem_fd. KZ_ERR_IO when the port failed during
 * this call (the modem is then MODEM_CLOSED and reopens by itself), else KZ_OK.
 * Callbacks run from inside this call and modem_tick; they may call
 * modem_send_pdu and the USSD functions, never modem_on_io/modem_tick/modem_free.
 */
kz_status modem_on_io(modem *m, short revents, int64_t now_ms);

/*
 * Run timers (timeouts, polling, sweeps, reopen) and start queued work.
 * Call at least by modem_next_deadline (which is "now" after modem_send_pdu
 * or a USSD call queued something). KZ_ERR_IO as for modem_on_io,
 * KZ_ERR_STATE while MODEM_DEAD, else KZ_OK.
 */
kz_status modem_tick(modem *m, int64_t now_ms);

/* Earliest time modem_tick must run, in the same clock. */
int64_t modem_next_deadline(const modem *m);

/*
 * Queue one PDU for AT+CMGS (send_id chosen by the caller, non-zero).
 * KZ_ERR_STATE unless READY; KZ_ERR_BUSY when the queue is full;
 * KZ_ERR_INVALID for send_id 0 or a PDU whose lengths disagree. After
 * KZ_OK the outcome comes through on_sent exactly once (never from inside
 * this call): sent with its TP-MR (a "+CMGS: <mr>" counts as sent even if
 * the OK after it was lost); a +CMS/+CME error; KZ_ERR_TIMEOUT (possibly
 * sent: the modem did not answer); KZ_ERR_STATE (possibly sent: the PDU
 * went out, then the modem rebooted, was reset or its port closed before it
 * answered); KZ_ERR_IO (the PDU never went out: port gone, or the modem
 * left READY for longer than twice the AT+CMGS timeout) - the last three
 * retryable. A send waiting in the queue when the modem resets waits for it
 * to be ready again.
 */
kz_status modem_send_pdu(modem *m, uint64_t send_id, const sms_pdu *pdu);

/*
 * Start a USSD session with code (e.g. "*144#"); replies via on_ussd. One
 * session at a time: KZ_ERR_BUSY while one is open, KZ_ERR_STATE unless
 * READY, KZ_ERR_INVALID for session_id 0 or a code cusd_encode_request
 * refuses. on_ussd then reports each screen (KZ_OK, reply->status 1 when
 * the menu wants an answer; the session ends with any other status) or the
 * end of the session (KZ_ERR_TIMEOUT after ussd_timeout_ms without an
 * answer, KZ_ERR_INVALID when the modem or network refused or the reply
 * could not be decoded, KZ_ERR_IO when the port went away).
 */
kz_status modem_ussd_start(modem *m, uint64_t session_id, const char *code);
/* Answer the open session's menu. KZ_ERR_NOTFOUND if session_id is not open,
 * KZ_ERR_STATE if the network has not asked for an answer yet. */
kz_status modem_ussd_reply(modem *m, uint64_t session_id, const char *answer);
/* Cancel the open session (AT+CUSD=2). No on_ussd follows. KZ_ERR_NOTFOUND
 * if session_id is not open. */
kz_status modem_ussd_cancel(modem *m, uint64_t session_id);

/*
 * After the daemon power-cycled a MODEM_DEAD modem (or to force it): close
 * the port and reopen it at the next modem_tick, reset counters of failed
 * resets. Sends queued are failed (retryable) first.
 */
void modem_restart(modem *m);

/* Name from the config ("m1"). */
/*
 * Group commit of inbound parts and status reports (AT and kannel drivers;
 * false for the gammu driver, which keeps commit-then-delete per part; for
 * kannel "deleted" means the sms-service or dlr-url request is answered 200,
 * "left on the SIM" a 500). With deletes held, an SMS-DELIVER or
 * SMS-STATUS-REPORT read from storage whose callback returned KZ_OK is kept
 * on the SIM until modem_release_held (the receiver has now committed every
 * held one: they are deleted) or modem_forget_held (it has not: they stay on
 * the SIM and the next sweep reads them again); a +CDS report is held too,
 * its AT+CNMA waiting the same way (AT+CNMA=2 on forget: the network offers
 * it again; without +CSMS service 1 there is no acknowledgement, and a report
 * forgotten is lost, as one whose commit failed). Inside on_sms or
 * on_status_report, modem_sms_held says whether this one will be held (the
 * receiver may return KZ_OK and commit it later, before calling
 * modem_release_held) or not (+CMT: commit first).
 */
bool modem_hold_deletes(modem *m, bool on);
bool modem_sms_held(const modem *m);
/* Held parts now committed: queue their AT+CMGD. */
void modem_release_held(modem *m);
/* Held parts not committed: forget them (left on the SIM) and sweep soon. */
void modem_forget_held(modem *m);

const char *modem_name(const modem *m);

/* Snapshot for `kazi status` and `kazi modem probe`. */
void modem_get_status(const modem *m, modem_status *out);

/* Constant name of a state ("ready"). */
const char *modem_state_name(modem_state s);

#endif
