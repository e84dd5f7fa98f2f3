/*
 * test_abuse.c - the inbound abuse limits (tasks/conv_abuse.c, gateway/inbox.c)
 * at and past each boundary: a quick worker is never limited; the inbound
 * rate (the message at the limit passes, the next is kept unread with one
 * notice, STOP still works, the window ends); the cap per local day (it
 * ends at local midnight, not 24 hours later); oversized messages by
 * characters and by parts (refused unread, one reply, not twice in a row);
 * binary messages (no reply, never parsed) and how the inbox recognises
 * them in real PDUs; the same text again and again (answers never count);
 * robots and short codes. Every message stays stored with its reason, and
 * number_flags holds one row per number, limit and day.
 * A real SQLite file in a temporary directory; tasks come through the import.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conv.h"
#include "conv_world.h"
#include "harness.h"
#include "hex.h"
#include "inbox.h"
#include "pdu.h"
#include "queue_store.h"
#include "store_abuse.h"
#include "templates.h"

/* Monday 3 March 2025, 10:00 in Nairobi (07:00 UTC). */
#define T0 INT64_C(1740985200)
#define MIN 60
#define HOUR 3600

#define AMINA "+254712000001"
#define STRANGER "+254733000003"

static const char tasks_csv[] =
    "id,type,prompt,options\n"
    "t1,verify,Is shop 1 open?,Yes|No\n"
    "t2,verify,Is shop 2 open?,Yes|No\n"
    "t3,verify,Is shop 3 open?,Yes|No\n"
    "t4,verify,Is shop 4 open?,Yes|No\n"
    "t5,verify,Is shop 5 open?,Yes|No\n"
    "t6,verify,Is shop 6 open?,Yes|No\n"
    "t7,verify,Is shop 7 open?,Yes|No\n"
    "t8,verify,Is shop 8 open?,Yes|No\n"
    "t9,verify,Is shop 9 open?,Yes|No\n"
    "t10,verify,Is shop 10 open?,Yes|No\n"
    "t11,verify,Is shop 11 open?,Yes|No\n"
    "t12,verify,Is shop 12 open?,Yes|No\n";

static const tmpl_set *templates;

/* A fresh database with the tasks, every limit off: each test turns on its own. */
static int world_open(world *w, const char *name)
{
    return world_open_with(w, "abuse", name, tasks_csv, templates);
}

/* One SMS from `from` at T0 + at; *r receives the result. */
static kz_status sms(world *w, const char *from, const char *text, int64_t at, conv_result *r)
{
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = conv_handle_sms(w->st, &w->cfg, from, text, strlen(text), T0 + at, NULL, r,
                                   &err);
    if (rc != KZ_OK)
        fprintf(stderr, "sms '%s': %s\n", text, err.msg);
    return rc;
}

static const char *reply(const conv_result *r)
{
    return r->nreplies ? r->replies[0].text : "";
}

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The defaults of the configuration table are conv_config_defaults' own. */
static void test_defaults(void)
{
    static kz_config k;
    config_defaults(&k);
    conv_config c;
    conv_config_defaults(&c);
    KT_CHECK(memcmp(&k.limits, &c.limits, sizeof c.limits) == 0,
             "config %d/%d %d/%d %d/%d, conv %d/%d %d/%d %d/%d", k.limits.rate_max,
             k.limits.rate_window_s, k.limits.max_parts, k.limits.max_chars,
             k.limits.repeat_max, k.limits.repeat_window_s, c.limits.rate_max,
             c.limits.rate_window_s, c.limits.max_parts, c.limits.max_chars,
             c.limits.repeat_max, c.limits.repeat_window_s);
    KT_CHECK(c.limits.rate_max >= 30 && c.limits.repeat_max >= 3 && c.limits.max_parts >= 4,
             "defaults a person never reaches");
}

/* The ref of the offer in a reply ("#7 Acme: ..."), 0 if none. */
static int offer_ref(const char *text)
{
    const char *p = strchr(text, '#');
    return p ? atoi(p + 1) : 0;
}

