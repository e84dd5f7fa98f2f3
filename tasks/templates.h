/*
 * templates.h - the words of every SMS Kazi sends, per language, loaded at
 * run time from data files (DIR/en.tmpl, DIR/sw.tmpl, ...) and rendered with
 * bounded buffers. File format (docs/sms-commands.md, "Templates"):
 *
 *     # comment
 *     KEY SEGMENTS | TEXT with {placeholders}
 *
 * SEGMENTS is the most SMS segments the message may need with the longest
 * possible values (tests/unit/test_templates.c proves each one).
 * Owns: the list of keys, the placeholders each key may use and the longest
 * value of each placeholder. Never logs; never chooses the directory (the
 * caller passes it: the gateway uses $KAZI_TEMPLATES or KAZI_TEMPLATE_DIR).
 *
 * Values are cut to their placeholder's longest length (in characters), and,
 * except in the task offer, folded to the GSM 7-bit alphabet (accents that
 * GSM lacks are dropped, other characters become '?'), so a worker's name or
 * an echoed answer can never turn a one-segment reply into a costly UCS-2
 * one. Where a placeholder is empty, the space before it is dropped when a
 * space or punctuation follows ("Welcome {name}!" -> "Welcome!").
 */
#ifndef KAZI_TEMPLATES_H
#define KAZI_TEMPLATES_H

#include <stddef.h>

#include "status.h"

/* Longest template text in a file (bytes). */
#define TMPL_TEXT_MAX 480
/* A buffer this size holds any rendered message. */
#define TMPL_OUT_CAP 2048
/* Most languages one directory may hold. */
#define TMPL_MAX_LANGS 8

typedef struct tmpl_set tmpl_set;

/* One placeholder value: {name} becomes value (NULL is ""). */
typedef struct tmpl_var {
    const char *name;
    const char *value;
} tmpl_var;

/*
 * Load every *.tmpl file of dir (the language is the file name: "sw.tmpl"
 * is "sw"). Each file must define every key exactly once, with only that
 * key's placeholders, 1-9 segments and at most TMPL_TEXT_MAX bytes of valid
 * UTF-8; "en.tmpl" must exist. *out receives a set freed with tmpl_free().
 * On failure *out is NULL and err says "FILE:LINE: reason" (KZ_ERR_IO for a
 * missing directory or file, KZ_ERR_INVALID for a bad line, KZ_ERR_NOMEM).
 */
kz_status tmpl_load_dir(const char *dir, tmpl_set **out, kz_err *err);

/* Free a set. NULL-safe. */
void tmpl_free(tmpl_set *set);

/* 1 if lang ("en", "sw") was loaded, else 0. */
int tmpl_has_lang(const tmpl_set *set, const char *lang);

/*
 * Render key in lang (English if lang was not loaded) into out (cap bytes,
 * NUL-terminated); *len (may be NULL) receives the length. Placeholders
 * without a var render empty. KZ_ERR_NOTFOUND for an unknown key,
 * KZ_ERR_NOSPACE if out is too small (out then holds "").
 */
kz_status tmpl_render(const tmpl_set *set, const char *lang, const char *key,
                      const tmpl_var *vars, size_t nvars, char *out, size_t cap, size_t *len,
                      kz_err *err);

/* Segments key declares in lang (English if lang is not loaded), 0 if unknown key. */
int tmpl_segments(const tmpl_set *set, const char *lang, const char *key);

/* ---- the registry, for tests and documentation ---- */

/* Kinds of placeholder values, for generating the longest possible ones. */
typedef enum tmpl_kind {
    TMPL_DIGITS = 0, /* a number */
    TMPL_TEXT,       /* free text (folded to GSM-7 outside the offer) */
    TMPL_ASCII       /* text Kazi itself formats: money, times, codes */
} tmpl_kind;

/* Number of keys; key i's name and its space-separated placeholders. */
size_t tmpl_key_count(void);
const char *tmpl_key_name(size_t i);
const char *tmpl_key_params(size_t i);

/* Longest value of placeholder name in characters, and its kind; 0 if unknown. */
size_t tmpl_param_max(const char *name, tmpl_kind *kind);

/* Languages loaded: count and the i-th code. */
size_t tmpl_lang_count(const tmpl_set *set);
const char *tmpl_lang_code(const tmpl_set *set, size_t i);

#endif
