/*
 * store_ussd.c - the SQL of the USSD menu (see store_ussd.h).
 * Owns: one table of statements, prepared once into a block of the
 * conversation's slots (kz_store.conv, just below the abuse limits' block of
 * tasks/store_abuse.c), all values bound. Never opens or commits a
 * transaction.
 */
#include "store_ussd.h"

#include <string.h>

#include "store_internal.h"

typedef enum su_id {
    SU_GET,
    SU_PUT,
    SU_PRUNE,
    SU_MESSAGE,
    SU_MESSAGE_ID,
    SU_MESSAGE_WORKER,
    SU_OFFER,
    SU_OLDEST,
    SU__COUNT
} su_id;

/* store_abuse.c keeps the last 8 slots of kz_store.conv; these 8 sit just below them. */
#define USSD_SLOTS 8
#define USSD_FIRST (STORE_CONV_STMTS - 8 - USSD_SLOTS)

_Static_assert(SU__COUNT <= USSD_SLOTS, "store_ussd.c: grow USSD_SLOTS");

static const char *const su_sql[SU__COUNT] = {
    [SU_GET] =
        "SELECT session_id, phone, coalesce(worker_id, 0), service_code, coalesce(lang, ''),"
        " screen, screen_text, reply, coalesce(assignment_id, 0), amount_minor, inputs,"
        " consumed, state, created_at, last_seen_at FROM ussd_sessions WHERE session_id = ?1",
    [SU_PUT] =
        "INSERT INTO ussd_sessions(session_id, phone, worker_id, service_code, lang,"
        " screen, screen_text, reply, assignment_id, amount_minor, inputs, consumed, state,"
        " created_at, last_seen_at) VALUES (?1, ?2, nullif(?3, 0), ?4, nullif(?5, ''), ?6, ?7,"
        " ?8, nullif(?9, 0), ?10, ?11, ?12, ?13, ?14, ?15)"
        " ON CONFLICT(session_id) DO UPDATE SET phone = excluded.phone,"
        " worker_id = excluded.worker_id, service_code = excluded.service_code,"
        " lang = excluded.lang, screen = excluded.screen, screen_text = excluded.screen_text,"
        " reply = excluded.reply, assignment_id = excluded.assignment_id,"
        " amount_minor = excluded.amount_minor, inputs = excluded.inputs,"
        " consumed = excluded.consumed, state = excluded.state,"
        " created_at = excluded.created_at, last_seen_at = excluded.last_seen_at",
    [SU_PRUNE] = "DELETE FROM ussd_sessions WHERE last_seen_at < ?1",
    [SU_MESSAGE] =
        "INSERT INTO messages(direction, channel, peer, worker_id, body, segments, state,"
        " dedupe_key, created_at, updated_at)"
        " VALUES ('in', 'ussd', ?1, nullif(?2, 0), ?3, 1, ?4, ?5, ?6, ?6)"
        " ON CONFLICT(dedupe_key) DO NOTHING",
    [SU_MESSAGE_ID] = "SELECT id FROM messages WHERE dedupe_key = ?1",
    [SU_MESSAGE_WORKER] =
        "UPDATE messages SET worker_id = ?2 WHERE id = ?1 AND direction = 'in'",
    [SU_OFFER] =
        "SELECT a.id, a.task_id, a.ref, r.name, b.name, t.type, t.prompt,"
        " coalesce(t.options, ''), b.est_seconds, coalesce(t.reward_minor, b.reward_minor),"
        " b.currency, a.due_at, a.state = 'offered'"
        " FROM assignments a JOIN tasks t ON t.id = a.task_id"
        " JOIN batches b ON b.id = t.batch_id JOIN requesters r ON r.id = b.requester_id"
        " WHERE a.id = ?1",
    [SU_OLDEST] =
        "SELECT id FROM assignments"
        " WHERE worker_id = ?1 AND state = 'offered'"
        " ORDER BY id LIMIT 1",
};

