/*
 * test_db_sql_pg.c - tasks/db_sql_pg.c: each rewrite from SQLite's dialect to
 * PostgreSQL's on small statements, what must be left alone (string literals,
 * quoted names, comments, binary plus, IS NULL, column aliases), every too-small
 * buffer from 0 bytes up (ASan sees any write past it), and the store's own
 * statements as fixtures with their expected PostgreSQL text.
 */
#include <stdlib.h>
#include <string.h>

#include "db_sql_pg.h"
#include "harness.h"

typedef struct sql_case {
    const char *in;
    const char *want;
    int nparams;
} sql_case;

static const sql_case cases[] = {
    /* parameters */
    {"SELECT 1", "SELECT 1", 0},
    {"", "", 0},
    {"SELECT ?1", "SELECT $1", 1},
    {"SELECT ?1, ?2, ?1", "SELECT $1, $2, $1", 2},
    {"SELECT ?12 + ?3", "SELECT $12 + $3", 12},
    {"SELECT ?, ?, ?", "SELECT $1, $2, $3", 3},
    {"SELECT ?5, ?, ?2, ?", "SELECT $5, $6, $2, $7", 7},
    {"SELECT ?,?1", "SELECT $1,$1", 1},
    {"SELECT ?007", "SELECT $007", 7},
    {"VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)", 12},
    {"SELECT ?99999999999, ?", "SELECT $99999999999, $999999", 999999},
    {"SELECT $1, :a, @b FROM t", "SELECT $1, :a, @b FROM t", 0},
    {"SELECT x FROM t LIMIT?1 OFFSET?", "SELECT x FROM t LIMIT $1 OFFSET $2", 2},
    {"UPDATE t SET a = ?2 WHERE id = ?1", "UPDATE t SET a = $2 WHERE id = $1", 2},
    {"SELECT x FROM t WHERE a=?1 AND b>=?2", "SELECT x FROM t WHERE a=$1 AND b>=$2", 2},
    {"SELECT 1 + (?1 % 9999)", "SELECT 1 + ($1 % 9999)", 1},
    /* ? inside literals, quoted names and comments */
    {"SELECT '?1', ?2", "SELECT '?1', $2", 2},
    {"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1},
    {"SELECT \"a?b\" FROM t WHERE x = ?1", "SELECT \"a?b\" FROM t WHERE x = $1", 1},
    {"SELECT \"a\"\"?\" FROM t", "SELECT \"a\"\"?\" FROM t", 0},
    {"SELECT 1 -- why ?1\n, ?2", "SELECT 1 -- why ?1\n, $2", 2},
    {"SELECT /* ?3 */ ?1", "SELECT /* ?3 */ $1", 1},
    {"SELECT ?1 /* unclosed ?2", "SELECT $1 /* unclosed ?2", 1},
    {"SELECT 'unclosed ?1", "SELECT 'unclosed ?1", 0},
    {"SELECT `a?`, [b?] FROM t", "SELECT `a?`, [b?] FROM t", 0},
    {"SELECT $$a ? IS b$$, ?1", "SELECT $$a ? IS b$$, $1", 1},
    {"SELECT $$x IS ?", "SELECT $$x IS ?", 0},
    /* BEGIN */
    {"BEGIN IMMEDIATE", "BEGIN", 0},
    {"begin immediate", "begin", 0},
    {"BEGIN DEFERRED", "BEGIN", 0},
    {"BEGIN EXCLUSIVE TRANSACTION", "BEGIN", 0},
    {"BEGIN  Immediate  transaction;", "BEGIN;", 0},
    {"BEGIN /* why */ IMMEDIATE", "BEGIN/* why */", 0},
    {"BEGIN -- why\nIMMEDIATE; SELECT ?1", "BEGIN-- why\n; SELECT $1", 1},
    {"BEGIN", "BEGIN", 0},
    {"BEGIN TRANSACTION", "BEGIN TRANSACTION", 0},
    {"SELECT 'BEGIN IMMEDIATE'", "SELECT 'BEGIN IMMEDIATE'", 0},
    {"BEGIN SELECT 1; END", "BEGIN SELECT 1; END", 0},
    {"BEGINIMMEDIATE", "BEGINIMMEDIATE", 0},
    /* CROSS JOIN */
    {"SELECT * FROM a CROSS JOIN b ON b.id = a.b", "SELECT * FROM a JOIN b ON b.id = a.b", 0},
    {"SELECT * FROM a cross  join b ON 1", "SELECT * FROM a join b ON 1", 0},
    {"SELECT * FROM a\nCROSS\nJOIN b ON 1", "SELECT * FROM a\nJOIN b ON 1", 0},
    {"SELECT * FROM a CROSS /* keep */ JOIN b ON 1", "SELECT * FROM a /* keep */ JOIN b ON 1", 0},
    {"SELECT 'a CROSS JOIN b', \"CROSS JOIN\" FROM t",
     "SELECT 'a CROSS JOIN b', \"CROSS JOIN\" FROM t", 0},
    {"SELECT cross_join FROM t", "SELECT cross_join FROM t", 0},
    {"SELECT x.cross FROM x JOIN y ON 1", "SELECT x.cross FROM x JOIN y ON 1", 0},
    /* unary plus */
    {"SELECT m.id FROM m ORDER BY +m.id LIMIT ?1", "SELECT m.id FROM m ORDER BY m.id LIMIT $1", 1},
    {"SELECT +a, +b FROM t", "SELECT a, b FROM t", 0},
    {"SELECT * FROM t WHERE +a = ?1 AND +b = 2 OR +c",
     "SELECT * FROM t WHERE a = $1 AND b = 2 OR c", 1},
    {"SELECT * FROM a JOIN b ON +b.x = a.x", "SELECT * FROM a JOIN b ON b.x = a.x", 0},
    {"SELECT f(+x), y = +z FROM t", "SELECT f(x), y = z FROM t", 0},
    {"SELECT +\"q\" FROM t", "SELECT \"q\" FROM t", 0},
    {"SELECT -+x FROM t", "SELECT -x FROM t", 0},
    {"SELECT 1-+--c\nx FROM t", "SELECT 1- --c\nx FROM t", 0},
    {"SELECT taken + 1, a.x+1, a.x+b.y, (a)+b, 'a'+b, ?1+c, 2+d FROM t",
     "SELECT taken + 1, a.x+1, a.x+b.y, (a)+b, 'a'+b, $1+c, 2+d FROM t", 1},
    {"UPDATE t SET taken = taken +\n1", "UPDATE t SET taken = taken +\n1", 0},
    {"SELECT x FROM t WHERE a = b +c", "SELECT x FROM t WHERE a = b +c", 0},
    {"SELECT CASE WHEN a THEN b END + c FROM t", "SELECT CASE WHEN a THEN b END + c FROM t", 0},
    {"SELECT +1, +?1 FROM t", "SELECT +1, +$1 FROM t", 1},
    {"SELECT 1e+5, 2E+3+x, 0x1e+y FROM t", "SELECT 1e+5, 2E+3+x, 0x1e+y FROM t", 0},
    {"SELECT '+x', \"+y\" FROM t -- ORDER BY +z\n",
     "SELECT '+x', \"+y\" FROM t -- ORDER BY +z\n", 0},
    /* IS and IS NOT */
    {"SELECT a IS ?1 FROM t", "SELECT a IS NOT DISTINCT FROM $1 FROM t", 1},
    {"SELECT a IS NOT ?1 FROM t", "SELECT a IS DISTINCT FROM $1 FROM t", 1},
    {"SELECT a is not b FROM t", "SELECT a IS DISTINCT FROM b FROM t", 0},
    {"SELECT a IS b AND c IS NOT d", "SELECT a IS NOT DISTINCT FROM b AND c IS DISTINCT FROM d", 0},
    {"SELECT a IS (SELECT 1)", "SELECT a IS NOT DISTINCT FROM (SELECT 1)", 0},
    {"SELECT a IS 'x'", "SELECT a IS NOT DISTINCT FROM 'x'", 0},
    {"SELECT a IS NULL, b IS NOT NULL, c is null", "SELECT a IS NULL, b IS NOT NULL, c is null", 0},
    {"SELECT a IS TRUE, b IS NOT FALSE", "SELECT a IS TRUE, b IS NOT FALSE", 0},
    {"SELECT a IS DISTINCT FROM b, c IS NOT DISTINCT FROM d",
     "SELECT a IS DISTINCT FROM b, c IS NOT DISTINCT FROM d", 0},
    {"SELECT a IS /* c */ NULL", "SELECT a IS /* c */ NULL", 0},
    {"SELECT a IS NOT /* c */ b", "SELECT a IS DISTINCT FROM /* c */ b", 0},
    {"SELECT a IS -- c\nNOT b", "SELECT a IS DISTINCT FROM-- c\n b", 0},
    {"SELECT 'a IS b', \"IS\" FROM t", "SELECT 'a IS b', \"IS\" FROM t", 0},
    {"SELECT a ISNULL, b NOTNULL, island FROM t", "SELECT a ISNULL, b NOTNULL, island FROM t", 0},
    {"SELECT a IS", "SELECT a IS", 0},
    /* CAST */
    {"SELECT CAST(x AS INTEGER)", "SELECT CAST(x AS BIGINT)", 0},
    {"SELECT cast(x as real)", "SELECT cast(x as DOUBLE PRECISION)", 0},
    {"SELECT CAST (a + (b) AS REAL) / 2", "SELECT CAST (a + (b) AS DOUBLE PRECISION) / 2", 0},
    {"SELECT CAST(CAST(x AS REAL) AS INTEGER)",
     "SELECT CAST(CAST(x AS DOUBLE PRECISION) AS BIGINT)", 0},
    {"SELECT CAST(x AS TEXT), CAST(y AS integer)", "SELECT CAST(x AS TEXT), CAST(y AS BIGINT)", 0},
    {"SELECT x AS real_x, y AS integer_y FROM t", "SELECT x AS real_x, y AS integer_y FROM t", 0},
    {"SELECT x AS real FROM t", "SELECT x AS real FROM t", 0},
    {"SELECT f(x AS INTEGER)", "SELECT f(x AS INTEGER)", 0},
    {"SELECT CAST(f(x) AS INTEGER), (y AS REAL)", "SELECT CAST(f(x) AS BIGINT), (y AS REAL)", 0},
    {"SELECT CAST(x AS \"INTEGER\")", "SELECT CAST(x AS \"INTEGER\")", 0},
    {"CREATE TABLE t(a INTEGER, b REAL)", "CREATE TABLE t(a INTEGER, b REAL)", 0},
    /* instr */
    {"SELECT instr(a, ', ')", "SELECT strpos(a, ', ')", 0},
    {"SELECT INSTR (a, b), Instr(c, d)", "SELECT strpos (a, b), strpos(c, d)", 0},
    {"SELECT instr, instr_x(a), t.instr FROM t", "SELECT instr, instr_x(a), t.instr FROM t", 0},
    {"SELECT 'instr(a, b)', \"instr\"(a) FROM t", "SELECT 'instr(a, b)', \"instr\"(a) FROM t", 0},
    /* several at once */
    {"SELECT CAST(instr(a, ?) AS REAL) FROM x CROSS JOIN y ON y.k IS ? ORDER BY +x.id LIMIT ?",
     "SELECT CAST(strpos(a, $1) AS DOUBLE PRECISION) FROM x JOIN y ON y.k IS NOT DISTINCT FROM $2"
     " ORDER BY x.id LIMIT $3",
     3},
};

/*
 * The store's statements (tasks/store_engine_sql.c, store_outbox.c,
 * store_conv.c, store.c) as they read at the time of writing, with the text
 * PostgreSQL is to receive. Names ending _PG are the PostgreSQL-only
 * variants from store_engine_sql.c's eng_sql_pg table.
 */
typedef struct sql_fixture {
    const char *name;
    const char *in;
    const char *want;
    int nparams;
} sql_fixture;

static const sql_fixture fixtures[] = {
    {"store_engine_sql:SE_WORKER_GET_PG",
     "SELECT w.state, coalesce(w.paused_until, 0), w.hours_from IS NOT NULL,"
     " coalesce(w.hours_from, 0), coalesce(w.hours_to, 0), (SELECT count(*) FROM"
     " assignments a WHERE a.worker_id = w.id AND a.state = 'offered'), (SELECT count(*)"
     " FROM assignments a WHERE a.worker_id = w.id) FROM workers w WHERE w.id = ?1 FOR"
     " UPDATE OF w",
     "SELECT w.state, coalesce(w.paused_until, 0), w.hours_from IS NOT NULL,"
     " coalesce(w.hours_from, 0), coalesce(w.hours_to, 0), (SELECT count(*) FROM"
     " assignments a WHERE a.worker_id = w.id AND a.state = 'offered'), (SELECT count(*)"
     " FROM assignments a WHERE a.worker_id = w.id) FROM workers w WHERE w.id = $1 FOR"
     " UPDATE OF w",
     1},
    {"store_engine_sql:SE_PICK_POOL_PG",
     "SELECT t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt,"
     " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds,"
     " coalesce(t.reward_minor, b.reward_minor), b.currency, coalesce(t.redundancy,"
     " b.redundancy), t.wanted, t.taken, t.id FROM tasks t CROSS JOIN batches b ON b.id ="
     " t.batch_id CROSS JOIN requesters r ON r.id = b.requester_id WHERE t.state = 'open'"
     " AND t.gold IS NULL AND t.taken < t.wanted AND b.state = 'open' AND NOT EXISTS"
     " (SELECT 1 FROM assignments a WHERE a.task_id = t.id                 AND"
     " a.worker_id = ?1) ORDER BY t.taken, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED",
     "SELECT t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt,"
     " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds,"
     " coalesce(t.reward_minor, b.reward_minor), b.currency, coalesce(t.redundancy,"
     " b.redundancy), t.wanted, t.taken, t.id FROM tasks t JOIN batches b ON b.id ="
     " t.batch_id JOIN requesters r ON r.id = b.requester_id WHERE t.state = 'open' AND"
     " t.gold IS NULL AND t.taken < t.wanted AND b.state = 'open' AND NOT EXISTS (SELECT"
     " 1 FROM assignments a WHERE a.task_id = t.id                 AND a.worker_id = $1)"
     " ORDER BY t.taken, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED",
     1},
    {"store_engine_sql:SE_WORKER_GET",
     "SELECT w.state, coalesce(w.paused_until, 0), w.hours_from IS NOT NULL,"
     " coalesce(w.hours_from, 0), coalesce(w.hours_to, 0), (SELECT count(*) FROM"
     " assignments a WHERE a.worker_id = w.id AND a.state = 'offered'), (SELECT count(*)"
     " FROM assignments a WHERE a.worker_id = w.id) FROM workers w WHERE w.id = ?1",
     "SELECT w.state, coalesce(w.paused_until, 0), w.hours_from IS NOT NULL,"
     " coalesce(w.hours_from, 0), coalesce(w.hours_to, 0), (SELECT count(*) FROM"
     " assignments a WHERE a.worker_id = w.id AND a.state = 'offered'), (SELECT count(*)"
     " FROM assignments a WHERE a.worker_id = w.id) FROM workers w WHERE w.id = $1",
     1},
    {"store_engine_sql:SE_PICK_POOL",
     "SELECT t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt,"
     " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds,"
     " coalesce(t.reward_minor, b.reward_minor), b.currency, coalesce(t.redundancy,"
     " b.redundancy), t.wanted, t.taken, t.id FROM tasks t CROSS JOIN batches b ON b.id ="
     " t.batch_id CROSS JOIN requesters r ON r.id = b.requester_id WHERE t.state = 'open'"
     " AND t.gold IS NULL AND t.taken < t.wanted AND b.state = 'open' AND NOT EXISTS"
     " (SELECT 1 FROM assignments a WHERE a.task_id = t.id                 AND"
     " a.worker_id = ?1) ORDER BY t.taken, t.id LIMIT 1",
     "SELECT t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt,"
     " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds,"
     " coalesce(t.reward_minor, b.reward_minor), b.currency, coalesce(t.redundancy,"
     " b.redundancy), t.wanted, t.taken, t.id FROM tasks t JOIN batches b ON b.id ="
     " t.batch_id JOIN requesters r ON r.id = b.requester_id WHERE t.state = 'open' AND"
     " t.gold IS NULL AND t.taken < t.wanted AND b.state = 'open' AND NOT EXISTS (SELECT"
     " 1 FROM assignments a WHERE a.task_id = t.id                 AND a.worker_id = $1)"
     " ORDER BY t.taken, t.id LIMIT 1",
     1},
    {"store_engine_sql:SE_PICK_GOLD",
     "SELECT t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt,"
     " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds,"
     " coalesce(t.reward_minor, b.reward_minor), b.currency, coalesce(t.redundancy,"
     " b.redundancy), t.wanted, t.taken, t.id FROM tasks t CROSS JOIN batches b ON b.id ="
     " t.batch_id CROSS JOIN requesters r ON r.id = b.requester_id WHERE t.state = 'open'"
     " AND t.gold IS NOT NULL AND b.state = 'open' AND NOT EXISTS (SELECT 1 FROM"
     " assignments a WHERE a.task_id = t.id                 AND a.worker_id = ?1) ORDER"
     " BY t.taken, t.id LIMIT 1",
     "SELECT t.batch_id, b.requester_id, r.name, b.name, t.type, t.state, t.prompt,"
     " coalesce(t.options, ''), t.gold IS NOT NULL, coalesce(t.gold, ''), b.est_seconds,"
     " coalesce(t.reward_minor, b.reward_minor), b.currency, coalesce(t.redundancy,"
     " b.redundancy), t.wanted, t.taken, t.id FROM tasks t JOIN batches b ON b.id ="
     " t.batch_id JOIN requesters r ON r.id = b.requester_id WHERE t.state = 'open' AND"
     " t.gold IS NOT NULL AND b.state = 'open' AND NOT EXISTS (SELECT 1 FROM assignments"
     " a WHERE a.task_id = t.id                 AND a.worker_id = $1) ORDER BY t.taken,"
     " t.id LIMIT 1",
     1},
    {"store_engine_sql:SE_REFS_BUSY",
     "SELECT ref FROM assignments WHERE worker_id = ?1 AND (state = 'offered' OR (state ="
     " 'expired' AND closed_at > ?2)      OR (state IN ('answered','skipped') AND"
     " closed_at > ?3))",
     "SELECT ref FROM assignments WHERE worker_id = $1 AND (state = 'offered' OR (state ="
     " 'expired' AND closed_at > $2)      OR (state IN ('answered','skipped') AND"
     " closed_at > $3))",
     3},
    {"store_engine_sql:SE_OFFER_INSERT",
     "INSERT INTO assignments(task_id, worker_id, ref, state, offered_at, due_at) VALUES"
     " (?1, ?2, ?3, 'offered', ?4, ?5)",
     "INSERT INTO assignments(task_id, worker_id, ref, state, offered_at, due_at) VALUES"
     " ($1, $2, $3, 'offered', $4, $5)",
     5},
    {"store_engine_sql:SE_OPEN_OFFER",
     "SELECT id, task_id, ref, state, offered_at, due_at, extensions FROM assignments"
     " WHERE worker_id = ?1 AND state = 'offered' AND (?2 = 0 OR ref = ?2) ORDER BY id"
     " LIMIT 2",
     "SELECT id, task_id, ref, state, offered_at, due_at, extensions FROM assignments"
     " WHERE worker_id = $1 AND state = 'offered' AND ($2 = 0 OR ref = $2) ORDER BY id"
     " LIMIT 2",
     2},
    {"store_engine_sql:SE_OFFER_EXTEND",
     "UPDATE assignments SET due_at = ?2, extensions = extensions + 1 WHERE id = ?1 AND"
     " state = 'offered'",
     "UPDATE assignments SET due_at = $2, extensions = extensions + 1 WHERE id = $1 AND"
     " state = 'offered'",
     2},
    {"store_engine_sql:SE_EXPIRE",
     "UPDATE assignments SET state = 'expired', closed_at = ?1 WHERE state = 'offered'"
     " AND due_at <= ?1",
     "UPDATE assignments SET state = 'expired', closed_at = $1 WHERE state = 'offered'"
     " AND due_at <= $1",
     1},
    {"store_engine_sql:SE_PUSH",
     "SELECT w.id FROM workers w WHERE w.state <> 'stopped' AND NOT (w.state = 'paused'"
     " AND w.paused_until IS NULL) AND coalesce(w.paused_until, 0) <= ?1 AND"
     " (w.hours_from IS NULL OR w.hours_from = w.hours_to  OR (w.hours_from < w.hours_to"
     " AND ?2 >= w.hours_from AND ?2 < w.hours_to)  OR (w.hours_from > w.hours_to AND (?2"
     " >= w.hours_from OR ?2 < w.hours_to))) AND (SELECT count(*) FROM assignments a"
     " WHERE a.worker_id = w.id AND a.state = 'offered') < ?3 ORDER BY (SELECT count(*)"
     " FROM assignments a WHERE a.worker_id = w.id AND a.state = 'offered'), (SELECT"
     " count(*) FROM assignments a WHERE a.worker_id = w.id AND a.offered_at > ?4),"
     " coalesce((SELECT max(a.offered_at) FROM assignments a WHERE a.worker_id = w.id),"
     " 0), w.id",
     "SELECT w.id FROM workers w WHERE w.state <> 'stopped' AND NOT (w.state = 'paused'"
     " AND w.paused_until IS NULL) AND coalesce(w.paused_until, 0) <= $1 AND"
     " (w.hours_from IS NULL OR w.hours_from = w.hours_to  OR (w.hours_from < w.hours_to"
     " AND $2 >= w.hours_from AND $2 < w.hours_to)  OR (w.hours_from > w.hours_to AND ($2"
     " >= w.hours_from OR $2 < w.hours_to))) AND (SELECT count(*) FROM assignments a"
     " WHERE a.worker_id = w.id AND a.state = 'offered') < $3 ORDER BY (SELECT count(*)"
     " FROM assignments a WHERE a.worker_id = w.id AND a.state = 'offered'), (SELECT"
     " count(*) FROM assignments a WHERE a.worker_id = w.id AND a.offered_at > $4),"
     " coalesce((SELECT max(a.offered_at) FROM assignments a WHERE a.worker_id = w.id),"
     " 0), w.id",
     4},
    {"store_engine_sql:SE_ANSWER_INSERT",
     "INSERT INTO answers(task_id, worker_id, assignment_id, message_id, value, raw,"
     " late, received_at) VALUES (?1, ?2, nullif(?3, 0), nullif(?4, 0), ?5, ?6, ?7, ?8)",
     "INSERT INTO answers(task_id, worker_id, assignment_id, message_id, value, raw,"
     " late, received_at) VALUES ($1, $2, nullif($3, 0), nullif($4, 0), $5, $6, $7, $8)",
     8},
    {"store_engine_sql:SE_RESULT_PUT",
     "INSERT INTO task_results(task_id, state, consensus, votes, answers, agreement,"
     " resolved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(task_id) DO NOTHING",
     "INSERT INTO task_results(task_id, state, consensus, votes, answers, agreement,"
     " resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(task_id) DO NOTHING",
     7},
    {"store_engine_sql:SE_LEDGER_ADD",
     "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency, answer_id,"
     " message_id, memo, created_at) VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), nullif(?6,"
     " 0), ?7, ?8)",
     "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency, answer_id,"
     " message_id, memo, created_at) VALUES ($1, $2, $3, $4, nullif($5, 0), nullif($6,"
     " 0), $7, $8)",
     8},
    {"store_engine_sql:SE_ANSWER_INFO",
     "SELECT a.task_id, a.worker_id, coalesce(a.assignment_id, 0), coalesce(s.ref, 0),"
     " a.state, a.late, a.received_at, coalesce(a.rejected_at, 0), coalesce((SELECT"
     " sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id = a.id AND l.kind ="
     " 'reward'), 0), coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE"
     " l.answer_id = a.id           AND l.kind = 'reward'), ''), coalesce((SELECT"
     " sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id = a.id AND l.kind ="
     " 'hold'), 0), coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE"
     " l.answer_id = a.id AND l.kind = 'release'), 0) FROM answers a LEFT JOIN"
     " assignments s ON s.id = a.assignment_id WHERE a.id = ?1",
     "SELECT a.task_id, a.worker_id, coalesce(a.assignment_id, 0), coalesce(s.ref, 0),"
     " a.state, a.late, a.received_at, coalesce(a.rejected_at, 0), coalesce((SELECT"
     " sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id = a.id AND l.kind ="
     " 'reward'), 0), coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE"
     " l.answer_id = a.id           AND l.kind = 'reward'), ''), coalesce((SELECT"
     " sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id = a.id AND l.kind ="
     " 'hold'), 0), coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE"
     " l.answer_id = a.id AND l.kind = 'release'), 0) FROM answers a LEFT JOIN"
     " assignments s ON s.id = a.assignment_id WHERE a.id = $1",
     1},
    {"store_engine_sql:SE_HELD",
     "SELECT coalesce(-sum(l.amount_minor), 0) FROM ledger_entries l JOIN answers a ON"
     " a.id = l.answer_id WHERE l.worker_id = ?1 AND l.currency = ?2 AND l.kind = 'hold'"
     " AND a.state = 'rejected' AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE"
     " r.answer_id = a.id                 AND r.kind = 'release') AND (EXISTS (SELECT 1"
     " FROM appeals p WHERE p.answer_id = a.id AND p.state = 'open')  OR (NOT EXISTS"
     " (SELECT 1 FROM appeals p WHERE p.answer_id = a.id)      AND a.rejected_at > ?3))",
     "SELECT coalesce(-sum(l.amount_minor), 0) FROM ledger_entries l JOIN answers a ON"
     " a.id = l.answer_id WHERE l.worker_id = $1 AND l.currency = $2 AND l.kind = 'hold'"
     " AND a.state = 'rejected' AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE"
     " r.answer_id = a.id                 AND r.kind = 'release') AND (EXISTS (SELECT 1"
     " FROM appeals p WHERE p.answer_id = a.id AND p.state = 'open')  OR (NOT EXISTS"
     " (SELECT 1 FROM appeals p WHERE p.answer_id = a.id)      AND a.rejected_at > $3))",
     3},
    {"store_engine_sql:SE_ACCURACY",
     "SELECT count(*), coalesce(sum(t.gold IS NOT NULL), 0), coalesce(sum(t.gold IS NOT"
     " NULL AND a.agrees = 1), 0), coalesce(sum(t.gold IS NULL AND a.agrees = 1), 0),"
     " coalesce(sum(t.gold IS NULL AND a.agrees IS NOT NULL), 0) FROM answers a JOIN"
     " tasks t ON t.id = a.task_id WHERE a.worker_id = ?1",
     "SELECT count(*), coalesce(sum(t.gold IS NOT NULL), 0), coalesce(sum(t.gold IS NOT"
     " NULL AND a.agrees = 1), 0), coalesce(sum(t.gold IS NULL AND a.agrees = 1), 0),"
     " coalesce(sum(t.gold IS NULL AND a.agrees IS NOT NULL), 0) FROM answers a JOIN"
     " tasks t ON t.id = a.task_id WHERE a.worker_id = $1",
     1},
    {"store_engine_sql:SE_APPEALS",
     "SELECT p.id, p.answer_id, p.worker_id, w.phone, b.name, t.ext_id, a.value,"
     " coalesce(a.reject_reason, ''), p.reason, p.state, coalesce(p.reviewer, ''),"
     " coalesce(p.decision, ''), p.opened_at, coalesce(p.decided_at, 0),"
     " -coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id ="
     " a.id AND l.kind = 'hold'), 0), coalesce((SELECT max(l.currency) FROM"
     " ledger_entries l WHERE l.answer_id = a.id           AND l.kind = 'hold'), '') FROM"
     " appeals p JOIN answers a ON a.id = p.answer_id JOIN tasks t ON t.id = a.task_id"
     " JOIN batches b ON b.id = t.batch_id JOIN workers w ON w.id = p.worker_id WHERE (?1"
     " = 0 OR p.state = 'open') ORDER BY p.id",
     "SELECT p.id, p.answer_id, p.worker_id, w.phone, b.name, t.ext_id, a.value,"
     " coalesce(a.reject_reason, ''), p.reason, p.state, coalesce(p.reviewer, ''),"
     " coalesce(p.decision, ''), p.opened_at, coalesce(p.decided_at, 0),"
     " -coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id ="
     " a.id AND l.kind = 'hold'), 0), coalesce((SELECT max(l.currency) FROM"
     " ledger_entries l WHERE l.answer_id = a.id           AND l.kind = 'hold'), '') FROM"
     " appeals p JOIN answers a ON a.id = p.answer_id JOIN tasks t ON t.id = a.task_id"
     " JOIN batches b ON b.id = t.batch_id JOIN workers w ON w.id = p.worker_id WHERE ($1"
     " = 0 OR p.state = 'open') ORDER BY p.id",
     1},
    {"store_engine_sql:SE_RESULT_GET",
     "SELECT coalesce(r.state, 'open'), coalesce(r.consensus, ''), coalesce(r.votes, 0),"
     " coalesce(r.answers, 0), coalesce(r.agreement, 0), t.wanted FROM tasks t LEFT JOIN"
     " task_results r ON r.task_id = t.id WHERE t.id = ?1",
     "SELECT coalesce(r.state, 'open'), coalesce(r.consensus, ''), coalesce(r.votes, 0),"
     " coalesce(r.answers, 0), coalesce(r.agreement, 0), t.wanted FROM tasks t LEFT JOIN"
     " task_results r ON r.task_id = t.id WHERE t.id = $1",
     1},
    {"store_engine_sql:SE_RESULT_SETTLE",
     "UPDATE task_results SET state = 'resolved', consensus = ?2, votes = ?3, answers ="
     " ?4, agreement = ?5, reviewer = ?6, reviewed_at = ?7 WHERE task_id = ?1 AND state ="
     " 'review'",
     "UPDATE task_results SET state = 'resolved', consensus = $2, votes = $3, answers ="
     " $4, agreement = $5, reviewer = $6, reviewed_at = $7 WHERE task_id = $1 AND state ="
     " 'review'",
     7},
    {"store_outbox:QO_UNENCODED",
     "SELECT m.id, m.peer, m.body, m.kind = 'unsolicited' FROM messages m WHERE"
     " m.direction = 'out' AND m.state IN ('queued','sending') AND m.channel = 'sms' AND"
     " m.state = 'queued' AND NOT EXISTS (SELECT 1 FROM outbox_parts p WHERE p.message_id"
     " = m.id) ORDER BY +m.id LIMIT ?1",
     "SELECT m.id, m.peer, m.body, m.kind = 'unsolicited' FROM messages m WHERE"
     " m.direction = 'out' AND m.state IN ('queued','sending') AND m.channel = 'sms' AND"
     " m.state = 'queued' AND NOT EXISTS (SELECT 1 FROM outbox_parts p WHERE p.message_id"
     " = m.id) ORDER BY m.id LIMIT $1",
     1},
    {"store_outbox:QO_PART_ADD",
     "INSERT INTO outbox_parts(message_id, seq, total, pdu_hex, tpdu_len, updated_at)"
     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
     "INSERT INTO outbox_parts(message_id, seq, total, pdu_hex, tpdu_len, updated_at)"
     " VALUES ($1, $2, $3, $4, $5, $6)",
     6},
    {"store_outbox:QO_DUE",
     "SELECT p.id, p.message_id, p.seq, p.total, m.peer, p.pdu_hex, p.tpdu_len,"
     " p.attempts,  m.kind = 'unsolicited',  coalesce((SELECT s.modem FROM outbox_parts s"
     " WHERE s.message_id = p.message_id    AND s.state IN"
     " ('sending','sent','delivered','unknown') LIMIT 1), '') FROM outbox_parts p JOIN"
     " messages m ON m.id = p.message_id WHERE p.state = 'queued' AND p.next_attempt_at"
     " <= ?1  AND (?2 OR m.kind <> 'unsolicited') ORDER BY p.next_attempt_at,"
     " p.message_id, p.seq LIMIT ?3",
     "SELECT p.id, p.message_id, p.seq, p.total, m.peer, p.pdu_hex, p.tpdu_len,"
     " p.attempts,  m.kind = 'unsolicited',  coalesce((SELECT s.modem FROM outbox_parts s"
     " WHERE s.message_id = p.message_id    AND s.state IN"
     " ('sending','sent','delivered','unknown') LIMIT 1), '') FROM outbox_parts p JOIN"
     " messages m ON m.id = p.message_id WHERE p.state = 'queued' AND p.next_attempt_at"
     " <= $1  AND ($2 OR m.kind <> 'unsolicited') ORDER BY p.next_attempt_at,"
     " p.message_id, p.seq LIMIT $3",
     3},
    {"store_outbox:QO_SENDING",
     "UPDATE outbox_parts SET state = 'sending', modem = ?2, attempts = attempts + 1,"
     " updated_at = ?3 WHERE id = ?1 AND state = 'queued'",
     "UPDATE outbox_parts SET state = 'sending', modem = $2, attempts = attempts + 1,"
     " updated_at = $3 WHERE id = $1 AND state = 'queued'",
     3},
    {"store_outbox:QO_MSG_MODEM",
     "UPDATE messages SET modem_id = (SELECT id FROM modems WHERE name = ?2) WHERE id ="
     " (SELECT message_id FROM outbox_parts WHERE id = ?1)",
     "UPDATE messages SET modem_id = (SELECT id FROM modems WHERE name = $2) WHERE id ="
     " (SELECT message_id FROM outbox_parts WHERE id = $1)",
     2},
    {"store_outbox:QO_COUNT_ADD",
     "INSERT INTO sms_counts(modem, day, sent) VALUES (?1, ?2, max(0, ?3)) ON"
     " CONFLICT(modem, day) DO UPDATE SET sent = max(0, sent + ?3)",
     "INSERT INTO sms_counts(modem, day, sent) VALUES ($1, $2, max(0, $3)) ON"
     " CONFLICT(modem, day) DO UPDATE SET sent = max(0, sent + $3)",
     3},
    {"store_outbox:QO_UNSEND",
     "UPDATE outbox_parts SET state = 'queued', attempts = max(0, attempts - 1),"
     " updated_at = ?2 WHERE id = ?1 AND state = 'sending' RETURNING modem",
     "UPDATE outbox_parts SET state = 'queued', attempts = max(0, attempts - 1),"
     " updated_at = $2 WHERE id = $1 AND state = 'sending' RETURNING modem",
     2},
    {"store_outbox:QO_SETTLE",
     "UPDATE messages SET state = (SELECT CASE   WHEN sum(p.state = 'failed') > 0 THEN"
     " 'failed'   WHEN sum(p.state = 'delivered') = count(*) THEN 'delivered'   WHEN"
     " sum(p.state IN ('sent','delivered')) = count(*) THEN 'sent'   WHEN sum(p.state IN"
     " ('queued','sending')) = 0 THEN 'unknown'   WHEN sum(p.state <> 'queued') > 0 THEN"
     " 'sending' ELSE 'queued' END   FROM outbox_parts p WHERE p.message_id = ?1),"
     " attempts = (SELECT max(attempts) FROM outbox_parts WHERE message_id = ?1),"
     " next_attempt_at = (SELECT min(next_attempt_at) FROM outbox_parts   WHERE"
     " message_id = ?1 AND state = 'queued'), mr = coalesce((SELECT mr FROM outbox_parts"
     " WHERE message_id = ?1 AND mr IS NOT NULL   ORDER BY seq DESC LIMIT 1), mr), error"
     " = CASE WHEN ?2 IS NULL THEN error   WHEN error LIKE 'timed out via %' AND ?2 NOT"
     " LIKE 'timed out via %'   THEN substr(error, 1, instr(error || ', then ', ', then"
     " ') - 1) || ', then ' || ?2   ELSE ?2 END, updated_at = ?3 WHERE id = ?1 AND EXISTS"
     " (SELECT 1 FROM outbox_parts WHERE message_id = ?1)",
     "UPDATE messages SET state = (SELECT CASE   WHEN sum(p.state = 'failed') > 0 THEN"
     " 'failed'   WHEN sum(p.state = 'delivered') = count(*) THEN 'delivered'   WHEN"
     " sum(p.state IN ('sent','delivered')) = count(*) THEN 'sent'   WHEN sum(p.state IN"
     " ('queued','sending')) = 0 THEN 'unknown'   WHEN sum(p.state <> 'queued') > 0 THEN"
     " 'sending' ELSE 'queued' END   FROM outbox_parts p WHERE p.message_id = $1),"
     " attempts = (SELECT max(attempts) FROM outbox_parts WHERE message_id = $1),"
     " next_attempt_at = (SELECT min(next_attempt_at) FROM outbox_parts   WHERE"
     " message_id = $1 AND state = 'queued'), mr = coalesce((SELECT mr FROM outbox_parts"
     " WHERE message_id = $1 AND mr IS NOT NULL   ORDER BY seq DESC LIMIT 1), mr), error"
     " = CASE WHEN $2 IS NULL THEN error   WHEN error LIKE 'timed out via %' AND $2 NOT"
     " LIKE 'timed out via %'   THEN substr(error, 1, strpos(error || ', then ', ', then"
     " ') - 1) || ', then ' || $2   ELSE $2 END, updated_at = $3 WHERE id = $1 AND EXISTS"
     " (SELECT 1 FROM outbox_parts WHERE message_id = $1)",
     3},
    {"store_outbox:QO_FAIL_SIBLINGS",
     "UPDATE outbox_parts SET state = 'failed', error = 'another part failed', modem ="
     " coalesce(modem, (SELECT modem FROM outbox_parts WHERE id = ?3), '-'), updated_at ="
     " ?2 WHERE message_id = ?1 AND state = 'queued'",
     "UPDATE outbox_parts SET state = 'failed', error = 'another part failed', modem ="
     " coalesce(modem, (SELECT modem FROM outbox_parts WHERE id = $3), '-'), updated_at ="
     " $2 WHERE message_id = $1 AND state = 'queued'",
     3},
    {"store_outbox:QO_RECOVER",
     "UPDATE outbox_parts SET state = CASE WHEN ?2 THEN 'queued' ELSE 'unknown' END,"
     " error = 'interrupted while sending', updated_at = ?3 WHERE state = 'sending' AND"
     " (?1 IS NULL OR modem = ?1) RETURNING message_id",
     "UPDATE outbox_parts SET state = CASE WHEN $2 THEN 'queued' ELSE 'unknown' END,"
     " error = 'interrupted while sending', updated_at = $3 WHERE state = 'sending' AND"
     " ($1 IS NULL OR modem = $1) RETURNING message_id",
     3},
    {"store_outbox:QO_RECOVER_MSGS",
     "UPDATE messages SET state = (SELECT CASE   WHEN sum(p.state = 'failed') > 0 THEN"
     " 'failed'   WHEN sum(p.state = 'delivered') = count(*) THEN 'delivered'   WHEN"
     " sum(p.state IN ('sent','delivered')) = count(*) THEN 'sent'   WHEN sum(p.state IN"
     " ('queued','sending')) = 0 THEN 'unknown'   WHEN sum(p.state <> 'queued') > 0 THEN"
     " 'sending' ELSE 'queued' END   FROM outbox_parts p WHERE p.message_id = ?1),"
     " attempts = (SELECT max(attempts) FROM outbox_parts WHERE message_id = ?1),"
     " next_attempt_at = (SELECT min(next_attempt_at) FROM outbox_parts   WHERE"
     " message_id = ?1 AND state = 'queued'), mr = coalesce((SELECT mr FROM outbox_parts"
     " WHERE message_id = ?1 AND mr IS NOT NULL   ORDER BY seq DESC LIMIT 1), mr), error"
     " = CASE WHEN ?2 IS NULL THEN error   WHEN error LIKE 'timed out via %' AND ?2 NOT"
     " LIKE 'timed out via %'   THEN substr(error, 1, instr(error || ', then ', ', then"
     " ') - 1) || ', then ' || ?2   ELSE ?2 END, updated_at = ?3 WHERE id = ?1 AND EXISTS"
     " (SELECT 1 FROM outbox_parts WHERE message_id = ?1)",
     "UPDATE messages SET state = (SELECT CASE   WHEN sum(p.state = 'failed') > 0 THEN"
     " 'failed'   WHEN sum(p.state = 'delivered') = count(*) THEN 'delivered'   WHEN"
     " sum(p.state IN ('sent','delivered')) = count(*) THEN 'sent'   WHEN sum(p.state IN"
     " ('queued','sending')) = 0 THEN 'unknown'   WHEN sum(p.state <> 'queued') > 0 THEN"
     " 'sending' ELSE 'queued' END   FROM outbox_parts p WHERE p.message_id = $1),"
     " attempts = (SELECT max(attempts) FROM outbox_parts WHERE message_id = $1),"
     " next_attempt_at = (SELECT min(next_attempt_at) FROM outbox_parts   WHERE"
     " message_id = $1 AND state = 'queued'), mr = coalesce((SELECT mr FROM outbox_parts"
     " WHERE message_id = $1 AND mr IS NOT NULL   ORDER BY seq DESC LIMIT 1), mr), error"
     " = CASE WHEN $2 IS NULL THEN error   WHEN error LIKE 'timed out via %' AND $2 NOT"
     " LIKE 'timed out via %'   THEN substr(error, 1, strpos(error || ', then ', ', then"
     " ') - 1) || ', then ' || $2   ELSE $2 END, updated_at = $3 WHERE id = $1 AND EXISTS"
     " (SELECT 1 FROM outbox_parts WHERE message_id = $1)",
     3},
    {"store_outbox:QO_COUNT_DAY",
     "SELECT coalesce((SELECT sent FROM sms_counts WHERE modem = ?1 AND day = ?2), 0)",
     "SELECT coalesce((SELECT sent FROM sms_counts WHERE modem = $1 AND day = $2), 0)",
     2},
    {"store_outbox:QO_DEPTH",
     "SELECT (SELECT count(*) FROM messages WHERE direction = 'out'   AND state IN"
     " ('queued','sending')), (SELECT count(*) FROM outbox_parts WHERE state = 'queued'),"
     " (SELECT count(*) FROM outbox_parts WHERE state = 'sending'), (SELECT count(*) FROM"
     " outbox_parts WHERE state = 'unknown'), (SELECT count(*) FROM outbox_parts WHERE"
     " state = 'failed'), (SELECT coalesce(sum(sent), 0) FROM sms_counts WHERE day = ?1)",
     "SELECT (SELECT count(*) FROM messages WHERE direction = 'out'   AND state IN"
     " ('queued','sending')), (SELECT count(*) FROM outbox_parts WHERE state = 'queued'),"
     " (SELECT count(*) FROM outbox_parts WHERE state = 'sending'), (SELECT count(*) FROM"
     " outbox_parts WHERE state = 'unknown'), (SELECT count(*) FROM outbox_parts WHERE"
     " state = 'failed'), (SELECT coalesce(sum(sent), 0) FROM sms_counts WHERE day = $1)",
     1},
    {"store_outbox:QO_MODEM_SAVE",
     "INSERT INTO modems(name, device, imei, imsi, operator, state, last_seen_at,"
     " created_at, signal_dbm, queue, sent, received, failed, last_error) VALUES (?1, ?2,"
     " nullif(?3, ''), nullif(?4, ''), nullif(?5, ''), ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12,"
     " nullif(?13, '')) ON CONFLICT(name) DO UPDATE SET device = excluded.device, imei ="
     " coalesce(excluded.imei, imei), imsi = coalesce(excluded.imsi, imsi), operator ="
     " coalesce(excluded.operator, operator), state = excluded.state, last_seen_at ="
     " excluded.last_seen_at, signal_dbm = excluded.signal_dbm, queue = excluded.queue,"
     " sent = excluded.sent, received = excluded.received, failed = excluded.failed,"
     " last_error = excluded.last_error",
     "INSERT INTO modems(name, device, imei, imsi, operator, state, last_seen_at,"
     " created_at, signal_dbm, queue, sent, received, failed, last_error) VALUES ($1, $2,"
     " nullif($3, ''), nullif($4, ''), nullif($5, ''), $6, $7, $7, $8, $9, $10, $11, $12,"
     " nullif($13, '')) ON CONFLICT(name) DO UPDATE SET device = excluded.device, imei ="
     " coalesce(excluded.imei, imei), imsi = coalesce(excluded.imsi, imsi), operator ="
     " coalesce(excluded.operator, operator), state = excluded.state, last_seen_at ="
     " excluded.last_seen_at, signal_dbm = excluded.signal_dbm, queue = excluded.queue,"
     " sent = excluded.sent, received = excluded.received, failed = excluded.failed,"
     " last_error = excluded.last_error",
     13},
    {"store_outbox:QO_MODEMS",
     "SELECT name, coalesce(device, ''), state, coalesce(operator, ''), coalesce(imei,"
     " ''), coalesce(imsi, ''), coalesce(last_error, ''), coalesce(signal_dbm, 0), queue,"
     " sent, received, failed, coalesce(last_seen_at, 0), coalesce((SELECT c.sent FROM"
     " sms_counts c WHERE c.modem = modems.name   AND c.day = ?1), 0) FROM modems ORDER"
     " BY name",
     "SELECT name, coalesce(device, ''), state, coalesce(operator, ''), coalesce(imei,"
     " ''), coalesce(imsi, ''), coalesce(last_error, ''), coalesce(signal_dbm, 0), queue,"
     " sent, received, failed, coalesce(last_seen_at, 0), coalesce((SELECT c.sent FROM"
     " sms_counts c WHERE c.modem = modems.name   AND c.day = $1), 0) FROM modems ORDER"
     " BY name",
     1},
    {"store_outbox:QO_ENQUEUE",
     "INSERT INTO messages(direction, peer, worker_id, body, state, kind, created_at,"
     " updated_at) VALUES ('out', ?1, nullif(?2, 0), ?3, 'queued', ?4, ?5, ?5)",
     "INSERT INTO messages(direction, peer, worker_id, body, state, kind, created_at,"
     " updated_at) VALUES ('out', $1, nullif($2, 0), $3, 'queued', $4, $5, $5)",
     5},
    {"store_conv:SC_IN_INSERT",
     "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
     " created_at, updated_at) VALUES ('in', ?1, nullif(?2, 0), ?3, ?4, 'received', ?5,"
     " ?6, ?6) ON CONFLICT(dedupe_key) DO NOTHING",
     "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
     " created_at, updated_at) VALUES ('in', $1, nullif($2, 0), $3, $4, 'received', $5,"
     " $6, $6) ON CONFLICT(dedupe_key) DO NOTHING",
     6},
    {"store_conv:SC_IN_DONE",
     "UPDATE messages SET state = ?2, worker_id = coalesce(nullif(?3, 0), worker_id),"
     " updated_at = ?4, reason = ?5, norm_hash = ?6 WHERE id = ?1 AND direction = 'in'",
     "UPDATE messages SET state = $2, worker_id = coalesce(nullif($3, 0), worker_id),"
     " updated_at = $4, reason = $5, norm_hash = $6 WHERE id = $1 AND direction = 'in'",
     6},
    {"store_conv:SC_REPLIES",
     "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM assignments a  WHERE"
     " a.message_id = m.id)), 0) FROM messages m WHERE m.direction = 'out' AND m.peer ="
     " ?1 AND m.created_at >= ?2",
     "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM assignments a  WHERE"
     " a.message_id = m.id)), 0) FROM messages m WHERE m.direction = 'out' AND m.peer ="
     " $1 AND m.created_at >= $2",
     2},
    {"store_conv:SC_REPLY_WINDOWS",
     "SELECT coalesce(sum(r.created_at >= ?2), 0), coalesce(sum(r.created_at >= ?2 AND"
     " r.plain), 0), coalesce(sum(r.created_at >= ?3), 0), coalesce(sum(r.created_at >="
     " ?4 AND r.plain), 0) FROM (SELECT m.created_at, NOT EXISTS (SELECT 1 FROM"
     " assignments a        WHERE a.message_id = m.id) AS plain       FROM messages m"
     " WHERE m.direction = 'out' AND m.peer = ?1       AND m.created_at >= min(?2, ?3,"
     " ?4)) r",
     "SELECT coalesce(sum(r.created_at >= $2), 0), coalesce(sum(r.created_at >= $2 AND"
     " r.plain), 0), coalesce(sum(r.created_at >= $3), 0), coalesce(sum(r.created_at >="
     " $4 AND r.plain), 0) FROM (SELECT m.created_at, NOT EXISTS (SELECT 1 FROM"
     " assignments a        WHERE a.message_id = m.id) AS plain       FROM messages m"
     " WHERE m.direction = 'out' AND m.peer = $1       AND m.created_at >= min($2, $3,"
     " $4)) r",
     4},
    {"store_conv:SC_PREV_IN",
     "SELECT body FROM messages WHERE direction = 'in' AND peer = ?1 AND id < ?2 AND"
     " created_at >= ?3 AND state = 'handled' ORDER BY id DESC LIMIT 1",
     "SELECT body FROM messages WHERE direction = 'in' AND peer = $1 AND id < $2 AND"
     " created_at >= $3 AND state = 'handled' ORDER BY id DESC LIMIT 1",
     3},
    {"store_conv:SC_WORKER_STATE",
     "UPDATE workers SET state = ?2, paused_until = nullif(?3, 0), stopped_at = CASE WHEN"
     " ?2 = 'stopped' THEN ?4 END WHERE id = ?1",
     "UPDATE workers SET state = $2, paused_until = nullif($3, 0), stopped_at = CASE WHEN"
     " $2 = 'stopped' THEN $4 END WHERE id = $1",
     4},
    {"store_conv:SC_WORKER_HOURS",
     "UPDATE workers SET hours_from = nullif(?2, -1), hours_to = nullif(?3, -1) WHERE id"
     " = ?1",
     "UPDATE workers SET hours_from = nullif($2, -1), hours_to = nullif($3, -1) WHERE id"
     " = $1",
     3},
    {"store_conv:SC_TASK_BY_REF",
     "SELECT t.id, r.name, coalesce(r.about, '') FROM assignments a JOIN tasks t ON t.id"
     " = a.task_id JOIN batches b ON b.id = t.batch_id JOIN requesters r ON r.id ="
     " b.requester_id WHERE a.worker_id = ?1 AND a.ref = ?2 ORDER BY a.state = 'offered'"
     " DESC, a.offered_at DESC, a.id DESC LIMIT 1",
     "SELECT t.id, r.name, coalesce(r.about, '') FROM assignments a JOIN tasks t ON t.id"
     " = a.task_id JOIN batches b ON b.id = t.batch_id JOIN requesters r ON r.id ="
     " b.requester_id WHERE a.worker_id = $1 AND a.ref = $2 ORDER BY a.state = 'offered'"
     " DESC, a.offered_at DESC, a.id DESC LIMIT 1",
     2},
    {"store_conv:SC_PAYOUTS_OPEN",
     "SELECT coalesce(sum(CASE WHEN NOT EXISTS (SELECT 1 FROM ledger_entries l   WHERE"
     " l.payout_id = p.id AND l.kind = 'payout') THEN amount_minor END), 0),"
     " coalesce(max(amount_minor), 0) FROM payouts p WHERE p.worker_id = ?1 AND p.state"
     " IN ('requested','approved','sending','sent','unknown')",
     "SELECT coalesce(sum(CASE WHEN NOT EXISTS (SELECT 1 FROM ledger_entries l   WHERE"
     " l.payout_id = p.id AND l.kind = 'payout') THEN amount_minor END), 0),"
     " coalesce(max(amount_minor), 0) FROM payouts p WHERE p.worker_id = $1 AND p.state"
     " IN ('requested','approved','sending','sent','unknown')",
     1},
    {"store_conv:SC_CERT_ADD",
     "INSERT INTO certificates(code, worker_id, issued_at, tasks_done, summary) VALUES"
     " (?1, ?2, ?3, ?4, ?5) ON CONFLICT(code) DO NOTHING",
     "INSERT INTO certificates(code, worker_id, issued_at, tasks_done, summary) VALUES"
     " ($1, $2, $3, $4, $5) ON CONFLICT(code) DO NOTHING",
     5},
    {"store_conv:SC_OUT_KIND",
     "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
     " kind, next_attempt_at, created_at, updated_at) VALUES ('out', ?1, nullif(?2, 0),"
     " ?3, ?4, 'queued', ?5, ?7, ?6, ?6, ?6)",
     "INSERT INTO messages(direction, peer, worker_id, body, segments, state, dedupe_key,"
     " kind, next_attempt_at, created_at, updated_at) VALUES ('out', $1, nullif($2, 0),"
     " $3, $4, 'queued', $5, $7, $6, $6, $6)",
     7},
    {"store_conv:SC_NOTICE_ANSWER",
     "SELECT a.worker_id, coalesce(s.ref, 0), a.task_id, r.name, a.state,"
     " coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id ="
     " a.id           AND l.kind = 'hold'), 0), coalesce((SELECT sum(l.amount_minor) FROM"
     " ledger_entries l WHERE l.answer_id = a.id           AND l.kind = 'release'), 0),"
     " coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE l.answer_id = a.id   "
     "        AND l.kind IN ('reward', 'hold')), b.currency) FROM answers a LEFT JOIN"
     " assignments s ON s.id = a.assignment_id JOIN tasks t ON t.id = a.task_id JOIN"
     " batches b ON b.id = t.batch_id JOIN requesters r ON r.id = b.requester_id WHERE"
     " a.id = ?1",
     "SELECT a.worker_id, coalesce(s.ref, 0), a.task_id, r.name, a.state,"
     " coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l WHERE l.answer_id ="
     " a.id           AND l.kind = 'hold'), 0), coalesce((SELECT sum(l.amount_minor) FROM"
     " ledger_entries l WHERE l.answer_id = a.id           AND l.kind = 'release'), 0),"
     " coalesce((SELECT max(l.currency) FROM ledger_entries l WHERE l.answer_id = a.id   "
     "        AND l.kind IN ('reward', 'hold')), b.currency) FROM answers a LEFT JOIN"
     " assignments s ON s.id = a.assignment_id JOIN tasks t ON t.id = a.task_id JOIN"
     " batches b ON b.id = t.batch_id JOIN requesters r ON r.id = b.requester_id WHERE"
     " a.id = $1",
     1},
    {"store:ST_BEGIN",
     "BEGIN IMMEDIATE",
     "BEGIN",
     0},
    {"store:ST_TASK_EXISTING",
     "SELECT import_id, source_line, type IS ?3 AND prompt IS ?4 AND options IS ?5 AND"
     " gold IS ?6 AND redundancy IS ?7 AND reward_minor IS ?8 AND extra IS ?9 FROM tasks"
     " WHERE batch_id = ?1 AND ext_id = ?2",
     "SELECT import_id, source_line, type IS NOT DISTINCT FROM $3 AND prompt IS NOT"
     " DISTINCT FROM $4 AND options IS NOT DISTINCT FROM $5 AND gold IS NOT DISTINCT FROM"
     " $6 AND redundancy IS NOT DISTINCT FROM $7 AND reward_minor IS NOT DISTINCT FROM $8"
     " AND extra IS NOT DISTINCT FROM $9 FROM tasks WHERE batch_id = $1 AND ext_id = $2",
     9},
    {"store:ST_ASSIGN_ANSWERED",
     "INSERT INTO assignments(task_id, worker_id, ref, state, offered_at, due_at,"
     " closed_at) VALUES (?1, ?2, 1 + (?1 % 9999), 'answered', ?3, ?3, ?3) ON"
     " CONFLICT(task_id, worker_id) DO UPDATE SET state = 'answered', closed_at = ?3"
     " RETURNING id",
     "INSERT INTO assignments(task_id, worker_id, ref, state, offered_at, due_at,"
     " closed_at) VALUES ($1, $2, 1 + ($1 % 9999), 'answered', $3, $3, $3) ON"
     " CONFLICT(task_id, worker_id) DO UPDATE SET state = 'answered', closed_at = $3"
     " RETURNING id",
     3},
    {"store:ST_RESULTS",
     "WITH counts AS (  SELECT a.task_id, a.value, count(*) AS n, min(a.id) AS first_id "
     " FROM answers a JOIN tasks t ON t.id = a.task_id  WHERE t.batch_id = ?1 AND a.state"
     " <> 'rejected' AND a.late = 0  GROUP BY a.task_id, a.value), ranked AS (  SELECT"
     " task_id, value, n,   row_number() OVER w AS rk, lead(n) OVER w AS next_n,   sum(n)"
     " OVER (PARTITION BY task_id) AS total  FROM counts WINDOW w AS (PARTITION BY"
     " task_id ORDER BY n DESC, first_id)) SELECT t.ext_id,  CASE WHEN t.state ="
     " 'cancelled' THEN 'cancelled'   WHEN tr.state IS NOT NULL THEN tr.state   WHEN"
     " coalesce(r.total, 0) >= coalesce(t.redundancy, b.redundancy) THEN 'complete'  "
     " WHEN coalesce(r.total, 0) > 0 THEN 'partial' ELSE 'pending' END, "
     " coalesce(tr.answers, r.total, 0),  CASE WHEN tr.state IS NOT NULL THEN"
     " coalesce(tr.consensus, '')   WHEN r.next_n IS r.n THEN '' ELSE coalesce(r.value,"
     " '') END,  CASE WHEN tr.state IS NOT NULL THEN tr.votes   WHEN r.next_n IS r.n THEN"
     " 0 ELSE coalesce(r.n, 0) END,  t.extra FROM tasks t JOIN batches b ON b.id ="
     " t.batch_id LEFT JOIN ranked r ON r.task_id = t.id AND r.rk = 1 LEFT JOIN"
     " task_results tr ON tr.task_id = t.id WHERE t.batch_id = ?1 ORDER BY t.id",
     "WITH counts AS (  SELECT a.task_id, a.value, count(*) AS n, min(a.id) AS first_id "
     " FROM answers a JOIN tasks t ON t.id = a.task_id  WHERE t.batch_id = $1 AND a.state"
     " <> 'rejected' AND a.late = 0  GROUP BY a.task_id, a.value), ranked AS (  SELECT"
     " task_id, value, n,   row_number() OVER w AS rk, lead(n) OVER w AS next_n,   sum(n)"
     " OVER (PARTITION BY task_id) AS total  FROM counts WINDOW w AS (PARTITION BY"
     " task_id ORDER BY n DESC, first_id)) SELECT t.ext_id,  CASE WHEN t.state ="
     " 'cancelled' THEN 'cancelled'   WHEN tr.state IS NOT NULL THEN tr.state   WHEN"
     " coalesce(r.total, 0) >= coalesce(t.redundancy, b.redundancy) THEN 'complete'  "
     " WHEN coalesce(r.total, 0) > 0 THEN 'partial' ELSE 'pending' END, "
     " coalesce(tr.answers, r.total, 0),  CASE WHEN tr.state IS NOT NULL THEN"
     " coalesce(tr.consensus, '')   WHEN r.next_n IS NOT DISTINCT FROM r.n THEN '' ELSE"
     " coalesce(r.value, '') END,  CASE WHEN tr.state IS NOT NULL THEN tr.votes   WHEN"
     " r.next_n IS NOT DISTINCT FROM r.n THEN 0 ELSE coalesce(r.n, 0) END,  t.extra FROM"
     " tasks t JOIN batches b ON b.id = t.batch_id LEFT JOIN ranked r ON r.task_id = t.id"
     " AND r.rk = 1 LEFT JOIN task_results tr ON tr.task_id = t.id WHERE t.batch_id = $1"
     " ORDER BY t.id",
     1},
};

#define N_CASES (sizeof cases / sizeof cases[0])
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

/*
 * One rewrite into a roomy buffer: the text, the parameter count, and that
 * rewriting the result again changes nothing.
 */
static void check_one(const char *label, const char *in, const char *want, int nparams)
{
    char out[4096], again[4096];
    int n = -2, n2 = -2;
    int rc = db_sql_pg(in, out, sizeof out, &n);
    KT_CHECK(rc == 0, "%s: rc %d", label, rc);
    KT_STREQ(out, want, label);
    KT_CHECK(n == nparams, "%s: nparams %d, want %d", label, n, nparams);
    rc = db_sql_pg(out, again, sizeof again, &n2);
    KT_CHECK(rc == 0 && strcmp(again, out) == 0, "%s: second pass gave \"%s\"", label, again);
    KT_CHECK(n2 == 0, "%s: second pass saw %d parameters", label, n2);
}

/*
 * Every buffer smaller than the result fails with "" in it and *nparams 0;
 * the exact size succeeds. Each buffer is its own allocation of exactly cap
 * bytes (none for 0), so ASan reports any write past it.
 */
static void check_tight(const char *label, const char *in, const char *want)
{
    size_t need = strlen(want) + 1;
    int bad = 0;
    for (size_t cap = 0; cap <= need; cap++) {
        char *buf = cap ? malloc(cap) : NULL;
        if (cap && !buf) {
            bad++;
            break;
        }
        if (cap)
            memset(buf, 'x', cap);
        int n = -2;
        int rc = db_sql_pg(in, buf, cap, &n);
        if (cap < need && (rc != -1 || n != 0 || (cap && buf[0] != '\0')))
            bad++;
        if (cap == need && (rc != 0 || strcmp(buf, want) != 0))
            bad++;
        free(buf);
    }
    KT_CHECK(bad == 0, "%s: %d of %zu buffer sizes handled wrongly", label, bad, need + 1);
}

static void test_cases(void)
{
    for (size_t i = 0; i < N_CASES; i++) {
        check_one(cases[i].in, cases[i].in, cases[i].want, cases[i].nparams);
        check_tight(cases[i].in, cases[i].in, cases[i].want);
    }
}

static void test_fixtures(void)
{
    for (size_t i = 0; i < N_FIXTURES; i++) {
        check_one(fixtures[i].name, fixtures[i].in, fixtures[i].want, fixtures[i].nparams);
        check_tight(fixtures[i].name, fixtures[i].in, fixtures[i].want);
    }
}

/* nparams may be NULL; a result that fills the buffer to the last byte fits. */
static void test_edges(void)
{
    char out[8];
    KT_CHECK(db_sql_pg("SELECT ?1", out, sizeof out, NULL) == -1, "\"SELECT $1\" needs 10 bytes");
    KT_CHECK(db_sql_pg("SELECT ?", out, sizeof out, NULL) == -1, "\"SELECT $1\" needs 10 bytes");
    KT_CHECK(db_sql_pg("x IS ?1", out, sizeof out, NULL) == -1,
             "the rewrite is longer than the input");
    KT_CHECK(db_sql_pg("SELECT", out, 7, NULL) == 0 && strcmp(out, "SELECT") == 0, "exact fit");
    KT_CHECK(db_sql_pg("?1", out, 3, NULL) == 0 && strcmp(out, "$1") == 0,
             "exact fit of a parameter");
    char big[64];
    memset(big, 'y', sizeof big);
    KT_CHECK(db_sql_pg("a IS b", big, 10, NULL) == -1 && big[0] == '\0' && big[10] == 'y',
             "nothing past cap when the rewrite overflows");
}

int main(void)
{
    test_cases();
    test_fixtures();
    test_edges();
    return kt_report();
}
