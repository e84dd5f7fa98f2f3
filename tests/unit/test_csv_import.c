/*
 * test_csv_import.c - tasks/csv_import.c against the hostile-CSV corpus
 * (tests/data/csv, outcomes in tests/data/csv/EXPECTED), plus idempotent
 * re-import, --report mode, batch settings and the pay floor.
 * Each file is imported into a fresh real SQLite file in a temp directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_import.h"
#include "harness.h"
#include "store.h"

static char tmpdir[] = "/tmp/kazi-test-import-XXXXXX";

typedef struct seen {
    int n;
    uint64_t line;
    size_t col;
    char reason[300];
} seen;

static void on_reject(void *ctx, const csv_reject *r)
{
    seen *s = ctx;
    if (s->n++ == 0) {
        s->line = r->line;
        s->col = r->column;
        snprintf(s->reason, sizeof s->reason, "%s", r->reason);
    }
}

static int count_cb(void *ctx, const store_batch_row *r)
{
    int64_t *n = ctx;
    n[0]++;
    n[1] += r->tasks;
    return 0;
}

/* Batches and tasks in the database. */
static void db_counts(kz_store *st, int64_t *batches, int64_t *tasks)
{
    int64_t n[2] = {0, 0};
    store_batches_each(st, count_cb, n, NULL);
    *batches = n[0];
    *tasks = n[1];
}

static kz_store *fresh_db(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.db", tmpdir, name);
    unlink(path);
    kz_store *st = NULL;
    kz_err err;
    if (store_open(path, STORE_OPEN_CREATE, &st, &err) != KZ_OK)
        fprintf(stderr, "store_open %s: %s\n", path, err.msg);
    return st;
}

static kz_status import_path(kz_store *st, const char *path, int keep_good, seen *s,
                             csv_import_result *res, kz_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        KT_CHECK(0, "cannot open %s", path);
        return KZ_ERR_IO;
    }
    csv_import_opts o = {.source = path, .batch = "corpus", .requester = "Acme",
                         .reward_minor = -1, .floor = PAYFLOOR_KES_DEFAULT,
                         .keep_good = keep_good, .on_reject = on_reject, .ctx = s};
    memset(s, 0, sizeof *s);
    kz_status rc = csv_import_file(st, f, &o, res, err);
    fclose(f);
    return rc;
}

static long num_or(const char *s, long dflt)
{
    return strcmp(s, "-") == 0 ? dflt : atol(s);
}

