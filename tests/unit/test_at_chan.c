/*
 * test_at_chan.c - the AT command channel over a real pseudo-terminal: the
 * simulator engine (or scripted bytes) on the master side, at_chan on the
 * slave opened through port_open, a fake clock. Covers queue order,
 * collected lines, error codes, the "> " handshake, URCs held during a
 * command, timeouts (and ESC after a prompt timeout), abort, port loss.
 * Never sleeps or reads the real clock.
 */
#include <poll.h>

#include "at_chan.h"
#include "harness.h"
#include "hex.h"
#include "pdu.h"
#include "port.h"
#include "sim_pty.h"

typedef struct done_rec {
    int calls;
    kz_status st;
    at_final final;
    int code;
    bool written, prompted;
    size_t nlines;
    char first[128];
    int order;
    int64_t at;        /* clock when the callback ran */
} done_rec;

typedef struct tctx {
    simpty sp;
    bool raw;          /* no simulator: the test writes the modem's bytes */
    port *port;
    at_chan *c;
    int64_t now;
    int seq;
    int urcs;
    int strays;
    char last_urc[128];
    int urc_seq;       /* seq value when the last URC arrived */
    kz_status io;
} tctx;

static void on_done(void *ctx, const at_reply *r)
{
    done_rec *d = ctx;
    d->calls++;
    d->st = r->st;
    d->final = r->final;
    d->code = r->code;
    d->written = r->written;
    d->prompted = r->prompted;
    d->nlines = r->nlines;
    snprintf(d->first, sizeof d->first, "%s", r->nlines ? r->line[0] : "");
}

static tctx *g_ctx;

static void on_done_seq(void *ctx, const at_reply *r)
{
    done_rec *d = ctx;
    on_done(ctx, r);
    d->order = ++g_ctx->seq;
    d->at = g_ctx->now;
}

static void on_urc(void *ctx, const at_urc_msg *u)
{
    tctx *t = ctx;
    if (u->kind == AT_EV_STRAY_LINE) {
        t->strays++;
        return;
    }
    t->urcs++;
    t->urc_seq = t->seq;
    snprintf(t->last_urc, sizeof t->last_urc, "%s", u->line);
}

static int setup(tctx *t, bool raw)
{
    memset(t, 0, sizeof *t);
    g_ctx = t;
    t->raw = raw;
    t->now = 1000;
    sim_config cfg;
    sim_config_init(&cfg);
    kz_err err;
    sim_engine *e = sim_new(&cfg, (uint64_t)t->now, &err);
    if (!e || simpty_open(&t->sp, e, (uint64_t)t->now) != 0)
        return -1;
    t->port = port_open(t->sp.link, 115200, &err);
    if (!t->port) {
        fprintf(stderr, "port_open: %s\n", err.msg);
        return -1;
    }
    t->c = at_chan_new(on_urc, t);
    at_chan_attach(t->c, t->port, t->now);
    return 0;
}

static void teardown(tctx *t)
{
    at_chan_free(t->c);
    port_free(t->port);
    simpty_close(&t->sp);
}

/* One round: simulator, channel I/O, timers; the clock jumps when all is quiet. */
static void step(tctx *t)
{
    t->sp.now = (uint64_t)t->now;
    unsigned long moved = 0;
    if (!t->raw) {
        simpty_pump(&t->sp);
        moved = t->sp.moved;
    }
    int fd = at_chan_fd(t->c);
    bool io = false;
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = at_chan_poll_events(t->c)};
        if (poll(&p, 1, t->raw ? 1 : 5) > 0 && p.revents) {
            io = true;
            kz_err err;
            if (at_chan_on_io(t->c, p.revents, t->now, &err) != KZ_OK)
                t->io = KZ_ERR_IO;
        }
    }
    if (at_chan_fd(t->c) >= 0) {
        kz_err err;
        if (at_chan_tick(t->c, t->now, &err) != KZ_OK)
            t->io = KZ_ERR_IO;
    }
    if (moved || io)
        return;
    int64_t next = at_chan_deadline(t->c);
    uint64_t sd = t->raw ? UINT64_MAX : simpty_deadline(&t->sp);
    if (sd != UINT64_MAX && (int64_t)sd < next)
        next = (int64_t)sd;
    if (t->raw || next == INT64_MAX || next <= t->now)
        next = t->now + 1; /* scripted bytes: time passes slowly */
    t->now = next;
}

static void run_until(tctx *t, const int *flag, int want)
{
    for (int i = 0; i < 3000 && *flag < want; i++)
        step(t);
}

static void submit(tctx *t, const char *cmd, const char *payload, int timeout, done_rec *d)
{
    at_cmd_spec s = {.cmd = cmd, .payload = payload, .timeout_ms = timeout, .done = on_done_seq,
                     .ctx = d};
    KT_CHECK(at_chan_submit(t->c, &s) == KZ_OK, "submit %s", cmd);
}

