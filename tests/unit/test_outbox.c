/*
 * test_outbox.c - gateway/outbox.c over a real SQLite file with fake senders
 * (the outbox_sender_ops seam): encoding into persisted parts, 'sending'
 * committed before the send, outcomes, delivery reports (by send id and by
 * TP-MR), retries with exponential backoff, permanent failure, the attempt
 * limit, the daily cap per SIM, quiet hours for unsolicited messages, the
 * operator-prefix preference, multipart parts kept on one SIM, a refused send
 * rolled back, the after-crash rule, a timed-out try kept on record after
 * later failures, and a turn's reports in one commit (stored once when
 * offered again). Reads results back with plain SQL. On a SQLite file, or on
 * a fresh PostgreSQL database per test with KAZI_TEST_PG (tests/db_target.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_target.h"
#include "harness.h"
#include "outbox.h"
#include "queue_store.h"
#include "store.h"

#define T0 INT64_C(1705647600) /* 2024-01-19 07:00 UTC = 10:00 in Nairobi */
#define DAY0 "2024-01-19"

typedef struct fake {
    bool ready;
    kz_status refuse;      /* returned by send when not KZ_OK */
    int nsent;
    uint64_t ids[64];
    int64_t sending_seen;  /* parts 'sending' in the database when send was called */
} fake;

static kz_queue *q;
static kz_store *st;
static db_conn *peek; /* a second connection: sees only what was committed */
static char dbpath[64];
static char target[320]; /* dbpath, or a PostgreSQL URI */
static outbox_settings set;

static bool fake_ready(void *dev)
{
    return ((fake *)dev)->ready;
}

static int64_t sql_int(const char *sql)
{
    db_stmt *s = NULL;
    int64_t v = -1;
    if (db_prepare(peek, sql, 0, &s) == DB_OK && db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    return v;
}

static void sql_text(const char *sql, char *out, size_t cap)
{
    db_stmt *s = NULL;
    out[0] = '\0';
    if (db_prepare(peek, sql, 0, &s) == DB_OK && db_step(s) == DB_ROW && db_column_text(s, 0))
        snprintf(out, cap, "%s", (const char *)db_column_text(s, 0));
    db_finalize(s);
}

static kz_status fake_send(void *dev, uint64_t id, const sms_pdu *pdu)
{
    fake *f = dev;
    (void)pdu;
    f->sending_seen = sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'sending'");
    if (f->refuse != KZ_OK)
        return f->refuse;
    if (f->nsent < 64)
        f->ids[f->nsent++] = id;
    return KZ_OK;
}

static const outbox_sender_ops fake_ops = {fake_ready, fake_send};

static void settings_default(void)
{
    set = (outbox_settings){.max_attempts = 3, .retry_base_s = 10, .retry_max_s = 40,
                            .status_reports = true, .validity_s = 86400, .max_in_flight = 8,
                            .daily_sms_cap = 0, .tz_offset_minutes = 180,
                            .push_from_minute = 7 * 60, .push_to_minute = 19 * 60,
                            .resend_after_crash = false, .sending_timeout_s = 600};
}

static void open_db(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/kazi-outbox-%ld.db", (long)getpid());
    unlink(dbpath);
    kt_db_target(target, sizeof target, dbpath);
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_open(target, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "open: %s", err.msg);
    KT_CHECK(qstore_open(st, &q, &err) == KZ_OK, "qstore: %s", err.msg);
    KT_CHECK(db_open(target, 0, &peek) == DB_OK, "peek: %s", db_errmsg(peek));
    if (!kt_pg_base())
        KT_CHECK(db_exec(peek, "PRAGMA busy_timeout = 5000") == DB_OK, "peek: busy timeout");
}

static void close_db(void)
{
    db_close(peek);
    peek = NULL;
    qstore_close(q);
    store_close(st);
    kt_db_target_drop(target);
}

static int64_t enqueue(const char *to, const char *body, bool unsolicited)
{
    int64_t id = 0;
    KT_CHECK(qstore_outbox_enqueue(q, to, 0, body, unsolicited, T0, &id, NULL) == KZ_OK,
             "enqueue");
    return id;
}

static void msg_state(int64_t id, char *out, size_t cap)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT state FROM messages WHERE id = %lld", (long long)id);
    sql_text(sql, out, cap);
}

