/*
 * demo_setup.h - the files of one `kazi demo` run: where everything lives
 * (the working directory beside the database), the daemon's demo
 * configuration, and the sample batch (tasks/samples/demo-batch.csv): the
 * first N rows copied for `kazi import`, and the hidden `truth` column read
 * so simulated workers know the right answers.
 * Owns: those paths and file formats. Never starts a process.
 */
#ifndef KAZI_DEMO_SETUP_H
#define KAZI_DEMO_SETUP_H

#include <stddef.h>

#define DEMO_PATH_CAP 600
#define DEMO_MODEMS 2

typedef struct demo_paths {
    char db[DEMO_PATH_CAP];        /* the database (absolute) */
    char dir[DEMO_PATH_CAP];       /* working directory: DB's directory for the default,
                                      else DB + ".demo" */
    char conf[DEMO_PATH_CAP];      /* demo.conf */
    char csv[DEMO_PATH_CAP];       /* the batch as imported (first N sample rows) */
    char journal[DEMO_PATH_CAP];   /* what the simulated workers saw and sent */
    char results[DEMO_PATH_CAP];   /* results.csv */
    char serve_log[DEMO_PATH_CAP]; /* the daemon's stderr */
    char link[DEMO_MODEMS][DEMO_PATH_CAP]; /* the simulators' pty links */
    char ctl[DEMO_MODEMS][DEMO_PATH_CAP];  /* their control sockets */
    char sim_log[DEMO_MODEMS][DEMO_PATH_CAP];
    char providers[DEMO_PATH_CAP];  /* tasks/providers beside the templates */
    char pay_script[DEMO_PATH_CAP]; /* its mpesa-ke.ussd-script: how the daemon pays */
    char sim_script[DEMO_PATH_CAP]; /* tests/data/ussd/mpesa-ke.ussd: the simulated menu */
    int payouts;                    /* all three found: the demo pays its workers */
} demo_paths;

/* The simulated PIN tests/data/ussd/mpesa-ke.ussd accepts. */
#define DEMO_PIN "1234"

/*
 * Fill p from --db (NULL: ./kazi-demo/demo.db with ./kazi-demo as the
 * working directory), made absolute, and create the working directory.
 * Returns 0, or -1 with a message on stderr.
 */
int demo_paths_make(demo_paths *p, const char *db);

/* The sample shipped with kazi: $KAZI_SAMPLES/demo-batch.csv, else beside the templates. */
void demo_sample_default(char *out, size_t cap);

typedef struct demo_sample {
    char **prompt;     /* per row taken */
    char **truth;      /* "" when the sample has no truth column */
    size_t n;          /* rows taken */
    size_t available;  /* data rows in the file */
} demo_sample;

/*
 * Read the sample CSV at path, keep the first max_rows rows (all if 0) in
 * out, and write those rows with the header to copy_to (every cell quoted).
 * Returns 0, or -1 with "PATH: reason" on stderr.
 */
int demo_sample_load(const char *path, size_t max_rows, const char *copy_to, demo_sample *out);

/* Free what demo_sample_load allocated. NULL-safe. */
void demo_sample_free(demo_sample *s);

/* The truth for a prompt (dw_truth_fn shape; ctx is a demo_sample), or NULL. */
const char *demo_sample_truth(void *ctx, const char *prompt);

/*
 * Write the daemon's configuration for the demo to p->conf (mode 0600: with
 * payouts it holds the simulated PIN): the database, two [modem] sections
 * on the simulators' links, the push window open all day, short timers so
 * the loop turns quickly, and with p->payouts a [payout] section paying by
 * the M-PESA menu with a low [money] payout_min. Returns 0, or -1 (stderr).
 */
int demo_config_write(const demo_paths *p);

typedef struct demo_score {
    long rows;      /* tasks */
    long open;      /* status pending, partial or complete: the engine has not decided */
    long review;    /* workers disagreed: left to a person */
    long decided;   /* with a consensus */
    long right;     /* consensus equal to the sample's truth column (case-insensitive) */
} demo_score;

/* Read the results CSV `kazi export` wrote into *out. 0, or -1 if unreadable. */
int demo_results_score(const char *path, demo_score *out);

#endif
