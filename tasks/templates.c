/*
 * templates.c - loading the per-language SMS template files and rendering
 * them (see templates.h for the file format and the rendering rules).
 * Owns: the key registry (which placeholders each message may use) and the
 * longest value of each placeholder, which the fit test relies on. Never
 * logs, never reads anything but the directory it is given.
 */
#include "templates.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm7.h"
#include "utf8.h"

typedef struct tmpl_key {
    const char *name;
    const char *params; /* space-separated placeholders */
} tmpl_key;

/* Every message Kazi sends a worker. Append new keys at the end of a group. */
static const tmpl_key keys[] = {
    {"offer", "ref requester prompt options est pay hint"},
    {"hint_choice", ""},
    {"hint_text", ""},
    {"est_s", "n"},
    {"est_min", "n"},
    {"est_h", "n"},
    {"ack", "ref answer earned"},
    {"ack_short", "ref earned"},
    {"ack_done", "ref answer earned"},
    {"ack_open", "ref answer earned open"},
    {"late", "ref"},
    {"no_task", "ref"},
    {"no_open", ""},
    {"twice", "ref"},
    {"bad_option", "ref n"},
    {"ambiguous", "ref open"},
    {"too_long", "ref max"},
    {"answer_missing", "ref"},
    {"no_task_free", ""},
    {"no_task_open", "open"},
    {"welcome", "name refund"},
    {"welcome_back", "name"},
    {"already", "name"},
    {"stopped_cmd", ""},
    {"join_first", ""},
    {"welcome_task", "name refund"},
    {"ack_many", "answers earned"},
    {"ack_many_short", "refs earned"},
    {"ack_many_done", "answers earned"},
    {"ack_many_open", "answers earned open"},
    {"skipped", "ref"},
    {"skipped_short", "ref"},
    {"not_open", "ref"},
    {"no_such_task", "ref"},
    {"which_task", "cmd"},
    {"more_ok", "ref due"},
    {"more_limit", "ref"},
    {"hours_set", "hours window"},
    {"hours_any", "window"},
    {"hours_show", "hours"},
    {"hours_bad", ""},
    {"hours_none", ""},
    {"paused_until", "until"},
    {"paused", ""},
    {"pause_bad", ""},
    {"resumed", ""},
    {"bal", "avail fee provider"},
    {"bal_held", "avail held fee provider"},
    {"bal_low", "avail min"},
    {"fee_unknown", ""},
    {"pay_ok", "amount fee"},
    {"pay_low", "avail min"},
    {"pay_more", "avail"},
    {"pay_bad", ""},
    {"pay_pending", "amount"},
    {"who", "ref requester about"},
    {"who_none", "ref requester"},
    {"asked", "ref"},
    {"appealed", "ref"},
    {"appeal_not_rejected", "ref days"},
    {"hist", "done earned agreed compared pct"},
    {"hist_new", "done earned"},
    {"cert", "code done"},
    {"cert_none", ""},
    {"check_ok", "code name done since date"},
    {"check_bad", "code"},
    {"check_missing", ""},
    {"anon", ""},
    {"lang_set", ""},
    {"lang_bad", ""},
    {"help", ""},
    {"help_new", ""},
    {"stopped", ""},
    {"stop_stranger", ""},
    {"unknown", ""},
    /* notices Kazi sends on its own (tasks/conv_notice.c) */
    {"rejected", "ref org reason held days"},
    {"rejected_unpaid", "ref org reason days"},
    {"appeal_won", "ref org amount"},
    {"appeal_won_unpaid", "ref org"},
    {"appeal_lost", "ref org reason"},
    /* payouts the daemon made (gateway/serve_pay.c) */
    {"paid", "amount provider code"},
    {"pay_failed", "amount provider"},
    /* inbound limits (tasks/conv_abuse.c) */
    {"in_too_long", "max"},
    {"slow_down", "n"},
    /* the USSD menu (tasks/ussd_menu.c): screens of at most 182 characters */
    {"ussd_title", ""},
    {"ussd_title_new", ""},
    {"ussd_next", ""},
    {"ussd_bal_item", ""},
    {"ussd_pay_item", ""},
    {"ussd_record_item", ""},
    {"ussd_help_item", ""},
    {"ussd_lang_item", ""},
    {"ussd_join_item", ""},
    {"ussd_rejoin_item", ""},
    {"ussd_back", ""},
    {"ussd_menu", ""},
    {"ussd_skip", ""},
    {"ussd_yes", ""},
    {"ussd_no", ""},
    {"ussd_agree", ""},
    {"ussd_cert_item", ""},
    {"ussd_bad_choice", ""},
    {"ussd_task", "ref requester question est pay"},
    {"ussd_choices", "choices"},
    {"ussd_type_answer", ""},
    {"ussd_bad_option", "n"},
    {"ussd_need_text", ""},
    {"ussd_answered", "ref answer earned"},
    {"ussd_late", "ref"},
    {"ussd_twice", "ref"},
    {"ussd_gone", "ref"},
    {"ussd_skipped", "ref"},
    {"ussd_no_task", ""},
    {"ussd_bal", "avail fee provider"},
    {"ussd_bal_held", "avail held fee"},
    {"ussd_bal_low", "avail min"},
    {"ussd_pay_confirm", "amount provider fee"},
    {"ussd_pay_ok", "amount"},
    {"ussd_pay_low", "avail min"},
    {"ussd_pay_pending", "amount"},
    {"ussd_pay_changed", "avail"},
    {"ussd_hist", "done earned agreed compared pct"},
    {"ussd_hist_new", "done earned"},
    {"ussd_cert", "code done"},
    {"ussd_cert_none", ""},
    {"ussd_help", ""},
    {"ussd_help_new", ""},
    {"ussd_terms", "provider"},
    {"ussd_welcome", "name"},
    {"ussd_welcome_back", "name"},
    {"ussd_lang_title", ""},
    {"ussd_lang_name", ""},
    {"ussd_lang_set", ""},
    {"ussd_timeout", ""},
    {"ussd_refused", ""},
    {"ussd_error", ""},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

typedef struct tmpl_param {
    const char *name;
    size_t max;     /* characters */
    tmpl_kind kind;
} tmpl_param;

/* The longest value of each placeholder; longer values are cut. */
static const tmpl_param params[] = {
    {"ref", 4, TMPL_DIGITS},        {"requester", 64, TMPL_TEXT},
    {"prompt", 480, TMPL_TEXT},     {"options", 480, TMPL_TEXT},
    {"est", 8, TMPL_ASCII},         {"pay", 18, TMPL_ASCII},
    {"hint", 10, TMPL_ASCII},       {"n", 7, TMPL_DIGITS},
    {"answer", 20, TMPL_TEXT},      {"earned", 18, TMPL_ASCII},
    {"open", 20, TMPL_ASCII},       {"max", 4, TMPL_DIGITS},
    {"name", 20, TMPL_TEXT},        {"refund", 18, TMPL_ASCII},
    {"cmd", 10, TMPL_ASCII},        {"due", 11, TMPL_ASCII},
    {"until", 11, TMPL_ASCII},      {"hours", 24, TMPL_ASCII},
    {"window", 11, TMPL_ASCII},     {"avail", 18, TMPL_ASCII},
    {"held", 18, TMPL_ASCII},       {"fee", 18, TMPL_ASCII},
    {"min", 18, TMPL_ASCII},        {"amount", 18, TMPL_ASCII},
    {"provider", 12, TMPL_TEXT},    {"about", 120, TMPL_TEXT},
    {"done", 7, TMPL_DIGITS},       {"agreed", 7, TMPL_DIGITS},
    {"compared", 7, TMPL_DIGITS},   {"pct", 3, TMPL_DIGITS},
    {"code", 16, TMPL_ASCII},       {"since", 10, TMPL_ASCII},
    {"date", 10, TMPL_ASCII},       {"days", 3, TMPL_DIGITS},
    {"org", 24, TMPL_TEXT},         {"reason", 70, TMPL_TEXT},
    {"question", 182, TMPL_TEXT},   {"choices", 182, TMPL_TEXT},
    {"answers", 90, TMPL_TEXT},     {"refs", 40, TMPL_ASCII},
};

#define N_PARAMS (sizeof params / sizeof params[0])

typedef struct tmpl_lang {
    char code[8];
    char *text[N_KEYS];
    unsigned char segs[N_KEYS];
} tmpl_lang;

struct tmpl_set {
    size_t n;
    tmpl_lang lang[TMPL_MAX_LANGS];
};

size_t tmpl_key_count(void)
{
    return N_KEYS;
}

const char *tmpl_key_name(size_t i)
{
    return i < N_KEYS ? keys[i].name : NULL;
}

const char *tmpl_key_params(size_t i)
{
    return i < N_KEYS ? keys[i].params : NULL;
}

static const tmpl_param *find_param(const char *name, size_t n)
{
    for (size_t i = 0; i < N_PARAMS; i++)
        if (strlen(params[i].name) == n && strncmp(params[i].name, name, n) == 0)
            return &params[i];
    return NULL;
}

size_t tmpl_param_max(const char *name, tmpl_kind *kind)
{
    const tmpl_param *p = find_param(name, strlen(name));
    if (!p)
        return 0;
    if (kind)
        *kind = p->kind;
    return p->max;
}

static int find_key(const char *name, size_t n)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strlen(keys[i].name) == n && strncmp(keys[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

/* Is the placeholder name[0..n) one of key k's? */
static int key_has_param(size_t k, const char *name, size_t n)
{
    const char *p = keys[k].params;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (w == n && strncmp(p, name, n) == 0)
            return 1;
        p += w;
        while (*p == ' ')
            p++;
    }
    return 0;
}

size_t tmpl_lang_count(const tmpl_set *set)
{
    return set ? set->n : 0;
}

const char *tmpl_lang_code(const tmpl_set *set, size_t i)
{
    return set && i < set->n ? set->lang[i].code : NULL;
}

void tmpl_free(tmpl_set *set)
{
    if (!set)
        return;
    for (size_t l = 0; l < set->n; l++)
        for (size_t k = 0; k < N_KEYS; k++)
            free(set->lang[l].text[k]);
    free(set);
}

/* ---- loading ---- */

/* Check the placeholders of text for key k. Returns 0 or -1 with why filled. */
static int check_text(size_t k, const char *text, char *why, size_t cap)
{
    size_t len = strlen(text);
    if (len == 0 || len > TMPL_TEXT_MAX) {
        snprintf(why, cap, "text must be 1-%d bytes", TMPL_TEXT_MAX);
        return -1;
    }
    if (!utf8_valid((const uint8_t *)text, len, NULL)) {
        snprintf(why, cap, "text is not valid UTF-8");
        return -1;
    }
    for (const char *p = text; *p; p++) {
        if (*p == '}') {
            snprintf(why, cap, "'}' without '{'");
            return -1;
        }
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end) {
            snprintf(why, cap, "'{' without '}'");
            return -1;
        }
        size_t n = (size_t)(end - p - 1);
        if (!key_has_param(k, p + 1, n)) {
            snprintf(why, cap, "'%s' has no placeholder {%.*s}", keys[k].name, (int)n, p + 1);
            return -1;
        }
        p = end;
    }
    return 0;
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Parse one line "KEY N | TEXT" into lang l. Returns 0, or -1 with why filled. */
static int load_line(tmpl_lang *l, char *line, char *why, size_t cap)
{
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    if (*p == '\0' || *p == '#')
        return 0;
    char *key = p;
    while (is_key_char(*p))
        p++;
    size_t klen = (size_t)(p - key);
    int k = find_key(key, klen);
    if (k < 0) {
        snprintf(why, cap, "unknown key '%.*s'", (int)(klen ? klen : strcspn(key, " ")), key);
        return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p < '1' || *p > '9' || (p[1] != ' ' && p[1] != '\t' && p[1] != '|')) {
        snprintf(why, cap, "'%s': expected a segment count 1-9", keys[k].name);
        return -1;
    }
    int segs = *p++ - '0';
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '|') {
        snprintf(why, cap, "'%s': expected '|' before the text", keys[k].name);
        return -1;
    }
    if (*p == ' ')
        p++;
    if (l->text[k]) {
        snprintf(why, cap, "key '%s' defined twice", keys[k].name);
        return -1;
    }
    if (check_text((size_t)k, p, why, cap) != 0)
        return -1;
    l->text[k] = strdup(p);
    if (!l->text[k]) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    l->segs[k] = (unsigned char)segs;
    return 0;
}

static kz_status load_file(const char *dir, const char *file, tmpl_lang *l, kz_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s", path, strerror(errno));
    char line[TMPL_TEXT_MAX + 128];
    unsigned lineno = 0;
    kz_status rc = KZ_OK;
    while (rc == KZ_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char why[160];
        if (!strchr(line, '\n') && !feof(f))
            rc = kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s:%u: line too long", path,
                            lineno);
        else if (load_line(l, line, why, sizeof why) != 0)
            rc = kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s:%u: %s", path, lineno, why);
    }
    fclose(f);
    for (size_t k = 0; rc == KZ_OK && k < N_KEYS; k++)
        if (!l->text[k])
            rc = kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "%s: missing key '%s'", path,
                            keys[k].name);
    return rc;
}