static int pump(outbox *ob, int64_t now)
{
    int handed = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(outbox_pump(ob, now, &handed, &err) == KZ_OK, "pump: %s", err.msg);
    return handed;
}

/* A confirmed send waits in memory for the next commit; the tests commit it at once. */
static void sent_ok(outbox *ob, const char *name, uint64_t id, int mr, int64_t now)
{
    KT_CHECK(outbox_on_sent(ob, name, id, KZ_OK, mr, -1, false, now, NULL) == KZ_OK, "on_sent");
    KT_CHECK(outbox_flush(ob, NULL) == KZ_OK, "flush");
}

static void test_helpers(void)
{
    char day[11];
    outbox_local_day(T0, 180, day);
    KT_STREQ(day, DAY0, "local day");
    outbox_local_day(T0 + 14 * 3600, 180, day); /* 00:00 local next day */
    KT_STREQ(day, "2024-01-20", "local day after midnight");
    KT_CHECK(outbox_in_window(T0, 180, 420, 1140), "10:00 inside 07-19");
    KT_CHECK(!outbox_in_window(T0 + 10 * 3600, 180, 420, 1140), "20:00 outside");
    KT_CHECK(!outbox_in_window(T0 + 9 * 3600, 180, 1200, 360), "19:00 outside 20:00-06:00");
    KT_CHECK(outbox_in_window(T0 + 11 * 3600, 180, 1200, 360), "21:00 inside 20:00-06:00");
    KT_CHECK(outbox_vp_octet(300) == 0 && outbox_vp_octet(3600) == 11, "vp minutes");
    KT_CHECK(outbox_vp_octet(86400) == 167, "vp 1 day %d", outbox_vp_octet(86400));
    KT_CHECK(outbox_vp_octet(2 * 86400) == 168 && outbox_vp_octet(60 * 86400) == 201, "vp days");
}

/* Encode, commit 'sending' before the send, sent with MR, delivered by report. */
static void test_send_and_deliver(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    KT_CHECK(outbox_attach(ob, "m1", &f, &fake_ops, 0, "") == KZ_OK, "attach");
    KT_CHECK(outbox_attach(ob, "m1", &f, &fake_ops, 0, "") == KZ_ERR_BUSY, "attach twice");
    int64_t id = enqueue("+254711000001", "Habari, kazi 42 imefika", false);
    KT_CHECK(pump(ob, T0) == 1 && f.nsent == 1, "one part handed");
    KT_CHECK(f.sending_seen == 1, "'sending' was committed before the send");
    char s[16];
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "sending", "message sending");
    KT_CHECK(pump(ob, T0 + 1) == 0, "nothing more to send");
    KT_CHECK(outbox_on_sent(ob, "m1", f.ids[0], KZ_OK, 42, -1, false, T0 + 2, NULL) == KZ_OK,
             "on_sent");
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "sending", "a confirmed send waits for the next commit");
    KT_CHECK(pump(ob, T0 + 2) == 0, "the pump commits it");
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "sent", "message sent");
    KT_CHECK(sql_int("SELECT mr FROM messages WHERE id = 1") == 42, "mr kept");
    KT_CHECK(sql_int("SELECT sent FROM sms_counts WHERE modem = 'm1' AND day = '" DAY0 "'") == 1,
             "daily count");
    sms_message rep;
    memset(&rep, 0, sizeof rep);
    rep.type = SMS_STATUS_REPORT;
    rep.status = 0;
    rep.mr = 42;
    KT_CHECK(outbox_on_report(ob, "m1", f.ids[0], &rep, T0 + 5, NULL) == KZ_OK, "report");
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "delivered", "delivered");
    KT_CHECK(pump(ob, T0 + 100) == 0 && f.nsent == 1, "a sent part is never sent again");
    /* A report that only knows the MR (after a restart the driver forgot the send id). */
    int64_t id2 = enqueue("+254711000001", "Asante", false);
    pump(ob, T0 + 101);
    sent_ok(ob, "m1", f.ids[1], 43, T0 + 102);
    rep.mr = 43;
    rep.status = 0x41; /* permanent: incompatible destination */
    snprintf(rep.address.text, sizeof rep.address.text, "+254711000001");
    KT_CHECK(outbox_on_report(ob, "m1", 0, &rep, T0 + 103, NULL) == KZ_OK, "report by mr");
    msg_state(id2, s, sizeof s);
    KT_STREQ(s, "failed", "undeliverable by report");
    outbox_free(ob);
    close_db();
}

