/*
 * store_engine_internal.h - what the store_engine*.c files share: the ids of
 * the engine's prepared statements (SQL text in store_engine_sql.c) and small
 * step helpers.
 * Owns: that id list. Never included outside tasks/store_engine*.c (it pulls in
 * sqlite3.h through store_internal.h).
 */
#ifndef KAZI_STORE_ENGINE_INTERNAL_H
#define KAZI_STORE_ENGINE_INTERNAL_H

#include "store_engine.h"
#include "store_internal.h"

typedef enum store_eng_stmt_id {
    SE_WORKER_GET,
    SE_PICK_POOL,
    SE_PICK_GOLD,
    SE_REFS_BUSY,
    SE_OFFER_INSERT,
    SE_TASK_GET,
    SE_OPEN_OFFER,
    SE_EXPIRED_OFFER,
    SE_OFFER_CLOSE,
    SE_OFFER_EXTEND,
    SE_EXPIRE,
    SE_PUSH,
    SE_ANSWERED,
    SE_ANSWER_INSERT,
    SE_VOTES,
    SE_AGREES,
    SE_RESULT_PUT,
    SE_TASK_STATE,
    SE_TASK_WANTED,
    SE_LEDGER_ADD,
    SE_ANSWER_INFO,
    SE_ANSWER_REJECT,
    SE_ANSWER_UNREJECT,
    SE_AUTO_ACCEPT,
    SE_REJECTED_BY_REF,
    SE_APPEAL_COUNT,
    SE_APPEAL_INSERT,
    SE_APPEAL_GET,
    SE_APPEAL_DECIDE,
    SE_SUMS,
    SE_HELD,
    SE_ACCURACY,
    SE_APPEALS,
    SE_RESULT_GET,
    SE_REVIEW_LIST,
    SE_RESULT_SETTLE,
    SE__COUNT
} store_eng_stmt_id;

/* The prepared statement for id, reset with bindings cleared; NULL and err on failure. */
db_stmt *store_eng_stmt(kz_store *st, store_eng_stmt_id id, kz_err *err);

/*
 * Step a statement that returns no rows and reset it. KZ_ERR_BUSY for a
 * UNIQUE violation, KZ_ERR_DB (err prefixed by what) for anything else.
 */
kz_status store_eng_exec(kz_store *st, db_stmt *s, const char *what, kz_err *err);

/* Bind text or NULL. */
void store_eng_bind_text(db_stmt *s, int i, const char *v);

#endif
