/*
 * test_conv.c - tasks/conv.c, table-driven: conversations (inbound SMS in,
 * expected reply and database state out) for every command in English and
 * Swahili, and misuse: a closed or foreign task, answering twice, an empty
 * SMS, 1,000 characters, emoji, STOP from a stranger, a robot sender, a
 * short code, the same SMS twice, a number that keeps sending. A real SQLite
 * file in a temporary directory (or a PostgreSQL database: conv_world.h);
 * tasks come in through the CSV import. Like test_store.c it reads rows back
 * with its own connection (store_fixture.h).
 * KAZI_CONV_TRACE=1 prints every exchange.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "conv_world.h"
#include "engine.h"
#include "harness.h"
#include "sms_text.h"
#include "templates.h"

/* Monday 3 March 2025, 10:00 in Nairobi (07:00 UTC): inside the push window. */
#define T0 INT64_C(1740985200)
#define MIN 60
#define HOUR 3600

typedef struct step {
    const char *from;
    const char *text;
    int64_t at;        /* seconds after T0 */
    const char *want;  /* a substring of the one reply; NULL: no reply; "": any reply */
    const char *sql;   /* optional: a query returning one integer ... */
    int64_t sql_want;  /* ... that must equal this */
} step;

typedef struct script {
    const char *name;
    const step *steps;
    size_t n;
} script;

#define AMINA "+254712000001"
#define BARAKA "0722000002"
#define STRANGER "+254733000003"
#define OTHER "0744000004"

static const char tasks_csv[] =
    "id,type,prompt,options\n"
    "t1,verify,Is the shop open?,Yes|No|Closed\n"
    "t2,choice,Which colour is the door?,Red|Green|Blue\n"
    "t3,transcribe,Type the shop sign,\n"
    "t4,verify,Is there a queue?,Yes|No\n"
    "t5,verify,Is it raining?,Yes|No\n"
    "t6,verify,Is the road tarmac?,Yes|No\n";

