/*
 * cli_conv.c - the conversation's settings for one-shot commands (see
 * cli_conv.h). Owns the kz_config -> conv_config mapping for them. Never
 * opens the database; prints errors, never logs.
 */
#include "cli_conv.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "serve.h"

/* The template directory: the configuration's, else $KAZI_TEMPLATES, else the built-in one. */
static const char *template_dir(const kz_config *k)
{
    const char *env = getenv("KAZI_TEMPLATES");
    if (k->templates[0])
        return k->templates;
    return env && *env ? env : KAZI_TEMPLATE_DIR;
}

int cli_conv_config(const char *config_path, kz_config *k)
{
    static cfg_errors errs;
    config_defaults(k);
    if (config_path && config_load(config_path, k, &errs) != 0) {
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "kazi: %s\n", errs.msg[i]);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_conv_apply(const kz_config *k, conv_config *cfg)
{
    serve_conv_fill(k, NULL, cfg); /* the daemon's own mapping; templates below */
    kz_err err;
    kz_err_clear(&err);
    tmpl_set *t = NULL;
    if (tmpl_load_dir(template_dir(k), &t, &err) != KZ_OK) {
        fprintf(stderr, "kazi: %s\n", err.msg);
        return CLI_FAIL;
    }
    cfg->templates = t;
    return CLI_OK;
}

int cli_conv_load(const char *config_path, conv_config *cfg, char *db, size_t dcap)
{
    static kz_config k;
    if (cli_conv_config(config_path, &k) != CLI_OK)
        return CLI_FAIL;
    if (db && dcap)
        snprintf(db, dcap, "%s", config_path ? k.database : "");
    return cli_conv_apply(&k, cfg);
}
