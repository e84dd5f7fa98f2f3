/*
 * console_batch.c - GET /batches/NAME (one batch: progress, task states,
 * what waits for a human, the results link) and GET
 * /batches/NAME/results.csv (the results, byte for byte `kazi export NAME`,
 * as a download).
 * Owns: the batch page and the download's headers. Never builds CSV itself
 * (web_batch_results_csv does).
 *
 * Ids: #notice after an upload ("N tasks added, N unchanged"), table
 * #batch-info (rows #info-requester, #info-state, #info-tasks,
 * #info-answers, #info-reward, #info-deadline, #info-review), #batch-progress (the
 * <progress>), table #task-states, link #results-link to results.csv.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "web_data.h"

static void info_row(web_buf *b, const char *id, const char *label)
{
    web_raw(b, "<tr id=\"");
    web_raw(b, id);
    web_raw(b, "\"><th>");
    web_text(b, label);
    web_raw(b, "</th><td>");
}

static void info(web_buf *b, const json_t *r)
{
    web_raw(b, "<div class=\"scroll\"><table id=\"batch-info\">\n<tbody>\n");
    info_row(b, "info-requester", "Requester");
    web_text(b, cj_str(r, "requester"));
    web_raw(b, "</td></tr>\n");
    info_row(b, "info-state", "State");
    web_text(b, cj_str(r, "state"));
    web_raw(b, "</td></tr>\n");
    info_row(b, "info-tasks", "Tasks complete");
    web_textf(b, "%" PRId64 " of %" PRId64, cj_int(r, "tasks_complete"), cj_int(r, "tasks"));
    web_raw(b, "</td></tr>\n");
    info_row(b, "info-answers", "Answers");
    web_textf(b, "%" PRId64 " of %" PRId64 " wanted (%" PRId64 " per task)",
              cj_int(r, "answers"), cj_int(r, "answers_needed"), cj_int(r, "redundancy"));
    web_raw(b, "</td></tr>\n");
    info_row(b, "info-reward", "Reward per answer");
    console_money(b, r, "reward_minor");
    web_textf(b, ", about %" PRId64 " s per task", cj_int(r, "est_seconds"));
    web_raw(b, "</td></tr>\n");
    info_row(b, "info-deadline", "Deadline");
    console_time(b, cj_int(r, "deadline"));
    web_raw(b, "</td></tr>\n");
    info_row(b, "info-review", "Tasks waiting for review");
    web_textf(b, "%" PRId64, cj_int(r, "in_review"));
    web_raw(b, "</td></tr>\n</tbody></table></div>\n");
}

static void states(web_buf *b, const json_t *r)
{
    const json_t *counts = json_object_get(r, "status_counts");
    web_raw(b, "<h2>Tasks by state</h2>\n<div class=\"scroll\"><table id=\"task-states\">\n"
               "<tbody>\n");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)counts, key, v) {
        web_raw(b, "<tr><th>");
        web_text(b, key);
        web_raw(b, "</th><td class=\"num\">");
        web_textf(b, "%" PRId64, (int64_t)json_integer_value(v));
        web_raw(b, "</td></tr>\n");
    }
    web_raw(b, "</tbody></table></div>\n");
}

/* A count from the query: 1 to 18 decimal digits; -1 for anything else. */
static int64_t query_count(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* The notice after a redirect from an upload (numbers only; anything else is ignored). */
static void upload_notice(console_ctx *c, web_buf *b)
{
    int64_t a = query_count(http_request_query(c->req, "added"));
    int64_t u = query_count(http_request_query(c->req, "unchanged"));
    if (a < 0 || u < 0)
        return;
    char text[128];
    snprintf(text, sizeof text, "Imported: %" PRId64 " task%s added, %" PRId64 " unchanged.", a,
             a == 1 ? "" : "s", u);
    web_notice(b, text);
}

void console_batch_get(console_ctx *c, const char *name)
{
    json_t *r = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_batch(c->env->st, name, &r, &err);
    if (rc != KZ_OK) {
        console_fail(c, "batch", rc, &err);
        return;
    }
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, cj_str(r, "name"), "batches", c->csrf);
    upload_notice(c, &b);
    web_raw(&b, "<p id=\"batch-progress\">");
    console_progress(&b, cj_int(r, "answers"), cj_int(r, "answers_needed"));
    web_raw(&b, "</p>\n");
    info(&b, r);
    states(&b, r);
    web_raw(&b, "<h2>Results</h2>\n<p><a id=\"results-link\" href=\"/batches/");
    web_url(&b, cj_str(r, "name"));
    web_raw(&b, "/results.csv\" download>Download the results (CSV)</a> "
                "<span class=\"muted\">the same file as <code>kazi export</code></span></p>\n"
                "<p><a id=\"back-batches\" href=\"/batches\">All batches</a></p>\n");
    web_page_end(&b);
    json_decref(r);
    console_send(c, 200, &b);
}

/* "NAME-results.csv" with every byte outside [A-Za-z0-9._-] turned into '_'. */
static void download_name(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = name; *p && n + sizeof "-results.csv" < cap && n < 80; p++) {
        char ch = *p;
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[n++] = ok ? ch : '_';
    }
    snprintf(out + n, cap - n, "%s-results.csv", n ? "" : "batch");
}

void console_batch_results(console_ctx *c, const char *name)
{
    char *csv = NULL;
    size_t len = 0;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_batch_results_csv(c->env->st, name, &csv, &len, &err);
    if (rc != KZ_OK) {
        console_fail(c, "results", rc, &err);
        return;
    }
    char file[128], disp[160];
    download_name(name, file, sizeof file);
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", file);
    http_response_take(c->resp, 200, "text/csv; charset=utf-8", csv, len);
    if (http_response_header(c->resp, "Content-Disposition", disp) != KZ_OK) {
        http_response_clear(c->resp);
        http_response_text(c->resp, 500, "internal error");
    }
}
