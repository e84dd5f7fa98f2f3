/*
 * store.h - the SQLite store: opening the one database file, its schema
 * version, transactions, and the rows the CSV import/export, the listings and
 * (later) the task engine read and write.
 * Owns: the kz_store handle and every SQL statement. Never logs, never exits,
 * never reads configuration; returns kz_status and fills an optional kz_err.
 * Only the store_*.c files include sqlite3.h; callers see plain C types.
 *
 * Money is always an int64 count of minor units (cents) with an ISO 4217
 * currency code beside it. Times are int64 Unix seconds (UTC).
 */
#ifndef KAZI_STORE_H
#define KAZI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct kz_store kz_store;

/* store_open flags. */
enum {
    STORE_OPEN_CREATE = 1u << 0, /* create the file if missing (else KZ_ERR_NOTFOUND) */
    STORE_OPEN_NO_MIGRATE = 1u << 1 /* tests: open without applying migrations */
};

/*
 * Open (and if allowed create) the database at path, set WAL, foreign_keys=ON,
 * busy_timeout, synchronous=FULL on this connection, and apply any pending
 * migrations, each in its own transaction. *out receives a handle the caller
 * frees with store_close(). On failure *out is NULL and err says why:
 * KZ_ERR_NOTFOUND (no file and no CREATE flag), KZ_ERR_STATE (the file's
 * schema is newer than this program), KZ_ERR_DB otherwise.
 */
kz_status store_open(const char *path, unsigned flags, kz_store **out, kz_err *err);

/* Finalize every prepared statement and close the connection. NULL-safe. */
void store_close(kz_store *st);

/* The schema version the file is at (PRAGMA user_version), or -1 on error. */
int store_schema_version(kz_store *st);

/* The schema version this program writes (the number of migration steps). */
int store_schema_latest(void);

/*
 * Apply pending migrations up to and including version `upto` (or all when
 * upto < 0). Called by store_open; exposed for the migration tests.
 */
kz_status store_migrate(kz_store *st, int upto, kz_err *err);

/* BEGIN IMMEDIATE: take the write lock now (read-then-write transactions). */
kz_status store_begin(kz_store *st, kz_err *err);
/* COMMIT the open transaction. On failure the transaction is rolled back. */
kz_status store_commit(kz_store *st, kz_err *err);
/* ROLLBACK the open transaction; harmless if none is open. */
void store_rollback(kz_store *st);

/*
 * A per-database random secret (hex text, created by migration 1) used to
 * derive pseudonymous worker ids. Copies at most cap-1 bytes plus a NUL into
 * out. KZ_ERR_NOSPACE if it does not fit, KZ_ERR_DB on failure.
 */
kz_status store_secret(kz_store *st, char *out, size_t cap, kz_err *err);

/* ---- requesters and batches (store_batch.c) ---- */

/*
 * Find the requester named name, creating it if absent. *id receives its row
 * id. Must run inside a transaction when the caller needs atomicity.
 */
kz_status store_requester_ensure(kz_store *st, const char *name, int64_t *id, kz_err *err);

/* A batch's settings, as stored (store_batch_get fills it; strings are copies). */
typedef struct store_batch {
    int64_t id;
    int64_t requester_id;
    char name[65];
    char requester[65];
    char currency[4];
    int64_t reward_minor;
    int redundancy;
    int est_seconds;
    int64_t deadline; /* 0 = none */
    char state[12];
    int64_t created_at;
    char *extra_columns; /* heap JSON array text, owned by the struct: store_batch_clear() */
} store_batch;

/* Free what a store_batch owns (extra_columns); the struct itself is the caller's. */
void store_batch_clear(store_batch *b);

/*
 * Look up batch `name`. KZ_ERR_NOTFOUND if there is none. On success *b is
 * filled and owns heap memory released by store_batch_clear().
 */
kz_status store_batch_get(kz_store *st, const char *name, store_batch *b, kz_err *err);

/*
 * Create a batch from b's name, requester_id, currency, reward_minor,
 * redundancy, est_seconds, deadline and extra_columns (JSON array text).
 * b->id receives the new row id. KZ_ERR_BUSY if the name is taken.
 */
kz_status store_batch_create(kz_store *st, store_batch *b, kz_err *err);

/* Start an import record for batch_id from file `source`; *import_id receives its id. */
kz_status store_import_begin(kz_store *st, int64_t batch_id, const char *source,
                             int64_t *import_id, kz_err *err);

/* Record the counts of a finished import (same transaction as its rows). */
kz_status store_import_finish(kz_store *st, int64_t import_id, int64_t added, int64_t unchanged,
                              int64_t rejected, kz_err *err);

/* One task row as imported. Strings are borrowed (ptr+len), not NUL-terminated. */
typedef struct store_text {
    const char *p;
    size_t n;
} store_text;

typedef struct store_task_in {
    int64_t batch_id;
    int64_t import_id;
    int64_t source_line;
    store_text ext_id;
    store_text type;
    store_text prompt;
    store_text options; /* n == 0: NULL in the database */
    store_text gold;    /* n == 0: NULL */
    int redundancy;     /* 0: use the batch's */
    int64_t reward_minor; /* < 0: use the batch's */
    store_text extra;   /* JSON array text; n == 0: NULL */
} store_task_in;

