/*
 * test_engine_answer.c - taking answers and aggregating them
 * (tasks/engine_answer.c, tasks/engine_aggregate.c): option matching, bare
 * answers, late answers, twice, plurality with the agreement threshold,
 * transcription keys, escalation and review, gold and accuracy.
 */
#include "test_engine_fixture.h"

static void test_text_key(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Nairobi West", "nairobiwest"},
        {"  nairobi-west. ", "nairobiwest"},
        {"NAIROBI\tWEST!!", "nairobiwest"},
        {"K'ogelo", "kogelo"},
        {"1,200", "1200"},
        {"Caf\xC3\xA9 Java", "caf\xC3\xA9java"},
        {"\xE2\x80\x9CMama\xE2\x80\x9D \xE2\x80\x94 Mboga\xE2\x80\xA6", "mamamboga"},
        {"a\xC2\xA0" "b", "ab"},
        {"", ""},
        {"...", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t n = engine_text_key(cases[i].in, out, sizeof out);
        KT_STREQ(out, cases[i].want, cases[i].in);
        KT_CHECK(n == strlen(cases[i].want), "length of %s", cases[i].in);
    }
    char small[4];
    KT_CHECK(engine_text_key("abcdef", small, sizeof small) == 6 && strcmp(small, "abc") == 0,
             "truncated: %s", small);
}

/* One answer-matching case: options, what the worker typed, and the outcome. */
typedef struct match_case {
    const char *type, *options, *text;
    engine_answer_status want;
    const char *value; /* stored value when OK */
    int n_options;     /* for BAD_OPTION */
} match_case;

static const match_case match_cases[] = {
    {"verify", "Yes|No", "1", ENGINE_ANSWER_OK, "Yes", 0},
    {"verify", "Yes|No", "2", ENGINE_ANSWER_OK, "No", 0},
    {"verify", "Yes|No", "yes", ENGINE_ANSWER_OK, "Yes", 0},
    {"verify", "Yes|No", " YES. ", ENGINE_ANSWER_OK, "Yes", 0},
    {"verify", "Yes|No", "Ndiyo", ENGINE_ANSWER_OK, "Yes", 0},
    {"verify", "Yes|No", "ndio", ENGINE_ANSWER_OK, "Yes", 0},
    {"verify", "Yes|No", "HAPANA", ENGINE_ANSWER_OK, "No", 0},
    {"verify", "Yes|No", "y", ENGINE_ANSWER_OK, "Yes", 0},
    {"verify", "Yes|No", "La", ENGINE_ANSWER_OK, "No", 0},
    {"verify", "Yes|No", "3", ENGINE_ANSWER_BAD_OPTION, "", 2},
    {"verify", "Yes|No", "0", ENGINE_ANSWER_BAD_OPTION, "", 2},
    {"verify", "Yes|No", "maybe", ENGINE_ANSWER_BAD_OPTION, "", 2},
    {"verify", "Yes|No", "", ENGINE_ANSWER_BAD_OPTION, "", 2},
    {"choice", "Open|Closed|Moved away", "3", ENGINE_ANSWER_OK, "Moved away", 0},
    {"choice", "Open|Closed|Moved away", "moved  away", ENGINE_ANSWER_OK, "Moved away", 0},
    {"choice", "Open|Closed|Moved away", "CLOSED", ENGINE_ANSWER_OK, "Closed", 0},
    {"choice", "Open|Closed|Moved away", "yes", ENGINE_ANSWER_BAD_OPTION, "", 3},
    {"choice", "Ndiyo|Hapana", "hapana", ENGINE_ANSWER_OK, "Hapana", 0},
    {"transcribe", NULL, "  Nairobi   West  ", ENGINE_ANSWER_OK, "Nairobi West", 0},
    {"transcribe", NULL, "Caf\xC3\xA9\nJava", ENGINE_ANSWER_OK, "Caf\xC3\xA9 Java", 0},
    {"transcribe", NULL, "   ", ENGINE_ANSWER_BAD_OPTION, "", 0},
};

