/*
 * console_workers.c - GET /workers: every worker with state, language,
 * answers and balance; phone numbers masked ("+2547****5678") unless the
 * operator asks with ?full=1 (the "Show numbers" link), which is logged.
 * Owns: the workers page. Never writes anything.
 *
 * Ids: link #show-numbers (to /workers?full=1) or #hide-numbers (back),
 * table #workers (a row #worker-ID each, the number in a cell .phone;
 * #no-workers when none).
 */
#include <inttypes.h>
#include <string.h>

#include "console.h"
#include "web_data.h"

static void worker_row(web_buf *b, const json_t *w)
{
    int64_t id = cj_int(w, "id");
    web_raw(b, "<tr id=\"worker-");
    web_textf(b, "%" PRId64, id);
    web_raw(b, "\"><td class=\"num\">");
    web_textf(b, "%" PRId64, id);
    web_raw(b, "</td><td class=\"phone\">");
    web_text(b, cj_str(w, "phone"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(w, "name"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(w, "lang"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(w, "state"));
    web_raw(b, "</td><td class=\"num\">");
    web_textf(b, "%" PRId64, cj_int(w, "answers"));
    web_raw(b, "</td><td class=\"num\">");
    if (*cj_str(w, "currency"))
        console_money(b, w, "balance_minor");
    else
        web_raw(b, "-");
    web_raw(b, "</td><td>");
    console_time(b, cj_int(w, "joined_at"));
    web_raw(b, "</td></tr>\n");
}

void console_workers_get(console_ctx *c)
{
    int full = console_want_full(c, "workers");
    json_t *arr = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_workers(c->env->st, full, &arr, &err);
    if (rc != KZ_OK) {
        console_fail(c, "workers", rc, &err);
        return;
    }
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Workers", "workers", c->csrf);
    web_raw(&b, full ? "<p><a id=\"hide-numbers\" href=\"/workers\">Hide numbers</a></p>\n"
                     : "<p><a id=\"show-numbers\" href=\"/workers?full=1\">Show numbers</a></p>\n");
    if (json_array_size(arr) == 0) {
        web_raw(&b, "<p id=\"no-workers\" class=\"muted\">No worker has joined yet.</p>\n");
    } else {
        web_raw(&b, "<div class=\"scroll\"><table id=\"workers\">\n<thead><tr>"
                    "<th class=\"num\">#</th><th>Phone</th><th>Name</th><th>Language</th>"
                    "<th>State</th><th class=\"num\">Answers</th><th class=\"num\">Balance</th>"
                    "<th>Joined</th></tr></thead>\n<tbody>\n");
        size_t i;
        const json_t *w;
        json_array_foreach(arr, i, w)
            worker_row(&b, w);
        web_raw(&b, "</tbody></table></div>\n");
    }
    web_page_end(&b);
    json_decref(arr);
    console_send(c, 200, &b);
}
