/*
 * serve.c - `kazi serve -c kazi.conf`: the daemon's start-up, read top to
 * bottom in cmd_serve(): parse options, read the configuration, take the
 * database lock, open the database, open the modems, bind the [http] ports,
 * drop privileges, start the HTTP listeners, run the loop, close everything.
 * Owns: the command line, the lock file (DATABASE.lock, holding the pid) and
 * the privilege drop. Never runs as root past start-up: without --user it
 * refuses root.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "log.h"
#include "serve.h"
#include "serve_pay.h"
#include "store_memory.h"

#define SERVE_DEFAULT_CONFIG "/etc/kazi/kazi.conf"

typedef struct serve_opts {
    const char *config;
    const char *user;
    bool check;
    bool print_reference;
} serve_opts;

void serve_outbox_settings(const kz_config *cfg, outbox_settings *out)
{
    *out = (outbox_settings){
        .max_attempts = cfg->max_attempts,
        .retry_base_s = cfg->retry_base_s,
        .retry_max_s = cfg->retry_max_s,
        .status_reports = cfg->status_reports,
        .validity_s = cfg->validity_s,
        .max_in_flight = cfg->max_in_flight,
        .daily_sms_cap = cfg->daily_sms_cap,
        .tz_offset_minutes = cfg->engine.tz_offset_minutes,
        .push_from_minute = cfg->engine.push_from_minute,
        .push_to_minute = cfg->engine.push_to_minute,
        .resend_after_crash = cfg->after_crash == CFG_AFTER_CRASH_RESEND,
        .sending_timeout_s = cfg->sending_timeout_s,
    };
}

static int usage(FILE *f, int status)
{
    fprintf(f, "usage: kazi serve [-c FILE] [--check] [--foreground] [--user NAME]\n"
               "       kazi serve --print-config-reference\n"
               "  -c, --config FILE   configuration (default %s)\n"
               "  --check             validate the configuration and exit (0 valid, 1 not)\n"
               "  --foreground        run in the foreground (always: systemd supervises)\n"
               "  --user NAME         started as root: drop to this user after opening ports\n",
            SERVE_DEFAULT_CONFIG);
    return status;
}

/* CLI_OK, CLI_USAGE, or -1 when help was printed. */
static int parse_opts(int argc, char **argv, serve_opts *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'n'},
        {"foreground", no_argument, NULL, 'f'},
        {"user", required_argument, NULL, 'u'},
        {"print-config-reference", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (serve_opts){.config = SERVE_DEFAULT_CONFIG};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
        if (c == 'c')
            o->config = optarg;
        else if (c == 'n')
            o->check = true;
        else if (c == 'u')
            o->user = optarg;
        else if (c == 'r')
            o->print_reference = true;
        else if (c == 'h')
            return usage(stdout, -1);
        else if (c != 'f')
            return usage(stderr, CLI_USAGE);
    }
    return optind == argc ? CLI_OK : usage(stderr, CLI_USAGE);
}

static int read_config(const char *path, kz_config *cfg)
{
    cfg_errors *errs = calloc(1, sizeof *errs);
    if (!errs)
        return CLI_FAIL;
    size_t n = config_load(path, cfg, errs);
    for (size_t i = 0; i < n && i < CFG_MAX_ERRORS; i++)
        fprintf(stderr, "%s\n", errs->msg[i]);
    if (errs->dropped)
        fprintf(stderr, "%s: %zu more errors\n", path, errs->dropped);
    free(errs);
    return n ? CLI_FAIL : CLI_OK;
}

/* Root only with --user (to drop to after opening ports). */
static int check_root(const serve_opts *o)
{
    if (geteuid() == 0 && !o->user) {
        fprintf(stderr, "kazi serve: refusing to run as root; run as the kazi user, or give "
                        "--user NAME to drop to it after opening the ports\n");
        return CLI_FAIL;
    }
    if (geteuid() != 0 && o->user) {
        fprintf(stderr, "kazi serve: --user needs to be started as root\n");
        return CLI_FAIL;
    }
    return CLI_OK;
}

