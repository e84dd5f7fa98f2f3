/*
 * cli_db.h - what the database subcommands share: the --db option, opening
 * the store with a one-line error, aligned tables for people, times, and the
 * whole of a read-only listing (`kazi batches`, `workers`, `outbox`; the
 * list verbs of `kazi review` and `kazi appeals` use its printing half).
 * Owns: the default database path, the table layout and the listings'
 * options (--json, --db, --help). Never parses another subcommand's options.
 */
#ifndef KAZI_CLI_DB_H
#define KAZI_CLI_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* Default database when neither --db nor configuration names one. */
#define CLI_DB_DEFAULT "./kazi.db"
/* The configuration read for [gateway] database when --db is not given
 * (KAZI_CONFIG in the environment overrides it). */
#define CLI_CONFIG_DEFAULT "/etc/kazi/kazi.conf"
#define CFG_DB_PATH_CAP 256

/* The long option every database subcommand accepts (getopt_long value 'D'). */
#define CLI_DB_OPTION {"db", required_argument, NULL, 'D'}

/*
 * The database path: given (from --db) if not NULL; else [gateway] database
 * of the configuration file ($KAZI_CONFIG or CLI_CONFIG_DEFAULT) if it can be
 * read and names one; else CLI_DB_DEFAULT. The result may point at a static
 * buffer that the next call overwrites.
 */
const char *cli_db_path(const char *given);

/*
 * Open the store at path (creating it only if create is set; then the
 * process umask becomes 077, so nothing it makes is readable by others, and
 * a new database file is mode 0600). On failure
 * prints "kazi: PATH: reason" on stderr and returns CLI_FAIL; else CLI_OK and
 * *out is the handle (store_close it).
 */
int cli_db_open(const char *path, int create, kz_store **out);

/* A table of text cells printed with aligned columns. Heap-owned; cli_table_free. */
typedef struct cli_table {
    size_t ncols;
    const char *const *head;   /* borrowed column titles */
    const unsigned char *right; /* borrowed: 1 = right-align the column (numbers) */
    char **cells;              /* owned copies, row-major */
    size_t nrows, cap;
} cli_table;

/* Start an empty table with ncols columns (head and right are borrowed). */
void cli_table_init(cli_table *t, size_t ncols, const char *const *head,
                    const unsigned char *right);

/* Append one row of ncols strings (copied). Returns 0, or -1 if out of memory. */
int cli_table_add(cli_table *t, const char *const *row);

/* Print the table to f: a header line, then rows, columns two spaces apart. */
void cli_table_print(const cli_table *t, FILE *f);

/* Free what the table owns. NULL-safe. */
void cli_table_free(cli_table *t);

/* The rows of a listing as the row callback gathers them: JSON or a table. */
typedef struct cli_listing {
    int json;           /* --json given */
    struct json_t *arr; /* owned: the JSON array when json is set, else NULL */
    cli_table table;    /* the table when json is not set */
    int oom;            /* set once adding a row ran out of memory */
} cli_listing;

/*
 * Append j (a JSON object; ownership taken, NULL counts as out of memory)
 * to l->arr. Returns l->oom: 0, or 1 once anything failed (stop walking).
 */
int cli_listing_add_json(cli_listing *l, struct json_t *j);

/* Append one table row of l->table.ncols strings (copied). Returns l->oom as above. */
int cli_listing_add_row(cli_listing *l, const char *const *row);

/* What one listing supplies to cli_listing_show / cli_listing_run (all borrowed). */
typedef struct cli_listing_spec {
    const char *name;            /* the subcommand: "batches" */
    size_t ncols;                /* columns of the table */
    const char *const *head;     /* column titles */
    const unsigned char *right;  /* 1 = right-align the column */
    const char *empty;           /* printed (with a newline) for no rows; NULL = the bare header */
    /* Call the row callback for every row with l as its context (a store_*_each);
     * arg is what the caller passed to cli_listing_show (NULL from cli_listing_run). */
    kz_status (*walk)(kz_store *st, const void *arg, cli_listing *l, kz_err *err);
} cli_listing_spec;

/*
 * Walk st with spec->walk(st, arg, ...), then print the rows on stdout: a
 * JSON array (indented) when json is set, else the table. Returns CLI_OK, or
 * CLI_FAIL after printing "kazi NAME: reason" on stderr (nothing on stdout).
 * Does not close st.
 */
int cli_listing_show(kz_store *st, const cli_listing_spec *spec, int json, const void *arg);

/*
 * `kazi NAME [--json] [--db FILE]`: parse those options (--help prints the
 * usage line and returns CLI_OK; anything else unknown prints it and returns
 * CLI_USAGE), open the store read-only and cli_listing_show it (arg NULL).
 * Returns CLI_OK, or CLI_FAIL after printing why (cli_db_open's error or
 * cli_listing_show's) on stderr.
 */
int cli_listing_run(int argc, char **argv, const cli_listing_spec *spec);

/* Format Unix seconds as local "YYYY-MM-DD HH:MM" into out ("-" for 0). */
void cli_time_format(int64_t t, char *out, size_t cap);

#endif
