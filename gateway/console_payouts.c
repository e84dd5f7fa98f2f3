/*
 * console_payouts.c - GET /payouts (payouts that need the operator: outcome
 * unknown, failed, or stuck; each with the actions `kazi pay` allows for
 * it) and POST /payouts/ID (field `action`: "confirmed", "failed" or
 * "retry"; field `note`: the reason, required for confirmed and failed).
 * An action redirects (303) to /payouts?done=ID&action=ACTION, which says
 * what was done; a refused one shows the page again with the error.
 * Owns: the payouts page. Never changes a payout itself (web_payout_act).
 *
 * Ids: #payouts (a card <article id="payout-ID"> each; #no-payouts when
 * none), in each card the form #act-ID (POST /payouts/ID) with input #note-ID (name
 * "note") and one button per allowed action: #confirmed-ID, #failed-ID,
 * #retry-ID (name "action", the action as value); #notice after an action.
 * ?full=1 shows the workers' numbers (#show-numbers links to it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "log.h"
#include "web_data.h"

/* The actions web_payout_act knows, with their button labels and notices. */
static const struct {
    const char *action, *label, *done;
} ACTIONS[] = {
    {"confirmed", "Mark paid (confirmed)", "marked confirmed"},
    {"failed", "Mark failed (refund the balance)", "marked failed; the balance is restored"},
    {"retry", "Retry (a new payout)", "retried: a new payout was requested"},
};
#define N_ACTIONS (sizeof ACTIONS / sizeof ACTIONS[0])

static int action_index(const char *a)
{
    for (size_t i = 0; a && i < N_ACTIONS; i++)
        if (strcmp(a, ACTIONS[i].action) == 0)
            return (int)i;
    return -1;
}

static void act_form(console_ctx *c, web_buf *b, const json_t *p)
{
    int64_t id = cj_int(p, "id");
    const json_t *acts = json_object_get(p, "actions");
    if (json_array_size(acts) == 0) {
        web_raw(b, "<span class=\"muted\">wait</span>");
        return;
    }
    char action[48], form[32], note[32];
    snprintf(action, sizeof action, "/payouts/%" PRId64, id);
    snprintf(form, sizeof form, "act-%" PRId64, id);
    snprintf(note, sizeof note, "note-%" PRId64, id);
    web_form_begin(b, action, form, c->csrf, 0);
    web_raw(b, "<div class=\"decide\"><p class=\"field\"><label for=\"");
    web_text(b, note);
    web_raw(b, "\">Note (what the provider's statement says)</label><input type=\"text\" id=\"");
    web_text(b, note);
    web_raw(b, "\" name=\"note\"></p>\n");
    size_t i;
    const json_t *a;
    json_array_foreach(acts, i, a) {
        int k = action_index(json_string_value(a));
        if (k < 0)
            continue;
        char bid[48];
        snprintf(bid, sizeof bid, "%s-%" PRId64, ACTIONS[k].action, id);
        web_button(b, bid, "action", ACTIONS[k].action, ACTIONS[k].label);
    }
    web_raw(b, "</div>\n");
    web_form_end(b);
}

/* One payout as a card: who, how much, why it needs attention, the actions. */
static void payout_item(console_ctx *c, web_buf *b, const json_t *p)
{
    int64_t id = cj_int(p, "id");
    web_raw(b, "<article class=\"item\" id=\"payout-");
    web_textf(b, "%" PRId64, id);
    web_raw(b, "\">\n<h2>");
    web_textf(b, "Payout %" PRId64, id);
    web_raw(b, "</h2>\n<dl>\n");
    console_pair(b, "Worker", cj_str(p, "phone"));
    web_raw(b, "<dt>Amount</dt><dd>");
    console_money(b, p, "amount_minor");
    web_raw(b, "</dd>\n<dt>State</dt><dd class=\"state-");
    web_url(b, cj_str(p, "state"));
    web_raw(b, "\">");
    web_text(b, cj_str(p, "state"));
    web_raw(b, "</dd>\n");
    console_pair(b, "Needs attention", cj_str(p, "attention"));
    console_pair(b, "Method", cj_str(p, "method"));
    console_pair(b, "Provider reference", cj_str(p, "provider_ref"));
    console_pair(b, "Error", cj_str(p, "error"));
    web_raw(b, "<dt>Last change</dt><dd>");
    console_time(b, cj_int(p, "updated_at"));
    web_raw(b, "</dd>\n</dl>\n");
    act_form(c, b, p);
    web_raw(b, "</article>\n");
}

