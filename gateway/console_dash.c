/*
 * console_dash.c - GET /, the console's dashboard: modems with their signal,
 * the outbox's depth, each batch's progress and the money (web_dashboard).
 * Owns: how the dashboard reads. Never writes anything.
 *
 * Ids: #summary (cards: #card-workers, #card-appeals, #card-payouts,
 * #card-inbox), table #modems (a row #modem-NAME each; #no-modems when none),
 * table #outbox, table #dash-batches (a row per batch, its name a link to
 * /batches/NAME; #no-batches when none), table #money.
 */
#include <inttypes.h>

#include "console.h"
#include "web_data.h"

static void card(web_buf *b, const char *id, const char *href, int64_t n, const char *label)
{
    web_raw(b, "<div class=\"card\" id=\"");
    web_raw(b, id);
    web_raw(b, "\">");
    if (href) {
        web_raw(b, "<a href=\"");
        web_raw(b, href);
        web_raw(b, "\">");
    }
    web_raw(b, "<span class=\"big\">");
    web_textf(b, "%" PRId64, n);
    web_raw(b, "</span>");
    web_text(b, label);
    if (href)
        web_raw(b, "</a>");
    web_raw(b, "</div>\n");
}

static void summary(web_buf *b, const json_t *d)
{
    const json_t *w = json_object_get(d, "workers");
    web_raw(b, "<div class=\"cards\" id=\"summary\">\n");
    card(b, "card-workers", "/workers", cj_int(w, "active"), "active workers");
    card(b, "card-appeals", "/appeals", cj_int(d, "appeals_open"), "open appeals");
    card(b, "card-payouts", "/payouts", cj_int(d, "payouts_attention"),
         "payouts needing attention");
    card(b, "card-inbox", NULL, cj_int(d, "inbox_waiting"), "SMS parts waiting for the rest");
    web_raw(b, "</div>\n");
}

