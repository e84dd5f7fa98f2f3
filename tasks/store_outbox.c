/*
 * store_outbox.c - the SQL of the durable outbox (outbox_parts over the
 * messages table), the per-SIM daily counters and the modems' snapshots
 * (see queue_store.h).
 * Owns: the outbox statements and how a message's state follows its parts
 * (SETTLE below). Never chooses a modem or a retry time: gateway/outbox.c does.
 */
#include "store_queue_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    QO_UNENCODED = 16,
    QO_PART_ADD,
    QO_SEGMENTS,
    QO_MSG_FAIL,
    QO_DUE,
    QO_SENDING,
    QO_MSG_MODEM,
    QO_COUNT_ADD,
    QO_UNSEND,
    QO_SETTLE,
    QO_PART_ID_MSG,
    QO_SENT,
    QO_RETRY,
    QO_FAILED,
    QO_FAIL_SIBLINGS,
    QO_MATCH_MR,
    QO_REPORT,
    QO_RECOVER,
    QO_RECOVER_MSGS,
    QO_EXPIRE,
    QO_EXPIRE_MSGS,
    QO_COUNT_DAY,
    QO_DEPTH,
    QO_MODEM_SAVE,
    QO_MODEMS,
    QO_ATTEMPTS,
    QO_ENQUEUE,
    QO_PHONE,
    QO_UNENCODED_AFTER,
    QO__END
};

/* A message's state from its parts: any failed part fails it; all delivered,
 * delivered; all sent (or delivered), sent; nothing left to try but unknowns,
 * unknown; anything out, sending; else queued. Its error is the last one, but
 * a "timed out via <modem>" stays in front of later ones ("..., then <error>"):
 * that try's PDU may have reached the network, so a phone may get a part twice
 * (docs/configuration.md), and the record must say so whatever failed next. */
#define SETTLE_SQL                                                                         \
    "UPDATE messages SET state = (SELECT CASE"                                             \
    "   WHEN sum(p.state = 'failed') > 0 THEN 'failed'"                                    \
    "   WHEN sum(p.state = 'delivered') = count(*) THEN 'delivered'"                       \
    "   WHEN sum(p.state IN ('sent','delivered')) = count(*) THEN 'sent'"                  \
    "   WHEN sum(p.state IN ('queued','sending')) = 0 THEN 'unknown'"                      \
    "   WHEN sum(p.state <> 'queued') > 0 THEN 'sending' ELSE 'queued' END"                \
    "   FROM outbox_parts p WHERE p.message_id = ?1),"                                     \
    " attempts = (SELECT max(attempts) FROM outbox_parts WHERE message_id = ?1),"          \
    " next_attempt_at = (SELECT min(next_attempt_at) FROM outbox_parts"                    \
    "   WHERE message_id = ?1 AND state = 'queued'),"                                      \
    " mr = coalesce((SELECT mr FROM outbox_parts WHERE message_id = ?1 AND mr IS NOT NULL" \
    "   ORDER BY seq DESC LIMIT 1), mr),"                                                  \
    " error = CASE WHEN CAST(?2 AS TEXT) IS NULL THEN error"                               \
    "   WHEN error LIKE 'timed out via %' AND ?2 NOT LIKE 'timed out via %'"               \
    "   THEN substr(error, 1, instr(error || ', then ', ', then ') - 1) || ', then ' || ?2" \
    "   ELSE ?2 END, updated_at = ?3"                                                      \
    " WHERE id = ?1 AND EXISTS (SELECT 1 FROM outbox_parts WHERE message_id = ?1)"

/*
 * On a database several daemons share (?4: this daemon's modems, ",m1,m2,"):
 * a message goes out through the daemon whose modem the peer's latest SMS
 * came in on, so a worker hears from the number they texted; a peer who never
 * texted, or whose message's modem is unknown, anyone's. A message still
 * queued ?5 seconds after it was (that daemon is down, or its modems are)
 * goes through whichever daemon is up.
 */
#define HOME_IS_OURS                                                                     \
    "coalesce((SELECT instr(?4, ',' || d.name || ',') > 0 FROM messages i"              \
    "  LEFT JOIN modems d ON d.id = i.modem_id WHERE i.peer = m.peer"                  \
    "  AND i.direction = 'in' ORDER BY i.created_at DESC, i.id DESC LIMIT 1), TRUE)"

/* Seconds a reply waits for its worker's own gateway before any daemon may send it. */
#define HOME_GRACE_S 60

