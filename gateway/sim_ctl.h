/*
 * sim_ctl.h - the control protocol of `kazi sim` (one command line in, one
 * "ok ..." / "error ..." line out, plus N JSON lines for "sent" and
 * "storage") and the `kazi sim ctl` client. Owns the command words; the
 * process (gateway/cmd_sim.c) owns sockets, the pty and the loop.
 */
#ifndef KAZI_SIM_CTL_H
#define KAZI_SIM_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_engine.h"

/* What a command asks of the process, beyond the engine. */
typedef struct sim_ctl_action {
    bool quit;
    bool vanish;
    long vanish_ms;
    bool load_script;     /* load the USSD script at script_path */
    char script_path[512];
} sim_ctl_action;

/*
 * Run one control line (without its newline) against e at time now_ms and
 * write the whole answer to out: a status line, and for "sent"/"storage"
 * "ok N" followed by N JSON lines. act receives what the process must do.
 */
void sim_ctl_run(sim_engine *e, char *line, uint64_t now_ms, sim_ctl_action *act, FILE *out);

/*
 * `kazi sim ctl SOCKET COMMAND...`: send one command, print the answer
 * (the JSON lines only for "sent"/"storage"). Returns the exit status:
 * 0 on "ok", 1 on "error" or a connection failure, 2 on usage.
 */
int sim_ctl_client(int argc, char **argv);

#endif
