/*
 * test_engine_money.c - the money side of the engine (tasks/engine_answer.c,
 * tasks/engine_money.c): a reward and an SMS refund per on-time answer and
 * never twice, rejection with a hold, appeals overturned and upheld, the
 * appeal window, automatic acceptance, and balance = sum of entries.
 */
#include "test_engine_fixture.h"

/* The sum of a worker's ledger entries in KES. */
static int64_t ledger_sum(fx *f, int64_t w)
{
    return fx_int(f, "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE"
                     " worker_id = %lld AND currency = 'KES'",
                  (long long)w);
}

static engine_balance balance(fx *f, int64_t w, int64_t now)
{
    engine_balance b;
    kz_err err;
    KT_CHECK(engine_balance_at(f->st, w, "KES", now, &b, &err) == KZ_OK, "balance: %s", err.msg);
    return b;
}

/* Offer a task to a fresh worker and answer it with a message of segs segments. */
static int64_t paid_answer(fx *f, int64_t *worker, int segs, engine_answer_result *r)
{
    *worker = fx_worker(f);
    engine_offer o;
    int ref = fx_offer(f, *worker, FX_T0, &o);
    KT_CHECK(ref != 0, "offered");
    int64_t msg = fx_message(f, *worker, "1 1", segs);
    kz_err err;
    kz_status rc =
        engine_answer(f->st, &f->cfg, *worker, ref, "1", msg, segs, FX_T0 + 60, r, &err);
    KT_CHECK(rc == KZ_OK && r->status == ENGINE_ANSWER_OK, "answer: %d %s", r->status, err.msg);
    return msg;
}

static void test_reward_and_refund(void)
{
    fx f;
    fx_open(&f, "reward");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 3, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    int64_t w;
    engine_answer_result r;
    int64_t msg = paid_answer(&f, &w, 2, &r);
    KT_CHECK(r.earned_minor == 300 + 2 * 120 && strcmp(r.currency, "KES") == 0,
             "earned %lld", (long long)r.earned_minor);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE answer_id = %lld AND"
                        " kind = 'reward' AND amount_minor = 300",
                    (long long)r.answer_id) == 1,
             "one reward entry");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE message_id = %lld AND"
                        " kind = 'sms_refund' AND amount_minor = 240",
                    (long long)msg) == 1,
             "one refund entry for the message");
    engine_balance bal = balance(&f, w, FX_T0 + 60);
    KT_CHECK(bal.available_minor == 540 && bal.available_minor == ledger_sum(&f, w) &&
                 bal.held_minor == 0 && bal.earned_minor == 540 && bal.paid_minor == 0,
             "balance %lld", (long long)bal.available_minor);
    /* Never twice: the database refuses a second reward for the answer... */
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency, answer_id,"
             " created_at) VALUES (%lld, 'reward', 300, 'KES', %lld, 0)",
             (long long)w, (long long)r.answer_id);
    KT_CHECK((db_exec(f.raw, sql) & 0xff) == DB_CONSTRAINT, "second reward");
    /* ...and the same message is refunded once, whoever asks. */
    int64_t credited = -1;
    kz_err err;
    KT_CHECK(engine_sms_refund(f.st, &f.cfg, w, msg, 2, FX_T0, &credited, &err) == KZ_OK &&
                 credited == 0,
             "refund of a refunded message: %lld", (long long)credited);
    int64_t next = fx_message(&f, w, "NEXT", 1);
    KT_CHECK(engine_sms_refund(f.st, &f.cfg, w, next, 1, FX_T0, &credited, &err) == KZ_OK &&
                 credited == 120,
             "NEXT refunded");
    KT_CHECK(engine_sms_refund(f.st, &f.cfg, w, next, 1, FX_T0, &credited, &err) == KZ_OK &&
                 credited == 0,
             "NEXT refunded once");
    KT_CHECK(engine_sms_refund(f.st, &f.cfg, w, 0, 1, FX_T0, &credited, &err) == KZ_ERR_INVALID,
             "refund needs a message");
    KT_CHECK(balance(&f, w, FX_T0).available_minor == 660 && ledger_sum(&f, w) == 660,
             "balance after NEXT");
    /* An answer in a message already refunded (conversation layer got there first). */
    int64_t w2 = fx_worker(&f);
    int ref = fx_offer(&f, w2, FX_T0, NULL);
    int64_t m2 = fx_message(&f, w2, "1 2", 1);
    KT_CHECK(engine_sms_refund(f.st, &f.cfg, w2, m2, 1, FX_T0, &credited, &err) == KZ_OK, "pre");
    KT_CHECK(engine_answer(f.st, &f.cfg, w2, ref, "2", m2, 1, FX_T0 + 5, &r, &err) == KZ_OK &&
                 r.status == ENGINE_ANSWER_OK && r.earned_minor == 300,
             "reward only: %lld", (long long)r.earned_minor);
    KT_CHECK(ledger_sum(&f, w2) == 420, "w2 sum %lld", (long long)ledger_sum(&f, w2));
    /* A zero-reward task pays the refund only. */
    int64_t b0 = fx_batch(&f, "free", 1, 0);
    fx_task(&f, b0, "z", "verify", "Yes|No", NULL, 0);
    int64_t w3 = fx_worker(&f);
    engine_offer o;
    int64_t b3 = 0;
    while ((ref = fx_offer(&f, w3, FX_T0, &o)) != 0 && o.reward_minor != 0)
        b3++;
    KT_CHECK(ref != 0, "zero-reward task offered after %lld", (long long)b3);
    KT_CHECK(engine_answer(f.st, &f.cfg, w3, ref, "1", 0, 1, FX_T0 + 5, &r, &err) == KZ_OK &&
                 r.earned_minor == 120,
             "zero reward: %lld", (long long)r.earned_minor);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE amount_minor = 0") == 0,
             "no zero entries");
    fx_close(&f);
}