static const char *const outbox_sql[QO__END] = {
    [QO_UNENCODED] =
        /* The IN term repeats the partial index messages_outbox's own, so the
         * planner may use it; "+m.id" stops it from walking the whole table in
         * rowid order instead (it did: every pump scanned every message). */
        "SELECT m.id, m.peer, m.body, m.kind = 'unsolicited' FROM messages m"
        " WHERE m.direction = 'out' AND m.state IN ('queued','sending')"
        " AND m.channel = 'sms' AND m.state = 'queued'"
        " AND NOT EXISTS (SELECT 1 FROM outbox_parts p WHERE p.message_id = m.id)"
        " ORDER BY +m.id LIMIT ?1",
    /* DO NOTHING: daemons sharing a database may both encode one message; one set stays. */
    [QO_PART_ADD] = "INSERT INTO outbox_parts(message_id, seq, total, pdu_hex, tpdu_len,"
                    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    " ON CONFLICT(message_id, seq) DO NOTHING",
    [QO_SEGMENTS] = "UPDATE messages SET segments = ?2, updated_at = ?3 WHERE id = ?1",
    [QO_MSG_FAIL] = "UPDATE messages SET state = 'failed', error = ?2, updated_at = ?3"
                    " WHERE id = ?1 AND direction = 'out'",
    [QO_DUE] =
        "SELECT p.id, p.message_id, p.seq, p.total, m.peer, p.pdu_hex, p.tpdu_len, p.attempts,"
        "  m.kind = 'unsolicited',"
        "  coalesce((SELECT s.modem FROM outbox_parts s WHERE s.message_id = p.message_id"
        "    AND s.state IN ('sending','sent','delivered','unknown') LIMIT 1), '')"
        " FROM outbox_parts p JOIN messages m ON m.id = p.message_id"
        " WHERE p.state = 'queued' AND p.next_attempt_at <= ?1"
        "  AND (?2 OR m.kind <> 'unsolicited')"
        "  AND (CAST(?4 AS TEXT) IS NULL OR m.created_at <= ?1 - ?5 OR " HOME_IS_OURS ")"
        " ORDER BY p.next_attempt_at, p.message_id, p.seq LIMIT ?3",
    /* A later part goes behind its part 1, on part 1's modem: part 1's row is the
     * message's claim, so daemons sharing a database do not split a message. Only
     * a part 1 due later than this part (a retry) lets this one go first. */
    [QO_SENDING] = "UPDATE outbox_parts SET state = 'sending', modem = ?2,"
                   " attempts = attempts + 1, updated_at = ?3 WHERE id = ?1 AND state = 'queued'"
                   " AND (seq = 1 OR EXISTS (SELECT 1 FROM outbox_parts f"
                   "  WHERE f.message_id = outbox_parts.message_id AND f.seq = 1"
                   "  AND ((f.modem = ?2 AND f.state IN ('sending','sent','delivered','unknown'))"
                   "   OR (f.state = 'queued'"
                   "       AND f.next_attempt_at > outbox_parts.next_attempt_at))))",
    [QO_MSG_MODEM] =
        "UPDATE messages SET modem_id = (SELECT id FROM modems WHERE name = ?2)"
        " WHERE id = (SELECT message_id FROM outbox_parts WHERE id = ?1)",
    [QO_COUNT_ADD] = "INSERT INTO sms_counts(modem, day, sent) VALUES (?1, ?2, max(0, ?3))"
                     " ON CONFLICT(modem, day) DO UPDATE SET sent = max(0, sms_counts.sent + ?3)",
    [QO_UNSEND] = "UPDATE outbox_parts SET state = 'queued', attempts = max(0, attempts - 1),"
                  " updated_at = ?2 WHERE id = ?1 AND state = 'sending' RETURNING modem",
    [QO_SETTLE] = SETTLE_SQL,
    [QO_PART_ID_MSG] = "SELECT message_id FROM outbox_parts WHERE id = ?1",
    [QO_SENT] = "UPDATE outbox_parts SET state = 'sent', mr = ?2, sent_at = ?3, error = NULL,"
                " updated_at = ?3 WHERE id = ?1 AND state IN ('sending','unknown','queued')",
    [QO_RETRY] = "UPDATE outbox_parts SET state = 'queued', error = ?2, next_attempt_at = ?3,"
                 " updated_at = ?4 WHERE id = ?1 AND state IN ('sending','unknown')",
    [QO_FAILED] = "UPDATE outbox_parts SET state = 'failed', error = ?2, updated_at = ?3"
                  " WHERE id = ?1 AND state IN ('sending','unknown','queued','sent')",
    [QO_FAIL_SIBLINGS] =
        "UPDATE outbox_parts SET state = 'failed', error = 'another part failed',"
        " modem = coalesce(modem, (SELECT modem FROM outbox_parts WHERE id = ?3), '-'),"
        " updated_at = ?2 WHERE message_id = ?1 AND state = 'queued'",
    [QO_MATCH_MR] =
        "SELECT p.id FROM outbox_parts p JOIN messages m ON m.id = p.message_id"
        " WHERE p.modem = ?1 AND p.mr = ?2 AND p.state = 'sent' AND m.peer = ?3"
        " ORDER BY p.sent_at DESC, p.id DESC LIMIT 1",
    [QO_REPORT] = "UPDATE outbox_parts SET state = ?2, error = ?3, updated_at = ?4"
                  " WHERE id = ?1 AND state IN ('sent','unknown')",
    [QO_RECOVER] =
        "UPDATE outbox_parts SET state = CASE WHEN ?2 THEN 'queued' ELSE 'unknown' END,"
        " error = 'interrupted while sending', updated_at = ?3"
        " WHERE state = 'sending' AND (CAST(?1 AS TEXT) IS NULL OR modem = ?1) RETURNING message_id",
    [QO_RECOVER_MSGS] = SETTLE_SQL,
    [QO_EXPIRE] = "UPDATE outbox_parts SET state = 'unknown', error = 'no outcome from the modem',"
                  " updated_at = ?2 WHERE state = 'sending' AND updated_at < ?1"
                  " RETURNING message_id",
    [QO_EXPIRE_MSGS] = SETTLE_SQL,
    [QO_COUNT_DAY] = "SELECT coalesce((SELECT sent FROM sms_counts WHERE modem = ?1"
                     " AND day = ?2), 0)",
    [QO_DEPTH] =
        "SELECT (SELECT count(*) FROM messages WHERE direction = 'out'"
        "   AND state IN ('queued','sending')),"
        " (SELECT count(*) FROM outbox_parts WHERE state = 'queued'),"
        " (SELECT count(*) FROM outbox_parts WHERE state = 'sending'),"
        " (SELECT count(*) FROM outbox_parts WHERE state = 'unknown'),"
        " (SELECT count(*) FROM outbox_parts WHERE state = 'failed'),"
        " (SELECT coalesce(sum(sent), 0) FROM sms_counts WHERE day = ?1)",
    [QO_MODEM_SAVE] =
        "INSERT INTO modems(name, device, imei, imsi, operator, state, last_seen_at, created_at,"
        " signal_dbm, queue, sent, received, failed, last_error)"
        " VALUES (?1, ?2, nullif(?3, ''), nullif(?4, ''), nullif(?5, ''), ?6, ?7, ?7, ?8, ?9,"
        " ?10, ?11, ?12, nullif(?13, ''))"
        " ON CONFLICT(name) DO UPDATE SET device = excluded.device,"
        " imei = coalesce(excluded.imei, modems.imei),"
        " imsi = coalesce(excluded.imsi, modems.imsi),"
        " operator = coalesce(excluded.operator, modems.operator), state = excluded.state,"
        " last_seen_at = excluded.last_seen_at, signal_dbm = excluded.signal_dbm,"
        " queue = excluded.queue, sent = excluded.sent, received = excluded.received,"
        " failed = excluded.failed, last_error = excluded.last_error",
    [QO_MODEMS] =
        "SELECT name, coalesce(device, ''), state, coalesce(operator, ''), coalesce(imei, ''),"
        " coalesce(imsi, ''), coalesce(last_error, ''), coalesce(signal_dbm, 0), queue, sent,"
        " received, failed, coalesce(last_seen_at, 0),"
        " coalesce((SELECT c.sent FROM sms_counts c WHERE c.modem = modems.name"
        "   AND c.day = ?1), 0)"
        " FROM modems ORDER BY name",
    [QO_ATTEMPTS] = "SELECT attempts FROM outbox_parts WHERE id = ?1",
    [QO_ENQUEUE] = "INSERT INTO messages(direction, peer, worker_id, body, state, kind,"
                   " created_at, updated_at) VALUES ('out', ?1, nullif(?2, 0), ?3, 'queued', ?4,"
                   " ?5, ?5)",
    [QO_PHONE] = "SELECT phone FROM workers WHERE id = ?1",
    [QO_UNENCODED_AFTER] =
        /* From a known id on, in rowid order: the pump remembers how far it has
         * encoded, so a long backlog of encoded messages waiting for a modem is
         * not walked again by every pump (QO_UNENCODED walks all of them). */
        "SELECT m.id, m.peer, m.body, m.kind = 'unsolicited' FROM messages m NOT INDEXED"
        " WHERE m.id > ?2 AND m.direction = 'out' AND m.channel = 'sms' AND m.state = 'queued'"
        " AND NOT EXISTS (SELECT 1 FROM outbox_parts p WHERE p.message_id = m.id)"
        " ORDER BY m.id LIMIT ?1",
};

