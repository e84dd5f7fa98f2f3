/*
 * test_ussd_menu.c - tasks/ussd_menu.c and tasks/ussd_screen.c: whole USSD
 * sessions, table-driven, in English and in Swahili (every menu path: join
 * with its consent, next task, answer, wrong input, skip, back, balance with
 * the fee, cash out with PAY's rules, work record and certificate, help,
 * language), then retries, a timeout, a session id from another phone, a
 * text that contradicts its session, inputs typed ahead of a screen, a
 * worker who left with STOP, answers paid once and never refunded as SMS,
 * USSD inputs kept out of the SMS inbound rate, pruning, and the
 * 182-character limit with the longest names, money and tasks. A
 * real SQLite file in a temporary directory (or a PostgreSQL database with
 * KAZI_TEST_PG: conv_world.h); callbacks go through the real
 * form parser (gateway/ussd_form.h). Every answer of every test is checked
 * for its prefix and its length in characters.
 * KAZI_USSD_TRACE=1 prints every exchange.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "conv_world.h"
#include "harness.h"
#include "templates.h"
#include "ussd_form.h"
#include "ussd_menu.h"
#include "ussd_screen.h"

/* Monday 3 March 2025, 10:00 in Nairobi (07:00 UTC). */
#define T0 INT64_C(1740985200)
#define TIMEOUT 180

static const char tasks_csv[] =
    "id,type,prompt,options\n"
    "t1,verify,Is the shop open?,Yes|No|Closed\n"
    "t2,choice,Which colour is the door?,Red|Green|Blue\n"
    "t3,transcribe,Type the shop sign,\n"
    "t4,verify,Is there a queue?,Yes|No\n"
    "t5,verify,Is it raining?,Yes|No\n"
    "t6,verify,Is the road tarmac?,Yes|No\n";

static char last_reply[USSD_REPLY_CAP];
static ussd_menu_reply last_out;

/*
 * One callback: sessionId sid from phone with text, at T0 + at, through the
 * real form parser and the menu. Every answer is checked: CON/END, at most
 * 182 characters. Returns the answer (a static buffer).
 */
static const char *dial(world *w, const char *sid, const char *phone, const char *text,
                        int64_t at)
{
    http_form f;
    memset(&f, 0, sizeof f);
    const char *kv[4][2] = {{"sessionId", sid}, {"serviceCode", "*384*21#"},
                            {"phoneNumber", phone}, {"text", text}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(f.f[i].key, sizeof f.f[i].key, "%s", kv[i][0]);
        snprintf(f.f[i].value, sizeof f.f[i].value, "%s", kv[i][1]);
        f.f[i].value_len = strlen(f.f[i].value);
    }
    f.n = 4;
    static ussd_request r;
    kz_err err;
    KT_CHECK(ussd_request_from_form(&f, "KE", &r, &err) == KZ_OK, "form: %s", err.msg);
    ussd_menu_request rq = {.session_id = r.session_id, .service_code = r.service_code,
                            .phone = r.phone, .ninputs = r.ninputs, .now = T0 + at};
    for (size_t i = 0; i < r.ninputs; i++)
        rq.input[i] = ussd_request_input(&r, i, &rq.input_len[i]);
    kz_status rc = ussd_menu_handle(w->st, &w->cfg, TIMEOUT, &rq, &last_out, &err);
    KT_CHECK(rc == KZ_OK, "session %s text '%s': %s", sid, text, err.msg);
    snprintf(last_reply, sizeof last_reply, "%s", last_out.text);
    KT_CHECK(strncmp(last_reply, "CON ", 4) == 0 || strncmp(last_reply, "END ", 4) == 0,
             "no CON/END: %s", last_reply);
    KT_CHECK(ussd_chars(last_reply) <= USSD_SCREEN_CHARS, "%zu characters: %s",
             ussd_chars(last_reply), last_reply);
    if (getenv("KAZI_USSD_TRACE"))
        printf("[%s %s '%s'] ->\n%s\n\n", sid, phone, text, last_reply);
    return last_reply;
}

/*
 * The words of key in lang before its first placeholder (every rendering
 * shows them): rendered with each placeholder as a marker, cut there.
 */
