/*
 * serve_power.c - power cycles for modems the AT driver gave up on: when a
 * modem turns MODEM_DEAD, its [modem] power_cycle command runs (through
 * /bin/sh -c, in its own process group, with KAZI_MODEM, KAZI_PORT and
 * KAZI_POWER_CYCLE in its environment); on exit 0 the modem is restarted;
 * a command that fails or outlives power_cycle_timeout (then killed), or a
 * modem still dead or gone after a cycle, is tried again after a wait that
 * starts at power_cycle_backoff and doubles (at most POWER_MAX_WAIT_S);
 * after power_cycle_attempts such cycles in a row the modem is left dead.
 * While it is dead the outbox simply finds it not ready and sends through
 * the other modems.
 * Owns: struct serve_power, the child processes it starts and their stderr
 * pipes. Never blocks the loop (children are reaped with WNOHANG, output
 * read non-blocking), never waits for a child it did not start, never runs
 * a command from inside a modem callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "serve.h"

#define POWER_MAX_WAIT_S 3600   /* longest wait between two cycles */
#define POWER_RETURN_MS 120000  /* a cycled modem whose port stays closed this long: failed */
#define POWER_REAP_MS 100       /* how often a running command is checked */
#define POWER_LINE_CAP 160

extern char **environ;

typedef enum power_phase {
    POWER_IDLE = 0,  /* the modem is not dead (or not since its last good cycle) */
    POWER_MANUAL,    /* dead, no command configured: said so once */
    POWER_WAIT,      /* dead; the next cycle starts at next_ms */
    POWER_RUNNING,   /* the command runs */
    POWER_RETURNING, /* the command succeeded; the modem is being reopened */
    POWER_GAVE_UP    /* power_cycle_attempts cycles did not help */
} power_phase;

typedef struct serve_power {
    power_phase phase;
    int failures;          /* cycles in a row that did not bring the modem back */
    int cycle;             /* number of the current or last cycle (1-based) */
    int64_t next_ms;       /* POWER_WAIT: start; POWER_RETURNING: give up waiting */
    int64_t started_ms, deadline_ms;
    pid_t pid;             /* POWER_RUNNING: the command's process (group leader) */
    int errfd;             /* its stderr, read non-blocking; -1 when closed */
    bool killed;           /* the timeout sent SIGKILL */
    char line[POWER_LINE_CAP];  /* first line of its stderr */
    size_t line_len;
    bool line_done;
    char last[200];        /* what the last cycle came to, for `kazi status` */
} serve_power;

static const cfg_modem *conf(const serve_modem *sm)
{
    return &sm->cfg;
}

static serve_power *power_get(serve_modem *sm)
{
    if (!sm->power) {
        sm->power = calloc(1, sizeof *sm->power);
        if (sm->power)
            sm->power->errfd = -1;
    }
    return sm->power;
}

/* Wait before the cycle after failure number n (1-based): backoff * 2^(n-1), capped. */
static int64_t wait_ms(const serve_modem *sm, int n)
{
    int64_t s = conf(sm)->power_cycle_backoff_s;
    for (int i = 1; i < n && s < POWER_MAX_WAIT_S; i++)
        s *= 2;
    return (s > POWER_MAX_WAIT_S ? POWER_MAX_WAIT_S : s) * 1000;
}

/* One cycle did not bring the modem back: wait and try again, or give up. */
static void cycle_failed(serve_modem *sm, serve_power *p, int64_t now_ms, const char *what)
{
    p->failures++;
    int max = conf(sm)->power_cycle_attempts;
    snprintf(p->last, sizeof p->last, "power cycle %d of %d: %s", p->cycle, max, what);
    if (p->failures >= max) {
        p->phase = POWER_GAVE_UP;
        log_error("modem %s: %s; gave up after %d power cycles: it stays dead until someone "
                  "powers it off and on and restarts kazi",
                  sm->cfg.name, p->last, p->failures);
        return;
    }
    p->phase = POWER_WAIT;
    p->next_ms = now_ms + wait_ms(sm, p->failures);
    log_warn("modem %s: %s; next power cycle in %lld s", sm->cfg.name, p->last,
             (long long)((p->next_ms - now_ms) / 1000));
}

void serve_power_on_state(serve_modem *sm, modem_state state, int64_t now_ms)
{
    serve_power *p = sm->power;
    if (state != MODEM_DEAD) {
        bool alive = state == MODEM_READY || state == MODEM_SEARCHING ||
                     state == MODEM_PIN_NEEDED;
        if (!p || !alive || p->phase == POWER_IDLE || p->phase == POWER_RUNNING)
            return; /* a running command finishes; its outcome is judged then */
        if (p->phase == POWER_RETURNING)
            log_info("modem %s: back after power cycle %d", sm->cfg.name, p->cycle);
        p->phase = POWER_IDLE; /* back, by a cycle or by any other way */
        p->failures = 0;
        p->last[0] = '\0';
        return;
    }
    if (!(p = power_get(sm))) {
        log_error("modem %s: dead, and out of memory for its power cycle", sm->cfg.name);
        return;
    }
    if (p->phase == POWER_RETURNING) {
        cycle_failed(sm, p, now_ms, "the modem is still dead after it");
        return;
    }
    if (p->phase != POWER_IDLE)
        return;
    if (!conf(sm)->power_cycle[0]) {
        p->phase = POWER_MANUAL;
        log_error("modem %s: no power_cycle command is configured: it needs a manual power "
                  "cycle (then restart kazi); its traffic goes through the other modems",
                  sm->cfg.name);
        return;
    }
    p->failures = 0;
    p->cycle = 0;
    p->phase = POWER_WAIT;
    p->next_ms = now_ms; /* the first cycle at once */
}