static void test_reject_and_appeals(void)
{
    fx f;
    fx_open(&f, "appeal");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 3, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    fx_task(&f, b, "t2", "verify", "Yes|No", NULL, 0);
    int64_t w1, w2;
    engine_answer_result r1, r2;
    paid_answer(&f, &w1, 1, &r1);
    paid_answer(&f, &w2, 1, &r2);
    kz_err err;
    int64_t t_rej = FX_T0 + FX_HOUR;
    KT_CHECK(engine_reject(f.st, r1.answer_id, "", t_rej, &err) == KZ_ERR_INVALID, "no reason");
    KT_CHECK(engine_reject(f.st, r1.answer_id, NULL, t_rej, &err) == KZ_ERR_INVALID, "NULL");
    KT_CHECK(engine_reject(f.st, 9999, "x", t_rej, &err) == KZ_ERR_NOTFOUND, "no answer");
    int64_t appeal = 0;
    KT_CHECK(engine_appeal_open(f.st, w1, 1, "please", t_rej, &appeal, &err) == KZ_ERR_STATE,
             "appeal before rejection");
    KT_CHECK(engine_reject(f.st, r1.answer_id, "photo shows a closed shop", t_rej, &err) == KZ_OK,
             "reject: %s", err.msg);
    KT_CHECK(engine_reject(f.st, r1.answer_id, "again", t_rej, &err) == KZ_ERR_STATE, "twice");
    KT_CHECK(fx_int(&f, "SELECT amount_minor FROM ledger_entries WHERE answer_id = %lld AND"
                        " kind = 'hold'",
                    (long long)r1.answer_id) == -300,
             "hold of minus the reward");
    engine_balance bal = balance(&f, w1, t_rej);
    KT_CHECK(bal.available_minor == 120 && bal.held_minor == 300 &&
                 bal.available_minor == ledger_sum(&f, w1),
             "held, not forfeited: avail %lld held %lld", (long long)bal.available_minor,
             (long long)bal.held_minor);
    /* Overturned. */
    KT_CHECK(engine_appeal_open(f.st, w1, 1, "it was open at 9", t_rej + 60, &appeal, &err) ==
                     KZ_OK &&
                 appeal > 0,
             "appeal: %s", err.msg);
    KT_CHECK(engine_appeal_open(f.st, w1, 1, "again", t_rej + 70, &appeal, &err) ==
                 KZ_ERR_STATE,
             "one appeal per answer");
    KT_CHECK(balance(&f, w1, t_rej + FX_DAY * 40).held_minor == 300,
             "an open appeal holds past the window");
    KT_CHECK(engine_appeal_decide(f.st, appeal, true, "amina", "", t_rej, &err) ==
                 KZ_ERR_INVALID,
             "decision needs a reason");
    KT_CHECK(engine_appeal_decide(f.st, appeal, true, "amina", "photo was old", t_rej + 120,
                                  &err) == KZ_OK,
             "overturn: %s", err.msg);
    KT_CHECK(engine_appeal_decide(f.st, appeal, false, "amina", "x", t_rej + 130, &err) ==
                 KZ_ERR_STATE,
             "decided once");
    bal = balance(&f, w1, t_rej + 200);
    KT_CHECK(bal.available_minor == 420 && bal.held_minor == 0 && ledger_sum(&f, w1) == 420,
             "released: %lld", (long long)bal.available_minor);
    KT_CHECK(fx_int(&f, "SELECT state = 'accepted' FROM answers WHERE id = %lld",
                    (long long)r1.answer_id) == 1,
             "answer accepted");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE answer_id = %lld",
                    (long long)r1.answer_id) == 4,
             "reward, refund, hold, release");
    /* Upheld. */
    KT_CHECK(engine_reject(f.st, r2.answer_id, "answered before looking", t_rej, &err) == KZ_OK,
             "reject 2");
    KT_CHECK(engine_appeal_open(f.st, w2, 1, "", t_rej + 60, &appeal, &err) == KZ_OK,
             "appeal without words");
    KT_CHECK(engine_appeal_decide(f.st, appeal, false, NULL, "the photo is clear", t_rej + 120,
                                  &err) == KZ_OK,
             "uphold");
    bal = balance(&f, w2, t_rej + 200);
    KT_CHECK(bal.available_minor == 120 && bal.held_minor == 0 && ledger_sum(&f, w2) == 120,
             "upheld: the hold is final: %lld", (long long)bal.available_minor);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE answer_id = %lld",
                    (long long)r2.answer_id) == 3,
             "reward, refund, hold");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM appeals WHERE state = 'open'") == 0, "none open");
    fx_close(&f);
}

