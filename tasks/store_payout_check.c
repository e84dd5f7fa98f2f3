/*
 * store_payout_check.c - the SQL of `kazi check`: one query per invariant of
 * the ledger (docs/payouts.md, "The ledger check"), each returning one
 * sentence per violation.
 * Owns: those queries. Never writes; never builds SQL from data.
 */
#include "payout_sql.h"

#define IN_FLIGHT "('requested','approved','sending','sent','unknown')"
#define ANSWER_HAS(kind) \
    "EXISTS (SELECT 1 FROM ledger_entries x WHERE x.answer_id = a.id AND x.kind = '" kind "')"

static const char *const checks[] = {
    /* Balances: never below zero (paid out more than earned). */
    "SELECT printf('worker %d has a negative balance: %d %s in minor units (more paid than earned)',"
    " w, s, c) FROM (SELECT worker_id w, currency c, sum(amount_minor) s FROM ledger_entries"
    " WHERE worker_id IS NOT NULL GROUP BY 1, 2) WHERE s < 0",
    /* No payout debited, reversed or charged a fee twice. */
    "SELECT printf('payout %d has %d %s entries; at most one is allowed', payout_id, count(*),"
    " kind) FROM ledger_entries WHERE payout_id IS NOT NULL"
    " AND kind IN ('payout','payout_reversal','payout_fee') GROUP BY payout_id, kind"
    " HAVING count(*) > 1",
    /* Each payout's entries fit its state. */
    "SELECT printf('payout %d is %s for %d but its ledger has a debit of %d and a reversal of %d"
    " (expected %s)', id, state, amount_minor, d, r, CASE WHEN state IN ('requested','approved')"
    " THEN 'none' WHEN state = 'failed' THEN 'none, or a debit and its reversal'"
    " ELSE 'one debit of the amount, no reversal' END) FROM (SELECT p.id, p.state,"
    " p.amount_minor, coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l"
    "  WHERE l.payout_id = p.id AND l.kind = 'payout'), 0) d,"
    " coalesce((SELECT sum(l.amount_minor) FROM ledger_entries l"
    "  WHERE l.payout_id = p.id AND l.kind = 'payout_reversal'), 0) r FROM payouts p)"
    " WHERE NOT CASE WHEN state IN ('requested','approved') THEN d = 0 AND r = 0"
    "  WHEN state = 'failed' THEN (d = 0 AND r = 0) OR (d = -amount_minor AND r = amount_minor)"
    "  ELSE d = -amount_minor AND r = 0 END",
    /* Entries name the payout's worker and currency; fees only for confirmed payouts. */
    "SELECT printf('ledger entry %d (%s) belongs to payout %d of worker %d in %s but names worker"
    " %s in %s', l.id, l.kind, p.id, p.worker_id, p.currency, coalesce(CAST(l.worker_id AS TEXT), 'none'),"
    " l.currency) FROM ledger_entries l JOIN payouts p ON p.id = l.payout_id"
    " WHERE l.kind IN ('payout','payout_reversal')"
    " AND (l.worker_id IS NOT p.worker_id OR l.currency <> p.currency)",
    "SELECT printf('ledger entry %d charges a transfer fee for payout %d, which is %s', l.id, p.id,"
    " p.state) FROM ledger_entries l JOIN payouts p ON p.id = l.payout_id"
    " WHERE l.kind = 'payout_fee' AND p.state <> 'confirmed'",
    "SELECT printf('ledger entry %d is a %s entry without a payout', id, kind) FROM ledger_entries"
    " WHERE kind IN ('payout','payout_reversal','payout_fee') AND payout_id IS NULL",
    /* Paid (the ledger) equals payouts confirmed or debited and unresolved. */
    "WITH paid AS (SELECT worker_id w, currency c, -sum(amount_minor) v FROM ledger_entries"
    "  WHERE kind IN ('payout','payout_reversal') AND worker_id IS NOT NULL GROUP BY 1, 2),"
    " owed AS (SELECT worker_id w, currency c, sum(amount_minor) v FROM payouts"
    "  WHERE state IN ('sending','sent','unknown','confirmed') GROUP BY 1, 2),"
    " k AS (SELECT w, c FROM paid UNION SELECT w, c FROM owed)"
    " SELECT printf('worker %d: the ledger says %d %s paid, the payouts confirmed or in flight"
    " say %d', k.w, coalesce(paid.v, 0), k.c, coalesce(owed.v, 0)) FROM k"
    " LEFT JOIN paid ON paid.w = k.w AND paid.c = k.c LEFT JOIN owed ON owed.w = k.w"
    " AND owed.c = k.c WHERE coalesce(paid.v, 0) <> coalesce(owed.v, 0)",
    /* One payout in flight per worker. */
    "SELECT printf('worker %d has %d payouts in flight; at most one is allowed', worker_id,"
    " count(*)) FROM payouts WHERE state IN " IN_FLIGHT " GROUP BY worker_id HAVING count(*) > 1",
    /* Holds follow rejections and appeals (docs/engine.md: reject adds a hold of minus
     * the reward, an overturned appeal a release of plus it, an upheld one nothing). */
    "SELECT printf('answer %d has %d hold and %d release entries; at most one each', a.id,"
    " (SELECT count(*) FROM ledger_entries x WHERE x.answer_id = a.id AND x.kind = 'hold'),"
    " (SELECT count(*) FROM ledger_entries x WHERE x.answer_id = a.id AND x.kind = 'release'))"
    " FROM answers a WHERE (SELECT count(*) FROM ledger_entries x WHERE x.answer_id = a.id"
    "  AND x.kind = 'hold') > 1 OR (SELECT count(*) FROM ledger_entries x"
    "  WHERE x.answer_id = a.id AND x.kind = 'release') > 1",
    "SELECT printf('answer %d is %s but %s', a.id, a.state, CASE WHEN " ANSWER_HAS("release")
    " AND NOT " ANSWER_HAS("hold") " THEN 'has a release without a hold'"
    " ELSE 'has a hold that was never released' END) FROM answers a"
    " WHERE (" ANSWER_HAS("release") " AND NOT " ANSWER_HAS("hold") ")"
    " OR (" ANSWER_HAS("hold") " AND NOT " ANSWER_HAS("release") " AND a.state <> 'rejected')",
    "SELECT printf('answer %d: its release (%d) does not undo its hold (%d)', a.id,"
    " (SELECT sum(x.amount_minor) FROM ledger_entries x WHERE x.answer_id = a.id"
    "  AND x.kind = 'release'), (SELECT sum(x.amount_minor) FROM ledger_entries x"
    "  WHERE x.answer_id = a.id AND x.kind = 'hold')) FROM answers a WHERE " ANSWER_HAS("release")
    " AND (SELECT sum(x.amount_minor) FROM ledger_entries x WHERE x.answer_id = a.id"
    "  AND x.kind IN ('hold','release')) <> 0",
    "SELECT printf('appeal %d is open but the money of answer %d is not held', p.id, a.id)"
    " FROM appeals p JOIN answers a ON a.id = p.answer_id WHERE p.state = 'open'"
    " AND " ANSWER_HAS("reward") " AND (NOT " ANSWER_HAS("hold") " OR " ANSWER_HAS("release") ")",
    "SELECT printf('appeal %d was overturned but the money of answer %d was not released', p.id,"
    " a.id) FROM appeals p JOIN answers a ON a.id = p.answer_id WHERE p.state = 'overturned'"
    " AND " ANSWER_HAS("hold") " AND NOT " ANSWER_HAS("release"),
    "SELECT printf('appeal %d was upheld but the money of answer %d was released', p.id, a.id)"
    " FROM appeals p JOIN answers a ON a.id = p.answer_id WHERE p.state = 'upheld'"
    " AND " ANSWER_HAS("release")
    " AND NOT EXISTS (SELECT 1 FROM appeals q WHERE q.answer_id = a.id AND q.state = 'overturned')",
    /* Retainers accrue once per day, at the retainer's rate, to its worker. */
    "SELECT printf('retainer entry %d is not recorded as a day of any retainer', l.id)"
    " FROM ledger_entries l WHERE l.kind = 'retainer'"
    " AND NOT EXISTS (SELECT 1 FROM retainer_days d WHERE d.ledger_id = l.id)",
    "SELECT printf('retainer %d day %s: entry %d is %s %d for worker %s, expected retainer %d"
    " for worker %d', r.id, d.day, l.id, l.kind, l.amount_minor, coalesce(CAST(l.worker_id AS TEXT), 'none'),"
    " r.amount_minor, r.worker_id) FROM retainer_days d JOIN retainers r ON r.id = d.retainer_id"
    " JOIN ledger_entries l ON l.id = d.ledger_id WHERE l.kind <> 'retainer'"
    " OR l.amount_minor <> r.amount_minor OR l.worker_id IS NOT r.worker_id"
    " OR l.currency <> r.currency",
};