/* The reports of one turn in the caller's transaction (the daemon's group commit);
 * before its end another connection still sees `before` parts delivered. */
static void report_group(outbox *ob, const uint64_t *ids, int n, int64_t now, int before,
                         bool commit)
{
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(store_begin(st, &err) == KZ_OK, "begin: %s", err.msg);
    KT_CHECK(outbox_reports_begin(ob, &err) == KZ_OK, "the confirmed sends: %s", err.msg);
    for (int i = 0; i < n; i++) {
        sms_message rep;
        memset(&rep, 0, sizeof rep);
        rep.type = SMS_STATUS_REPORT;
        rep.mr = (uint8_t)(10 + i);
        snprintf(rep.address.text, sizeof rep.address.text, "+25471100020%d", i);
        KT_CHECK(outbox_report_in_tx(ob, "m1", ids ? ids[i] : 0, &rep, now, &err) == KZ_OK,
                 "report %d: %s", i, err.msg);
    }
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'delivered'") == before,
             "nothing visible before the commit");
    if (!commit) {
        store_rollback(st); /* a crash before the commit */
        return;
    }
    KT_CHECK(store_commit(st, &err) == KZ_OK, "commit: %s", err.msg);
    outbox_reports_committed(ob);
}

/*
 * Reports of one turn share one commit (nothing is visible before it, the
 * sends confirmed in memory go in with them); a rollback (a crash before the
 * commit) stores nothing and the same reports offered again are stored once;
 * offered a third time (by TP-MR, as after a restart) they change nothing.
 */
static void test_report_group(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    int64_t msg[3];
    for (int i = 0; i < 3; i++) {
        char to[32];
        snprintf(to, sizeof to, "+25471100020%d", i);
        msg[i] = enqueue(to, "Habari", false);
    }
    KT_CHECK(pump(ob, T0) == 3, "three parts handed");
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        ids[i] = f.ids[i];
        outbox_on_sent(ob, "m1", ids[i], KZ_OK, 10 + i, -1, false, T0 + 1, NULL);
    }
    report_group(ob, ids, 3, T0 + 2, 0, false);
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'sending'") == 3,
             "rolled back: the parts still 'sending'");
    report_group(ob, ids, 3, T0 + 3, 0, true);
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'delivered'") == 3,
             "offered again: all three delivered in one commit");
    char s[16];
    msg_state(msg[2], s, sizeof s);
    KT_STREQ(s, "delivered", "the message too");
    int64_t sent = sql_int("SELECT sent FROM sms_counts WHERE modem = 'm1'");
    int64_t at = sql_int("SELECT max(updated_at) FROM outbox_parts");
    report_group(ob, NULL, 3, T0 + 50, 3, true);
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'delivered'") == 3 &&
                 sql_int("SELECT max(updated_at) FROM outbox_parts") == at &&
                 sql_int("SELECT max(updated_at) FROM messages WHERE id <= 3") < T0 + 50,
             "the same reports again change nothing");
    KT_CHECK(sql_int("SELECT sent FROM sms_counts WHERE modem = 'm1'") == sent && sent == 3,
             "nothing counted twice (%lld)", (long long)sent);
    outbox_free(ob);
    close_db();
}

