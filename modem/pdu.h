/*
 * pdu.h - SMS TPDUs as modems print them in PDU mode (TS 23.040): SMS-DELIVER,
 * SMS-SUBMIT and SMS-STATUS-REPORT decoding, SMS-SUBMIT (and, for the
 * simulator and tests, SMS-DELIVER) encoding.
 * Owns: the sms_message record and the field layouts. Decoders work on
 * (const uint8_t *buf, size_t len) with caller-owned output, never allocate,
 * and fail if a byte is missing or left over.
 */
#ifndef KAZI_PDU_H
#define KAZI_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sms_text.h"
#include "status.h"

#define SMS_ADDR_MAX 48   /* 20 BCD digits or 11 packed alphanumeric characters, as UTF-8 */
#define SMS_UD_MAX 140    /* user data octets in one TPDU */
#define SMS_TEXT_MAX 512  /* one segment's text as UTF-8, NUL included */
#define SMS_PDU_MAX 180   /* SMSC field (<= 12) + TPDU (<= 164) */

/* TOA octets we name (TS 23.040 9.1.2.5). */
#define SMS_TOA_INTERNATIONAL 0x91
#define SMS_TOA_UNKNOWN 0x81
#define SMS_TOA_NATIONAL 0xA1
#define SMS_TOA_ALPHANUMERIC 0xD0

typedef enum sms_type { SMS_DELIVER = 0, SMS_SUBMIT = 1, SMS_STATUS_REPORT = 2 } sms_type;

/*
 * An address as text: international numbers with a leading '+', other
 * numeric types as bare digits (BCD 0xA-0xE written "*#abc"), alphanumeric
 * (TON 5) decoded from packed GSM-7 to UTF-8. `toa` is the raw octet.
 */
typedef struct sms_address {
    char text[SMS_ADDR_MAX];
    uint8_t toa;
} sms_address;

/* A service-centre timestamp: local time with its offset from UTC in minutes. */
typedef struct sms_time {
    int year; /* four digits: 70-99 -> 19xx, else 20xx */
    int month, day, hour, minute, second;
    int tz_minutes; /* signed, multiple of 15 */
} sms_time;

/* Concatenation information element (IEI 0x00: 8-bit reference, 0x08: 16-bit). */
typedef struct sms_concat {
    uint16_t ref;
    uint8_t total;
    uint8_t seq;
    uint8_t ref_bits; /* 8 or 16 */
} sms_concat;

/* What a data coding scheme octet means (TS 23.038 section 4). */
typedef struct sms_dcs_info {
    sms_coding coding;   /* GSM7, 8BIT or UCS2 */
    int msg_class;       /* 0-3, or -1 when the DCS carries no class */
    bool compressed;     /* TS 23.042 compression: we refuse such messages */
    bool mwi;            /* a message-waiting group (0xC0-0xEF) */
    bool mwi_active;     /* indication set (true) or cleared */
    uint8_t mwi_kind;    /* 0 voicemail, 1 fax, 2 e-mail, 3 other */
    bool mwi_discard;    /* group 0xC0: the message may be discarded after indication */
    bool auto_delete;    /* groups 0x40-0x7F */
} sms_dcs_info;

/* Status-report outcome classes of TP-ST (TS 23.040 9.2.3.15). */
typedef enum sms_st_class {
    SMS_ST_COMPLETED = 0,     /* 0x00-0x1F: delivered (or replaced) */
    SMS_ST_TEMPORARY = 1,     /* 0x20-0x3F: SC still trying */
    SMS_ST_PERMANENT = 2,     /* 0x40-0x5F: failed, SC gave up */
    SMS_ST_TEMPORARY_FINAL = 3 /* 0x60-0x7F: failed, SC no longer trying */
} sms_st_class;

/* One decoded TPDU. Plain data: may be copied, holds no pointers. */
typedef struct sms_message {
    sms_type type;
    bool has_smsc;         /* false when the SMSC field was "00" */
    sms_address smsc;      /* text "" when present without digits; toa is the raw octet */
    uint8_t first_octet;
    sms_address address;   /* DELIVER: originator; SUBMIT: destination; REPORT: recipient */
    uint8_t mr;            /* SUBMIT and STATUS-REPORT: message reference */
    uint8_t pid;
    uint8_t dcs;
    sms_dcs_info dcsinfo;
    bool more_messages;    /* DELIVER/REPORT: TP-MMS clear, more messages waiting at the SC */
    bool reply_path;
    bool status_report;    /* DELIVER: TP-SRI; SUBMIT: TP-SRR; REPORT: TP-SRQ */
    bool reject_duplicates;/* SUBMIT: TP-RD */
    uint8_t vp_format;     /* SUBMIT: TP-VPF 0 none, 1 enhanced, 2 relative, 3 absolute */
    uint8_t vp[7];         /* SUBMIT: raw TP-VP octets (1 for relative, 7 otherwise) */
    sms_time scts;         /* DELIVER and REPORT: service centre time stamp */
    sms_time discharge;    /* REPORT: discharge time */
    uint8_t status;        /* REPORT: TP-ST */
    bool has_concat;
    sms_concat concat;
    uint8_t udh[SMS_UD_MAX]; /* information elements, without the UDHL octet */
    size_t udh_len;
    uint8_t data[SMS_UD_MAX];/* user data after the header: 8-bit payload, or raw UCS-2 octets */
    size_t data_len;
    bool has_text;         /* false for 8-bit data and for a REPORT without user data */
    char text[SMS_TEXT_MAX]; /* NUL-terminated UTF-8 */
    size_t text_len;
} sms_message;