static db_stmt *su_stmt(kz_store *st, su_id id, kz_err *err)
{
    db_stmt **slot = &st->conv[USSD_FIRST + id];
    if (!*slot && db_prepare(st->db, su_sql[id], 1, slot) != DB_OK) {
        db_finalize(*slot);
        *slot = NULL;
        store_db_err(st, err, "preparing a USSD statement");
        return NULL;
    }
    db_reset(*slot);
    db_clear_bindings(*slot);
    return *slot;
}

/* Reset after use so the statement holds no read lock; it stays prepared. */
static void su_done(db_stmt *s)
{
    db_reset(s);
    db_clear_bindings(s);
}

static void bind_text(db_stmt *s, int i, const char *v)
{
    db_bind_text(s, i, v ? v : "", -1, DB_TRANSIENT);
}

/* Step s to its end (no row expected), then reset it. */
static kz_status su_exec(kz_store *st, db_stmt *s, const char *what, kz_err *err)
{
    int rc = db_step(s);
    kz_status out = rc == DB_DONE ? KZ_OK : store_db_err(st, err, what);
    su_done(s);
    return out;
}

kz_status store_ussd_get(kz_store *st, const char *session_id, store_ussd_session *s,
                         bool *found, kz_err *err)
{
    *found = false;
    db_stmt *q = su_stmt(st, SU_GET, err);
    if (!q)
        return KZ_ERR_DB;
    bind_text(q, 1, session_id);
    int rc = db_step(q);
    if (rc == DB_ROW) {
        memset(s, 0, sizeof *s);
        store_col_copy(q, 0, s->session_id, sizeof s->session_id);
        store_col_copy(q, 1, s->phone, sizeof s->phone);
        s->worker_id = db_column_int64(q, 2);
        store_col_copy(q, 3, s->service_code, sizeof s->service_code);
        store_col_copy(q, 4, s->lang, sizeof s->lang);
        store_col_copy(q, 5, s->screen, sizeof s->screen);
        store_col_copy(q, 6, s->screen_text, sizeof s->screen_text);
        store_col_copy(q, 7, s->reply, sizeof s->reply);
        s->assignment_id = db_column_int64(q, 8);
        s->amount_minor = db_column_int64(q, 9);
        s->inputs = db_column_int64(q, 10);
        store_col_copy(q, 11, s->consumed, sizeof s->consumed);
        store_col_copy(q, 12, s->state, sizeof s->state);
        s->created_at = db_column_int64(q, 13);
        s->last_seen_at = db_column_int64(q, 14);
        *found = true;
    }
    kz_status out = rc == DB_ROW || rc == DB_DONE
                        ? KZ_OK
                        : store_db_err(st, err, "reading a USSD session");
    su_done(q);
    return out;
}

kz_status store_ussd_put(kz_store *st, const store_ussd_session *s, kz_err *err)
{
    db_stmt *q = su_stmt(st, SU_PUT, err);
    if (!q)
        return KZ_ERR_DB;
    bind_text(q, 1, s->session_id);
    bind_text(q, 2, s->phone);
    db_bind_int64(q, 3, s->worker_id);
    bind_text(q, 4, s->service_code);
    bind_text(q, 5, s->lang);
    bind_text(q, 6, s->screen);
    bind_text(q, 7, s->screen_text);
    bind_text(q, 8, s->reply);
    db_bind_int64(q, 9, s->assignment_id);
    db_bind_int64(q, 10, s->amount_minor);
    db_bind_int64(q, 11, s->inputs);
    bind_text(q, 12, s->consumed);
    bind_text(q, 13, s->state);
    db_bind_int64(q, 14, s->created_at);
    db_bind_int64(q, 15, s->last_seen_at);
    return su_exec(st, q, "saving a USSD session", err);
}

kz_status store_ussd_prune(kz_store *st, int64_t before, int64_t *n, kz_err *err)
{
    db_stmt *q = su_stmt(st, SU_PRUNE, err);
    if (!q)
        return KZ_ERR_DB;
    db_bind_int64(q, 1, before);
    kz_status rc = su_exec(st, q, "pruning USSD sessions", err);
    if (n)
        *n = rc == KZ_OK ? db_changes(st->db) : 0;
    return rc;
}