/* Retryable errors back off 10, 20 s; the third failure (max_attempts) fails it. */
static void test_retry_backoff(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    int64_t id = enqueue("+254711000001", "retry me", false);
    pump(ob, T0);
    KT_CHECK(outbox_on_sent(ob, "m1", f.ids[0], KZ_ERR_INVALID, -1, 500, true, T0, NULL) == KZ_OK,
             "fail 1");
    KT_CHECK(sql_int("SELECT next_attempt_at FROM outbox_parts") == T0 + 10, "backoff 10 s");
    KT_CHECK(pump(ob, T0 + 9) == 0, "not before it is due");
    KT_CHECK(pump(ob, T0 + 10) == 1, "retried when due");
    outbox_on_sent(ob, "m1", f.ids[1], KZ_ERR_TIMEOUT, -1, -1, true, T0 + 10, NULL);
    KT_CHECK(sql_int("SELECT next_attempt_at FROM outbox_parts") == T0 + 30, "backoff 20 s");
    KT_CHECK(pump(ob, T0 + 30) == 1, "third attempt");
    outbox_on_sent(ob, "m1", f.ids[2], KZ_ERR_INVALID, -1, 500, true, T0 + 30, NULL);
    char s[16], e[200];
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "failed", "failed after max_attempts");
    sql_text("SELECT error FROM messages", e, sizeof e);
    KT_CHECK(strstr(e, "+CMS ERROR: 500") && strstr(e, "no attempts left"), "error: %s", e);
    KT_CHECK(sql_int("SELECT attempts FROM messages") == 3, "attempts 3");
    KT_CHECK(pump(ob, T0 + 1000) == 0, "a failed message stays failed");
    /* A permanent error fails at once, and the other parts of the message with it. */
    char longtext[400];
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    int64_t id2 = enqueue("+254711000001", longtext, false);
    set.max_in_flight = 1;
    outbox_configure(ob, &set);
    KT_CHECK(pump(ob, T0 + 2000) == 1, "one part in flight at most");
    kz_err e2;
    kz_err_clear(&e2);
    KT_CHECK(outbox_on_sent(ob, "m1", f.ids[3], KZ_ERR_INVALID, -1, 38, false, T0 + 2000, &e2) ==
                 KZ_OK, "permanent: %s (nsent %d, id %llu)", e2.msg, f.nsent,
             (unsigned long long)f.ids[3]);
    msg_state(id2, s, sizeof s);
    KT_STREQ(s, "failed", "permanent error");
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE message_id = 2 AND state = 'failed'")
                 == 3, "all three parts failed");
    outbox_free(ob);
    close_db();
}

/*
 * The one duplicate the outbox allows keeps its record: a part whose AT+CMGS
 * timed out (the network may have it) is tried again on the same SIM, pinned
 * there by its sibling still in flight; that SIM then goes down and both
 * parts fail with I/O errors; the message goes out through the other SIM
 * (the soak week's duplicate).
 * Its error must still say the first try timed out, or nothing tells a
 * second copy on the phone from a bug.
 */
