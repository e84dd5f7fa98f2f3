/*
 * commands.c - the table of kazi subcommands (OpenSMTPD smtpctl style).
 * Owns: which names exist and which function runs each. Never does the work.
 */
#include <stdio.h>

#include "cli.h"
#include "version.h"

const cli_command cli_commands[] = {
    {"appeals", "[list [--all] [--json] | decide ID --overturn|--uphold --reason TEXT | reject"
     " ANSWER_ID --reason TEXT] [--db FILE]",
     "workers' appeals: list, decide with a reason; reject an answer (money held)", cmd_appeals},
    {"backup", "FILE [--db DB] [--force]",
     "consistent copy of the database while the daemon runs (docs/operations.md)", cmd_backup},
    {"batches", "[--json] [--db FILE]", "list batches with their progress", cmd_batches},
    {"check", "[--quick] [--db FILE]",
     "verify the file, orphan rows and the ledger; says exactly what is wrong, exit 1 if"
     " anything is", cmd_check},
    {"copy-db", "--to postgresql://... [--db FILE]",
     "copy a SQLite database into an empty PostgreSQL one, for several daemons to share"
     " (docs/scaling.md)", cmd_copy_db},
    {"demo", "[--db FILE] [--workers N] [--tasks N] [--latency MS] [--no-view]",
     "the whole loop with simulated modems and workers, no hardware (docs/demo.md)", cmd_demo},
    {"export", "BATCH [-o FILE] [--answers] [--db FILE]",
     "results CSV of a batch (consensus per task), or every answer", cmd_export},
    {"import", "FILE.csv --batch NAME --requester NAME [--reward AMOUNT] [--report FILE] ...",
     "import a CSV of tasks as a batch (all or nothing unless --report)", cmd_import},
    {"workers", "[--json] [--db FILE]", "list registered workers", cmd_workers},
    {"flags", "[--json] [--db FILE]",
     "numbers that reached an inbound limit (rate, repeats, size, daily cap), by day", cmd_flags},
    {"modem", "list [--json]", "serial ports found, to tell which one is the modem", cmd_modem},
    {"outbox", "[--json] [--db FILE]", "outbound SMS waiting to be sent, oldest first", cmd_outbox},
    {"pay", "[list [--state S] [--json] | sms | run [--method ussd|airtime] [-c CONF] | export"
     " FILE | import RESULT.csv | resolve ID confirmed|failed --reason TEXT] [--db FILE]",
     "mobile-money payouts: list by state, pay by USSD, bulk file, settle unknowns (docs/payouts.md)",
     cmd_pay},
    {"pdu", "decode HEX | encode [--to NUMBER] [--srr] [--ucs2] TEXT | cusd LINE",
     "decode and encode SMS PDUs and +CUSD lines (JSON out)", cmd_pdu},
    {"sim", "[--link PATH] [--control SOCKET] [--script USSD] [--latency MS] ... | ctl SOCKET CMD",
     "simulated SIM800 modem on a pseudo-terminal (docs/simulator.md)", cmd_sim},
    {"review", "[list [--json] | settle TASK --answer VALUE [--reviewer NAME]] [--db FILE]",
     "tasks workers did not agree on: list them, settle one with the right answer", cmd_review},
    {"serve", "[-c FILE] [--check] [--foreground] [--user NAME]",
     "the gateway daemon: modems, inbox, outbox, task offers (docs/configuration.md)", cmd_serve},
    {"status", "[--db FILE | -c FILE] [--json]",
     "modems, batches, outbox depth and today's SMS count, as the daemon last saved them",
     cmd_status},
    {"sms", "in --from NUMBER [--at TIME] [--db FILE] [--config FILE] TEXT",
     "one inbound SMS through the worker conversation; prints the replies queued (JSON lines)",
     cmd_sms},
    {"version", "", "print the version", cmd_version},
    {"", NULL, NULL, NULL},
};

void cli_print_usage(void *f)
{
    FILE *out = f;
    fprintf(out, "usage: kazi COMMAND [ARGS]\n\ncommands:\n");
    for (const cli_command *c = cli_commands; c->name[0]; c++)
        fprintf(out, "  %-9s %s\n            %s\n", c->name, c->args, c->summary);
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("kazi %s\n", KAZI_VERSION);
    return CLI_OK;
}
