/*
 * test_money_sms.c - provider SMS recognition (tasks/money_sms.h) beyond the
 * shared vectors: the file format's errors name file and line, a sender no
 * provider claims is never trusted, failure classes, texts from
 * ussd-menus.md that are not in money-sms.jsonl (spaced numbers, no name,
 * the 2011 form), amounts in minor units; and the USSD script format
 * (tasks/payout_script.h): the shipped scripts parse, errors name the line,
 * values expand and refuse what a menu cannot take.
 */
#include "harness.h"
#include "money_sms.h"
#include "payout_script.h"

static money_sms_set *set;

static void expect_load_error(const char *text, const char *want)
{
    money_sms_set *s = money_sms_new();
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = money_sms_load_text(s, "t.provider", text, strlen(text), &err);
    KT_CHECK(rc == KZ_ERR_INVALID && strstr(err.msg, want), "load error \"%s\" (got %d: %s)",
             want, rc, err.msg);
    KT_CHECK(money_sms_providers(s) == 0, "nothing added on error");
    money_sms_free(s);
}

static void test_format(void)
{
    expect_load_error("provider x\ncurrency KES\nbogus 1\n", "t.provider:3: unknown keyword");
    expect_load_error("provider x\ncurrency KES\npattern sent\nregex ([a-z\n", "t.provider:4:");
    expect_load_error("provider x\ncurrency KES\npattern sent\nregex (a)\nfield amount 2\n",
                      "t.provider:5: field needs");
    expect_load_error("provider x\ncurrency KES\npattern sent\n", "a pattern without a regex");
    expect_load_error("provider x\npattern sent\nregex a\n", "needs 'provider NAME' and 'currency");
    expect_load_error("provider x\ncurrency KES\npattern failed\nfailure broke\nregex a\n",
                      "t.provider:4: failure must be");
    expect_load_error("field amount 1\n", "t.provider:1:");
}

static const char *field(const money_sms_result *r, const char *name)
{
    const char *v = money_sms_get(r, name);
    return v ? v : "(absent)";
}

static void test_senders(void)
{
    const char *t = "QA11BC22DE Confirmed. Ksh200.00 sent to 0711000001 on 19/1/24 at 10:35 AM. New"
                    " M-PESA balance is Ksh9,800.00.";
    money_sms_result r;
    KT_CHECK(money_sms_parse(set, "+254711000001", t, strlen(t), &r) == KZ_ERR_NOTFOUND,
             "a person cannot confirm a payout from their own phone");
    KT_CHECK(money_sms_parse(set, "mpesa", t, strlen(t), &r) == KZ_OK, "sender ids ignore case");
    KT_CHECK(money_sms_sender_known(set, "MPESA") && !money_sms_sender_known(set, "MPESA2"),
             "known senders");
    KT_CHECK(money_sms_parse(set, NULL, t, strlen(t), &r) == KZ_OK, "no sender: every provider");
    KT_STREQ(r.provider, "mpesa-ke", "provider");
    KT_STREQ(field(&r, "counterparty_phone"), "0711000001", "number without a name");
    KT_CHECK(!money_sms_get(&r, "counterparty_name"), "no name");
    int64_t minor = 0;
    KT_CHECK(money_sms_minor(&r, "amount", &minor) == KZ_OK && minor == 20000, "amount in cents");
    KT_CHECK(money_sms_minor(&r, "balance", &minor) == KZ_OK && minor == 980000, "balance");
    KT_CHECK(money_sms_minor(&r, "fee", &minor) == KZ_ERR_NOTFOUND, "no fee in this text");
}

static void test_texts(void)
{
    money_sms_result r;
    const char *spaced = "TJK6H7TDIJ Confirmed. Ksh50.00 sent to Person 2 0711 111 111 on 20/10/24"
                         " at 6:27 PM. New M-PESA balance is Ksh123.12. Transaction cost, Ksh0.00. "
                         " Amount you can transact within the day is 499,745.00.";
    KT_CHECK(money_sms_parse(set, "MPESA", spaced, strlen(spaced), &r) == KZ_OK, "2024 form");
    KT_STREQ(field(&r, "counterparty_name"), "Person 2", "name before a spaced number");
    KT_STREQ(field(&r, "counterparty_phone"), "0711111111", "spaces dropped");
    KT_STREQ(field(&r, "fee"), "0.00", "transaction cost");
    KT_STREQ(field(&r, "time"), "18:27", "24-hour time");
    const char *old = "BC77RI604 Confirmed. Ksh1,235 sent to DACON OMONDI +254723908001 on 22/5/11"
                      " at 10:35 PM New M-PESA balance is Ksh1,000";
    KT_CHECK(money_sms_parse(set, "MPESA", old, strlen(old), &r) == KZ_OK, "2011 form");
    KT_STREQ(field(&r, "amount"), "1235", "no decimals");
    KT_STREQ(field(&r, "counterparty_phone"), "+254723908001", "international number");
    KT_STREQ(field(&r, "date"), "2011-05-22", "date");
    const char *nobal = "CO49VW201 Confirmed. \nYour M-PESA balance was Ksh421.00on 22/8/12 at 1:00"
                        " PM.\nPIN YAKO SIRI YAKO";
    KT_CHECK(money_sms_parse(set, "MPESA", nobal, strlen(nobal), &r) == KZ_OK &&
                 strcmp(r.type, "balance") == 0,
             "balance without a space before 'on'");
    KT_STREQ(field(&r, "balance"), "421.00", "balance");
}

