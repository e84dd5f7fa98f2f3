/*
 * store.c - the store's connection: open with the per-connection settings,
 * the prepared-statement table, transactions and close.
 * Owns: the SQL text of every run-time statement (one table below) and the
 * connection settings. Never logs or exits; never builds SQL from data (every
 * value is bound).
 */
#include "store_internal.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds a connection waits for another writer before DB_BUSY. */
#define STORE_BUSY_MS 10000

/*
 * Every run-time statement. Results (ST_RESULTS): a task the engine has
 * aggregated (task_results) reports its state (resolved | review), consensus
 * and votes from there. Otherwise the consensus is the most common value
 * among answers neither rejected nor late; a tie for first place gives no
 * consensus (top_votes 0); status is cancelled, else complete when the task
 * has its redundancy of counted answers, else partial/pending.
 */
static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SECRET_GET] = "SELECT value FROM meta WHERE key = 'pseudonym_key'",
    [ST_REQ_FIND] = "SELECT id FROM requesters WHERE name = ?1",
    [ST_REQ_INSERT] = "INSERT INTO requesters(name, created_at) VALUES (?1, ?2)",
    [ST_BATCH_GET] =
        "SELECT b.id, b.requester_id, b.name, r.name, b.currency, b.reward_minor,"
        " b.redundancy, b.est_seconds, coalesce(b.deadline, 0), b.state, b.created_at,"
        " b.extra_columns FROM batches b JOIN requesters r ON r.id = b.requester_id"
        " WHERE b.name = ?1",
    [ST_BATCH_INSERT] =
        "INSERT INTO batches(name, requester_id, currency, reward_minor, redundancy,"
        " est_seconds, deadline, extra_columns, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8, ?9)",
    [ST_IMPORT_INSERT] =
        "INSERT INTO imports(batch_id, source, started_at) VALUES (?1, ?2, ?3)",
    [ST_IMPORT_FINISH] =
        "UPDATE imports SET rows_added = ?2, rows_unchanged = ?3, rows_rejected = ?4,"
        " finished_at = ?5 WHERE id = ?1",
    [ST_TASK_INSERT] =
        "INSERT INTO tasks(batch_id, ext_id, type, prompt, options, gold, redundancy,"
        " reward_minor, extra, import_id, source_line, wanted)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " coalesce(?7, (SELECT b.redundancy FROM batches b WHERE b.id = ?1)))"
        " ON CONFLICT(batch_id, ext_id) DO NOTHING",
    [ST_TASK_EXISTING] =
        "SELECT import_id, source_line,"
        " type IS ?3 AND prompt IS ?4 AND options IS ?5 AND gold IS ?6"
        " AND redundancy IS ?7 AND reward_minor IS ?8 AND extra IS ?9"
        " FROM tasks WHERE batch_id = ?1 AND ext_id = ?2",
    [ST_TASK_BY_EXT] = "SELECT id FROM tasks WHERE batch_id = ?1 AND ext_id = ?2",
    [ST_WORKER_FIND] = "SELECT id FROM workers WHERE phone = ?1",
    [ST_WORKER_INSERT] =
        "INSERT INTO workers(phone, name, lang, joined_at) VALUES (?1, ?2, coalesce(?3, 'en'), ?4)",
    [ST_ASSIGN_ANSWERED] =
        "INSERT INTO assignments(task_id, worker_id, ref, state, offered_at, due_at, closed_at)"
        " VALUES (?1, ?2, 1 + (CAST(?1 AS INTEGER) % 9999), 'answered', ?3, ?3, ?3)"
        " ON CONFLICT(task_id, worker_id) DO UPDATE SET state = 'answered', closed_at = ?3"
        " RETURNING id",
    [ST_ANSWER_INSERT] =
        "INSERT INTO answers(task_id, worker_id, assignment_id, value, raw, received_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_ANSWER_REJECT] =
        "UPDATE answers SET state = 'rejected', reject_reason = ?2"
        " WHERE id = ?1 AND state IN ('pending', 'accepted')",
    [ST_RESULTS] =
        "WITH counts AS ("
        "  SELECT a.task_id, a.value, count(*) AS n, min(a.id) AS first_id"
        "  FROM answers a JOIN tasks t ON t.id = a.task_id"
        "  WHERE t.batch_id = ?1 AND a.state <> 'rejected' AND a.late = 0"
        "  GROUP BY a.task_id, a.value),"
        " ranked AS ("
        "  SELECT task_id, value, n,"
        "   row_number() OVER w AS rk, lead(n) OVER w AS next_n,"
        "   sum(n) OVER (PARTITION BY task_id) AS total"
        "  FROM counts WINDOW w AS (PARTITION BY task_id ORDER BY n DESC, first_id))"
        " SELECT t.ext_id,"
        "  CASE WHEN t.state = 'cancelled' THEN 'cancelled'"
        "   WHEN tr.state IS NOT NULL THEN tr.state"
        "   WHEN coalesce(r.total, 0) >= coalesce(t.redundancy, b.redundancy) THEN 'complete'"
        "   WHEN coalesce(r.total, 0) > 0 THEN 'partial' ELSE 'pending' END,"
        "  coalesce(tr.answers, r.total, 0),"
        "  CASE WHEN tr.state IS NOT NULL THEN coalesce(tr.consensus, '')"
        "   WHEN r.next_n IS r.n THEN '' ELSE coalesce(r.value, '') END,"
        "  CASE WHEN tr.state IS NOT NULL THEN tr.votes"
        "   WHEN r.next_n IS r.n THEN 0 ELSE coalesce(r.n, 0) END,"
        "  t.extra"
        " FROM tasks t JOIN batches b ON b.id = t.batch_id"
        " LEFT JOIN ranked r ON r.task_id = t.id AND r.rk = 1"
        " LEFT JOIN task_results tr ON tr.task_id = t.id"
        " WHERE t.batch_id = ?1 ORDER BY t.id",
    [ST_ANSWERS] =
        "SELECT t.ext_id, a.worker_id, a.value, a.state, a.received_at"
        " FROM answers a JOIN tasks t ON t.id = a.task_id"
        " WHERE t.batch_id = ?1 ORDER BY t.id, a.received_at, a.id",
    [ST_BATCHES] =
        "SELECT b.name, r.name, b.state, b.currency, b.reward_minor, b.redundancy,"
        "  b.est_seconds, count(t.id),"
        "  coalesce(sum(coalesce(ac.n, 0) >= coalesce(t.redundancy, b.redundancy)), 0),"
        "  coalesce(sum(ac.n), 0), coalesce(sum(coalesce(t.redundancy, b.redundancy)), 0),"
        "  coalesce(b.deadline, 0), b.created_at"
        " FROM batches b JOIN requesters r ON r.id = b.requester_id"
        " LEFT JOIN tasks t ON t.batch_id = b.id"
        " LEFT JOIN (SELECT task_id, count(*) AS n FROM answers WHERE state <> 'rejected'"
        "            GROUP BY task_id) ac ON ac.task_id = t.id"
        " GROUP BY b.id, r.name ORDER BY b.id",
    [ST_WORKERS] =
        "SELECT w.id, w.phone, coalesce(w.name, ''), w.lang, w.state,"
        "  (SELECT count(*) FROM answers a WHERE a.worker_id = w.id),"
        "  coalesce((SELECT max(currency) FROM ledger_entries l WHERE l.worker_id = w.id), ''),"
        "  coalesce((SELECT sum(amount_minor) FROM ledger_entries l WHERE l.worker_id = w.id), 0),"
        "  w.joined_at"
        " FROM workers w ORDER BY w.id",
};

