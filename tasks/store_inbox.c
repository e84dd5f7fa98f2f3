/*
 * store_inbox.c - the SQL of the durable inbox (inbox_parts) and the kz_queue
 * handle shared with store_outbox.c (see queue_store.h).
 * Owns: the inbox statements and qstore_open/close. Never decodes a PDU and
 * never decides when a set is handed over: gateway/inbox.c does.
 */
#include "store_queue_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    QI_ADD = 0,
    QI_READY,
    QI_PARTS,
    QI_SET_DONE,
    QI_BY_KEY,
    QI_RECORD,
    QI_WAITING,
    QI_SP_OPEN,
    QI_SP_KEEP,
    QI_SP_UNDO,
    QI_NOTE_MODEM,
    QI_MODEM_ROW,
    QI__END
};

static const char *const inbox_sql[QI__END] = {
    [QI_ADD] = "INSERT INTO inbox_parts(modem, sender, ref, ref_bits, total, seq, scts, pdu_hex,"
               " dedupe_key, set_key, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
               " ?10, ?11) ON CONFLICT(dedupe_key) DO NOTHING",
    /* ?3: ",m1,m2," (this daemon's modems on a shared database) or NULL for all. */
    [QI_READY] = "SELECT set_key FROM inbox_parts WHERE message_id IS NULL"
                 " AND (CAST(?3 AS TEXT) IS NULL OR instr(?3, ',' || modem || ',') > 0)"
                 " GROUP BY set_key"
                 " HAVING count(DISTINCT seq) >= max(total) OR max(received_at) < ?1"
                 " ORDER BY min(id) LIMIT ?2",
    [QI_PARTS] = "SELECT id, modem, sender, seq, total, pdu_hex, dedupe_key, received_at"
                 " FROM inbox_parts WHERE set_key = ?1 AND message_id IS NULL ORDER BY seq, id",
    [QI_SET_DONE] = "UPDATE inbox_parts SET message_id = ?2 WHERE set_key = ?1"
                    " AND message_id IS NULL",
    [QI_BY_KEY] = "SELECT id FROM messages WHERE dedupe_key = ?1",
    [QI_RECORD] = "INSERT INTO messages(direction, peer, body, segments, state, dedupe_key,"
                  " created_at, updated_at) VALUES ('in', ?1, ?2, ?3, 'received', ?4, ?5, ?5)",
    [QI_WAITING] = "SELECT count(*) FROM inbox_parts WHERE message_id IS NULL",
    [QI_SP_OPEN] = "SAVEPOINT inbox_set",
    [QI_SP_KEEP] = "RELEASE inbox_set",
    [QI_SP_UNDO] = "ROLLBACK TO inbox_set",
    [QI_MODEM_ROW] = "INSERT INTO modems(name, created_at) VALUES (?1, ?2)"
                     " ON CONFLICT(name) DO NOTHING",
    [QI_NOTE_MODEM] = "UPDATE messages SET modem_id = (SELECT id FROM modems WHERE name = ?2)"
                      " WHERE id = ?1 AND direction = 'in' AND modem_id IS NULL",
};

kz_status qstore_open(kz_store *st, kz_queue **out, kz_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    (*out)->st = st;
    return KZ_OK;
}


void qstore_close(kz_queue *q)
{
    if (!q)
        return;
    free(q->own_modems);
    for (int i = 0; i < QSTORE_SLOTS; i++)
        db_finalize(q->slot[i]);
    free(q);
}

kz_store *qstore_store(kz_queue *q)
{
    return q->st;
}

db_stmt *qstore_stmt(kz_queue *q, int slot, const char *sql, kz_err *err)
{
    db_stmt *s = q->slot[slot];
    if (!s) {
        if (db_prepare(q->st->db, sql, 1, &s) !=
            DB_OK) {
            store_db_err(q->st, err, "preparing a queue statement");
            return NULL;
        }
        q->slot[slot] = s;
    }
    db_reset(s);
    db_clear_bindings(s);
    return s;
}

kz_status qstore_exec(kz_queue *q, db_stmt *s, const char *what, kz_err *err)
{
    int rc = db_step(s);
    db_reset(s);
    if (rc == DB_DONE || rc == DB_ROW)
        return KZ_OK;
    if (rc == DB_BUSY)
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "%s: database is locked", what);
    return store_db_err(q->st, err, what);
}

void qstore_bind_text(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, -1, DB_TRANSIENT);
    else
        db_bind_null(s, i);
}

static db_stmt *inbox_stmt(kz_queue *q, int id, kz_err *err)
{
    return qstore_stmt(q, id, inbox_sql[id], err);
}