/* "sw.tmpl" -> "sw"; 0 if the name is not LANG.tmpl with a 2-7 letter LANG. */
static int lang_of(const char *file, char code[8])
{
    size_t n = strlen(file);
    if (n < 7 || n > 12 || strcmp(file + n - 5, ".tmpl") != 0)
        return 0;
    for (size_t i = 0; i < n - 5; i++) {
        if (file[i] < 'a' || file[i] > 'z')
            return 0;
        code[i] = file[i];
    }
    code[n - 5] = '\0';
    return 1;
}

kz_status tmpl_load_dir(const char *dir, tmpl_set **out, kz_err *err)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s: %s", dir, strerror(errno));
    tmpl_set *set = calloc(1, sizeof *set);
    if (!set) {
        closedir(d);
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    }
    kz_status rc = KZ_OK;
    struct dirent *e;
    while (rc == KZ_OK && (e = readdir(d)) != NULL) {
        char code[8];
        if (!lang_of(e->d_name, code))
            continue;
        if (set->n == TMPL_MAX_LANGS) {
            rc = kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%s: more than %d languages", dir,
                            TMPL_MAX_LANGS);
            break;
        }
        tmpl_lang *l = &set->lang[set->n++];
        memcpy(l->code, code, sizeof l->code);
        rc = load_file(dir, e->d_name, l, err);
    }
    closedir(d);
    if (rc == KZ_OK && !tmpl_has_lang(set, "en"))
        rc = kz_err_set(err, KZ_ERR_IO, KZ_NO_OFFSET, "%s/en.tmpl: no English templates", dir);
    if (rc != KZ_OK) {
        tmpl_free(set);
        return rc;
    }
    *out = set;
    return KZ_OK;
}

