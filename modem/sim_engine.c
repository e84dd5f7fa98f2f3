/*
 * sim_engine.c - the simulated modem's life cycle and byte pump: command
 * lines and AT+CMGS PDUs in, echo, answers and URCs out, delayed answers
 * released by sim_tick. Owns the engine object, the input/output queues and
 * the rule that URCs wait while a command or prompt is open.
 * Never does I/O or reads a clock; commands themselves live in sim_cmd.c,
 * sim_sms.c and sim_ussd.c, faults in sim_fault.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_internal.h"

#define CTRL_Z 0x1A
#define ESC 0x1B

void sim_config_init(sim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->report_status = 0;
    cfg->sm_slots = 30;
    cfg->me_slots = 20;
    cfg->seed = 1;
    cfg->tz_minutes = 180;
    cfg->rssi = 20;
}

static kz_status check_config(const sim_config *cfg, kz_err *err)
{
    if (cfg->sm_slots < 1 || cfg->sm_slots > SIM_SLOTS_MAX || cfg->me_slots > SIM_SLOTS_MAX)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "storage must be 1..%d slots",
                          SIM_SLOTS_MAX);
    if (cfg->report_status > 255 || cfg->report_status < -1)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "report status must be 0..255");
    if (cfg->rssi < 0 || (cfg->rssi > 31 && cfg->rssi != 99))
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "rssi must be 0..31 or 99");
    if (cfg->cnmi_mode < SIM_CNMI_SIM800 || cfg->cnmi_mode > SIM_CNMI_CDSI)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "bad AT+CNMI mode");
    if (cfg->csms_service != 0 && cfg->csms_service != 1)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "+CSMS service must be 0 or 1");
    if (cfg->tz_minutes % 15 != 0 || cfg->tz_minutes < -720 || cfg->tz_minutes > 840)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "bad time zone");
    const char *pin = cfg->pin ? cfg->pin : "";
    size_t n = strlen(pin);
    if (n != 0 && (n < 4 || n >= SIM_PIN_MAX || strspn(pin, "0123456789") != n))
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "PIN must be 4-8 digits");
    return KZ_OK;
}

sim_engine *sim_new(const sim_config *cfg, uint64_t now_ms, kz_err *err)
{
    if (check_config(cfg, err) != KZ_OK)
        return NULL;
    sim_engine *e = calloc(1, sizeof *e);
    if (!e) {
        kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    if (cfg->pin)
        snprintf(e->pin, sizeof e->pin, "%s", cfg->pin);
    e->cfg.pin = NULL;
    e->now = now_ms;
    e->rng = cfg->seed ? cfg->seed : 1;
    e->rssi = cfg->rssi;
    snprintf(e->csca, sizeof e->csca, "+254722500029");
    e->next_ref = (uint16_t)(cfg->seed & 0xFF);
    e->next_sent_id = 1;
    e->ussd_node = -1;
    if (sim_sms_init(e, err) != KZ_OK) {
        sim_free(e);
        return NULL;
    }
    e->pin_locked = e->pin[0] ? 1 : 0;
    e->pin_tries = 3;
    sim_boot(e, false);
    return e;
}

void sim_free(sim_engine *e)
{
    if (!e)
        return;
    sim_sms_free(e);
    sim_ussd_free(e);
    sim_buf_free(&e->in);
    sim_buf_free(&e->ready);
    sim_buf_free(&e->later);
    sim_buf_free(&e->urc);
    sim_buf_free(&e->pdu_hex);
    sim_buf_free(&e->ussd_reply);
    free(e);
}

/* xorshift32: reproducible noise for a given seed. */
uint32_t sim_random(sim_engine *e)
{
    uint32_t x = e->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    e->rng = x;
    return x;
}

int64_t sim_unix_now(const sim_engine *e)
{
    return e->cfg.wall_base_s + (int64_t)(e->now / 1000);
}

/* The current wall-clock time in the configured zone, as an SCTS. */
void sim_time_now(const sim_engine *e, sms_time *t)
{
    sim_time_at(e, sim_unix_now(e), t);
}

/* Unix time unix_s in the configured zone, as an SCTS. */
void sim_time_at(const sim_engine *e, int64_t unix_s, sms_time *t)
{
    time_t s = (time_t)(unix_s + (int64_t)e->cfg.tz_minutes * 60);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    gmtime_r(&s, &tm);
    t->year = tm.tm_year + 1900;
    t->month = tm.tm_mon + 1;
    t->day = tm.tm_mday;
    t->hour = tm.tm_hour;
    t->minute = tm.tm_min;
    t->second = tm.tm_sec;
    t->tz_minutes = e->cfg.tz_minutes;
}

/* Output to the host (noise from a garbage fault is spliced in on the way). */
void sim_emit(sim_engine *e, const void *data, size_t n)
{
    if (e->dead || n == 0)
        return;
    size_t from = e->ready.len;
    sim_buf_put(&e->ready, data, n);
    if (e->garbage_pending)
        sim_splice_garbage(e, &e->ready, from);
}

