/*
 * store_engine_sql.c - the task engine's SQL: one table of statements,
 * prepared on first use into kz_store.eng[], reset after each use and
 * finalized by store_close, exactly like store.c's table.
 * Owns: the SQL text of every engine statement. Never builds SQL from data
 * (every value is bound); never opens a transaction.
 */
#include "store_engine_internal.h"

#include <assert.h>

/* A worker's open offers (used twice in the push walk). */
#define OPEN_OF_W "(SELECT count(*) FROM assignments a WHERE a.worker_id = w.id AND a.state = 'offered')"

/*
 * A task row as store_eng_task reads it (store_engine_dispatch.c task_row),
 * from tasks t, batches b and requesters r.
 */
#define TASK_COLS \
    "t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt," \
    " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds," \
    " coalesce(t.reward_minor, b.reward_minor), b.currency," \
    " coalesce(t.redundancy, b.redundancy), t.wanted, t.taken, t.id"

/* Ledger sum for the answer a of one kind. */
#define ANSWER_SUM(kind) \
    "coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l" \
    " WHERE l.answer_id = a.id AND l.kind = '" kind "'), 0)"

#define WORKER_GET \
    "SELECT w.state, coalesce(w.paused_until, 0), w.hours_from IS NOT NULL," \
    " coalesce(w.hours_from, 0), coalesce(w.hours_to, 0), " OPEN_OF_W "," \
    " (SELECT count(*) FROM assignments a WHERE a.worker_id = w.id)" \
    " FROM workers w WHERE w.id = ?1"

/* CROSS JOIN keeps tasks (through the tasks_pool index, in fairness order) outermost. */
#define PICK_POOL \
    "SELECT " TASK_COLS " FROM tasks t CROSS JOIN batches b ON b.id = t.batch_id" \
    " CROSS JOIN requesters r ON r.id = b.requester_id" \
    " WHERE t.state = 'open' AND t.gold IS NULL AND t.taken < t.wanted AND b.state = 'open'" \
    " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id" \
    "                 AND a.worker_id = ?1)" \
    " ORDER BY t.taken, t.id LIMIT 1"

/*
 * Where PostgreSQL needs more than other words: row locks, because there
 * several daemons write at once (on SQLite, BEGIN IMMEDIATE lets one writer
 * in at a time). Offering locks the worker's row first, so one worker's
 * offers are made one at a time whichever daemon makes them; the pool's pick
 * locks the task it returns and skips tasks another daemon is offering right
 * now. That daemon's offer raises tasks.taken (a trigger); a pick that meets
 * the row after its commit re-reads it, so "taken < wanted" still holds and
 * no task gets more offers than its redundancy.
 */
static const char *const eng_sql_pg[SE__COUNT] = {
    [SE_WORKER_GET] = WORKER_GET " FOR UPDATE OF w",
    [SE_PICK_POOL] = PICK_POOL " FOR UPDATE OF t SKIP LOCKED",
};