kz_status store_ussd_message(kz_store *st, const char *phone, int64_t worker_id,
                             const char *body, const char *state, const char *dedupe_key,
                             int64_t at, int64_t *message_id, bool *duplicate, kz_err *err)
{
    *message_id = 0;
    *duplicate = false;
    db_stmt *q = su_stmt(st, SU_MESSAGE, err);
    if (!q)
        return KZ_ERR_DB;
    bind_text(q, 1, phone);
    db_bind_int64(q, 2, worker_id);
    bind_text(q, 3, body);
    bind_text(q, 4, state);
    bind_text(q, 5, dedupe_key);
    db_bind_int64(q, 6, at);
    kz_status rc = su_exec(st, q, "recording a USSD request", err);
    if (rc != KZ_OK)
        return rc;
    if (db_changes(st->db) == 1) {
        *message_id = db_last_insert_rowid(st->db);
        return KZ_OK;
    }
    *duplicate = true;
    q = su_stmt(st, SU_MESSAGE_ID, err);
    if (!q)
        return KZ_ERR_DB;
    bind_text(q, 1, dedupe_key);
    int r = db_step(q);
    if (r == DB_ROW)
        *message_id = db_column_int64(q, 0);
    rc = r == DB_ROW || r == DB_DONE ? KZ_OK
                                              : store_db_err(st, err, "finding a USSD request");
    su_done(q);
    return rc;
}

kz_status store_ussd_message_worker(kz_store *st, int64_t message_id, int64_t worker_id,
                                    kz_err *err)
{
    db_stmt *q = su_stmt(st, SU_MESSAGE_WORKER, err);
    if (!q)
        return KZ_ERR_DB;
    db_bind_int64(q, 1, message_id);
    db_bind_int64(q, 2, worker_id);
    return su_exec(st, q, "recording a USSD request's worker", err);
}

kz_status store_ussd_offer(kz_store *st, int64_t assignment_id, engine_offer *o, bool *open,
                           bool *found, kz_err *err)
{
    *found = false;
    *open = false;
    db_stmt *q = su_stmt(st, SU_OFFER, err);
    if (!q)
        return KZ_ERR_DB;
    db_bind_int64(q, 1, assignment_id);
    int rc = db_step(q);
    if (rc == DB_ROW) {
        memset(o, 0, sizeof *o);
        o->assignment_id = db_column_int64(q, 0);
        o->task_id = db_column_int64(q, 1);
        o->ref = db_column_int(q, 2);
        store_col_copy(q, 3, o->requester, sizeof o->requester);
        store_col_copy(q, 4, o->batch, sizeof o->batch);
        store_col_copy(q, 5, o->type, sizeof o->type);
        store_col_copy(q, 6, o->prompt, sizeof o->prompt);
        store_col_copy(q, 7, o->options, sizeof o->options);
        o->est_seconds = db_column_int(q, 8);
        o->reward_minor = db_column_int64(q, 9);
        store_col_copy(q, 10, o->currency, sizeof o->currency);
        o->due_at = db_column_int64(q, 11);
        *open = db_column_int(q, 12) != 0;
        *found = true;
    }
    kz_status out = rc == DB_ROW || rc == DB_DONE
                        ? KZ_OK
                        : store_db_err(st, err, "reading an offer for USSD");
    su_done(q);
    return out;
}

kz_status store_ussd_oldest_open(kz_store *st, int64_t worker_id, int64_t *assignment_id,
                                 kz_err *err)
{
    *assignment_id = 0;
    db_stmt *q = su_stmt(st, SU_OLDEST, err);
    if (!q)
        return KZ_ERR_DB;
    db_bind_int64(q, 1, worker_id);
    int rc = db_step(q);
    if (rc == DB_ROW)
        *assignment_id = db_column_int64(q, 0);
    kz_status out = rc == DB_ROW || rc == DB_DONE
                        ? KZ_OK
                        : store_db_err(st, err, "finding an open offer");
    su_done(q);
    return out;
}
