/*
 * demo_status.h - the figures `kazi demo` shows, read the way an operator
 * would: `kazi status --json`, `kazi workers --json` and `kazi batches
 * --json` on the demo's database (read-only; the daemon keeps writing).
 * Owns: turning those JSON documents into demo_stats. Never writes the
 * database and never talks to the daemon.
 */
#ifndef KAZI_DEMO_STATUS_H
#define KAZI_DEMO_STATUS_H

#include <stdbool.h>

#include "demo_view.h"

/*
 * Refresh s from the database at db for batch: progress and outbox from
 * `kazi status --json`, money and workers from `kazi workers --json`.
 * Leaves the fields it could not read as they were. 0, or -1 if `kazi
 * status` failed (the database is not there yet, or is broken).
 */
int demo_status_poll(const char *db, const char *batch, demo_stats *s);

/* Does db hold batch with at least min_tasks tasks? (`kazi batches --json`) */
bool demo_status_has_batch(const char *db, const char *batch, long min_tasks);

/*
 * Registered workers of db, one callback per worker (phone, stopped or not).
 * Returns the number seen, or -1 if `kazi workers --json` failed.
 */
int demo_status_workers(const char *db, void (*cb)(void *ctx, const char *phone, bool stopped),
                        void *ctx);

#endif