static void test_timeout_record_kept(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake a = {.ready = true}, b = {.ready = false};
    outbox_attach(ob, "m1", &a, &fake_ops, 0, "");
    outbox_attach(ob, "m2", &b, &fake_ops, 0, "");
    char text[200];
    memset(text, 'c', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    int64_t id = enqueue("+254711000001", text, false);
    KT_CHECK(pump(ob, T0) == 2 && a.nsent == 2, "two parts to m1: %d", a.nsent);
    outbox_on_sent(ob, "m1", a.ids[0], KZ_ERR_TIMEOUT, -1, -1, true, T0 + 60, NULL);
    b.ready = true;
    KT_CHECK(pump(ob, T0 + 70) == 1 && a.nsent == 3, "part 1 again on m1, pinned by part 2");
    a.ready = false; /* m1 resets: what it still held fails, part 1's try, then part 2 */
    outbox_on_sent(ob, "m1", a.ids[2], KZ_ERR_IO, -1, -1, true, T0 + 180, NULL);
    outbox_on_sent(ob, "m1", a.ids[1], KZ_ERR_IO, -1, -1, true, T0 + 180, NULL);
    KT_CHECK(pump(ob, T0 + 300) == 2 && b.nsent == 2, "both parts through m2");
    sent_ok(ob, "m2", b.ids[0], 1, T0 + 301);
    sent_ok(ob, "m2", b.ids[1], 2, T0 + 301);
    char s[16], e[200];
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "sent", "sent in the end");
    KT_CHECK(sql_int("SELECT attempts FROM outbox_parts WHERE seq = 1") == 3, "part 1: 3 tries");
    sql_text("SELECT error FROM messages", e, sizeof e);
    KT_CHECK(strncmp(e, "timed out via m1, then ", 23) == 0 && strstr(e, "input/output error"),
             "the timeout stays on record: %s", e);
    /* Later failures keep one "timed out" head, not a growing chain. */
    int64_t id2 = enqueue("+254711000002", "short", false);
    a.ready = true;
    b.ready = false;
    set.max_attempts = 5;
    outbox_configure(ob, &set);
    KT_CHECK(pump(ob, T0 + 400) == 1, "short one to m1");
    outbox_on_sent(ob, "m1", a.ids[3], KZ_ERR_TIMEOUT, -1, -1, true, T0 + 460, NULL);
    for (int i = 0; i < 2; i++) {
        KT_CHECK(pump(ob, T0 + 1000 + 100 * i) == 1, "try %d", i + 2);
        outbox_on_sent(ob, "m1", a.ids[4 + i], KZ_ERR_IO, -1, -1, true, T0 + 1000 + 100 * i, NULL);
    }
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT error FROM messages WHERE id = %lld", (long long)id2);
    sql_text(sql, e, sizeof e);
    KT_STREQ(e, "timed out via m1, then input/output error via m1", "one head");
    outbox_free(ob);
    close_db();
}

