/*
 * main.c - the kazi binary's entry point: picks a subcommand from the table
 * and runs it. Owns nothing else; never does a subcommand's work itself.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command *find_command(const char *name)
{
    for (const cli_command *c = cli_commands; c->name[0]; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        cli_print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    const cli_command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "kazi: unknown command '%s' (try 'kazi help')\n", argv[1]);
        return CLI_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