/*
 * Decode a PDU as a modem prints it. with_smsc: the buffer starts with the
 * SMSC length octet (AT+CMGR/+CMGL/+CMT in PDU mode always do). The TP-MTI
 * picks DELIVER (0), SUBMIT (1) or STATUS-REPORT (2); MTI 3 is reserved and
 * refused. On failure returns KZ_ERR_TRUNCATED / TRAILING / INVALID /
 * UNSUPPORTED (compressed text) with err->offset the byte index in buf.
 * *out is fully written on success and unspecified on failure.
 */
kz_status pdu_decode(const uint8_t *buf, size_t len, bool with_smsc, sms_message *out,
                     kz_err *err);

/* Parse a DCS octet. Never fails: reserved values are read as GSM-7 (TS 23.038). */
void sms_dcs_parse(uint8_t dcs, sms_dcs_info *out);

/* Outcome class of a TP-ST value. */
sms_st_class sms_st_classify(uint8_t st);

/* English meaning of a TP-ST value ("delivered", "SC still trying: congestion", ...). Never NULL. */
const char *sms_st_meaning(uint8_t st);

/* ISO 8601 "2024-01-19T10:00:00+03:00" into out (cap >= 26). KZ_ERR_NOSPACE if smaller. */
kz_status sms_time_format(const sms_time *t, char *out, size_t cap);

/* One encoded PDU: SMSC field included; tpdu_len is what AT+CMGS=<length> wants. */
typedef struct sms_pdu {
    uint8_t bytes[SMS_PDU_MAX];
    size_t len;
    size_t tpdu_len;
} sms_pdu;

typedef struct sms_submit_opts {
    const char *to;         /* "+<digits>" international, "<digits>" national/unknown, else alphanumeric */
    int to_toa;             /* -1: choose from `to`; else force this TOA octet */
    const char *smsc;       /* NULL or "": "00" (the modem's configured SMSC) */
    int smsc_toa;           /* -1: choose from `smsc` */
    bool srr;               /* request a status report */
    int vp_relative;        /* -1: no validity period; else the TP-VP octet 0-255 */
    uint8_t mr;             /* message reference (modems usually replace it) */
    bool class0;            /* flash SMS */
    bool reject_duplicates;
    sms_coding coding;      /* AUTO, GSM7 or UCS2 */
    uint16_t concat_ref;    /* reference for multipart messages */
    unsigned concat_ref_bits; /* 8 (default when 0) or 16 */
} sms_submit_opts;

/* opts with defaults: no VP, no SRR, MR 0, AUTO coding, 8-bit references. */
void sms_submit_opts_init(sms_submit_opts *opts);

/*
 * Encode UTF-8 text as one or more SMS-SUBMIT PDUs (multipart with a
 * concatenation header when it does not fit one). out receives up to cap
 * PDUs and *nout the count. Fails with KZ_ERR_UTF8, KZ_ERR_INVALID (bad
 * number, or GSM7 forced on a text that does not fit), KZ_ERR_NOSPACE (cap
 * too small; *nout then says how many are needed), KZ_ERR_RANGE (too long).
 */
kz_status pdu_encode_submit(const uint8_t *utf8, size_t len, const sms_submit_opts *opts,
                            sms_pdu *out, size_t cap, size_t *nout, kz_err *err);

typedef struct sms_deliver_opts {
    const char *from;       /* as sms_submit_opts.to; alphanumeric senders allowed */
    int from_toa;
    const char *smsc;       /* NULL or "": "00" */
    sms_time scts;
    uint8_t pid;
    int msg_class;          /* -1 none, else 0-3 */
    bool more_messages;
    sms_coding coding;      /* AUTO, GSM7 or UCS2 */
    uint16_t concat_ref;
    unsigned concat_ref_bits;
} sms_deliver_opts;

void sms_deliver_opts_init(sms_deliver_opts *opts);

/*
 * Encode UTF-8 text as SMS-DELIVER PDUs, as a modem would print them (used by
 * the simulator and tests). Same results as pdu_encode_submit.
 */
kz_status pdu_encode_deliver(const uint8_t *utf8, size_t len, const sms_deliver_opts *opts,
                             sms_pdu *out, size_t cap, size_t *nout, kz_err *err);

/*
 * Encode an SMS-STATUS-REPORT (for the simulator and tests): recipient,
 * message reference, times and TP-ST.
 */
kz_status pdu_encode_status_report(const char *recipient, uint8_t mr, const sms_time *scts,
                                   const sms_time *discharge, uint8_t status, sms_pdu *out,
                                   kz_err *err);

#endif
