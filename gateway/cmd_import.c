/*
 * cmd_import.c - `kazi import FILE.csv --batch NAME --requester NAME ...`:
 * options, the progress bar, error lines "FILE:LINE:COL: reason", and the
 * --report file of rejected rows. The import itself is tasks/csv_import.c.
 * Owns: how an import looks on a terminal. Never validates rows itself.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "import_opts.h"
#include "cli_db.h"
#include "csv_export.h"
#include "csv_import.h"
#include "money.h"

/* Rejected rows printed on stderr before "... and N more". */
#define SHOW_ERRORS 20

typedef struct import_ui {
    const char *file;
    FILE *report;         /* --report file, or NULL */
    int report_header;    /* header row written */
    kz_status report_rc;
    uint64_t shown, hidden;
    int tty;
    uint64_t size;        /* bytes, 0 if unknown */
    int last_pct;
} import_ui;

static void usage(void)
{
    fprintf(stderr,
            "usage: kazi import FILE.csv --batch NAME --requester NAME [--reward AMOUNT]\n"
            "         [--redundancy N] [--est-seconds S] [--deadline WHEN] [--currency CODE]\n"
            "         [--report REJECTS.csv] [--db FILE]\n"
            "  WHEN: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (local time; Z suffix = UTC), +Nd, +Nh\n");
}

/* Write a rejected row into the --report file: line, column, error, then the row. */
static void report_row(import_ui *ui, const csv_reject *r)
{
    if (!ui->report || ui->report_rc != KZ_OK)
        return;
    kz_err err;
    size_t n = 3 + (r->nheader > r->nfields ? r->nheader : r->nfields);
    const char **cells = calloc(n, sizeof *cells);
    size_t *lens = calloc(n, sizeof *lens);
    if (!cells || !lens) {
        ui->report_rc = KZ_ERR_NOMEM;
        free(cells);
        free(lens);
        return;
    }
    if (!ui->report_header && r->nheader) {
        cells[0] = "line";
        cells[1] = "column";
        cells[2] = "error";
        for (size_t i = 0; i < r->nheader; i++)
            cells[3 + i] = r->header[i];
        for (size_t i = 0; i < 3 + r->nheader; i++)
            lens[i] = strlen(cells[i]);
        ui->report_rc = csv_write_row(ui->report, cells, lens, 3 + r->nheader, 0, &err);
        ui->report_header = 1;
    }
    char line[24], col[24];
    snprintf(line, sizeof line, "%llu", (unsigned long long)r->line);
    snprintf(col, sizeof col, "%zu", r->column);
    cells[0] = line;
    cells[1] = r->column ? col : "";
    cells[2] = r->reason;
    for (size_t i = 0; i < 3; i++)
        lens[i] = strlen(cells[i]);
    for (size_t i = 0; i < r->nfields; i++) {
        cells[3 + i] = r->fields[i];
        lens[3 + i] = r->lens[i];
    }
    if (ui->report_rc == KZ_OK)
        ui->report_rc = csv_write_row(ui->report, cells, lens, 3 + r->nfields, 0, &err);
    free(cells);
    free(lens);
}

static void on_reject(void *ctx, const csv_reject *r)
{
    import_ui *ui = ctx;
    if (ui->tty && ui->last_pct >= 0) {
        fputs("\r\033[K", stdout); /* clear the progress bar line */
        fflush(stdout);
    }
    if (r->fields)
        report_row(ui, r);
    if (ui->shown >= SHOW_ERRORS) {
        ui->hidden++;
        return;
    }
    ui->shown++;
    if (r->line == 0)
        fprintf(stderr, "%s: %s\n", ui->file, r->reason);
    else if (r->column == 0)
        fprintf(stderr, "%s:%llu: %s\n", ui->file, (unsigned long long)r->line, r->reason);
    else
        fprintf(stderr, "%s:%llu:%zu: %s%s%s%s\n", ui->file, (unsigned long long)r->line,
                r->column, r->reason, *r->column_name ? " (column '" : "", r->column_name,
                *r->column_name ? "')" : "");
}