static void modem_row(web_buf *b, const json_t *m)
{
    web_raw(b, "<tr id=\"modem-");
    web_url(b, cj_str(m, "name"));
    web_raw(b, "\"><td>");
    web_text(b, cj_str(m, "name"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(m, "state"));
    web_raw(b, "</td><td class=\"num\">");
    const json_t *sig = json_object_get(m, "signal_dbm");
    if (json_is_integer(sig))
        web_textf(b, "%" PRId64 " dBm", (int64_t)json_integer_value(sig));
    else
        web_text(b, "unknown");
    web_raw(b, "</td><td>");
    web_text(b, cj_str(m, "operator"));
    web_raw(b, "</td><td class=\"num\">");
    web_textf(b, "%" PRId64, cj_int(m, "queue"));
    web_raw(b, "</td><td class=\"num\">");
    web_textf(b, "%" PRId64, cj_int(m, "sent_today"));
    web_raw(b, "</td><td>");
    console_time(b, cj_int(m, "last_seen_at"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(m, "last_error"));
    web_raw(b, "</td></tr>\n");
}

static void modems(web_buf *b, const json_t *d)
{
    const json_t *arr = json_object_get(d, "modems");
    web_raw(b, "<h2>Modems</h2>\n");
    if (json_array_size(arr) == 0) {
        web_raw(b, "<p id=\"no-modems\" class=\"muted\">No modem has reported yet "
                   "(or this gateway runs without one).</p>\n");
        return;
    }
    web_raw(b, "<div class=\"scroll\"><table id=\"modems\">\n<thead><tr><th>Name</th>"
               "<th>State</th><th class=\"num\">Signal</th><th>Operator</th>"
               "<th class=\"num\">Queue</th><th class=\"num\">Sent today</th>"
               "<th>Last seen</th><th>Last error</th></tr></thead>\n<tbody>\n");
    size_t i;
    const json_t *m;
    json_array_foreach(arr, i, m)
        modem_row(b, m);
    web_raw(b, "</tbody></table></div>\n");
}

static void outbox_cell(web_buf *b, const json_t *o, const char *key, const char *label)
{
    web_raw(b, "<tr><th>");
    web_text(b, label);
    web_raw(b, "</th><td class=\"num\">");
    web_textf(b, "%" PRId64, cj_int(o, key));
    web_raw(b, "</td></tr>\n");
}

static void outbox(web_buf *b, const json_t *d)
{
    const json_t *o = json_object_get(d, "outbox");
    web_raw(b, "<h2>Outbox</h2>\n<div class=\"scroll\"><table id=\"outbox\">\n<tbody>\n");
    outbox_cell(b, o, "messages_waiting", "Messages waiting");
    outbox_cell(b, o, "parts_queued", "Parts queued");
    outbox_cell(b, o, "parts_sending", "Parts sending");
    outbox_cell(b, o, "parts_unknown", "Parts possibly sent");
    outbox_cell(b, o, "parts_failed", "Parts failed");
    outbox_cell(b, o, "sent_today", "Sent today");
    web_raw(b, "</tbody></table></div>\n");
}

static void batch_row(web_buf *b, const json_t *r)
{
    web_raw(b, "<tr><td>");
    console_batch_link(b, r);
    web_raw(b, "</td><td>");
    web_text(b, cj_str(r, "state"));
    console_batch_counts(b, r);
    web_raw(b, "</td></tr>\n");
}

static void batches(web_buf *b, const json_t *d)
{
    const json_t *arr = json_object_get(d, "batches");
    web_raw(b, "<h2>Batches</h2>\n");
    if (json_array_size(arr) == 0) {
        web_raw(b, "<p id=\"no-batches\" class=\"muted\">No batch yet: "
                   "<a href=\"/batches\">upload one</a>.</p>\n");
        return;
    }
    web_raw(b, "<div class=\"scroll\"><table id=\"dash-batches\">\n<thead><tr><th>Batch</th>"
               "<th>State</th><th class=\"num\">Tasks done</th><th>Answers</th></tr></thead>\n"
               "<tbody>\n");
    size_t i;
    const json_t *r;
    json_array_foreach(arr, i, r)
        batch_row(b, r);
    web_raw(b, "</tbody></table></div>\n");
}

static void money(web_buf *b, const json_t *d)
{
    const json_t *arr = json_object_get(d, "money");
    web_raw(b, "<h2>Money</h2>\n");
    if (json_array_size(arr) == 0) {
        web_raw(b, "<p id=\"no-money\" class=\"muted\">No money has moved yet.</p>\n");
        return;
    }
    web_raw(b, "<div class=\"scroll\"><table id=\"money\">\n<thead><tr><th>Currency</th>"
               "<th class=\"num\">Owed to workers</th><th class=\"num\">Paid</th>"
               "<th class=\"num\">Pending</th><th class=\"num\">Pending payouts</th></tr>"
               "</thead>\n<tbody>\n");
    size_t i;
    const json_t *m;
    json_array_foreach(arr, i, m) {
        web_raw(b, "<tr><td>");
        web_text(b, cj_str(m, "currency"));
        web_raw(b, "</td><td class=\"num\">");
        console_money(b, m, "owed_minor");
        web_raw(b, "</td><td class=\"num\">");
        console_money(b, m, "paid_minor");
        web_raw(b, "</td><td class=\"num\">");
        console_money(b, m, "pending_minor");
        web_raw(b, "</td><td class=\"num\">");
        web_textf(b, "%" PRId64, cj_int(m, "pending_payouts"));
        web_raw(b, "</td></tr>\n");
    }
    web_raw(b, "</tbody></table></div>\n");
}

void console_dash_get(console_ctx *c)
{
    json_t *d = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_dashboard(c->env->st, c->env->cfg, c->now, &d, &err);
    if (rc != KZ_OK) {
        console_fail(c, "dashboard", rc, &err);
        return;
    }
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Dashboard", "dash", c->csrf);
    web_raw(&b, "<p class=\"muted\">Day ");
    web_text(&b, cj_str(d, "day"));
    web_raw(&b, "</p>\n");
    summary(&b, d);
    modems(&b, d);
    outbox(&b, d);
    batches(&b, d);
    money(&b, d);
    web_page_end(&b);
    json_decref(d);
    console_send(c, 200, &b);
}
