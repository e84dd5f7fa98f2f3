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

/* The conversation's settings from the daemon's configuration. */
static void settings(const kz_config *k, conv_config *c)
{
    conv_config_defaults(c);
    c->engine = k->engine;
    snprintf(c->country, sizeof c->country, "%s", k->country);
    snprintf(c->default_lang, sizeof c->default_lang, "%s", cfg_lang_name(k->conv_default_lang));
    snprintf(c->terms_version, sizeof c->terms_version, "%s", k->terms_version);
    snprintf(c->provider, sizeof c->provider, "%s", k->provider);
    c->max_replies_hour = k->max_replies_hour;
    c->max_replies_day = k->max_replies_day;
    c->max_stranger_day = k->max_stranger_day;
    c->max_total_day = k->max_total_day;
    c->limits = k->limits;
    c->payout_min_minor = k->payout_min_minor;
}

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
    settings(k, cfg);
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
