/*
 * cli_db.c - the database subcommands' shared helpers (see cli_db.h).
 * Owns: the default database path (--db, else the configuration's, else
 * ./kazi.db), how tables line up, and the listings' options and output.
 * Never touches SQL.
 */
#include "cli_db.h"

#include <getopt.h>
#include <ini.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

/* inih handler: copy [gateway] database into the buffer passed as user. */
static int conf_database(void *user, const char *section, const char *name, const char *value)
{
    char *out = user;
    if (strcmp(section, "gateway") == 0 && strcmp(name, "database") == 0)
        snprintf(out, CFG_DB_PATH_CAP, "%s", value);
    return 1;
}

/* [gateway] database from the configuration file, if it exists and names one. */
static const char *configured_database(void)
{
    static char path[CFG_DB_PATH_CAP];
    const char *conf = getenv("KAZI_CONFIG");
    if (!conf || !*conf)
        conf = CLI_CONFIG_DEFAULT;
    FILE *f = fopen(conf, "r");
    if (!f)
        return NULL;
    path[0] = '\0';
    ini_parse_file(f, conf_database, path);
    fclose(f);
    return path[0] ? path : NULL;
}

const char *cli_db_path(const char *given)
{
    if (given && *given)
        return given;
    const char *conf = configured_database();
    return conf ? conf : CLI_DB_DEFAULT;
}

int cli_db_open(const char *path, int create, kz_store **out)
{
    kz_err err;
    kz_err_clear(&err);
    if (create)
        umask(077); /* what this command creates holds workers' numbers and money */
    if (store_open(path, create ? STORE_OPEN_CREATE : 0, out, &err) != KZ_OK) {
        fprintf(stderr, "kazi: %s\n", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

void cli_table_init(cli_table *t, size_t ncols, const char *const *head,
                    const unsigned char *right)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->head = head;
    t->right = right;
}

int cli_table_add(cli_table *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = cap;
    }
    char **r = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        r[i] = strdup(row[i] ? row[i] : "");
        if (!r[i]) {
            while (i--)
                free(r[i]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

/* Columns a UTF-8 string takes on a terminal (one per code point). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void print_cell(FILE *f, const char *s, size_t w, int right, int last)
{
    size_t pad = w - width(s);
    if (right)
        fprintf(f, "%*s%s", (int)pad, "", s);
    else if (last)
        fputs(s, f);
    else
        fprintf(f, "%s%*s", s, (int)pad, "");
}

void cli_table_print(const cli_table *t, FILE *f)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = width(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        print_cell(f, t->head[c], w[c], t->right && t->right[c], c + 1 == t->ncols);
        fputs(c + 1 == t->ncols ? "\n" : "  ", f);
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            print_cell(f, t->cells[r * t->ncols + c], w[c], t->right && t->right[c],
                       c + 1 == t->ncols);
            fputs(c + 1 == t->ncols ? "\n" : "  ", f);
        }
    free(w);
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}

void cli_time_format(int64_t t, char *out, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t == 0 || !localtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(out, cap, "-");
}

int cli_listing_add_json(cli_listing *l, json_t *j)
{
    if (!j || json_array_append_new(l->arr, j) != 0)
        l->oom = 1;
    return l->oom;
}

int cli_listing_add_row(cli_listing *l, const char *const *row)
{
    if (cli_table_add(&l->table, row) != 0)
        l->oom = 1;
    return l->oom;
}

/* --json and --db of a listing; CLI_OK/CLI_USAGE to return at once, else -1. */
static int listing_opts(int argc, char **argv, const char *name, int *json, const char **db)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': *json = 1; break;
        case 'D': *db = optarg; break;
        default:
            fprintf(stderr, "usage: kazi %s [--json] [--db FILE]\n", name);
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: kazi %s [--json] [--db FILE]\n", name);
        return CLI_USAGE;
    }
    return -1;
}

int cli_listing_show(kz_store *st, const cli_listing_spec *spec, int json, const void *arg)
{
    cli_listing l = {.json = json, .arr = json ? json_array() : NULL};
    cli_table_init(&l.table, spec->ncols, spec->head, spec->right);
    kz_err err;
    kz_err_clear(&err);
    kz_status s = (json && !l.arr) ? KZ_ERR_NOMEM : spec->walk(st, arg, &l, &err);
    int rc = CLI_OK;
    if (s != KZ_OK || l.oom) {
        fprintf(stderr, "kazi %s: %s\n", spec->name,
                l.oom || !err.msg[0] ? "out of memory" : err.msg);
        rc = CLI_FAIL;
    } else if (json) {
        json_dumpf(l.arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (spec->empty && l.table.nrows == 0) {
        printf("%s\n", spec->empty);
    } else {
        cli_table_print(&l.table, stdout);
    }
    json_decref(l.arr);
    cli_table_free(&l.table);
    return rc;
}

int cli_listing_run(int argc, char **argv, const cli_listing_spec *spec)
{
    const char *db = NULL;
    int json = 0;
    int rc = listing_opts(argc, argv, spec->name, &json, &db);
    if (rc >= 0)
        return rc;
    kz_store *st = NULL;
    rc = cli_db_open(cli_db_path(db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    rc = cli_listing_show(st, spec, json, NULL);
    store_close(st);
    return rc;
}
