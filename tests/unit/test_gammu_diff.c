/*
 * test_gammu_diff.c - differential test of the PDU codec (modem/pdu.h)
 * against libgammu, an independent implementation: gammu decodes the
 * SMS-SUBMIT PDUs we encode and must read the same destination, coding,
 * concatenation header and text, and split the text into as many parts as we
 * do; we decode SMS-DELIVER PDUs that gammu encodes and must read the same
 * sender, SMSC, time stamp, coding, concatenation header and text.
 * Owns: the driver only - the seed (printed; KAZI_SEED=<n> replays a run),
 * the run's state, the number of messages in each direction and the summary.
 * Never writes files, never relies on the locale.
 * The pieces: tests/gammu_diff_gen.h (the seeded random message generator
 * and its own UTF-8 / UTF-16 / GSM-7 tables), tests/gammu_diff_check.h
 * (diff_check, the shared state and the model of both UCS-2 cutting rules),
 * tests/gammu_diff_submit.h (the encode direction),
 * tests/gammu_diff_deliver.h (the decode direction) and
 * tests/gammu_oracle.h (the libgammu side: calls into gammu, its buffers and
 * its quirks).
 */
#include <gammu.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gammu_diff_check.h"
#include "gammu_diff_deliver.h"
#include "gammu_diff_gen.h"
#include "gammu_diff_submit.h"
#include "harness.h"

#define N_SUBMIT 1000
#define N_DELIVER 1000
#define DEFAULT_SEED 0x4B415A49u /* "KAZI" */

/* ---------------------------------------------------------------- main */

static uint64_t seed_from_env(void)
{
    const char *s = getenv("KAZI_SEED");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end == '\0')
            return v;
        fprintf(stderr, "KAZI_SEED=\"%s\" is not a number; using the default\n", s);
    }
    return DEFAULT_SEED;
}

static diff_ctx *ctx_new(void)
{
    diff_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->info = calloc(1, sizeof(*x->info));
    x->multi = calloc(1, sizeof(*x->multi)); /* ~260 KB: never on the stack */
    x->sms = calloc(1, sizeof(*x->sms));
    x->di = GSM_GetGlobalDebug();
    if (!x->info || !x->multi || !x->sms || !x->di) {
        free(x->info);
        free(x->multi);
        free(x->sms);
        free(x);
        return NULL;
    }
    GSM_SetDebugLevel("nothing", x->di);
    return x;
}

static void ctx_free(diff_ctx *x)
{
    if (!x)
        return;
    free(x->info);
    free(x->multi);
    free(x->sms);
    free(x);
}

int main(void)
{
    uint64_t seed = seed_from_env();
    rng_state = seed;
    printf("gammu differential: seed %" PRIu64 " (set KAZI_SEED to replay another)\n", seed);
    diff_ctx *x = ctx_new();
    KT_CHECK(x != NULL, "out of memory");
    if (!x)
        return kt_report();
    for (int i = 0; i < N_SUBMIT; i++)
        submit_one(x, i);
    for (int i = 0; i < N_DELIVER; i++)
        deliver_one(x, i);
    if (fails_shown > FAILS_SHOWN)
        fprintf(stderr, "gammu diff: %d more failures not shown\n", fails_shown - FAILS_SHOWN);
    printf("gammu differential: %d submit messages (%zu PDUs; %zu multipart, %zu UCS-2, %zu "
           "alphanumeric, %zu cut differently by gammu's flag rule), %d deliver messages (%zu "
           "PDUs): %s\n",
           N_SUBMIT, x->submit_pdus, x->multipart_msgs, x->ucs2_msgs, x->alnum_addrs,
           x->flag_cuts, N_DELIVER, x->deliver_pdus,
           kt_failed ? "DISAGREE" : "all agree");
    ctx_free(x);
    return kt_report();
}
