/*
 * db_pg.c - the PostgreSQL backend of db.h (db_pg.h): libpq through the
 * table pq_lib.c loads, made to answer like SQLite's prepare/bind/step/column.
 * Owns: the connection, its server-side prepared statements ("k1", "k2", ...),
 * each statement's current result and its steps, and the savepoint ("kz_stmt")
 * that keeps a transaction usable after a failed statement. The values in and
 * out are db_pg_values.c's; the connection's loss and return db_pg_link.c's;
 * sending a write with its savepoint in one round trip db_pg_pipe.c's.
 * Never logs, never shows a password (libpq's messages carry none), and never
 * rewrites SQL itself: db_sql_pg() does.
 */
#include "db_pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "db_sql_pg.h"
#include "pq_lib.h"

void pg_set_msg(pg_db *d, const char *msg)
{
    snprintf(d->errmsg, sizeof d->errmsg, "%s", msg && *msg ? msg : "unknown PostgreSQL error");
    /* one line: libpq ends its messages with a newline and may hold several
     * lines (indented by a tab): each run of white space becomes one space */
    char *w = d->errmsg;
    for (const char *r = d->errmsg; *r; r++) {
        int blank = *r == '\n' || *r == '\r' || *r == '\t' || *r == ' ';
        if (!blank)
            *w++ = *r;
        else if (w > d->errmsg && w[-1] != ' ')
            *w++ = ' ';
    }
    if (w > d->errmsg && w[-1] == ' ')
        w--;
    *w = '\0';
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* The db.h code for a failed result (NULL: libpq could not even build one). */
static int map_sqlstate(const char *state)
{
    if (!state || strlen(state) != 5)
        return DB_ERROR;
    static const struct { const char *state; int rc; } map[] = {
        {"23505", DB_CONSTRAINT_UNIQUE}, {"23503", DB_CONSTRAINT_FOREIGNKEY},
        {"23514", DB_CONSTRAINT_CHECK},  {"23502", DB_CONSTRAINT_NOTNULL},
        {"P0001", DB_CONSTRAINT_TRIGGER}, {"40001", DB_BUSY},
        {"40P01", DB_BUSY},              {"55P03", DB_BUSY},
        {"25P02", DB_BUSY}, /* a statement after one of those: the transaction has failed */
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(state, map[i].state) == 0)
            return map[i].rc;
    if (strncmp(state, "23", 2) == 0) /* another integrity constraint (exclusion) */
        return DB_CONSTRAINT;
    return DB_ERROR;
}

/* Record why res (which may be NULL) failed and return its db.h code. */
int pg_fail_result(pg_db *d, const PGresult *res)
{
    const char *primary = res ? d->pq->resultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (primary && *primary)
        pg_set_msg(d, primary);
    else if (res && *d->pq->resultErrorMessage(res))
        pg_set_msg(d, d->pq->resultErrorMessage(res));
    else
        pg_set_msg(d, d->pq->errorMessage(d->conn));
    return map_sqlstate(res ? d->pq->resultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
}

/* The tag's verb changes rows (INSERT 0 3, UPDATE 2, DELETE 1, MERGE 4). */
static int tag_counts_changes(const char *tag)
{
    return strncmp(tag, "INSERT ", 7) == 0 || strncmp(tag, "UPDATE ", 7) == 0 ||
           strncmp(tag, "DELETE ", 7) == 0 || strncmp(tag, "MERGE ", 6) == 0;
}

void pg_note_changes(pg_db *d, PGresult *res)
{
    if (tag_counts_changes(d->pq->cmdStatus(res)))
        d->changes = atoi(d->pq->cmdTuples(res));
}

/* Run sql with no parameters, discarding any rows. DB_OK or the mapped error, noted. */
static int run_simple(pg_db *d, const char *sql)
{
    PGresult *res = d->pq->exec(d->conn, sql);
    ExecStatusType st = res ? d->pq->resultStatus(res) : PGRES_FATAL_ERROR;
    int rc = DB_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = pg_fail_result(d, res);
    d->pq->clear(res);
    return rc;
}

/* Skip blanks, comments and opening parentheses; copy the first word (upper case) into w. */
static void first_word(const char *sql, char *w, size_t cap)
{
    const char *p = sql;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '(')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else {
            break;
        }
    }
    size_t n = 0;
    while (n + 1 < cap && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
        w[n++] = (char)(*p++ & ~0x20);
    w[n] = '\0';
}

/* True when word appears in sql as a whole word, any case (strings not skipped:
 * a false match only costs a savepoint). */
static int has_word(const char *sql, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = sql; *p; p++) {
        if (strncasecmp(p, word, n) != 0)
            continue;
        char b = p > sql ? p[-1] : ' ';
        int before = b == '_' || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
        char c = p[n];
        int after = c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        if (!before && !after)
            return 1;
    }
    return 0;
}