/* The notice for ?done=ID&action=A (A one of ACTIONS; anything else ignored). */
static void done_notice(console_ctx *c, web_buf *b)
{
    int64_t id = console_parse_id(http_request_query(c->req, "done"));
    int k = action_index(http_request_query(c->req, "action"));
    if (id == 0 || k < 0)
        return;
    char text[160];
    snprintf(text, sizeof text, "Payout %" PRId64 " %s.", id, ACTIONS[k].done);
    web_notice(b, text);
}

static void payouts_page(console_ctx *c, int status, const char *error)
{
    json_t *arr = NULL;
    kz_err err;
    kz_err_clear(&err);
    int full = console_want_full(c, "payouts");
    kz_status rc = web_payouts(c->env->st, true, full, c->now, &arr, &err);
    if (rc != KZ_OK) {
        console_fail(c, "payouts", rc, &err);
        return;
    }
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Payouts needing attention", "payouts", c->csrf);
    if (error) {
        web_error_begin(&b, error);
        web_error_end(&b);
    }
    done_notice(c, &b);
    web_raw(&b, "<p class=\"muted\">Unknown: the outcome was never learnt; check the provider's "
                "statement before deciding. Failed: the worker's latest payout failed. Stuck: "
                "no change for an hour.</p>\n");
    web_raw(&b, full ? "<p><a id=\"hide-numbers\" href=\"/payouts\">Hide numbers</a></p>\n"
                     : "<p><a id=\"show-numbers\" href=\"/payouts?full=1\">Show numbers</a></p>\n");
    if (json_array_size(arr) == 0) {
        web_raw(&b, "<p id=\"no-payouts\" class=\"muted\">No payout needs attention.</p>\n");
    } else {
        web_raw(&b, "<div id=\"payouts\">\n");
        size_t i;
        const json_t *p;
        json_array_foreach(arr, i, p)
            payout_item(c, &b, p);
        web_raw(&b, "</div>\n");
    }
    web_page_end(&b);
    json_decref(arr);
    console_send(c, status, &b);
}

void console_payouts_get(console_ctx *c)
{
    payouts_page(c, 200, NULL);
}

void console_payout_post(console_ctx *c, const char *idtext)
{
    int64_t id = console_parse_id(idtext);
    if (id == 0) {
        console_error(c, 404, "There is no such payout.");
        return;
    }
    const char *action = console_field(c, "action");
    const char *note = console_field(c, "note");
    int k = action_index(action);
    if (k < 0) {
        payouts_page(c, 400, "Choose one of the actions.");
        return;
    }
    json_t *out = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_payout_act(c->env->st, c->env->cfg, id, action, note ? note : "", false,
                                  c->now, &out, &err);
    json_decref(out);
    if (rc == KZ_ERR_INVALID || rc == KZ_ERR_STATE || rc == KZ_ERR_BUSY || rc == KZ_ERR_RANGE) {
        payouts_page(c, rc == KZ_ERR_INVALID || rc == KZ_ERR_RANGE ? 400 : 409,
                     err.msg[0] ? err.msg : kz_strerror(rc));
        return;
    }
    if (rc != KZ_OK) {
        console_fail(c, "payout action", rc, &err);
        return;
    }
    log_info("console: payout %" PRId64 " %s by %s", id, action, c->req->peer);
    if (c->env->wake)
        c->env->wake(c->env->wake_ctx);
    char where[80];
    snprintf(where, sizeof where, "/payouts?done=%" PRId64 "&action=%s", id, ACTIONS[k].action);
    console_redirect(c, where);
}
