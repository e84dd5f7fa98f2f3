/*
 * test_inbox.c - gateway/inbox.c over a real SQLite file: multipart parts in
 * any order and duplicated reassemble and are handed over once; an incomplete
 * set is handed over with the gap marker only after the configured timeout
 * (and a part arriving later is not lost); a deliver that fails is recorded
 * unhandled; and real crashes (a forked child that _exit()s between part
 * commits, or inside the hand-over transaction before its commit) followed by
 * a reopen never lose or double a message, nor does the same PDU read again
 * after a crash before the SIM delete. On a SQLite file, or on a fresh
 * PostgreSQL database per scenario with KAZI_TEST_PG (tests/db_target.h).
 * Owns: these scenarios. Never touches anything but its own /tmp file (or
 * its own PostgreSQL databases).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "concat.h"
#include "db_target.h"
#include "harness.h"
#include "inbox.h"
#include "pdu.h"
#include "queue_store.h"
#include "store.h"

#define T0 INT64_C(1705647600) /* 2024-01-19 07:00 UTC */
#define TIMEOUT 600
#define MAXP 8

static char dbpath[64];
static char target[320]; /* dbpath, or a PostgreSQL URI; "" when there is none */
static kz_store *st;
static kz_queue *q;
static inbox *ib;

/* What the deliver callback saw. crash_in_deliver: _exit() inside the transaction. */
static struct {
    int calls;
    char text[2048];
    char sender[32];
    int segments;
    bool incomplete;
    bool fail;
    bool crash_in_deliver;
} dv;

static kz_status deliver(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err)
{
    (void)ctx;
    dv.calls++;
    snprintf(dv.text, sizeof dv.text, "%s", m->text);
    snprintf(dv.sender, sizeof dv.sender, "%s", m->sender);
    dv.segments = m->segments;
    dv.incomplete = m->incomplete;
    if (dv.fail)
        return kz_err_set(err, KZ_ERR_DB, KZ_NO_OFFSET, "the conversation failed");
    /* As conv_handle_sms: the messages row with the set's dedupe key. */
    kz_status rc = qstore_inbox_record(q, m->sender, m->text, m->segments, m->dedupe_key,
                                       m->received_at, message_id, err);
    if (rc == KZ_OK && dv.crash_in_deliver)
        _exit(0); /* the power goes: the row was written, nothing committed */
    return rc;
}

static void open_all(void)
{
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_open(target, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "open: %s", err.msg);
    KT_CHECK(qstore_open(st, &q, &err) == KZ_OK, "qstore: %s", err.msg);
    ib = inbox_new(q, TIMEOUT, deliver, NULL);
    KT_CHECK(ib != NULL, "inbox_new");
}

static void close_all(void)
{
    inbox_free(ib);
    qstore_close(q);
    store_close(st);
    ib = NULL, q = NULL, st = NULL;
}

static void db_remove(void)
{
    kt_db_target_drop(target[0] ? target : dbpath);
    target[0] = '\0';
}

static void fresh(void)
{
    if (ib)
        close_all();
    db_remove();
    kt_db_target(target, sizeof target, dbpath);
    open_all();
    memset(&dv, 0, sizeof dv);
}

