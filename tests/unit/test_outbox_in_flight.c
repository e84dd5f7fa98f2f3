/*
 * test_outbox_in_flight.c - a sender's own in-flight limit in gateway/outbox.c
 * (outbox_set_in_flight, what driver = kannel uses for kannel_in_flight):
 * over a real SQLite file (or PostgreSQL with KAZI_TEST_PG) with two fake
 * senders, one with the [outbox] max_in_flight of a GSM modem and one with a
 * limit of its own, the pump hands each exactly its limit, tops the second
 * up only once it is down to half of it, and its limit can be changed (a
 * reload) or given back. Ends with "N passed, N failed".
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

#define T0 INT64_C(1705647600) /* 2024-01-19 10:00 in Nairobi: inside the push window */
#define NMSG 40
#define OWN 12                 /* the second sender's own limit */

typedef struct fake {
    int nsent;
    uint64_t ids[NMSG];
} fake;

static kz_queue *q;
static kz_store *st;
static char dbpath[64];
static char target[320];

static bool fake_ready(void *dev)
{
    (void)dev;
    return true;
}

static kz_status fake_send(void *dev, uint64_t id, const sms_pdu *pdu)
{
    fake *f = dev;
    (void)pdu;
    if (f->nsent < NMSG)
        f->ids[f->nsent++] = id;
    return KZ_OK;
}

static const outbox_sender_ops fake_ops = {fake_ready, fake_send};

static bool open_db(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/kazi-outbox-limit-%ld.db", (long)getpid());
    unlink(dbpath);
    kt_db_target(target, sizeof target, dbpath);
    kz_err err;
    kz_err_clear(&err);
    bool ok = store_open(target, STORE_OPEN_CREATE, &st, &err) == KZ_OK &&
              qstore_open(st, &q, &err) == KZ_OK;
    KT_CHECK(ok, "open %s: %s", dbpath, err.msg);
    return ok;
}

static void close_db(void)
{
    qstore_close(q);
    store_close(st);
    kt_db_target_drop(target);
}

static int pump(outbox *ob, int64_t now)
{
    int handed = 0;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(outbox_pump(ob, now, &handed, &err) == KZ_OK, "pump: %s", err.msg);
    return handed;
}

static void sent(outbox *ob, const char *name, const fake *f, int from, int n)
{
    for (int i = from; i < from + n && i < f->nsent; i++)
        KT_CHECK(outbox_on_sent(ob, name, f->ids[i], KZ_OK, -1, -1, false, T0, NULL) == KZ_OK,
                 "on_sent %s %d", name, i);
}

static void test_own_limit(void)
{
    if (!open_db())
        return;
    outbox_settings set = {.max_attempts = 3, .retry_base_s = 10, .retry_max_s = 40,
                           .status_reports = false, .validity_s = 0, .max_in_flight = 2,
                           .tz_offset_minutes = 180, .push_from_minute = 7 * 60,
                           .push_to_minute = 19 * 60, .sending_timeout_s = 600};
    outbox *ob = outbox_new(q, &set);
    fake gsm = {0}, kn = {0};
    KT_CHECK(outbox_attach(ob, "gsm", &gsm, &fake_ops, 0, "") == KZ_OK, "attach gsm");
    KT_CHECK(outbox_attach(ob, "kn", &kn, &fake_ops, 0, "") == KZ_OK, "attach kn");
    KT_CHECK(outbox_set_in_flight(ob, "kn", OWN) == KZ_OK, "kn's own limit");
    KT_CHECK(outbox_set_in_flight(ob, "nobody", OWN) == KZ_ERR_NOTFOUND, "an unknown sender");
    for (int i = 0; i < NMSG; i++) {
        char to[24];
        int64_t id = 0;
        snprintf(to, sizeof to, "+2547110%05d", i);
        KT_CHECK(qstore_outbox_enqueue(q, to, 0, "Habari", false, T0, &id, NULL) == KZ_OK,
                 "enqueue %d", i);
    }
    KT_CHECK(pump(ob, T0) == 2 + OWN, "first pump handed %d+%d parts", gsm.nsent, kn.nsent);
    KT_CHECK(gsm.nsent == 2, "the GSM sender got %d parts, want [outbox] max_in_flight 2",
             gsm.nsent);
    KT_CHECK(kn.nsent == OWN, "the sender with its own limit got %d parts, want %d", kn.nsent,
             OWN);
    KT_CHECK(outbox_in_flight(ob) == 2 + OWN, "%d in flight", outbox_in_flight(ob));

    sent(ob, "kn", &kn, 0, OWN / 2 - 1); /* above half its limit: no top-up yet */
    KT_CHECK(pump(ob, T0) == 0 && kn.nsent == OWN, "topped up above half: %d", kn.nsent);
    sent(ob, "kn", &kn, OWN / 2 - 1, 1); /* down to half */
    KT_CHECK(pump(ob, T0) == OWN / 2 && kn.nsent == OWN + OWN / 2,
             "at half its limit kn got %d parts in all, want %d", kn.nsent, OWN + OWN / 2);
    KT_CHECK(gsm.nsent == 2, "the GSM sender got more than its limit: %d", gsm.nsent);

    /* a reload: back to the settings' limit; kn has more than that in flight */
    KT_CHECK(outbox_set_in_flight(ob, "kn", 0) == KZ_OK, "kn back to [outbox]'s limit");
    sent(ob, "kn", &kn, OWN, OWN / 2);
    sent(ob, "gsm", &gsm, 0, 2);
    int before = kn.nsent; /* 6 still in flight: above the settings' 2 */
    pump(ob, T0 + 2);
    KT_CHECK(kn.nsent == before, "kn got %d parts more with 6 in flight and a limit of 2",
             kn.nsent - before);
    KT_CHECK(gsm.nsent == 4, "the GSM sender got %d parts in all, want 4", gsm.nsent);
    KT_CHECK(outbox_flush(ob, NULL) == KZ_OK, "flush");
    outbox_free(ob);
    close_db();
}

int main(void)
{
    test_own_limit();
    return kt_report();
}