static void key_words(const tmpl_set *t, const char *lang, const char *key, char *out,
                      size_t cap)
{
    static const char mark[] = "\xC2\xA7"; /* the section sign: GSM-7, kept by the fold */
    tmpl_var v[12];
    size_t n = 0;
    for (size_t i = 0; i < tmpl_key_count(); i++) {
        if (strcmp(tmpl_key_name(i), key) != 0)
            continue;
        static char names[12][32];
        for (const char *p = tmpl_key_params(i); *p && n < 12;) {
            size_t w = strcspn(p, " ");
            snprintf(names[n], sizeof names[n], "%.*s", (int)w, p);
            v[n] = (tmpl_var){names[n], mark};
            n++;
            p += w;
            while (*p == ' ')
                p++;
        }
    }
    char full[TMPL_OUT_CAP];
    tmpl_render(t, lang, key, v, n, full, sizeof full, NULL, NULL);
    char *m = strstr(full, mark);
    if (m)
        *m = '\0';
    size_t len = strlen(full);
    while (len && full[len - 1] == ' ')
        full[--len] = '\0';
    snprintf(out, cap, "%s", full);
}

typedef struct ustep {
    const char *sid;   /* sessionId (the language is added in front) */
    const char *text;  /* {L}: the language's number in the menu */
    int64_t at;        /* seconds after T0 */
    const char *want;  /* substrings separated by '|'; "@key": that template's words in the
                          run's language, "!key" in English (a stranger's default); "=": the
                          same answer as the step before */
    const char *sql;   /* optional: a query ({P}: the phone) returning one integer ... */
    int64_t sql_want;  /* ... that must equal this */
} ustep;

typedef struct lang_run {
    const char *code;  /* "en" */
    const char *digit; /* its number in the language menu */
    const char *phone;
} lang_run;

static void expand(const char *in, const lang_run *l, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 16 < cap; p++) {
        if (p[0] == '{' && (p[1] == 'L' || p[1] == 'P') && p[2] == '}') {
            o += (size_t)snprintf(out + o, cap - o, "%s", p[1] == 'L' ? l->digit : l->phone);
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void check_want(const tmpl_set *t, const lang_run *l, const char *want, const char *prev,
                       const char *got, const char *what)
{
    if (strcmp(want, "=") == 0) {
        KT_STREQ(got, prev, what);
        return;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", want);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|")) {
        char words[TMPL_OUT_CAP];
        if (tok[0] == '@' || tok[0] == '!') /* the run's language, or the default one */
            key_words(t, tok[0] == '@' ? l->code : "en", tok + 1, words, sizeof words);
        else
            snprintf(words, sizeof words, "%s", tok);
        KT_CHECK(strstr(got, words) != NULL, "%s: want '%s' (%s) in:\n%s", what, words, tok, got);
    }
}

static void run_steps(world *w, const tmpl_set *t, const lang_run *l, const ustep *steps,
                      size_t n, const char *name)
{
    char prev[USSD_REPLY_CAP] = "";
    for (size_t i = 0; i < n; i++) {
        const ustep *s = &steps[i];
        char sid[64], text[600], what[800];
        snprintf(sid, sizeof sid, "%s-%s", l->code, s->sid);
        expand(s->text, l, text, sizeof text);
        snprintf(what, sizeof what, "%s/%s step %zu (%s '%s')", name, l->code, i + 1, sid, text);
        const char *got = dial(w, sid, l->phone, text, s->at);
        if (s->want)
            check_want(t, l, s->want, prev, got, what);
        if (s->sql) {
            char sql[600];
            expand(s->sql, l, sql, sizeof sql);
            int64_t v = world_int(w, sql);
            KT_CHECK(v == s->sql_want, "%s: %s = %lld, want %lld", what, sql, (long long)v,
                     (long long)s->sql_want);
        }
        snprintf(prev, sizeof prev, "%s", got);
    }
}

/* A stranger joins, takes tasks, answers them (wrong input too), skips one. */
static const ustep join_steps[] = {
    {"s1", "", 0, "!ussd_title_new|1 |2 |3 ", NULL, 0},
    {"s1", "2", 1, "!ussd_help_new", NULL, 0},
    {"s1", "2*0", 2, "!ussd_title_new", NULL, 0},
    {"s1", "2*0*3", 3, "!ussd_lang_title|1 English|2 Kiswahili|0 ", NULL, 0},
    {"s1", "2*0*3*{L}", 4, "@ussd_lang_set|@ussd_title_new", NULL, 0},
    {"s1", "2*0*3*{L}*5", 5, "@ussd_bad_choice|@ussd_title_new", NULL, 0},
    {"s1", "2*0*3*{L}*5*1", 6, "@ussd_terms|M-Pesa", "SELECT count(*) FROM workers", 0},
    {"s1", "2*0*3*{L}*5*1*0", 7, "@ussd_title_new", NULL, 0},
    {"s1", "2*0*3*{L}*5*1*0*1", 8, "@ussd_terms", NULL, 0},
    {"s1", "2*0*3*{L}*5*1*0*1*1", 9, "@ussd_welcome|1 |0 ",
     "SELECT count(*) FROM consents c JOIN workers w ON w.id = c.worker_id"
     " JOIN messages m ON m.id = c.message_id WHERE w.phone = '{P}' AND c.event = 'join'"
     " AND c.terms_version = '2025-01' AND m.channel = 'ussd' AND m.body = '1'", 1},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1", 10,
     "#1 Acme: Is the shop open? ~30s KSh3|1=Yes 2=No 3=Closed|99 |0 ",
     "SELECT count(*) FROM assignments WHERE state = 'offered'", 1},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7", 11, "@ussd_bad_option|3.|#1 Acme: Is the shop open?",
     "SELECT count(*) FROM answers", 0},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2", 12, "@ussd_answered|1: No. +KSh3.|1 |0 ",
     "SELECT count(*) FROM answers a JOIN messages m ON m.id = a.message_id"
     " WHERE a.value = 'No' AND m.channel = 'ussd'", 1},
    /* the aggregator retries (13 requests recorded: the dial and 12 inputs): the same screen, nothing done twice */
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2", 13, "=",
     "SELECT (SELECT count(*) FROM answers) * 100 + (SELECT count(*) FROM messages"
     " WHERE channel = 'ussd')", 113},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1", 20, "#2 Acme: Which colour is the door?|1=Red", NULL,
     0},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99", 21, "@ussd_skipped|2",
     "SELECT count(*) FROM assignments WHERE state = 'skipped'", 1},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1", 22, "#3 Acme: Type the shop sign|@ussd_type_answer",
     NULL, 0},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1*", 23, "@ussd_need_text|#3 Acme", NULL, 0},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1**Duka la Mama", 24, "@ussd_answered|Duka la Mama",
     "SELECT count(*) FROM answers", 2},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1**Duka la Mama*0", 25, "@ussd_title|6 ", NULL, 0},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1**Duka la Mama*0*1", 26, "#4 Acme: Is there a queue?",
     NULL, 0},
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1**Duka la Mama*0*1*0", 27, "@ussd_title",
     "SELECT count(*) FROM assignments WHERE state = 'offered'", 1},
    /* USSD answers earn their reward and no SMS refund */
    {"s1", "2*0*3*{L}*5*1*0*1*1*1*7*2*1*99*1**Duka la Mama*0*1*0*2", 28,
     "@ussd_bal_low|KSh6|KSh50|0 ",
     "SELECT (SELECT count(*) FROM ledger_entries WHERE kind = 'reward') * 10 +"
     " (SELECT count(*) FROM ledger_entries WHERE kind = 'sms_refund')", 20},
};

