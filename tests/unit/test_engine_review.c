/*
 * test_engine_review.c - what closes worker promise 2 and "needs review":
 * tasks/engine_review.c and `kazi review` (list, settle, nobody's pay
 * touched), the notices of tasks/conv_notice.c as `kazi appeals` queues them
 * (one message, in the worker's language, committed with the decision or not
 * at all, none after STOP), and the push of tasks/conv_push.c (quiet hours,
 * the daily cap, the offer linked to its message).
 * A real database through the engine fixture; subcommands called directly.
 */
#include "test_engine_fixture.h"

#include "cli.h"
#include "conv.h"
#include "templates.h"

/* Run cmd (with its name) and a NULL-terminated list of arguments, then --db db. */
static int run(int (*cmd)(int, char **), const char *name, const char *db, ...)
{
    char *argv[24];
    int argc = 0;
    argv[argc++] = (char *)name;
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
    return cmd(argc, argv);
}

/* Answer task with text by each of n new workers (each gets the one open task). */
static void answer_all(fx *f, const char *const *texts, int n, int64_t *workers,
                       int64_t *answers)
{
    for (int i = 0; i < n; i++) {
        int64_t w = fx_worker(f);
        int ref = fx_offer(f, w, FX_T0 + i, NULL);
        engine_answer_result r;
        KT_CHECK(ref > 0 && fx_answer(f, w, ref, texts[i], FX_T0 + 10 + i, &r) ==
                                ENGINE_ANSWER_OK,
                 "answer %d '%s'", i, texts[i]);
        if (workers)
            workers[i] = w;
        if (answers)
            answers[i] = r.answer_id;
    }
}

typedef struct seen {
    int rows;
    int64_t task[4];
    engine_review_row copy[4];
    engine_review_group groups[4][ENGINE_REVIEW_GROUPS];
} seen;

static int collect(void *ctx, const engine_review_row *r)
{
    seen *s = ctx;
    if (s->rows < 4) {
        s->copy[s->rows] = *r;
        memcpy(s->groups[s->rows], r->groups, r->ngroups * sizeof r->groups[0]);
        s->task[s->rows] = r->task_id;
    }
    s->rows++;
    return 0;
}

static void test_review(void)
{
    fx f;
    fx_open(&f, "review");
    f.cfg.gold_per_mille = 0;
    f.cfg.max_redundancy_extra = 0;
    int64_t b = fx_batch(&f, "rb", 3, 300);
    int64_t choice = fx_task(&f, b, "c1", "choice", "Red|Green|Blue", NULL, 3);
    const char *const colours[] = {"1", "2", "3"};
    answer_all(&f, colours, 3, NULL, NULL);
    int64_t text = fx_task(&f, b, "x1", "transcribe", NULL, NULL, 4);
    const char *const towns[] = {"Nairobi West", "Kisumu", "nairobi-west.", "Thika"};
    answer_all(&f, towns, 4, NULL, NULL);
    int64_t paid = fx_int(&f, "SELECT sum(amount_minor) FROM ledger_entries");
    seen s;
    memset(&s, 0, sizeof s);
    kz_err err;
    KT_CHECK(engine_review_each(f.st, collect, &s, &err) == KZ_OK && s.rows == 2,
             "two tasks in review (%d): %s", s.rows, err.msg);
    KT_CHECK(s.task[0] == choice && s.copy[0].answers == 3 && s.copy[0].ngroups == 3,
             "choice: 3 answers, 3 groups");
    KT_CHECK(s.task[1] == text && s.copy[1].answers == 4 && s.copy[1].ngroups_all == 3 &&
                 s.groups[1][0].count == 2 && strcmp(s.groups[1][0].value, "Nairobi West") == 0,
             "transcription grouped by key: %s x%d", s.groups[1][0].value,
             s.groups[1][0].count);
    KT_CHECK(run(cmd_review, "review", f.target, NULL) == CLI_OK, "list");
    KT_CHECK(run(cmd_review, "review", f.target, "list", "--json", NULL) == CLI_OK, "json");
    KT_CHECK(run(cmd_review, "review", f.target, "list", "x", NULL) == CLI_USAGE, "list x");
    KT_CHECK(run(cmd_review, "review", f.target, "settle", "1", NULL) == CLI_USAGE, "no answer");
    KT_CHECK(run(cmd_review, "review", f.target, "settle", "--answer", "2", NULL) == CLI_USAGE,
             "no task");
    KT_CHECK(run(cmd_review, "review", f.target, "judge", "1", "--answer", "2", NULL) == CLI_USAGE,
             "unknown verb");
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)choice);
    KT_CHECK(run(cmd_review, "review", f.target, "settle", id, "--answer", "Purple", NULL) ==
                 CLI_FAIL,
             "not an option");
    KT_CHECK(run(cmd_review, "review", f.target, "settle", "999", "--answer", "2", NULL) ==
                 CLI_FAIL,
             "no such task");
    KT_CHECK(run(cmd_review, "review", f.target, "settle", id, "--answer", "green", "--reviewer",
                 "amina", NULL) == CLI_OK,
             "settle by option text");
    KT_CHECK(fx_int(&f,
                    "SELECT count(*) FROM task_results WHERE task_id = %lld AND state = "
                    "'resolved' AND consensus = 'Green' AND votes = 1 AND answers = 3 AND "
                    "agreement = 33 AND reviewer = 'amina' AND reviewed_at > 0",
                    (long long)choice) == 1,
             "choice settled with reviewer");
    KT_CHECK(run(cmd_review, "review", f.target, "settle", id, "--answer", "2", NULL) == CLI_FAIL,
             "settled already");
    engine_settled r;
    KT_CHECK(engine_review_settle(f.st, text, "  nairobi   west ", NULL, FX_T0 + 99, &r, &err) ==
                     KZ_OK &&
                 strcmp(r.consensus, "nairobi west") == 0 && r.votes == 2 && r.answers == 4,
             "transcription settled: '%s' %d/%d %s", r.consensus, r.votes, r.answers, err.msg);
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM answers WHERE task_id = %lld AND agrees = 1",
                    (long long)text) == 2,
             "agreement feedback set");
    KT_CHECK(engine_review_settle(f.st, text, "x", NULL, FX_T0, NULL, &err) == KZ_ERR_STATE,
             "state");
    KT_CHECK(engine_review_settle(f.st, text, "", NULL, FX_T0, NULL, &err) == KZ_ERR_INVALID,
             "empty");
    KT_CHECK(fx_int(&f, "SELECT sum(amount_minor) FROM ledger_entries") == paid &&
                 fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE kind = 'hold'") == 0,
             "nobody's pay changed");
    memset(&s, 0, sizeof s);
    KT_CHECK(engine_review_each(f.st, collect, &s, &err) == KZ_OK && s.rows == 0, "none left");
    fx_close(&f);
}

