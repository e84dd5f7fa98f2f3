/*
 * cmd_check.c - `kazi check [--quick] [--db FILE]`: verifies the database
 * file (SQLite's integrity_check, or quick_check with --quick), its schema
 * version, rows that point nowhere (store_check), then the ledger invariant
 * (payout_check, docs/payouts.md "The ledger check"); prints one line per
 * problem saying exactly what is wrong and where (docs/operations.md); exit 1
 * when anything is, 0 when everything holds.
 * Owns: that output. Never repairs anything (corrections are the operator's,
 * as new entries) and never migrates the file it checks.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "db.h"
#include "payout.h"
#include "store_check.h"

static void print_problem(void *ctx, const char *problem)
{
    (void)ctx;
    printf("%s\n", problem);
}

#define CHECK_USAGE "usage: kazi check [--quick] [--db FILE]\n"

/* Open path without migrating it; a file that will not open is itself a problem. */
static int open_checked(const char *target, kz_store **st)
{
    char path[CFG_DB_PATH_CAP];
    db_target_safe(target, path, sizeof path); /* a URI's password never shows */
    kz_err err;
    kz_err_clear(&err);
    if (store_open(target, STORE_OPEN_NO_MIGRATE, st, &err) == KZ_OK)
        return CLI_OK;
    if (err.status == KZ_ERR_NOTFOUND) {
        fprintf(stderr, "kazi check: %s\n", err.msg);
        return CLI_FAIL;
    }
    printf("integrity: %s does not open as a database: %s\n", path, err.msg);
    fprintf(stderr, "kazi check: 1 problem in %s\n", path);
    return CLI_FAIL;
}

/* The ledger checks need the tables of this program's schema. */
static int ledger_check(kz_store *st, size_t *problems)
{
    kz_err err;
    kz_err_clear(&err);
    int v = store_schema_version(st);
    if (v != store_schema_latest()) {
        if (v > 0 && v < store_schema_latest())
            printf("note: schema version %d (this kazi writes %d): ledger not checked; any kazi"
                   " command but check migrates it\n", v, store_schema_latest());
        return CLI_OK;
    }
    if (payout_check(st, print_problem, NULL, problems, &err) != KZ_OK) {
        fprintf(stderr, "kazi check: %s\n", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* --quick and --db; CLI_OK, CLI_USAGE, or -1 when --help was printed. */
static int parse_opts(int argc, char **argv, const char **db, unsigned *flags)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quick", no_argument, NULL, 'q'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'D') {
            *db = optarg;
        } else if (c == 'q') {
            *flags |= STORE_CHECK_QUICK;
        } else {
            fputs(CHECK_USAGE, c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : CLI_USAGE;
        }
    }
    if (optind != argc) {
        fputs(CHECK_USAGE, stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_check(int argc, char **argv)
{
    const char *db = NULL;
    unsigned flags = 0;
    int rc = parse_opts(argc, argv, &db, &flags);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    char shown[CFG_DB_PATH_CAP];
    const char *target = cli_db_path(db);
    const char *path = db_target_safe(target, shown, sizeof shown); /* what messages show */
    kz_store *st = NULL;
    rc = open_checked(target, &st);
    if (rc != CLI_OK)
        return rc;
    size_t file_problems = 0, ledger_problems = 0;
    kz_err err;
    kz_err_clear(&err);
    if (store_check(st, flags, print_problem, NULL, &file_problems, &err) != KZ_OK) {
        fprintf(stderr, "kazi check: %s: %s\n", path, err.msg);
        rc = CLI_FAIL;
    } else {
        rc = ledger_check(st, &ledger_problems);
    }
    int version = store_schema_version(st);
    store_close(st);
    size_t problems = file_problems + ledger_problems;
    if (problems) {
        fprintf(stderr, "kazi check: %zu problem%s in %s\n", problems, problems == 1 ? "" : "s",
                path);
        return CLI_FAIL;
    }
    if (rc != CLI_OK)
        return rc;
    printf("ok: %s: %s, schema version %d, no rows pointing nowhere\n", path,
           db_target_is_pg(target) ? "PostgreSQL checks its own pages and foreign keys"
           : flags & STORE_CHECK_QUICK ? "quick_check passes"
                                       : "integrity_check passes",
           version);
    if (version == store_schema_latest())
        printf("ok: balances are the sum of their entries, paid equals confirmed payouts, no"
               " payout debited twice, holds match appeals\n");
    return CLI_OK;
}