kz_status qstore_set_own_modems(kz_queue *q, const char *const *names, size_t n, kz_err *err)
{
    size_t len = 2;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *list = malloc(len);
    if (!list)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    size_t at = 0;
    list[at++] = ',';
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(names[i]);
        memcpy(list + at, names[i], k);
        at += k;
        list[at++] = ',';
    }
    list[at] = '\0';
    free(q->own_modems);
    q->own_modems = list;
    /* each modem's row, which inbound messages point at (qstore_inbox_note_modem) */
    for (size_t i = 0; i < n; i++) {
        db_stmt *s = inbox_stmt(q, QI_MODEM_ROW, err);
        if (!s)
            return KZ_ERR_DB;
        qstore_bind_text(s, 1, names[i]);
        db_bind_int64(s, 2, store_now());
        kz_status rc = qstore_exec(q, s, "adding a modem's row", err);
        if (rc != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

kz_status qstore_inbox_add(kz_queue *q, const inbox_part_in *p, bool *dup, kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_ADD, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, p->modem);
    qstore_bind_text(s, 2, p->sender);
    db_bind_int(s, 3, (int)p->ref);
    db_bind_int(s, 4, (int)p->ref_bits);
    db_bind_int(s, 5, (int)p->total);
    db_bind_int(s, 6, (int)p->seq);
    qstore_bind_text(s, 7, p->scts);
    qstore_bind_text(s, 8, p->pdu_hex);
    qstore_bind_text(s, 9, p->dedupe_key);
    qstore_bind_text(s, 10, p->set_key);
    db_bind_int64(s, 11, p->received_at);
    kz_status rc = qstore_exec(q, s, "storing an inbound SMS part", err);
    if (rc == KZ_OK)
        *dup = db_changes(q->st->db) == 0;
    return rc;
}

kz_status qstore_inbox_ready_each(kz_queue *q, int64_t stale_before, int limit,
                                  int (*cb)(void *ctx, const char *set_key), void *ctx,
                                  kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_READY, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, stale_before);
    db_bind_int(s, 2, limit);
    if (q->own_modems)
        db_bind_text(s, 3, q->own_modems, -1, DB_STATIC);
    /* Collect first: the callback writes, which must not run under an open read. */
    char **keys = calloc((size_t)(limit > 0 ? limit : 1), sizeof *keys);
    if (!keys)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    int n = 0, rc;
    while (n < limit && (rc = db_step(s)) == DB_ROW)
        keys[n++] = strdup((const char *)db_column_text(s, 0));
    db_reset(s);
    kz_status st = KZ_OK;
    for (int i = 0; i < n; i++) {
        if (st == KZ_OK && !keys[i])
            st = kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
        if (st == KZ_OK && cb(ctx, keys[i]) != 0)
            st = KZ_ERR_IO;
        free(keys[i]);
    }
    free(keys);
    return st;
}

kz_status qstore_inbox_parts_each(kz_queue *q, const char *set_key,
                                  int (*cb)(void *ctx, const inbox_part_row *row), void *ctx,
                                  kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_PARTS, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, set_key);
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        inbox_part_row r = {
            .id = db_column_int64(s, 0),
            .modem = (const char *)db_column_text(s, 1),
            .sender = (const char *)db_column_text(s, 2),
            .seq = (unsigned)db_column_int(s, 3),
            .total = (unsigned)db_column_int(s, 4),
            .pdu_hex = (const char *)db_column_text(s, 5),
            .dedupe_key = (const char *)db_column_text(s, 6),
            .received_at = db_column_int64(s, 7),
        };
        if (cb(ctx, &r) != 0) {
            db_reset(s);
            return KZ_ERR_IO;
        }
    }
    db_reset(s);
    return rc == DB_DONE ? KZ_OK : store_db_err(q->st, err, "reading inbound parts");
}

kz_status qstore_inbox_set_done(kz_queue *q, const char *set_key, int64_t message_id,
                                kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_SET_DONE, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, set_key);
    db_bind_int64(s, 2, message_id);
    return qstore_exec(q, s, "marking inbound parts handled", err);
}

kz_status qstore_inbox_note_modem(kz_queue *q, int64_t message_id, const char *modem,
                                  kz_err *err)
{
    if (!q->own_modems) /* one daemon: every reply is its own to send */
        return KZ_OK;
    db_stmt *s = inbox_stmt(q, QI_NOTE_MODEM, err);
    if (!s)
        return KZ_ERR_DB;
    db_bind_int64(s, 1, message_id);
    qstore_bind_text(s, 2, modem);
    return qstore_exec(q, s, "noting the modem a message came through", err);
}

kz_status qstore_message_by_key(kz_queue *q, const char *dedupe_key, int64_t *id, kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_BY_KEY, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, dedupe_key);
    int rc = db_step(s);
    *id = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(q->st, err, "looking up a message");
    return KZ_OK;
}

kz_status qstore_inbox_record(kz_queue *q, const char *peer, const char *body, int segments,
                              const char *dedupe_key, int64_t now, int64_t *id, kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_RECORD, err);
    if (!s)
        return KZ_ERR_DB;
    qstore_bind_text(s, 1, peer);
    qstore_bind_text(s, 2, body);
    db_bind_int(s, 3, segments < 1 ? 1 : segments);
    qstore_bind_text(s, 4, dedupe_key);
    db_bind_int64(s, 5, now);
    int rc = db_step(s);
    db_reset(s);
    if (rc == DB_CONSTRAINT)
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "message already recorded");
    if (rc != DB_DONE)
        return store_db_err(q->st, err, "recording an inbound message");
    *id = db_last_insert_rowid(q->st->db);
    return KZ_OK;
}

kz_status qstore_inbox_waiting(kz_queue *q, int64_t *n, kz_err *err)
{
    db_stmt *s = inbox_stmt(q, QI_WAITING, err);
    if (!s)
        return KZ_ERR_DB;
    int rc = db_step(s);
    *n = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    return rc == DB_ROW ? KZ_OK : store_db_err(q->st, err, "counting inbound parts");
}

kz_status qstore_inbox_savepoint(kz_queue *q, qstore_savepoint op, kz_err *err)
{
    int id = op == QSTORE_SP_OPEN ? QI_SP_OPEN : op == QSTORE_SP_KEEP ? QI_SP_KEEP : QI_SP_UNDO;
    db_stmt *s = inbox_stmt(q, id, err);
    if (!s)
        return KZ_ERR_DB;
    kz_status rc = qstore_exec(q, s, "an inbound set's savepoint", err);
    if (rc != KZ_OK || op != QSTORE_SP_UNDO)
        return rc;
    return qstore_inbox_savepoint(q, QSTORE_SP_KEEP, err); /* ROLLBACK TO leaves it open */
}