/* With the default limits, a worker answering ten tasks in a few minutes is never held back. */
static void test_quick_worker(void)
{
    world w;
    if (world_open(&w, "quick") != 0)
        return;
    conv_config_defaults(&w.cfg);
    w.cfg.templates = templates;
    conv_result r;
    int64_t at = 0;
    sms(&w, AMINA, "JOIN Amina", at, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "join: %s", reply(&r));
    sms(&w, AMINA, "NEXT", at += 20, &r);
    int ref = offer_ref(reply(&r)), answered = 0;
    for (int i = 0; i < 10 && ref > 0; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d 1", ref);
        sms(&w, AMINA, text, at += 15, &r);
        KT_CHECK(r.nreplies == 1 && !r.reason && !r.limited, "answer %d: reason %s, '%s'", i,
                 r.reason ? r.reason : "-", reply(&r));
        answered += r.nreplies == 1;
        ref = offer_ref(reply(&r));
        if (i % 3 == 2) { /* a BAL now and then, as people do */
            sms(&w, AMINA, "BAL", at += 5, &r);
            KT_CHECK(r.nreplies == 1 && !r.reason, "bal: %s", reply(&r));
        }
    }
    KT_CHECK(answered == 10, "10 answers in %lld s answered: %d", (long long)at, answered);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM answers") == 10, "10 answers recorded");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM number_flags") == 0, "no flag");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE reason IS NOT NULL") == 0,
             "no reason on any message");
    world_close(&w);
}

/* Past rate_max per window: kept unread, one notice, STOP carried out, fresh after the window. */
static void test_rate(void)
{
    world w;
    if (world_open(&w, "rate") != 0)
        return;
    w.cfg.limits.rate_max = 5;
    w.cfg.limits.rate_window_s = 10 * MIN;
    conv_result r;
    const char *first[] = {"JOIN Amina", "HELP", "BAL", "HIST", "CERT"};
    for (int i = 0; i < 5; i++) {
        sms(&w, AMINA, first[i], i * 10, &r);
        KT_CHECK(r.nreplies == 1 && !r.reason, "message %d of 5 acted on: %s", i + 1,
                 r.reason ? r.reason : reply(&r));
    }
    sms(&w, AMINA, "LANG sw", 50, &r);
    KT_CHECK(is(r.reason, "rate") && r.limited, "the 6th is over the rate: %s",
             r.reason ? r.reason : "-");
    KT_CHECK(r.nreplies == 1 && strstr(reply(&r), "too many SMS"), "one notice: %s", reply(&r));
    KT_CHECK(is(r.flag, "rate"), "flagged the first time");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers WHERE lang = 'en'") == 1,
             "LANG sw was not acted on");
    sms(&w, AMINA, "HELP me", 60, &r);
    KT_CHECK(is(r.reason, "rate") && r.nreplies == 0 && !r.flag,
             "the 7th: no second notice, no second log");
    sms(&w, AMINA, "STOP", 70, &r);
    KT_CHECK(r.nreplies == 1 && strstr(reply(&r), "left Kazi") && !r.reason,
             "STOP passes the rate limit: %s", reply(&r));
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers WHERE state = 'stopped'") == 1,
             "stopped");
    /* the window has moved on: fewer than 5 messages in the last 10 minutes */
    sms(&w, AMINA, "JOIN", 70 + 10 * MIN, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "after the window: %s", reply(&r));
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE direction = 'in'") == 9,
             "every message stored");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE direction = 'in' AND reason = 'rate'"
                        " AND state = 'ignored'") == 2,
             "two kept as 'rate', unread");
    KT_CHECK(world_int(&w, "SELECT hits FROM number_flags WHERE peer = '" AMINA "' AND kind = 'rate'")
                 == 2,
             "one flag row, two hits");
    /* a stranger's flood: the notice is one of the stranger's two replies a day */
    for (int i = 0; i < 20; i++)
        sms(&w, STRANGER, i % 2 ? "hello" : "hi there", 2 * HOUR + i, &r);
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE direction = 'out' AND peer = '"
                        STRANGER "'") <= 2,
             "a stranger's flood costs at most max_stranger_day SMS");
    world_close(&w);
}

