/*
 * test_payout.c - the payout state machine (tasks/payout.h) on a real
 * SQLite file: requests and their idempotency keys, one payout in flight per
 * worker, minimum/maximum/balance, the daily cap, debit at submit, reversal
 * on failure, unknown outcomes reconciled by a late SMS or the operator,
 * duplicates, unmatched and conflicting confirmations, recovery after a
 * restart, retainers; the ledger invariant (payout_check, what `kazi check`
 * runs) after every step that touches money, and that it catches a broken
 * ledger. Never sleeps; times are fixed numbers. With KAZI_TEST_PG, on a
 * fresh PostgreSQL database instead (tests/db_target.h).
 */
#include <unistd.h>

#include "db_target.h"
#include "harness.h"
#include "money_sms.h"
#include "payout.h"
#include "retainer.h"
#include "store_engine.h"

#define T0 1705650000 /* 2024-01-19 07:40 UTC */

static kz_store *st;
static payout_config cfg;
static money_sms_set *sms;
static char dbpath[64];
static char target[320]; /* dbpath, or a PostgreSQL URI */

static void print_problem(void *ctx, const char *p)
{
    (void)ctx;
    fprintf(stderr, "  ledger: %s\n", p);
}

/* The invariant `kazi check` verifies must hold. */
static void ledger_ok(const char *where)
{
    size_t n = 99;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = payout_check(st, print_problem, NULL, &n, &err);
    KT_CHECK(rc == KZ_OK && n == 0, "%s: ledger check (%d, %zu problems) %s", where, rc, n,
             err.msg);
}

static int64_t worker(const char *phone, int64_t earned)
{
    int64_t id = 0;
    KT_CHECK(store_worker_ensure(st, phone, NULL, NULL, &id, NULL) == KZ_OK, "worker %s", phone);
    if (earned) {
        store_eng_entry e = {.worker_id = id, .kind = "reward", .amount_minor = earned,
                             .currency = "KES", .at = T0};
        KT_CHECK(store_eng_ledger_add(st, &e, NULL) == KZ_OK, "reward");
    }
    return id;
}

static int64_t balance(int64_t w)
{
    payout_quote q;
    payout_quote_get(st, &cfg, w, 1, &q, NULL);
    return q.available_minor;
}

static payout_sms_outcome feed(const char *text, int64_t current, int64_t *pid)
{
    money_sms_result r;
    kz_status rc = money_sms_parse(sms, "MPESA", text, strlen(text), &r);
    KT_CHECK(rc == KZ_OK, "recognised: %s", text);
    payout_sms_outcome o = PAYOUT_SMS_IGNORED;
    kz_err err;
    kz_err_clear(&err);
    rc = payout_on_sms(st, &cfg, &r, "MPESA", text, current, T0 + 100, &o, pid, &err);
    KT_CHECK(rc == KZ_OK, "on_sms: %s", err.msg);
    return o;
}

static const char *state_of(int64_t id)
{
    static payout p;
    KT_CHECK(payout_get(st, id, &p, NULL) == KZ_OK, "get %lld", (long long)id);
    return p.state;
}

