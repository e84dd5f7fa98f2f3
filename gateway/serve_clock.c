/*
 * serve_clock.c - the daemon's two clocks: monotonic milliseconds (the
 * modems' timeouts, the outbox pump, the clean stop) and Unix seconds (the
 * store, the engine's deadlines). Tests that drive the daemon in simulated
 * time (tests/integration/test_soak.c) replace both with serve_clock_set.
 * Owns: which clock serve_now_ms and serve_now read. Never sleeps; without
 * a replacement it reads CLOCK_MONOTONIC and time(NULL), exactly as before.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "serve.h"

static serve_clock replaced;
static bool is_replaced;

void serve_clock_set(const serve_clock *c)
{
    is_replaced = c && c->now_ms && c->now_s;
    if (is_replaced)
        replaced = *c;
}

int64_t serve_now_ms(void)
{
    if (is_replaced)
        return replaced.now_ms(replaced.ctx);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t serve_now(void)
{
    if (is_replaced)
        return replaced.now_s(replaced.ctx);
    return (int64_t)time(NULL);
}
