/*
 * test_conv_multi.c - several answers in one SMS: tasks/conv_multi.c's
 * grammar (every accepted form, and every refused one, which conv_parse
 * then reads as one answer or a command, never as a list), and the
 * conversation (tests/conv_world.h): open offers answered in one SMS and
 * one by one, each recorded and paid as if sent alone, the reply SMS
 * refunded once, a resent list, a list with a wrong option, a list naming a
 * task that is not open.
 */
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "conv_multi.h"
#include "conv_parse.h"
#include "conv_world.h"
#include "harness.h"

/* Monday 3 March 2025, 10:00 in Nairobi: inside the push window. */
#define T0 INT64_C(1740985200)
#define AMINA "+254712000001"

typedef struct accepted {
    const char *text;
    size_t n;
    int ref[4];
    const char *answer[4];
} accepted;

static const accepted ok_cases[] = {
    {"12 1 13 2", 2, {12, 13}, {"1", "2"}},
    {"12 1, 13 2", 2, {12, 13}, {"1", "2"}},
    {"12 1,13 2", 2, {12, 13}, {"1", "2"}},
    {"12=1 13=2", 2, {12, 13}, {"1", "2"}},
    {"12=1, 13=2", 2, {12, 13}, {"1", "2"}},
    {"12*1 13*2", 2, {12, 13}, {"1", "2"}},
    {"12.1 13.2", 2, {12, 13}, {"1", "2"}},
    {"12:1; 13:2", 2, {12, 13}, {"1", "2"}},
    {"12-1/13-2", 2, {12, 13}, {"1", "2"}},
    {"#12 1 #13 2", 2, {12, 13}, {"1", "2"}},
    {"12#1 13#2", 2, {12, 13}, {"1", "2"}},
    {"12 1\n13 2", 2, {12, 13}, {"1", "2"}},
    {"  12  1   13  2  ", 2, {12, 13}, {"1", "2"}},
    {"12 1 13 2.", 2, {12, 13}, {"1", "2"}},
    {"1 3 2 1 3 2", 3, {1, 2, 3}, {"3", "1", "2"}},
    {"9999 12 1 99", 2, {9999, 1}, {"12", "99"}},
    {"4 1 5 2 6 3 7 1", 4, {4, 5, 6, 7}, {"1", "2", "3", "1"}},
};

static const char *const refused[] = {
    "",                /* nothing */
    "12 1",            /* one answer: the ordinary form */
    "12 1 13",         /* an odd count */
    "12 1 13 ",        /* the same, a trailing space */
    "12 1 13 Red",     /* a word */
    "12 Moi 13 2",     /* a word first */
    "12 1 13 0",       /* option zero */
    "12 1 0 2",        /* ref zero */
    "12 1 013 2",      /* a leading zero */
    "12 1 13 100",     /* a three-digit option */
    "12345 1 13 2",    /* a five-digit ref */
    "12 1 12 2",       /* the same task twice */
    "12 1x 13 2",      /* a letter stuck to a number */
    "12 1,,13 2x",     /* junk at the end */
    "12,1 13,2",       /* a comma inside a pair */
    "12 1 13 2 14 3 15 1 16 2 17 3 18 1 19 2 20 3", /* more than CONV_MULTI_MAX */
    "NEXT",
    "SKIP 12 13",
    "12 1 + 13 2",     /* '+' is no separator */
};

static void test_accepted(void)
{
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const accepted *a = &ok_cases[i];
        conv_multi m;
        bool got = conv_multi_parse(a->text, strlen(a->text), &m);
        KT_CHECK(got && m.n == a->n, "'%s': read %d, %zu pairs", a->text, got, m.n);
        for (size_t k = 0; got && k < a->n && k < m.n; k++)
            KT_CHECK(m.ref[k] == a->ref[k] && strcmp(m.answer[k], a->answer[k]) == 0,
                     "'%s' pair %zu: %d %s", a->text, k, m.ref[k], m.answer[k]);
    }
}

static void test_refused(void)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        conv_multi m;
        m.n = 7;
        bool got = conv_multi_parse(refused[i], strlen(refused[i]), &m);
        KT_CHECK(!got && m.n == 0, "'%s' is not a list (%zu pairs)", refused[i], m.n);
    }
}

/* conv_parse reads every accepted form as an answer to its first ref, so the
 * conversation gets to try the list; the cleaned text is what the list is read from. */
static void test_through_parse(void)
{
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const accepted *a = &ok_cases[i];
        conv_cmd c;
        conv_parse(a->text, strlen(a->text), &c);
        conv_multi m;
        KT_CHECK(c.kind == CONV_ANSWER && c.ref == a->ref[0] && c.args == CONV_ARGS_OK &&
                     conv_multi_parse(c.text, c.text_len, &m) && m.n == a->n,
                 "'%s': kind %s ref %d, cleaned '%s'", a->text, conv_kind_name(c.kind), c.ref,
                 c.text);
    }
}

static const char tasks_csv[] =
    "id,type,prompt,options\n"
    "t1,verify,Is the shop open?,Yes|No\n"
    "t2,verify,Is there a queue?,Yes|No\n"
    "t3,verify,Is it raining?,Yes|No\n"
    "t4,verify,Is the road tarmac?,Yes|No\n"
    "t5,verify,Is the gate green?,Yes|No\n"
    "t6,verify,Is the kiosk busy?,Yes|No\n"
    "t7,choice,Which colour is the door?,Red|Green|Blue\n";