/* ---- English: join, answer, every command ---- */
static const step en_steps[] = {
    {STRANGER, "HELP", 0, "Send JOIN and your name", NULL, 0},
    /* the first task rides on the short welcome: 2 segments, not 2 + 1 */
    {AMINA, "JOIN Amina", 1,
     "Welcome to Kazi Amina! Answers on time are paid, +KSh1.20 per SMS you send. SKIP any"
     " task, no penalty. Rejections have a reason; APPEAL. HELP=commands STOP=leave"
     " #1 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. Reply 1 N",
     "SELECT count(*) FROM workers WHERE phone = '+254712000001' AND name = 'Amina'"
     " AND state = 'active' AND lang = 'en'", 1},
    {AMINA, "JOIN", 2, "You are already in Kazi Amina.",
     "SELECT count(*) FROM consents WHERE event = 'join' AND terms_version = '2025-01'", 1},
    {AMINA, "WHO 1", 3, "Task 1 is for Acme.",
     "SELECT count(*) FROM assignments a JOIN messages m ON m.id = a.message_id"
     " WHERE a.state = 'offered' AND m.body LIKE 'Welcome to Kazi Amina!%' AND m.segments = 2",
     1},
    {AMINA, "1 2", 60, "Got 1: No. +KSh4.20. #2 Acme: Which colour is the door?",
     "SELECT count(*) FROM answers WHERE value = 'No'", 1},
    /* an answered ref rests (ENGINE_REF_REST): the next task got 2, and a
     * resent "1 ..." is "already answered", never an answer to a new task 1 */
    {AMINA, "1 Red", 65, "You already answered task 1; your first answer counts.", NULL, 0},
    {AMINA, "2*7", 70, "Task 2: reply 2 and a number from 1 to 3, e.g. 2 1", NULL, 0},
    {AMINA, "2 Blue", 80, "Got 2: Blue.", NULL, 0},
    /* the same answer again, a new SMS */
    {AMINA, "2 Blue", 81, "You already answered task 2; your first answer counts.",
     "SELECT count(*) FROM answers", 2},
    {AMINA, "MORE 3", 90, "Task 3: more time, now due", NULL, 0},
    {AMINA, "WHO 3", 100, "Task 3 is for Acme. They have not told us more", NULL, 0},
    {AMINA, "ASK 3 what sign?", 110, "Question on task 3 sent. A person will reply",
     "SELECT count(*) FROM asks WHERE question = 'what sign?'", 1},
    {AMINA, "3 Duka la Mama", 115, "Got 3: Duka la Mama. +KSh4.20. #4 Acme: Is there a queue?",
     NULL, 0},
    {AMINA, "SKIP 4", 120, "Skipped 4. #5 Acme: Is it raining?",
     "SELECT count(*) FROM assignments WHERE state = 'skipped'", 1},
    {AMINA, "SKIP 9", 130, "You have no open task 9.", NULL, 0},
    {AMINA, "9 1", 140, "You have no open task 9.", NULL, 0},
    {AMINA, "yes", 150, "Got 5: Yes.", NULL, 0},
    {AMINA, "HOURS 8-17", 160, "Your hours: 08:00-17:00. Tasks come only then, within 07:00-19:00",
     "SELECT hours_from * 10000 + hours_to FROM workers WHERE name = 'Amina'", 4801020},
    {AMINA, "HOURS", 170, "Your hours: 08:00-17:00. To change", NULL, 0},
    {AMINA, "HOURS 25-3", 180, "Send HOURS and a range on the 24-hour clock", NULL, 0},
    {AMINA, "HOURS ALL", 190, "Hours cleared",
     "SELECT count(*) FROM workers WHERE hours_from IS NULL AND name = 'Amina'", 1},
    {AMINA, "PAUSE 3", 200, "Paused until 03/03 13:0",
     "SELECT count(*) FROM workers WHERE state = 'paused' AND paused_until = 1740996000 + 200", 1},
    {AMINA, "RESUME", 210, "Welcome back! Tasks will come again.",
     "SELECT count(*) FROM workers WHERE state = 'active' AND paused_until IS NULL", 1},
    {AMINA, "PAUSE", 220, "Paused: no tasks until you send RESUME.", NULL, 0},
    {AMINA, "RESUME", 230, "Welcome back!", NULL, 0},
    {AMINA, "BAL", 240, "Balance KSh", NULL, 0},
    {AMINA, "PAY", 250, "the smallest payout is KSh50.", NULL, 0},
    {AMINA, "HIST", 260, "Your record: 4 tasks", NULL, 0},
    {AMINA, "CERT", 270, "Certificate ", "SELECT count(*) FROM certificates", 1},
    {AMINA, "CERT", 280, "Certificate ", "SELECT count(*) FROM certificates", 1},
    {OTHER, "CHECK {code}", 290, "is a real Kazi certificate: Amina did 4 paid tasks", NULL, 0},
    {OTHER, "CHECK ZZZZ9999", 300, "No Kazi certificate ZZZZ9999.", NULL, 0},
    {AMINA, "APPEAL 1 it was open", 310, "has no rejection you can appeal now", NULL, 0},
    {AMINA, "LANG xx", 320, "Send LANG en for English or LANG sw for Kiswahili.", NULL, 0},
    {AMINA, "bla bla", 330, "Task 6: reply 6 and a number from 1 to 2, e.g. 6 1", NULL, 0},
    {AMINA, "6 1", 331, "Got 6: Yes. +KSh4.20. Send NEXT for another task.", NULL, 0},
    {AMINA, "bla bla", 332, "Sorry, we did not understand.", NULL, 0},
    {AMINA, "STOP", 340, "You have left Kazi",
     "SELECT count(*) FROM workers w JOIN consents c ON c.worker_id = w.id"
     " WHERE w.state = 'stopped' AND c.event = 'stop'", 1},
    {AMINA, "NEXT", 350, "You left Kazi. Send JOIN to come back.", NULL, 0},
    {AMINA, "STOP", 360, NULL, NULL, 0},
    {AMINA, "BAL", 370, "Balance KSh", NULL, 0},
    {AMINA, "JOIN", 380, "Welcome back to Kazi Amina!",
     "SELECT count(*) FROM consents WHERE event = 'resume'", 1},
};