static void test_request(void)
{
    int64_t w = worker("+254711000001", 30000);
    payout p, q;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(payout_request(st, &cfg, w, 1000, "k-small", T0, &p, &err) == KZ_ERR_RANGE,
             "below the minimum");
    KT_CHECK(payout_request(st, &cfg, w, 40000, "k-big", T0, &p, &err) == KZ_ERR_STATE,
             "more than the balance");
    KT_CHECK(payout_request(st, &cfg, w, 20000, "k1", T0, &p, &err) == KZ_OK, "request: %s",
             err.msg);
    KT_STREQ(p.state, "requested", "state");
    KT_STREQ(p.phone, "+254711000001", "phone copied");
    KT_CHECK(payout_request(st, &cfg, w, 20000, "k1", T0 + 5, &q, NULL) == KZ_OK && q.id == p.id,
             "same key, same payout");
    KT_CHECK(payout_request(st, &cfg, w, 5000, "k2", T0, &q, NULL) == KZ_ERR_BUSY && q.id == p.id,
             "one payout in flight per worker");
    int64_t other = worker("+254711000010", 30000);
    KT_CHECK(payout_request(st, &cfg, other, 20000, "k1", T0, &q, NULL) == KZ_ERR_INVALID,
             "a key is never another worker's payout");
    KT_CHECK(balance(w) == 30000, "no debit before submit");
    payout_quote qt;
    KT_CHECK(payout_quote_get(st, &cfg, w, 20000, &qt, NULL) == KZ_OK &&
                 qt.cashout_fee_minor == 2900 && qt.transfer_fee_minor == 700,
             "fees shown: cash-out %lld, transfer %lld", (long long)qt.cashout_fee_minor,
             (long long)qt.transfer_fee_minor);
    ledger_ok("after request");

    KT_CHECK(payout_submit(st, &cfg, p.id, PAYOUT_USSD, T0 + 10, &err) == KZ_OK, "submit: %s",
             err.msg);
    KT_STREQ(state_of(p.id), "sending", "submitted");
    KT_CHECK(balance(w) == 10000, "debited at submit");
    KT_CHECK(payout_submit(st, &cfg, p.id, PAYOUT_USSD, T0 + 11, NULL) == KZ_ERR_STATE,
             "never submitted twice");
    ledger_ok("after submit");
    KT_CHECK(payout_commit_point(st, p.id, T0 + 12, NULL) == KZ_OK, "commit point");
    KT_CHECK(payout_mark_sent(st, p.id, T0 + 13, NULL) == KZ_OK, "sent");
    int64_t pid = 0;
    KT_CHECK(feed("QA11BC22DE Confirmed. Ksh200.00 sent to JANE WANJIRU 0711000001 on 19/1/24 at"
                  " 10:35 AM. New M-PESA balance is Ksh9,800.00. Transaction cost, Ksh7.00.",
                  p.id, &pid) == PAYOUT_SMS_MATCHED && pid == p.id,
             "confirmation matched");
    KT_CHECK(payout_get(st, p.id, &q, NULL) == KZ_OK && strcmp(q.state, "confirmed") == 0 &&
                 strcmp(q.provider_ref, "QA11BC22DE") == 0 && q.fee_minor == 700,
             "confirmed with its transaction id and fee (%s %s %lld)", q.state, q.provider_ref,
             (long long)q.fee_minor);
    KT_CHECK(feed("QA11BC22DE Confirmed. Ksh200.00 sent to JANE WANJIRU 0711000001 on 19/1/24 at"
                  " 10:35 AM. New M-PESA balance is Ksh9,800.00. Transaction cost, Ksh7.00.",
                  0, &pid) == PAYOUT_SMS_DUPLICATE,
             "a duplicated confirmation is ignored");
    KT_CHECK(balance(w) == 10000, "paid once");
    int64_t fl = 0;
    bool found = false;
    KT_CHECK(payout_float_get(st, "KES", &fl, NULL, &found, NULL) == KZ_OK && found &&
                 fl == 980000,
             "float from the SMS (%lld)", (long long)fl);
    ledger_ok("after confirmation");
    KT_CHECK(payout_request(st, &cfg, w, 5000, "k2", T0 + 20, &q, NULL) == KZ_OK,
             "a new payout once the last one is done");
    KT_CHECK(payout_fail(st, q.id, "cancelled by the test", "operator", T0 + 21, NULL) == KZ_OK,
             "cancel a requested payout");
    ledger_ok("after cancel");
}