static stmt_kind classify(const char *sql)
{
    char w[16];
    first_word(sql, w, sizeof w);
    if (strcmp(w, "SELECT") == 0 || strcmp(w, "VALUES") == 0 || strcmp(w, "SHOW") == 0)
        return KIND_READ;
    if (strcmp(w, "WITH") == 0)
        return has_word(sql, "INSERT") || has_word(sql, "UPDATE") || has_word(sql, "DELETE")
                   ? KIND_WRITE
                   : KIND_READ;
    if (strcmp(w, "COMMIT") == 0 || strcmp(w, "END") == 0)
        return KIND_COMMIT;
    if (strcmp(w, "BEGIN") == 0 || strcmp(w, "START") == 0 || strcmp(w, "ROLLBACK") == 0 ||
        strcmp(w, "ABORT") == 0)
        return KIND_TXN;
    if (strcmp(w, "SAVEPOINT") == 0 || strcmp(w, "RELEASE") == 0)
        return KIND_SAVEPOINT;
    return KIND_WRITE;
}

/*
 * Before a statement of this kind runs: open the savepoint a write runs
 * behind inside a transaction (*guarded says so), or release ours before the
 * caller's own SAVEPOINT so that the caller's savepoints never nest in ours.
 */
static int guard_begin(pg_db *d, stmt_kind kind, int *guarded)
{
    *guarded = 0;
    if (d->pq->transactionStatus(d->conn) != PQTRANS_INTRANS) {
        d->sp_open = 0; /* no transaction, no savepoint */
        return DB_OK;
    }
    if (kind == KIND_SAVEPOINT && d->sp_open) {
        d->sp_open = 0;
        return run_simple(d, "RELEASE SAVEPOINT kz_stmt");
    }
    if (kind != KIND_WRITE)
        return DB_OK;
    int rc = run_simple(d, d->sp_open ? "RELEASE SAVEPOINT kz_stmt; SAVEPOINT kz_stmt"
                                      : "SAVEPOINT kz_stmt");
    if (rc != DB_OK)
        return rc;
    d->sp_open = 1;
    *guarded = 1;
    return DB_OK;
}

/*
 * After the statement ran: undo a guarded failure; forget our savepoint after
 * transaction control (COMMIT, ROLLBACK, ROLLBACK TO, RELEASE end or bury it).
 * A DB_BUSY failure (deadlock, serialization failure, lock wait too long) is
 * not undone: the transaction stays failed, every later statement fails and
 * its COMMIT rolls back, so the caller retries the whole transaction later
 * rather than carrying on without the row another daemon holds.
 */
static void guard_end(pg_db *d, stmt_kind kind, int guarded, int rc)
{
    if (guarded && rc != DB_OK && rc != DB_BUSY) {
        PGresult *res = d->pq->exec(d->conn, "ROLLBACK TO SAVEPOINT kz_stmt");
        d->pq->clear(res); /* the statement's own error is the one to report */
    }
    if (kind != KIND_READ && kind != KIND_WRITE)
        d->sp_open = 0;
}

/* A COMMIT of a failed transaction answers "ROLLBACK": that is an error, not success. */
static int check_commit(pg_db *d, stmt_kind kind, PGresult *res)
{
    if (kind != KIND_COMMIT || strcmp(d->pq->cmdStatus(res), "ROLLBACK") != 0)
        return DB_OK;
    pg_set_msg(d, "COMMIT rolled back: an earlier statement of the transaction failed");
    return DB_ERROR;
}

