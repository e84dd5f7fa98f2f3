/*
 * conv_world.h - the world the conversation tests (test_conv.c,
 * test_abuse.c) talk to: a fresh database in its own temporary directory (a
 * SQLite file, or a PostgreSQL database with KAZI_TEST_PG: store_fixture.h),
 * the test's tasks brought in through the CSV import (batch "shops" of
 * requester Acme, KSh3 each), and a conv_config at its defaults with every
 * inbound limit off; and the reply templates they are loaded with. Each test then sets the knobs it is about; this header
 * never does, and never sends a message itself. Static inline functions, so
 * a test may use any subset of them without a warning.
 */
#ifndef KAZI_TESTS_CONV_WORLD_H
#define KAZI_TESTS_CONV_WORLD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "csv_import.h"
#include "harness.h"
#include "store_fixture.h"
#include "templates.h"

/* The templates of $KAZI_TEMPLATES, or of KAZI_TEMPLATE_DIR (the caller frees
 * them with tmpl_free); NULL after a failed check naming the reason. */
static inline tmpl_set *world_templates(void)
{
    const char *dir = getenv("KAZI_TEMPLATES");
    tmpl_set *t = NULL;
    kz_err err;
    if (tmpl_load_dir(dir && *dir ? dir : KAZI_TEMPLATE_DIR, &t, &err) != KZ_OK) {
        KT_CHECK(0, "templates: %s", err.msg);
        return NULL;
    }
    return t;
}

typedef struct world {
    char dir[64];  /* the temporary directory, removed by world_close */
    char target[320]; /* the database: a SQLite path or a PostgreSQL URI, dropped by world_close */
    kz_store *st;  /* owned: closed by world_close */
    conv_config cfg;
    char code[32]; /* test_conv.c: the last certificate code sent */
} world;

/* A fresh world in /tmp/kazi-KIND-NAME-XXXXXX with the tasks of csv imported
 * and templates t; 0, or -1 with the reason on stderr. */
static inline int world_open_with(world *w, const char *kind, const char *name, const char *csv,
                                  const tmpl_set *t)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/kazi-%s-%s-XXXXXX", kind, name);
    if (!mkdtemp(w->dir))
        return -1;
    fixture_target(w->target, sizeof w->target, w->dir, "kazi");
    kz_err err;
    if (store_open(w->target, STORE_OPEN_CREATE, &w->st, &err) != KZ_OK) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        return -1;
    }
    FILE *f = fmemopen((void *)csv, strlen(csv), "rb");
    csv_import_opts o = {.source = "tasks.csv", .batch = "shops", .requester = "Acme",
                         .reward_minor = 300, .floor = PAYFLOOR_KES_DEFAULT};
    csv_import_result res;
    kz_status rc = csv_import_file(w->st, f, &o, &res, &err);
    fclose(f);
    if (rc != KZ_OK) {
        fprintf(stderr, "import: %s\n", err.msg);
        return -1;
    }
    conv_config_defaults(&w->cfg);
    w->cfg.templates = t;
    w->cfg.limits = (conv_limits){0}; /* the inbound limits have their test: test_abuse.c */
    return 0;
}

static inline void world_close(world *w)
{
    store_close(w->st);
    w->st = NULL;
    kt_db_target_drop(w->target);
    fixture_dir_remove(w->dir);
}

/* The first column of the first row of sql on the world's database, or -1. */
static inline int64_t world_int(const world *w, const char *sql)
{
    return raw_int(w->target, sql);
}

#endif