static db_stmt *stmt(kz_queue *q, int id, kz_err *err)
{
    return qstore_stmt(q, id, outbox_sql[id], err);
}

/* Run fn inside BEGIN IMMEDIATE ... COMMIT unless a transaction is open. */
static kz_status in_tx(kz_queue *q, kz_status (*fn)(kz_queue *, void *, kz_err *), void *arg,
                       kz_err *err)
{
    if (!db_get_autocommit(q->st->db))
        return fn(q, arg, err);
    kz_status rc = store_begin(q->st, err);
    if (rc != KZ_OK)
        return rc;
    rc = fn(q, arg, err);
    if (rc == KZ_OK)
        return store_commit(q->st, err);
    store_rollback(q->st);
    return rc;
}

kz_status qstore_outbox_batch(kz_queue *q, kz_status (*fn)(kz_queue *q, void *arg, kz_err *err),
                              void *arg, kz_err *err)
{
    return in_tx(q, fn, arg, err);
}

kz_status qstore_outbox_commit(kz_queue *q, kz_status (*fn)(kz_queue *q, void *arg, kz_err *err),
                               void *arg, kz_err *err)
{
    if (!db_get_autocommit(q->st->db))
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET,
                          "outbox: a transaction is already open; nothing would be durable yet");
    return in_tx(q, fn, arg, err);
}