static void on_progress(void *ctx, uint64_t bytes, uint64_t rows)
{
    import_ui *ui = ctx;
    if (!ui->tty || ui->size == 0)
        return;
    int pct = (int)(bytes * 100 / ui->size);
    if (pct == ui->last_pct)
        return;
    ui->last_pct = pct;
    char bar[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    printf("\r[%s] %3d%%  %llu rows", bar, pct, (unsigned long long)rows);
    fflush(stdout);
}

int cmd_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"batch", required_argument, NULL, 'b'},
        {"requester", required_argument, NULL, 'r'},
        {"reward", required_argument, NULL, 'w'},
        {"redundancy", required_argument, NULL, 'n'},
        {"est-seconds", required_argument, NULL, 'e'},
        {"deadline", required_argument, NULL, 't'},
        {"currency", required_argument, NULL, 'c'},
        {"report", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *report = NULL, *reward = NULL, *deadline = NULL;
    payfloor_policy floor = PAYFLOOR_KES_DEFAULT;
    csv_import_opts o = {.reward_minor = -1, .floor = floor};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o.batch = optarg; break;
        case 'r': o.requester = optarg; break;
        case 'w': reward = optarg; break;
        case 'n':
            if (import_parse_count(optarg, 1, CSV_IMPORT_MAX_REDUNDANCY, &o.redundancy) != 0) {
                fprintf(stderr, "kazi import: --redundancy must be 1 to %d\n",
                        CSV_IMPORT_MAX_REDUNDANCY);
                return CLI_USAGE;
            }
            break;
        case 'e':
            if (import_parse_count(optarg, 1, 86400, &o.est_seconds) != 0) {
                fprintf(stderr, "kazi import: --est-seconds must be 1 to 86400\n");
                return CLI_USAGE;
            }
            break;
        case 't': deadline = optarg; break;
        case 'c': o.currency = optarg; break;
        case 'R': report = optarg; break;
        case 'D': db = optarg; break;
        case 'h': usage(); return CLI_OK;
        default: usage(); return CLI_USAGE;
        }
    }
    if (optind + 1 != argc || !o.batch || !o.requester) {
        usage();
        return CLI_USAGE;
    }
    const char *file = argv[optind];
    if (o.currency && strcmp(o.currency, floor.currency) != 0) {
        fprintf(stderr, "kazi import: no pay floor is configured for %s (only %s)\n",
                o.currency, floor.currency);
        return CLI_FAIL;
    }
    if (reward) {
        kz_err e;
        if (money_parse(reward, strlen(reward), floor.currency, &o.reward_minor, &e) != KZ_OK) {
            fprintf(stderr, "kazi import: --reward '%s': %s\n", reward, e.msg);
            return CLI_USAGE;
        }
    }
    if (deadline && import_parse_deadline(deadline, (int64_t)time(NULL), &o.deadline) != 0) {
        fprintf(stderr, "kazi import: --deadline '%s' " IMPORT_DEADLINE_HELP "\n", deadline);
        return CLI_USAGE;
    }

    import_ui ui = {.file = file, .last_pct = -1};
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!in) {
        fprintf(stderr, "kazi: %s: %s\n", file, strerror(errno));
        return CLI_FAIL;
    }
    struct stat sb;
    if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
        ui.size = (uint64_t)sb.st_size;
    ui.tty = isatty(STDOUT_FILENO);
    if (report) {
        ui.report = fopen(report, "wb");
        if (!ui.report) {
            fprintf(stderr, "kazi: %s: %s\n", report, strerror(errno));
            if (in != stdin)
                fclose(in);
            return CLI_FAIL;
        }
        o.keep_good = 1;
    }
    kz_store *st = NULL;
    int rc = cli_db_open(cli_db_path(db), 1, &st);
    if (rc != CLI_OK) {
        if (in != stdin)
            fclose(in);
        if (ui.report)
            fclose(ui.report);
        return rc;
    }
    o.source = file;
    o.on_reject = on_reject;
    o.on_progress = on_progress;
    o.ctx = &ui;
    csv_import_result res;
    kz_err err;
    kz_status st_rc = csv_import_file(st, in, &o, &res, &err);
    store_close(st);
    if (in != stdin)
        fclose(in);
    if (ui.tty && ui.last_pct >= 0)
        fputs("\r\033[K", stdout);
    if (ui.hidden)
        fprintf(stderr, "%s: ... and %llu more\n", file, (unsigned long long)ui.hidden);
    if (ui.report && (fclose(ui.report) != 0 || ui.report_rc != KZ_OK)) {
        fprintf(stderr, "kazi: %s: could not write the report\n", report);
        st_rc = st_rc == KZ_OK ? KZ_ERR_IO : st_rc;
    }
    if (st_rc != KZ_OK) {
        if (err.msg[0] && (res.rejected || ui.shown == 0))
            fprintf(stderr, "kazi: %s: %s\n", file, err.msg);
        if (ui.shown && !res.rejected)
            fprintf(stderr, "kazi: %s: nothing imported\n", file);
        return CLI_FAIL;
    }
    printf("batch '%s': %llu task%s added, %llu unchanged, %llu rejected (%llu rows, "
           "delimiter '%c'%s%s)\n",
           o.batch, (unsigned long long)res.added, res.added == 1 ? "" : "s",
           (unsigned long long)res.unchanged, (unsigned long long)res.rejected,
           (unsigned long long)res.rows, res.delimiter, res.had_bom ? ", BOM" : "",
           res.committed ? "" : "; nothing new, database unchanged");
    if (report && res.rejected)
        printf("rejected rows and reasons: %s\n", report);
    return CLI_OK;
}
