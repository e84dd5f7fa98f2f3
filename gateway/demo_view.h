/*
 * demo_view.h - what `kazi demo` shows while it runs: on a terminal a panel
 * redrawn in place once a second (plain ANSI: cursor up, clear line), else
 * one plain line per change, for logs and CI.
 * Owns: the layout and wording of progress. Never gathers the figures
 * (cmd_demo.c does) and never reads the clock.
 */
#ifndef KAZI_DEMO_VIEW_H
#define KAZI_DEMO_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "demo_workers.h"

#define DEMO_VIEW_MODEMS 2

typedef struct demo_modem_view {
    char name[16];
    char state[24];       /* as the daemon last saved it: ready, searching, ... */
    char op[32];          /* operator */
    char last_error[80];
    int signal_dbm;       /* 0: unknown */
    long sent, received, queue;
    int cmgs_ms;          /* the simulated network's delay per SMS sent */
} demo_modem_view;

typedef struct demo_stats {
    char batch[64], requester[64];
    long tasks, tasks_complete, answers, answers_needed;
    long long money_minor; /* every worker's balance, added up */
    long long reward_minor; /* per task */
    char currency[8];
    long workers;          /* registered in the database */
    long sms_out;          /* SMS parts the gateway's modems sent */
    long sms_in;           /* SMS the workers sent */
    long outbox_waiting;   /* messages queued in the daemon's outbox */
    demo_modem_view modem[DEMO_VIEW_MODEMS];
    int nmodems;
    long long elapsed_ms;
    bool resumed;
} demo_stats;

/*
 * Draw the panel on a terminal, replacing the previous one: *lines is how
 * many lines the last draw used (0 at first) and receives this draw's.
 */
void demo_view_draw(FILE *f, const demo_stats *s, const dw_pop *pop, int *lines);

/* One plain progress line (no escape codes). */
void demo_view_line(FILE *f, const demo_stats *s);

/* The closing summary: what happened, per persona, in plain lines. */
void demo_view_summary(FILE *f, const demo_stats *s, const dw_pop *pop);

#endif