/* Multipart parts stay on one SIM; a recipient matching a SIM's prefixes goes through it. */
static void test_spread_and_pinning(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake a = {.ready = true}, b = {.ready = true};
    outbox_attach(ob, "m1", &a, &fake_ops, 0, "");
    outbox_attach(ob, "m2", &b, &fake_ops, 0, "+25473, +25478");
    char longtext[400];
    memset(longtext, 'b', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    enqueue("+254711000001", longtext, false);
    KT_CHECK(pump(ob, T0) == 3, "three parts");
    KT_CHECK((a.nsent == 3 && b.nsent == 0) || (a.nsent == 0 && b.nsent == 3),
             "one SIM for all parts: %d/%d", a.nsent, b.nsent);
    KT_CHECK(sql_int("SELECT count(DISTINCT modem) FROM outbox_parts") == 1, "one modem");
    int an = a.nsent, bn = b.nsent;
    enqueue("+254731000001", "Airtel customer", false);
    pump(ob, T0 + 1);
    KT_CHECK(b.nsent == bn + 1 && a.nsent == an, "prefix match preferred");
    /* Spread: with no prefix match, the less loaded sender gets the next one. */
    for (int i = 0; i < a.nsent; i++)
        sent_ok(ob, "m1", a.ids[i], i, T0 + 2);
    for (int i = 0; i < b.nsent; i++)
        sent_ok(ob, "m2", b.ids[i], i, T0 + 2);
    enqueue("+254711000002", "one", false);
    pump(ob, T0 + 3);
    KT_CHECK(a.nsent + b.nsent == an + bn + 2, "all handed");
    KT_CHECK(an == 3 ? b.nsent == bn + 2 : a.nsent == an + 1, "the SIM with fewer sent today: %d %d",
             a.nsent, b.nsent);
    /* A sender that is not ready gets nothing. */
    a.ready = false;
    enqueue("+254711000004", "three", false);
    int before = a.nsent;
    pump(ob, T0 + 3);
    KT_CHECK(a.nsent == before, "not-ready SIM skipped");
    outbox_free(ob);
    close_db();
}

/* The daily cap per SIM (per local day) and its own override. */
static void test_daily_cap(void)
{
    open_db();
    settings_default();
    set.daily_sms_cap = 2;
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    for (int i = 0; i < 3; i++)
        enqueue("+254711000001", "capped", false);
    KT_CHECK(pump(ob, T0) == 2, "two under the cap");
    for (int i = 0; i < f.nsent; i++)
        sent_ok(ob, "m1", f.ids[i], i, T0);
    KT_CHECK(pump(ob, T0 + 60) == 0, "cap reached today");
    KT_CHECK(pump(ob, T0 + 14 * 3600) == 1, "next local day");
    outbox_update(ob, "m1", 10, "");
    enqueue("+254711000001", "own cap", false);
    KT_CHECK(pump(ob, T0 + 14 * 3600 + 1) == 1, "the SIM's own cap");
    outbox_free(ob);
    close_db();
}

/* Unsolicited messages wait for the push window; replies do not. */
static void test_quiet_hours(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    int64_t evening = T0 + 10 * 3600; /* 20:00 local */
    int64_t offer = enqueue("+254711000001", "#7 Acme: open? 1=Yes 2=No", true);
    int64_t reply = enqueue("+254711000001", "Got it", false);
    KT_CHECK(pump(ob, evening) == 1, "only the reply at 20:00");
    char s[16];
    msg_state(offer, s, sizeof s);
    KT_STREQ(s, "queued", "offer waits");
    msg_state(reply, s, sizeof s);
    KT_STREQ(s, "sending", "reply goes");
    KT_CHECK(pump(ob, T0 + 22 * 3600) == 1, "offer at 08:00 next day");
    outbox_free(ob);
    close_db();
}

/* A send the sender refuses at once is rolled back; bad numbers fail without a send. */
static void test_refused_and_unencodable(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true, .refuse = KZ_ERR_BUSY};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    int64_t id = enqueue("+254711000001", "busy", false);
    KT_CHECK(pump(ob, T0) == 0, "nothing handed");
    char s[16];
    msg_state(id, s, sizeof s);
    KT_STREQ(s, "queued", "back to queued");
    KT_CHECK(sql_int("SELECT attempts FROM outbox_parts") == 0, "attempt undone");
    KT_CHECK(sql_int("SELECT sent FROM sms_counts") == 0, "count undone");
    int64_t bad = enqueue("not a number!", "x", false);
    f.refuse = KZ_OK;
    pump(ob, T0 + 1);
    msg_state(bad, s, sizeof s);
    KT_STREQ(s, "failed", "unencodable");
    outbox_free(ob);
    close_db();
}

