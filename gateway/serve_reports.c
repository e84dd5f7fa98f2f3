/*
 * serve_reports.c - the daemon's delivery reports in the turn's group
 * commit. A report a modem holds (modem_sms_held: kept on the SIM, its
 * AT+CNMA or Kannel's 200 waiting) is kept here until serve_inbox_run's
 * transaction, which records every report of the turn, each in its own
 * savepoint, next to the turn's inbound parts; only after the COMMIT may the
 * modems delete or acknowledge them. A report that could not be recorded
 * makes its modem forget what it holds, so it is offered again.
 * Owns: the held reports of a turn. Never deletes or acknowledges anything
 * itself (the modems do, on modem_release_held), never decides what a report
 * means (outbox.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "serve.h"

/* One status report handed over in this turn, not committed yet. */
struct held_report {
    serve_modem *sm;
    uint64_t send_id;
    int64_t at;
    uint8_t mr, status;
    char peer[SMS_ADDR_MAX];
};

kz_status serve_reports_hold(kz_daemon *d, serve_modem *sm, uint64_t send_id,
                             const sms_message *report, int64_t now)
{
    if (d->nreports == d->reports_cap) {
        size_t cap = d->reports_cap ? 2 * d->reports_cap : 16;
        struct held_report *v = realloc(d->reports, cap * sizeof *v);
        if (!v)
            return KZ_ERR_NOMEM; /* left on the SIM: offered again */
        d->reports = v;
        d->reports_cap = cap;
    }
    struct held_report *r = &d->reports[d->nreports++];
    r->sm = sm;
    r->send_id = send_id;
    r->at = now;
    r->mr = report->mr;
    r->status = report->status;
    snprintf(r->peer, sizeof r->peer, "%s", report->address.text);
    return KZ_OK;
}

/* The report as the outbox reads it (type, reference, recipient, status). */
static void as_message(const struct held_report *r, sms_message *out)
{
    memset(out, 0, sizeof *out);
    out->type = SMS_STATUS_REPORT;
    out->mr = r->mr;
    out->status = r->status;
    snprintf(out->address.text, sizeof out->address.text, "%s", r->peer);
}

static void mark_failed(const kz_daemon *d, const serve_modem *sm, bool failed[])
{
    for (size_t k = 0; k < d->nmodems; k++)
        failed[k] = failed[k] || d->modems[k] == sm;
}

/* Record r (in the open transaction, or alone); false when it was not. */
static bool record(kz_daemon *d, const struct held_report *r, bool alone)
{
    sms_message msg;
    as_message(r, &msg);
    const char *name = modem_name(r->sm->m);
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = alone ? outbox_on_report(d->ob, name, r->send_id, &msg, r->at, &err)
                         : outbox_report_in_tx(d->ob, name, r->send_id, &msg, r->at, &err);
    if (rc == KZ_OK)
        return true;
    log_error("modem %s: status report for %s (mr %u) not stored (left on the SIM): %s", name,
              r->peer, (unsigned)r->mr, err.msg);
    return false;
}

kz_status serve_reports_tx(kz_daemon *d, bool failed[], kz_err *err)
{
    if (!d->nreports)
        return KZ_OK;
    kz_status rc = outbox_reports_begin(d->ob, err);
    if (rc != KZ_OK)
        return rc;
    for (size_t i = 0; i < d->nreports; i++)
        if (!record(d, &d->reports[i], false))
            mark_failed(d, d->reports[i].sm, failed);
    return KZ_OK;
}

void serve_reports_one_by_one(kz_daemon *d, bool failed[])
{
    for (size_t i = 0; i < d->nreports; i++)
        if (!record(d, &d->reports[i], true))
            mark_failed(d, d->reports[i].sm, failed);
}

void serve_reports_done(kz_daemon *d, bool committed)
{
    if (committed && d->nreports)
        outbox_reports_committed(d->ob);
    d->nreports = 0;
}

void serve_reports_free(kz_daemon *d)
{
    free(d->reports);
    d->reports = NULL;
    d->nreports = d->reports_cap = 0;
}
