/*
 * store_abuse.c - the SQL of the inbound abuse limits (see store_abuse.h).
 * Owns: its statements, cached in the top ABUSE_SLOTS entries of
 * kz_store.conv[] (store_conv.c uses the entries from 0 up and stays below
 * STORE_CONV_STMTS - ABUSE_SLOTS). Never opens or commits a transaction.
 */
#include "store_abuse.h"

#include "store_internal.h"

typedef enum sa_id {
    SA_IN_COUNT,
    SA_REPEAT_COUNT,
    SA_REASON_SEEN,
    SA_FLAG_SEEN,
    SA_FLAG_ADD,
    SA_FLAGS,
    SA__COUNT
} sa_id;

#define ABUSE_SLOTS 8
#define ABUSE_FIRST (STORE_CONV_STMTS - ABUSE_SLOTS)

_Static_assert(SA__COUNT <= ABUSE_SLOTS, "store_abuse.c: grow ABUSE_SLOTS");

/* Counts stop at ?4 rows: the subquery's LIMIT keeps a flood cheap to count. */
static const char *const sa_sql[SA__COUNT] = {
    [SA_IN_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE peer = ?1"
                    " AND created_at >= ?2 AND direction = 'in' AND channel = 'sms'"
                    " AND id <> ?3 LIMIT ?4)",
    [SA_REPEAT_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE peer = ?1"
                        " AND norm_hash = ?5 AND created_at >= ?2 AND direction = 'in'"
                        " AND id <> ?3 LIMIT ?4)",
    [SA_REASON_SEEN] = "SELECT 1 FROM messages WHERE peer = ?1 AND created_at >= ?2"
                       " AND direction = 'in' AND id <> ?3 AND reason = ?4 LIMIT 1",
    [SA_FLAG_SEEN] = "SELECT 1 FROM number_flags WHERE peer = ?1 AND kind = ?2 AND day = ?3",
    [SA_FLAG_ADD] = "INSERT INTO number_flags(peer, kind, day, first_at, last_at, message_id)"
                    " VALUES (?1, ?2, ?3, ?4, ?4, nullif(?5, 0))"
                    " ON CONFLICT(peer, kind, day) DO UPDATE SET hits = number_flags.hits + 1,"
                    " last_at = max(number_flags.last_at, excluded.last_at)",
    [SA_FLAGS] = "SELECT f.peer, f.kind, f.day, f.first_at, f.last_at, f.hits,"
                 " coalesce(f.message_id, 0), coalesce(w.id, 0)"
                 " FROM number_flags f LEFT JOIN workers w ON w.phone = f.peer"
                 " ORDER BY f.last_at DESC, f.peer, f.kind",
};

static db_stmt *sa_stmt(kz_store *st, sa_id id, kz_err *err)
{
    db_stmt **slot = &st->conv[ABUSE_FIRST + id];
    if (!*slot && db_prepare(st->db, sa_sql[id], 1, slot) != DB_OK) {
        store_db_err(st, err, "preparing an abuse-limit statement");
        return NULL;
    }
    db_reset(*slot);
    db_clear_bindings(*slot);
    return *slot;
}

static void bind_text(db_stmt *s, int i, const char *v)
{
    if (v)
        db_bind_text(s, i, v, -1, DB_TRANSIENT);
    else
        db_bind_null(s, i);
}

/* Step s once expecting a row or nothing: *v column 0 (0 without a row). */
static kz_status one_int(kz_store *st, db_stmt *s, int64_t *v, const char *what,
                         kz_err *err)
{
    int rc = db_step(s);
    *v = rc == DB_ROW ? db_column_int64(s, 0) : 0;
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_db_err(st, err, what);
    return KZ_OK;
}

static kz_status run(kz_store *st, db_stmt *s, const char *what, kz_err *err)
{
    int rc = db_step(s);
    db_reset(s);
    return rc == DB_DONE ? KZ_OK : store_db_err(st, err, what);
}

kz_status store_abuse_inbound_count(kz_store *st, const char *peer, int64_t since, int64_t self,
                                    int64_t limit, int64_t *n, kz_err *err)
{
    db_stmt *s = sa_stmt(st, SA_IN_COUNT, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, since);
    db_bind_int64(s, 3, self);
    db_bind_int64(s, 4, limit);
    return one_int(st, s, n, "counting a number's inbound messages", err);
}

kz_status store_abuse_repeat_count(kz_store *st, const char *peer, int64_t norm, int64_t since,
                                   int64_t self, int64_t limit, int64_t *n, kz_err *err)
{
    db_stmt *s = sa_stmt(st, SA_REPEAT_COUNT, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, since);
    db_bind_int64(s, 3, self);
    db_bind_int64(s, 4, limit);
    db_bind_int64(s, 5, norm);
    return one_int(st, s, n, "counting a number's repeated messages", err);
}

kz_status store_abuse_reason_seen(kz_store *st, const char *peer, const char *reason,
                                  int64_t since, int64_t self, bool *seen, kz_err *err)
{
    db_stmt *s = sa_stmt(st, SA_REASON_SEEN, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    db_bind_int64(s, 2, since);
    db_bind_int64(s, 3, self);
    bind_text(s, 4, reason);
    int64_t v = 0;
    kz_status rc = one_int(st, s, &v, "looking for a limited message", err);
    *seen = v != 0;
    return rc;
}

kz_status store_abuse_flag(kz_store *st, const char *peer, const char *kind, const char *day,
                           int64_t at, int64_t message_id, bool *first, kz_err *err)
{
    db_stmt *s = sa_stmt(st, SA_FLAG_SEEN, err);
    if (!s)
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    bind_text(s, 2, kind);
    bind_text(s, 3, day);
    int64_t seen = 0;
    kz_status rc = one_int(st, s, &seen, "reading a number flag", err);
    if (rc != KZ_OK)
        return rc;
    *first = seen == 0;
    if (!(s = sa_stmt(st, SA_FLAG_ADD, err)))
        return KZ_ERR_DB;
    bind_text(s, 1, peer);
    bind_text(s, 2, kind);
    bind_text(s, 3, day);
    db_bind_int64(s, 4, at);
    db_bind_int64(s, 5, message_id);
    return run(st, s, "flagging a number", err);
}

kz_status store_abuse_flags_each(kz_store *st, int (*cb)(void *ctx, const store_flag_row *r),
                                 void *ctx, kz_err *err)
{
    db_stmt *s = sa_stmt(st, SA_FLAGS, err);
    if (!s)
        return KZ_ERR_DB;
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        store_flag_row r = {
            .peer = (const char *)db_column_text(s, 0),
            .kind = (const char *)db_column_text(s, 1),
            .day = (const char *)db_column_text(s, 2),
            .first_at = db_column_int64(s, 3),
            .last_at = db_column_int64(s, 4),
            .hits = db_column_int64(s, 5),
            .message_id = db_column_int64(s, 6),
            .worker_id = db_column_int64(s, 7),
        };
        if (cb(ctx, &r) != 0) {
            db_reset(s);
            return KZ_OK;
        }
    }
    db_reset(s);
    return rc == DB_DONE ? KZ_OK : store_db_err(st, err, "listing number flags");
}
