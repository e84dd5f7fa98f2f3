/*
 * console_batches.c - GET /batches (every batch with its progress, and the
 * upload form) and POST /batches (a CSV upload with `kazi import`'s
 * options and validation, web_upload_csv). An upload with any error shows
 * every error with its line and column, imports nothing, and answers 400
 * with the form still filled in; a good one redirects (303) to the batch's
 * page (/batches/NAME?added=N&unchanged=N).
 * Owns: the batch list and the upload form. Never parses CSV itself.
 *
 * Ids: table #batches (a row #batch-NAME each, NAME URL-encoded; its first
 * cell a link to /batches/NAME; #no-batches when none); form #upload
 * (POST /batches, multipart) with inputs #file (name "file", the CSV),
 * #batch, #requester, #reward, #redundancy, #est_seconds, #deadline (names
 * equal to ids) and button #upload-submit; the error box #errors with one
 * <li> per error ("line 7, column 3 (options): reason").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "console.h"
#include "log.h"
#include "web_data.h"

/* The upload's text fields, in the order the form shows them. */
static const struct {
    const char *name, *label, *type;
    int required;
} UPLOAD_FIELDS[] = {
    {"batch", "Batch name", "text", 1},
    {"requester", "Requester (named in every task message)", "text", 1},
    {"reward", "Reward per answer (empty: the pay floor's minimum)", "text", 0},
    {"redundancy", "Answers wanted per task (1-100, empty: 3)", "number", 0},
    {"est_seconds", "Estimated seconds per task (empty: 30)", "number", 0},
    {"deadline", "Deadline (YYYY-MM-DD, YYYY-MM-DDTHH:MM, +7d, +12h; empty: none)", "text", 0},
};
#define N_UPLOAD_FIELDS (sizeof UPLOAD_FIELDS / sizeof UPLOAD_FIELDS[0])

static void batch_row(web_buf *b, const json_t *r)
{
    web_raw(b, "<tr id=\"batch-");
    web_url(b, cj_str(r, "name"));
    web_raw(b, "\"><td>");
    console_batch_link(b, r);
    web_raw(b, "</td><td>");
    web_text(b, cj_str(r, "requester"));
    web_raw(b, "</td><td>");
    web_text(b, cj_str(r, "state"));
    console_batch_counts(b, r);
    web_raw(b, "</td><td class=\"num\">");
    console_money(b, r, "reward_minor");
    web_raw(b, "</td><td>");
    console_time(b, cj_int(r, "created_at"));
    web_raw(b, "</td></tr>\n");
}

static void batch_table(web_buf *b, const json_t *arr)
{
    web_raw(b, "<h2 id=\"list-title\">All batches</h2>\n");
    if (json_array_size(arr) == 0) {
        web_raw(b, "<p id=\"no-batches\" class=\"muted\">No batch yet.</p>\n");
        return;
    }
    web_raw(b, "<div class=\"scroll\"><table id=\"batches\">\n<thead><tr><th>Batch</th>"
               "<th>Requester</th><th>State</th><th class=\"num\">Tasks done</th>"
               "<th>Answers</th><th class=\"num\">Reward</th><th>Created</th></tr></thead>\n"
               "<tbody>\n");
    size_t i;
    const json_t *r;
    json_array_foreach(arr, i, r)
        batch_row(b, r);
    web_raw(b, "</tbody></table></div>\n");
}

/* The upload form; with keep set, the text fields refilled from the failed POST. */
static void upload_form(console_ctx *c, web_buf *b, int keep)
{
    web_raw(b, "<h2 id=\"upload-title\">Upload a batch</h2>\n<p class=\"muted\">A CSV with the "
               "columns id, type, prompt, options (and optionally gold, redundancy, reward), "
               "as for <code>kazi import</code>. One bad row and nothing is imported.</p>\n");
    web_form_begin(b, "/batches", "upload", c->csrf, 1);
    web_raw(b, "<p class=\"field\"><label for=\"file\">CSV file</label>\n"
               "<input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,text/csv\" "
               "required></p>\n");
    for (size_t i = 0; i < N_UPLOAD_FIELDS; i++)
        web_input(b, UPLOAD_FIELDS[i].type, UPLOAD_FIELDS[i].name, UPLOAD_FIELDS[i].label,
                  keep ? console_field(c, UPLOAD_FIELDS[i].name) : NULL,
                  UPLOAD_FIELDS[i].required);
    web_button(b, "upload-submit", NULL, NULL, "Upload");
    web_form_end(b);
}

