/*
 * at_chan.c - the AT command channel (see at_chan.h): command FIFO with
 * per-command timeouts, buffered writes, the "> " prompt handshake, and URCs
 * held while a command is in flight.
 * Owns the queue, the write buffer, the parser and the held URCs. Never
 * blocks, reads a clock, logs, or handles a URC inside a command's wait.
 */
#include "at_chan.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define CTRL_Z 0x1A
#define ESC 0x1B
#define DEFAULT_TIMEOUT_MS 10000
#define READ_CHUNK 4096
#define READS_PER_CALL 16

typedef struct chan_cmd {
    struct chan_cmd *next;
    char *cmd;
    char *payload;
    int timeout_ms;
    bool esc_first;
    at_done_fn done;
    void *ctx;
} chan_cmd;

typedef struct held_urc {
    struct held_urc *next;
    at_urc_msg msg;
    char data[]; /* line NUL body NUL */
} held_urc;

/* A growable byte buffer. */
typedef struct chan_buf {
    char *p;
    size_t len, cap;
} chan_buf;

struct at_chan {
    at_parser parser;
    port *port;
    at_urc_fn urc_fn;
    void *urc_ctx;
    at_interrupt_fn interrupt_fn;
    bool interrupting;     /* the command completing now was ended by a URC */
    int64_t now;

    chan_cmd *head, *tail; /* waiting */
    size_t nqueued;        /* waiting + in flight */
    chan_cmd *cur;         /* in flight */
    int64_t deadline;
    bool prompted;

    chan_buf out;          /* bytes waiting to be written */
    chan_buf reply;        /* the in-flight command's lines, NUL-separated */
    size_t *line_off, *line_len;
    size_t nlines, lines_cap;

    held_urc *urc_head, *urc_tail;
    bool in_feed;          /* inside at_parser_feed: start nothing */
    bool io_failed;
    kz_err io_err;
    uint64_t rx_bytes;
};

