/*
 * kannel_map.h - what travels between Kazi and Kannel, as pure functions:
 * a queued SMS-SUBMIT PDU as the parameters of smsbox's sendsms interface,
 * smsbox's answer as a send outcome, a delivery report's %d type as a TP-ST,
 * and an inbound message of the sms-service callback as the SMS-DELIVER PDU
 * the inbox stores (docs/kannel.md).
 * Owns the mapping rules only. Never does I/O, never allocates, never logs;
 * the password passed in is only ever written into the query it builds.
 */
#ifndef KAZI_KANNEL_MAP_H
#define KAZI_KANNEL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdu.h"
#include "status.h"

/* Kannel's dlr-mask bits (the %d of a dlr-url carries one of them). */
#define KANNEL_DLR_DELIVERED 1
#define KANNEL_DLR_FAILED 2
#define KANNEL_DLR_BUFFERED 4
#define KANNEL_DLR_SMSC_ACCEPTED 8
#define KANNEL_DLR_SMSC_REJECTED 16
/* What Kazi asks for when a status report is wanted: the final outcomes only. */
#define KANNEL_DLR_MASK (KANNEL_DLR_DELIVERED | KANNEL_DLR_FAILED | KANNEL_DLR_SMSC_REJECTED)

/* Where a sendsms request goes, and as whom. */
typedef struct kannel_send_opts {
    const char *username;  /* sendsms-user */
    const char *password;  /* secret: only in the query */
    const char *from;      /* sender, or NULL/"" for smsbox's default */
    const char *smsc;      /* smsc-id to route through, or NULL/"" */
    const char *dlr_url;   /* our DLR callback with its secret, before "&id=": NULL/"": none */
} kannel_send_opts;

/*
 * The query string (no leading '?') of one sendsms request for the
 * SMS-SUBMIT PDU (SMSC field included) with our send_id. Text keeps its
 * coding (coding=0 GSM, 2 UCS-2, both as UTF-8 with charset=UTF-8; coding=1
 * raw octets), a user data header goes as udh (length octet included), and a
 * PDU asking for a status report gets dlr-mask and a dlr-url that ends in
 * "&id=<send_id>&type=%d". KZ_ERR_INVALID (not a SUBMIT, compressed),
 * KZ_ERR_NOSPACE (cap too small), err naming the send.
 */
kz_status kannel_sendsms_query(const uint8_t *pdu, size_t pdu_len, uint64_t send_id,
                               const kannel_send_opts *o, char *out, size_t cap, kz_err *err);

/* How smsbox answered a sendsms request. */
typedef enum kannel_outcome {
    KANNEL_ACCEPTED,   /* 202 (or 200): queued for the SMSC */
    KANNEL_PERMANENT,  /* a 4xx that sending again cannot fix (a bad number, a refused text) */
    KANNEL_RETRYABLE   /* 5xx, 401/403 (a configuration to fix), 408, 429, no answer */
} kannel_outcome;

/* The outcome of HTTP status http_status (0: no answer at all). */
kannel_outcome kannel_answer_class(long http_status);

/* The TP-ST (TS 23.040) a dlr-url's %d type stands for: 1 -> 0x00, 2 and 16 ->
 * 0x40, 4 and 8 -> 0x20 (the SMSC is still trying); -1 for anything else. */
int kannel_dlr_status(long type);

/* An inbound message as the sms-service callback passes it (all borrowed). */
typedef struct kannel_mo {
    const char *from;      /* %p */
    const char *id;        /* %I: Kannel's message id (retries carry the same one) */
    int64_t time;          /* %T: Unix time the SMSC gave, or 0 */
    int coding;            /* %c: 0 GSM, 1 8-bit, 2 UCS-2; -1 unknown */
    const uint8_t *data;   /* %b: the message octets (UCS-2BE when coding = 2) */
    size_t len;
} kannel_mo;

/*
 * The SMS-DELIVER PDUs (SMSC field included; more than one, with a
 * concatenation header, when the text is longer than one SMS) that stand for
 * mo. The same mo always gives the same PDUs: the SMSC field carries a digest
 * of Kannel's message id and the time stamp is Kannel's, so a retried request
 * dedupes in the inbox and two messages with the same text do not.
 * KZ_ERR_INVALID (no sender, no id, 8-bit data that is not UTF-8 text),
 * KZ_ERR_UTF8, KZ_ERR_NOSPACE / KZ_ERR_RANGE (too long for cap PDUs).
 */
kz_status kannel_mo_pdus(const kannel_mo *mo, sms_pdu *out, size_t cap, size_t *nout,
                         kz_err *err);

#endif