static void test_matching(void)
{
    fx f;
    fx_open(&f, "match");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 1, 300);
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const match_case *c = &match_cases[i];
        char ext[16];
        snprintf(ext, sizeof ext, "m%zu", i);
        fx_task(&f, b, ext, c->type, c->options, NULL, 0);
        int64_t w = fx_worker(&f);
        engine_offer o;
        KT_CHECK(fx_offer(&f, w, FX_T0, &o) == 1, "case %zu offered", i);
        engine_answer_result r;
        engine_answer_status s = fx_answer(&f, w, 1, c->text, FX_T0 + 60, &r);
        KT_CHECK(s == c->want, "'%s' on %s: status %d, want %d", c->text, c->type, s, c->want);
        if (c->want == ENGINE_ANSWER_OK) {
            KT_STREQ(r.value, c->value, c->text);
            char raw[64];
            fx_text(&f, raw, sizeof raw, "SELECT raw FROM answers WHERE id = %lld",
                    (long long)r.answer_id);
            KT_STREQ(raw, c->text, "raw kept as sent");
        } else {
            KT_CHECK(r.n_options == c->n_options, "'%s': n_options %d", c->text, r.n_options);
            KT_CHECK(fx_int(&f, "SELECT count(*) FROM answers WHERE worker_id = %lld",
                            (long long)w) == 0,
                     "a bad answer writes nothing");
            KT_CHECK(fx_int(&f, "SELECT count(*) FROM assignments WHERE worker_id = %lld AND"
                                " state = 'offered'",
                            (long long)w) == 1,
                     "and keeps the offer open");
        }
    }
    fx_close(&f);
}

/* Bare answers, unknown refs, twice, late. */
static void test_refs_and_late(void)
{
    fx f;
    fx_open(&f, "late");
    f.cfg.gold_per_mille = 0;
    int64_t b = fx_batch(&f, "b", 3, 300);
    int64_t t1 = fx_task(&f, b, "t1", "verify", "Yes|No", NULL, 0);
    fx_task(&f, b, "t2", "verify", "Yes|No", NULL, 0);
    int64_t w = fx_worker(&f);
    engine_answer_result r;
    KT_CHECK(fx_answer(&f, w, 0, "1", FX_T0, &r) == ENGINE_ANSWER_NO_TASK, "bare, none open");
    KT_CHECK(fx_answer(&f, w, 5, "1", FX_T0, &r) == ENGINE_ANSWER_NO_TASK, "unknown ref");
    KT_CHECK(fx_offer(&f, w, FX_T0, NULL) == 1, "offer 1");
    KT_CHECK(fx_answer(&f, w, 0, "Yes", FX_T0 + 5, &r) == ENGINE_ANSWER_OK && r.ref == 1,
             "bare answer with one open: ref %d", r.ref);
    KT_CHECK(fx_offer(&f, w, FX_T0, NULL) == 2 && fx_offer(&f, w, FX_T0, NULL) == 0,
             "second task gets ref 2 (1 rests); t1 never again");
    int64_t w2 = fx_worker(&f);
    fx_offer(&f, w2, FX_T0, NULL);
    fx_offer(&f, w2, FX_T0, NULL);
    KT_CHECK(fx_answer(&f, w2, 0, "1", FX_T0 + 5, &r) == ENGINE_ANSWER_AMBIGUOUS,
             "bare answer with two open");
    /* Twice: an answer already on file (recorded by another path) for the offered task. */
    int64_t w3 = fx_worker(&f);
    engine_offer o;
    fx_offer(&f, w3, FX_T0, &o);
    fx_sql(&f, "INSERT INTO answers(task_id, worker_id, value, raw, received_at) VALUES"
               " (%lld, %lld, 'Yes', 'Yes', 0)",
           (long long)o.task_id, (long long)w3);
    KT_CHECK(fx_answer(&f, w3, o.ref, "1", FX_T0 + 5, &r) == ENGINE_ANSWER_TWICE, "twice");
    /* Late: the offer expired, the answer still comes: recorded, not paid, not counted. */
    int64_t w4 = fx_worker(&f);
    fx_offer(&f, w4, FX_T0, &o);
    size_t n;
    kz_err err;
    engine_expire(f.st, FX_T0 + 2 * FX_HOUR, &n, &err);
    int64_t msg = fx_message(&f, w4, "1 2", 1);
    kz_status rc = engine_answer(f.st, &f.cfg, w4, o.ref, "2", msg, 1, FX_T0 + 2 * FX_HOUR + 60,
                                 &r, &err);
    KT_CHECK(rc == KZ_OK && r.status == ENGINE_ANSWER_LATE && r.answer_id > 0, "late: %d",
             r.status);
    KT_CHECK(fx_int(&f, "SELECT late FROM answers WHERE id = %lld", (long long)r.answer_id) == 1,
             "marked late");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM ledger_entries WHERE answer_id = %lld AND"
                        " kind = 'reward'",
                    (long long)r.answer_id) == 0,
             "late answer not rewarded");
    KT_CHECK(r.earned_minor == 120, "late answer's SMS refunded: %lld",
             (long long)r.earned_minor);
    KT_CHECK(fx_int(&f, "SELECT state = 'expired' FROM assignments WHERE id = %lld",
                    (long long)o.assignment_id) == 1,
             "the offer stays expired");
    /* A day later the ref is forgotten: NO_TASK. */
    KT_CHECK(fx_answer(&f, w4, o.ref, "2", FX_T0 + 3 * FX_DAY, &r) == ENGINE_ANSWER_NO_TASK,
             "too late to match");
    KT_CHECK(fx_int(&f, "SELECT count(*) FROM answers WHERE task_id = %lld AND worker_id = %lld",
                    (long long)t1, (long long)w) == 1,
             "w answered t1 once");
    fx_close(&f);
}

