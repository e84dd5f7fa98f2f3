/*
 * store_conv.c - the SQL of the worker's SMS conversation (see store_conv.h).
 * Owns: one table of statements, all values bound. Never opens or commits a
 * transaction (tasks/conv.c does, BEGIN IMMEDIATE around a whole SMS).
 *
 * Statements are prepared once into kz_store.conv[] on first use, reset
 * and unbound by sc_done after each use, and finalized by store_close.
 */
#include "store_conv.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "store_internal.h"

typedef enum sc_id {
    SC_IN_INSERT,
    SC_IN_DONE,
    SC_OUT_INSERT,
    SC_OFFER_LINK,
    SC_REPLIES,
    SC_REPLY_WINDOWS,
    SC_REPLIES_ALL,
    SC_LAST_REPLY,
    SC_PREV_IN,
    SC_WORKER_GET,
    SC_WORKER_ADD,
    SC_WORKER_STATE,
    SC_WORKER_NAME,
    SC_WORKER_LANG,
    SC_WORKER_HOURS,
    SC_CONSENT,
    SC_OPEN_REFS,
    SC_WORK,
    SC_TASK_BY_REF,
    SC_ASK,
    SC_PAYOUTS_OPEN,
    SC_PAYOUT_ADD,
    SC_CERT_LATEST,
    SC_CERT_ADD,
    SC_CERT_GET,
    SC_OUTBOX,
    SC_OUT_KIND,
    SC_WORKER_BY_ID,
    SC_NOTICE_ANSWER,
    SC_NOTICE_APPEAL,
    SC__COUNT
} sc_id;