static kz_status settle(kz_queue *q, int64_t message_id, const char *error, int64_t now,
                        kz_err *err)
{
    db_stmt *s = stmt(q, QO_SETTLE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, message_id);
    qstore_bind_text(s, 2, error);
    db_bind_int64(s, 3, now);
    return qstore_exec(q, s, "settling a message's state", err);
}

kz_status qstore_outbox_unencoded_each(kz_queue *q, int64_t after_id, int limit,
                                       int (*cb)(void *ctx, const outbox_msg_row *row),
                                       void *ctx, kz_err *err)
{
    db_stmt *s = stmt(q, after_id > 0 ? QO_UNENCODED_AFTER : QO_UNENCODED, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int(s, 1, limit);
    if (after_id > 0)
        db_bind_int64(s, 2, after_id);
    /* Rows are copied out before the callback writes (no write under an open read). */
    typedef struct row_copy {
        int64_t id;
        char *peer, *body;
        bool unsolicited;
    } row_copy;
    row_copy *rows = calloc((size_t)(limit > 0 ? limit : 1), sizeof *rows);
    if (!rows)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    int n = 0;
    while (n < limit && db_step(s) == DB_ROW) {
        rows[n].id = db_column_int64(s, 0);
        rows[n].peer = strdup((const char *)db_column_text(s, 1));
        rows[n].body = strdup((const char *)db_column_text(s, 2));
        rows[n].unsolicited = db_column_int(s, 3) != 0;
        n++;
    }
    db_reset(s);
    kz_status rc = KZ_OK;
    for (int i = 0; i < n; i++) {
        if (rc == KZ_OK && (!rows[i].peer || !rows[i].body))
            rc = kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        outbox_msg_row r = {rows[i].id, rows[i].peer, rows[i].body, rows[i].unsolicited};
        if (rc == KZ_OK && cb(ctx, &r) != 0)
            rc = KZ_ERR_IO;
        free(rows[i].peer);
        free(rows[i].body);
    }
    free(rows);
    return rc;
}

typedef struct add_parts_arg {
    int64_t message_id;
    const outbox_part_in *parts;
    size_t n;
    int64_t now;
} add_parts_arg;

static kz_status add_parts_tx(kz_queue *q, void *arg, kz_err *err)
{
    add_parts_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        db_stmt *s = stmt(q, QO_PART_ADD, err);
        if (!s)
            return KZ_ERR_DB;
        db_bind_int64(s, 1, a->message_id);
        db_bind_int(s, 2, (int)i + 1);
        db_bind_int(s, 3, (int)a->n);
        qstore_bind_text(s, 4, a->parts[i].pdu_hex);
        db_bind_int(s, 5, (int)a->parts[i].tpdu_len);
        db_bind_int64(s, 6, a->now);
        kz_status rc = qstore_exec(q, s, "storing an outbound part", err);
        if (rc != KZ_OK)
            return rc;
    }
    db_stmt *s = stmt(q, QO_SEGMENTS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->message_id);
    db_bind_int(s, 2, (int)a->n);
    db_bind_int64(s, 3, a->now);
    return qstore_exec(q, s, "counting segments", err);
}