/* ---- the child ---- */

/* name=value into a malloc'd string, or NULL. */
static char *env_pair(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s=%s", name, value);
    return s;
}

static bool env_ours(const char *e)
{
    return strncmp(e, "KAZI_MODEM=", 11) == 0 || strncmp(e, "KAZI_PORT=", 10) == 0 ||
           strncmp(e, "KAZI_POWER_CYCLE=", 17) == 0;
}

static void env_free(char **env)
{
    if (!env)
        return;
    for (size_t i = 0; env[i]; i++)
        if (env_ours(env[i]))
            free(env[i]);
    free(env);
}

/* The daemon's environment plus the command's three variables (caller: env_free). */
static char **env_build(const serve_modem *sm, int cycle)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 4, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!env_ours(environ[i]))
            env[k++] = environ[i];
    char num[16];
    snprintf(num, sizeof num, "%d", cycle);
    char *add[3] = {env_pair("KAZI_MODEM", sm->cfg.name), env_pair("KAZI_PORT", sm->cfg.port),
                    env_pair("KAZI_POWER_CYCLE", num)};
    for (size_t i = 0; i < 3; i++)
        env[k++] = add[i];
    if (!add[0] || !add[1] || !add[2]) {
        for (size_t i = 0; i < 3; i++)
            free(add[i]);
        free(env);
        return NULL;
    }
    return env;
}

/* In the child: only async-signal-safe calls from here to execve. */
static void child_exec(const char *cmd, char **env, int errw)
{
    setpgid(0, 0); /* its own group: the timeout kills its children too */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the daemon blocks SIGTERM, SIGINT, SIGHUP */
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
    }
    dup2(errw, 2);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    execve("/bin/sh", argv, env);
    static const char msg[] = "cannot run /bin/sh\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

static void start_cycle(serve_modem *sm, serve_power *p, int64_t now_ms)
{
    p->cycle = p->failures + 1;
    p->line_len = 0;
    p->line[0] = '\0';
    p->line_done = false;
    p->killed = false;
    int fds[2];
    char **env = env_build(sm, p->cycle);
    if (!env || pipe2(fds, O_CLOEXEC) != 0) {
        int e = env ? errno : ENOMEM;
        env_free(env);
        char why[120];
        snprintf(why, sizeof why, "cannot start the command: %s", strerror(e));
        cycle_failed(sm, p, now_ms, why);
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(conf(sm)->power_cycle, env, fds[1]);
    int e = errno;
    env_free(env);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        char why[120];
        snprintf(why, sizeof why, "cannot start the command: fork: %s", strerror(e));
        cycle_failed(sm, p, now_ms, why);
        return;
    }
    setpgid(pid, pid); /* also here: no race with the timeout's kill(-pid) */
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    p->pid = pid;
    p->errfd = fds[0];
    p->phase = POWER_RUNNING;
    p->started_ms = now_ms;
    p->deadline_ms = now_ms + (int64_t)conf(sm)->power_cycle_timeout_s * 1000;
    log_warn("modem %s: power cycle %d of %d: running the power_cycle command (pid %ld)",
             sm->cfg.name, p->cycle, conf(sm)->power_cycle_attempts, (long)pid);
}

/* Keep the first line of the command's stderr; read and drop the rest. */
static void drain_stderr(serve_power *p)
{
    char buf[512];
    while (p->errfd >= 0) {
        ssize_t n = read(p->errfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close(p->errfd);
            p->errfd = -1;
            return;
        }
        for (ssize_t i = 0; i < n && !p->line_done; i++) {
            if (buf[i] == '\n' || p->line_len + 1 == sizeof p->line) {
                p->line_done = p->line_len > 0 || buf[i] != '\n';
                continue;
            }
            if (buf[i] != '\r')
                p->line[p->line_len++] = (unsigned char)buf[i] >= 32 ? buf[i] : ' ';
            p->line[p->line_len] = '\0';
        }
    }
}