/* A plain read on its own connection (sees only what was committed). */
static int64_t sql_int(const char *sql)
{
    db_conn *db = NULL;
    db_stmt *s = NULL;
    int64_t v = -1;
    if (db_open(target, 0, &db) == DB_OK && db_prepare(db, sql, 0, &s) == DB_OK &&
        db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    db_close(db);
    return v;
}

/* text from `from` as SMS-DELIVER PDUs (multipart when long, 8-bit reference ref). */
static size_t make_pdus(const char *from, const char *text, unsigned ref, sms_pdu *out)
{
    sms_deliver_opts o;
    sms_deliver_opts_init(&o);
    o.from = from;
    o.scts = (sms_time){2024, 1, 19, 10, 0, 0, 180};
    o.concat_ref = (uint16_t)ref;
    size_t n = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(pdu_encode_deliver((const uint8_t *)text, strlen(text), &o, out, MAXP, &n, &err) ==
                 KZ_OK,
             "encode: %s", err.msg);
    return n;
}

/* One part as a modem read it: decode, then inbox_on_sms. Returns *ready. */
static bool feed(const char *modem, const sms_pdu *p, int64_t now)
{
    sms_message m;
    bool ready = false;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(pdu_decode(p->bytes, p->len, true, &m, &err) == KZ_OK, "decode: %s", err.msg);
    KT_CHECK(inbox_on_sms(ib, modem, &m, p->bytes, p->len, now, &ready, &err) == KZ_OK,
             "on_sms: %s", err.msg);
    return ready;
}

static int process(int64_t now, int *fallback)
{
    int handed = -1, fb = -1;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(inbox_process(ib, now, &handed, &fb, &err) == KZ_OK, "process: %s", err.msg);
    if (fallback)
        *fallback = fb;
    return handed;
}

static char long_text[600];

static void make_long_text(void)
{
    size_t n = 0;
    for (int i = 0; n + 12 < 430; i++)
        n += (size_t)snprintf(long_text + n, sizeof long_text - n, "word%03d ab ", i);
    long_text[n - 1] = '\0';
}

static void test_any_order_and_duplicates(void)
{
    fresh();
    sms_pdu p[MAXP];
    size_t n = make_pdus("+254711000001", long_text, 42, p);
    KT_CHECK(n == 3, "parts: %zu", n);
    if (n != 3)
        return;
    /* 3, 1, 3 again, 1 again: stored, nothing handed over yet */
    KT_CHECK(feed("m1", &p[2], T0), "a new part of a multipart set is 'ready' (maybe complete)");
    KT_CHECK(process(T0, NULL) == 0, "nothing before the set is complete");
    feed("m1", &p[0], T0 + 1);
    KT_CHECK(!feed("m1", &p[2], T0 + 2), "a duplicate part is not 'ready'");
    KT_CHECK(!feed("m1", &p[0], T0 + 3), "a duplicate part is not 'ready'");
    KT_CHECK(process(T0 + 3, NULL) == 0, "still incomplete: nothing handed over");
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts") == 2, "duplicates stored once: %lld",
             (long long)sql_int("SELECT count(*) FROM inbox_parts"));
    feed("m1", &p[1], T0 + 4);
    KT_CHECK(process(T0 + 4, NULL) == 1, "complete: handed over");
    KT_CHECK(dv.calls == 1, "deliver calls %d", dv.calls);
    KT_STREQ(dv.text, long_text, "reassembled text");
    KT_STREQ(dv.sender, "+254711000001", "sender");
    KT_CHECK(dv.segments == 3 && !dv.incomplete, "segments %d incomplete %d", dv.segments,
             dv.incomplete);
    KT_CHECK(process(T0 + 5, NULL) == 0 && process(T0 + 5 + 2 * TIMEOUT, NULL) == 0,
             "handed over once");
    /* The same parts read again (a SIM copy left behind): no second message. */
    for (size_t i = 0; i < n; i++)
        feed("m1", &p[i], T0 + 6);
    KT_CHECK(process(T0 + 7, NULL) == 0 && process(T0 + 7 + 2 * TIMEOUT, NULL) == 0,
             "parts read again after the hand-over: nothing new");
    KT_CHECK(dv.calls == 1, "deliver calls %d", dv.calls);
    KT_CHECK(sql_int("SELECT count(*) FROM messages WHERE direction = 'in'") == 1, "one row");
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts WHERE message_id IS NULL") == 0,
             "every part marked handed over");

    /* Two interleaved sets from two senders, and a single SMS between them. */
    sms_pdu a[MAXP], b[MAXP], s[MAXP];
    size_t na = make_pdus("+254711000002", long_text, 7, a);
    size_t nb = make_pdus("+254711000003", long_text, 7, b);
    make_pdus("+254711000002", "JOIN Amina", 0, s);
    feed("m1", &b[1], T0 + 10);
    feed("m1", &a[2], T0 + 10);
    feed("m1", &s[0], T0 + 10);
    feed("m1", &a[0], T0 + 10);
    feed("m1", &b[0], T0 + 10);
    feed("m1", &a[1], T0 + 10);
    KT_CHECK(na == 3 && nb == 3, "parts %zu %zu", na, nb);
    KT_CHECK(process(T0 + 11, NULL) == 2, "set a and the single SMS");
    feed("m1", &b[2], T0 + 12);
    KT_CHECK(process(T0 + 12, NULL) == 1, "set b");
    KT_CHECK(dv.calls == 4, "deliver calls %d", dv.calls);
    KT_CHECK(sql_int("SELECT count(*) FROM messages WHERE direction = 'in'") == 4, "four rows");
    /* The same ref from the same sender on another modem is another set. */
    feed("m2", &a[0], T0 + 13);
    KT_CHECK(process(T0 + 13, NULL) == 0, "a part on m2 does not complete m1's set");
}

