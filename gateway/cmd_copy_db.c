/*
 * cmd_copy_db.c - `kazi copy-db --to URI [--db FILE]`: copies a SQLite
 * database, whole, into an empty PostgreSQL database for several daemons to
 * share (docs/scaling.md). The file is left as it was.
 * Owns: the command line and its report. Never prints a password (the URI is
 * shown through db_target_safe); never writes to the SQLite file beyond
 * bringing its schema to this program's version, as every command does.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "db.h"
#include "store_copy.h"

#define COPY_USAGE "usage: kazi copy-db --to postgresql://... [--db FILE]\n"

/* CLI_OK, CLI_USAGE, or -1 when --help was printed. */
static int parse_opts(int argc, char **argv, const char **db, const char **to)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    *db = *to = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'D') {
            *db = optarg;
        } else if (c == 't') {
            *to = optarg;
        } else {
            fputs(COPY_USAGE, c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : CLI_USAGE;
        }
    }
    if (optind != argc || !*to) {
        fputs(COPY_USAGE, stderr);
        return CLI_USAGE;
    }
    if (!db_target_is_pg(*to)) {
        fprintf(stderr, "kazi copy-db: --to must be a postgresql:// URI\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static void print_table(void *ctx, const char *table, int64_t rows)
{
    (void)ctx;
    if (rows)
        printf("  %-15s %lld\n", table, (long long)rows);
}

int cmd_copy_db(int argc, char **argv)
{
    const char *db, *to;
    int rc = parse_opts(argc, argv, &db, &to);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    const char *path = cli_db_path(db);
    if (db_target_is_pg(path)) {
        fprintf(stderr, "kazi copy-db: --db must be the SQLite file to copy\n");
        return CLI_USAGE;
    }
    char shown[CFG_DB_PATH_CAP];
    db_target_safe(to, shown, sizeof shown);
    kz_store *from = NULL, *dest = NULL;
    if (cli_db_open(path, 0, &from) != CLI_OK)
        return CLI_FAIL;
    rc = cli_db_open(to, 0, &dest);
    kz_err err;
    kz_err_clear(&err);
    int64_t rows = 0;
    if (rc == CLI_OK) {
        printf("copying %s to %s\n", path, shown);
        if (store_copy(from, dest, print_table, NULL, &rows, &err) != KZ_OK) {
            fprintf(stderr, "kazi copy-db: %s (nothing was kept in %s)\n", err.msg, shown);
            rc = CLI_FAIL;
        } else {
            printf("copied %lld rows; every table has as many rows in both; %s is unchanged\n",
                   (long long)rows, path);
        }
    }
    store_close(dest);
    store_close(from);
    return rc;
}