int64_t store_now(void)
{
    return (int64_t)time(NULL);
}

kz_status store_db_err(kz_store *st, kz_err *err, const char *what)
{
    return kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: %s", what,
                      st && st->db ? db_errmsg(st->db) : "no database");
}

void store_col_copy(db_stmt *s, int col, char *out, size_t cap)
{
    const unsigned char *t = db_column_text(s, col);
    size_t n = t ? (size_t)db_column_bytes(s, col) : 0;
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

db_stmt *store_stmt(kz_store *st, store_stmt_id id, kz_err *err)
{
    db_stmt *s = st->stmt[id];
    if (!s) {
        if (db_prepare(st->db, stmt_sql[id], 1, &s) !=
            DB_OK) {
            store_db_err(st, err, "preparing a statement");
            return NULL;
        }
        st->stmt[id] = s;
    }
    db_reset(s);
    db_clear_bindings(s);
    return s;
}

kz_status store_one_int(kz_store *st, const char *sql, int64_t *out, kz_err *err)
{
    db_stmt *s = NULL;
    if (db_prepare(st->db, sql, 0, &s) != DB_OK)
        return store_db_err(st, err, sql);
    int rc = db_step(s);
    *out = rc == DB_ROW && !db_column_is_null(s, 0) ? db_column_int64(s, 0) : -1;
    db_finalize(s);
    return rc == DB_ROW ? KZ_OK : store_db_err(st, err, sql);
}

kz_status store_exec(kz_store *st, const char *sql, const char *what, kz_err *err)
{
    return db_exec(st->db, sql) == DB_OK ? KZ_OK : store_db_err(st, err, what);
}

/* Run one fixed statement to completion (BEGIN, COMMIT, ROLLBACK). */
static kz_status run_fixed(kz_store *st, store_stmt_id id, const char *what, kz_err *err)
{
    db_stmt *s = store_stmt(st, id, err);
    if (!s)
        return KZ_ERR_DB;
    int rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE) {
        if (rc == DB_BUSY)
            return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: database is locked", what);
        return store_db_err(st, err, what);
    }
    return KZ_OK;
}