static const char *const eng_sql[SE__COUNT] = {
    [SE_WORKER_GET] = WORKER_GET,
    [SE_PICK_POOL] = PICK_POOL,
    [SE_PICK_GOLD] =
        "SELECT " TASK_COLS " FROM tasks t CROSS JOIN batches b ON b.id = t.batch_id"
        " CROSS JOIN requesters r ON r.id = b.requester_id"
        " WHERE t.state = 'open' AND t.gold IS NOT NULL AND b.state = 'open'"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id"
        "                 AND a.worker_id = ?1)"
        " ORDER BY t.taken, t.id LIMIT 1",
    [SE_REFS_BUSY] =
        "SELECT ref FROM assignments WHERE worker_id = ?1"
        " AND (state = 'offered' OR (state = 'expired' AND closed_at > ?2)"
        "      OR (state IN ('answered','skipped') AND closed_at > ?3))",
    [SE_OFFER_INSERT] =
        "INSERT INTO assignments(task_id, worker_id, ref, state, offered_at, due_at)"
        " VALUES (?1, ?2, ?3, 'offered', ?4, ?5)",
    [SE_TASK_GET] =
        "SELECT " TASK_COLS
        " FROM tasks t JOIN batches b ON b.id = t.batch_id"
        " JOIN requesters r ON r.id = b.requester_id WHERE t.id = ?1",
    [SE_OPEN_OFFER] =
        "SELECT id, task_id, ref, state, offered_at, due_at, extensions FROM assignments"
        " WHERE worker_id = ?1 AND state = 'offered' AND (?2 = 0 OR ref = ?2)"
        " ORDER BY id LIMIT 2",
    [SE_EXPIRED_OFFER] =
        "SELECT id, task_id, ref, state, offered_at, due_at, extensions FROM assignments"
        " WHERE worker_id = ?1 AND ref = ?2 AND state = ?4 AND closed_at > ?3"
        " ORDER BY closed_at DESC, id DESC LIMIT 1",
    [SE_OFFER_CLOSE] =
        "UPDATE assignments SET state = ?2, closed_at = ?3 WHERE id = ?1 AND state = 'offered'",
    [SE_OFFER_EXTEND] =
        "UPDATE assignments SET due_at = ?2, extensions = extensions + 1"
        " WHERE id = ?1 AND state = 'offered'",
    [SE_EXPIRE] =
        "UPDATE assignments SET state = 'expired', closed_at = ?1"
        " WHERE state = 'offered' AND due_at <= ?1",
    /* ?1 now, ?2 local minute of the day, ?3 open-offer limit, ?4 "recent" cut-off. */
    [SE_PUSH] =
        "SELECT w.id FROM workers w"
        " WHERE w.state <> 'stopped' AND NOT (w.state = 'paused' AND w.paused_until IS NULL)"
        " AND coalesce(w.paused_until, 0) <= ?1"
        " AND (w.hours_from IS NULL OR w.hours_from = w.hours_to"
        "  OR (w.hours_from < w.hours_to AND ?2 >= w.hours_from AND ?2 < w.hours_to)"
        "  OR (w.hours_from > w.hours_to AND (?2 >= w.hours_from OR ?2 < w.hours_to)))"
        " AND " OPEN_OF_W " < ?3"
        " ORDER BY " OPEN_OF_W ","
        " (SELECT count(*) FROM assignments a WHERE a.worker_id = w.id AND a.offered_at > ?4),"
        " coalesce((SELECT max(a.offered_at) FROM assignments a WHERE a.worker_id = w.id), 0),"
        " w.id",
    [SE_ANSWERED] = "SELECT 1 FROM answers WHERE task_id = ?1 AND worker_id = ?2",
    [SE_ANSWER_INSERT] =
        "INSERT INTO answers(task_id, worker_id, assignment_id, message_id, value, raw, late,"
        " received_at) VALUES (?1, ?2, nullif(?3, 0), nullif(?4, 0), ?5, ?6, ?7, ?8)",
    [SE_VOTES] =
        "SELECT id, value FROM answers WHERE task_id = ?1 AND late = 0 AND state <> 'rejected'"
        " ORDER BY id",
    [SE_AGREES] = "UPDATE answers SET agrees = ?2 WHERE id = ?1",
    [SE_RESULT_PUT] =
        "INSERT INTO task_results(task_id, state, consensus, votes, answers, agreement,"
        " resolved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(task_id) DO NOTHING",
    [SE_TASK_STATE] = "UPDATE tasks SET state = ?2 WHERE id = ?1",
    [SE_TASK_WANTED] = "UPDATE tasks SET wanted = ?2 WHERE id = ?1",
    [SE_LEDGER_ADD] =
        "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency, answer_id,"
        " message_id, memo, created_at) VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), nullif(?6, 0),"
        " ?7, ?8)",
    [SE_ANSWER_INFO] =
        "SELECT a.task_id, a.worker_id, coalesce(a.assignment_id, 0), coalesce(s.ref, 0),"
        " a.state, a.late, a.received_at, coalesce(a.rejected_at, 0), " ANSWER_SUM("reward") ","
        " coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE l.answer_id = a.id"
        "           AND l.kind = 'reward'), ''), " ANSWER_SUM("hold") ", " ANSWER_SUM("release")
        " FROM answers a LEFT JOIN assignments s ON s.id = a.assignment_id WHERE a.id = ?1",
    [SE_ANSWER_REJECT] =
        "UPDATE answers SET state = 'rejected', reject_reason = ?2, rejected_at = ?3"
        " WHERE id = ?1 AND state = 'pending'",
    [SE_ANSWER_UNREJECT] =
        "UPDATE answers SET state = 'accepted' WHERE id = ?1 AND state = 'rejected'",
    [SE_AUTO_ACCEPT] =
        "UPDATE answers SET state = 'accepted' WHERE state = 'pending' AND received_at <= ?1",
    [SE_REJECTED_BY_REF] =
        "SELECT a.id FROM answers a JOIN assignments s ON s.id = a.assignment_id"
        " WHERE a.worker_id = ?1 AND s.ref = ?2 AND a.state = 'rejected'"
        " ORDER BY a.rejected_at DESC, a.id DESC LIMIT 1",
    [SE_APPEAL_COUNT] = "SELECT count(*) FROM appeals WHERE answer_id = ?1",
    [SE_APPEAL_INSERT] =
        "INSERT INTO appeals(answer_id, worker_id, reason, opened_at) VALUES (?1, ?2, ?3, ?4)",
    [SE_APPEAL_GET] = "SELECT answer_id, worker_id, state FROM appeals WHERE id = ?1",
    [SE_APPEAL_DECIDE] =
        "UPDATE appeals SET state = ?2, reviewer = ?3, decision = ?4, decided_at = ?5"
        " WHERE id = ?1 AND state = 'open'",
    [SE_SUMS] =
        "SELECT kind, sum(amount_minor) FROM ledger_entries"
        " WHERE worker_id = ?1 AND currency = ?2 GROUP BY kind",
    [SE_HELD] =
        "SELECT coalesce(-sum(l.amount_minor), 0) FROM ledger_entries l"
        " JOIN answers a ON a.id = l.answer_id"
        " WHERE l.worker_id = ?1 AND l.currency = ?2 AND l.kind = 'hold' AND a.state = 'rejected'"
        " AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.answer_id = a.id"
        "                 AND r.kind = 'release')"
        " AND (EXISTS (SELECT 1 FROM appeals p WHERE p.answer_id = a.id AND p.state = 'open')"
        "  OR (NOT EXISTS (SELECT 1 FROM appeals p WHERE p.answer_id = a.id)"
        "      AND a.rejected_at > ?3))",
    [SE_ACCURACY] =
        "SELECT count(*), coalesce(sum(t.gold IS NOT NULL), 0),"
        " coalesce(sum(t.gold IS NOT NULL AND a.agrees = 1), 0),"
        " coalesce(sum(t.gold IS NULL AND a.agrees = 1), 0),"
        " coalesce(sum(t.gold IS NULL AND a.agrees IS NOT NULL), 0)"
        " FROM answers a JOIN tasks t ON t.id = a.task_id WHERE a.worker_id = ?1",
    [SE_APPEALS] =
        "SELECT p.id, p.answer_id, p.worker_id, w.phone, b.name, t.ext_id, a.value,"
        " coalesce(a.reject_reason, ''), p.reason, p.state, coalesce(p.reviewer, ''),"
        " coalesce(p.decision, ''), p.opened_at, coalesce(p.decided_at, 0),"
        " -" ANSWER_SUM("hold") ","
        " coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE l.answer_id = a.id"
        "           AND l.kind = 'hold'), '')"
        " FROM appeals p JOIN answers a ON a.id = p.answer_id JOIN tasks t ON t.id = a.task_id"
        " JOIN batches b ON b.id = t.batch_id JOIN workers w ON w.id = p.worker_id"
        " WHERE (?1 = 0 OR p.state = 'open') ORDER BY p.id",
    [SE_RESULT_GET] =
        "SELECT coalesce(r.state, 'open'), coalesce(r.consensus, ''), coalesce(r.votes, 0),"
        " coalesce(r.answers, 0), coalesce(r.agreement, 0), t.wanted"
        " FROM tasks t LEFT JOIN task_results r ON r.task_id = t.id WHERE t.id = ?1",
    [SE_REVIEW_LIST] =
        "SELECT t.id, b.name, t.ext_id, t.type, t.prompt, coalesce(t.options, ''),"
        " r.resolved_at FROM task_results r JOIN tasks t ON t.id = r.task_id"
        " JOIN batches b ON b.id = t.batch_id WHERE r.state = 'review'"
        " ORDER BY r.resolved_at, t.id",
    [SE_RESULT_SETTLE] =
        "UPDATE task_results SET state = 'resolved', consensus = ?2, votes = ?3, answers = ?4,"
        " agreement = ?5, reviewer = ?6, reviewed_at = ?7"
        " WHERE task_id = ?1 AND state = 'review'",
};