/* ---- Swahili ---- */
static const step sw_steps[] = {
    {BARAKA, "JIUNGE Baraka", 0,
     "Karibu Kazi Baraka! Jibu kwa wakati ulipwe, +KSh1.20 kwa kila SMS unayotuma. RUKA kazi"
     " bila adhabu. Ukikataliwa utapewa sababu; RUFANI. MSAADA=amri ACHA=toka"
     " #1 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. Jibu 1 N",
     "SELECT count(*) FROM workers WHERE phone = '+254722000002' AND lang = 'sw'", 1},
    {BARAKA, "NANI 1", 10, "Kazi 1 ni ya Acme.", NULL, 0},
    {BARAKA, "1 ndiyo", 20, "Tumepokea 1: Yes. +KSh4.20. #2 Acme: Which colour", NULL, 0},
    {BARAKA, "NANI 2", 30, "Kazi 2 ni ya Acme.", NULL, 0},
    {BARAKA, "ULIZA 2 rangi gani?", 40, "Swali kuhusu kazi 2 limetumwa.", NULL, 0},
    {BARAKA, "ZAIDI 2", 50, "Kazi 2: muda umeongezwa", NULL, 0},
    {BARAKA, "RUKA", 60, "Umeruka 2. #3 Acme: Type the shop sign ~30s KSh3. Jibu 3 NENO", NULL,
     0},
    {BARAKA, "3 Duka la Mama", 70, "Tumepokea 3: Duka la Mama.", NULL, 0},
    {BARAKA, "SAA 9 hadi 16", 80, "Saa zako: 09:00-16:00.", NULL, 0},
    {BARAKA, "SIMAMISHA 2", 90, "Umesimamisha hadi 03/03 12:0", NULL, 0},
    {BARAKA, "ENDELEA", 100, "Karibu tena!", NULL, 0},
    {BARAKA, "SALIO", 110, "Salio KSh", NULL, 0},
    {BARAKA, "LIPA", 120, "malipo madogo kabisa ni KSh50.", NULL, 0},
    {BARAKA, "HISTORIA", 130, "Rekodi yako: kazi 2", NULL, 0},
    {BARAKA, "CHETI", 140, "Cheti ", NULL, 0},
    {BARAKA, "HAKIKI {code}", 150, "ni cheti halali cha Kazi: Baraka alifanya kazi 2", NULL, 0},
    {BARAKA, "MSAADA", 160, "Kazi: IJAYO=kazi;", NULL, 0},
    {BARAKA, "habari", 170, "Kazi 4: jibu 4 na namba kati ya 1 na 2, mfano 4 1", NULL, 0},
    {BARAKA, "4 2", 175, "Tumepokea 4: No.", NULL, 0},
    {BARAKA, "RUKA 5", 176, "Umeruka 5.", NULL, 0},
    {BARAKA, "RUKA 6", 177, "Kazi 6 imerukwa, bila adhabu.", NULL, 0},
    {BARAKA, "habari", 178, "Samahani, hatukuelewa.", NULL, 0},
    {BARAKA, "LUGHA en", 180, "Language: English.", NULL, 0},
    {BARAKA, "LUGHA sw", 190, "Lugha: Kiswahili.", NULL, 0},
    {BARAKA, "ACHA", 200, "Umeondoka Kazi",
     "SELECT count(*) FROM workers WHERE state = 'stopped'", 1},
    {STRANGER, "JIUNGE", 210, "Karibu Kazi!",
     "SELECT count(*) FROM workers WHERE phone = '+254733000003' AND lang = 'sw'", 1},
};