int pg_db_open(const char *uri, pg_db **out)
{
    pg_db *d = calloc(1, sizeof *d);
    *out = d;
    if (!d)
        return DB_NOMEM;
    d->next_id = 1;
    kz_err err;
    kz_err_clear(&err);
    d->pq = pq_lib_load(&err);
    if (!d->pq) {
        pg_set_msg(d, err.msg);
        return DB_ERROR;
    }
    d->conn = pg_link_connect(d->pq, uri);
    if (!d->conn) {
        pg_set_msg(d, "out of memory connecting to PostgreSQL");
        return DB_NOMEM;
    }
    if (d->pq->status(d->conn) != CONNECTION_OK) {
        pg_set_msg(d, d->pq->errorMessage(d->conn));
        return DB_ERROR;
    }
    d->pq->setNoticeProcessor(d->conn, ignore_notice, NULL);
    return pg_db_exec(d, "SET client_min_messages = warning");
}

void pg_db_close(pg_db *d)
{
    if (!d)
        return;
    if (d->conn)
        d->pq->finish(d->conn);
    free(d->session_sql);
    free(d);
}

const char *pg_db_errmsg(pg_db *d)
{
    if (!d)
        return "out of memory";
    return d->errmsg[0] ? d->errmsg : "not an error";
}

/* Rewrite sql into *out, a buffer the caller frees. DB_OK, or DB_NOMEM or
 * DB_ERROR with errmsg saying why (*out NULL then). */
static int rewrite(pg_db *d, const char *sql, char **out, int *nparams)
{
    size_t len = strlen(sql);
    size_t caps[2] = {len * 2 + 64, len * 8 + 256};
    *out = NULL;
    for (int i = 0; i < 2; i++) {
        char *buf = malloc(caps[i]);
        if (!buf) {
            pg_set_msg(d, "out of memory");
            return DB_NOMEM;
        }
        *nparams = 0;
        if (db_sql_pg(sql, buf, caps[i], nparams) == 0) {
            *out = buf;
            return DB_OK;
        }
        free(buf);
    }
    pg_set_msg(d, "SQL too long after rewriting for PostgreSQL");
    return DB_ERROR;
}

int pg_db_prepare(pg_db *d, const char *sql, pg_stmt **out)
{
    *out = NULL;
    int nparams = 0;
    char *pgsql; /* owned, then the statement's */
    int rc = rewrite(d, sql, &pgsql, &nparams);
    if (rc != DB_OK)
        return rc;
    pg_stmt *s = calloc(1, sizeof *s);
    char **values = nparams > 0 ? calloc((size_t)nparams, sizeof *values) : NULL;
    if (!s || (nparams > 0 && !values)) {
        free(pgsql);
        free(s);
        free(values);
        pg_set_msg(d, "out of memory");
        return DB_NOMEM;
    }
    s->d = d;
    s->values = values;
    s->nparams = nparams;
    s->kind = classify(sql);
    s->row = -1;
    char *with_id = s->kind == KIND_WRITE ? pg_returning_id(d, sql, pgsql) : NULL;
    if (with_id) {
        free(pgsql);
        pgsql = with_id;
        s->returns_id = 1;
    }
    snprintf(s->name, sizeof s->name, "k%u", d->next_id++);
    s->pgsql = pgsql;
    int skip;
    rc = pg_link_ready(d, "", &skip);
    if (rc == DB_OK) {
        s->epoch = d->epoch - 1; /* not prepared yet: pg_link_prepared does it */
        rc = pg_link_prepared(s);
    }
    if (rc != DB_OK) {
        free(s->pgsql);
        free(s->values);
        free(s);
        return rc;
    }
    *out = s;
    return DB_OK;
}

static void drop_result(pg_stmt *s)
{
    if (s->res)
        s->d->pq->clear(s->res);
    s->res = NULL;
    s->nrows = 0;
    s->row = -1;
}

/* The first step: execute with the bound values and keep the result. */
/*
 * Send s: a write inside a transaction goes with its savepoint in one round
 * trip (db_pg_pipe.c); anything else alone. *guarded says whether it ran
 * behind the savepoint. NULL: the connection failed.
 */