static void run_corpus(void)
{
    const char *dir = getenv("KAZI_CSV_CORPUS");
    if (!dir)
        dir = "tests/data/csv";
    char path[512];
    snprintf(path, sizeof path, "%s/EXPECTED", dir);
    FILE *ex = fopen(path, "r");
    KT_CHECK(ex != NULL, "cannot open %s", path);
    if (!ex)
        return;
    char line[512];
    int files = 0;
    while (fgets(line, sizeof line, ex)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char name[100], outcome[16], rows[16], added[16], rejected[16], lno[16], col[16];
        int off = 0;
        if (sscanf(line, "%99s %15s %15s %15s %15s %15s %15s %n", name, outcome, rows, added,
                   rejected, lno, col, &off) != 7) {
            KT_CHECK(0, "bad EXPECTED line: %s", line);
            continue;
        }
        char *msg = line + off;
        msg[strcspn(msg, "\n")] = '\0';
        files++;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        kz_store *st = fresh_db(name);
        if (!st)
            continue;
        seen s;
        csv_import_result res;
        kz_err err;
        kz_status rc = import_path(st, path, 0, &s, &res, &err);
        int64_t nb, nt;
        db_counts(st, &nb, &nt);
        if (strcmp(outcome, "ok") == 0) {
            KT_CHECK(rc == KZ_OK, "%s: status %d (%s)", name, rc, err.msg);
            KT_CHECK(res.committed == 1, "%s: not committed", name);
            KT_CHECK((long)res.rows == num_or(rows, (long)res.rows), "%s: rows %llu", name,
                     (unsigned long long)res.rows);
            KT_CHECK((long)res.added == num_or(added, 0), "%s: added %llu", name,
                     (unsigned long long)res.added);
            KT_CHECK(s.n == 0, "%s: unexpected error line %llu: %s", name,
                     (unsigned long long)s.line, s.reason);
            KT_CHECK(nb == 1 && nt == (int64_t)res.added, "%s: db has %lld batches %lld tasks",
                     name, (long long)nb, (long long)nt);
            /* the same file again changes nothing */
            csv_import_result again;
            rc = import_path(st, path, 0, &s, &again, &err);
            KT_CHECK(rc == KZ_OK && again.added == 0 && again.unchanged == res.added &&
                         !again.committed,
                     "%s: re-import added %llu unchanged %llu (%s)", name,
                     (unsigned long long)again.added, (unsigned long long)again.unchanged,
                     err.msg);
            int64_t nb2, nt2;
            db_counts(st, &nb2, &nt2);
            KT_CHECK(nb2 == nb && nt2 == nt, "%s: re-import changed the database", name);
        } else {
            int fatal = strcmp(outcome, "fatal") == 0;
            KT_CHECK(rc != KZ_OK, "%s: imported but should not have", name);
            KT_CHECK(nb == 0 && nt == 0, "%s: half-written: %lld batches, %lld tasks", name,
                     (long long)nb, (long long)nt);
            KT_CHECK(s.n > 0, "%s: no error reported", name);
            KT_CHECK(s.line == (uint64_t)num_or(lno, (long)s.line), "%s: error on line %llu, want %s",
                     name, (unsigned long long)s.line, lno);
            KT_CHECK(s.col == (size_t)num_or(col, (long)s.col), "%s: error in column %zu, want %s",
                     name, s.col, col);
            KT_CHECK(strstr(s.reason, msg) != NULL, "%s: error \"%s\" lacks \"%s\"", name,
                     s.reason, msg);
            if (!fatal) {
                KT_CHECK(rc == KZ_ERR_INVALID, "%s: status %d", name, rc);
                KT_CHECK((long)res.rows == num_or(rows, 0), "%s: rows %llu", name,
                         (unsigned long long)res.rows);
                KT_CHECK((long)res.rejected == num_or(rejected, 0), "%s: rejected %llu", name,
                         (unsigned long long)res.rejected);
            }
            /* --report mode: good rows go in, unless the file is unreadable */
            rc = import_path(st, path, 1, &s, &res, &err);
            db_counts(st, &nb, &nt);
            if (fatal) {
                KT_CHECK(rc != KZ_OK && nb == 0 && nt == 0, "%s: report mode wrote %lld tasks",
                         name, (long long)nt);
            } else {
                long want = num_or(rows, 0) - num_or(rejected, 0);
                KT_CHECK(rc == KZ_OK, "%s: report mode status %d (%s)", name, rc, err.msg);
                KT_CHECK((long)res.added == want && nt == want,
                         "%s: report mode added %llu (db %lld), want %ld", name,
                         (unsigned long long)res.added, (long long)nt, want);
                KT_CHECK((long)s.n == num_or(rejected, 0), "%s: report mode reported %d rows",
                         name, s.n);
            }
        }
        store_close(st);
    }
    fclose(ex);
    KT_CHECK(files >= 30, "only %d corpus files listed", files);
}

/* Import CSV text held in memory. */
static kz_status import_text(kz_store *st, const char *text, csv_import_opts *o, seen *s,
                             csv_import_result *res, kz_err *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    o->on_reject = on_reject;
    o->ctx = s;
    memset(s, 0, sizeof *s);
    kz_status rc = csv_import_file(st, f, o, res, err);
    fclose(f);
    return rc;
}