/* The newest outbound message's body, kind and segments. */
static void last_out(fx *f, char *body, size_t cap, char *kind, int64_t *segs)
{
    fx_text(f, body, cap, "SELECT body FROM messages WHERE direction = 'out' ORDER BY id DESC");
    fx_text(f, kind, 16, "SELECT kind FROM messages WHERE direction = 'out' ORDER BY id DESC");
    *segs = fx_int(f, "SELECT segments FROM messages WHERE direction = 'out' ORDER BY id DESC");
}

static void test_notices(void)
{
    fx f;
    fx_open(&f, "notice");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "nb", 4, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 4);
    int64_t w[4], a[4];
    const char *const yes[] = {"1", "1", "1", "1"};
    answer_all(&f, yes, 4, w, a);
    fx_sql(&f, "UPDATE workers SET lang = 'sw' WHERE id = %lld", (long long)w[1]);
    fx_sql(&f, "UPDATE workers SET state = 'stopped' WHERE id = %lld", (long long)w[2]);
    char id[24], body[512], kind[16];
    int64_t segs = 0, before = fx_int(&f, "SELECT count(*) FROM messages");
    snprintf(id, sizeof id, "%lld", (long long)a[0]);
    KT_CHECK(run(cmd_appeals, "appeals", f.target, "reject", id, "--reason", " blurred\n photo. ",
                 NULL) == CLI_OK,
             "reject");
    last_out(&f, body, sizeof body, kind, &segs);
    KT_STREQ(body,
             "Task 1 (Acme) was not accepted: blurred photo. KSh3 is held. Reply APPEAL 1 and"
             " why, within 30 days.",
             "rejection notice");
    KT_CHECK(strcmp(kind, "unsolicited") == 0 && segs == 1, "kind %s, %lld segments", kind,
             (long long)segs);
    snprintf(id, sizeof id, "%lld", (long long)a[1]);
    KT_CHECK(run(cmd_appeals, "appeals", f.target, "reject", id, "--reason",
                 "The photo shows a different shop from the one at the address you were given,"
                 " so we cannot use it",
                 NULL) == CLI_OK,
             "reject in Swahili");
    last_out(&f, body, sizeof body, kind, &segs);
    KT_CHECK(strncmp(body, "Kazi 1 (Acme) haikukubaliwa: The photo shows", 44) == 0 &&
                 strstr(body, " the address you... KSh3 imeshikiliwa. Jibu RUFANI 1") &&
                 segs <= 2,
             "Swahili, reason cut at a word: %s", body);
    snprintf(id, sizeof id, "%lld", (long long)a[2]);
    KT_CHECK(run(cmd_appeals, "appeals", f.target, "reject", id, "--reason", "late", NULL) ==
                 CLI_OK,
             "reject a stopped worker's answer");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM messages") == before + 2, "no SMS after STOP");
    /* the notice cannot be queued: the rejection is not committed either */
    fx_sql(&f,
           "INSERT INTO messages(direction, peer, body, state, dedupe_key, created_at,"
           " updated_at) VALUES ('out', '+1', 'x', 'queued', 'notice:rejected:%lld', 0, 0)",
           (long long)a[3]);
    snprintf(id, sizeof id, "%lld", (long long)a[3]);
    KT_CHECK(run(cmd_appeals, "appeals", f.target, "reject", id, "--reason", "x", NULL) ==
                 CLI_FAIL,
             "notice fails");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM answers WHERE id = %lld AND state = 'pending'",
                    (long long)a[3]) == 1 &&
                 fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE answer_id = %lld AND"
                            " kind = 'hold'",
                        (long long)a[3]) == 0,
             "rejection rolled back with its notice");
    int64_t ap[2];
    kz_err err;
    for (int i = 0; i < 2; i++)
        KT_CHECK(engine_appeal_open(f.st, w[i], 1, "it was right", (int64_t)time(NULL), &ap[i],
                                    &err) == KZ_OK,
                 "appeal %d: %s", i, err.msg);
    snprintf(id, sizeof id, "%lld", (long long)ap[0]);
    KT_CHECK(run(cmd_appeals, "appeals", f.target, "decide", id, "--overturn", "--reason", "ok",
                 NULL) == CLI_OK,
             "overturn");
    last_out(&f, body, sizeof body, kind, &segs);
    KT_STREQ(body, "Your appeal on task 1 (Acme) was accepted: KSh3 is back in your balance.",
             "overturned notice");
    snprintf(id, sizeof id, "%lld", (long long)ap[1]);
    KT_CHECK(run(cmd_appeals, "appeals", f.target, "decide", id, "--uphold", "--reason",
                 "Duka lingine", NULL) == CLI_OK,
             "uphold");
    last_out(&f, body, sizeof body, kind, &segs);
    KT_STREQ(body, "Rufaa yako ya kazi 1 (Acme) haikukubaliwa: Duka lingine.", "upheld, sw");
    fx_close(&f);
}