/* After a crash: 'sending' parts become unknown (default) or queued (resend). */
static void test_after_crash(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    int64_t a = enqueue("+254711000001", "in flight at the crash", false);
    int64_t b = enqueue("+254711000002", "confirmed before the crash", false);
    pump(ob, T0);
    sent_ok(ob, "m1", f.ids[1], 9, T0);
    outbox_free(ob); /* the crash: no outcome for part 1 */
    ob = outbox_new(q, &set);
    int64_t n = 0;
    KT_CHECK(outbox_recover(ob, T0 + 60, &n, NULL) == KZ_OK && n == 1, "one recovered");
    char s[16];
    msg_state(a, s, sizeof s);
    KT_STREQ(s, "unknown", "unknown after the crash");
    msg_state(b, s, sizeof s);
    KT_STREQ(s, "sent", "the sent one untouched");
    fake g = {.ready = true};
    outbox_attach(ob, "m1", &g, &fake_ops, 0, "");
    KT_CHECK(pump(ob, T0 + 61) == 0 && g.nsent == 0, "neither is sent again");
    outbox_free(ob);
    /* resend: queued again and sent once more; the confirmed one still never. */
    set.resend_after_crash = true;
    ob = outbox_new(q, &set);
    outbox_attach(ob, "m1", &g, &fake_ops, 0, "");
    int64_t c = enqueue("+254711000003", "resend me", false);
    pump(ob, T0 + 62);
    outbox_free(ob);
    ob = outbox_new(q, &set);
    outbox_attach(ob, "m1", &g, &fake_ops, 0, "");
    KT_CHECK(outbox_recover(ob, T0 + 63, &n, NULL) == KZ_OK && n == 1, "recovered");
    msg_state(c, s, sizeof s);
    KT_STREQ(s, "queued", "queued again");
    KT_CHECK(pump(ob, T0 + 64) == 1, "sent again (resend)");
    /* No outcome for too long: unknown. */
    KT_CHECK(outbox_housekeeping(ob, T0 + 64 + 601, NULL) == KZ_OK, "housekeeping");
    msg_state(c, s, sizeof s);
    KT_STREQ(s, "unknown", "no outcome in sending_timeout");
    /* Detaching a sender applies the rule to its parts in flight. */
    int64_t d = enqueue("+254711000004", "detached", false);
    pump(ob, T0 + 700);
    KT_CHECK(outbox_detach(ob, "m1", T0 + 701, NULL) == KZ_OK, "detach");
    msg_state(d, s, sizeof s);
    KT_STREQ(s, "queued", "detached part queued again (resend)");
    outbox_free(ob);
    close_db();
}

/*
 * Group commit: the parts of one pump are all 'sending' before the first is
 * handed; confirmed sends wait in memory until a sender is down to half its
 * max_in_flight (or a second has passed); new messages are found above the
 * last id encoded, and a reused lower id by the once-a-minute full look.
 */
static void test_group_commit(void)
{
    open_db();
    settings_default();
    set.max_in_flight = 4;
    outbox *ob = outbox_new(q, &set);
    fake f = {.ready = true};
    outbox_attach(ob, "m1", &f, &fake_ops, 0, "");
    for (int i = 0; i < 10; i++)
        enqueue("+254711000001", "group", false);
    KT_CHECK(pump(ob, T0) == 4, "max_in_flight parts handed");
    KT_CHECK(f.sending_seen == 4, "all four committed 'sending' before the sends: %lld",
             (long long)f.sending_seen);
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts") == 10, "the batch encoded at once");
    KT_CHECK(outbox_on_sent(ob, "m1", f.ids[0], KZ_OK, 1, -1, false, T0, NULL) == KZ_OK, "on_sent");
    KT_CHECK(pump(ob, T0) == 0, "three still in flight: no pump");
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'sent'") == 0,
             "the confirmed send waits in memory");
    KT_CHECK(outbox_on_sent(ob, "m1", f.ids[1], KZ_OK, 2, -1, false, T0, NULL) == KZ_OK, "on_sent");
    KT_CHECK(pump(ob, T0) == 2, "down to half: topped up");
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'sent'") == 2,
             "both confirmed sends committed with the top-up");
    KT_CHECK(outbox_on_sent(ob, "m1", f.ids[2], KZ_OK, 3, -1, false, T0, NULL) == KZ_OK, "on_sent");
    KT_CHECK(pump(ob, T0 + 1) == 1 &&
                 sql_int("SELECT count(*) FROM outbox_parts WHERE state = 'sent'") == 3,
             "a confirmed send waits a second at most");
    /* A message with an id below the ones encoded (a reused id). */
    KT_CHECK(db_exec(peek, "INSERT INTO messages(id, direction, peer, body, state, kind,"
                           " created_at, updated_at) VALUES (0, 'out', '+254711000002', 'low',"
                           " 'queued', 'reply', 1, 1)") == DB_OK,
             "insert a low id: %s", db_errmsg(peek));
    for (int i = 3; i < 6; i++)
        outbox_on_sent(ob, "m1", f.ids[i], KZ_OK, i + 1, -1, false, T0 + 2, NULL);
    pump(ob, T0 + 2);
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE message_id = 0") == 0,
             "not looked for below the last id encoded");
    for (int i = 6; i < 9; i++)
        outbox_on_sent(ob, "m1", f.ids[i], KZ_OK, i + 1, -1, false, T0 + 61, NULL);
    pump(ob, T0 + 61);
    KT_CHECK(sql_int("SELECT count(*) FROM outbox_parts WHERE message_id = 0") == 1,
             "found by the full look a minute later");
    outbox_free(ob);
    close_db();
}