/*
 * Lock DATABASE.lock (flock, held until exit) and write our pid into it.
 * -1 with a message naming the holder's pid when another daemon has it.
 */
static int take_lock(const char *database)
{
    char path[CFG_PATH_CAP + 8];
    snprintf(path, sizeof path, "%s.lock", database);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "kazi serve: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        fprintf(stderr, "kazi serve: %s is in use by another kazi serve (pid %s; lock %s)\n",
                database, pid[0] ? pid : "unknown", path);
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        fprintf(stderr, "kazi serve: %s: cannot write the pid: %s\n", path, strerror(errno));
    return fd;
}

/*
 * Parts left 'sending' by a crash go back to the queue (or to 'unknown').
 * On a shared PostgreSQL database other daemons are sending their own parts
 * right now: only this daemon's modems' parts are its to recover.
 */
static kz_status recover_outbox(kz_daemon *d, int64_t *n, kz_err *err)
{
    if (!db_target_is_pg(d->cfg.database))
        return outbox_recover(d->ob, serve_now(), n, err);
    *n = 0;
    for (size_t i = 0; i < d->cfg.nmodems; i++) {
        int64_t k = 0;
        kz_status rc = qstore_outbox_recover(d->q, d->cfg.modems[i].name,
                                             d->cfg.after_crash == CFG_AFTER_CRASH_RESEND,
                                             serve_now(), &k, err);
        if (rc != KZ_OK)
            return rc;
        *n += k;
    }
    return KZ_OK;
}

/* On a shared database this daemon hands over only what its own modems received. */
static kz_status own_modems(kz_daemon *d, kz_err *err)
{
    const char *names[CFG_MAX_MODEMS];
    for (size_t i = 0; i < d->cfg.nmodems; i++)
        names[i] = d->cfg.modems[i].name;
    return qstore_set_own_modems(d->q, names, d->cfg.nmodems, err);
}

int serve_open_store(kz_daemon *d)
{
    kz_err err;
    kz_err_clear(&err);
    char shown[CFG_PATH_CAP];
    db_target_safe(d->cfg.database, shown, sizeof shown);
    if (store_open(d->cfg.database, STORE_OPEN_CREATE, &d->st, &err) != KZ_OK) {
        log_error("database %s: %s", shown, err.msg);
        return -1;
    }
    outbox_settings os;
    serve_outbox_settings(&d->cfg, &os);
    if (qstore_open(d->st, &d->q, &err) != KZ_OK ||
        !(d->ib = inbox_new(d->q, d->cfg.concat_timeout_s, serve_inbox_deliver, d)) ||
        !(d->ob = outbox_new(d->q, &os))) {
        log_error("out of memory");
        return -1;
    }
    if (db_target_is_pg(d->cfg.database) && own_modems(d, &err) != KZ_OK) {
        log_error("%s", err.msg);
        return -1;
    }
    int64_t n = 0;
    if (recover_outbox(d, &n, &err) != KZ_OK) {
        log_error("outbox recovery: %s", err.msg);
        return -1;
    }
    if (n)
        log_warn("outbox: %lld part(s) were being sent when kazi stopped: %s", (long long)n,
                 os.resend_after_crash ? "queued again (after_crash = resend)"
                                       : "marked unknown (after_crash = unknown)");
    return 0;
}

/* Files root created before the drop (the database, its WAL and shm, the lock) go to user. */
static void give_files(const char *database, uid_t uid, gid_t gid)
{
    if (db_target_is_pg(database)) /* no files: the server keeps the data */
        return;
    static const char *const suffix[] = {"", "-wal", "-shm", ".lock"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char path[CFG_PATH_CAP + 8];
        snprintf(path, sizeof path, "%s%s", database, suffix[i]);
        if (chown(path, uid, gid) != 0 && errno != ENOENT)
            log_warn("chown %s: %s", path, strerror(errno));
    }
}

