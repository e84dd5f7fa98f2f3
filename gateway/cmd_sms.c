/*
 * cmd_sms.c - `kazi sms in --from NUMBER [--at TIME] [--db FILE]
 * [--config FILE] TEXT`: one inbound SMS through exactly the conversation
 * path the daemon uses (tasks/conv.h: recorded, acted on, replies queued,
 * committed), then each reply it queued printed as a JSON line
 * {"to":...,"text":...,"segments":...}. Operators try a setup without a
 * phone; scripts test with it.
 * Owns: those options and the JSON lines. Never sends anything (the replies
 * wait in the outbox: `kazi outbox`).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_conv.h"
#include "cli_db.h"
#include "config.h"
#include "conv.h"
#include "templates.h"

static void usage(void)
{
    fprintf(stderr, "usage: kazi sms in --from NUMBER [--at TIME] [--db FILE] [--config FILE] "
                    "TEXT\n"
                    "  TIME: Unix seconds, or YYYY-MM-DDTHH:MM[:SS] (deployment local time; "
                    "Z suffix = UTC)\n");
}

/* --at: Unix seconds, or a date and time (local to the deployment unless Z). */
static int parse_at(const char *s, int tz_minutes, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s && *end == '\0' && v >= 0) {
        *out = (int64_t)v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e)
        e = strptime(s, "%Y-%m-%dT%H:%M", &tm);
    if (!e)
        return -1;
    int utc = *e == 'Z';
    if (e[utc] != '\0')
        return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (int64_t)t - (utc ? 0 : (int64_t)tz_minutes * 60);
    return 0;
}

static int print_replies(const conv_result *r)
{
    for (size_t i = 0; i < r->nreplies; i++) {
        json_t *j = json_pack("{s:s, s:s, s:i}", "to", r->replies[i].to, "text",
                              r->replies[i].text, "segments", r->replies[i].segments);
        if (!j)
            return -1;
        json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
    }
    if (r->duplicate)
        fprintf(stderr, "kazi sms: the same SMS was handled before; nothing done\n");
    else if (r->sender != PHONE_PERSON)
        fprintf(stderr, "kazi sms: %s sender: recorded, never answered\n",
                phone_kind_name(r->sender));
    else if (r->limited)
        fprintf(stderr, "kazi sms: reply held back by the rate limits\n");
    return 0;
}

typedef struct sms_opts {
    const char *from, *at, *db, *config, *text;
} sms_opts;

static int parse_opts(int argc, char **argv, sms_opts *o)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'}, {"at", required_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,                          {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->from = optarg; break;
        case 'a': o->at = optarg; break;
        case 'c': o->config = optarg; break;
        case 'D': o->db = optarg; break;
        default: usage(); return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind + 2 != argc || strcmp(argv[optind], "in") != 0 || !o->from) {
        usage();
        return CLI_USAGE;
    }
    o->text = argv[optind + 1];
    return -1;
}

int cmd_sms(int argc, char **argv)
{
    sms_opts o = {0};
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0)
        return rc;
    static kz_config k;
    if (cli_conv_config(o.config, &k) != CLI_OK)
        return CLI_FAIL;
    int64_t at = (int64_t)time(NULL);
    if (o.at && parse_at(o.at, k.engine.tz_offset_minutes, &at) != 0) {
        fprintf(stderr, "kazi sms: --at '%s' is not a time (Unix seconds or "
                        "YYYY-MM-DDTHH:MM[:SS][Z])\n", o.at);
        return CLI_USAGE;
    }
    static conv_config cfg;
    if (cli_conv_apply(&k, &cfg) != CLI_OK)
        return CLI_FAIL;
    tmpl_set *t = (tmpl_set *)cfg.templates;
    kz_err err;
    kz_err_clear(&err);
    kz_store *st = NULL;
    rc = cli_db_open(cli_db_path(o.db ? o.db : (o.config ? k.database : NULL)), 1, &st);
    if (rc != CLI_OK) {
        tmpl_free(t);
        return rc;
    }
    static conv_result res;
    kz_status s = conv_handle_sms(st, &cfg, o.from, o.text, strlen(o.text), at, NULL, &res, &err);
    store_close(st);
    tmpl_free(t);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi sms: %s\n", err.msg[0] ? err.msg : kz_strerror(s));
        return CLI_FAIL;
    }
    return print_replies(&res) == 0 ? CLI_OK : CLI_FAIL;
}