/* One error of web_upload_csv as a list item: "line 7, column 3 (options): reason". */
static void upload_error(web_buf *b, const json_t *e)
{
    int64_t line = cj_int(e, "line"), col = cj_int(e, "column");
    const char *cname = cj_str(e, "column_name"), *field = cj_str(e, "field");
    web_raw(b, "<li>");
    if (line > 0)
        web_textf(b, "line %" PRId64, line);
    if (line > 0 && col > 0)
        web_textf(b, ", column %" PRId64, col);
    if (*cname)
        web_textf(b, line > 0 ? " (%s)" : "(%s)", cname);
    if (*field)
        web_text(b, field);
    if (line > 0 || *field || *cname)
        web_text(b, ": ");
    web_text(b, cj_str(e, "message"));
    web_raw(b, "</li>\n");
}

/* The box of a refused upload: error (may be NULL), then every error in result. */
static void upload_errors(web_buf *b, const json_t *result, const char *error)
{
    web_error_begin(b, "Nothing was imported:");
    if (error)
        web_error_item(b, error);
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(result, "errors"), i, e)
        upload_error(b, e);
    int64_t more = cj_int(result, "errors_more");
    if (more > 0) {
        web_raw(b, "<li>");
        web_textf(b, "... and %" PRId64 " more", more);
        web_raw(b, "</li>\n");
    }
    web_error_end(b);
}

/* The list and the form; after a refused upload (result or error set) its errors first. */
static void batches_page(console_ctx *c, int status, const json_t *result, const char *error)
{
    json_t *arr = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_batches(c->env->st, &arr, &err);
    if (rc != KZ_OK) {
        console_fail(c, "batches", rc, &err);
        return;
    }
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Batches", "batches", c->csrf);
    int refused = error || result;
    if (refused)
        upload_errors(&b, result, error);
    /* after a refused upload the form comes first, next to its errors */
    if (!refused)
        batch_table(&b, arr);
    upload_form(c, &b, refused);
    if (refused)
        batch_table(&b, arr);
    web_page_end(&b);
    json_decref(arr);
    console_send(c, status, &b);
}

void console_batches_get(console_ctx *c)
{
    batches_page(c, 200, NULL, NULL);
}

/* Where a good upload goes: /batches/NAME?added=N&unchanged=N. */
static void upload_done(console_ctx *c, const json_t *result)
{
    web_buf loc;
    web_buf_init(&loc);
    web_raw(&loc, "/batches/");
    web_url(&loc, cj_str(result, "batch"));
    char query[64];
    snprintf(query, sizeof query, "?added=%" PRId64 "&unchanged=%" PRId64,
             cj_int(result, "added"), cj_int(result, "unchanged"));
    web_raw(&loc, query); /* a URL, not HTML: numbers only */
    char *where;
    size_t len;
    if (web_buf_take(&loc, &where, &len) != KZ_OK) {
        http_response_text(c->resp, 500, "internal error");
        return;
    }
    console_redirect(c, where);
    free(where);
}

void console_batches_post(console_ctx *c)
{
    const http_field *file = http_request_field(c->req, "file");
    if (!file || !file->filename || file->len == 0) {
        batches_page(c, 400, NULL, "Choose a CSV file to upload (the file was missing or empty).");
        return;
    }
    web_upload u = {
        .batch = console_field(c, "batch"),
        .requester = console_field(c, "requester"),
        .reward = console_field(c, "reward"),
        .redundancy = console_field(c, "redundancy"),
        .est_seconds = console_field(c, "est_seconds"),
        .deadline = console_field(c, "deadline"),
        .source = *file->filename ? file->filename : "upload",
    };
    /* an empty optional field means "not given", as an option left off the command line */
    if (u.reward && !*u.reward)
        u.reward = NULL;
    if (u.redundancy && !*u.redundancy)
        u.redundancy = NULL;
    if (u.est_seconds && !*u.est_seconds)
        u.est_seconds = NULL;
    if (u.deadline && !*u.deadline)
        u.deadline = NULL;
    json_t *result = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = web_upload_csv(c->env->st, &u, file->data, file->len, c->now, &result, &err);
    if (rc == KZ_OK) {
        log_info("console: batch '%s' imported from upload '%s' (%" PRId64 " added) by %s",
                 cj_str(result, "batch"), u.source, cj_int(result, "added"), c->req->peer);
        upload_done(c, result);
    } else if (result && (rc == KZ_ERR_INVALID || rc == KZ_ERR_RANGE)) {
        int listed = json_array_size(json_object_get(result, "errors")) > 0;
        batches_page(c, 400, result,
                     listed ? NULL : err.msg[0] ? err.msg : "The upload was refused.");
    } else {
        console_fail(c, "upload", rc, &err);
    }
    json_decref(result);
}