/* The rest of the menu for the worker of join_steps: money, record, help, language. */
static const ustep menu_steps[] = {
    {"s2", "", 100, "@ussd_title|1 |2 |3 |4 |5 |6 ",
     "SELECT count(*) FROM ussd_sessions WHERE state = 'open'", 2},
    {"s2", "1", 101, "#4 Acme: Is there a queue?", NULL, 0}, /* the open offer first */
    {"s2", "1*1", 102, "@ussd_answered|4: Yes. +KSh3.", NULL, 0},
    {"s2", "1*1*0", 103, "@ussd_title", "INSERT INTO ledger_entries(worker_id, kind,"
     " amount_minor, currency, created_at) SELECT id, 'adjustment', 9100, 'KES', 0 FROM workers"
     " WHERE phone = '{P}' RETURNING 0", 0},
    {"s2", "1*1*0*2", 104, "@ussd_bal|KSh100|KSh11|M-Pesa|1 |0 ", NULL, 0},
    {"s2", "1*1*0*2*1", 105, "@ussd_pay_confirm|KSh100|KSh11|1 |0 ",
     "SELECT count(*) FROM payouts", 0},
    {"s2", "1*1*0*2*1*0", 106, "@ussd_title", "SELECT count(*) FROM payouts", 0},
    {"s2", "1*1*0*2*1*0*3", 107, "@ussd_pay_confirm|KSh100", NULL, 0},
    {"s2", "1*1*0*2*1*0*3*1", 108, "@ussd_pay_ok|KSh100",
     "SELECT count(*) FROM payouts p JOIN workers w ON w.id = p.worker_id WHERE w.phone = '{P}'"
     " AND p.state = 'requested' AND p.amount_minor = 10000 AND p.phone = '{P}'"
     " AND p.idempotency_key LIKE 'pay:ussd:%'", 1},
    {"s2", "1*1*0*2*1*0*3*1*0*3", 109, "@ussd_pay_pending|KSh100",
     "SELECT count(*) FROM payouts", 1},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2", 110, "@ussd_bal_low|KSh0", NULL, 0},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4", 111, "@ussd_hist_new|3|1 |0 ", NULL, 0},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1", 112, "@ussd_cert|3",
     "SELECT count(*) FROM certificates", 1},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5", 113, "@ussd_help|0 ", NULL, 0},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7", 114, "@ussd_bad_choice|0 ", NULL, 0},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7*0*6", 115, "@ussd_lang_title|English", NULL,
     0},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7*0*6*9", 116, "@ussd_bad_choice|Kiswahili",
     NULL, 0},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7*0*6*9*{L}", 117, "@ussd_lang_set",
     NULL, 0},
    /* a stale callback (fewer inputs than consumed): the last screen, nothing done */
    {"s2", "1*1", 118, "=", NULL, 0},
    /* a text that contradicts the session: refused */
    {"s2", "5*5*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7*0*6*9*{L}*1", 119, "END |@ussd_refused", NULL, 0},
    /* the session idle too long: END, and END again */
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7*0*6*9*{L}*1", 117 + TIMEOUT + 1,
     "END |@ussd_timeout", "SELECT count(*) FROM ussd_sessions WHERE state = 'expired'", 1},
    {"s2", "1*1*0*2*1*0*3*1*0*3*0*2*0*4*1*0*5*7*0*6*9*{L}*1*2", 117 + TIMEOUT + 9, "=", NULL, 0},
    /* typed ahead: "1*2" on the first callback shows the task, never answers it unseen */
    {"s3", "1*2", 400, "#5 Acme: Is it raining?",
     "SELECT (SELECT count(*) FROM answers) * 10 + (SELECT count(*) FROM messages"
     " WHERE channel = 'ussd' AND state = 'ignored')", 31},
    {"s3", "1*2*2", 401, "@ussd_answered|5: No.", "SELECT count(*) FROM answers", 4},
};

