/*
 * demo_setup.c - the files of a `kazi demo` run (see demo_setup.h): paths,
 * the demo configuration, and the sample batch with its truth column.
 * Owns: those files. Never starts a process.
 */
#include "demo_setup.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KAZI_TEMPLATE_DIR
#define KAZI_TEMPLATE_DIR "tasks/templates"
#endif

#define MAX_COLS 64
#define FIELD_CAP 4096

static int join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, DEMO_PATH_CAP, "%s/%s", dir, name);
    return n > 0 && n < DEMO_PATH_CAP ? 0 : -1;
}

/* path made absolute against the current directory. */
static int absolute(const char *path, char *out)
{
    if (path[0] == '/')
        return snprintf(out, DEMO_PATH_CAP, "%s", path) < DEMO_PATH_CAP ? 0 : -1;
    char cwd[DEMO_PATH_CAP];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    return join(out, cwd, path);
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "kazi demo: cannot create %s: %s\n", dir, strerror(errno));
    return -1;
}

static int fill_files(demo_paths *p)
{
    static const char *const names[DEMO_MODEMS] = {"m1", "m2"};
    int bad = join(p->conf, p->dir, "demo.conf") | join(p->csv, p->dir, "batch.csv") |
              join(p->journal, p->dir, "workers.journal") |
              join(p->results, p->dir, "results.csv") | join(p->serve_log, p->dir, "serve.log");
    for (int i = 0; i < DEMO_MODEMS; i++) {
        char n[32];
        snprintf(n, sizeof n, "%s.tty", names[i]);
        bad |= join(p->link[i], p->dir, n);
        snprintf(n, sizeof n, "%s.ctl", names[i]);
        bad |= join(p->ctl[i], p->dir, n);
        snprintf(n, sizeof n, "sim-%s.log", names[i]);
        bad |= join(p->sim_log[i], p->dir, n);
        if (strlen(p->ctl[i]) >= 100) /* sockaddr_un.sun_path */
            bad = 1;
    }
    if (bad)
        fprintf(stderr, "kazi demo: the path %s is too long for the demo's sockets; use a "
                        "shorter --db path\n", p->dir);
    return bad ? -1 : 0;
}

int demo_paths_make(demo_paths *p, const char *db)
{
    memset(p, 0, sizeof *p);
    if (absolute(db ? db : "kazi-demo/demo.db", p->db) != 0) {
        fprintf(stderr, "kazi demo: database path too long\n");
        return -1;
    }
    if (db) {
        if (snprintf(p->dir, sizeof p->dir, "%s.demo", p->db) >= (int)sizeof p->dir)
            return -1;
    } else {
        snprintf(p->dir, sizeof p->dir, "%s", p->db);
        *strrchr(p->dir, '/') = '\0';
    }
    if (fill_files(p) != 0)
        return -1;
    /* The payout files live in the repository beside the templates, like the sample. */
    int n1 = snprintf(p->providers, sizeof p->providers, "%s/../providers", KAZI_TEMPLATE_DIR);
    int n2 = snprintf(p->pay_script, sizeof p->pay_script, "%s/mpesa-ke.ussd-script",
                      p->providers);
    int n3 = snprintf(p->sim_script, sizeof p->sim_script,
                      "%s/../../tests/data/ussd/mpesa-ke.ussd", KAZI_TEMPLATE_DIR);
    p->payouts = n1 < DEMO_PATH_CAP && n2 < DEMO_PATH_CAP && n3 < DEMO_PATH_CAP &&
                 access(p->pay_script, R_OK) == 0 && access(p->sim_script, R_OK) == 0;
    return make_dir(p->dir);
}

void demo_sample_default(char *out, size_t cap)
{
    const char *env = getenv("KAZI_SAMPLES");
    if (env && *env)
        snprintf(out, cap, "%s/demo-batch.csv", env);
    else
        snprintf(out, cap, "%s/../samples/demo-batch.csv", KAZI_TEMPLATE_DIR);
}

/* ---- the sample CSV ---- */

typedef struct reader {
    char *field[MAX_COLS];
    size_t nf;
    size_t row;          /* rows seen, header included */
    int col_prompt, col_truth;
    size_t max_rows;
    FILE *copy;
    demo_sample *out;
    int failed;
} reader;

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->nf >= MAX_COLS) {
        r->failed = 1;
        return;
    }
    r->field[r->nf] = strndup(s ? s : "", len < FIELD_CAP ? len : FIELD_CAP);
    if (!r->field[r->nf])
        r->failed = 1;
    r->nf++;
}