/* ---- misuse ---- */
static const step misuse_steps[] = {
    {"MPESA", "Confirmed. You have received KSh100", 0, NULL,
     "SELECT count(*) FROM messages WHERE peer = 'MPESA' AND state = 'ignored'", 1},
    {"Safaricom", "STOP", 1, NULL, "SELECT count(*) FROM messages WHERE direction = 'out'", 0},
    {"40404", "JOIN", 2, NULL, "SELECT count(*) FROM workers", 0},
    {"100", "HELP", 3, NULL, "SELECT count(*) FROM messages WHERE direction = 'out'", 0},
    {"07", "HELP", 4, NULL, NULL, 0},
    {STRANGER, "STOP", 10, "You are not on Kazi. We will not SMS you.",
     "SELECT count(*) FROM workers", 0},
    {STRANGER, "STOP", 20, NULL, NULL, 0},
    {STRANGER, "stop.", 30, NULL, NULL, 0},
    {STRANGER, "NEXT", 40, "Send JOIN to start with Kazi", NULL, 0},
    {STRANGER, "42 2", 50, NULL, NULL, 0}, /* a stranger's daily limit (2) is used up */
    /* outside the push window (closed for this script): the full welcome, no task */
    {AMINA, "JOIN Amina", 100, "Welcome to Kazi Amina! Tasks come by SMS",
     "SELECT count(*) FROM assignments", 0},
    {AMINA, "", 110, NULL,
     "SELECT count(*) FROM messages WHERE direction = 'in' AND body = '' AND state = 'ignored'", 1},
    {AMINA, "   ...  ", 120, NULL, NULL, 0},
    {AMINA, "\xF0\x9F\x98\x80\xF0\x9F\x91\x8D", 130, "Sorry, we did not understand.", NULL, 0},
    {AMINA, "{1000}", 140, "", "SELECT max(length(body)) FROM messages WHERE direction = 'in'",
     1000},
    {AMINA, "42 2", 150, "You have no open task 42.", NULL, 0},
    {AMINA, "2", 160, "You have no open task. Send NEXT to get one.", NULL, 0},
    {AMINA, "NEXT", 170, "#1 Acme", NULL, 0},
    {OTHER, "JOIN", 180, "Welcome", NULL, 0},
    {OTHER, "1 1", 190, "You have no open task 1.", "SELECT count(*) FROM answers", 0},
    {AMINA, "1 1", 200, "Got 1: Yes. +KSh4.20. Send NEXT for another task.", NULL, 0},
    {AMINA, "NEXT", 205, "#", NULL, 0},
    {AMINA, "NEXT", 210, "#", NULL, 0},
    {AMINA, "NEXT", 220, "#", NULL, 0},
    {AMINA, "NEXT", 230, "No new task now. Still open for you: 2, 3, 4.", NULL, 0},
    {AMINA, "5 1", 240, "You have no open task 5.", NULL, 0},
    {AMINA, "2", 250, "You have several open tasks (2, 3, 4). Put the task number first", NULL,
     0},
    {AMINA, "hello there", 260, "Sorry, we did not understand.", NULL, 0},
    {AMINA, "hello there", 270, NULL, NULL, 0}, /* never "not understood" twice in a row */
    {AMINA, "SKIP", 280, "Which task? Send SKIP and the task number, e.g. SKIP 42", NULL, 0},
    {AMINA, "STOP", 290, "You have left Kazi",
     "SELECT count(*) FROM assignments a JOIN workers w ON w.id = a.worker_id"
     " WHERE w.phone = '+254712000001' AND a.state = 'offered'", 0},
};

/* ---- a number that keeps sending ---- */
static const step flood_steps[] = {
    {AMINA, "JOIN", 0, "Welcome", NULL, 0},
    {AMINA, "BAL", 1, "Balance", NULL, 0},
    {AMINA, "HELP", 2, "Kazi:", NULL, 0},
};

static int world_open(world *w, const tmpl_set *t, const char *name)
{
    if (world_open_with(w, "conv", name, tasks_csv, t) != 0)
        return -1;
    if (strcmp(name, "flood") != 0) { /* scripts talk fast; test_flood tests the limits */
        w->cfg.max_replies_hour = 100;
        w->cfg.max_replies_day = 100;
    }
    if (strcmp(name, "misuse") == 0) { /* no unsolicited task: only NEXT brings one */
        w->cfg.engine.push_from_minute = 20 * 60;
        w->cfg.engine.push_to_minute = 21 * 60;
    }
    return 0;
}

/* The step's text with {code} and {1000} expanded. */
static void expand(const world *w, const char *in, char *out, size_t cap)
{
    if (strcmp(in, "{1000}") == 0) {
        memset(out, 'a', 1000);
        memcpy(out, "42 ", 3);
        out[1000] = '\0';
        return;
    }
    const char *p = strstr(in, "{code}");
    if (!p) {
        snprintf(out, cap, "%s", in);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(p - in), in, w->code, p + 6);
}

/* Remember a certificate code from "Certificate CODE:" / "Cheti CODE:". */
static void catch_code(world *w, const char *reply)
{
    const char *p = NULL;
    if (strncmp(reply, "Certificate ", 12) == 0)
        p = reply + 12;
    else if (strncmp(reply, "Cheti ", 6) == 0)
        p = reply + 6;
    if (p)
        snprintf(w->code, sizeof w->code, "%.*s", (int)strcspn(p, ":"), p);
}