kz_status store_begin(kz_store *st, kz_err *err)
{
    return run_fixed(st, ST_BEGIN, "BEGIN IMMEDIATE", err);
}

kz_status store_commit(kz_store *st, kz_err *err)
{
    kz_status rc = run_fixed(st, ST_COMMIT, "COMMIT", err);
    if (rc != KZ_OK)
        store_rollback(st);
    return rc;
}

void store_rollback(kz_store *st)
{
    if (st && st->db && !db_get_autocommit(st->db))
        (void)run_fixed(st, ST_ROLLBACK, "ROLLBACK", NULL);
}

kz_status store_secret(kz_store *st, char *out, size_t cap, kz_err *err)
{
    db_stmt *s = store_stmt(st, ST_SECRET_GET, err);
    if (!s)
        return KZ_ERR_DB;
    kz_status rc = KZ_OK;
    if (db_step(s) != DB_ROW) {
        rc = store_db_err(st, err, "reading the pseudonym key");
    } else if ((size_t)db_column_bytes(s, 0) >= cap) {
        rc = kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "pseudonym key longer than %zu", cap);
    } else {
        store_col_copy(s, 0, out, cap);
    }
    db_reset(s);
    return rc;
}

/*
 * The per-connection settings (STYLE.md "SQLite"). temp_store = MEMORY keeps
 * statement and savepoint journals in memory: on a file they spill to a
 * temporary file past 64 KiB, less than the pages one inbound message changes
 * inside the inbox's savepoint (messages, answers, assignments, ledger rows
 * and their indexes), so every message wrote its journal there page by page
 * (about 40 % of the daemon's CPU). Temporary tables of the reports (GROUP
 * BY, window functions) are held in memory too.
 */
static kz_status configure(kz_store *st, kz_err *err)
{
    static const char *const pragmas[] = {
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA trusted_schema = OFF",
        "PRAGMA temp_store = MEMORY",
    };
    if (sqlite3_busy_timeout(db_sqlite(st->db), STORE_BUSY_MS) != SQLITE_OK)
        return store_db_err(st, err, "setting busy_timeout");
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
        db_stmt *s = NULL;
        if (db_prepare(st->db, pragmas[i], 0, &s) != DB_OK) {
            db_finalize(s);
            return store_db_err(st, err, pragmas[i]);
        }
        int rc;
        while ((rc = db_step(s)) == DB_ROW)
            ;
        db_finalize(s);
        if (rc != DB_DONE)
            return store_db_err(st, err, pragmas[i]);
    }
    return KZ_OK;
}

/*
 * A new database file starts empty with mode 0600 (whatever the umask): it
 * holds workers' phone numbers and money, and SQLite gives its -wal and -shm
 * files the database file's mode. ":memory:" and "" are not files.
 */
static kz_status create_private(const char *path, kz_err *err)
{
    if (!path[0] || strcmp(path, ":memory:") == 0)
        return KZ_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return KZ_OK;
}

kz_status store_open(const char *path, unsigned flags, kz_store **out, kz_err *err)
{
    *out = NULL;
    if (db_target_is_pg(path))
        return store_open_pg(path, flags, out, err);
    struct stat sb;
    if (!(flags & STORE_OPEN_CREATE) && stat(path, &sb) != 0)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: no such database", path);
    if ((flags & STORE_OPEN_CREATE) && create_private(path, err) != KZ_OK)
        return KZ_ERR_IO;
    kz_store *st = calloc(1, sizeof *st);
    if (!st)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    if (db_open(path, (flags & STORE_OPEN_CREATE) != 0, &st->db) != DB_OK) {
        kz_status rc = kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "%s: %s", path,
                                  db_errmsg(st->db));
        store_close(st);
        return rc;
    }
    kz_status rc = configure(st, err);
    if (rc == KZ_OK && !(flags & STORE_OPEN_NO_MIGRATE))
        rc = store_migrate(st, -1, err);
    if (rc != KZ_OK) {
        store_close(st);
        return rc;
    }
    *out = st;
    return KZ_OK;
}

kz_status store_find_id(kz_store *st, store_stmt_id id, const char *key, int64_t *out,
                        const char *what, kz_err *err)
{
    *out = 0;
    db_stmt *s = store_stmt(st, id, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_text(s, 1, key, -1, DB_STATIC);
    int rc = db_step(s);
    if (rc == DB_ROW)
        *out = db_column_int64(s, 0);
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, what);
    return KZ_OK;
}

void store_close(kz_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        db_finalize(st->stmt[i]);
    for (int i = 0; i < STORE_ENGINE_STMTS; i++)
        db_finalize(st->eng[i]);
    for (int i = 0; i < STORE_CONV_STMTS; i++)
        db_finalize(st->conv[i]);
    for (int i = 0; i < STORE_PAY_STMTS; i++)
        db_finalize(st->pay[i].stmt);
    db_close(st->db);
    free(st);
}