static void test_timeout_gap(void)
{
    fresh();
    sms_pdu p[MAXP];
    size_t n = make_pdus("+254711000004", long_text, 9, p);
    if (n != 3)
        return;
    feed("m1", &p[0], T0);
    feed("m1", &p[2], T0 + 10);
    KT_CHECK(process(T0 + 10 + TIMEOUT - 1, NULL) == 0, "not before the timeout");
    KT_CHECK(dv.calls == 0, "deliver calls %d", dv.calls);
    KT_CHECK(process(T0 + 10 + TIMEOUT + 1, NULL) == 1, "after the timeout: handed over");
    KT_CHECK(dv.incomplete && dv.segments == 3, "incomplete %d segments %d", dv.incomplete,
             dv.segments);
    KT_CHECK(strstr(dv.text, CONCAT_GAP) != NULL, "gap marker in \"%s\"", dv.text);
    KT_CHECK(strncmp(dv.text, long_text, 40) == 0, "part 1's text first: \"%.60s\"", dv.text);
    KT_CHECK(process(T0 + 20 + 2 * TIMEOUT, NULL) == 0, "once");
    /* The missing part arrives late: kept and handed over (on its own), never lost. */
    feed("m1", &p[1], T0 + 30 + TIMEOUT);
    KT_CHECK(process(T0 + 31 + TIMEOUT, NULL) == 0, "a late part waits for its own timeout");
    KT_CHECK(process(T0 + 31 + 2 * TIMEOUT, NULL) == 1, "the late part is handed over");
    KT_CHECK(dv.calls == 2, "deliver calls %d", dv.calls);
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts WHERE message_id IS NULL") == 0,
             "nothing left waiting");
    /* A set that completes late is handed over at once, not at the timeout. */
    inbox_configure(ib, 30);
    sms_pdu r[MAXP];
    make_pdus("+254711000005", long_text, 10, r);
    feed("m1", &r[0], T0 + 5000);
    KT_CHECK(process(T0 + 5029, NULL) == 0, "configured timeout 30 s: not at 29 s");
    KT_CHECK(process(T0 + 5031, NULL) == 1, "configured timeout 30 s: at 31 s");
}

static void test_deliver_fails(void)
{
    fresh();
    sms_pdu p[MAXP];
    make_pdus("+254711000006", "HELP", 0, p);
    feed("m1", &p[0], T0);
    dv.fail = true;
    int fb = 0;
    KT_CHECK(process(T0, &fb) == 0 && fb == 1, "failed deliver: recorded unhandled (%d)", fb);
    dv.fail = false;
    KT_CHECK(sql_int("SELECT count(*) FROM messages WHERE direction = 'in' AND state ="
                     " 'received' AND body = 'HELP'") == 1,
             "the message is kept as 'received'");
    KT_CHECK(process(T0 + 1, &fb) == 0 && fb == 0, "and not handed over again");
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts WHERE message_id IS NULL") == 0,
             "its part is marked");
}

/* Run body in a child with its own connection; the child ends with _exit(0). */
static void in_child(void (*body)(const sms_pdu *), const sms_pdu *p)
{
    close_all();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        open_all();
        body(p);
        _exit(0); /* a crash: no close, no checkpoint */
    }
    int status = 0;
    KT_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                 WEXITSTATUS(status) == 0,
             "child status %d", status);
    open_all();
}