static void run_step(world *w, const char *script_name, size_t i, const step *s)
{
    char text[1100];
    expand(w, s->text, text, sizeof text);
    conv_result r;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = conv_handle_sms(w->st, &w->cfg, s->from, text, strlen(text), T0 + s->at, NULL,
                                   &r, &err);
    if (getenv("KAZI_CONV_TRACE"))
        printf("%s %zu: %s> %.60s\n    < %s\n", script_name, i, s->from, text,
               r.nreplies ? r.replies[0].text : "(none)");
    KT_CHECK(rc == KZ_OK, "%s step %zu '%.40s': %s", script_name, i, text, err.msg);
    if (s->want == NULL) {
        KT_CHECK(r.nreplies == 0, "%s step %zu '%.40s': unexpected reply '%s'", script_name, i,
                 text, r.nreplies ? r.replies[0].text : "");
    } else {
        KT_CHECK(r.nreplies == 1 && strstr(r.replies[0].text, s->want) != NULL,
                 "%s step %zu '%.40s': got '%s', want '%s'", script_name, i, text,
                 r.nreplies ? r.replies[0].text : "(no reply)", s->want);
    }
    for (size_t k = 0; k < r.nreplies; k++) {
        const conv_reply *q = &r.replies[k];
        KT_CHECK((size_t)q->segments == sms_count_segments(q->text, strlen(q->text)),
                 "segments of '%s'", q->text);
        catch_code(w, q->text);
    }
    if (s->sql) {
        int64_t v = raw_int(w->target, s->sql);
        KT_CHECK(v == s->sql_want, "%s step %zu '%.40s': %s = %lld, want %lld", script_name, i,
                 text, s->sql, (long long)v, (long long)s->sql_want);
    }
}

static void run_script(const tmpl_set *t, const script *sc)
{
    world w;
    if (world_open(&w, t, sc->name) != 0) {
        KT_CHECK(0, "%s: cannot set up", sc->name);
        return;
    }
    for (size_t i = 0; i < sc->n; i++)
        run_step(&w, sc->name, i, &sc->steps[i]);
    /* every reply queued is in the outbox with its segments counted */
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM messages WHERE direction = 'out'"
                            " AND (state <> 'queued' OR segments < 1)") == 0,
             "%s: outbox rows", sc->name);
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM messages WHERE direction = 'in'"
                            " AND state = 'received'") == 0,
             "%s: every inbound SMS handled or ignored", sc->name);
    world_close(&w);
}

/* The same SMS twice (a SIM re-read after a crash) is recorded and acted on once. */
static void test_duplicate(const tmpl_set *t)
{
    world w;
    if (world_open(&w, t, "dup") != 0)
        return;
    conv_result r;
    kz_err err;
    conv_handle_sms(w.st, &w.cfg, AMINA, "JOIN", 4, T0, "sim:1", &r, &err);
    conv_handle_sms(w.st, &w.cfg, AMINA, "NEXT", 4, T0 + 5, "sim:2", &r, &err);
    KT_CHECK(r.nreplies == 1 && !r.duplicate, "first NEXT offers");
    KT_CHECK(conv_handle_sms(w.st, &w.cfg, AMINA, "NEXT", 4, T0 + 5, "sim:2", &r, &err) ==
                     KZ_OK &&
                 r.duplicate && r.nreplies == 0,
             "second copy is a duplicate");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM assignments") == 2,
             "two offers: the JOIN's and the first NEXT's");
    conv_handle_sms(w.st, &w.cfg, AMINA, "1 1", 3, T0 + 10, NULL, &r, &err);
    conv_handle_sms(w.st, &w.cfg, AMINA, "1 1", 3, T0 + 10, NULL, &r, &err);
    KT_CHECK(r.duplicate, "derived key: same sender, time and text");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM answers") == 1, "one answer");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM ledger_entries WHERE kind = 'reward'") == 1,
             "paid once");
    world_close(&w);
}

