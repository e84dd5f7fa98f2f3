/*
 * cmd_review.c - `kazi review`: the tasks whose workers did not agree even
 * after the extra workers allowed ("needs review"), and a human settling one
 * with the right answer.
 *
 *   kazi review [list] [--json] [--db FILE]
 *   kazi review settle TASK --answer VALUE [--reviewer NAME] [--db FILE]
 *
 * TASK is the number in the listing's first column. The reviewer defaults to
 * $USER. Settling never changes anyone's pay (tasks/engine_review.c).
 * Owns: those two verbs and the columns of the listing. Never writes SQL.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_db.h"
#include "engine.h"

#define REVIEW_USAGE                                                                         \
    "usage: kazi review [list] [--json] [--db FILE]\n"                                       \
    "       kazi review settle TASK --answer VALUE [--reviewer NAME] [--db FILE]\n"

/* Characters of a prompt shown in the table. */
#define PROMPT_SHOWN 40

typedef struct review_opts {
    const char *db, *answer, *reviewer;
    int json;
} review_opts;

/* "Yes x2, No x2, Closed x1" (and "+N more" when not all are listed). */
static void groups_text(const engine_review_row *r, char *out, size_t cap)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->ngroups; i++) {
        int w = snprintf(out + pos, cap - pos, "%s%.30s x%d", i ? ", " : "", r->groups[i].value,
                         r->groups[i].count);
        if (w < 0 || (size_t)w >= cap - pos)
            return;
        pos += (size_t)w;
    }
    if (r->ngroups_all > r->ngroups)
        snprintf(out + pos, cap - pos, ", +%zu more", r->ngroups_all - r->ngroups);
}

static json_t *row_json(const engine_review_row *r)
{
    json_t *groups = json_array();
    for (size_t i = 0; groups && i < r->ngroups; i++)
        if (json_array_append_new(groups, json_pack("{s:s, s:i}", "value", r->groups[i].value,
                                                    "count", r->groups[i].count)) != 0) {
            json_decref(groups);
            return NULL;
        }
    if (!groups)
        return NULL;
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:o}", "task_id",
                     (json_int_t)r->task_id, "batch", r->batch, "task", r->ext_id, "type",
                     r->type, "prompt", r->prompt, "options", r->options, "answers", r->answers,
                     "distinct", (json_int_t)r->ngroups_all, "flagged_at",
                     (json_int_t)r->flagged_at, "groups", groups);
}

static int list_row(void *ctx, const engine_review_row *r)
{
    cli_listing *o = ctx;
    if (o->json) {
        json_t *j = row_json(r);
        return cli_listing_add_json(o, j);
    }
    char id[24], n[16], flagged[32], groups[256], prompt[PROMPT_SHOWN * 4 + 8];
    snprintf(id, sizeof id, "%" PRId64, r->task_id);
    snprintf(n, sizeof n, "%d", r->answers);
    size_t pl = strlen(r->prompt), cut = pl > PROMPT_SHOWN ? PROMPT_SHOWN : pl;
    while (cut < pl && cut > 0 && (r->prompt[cut] & 0xC0) == 0x80)
        cut--; /* never half a character */
    snprintf(prompt, sizeof prompt, "%.*s%s", (int)cut, r->prompt, cut < pl ? "..." : "");
    cli_time_format(r->flagged_at, flagged, sizeof flagged);
    groups_text(r, groups, sizeof groups);
    const char *row[] = {id, r->batch, r->ext_id, r->type, n, groups, prompt, flagged};
    return cli_listing_add_row(o, row);
}

static kz_status list_walk(kz_store *st, const void *arg, cli_listing *l, kz_err *err)
{
    (void)arg;
    return engine_review_each(st, list_row, l, err);
}

static int review_list(kz_store *st, const review_opts *op)
{
    static const char *const head[] = {"TASK",    "BATCH",  "ID",     "TYPE",
                                       "ANSWERS", "GIVEN",  "PROMPT", "FLAGGED"};
    static const unsigned char right[] = {1, 0, 0, 0, 1, 0, 0, 0};
    static const cli_listing_spec spec = {
        .name = "review",
        .ncols = sizeof head / sizeof head[0],
        .head = head,
        .right = right,
        .walk = list_walk,
    };
    return cli_listing_show(st, &spec, op->json, NULL);
}

/* Parse a positive row id; 0 if s is not one. */
static int64_t parse_id(const char *s)
{
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    return (s && *s && end && *end == '\0' && v > 0) ? (int64_t)v : 0;
}

static int review_settle(kz_store *st, const review_opts *op, int64_t id)
{
    const char *who = op->reviewer ? op->reviewer : getenv("USER");
    engine_settled r;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = engine_review_settle(st, id, op->answer, who, (int64_t)time(NULL), &r, &err);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi review: %s\n", err.msg[0] ? err.msg : kz_strerror(s));
        return CLI_FAIL;
    }
    printf("task %" PRId64 " settled: '%s' (%d of %d workers gave it); every on-time answer"
           " stays paid\n",
           id, r.consensus, r.votes, r.answers);
    return CLI_OK;
}

/* Parse options anywhere on the line; the verb and its task are left in argv[optind..]. */
static int parse_opts(int argc, char **argv, review_opts *op)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},         {"answer", required_argument, NULL, 'a'},
        {"reviewer", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,                            {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': op->json = 1; break;
        case 'a': op->answer = optarg; break;
        case 'r': op->reviewer = optarg; break;
        case 'D': op->db = optarg; break;
        default:
            fputs(REVIEW_USAGE, stderr);
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    return -1;
}

int cmd_review(int argc, char **argv)
{
    review_opts op = {0};
    int rc = parse_opts(argc, argv, &op);
    if (rc >= 0)
        return rc;
    const char *verb = optind < argc ? argv[optind] : "list";
    int nargs = argc - optind - (optind < argc);
    bool is_list = strcmp(verb, "list") == 0;
    int64_t id = !is_list && nargs == 1 ? parse_id(argv[optind + 1]) : 0;
    if ((is_list && (nargs != 0 || op.answer)) ||
        (!is_list && (strcmp(verb, "settle") != 0 || !id || !op.answer || op.json))) {
        fputs(REVIEW_USAGE, stderr);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    rc = cli_db_open(cli_db_path(op.db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    rc = is_list ? review_list(st, &op) : review_settle(st, &op, id);
    store_close(st);
    return rc;
}