static void test_basic(void)
{
    tctx t;
    if (setup(&t, false) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    done_rec a = {0}, b = {0}, c = {0}, d = {0};
    submit(&t, "AT", NULL, 1000, &a);
    submit(&t, "AT+CGMI", NULL, 1000, &b);
    submit(&t, "AT+CMEE=1", NULL, 1000, &c);
    submit(&t, "AT+CPIN=\"1234\"", NULL, 1000, &d);
    KT_CHECK(at_chan_queued(t.c) == 4, "4 queued");
    run_until(&t, &d.calls, 1);
    KT_CHECK(a.calls == 1 && a.st == KZ_OK && a.final == AT_FINAL_OK, "AT ok");
    KT_CHECK(b.calls == 1 && b.nlines == 1, "CGMI one line (%zu)", b.nlines);
    KT_STREQ(b.first, "SIMCOM_Ltd", "CGMI");
    KT_CHECK(d.st == KZ_ERR_INVALID && d.final == AT_FINAL_CME_ERROR && d.code == 3,
             "CPIN without PIN: +CME ERROR: 3 (got %d %d)", d.final, d.code);
    KT_CHECK(a.order == 1 && b.order == 2 && c.order == 3 && d.order == 4, "FIFO order");
    KT_CHECK(!at_chan_busy(t.c), "idle");
    KT_CHECK(at_chan_deadline(t.c) == INT64_MAX, "no deadline when idle");
    KT_CHECK(at_chan_rx_bytes(t.c) > 0, "bytes counted");
    teardown(&t);
}

static void test_prompt(void)
{
    tctx t;
    if (setup(&t, false) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = "+254712345678";
    sms_pdu pdu;
    size_t n;
    KT_CHECK(pdu_encode_submit((const uint8_t *)"hello", 5, &o, &pdu, 1, &n, NULL) == KZ_OK,
             "encode");
    char hex[2 * SMS_PDU_MAX + 1], cmd[32];
    hex_encode(pdu.bytes, pdu.len, hex, sizeof hex);
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu", pdu.tpdu_len);
    done_rec e0 = {0}, s = {0};
    submit(&t, "ATE0", NULL, 1000, &e0);
    submit(&t, cmd, hex, 5000, &s);
    run_until(&t, &s.calls, 1);
    KT_CHECK(s.st == KZ_OK && s.prompted, "CMGS ok after prompt (st %d)", s.st);
    KT_CHECK(strncmp(s.first, "+CMGS: ", 7) == 0, "mr line: %s", s.first);
    KT_CHECK(sim_sent_count(t.sp.e) == 1, "the simulator sent it");
    const sim_sent *ss = sim_sent_get(t.sp.e, 0);
    KT_CHECK(ss && strcmp(ss->msg.text, "hello") == 0, "text arrived");
    /* payload with Ctrl-Z is refused */
    at_cmd_spec bad = {.cmd = "AT+CMGS=5", .payload = "00\x1a", .done = on_done};
    KT_CHECK(at_chan_submit(t.c, &bad) == KZ_ERR_INVALID, "payload with ^Z refused");
    at_cmd_spec bad2 = {.cmd = "XT"};
    KT_CHECK(at_chan_submit(t.c, &bad2) == KZ_ERR_INVALID, "not AT refused");
    at_cmd_spec bad3 = {.cmd = "AT\rAT"};
    KT_CHECK(at_chan_submit(t.c, &bad3) == KZ_ERR_INVALID, "CR refused");
    teardown(&t);
}

static void test_timeout(void)
{
    tctx t;
    if (setup(&t, false) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    done_rec a = {0}, b = {0};
    sim_fault(t.sp.e, SIM_FAULT_HANG, 3000, 0, (uint64_t)t.now);
    int64_t start = t.now;
    submit(&t, "AT", NULL, 1000, &a);
    run_until(&t, &a.calls, 1);
    KT_CHECK(a.st == KZ_ERR_TIMEOUT && a.written, "timeout (st %d)", a.st);
    KT_CHECK(a.at - start >= 1000 && a.at - start < 1100, "after 1000 ms (%lld)",
             (long long)(a.at - start));
    t.now += 3000; /* hang over */
    submit(&t, "AT", NULL, 1000, &b);
    run_until(&t, &b.calls, 1);
    KT_CHECK(b.st == KZ_OK, "answers after the hang (st %d)", b.st);
    teardown(&t);
}

/* Read what the driver wrote to the (raw) master. */
static size_t master_read(tctx *t, char *buf, size_t cap)
{
    size_t got = 0;
    for (int i = 0; i < 20 && got + 1 < cap; i++) {
        struct pollfd p = {.fd = t->sp.master, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            break;
        ssize_t n = read(t->sp.master, buf + got, cap - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got;
}

static void master_write(tctx *t, const char *s)
{
    KT_CHECK(write(t->sp.master, s, strlen(s)) == (ssize_t)strlen(s), "write master");
}

static void test_urc_held(void)
{
    tctx t;
    if (setup(&t, true) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    done_rec a = {0};
    char buf[512];
    submit(&t, "AT+CPMS?", NULL, 1000, &a);
    step(&t);
    master_read(&t, buf, sizeof buf);
    KT_STREQ(buf, "AT+CPMS?\r", "command written");
    master_write(&t, "AT+CPMS?\r\r\n+CPMS: \"SM\",1,30,\"SM\",1,30,\"SM\",1,30\r\n"
                     "+CMTI: \"SM\",2\r\n");
    for (int i = 0; i < 5; i++)
        step(&t);
    KT_CHECK(t.urcs == 0, "URC held while the command waits");
    master_write(&t, "\r\nOK\r\n");
    for (int i = 0; i < 5 && !a.calls; i++)
        step(&t);
    KT_CHECK(a.calls == 1 && a.st == KZ_OK && a.nlines == 1, "reply has only its own line");
    KT_CHECK(t.urcs == 1 && t.urc_seq == 1, "URC after the command's callback");
    KT_STREQ(t.last_urc, "+CMTI: \"SM\",2", "URC text");
    master_write(&t, "\r\nRING\r\nsomething odd\r\n");
    for (int i = 0; i < 5; i++)
        step(&t);
    KT_CHECK(t.urcs == 2, "URC with nothing pending delivered at once");
    KT_CHECK(t.strays == 1, "stray line reported");
    teardown(&t);
}

static void test_prompt_timeout_esc(void)
{
    tctx t;
    if (setup(&t, true) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    done_rec a = {0}, b = {0};
    char buf[512];
    submit(&t, "AT+CMGS=5", "0011223344", 1000, &a);
    submit(&t, "AT", NULL, 1000, &b);
    step(&t);
    master_read(&t, buf, sizeof buf);
    KT_STREQ(buf, "AT+CMGS=5\r", "only the command before the prompt");
    run_until(&t, &a.calls, 1);
    KT_CHECK(a.st == KZ_ERR_TIMEOUT && !a.prompted, "prompt never came");
    master_read(&t, buf, sizeof buf);
    KT_CHECK(buf[0] == 0x1b, "ESC written after the timeout");
    KT_CHECK(strstr(buf, "AT\r") != NULL, "next command follows");
    master_write(&t, "\r\nOK\r\n");
    run_until(&t, &b.calls, 1);
    KT_CHECK(b.st == KZ_OK, "next command answered");
    /* a prompt, then the payload and Ctrl-Z */
    done_rec c = {0};
    submit(&t, "AT+CMGS=1", "00AB", 1000, &c);
    step(&t);
    master_read(&t, buf, sizeof buf);
    master_write(&t, "\r\n> ");
    step(&t);
    master_read(&t, buf, sizeof buf);
    KT_STREQ(buf, "00AB\x1a", "payload and ^Z after the prompt");
    master_write(&t, "\r\n+CMS ERROR: 500\r\n");
    run_until(&t, &c.calls, 1);
    KT_CHECK(c.final == AT_FINAL_CMS_ERROR && c.code == 500 && c.prompted, "CMS 500");
    teardown(&t);
}

static void test_abort_and_loss(void)
{
    tctx t;
    if (setup(&t, true) != 0) {
        KT_CHECK(0, "setup");
        return;
    }
    done_rec a = {0}, b = {0}, c = {0}, d = {0};
    char buf[256];
    submit(&t, "AT", NULL, 1000, &a);
    submit(&t, "AT+CSQ", NULL, 1000, &b);
    step(&t);
    at_chan_abort(t.c, KZ_ERR_STATE);
    KT_CHECK(a.calls == 1 && a.st == KZ_ERR_STATE && a.written, "in flight aborted");
    KT_CHECK(b.calls == 1 && b.st == KZ_ERR_STATE && !b.written, "queued aborted unwritten");
    master_read(&t, buf, sizeof buf);
    submit(&t, "AT", NULL, 1000, &c);
    submit(&t, "AT", NULL, 1000, &d);
    step(&t);
    simpty_vanish(&t.sp);
    for (int i = 0; i < 10 && t.io == KZ_OK; i++)
        step(&t);
    KT_CHECK(t.io == KZ_ERR_IO, "port loss reported");
    KT_CHECK(c.calls == 1 && c.st == KZ_ERR_IO && d.calls == 1 && d.st == KZ_ERR_IO,
             "commands completed with KZ_ERR_IO");
    KT_CHECK(at_chan_fd(t.c) == -1, "detached");
    teardown(&t);
}

int main(void)
{
    test_basic();
    test_prompt();
    test_timeout();
    test_urc_held();
    test_prompt_timeout_esc();
    test_abort_and_loss();
    return kt_report();
}