static void test_failures(void)
{
    static const struct {
        const char *text;
        money_sms_failure want;
    } cases[] = {
        {"FAILED. You have entered the wrong PIN. Go to M-PESA menu and try again.",
         MONEY_SMS_FAIL_PIN},
        {"Failed. Not enough money in your M-PESA account to send Ksh10.00. You must be able to"
         " pay the transaction fee as well as the requested amount. Your M-PESA balance is Ksh0.00",
         MONEY_SMS_FAIL_FUNDS},
        {"Failed.\nNot enough money in your M-PESA account to send Ksh10.00.", MONEY_SMS_FAIL_FUNDS},
        {"Failed. You have exceeded your daily transaction limit.", MONEY_SMS_FAIL_LIMIT},
        {"Failed. The entered phone number is incorrect\n07221889563.", MONEY_SMS_FAIL_OTHER},
        {"Failed. M-PESA cannot send Ksh67,100.00 to 254704593656. For more information call or"
         " SMS customer services on 234.", MONEY_SMS_FAIL_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        money_sms_result r;
        kz_status rc = money_sms_parse(set, "MPESA", cases[i].text, strlen(cases[i].text), &r);
        KT_CHECK(rc == KZ_OK && r.failure == cases[i].want && strcmp(r.type, "failed") == 0,
                 "failure %zu: %s (got %s)", i, money_sms_failure_name(cases[i].want),
                 money_sms_failure_name(r.failure));
    }
    money_sms_result r;
    const char *f = cases[1].text;
    money_sms_parse(set, "MPESA", f, strlen(f), &r);
    KT_STREQ(field(&r, "balance"), "0.00", "the float it leaves");
    char big[MONEY_SMS_TEXT_MAX + 10];
    memset(big, 'a', sizeof big);
    KT_CHECK(money_sms_parse(set, "MPESA", big, sizeof big, &r) == KZ_ERR_RANGE, "too long");
    KT_CHECK(money_sms_parse(set, "MPESA", "hello", 5, &r) == KZ_ERR_NOTFOUND, "not a provider SMS");
}

static void test_scripts(void)
{
    static const char *const shipped[] = {"tasks/providers/mpesa-ke.ussd-script",
                                          "tasks/providers/mpesa-ke-airtime.ussd-script"};
    for (size_t i = 0; i < 2; i++) {
        payout_script s;
        kz_err err;
        kz_err_clear(&err);
        KT_CHECK(payout_script_load(shipped[i], &s, &err) == KZ_OK, "%s: %s", shipped[i], err.msg);
        bool pin = false;
        for (size_t k = 0; k < s.nsteps; k++)
            pin |= s.step[k].has_pin;
        KT_CHECK(pin && s.nawait > 0 && s.nfail > 0, "%s sends a PIN, awaits and fails", shipped[i]);
        payout_script_clear(&s);
    }
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"expect M-PESA\n", "t.ussd:1: the first step sends"},
        {"send *334#\nexpect (\n", "t.ussd:2:"},
        {"send *334#\ntimeout 0\n", "t.ussd:2: want: timeout"},
        {"send *334#\nfail nope Failed\n", "t.ussd:2: fail CLASS"},
        {"send *334#\nlocal 254 0\n", "t.ussd:2: want: local"},
        {"# nothing\n", "starts with 'send CODE'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        payout_script s;
        kz_err err;
        kz_err_clear(&err);
        kz_status rc = payout_script_parse("t.ussd", bad[i].text, strlen(bad[i].text), &s, &err);
        KT_CHECK(rc == KZ_ERR_INVALID && strstr(err.msg, bad[i].want), "script error %zu: %s", i,
                 err.msg);
        payout_script_clear(&s);
    }
    payout_script s;
    const char *ok = "local +254 0\nsend *334#\nexpect .\nsend {phone}*{msisdn}*{amount}*{ref}\n";
    KT_CHECK(payout_script_parse("t", ok, strlen(ok), &s, NULL) == KZ_OK, "parse");
    ps_vars v = {.e164 = "+254712345678", .amount_minor = 15000, .exponent = 2, .pin = "5807",
                 .ref = "KZ7"};
    char out[96];
    KT_CHECK(payout_script_expand(&s, s.step[2].value, &v, out, sizeof out) == KZ_OK, "expand");
    KT_STREQ(out, "0712345678*254712345678*150*KZ7", "values");
    v.amount_minor = 15050;
    KT_CHECK(payout_script_expand(&s, s.step[2].value, &v, out, sizeof out) == KZ_ERR_INVALID,
             "menus take whole units only");
    KT_CHECK(payout_script_expand(&s, "{nope}", &v, out, sizeof out) == KZ_ERR_INVALID,
             "unknown placeholder");
    KT_CHECK(payout_script_expand(&s, "{pin}{pin}", &v, out, 6) == KZ_ERR_NOSPACE, "no space");
    payout_script_clear(&s);
}

int main(void)
{
    set = money_sms_new();
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(money_sms_load_dir(set, "tasks/providers", &err) == KZ_OK, "load: %s", err.msg);
    KT_CHECK(money_sms_load_dir(set, "/nonexistent", &err) == KZ_ERR_IO, "missing dir");
    test_format();
    test_senders();
    test_texts();
    test_failures();
    test_scripts();
    money_sms_free(set);
    return kt_report();
}