static void test_paths(const tmpl_set *t)
{
    static const lang_run runs[] = {{"en", "1", "+254712000001"}, {"sw", "2", "+254722000002"}};
    for (size_t i = 0; i < 2; i++) {
        world w;
        if (world_open_with(&w, "ussd", runs[i].code, tasks_csv, t) != 0) {
            KT_CHECK(0, "world");
            continue;
        }
        run_steps(&w, t, &runs[i], join_steps, sizeof join_steps / sizeof join_steps[0],
                  "join");
        run_steps(&w, t, &runs[i], menu_steps, sizeof menu_steps / sizeof menu_steps[0],
                  "menu");
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM workers WHERE phone = '%s' AND lang = '%s'",
                 runs[i].phone, runs[i].code);
        KT_CHECK(world_int(&w, sql) == 1, "%s: the worker's language", runs[i].code);
        world_close(&w);
    }
}

/* The payout flag (the daemon's wake), a session id from another phone, retries of a payout. */
static void test_sessions(const tmpl_set *t)
{
    world w;
    if (world_open_with(&w, "ussd", "sessions", tasks_csv, t) != 0) {
        KT_CHECK(0, "world");
        return;
    }
    const char *amina = "+254712000001", *other = "0722000002";
    dial(&w, "a", amina, "", 0);
    dial(&w, "a", amina, "1", 1);
    dial(&w, "a", amina, "1*1", 2);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers") == 1, "joined");
    raw_exec(w.target, "INSERT INTO ledger_entries(worker_id, kind, amount_minor, currency,"
                     " created_at) VALUES (1, 'adjustment', 20050, 'KES', 0)");
    /* typed ahead: the cash-out confirmation is shown, never confirmed unseen */
    dial(&w, "b", amina, "3*1", 10);
    KT_CHECK(strstr(last_reply, "Send KSh200 to this number") && !last_out.payout,
             "typed-ahead cash out: %s", last_reply);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM payouts") == 0, "nothing paid unseen");
    dial(&w, "b", amina, "3*1*1", 11);
    KT_CHECK(last_out.payout && strstr(last_reply, "Payout of KSh200 requested"),
             "cash out: %s", last_reply);
    dial(&w, "b", amina, "3*1*1", 12);
    KT_CHECK(!last_out.payout && last_out.outcome == USSD_REPEAT, "a retry requests nothing");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM payouts WHERE amount_minor = 20000") == 1,
             "one payout, whole shillings (the 50 cents stay)");
    /* another phone with that session id */
    dial(&w, "b", other, "3*1*1*0", 13);
    KT_CHECK(last_out.outcome == USSD_REFUSED && strncmp(last_reply, "END ", 4) == 0,
             "another phone: %s", last_reply);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM ussd_sessions WHERE session_id = 'b'"
                           " AND phone = '+254712000001' AND inputs = 3") == 1,
             "the session is untouched");
    /* the same answer by SMS after USSD: already answered, paid once */
    dial(&w, "c", amina, "", 20);
    dial(&w, "c", amina, "1", 21);
    dial(&w, "c", amina, "1*1", 22);
    conv_result r;
    kz_err err;
    conv_handle_sms(w.st, &w.cfg, amina, "1 2", 3, T0 + 30, NULL, &r, &err);
    KT_CHECK(r.nreplies == 1 && strstr(r.replies[0].text, "already answered"), "SMS after USSD: %s",
             r.nreplies ? r.replies[0].text : "(none)");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM ledger_entries WHERE kind = 'reward'") == 1,
             "paid once");
    /* USSD inputs do not count towards the SMS inbound rate (here 3 a window) */
    w.cfg.limits.rate_max = 3;
    w.cfg.limits.rate_window_s = 600;
    dial(&w, "e", amina, "", 40);
    dial(&w, "e", amina, "5", 41);
    dial(&w, "e", amina, "5*0", 42);
    dial(&w, "e", amina, "5*0*5", 43);
    conv_handle_sms(w.st, &w.cfg, amina, "BAL", 3, T0 + 44, NULL, &r, &err);
    KT_CHECK(r.nreplies == 1 && strstr(r.replies[0].text, "Balance") && !r.reason,
             "an SMS after USSD inputs: %s", r.nreplies ? r.replies[0].text : "(none)");
    w.cfg.limits = (conv_limits){0};
    /* old sessions are pruned a day later */
    dial(&w, "d", other, "", USSD_PRUNE_SECONDS + 100);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM ussd_sessions") == 1, "pruned");
    world_close(&w);
}

