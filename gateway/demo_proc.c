/*
 * demo_proc.c - child processes for `kazi demo` (see demo_proc.h): fork,
 * exec this binary, capture output, wait with a bound, stop.
 * Owns: the self path and the children's start-up (descriptors, signal
 * state, death with the parent). Never interprets what children print.
 */
#include "demo_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 32
#define CAPTURE_MAX (4 << 20)

static char self_path[PATH_MAX];

long long demo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int demo_proc_init(void)
{
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0) {
        fprintf(stderr, "kazi demo: cannot find my own binary (/proc/self/exe): %s\n",
                strerror(errno));
        return -1;
    }
    self_path[n] = '\0';
    return 0;
}

/* In the child: default signals, dies with the parent, descriptors, exec. Never returns. */
static void exec_child(char *const args[], pid_t parent, int out_fd, int err_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0)
        _exit(127);
    dup2(null_fd, 0);
    dup2(out_fd >= 0 ? out_fd : null_fd, 1);
    dup2(err_fd >= 0 ? err_fd : null_fd, 2);
    char *argv[MAX_ARGS + 2];
    size_t n = 0;
    argv[n++] = "kazi";
    for (size_t i = 0; args[i] && n < MAX_ARGS + 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execv(self_path, argv);
    _exit(127);
}

pid_t demo_spawn(char *const args[], int log_fd)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kazi demo: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0)
        exec_child(args, parent, log_fd, log_fd);
    return pid;
}

bool demo_exited(pid_t pid, int *status)
{
    int st = 0;
    if (pid <= 0)
        return true;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == 0)
        return false;
    if (status)
        *status = st;
    return true;
}

void demo_stop(pid_t pid, int grace_ms)
{
    if (pid <= 0 || demo_exited(pid, NULL))
        return;
    kill(pid, SIGTERM);
    long long until = demo_now_ms() + grace_ms;
    while (demo_now_ms() < until) {
        if (demo_exited(pid, NULL))
            return;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Append what fd has to *buf; 1 at EOF, 0 for more, -1 on error or overflow. */
static int read_some(int fd, char **buf, size_t *len, size_t *cap)
{
    if (*cap - *len < 4096) {
        size_t ncap = *cap ? *cap * 2 : 16384;
        char *nb = ncap > CAPTURE_MAX ? NULL : realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    *len += (size_t)n;
    return n == 0;
}

/* Read the pipe until EOF or the deadline. 0 at EOF, -1 otherwise. */
static int capture(int fd, long long deadline, char **buf, size_t *len)
{
    size_t cap = 0;
    for (;;) {
        long long left = deadline - demo_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR)
            return -1;
        if (r <= 0)
            continue;
        int got = read_some(fd, buf, len, &cap);
        if (got != 0)
            return got > 0 ? 0 : -1;
    }
}

/* Reap pid by the deadline (killing it after). Returns its exit status or -1. */
static int reap(pid_t pid, long long deadline)
{
    int st = 0;
    while (!demo_exited(pid, &st)) {
        if (demo_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        usleep(5000);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int demo_run(char *const args[], int timeout_ms, char **out, int err_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0)
        exec_child(args, parent, fds[1], err_fd);
    close(fds[1]);
    long long deadline = demo_now_ms() + timeout_ms;
    char *buf = NULL;
    size_t len = 0;
    int ok = capture(fds[0], deadline, &buf, &len);
    close(fds[0]);
    int rc = reap(pid, ok == 0 ? deadline : 0);
    if (buf)
        buf[len] = '\0';
    else if (rc >= 0)
        buf = calloc(1, 1);
    if (out && rc >= 0 && buf) {
        *out = buf;
        return rc;
    }
    free(buf);
    if (out)
        *out = NULL;
    return rc;
}