/* An inbound message from phone that came in through modem (as the inbox notes it). */
static void inbound_via(const char *phone, const char *key, const char *modem)
{
    int64_t id = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(qstore_inbox_record(q, phone, "JOIN", 1, key, T0 - 5, &id, &err) == KZ_OK &&
                 qstore_inbox_note_modem(q, id, modem, &err) == KZ_OK,
             "inbound via %s: %s", modem, err.msg);
}

/*
 * Daemons sharing a database: this one (modem b1) sends the replies to
 * workers whose last SMS came through b1, and to peers it cannot place; a
 * reply to a worker who texted another daemon's modem (a1) waits for that
 * daemon, and goes through this one only once it has waited a minute.
 */
static void test_home_gateway(void)
{
    open_db();
    settings_default();
    outbox *ob = outbox_new(q, &set);
    fake b = {.ready = true};
    outbox_attach(ob, "b1", &b, &fake_ops, 0, "");
    const char *own[] = {"b1"};
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(qstore_set_own_modems(q, own, 1, &err) == KZ_OK, "own modems: %s", err.msg);
    KT_CHECK(sql_int("SELECT count(*) FROM modems WHERE name = 'b1'") == 1, "b1's row made");
    KT_CHECK(db_exec(peek, "INSERT INTO modems(name, created_at) VALUES ('a1', 0)") == DB_OK,
             "the other daemon's modem");
    inbound_via("+254711000001", "k1", "a1");
    inbound_via("+254711000002", "k2", "b1");
    int64_t to_a = enqueue("+254711000001", "to a1's worker", false);
    enqueue("+254711000002", "to b1's worker", false);
    enqueue("+254711000003", "to a number that never texted", false);
    KT_CHECK(pump(ob, T0) == 2 && b.nsent == 2, "ours and the unknown one go: %d", b.nsent);
    char state[16];
    msg_state(to_a, state, sizeof state);
    KT_CHECK(strcmp(state, "queued") == 0, "a1's worker waits for a1's daemon: %s", state);
    KT_CHECK(pump(ob, T0 + 30) == 0, "still waiting after 30 s");
    KT_CHECK(pump(ob, T0 + 61) == 1 && b.nsent == 3,
             "after a minute it leaves through this daemon: %d", b.nsent);
    outbox_free(ob);
    close_db();
}

int main(void)
{
    test_helpers();
    test_send_and_deliver();
    test_retry_backoff();
    test_spread_and_pinning();
    test_timeout_record_kept();
    test_daily_cap();
    test_quiet_hours();
    test_refused_and_unencodable();
    test_after_crash();
    test_group_commit();
    test_report_group();
    test_home_gateway();
    return kt_report();
}
