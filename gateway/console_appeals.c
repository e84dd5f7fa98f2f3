/*
 * console_appeals.c - GET /appeals (open appeals, each with a decision form,
 * and the latest decided ones) and POST /appeals/ID (field `decision`
 * "overturn" or "uphold", field `note`: the reason sent to the worker; as
 * `kazi appeals decide`). A decision redirects (303) to /appeals?decided=ID,
 * which shows it; an empty note shows the page again with the error (400).
 * Owns: the appeals page. Never decides anything itself (web_appeal_decide).
 *
 * Ids: #appeals (a card <article id="appeal-ID"> per open appeal;
 * #no-appeals when none); in each card the form #decide-ID (POST
 * /appeals/ID) with input #note-ID (name "note") and buttons #overturn-ID,
 * #uphold-ID (name "decision", values "overturn", "uphold"); #notice after
 * a decision ("Appeal ID overturned: NOTE"); table #decided (the latest
 * decisions, a row #decided-ID each, the state in a cell .state). ?full=1
 * shows the workers' numbers (#show-numbers links to it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "log.h"
#include "web_data.h"

/* Decided appeals shown under the open ones, newest first. */
#define DECIDED_SHOWN 10

static void decide_form(console_ctx *c, web_buf *b, int64_t id)
{
    char action[48], form[32], note[32], over[32], up[32];
    snprintf(action, sizeof action, "/appeals/%" PRId64, id);
    snprintf(form, sizeof form, "decide-%" PRId64, id);
    snprintf(note, sizeof note, "note-%" PRId64, id);
    snprintf(over, sizeof over, "overturn-%" PRId64, id);
    snprintf(up, sizeof up, "uphold-%" PRId64, id);
    web_form_begin(b, action, form, c->csrf, 0);
    web_raw(b, "<div class=\"decide\"><p class=\"field\"><label for=\"");
    web_text(b, note);
    web_raw(b, "\">Note to the worker</label><input type=\"text\" id=\"");
    web_text(b, note);
    web_raw(b, "\" name=\"note\" required></p>\n");
    web_button(b, over, "decision", "overturn", "Overturn (pay)");
    web_button(b, up, "decision", "uphold", "Uphold rejection");
    web_raw(b, "</div>\n");
    web_form_end(b);
}

/* One open appeal as a card: what was rejected, why, the worker's reason, the form. */
static void open_item(console_ctx *c, web_buf *b, const json_t *a)
{
    int64_t id = cj_int(a, "id");
    web_raw(b, "<article class=\"item\" id=\"appeal-");
    web_textf(b, "%" PRId64, id);
    web_raw(b, "\">\n<h2>");
    web_textf(b, "Appeal %" PRId64, id);
    web_raw(b, "</h2>\n<dl>\n");
    console_pair(b, "Worker", cj_str(a, "phone"));
    console_pair(b, "Batch", cj_str(a, "batch"));
    console_pair(b, "Task", cj_str(a, "task"));
    console_pair(b, "Answer", cj_str(a, "answer"));
    console_pair(b, "Rejected because", cj_str(a, "reject_reason"));
    console_pair(b, "Worker's appeal", cj_str(a, "reason"));
    web_raw(b, "<dt>Money held</dt><dd>");
    console_money(b, a, "held_minor");
    web_raw(b, "</dd>\n<dt>Opened</dt><dd>");
    console_time(b, cj_int(a, "opened_at"));
    web_raw(b, "</dd>\n</dl>\n");
    decide_form(c, b, id);
    web_raw(b, "</article>\n");
}

static void open_list(console_ctx *c, web_buf *b, const json_t *all)
{
    size_t i, n = 0;
    const json_t *a;
    json_array_foreach(all, i, a)
        n += strcmp(cj_str(a, "state"), "open") == 0;
    if (n == 0) {
        web_raw(b, "<p id=\"no-appeals\" class=\"muted\">No open appeal.</p>\n");
        return;
    }
    web_raw(b, "<div id=\"appeals\">\n");
    json_array_foreach(all, i, a)
        if (strcmp(cj_str(a, "state"), "open") == 0)
            open_item(c, b, a);
    web_raw(b, "</div>\n");
}