/* max_total_day counts from local midnight; STOP still confirmed; logged once a day. */
static void test_day_cap(void)
{
    world w;
    if (world_open(&w, "cap") != 0)
        return;
    w.cfg.max_total_day = 3;
    conv_result r;
    sms(&w, AMINA, "JOIN Amina", 0, &r);
    sms(&w, AMINA, "HELP", 60, &r);
    sms(&w, AMINA, "BAL", 120, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "the 3rd message of the day is sent");
    sms(&w, AMINA, "HIST", 180, &r);
    KT_CHECK(r.nreplies == 0 && r.limited && is(r.reason, "reply_cap") && is(r.flag, "reply_cap"),
             "the 4th is held: %s, flag %s", r.reason ? r.reason : "-", r.flag ? r.flag : "-");
    kz_err err;
    bool room = true, offered = true;
    KT_CHECK(conv_day_cap_ok(w.st, &w.cfg, AMINA, T0 + 200, &room, &err) == KZ_OK && !room,
             "no room left today");
    KT_CHECK(conv_push_offer(w.st, &w.cfg, r.worker_id, T0 + 200, &offered, NULL, &err) ==
                     KZ_OK &&
                 !offered,
             "no pushed offer past the cap");
    KT_CHECK(world_int(&w, "SELECT state FROM messages WHERE direction = 'in' AND body = 'HIST'"
                        " AND state = 'handled'") != -1,
             "acted on (recorded), only not answered");
    sms(&w, AMINA, "CERT", 240, &r);
    KT_CHECK(r.nreplies == 0 && is(r.reason, "reply_cap") && !r.flag, "held, not logged again");
    /* 23:59 local is still the same day; 00:01 is the next (rolling 24 h would still hold) */
    sms(&w, AMINA, "HELP", 14 * HOUR - MIN, &r);
    KT_CHECK(r.nreplies == 0 && is(r.reason, "reply_cap"), "23:59: still held");
    sms(&w, AMINA, "HELP", 14 * HOUR + MIN, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "00:01 the next day: a reply (%s)",
             r.reason ? r.reason : "-");
    sms(&w, AMINA, "BAL", 14 * HOUR + 2 * MIN, &r);
    sms(&w, AMINA, "HIST", 14 * HOUR + 3 * MIN, &r);
    sms(&w, AMINA, "CERT", 14 * HOUR + 4 * MIN, &r);
    KT_CHECK(r.nreplies == 0 && is(r.flag, "reply_cap"), "a new day, a new flag");
    sms(&w, AMINA, "STOP", 14 * HOUR + 5 * MIN, &r);
    KT_CHECK(r.nreplies == 1 && strstr(reply(&r), "left Kazi"), "STOP confirmed past the cap");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM number_flags WHERE kind = 'reply_cap'") == 2,
             "one flag per day");
    world_close(&w);
}

/* Oversized by characters (the boundary passes) and by parts: unread, one reply. */
static void test_oversized(void)
{
    world w;
    if (world_open(&w, "size") != 0)
        return;
    w.cfg.limits.max_chars = 50;
    w.cfg.limits.max_parts = 2;
    conv_result r;
    sms(&w, AMINA, "JOIN Amina", 0, &r);
    char text[128];
    memset(text, 0, sizeof text);
    memcpy(text, "ASK ", 4);
    memset(text + 4, 'a', 46); /* 50 characters */
    sms(&w, AMINA, text, 60, &r);
    KT_CHECK(!r.reason && r.command != CONV_UNKNOWN, "50 characters are read: %s",
             r.reason ? r.reason : "-");
    text[50] = 'a'; /* 51 */
    sms(&w, AMINA, text, 120, &r);
    KT_CHECK(is(r.reason, "oversized") && is(r.flag, "oversized"), "51 refused: %s",
             r.reason ? r.reason : "-");
    KT_CHECK(r.nreplies == 1 && strstr(reply(&r), "too long") && strstr(reply(&r), "50"),
             "one short reply: %s", reply(&r));
    KT_CHECK(r.command == CONV_UNKNOWN, "never parsed");
    text[51] = 'b';
    sms(&w, AMINA, text, 180, &r);
    KT_CHECK(is(r.reason, "oversized") && r.nreplies == 0, "not the same reply twice in a row");
    /* "STOP" padded past the limit is not read, so not carried out */
    snprintf(text, sizeof text, "STOP%60s", "");
    sms(&w, AMINA, text, 240, &r);
    KT_CHECK(is(r.reason, "oversized"), "padded STOP unread");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers WHERE state = 'active'") == 1,
             "still active");
    /* parts: as the inbox hands them over; a 4-character Swahili reply in 3 parts */
    kz_err err;
    conv_inbound in = {AMINA, "BAL", 3, T0 + 2 * HOUR, "t:parts2", 2, false};
    conv_handle_inbound(w.st, &w.cfg, &in, &r, &err);
    KT_CHECK(!r.reason && r.nreplies == 1, "2 parts are read");
    in = (conv_inbound){AMINA, "BAL", 3, T0 + 3 * HOUR, "t:parts3", 3, false};
    conv_handle_inbound(w.st, &w.cfg, &in, &r, &err);
    KT_CHECK(is(r.reason, "oversized") && r.nreplies == 1, "3 parts refused, one reply");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE direction = 'in' AND reason ="
                        " 'oversized' AND state = 'ignored'") == 4,
             "kept, marked");
    world_close(&w);
}