/* Real, effective and saved ids are all pw's, and root cannot be taken back. */
static bool dropped_for_good(const struct passwd *pw)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
        return false;
    if (ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid || rg != pw->pw_gid ||
        eg != pw->pw_gid || sg != pw->pw_gid)
        return false;
    return setuid(0) != 0 && seteuid(0) != 0;
}

/*
 * Started as root with --user: hand the database files to user, then
 * initgroups (its supplementary groups: dialout opens the serial ports on a
 * restart of a modem), setresgid, setresuid, and check root cannot come back.
 */
static int drop_privileges(const char *user, const char *database)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        log_error("--user %s: no such user", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        log_error("--user %s: that is root; name the unprivileged user to run as", user);
        return -1;
    }
    give_files(database, pw->pw_uid, pw->pw_gid);
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
        setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
        log_error("dropping privileges to %s: %s", user, strerror(errno));
        return -1;
    }
    if (!dropped_for_good(pw)) {
        log_error("dropping privileges to %s did not stick", user);
        return -1;
    }
    log_info("running as user %s (uid %ld, gid %ld, %d groups)", user,
             (long)pw->pw_uid, (long)pw->pw_gid, getgroups(0, NULL));
    return 0;
}

static void close_all(kz_daemon *d, int lockfd)
{
    serve_http_close(d); /* first: its handlers use the database */
    serve_pay_close(d);
    serve_modems_close(d);
    outbox_free(d->ob);
    inbox_free(d->ib);
    qstore_close(d->q);
    store_close(d->st);
    tmpl_free(d->templates);
    if (d->sigfd >= 0)
        close(d->sigfd);
    if (lockfd >= 0)
        close(lockfd);
    log_close();
}

int cmd_serve(int argc, char **argv)
{
    serve_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (o.print_reference) {
        config_print_reference(stdout);
        return CLI_OK;
    }
    kz_daemon *d = calloc(1, sizeof *d);
    if (!d)
        return CLI_FAIL;
    d->sigfd = -1;
    if (read_config(o.config, &d->cfg) != CLI_OK) {
        free(d);
        return CLI_FAIL;
    }
    if (o.check) {
        printf("%s: configuration OK (%zu modem%s)\n", o.config, d->cfg.nmodems,
               d->cfg.nmodems == 1 ? "" : "s");
        free(d);
        return CLI_OK;
    }
    if (check_root(&o) != CLI_OK) {
        free(d);
        return CLI_FAIL;
    }
    log_setup("kazi", (log_level)d->cfg.log_level, d->cfg.syslog);
    umask(077); /* the lock, the database, its WAL and shm: owner only */
    /* Most SQLite statements here open a scratch b-tree (an 87 KB page-cache chunk)
     * for an IN list; glibc's default trim gave it back to the kernel after each, and
     * that brk shrink (a TLB flush on every CPU) took a third of the send path's CPU. */
    mallopt(M_TRIM_THRESHOLD, 512 * 1024);
    /* Before the first connection: page-cache pages the idle loop can give back. */
    kz_err err;
    kz_err_clear(&err);
    char shown[CFG_PATH_CAP];
    db_target_safe(d->cfg.database, shown, sizeof shown);
    if (store_memory_setup(&err) != KZ_OK)
        log_warn("database %s: %s", shown, err.msg);
    /* One daemon per SQLite file; several share a PostgreSQL database (docs/scaling.md). */
    int pg = db_target_is_pg(d->cfg.database);
    int lockfd = pg ? -1 : take_lock(d->cfg.database);
    rc = CLI_FAIL;
    if ((pg || lockfd >= 0) && loop_signals_init(d) == 0 && serve_conv_setup(d) == 0 && serve_open_store(d) == 0 &&
        serve_modems_open(d) == 0 && serve_pay_open(d) == 0 && serve_http_bind(d) == 0 &&
        (!o.user || drop_privileges(o.user, d->cfg.database) == 0) && serve_http_start(d) == 0) {
        log_info("kazi serve started: database %s, %zu modem(s), pid %ld", shown,
                 d->nmodems, (long)getpid());
        rc = loop_run(d);
    }
    close_all(d, lockfd);
    free(d);
    return rc;
}