static kz_status run_check(kz_store *st, const char *sql,
                           void (*cb)(void *ctx, const char *problem), void *ctx,
                           size_t *problems, kz_err *err)
{
    db_stmt *s = pay_prep(st, sql, err);
    if (!s)
        return KZ_ERR_DB;
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        (*problems)++;
        const unsigned char *t = db_column_text(s, 0);
        if (cb)
            cb(ctx, t ? (const char *)t : "(no text)");
    }
    kz_status out = rc == DB_DONE ? KZ_OK : store_db_err(st, err, "checking the ledger");
    pay_done(s);
    return out;
}

kz_status store_pay_check(kz_store *st, void (*cb)(void *ctx, const char *problem), void *ctx,
                          size_t *problems, kz_err *err)
{
    kz_status rc = KZ_OK;
    for (size_t i = 0; rc == KZ_OK && i < sizeof checks / sizeof checks[0]; i++)
        rc = run_check(st, checks[i], cb, ctx, problems, err);
    return rc;
}

kz_status store_pay_worker_sums_each(kz_store *st,
                                     int (*cb)(void *ctx, int64_t worker_id,
                                               const char *currency, int64_t sum,
                                               int64_t paid, int64_t expect_paid),
                                     void *ctx, kz_err *err)
{
    db_stmt *s = pay_prep(
        st,
        "SELECT l.worker_id, l.currency, sum(l.amount_minor),"
        " -coalesce(sum(CASE WHEN l.kind IN ('payout','payout_reversal') THEN l.amount_minor END), 0),"
        " coalesce((SELECT sum(p.amount_minor) FROM payouts p WHERE p.worker_id = l.worker_id"
        "  AND p.currency = l.currency AND p.state IN ('sending','sent','unknown','confirmed')), 0)"
        " FROM ledger_entries l WHERE l.worker_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
        err);
    if (!s)
        return KZ_ERR_DB;
    int rc;
    kz_status out = KZ_OK;
    while ((rc = db_step(s)) == DB_ROW) {
        char cur[4];
        store_col_copy(s, 1, cur, sizeof cur);
        if (cb(ctx, db_column_int64(s, 0), cur, db_column_int64(s, 2),
               db_column_int64(s, 3), db_column_int64(s, 4)) != 0) {
            out = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "checking balances: stopped");
            break;
        }
    }
    if (out == KZ_OK && rc != DB_DONE)
        out = store_db_err(st, err, "checking balances");
    pay_done(s);
    return out;
}