static void decided_row(web_buf *b, const json_t *a)
{
    int64_t id = cj_int(a, "id");
    web_raw(b, "<tr id=\"decided-");
    web_textf(b, "%" PRId64, id);
    web_raw(b, "\"><td class=\"num\">");
    web_textf(b, "%" PRId64, id);
    web_raw(b, "</td><td>");
    web_text(b, cj_str(a, "phone"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(a, "batch"));
    web_raw(b, " / ");
    web_text(b, cj_str(a, "task"));
    web_raw(b, "</td><td class=\"state\">");
    web_text(b, cj_str(a, "state"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(a, "decision"));
    web_raw(b, "</td><td>");
    console_time(b, cj_int(a, "decided_at"));
    web_raw(b, "</td></tr>\n");
}

/* The latest DECIDED_SHOWN decisions (all is oldest first). */
static void decided_table(web_buf *b, const json_t *all)
{
    size_t n = json_array_size(all), shown = 0;
    for (size_t i = n; i-- > 0 && shown < DECIDED_SHOWN;) {
        const json_t *a = json_array_get(all, i);
        if (strcmp(cj_str(a, "state"), "open") == 0)
            continue;
        if (shown++ == 0)
            web_raw(b, "<h2>Latest decisions</h2>\n<div class=\"scroll\"><table id=\"decided\">\n"
                       "<thead><tr><th class=\"num\">#</th><th>Worker</th><th>Batch / task</th>"
                       "<th>State</th><th>Note</th><th>Decided</th></tr></thead>\n<tbody>\n");
        decided_row(b, a);
    }
    if (shown)
        web_raw(b, "</tbody></table></div>\n");
}

/* The notice for ?decided=ID: that appeal's outcome, read back from the store. */
static void decided_notice(console_ctx *c, web_buf *b, const json_t *all)
{
    int64_t id = console_parse_id(http_request_query(c->req, "decided"));
    if (id == 0)
        return;
    size_t i;
    const json_t *a;
    json_array_foreach(all, i, a) {
        if (cj_int(a, "id") != id || strcmp(cj_str(a, "state"), "open") == 0)
            continue;
        char text[400];
        snprintf(text, sizeof text, "Appeal %" PRId64 " %s: %s", id, cj_str(a, "state"),
                 cj_str(a, "decision"));
        web_notice(b, text);
        return;
    }
}

static void appeals_page(console_ctx *c, int status, const char *error)
{
    json_t *all = NULL;
    kz_err err;
    kz_err_clear(&err);
    int full = console_want_full(c, "appeals");
    kz_status rc = web_appeals(c->env->st, false, full, &all, &err);
    if (rc != KZ_OK) {
        console_fail(c, "appeals", rc, &err);
        return;
    }
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Appeals", "appeals", c->csrf);
    if (error) {
        web_error_begin(&b, error);
        web_error_end(&b);
    }
    decided_notice(c, &b, all);
    web_raw(&b, full ? "<p><a id=\"hide-numbers\" href=\"/appeals\">Hide numbers</a></p>\n"
                     : "<p><a id=\"show-numbers\" href=\"/appeals?full=1\">Show numbers</a></p>\n");
    open_list(c, &b, all);
    decided_table(&b, all);
    web_page_end(&b);
    json_decref(all);
    console_send(c, status, &b);
}

void console_appeals_get(console_ctx *c)
{
    appeals_page(c, 200, NULL);
}

void console_appeal_post(console_ctx *c, const char *idtext)
{
    int64_t id = console_parse_id(idtext);
    if (id == 0) {
        console_error(c, 404, "There is no such appeal.");
        return;
    }
    const char *decision = console_field(c, "decision");
    const char *note = console_field(c, "note");
    if (!decision || (strcmp(decision, "overturn") != 0 && strcmp(decision, "uphold") != 0)) {
        appeals_page(c, 400, "Choose Overturn or Uphold.");
        return;
    }
    if (!note || !*note) {
        appeals_page(c, 400, "Write a note for the worker: it is sent to them with the decision.");
        return;
    }
    json_t *out = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_appeal_decide(c->env->st, c->env->conv, id, decision, note, "console",
                                     false, c->now, &out, &err);
    json_decref(out);
    if (rc == KZ_ERR_INVALID) {
        appeals_page(c, 400, err.msg[0] ? err.msg : "The decision was refused.");
        return;
    }
    if (rc != KZ_OK) {
        console_fail(c, "appeal decision", rc, &err);
        return;
    }
    log_info("console: appeal %" PRId64 " %s by %s", id,
             strcmp(decision, "overturn") == 0 ? "overturned" : "upheld", c->req->peer);
    if (c->env->wake)
        c->env->wake(c->env->wake_ctx);
    char where[64];
    snprintf(where, sizeof where, "/appeals?decided=%" PRId64, id);
    console_redirect(c, where);
}