static const char *const sc_sql[SC__COUNT] = {
    [SC_IN_INSERT] =
        "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
        " created_at, updated_at)"
        " VALUES ('in', ?1, nullif(?2, 0), ?3, ?4, 'received', ?5, ?6, ?6)"
        " ON CONFLICT(dedupe_key) DO NOTHING",
    [SC_IN_DONE] =
        "UPDATE messages SET state = ?2, worker_id = coalesce(nullif(?3, 0), worker_id),"
        " updated_at = ?4, reason = ?5, norm_hash = ?6 WHERE id = ?1 AND direction = 'in'",
    [SC_OUT_INSERT] =
        "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
        " next_attempt_at, created_at, updated_at)"
        " VALUES ('out', ?1, nullif(?2, 0), ?3, ?4, 'queued', ?5, ?6, ?6, ?6)",
    [SC_OFFER_LINK] = "UPDATE assignments SET message_id = ?2 WHERE id = ?1",
    [SC_REPLIES] =
        "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM assignments a"
        "  WHERE a.message_id = m.id)), 0)"
        " FROM messages m WHERE m.direction = 'out' AND m.peer = ?1 AND m.created_at >= ?2",
    /* One pass from the earliest of the three cut-offs; "plain": carries no offer. */
    [SC_REPLY_WINDOWS] =
        "SELECT coalesce(sum(r.created_at >= ?2), 0),"
        " coalesce(sum(r.created_at >= ?2 AND r.plain), 0),"
        " coalesce(sum(r.created_at >= ?3), 0),"
        " coalesce(sum(r.created_at >= ?4 AND r.plain), 0)"
        " FROM (SELECT m.created_at, NOT EXISTS (SELECT 1 FROM assignments a"
        "        WHERE a.message_id = m.id) AS plain"
        "       FROM messages m WHERE m.direction = 'out' AND m.peer = ?1"
        "       AND m.created_at >= min(?2, ?3, ?4)) r",
    [SC_REPLIES_ALL] =
        "SELECT count(*) FROM messages WHERE direction = 'out' AND peer = ?1 AND created_at >= ?2",
    [SC_LAST_REPLY] =
        "SELECT body FROM messages WHERE direction = 'out' AND peer = ?1 AND created_at >= ?2"
        " ORDER BY id DESC LIMIT 1",
    [SC_PREV_IN] =
        "SELECT body FROM messages WHERE direction = 'in' AND peer = ?1 AND id < ?2"
        " AND created_at >= ?3 AND state = 'handled' ORDER BY id DESC LIMIT 1",
    [SC_WORKER_GET] =
        "SELECT id, coalesce(name, ''), lang, state, coalesce(paused_until, 0),"
        " coalesce(hours_from, -1), coalesce(hours_to, -1), joined_at"
        " FROM workers WHERE phone = ?1",
    [SC_WORKER_ADD] =
        "INSERT INTO workers(phone, name, lang, joined_at) VALUES (?1, nullif(?2, ''), ?3, ?4)",
    [SC_WORKER_STATE] =
        "UPDATE workers SET state = ?2, paused_until = nullif(?3, 0),"
        " stopped_at = CASE WHEN ?2 = 'stopped' THEN CAST(?4 AS INTEGER) END WHERE id = ?1",
    [SC_WORKER_NAME] = "UPDATE workers SET name = nullif(?2, '') WHERE id = ?1",
    [SC_WORKER_LANG] = "UPDATE workers SET lang = ?2 WHERE id = ?1",
    [SC_WORKER_HOURS] =
        "UPDATE workers SET hours_from = nullif(?2, -1), hours_to = nullif(?3, -1) WHERE id = ?1",
    [SC_CONSENT] =
        "INSERT INTO consents(worker_id, event, terms_version, message_id, at)"
        " VALUES (?1, ?2, ?3, nullif(?4, 0), ?5)",
    [SC_OPEN_REFS] =
        "SELECT ref FROM assignments WHERE worker_id = ?1 AND state = 'offered' ORDER BY id",
    [SC_WORK] =
        "SELECT count(*), coalesce(min(received_at), 0) FROM answers"
        " WHERE worker_id = ?1 AND state <> 'rejected'",
    [SC_TASK_BY_REF] =
        "SELECT t.id, r.name, coalesce(r.about, '')"
        " FROM assignments a JOIN tasks t ON t.id = a.task_id"
        " JOIN batches b ON b.id = t.batch_id JOIN requesters r ON r.id = b.requester_id"
        " WHERE a.worker_id = ?1 AND a.ref = ?2"
        " ORDER BY a.state = 'offered' DESC, a.offered_at DESC, a.id DESC LIMIT 1",
    [SC_ASK] =
        "INSERT INTO asks(task_id, worker_id, question, asked_at) VALUES (?1, ?2, ?3, ?4)",
    [SC_PAYOUTS_OPEN] =
        "SELECT coalesce(sum(CASE WHEN NOT EXISTS (SELECT 1 FROM ledger_entries l"
        "   WHERE l.payout_id = p.id AND l.kind = 'payout') THEN amount_minor END), 0),"
        " coalesce(max(amount_minor), 0)"
        " FROM payouts p WHERE p.worker_id = ?1"
        " AND p.state IN ('requested','approved','sending','sent','unknown')",
    [SC_PAYOUT_ADD] =
        "INSERT INTO payouts(worker_id, amount_minor, currency, phone, state, idempotency_key,"
        " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?6, ?6)",
    [SC_CERT_LATEST] =
        "SELECT code, tasks_done FROM certificates WHERE worker_id = ?1"
        " ORDER BY issued_at DESC, tasks_done DESC LIMIT 1",
    [SC_CERT_ADD] =
        "INSERT INTO certificates(code, worker_id, issued_at, tasks_done, summary)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(code) DO NOTHING",
    [SC_CERT_GET] = "SELECT issued_at, tasks_done, summary FROM certificates WHERE code = ?1",
    [SC_OUTBOX] =
        "SELECT id, peer, body, state, segments, attempts, created_at,"
        " coalesce(next_attempt_at, 0) FROM messages"
        " WHERE direction = 'out' AND state IN ('queued', 'sending') ORDER BY id",
    [SC_OUT_KIND] =
        "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
        " kind, next_attempt_at, created_at, updated_at)"
        " VALUES ('out', ?1, nullif(?2, 0), ?3, ?4, 'queued', ?5, ?7, ?6, ?6, ?6)",
    [SC_WORKER_BY_ID] =
        "SELECT phone, coalesce(name, ''), lang, state, coalesce(paused_until, 0),"
        " coalesce(hours_from, -1), coalesce(hours_to, -1), joined_at"
        " FROM workers WHERE id = ?1",
    [SC_NOTICE_ANSWER] =
        "SELECT a.worker_id, coalesce(s.ref, 0), a.task_id, r.name, a.state,"
        " coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id = a.id"
        "           AND l.kind = 'hold'), 0),"
        " coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id = a.id"
        "           AND l.kind = 'release'), 0),"
        " coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE l.answer_id = a.id"
        "           AND l.kind IN ('reward', 'hold')), b.currency)"
        " FROM answers a LEFT JOIN assignments s ON s.id = a.assignment_id"
        " JOIN tasks t ON t.id = a.task_id JOIN batches b ON b.id = t.batch_id"
        " JOIN requesters r ON r.id = b.requester_id WHERE a.id = ?1",
    [SC_NOTICE_APPEAL] =
        "SELECT answer_id, state, coalesce(decision, '') FROM appeals WHERE id = ?1",
};

