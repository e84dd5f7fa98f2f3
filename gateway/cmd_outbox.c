/*
 * cmd_outbox.c - `kazi outbox [--db FILE] [--json]`: the outbound SMS that
 * wait to be sent (state queued or sending), oldest first, as a table for
 * people or a JSON array for scripts.
 * Owns: the columns of that listing. Never writes to the database.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_db.h"
#include "store_conv.h"

/* Characters of a message shown in the table (the JSON has it whole). */
#define TEXT_SHOWN 60

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
    cli_listing *o = ctx;
    if (o->json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)r->id,
                              "to", r->peer, "text", r->body, "segments",
                              (json_int_t)r->segments, "state", r->state, "attempts",
                              (json_int_t)r->attempts, "created_at", (json_int_t)r->created_at,
                              "next_attempt_at", (json_int_t)r->next_attempt_at);
        return cli_listing_add_json(o, j);
    }
    char id[24], segs[24], tries[24], when[32], text[TEXT_SHOWN * 4 + 8];
    snprintf(id, sizeof id, "%" PRId64, r->id);
    snprintf(segs, sizeof segs, "%" PRId64, r->segments);
    snprintf(tries, sizeof tries, "%" PRId64, r->attempts);
    cli_time_format(r->created_at, when, sizeof when);
    shorten(r->body, text, sizeof text);
    const char *row[] = {id, r->peer, segs, r->state, tries, when, text};
    return cli_listing_add_row(o, row);
}

static kz_status walk(kz_store *st, const void *arg, cli_listing *l, kz_err *err)
{
    (void)arg;
    return store_outbox_each(st, outbox_row, l, err);
}

int cmd_outbox(int argc, char **argv)
{
    static const char *const head[] = {"ID", "TO", "SEGS", "STATE", "TRIES", "QUEUED", "TEXT"};
    static const unsigned char right[] = {1, 0, 1, 0, 1, 0, 0};
    static const cli_listing_spec spec = {
        .name = "outbox",
        .ncols = sizeof head / sizeof head[0],
        .head = head,
        .right = right,
        .empty = "outbox empty",
        .walk = walk,
    };
    return cli_listing_run(argc, argv, &spec);
}
