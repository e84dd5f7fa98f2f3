/*
 * sim_fault.c - what goes wrong with real modems, on command: hangs, resets,
 * line noise, +CMS ERROR bursts, losing the network, dying until a power
 * cycle; and the boot sequence (RDY, +CFUN: 1, +CPIN, Call Ready, SMS Ready)
 * that resets and AT+CFUN=1,1 go through.
 * Owns the fault state. Never touches the SIM's stored messages, the sent
 * log or the network queue: those survive every fault, as they do in life.
 */
#include <string.h>

#include "sim_internal.h"

static void drop_host_state(sim_engine *e)
{
    e->in.len = 0;
    e->later.len = 0;
    e->busy = false;
    e->urc.len = 0;
    e->prompt = SIM_PROMPT_NONE;
    e->pdu_hex.len = 0;
    sim_cnma_lost(e); /* the network never got its acknowledgement: it retries */
    sim_ussd_reset(e);
}

static void boot_urcs(sim_engine *e)
{
    e->booting = false;
    sim_urc(e, "RDY");
    sim_urc(e, "+CFUN: 1");
    if (e->pin_locked) {
        sim_urc(e, "+CPIN: %s", e->pin_locked == 1 ? "SIM PIN" : "SIM PUK");
        return;
    }
    sim_urc(e, "+CPIN: READY");
    sim_urc(e, "Call Ready");
    sim_urc(e, "SMS Ready");
}

/*
 * Reboot: settings back to defaults, anything half-typed lost, the PIN asked
 * again. with_ok: the command that asked for it (AT+CFUN=1,1) gets its OK first.
 */
void sim_boot(sim_engine *e, bool with_ok)
{
    drop_host_state(e);
    if (with_ok)
        sim_emit(e, "\r\nOK\r\n", 6);
    sim_settings_reset(e);
    if (e->pin[0] && e->pin_locked == 0)
        e->pin_locked = 1;
    e->stats.boots++;
    e->booting = true;
    e->boot_done = e->now + e->cfg.boot_ms;
    if (e->cfg.boot_ms == 0)
        boot_urcs(e);
}

void sim_fault_tick(sim_engine *e)
{
    if (e->hung && e->hang_until && e->now >= e->hang_until) {
        e->hung = false;
        e->hang_until = 0;
    }
    if (e->booting && !e->dead && e->now >= e->boot_done)
        boot_urcs(e);
}

/* Noise: anything but CR and LF, so it corrupts lines instead of making new ones. */
static uint8_t noise_byte(sim_engine *e)
{
    for (;;) {
        uint8_t b = (uint8_t)(sim_random(e) >> 11);
        if (b != '\r' && b != '\n')
            return b;
    }
}

/*
 * Splice the pending garbage bytes into b at a random offset at or after
 * `from` (so bytes already read by the host are not rewritten).
 */
void sim_splice_garbage(sim_engine *e, sim_buf *b, size_t from)
{
    size_t n = e->garbage_pending;
    if (n == 0)
        return;
    uint8_t noise[256];
    size_t span = b->len - from;
    size_t at = from + (span ? sim_random(e) % (span + 1) : 0);
    while (n > 0) {
        size_t k = n < sizeof noise ? n : sizeof noise;
        for (size_t i = 0; i < k; i++)
            noise[i] = noise_byte(e);
        sim_buf_insert(b, at, noise, k);
        at += k;
        n -= k;
        e->stats.garbage += k;
    }
    e->garbage_pending = 0;
}

static void garbage(sim_engine *e, size_t n)
{
    e->garbage_pending += n;
    if (e->ready.len)
        sim_splice_garbage(e, &e->ready, 0);
    else if (e->busy && e->later.len)
        sim_splice_garbage(e, &e->later, 0);
    /* else: the next output carries it */
}

static void set_network(sim_engine *e, bool lost)
{
    bool before = sim_registered(e);
    e->net_lost = lost;
    if (before != sim_registered(e))
        sim_creg_urc(e);
}

kz_status sim_fault(sim_engine *e, sim_fault_kind kind, long a, long b, uint64_t now_ms)
{
    sim_tick(e, now_ms);
    switch (kind) {
    case SIM_FAULT_HANG:
        if (a < 0)
            return KZ_ERR_RANGE;
        e->hung = true;
        e->hang_until = a ? e->now + (uint64_t)a : 0;
        e->in.len = 0;
        break;
    case SIM_FAULT_RESET:
        if (!e->dead)
            sim_boot(e, false);
        break;
    case SIM_FAULT_GARBAGE:
        if (a < 1 || a > 65536)
            return KZ_ERR_RANGE;
        garbage(e, (size_t)a);
        break;
    case SIM_FAULT_CMS:
        if (a < 0 || a > 999 || b < 0)
            return KZ_ERR_RANGE;
        e->cms_code = (int)a;
        e->cms_count = b;
        break;
    case SIM_FAULT_DEREGISTER:
    case SIM_FAULT_REGISTER:
        set_network(e, kind == SIM_FAULT_DEREGISTER);
        break;
    case SIM_FAULT_DEAD:
        drop_host_state(e);
        e->ready.len = 0;
        e->dead = true;
        break;
    case SIM_FAULT_POWER_CYCLE:
        e->dead = false;
        e->hung = false;
        sim_boot(e, false);
        break;
    case SIM_FAULT_CLEAR:
        e->hung = false;
        e->hang_until = 0;
        e->garbage_pending = 0;
        e->cms_count = 0;
        break;
    }
    sim_pump(e);
    return KZ_OK;
}