_Static_assert(SC__COUNT <= STORE_CONV_STMTS, "grow STORE_CONV_STMTS in store_internal.h");

static db_stmt *sc_prepare(kz_store *st, sc_id id, kz_err *err)
{
    db_stmt *s = st->conv[id];
    if (s) {
        db_reset(s);
        db_clear_bindings(s);
        return s;
    }
    if (db_prepare(st->db, sc_sql[id], 1, &s) !=
        DB_OK) {
        db_finalize(s);
        store_db_err(st, err, "preparing a conversation statement");
        return NULL;
    }
    st->conv[id] = s;
    return s;
}

/* Reset after use so the statement holds no read lock; it stays prepared. */
static void sc_done(db_stmt *s)
{
    if (!s)
        return;
    db_reset(s);
    db_clear_bindings(s);
}

static void bind_text(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, -1, DB_STATIC);
}

/* Step a statement that returns no row, then finalize it. */
static kz_status sc_exec(kz_store *st, db_stmt *s, const char *what, kz_err *err)
{
    int rc = db_step(s);
    kz_status out = KZ_OK;
    if (rc == DB_CONSTRAINT_UNIQUE || rc == DB_CONSTRAINT_PRIMARYKEY)
        out = kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: already exists", what);
    else if (rc != DB_DONE)
        out = store_db_err(st, err, what);
    sc_done(s);
    return out;
}

int store_conv_in_tx(kz_store *st)
{
    return !db_get_autocommit(st->db);
}

kz_status store_conv_inbound(kz_store *st, const char *peer, int64_t worker_id, const char *body,
                             int segments, const char *dedupe_key, int64_t at,
                             int64_t *message_id, bool *duplicate, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_IN_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, worker_id);
    bind_text(s, 3, body);
    db_bind_int(s, 4, segments < 1 ? 1 : segments);
    bind_text(s, 5, dedupe_key);
    db_bind_int64(s, 6, at);
    kz_status rc = sc_exec(st, s, "recording an inbound SMS", err);
    if (rc != KZ_OK)
        return rc;
    *duplicate = db_changes(st->db) == 0;
    *message_id = *duplicate ? 0 : db_last_insert_rowid(st->db);
    return KZ_OK;
}

kz_status store_conv_inbound_done(kz_store *st, int64_t message_id, const store_conv_in_end *e,
                                  kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_IN_DONE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, message_id);
    bind_text(s, 2, e->state);
    db_bind_int64(s, 3, e->worker_id);
    db_bind_int64(s, 4, e->at);
    bind_text(s, 5, e->reason);
    if (e->has_norm)
        db_bind_int64(s, 6, e->norm);
    return sc_exec(st, s, "marking an inbound SMS", err);
}

kz_status store_conv_outbound(kz_store *st, const char *peer, int64_t worker_id,
                              const char *body, int segments, const char *dedupe_key, int64_t at,
                              int64_t *message_id, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_OUT_INSERT, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, worker_id);
    bind_text(s, 3, body);
    db_bind_int(s, 4, segments < 1 ? 1 : segments);
    bind_text(s, 5, dedupe_key);
    db_bind_int64(s, 6, at);
    kz_status rc = sc_exec(st, s, "queueing a reply", err);
    if (rc == KZ_OK)
        *message_id = db_last_insert_rowid(st->db);
    return rc;
}

kz_status store_conv_offer_link(kz_store *st, int64_t assignment_id, int64_t message_id,
                                kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_OFFER_LINK, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, assignment_id);
    db_bind_int64(s, 2, message_id);
    return sc_exec(st, s, "linking an offer to its SMS", err);
}

/* Step a one-row query, or report failure. The caller reads columns, then sc_done. */
static kz_status sc_row(kz_store *st, db_stmt *s, const char *what, bool *found,
                        kz_err *err)
{
    int rc = db_step(s);
    *found = rc == DB_ROW;
    if (rc == DB_ROW || rc == DB_DONE)
        return KZ_OK;
    store_db_err(st, err, what);
    sc_done(s);
    return KZ_ERR_DB;
}

