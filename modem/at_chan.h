/*
 * at_chan.h - the AT command channel over one port: a FIFO of commands,
 * each with its own timeout and completion callback, buffered non-blocking
 * writes (POLLOUT), the "> " prompt handshake of AT+CMGS (the payload and
 * Ctrl-Z are written only after the prompt; ESC on timeout), and unsolicited
 * result codes handed to a handler but never while a command is in flight:
 * URCs that arrive mid-response are copied and delivered after the final
 * result (and after the command's callback). A URC the caller's interrupt
 * predicate picks (a modem announcing its own reboot) ends the wait at once
 * instead: the command completes, then the URC is delivered.
 * Owns: the command queue, the write buffer, the at_parser and the URC queue.
 * Never blocks, sleeps, reads a clock (now is passed in), logs, retries a
 * command or opens/closes the port (the port is borrowed from the caller).
 *
 * Callbacks (done, urc) run from inside at_chan_on_io / at_chan_tick /
 * at_chan_abort; they may call at_chan_submit*, at_chan_abort and
 * at_chan_detach, never at_chan_on_io or at_chan_tick.
 */
#ifndef KAZI_AT_CHAN_H
#define KAZI_AT_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "at_parse.h"
#include "port.h"
#include "status.h"

typedef struct at_chan at_chan;

/* Outcome of one command. Pointers are valid only during the done callback. */
typedef struct at_reply {
    kz_status st;        /* KZ_OK only for a final OK (or CONNECT); KZ_ERR_INVALID for
                            ERROR/+CME/+CMS/NO CARRIER...; KZ_ERR_TIMEOUT; KZ_ERR_IO when the
                            port failed; KZ_ERR_STATE when aborted before it finished */
    at_final final;      /* AT_FINAL_NONE unless a final result arrived */
    int code;            /* +CME/+CMS ERROR number, else -1 */
    bool prompted;       /* the "> " prompt was seen (prompt commands) */
    bool written;        /* the command was handed to the port (false: aborted while queued) */
    bool interrupted;    /* st KZ_ERR_IO because a URC the interrupt predicate picked (a
                            reboot) ended the wait: the modem will not answer any more */
    size_t nlines;       /* intermediate lines, in order */
    const char *const *line; /* line[i] NUL-terminated, len[i] bytes (may hold NULs) */
    const size_t *len;
} at_reply;

typedef void (*at_done_fn)(void *ctx, const at_reply *r);

/* An unsolicited result code (or a stray line: kind AT_EV_STRAY_LINE, urc AT_URC_NONE). */
typedef struct at_urc_msg {
    at_event_kind kind;  /* AT_EV_URC or AT_EV_STRAY_LINE */
    at_urc urc;
    const char *line;    /* NUL-terminated */
    size_t len;
    const char *body;    /* the PDU line of +CMT/+CDS/+CBM, else NULL */
    size_t body_len;
} at_urc_msg;

typedef void (*at_urc_fn)(void *ctx, const at_urc_msg *u);

/*
 * Whether URC u, arriving while a command is in flight, ends that command's
 * wait (true) instead of waiting for its end. Runs inside the parser's
 * callback: it must not call any at_chan function.
 */
typedef bool (*at_interrupt_fn)(void *ctx, const at_urc_msg *u);

/* One command to queue. */
typedef struct at_cmd_spec {
    const char *cmd;       /* "AT+CMGS=23" (no CR); copied */
    const char *payload;   /* prompt commands: text written after "> " (Ctrl-Z is added);
                              NULL for ordinary commands; copied */
    int timeout_ms;        /* from the moment the command is written; <= 0: 10000 */
    bool esc_first;        /* write ESC before the command: leaves a "> " prompt the modem
                              may still be in (recovery after a timeout) */
    at_done_fn done;       /* may be NULL */
    void *ctx;
} at_cmd_spec;

/* Longest collected reply: lines beyond it are counted but dropped. */
#define AT_CHAN_REPLY_MAX (256u * 1024u)
/* Commands the queue holds. */
#define AT_CHAN_QUEUE_MAX 256

/* New channel delivering URCs to urc(ctx). No port yet. NULL on ENOMEM. */
at_chan *at_chan_new(at_urc_fn urc, void *ctx);

/*
 * Let fn (called with the urc handler's ctx) pick URCs that end the
 * in-flight command's wait: that command completes with KZ_ERR_IO and
 * at_reply.interrupted, then the URC is delivered as usual. NULL (the
 * default): no URC ever ends a wait.
 */
void at_chan_set_interrupt(at_chan *c, at_interrupt_fn fn);

/* Free; queued commands are completed with KZ_ERR_STATE first. NULL-safe. */
void at_chan_free(at_chan *c);

/*
 * Start using port p (borrowed: the caller closes it after at_chan_detach).
 * Parser state, the write buffer and queued URCs are reset; queued commands
 * stay and start now.
 */
void at_chan_attach(at_chan *c, port *p, int64_t now_ms);

/* Stop using the port: every command is completed with st (KZ_ERR_IO usually). */
void at_chan_detach(at_chan *c, kz_status st);

/*
 * Complete every queued and in-flight command with st (KZ_ERR_STATE: aborted)
 * and forget the in-flight one in the parser. Bytes already queued for
 * writing still go out (half a command line would corrupt the next). The
 * port stays attached.
 */
void at_chan_abort(at_chan *c, kz_status st);

/*
 * Queue a command (at the tail, or at the head with at_chan_submit_front,
 * which runs it as soon as the in-flight command finishes). Nothing is
 * written before the next at_chan_on_io or at_chan_tick (so the timeout
 * starts from a fresh clock); at_chan_deadline says "now" meanwhile. KZ_ERR_BUSY when
 * AT_CHAN_QUEUE_MAX commands wait, KZ_ERR_INVALID for a command that is not
 * "AT...", too long, or holds CR/LF/Ctrl-Z/ESC, KZ_ERR_NOMEM.
 */
kz_status at_chan_submit(at_chan *c, const at_cmd_spec *spec);
kz_status at_chan_submit_front(at_chan *c, const at_cmd_spec *spec);

/* Handle poll() results for at_chan_fd. KZ_ERR_IO (err filled) when the port failed;
 * the commands were then completed with KZ_ERR_IO and the channel is detached. */
kz_status at_chan_on_io(at_chan *c, short revents, int64_t now_ms, kz_err *err);

/* Timeouts and queued writes. KZ_ERR_IO (err filled) as for at_chan_on_io when a
 * write failed since the last call. */
kz_status at_chan_tick(at_chan *c, int64_t now_ms, kz_err *err);

/* The in-flight command's deadline (the last clock seen when a command waits
 * to be written or a write failure to be reported), or INT64_MAX when idle. */
int64_t at_chan_deadline(const at_chan *c);

/* fd to poll (-1 when detached) and its events (POLLIN, plus POLLOUT while output waits). */
int at_chan_fd(const at_chan *c);
short at_chan_poll_events(const at_chan *c);

/* True while a command is in flight or queued. */
bool at_chan_busy(const at_chan *c);

/* Commands queued (in flight included). */
size_t at_chan_queued(const at_chan *c);

/* Bytes read from the port since attach (0: the modem never said anything). */
uint64_t at_chan_rx_bytes(const at_chan *c);

#endif