/* A number that keeps sending gets silence after the limits, not ping-pong. */
static void test_flood(const tmpl_set *t)
{
    world w;
    if (world_open(&w, t, "flood") != 0)
        return;
    conv_result r;
    kz_err err;
    size_t replies = 0;
    for (int i = 0; i < 100; i++) {
        char text[16];
        snprintf(text, sizeof text, i % 2 ? "BAL" : "HELP");
        conv_handle_sms(w.st, &w.cfg, AMINA, i ? text : "JOIN", i ? strlen(text) : 4,
                        T0 + i * 10, NULL, &r, &err);
        replies += r.nreplies;
    }
    /* the welcome carried a task, and offers are outside the hourly limit */
    KT_CHECK(replies == (size_t)w.cfg.max_replies_hour + 1,
             "100 SMS in 17 minutes: %zu replies", replies);
    KT_CHECK(r.limited, "held back");
    /* a day later the limits are fresh, but the daily cap still binds over time */
    replies = 0;
    for (int i = 0; i < 200; i++) {
        conv_handle_sms(w.st, &w.cfg, AMINA, "BAL", 3, T0 + 2 * HOUR + i * 5 * MIN, NULL, &r,
                        &err);
        replies += r.nreplies;
    }
    KT_CHECK(replies <= (size_t)w.cfg.max_replies_day, "200 SMS over 16 hours: %zu replies",
             replies);
    /* STOP still works at once and is confirmed, limits or not */
    conv_handle_sms(w.st, &w.cfg, AMINA, "STOP", 4, T0 + 18 * HOUR, NULL, &r, &err);
    KT_CHECK(r.nreplies == 1 && strstr(r.replies[0].text, "left Kazi"), "STOP confirmed");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM workers WHERE state = 'stopped'") == 1,
             "stopped");
    /* only recognised commands are reimbursed, and only within the limits */
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM ledger_entries WHERE kind = 'sms_refund'") <=
                 (int64_t)(w.cfg.max_replies_hour + w.cfg.max_replies_day + 2),
             "refunds bounded");
    world_close(&w);
}

/* PAY: a payout request with its idempotency key, the fee shown. */
static void test_pay(const tmpl_set *t)
{
    world w;
    if (world_open(&w, t, "pay") != 0)
        return;
    conv_result r;
    kz_err err;
    conv_handle_sms(w.st, &w.cfg, AMINA, "JOIN", 4, T0, NULL, &r, &err);
    KT_CHECK(raw_exec(w.target, "INSERT INTO ledger_entries(worker_id, kind, amount_minor,"
                                " currency, created_at)"
                                " VALUES (1, 'adjustment', 12000, 'KES', 0)") == DB_OK,
             "an adjustment");
    conv_handle_sms(w.st, &w.cfg, AMINA, "BAL", 3, T0 + 1, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "Balance KSh121.20.") &&
                 strstr(r.replies[0].text, "costs KSh29."),
             "BAL shows the agent fee: %s", r.nreplies ? r.replies[0].text : "");
    conv_handle_sms(w.st, &w.cfg, AMINA, "PAY 500", 7, T0 + 2, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "more than your balance of KSh122.40"),
             "PAY too much: %s", r.nreplies ? r.replies[0].text : "");
    conv_handle_sms(w.st, &w.cfg, AMINA, "PAY abc", 7, T0 + 3, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "Send PAY for your whole balance"),
             "PAY junk");
    conv_handle_sms(w.st, &w.cfg, AMINA, "PAY 100", 7, T0 + 4, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "Payout of KSh100 to this number requested") &&
                 strstr(r.replies[0].text, "costs KSh11."),
             "PAY 100: %s", r.nreplies ? r.replies[0].text : "");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM payouts WHERE state = 'requested'"
                            " AND amount_minor = 10000 AND phone = '+254712000001'"
                            " AND idempotency_key LIKE 'pay:msg:%'") == 1,
             "payout row");
    conv_handle_sms(w.st, &w.cfg, AMINA, "PAY", 3, T0 + 5, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "already on its way"), "one at a time");
    conv_handle_sms(w.st, &w.cfg, AMINA, "BAL", 3, T0 + 6, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "Balance KSh"), "BAL after PAY: %s",
             r.nreplies ? r.replies[0].text : "");
    /* Past 'requested' (debited, outcome unknown) it is still the one in flight:
     * a new PAY is told so, not left unanswered by the one-in-flight index. */
    KT_CHECK(raw_exec(w.target, "UPDATE payouts SET state = 'unknown';"
                                "INSERT INTO ledger_entries(worker_id, kind, amount_minor,"
                                " currency, payout_id, created_at)"
                                " VALUES (1, 'payout', -10000, 'KES', 1, 0)") == DB_OK,
             "the payout's outcome unknown");
    conv_handle_sms(w.st, &w.cfg, AMINA, "PAY", 3, T0 + 7, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "already on its way"),
             "PAY while one is unknown: %s", r.nreplies ? r.replies[0].text : "(no reply)");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM payouts") == 1, "no second payout row");
    world_close(&w);
}