/* Answer the batch's one task by n new workers with the given texts. */
static void answer_all(fx *f, const char *const *texts, int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        int64_t w = fx_worker(f);
        engine_offer o;
        int ref = fx_offer(f, w, now, &o);
        KT_CHECK(ref != 0, "worker %d got an offer", i);
        KT_CHECK(fx_answer(f, w, ref, texts[i], now + 10, NULL) == ENGINE_ANSWER_OK,
                 "answer %d", i);
    }
}

static void check_result(fx *f, int64_t task, const char *state, const char *consensus,
                         int votes, int answers, const char *label)
{
    engine_result r;
    kz_err err;
    KT_CHECK(engine_result_get(f->st, task, &r, &err) == KZ_OK, "%s: result", label);
    KT_STREQ(r.state, state, label);
    KT_STREQ(r.consensus, consensus, label);
    KT_CHECK(r.votes == votes && r.answers == answers, "%s: votes %d/%d", label, r.votes,
             r.answers);
}

/* One aggregation case: a task's type, the answers in order, and how it ends. */
typedef struct agg_case {
    const char *name, *type, *options;
    int redundancy;
    const char *answers[6];
    int n;
    const char *state, *consensus;
    int votes;
} agg_case;

static const agg_case agg_cases[] = {
    {"2 of 3 agree", "verify", "Yes|No", 3, {"1", "yes", "2"}, 3, "resolved", "Yes", 2},
    {"3 of 3", "verify", "Yes|No", 3, {"2", "no", "hapana"}, 3, "resolved", "No", 3},
    {"not yet: 2 of 3 answers", "verify", "Yes|No", 3, {"1", "1"}, 2, "open", "", 0},
    {"split, two more, resolves 3 of 5", "choice", "A|B|C", 3, {"1", "2", "3", "1", "1"}, 5,
     "resolved", "A", 3},
    {"split to review at 5", "choice", "A|B|C", 3, {"1", "2", "3", "1", "2"}, 5, "review", "",
     0},
    {"1-1 at redundancy 2, a third decides", "choice", "A|B|C", 2, {"1", "2", "1"}, 3,
     "resolved", "A", 2},
    {"2 of 4 is a tie for first: 5th", "choice", "A|B|C", 3, {"1", "2", "3", "2", "1"}, 5,
     "review", "", 0},
    {"transcription folded", "transcribe", NULL, 3,
     {"Nairobi West", "nairobi-west.", "NAIROBI  WEST"}, 3, "resolved", "Nairobi West", 3},
    {"transcription 2 of 3", "transcribe", NULL, 3, {"Kisumu", "Kisumu.", "Kisii"}, 3,
     "resolved", "Kisumu", 2},
    {"redundancy 1", "verify", "Yes|No", 1, {"2"}, 1, "resolved", "No", 1},
};

static void test_aggregation(void)
{
    for (size_t i = 0; i < sizeof agg_cases / sizeof agg_cases[0]; i++) {
        const agg_case *c = &agg_cases[i];
        fx f;
        fx_open(&f, "agg");
        f.cfg.gold_per_mille = 0;
        int64_t b = fx_batch(&f, "b", c->redundancy, 300);
        int64_t t = fx_task(&f, b, "t", c->type, c->options, NULL, 0);
        answer_all(&f, c->answers, c->n, FX_T0);
        bool open = strcmp(c->state, "open") == 0;
        check_result(&f, t, c->state, c->consensus, c->votes, open ? 0 : c->n, c->name);
        bool done = strcmp(c->state, "open") != 0;
        KT_CHECK(fx_int(&f, "SELECT state = 'done' FROM tasks WHERE id = %lld", (long long)t) ==
                     done,
                 "%s: task state", c->name);
        /* A finished task is offered to nobody else. */
        if (done) {
            int64_t w = fx_worker(&f);
            KT_CHECK(fx_offer(&f, w, FX_T0, NULL) == 0, "%s: no offer after", c->name);
        }
        if (strcmp(c->state, "resolved") == 0)
            KT_CHECK(fx_int(&f, "SELECT count(*) FROM answers WHERE agrees = 1") == c->votes &&
                         fx_int(&f, "SELECT count(*) FROM answers WHERE agrees IS NULL") == 0,
                     "%s: agreement marked", c->name);
        fx_close(&f);
    }
}