static bool buf_put(chan_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return false;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

static void buf_consume(chan_buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void buf_free(chan_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void cmd_free(chan_cmd *k)
{
    if (!k)
        return;
    if (k->cmd)
        memset(k->cmd, 0, strlen(k->cmd)); /* AT+CPIN="..." holds a secret */
    free(k->cmd);
    free(k->payload);
    free(k);
}

/* ---- replies ---- */

static void reply_clear(at_chan *c)
{
    c->reply.len = 0;
    c->nlines = 0;
}

static void reply_add_line(at_chan *c, const char *line, size_t len)
{
    if (c->reply.len + len + 1 > AT_CHAN_REPLY_MAX)
        return;
    if (c->nlines == c->lines_cap) {
        size_t cap = c->lines_cap ? c->lines_cap * 2 : 16;
        size_t *off = realloc(c->line_off, cap * sizeof *off);
        if (!off)
            return;
        c->line_off = off;
        size_t *ln = realloc(c->line_len, cap * sizeof *ln);
        if (!ln)
            return;
        c->line_len = ln;
        c->lines_cap = cap;
    }
    size_t at = c->reply.len;
    if (!buf_put(&c->reply, line, len) || !buf_put(&c->reply, "", 1))
        return;
    c->line_off[c->nlines] = at;
    c->line_len[c->nlines] = len;
    c->nlines++;
}

/* Complete command k (no longer queued) with the collected lines. */
static void complete(at_chan *c, chan_cmd *k, kz_status st, at_final final, int code,
                     bool collected)
{
    size_t n = collected ? c->nlines : 0;
    const char **ptrs = n ? calloc(n, sizeof *ptrs) : NULL;
    if (!ptrs)
        n = 0;
    for (size_t i = 0; i < n; i++)
        ptrs[i] = c->reply.p + c->line_off[i];
    at_reply r = {.st = st, .final = final, .code = code, .prompted = collected && c->prompted,
                  .written = collected, .interrupted = c->interrupting,
                  .nlines = n, .line = ptrs, .len = c->line_len};
    if (collected)
        reply_clear(c);
    c->nqueued--;
    if (k->done)
        k->done(k->ctx, &r);
    free(ptrs);
    cmd_free(k);
}

/* ---- URCs ---- */

static void deliver(at_chan *c, const at_urc_msg *u)
{
    if (c->urc_fn)
        c->urc_fn(c->urc_ctx, u);
}

static void hold_urc(at_chan *c, const at_event *ev)
{
    size_t blen = ev->body ? ev->body_len : 0;
    held_urc *h = malloc(sizeof *h + ev->len + blen + 2);
    if (!h)
        return;
    h->next = NULL;
    memcpy(h->data, ev->line, ev->len);
    h->data[ev->len] = '\0';
    char *body = h->data + ev->len + 1;
    if (blen)
        memcpy(body, ev->body, blen);
    body[blen] = '\0';
    h->msg = (at_urc_msg){.kind = ev->kind, .urc = ev->urc, .line = h->data, .len = ev->len,
                          .body = ev->body ? body : NULL, .body_len = blen};
    if (c->urc_tail)
        c->urc_tail->next = h;
    else
        c->urc_head = h;
    c->urc_tail = h;
}

/* Deliver held URCs while no command is in flight. */
static void release_urcs(at_chan *c)
{
    while (c->urc_head && !c->cur) {
        held_urc *h = c->urc_head;
        c->urc_head = h->next;
        if (!c->urc_head)
            c->urc_tail = NULL;
        deliver(c, &h->msg);
        free(h);
    }
}

static void drop_urcs(at_chan *c)
{
    while (c->urc_head) {
        held_urc *h = c->urc_head;
        c->urc_head = h->next;
        free(h);
    }
    c->urc_tail = NULL;
}

/* ---- output ---- */

static void note_io_error(at_chan *c, const kz_err *e)
{
    if (c->io_failed)
        return;
    c->io_failed = true;
    c->io_err = *e;
    if (c->io_err.status == KZ_OK)
        c->io_err.status = KZ_ERR_IO;
}

static void flush_output(at_chan *c)
{
    while (c->port && c->out.len > 0 && !c->io_failed) {
        size_t wrote = 0;
        kz_err e;
        kz_err_clear(&e);
        kz_status st = port_write(c->port, (const uint8_t *)c->out.p, c->out.len, &wrote, &e);
        if (st != KZ_OK) {
            note_io_error(c, &e);
            return;
        }
        if (wrote == 0)
            return;
        buf_consume(&c->out, wrote);
    }
}

static void queue_out(at_chan *c, const void *data, size_t n)
{
    if (!buf_put(&c->out, data, n)) {
        kz_err e;
        kz_err_set(&e, KZ_ERR_NOMEM, KZ_NO_OFFSET, "%s: out of memory", port_name(c->port));
        note_io_error(c, &e);
    }
}

/* ---- starting and finishing commands ---- */

static chan_cmd *pop_head(at_chan *c)
{
    chan_cmd *k = c->head;
    if (!k)
        return NULL;
    c->head = k->next;
    if (!c->head)
        c->tail = NULL;
    k->next = NULL;
    return k;
}

/* Write the next queued command if nothing is in flight. */
static void kick(at_chan *c)
{
    if (c->in_feed || c->cur || !c->port || c->io_failed)
        return;
    chan_cmd *k = pop_head(c);
    if (!k)
        return;
    if (at_parser_pending(&c->parser))
        at_parser_cancel(&c->parser);
    if (at_parser_expect(&c->parser, k->cmd, k->payload ? AT_EXPECT_PROMPT : 0) != KZ_OK) {
        complete(c, k, KZ_ERR_INVALID, AT_FINAL_NONE, -1, false);
        kick(c);
        return;
    }
    c->cur = k;
    c->prompted = false;
    reply_clear(c);
    c->deadline = c->now + k->timeout_ms;
    if (k->esc_first) {
        uint8_t esc = ESC;
        queue_out(c, &esc, 1);
    }
    queue_out(c, k->cmd, strlen(k->cmd));
    queue_out(c, "\r", 1);
    flush_output(c);
}

/* The in-flight command ends: callback, then held URCs, then the next command. */
static void finish_current(at_chan *c, kz_status st, at_final final, int code)
{
    chan_cmd *k = c->cur;
    c->cur = NULL;
    complete(c, k, st, final, code, true);
    release_urcs(c);
    kick(c);
}

static bool interrupts(const at_chan *c, const at_event *ev)
{
    at_urc_msg u = {.kind = ev->kind, .urc = ev->urc, .line = ev->line, .len = ev->len,
                    .body = ev->body, .body_len = ev->body ? ev->body_len : 0};
    return c->interrupt_fn && c->interrupt_fn(c->urc_ctx, &u);
}

/* A URC ended the in-flight command's wait: it completes now (KZ_ERR_IO). */
static void interrupt_current(at_chan *c)
{
    at_parser_cancel(&c->parser);
    c->interrupting = true;
    chan_cmd *k = c->cur;
    c->cur = NULL;
    complete(c, k, KZ_ERR_IO, AT_FINAL_NONE, -1, true);
    c->interrupting = false;
}

static kz_status final_status(at_final f)
{
    return (f == AT_FINAL_OK || f == AT_FINAL_CONNECT) ? KZ_OK : KZ_ERR_INVALID;
}

static void on_prompt(at_chan *c)
{
    if (!c->cur || !c->cur->payload || c->prompted)
        return;
    c->prompted = true;
    queue_out(c, c->cur->payload, strlen(c->cur->payload));
    uint8_t z = CTRL_Z;
    queue_out(c, &z, 1);
    flush_output(c);
}

static void on_event(void *ctx, const at_event *ev)
{
    at_chan *c = ctx;
    switch (ev->kind) {
    case AT_EV_LINE:
        if (c->cur)
            reply_add_line(c, ev->line, ev->len);
        break;
    case AT_EV_FINAL:
        if (c->cur)
            finish_current(c, final_status(ev->final), ev->final, ev->code);
        break;
    case AT_EV_PROMPT:
        on_prompt(c);
        break;
    case AT_EV_URC:
        hold_urc(c, ev);
        if (c->cur && interrupts(c, ev))
            interrupt_current(c);
        release_urcs(c);
        break;
    case AT_EV_STRAY_LINE:
        hold_urc(c, ev);
        release_urcs(c);
        break;
    case AT_EV_STRAY_FINAL:
    case AT_EV_OVERFLOW:
        break;
    }
}

/* ---- public ---- */

at_chan *at_chan_new(at_urc_fn urc, void *ctx)
{
    at_chan *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    at_parser_init(&c->parser, on_event, c);
    c->urc_fn = urc;
    c->urc_ctx = ctx;
    c->deadline = INT64_MAX;
    return c;
}

void at_chan_set_interrupt(at_chan *c, at_interrupt_fn fn)
{
    c->interrupt_fn = fn;
}

void at_chan_free(at_chan *c)
{
    if (!c)
        return;
    at_chan_abort(c, KZ_ERR_STATE);
    drop_urcs(c);
    buf_free(&c->out);
    buf_free(&c->reply);
    free(c->line_off);
    free(c->line_len);
    free(c);
}

void at_chan_attach(at_chan *c, port *p, int64_t now_ms)
{
    c->port = p;
    c->now = now_ms;
    c->io_failed = false;
    kz_err_clear(&c->io_err);
    c->rx_bytes = 0;
    c->out.len = 0;
    if (!c->in_feed)
        at_parser_reset(&c->parser);
    drop_urcs(c);
    kick(c);
}

void at_chan_abort(at_chan *c, kz_status st)
{
    chan_cmd *list = c->head;
    c->head = c->tail = NULL;
    /* output already queued (the rest of a command, an ESC) still goes out:
     * dropping half a line would glue it to the next command */
    if (at_parser_pending(&c->parser))
        at_parser_cancel(&c->parser);
    chan_cmd *cur = c->cur;
    c->cur = NULL;
    if (cur)
        complete(c, cur, st, AT_FINAL_NONE, -1, true);
    while (list) {
        chan_cmd *k = list;
        list = k->next;
        complete(c, k, st, AT_FINAL_NONE, -1, false);
    }
    /* held URCs stay held: they go out after the caller's callback returns
     * (or with the next event), never re-entrantly from here */
}

void at_chan_detach(at_chan *c, kz_status st)
{
    c->port = NULL;
    c->out.len = 0;
    drop_urcs(c);
    at_chan_abort(c, st);
    drop_urcs(c);
}

static bool valid_cmd(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > AT_CMD_MAX || (s[0] != 'A' && s[0] != 'a') || (s[1] != 'T' && s[1] != 't'))
        return false;
    return strpbrk(s, "\r\n\x1a\x1b") == NULL;
}

static chan_cmd *make_cmd(const at_cmd_spec *spec, kz_status *st)
{
    *st = KZ_ERR_INVALID;
    if (!spec->cmd || !valid_cmd(spec->cmd))
        return NULL;
    if (spec->payload && strpbrk(spec->payload, "\x1a\x1b"))
        return NULL;
    *st = KZ_ERR_NOMEM;
    chan_cmd *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->cmd = strdup(spec->cmd);
    k->payload = spec->payload ? strdup(spec->payload) : NULL;
    if (!k->cmd || (spec->payload && !k->payload)) {
        cmd_free(k);
        return NULL;
    }
    k->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : DEFAULT_TIMEOUT_MS;
    k->esc_first = spec->esc_first;
    k->done = spec->done;
    k->ctx = spec->ctx;
    *st = KZ_OK;
    return k;
}

static kz_status submit(at_chan *c, const at_cmd_spec *spec, bool front)
{
    if (c->nqueued >= AT_CHAN_QUEUE_MAX)
        return KZ_ERR_BUSY;
    kz_status st;
    chan_cmd *k = make_cmd(spec, &st);
    if (!k)
        return st;
    if (front) {
        k->next = c->head;
        c->head = k;
        if (!c->tail)
            c->tail = k;
    } else {
        if (c->tail)
            c->tail->next = k;
        else
            c->head = k;
        c->tail = k;
    }
    c->nqueued++;
    return KZ_OK; /* written at the next at_chan_on_io/at_chan_tick, with a fresh clock */
}

kz_status at_chan_submit(at_chan *c, const at_cmd_spec *spec)
{
    return submit(c, spec, false);
}

kz_status at_chan_submit_front(at_chan *c, const at_cmd_spec *spec)
{
    return submit(c, spec, true);
}

/* Report a recorded I/O failure: detach (commands complete with KZ_ERR_IO). */
static kz_status raise_io(at_chan *c, kz_err *err)
{
    kz_err e = c->io_err;
    at_chan_detach(c, KZ_ERR_IO);
    c->io_failed = false;
    if (err)
        *err = e;
    return KZ_ERR_IO;
}

static void read_some(at_chan *c, short revents)
{
    uint8_t buf[READ_CHUNK];
    for (int i = 0; i < READS_PER_CALL && c->port && !c->io_failed; i++) {
        size_t got = 0;
        kz_err e;
        kz_err_clear(&e);
        if (port_read(c->port, buf, sizeof buf, &got, &e) != KZ_OK) {
            note_io_error(c, &e);
            return;
        }
        if (got == 0)
            break;
        c->rx_bytes += got;
        c->in_feed = true;
        at_parser_feed(&c->parser, buf, got);
        c->in_feed = false;
    }
    if (c->port && !c->io_failed && (revents & (POLLHUP | POLLERR | POLLNVAL))) {
        kz_err e;
        kz_err_set(&e, KZ_ERR_IO, KZ_NO_OFFSET, "%s: device gone (hung up)",
                   port_name(c->port));
        note_io_error(c, &e);
    }
}

kz_status at_chan_on_io(at_chan *c, short revents, int64_t now_ms, kz_err *err)
{
    if (now_ms > c->now)
        c->now = now_ms;
    if (!c->port)
        return KZ_OK;
    if (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
        read_some(c, revents);
    if (c->port && !c->io_failed)
        flush_output(c);
    kick(c);
    if (c->io_failed)
        return raise_io(c, err);
    return KZ_OK;
}

kz_status at_chan_tick(at_chan *c, int64_t now_ms, kz_err *err)
{
    if (now_ms > c->now)
        c->now = now_ms;
    if (c->io_failed && c->port)
        return raise_io(c, err);
    if (c->cur && c->now >= c->deadline) {
        if (c->cur->payload) {
            uint8_t esc = ESC;
            queue_out(c, &esc, 1);
        }
        at_parser_cancel(&c->parser);
        finish_current(c, KZ_ERR_TIMEOUT, AT_FINAL_NONE, -1);
    }
    flush_output(c);
    kick(c);
    if (c->io_failed && c->port)
        return raise_io(c, err);
    return KZ_OK;
}

int64_t at_chan_deadline(const at_chan *c)
{
    if (c->io_failed && c->port)
        return c->now;
    if (!c->cur && c->head && c->port)
        return c->now; /* a command waits to be written */
    return c->cur ? c->deadline : INT64_MAX;
}

int at_chan_fd(const at_chan *c)
{
    return c->port ? port_fd(c->port) : -1;
}

short at_chan_poll_events(const at_chan *c)
{
    if (!c->port)
        return 0;
    return (short)(POLLIN | (c->out.len ? POLLOUT : 0));
}

bool at_chan_busy(const at_chan *c)
{
    return c->nqueued > 0;
}

size_t at_chan_queued(const at_chan *c)
{
    return c->nqueued;
}

uint64_t at_chan_rx_bytes(const at_chan *c)
{
    return c->rx_bytes;
}