/* A worker who sent STOP: money and record still work; back only by an explicit Join. */
static void test_stopped(const tmpl_set *t)
{
    world w;
    if (world_open_with(&w, "ussd", "stopped", tasks_csv, t) != 0) {
        KT_CHECK(0, "world");
        return;
    }
    const char *p = "+254712000001";
    conv_result r;
    kz_err err;
    conv_handle_sms(w.st, &w.cfg, p, "JOIN Amina", 10, T0, NULL, &r, &err);
    conv_handle_sms(w.st, &w.cfg, p, "STOP", 4, T0 + 1, NULL, &r, &err);
    dial(&w, "s", p, "", 10);
    KT_CHECK(strstr(last_reply, "1 Rejoin Kazi") && !strstr(last_reply, "Next task"),
             "stopped menu: %s", last_reply);
    dial(&w, "s", p, "2", 11);
    KT_CHECK(strstr(last_reply, "Balance KSh"), "stopped balance: %s", last_reply);
    dial(&w, "s", p, "2*0*1", 12);
    KT_CHECK(strstr(last_reply, "Each task shows its pay") != NULL, "terms: %s", last_reply);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers WHERE state = 'stopped'") == 1,
             "still stopped before agreeing");
    dial(&w, "s", p, "2*0*1*1", 13);
    KT_CHECK(strstr(last_reply, "Welcome back to Kazi Amina!") != NULL, "rejoin: %s",
             last_reply);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers WHERE state = 'active'") == 1 &&
                 world_int(&w, "SELECT count(*) FROM consents WHERE event = 'resume'"
                               " AND terms_version = '2025-01'") == 1,
             "rejoined with consent");
    world_close(&w);
}

/* ---- the 182-character limit ---- */