static void test_batch_rules(void)
{
    kz_store *st = fresh_db("rules");
    if (!st)
        return;
    seen s;
    csv_import_result res;
    kz_err err;
    const char *a = "id,type,prompt\n1,verify,Open?\n2,verify,Shut?\n";
    const char *b = "id,type,prompt\n2,verify,Shut?\n3,verify,New?\n";
    const char *c = "id,type,prompt\n3,verify,Changed?\n";
    csv_import_opts o = {.batch = "b", .requester = "Acme", .reward_minor = -1,
                         .floor = PAYFLOOR_KES_DEFAULT};
    KT_CHECK(import_text(st, a, &o, &s, &res, &err) == KZ_OK && res.added == 2, "first import");
    /* an overlapping file appends only what is new */
    KT_CHECK(import_text(st, b, &o, &s, &res, &err) == KZ_OK && res.added == 1 &&
                 res.unchanged == 1,
             "overlap: added %llu unchanged %llu", (unsigned long long)res.added,
             (unsigned long long)res.unchanged);
    /* the same id with other content is refused, never overwritten */
    KT_CHECK(import_text(st, c, &o, &s, &res, &err) == KZ_ERR_INVALID && s.n == 1 &&
                 strstr(s.reason, "different content"),
             "conflict: %s", s.reason);
    /* another requester cannot add to the batch */
    csv_import_opts o2 = o;
    o2.requester = "Other";
    KT_CHECK(import_text(st, b, &o2, &s, &res, &err) == KZ_ERR_STATE, "requester mismatch");
    /* batch settings are fixed once created */
    o2 = o;
    o2.reward_minor = 500;
    KT_CHECK(import_text(st, b, &o2, &s, &res, &err) == KZ_ERR_STATE &&
                 strstr(err.msg, "KSh 3.00"),
             "reward change: %s", err.msg);
    /* a batch below the pay floor is refused with the numbers */
    o2 = o;
    o2.batch = "cheap";
    o2.reward_minor = 200;
    KT_CHECK(import_text(st, a, &o2, &s, &res, &err) == KZ_ERR_RANGE, "floor status");
    KT_CHECK(strstr(err.msg, "KSh 2.00") && strstr(err.msg, "KSh 1.20") &&
                 strstr(err.msg, "KSh 96.00 an hour") && strstr(err.msg, "KSh 100.00 an hour") &&
                 strstr(err.msg, "KSh 2.04"),
             "floor message: %s", err.msg);
    /* a longer task needs more */
    o2.reward_minor = 300;
    o2.est_seconds = 120;
    KT_CHECK(import_text(st, a, &o2, &s, &res, &err) == KZ_ERR_RANGE, "120 s at KSh 3");
    o2.reward_minor = 500;
    KT_CHECK(import_text(st, a, &o2, &s, &res, &err) == KZ_OK, "120 s at KSh 5: %s", err.msg);
    /* extra columns must match the batch's */
    const char *x = "id,type,prompt,site\n9,verify,Open?,here\n";
    KT_CHECK(import_text(st, x, &o, &s, &res, &err) == KZ_ERR_STATE, "extra columns differ");
    int64_t nb, nt;
    db_counts(st, &nb, &nt);
    KT_CHECK(nb == 2 && nt == 5, "db: %lld batches %lld tasks", (long long)nb, (long long)nt);
    store_close(st);
}

static void test_line_numbers(void)
{
    kz_store *st = fresh_db("lines");
    if (!st)
        return;
    seen s;
    csv_import_result res;
    kz_err err;
    csv_import_opts o = {.batch = "l", .requester = "Acme", .reward_minor = -1,
                         .floor = PAYFLOOR_KES_DEFAULT};
    /* a quoted field over three lines (CRLF inside), then a bad row on line 6 */
    const char *t = "id,type,prompt,note\r\n1,verify,Open?,\"a\r\nb\r\nc\"\r\n\r\n2,bad,Shut?,x\r\n";
    KT_CHECK(import_text(st, t, &o, &s, &res, &err) == KZ_ERR_INVALID, "status");
    KT_CHECK(s.line == 6 && s.col == 2, "bad row at %llu:%zu, want 6:2", (unsigned long long)s.line,
             s.col);
    store_close(st);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    run_corpus();
    test_batch_rules();
    test_line_numbers();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return kt_report();
}
