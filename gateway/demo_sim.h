/*
 * demo_sim.h - how `kazi demo` plays the mobile network around its two
 * simulated modems: a client of each `kazi sim` control socket
 * (docs/simulator.md) that injects the workers' SMS and collects what the
 * modem sent, joining multipart messages (whose parts may even leave by
 * different modems) back into the text a phone shows.
 * Owns: the control-socket conversation and the reassembly. Never starts
 * processes and never decides what a worker says.
 */
#ifndef KAZI_DEMO_SIM_H
#define KAZI_DEMO_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct demo_sim {
    char name[8];        /* "m1" */
    char ctl[512];       /* control socket path */
    int fd;              /* connected control socket, -1 if none */
    char *buf;           /* bytes read and not yet used */
    size_t len, cap;
    long delivered;      /* SMS the modem sent that were read back */
    long injected;       /* SMS injected into it */
} demo_sim;

/* One SMS (or all parts of one) as the recipient's phone shows it. */
typedef void (*demo_sms_fn)(void *ctx, const char *to, const char *text);

#define DEMO_CONCAT_SLOTS 64

typedef struct demo_concat {
    struct {
        bool used;
        char to[24];
        int ref, total, have;
        char part[8][200];
        bool got[8];
    } slot[DEMO_CONCAT_SLOTS];
} demo_concat;

/* Prepare s (no connection yet). */
void demo_sim_init(demo_sim *s, const char *name, const char *ctl_path);

/* Connect to the control socket, trying until timeout_ms. 0, or -1. */
int demo_sim_connect(demo_sim *s, int timeout_ms);

/* Close the connection and free the buffer. */
void demo_sim_close(demo_sim *s);

/* Queue an inbound SMS from number with text (one line). 0, or -1. */
int demo_sim_inject(demo_sim *s, const char *from, const char *text, int timeout_ms);

/*
 * Take the modem's sent log and clear it in the same turn of the simulator's
 * loop ("sent" and "sent-clear" in one write), hand every complete message
 * to cb (multipart ones once all their parts are in cc). Returns the number
 * of log lines read, or -1 on a protocol or connection failure.
 */
int demo_sim_collect(demo_sim *s, demo_concat *cc, demo_sms_fn cb, void *ctx, int timeout_ms);

/*
 * Feed one part to the assembler: a part of total parts (seq 1..total) with
 * reference ref for number to. Calls cb when the message is whole. Parts of
 * messages over 8 segments are delivered alone. Exposed for the unit test.
 */
void demo_concat_add(demo_concat *cc, const char *to, int ref, int total, int seq,
                     const char *text, demo_sms_fn cb, void *ctx);

#endif