static void test_failure_and_unknown(void)
{
    int64_t w = worker("+254711000002", 50000);
    payout p;
    kz_err err;
    KT_CHECK(payout_request(st, &cfg, w, 0, NULL, T0, &p, &err) == KZ_OK &&
                 p.amount_minor == 50000,
             "the whole balance");
    payout_submit(st, &cfg, p.id, PAYOUT_USSD, T0, NULL);
    payout_commit_point(st, p.id, T0, NULL);
    payout_mark_sent(st, p.id, T0, NULL);
    int64_t pid = 0;
    KT_CHECK(feed("Failed. Not enough money in your M-PESA account to send Ksh500.00. You must be"
                  " able to pay the transaction fee as well as the requested amount. Your M-PESA"
                  " balance is Ksh10.00",
                  p.id, &pid) == PAYOUT_SMS_FAILED,
             "insufficient funds fails the current payout");
    KT_STREQ(state_of(p.id), "failed", "failed");
    KT_CHECK(balance(w) == 50000, "reversed");
    ledger_ok("after failure");
    KT_CHECK(feed("Failed. Not enough money in your M-PESA account to send Ksh500.00.", 0, &pid) ==
                 PAYOUT_SMS_UNMATCHED,
             "a failure with no payout in progress is kept for the operator");

    KT_CHECK(payout_request(st, &cfg, w, 0, NULL, T0 + 30, &p, &err) == KZ_OK, "again: %s",
             err.msg);
    payout_submit(st, &cfg, p.id, PAYOUT_USSD, T0 + 30, NULL);
    payout_commit_point(st, p.id, T0 + 30, NULL);
    KT_CHECK(payout_mark_unknown(st, p.id, "menu timed out after the PIN", T0 + 31, NULL) == KZ_OK,
             "unknown");
    KT_CHECK(balance(w) == 0, "unknown keeps the debit");
    payout q;
    KT_CHECK(payout_request(st, &cfg, w, 0, "k-x", T0 + 32, &q, NULL) == KZ_ERR_BUSY,
             "an unknown payout blocks another");
    KT_CHECK(feed("Failed. Not enough money in your M-PESA account to send Ksh500.00. x", 0, &pid) ==
                     PAYOUT_SMS_UNMATCHED &&
                 strcmp(state_of(p.id), "unknown") == 0,
             "an anonymous failure never fails an unknown payout");
    ledger_ok("while unknown");
    KT_CHECK(feed("QB22CD33EF Confirmed. Ksh500.00 sent to 0711000002 on 19/1/24 at 11:00 AM. New"
                  " M-PESA balance is Ksh1,000.00.",
                  0, &pid) == PAYOUT_SMS_MATCHED && pid == p.id,
             "a late confirmation reconciles the unknown payout");
    KT_STREQ(state_of(p.id), "confirmed", "confirmed late");
    ledger_ok("after late confirmation");
    KT_CHECK(feed("QC33DE44FG Confirmed. Ksh777.00 sent to 0799999999 on 19/1/24 at 11:00 AM. New"
                  " M-PESA balance is Ksh1,000.00.",
                  0, &pid) == PAYOUT_SMS_UNMATCHED,
             "a confirmation for an unknown transaction is kept for the operator");
    KT_CHECK(feed("QD44EF55GH Confirmed. Ksh500.00 sent to 0711000002 on 19/1/24 at 11:00 AM. New"
                  " M-PESA balance is Ksh1,000.00.",
                  0, &pid) == PAYOUT_SMS_CONFLICT,
             "a second confirmation for a settled payout is a conflict");
    ledger_ok("after conflict");
}

