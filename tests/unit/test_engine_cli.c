/*
 * test_engine_cli.c - `kazi appeals` (gateway/cmd_appeals.c) on a real
 * database: reject with a reason, list, decide both ways, and usage errors.
 * Calls the subcommand's function directly, as main() would.
 */
#include "test_engine_fixture.h"

#include "cli.h"

/* Run cmd_appeals with a NULL-terminated list of arguments after "appeals". */
static int appeals(const char *db, ...)
{
    char *argv[24];
    int argc = 0;
    argv[argc++] = (char *)"appeals";
    va_list ap;
    va_start(ap, db);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 20)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc++] = (char *)"--db";
    argv[argc++] = (char *)db;
    argv[argc] = NULL;
    fflush(stdout);
    return cmd_appeals(argc, argv);
}

int main(void)
{
    fx f;
    fx_open(&f, "cli");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 3, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    int64_t w[2];
    engine_answer_result r[2];
    int64_t now = (int64_t)time(NULL);
    for (int i = 0; i < 2; i++) {
        w[i] = fx_worker(&f);
        int ref = fx_offer(&f, w[i], FX_T0, NULL);
        KT_CHECK(fx_answer(&f, w[i], ref, "1", FX_T0 + 1, &r[i]) == ENGINE_ANSWER_OK, "answer");
    }
    char id0[24], id1[24];
    snprintf(id0, sizeof id0, "%lld", (long long)r[0].answer_id);
    snprintf(id1, sizeof id1, "%lld", (long long)r[1].answer_id);
    KT_CHECK(appeals(f.target, "reject", id0, NULL) == CLI_USAGE, "reject without a reason");
    KT_CHECK(appeals(f.target, "reject", "x", "--reason", "r", NULL) == CLI_USAGE, "bad id");
    KT_CHECK(appeals(f.target, "reject", "999", "--reason", "r", NULL) == CLI_FAIL, "no answer");
    KT_CHECK(appeals(f.target, "reject", id0, "--reason", "blurred photo", NULL) == CLI_OK,
             "reject 0");
    KT_CHECK(appeals(f.target, "reject", id0, "--reason", "again", NULL) == CLI_FAIL, "twice");
    KT_CHECK(appeals(f.target, "reject", id1, "--reason", "wrong shop", NULL) == CLI_OK,
             "reject 1");
    kz_err err;
    int64_t ap[2];
    for (int i = 0; i < 2; i++)
        KT_CHECK(engine_appeal_open(f.st, w[i], 1, "it was right", now, &ap[i], &err) == KZ_OK,
                 "appeal %d: %s", i, err.msg);
    KT_CHECK(appeals(f.target, NULL) == CLI_OK, "list");
    KT_CHECK(appeals(f.target, "list", "--json", "--all", NULL) == CLI_OK, "list --json --all");
    KT_CHECK(appeals(f.target, "list", "extra", NULL) == CLI_USAGE, "list with an argument");
    KT_CHECK(appeals(f.target, "frobnicate", "1", NULL) == CLI_USAGE, "unknown verb");
    char a0[24], a1[24];
    snprintf(a0, sizeof a0, "%lld", (long long)ap[0]);
    snprintf(a1, sizeof a1, "%lld", (long long)ap[1]);
    KT_CHECK(appeals(f.target, "decide", a0, "--reason", "x", NULL) == CLI_USAGE,
             "decide needs --overturn or --uphold");
    KT_CHECK(appeals(f.target, "decide", a0, "--overturn", "--uphold", "--reason", "x", NULL) ==
                 CLI_USAGE,
             "not both");
    KT_CHECK(appeals(f.target, "decide", a0, "--overturn", NULL) == CLI_USAGE, "needs a reason");
    KT_CHECK(appeals(f.target, "decide", a0, "--overturn", "--reason", "photo was old",
                     "--reviewer", "amina", NULL) == CLI_OK,
             "overturn");
    KT_CHECK(appeals(f.target, "decide", a0, "--uphold", "--reason", "x", NULL) == CLI_FAIL,
             "decided already");
    KT_CHECK(appeals(f.target, "decide", a1, "--uphold", "--reason", "clear photo", NULL) ==
                 CLI_OK,
             "uphold");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE kind = 'release' AND"
                        " amount_minor = 300 AND answer_id = %lld",
                    (long long)r[0].answer_id) == 1,
             "released");
    KT_CHECK(fx_int(&f, "SELECT state = 'accepted' FROM answers WHERE id = %lld",
                    (long long)r[0].answer_id) == 1 &&
                 fx_int(&f, "SELECT state = 'rejected' FROM answers WHERE id = %lld",
                        (long long)r[1].answer_id) == 1,
             "answer states");
    char reviewer[32];
    fx_text(&f, reviewer, sizeof reviewer, "SELECT reviewer FROM appeals WHERE id = %lld",
            (long long)ap[0]);
    KT_STREQ(reviewer, "amina", "reviewer recorded");
    fx_close(&f);
    return kt_report();
}