/* APPEAL after a rejection: the engine opens it; money stays held. */
static void test_appeal(const tmpl_set *t)
{
    world w;
    if (world_open(&w, t, "appeal") != 0)
        return;
    conv_result r;
    kz_err err;
    conv_handle_sms(w.st, &w.cfg, AMINA, "JOIN", 4, T0, NULL, &r, &err);
    conv_handle_sms(w.st, &w.cfg, AMINA, "NEXT", 4, T0 + 1, NULL, &r, &err);
    conv_handle_sms(w.st, &w.cfg, AMINA, "1 3", 3, T0 + 2, NULL, &r, &err);
    KT_CHECK(engine_reject(w.st, 1, "The photo shows it open", T0 + 100, &err) == KZ_OK,
             "reject: %s", err.msg);
    conv_handle_sms(w.st, &w.cfg, AMINA, "APPEAL", 6, T0 + 200, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "Which task? Send APPEAL"), "APPEAL alone");
    /* the ref of the answered task: the worker's assignment 1 had ref 1 */
    conv_handle_sms(w.st, &w.cfg, AMINA, "APPEAL 1 it was closed, I was there", 35, T0 + 300,
                    NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "Appeal on task 1 sent to a person"),
             "APPEAL: %s", r.nreplies ? r.replies[0].text : "");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM appeals WHERE state = 'open'"
                            " AND reason = 'it was closed, I was there'") == 1,
             "appeal row");
    conv_handle_sms(w.st, &w.cfg, AMINA, "BAL", 3, T0 + 400, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "held"), "BAL shows held money: %s",
             r.nreplies ? r.replies[0].text : "");
    conv_handle_sms(w.st, &w.cfg, AMINA, "RUFANI 1 tena", 13, T0 + 500, NULL, &r, &err);
    KT_CHECK(r.nreplies && strstr(r.replies[0].text, "appealed already"), "twice");
    world_close(&w);
}

/*
 * The first task rides on the welcome only when that saves a segment: a
 * prompt outside the GSM alphabet makes the whole SMS UCS-2 (67 characters a
 * part), so the task is given back (skipped, no penalty) and the full
 * welcome goes alone, as many parts as ever.
 */
static void test_welcome_apart(const tmpl_set *t)
{
    static const char csv[] = "id,type,prompt,options\n"
                              "t1,verify,Duka la \xC5\x8Aina wazi?,Yes|No\n";
    world w;
    if (world_open_with(&w, "conv", "apart", csv, t) != 0) {
        KT_CHECK(0, "world");
        return;
    }
    conv_result r;
    kz_err err;
    KT_CHECK(conv_handle_sms(w.st, &w.cfg, AMINA, "JOIN Amina", 10, T0, NULL, &r, &err) ==
                     KZ_OK &&
                 r.nreplies == 1 && strstr(r.replies[0].text, "Tasks come by SMS") &&
                 !strchr(r.replies[0].text, '#') && r.replies[0].segments == 2,
             "the full welcome alone: %s", r.nreplies ? r.replies[0].text : "(none)");
    KT_CHECK(raw_int(w.target, "SELECT count(*) FROM assignments WHERE state = 'skipped'") == 1 &&
                 raw_int(w.target, "SELECT count(*) FROM assignments WHERE state = 'offered'") == 0,
             "the task given back");
    world_close(&w);
}

int main(void)
{
    tmpl_set *t = world_templates();
    if (!t)
        return kt_report();
    const script scripts[] = {
        {"en", en_steps, sizeof en_steps / sizeof en_steps[0]},
        {"sw", sw_steps, sizeof sw_steps / sizeof sw_steps[0]},
        {"misuse", misuse_steps, sizeof misuse_steps / sizeof misuse_steps[0]},
        {"flood", flood_steps, sizeof flood_steps / sizeof flood_steps[0]},
    };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        run_script(t, &scripts[i]);
    test_duplicate(t);
    test_flood(t);
    test_pay(t);
    test_appeal(t);
    test_welcome_apart(t);
    tmpl_free(t);
    return kt_report();
}