/* Binary: never parsed, never answered, stored and flagged. */
static void test_binary(void)
{
    world w;
    if (world_open(&w, "bin") != 0)
        return;
    conv_result r;
    kz_err err;
    sms(&w, AMINA, "JOIN Amina", 0, &r);
    conv_inbound in = {AMINA, "STOP", 4, T0 + 60, "t:bin1", 1, true};
    KT_CHECK(conv_handle_inbound(w.st, &w.cfg, &in, &r, &err) == KZ_OK, "handled");
    KT_CHECK(is(r.reason, "binary") && r.nreplies == 0 && is(r.flag, "binary"), "no reply: %s",
             r.reason ? r.reason : "-");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM workers WHERE state = 'active'") == 1,
             "a binary 'STOP' is not read");
    in.dedupe_key = "t:bin2";
    in.received_at += 60;
    conv_handle_inbound(w.st, &w.cfg, &in, &r, &err);
    KT_CHECK(is(r.reason, "binary") && !r.flag, "flagged once a day");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE reason = 'binary' AND state ="
                        " 'ignored'") == 2,
             "both stored");
    world_close(&w);
}

/* The same text repeat_max times in the window: not answered; answers never count. */
static void test_repeat(void)
{
    world w;
    if (world_open(&w, "repeat") != 0)
        return;
    w.cfg.limits.repeat_max = 3;
    w.cfg.limits.repeat_window_s = 10 * MIN;
    conv_result r;
    sms(&w, AMINA, "JOIN Amina", 0, &r);
    sms(&w, AMINA, "HELP", 10, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "first HELP");
    sms(&w, AMINA, "help!", 20, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "second (the same once normalised)");
    sms(&w, AMINA, " Help ", 30, &r);
    KT_CHECK(r.nreplies == 0 && r.limited && is(r.reason, "repeat") && is(r.flag, "repeat"),
             "third: not answered, flagged: %s", r.reason ? r.reason : "-");
    sms(&w, AMINA, "HELP", 40, &r);
    KT_CHECK(r.nreplies == 0 && is(r.reason, "repeat") && !r.flag, "fourth: logged once");
    sms(&w, AMINA, "BAL", 50, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "another text is answered");
    sms(&w, AMINA, "HELP", 30 + 10 * MIN, &r);
    KT_CHECK(r.nreplies == 0 && is(r.reason, "repeat"), "HELP at 30 and 40 are in the window");
    sms(&w, AMINA, "HELP", 40 + 20 * MIN + 2, &r);
    KT_CHECK(r.nreplies == 1 && !r.reason, "after a quiet window: answered (%s)",
             r.reason ? r.reason : "-");
    /* bare answers: "yes" to one task after another is work, not a repeat */
    sms(&w, AMINA, "SKIP 1", HOUR - MIN, &r); /* the welcome's task; the next one rides */
    KT_CHECK(r.nreplies == 1 && strstr(reply(&r), "Skipped 1. #"), "skip: %s", reply(&r));
    for (int i = 0; i < 5; i++) {
        sms(&w, AMINA, "yes", HOUR + 10 * (i + 1), &r);
        KT_CHECK(r.nreplies == 1 && !r.reason && strstr(reply(&r), "Got"),
                 "bare answer %d: %s", i, r.reason ? r.reason : reply(&r));
    }
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE body = 'yes' AND norm_hash IS NULL")
                 == 5,
             "answers carry no repeat hash");
    world_close(&w);
}

/* Robots and short codes: recorded with reason 'sender', never answered. */
static void test_senders(void)
{
    world w;
    if (world_open(&w, "senders") != 0)
        return;
    conv_result r;
    sms(&w, "Safaricom", "Get 1GB for 50 bob! Reply YES", 0, &r);
    KT_CHECK(r.nreplies == 0 && is(r.reason, "sender"), "alphanumeric: %s",
             r.reason ? r.reason : "-");
    sms(&w, "40404", "JOIN", 10, &r);
    KT_CHECK(r.nreplies == 0 && is(r.reason, "sender"), "short code");
    KT_CHECK(world_int(&w, "SELECT count(*) FROM messages WHERE reason = 'sender' AND state ="
                        " 'ignored'") == 2,
             "both stored");
    world_close(&w);
}