kz_status qstore_outbox_add_parts(kz_queue *q, int64_t message_id, const outbox_part_in *parts,
                                  size_t n, int64_t now, kz_err *err)
{
    add_parts_arg a = {message_id, parts, n, now};
    return in_tx(q, add_parts_tx, &a, err);
}

kz_status qstore_outbox_fail_message(kz_queue *q, int64_t message_id, const char *error,
                                     int64_t now, kz_err *err)
{
    db_stmt *s = stmt(q, QO_MSG_FAIL, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, message_id);
    qstore_bind_text(s, 2, error);
    db_bind_int64(s, 3, now);
    return qstore_exec(q, s, "failing a message", err);
}

kz_status qstore_outbox_due_each(kz_queue *q, int64_t now, bool allow_unsolicited, int limit,
                                 int (*cb)(void *ctx, const outbox_part_row *row), void *ctx,
                                 kz_err *err)
{
    db_stmt *s = stmt(q, QO_DUE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, now);
    db_bind_int(s, 2, allow_unsolicited ? 1 : 0);
    db_bind_int(s, 3, limit);
    if (q->own_modems) {
        db_bind_text(s, 4, q->own_modems, -1, DB_STATIC);
        db_bind_int(s, 5, HOME_GRACE_S);
    }
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        outbox_part_row r = {
            .id = db_column_int64(s, 0),
            .message_id = db_column_int64(s, 1),
            .seq = (unsigned)db_column_int(s, 2),
            .total = (unsigned)db_column_int(s, 3),
            .peer = (const char *)db_column_text(s, 4),
            .pdu_hex = (const char *)db_column_text(s, 5),
            .tpdu_len = (size_t)db_column_int(s, 6),
            .attempts = db_column_int(s, 7),
            .unsolicited = db_column_int(s, 8) != 0,
            .pinned_modem = (const char *)db_column_text(s, 9),
        };
        if (cb(ctx, &r) != 0)
            break;
    }
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(q->st, err, "reading the outbox");
    return KZ_OK;
}

static kz_status count_add(kz_queue *q, const char *modem, const char *day, int delta,
                           kz_err *err)
{
    db_stmt *s = stmt(q, QO_COUNT_ADD, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, modem);
    qstore_bind_text(s, 2, day);
    db_bind_int(s, 3, delta);
    return qstore_exec(q, s, "counting a sent SMS", err);
}

static kz_status part_message(kz_queue *q, int64_t part_id, int64_t *message_id, kz_err *err)
{
    db_stmt *s = stmt(q, QO_PART_ID_MSG, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, part_id);
    int rc = db_step(s);
    *message_id = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no outbound part %lld",
                          (long long)part_id);
    return rc == DB_ROW ? KZ_OK : store_db_err(q->st, err, "reading a part");
}

typedef struct sending_arg {
    int64_t part_id;
    const char *modem, *day;
    int64_t now;
} sending_arg;

static kz_status sending_tx(kz_queue *q, void *arg, kz_err *err)
{
    sending_arg *a = arg;
    db_stmt *s = stmt(q, QO_SENDING, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->part_id);
    qstore_bind_text(s, 2, a->modem);
    db_bind_int64(s, 3, a->now);
    kz_status rc = qstore_exec(q, s, "marking a part sending", err);
    if (rc != KZ_OK)
        return rc;
    if (db_changes(q->st->db) == 0)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "part %lld is no longer queued",
                          (long long)a->part_id);
    if (!(s = stmt(q, QO_MSG_MODEM, err)))
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->part_id);
    qstore_bind_text(s, 2, a->modem);
    if ((rc = qstore_exec(q, s, "naming the message's modem", err)) != KZ_OK)
        return rc;
    if ((rc = count_add(q, a->modem, a->day, 1, err)) != KZ_OK)
        return rc;
    int64_t mid = 0;
    if ((rc = part_message(q, a->part_id, &mid, err)) != KZ_OK)
        return rc;
    return settle(q, mid, NULL, a->now, err);
}

