/*
 * cli_db.h - what the database subcommands share: the --db option, opening
 * the store with a one-line error, aligned tables for people, and times.
 * Owns: the default database path and the table layout. Never parses a
 * subcommand's other options.
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
 * Open the store at path (creating it only if create is set). On failure
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

/* Format Unix seconds as local "YYYY-MM-DD HH:MM" into out ("-" for 0). */
void cli_time_format(int64_t t, char *out, size_t cap);

#endif
