/*
 * commands.c - the table of kazi subcommands (OpenSMTPD smtpctl style).
 * Owns: which names exist and which function runs each. Never does the work.
 */
#include <stdio.h>

#include "cli.h"

const cli_command cli_commands[] = {
    {"pdu", "decode HEX | encode [--to NUMBER] [--srr] [--ucs2] TEXT | cusd LINE",
     "decode and encode SMS PDUs and +CUSD lines (JSON out)", cmd_pdu},
    {"version", "", "print the version", cmd_version},
    {NULL, NULL, NULL, NULL},
};

void cli_print_usage(void *f)
{
    FILE *out = f;
    fprintf(out, "usage: kazi COMMAND [ARGS]\n\ncommands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-9s %s\n            %s\n", c->name, c->args, c->summary);
}