static PGresult *send_stmt(pg_stmt *s, int *guarded)
{
    pg_db *d = s->d;
    *guarded = 0;
    int in_txn = d->pq->transactionStatus(d->conn) == PQTRANS_INTRANS;
    if (!in_txn)
        d->sp_open = 0; /* no transaction, no savepoint */
    if (in_txn && s->kind == KIND_WRITE) {
        int made = 0;
        PGresult *res = pg_pipe_guarded(s, d->sp_open, &made);
        d->sp_open = made;
        *guarded = made;
        return res;
    }
    return d->pq->execPrepared(d->conn, s->name, s->nparams, (const char *const *)s->values,
                               NULL, NULL, 0);
}

/* An INSERT we made return its id: keep the id (the last row's), and no rows for the caller. */
static void take_returned_id(pg_stmt *s, PGresult *res)
{
    pg_db *d = s->d;
    int n = d->pq->ntuples(res);
    if (n > 0) {
        d->last_id = strtoll(d->pq->getvalue(res, n - 1, 0), NULL, 10);
        d->have_last_id = 1;
    }
}

/* The first step: execute with the bound values and keep the result. */
static int run(pg_stmt *s)
{
    pg_db *d = s->d;
    int guarded = 0;
    if (s->kind == KIND_SAVEPOINT && d->sp_open &&
        d->pq->transactionStatus(d->conn) == PQTRANS_INTRANS) {
        d->sp_open = 0; /* the caller's savepoints never nest in ours */
        int rc = run_simple(d, "RELEASE SAVEPOINT kz_stmt");
        if (rc != DB_OK)
            return rc;
    }
    PGTransactionStatusType before;
    PGresult *res = NULL;
    int rc = DB_OK;
    /* A read outside a transaction that meets a dropped connection is sent once more on a
     * new one; anything else fails DB_BUSY (a write may have run before the cut). */
    for (int attempt = 0; attempt < 2; attempt++) {
        int skip;
        rc = pg_link_ready(d, s->pgsql, &skip);
        if (rc == DB_OK && !skip)
            rc = pg_link_prepared(s);
        if (rc != DB_OK || skip)
            return rc == DB_OK ? DB_DONE : rc;
        before = d->pq->transactionStatus(d->conn);
        res = send_stmt(s, &guarded);
        int retry = !res && s->kind == KIND_READ && before == PQTRANS_IDLE;
        retry = retry || (res && d->pq->resultStatus(res) == PGRES_FATAL_ERROR &&
                          s->kind == KIND_READ && before == PQTRANS_IDLE &&
                          d->pq->status(d->conn) == CONNECTION_BAD);
        if (!retry || attempt == 1)
            break;
        d->pq->clear(res);
        res = NULL;
    }
    ExecStatusType st = res ? d->pq->resultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        pg_note_changes(d, res);
        rc = check_commit(d, s->kind, res);
        if (s->returns_id)
            take_returned_id(s, res);
        else if (s->kind == KIND_WRITE)
            d->have_last_id = 0; /* lastval() answers for an insert we did not see */
    } else if (st == PGRES_EMPTY_QUERY) {
        rc = DB_OK;
    } else if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE ||
               st == PGRES_PIPELINE_ABORTED) {
        rc = pg_link_failed(d, before, pg_fail_result(d, res));
    } else {
        pg_set_msg(d, "COPY is not supported through db.h");
        rc = DB_ERROR;
    }
    guard_end(d, s->kind, guarded, rc);
    if (rc != DB_OK || st != PGRES_TUPLES_OK || s->returns_id) {
        d->pq->clear(res);
        return rc == DB_OK ? DB_DONE : rc;
    }
    s->res = res;
    s->nrows = d->pq->ntuples(res);
    s->row = -1;
    return DB_ROW;
}

int pg_db_step(pg_stmt *s)
{
    if (s->last_rc != DB_OK)
        return s->last_rc; /* as SQLite: a failed statement fails until reset */
    if (!s->ran) {
        s->ran = 1;
        int rc = run(s);
        if (rc != DB_ROW) {
            if (rc != DB_DONE)
                s->last_rc = rc;
            return rc;
        }
    }
    if (!s->res)
        return DB_DONE;
    if (++s->row < s->nrows)
        return DB_ROW;
    drop_result(s);
    return DB_DONE;
}

