/*
 * cmd_check.c - `kazi check [--db FILE]`: verifies the ledger invariant
 * (payout_check, docs/payouts.md "The ledger check") and prints one line per
 * problem, exactly what is wrong; exit 1 when anything is, 0 when the
 * ledger holds.
 * Owns: that output. Never repairs anything (corrections are the operator's,
 * as new entries).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cli_db.h"
#include "payout.h"

static void print_problem(void *ctx, const char *problem)
{
    (void)ctx;
    printf("%s\n", problem);
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'D') {
            db = optarg;
            continue;
        }
        fprintf(stderr, "usage: kazi check [--db FILE]\n");
        return c == 'h' ? CLI_OK : CLI_USAGE;
    }
    if (optind != argc) {
        fprintf(stderr, "usage: kazi check [--db FILE]\n");
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(db), 0, &st);
    if (rc != CLI_OK)
        return rc;
    size_t problems = 0;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = payout_check(st, print_problem, NULL, &problems, &err);
    store_close(st);
    if (s != KZ_OK) {
        fprintf(stderr, "kazi check: %s\n", err.msg);
        return CLI_FAIL;
    }
    if (problems) {
        fprintf(stderr, "kazi check: %zu problem%s in the ledger\n", problems,
                problems == 1 ? "" : "s");
        return CLI_FAIL;
    }
    printf("ok: balances are the sum of their entries, paid equals confirmed payouts, no payout"
           " debited twice, holds match appeals\n");
    return CLI_OK;
}