kz_status store_conv_replies_since(kz_store *st, const char *peer, int64_t since, int64_t *all,
                                   int64_t *plain, kz_err *err)
{
    db_stmt *s = sc_prepare(st, plain ? SC_REPLIES : SC_REPLIES_ALL, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, since);
    bool found;
    if (sc_row(st, s, "counting replies", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    *all = found ? db_column_int64(s, 0) : 0;
    if (plain)
        *plain = found ? db_column_int64(s, 1) : 0;
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_reply_windows(kz_store *st, const char *peer, int64_t day_since,
                                   int64_t local_since, int64_t hour_since,
                                   store_conv_replies *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    db_stmt *s = sc_prepare(st, SC_REPLY_WINDOWS, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, day_since);
    db_bind_int64(s, 3, local_since);
    db_bind_int64(s, 4, hour_since);
    bool found;
    if (sc_row(st, s, "counting replies", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (found) {
        out->day_all = db_column_int64(s, 0);
        out->day_plain = db_column_int64(s, 1);
        out->local_all = db_column_int64(s, 2);
        out->hour_plain = db_column_int64(s, 3);
    }
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_last_reply(kz_store *st, const char *peer, int64_t since, char *out,
                                size_t cap, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_LAST_REPLY, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, since);
    bool found;
    if (sc_row(st, s, "reading the last reply", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (cap)
        out[0] = '\0';
    if (found)
        store_col_copy(s, 0, out, cap);
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_prev_inbound(kz_store *st, const char *peer, int64_t before_id,
                                  int64_t since, char *out, size_t cap, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_PREV_IN, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, before_id);
    db_bind_int64(s, 3, since);
    bool found;
    if (sc_row(st, s, "reading the previous message", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (cap)
        out[0] = '\0';
    if (found)
        store_col_copy(s, 0, out, cap);
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_worker_get(kz_store *st, const char *phone, store_conv_worker *w,
                                bool *found, kz_err *err)
{
    memset(w, 0, sizeof *w);
    db_stmt *s = sc_prepare(st, SC_WORKER_GET, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, phone);
    if (sc_row(st, s, "finding a worker", found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (*found) {
        w->id = db_column_int64(s, 0);
        store_col_copy(s, 1, w->name, sizeof w->name);
        store_col_copy(s, 2, w->lang, sizeof w->lang);
        store_col_copy(s, 3, w->state, sizeof w->state);
        w->paused_until = db_column_int64(s, 4);
        w->hours_from = db_column_int(s, 5);
        w->hours_to = db_column_int(s, 6);
        w->joined_at = db_column_int64(s, 7);
    }
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_worker_add(kz_store *st, const char *phone, const char *name,
                                const char *lang, int64_t at, int64_t *id, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_WORKER_ADD, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, phone);
    bind_text(s, 2, name ? name : "");
    bind_text(s, 3, lang);
    db_bind_int64(s, 4, at);
    kz_status rc = sc_exec(st, s, "adding a worker", err);
    if (rc == KZ_OK)
        *id = db_last_insert_rowid(st->db);
    return rc;
}

kz_status store_conv_worker_state(kz_store *st, int64_t id, const char *state,
                                  int64_t paused_until, int64_t at, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_WORKER_STATE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    bind_text(s, 2, state);
    db_bind_int64(s, 3, paused_until);
    db_bind_int64(s, 4, at);
    return sc_exec(st, s, "setting a worker's state", err);
}

kz_status store_conv_worker_name(kz_store *st, int64_t id, const char *name, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_WORKER_NAME, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    bind_text(s, 2, name ? name : "");
    return sc_exec(st, s, "setting a worker's name", err);
}

kz_status store_conv_worker_lang(kz_store *st, int64_t id, const char *lang, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_WORKER_LANG, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    bind_text(s, 2, lang);
    return sc_exec(st, s, "setting a worker's language", err);
}

kz_status store_conv_worker_hours(kz_store *st, int64_t id, int from, int to, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_WORKER_HOURS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    db_bind_int(s, 2, from);
    db_bind_int(s, 3, to);
    return sc_exec(st, s, "setting a worker's hours", err);
}

kz_status store_conv_consent(kz_store *st, int64_t worker_id, const char *event,
                             const char *terms, int64_t message_id, int64_t at, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_CONSENT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    bind_text(s, 2, event);
    bind_text(s, 3, terms);
    db_bind_int64(s, 4, message_id);
    db_bind_int64(s, 5, at);
    return sc_exec(st, s, "recording consent", err);
}

kz_status store_conv_open_refs(kz_store *st, int64_t worker_id, int *refs, size_t cap,
                               size_t *n, kz_err *err)
{
    *n = 0;
    db_stmt *s = sc_prepare(st, SC_OPEN_REFS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*n < cap)
            refs[*n] = db_column_int(s, 0);
        (*n)++;
    }
    kz_status out = rc == DB_DONE ? KZ_OK : store_db_err(st, err, "listing open offers");
    sc_done(s);
    return out;
}

kz_status store_conv_work(kz_store *st, int64_t worker_id, int64_t *done, int64_t *first_at,
                          kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_WORK, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    bool found;
    if (sc_row(st, s, "counting work", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    *done = found ? db_column_int64(s, 0) : 0;
    *first_at = found ? db_column_int64(s, 1) : 0;
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_task_by_ref(kz_store *st, int64_t worker_id, int ref, int64_t *task_id,
                                 char *requester, size_t rcap, char *about, size_t acap,
                                 kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_TASK_BY_REF, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_int(s, 2, ref);
    bool found;
    if (sc_row(st, s, "finding a task by ref", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    *task_id = found ? db_column_int64(s, 0) : 0;
    if (found) {
        store_col_copy(s, 1, requester, rcap);
        store_col_copy(s, 2, about, acap);
    }
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_ask(kz_store *st, int64_t task_id, int64_t worker_id, const char *question,
                         int64_t at, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_ASK, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, task_id);
    db_bind_int64(s, 2, worker_id);
    bind_text(s, 3, question);
    db_bind_int64(s, 4, at);
    return sc_exec(st, s, "recording a question", err);
}

kz_status store_conv_payouts_open(kz_store *st, int64_t worker_id, int64_t *amount,
                                  int64_t *requested, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_PAYOUTS_OPEN, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    bool found;
    if (sc_row(st, s, "summing open payouts", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    *amount = found ? db_column_int64(s, 0) : 0;
    *requested = found ? db_column_int64(s, 1) : 0;
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_payout_request(kz_store *st, int64_t worker_id, int64_t amount_minor,
                                    const char *currency, const char *phone,
                                    const char *idem_key, int64_t at, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_PAYOUT_ADD, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    db_bind_int64(s, 2, amount_minor);
    bind_text(s, 3, currency);
    bind_text(s, 4, phone);
    bind_text(s, 5, idem_key);
    db_bind_int64(s, 6, at);
    return sc_exec(st, s, "requesting a payout", err);
}

kz_status store_conv_cert_latest(kz_store *st, int64_t worker_id, char code[17],
                                 int64_t *tasks_done, bool *found, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_CERT_LATEST, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    if (sc_row(st, s, "finding a certificate", found, err) != KZ_OK)
        return KZ_ERR_DB;
    code[0] = '\0';
    *tasks_done = 0;
    if (*found) {
        store_col_copy(s, 0, code, 17);
        *tasks_done = db_column_int64(s, 1);
    }
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_cert_add(kz_store *st, const char *code, int64_t worker_id, int64_t at,
                              int64_t tasks_done, const char *summary, bool *taken, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_CERT_ADD, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, code);
    db_bind_int64(s, 2, worker_id);
    db_bind_int64(s, 3, at);
    db_bind_int64(s, 4, tasks_done);
    bind_text(s, 5, summary);
    kz_status rc = sc_exec(st, s, "storing a certificate", err);
    if (rc == KZ_OK)
        *taken = db_changes(st->db) == 0;
    return rc;
}

kz_status store_conv_cert_get(kz_store *st, const char *code, int64_t *issued_at,
                              int64_t *tasks_done, char *summary, size_t scap, bool *found,
                              kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_CERT_GET, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, code);
    if (sc_row(st, s, "checking a certificate", found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (*found) {
        *issued_at = db_column_int64(s, 0);
        *tasks_done = db_column_int64(s, 1);
        store_col_copy(s, 2, summary, scap);
    }
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_random(kz_store *st, uint8_t *buf, size_t n, kz_err *err)
{
    (void)st;
    /* The kernel's generator: the same on SQLite and PostgreSQL, never blocks once seeded. */
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "drawing random bytes: %s",
                              r < 0 ? strerror(errno) : "no bytes");
        got += (size_t)r;
    }
    return KZ_OK;
}

kz_status store_outbox_each(kz_store *st, int (*cb)(void *ctx, const store_outbox_row *r),
                            void *ctx, kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_OUTBOX, err);
    if (!s)
        return KZ_ERR_DB;
    int rc;
    kz_status out = KZ_OK;
    while ((rc = db_step(s)) == DB_ROW) {
        store_outbox_row r = {
            .id = db_column_int64(s, 0),
            .peer = (const char *)db_column_text(s, 1),
            .body = (const char *)db_column_text(s, 2),
            .state = (const char *)db_column_text(s, 3),
            .segments = db_column_int64(s, 4),
            .attempts = db_column_int64(s, 5),
            .created_at = db_column_int64(s, 6),
            .next_attempt_at = db_column_int64(s, 7),
        };
        if (cb(ctx, &r) != 0) {
            out = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "listing stopped by the caller");
            break;
        }
    }
    if (out == KZ_OK && rc != DB_DONE)
        out = store_db_err(st, err, "listing the outbox");
    sc_done(s);
    return out;
}

kz_status store_conv_outbound_kind(kz_store *st, const char *peer, int64_t worker_id,
                                   const char *body, int segments, const char *dedupe_key,
                                   bool unsolicited, int64_t at, int64_t *message_id,
                                   kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_OUT_KIND, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, worker_id);
    bind_text(s, 3, body);
    db_bind_int(s, 4, segments < 1 ? 1 : segments);
    bind_text(s, 5, dedupe_key);
    db_bind_int64(s, 6, at);
    bind_text(s, 7, unsolicited ? "unsolicited" : "reply");
    kz_status rc = sc_exec(st, s, "queueing a message", err);
    if (rc == KZ_OK)
        *message_id = db_last_insert_rowid(st->db);
    return rc;
}

kz_status store_conv_worker_by_id(kz_store *st, int64_t id, store_conv_worker *w, char *phone,
                                  size_t cap, bool *found, kz_err *err)
{
    memset(w, 0, sizeof *w);
    if (cap)
        phone[0] = '\0';
    db_stmt *s = sc_prepare(st, SC_WORKER_BY_ID, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, id);
    if (sc_row(st, s, "finding a worker", found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (*found) {
        w->id = id;
        store_col_copy(s, 0, phone, cap);
        store_col_copy(s, 1, w->name, sizeof w->name);
        store_col_copy(s, 2, w->lang, sizeof w->lang);
        store_col_copy(s, 3, w->state, sizeof w->state);
        w->paused_until = db_column_int64(s, 4);
        w->hours_from = db_column_int(s, 5);
        w->hours_to = db_column_int(s, 6);
        w->joined_at = db_column_int64(s, 7);
    }
    sc_done(s);
    return KZ_OK;
}

kz_status store_conv_notice_answer(kz_store *st, int64_t answer_id, store_conv_notice *out,
                                   kz_err *err)
{
    memset(out, 0, sizeof *out);
    db_stmt *s = sc_prepare(st, SC_NOTICE_ANSWER, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, answer_id);
    bool found;
    if (sc_row(st, s, "reading an answer for a notice", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    if (found) {
        out->answer_id = answer_id;
        out->worker_id = db_column_int64(s, 0);
        out->ref = db_column_int(s, 1);
        out->task_id = db_column_int64(s, 2);
        store_col_copy(s, 3, out->requester, sizeof out->requester);
        store_col_copy(s, 4, out->state, sizeof out->state);
        out->hold_minor = db_column_int64(s, 5);
        out->release_minor = db_column_int64(s, 6);
        store_col_copy(s, 7, out->currency, sizeof out->currency);
    }
    sc_done(s);
    if (!found)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no answer %lld",
                          (long long)answer_id);
    return KZ_OK;
}

kz_status store_conv_notice_appeal(kz_store *st, int64_t appeal_id, int64_t *answer_id,
                                   char *state, size_t scap, char *decision, size_t dcap,
                                   kz_err *err)
{
    db_stmt *s = sc_prepare(st, SC_NOTICE_APPEAL, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, appeal_id);
    bool found;
    if (sc_row(st, s, "reading an appeal for a notice", &found, err) != KZ_OK)
        return KZ_ERR_DB;
    *answer_id = found ? db_column_int64(s, 0) : 0;
    if (found) {
        store_col_copy(s, 1, state, scap);
        store_col_copy(s, 2, decision, dcap);
    }
    sc_done(s);
    if (!found)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no appeal %lld",
                          (long long)appeal_id);
    return KZ_OK;
}