kz_status qstore_outbox_sending(kz_queue *q, int64_t part_id, const char *modem,
                                const char *day, int64_t now, kz_err *err)
{
    sending_arg a = {part_id, modem, day, now};
    return in_tx(q, sending_tx, &a, err);
}

static kz_status unsend_tx(kz_queue *q, void *arg, kz_err *err)
{
    sending_arg *a = arg;
    db_stmt *s = stmt(q, QO_UNSEND, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->part_id);
    db_bind_int64(s, 2, a->now);
    char modem[64] = "";
    int rc = db_step(s);
    if (rc == DB_ROW)
        store_col_copy(s, 0, modem, sizeof modem);
    while (rc == DB_ROW)
        rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(q->st, err, "returning a part to the queue");
    kz_status st = KZ_OK;
    if (modem[0])
        st = count_add(q, modem, a->day, -1, err);
    int64_t mid = 0;
    if (st == KZ_OK)
        st = part_message(q, a->part_id, &mid, err);
    return st == KZ_OK ? settle(q, mid, NULL, a->now, err) : st;
}

kz_status qstore_outbox_unsend(kz_queue *q, int64_t part_id, const char *day, int64_t now,
                               kz_err *err)
{
    sending_arg a = {part_id, NULL, day, now};
    return in_tx(q, unsend_tx, &a, err);
}

typedef struct result_arg {
    int64_t part_id;
    outbox_outcome oc;
    int mr;
    const char *error;
    int64_t retry_at, now;
} result_arg;

static kz_status result_tx(kz_queue *q, void *arg, kz_err *err)
{
    result_arg *a = arg;
    int64_t mid = 0;
    kz_status rc = part_message(q, a->part_id, &mid, err);
    if (rc != KZ_OK)
        return rc;
    db_stmt *s = stmt(q, a->oc == OUTBOX_SENT    ? QO_SENT
                              : a->oc == OUTBOX_RETRY ? QO_RETRY
                                                      : QO_FAILED,
                           err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->part_id);
    if (a->oc == OUTBOX_SENT) {
        if (a->mr >= 0 && a->mr <= 255)
            db_bind_int(s, 2, a->mr);
        db_bind_int64(s, 3, a->now);
    } else if (a->oc == OUTBOX_RETRY) {
        qstore_bind_text(s, 2, a->error);
        db_bind_int64(s, 3, a->retry_at);
        db_bind_int64(s, 4, a->now);
    } else {
        qstore_bind_text(s, 2, a->error);
        db_bind_int64(s, 3, a->now);
    }
    if ((rc = qstore_exec(q, s, "recording a send outcome", err)) != KZ_OK)
        return rc;
    if (a->oc == OUTBOX_FAILED) {
        if (!(s = stmt(q, QO_FAIL_SIBLINGS, err)))
            return KZ_ERR_DB;
        db_bind_int64(s, 1, mid);
        db_bind_int64(s, 2, a->now);
        db_bind_int64(s, 3, a->part_id);
        if ((rc = qstore_exec(q, s, "failing the other parts", err)) != KZ_OK)
            return rc;
    }
    return settle(q, mid, a->oc == OUTBOX_SENT ? NULL : a->error, a->now, err);
}

kz_status qstore_outbox_result(kz_queue *q, int64_t part_id, outbox_outcome oc, int mr,
                               const char *error, int64_t retry_at, int64_t now, kz_err *err)
{
    result_arg a = {part_id, oc, mr, error, retry_at, now};
    return in_tx(q, result_tx, &a, err);
}

typedef struct report_arg {
    int64_t part_id;
    const char *modem, *peer, *error;
    int mr;
    outbox_report r;
    int64_t now;
    bool *matched;
} report_arg;

