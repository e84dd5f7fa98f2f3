/*
 * soak_faults.h - test helper for tests/integration/test_soak.c: the fault
 * and restart schedule. Owns injecting modem faults at random (hang, reset,
 * garbage, +CMS errors, lost network, dead until a power cycle), the
 * operator's power cycle and re-registration when due, and the daemon's
 * crashes and clean stops and its coming back.
 * Works on the run's state W and its PRNG (soak_world.h).
 * Never sends or reads an SMS, never moves the clock, never checks the
 * run's outcome.
 */
#ifndef KAZI_TEST_SOAK_FAULTS_H
#define KAZI_TEST_SOAK_FAULTS_H

#include <stdint.h>

#include "harness.h"
#include "soak_daemon.h"
#include "soak_world.h"

static void fault(int m, sim_fault_kind k, long a, long b)
{
    KT_CHECK(sim_fault(W.sp[m].e, k, a, b, (uint64_t)W.vnow) == KZ_OK, "fault %d on m%d", k,
             m + 1);
    W.faults[k]++;
}

static void faults_step(void)
{
    for (int m = 0; m < N_MODEMS; m++) {
        if (W.register_at[m] && W.vnow >= W.register_at[m]) {
            fault(m, SIM_FAULT_REGISTER, 0, 0);
            W.register_at[m] = 0;
        }
        if (W.cycle_at[m] && W.vnow >= W.cycle_at[m]) {
            fault(m, SIM_FAULT_POWER_CYCLE, 0, 0);
            W.cycle_at[m] = 0;
            W.dead[m] = false;
            /* The operator, told "needs a manual power cycle (then restart kazi)", restarts. */
            int64_t op = W.vnow + (60 + rnd(600)) * 1000;
            W.next_restart_ms = op < W.next_restart_ms ? op : W.next_restart_ms;
        }
    }
    if (!W.faults_on || W.vnow < W.next_fault_ms)
        return;
    W.next_fault_ms = W.vnow + (60 + rnd(20 * 60)) * 1000;
    int m = (int)rnd(N_MODEMS);
    if (W.dead[m])
        return;
    switch (rnd(7)) {
    case 0: fault(m, SIM_FAULT_HANG, (long)(2000 + rnd(90000)), 0); break;
    case 1: fault(m, SIM_FAULT_RESET, 0, 0); break;
    case 2: fault(m, SIM_FAULT_GARBAGE, (long)(1 + rnd(200)), 0); break;
    case 3: fault(m, SIM_FAULT_CMS, chance(500) ? 500 : 331, (long)(1 + rnd(4))); break;
    case 4:
        if (!W.register_at[m]) {
            fault(m, SIM_FAULT_DEREGISTER, 0, 0);
            W.register_at[m] = W.vnow + (30 + rnd(30 * 60)) * 1000;
        }
        break;
    case 5:
        if (chance(300)) {
            fault(m, SIM_FAULT_DEAD, 0, 0);
            W.dead[m] = true;
            W.cycle_at[m] = W.vnow + (60 + rnd(20 * 60)) * 1000;
        }
        break;
    default: break; /* a quiet spell */
    }
}

/* Crash or clean stop at random; bring the daemon back after a short while. */
static void restarts_step(void)
{
    if (!W.d && W.vnow >= W.restart_at_ms) {
        daemon_start();
        return;
    }
    if (!W.d || W.d->stopping || W.vnow < W.next_restart_ms)
        return;
    W.next_restart_ms = W.faults_on ? W.vnow + (600 + rnd(8 * 3600)) * 1000 : INT64_MAX;
    W.restart_at_ms = W.vnow + rnd(180) * 1000;
    if (W.faults_on && chance(600)) {
        daemon_crash();
    } else {
        W.d->stopping = true;
        W.d->stop_deadline_ms = W.vnow + 5000; /* loop.c's STOP_GRACE_MS */
    }
}

#endif