static void test_shorten(void)
{
    char out[256];
    ussd_shorten("Is the shop open now", 12, out, sizeof out);
    KT_STREQ(out, "Is the...", "word boundary");
    ussd_shorten("Is the shop open", 16, out, sizeof out);
    KT_STREQ(out, "Is the shop open", "fits");
    ussd_shorten("Supercalifragilistic", 10, out, sizeof out);
    KT_STREQ(out, "Superca...", "one long word, cut visibly");
    ussd_shorten("caf\xC3\xA9 caf\xC3\xA9 caf\xC3\xA9", 12, out, sizeof out);
    KT_STREQ(out, "caf\xC3\xA9 caf\xC3\xA9...", "characters, not bytes");
    KT_CHECK(ussd_chars("caf\xC3\xA9\xE2\x82\xAC") == 5, "ussd_chars");
}

/* Every screen in every language with the longest names, money and task text. */
static void test_longest(const tmpl_set *t)
{
    for (size_t l = 0; l < tmpl_lang_count(t); l++) {
        world w;
        if (world_open_with(&w, "ussd", "longest", tasks_csv, t) != 0) {
            KT_CHECK(0, "world");
            continue;
        }
        char sql[2048], prompt[600], req[80];
        size_t pos = 0;
        while (pos + 12 < 470)
            pos += (size_t)snprintf(prompt + pos, sizeof prompt - pos, "%s ",
                                    pos % 3 ? "caf\xC3\xA9" : "extraordinary");
        prompt[pos - 1] = '\0';
        memset(req, 'R', 64);
        req[64] = '\0';
        snprintf(sql, sizeof sql,
                 "UPDATE tasks SET prompt = '%s', options = CASE type WHEN 'transcribe' THEN NULL"
                 " ELSE 'Yes it is open right now|No it is closed today|Closed for ever and"
                 " ever|Do not know at all|Somebody else will know' END;"
                 " UPDATE requesters SET name = '%s';",
                 prompt, req);
        KT_CHECK(raw_exec(w.target, sql) == 0, "long task");
        const char *lang = tmpl_lang_code(t, l);
        char join[128];
        snprintf(join, sizeof join, "JOIN %s", "Wanjiku Wairimu Wambui Njeri Nyambura");
        conv_result r;
        kz_err err;
        conv_handle_sms(w.st, &w.cfg, "+254712000001", join, strlen(join), T0, NULL, &r, &err);
        snprintf(sql, sizeof sql,
                 "UPDATE workers SET lang = '%s'; INSERT INTO ledger_entries(worker_id, kind,"
                 " amount_minor, currency, created_at) VALUES (1, 'adjustment', 99999999999,"
                 " 'KES', 0)", lang);
        raw_exec(w.target, sql);
        static const char *const texts[] = {
            "", "1", "1*5", "1*5*1", "1*5*1*1", "1*5*1*1*99", "1*5*1*1*99*1", "1*5*1*1*99*1*",
            "1*5*1*1*99*1**x", "1*5*1*1*99*1**x*0", "1*5*1*1*99*1**x*0*2", "1*5*1*1*99*1**x*0*2*1",
            "1*5*1*1*99*1**x*0*2*1*0", "1*5*1*1*99*1**x*0*2*1*0*4", "1*5*1*1*99*1**x*0*2*1*0*4*1",
            "1*5*1*1*99*1**x*0*2*1*0*4*1*0*5", "1*5*1*1*99*1**x*0*2*1*0*4*1*0*5*0*6",
        };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
            dial(&w, "long", "+254712000001", texts[i], (int64_t)i);
        dial(&w, "long2", "+254712000001", "", 30);
        dial(&w, "long2", "+254712000001", "1", 31);
        /* the question gave way, with an ellipsis; the pay, the numbers and "99" stayed */
        KT_CHECK(strstr(last_reply, "...") && strstr(last_reply, "99 ") &&
                     strstr(last_reply, "1=Yes") && strstr(last_reply, ": extraordinary caf") &&
                     strstr(last_reply, "~30s KSh3"),
                 "%s long task: %s", lang, last_reply);
        KT_CHECK(ussd_chars(last_reply) > 150, "%s: %zu characters (bytes counted?)", lang,
                 ussd_chars(last_reply));
        dial(&w, "long2", "+254712000001", "1*9", 32);
        KT_CHECK(strstr(last_reply, "1 ") && strstr(last_reply, "..."), "%s wrong answer: %s",
                 lang, last_reply);
        world_close(&w);
    }
}

int main(void)
{
    tmpl_set *t = world_templates();
    if (!t)
        return kt_report();
    test_shorten();
    test_paths(t);
    test_sessions(t);
    test_stopped(t);
    test_longest(t);
    tmpl_free(t);
    return kt_report();
}