static void test_window_and_auto_accept(void)
{
    fx f;
    fx_open(&f, "window");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 5, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    int64_t w[4];
    engine_answer_result r[4];
    for (int i = 0; i < 4; i++)
        paid_answer(&f, &w[i], 1, &r[i]);
    kz_err err;
    KT_CHECK(engine_reject(f.st, r[0].answer_id, "blurred", FX_T0 + FX_HOUR, &err) == KZ_OK, "r");
    int64_t later = FX_T0 + FX_HOUR + (int64_t)(ENGINE_APPEAL_DAYS + 1) * FX_DAY;
    KT_CHECK(balance(&f, w[0], FX_T0 + 2 * FX_HOUR).held_minor == 300, "held in the window");
    KT_CHECK(balance(&f, w[0], later).held_minor == 0, "final after the window");
    int64_t appeal;
    KT_CHECK(engine_appeal_open(f.st, w[0], 1, "late", later, &appeal, &err) == KZ_ERR_STATE,
             "no appeal after the window");
    /* The rejected answer no longer counts: the task wants one more. */
    engine_result res;
    engine_result_get(f.st, fx_int(&f, "SELECT id FROM tasks WHERE ext_id = 't1'"), &res, &err);
    KT_CHECK(res.wanted == 6, "wanted %d", res.wanted);
    /* Auto-accept after auto_accept_days; rejected answers stay rejected. */
    size_t n = 9;
    int64_t day6 = FX_T0 + 6 * FX_DAY, day8 = FX_T0 + 8 * FX_DAY;
    KT_CHECK(engine_auto_accept(f.st, &f.cfg, day6, &n, &err) == KZ_OK && n == 0, "day 6: %zu",
             n);
    KT_CHECK(engine_reject(f.st, r[1].answer_id, "wrong", day6, &err) == KZ_OK,
             "reject within the review time");
    KT_CHECK(engine_auto_accept(f.st, &f.cfg, day8, &n, &err) == KZ_OK && n == 2, "day 8: %zu",
             n);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM answers WHERE state = 'accepted'") == 2 &&
                 fx_int(&f, "SELECT count(*) FROM answers WHERE state = 'rejected'") == 2,
             "states after auto-accept");
    KT_CHECK(engine_reject(f.st, r[2].answer_id, "too late", day8, &err) == KZ_ERR_STATE,
             "an accepted answer cannot be rejected");
    for (int i = 0; i < 4; i++) {
        engine_balance bal = balance(&f, w[i], day8);
        KT_CHECK(bal.available_minor == ledger_sum(&f, w[i]), "worker %d: sum", i);
    }
    fx_close(&f);
}

typedef struct list_ctx {
    int n, open;
    int64_t held;
} list_ctx;

static int list_cb(void *ctx, const engine_appeal_row *r)
{
    list_ctx *l = ctx;
    l->n++;
    l->open += strcmp(r->state, "open") == 0;
    l->held += r->held_minor;
    KT_CHECK(strcmp(r->reject_reason, "no") == 0 && strcmp(r->batch, "b") == 0, "row fields");
    return 0;
}

static void test_listing(void)
{
    fx f;
    fx_open(&f, "list");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 5, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    int64_t w[2], appeal[2];
    engine_answer_result r[2];
    kz_err err;
    for (int i = 0; i < 2; i++) {
        paid_answer(&f, &w[i], 1, &r[i]);
        engine_reject(f.st, r[i].answer_id, "no", FX_T0 + 100, &err);
        KT_CHECK(engine_appeal_open(f.st, w[i], 1, "yes", FX_T0 + 200, &appeal[i], &err) ==
                     KZ_OK,
                 "appeal %d", i);
    }
    engine_appeal_decide(f.st, appeal[0], true, "x", "ok", FX_T0 + 300, &err);
    list_ctx l = {0, 0, 0};
    KT_CHECK(engine_appeals_each(f.st, false, list_cb, &l, &err) == KZ_OK && l.n == 2 &&
                 l.open == 1 && l.held == 600,
             "all: %d %d", l.n, l.open);
    l = (list_ctx){0, 0, 0};
    KT_CHECK(engine_appeals_each(f.st, true, list_cb, &l, &err) == KZ_OK && l.n == 1, "open");
    fx_close(&f);
}

int main(void)
{
    test_reward_and_refund();
    test_reject_and_appeals();
    test_window_and_auto_accept();
    test_listing();
    return kt_report();
}