/* What store_task_insert did with a row. */
typedef enum store_insert_result {
    STORE_TASK_ADDED = 0,
    STORE_TASK_UNCHANGED, /* same id already in the batch with the same content */
    STORE_TASK_DUPLICATE, /* same id earlier in this same import */
    STORE_TASK_CONFLICT   /* same id from an earlier import with different content */
} store_insert_result;

/*
 * Insert one task, idempotently: an id already in the batch is compared, not
 * overwritten. *res says what happened; *first_line receives the line of the
 * existing row for DUPLICATE/CONFLICT. KZ_ERR_DB on a database failure.
 */
kz_status store_task_insert(kz_store *st, const store_task_in *t, store_insert_result *res,
                            int64_t *first_line, kz_err *err);

/* ---- workers and answers (store_worker.c) ---- */

/*
 * Register a worker by phone number (E.164, "+2547..."), or find the existing
 * one. name and lang may be NULL. *id receives the worker's row id.
 * KZ_ERR_INVALID if the number is not E.164.
 */
kz_status store_worker_ensure(kz_store *st, const char *phone, const char *name,
                              const char *lang, int64_t *id, kz_err *err);

/*
 * Record worker_id's answer to the task `ext_id` of batch batch_id: value is
 * the normalised answer, raw the text as received. Creates or closes the
 * assignment as answered, all inside the caller's transaction if one is open
 * (otherwise its own). KZ_ERR_NOTFOUND if no such task; KZ_ERR_BUSY if this
 * worker already answered it (an answer is never replaced). *answer_id
 * (may be NULL) receives the new row id.
 */
kz_status store_answer_record(kz_store *st, int64_t batch_id, const char *ext_id,
                              int64_t worker_id, const char *value, const char *raw,
                              int64_t received_at, int64_t *answer_id, kz_err *err);

/*
 * Reject an answer with a reason the worker will be sent (required, non-empty).
 * KZ_ERR_NOTFOUND if no such answer, KZ_ERR_STATE if it is not pending/accepted.
 */
kz_status store_answer_reject(kz_store *st, int64_t answer_id, const char *reason, kz_err *err);

/* ---- reading back (store_query.c) ---- */

/* One task with its consensus, for the results export. Pointers valid during the callback only. */
typedef struct store_result_row {
    const char *ext_id;
    const char *status;    /* pending | partial | complete | cancelled */
    int64_t answers;       /* answers counted (rejected ones are not) */
    const char *consensus; /* most common answer, "" if none or tied */
    int64_t top_votes;     /* answers agreeing with the consensus (0 if tied or none) */
    const char *extra;     /* JSON array text or NULL */
} store_result_row;

/*
 * Call cb for each task of batch_id in import order. A non-zero return from cb
 * stops the walk and is returned as KZ_ERR_IO. Reads in one snapshot.
 */
kz_status store_results_each(kz_store *st, int64_t batch_id,
                             int (*cb)(void *ctx, const store_result_row *row), void *ctx,
                             kz_err *err);

/* One answer for the --answers export. Pointers valid during the callback only. */
typedef struct store_answer_row {
    const char *ext_id;
    int64_t worker_id; /* internal id: turn it into a pseudonym before it leaves */
    const char *value;
    const char *state;
    int64_t received_at;
} store_answer_row;

/* Call cb for each answer to batch_id's tasks, by task then time. Like store_results_each. */
kz_status store_answers_each(kz_store *st, int64_t batch_id,
                             int (*cb)(void *ctx, const store_answer_row *row), void *ctx,
                             kz_err *err);

/* One line of `kazi batches`. Pointers valid during the callback only. */
typedef struct store_batch_row {
    const char *name;
    const char *requester;
    const char *state;
    const char *currency;
    int64_t reward_minor;
    int64_t redundancy;
    int64_t est_seconds;
    int64_t tasks;
    int64_t tasks_complete; /* tasks with at least their redundancy of answers */
    int64_t answers;
    int64_t answers_needed; /* sum over tasks of redundancy */
    int64_t deadline;
    int64_t created_at;
} store_batch_row;

/* Call cb for each batch, oldest first. Like store_results_each. */
kz_status store_batches_each(kz_store *st, int (*cb)(void *ctx, const store_batch_row *row),
                             void *ctx, kz_err *err);

/* One line of `kazi workers`. Pointers valid during the callback only. */
typedef struct store_worker_row {
    int64_t id;
    const char *phone;
    const char *name; /* "" if none */
    const char *lang;
    const char *state;
    int64_t answers;
    const char *currency; /* "" if the worker has no ledger entries */
    int64_t balance_minor;
    int64_t joined_at;
} store_worker_row;

/* Call cb for each worker, by id. Like store_results_each. */
kz_status store_workers_each(kz_store *st, int (*cb)(void *ctx, const store_worker_row *row),
                             void *ctx, kz_err *err);

#endif
