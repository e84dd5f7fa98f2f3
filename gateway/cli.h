/*
 * cli.h - the kazi subcommand table and the helpers every subcommand shares.
 * Owns: the cli_command shape and exit-status conventions. Never parses a
 * subcommand's own options (each cmd_*.c does that).
 *
 * Exit status: 0 success, 1 bad input or failed operation (one line on
 * stderr says what and where), 2 usage error.
 */
#ifndef KAZI_CLI_H
#define KAZI_CLI_H

#include <stddef.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Longest subcommand name + 1. The names live in the table itself, not with the
 * other strings: `main` reads every name before the one it looks for, and
 * strings merged among every command's others would spread that start over
 * several 64 KiB windows of the binary (docs/benchmarks.md, "Memory"). */
#define CLI_NAME_MAX 12

typedef struct cli_command {
    char name[CLI_NAME_MAX]; /* "" ends the table */
    const char *args;    /* one-line synopsis after the name */
    const char *summary; /* what it does, one line */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_command;

/* The table (gateway/commands.c), terminated by an entry with an empty name. */
extern const cli_command cli_commands[];

/* Print the subcommand list to stream f (a FILE *). */
void cli_print_usage(void *f);

/* Subcommands, one file each. */
int cmd_appeals(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_copy_db(int argc, char **argv);
int cmd_batches(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_workers(int argc, char **argv);
int cmd_flags(int argc, char **argv);
int cmd_modem(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_pay(int argc, char **argv);
int cmd_pdu(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sms(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