static kz_status match_mr(kz_queue *q, report_arg *a, kz_err *err)
{
    db_stmt *s = stmt(q, QO_MATCH_MR, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, a->modem);
    db_bind_int(s, 2, a->mr);
    qstore_bind_text(s, 3, a->peer);
    int rc = db_step(s);
    a->part_id = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    return rc == DB_ROW || rc == DB_DONE ? KZ_OK
                                                 : store_db_err(q->st, err, "matching a report");
}

static kz_status report_tx(kz_queue *q, void *arg, kz_err *err)
{
    report_arg *a = arg;
    *a->matched = false;
    kz_status rc = KZ_OK;
    if (a->part_id == 0 && (rc = match_mr(q, a, err)) != KZ_OK)
        return rc;
    if (a->part_id == 0)
        return KZ_OK;
    int64_t mid = 0;
    if (part_message(q, a->part_id, &mid, NULL) != KZ_OK)
        return KZ_OK; /* a send id from before a reset of the database: nothing to match */
    db_stmt *s = stmt(q, QO_REPORT, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, a->part_id);
    qstore_bind_text(s, 2, a->r == OUTBOX_DELIVERED ? "delivered" : "failed");
    qstore_bind_text(s, 3, a->error);
    db_bind_int64(s, 4, a->now);
    if ((rc = qstore_exec(q, s, "recording a delivery report", err)) != KZ_OK)
        return rc;
    *a->matched = db_changes(q->st->db) > 0;
    return settle(q, mid, a->r == OUTBOX_DELIVERED ? NULL : a->error, a->now, err);
}

kz_status qstore_outbox_report(kz_queue *q, int64_t part_id, const char *modem, int mr,
                               const char *peer, outbox_report r, const char *error, int64_t now,
                               bool *matched, kz_err *err)
{
    report_arg a = {part_id, modem, peer, error, mr, r, now, matched};
    return in_tx(q, report_tx, &a, err);
}

/* Run a RETURNING message_id update, then settle each message it touched. */
typedef struct sweep_arg {
    int update, settle_slot;
    const char *modem;
    bool resend;
    int64_t before, now;
    int64_t *n;
} sweep_arg;

static kz_status sweep_tx(kz_queue *q, void *arg, kz_err *err)
{
    sweep_arg *a = arg;
    db_stmt *s = stmt(q, a->update, err);
    if (!s)
        return KZ_ERR_DB;
    if (a->update == QO_RECOVER) {
        qstore_bind_text(s, 1, a->modem);
        db_bind_int(s, 2, a->resend ? 1 : 0);
        db_bind_int64(s, 3, a->now);
    } else {
        db_bind_int64(s, 1, a->before);
        db_bind_int64(s, 2, a->now);
    }
    int64_t ids[256];
    size_t n = 0;
    int rc;
    while ((rc = db_step(s)) == DB_ROW)
        if (n < 256)
            ids[n++] = db_column_int64(s, 0);
    int64_t changed = db_changes(q->st->db);
    db_reset(s);
    if (rc != DB_DONE)
        return store_db_err(q->st, err, "sweeping parts left sending");
    for (size_t i = 0; i < n; i++) {
        kz_status st = settle(q, ids[i], NULL, a->now, err);
        if (st != KZ_OK)
            return st;
    }
    if (a->n)
        *a->n = changed;
    return KZ_OK;
}

kz_status qstore_outbox_recover(kz_queue *q, const char *modem, bool resend, int64_t now,
                                int64_t *n, kz_err *err)
{
    sweep_arg a = {QO_RECOVER, QO_RECOVER_MSGS, modem, resend, 0, now, n};
    return in_tx(q, sweep_tx, &a, err);
}

kz_status qstore_outbox_expire_sending(kz_queue *q, int64_t before, int64_t now, int64_t *n,
                                       kz_err *err)
{
    sweep_arg a = {QO_EXPIRE, QO_EXPIRE_MSGS, NULL, false, before, now, n};
    return in_tx(q, sweep_tx, &a, err);
}

kz_status qstore_outbox_count_day(kz_queue *q, const char *modem, const char *day, int64_t *n,
                                  kz_err *err)
{
    db_stmt *s = stmt(q, QO_COUNT_DAY, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, modem);
    qstore_bind_text(s, 2, day);
    int rc = db_step(s);
    *n = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    return rc == DB_ROW ? KZ_OK : store_db_err(q->st, err, "reading the daily count");
}