static void child_two_parts(const sms_pdu *p)
{
    feed("m1", &p[0], T0);
    feed("m1", &p[1], T0);
}

static void child_process(const sms_pdu *p)
{
    (void)p;
    dv.crash_in_deliver = true;
    process(T0 + 5, NULL);
}

static void test_crashes(void)
{
    fresh();
    sms_pdu p[MAXP];
    size_t n = make_pdus("+254711000007", long_text, 77, p);
    if (n != 3)
        return;
    /* Crash 1: two parts committed, then the process dies (nothing handed over). */
    in_child(child_two_parts, p);
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts") == 2, "committed parts survive: %lld",
             (long long)sql_int("SELECT count(*) FROM inbox_parts"));
    /* After the restart the SIM still holds all three (none was deleted): read again. */
    for (size_t i = 0; i < n; i++)
        feed("m1", &p[i], T0 + 2);
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts") == 3, "each part stored once");
    /* Crash 2: inside the hand-over, after deliver wrote its row, before the commit. */
    in_child(child_process, p);
    KT_CHECK(sql_int("SELECT count(*) FROM messages") == 0, "the uncommitted row is gone");
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts WHERE message_id IS NULL") == 3,
             "the parts still wait");
    dv.crash_in_deliver = false;
    dv.calls = 0;
    KT_CHECK(process(T0 + 6, NULL) == 1, "handed over after the restart");
    KT_CHECK(dv.calls == 1, "deliver calls %d", dv.calls);
    KT_STREQ(dv.text, long_text, "whole text after two crashes");
    /* Crash 3: after the commit, before the SIM delete: the same PDUs again. */
    close_all();
    open_all();
    for (size_t i = 0; i < n; i++)
        KT_CHECK(!feed("m1", &p[i], T0 + 7), "a part read again is a duplicate");
    KT_CHECK(process(T0 + 8, NULL) == 0 && process(T0 + 8 + 2 * TIMEOUT, NULL) == 0,
             "not handed over again");
    KT_CHECK(dv.calls == 1, "deliver calls %d", dv.calls);
    KT_CHECK(sql_int("SELECT count(*) FROM messages WHERE direction = 'in'") == 1,
             "one message: %lld", (long long)sql_int("SELECT count(*) FROM messages"));

    /* A single SMS: stored, crash, the same PDU read twice, handed over once. */
    sms_pdu s[MAXP];
    make_pdus("+254711000008", "42 2", 0, s);
    feed("m2", &s[0], T0 + 20);
    close_all();
    open_all();
    feed("m2", &s[0], T0 + 21);
    feed("m2", &s[0], T0 + 22);
    KT_CHECK(process(T0 + 22, NULL) == 1, "the single SMS handed over");
    feed("m2", &s[0], T0 + 23);
    KT_CHECK(process(T0 + 23, NULL) == 0, "and only once");
    KT_CHECK(sql_int("SELECT count(*) FROM messages WHERE body = '42 2'") == 1, "one row");
    KT_CHECK(sql_int("SELECT count(*) FROM inbox_parts WHERE sender = '+254711000008'") == 1,
             "one part");
    /* The same text in a new SMS (another time stamp) is another message. */
    sms_deliver_opts o;
    sms_deliver_opts_init(&o);
    o.from = "+254711000008";
    o.scts = (sms_time){2024, 1, 19, 10, 5, 0, 180};
    sms_pdu again[MAXP];
    size_t na = 0;
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"42 2", 4, &o, again, MAXP, &na, NULL) == KZ_OK,
             "encode");
    feed("m2", &again[0], T0 + 300);
    KT_CHECK(process(T0 + 300, NULL) == 1, "a new SMS with the same text is handed over");
    KT_CHECK(sql_int("SELECT count(*) FROM messages WHERE body = '42 2'") == 2, "two rows");
}

int main(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/kazi-inbox-%ld.db", (long)getpid());
    make_long_text();
    test_any_order_and_duplicates();
    test_timeout_gap();
    test_deliver_fails();
    test_crashes();
    if (ib)
        close_all();
    db_remove();
    return kt_report();
}