static void header(reader *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        if (strcasecmp(r->field[i], "prompt") == 0)
            r->col_prompt = (int)i;
        if (strcasecmp(r->field[i], "truth") == 0)
            r->col_truth = (int)i;
    }
}

static void write_row(reader *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        if (i)
            fputc(',', r->copy);
        csv_fwrite(r->copy, r->field[i], strlen(r->field[i]));
    }
    fputc('\n', r->copy);
}

static int keep(reader *r)
{
    demo_sample *o = r->out;
    char **np = realloc(o->prompt, (o->n + 1) * sizeof *np);
    if (np)
        o->prompt = np;
    char **nt = realloc(o->truth, (o->n + 1) * sizeof *nt);
    if (nt)
        o->truth = nt;
    if (!np || !nt)
        return -1;
    const char *pr = r->col_prompt >= 0 && (size_t)r->col_prompt < r->nf ? r->field[r->col_prompt] : "";
    const char *tr = r->col_truth >= 0 && (size_t)r->col_truth < r->nf ? r->field[r->col_truth] : "";
    o->prompt[o->n] = strdup(pr);
    o->truth[o->n] = strdup(tr);
    o->n++;
    return o->prompt[o->n - 1] && o->truth[o->n - 1] ? 0 : -1;
}

static void on_row(int c, void *data)
{
    (void)c;
    reader *r = data;
    if (r->row == 0)
        header(r);
    else
        r->out->available++;
    bool take = r->row == 0 || !r->max_rows || r->out->n < r->max_rows;
    if (take && !r->failed)
        write_row(r);
    if (take && r->row > 0 && keep(r) != 0)
        r->failed = 1;
    for (size_t i = 0; i < r->nf; i++)
        free(r->field[i]);
    r->nf = 0;
    r->row++;
}

static int parse_file(FILE *in, reader *r)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL) != 0)
        return -1;
    char buf[16384];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, r) != n)
            rc = -1;
    if (rc == 0 && csv_fini(&p, on_field, on_row, r) != 0)
        rc = -1;
    csv_free(&p);
    for (size_t i = 0; i < r->nf; i++)
        free(r->field[i]);
    return rc || r->failed ? -1 : 0;
}

int demo_sample_load(const char *path, size_t max_rows, const char *copy_to, demo_sample *out)
{
    memset(out, 0, sizeof *out);
    FILE *in = fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "kazi demo: %s: %s\n", path, strerror(errno));
        return -1;
    }
    FILE *copy = fopen(copy_to, "wb");
    if (!copy) {
        fprintf(stderr, "kazi demo: %s: %s\n", copy_to, strerror(errno));
        fclose(in);
        return -1;
    }
    reader r = {.col_prompt = -1, .col_truth = -1, .max_rows = max_rows, .copy = copy, .out = out};
    int rc = parse_file(in, &r);
    fclose(in);
    if (fclose(copy) != 0)
        rc = -1;
    if (rc != 0 || out->n == 0 || r.col_prompt < 0) {
        fprintf(stderr, "kazi demo: %s: not a task CSV with a 'prompt' column and rows\n", path);
        demo_sample_free(out);
        return -1;
    }
    return 0;
}

void demo_sample_free(demo_sample *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->prompt[i]);
        free(s->truth[i]);
    }
    free(s->prompt);
    free(s->truth);
    memset(s, 0, sizeof *s);
}

const char *demo_sample_truth(void *ctx, const char *prompt)
{
    const demo_sample *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->prompt[i], prompt) == 0)
            return s->truth[i][0] ? s->truth[i] : NULL;
    return NULL;
}

/* ---- the daemon's configuration ---- */