bool sim_is_idle(const sim_engine *e)
{
    return !e->busy && !e->running && e->prompt == SIM_PROMPT_NONE && !e->hung && !e->dead &&
           !e->booting;
}

/* An unsolicited result code: out now when idle, else held until the modem is. */
void sim_urc(sim_engine *e, const char *fmt, ...)
{
    if (e->dead)
        return;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    sim_buf_puts(&e->urc, "\r\n");
    sim_buf_put(&e->urc, text, len);
    sim_buf_puts(&e->urc, "\r\n");
    if (sim_is_idle(e)) {
        sim_emit(e, e->urc.p, e->urc.len);
        e->urc.len = 0;
    }
}

static void append_final(sim_engine *e, sim_res r, sim_buf *out)
{
    static const char *const cme_text[] = {[3] = "operation not allowed",
                                          [4] = "operation not supported",
                                          [10] = "SIM not inserted",
                                          [11] = "SIM PIN required",
                                          [12] = "SIM PUK required",
                                          [16] = "incorrect password",
                                          [30] = "no network service",
                                          [50] = "incorrect parameters"};
    int code = r.kind == SIM_RES_ERROR ? 100 : r.code;
    switch (r.kind) {
    case SIM_RES_OK:
        sim_buf_puts(out, "\r\nOK\r\n");
        return;
    case SIM_RES_PROMPT:
        sim_buf_puts(out, "\r\n> ");
        return;
    case SIM_RES_NONE:
        return;
    case SIM_RES_CMS:
        sim_line(out, "+CMS ERROR: %d", r.code);
        break;
    case SIM_RES_ERROR:
    case SIM_RES_CME:
        if (e->cmee == 0)
            sim_buf_puts(out, "\r\nERROR\r\n");
        else if (e->cmee == 2 && code >= 0 && code < 51 && cme_text[code])
            sim_line(out, "+CME ERROR: %s", cme_text[code]);
        else if (e->cmee == 2 && code == 100)
            sim_line(out, "+CME ERROR: unknown");
        else
            sim_line(out, "+CME ERROR: %d", code);
        break;
    }
    e->stats.errors++;
}

/* Send an answer now, or hold it for `delay` ms during which the modem is busy. */
static void answer(sim_engine *e, sim_res r, sim_buf *resp, unsigned delay)
{
    append_final(e, r, resp);
    if (delay == 0 || r.kind == SIM_RES_PROMPT || r.kind == SIM_RES_NONE) {
        sim_emit(e, resp->p, resp->len);
        return;
    }
    sim_buf_put(&e->later, resp->p, resp->len);
    e->later_due = e->now + delay;
    e->busy = true;
}

static bool is_at_prefix(const char *s)
{
    return (s[0] == 'A' || s[0] == 'a') && (s[1] == 'T' || s[1] == 't');
}

static void run_line(sim_engine *e, char *line, size_t len)
{
    if (e->echo) {
        sim_emit(e, line, len);
        sim_emit(e, "\r", 1);
    }
    size_t skip = 0;
    while (skip < len && (line[skip] == ' ' || line[skip] == '\n' || line[skip] == '\0' ||
                          line[skip] == CTRL_Z || line[skip] == ESC))
        skip++;
    if (skip == len)
        return;
    e->stats.commands++;
    sim_buf resp = {0};
    sim_res r;
    if (!is_at_prefix(line + skip) || memchr(line + skip, '\0', len - skip))
        r = sim_error();
    else {
        e->running = true;
        r = sim_run_command(e, line + skip + 2, &resp);
        e->running = false;
    }
    answer(e, r, &resp, e->cfg.latency_ms);
    sim_buf_free(&resp);
}

/* Take one command line from the input; false when no complete line is there. */
static bool take_line(sim_engine *e)
{
    uint8_t *cr = memchr(e->in.p, '\r', e->in.len);
    if (!cr) {
        if (e->in.len > SIM_LINE_MAX) {
            e->in.len = 0;
            sim_buf resp = {0};
            answer(e, sim_error(), &resp, 0);
            sim_buf_free(&resp);
        }
        return false;
    }
    size_t n = (size_t)(cr - e->in.p);
    char *line = malloc(n + 1);
    if (!line) {
        sim_buf_consume(&e->in, n + 1);
        return true;
    }
    memcpy(line, e->in.p, n);
    line[n] = '\0';
    sim_buf_consume(&e->in, n + 1);
    if (n > SIM_LINE_MAX) {
        sim_buf resp = {0};
        answer(e, sim_error(), &resp, 0);
        sim_buf_free(&resp);
    } else {
        run_line(e, line, n);
    }
    free(line);
    return true;
}