static void child_done(serve_modem *sm, serve_power *p, int status, int64_t now_ms)
{
    drain_stderr(p);
    if (p->errfd >= 0) {
        close(p->errfd); /* a grandchild may still hold it: it gets EPIPE */
        p->errfd = -1;
    }
    p->pid = 0;
    double took = (double)(now_ms - p->started_ms) / 1000.0;
    char what[200];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_info("modem %s: power_cycle command done in %.1f s%s%s: restarting the modem",
                 sm->cfg.name, took, p->line[0] ? "; it said: " : "", p->line);
        p->phase = POWER_RETURNING;
        p->next_ms = now_ms + POWER_RETURN_MS;
        snprintf(p->last, sizeof p->last, "power cycle %d done; reopening the modem", p->cycle);
        modem_restart(sm->m);
        return;
    }
    if (p->killed)
        snprintf(what, sizeof what, "the command was killed after %d s (power_cycle_timeout)",
                 conf(sm)->power_cycle_timeout_s);
    else if (WIFEXITED(status))
        snprintf(what, sizeof what, "the command exited with status %d%s%.100s",
                 WEXITSTATUS(status), p->line[0] ? ": " : "", p->line);
    else
        snprintf(what, sizeof what, "the command died of signal %d%s%.100s",
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0, p->line[0] ? ": " : "", p->line);
    cycle_failed(sm, p, now_ms, what);
}

static void tick_running(serve_modem *sm, serve_power *p, int64_t now_ms)
{
    drain_stderr(p);
    int status = 0;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) {
        child_done(sm, p, status, now_ms);
        return;
    }
    if (r < 0 && errno != EINTR) { /* not ours any more: nothing to wait for */
        log_error("modem %s: power_cycle command (pid %ld): waitpid: %s", sm->cfg.name,
                  (long)p->pid, strerror(errno));
        child_done(sm, p, 255 << 8, now_ms);
        return;
    }
    if (!p->killed && now_ms >= p->deadline_ms) {
        kill(-p->pid, SIGKILL); /* the group: the shell and whatever it started */
        kill(p->pid, SIGKILL);
        p->killed = true;
        log_warn("modem %s: power_cycle command (pid %ld) still running after %d s: killed",
                 sm->cfg.name, (long)p->pid, conf(sm)->power_cycle_timeout_s);
    }
}

static void tick_one(serve_modem *sm, int64_t now_ms)
{
    serve_power *p = sm->power;
    if (!p)
        return;
    switch (p->phase) {
    case POWER_WAIT:
        if (now_ms < p->next_ms)
            break;
        if (!conf(sm)->power_cycle[0]) { /* a reload took the command away */
            p->phase = POWER_MANUAL;
            log_error("modem %s: no power_cycle command any more: it needs a manual power "
                      "cycle (then restart kazi)", sm->cfg.name);
            break;
        }
        start_cycle(sm, p, now_ms);
        break;
    case POWER_RUNNING:
        tick_running(sm, p, now_ms);
        break;
    case POWER_RETURNING:
        if (sm->state == MODEM_CLOSED && now_ms >= p->next_ms)
            cycle_failed(sm, p, now_ms, "the modem's port did not come back after it");
        break;
    default:
        break;
    }
}

void serve_power_tick(kz_daemon *d, int64_t now_ms)
{
    for (size_t i = 0; i < d->nmodems; i++)
        tick_one(d->modems[i], now_ms);
}

int64_t serve_power_next_deadline(const kz_daemon *d)
{
    int64_t best = INT64_MAX;
    for (size_t i = 0; i < d->nmodems; i++) {
        const serve_power *p = d->modems[i]->power;
        int64_t t = INT64_MAX;
        if (p && p->phase == POWER_WAIT)
            t = p->next_ms;
        else if (p && p->phase == POWER_RUNNING)
            t = serve_now_ms() + POWER_REAP_MS;
        /* POWER_RETURNING: checked every turn; the loop wakes at least once a second */
        if (t < best)
            best = t;
    }
    return best;
}

bool serve_power_describe(const serve_modem *sm, const char **state, char *why, size_t cap)
{
    const serve_power *p = sm->power;
    if (!p || p->phase == POWER_IDLE)
        return false;
    int max = conf(sm)->power_cycle_attempts;
    switch (p->phase) {
    case POWER_MANUAL:
        *state = "dead";
        snprintf(why, cap, "no power_cycle command: power it off and on by hand, then restart "
                           "kazi");
        return true;
    case POWER_WAIT:
        *state = "dead";
        if (p->last[0])
            snprintf(why, cap, "%s; power cycle %d of %d soon", p->last, p->failures + 1, max);
        else
            snprintf(why, cap, "power cycle 1 of %d soon", max);
        return true;
    case POWER_RUNNING:
        *state = "power-cycling";
        snprintf(why, cap, "power cycle %d of %d running", p->cycle, max);
        return true;
    case POWER_RETURNING:
        snprintf(why, cap, "%s", p->last);
        return true; /* the driver's own state stays */
    case POWER_GAVE_UP:
        *state = "dead";
        snprintf(why, cap, "gave up after %d power cycles (%s): power it off and on by hand, "
                           "then restart kazi",
                 p->failures, p->last);
        return true;
    default:
        return false;
    }
}

void serve_power_stop(serve_modem *sm)
{
    serve_power *p = sm->power;
    if (!p)
        return;
    if (p->phase == POWER_RUNNING && p->pid > 0) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        int status;
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
            ;
        log_warn("modem %s: power_cycle command (pid %ld) killed: the modem closes",
                 sm->cfg.name, (long)p->pid);
    }
    if (p->errfd >= 0)
        close(p->errfd);
    free(p);
    sm->power = NULL;
}
