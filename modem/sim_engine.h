/*
 * sim_engine.h - a simulated SIM800-class GSM modem in PDU mode, as a library:
 * the bytes a host writes go in (sim_input), the bytes the modem answers come
 * out (sim_output), and sim_tick releases delayed answers and scheduled
 * unsolicited result codes. Owns the modem's state: settings, SIM storage,
 * the sent log, the network queue of inbound messages, USSD sessions walked
 * from a script, and injected faults.
 * Never does I/O, never reads a clock (every call is told "now" in
 * milliseconds of a monotonic clock), never logs or exits. Transport (the
 * pseudo-terminal) and the control socket live in gateway/cmd_sim.c.
 */
#ifndef KAZI_SIM_ENGINE_H
#define KAZI_SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdu.h"
#include "sms_text.h"
#include "status.h"

typedef struct sim_engine sim_engine;

#define SIM_SLOTS_MAX 255 /* the biggest storage a simulated SIM or phone memory may have */

/*
 * What AT+CNMI offers (AT+CNMI=? and which settings AT+CNMI=... accepts).
 * SIM800: the SIMCom SIM800 answer, +CNMI: (0-3),(0-3),(0,2),(0,1),(0,1):
 * new messages stored with +CMTI or routed with +CMT; reports only with +CDS
 * (AT+CNMI=2,1,0,2 is refused, python-gsmmodem#60). CMT: a modem that refuses
 * mt=1 and mt=3 ((0,2) for <mt>, as nRF91-class modules): the host must take
 * +CMT (mt=2) and +CDS (ds=1); after a boot mt=0 (stored, no indication).
 * CDSI: as SIM800, and reports may also be stored with +CDSI (ds 0-2, as
 * Huawei, Telit and Quectel modems offer).
 */
typedef enum sim_cnmi_mode { SIM_CNMI_SIM800 = 0, SIM_CNMI_CMT, SIM_CNMI_CDSI } sim_cnmi_mode;

typedef struct sim_config {
    unsigned latency_ms;      /* before every final result code (0: at once) */
    unsigned cmgs_latency_ms; /* added before +CMGS (network round trip) */
    unsigned ussd_latency_ms; /* before each USSD answer from the network */
    unsigned boot_ms;         /* from a reset to "RDY" (the modem is deaf meanwhile) */
    unsigned report_delay_ms; /* from +CMGS to its status report */
    int report_status;        /* TP-ST of automatic status reports; -1: none */
    size_t sm_slots;          /* SIM ("SM") capacity, 1..SIM_SLOTS_MAX */
    size_t me_slots;          /* phone memory ("ME") capacity, 0..SIM_SLOTS_MAX */
    const char *pin;          /* NULL or "": no PIN asked; else 4-8 digits (copied) */
    uint32_t seed;            /* for garbage bytes */
    int64_t wall_base_s;      /* Unix time at now_ms == 0, for SMS timestamps */
    int tz_minutes;           /* time zone of timestamps (default +180, Kenya) */
    int rssi;                 /* AT+CSQ value, 0..31 or 99 */
    sim_cnmi_mode cnmi_mode;  /* what AT+CNMI accepts (default SIM800) */
    int csms_service;         /* +CSMS <service> after a boot: 0 (SIM800's), or 1: every
                                 +CMT/+CDS waits for AT+CNMA before the next one */
} sim_config;

/* Defaults: no latency, 30 SM + 20 ME slots, no PIN, reports "delivered" at once. */
void sim_config_init(sim_config *cfg);

/*
 * A modem that has just booted (its boot URCs are already queued as output).
 * Returns NULL with err filled on a bad config (KZ_ERR_RANGE) or no memory.
 * Free with sim_free.
 */
sim_engine *sim_new(const sim_config *cfg, uint64_t now_ms, kz_err *err);

/* Release everything. NULL is fine. */
void sim_free(sim_engine *e);

/* Bytes the host wrote. Processed at once unless the modem is busy, hung or dead. */
void sim_input(sim_engine *e, const uint8_t *buf, size_t len, uint64_t now_ms);

/* Let time pass: release delayed answers, URCs, timeouts and ends of faults. */
void sim_tick(sim_engine *e, uint64_t now_ms);

/* Copy up to cap ready output bytes into buf and consume them; returns the count. */
size_t sim_output(sim_engine *e, uint8_t *buf, size_t cap);

/* Ready output bytes not yet taken. */
size_t sim_output_pending(const sim_engine *e);

/*
 * The earliest time sim_tick has something to do, so a poll loop can sleep
 * until then. Returns false when nothing is scheduled.
 */
bool sim_next_deadline(const sim_engine *e, uint64_t *when_ms);

/*
 * Load a USSD script (format in docs/simulator.md), replacing any previous
 * one and ending an open session. On failure returns KZ_ERR_INVALID with
 * err->msg "line N: reason", and the previous script stays.
 */
kz_status sim_ussd_load(sim_engine *e, const char *text, size_t len, kz_err *err);