/* Gold: agreement marked at once; the result is the gold answer; accuracy counts it. */
static void test_gold_and_accuracy(void)
{
    fx f;
    fx_open(&f, "goldacc");
    f.cfg.gold_per_mille = 1000; /* every offer gold while gold tasks remain */
    int64_t b = fx_batch(&f, "b", 2, 300);
    int64_t g = fx_task(&f, b, "g", "choice", "Open|Closed", "2", 0);
    int64_t t = fx_task(&f, b, "t", "verify", "Yes|No", NULL, 0);
    int64_t w1 = fx_worker(&f), w2 = fx_worker(&f);
    engine_offer o;
    KT_CHECK(fx_offer(&f, w1, FX_T0, &o) != 0 && o.task_id == g, "gold first");
    KT_CHECK(fx_answer(&f, w1, o.ref, "closed", FX_T0 + 1, NULL) == ENGINE_ANSWER_OK, "w1 gold");
    KT_CHECK(fx_offer(&f, w1, FX_T0, &o) != 0 && o.task_id == t, "then real work");
    KT_CHECK(fx_answer(&f, w1, o.ref, "1", FX_T0 + 2, NULL) == ENGINE_ANSWER_OK, "w1 t");
    KT_CHECK(fx_offer(&f, w2, FX_T0, &o) != 0 && o.task_id == g, "w2 gold");
    KT_CHECK(fx_answer(&f, w2, o.ref, "1", FX_T0 + 3, NULL) == ENGINE_ANSWER_OK, "w2 gold");
    KT_CHECK(fx_offer(&f, w2, FX_T0, &o) != 0 && o.task_id == t, "w2 t");
    KT_CHECK(fx_answer(&f, w2, o.ref, "2", FX_T0 + 4, NULL) == ENGINE_ANSWER_OK, "w2 t");
    check_result(&f, g, "resolved", "Closed", 1, 2, "gold result");
    KT_CHECK(fx_int(&f, "SELECT state FROM tasks WHERE id = %lld", (long long)g) != -1 &&
                 fx_int(&f, "SELECT state = 'open' FROM tasks WHERE id = %lld", (long long)g) == 1,
             "gold stays open");
    /* t split 1-1 at redundancy 2 -> wants a third. */
    engine_result r;
    kz_err err;
    engine_result_get(f.st, t, &r, &err);
    KT_CHECK(strcmp(r.state, "open") == 0 && r.wanted == 3, "t escalated: %s %d", r.state,
             r.wanted);
    int64_t w3 = fx_worker(&f);
    f.cfg.gold_per_mille = 0;
    KT_CHECK(fx_offer(&f, w3, FX_T0, &o) != 0 && o.task_id == t, "w3 t");
    KT_CHECK(fx_answer(&f, w3, o.ref, "yes", FX_T0 + 5, NULL) == ENGINE_ANSWER_OK, "w3 t");
    check_result(&f, t, "resolved", "Yes", 2, 3, "t after escalation");
    engine_accuracy a;
    KT_CHECK(engine_accuracy_get(f.st, w1, &a, &err) == KZ_OK && a.answers == 2 &&
                 a.gold_seen == 1 && a.gold_right == 1 && a.compared == 1 && a.agreed == 1,
             "w1 accuracy %lld %lld %lld %lld %lld", (long long)a.answers, (long long)a.gold_seen,
             (long long)a.gold_right, (long long)a.compared, (long long)a.agreed);
    KT_CHECK(engine_accuracy_get(f.st, w2, &a, &err) == KZ_OK && a.gold_seen == 1 &&
                 a.gold_right == 0 && a.compared == 1 && a.agreed == 0,
             "w2 accuracy");
    fx_close(&f);
}

int main(void)
{
    test_text_key();
    test_matching();
    test_refs_and_late();
    test_aggregation();
    test_gold_and_accuracy();
    return kt_report();
}
