/*
 * demo_workers.h - the simulated people of `kazi demo`: each has a phone
 * number, a name, a persona (quick and accurate, slow, often wrong, one who
 * sends STOP part-way, one who asks MORE, one who skips typing tasks) and
 * some speak Swahili. They read the SMS Kazi sends them (demo_offer.h),
 * think for a while, and answer with the persona's accuracy against the
 * truth the sample batch carries.
 * Owns: the personas, each worker's open tasks and what they send when.
 * Never does I/O and never reads a clock: the caller passes milliseconds in
 * and receives the SMS to send through a callback, so every behaviour is
 * unit-tested (tests/unit/test_demo_workers.c).
 */
#ifndef KAZI_DEMO_WORKERS_H
#define KAZI_DEMO_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "demo_offer.h"

typedef enum dw_persona {
    DW_QUICK = 0,  /* answers in seconds, almost always right */
    DW_SLOW,       /* takes 8-18 s per task */
    DW_SHAKY,      /* hasty, right about half the time */
    DW_STOPPER,    /* sends STOP after DW_STOP_AFTER answers */
    DW_MORE,       /* asks MORE time on some tasks, then answers */
    DW_SKIPPER,    /* skips every task that needs typing */
    DW__PERSONAS
} dw_persona;

#define DW_STOP_AFTER 3
#define DW_OPEN_MAX 8
#define DW_RECENT 6
#define DW_SMS_CAP 200

typedef enum dw_state { DW_NEW = 0, DW_JOINING, DW_ACTIVE, DW_STOPPED } dw_state;

typedef struct dw_task {
    demo_offer offer;
    int64_t due_ms;    /* when the worker acts on it next */
    bool want_more;    /* the MORE persona asks for time on this one */
    bool more_sent;
    bool unknown;      /* listed as open by Kazi but never seen: SKIP it */
    int64_t listed_ms; /* when an unknown one was listed */
    bool active;
} dw_task;

typedef struct dw_worker {
    char phone[20];
    char name[24];
    dw_persona persona;
    bool swahili;
    dw_state state;
    dw_task open[DW_OPEN_MAX];
    int offers, answers, wrong, skips, mores;
    int64_t start_ms;      /* when to send JOIN (or, resumed, NEXT) */
    int64_t last_heard_ms; /* last SMS received from Kazi */
    int64_t next_nudge_ms; /* earliest NEXT when idle (JOIN again while joining) */
    int64_t stop_ms;       /* the STOP persona's STOP, once due; 0: none */
    bool asked_next;       /* sent NEXT, no answer yet */
    char last_sent[DW_SMS_CAP]; /* Kazi takes the same text again soon as a repeat */
    int settled_ref[DW_OPEN_MAX];  /* refs answered or skipped lately (a reply listing */
    int64_t settled_ms[DW_OPEN_MAX]; /* one as open may have crossed the answer) */
    uint64_t rng;
} dw_worker;

/* The truth for a task prompt (the sample's hidden column), or NULL if unknown. */
typedef const char *(*dw_truth_fn)(void *ctx, const char *prompt);

/* Send one SMS from worker w; returns 0, or -1 to retry it at a later tick. */
typedef int (*dw_send_fn)(void *ctx, const dw_worker *w, const char *text);

typedef struct dw_pop {
    dw_worker *w;
    size_t n;
    dw_truth_fn truth;
    void *truth_ctx;
    char recent[DW_RECENT][120]; /* newest last: notable things people did */
    size_t nrecent;
    unsigned long nnotes;        /* notes ever made (the newest is recent[nrecent - 1]) */
    bool outbox_idle;            /* set by the caller: Kazi has nothing queued to send, so
                                    an offer listed as open and not seen is lost, not late */
} dw_pop;

/* "quick", "slow", "often wrong", "sends STOP", "asks MORE", "skips typing". */
const char *dw_persona_name(dw_persona p);

/*
 * Make n workers (1..999): names, numbers +254711000101..., personas spread
 * so a small population still has every special one (from n >= 9), JOINs
 * staggered from start_ms. Returns 0, or -1 if out of memory (p empty).
 */
int dw_pop_init(dw_pop *p, size_t n, uint64_t seed, int64_t start_ms, dw_truth_fn truth,
                void *truth_ctx);

/* Free the workers. NULL-safe; p is left empty. */
void dw_pop_free(dw_pop *p);

/* The worker with this number (as the modem writes it, "+2547..."), or NULL. */
dw_worker *dw_find(dw_pop *p, const char *phone);

/* Resuming: w is already registered (stopped or not), so it will not JOIN again. */
void dw_mark_registered(dw_worker *w, bool stopped, int64_t now_ms);

/* Kazi's SMS text reached w's phone at now_ms: read it, plan the answer. */
void dw_receive(dw_pop *p, dw_worker *w, const char *text, int64_t now_ms);

/*
 * Resuming from the demo's journal: w had sent text (an answer, SKIP, MORE,
 * STOP, JOIN), so the task it settled is no longer open.
 */
void dw_replay_sent(dw_worker *w, const char *text);

/* Everything due at now_ms is sent through send. Returns the SMS sent. */
size_t dw_tick(dw_pop *p, int64_t now_ms, dw_send_fn send, void *ctx);

/* Tasks w holds and has not settled. */
int dw_open_count(const dw_worker *w);

#endif
