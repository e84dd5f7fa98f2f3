/*
 * cmd_outbox.c - `kazi outbox [--db FILE] [--json]`: the outbound SMS that
 * wait to be sent (state queued or sending), oldest first, as a table for
 * people or a JSON array for scripts.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_db.h"
#include "store_conv.h"

/* Characters of a message shown in the table (the JSON has it whole). */
#define TEXT_SHOWN 60

typedef struct outbox_out {
    int json;
    json_t *arr;
    cli_table table;
    int oom;
} outbox_out;

/* The first TEXT_SHOWN characters of s (whole UTF-8 characters), "..." if cut. */
static void shorten(const char *s, char *out, size_t cap)
{
    size_t i = 0, chars = 0;
    while (s[i] && chars < TEXT_SHOWN && i + 8 < cap) {
        i++;
        while ((s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    snprintf(out, cap, "%.*s%s", (int)i, s, s[i] ? "..." : "");
}

static int outbox_row(void *ctx, const store_outbox_row *r)
{
    outbox_out *o = ctx;
    if (o->json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)r->id,
                              "to", r->peer, "text", r->body, "segments",
                              (json_int_t)r->segments, "state", r->state, "attempts",
                              (json_int_t)r->attempts, "created_at", (json_int_t)r->created_at,
                              "next_attempt_at", (json_int_t)r->next_attempt_at);
        if (!j || json_array_append_new(o->arr, j) != 0)
            o->oom = 1;
        return o->oom;
    }
    char id[24], segs[24], tries[24], when[32], text[TEXT_SHOWN * 4 + 8];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    snprintf(segs, sizeof segs, "%" PRId64, r->segments);
    snprintf(tries, sizeof tries, "%" PRId64, r->attempts);
    cli_time_format(r->created_at, when, sizeof when);
    shorten(r->body, text, sizeof text);
    const char *row[] = {id, r->peer, segs, r->state, tries, when, text};
    if (cli_table_add(&o->table, row) != 0)
        o->oom = 1;
    return o->oom;
}

int cmd_outbox(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int json = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'D': db = optarg; break;
        default:
            fprintf(stderr, "usage: kazi outbox [--json] [--db FILE]\n");
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: kazi outbox [--json] [--db FILE]\n");
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    static const char *const head[] = {"ID", "TO", "SEGS", "STATE", "TRIES", "QUEUED", "TEXT"};
    static const unsigned char right[] = {1, 0, 1, 0, 1, 0, 0};
    outbox_out o = {.json = json, .arr = json ? json_array() : NULL};
    cli_table_init(&o.table, sizeof head / sizeof head[0], head, right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = (json && !o.arr) ? KZ_ERR_NOMEM : store_outbox_each(st, outbox_row, &o, &err);
    store_close(st);
    if (s != KZ_OK || o.oom) {
        fprintf(stderr, "kazi outbox: %s\n", o.oom || !err.msg[0] ? "out of memory" : err.msg);
        rc = CLI_FAIL;
    } else if (json) {
        json_dumpf(o.arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (o.table.nrows == 0) {
        printf("outbox empty\n");
    } else {
        cli_table_print(&o.table, stdout);
    }
    json_decref(o.arr);
    cli_table_free(&o.table);
    return rc;
}