/* One SMS from Amina at T0 + at; its one reply (or "") into *r. */
static const char *say(world *w, const char *text, int64_t at, conv_result *r)
{
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = conv_handle_sms(w->st, &w->cfg, AMINA, text, strlen(text), T0 + at, NULL, r,
                                   &err);
    KT_CHECK(rc == KZ_OK, "'%s': %s", text, err.msg);
    if (getenv("KAZI_CONV_TRACE"))
        printf("> %s\n< %s\n", text, r->nreplies ? r->replies[0].text : "(none)");
    return rc == KZ_OK && r->nreplies == 1 ? r->replies[0].text : "";
}

static int64_t q(const world *w, const char *sql)
{
    return world_int(w, sql);
}

static void test_conversation(const tmpl_set *t)
{
    world w;
    if (world_open_with(&w, "conv", "multi", tasks_csv, t) != 0) {
        KT_CHECK(0, "world");
        return;
    }
    w.cfg.max_replies_hour = 100;
    conv_result r;
    const char *s = say(&w, "JOIN Amina", 0, &r);
    KT_CHECK(strstr(s, "#1 Acme: Is the shop open?") != NULL, "welcome and task 1: %s", s);
    s = say(&w, "NEXT", 10, &r);
    KT_CHECK(strncmp(s, "#2 Acme: Is there a queue?", 26) == 0, "task 2: %s", s);

    /* both in one SMS: two answers, two rewards, one refund, the next offer riding */
    s = say(&w, "1 1, 2 2", 20, &r);
    KT_CHECK(strncmp(s, "Got 1: Yes, 2: No. +KSh7.20. #3 Acme: Is it raining?", 52) == 0 &&
                 r.replies[0].segments == 1,
             "one reply for both: %s", s);
    KT_CHECK(q(&w, "SELECT count(*) FROM answers a JOIN messages m ON m.id = a.message_id"
                   " WHERE m.body = '1 1, 2 2'") == 2,
             "two answers from the one SMS");
    KT_CHECK(q(&w, "SELECT count(*) FROM ledger_entries WHERE kind = 'reward'") == 2 &&
                 q(&w, "SELECT sum(amount_minor) FROM ledger_entries WHERE kind = 'reward'") == 600,
             "each paid its reward");
    KT_CHECK(q(&w, "SELECT CAST(count(*) AS TEXT) || CAST(sum(amount_minor) AS TEXT)"
                   " FROM ledger_entries WHERE kind = 'sms_refund'"
                   " AND message_id = (SELECT min(id) FROM messages"
                   " WHERE direction = 'in' AND body = '1 1, 2 2')") == 1120,
             "the reply segment refunded once");

    /* the same SMS again: nothing new is recorded or paid */
    s = say(&w, "1 1, 2 2", 25, &r);
    KT_CHECK(strstr(s, "You already answered task 1") != NULL, "resent list: %s", s);
    KT_CHECK(q(&w, "SELECT count(*) FROM answers") == 2 &&
                 q(&w, "SELECT count(*) FROM ledger_entries WHERE kind = 'reward'") == 2,
             "resent list: still two answers, two rewards");

    /* one by one still works */
    s = say(&w, "NEXT", 30, &r);
    KT_CHECK(strncmp(s, "#4 Acme", 7) == 0, "task 4: %s", s);
    s = say(&w, "3 1", 40, &r);
    KT_CHECK(strncmp(s, "Got 3: Yes. +KSh4.20. #5 Acme", 29) == 0, "one answer: %s", s);
    s = say(&w, "4 2", 50, &r);
    KT_CHECK(strncmp(s, "Got 4: No. +KSh4.20. #6 Acme", 28) == 0, "the other: %s", s);
    KT_CHECK(q(&w, "SELECT count(*) FROM answers") == 4 &&
                 q(&w, "SELECT count(DISTINCT l.message_id) FROM ledger_entries l"
                       " JOIN answers a ON a.message_id = l.message_id"
                       " WHERE l.kind = 'sms_refund'") == 3,
             "four answers from three SMS, each SMS refunded");

    /* a wrong option in a list: the good answer is taken, the reply names the wrong one */
    s = say(&w, "5 3 6 1", 60, &r);
    KT_CHECK(strstr(s, "Task 5: reply 5 and a number from 1 to 2") != NULL &&
                 strncmp(s, "Got 6: Yes. +KSh4.20.", 21) == 0,
             "wrong option: %s", s);
    KT_CHECK(q(&w, "SELECT count(*) FROM answers a JOIN assignments s ON s.id = a.assignment_id"
                   " WHERE s.ref = 6") == 1 &&
                 q(&w, "SELECT count(*) FROM answers a JOIN assignments s ON s.id = a.assignment_id"
                       " WHERE s.ref = 5") == 0,
             "6 recorded, 5 not");

    /* a list naming a task that is not open is not a list: one answer to 5, refused */
    s = say(&w, "5 1 99 2", 70, &r);
    KT_CHECK(strstr(s, "Task 5: reply 5 and a number from 1 to 2") != NULL, "not a list: %s", s);
    s = say(&w, "5 1", 80, &r);
    KT_CHECK(strncmp(s, "Got 5: Yes.", 11) == 0, "then 5 alone: %s", s);
    KT_CHECK(q(&w, "SELECT count(*) FROM answers") == 6, "six answers in all");
    KT_CHECK(q(&w, "SELECT count(*) FROM (SELECT message_id FROM ledger_entries"
                   " WHERE kind = 'sms_refund' GROUP BY message_id HAVING count(*) > 1)") == 0,
             "no SMS refunded twice");
    world_close(&w);
}

int main(void)
{
    test_accepted();
    test_refused();
    test_through_parse();
    tmpl_set *t = world_templates();
    if (t)
        test_conversation(t);
    tmpl_free(t);
    return kt_report();
}
