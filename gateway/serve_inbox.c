/*
 * serve_inbox.c - group commit of the daemon's inbound SMS and delivery
 * reports. The parts and reports the modems read in one loop turn are held
 * (the AT driver keeps them on the SIM, modem_hold_deletes); after the turn's
 * I/O they are stored (each report in its own savepoint, serve_reports.c),
 * every set they complete is handed over (the conversation answers inside the
 * same transaction), and all of it is committed at once. Only then may the
 * modems delete them. If the group fails, each part and report is committed
 * alone and the sets are handed over in inbox_process's own transaction, so
 * one bad part never keeps the others: a part or report that cannot be
 * stored stays on the SIM for the next sweep.
 * Owns: the held parts of a turn and the order commit -> delete. Never
 * deletes anything itself (the modems do, on modem_release_held), never
 * answers anyone (inbox.c and the conversation do).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "serve.h"

/* One inbound part read in this turn, not committed yet. */
struct held_part {
    serve_modem *sm;
    int64_t at;
    size_t len;
    uint8_t pdu[SMS_PDU_MAX];
};

kz_status serve_inbox_hold(kz_daemon *d, serve_modem *sm, const uint8_t *pdu, size_t len,
                           int64_t now)
{
    if (len > SMS_PDU_MAX)
        return KZ_ERR_RANGE;
    if (d->nheld == d->held_cap) {
        size_t cap = d->held_cap ? 2 * d->held_cap : 16;
        struct held_part *v = realloc(d->held, cap * sizeof *v);
        if (!v)
            return KZ_ERR_NOMEM; /* left on the SIM: the next sweep reads it again */
        d->held = v;
        d->held_cap = cap;
    }
    struct held_part *p = &d->held[d->nheld++];
    p->sm = sm;
    p->at = now;
    p->len = len;
    memcpy(p->pdu, pdu, len);
    return KZ_OK;
}

kz_status serve_inbox_deliver(void *ctx, const inbox_msg *m, int64_t *message_id, kz_err *err)
{
    kz_daemon *d = ctx;
    kz_status rc = serve_deliver(ctx, m, message_id, err);
    if (rc == KZ_OK && *message_id > d->inbox_last_id)
        d->inbox_last_id = *message_id;
    return rc;
}

/* Store one held part (decoded again: the modem's copy of the message is gone). */
static kz_status store_part(kz_daemon *d, const struct held_part *p, kz_err *err)
{
    sms_message msg;
    kz_status rc = pdu_decode(p->pdu, p->len, true, &msg, err);
    if (rc != KZ_OK)
        return rc;
    bool ready = false;
    return inbox_on_sms(d->ib, modem_name(p->sm->m), &msg, p->pdu, p->len, p->at, &ready, err);
}

/* The turn's parts, reports and every ready set, in one transaction. */
static kz_status group(kz_daemon *d, int64_t now, int *handed, int *fallback, bool failed[],
                       kz_err *err)
{
    kz_status rc = store_begin(d->st, err);
    if (rc != KZ_OK)
        return rc;
    for (size_t i = 0; i < d->nheld && rc == KZ_OK; i++)
        rc = store_part(d, &d->held[i], err);
    if (rc == KZ_OK)
        rc = serve_reports_tx(d, failed, err);
    if (rc == KZ_OK)
        rc = inbox_process_tx(d->ib, now, handed, fallback, err);
    if (rc == KZ_OK)
        return store_commit(d->st, err); /* rolls back itself on failure */
    store_rollback(d->st);
    return rc;
}

/* Committed: a modem whose held parts and reports all went in may delete them. */
static void release(kz_daemon *d, const bool failed[])
{
    for (size_t k = 0; k < d->nmodems; k++) {
        if (failed[k])
            modem_forget_held(d->modems[k]->m);
        else
            modem_release_held(d->modems[k]->m);
    }
}

/* The group failed: each part and report alone. */
static void one_by_one(kz_daemon *d, int64_t now, int *handed, int *fallback)
{
    bool failed[CFG_MAX_MODEMS] = {false};
    for (size_t i = 0; i < d->nheld; i++) {
        kz_err err;
        kz_err_clear(&err);
        if (store_part(d, &d->held[i], &err) == KZ_OK)
            continue;
        log_error("modem %s: inbound SMS not stored (left on the SIM): %s",
                  modem_name(d->held[i].sm->m), err.msg);
        for (size_t k = 0; k < d->nmodems; k++)
            failed[k] = failed[k] || d->modems[k] == d->held[i].sm;
    }
    serve_reports_one_by_one(d, failed);
    release(d, failed);
    kz_err err;
    kz_err_clear(&err);
    if (inbox_process(d->ib, now, handed, fallback, &err) != KZ_OK)
        log_error("inbox: %s", err.msg);
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void serve_inbox_run(kz_daemon *d, int64_t now)
{
    int handed = 0, fallback = 0;
    size_t parts = d->nheld, reports = d->nreports;
    bool failed[CFG_MAX_MODEMS] = {false};
    kz_err err;
    kz_err_clear(&err);
    if (group(d, now, &handed, &fallback, failed, &err) == KZ_OK) {
        serve_reports_done(d, true);
        release(d, failed);
        if (parts || reports || handed)
            log_debug("inbox: %zu part(s) and %zu report(s) stored, %d message(s) handled, one "
                      "commit at %lld ms (messages up to %lld)", parts, reports, handed,
                      (long long)wall_ms(), (long long)d->inbox_last_id);
    } else {
        log_warn("inbox: %zu part(s), %zu report(s) and the ready messages not committed "
                 "together (%s): one by one", parts, reports, err.msg);
        handed = fallback = 0;
        one_by_one(d, now, &handed, &fallback);
        serve_reports_done(d, false);
    }
    serve_inbox_free(d); /* nothing held between turns (an idle daemon keeps no buffer) */
    if (fallback)
        log_error("inbox: %d message(s) could not be handled; recorded as 'received'", fallback);
    if (handed || fallback)
        d->outbox_dirty = true;
}

void serve_inbox_free(kz_daemon *d)
{
    serve_reports_free(d);
    free(d->held);
    d->held = NULL;
    d->nheld = d->held_cap = 0;
}
