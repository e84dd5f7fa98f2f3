/*
 * sim_internal.h - what the simulator's files (sim_engine.c, sim_cmd.c,
 * sim_sms.c, sim_ussd.c, sim_fault.c, sim_util.c) share: the engine struct,
 * the byte buffer and the command result. Private to modem/sim_*.c; never
 * included by anything else.
 */
#ifndef KAZI_SIM_INTERNAL_H
#define KAZI_SIM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_engine.h"

#define SIM_LINE_MAX 2048 /* longest command line; longer ones answer ERROR */
#define SIM_NETQ_MAX 2000 /* inbound PDUs waiting in the network */
#define SIM_SENT_MAX 20000 /* sent-log entries kept (oldest dropped first) */
#define SIM_PIN_MAX 9
#define SIM_CNMA_TIMEOUT_MS 15000 /* a +CMT/+CDS not acknowledged in time goes back to the
                                     network (TS 24.011 TR2M is 12-20 s) */

/* A growable byte buffer. Allocation failure leaves it unchanged and sets `oom`. */
typedef struct sim_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    bool oom;
} sim_buf;

void sim_buf_put(sim_buf *b, const void *data, size_t n);
void sim_buf_puts(sim_buf *b, const char *s);
void sim_buf_printf(sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_buf_insert(sim_buf *b, size_t at, const void *data, size_t n);
void sim_buf_consume(sim_buf *b, size_t n);
void sim_buf_free(sim_buf *b);

/* The final result of one command. */
typedef enum sim_res_kind {
    SIM_RES_OK,
    SIM_RES_ERROR,  /* plain ERROR (or +CME ERROR: 100 when CMEE is on) */
    SIM_RES_CME,    /* +CME ERROR: code (ERROR when CMEE=0) */
    SIM_RES_CMS,    /* +CMS ERROR: code */
    SIM_RES_PROMPT, /* "> " written; the PDU follows */
    SIM_RES_NONE    /* nothing (the command rebooted the modem) */
} sim_res_kind;

typedef struct sim_res {
    sim_res_kind kind;
    int code;
} sim_res;

/* One occupied-or-not storage slot. */
typedef struct sim_slot {
    bool used;
    uint8_t stat; /* 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT */
    uint8_t pdu[SMS_PDU_MAX];
    size_t len;
} sim_slot;

typedef struct sim_store {
    const char *name; /* "SM" or "ME" */
    sim_slot *slots;
    size_t cap;
} sim_store;

/* A PDU waiting in the network for the modem. */
typedef struct sim_netmsg {
    uint8_t pdu[SMS_PDU_MAX];
    size_t len;
    bool report; /* a status report (routed by CNMI <ds>) */
} sim_netmsg;

typedef struct sim_ussd_script sim_ussd_script; /* sim_ussd.c */

typedef enum sim_prompt { SIM_PROMPT_NONE = 0, SIM_PROMPT_CMGS, SIM_PROMPT_CMGW } sim_prompt;

struct sim_engine {
    sim_config cfg;
    char pin[SIM_PIN_MAX];
    uint64_t now;
    uint32_t rng;

    /* settings (reset at boot) */
    bool echo;
    int cmee;
    int creg_n, cgreg_n;
    char cscs[8];
    int cnmi[5];
    int cops_format;
    int cusd_n;
    int csms;       /* +CSMS <service> */
    int cfun;
    int mem_sel[3]; /* CPMS mem1..mem3: 0 SM, 1 ME */

    /* state kept across boots (the SIM and the network) */
    char csca[24];
    uint8_t next_mr;
    uint16_t next_ref;
    int pin_locked; /* 0 ready, 1 SIM PIN, 2 SIM PUK */
    int pin_tries;
    bool net_lost;  /* deregister fault */
    int rssi;
    bool full_shown;

    /* input, output and timing */
    bool running;      /* a command is executing: URCs wait for its answer */
    sim_buf in;
    sim_buf ready;
    sim_buf later;     /* the current command's answer, due at later_due */
    uint64_t later_due;
    bool busy;         /* an answer is delayed: further input waits */
    sim_buf urc;       /* URCs held while a command or prompt is open */
    sim_prompt prompt;
    size_t prompt_len;
    int prompt_stat;
    sim_buf pdu_hex;

    /* storage, network, sent log */
    sim_store mem[2];
    sim_netmsg *netq;
    size_t netq_len;
    sim_sent *sent;
    size_t nsent;
    size_t sent_cap;
    unsigned long next_sent_id;
    uint64_t report_due; /* earliest pending automatic report, 0 none */
    bool cnma_wait;      /* a +CMT/+CDS awaits AT+CNMA (service 1): nothing else is routed */
    sim_netmsg cnma_msg; /* that message, given back to the network if not acknowledged */
    uint64_t cnma_due;
    uint64_t netq_hold;  /* the network retries no sooner than this (after AT+CNMA=2) */

    /* faults */
    bool hung;
    uint64_t hang_until; /* 0: until cleared */
    bool dead;
    size_t garbage_pending;
    int cms_code;
    long cms_count;
    bool booting;
    uint64_t boot_done;

    /* USSD */
    sim_ussd_script *ussd;
    int ussd_node;      /* -1: no session */
    uint64_t ussd_deadline;
    sim_buf ussd_reply; /* the next +CUSD URC, due at ussd_reply_due */
    uint64_t ussd_reply_due;
    bool ussd_reply_pending;

    sim_stats stats;
};

/* sim_engine.c */
void sim_emit(sim_engine *e, const void *data, size_t n);
void sim_urc(sim_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sim_is_idle(const sim_engine *e);
void sim_pump(sim_engine *e);
int64_t sim_unix_now(const sim_engine *e);
void sim_time_now(const sim_engine *e, sms_time *t);
void sim_time_at(const sim_engine *e, int64_t unix_s, sms_time *t);
uint32_t sim_random(sim_engine *e);

/* How an extended command was written: AT+X, AT+X?, AT+X=?, AT+X=<args>. */
typedef enum sim_op { SIM_OP_EXEC, SIM_OP_READ, SIM_OP_TEST, SIM_OP_SET } sim_op;

typedef sim_res (*sim_handler)(sim_engine *e, sim_op op, const char *args, sim_buf *out);

/* A row of a command table: sms rows obey the +CMS fault and answer +CMS errors. */
typedef struct sim_cmd_entry {
    const char *name; /* "+CMGS" */
    sim_handler fn;
    bool sms;
    bool needs_sim; /* refused while the SIM is PIN-locked */
} sim_cmd_entry;

extern const sim_cmd_entry sim_sms_commands[];  /* sim_sms.c, NULL-terminated */
extern const sim_cmd_entry sim_ussd_commands[]; /* sim_ussd.c */

sim_res sim_ok(void);
sim_res sim_error(void);
sim_res sim_cme(int code);
sim_res sim_cms(int code);
/* Append one information line: CR LF text CR LF. */
void sim_line(sim_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sim_cmd.c */
sim_res sim_run_command(sim_engine *e, const char *body, sim_buf *out);
void sim_settings_reset(sim_engine *e);
bool sim_registered(const sim_engine *e);
int sim_creg_stat(const sim_engine *e);
void sim_creg_urc(sim_engine *e);

/* sim_sms.c: sending, the sent log, status reports, injection, SMS settings */
sim_res sim_sms_pdu(sim_engine *e, const char *hex, size_t len, sim_buf *out);
void sim_sms_tick(sim_engine *e);
kz_status sim_netq_push(sim_engine *e, const uint8_t *pdu, size_t len, bool report, kz_err *err);
/* Encode text as DELIVER parts into the network queue (no tick, no pump). */
kz_status sim_queue_text(sim_engine *e, const char *from, const char *utf8, size_t len,
                         sms_coding coding, size_t *nparts, kz_err *err);

/* sim_store.c: SIM/phone storage, listing, reading, deleting, inbound delivery */
kz_status sim_sms_init(sim_engine *e, kz_err *err);
void sim_sms_free(sim_engine *e);
void sim_sms_deliver(sim_engine *e);
/* AT+CNMA deadlines; a reboot (lost) gives the unacknowledged message back to the network. */
void sim_cnma_tick(sim_engine *e);
void sim_cnma_lost(sim_engine *e);
/* Store a PDU in storage m (0 SM, 1 ME) with stat; returns the 1-based index or 0 when full. */
unsigned sim_store_put(sim_engine *e, int m, const uint8_t *pdu, size_t len, int stat);
extern const sim_cmd_entry sim_store_commands[];

/* sim_ussd.c */
void sim_ussd_free(sim_engine *e);
void sim_ussd_tick(sim_engine *e);
void sim_ussd_reset(sim_engine *e);

/* sim_fault.c */
void sim_boot(sim_engine *e, bool with_ok);
void sim_fault_tick(sim_engine *e);
void sim_splice_garbage(sim_engine *e, sim_buf *b, size_t from);

/* sim_util.c: the small typed scanner for command arguments ("1,\"*334#\",15") */
typedef struct sim_args {
    const char *p;
    bool bad;
} sim_args;

bool sim_arg_int(sim_args *a, long lo, long hi, long *out);
bool sim_arg_str(sim_args *a, char *out, size_t cap);
bool sim_arg_end(sim_args *a);
bool sim_arg_more(sim_args *a);

#endif
