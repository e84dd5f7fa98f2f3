/*
 * at_parse.h - the AT response parser: a push parser that turns the bytes a
 * modem sends into events (response line, final result, "> " prompt,
 * unsolicited result code, stray output, overflow).
 * Owns: line assembly (CR LF, bare CR, bare LF, CR CR LF), the tables of final
 * result codes and unsolicited result codes (URCs), the pending command
 * (echo, response prefix, prompt), and the +CME/+CMS ERROR texts.
 * Never allocates, blocks, logs, touches a port or handles a URC itself: it
 * only reports what it saw; the driver queues URCs that arrive during a
 * command and handles them after the final result.
 *
 * Classification of one complete, non-empty line, in this order:
 *  1. the second line of a two-line URC (+CMT, +CDS in PDU mode, +CBM) is
 *     taken as that URC's body, whatever it holds;
 *  2. the echo of the pending command (exact, ignoring case) is dropped, once;
 *  3. a final result code (whole line, or the prefixes "+CME ERROR:",
 *     "+CMS ERROR:", "CONNECT ") is AT_EV_FINAL and clears the pending
 *     command before the callback runs; with no command pending it is
 *     AT_EV_STRAY_FINAL (late answer of a command given up on; ignore it);
 *  4. a line matching the URC table is AT_EV_URC, unless its prefix is the
 *     pending command's response prefix ("+CREG: 0,1" during AT+CREG?,
 *     "+CPIN: READY" during AT+CPIN?, "+CUSD: ..." during AT+CUSD=1,...),
 *     then it is AT_EV_LINE;
 *  5. any other line is AT_EV_LINE with a command pending, else
 *     AT_EV_STRAY_LINE.
 * A "+CUSD:" line continues across CR and LF while inside its quoted string
 * (an unclosed quote runs into AT_EV_OVERFLOW; the parser then resynchronises
 * at the next line end). Empty lines are ignored everywhere.
 */
#ifndef KAZI_AT_PARSE_H
#define KAZI_AT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define AT_LINE_MAX 1024 /* longest line kept; a longer one is dropped (AT_EV_OVERFLOW) */
#define AT_CMD_MAX 256   /* longest command at_parser_expect accepts */
#define AT_PREFIX_MAX 15 /* longest response prefix kept ("+CPMS", "^SYSINFO") */

typedef enum at_event_kind {
    AT_EV_LINE = 1,     /* intermediate response line of the pending command */
    AT_EV_FINAL,        /* final result of the pending command (now cleared) */
    AT_EV_PROMPT,       /* "> " after a command given AT_EXPECT_PROMPT */
    AT_EV_URC,          /* unsolicited result code (body set for two-line ones) */
    AT_EV_STRAY_LINE,   /* a line that is no URC, with no command pending */
    AT_EV_STRAY_FINAL,  /* a final result code with no command pending */
    AT_EV_OVERFLOW      /* a line longer than AT_LINE_MAX was discarded */
} at_event_kind;

typedef enum at_final {
    AT_FINAL_NONE = 0,
    AT_FINAL_OK,
    AT_FINAL_CONNECT,     /* "CONNECT" or "CONNECT <text>" */
    AT_FINAL_ERROR,       /* "ERROR", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS" */
    AT_FINAL_CME_ERROR,   /* "+CME ERROR: <err>" (code in at_event.code) */
    AT_FINAL_CMS_ERROR,   /* "+CMS ERROR: <err>" (code in at_event.code) */
    AT_FINAL_NO_CARRIER,
    AT_FINAL_BUSY,
    AT_FINAL_NO_ANSWER,
    AT_FINAL_NO_DIALTONE
} at_final;

typedef enum at_urc {
    AT_URC_NONE = 0,
    AT_URC_CMTI,          /* +CMTI: <mem>,<index>  new message stored */
    AT_URC_CMT,           /* +CMT: [<alpha>],<length> + PDU line (body) */
    AT_URC_CDSI,          /* +CDSI: <mem>,<index>  status report stored */
    AT_URC_CDS,           /* +CDS: <length> + PDU line (body) */
    AT_URC_CBM,           /* +CBM: <length> + PDU line (body) */
    AT_URC_CUSD,          /* +CUSD: <m>[,<str>[,<dcs>]] (str may hold CR/LF) */
    AT_URC_CREG,          /* +CREG: / +CGREG: / +CEREG: registration change */
    AT_URC_RING,          /* RING, +CRING: */
    AT_URC_CLIP,          /* +CLIP: caller id */
    AT_URC_BOOT,          /* RDY, Call Ready, SMS Ready, +CFUN:, +CPIN: */
    AT_URC_POWER_DOWN,    /* NORMAL POWER DOWN, UNDER-/OVER-VOLTAGE POWER DOWN */
    AT_URC_VOLTAGE_WARNING, /* UNDER-/OVER-VOLTAGE WARNNING (SIMCom spelling) */
    AT_URC_NOISE,         /* Huawei ^RSSI ^MODE ^BOOT ... (any "^" line), time zone */
    AT_URC_CIEV           /* +CIEV: <ind>,<value> indicator event (TS 27.007 8.10);
                             SIMCom and others name the indicator: +CIEV: "SMSFULL",1 */
} at_urc;