/*
 * Inbound SMS from the network: text (UTF-8) from `from`, coded as asked
 * (AUTO picks GSM-7 when it fits), cut into parts with a concatenation
 * header when long. The parts wait in the network queue until the modem is
 * registered and has room. *nparts (may be NULL) receives the part count.
 * Fails with the encoder's status, or KZ_ERR_NOSPACE when the queue is full.
 */
kz_status sim_inject_text(sim_engine *e, const char *from, const char *utf8, size_t len,
                          sms_coding coding, size_t *nparts, uint64_t now_ms, kz_err *err);

/* Inbound raw SMS-DELIVER PDU (SMSC field included), checked with pdu_decode. */
kz_status sim_inject_pdu(sim_engine *e, const uint8_t *pdu, size_t len, uint64_t now_ms,
                         kz_err *err);

/*
 * A status report from the network for message reference mr with TP-ST
 * status, addressed to the recipient of the last sent message with that
 * reference. KZ_ERR_NOTFOUND when no sent message has it.
 */
kz_status sim_report(sim_engine *e, uint8_t mr, uint8_t status, uint64_t now_ms, kz_err *err);

/* One message the modem sent (one PDU: a multipart message is several). */
typedef struct sim_sent {
    unsigned long id;        /* 1, 2, ... in sending order */
    uint8_t mr;              /* the reference +CMGS answered */
    uint64_t at_ms;          /* engine clock when it was accepted */
    int64_t unix_s;          /* wall-clock time */
    sms_message msg;         /* the decoded SUBMIT */
    char pdu_hex[2 * SMS_PDU_MAX + 1];
    int report_status;       /* TP-ST of the report sent for it, -1 none yet */
    uint64_t report_due_ms;  /* when its automatic report is due, 0 none */
} sim_sent;

/* Messages in the sent log (the newest 20000 are kept). */
size_t sim_sent_count(const sim_engine *e);
/* Entry i (0 = oldest kept), NULL when out of range. Valid until the next call. */
const sim_sent *sim_sent_get(const sim_engine *e, size_t i);
/* Forget the sent log (pending automatic reports are dropped with it). */
void sim_sent_clear(sim_engine *e);

/* One occupied storage slot, for listing. stat as AT+CMGL: 0 unread .. 3 sent. */
typedef struct sim_slot_view {
    const char *mem; /* "SM" or "ME" */
    unsigned index;  /* 1-based, as AT+CMGR uses */
    int stat;
    const uint8_t *pdu; /* SMSC field included */
    size_t pdu_len;
} sim_slot_view;

/*
 * The n-th occupied slot across SM then ME (n from 0). Returns false past the
 * last one. The pointers stay valid until the next call that changes storage.
 */
bool sim_storage_get(const sim_engine *e, size_t n, sim_slot_view *out);

typedef enum sim_fault_kind {
    SIM_FAULT_HANG,        /* a: ms (0: until cleared). No answers; input is lost */
    SIM_FAULT_RESET,       /* spontaneous reboot (boot URCs follow) */
    SIM_FAULT_GARBAGE,     /* a: bytes of noise spliced into the output, even mid-response */
    SIM_FAULT_CMS,         /* a: code, b: count of SMS commands that fail with +CMS ERROR: a */
    SIM_FAULT_DEREGISTER,  /* lose the network: +CREG stat 0, sends fail with 331 */
    SIM_FAULT_REGISTER,    /* back on the network */
    SIM_FAULT_DEAD,        /* no answers at all until SIM_FAULT_POWER_CYCLE */
    SIM_FAULT_POWER_CYCLE, /* ends "dead" and boots */
    SIM_FAULT_CLEAR        /* ends hang, pending garbage and +CMS failures (not "dead") */
} sim_fault_kind;

/* Apply a fault. KZ_ERR_RANGE on a bad argument. */
kz_status sim_fault(sim_engine *e, sim_fault_kind kind, long a, long b, uint64_t now_ms);

/* Set the AT+CSQ rssi (0..31, 99 unknown). KZ_ERR_RANGE otherwise. */
kz_status sim_set_signal(sim_engine *e, int rssi);

typedef struct sim_stats {
    unsigned long commands;     /* command lines processed */
    unsigned long errors;       /* ERROR / +CME / +CMS answers */
    unsigned long sent;         /* PDUs accepted by AT+CMGS */
    unsigned long injected;     /* PDUs put into the network queue */
    unsigned long delivered;    /* PDUs handed to the modem (stored or +CMT) */
    unsigned long reports;      /* status reports handed to the modem */
    unsigned long dropped;      /* status reports dropped (CNMI ds=0) */
    unsigned long boots;        /* resets, power cycles, AT+CFUN=1,1 */
    unsigned long garbage;      /* noise bytes emitted */
    unsigned long ussd_sessions;
    size_t queued;              /* messages waiting in the network queue */
    size_t sm_used, sm_total, me_used, me_total;
    bool registered;
    unsigned long acks_missed;  /* +CMT/+CDS not acknowledged (AT+CNMA) in time: redelivered */
    bool hung;
    bool dead;
} sim_stats;

/* Counters and state for `stats`; *out is fully written. */
void sim_get_stats(const sim_engine *e, sim_stats *out);

#endif