static int count_cb(void *ctx, const payout_sms_row *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void test_operator_and_recovery(void)
{
    int64_t w1 = worker("+254711000003", 20000), w2 = worker("+254711000004", 20000),
            w3 = worker("+254711000005", 20000);
    payout a, b, c;
    payout_request(st, &cfg, w1, 10000, NULL, T0, &a, NULL);
    payout_request(st, &cfg, w2, 10000, NULL, T0, &b, NULL);
    payout_request(st, &cfg, w3, 10000, NULL, T0, &c, NULL);
    payout_submit(st, &cfg, a.id, PAYOUT_USSD, T0, NULL);
    payout_submit(st, &cfg, b.id, PAYOUT_USSD, T0, NULL);
    payout_commit_point(st, b.id, T0, NULL);
    payout_submit(st, &cfg, c.id, PAYOUT_AIRTIME, T0, NULL);
    payout_commit_point(st, c.id, T0, NULL);
    payout_mark_sent(st, c.id, T0, NULL);
    size_t n = 0;
    KT_CHECK(payout_recover(st, T0 + 60, &n, NULL) == KZ_OK && n == 3, "recovered %zu", n);
    KT_STREQ(state_of(a.id), "failed", "before the PIN: nothing moved");
    KT_STREQ(state_of(b.id), "unknown", "after the PIN: unknown");
    KT_STREQ(state_of(c.id), "unknown", "sent: unknown");
    KT_CHECK(balance(w1) == 20000 && balance(w2) == 10000, "debits follow");
    ledger_ok("after recovery");
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(payout_resolve(st, &cfg, b.id, false, "", T0, &err) == KZ_ERR_INVALID,
             "a decision needs a reason");
    KT_CHECK(payout_resolve(st, &cfg, b.id, false, "statement shows no transfer", T0 + 70,
                            &err) == KZ_OK,
             "operator: failed");
    KT_CHECK(payout_resolve(st, &cfg, c.id, true, "statement shows QX1", T0 + 70, &err) == KZ_OK,
             "operator: confirmed");
    KT_CHECK(balance(w2) == 20000 && balance(w3) == 10000, "resolved");
    KT_CHECK(payout_resolve(st, &cfg, c.id, false, "changed my mind", T0 + 71, NULL) ==
                 KZ_ERR_STATE,
             "a confirmed payout stays confirmed");
    int k = 0;
    payout_sms_each(st, false, count_cb, &k, NULL);
    KT_CHECK(k == 4, "SMS for the operator: %d", k);
    ledger_ok("after resolve");
}

static void test_cap_and_balance(void)
{
    payout_config small = cfg;
    small.daily_cap_minor = 15000;
    int64_t w1 = worker("+254711000006", 20000), w2 = worker("+254711000007", 20000);
    payout a, b;
    int64_t day_before = 0;
    payout_day_total(st, &small, T0 + 86400, &day_before, NULL);
    KT_CHECK(day_before == 0, "a new day");
    payout_request(st, &small, w1, 10000, NULL, T0 + 86400, &a, NULL);
    payout_request(st, &small, w2, 10000, NULL, T0 + 86400, &b, NULL);
    KT_CHECK(payout_submit(st, &small, a.id, PAYOUT_USSD, T0 + 86400, NULL) == KZ_OK, "first");
    KT_CHECK(payout_submit(st, &small, b.id, PAYOUT_USSD, T0 + 86400, NULL) == KZ_ERR_RANGE,
             "over the daily cap");
    KT_STREQ(state_of(b.id), "requested", "waits for tomorrow");
    KT_CHECK(payout_submit(st, &small, b.id, PAYOUT_USSD, T0 + 2 * 86400, NULL) == KZ_OK,
             "next day");
    payout_fail(st, a.id, "test", "operator", T0 + 2 * 86400, NULL);
    payout_fail(st, b.id, "test", "operator", T0 + 2 * 86400, NULL);
    /* The balance drops (a rejection's hold) between request and submit. */
    payout c;
    payout_request(st, &cfg, w1, 20000, NULL, T0, &c, NULL);
    store_eng_entry hold = {.worker_id = w1, .kind = "adjustment", .amount_minor = -15000,
                            .currency = "KES", .at = T0};
    store_eng_ledger_add(st, &hold, NULL);
    KT_CHECK(payout_submit(st, &cfg, c.id, PAYOUT_USSD, T0, NULL) == KZ_ERR_STATE,
             "balance too low at submit");
    KT_STREQ(state_of(c.id), "failed", "failed without sending");
    KT_CHECK(balance(w1) == 5000, "no debit");
    ledger_ok("after cap and balance");
}

static void test_retainers(void)
{
    int64_t w = worker("+254711000008", 0);
    int64_t id = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(retainer_add(st, "Acme Survey", w, T0, T0 + 3 * 86400, 20000, "KES", T0, &id,
                          &err) == KZ_OK,
             "retainer: %s", err.msg);
    size_t n = 0;
    KT_CHECK(retainer_accrue(st, 180, T0 + 86400 + 5, &n, NULL) == KZ_OK && n == 2,
             "two days begun (%zu)", n);
    KT_CHECK(retainer_accrue(st, 180, T0 + 86400 + 50, &n, NULL) == KZ_OK && n == 0,
             "idempotent per day (%zu)", n);
    KT_CHECK(retainer_accrue(st, 180, T0 + 30 * 86400, &n, NULL) == KZ_OK && n == 2,
             "the rest of the period only (%zu)", n);
    KT_CHECK(balance(w) == 80000, "four local days touched: %lld", (long long)balance(w));
    ledger_ok("after retainers");
}

static void test_check_catches(void)
{
    int64_t w = worker("+254711000009", 1000);
    store_eng_entry bad = {.worker_id = w, .kind = "payout", .amount_minor = -5000,
                           .currency = "KES", .at = T0};
    store_eng_ledger_add(st, &bad, NULL);
    size_t n = 0;
    KT_CHECK(payout_check(st, NULL, NULL, &n, NULL) == KZ_OK && n >= 3,
             "a payout entry without a payout, a negative balance, paid mismatch (%zu)", n);
}

int main(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/kazi-test-payout-%d.db", (int)getpid());
    unlink(dbpath);
    kt_db_target(target, sizeof target, dbpath);
    kz_err err;
    kz_err_clear(&err);
    payout_config_defaults(&cfg);
    sms = money_sms_new();
    KT_CHECK(money_sms_load_dir(sms, "tasks/providers", &err) == KZ_OK, "providers: %s", err.msg);
    if (store_open(target, STORE_OPEN_CREATE, &st, &err) != KZ_OK) {
        KT_CHECK(0, "open: %s", err.msg);
        return kt_report();
    }
    test_request();
    test_failure_and_unknown();
    test_operator_and_recovery();
    test_cap_and_balance();
    test_retainers();
    test_check_catches();
    store_close(st);
    money_sms_free(sms);
    kt_db_target_drop(target);
    char side[80];
    unlink(dbpath);
    snprintf(side, sizeof side, "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath);
    unlink(side);
    return kt_report();
}