/* ---- the inbox recognises binary messages in PDUs ---- */

static struct {
    int calls;
    bool binary;
    char text[512];
} seen;

static kz_status capture(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err)
{
    kz_queue *q = ctx;
    seen.calls++;
    seen.binary = m->binary;
    snprintf(seen.text, sizeof seen.text, "%s", m->text);
    return qstore_inbox_record(q, m->sender, m->text, m->segments, m->dedupe_key,
                               m->received_at, message_id, err);
}

/* Hand one PDU (hex, with the SMSC octet) to a fresh inbox; seen says what came out. */
static void through_inbox(const world *w, const char *hex, int64_t at)
{
    kz_err err;
    kz_err_clear(&err);
    uint8_t pdu[SMS_PDU_MAX];
    size_t n = 0;
    sms_message m;
    memset(&seen, 0, sizeof seen);
    if (hex_decode(hex, strlen(hex), pdu, sizeof pdu, &n, &err) != KZ_OK ||
        pdu_decode(pdu, n, true, &m, &err) != KZ_OK) {
        KT_CHECK(0, "PDU %s: %s", hex, err.msg);
        return;
    }
    kz_queue *q = NULL;
    KT_CHECK(qstore_open(w->st, &q, &err) == KZ_OK, "qstore");
    inbox *ib = inbox_new(q, 600, capture, q);
    bool ready = false;
    KT_CHECK(inbox_on_sms(ib, "m1", &m, pdu, n, at, &ready, &err) == KZ_OK && ready, "stored");
    KT_CHECK(inbox_process(ib, at, NULL, NULL, &err) == KZ_OK && seen.calls == 1, "handed over");
    inbox_free(ib);
    qstore_close(q);
}

static void test_inbox_binary(void)
{
    world w;
    if (world_open(&w, "pdu") != 0)
        return;
    /* 8-bit data (DCS 0x04) */
    through_inbox(&w, "00040C9152742100001000045230300100002104DEADBEEF", T0);
    KT_CHECK(seen.binary && strstr(seen.text, "DEADBEEF"), "8-bit: %d '%s'", seen.binary,
             seen.text);
    /* WAP push: a UDH with a 16-bit application port (IE 0x05) */
    through_inbox(&w, "00440C915274210000100004523030010000210B0605040B8423F0DEADBEEF", T0 + 1);
    KT_CHECK(seen.binary, "application port: binary");
    /* text, type 0 (TP-PID 0x40) and plain, encoded as the network would */
    const uint8_t pids[] = {0x40, 0x00};
    for (size_t i = 0; i < 2; i++) {
        sms_deliver_opts o;
        sms_deliver_opts_init(&o);
        o.from = AMINA;
        o.pid = pids[i];
        o.scts = (sms_time){2025, 3, 3, 10, 0, (int)i + 2, 180};
        sms_pdu p[1];
        size_t np = 0;
        kz_err err;
        char hex[2 * SMS_PDU_MAX + 1];
        if (pdu_encode_deliver((const uint8_t *)"STOP", 4, &o, p, 1, &np, &err) != KZ_OK ||
            hex_encode(p[0].bytes, p[0].len, hex, sizeof hex) != KZ_OK) {
            KT_CHECK(0, "encode: %s", err.msg);
            continue;
        }
        through_inbox(&w, hex, T0 + 2 + (int64_t)i);
        KT_CHECK(seen.binary == (pids[i] == 0x40), "PID 0x%02x: binary %d", pids[i],
                 seen.binary);
        KT_CHECK(strstr(seen.text, "STOP") != NULL, "text kept: '%s'", seen.text);
    }
    world_close(&w);
}

int main(void)
{
    tmpl_set *t = world_templates();
    if (!t)
        return kt_report();
    templates = t;
    test_defaults();
    test_quick_worker();
    test_rate();
    test_day_cap();
    test_oversized();
    test_binary();
    test_repeat();
    test_senders();
    test_inbox_binary();
    tmpl_free(t);
    return kt_report();
}