/* Collect PDU hex after "> " until Ctrl-Z (send) or ESC (cancel). */
static bool take_pdu(sim_engine *e)
{
    size_t i = 0;
    while (i < e->in.len && e->in.p[i] != CTRL_Z && e->in.p[i] != ESC)
        i++;
    size_t take = i;
    for (size_t k = 0; k < take; k++) {
        uint8_t c = e->in.p[k];
        /* past any real PDU's length the rest is dropped: Ctrl-Z then answers 304 */
        if (c != '\r' && c != '\n' && e->pdu_hex.len <= 2 * SMS_PDU_MAX)
            sim_buf_put(&e->pdu_hex, &c, 1);
    }
    if (e->echo)
        sim_emit(e, e->in.p, take);
    if (i == e->in.len) {
        sim_buf_consume(&e->in, take);
        return false;
    }
    bool send = e->in.p[i] == CTRL_Z;
    sim_buf_consume(&e->in, take + 1);
    sim_buf resp = {0};
    if (!send) {
        e->prompt = SIM_PROMPT_NONE;
        e->pdu_hex.len = 0;
        answer(e, sim_ok(), &resp, 0);
    } else {
        e->running = true;
        sim_res r = sim_sms_pdu(e, (const char *)e->pdu_hex.p, e->pdu_hex.len, &resp);
        e->running = false;
        e->prompt = SIM_PROMPT_NONE;
        e->pdu_hex.len = 0;
        answer(e, r, &resp, e->cfg.latency_ms + e->cfg.cmgs_latency_ms);
    }
    sim_buf_free(&resp);
    return true;
}

/* Process buffered input as far as the modem's state allows, then flush held URCs. */
void sim_pump(sim_engine *e)
{
    for (;;) {
        if (e->busy || e->hung || e->dead || e->booting || e->in.len == 0)
            break;
        bool progressed = e->prompt != SIM_PROMPT_NONE ? take_pdu(e) : take_line(e);
        if (!progressed)
            break;
    }
    if (sim_is_idle(e) && e->urc.len) {
        sim_emit(e, e->urc.p, e->urc.len);
        e->urc.len = 0;
    }
    if (sim_is_idle(e))
        sim_sms_deliver(e);
}

void sim_input(sim_engine *e, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    sim_tick(e, now_ms);
    if (e->hung || e->dead || e->booting)
        return; /* a deaf modem loses what it is sent */
    sim_buf_put(&e->in, buf, len);
    sim_pump(e);
}

void sim_tick(sim_engine *e, uint64_t now_ms)
{
    if (now_ms > e->now)
        e->now = now_ms;
    sim_fault_tick(e);
    if (e->busy && !e->hung && !e->dead && e->now >= e->later_due) {
        e->busy = false;
        sim_emit(e, e->later.p, e->later.len);
        e->later.len = 0;
    }
    sim_ussd_tick(e);
    sim_sms_tick(e);
    sim_cnma_tick(e);
    sim_pump(e);
}

size_t sim_output(sim_engine *e, uint8_t *buf, size_t cap)
{
    size_t n = e->ready.len < cap ? e->ready.len : cap;
    if (n) {
        memcpy(buf, e->ready.p, n);
        sim_buf_consume(&e->ready, n);
    }
    return n;
}

size_t sim_output_pending(const sim_engine *e)
{
    return e->ready.len;
}

static void earliest(uint64_t *best, bool *have, uint64_t t)
{
    if (!*have || t < *best) {
        *best = t;
        *have = true;
    }
}

bool sim_next_deadline(const sim_engine *e, uint64_t *when_ms)
{
    bool have = false;
    uint64_t best = 0;
    if (e->dead)
        return false;
    if (e->hung && e->hang_until)
        earliest(&best, &have, e->hang_until);
    if (e->booting)
        earliest(&best, &have, e->boot_done);
    if (e->busy)
        earliest(&best, &have, e->later_due);
    if (e->ussd_reply_pending)
        earliest(&best, &have, e->ussd_reply_due);
    if (e->ussd_node >= 0 && e->ussd_deadline)
        earliest(&best, &have, e->ussd_deadline);
    if (e->report_due)
        earliest(&best, &have, e->report_due);
    if (e->cnma_wait)
        earliest(&best, &have, e->cnma_due);
    if (e->netq_len && e->netq_hold > e->now)
        earliest(&best, &have, e->netq_hold);
    if (have)
        *when_ms = best;
    return have;
}

kz_status sim_set_signal(sim_engine *e, int rssi)
{
    if (rssi < 0 || (rssi > 31 && rssi != 99))
        return KZ_ERR_RANGE;
    e->rssi = rssi;
    return KZ_OK;
}

void sim_get_stats(const sim_engine *e, sim_stats *out)
{
    *out = e->stats;
    out->queued = e->netq_len;
    out->sm_total = e->mem[0].cap;
    out->me_total = e->mem[1].cap;
    out->sm_used = out->me_used = 0;
    for (size_t i = 0; i < e->mem[0].cap; i++)
        out->sm_used += e->mem[0].slots[i].used;
    for (size_t i = 0; i < e->mem[1].cap; i++)
        out->me_used += e->mem[1].slots[i].used;
    out->registered = sim_registered(e);
    out->hung = e->hung;
    out->dead = e->dead;
}
