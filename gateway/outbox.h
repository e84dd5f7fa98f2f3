/*
 * outbox.h - the daemon's outbound SMS: turns 'queued' rows of the messages
 * table into PDUs (persisted as outbox_parts before anything is sent), hands
 * due parts to ready modems (spread by load, preferring the modem whose
 * operator prefixes match the recipient, all parts of one message through
 * one modem), records each outcome, retries with exponential backoff, fails
 * for good after max_attempts, follows delivery reports, enforces each SIM's
 * daily cap and keeps unsolicited messages inside the push window.
 * Owns: the choice of modem and of retry time, the in-flight counts. Never
 * talks AT (senders are a seam: the daemon wraps modem.h, tests use a fake),
 * never sends a part whose 'sending' state is not committed, never sends a
 * part again once it was confirmed sent.
 */
#ifndef KAZI_OUTBOX_H
#define KAZI_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "pdu.h"
#include "queue_store.h"
#include "status.h"

typedef struct outbox outbox;

/* The knobs (from kz_config; outbox_configure applies a reload). */
typedef struct outbox_settings {
    int max_attempts;
    int retry_base_s, retry_max_s;
    bool status_reports;
    int validity_s;         /* 0: no TP-VP */
    int max_in_flight;
    int daily_sms_cap;      /* per SIM unless the sender has its own; 0: none */
    int tz_offset_minutes;  /* the local day and the push window */
    int push_from_minute, push_to_minute;
    bool resend_after_crash;
    int sending_timeout_s;
} outbox_settings;

/* One way to send: a modem (serve.c) or a fake (tests). */
typedef struct outbox_sender_ops {
    bool (*ready)(void *dev);
    /* Queue a PDU; the outcome must come later through outbox_on_sent. */
    kz_status (*send)(void *dev, uint64_t send_id, const sms_pdu *pdu);
} outbox_sender_ops;

/* New outbox on q (borrowed). NULL on ENOMEM. */
outbox *outbox_new(kz_queue *q, const outbox_settings *s);
void outbox_free(outbox *ob);
void outbox_configure(outbox *ob, const outbox_settings *s);

/*
 * Add a sender named name (unique). daily_cap 0: the settings' cap.
 * prefixes: comma-separated recipient prefixes this SIM should carry, or "".
 * KZ_ERR_BUSY if the name exists, KZ_ERR_NOSPACE beyond 16 senders.
 */
kz_status outbox_attach(outbox *ob, const char *name, void *dev, const outbox_sender_ops *ops,
                        int daily_cap, const char *prefixes);

/*
 * The most parts sender name may have in flight at once: a driver that
 * carries many at a time (driver = kannel: kannel_in_flight) states its own;
 * 0 (the default after outbox_attach): [outbox] max_in_flight, which suits a
 * GSM modem. KZ_ERR_NOTFOUND.
 */
kz_status outbox_set_in_flight(outbox *ob, const char *name, int max_in_flight);

/* Change a sender's cap and prefixes (reload). KZ_ERR_NOTFOUND. */
kz_status outbox_update(outbox *ob, const char *name, int daily_cap, const char *prefixes);

/*
 * Remove a sender. Parts still in flight on it get the after-crash rule
 * (queued again or 'unknown'), since no outcome will come.
 */
kz_status outbox_detach(outbox *ob, const char *name, int64_t now, kz_err *err);

/* At start: apply the after-crash rule to parts a previous run left 'sending'. */
kz_status outbox_recover(outbox *ob, int64_t now, int64_t *n, kz_err *err);

/*
 * Encode new messages and send what is due to senders with room. *handed
 * (may be NULL) receives the parts handed to senders. Database errors stop
 * the pump and are returned (nothing is sent without its state committed).
 */
kz_status outbox_pump(outbox *ob, int64_t now, int *handed, kz_err *err);

/*
 * The outcome of a send (serve.c calls it from modem on_sent). A failure is
 * committed before it returns; a success is kept in memory and committed with
 * the next outbox_pump, outbox_on_report, outbox_housekeeping or outbox_flush
 * (until then the part is 'sending' on disk, which the after-crash rule covers).
 */
kz_status outbox_on_sent(outbox *ob, const char *name, uint64_t send_id, kz_status st, int mr,
                         int cms_error, bool retryable, int64_t now, kz_err *err);

/*
 * A status report (on_status_report, not held). Commits before returning
 * KZ_OK, so the driver may then delete it from the SIM.
 */
kz_status outbox_on_report(outbox *ob, const char *name, uint64_t send_id,
                           const sms_message *report, int64_t now, kz_err *err);

/*
 * Group commit of a turn's reports (the modem holds them, modem_sms_held),
 * inside the caller's open transaction: outbox_reports_begin writes the sends
 * confirmed so far (a report matches 'sent' parts only); outbox_report_in_tx
 * records one report in its own savepoint (a failure undoes that report only
 * and is returned); after the COMMIT, outbox_reports_committed (the confirmed
 * sends are on disk). A report recorded twice changes nothing the second time.
 */
kz_status outbox_reports_begin(outbox *ob, kz_err *err);
kz_status outbox_report_in_tx(outbox *ob, const char *name, uint64_t send_id,
                              const sms_message *report, int64_t now, kz_err *err);
void outbox_reports_committed(outbox *ob);

/* Commit the successful outcomes outbox_on_sent kept in memory (one transaction). */
kz_status outbox_flush(outbox *ob, kz_err *err);

/* Parts handed to senders whose outcome has not come yet (all senders). */
int outbox_in_flight(const outbox *ob);

/* Parts without an outcome for longer than sending_timeout_s become 'unknown'. */
kz_status outbox_housekeeping(outbox *ob, int64_t now, kz_err *err);

/* The local date "YYYY-MM-DD" of now at tz_offset_minutes (out: 11 bytes). */
void outbox_local_day(int64_t now, int tz_offset_minutes, char out[11]);

/* Is now inside [from, to) local (wrapping past midnight when from > to)? */
bool outbox_in_window(int64_t now, int tz_offset_minutes, int from_minute, int to_minute);

/* The TP-VP octet for a validity in seconds (rounded up; 255 at most). */
int outbox_vp_octet(int seconds);

#endif
