/*
 * cmd_export.c - `kazi export BATCH [-o FILE] [--answers] [--db FILE]`:
 * results (or answers) CSV to stdout or a file. With -o the file is written
 * beside the target and renamed into place, so a failed export never leaves
 * a half-written results file. The CSV itself is tasks/csv_export.c.
 * Owns: where the export goes. Never formats cells itself.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_db.h"
#include "csv_export.h"

static void usage(void)
{
    fprintf(stderr, "usage: kazi export BATCH [-o FILE] [--answers] [--db FILE]\n");
}

int cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"answers", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *outpath = NULL;
    int answers = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': outpath = optarg; break;
        case 'a': answers = 1; break;
        case 'D': db = optarg; break;
        case 'h': usage(); return CLI_OK;
        default: usage(); return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        usage();
        return CLI_USAGE;
    }
    const char *batch = argv[optind];
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(db), 0, &st);
    if (rc != CLI_OK)
        return rc;

    FILE *out = stdout;
    char *tmp = NULL;
    if (outpath && strcmp(outpath, "-") != 0) {
        size_t n = strlen(outpath) + 16;
        tmp = malloc(n);
        if (!tmp) {
            store_close(st);
            fprintf(stderr, "kazi: out of memory\n");
            return CLI_FAIL;
        }
        snprintf(tmp, n, "%s.tmp%ld", outpath, (long)getpid());
        out = fopen(tmp, "wb");
        if (!out) {
            fprintf(stderr, "kazi: %s: %s\n", tmp, strerror(errno));
            free(tmp);
            store_close(st);
            return CLI_FAIL;
        }
    }
    kz_err err;
    kz_err_clear(&err);
    kz_status s = answers ? csv_export_answers(st, batch, out, &err)
                          : csv_export_results(st, batch, out, &err);
    store_close(st);
    if (fflush(out) != 0 && s == KZ_OK)
        s = kz_err_set(&err, KZ_ERR_IO, KZ_NO_OFFSET, "write failed: %s", strerror(errno));
    if (tmp) {
        if (fclose(out) != 0 && s == KZ_OK)
            s = kz_err_set(&err, KZ_ERR_IO, KZ_NO_OFFSET, "write failed: %s", strerror(errno));
        if (s == KZ_OK && rename(tmp, outpath) != 0)
            s = kz_err_set(&err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s", outpath, strerror(errno));
        if (s != KZ_OK)
            unlink(tmp);
        free(tmp);
    }
    if (s != KZ_OK) {
        fprintf(stderr, "kazi export: %s\n", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}