int pg_db_reset(pg_stmt *s)
{
    int rc = s->last_rc;
    drop_result(s);
    s->ran = 0;
    s->last_rc = DB_OK;
    return rc; /* as SQLite: the last step's error, if it failed */
}

int pg_db_stmt_busy(pg_stmt *s)
{
    return s->res != NULL && s->row >= 0 && s->row < s->nrows;
}

int pg_db_finalize(pg_stmt *s)
{
    if (!s)
        return DB_OK;
    int rc = s->last_rc;
    pg_db *d = s->d;
    drop_result(s);
    pg_db_clear_bindings(s);
    free(s->values);
    free(s->pgsql);
    /* Free the server's copy too, unless that could fail and abort a transaction. */
    PGTransactionStatusType ts = d->pq->transactionStatus(d->conn);
    if (d->pq->status(d->conn) == CONNECTION_OK && s->epoch == d->epoch &&
        (ts == PQTRANS_IDLE || ts == PQTRANS_INTRANS)) {
        char sql[32];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        d->pq->clear(d->pq->exec(d->conn, sql));
    }
    free(s);
    return rc;
}

int64_t pg_db_last_insert_rowid(pg_db *d)
{
    if (d->have_last_id) /* the INSERT returned it (db_pg_pipe.c): no round trip */
        return d->last_id;
    /* lastval() fails before any sequence was used; inside a transaction that
     * failure must not abort it, so it runs behind a savepoint of its own, until
     * it has answered once (it is the session's, and never fails after that). */
    int in_txn = !d->seq_used && d->pq->transactionStatus(d->conn) == PQTRANS_INTRANS;
    if (in_txn) {
        PGresult *sp = d->pq->exec(d->conn, "SAVEPOINT kz_lastval");
        int ok = sp && d->pq->resultStatus(sp) == PGRES_COMMAND_OK;
        d->pq->clear(sp);
        if (!ok)
            return 0;
    }
    PGresult *res = d->pq->exec(d->conn, "SELECT lastval()");
    int64_t id = 0;
    int ok = res && d->pq->resultStatus(res) == PGRES_TUPLES_OK && d->pq->ntuples(res) == 1;
    if (ok) {
        id = strtoll(d->pq->getvalue(res, 0, 0), NULL, 10);
        d->seq_used = 1;
    }
    d->pq->clear(res);
    if (in_txn)
        d->pq->clear(d->pq->exec(d->conn, ok ? "RELEASE SAVEPOINT kz_lastval"
                                             : "ROLLBACK TO SAVEPOINT kz_lastval;"
                                               " RELEASE SAVEPOINT kz_lastval"));
    return id;
}

int pg_db_changes(pg_db *d)
{
    return d->changes;
}

int pg_db_get_autocommit(pg_db *d)
{
    if (d->txn_lost) /* still inside it, for the caller, until its ROLLBACK or COMMIT */
        return 0;
    return d->pq->transactionStatus(d->conn) == PQTRANS_IDLE;
}

int pg_db_exec(pg_db *d, const char *sql)
{
    stmt_kind kind = classify(sql);
    int guarded, skip;
    int rc = pg_link_ready(d, sql, &skip);
    if (rc != DB_OK || skip)
        return rc;
    PGTransactionStatusType before = d->pq->transactionStatus(d->conn);
    rc = guard_begin(d, kind, &guarded);
    if (rc != DB_OK)
        return pg_link_failed(d, before, rc);
    PGresult *res = d->pq->exec(d->conn, sql);
    ExecStatusType st = res ? d->pq->resultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        pg_note_changes(d, res);
        rc = check_commit(d, kind, res);
    } else if (st == PGRES_EMPTY_QUERY) {
        rc = DB_OK;
    } else {
        rc = pg_link_failed(d, before, pg_fail_result(d, res));
    }
    d->pq->clear(res);
    guard_end(d, kind, guarded, rc);
    if (rc == DB_OK && before == PQTRANS_IDLE && strncasecmp(sql, "SET ", 4) == 0)
        pg_link_remember(d, sql); /* a session setting: again on a new connection */
    return rc;
}