/*
 * One event. Every pointer is valid only during the callback and points into
 * the parser; line and body are NUL-terminated (the NUL is not counted) but
 * may hold other NUL bytes: trust the lengths.
 */
typedef struct at_event {
    at_event_kind kind;
    const char *line;   /* the line without its terminator ("> " for a prompt) */
    size_t len;
    const char *body;   /* AT_URC_CMT/CDS/CBM: the PDU line; else NULL */
    size_t body_len;
    at_final final;     /* AT_EV_FINAL, AT_EV_STRAY_FINAL */
    int code;           /* CME/CMS error number; -1 when absent or unknown text */
    at_urc urc;         /* AT_EV_URC */
} at_event;

typedef void (*at_event_fn)(void *ctx, const at_event *ev);

/* at_parser_expect flags */
#define AT_EXPECT_PROMPT 1u /* the command answers "> " first (AT+CMGS, AT+CMGW) */

/* Caller storage; treat every field as private. */
typedef struct at_parser {
    at_event_fn cb;
    void *ctx;
    char line[AT_LINE_MAX + 1];
    size_t len;
    char head[AT_LINE_MAX + 1]; /* first line of a two-line URC awaiting its body */
    size_t head_len;
    at_urc head_urc;
    bool head_pending;
    bool overflow;      /* dropping bytes until the next line end */
    bool quoted;        /* inside the quoted string of a +CUSD line */
    bool skip_space;    /* swallow the space after a prompt's '>' */
    bool numeric;       /* ATV0 result codes ("0", "4") are finals */
    bool in_callback;
    bool pending;
    bool echo_possible;
    bool prompt_wanted;
    char cmd[AT_CMD_MAX + 1];
    size_t cmd_len;
    char prefix[AT_PREFIX_MAX + 1];
    size_t prefix_len;
} at_parser;

/* Set up p (caller storage) to report events to cb(ctx, ev). No command pending. */
void at_parser_init(at_parser *p, at_event_fn cb, void *ctx);

/*
 * Drop every partial line, half-received URC and the pending command (after
 * a modem reset or a port reopen). Keeps cb, ctx and the numeric setting.
 */
void at_parser_reset(at_parser *p);

/*
 * Consume len bytes (any chunking, down to one byte at a time); events are
 * reported through the callback before this returns. The callback may call
 * at_parser_expect/cancel/pending, never feed, flush or reset: a nested
 * feed or flush returns KZ_ERR_STATE and consumes nothing.
 */
kz_status at_parser_feed(at_parser *p, const uint8_t *buf, size_t len);

/*
 * End of input (a command timed out, the port closed): bytes since the last
 * line end are handled as a complete line, and a two-line URC still missing
 * its body is reported with body_len 0. KZ_ERR_STATE from inside a callback.
 */
kz_status at_parser_flush(at_parser *p);

/*
 * Announce the command about to be written (without its CR): "AT+CMGS=23".
 * Sets the echo to drop, the response prefix ("AT+CREG?" -> "+CREG") and,
 * with AT_EXPECT_PROMPT, that one "> " is expected. Call before writing.
 * KZ_ERR_BUSY if a command is still pending (at_parser_cancel it first),
 * KZ_ERR_INVALID if cmd does not start with "AT", KZ_ERR_NOSPACE if it is
 * longer than AT_CMD_MAX. On failure nothing changes.
 */
kz_status at_parser_expect(at_parser *p, const char *cmd, unsigned flags);

/* Forget the pending command (its timeout expired); later lines are strays. */
void at_parser_cancel(at_parser *p);

/* True while a command is pending (between expect and its final result). */
bool at_parser_pending(const at_parser *p);

/* Treat the ATV0 numeric result codes as finals (off after init). */
void at_parser_set_numeric(at_parser *p, bool on);

/*
 * TS 27.007 9.2 text of a +CME ERROR code, TS 27.005 3.2.5 (with TS 24.011
 * E.2 and TS 23.040 9.2.3.22 for 0-255) of a +CMS ERROR code:
 * at_cms_text(321) is "invalid memory index". Never NULL: unknown codes give
 * "unknown error code".
 */
const char *at_cme_text(int code);
const char *at_cms_text(int code);

/*
 * Reverse lookup for +CMEE=2 verbose errors: the code whose text equals
 * text[0..len) ignoring case, or -1.
 */
int at_cme_code(const char *text, size_t len);
int at_cms_code(const char *text, size_t len);

/* Short constant names for logs ("+CMTI", "OK", "line"). Never NULL. */
const char *at_urc_name(at_urc u);
const char *at_final_name(at_final f);
const char *at_event_name(at_event_kind k);

#endif