_Static_assert(SE__COUNT <= STORE_ENGINE_STMTS, "raise STORE_ENGINE_STMTS in store_internal.h");

db_stmt *store_eng_stmt(kz_store *st, store_eng_stmt_id id, kz_err *err)
{
    assert(id < SE__COUNT);
    db_stmt *s = st->eng[id];
    if (!s) {
        const char *sql = eng_sql[id];
        if (db_backend(st->db) == DB_POSTGRES && eng_sql_pg[id])
            sql = eng_sql_pg[id];
        if (db_prepare(st->db, sql, 1, &s) !=
            DB_OK) {
            store_db_err(st, err, "preparing an engine statement");
            return NULL;
        }
        st->eng[id] = s;
    }
    db_reset(s);
    db_clear_bindings(s);
    return s;
}

kz_status store_eng_exec(kz_store *st, db_stmt *s, const char *what, kz_err *err)
{
    int rc = db_step(s);
    db_reset(s);
    if (rc == DB_DONE)
        return KZ_OK;
    if (rc == DB_CONSTRAINT_UNIQUE || rc == DB_CONSTRAINT_PRIMARYKEY)
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: already exists", what);
    return store_db_err(st, err, what);
}

void store_eng_bind_text(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, -1, DB_STATIC);
    else
        db_bind_null(s, i);
}

int store_eng_in_tx(kz_store *st)
{
    return !db_get_autocommit(st->db);
}
