/*
 * cmd_backup.c - `kazi backup FILE [--db DB] [--force]`: a consistent copy of
 * the database while the daemon keeps running (docs/operations.md). The copy
 * is made in FILE.tmp-XXXXXX beside FILE (mode 0600) with SQLite's backup
 * API, checked (integrity_check, and it opens as a kazi database of a schema
 * this program knows), fsynced, and only then put in FILE's place.
 * Owns: the temporary file, its checks and the rename. Never replaces an
 * existing FILE without --force; never leaves a partial copy named FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_db.h"
#include "store_check.h"

#define BACKUP_USAGE "usage: kazi backup FILE [--db DB] [--force]\n"

typedef struct backup_opts {
    const char *file;
    const char *db;
    int force;
} backup_opts;

/* CLI_OK, CLI_USAGE, or -1 when --help was printed. */
static int parse_opts(int argc, char **argv, backup_opts *o)
{
    static const struct option longopts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        CLI_DB_OPTION,
        {NULL, 0, NULL, 0},
    };
    *o = (backup_opts){0};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
        if (c == 'D') {
            o->db = optarg;
        } else if (c == 'f') {
            o->force = 1;
        } else {
            fputs(BACKUP_USAGE, c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : CLI_USAGE;
        }
    }
    if (optind + 1 != argc || !argv[optind][0]) {
        fputs(BACKUP_USAGE, stderr);
        return CLI_USAGE;
    }
    o->file = argv[optind];
    return CLI_OK;
}

/* Refuse a FILE that exists (without --force), that is the database, or that has a WAL. */
static int check_target(const backup_opts *o, const char *db)
{
    struct stat fs, ds;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", o->file);
    if (stat(o->file, &fs) == 0) {
        if (stat(db, &ds) == 0 && fs.st_dev == ds.st_dev && fs.st_ino == ds.st_ino) {
            fprintf(stderr, "kazi backup: %s is the database itself\n", o->file);
            return CLI_FAIL;
        }
        if (!o->force) {
            fprintf(stderr, "kazi backup: %s exists; give --force to replace it\n", o->file);
            return CLI_FAIL;
        }
        if (!S_ISREG(fs.st_mode)) {
            fprintf(stderr, "kazi backup: %s is not a regular file\n", o->file);
            return CLI_FAIL;
        }
    }
    if (access(wal, F_OK) == 0) {
        fprintf(stderr,
                "kazi backup: %s exists: %s may be open in another program; stop it (or remove"
                " the stale %s) first\n",
                wal, o->file, wal);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Remove the temporary copy and what SQLite may have left beside it. */
static void remove_tmp(const char *tmp)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", tmp, suffix[i]);
        (void)unlink(p);
    }
}

/* fsync path (a file, or a directory with O_DIRECTORY). 0, or -1 with errno. */
static int sync_path(const char *path, int dir)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* The copy must open as a kazi database this program knows (store_open's migration check). */
static int verify_opens(const char *tmp)
{
    kz_store *st = NULL;
    kz_err err;
    kz_err_clear(&err);
    if (store_open(tmp, 0, &st, &err) != KZ_OK) {
        fprintf(stderr, "kazi backup: the copy does not open: %s\n", err.msg);
        return CLI_FAIL;
    }
    store_close(st);
    return CLI_OK;
}

/* Put tmp in file's place: atomically refuse an existing file unless force. */
static int install(const char *tmp, const char *file, int force)
{
    if (!force) {
        if (link(tmp, file) == 0) {
            (void)unlink(tmp);
            return CLI_OK;
        }
        if (errno == EEXIST) {
            fprintf(stderr, "kazi backup: %s exists; give --force to replace it\n", file);
            return CLI_FAIL;
        }
        if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) {
            fprintf(stderr, "kazi backup: %s: %s\n", file, strerror(errno));
            return CLI_FAIL;
        }
        /* No hard links on this file system: checked above that file did not exist. */
    }
    if (rename(tmp, file) != 0) {
        fprintf(stderr, "kazi backup: renaming %s to %s: %s\n", tmp, file, strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Copy, check, fsync and install; on failure the temporary file is removed. */
static int make_copy(kz_store *st, const char *db, const backup_opts *o)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", o->file) >= (int)sizeof tmp) {
        fprintf(stderr, "kazi backup: %s: name too long\n", o->file);
        return CLI_FAIL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "kazi backup: cannot create %s: %s\n", tmp, strerror(errno));
        return CLI_FAIL;
    }
    int rc = fchmod(fd, 0600) == 0 ? CLI_OK : CLI_FAIL;
    close(fd);
    store_backup_info info;
    kz_err err;
    kz_err_clear(&err);
    if (rc != CLI_OK) {
        fprintf(stderr, "kazi backup: chmod 600 %s: %s\n", tmp, strerror(errno));
    } else if (store_backup(st, tmp, 0, &info, &err) != KZ_OK) {
        fprintf(stderr, "kazi backup: copying %s: %s\n", db, err.msg);
        rc = CLI_FAIL;
    } else if ((rc = verify_opens(tmp)) != CLI_OK) {
        /* said why */
    } else if (sync_path(tmp, 0) != 0) {
        fprintf(stderr, "kazi backup: fsync %s: %s\n", tmp, strerror(errno));
        rc = CLI_FAIL;
    } else {
        rc = install(tmp, o->file, o->force);
    }
    if (rc != CLI_OK) {
        remove_tmp(tmp);
        return rc;
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", o->file);
    if (sync_path(dirname(dir), 1) != 0)
        fprintf(stderr, "kazi backup: warning: fsync of the directory of %s: %s\n", o->file,
                strerror(errno));
    printf("backup: %s -> %s: %lld pages of %lld bytes (%lld bytes), schema version %d%s\n", db,
           o->file, (long long)info.pages, (long long)info.page_size,
           (long long)(info.pages * info.page_size), info.schema_version,
           info.restarts ? " (restarted by writes; the copy is of one moment)" : "");
    return CLI_OK;
}

int cmd_backup(int argc, char **argv)
{
    backup_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    umask(077); /* the copy and anything SQLite makes beside it: owner only */
    const char *db = cli_db_path(o.db);
    char dbpath[4096];
    snprintf(dbpath, sizeof dbpath, "%s", db); /* cli_db_path may return a static buffer */
    if ((rc = check_target(&o, dbpath)) != CLI_OK)
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_db_open(dbpath, 0, &st)) != CLI_OK)
        return rc;
    rc = make_copy(st, dbpath, &o);
    store_close(st);
    return rc;
}
