/*
 * demo_proc.h - the child processes of `kazi demo`: the same kazi binary
 * (/proc/self/exe) run as `kazi sim`, `kazi serve`, `kazi import`, `kazi
 * status`... Children stay in the demo's process group (killing the group
 * kills them all) and get SIGTERM if the demo itself dies first.
 * Owns: fork/exec, output capture, bounded waits and stopping. Never
 * decides what runs or interprets output (cmd_demo.c does).
 */
#ifndef KAZI_DEMO_PROC_H
#define KAZI_DEMO_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Find this binary's path (once, before any chdir). 0, or -1 with a message on stderr. */
int demo_proc_init(void);

/*
 * Start kazi with args (args[0] is the subcommand; NULL-terminated).
 * stdin is /dev/null; stdout and stderr go to log_fd (-1: /dev/null).
 * Returns the pid, or -1 with a message on stderr.
 */
pid_t demo_spawn(char *const args[], int log_fd);

/*
 * Run kazi with args to completion within timeout_ms, stdout captured into
 * *out (malloc'd, NUL-terminated; may be NULL when not wanted), stderr to
 * err_fd (-1: /dev/null). Returns the exit status, or -1 if it could not
 * start, timed out (then killed) or died of a signal.
 */
int demo_run(char *const args[], int timeout_ms, char **out, int err_fd);

/* Has pid exited? Reaps it; *status (may be NULL) receives its wait status. */
bool demo_exited(pid_t pid, int *status);

/* SIGTERM pid, wait up to grace_ms, then SIGKILL and reap. Safe on a reaped pid (<= 0). */
void demo_stop(pid_t pid, int grace_ms);

/* Monotonic milliseconds. */
long long demo_now_ms(void);

#endif