int demo_config_write(const demo_paths *p)
{
    int fd = open(p->conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "kazi demo: %s: %s\n", p->conf, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fprintf(f,
            "# Written by `kazi demo` for its simulated modems; rewritten at every run.\n"
            "# Not a production configuration (see docs/demo.md):\n"
            "# - the push window is open all day so the demo runs at any hour; a real\n"
            "#   deployment keeps 07:00-19:00 (DESIGN.md, worker promise 3);\n"
            "# - timers are short and reply limits high so the loop turns quickly.\n"
            "[gateway]\n"
            "database = %s\n"
            "push_from = 00:00\n"
            "push_to = 23:59\n"
            "housekeeping_interval = 1s\n"
            "push_interval = 5s\n"
            "[outbox]\n"
            "retry_base = 2s\n"
            "retry_max = 10s\n"
            "[engine]\n"
            "offer_time = 2m\n"
            "more_time = 1m\n"
            "gold_per_mille = 0\n"
            "[conv]\n"
            "max_replies_hour = 1000\n"
            "max_replies_day = 10000\n"
            "max_total_day = 10000\n",
            p->db);
    if (p->payouts)
        fprintf(f,
                "# Payouts by the simulated M-PESA menu; the PIN is the simulator's, not a\n"
                "# real one (this file is mode 0600 all the same). A low minimum so the\n"
                "# demo's workers reach it; payouts are whole shillings, the cents stay.\n"
                "[money]\n"
                "payout_min = 10\n"
                "[payout]\n"
                "pin = %s\n"
                "script = %s\n"
                "providers = %s\n"
                "confirm_timeout = 1m\n",
                DEMO_PIN, p->pay_script, p->providers);
    for (int i = 0; i < DEMO_MODEMS; i++)
        fprintf(f, "[modem m%d]\nport = %s\n", i + 1, p->link[i]);
    if (fclose(f) != 0) {
        fprintf(stderr, "kazi demo: %s: write failed\n", p->conf);
        return -1;
    }
    return 0;
}

/* ---- the results ---- */

typedef struct scorer {
    char *field[MAX_COLS];
    size_t nf;
    size_t row;
    int col_status, col_consensus, col_truth;
    demo_score score;
    int failed;
} scorer;

static void score_field(void *s, size_t len, void *data)
{
    scorer *r = data;
    if (r->nf >= MAX_COLS || !(r->field[r->nf] = strndup(s ? s : "", len))) {
        r->failed = 1;
        return;
    }
    r->nf++;
}

static const char *cell(const scorer *r, int col)
{
    return col >= 0 && (size_t)col < r->nf ? r->field[col] : "";
}

static void score_header(scorer *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        if (strcasecmp(r->field[i], "status") == 0)
            r->col_status = (int)i;
        if (strcasecmp(r->field[i], "consensus") == 0)
            r->col_consensus = (int)i;
        if (strcasecmp(r->field[i], "truth") == 0)
            r->col_truth = (int)i;
    }
}

static void score_task(scorer *r)
{
    const char *status = cell(r, r->col_status), *cons = cell(r, r->col_consensus);
    demo_score *sc = &r->score;
    sc->rows++;
    sc->open += strcmp(status, "pending") == 0 || strcmp(status, "partial") == 0 ||
                strcmp(status, "complete") == 0;
    sc->review += strcmp(status, "review") == 0;
    sc->decided += cons[0] != '\0';
    sc->right += cons[0] && strcasecmp(cons, cell(r, r->col_truth)) == 0;
}

static void score_row(int c, void *data)
{
    (void)c;
    scorer *r = data;
    if (r->row == 0)
        score_header(r);
    else
        score_task(r);
    for (size_t i = 0; i < r->nf; i++)
        free(r->field[i]);
    r->nf = 0;
    r->row++;
}

int demo_results_score(const char *path, demo_score *out)
{
    memset(out, 0, sizeof *out);
    FILE *in = fopen(path, "rb");
    if (!in)
        return -1;
    struct csv_parser p;
    scorer r = {.col_status = -1, .col_consensus = -1, .col_truth = -1};
    int rc = csv_init(&p, CSV_STRICT | CSV_APPEND_NULL);
    char buf[16384];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (csv_parse(&p, buf, n, score_field, score_row, &r) != n)
            rc = -1;
    if (rc == 0 && csv_fini(&p, score_field, score_row, &r) != 0)
        rc = -1;
    csv_free(&p);
    fclose(in);
    for (size_t i = 0; i < r.nf; i++)
        free(r.field[i]);
    *out = r.score;
    return rc || r.failed || r.col_status < 0 || r.col_consensus < 0 ? -1 : 0;
}