static void test_push(const conv_config *base)
{
    fx f;
    fx_open(&f, "push");
    f.cfg.gold_per_mille = 0;
    conv_config cfg = *base;
    cfg.engine = f.cfg;
    int64_t b = fx_batch(&f, "pb", 3, 300);
    fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 3);
    fx_task(&f, b, "t2", "verify", "Yes|No", NULL, 3);
    int64_t w = fx_worker(&f), v = fx_worker(&f);
    fx_sql(&f, "UPDATE workers SET lang = 'sw' WHERE id = %lld", (long long)v);
    bool offered = true;
    conv_reply r;
    kz_err err;
    /* 22:00 in Nairobi: outside the push window */
    KT_CHECK(conv_push_offer(f.st, &cfg, w, FX_T0 + 12 * FX_HOUR, &offered, &r, &err) == KZ_OK &&
                 !offered,
             "quiet hours: %s", err.msg);
    KT_CHECK(conv_push_offer(f.st, &cfg, w, FX_T0, &offered, &r, &err) == KZ_OK && offered &&
                 strncmp(r.text, "#1 Acme: Is it open? 1=Yes 2=No", 31) == 0 && r.segments == 1,
             "pushed: %s", r.text);
    KT_CHECK(fx_int(&f,
                    "SELECT count(*) FROM messages m JOIN assignments a ON a.message_id = m.id"
                    " WHERE m.id = %lld AND m.kind = 'unsolicited' AND m.dedupe_key LIKE 'push:%%'",
                    (long long)r.message_id) == 1,
             "unsolicited, linked");
    KT_CHECK(conv_push_offer(f.st, &cfg, v, FX_T0, &offered, &r, &err) == KZ_OK && offered &&
                 strstr(r.text, "Jibu 1 N"),
             "Swahili push: %s", r.text);
    cfg.max_total_day = 1;
    KT_CHECK(conv_push_offer(f.st, &cfg, w, FX_T0 + 60, &offered, &r, &err) == KZ_OK &&
                 !offered &&
                 fx_int(&f, "SELECT count(*) FROM assignments WHERE worker_id = %lld",
                        (long long)w) == 1,
             "daily cap: no offer made");
    KT_CHECK(conv_push_offer(f.st, &cfg, 999, FX_T0, &offered, &r, &err) == KZ_OK && !offered,
             "no such worker");
    fx_close(&f);
}

int main(void)
{
    const char *dir = getenv("KAZI_TEMPLATES");
    tmpl_set *t = NULL;
    kz_err err;
    if (tmpl_load_dir(dir && *dir ? dir : KAZI_TEMPLATE_DIR, &t, &err) != KZ_OK) {
        KT_CHECK(0, "templates: %s", err.msg);
        return kt_report();
    }
    conv_config cfg;
    conv_config_defaults(&cfg);
    cfg.templates = t;
    test_review();
    test_notices();
    test_push(&cfg);
    tmpl_free(t);
    return kt_report();
}