kz_status qstore_outbox_depth(kz_queue *q, const char *day, outbox_depth *out, kz_err *err)
{
    db_stmt *s = stmt(q, QO_DEPTH, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, day);
    int rc = db_step(s);
    if (rc == DB_ROW)
        *out = (outbox_depth){db_column_int64(s, 0), db_column_int64(s, 1),
                              db_column_int64(s, 2), db_column_int64(s, 3),
                              db_column_int64(s, 4), db_column_int64(s, 5)};
    db_reset(s);
    return rc == DB_ROW ? KZ_OK : store_db_err(q->st, err, "reading the outbox depth");
}

kz_status qstore_modem_save(kz_queue *q, const modem_snapshot *m, kz_err *err)
{
    db_stmt *s = stmt(q, QO_MODEM_SAVE, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, m->name);
    qstore_bind_text(s, 2, m->device);
    qstore_bind_text(s, 3, m->imei ? m->imei : "");
    qstore_bind_text(s, 4, m->imsi ? m->imsi : "");
    qstore_bind_text(s, 5, m->operator_name ? m->operator_name : "");
    qstore_bind_text(s, 6, m->state);
    db_bind_int64(s, 7, m->updated_at);
    if (m->signal_dbm)
        db_bind_int(s, 8, m->signal_dbm);
    db_bind_int64(s, 9, m->queue);
    db_bind_int64(s, 10, m->sent);
    db_bind_int64(s, 11, m->received);
    db_bind_int64(s, 12, m->failed);
    qstore_bind_text(s, 13, m->last_error ? m->last_error : "");
    return qstore_exec(q, s, "saving a modem's state", err);
}

kz_status qstore_modems_each(kz_queue *q, const char *day,
                             int (*cb)(void *ctx, const modem_snapshot *s, int64_t sent_today),
                             void *ctx, kz_err *err)
{
    db_stmt *s = stmt(q, QO_MODEMS, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, day);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        modem_snapshot m = {
            .name = (const char *)db_column_text(s, 0),
            .device = (const char *)db_column_text(s, 1),
            .state = (const char *)db_column_text(s, 2),
            .operator_name = (const char *)db_column_text(s, 3),
            .imei = (const char *)db_column_text(s, 4),
            .imsi = (const char *)db_column_text(s, 5),
            .last_error = (const char *)db_column_text(s, 6),
            .signal_dbm = db_column_int(s, 7),
            .queue = db_column_int64(s, 8),
            .sent = db_column_int64(s, 9),
            .received = db_column_int64(s, 10),
            .failed = db_column_int64(s, 11),
            .updated_at = db_column_int64(s, 12),
        };
        if (cb(ctx, &m, db_column_int64(s, 13)) != 0)
            break;
    }
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(q->st, err, "reading modems");
    return KZ_OK;
}

kz_status qstore_outbox_attempts(kz_queue *q, int64_t part_id, int *attempts, kz_err *err)
{
    db_stmt *s = stmt(q, QO_ATTEMPTS, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, part_id);
    int rc = db_step(s);
    *attempts = rc == DB_ROW ? db_column_int(s, 0) : 0;
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no outbound part %lld",
                          (long long)part_id);
    return rc == DB_ROW ? KZ_OK : store_db_err(q->st, err, "reading attempts");
}

kz_status qstore_outbox_enqueue(kz_queue *q, const char *peer, int64_t worker_id,
                                const char *body, bool unsolicited, int64_t now, int64_t *id,
                                kz_err *err)
{
    db_stmt *s = stmt(q, QO_ENQUEUE, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, peer);
    db_bind_int64(s, 2, worker_id);
    qstore_bind_text(s, 3, body);
    qstore_bind_text(s, 4, unsolicited ? "unsolicited" : "reply");
    db_bind_int64(s, 5, now);
    kz_status rc = qstore_exec(q, s, "queueing an SMS", err);
    if (rc == KZ_OK && id)
        *id = db_last_insert_rowid(q->st->db);
    return rc;
}

kz_status qstore_worker_phone(kz_queue *q, int64_t worker_id, char *out, size_t cap,
                              kz_err *err)
{
    db_stmt *s = stmt(q, QO_PHONE, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, worker_id);
    int rc = db_step(s);
    if (rc == DB_ROW)
        store_col_copy(s, 0, out, cap);
    db_reset(s);
    if (rc == DB_DONE)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no worker %lld",
                          (long long)worker_id);
    return rc == DB_ROW ? KZ_OK : store_db_err(q->st, err, "reading a worker's phone");
}