/* ---- rendering ---- */

static const tmpl_lang *lang_find(const tmpl_set *set, const char *lang)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (lang && strcmp(set->lang[i].code, lang) == 0)
            return &set->lang[i];
    for (size_t i = 0; set && i < set->n; i++)
        if (strcmp(set->lang[i].code, "en") == 0)
            return &set->lang[i];
    return NULL;
}

int tmpl_has_lang(const tmpl_set *set, const char *lang)
{
    for (size_t i = 0; set && lang && i < set->n; i++)
        if (strcmp(set->lang[i].code, lang) == 0)
            return 1;
    return 0;
}

int tmpl_segments(const tmpl_set *set, const char *lang, const char *key)
{
    const tmpl_lang *l = lang_find(set, lang);
    int k = find_key(key, strlen(key));
    return l && k >= 0 ? l->segs[k] : 0;
}

/* Base letters of U+00C0..U+017F, for characters GSM-7 lacks ("ĩ" -> "i"). */
static const char latin_c0[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";
static const char latin_100[] =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiJjJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOo"
    "RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/* The GSM-7 stand-in of cp: itself if GSM-7 has it, a base letter, or '?'. */
static uint32_t gsm_fold(uint32_t cp)
{
    if (cp < 0x20)
        return ' ';
    if (gsm7_from_codepoint(cp, NULL) > 0)
        return cp;
    if (cp >= 0xC0 && cp <= 0xFF)
        return (uint8_t)latin_c0[cp - 0xC0];
    if (cp >= 0x100 && cp <= 0x17F)
        return (uint8_t)latin_100[cp - 0x100];
    if (cp == 0x2018 || cp == 0x2019)
        return '\'';
    if (cp == 0x201C || cp == 0x201D)
        return '"';
    if (cp == 0x2013 || cp == 0x2014)
        return '-';
    return '?';
}

/* Append value (at most max characters, folded unless raw) at out[*pos]. */
static int put_value(char *out, size_t cap, size_t *pos, const char *value, size_t max, int raw)
{
    const uint8_t *v = (const uint8_t *)value;
    size_t vlen = strlen(value), i = 0;
    for (size_t chars = 0; i < vlen && chars < max; chars++) {
        uint32_t cp;
        size_t n = utf8_decode(v + i, vlen - i, &cp);
        if (n == 0) { /* invalid byte in stored text: shown as '?' */
            cp = '?';
            n = 1;
        }
        i += n;
        if (!raw)
            cp = gsm_fold(cp);
        uint8_t b[4];
        size_t bn = utf8_encode(cp, b);
        if (*pos + bn >= cap)
            return -1;
        memcpy(out + *pos, b, bn);
        *pos += bn;
    }
    return 0;
}

static const char *var_value(const tmpl_var *vars, size_t nvars, const char *name, size_t n)
{
    for (size_t i = 0; i < nvars; i++)
        if (vars[i].name && strlen(vars[i].name) == n && strncmp(vars[i].name, name, n) == 0)
            return vars[i].value ? vars[i].value : "";
    return "";
}

static int is_stop_punct(char c)
{
    return c == '\0' || c == ' ' || c == '!' || c == '.' || c == ',' || c == ':' || c == ';' ||
           c == '?' || c == ')';
}

kz_status tmpl_render(const tmpl_set *set, const char *lang, const char *key,
                      const tmpl_var *vars, size_t nvars, char *out, size_t cap, size_t *len,
                      kz_err *err)
{
    const tmpl_lang *l = lang_find(set, lang);
    int k = find_key(key, strlen(key));
    if (cap)
        out[0] = '\0';
    if (!l || k < 0)
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "no template '%s'", key);
    int raw = strcmp(key, "offer") == 0;
    size_t pos = 0;
    for (const char *p = l->text[k]; *p; p++) {
        if (*p != '{') {
            if (pos + 1 >= cap)
                goto nospace;
            out[pos++] = *p;
            continue;
        }
        const char *end = strchr(p, '}'); /* the loader checked braces */
        size_t n = (size_t)(end - p - 1);
        const tmpl_param *prm = find_param(p + 1, n);
        const char *v = var_value(vars, nvars, p + 1, n);
        if (*v == '\0' && pos && out[pos - 1] == ' ' && is_stop_punct(end[1]))
            pos--;
        else if (put_value(out, cap, &pos, v, prm ? prm->max : 0, raw) != 0)
            goto nospace;
        p = end;
    }
    out[pos] = '\0';
    if (len)
        *len = pos;
    return KZ_OK;
nospace:
    if (cap)
        out[0] = '\0';
    return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "'%s' longer than %zu bytes", key, cap);
}
