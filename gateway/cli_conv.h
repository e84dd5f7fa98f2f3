/*
 * cli_conv.h - the worker conversation's settings for a one-shot command
 * that words messages to workers (`kazi appeals` notices, `kazi sms`
 * replies): the daemon's configuration file when given, its templates,
 * else the defaults.
 * Owns: mapping kz_config onto conv_config and finding the template
 * directory (the configuration's, else $KAZI_TEMPLATES, else the built-in
 * one). Never opens the database.
 */
#ifndef KAZI_CLI_CONV_H
#define KAZI_CLI_CONV_H

#include <stddef.h>

#include "config.h"
#include "conv.h"

/*
 * Fill *cfg from config_path (NULL: the defaults) and load its templates
 * into cfg->templates (free with tmpl_free). db (dcap bytes, may be NULL)
 * receives the configuration's database path, "" without one. Returns
 * CLI_OK, or CLI_FAIL after printing why on stderr.
 */
int cli_conv_load(const char *config_path, conv_config *cfg, char *db, size_t dcap);

/*
 * The first half of cli_conv_load: fill *k with the defaults, then with
 * config_path unless it is NULL. Returns CLI_OK, or CLI_FAIL after printing
 * each configuration error on stderr (*k is then partly filled).
 */
int cli_conv_config(const char *config_path, kz_config *k);

/*
 * The second half: map *k onto *cfg (defaults first) and load the templates
 * of k's template directory into cfg->templates (free with tmpl_free).
 * Returns CLI_OK, or CLI_FAIL after printing why on stderr (cfg->templates
 * is then left as the defaults set it).
 */
int cli_conv_apply(const kz_config *k, conv_config *cfg);

#endif
