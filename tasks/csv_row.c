/*
 * csv_row.c - the checks on one data row of a task CSV (rules in
 * docs/csv.md): id, type, prompt, options, gold, redundancy, reward, the pay
 * floor for a per-row reward, and the task message fitting one SMS.
 * Owns: what makes a row valid. Never touches the database, never allocates,
 * never parses CSV (it gets fields already split).
 */
#include "csv_row.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "csv_import.h"
#include "money.h"
#include "task_msg.h"
#include "utf8.h"

const char *const csv_col_names[CSV_COL__COUNT] = {
    "id", "type", "prompt", "options", "gold", "redundancy", "reward",
};

void csv_trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

int csv_field_check_bytes(const char *p, size_t n, char *why, size_t whycap)
{
    const char *nul = memchr(p, '\0', n);
    if (nul) {
        snprintf(why, whycap, "NUL byte at byte %zu of the field", (size_t)(nul - p) + 1);
        return -1;
    }
    size_t bad = 0;
    if (!utf8_valid((const uint8_t *)p, n, &bad)) {
        snprintf(why, whycap, "invalid UTF-8 at byte %zu of the field", bad + 1);
        return -1;
    }
    return 0;
}

/* Record the failing column and message; returns -1 for `return fail(...)`. */
static int fail(size_t *bad_col, char *why, size_t whycap, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(size_t *bad_col, char *why, size_t whycap, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whycap, fmt, ap);
    va_end(ap);
    *bad_col = col;
    return -1;
}

/* Field c of the current row (trimmed), or empty when the column is absent. */
static store_text field(const csv_row_rules *r, const char *const *f, const size_t *len, int c)
{
    store_text t = {"", 0};
    if (r->col[c] < 0)
        return t;
    t.p = f[r->col[c]];
    t.n = len[r->col[c]];
    csv_trim(&t.p, &t.n);
    return t;
}

/* Parse a whole positive decimal integer in [lo, hi]. */
static int parse_int(store_text t, long lo, long hi, long *out)
{
    if (t.n == 0 || t.n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.p[i] < '0' || t.p[i] > '9')
            return -1;
        v = v * 10 + (t.p[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/*
 * Normalise the options into opt_buf ("A|B|C", items trimmed). Returns
 * the count, or -1 with the reason in why.
 */
static int normalise_options(store_text t, char *opt_buf, size_t opt_cap, char *why,
                             size_t whycap)
{
    size_t pos = 0;
    int k = 0;
    const char *p = t.p;
    size_t left = t.n;
    while (left || k == 0) {
        const char *bar = memchr(p, '|', left);
        size_t n = bar ? (size_t)(bar - p) : left;
        const char *item = p;
        size_t in = n;
        csv_trim(&item, &in);
        if (in == 0) {
            snprintf(why, whycap, "option %d is empty (options look like Yes|No|Closed)", k + 1);
            return -1;
        }
        if (++k > CSV_IMPORT_MAX_OPTIONS) {
            snprintf(why, whycap, "more than %d options (answers are one digit)",
                     CSV_IMPORT_MAX_OPTIONS);
            return -1;
        }
        if (pos + in + 2 > opt_cap) {
            snprintf(why, whycap, "options too long");
            return -1;
        }
        if (pos)
            opt_buf[pos++] = '|';
        memcpy(opt_buf + pos, item, in);
        pos += in;
        p += n + (bar ? 1 : 0);
        left -= n + (bar ? 1 : 0);
        if (bar && left == 0) {
            snprintf(why, whycap, "option %d is empty (options look like Yes|No|Closed)", k + 1);
            return -1;
        }
        if (!bar)
            break;
    }
    opt_buf[pos] = '\0';
    if (k < 2) {
        snprintf(why, whycap, "needs at least 2 options separated by '|'");
        return -1;
    }
    return k;
}

/* Is gold one of the options (text, ASCII case-insensitive) or an option number? */
static int gold_matches(const char *opts, int nopts, store_text g)
{
    long num;
    if (parse_int(g, 1, nopts, &num) == 0)
        return 1;
    const char *p = opts;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == g.n && strncasecmp(p, g.p, n) == 0)
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

int csv_row_check(const csv_row_rules *r, const char *const *f, const size_t *len, size_t n,
                  store_task_in *t, char *opt_buf, size_t opt_cap, size_t *bad_col, char *why,
                  size_t whycap)
{
    *bad_col = 0;
    for (size_t i = 0; i < n; i++)
        if (csv_field_check_bytes(f[i], len[i], why, whycap) != 0) {
            *bad_col = i + 1;
            return -1;
        }
    opt_buf[0] = '\0';
    t->reward_minor = -1;
    t->ext_id = field(r, f, len, CSV_COL_ID);
    if (t->ext_id.n == 0)
        return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_ID] + 1, "empty id");
    if (t->ext_id.n > CSV_IMPORT_MAX_ID)
        return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_ID] + 1, "id longer than %d bytes", CSV_IMPORT_MAX_ID);
    store_text ty = field(r, f, len, CSV_COL_TYPE);
    int type = task_type_parse(ty.p, ty.n);
    if (type < 0)
        return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_TYPE] + 1,
               "unknown type '%.*s' (expected verify, choice or transcribe)",
               (int)(ty.n > 40 ? 40 : ty.n), ty.p);
    t->type.p = task_type_name((task_type)type);
    t->type.n = strlen(t->type.p);
    t->prompt = field(r, f, len, CSV_COL_PROMPT);
    if (t->prompt.n == 0)
        return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_PROMPT] + 1, "empty prompt");
    store_text opts = field(r, f, len, CSV_COL_OPTIONS);
    size_t opt_col = r->col[CSV_COL_OPTIONS] >= 0 ? (size_t)r->col[CSV_COL_OPTIONS] + 1 : 0;
    int nopts = 0;
    if (type == TASK_TRANSCRIBE) {
        if (opts.n)
            return fail(bad_col, why, whycap, opt_col, "a transcribe task takes no options");
    } else {
        if (opts.n == 0 && type == TASK_CHOICE)
            return fail(bad_col, why, whycap, opt_col, "a choice task needs options (like Red|Green|Blue)");
        if (opts.n == 0)
            opts = (store_text){"Yes|No", 6};
        char owhy[120];
        nopts = normalise_options(opts, opt_buf, opt_cap, owhy, sizeof owhy);
        if (nopts < 0)
            return fail(bad_col, why, whycap, opt_col, "%s", owhy);
        t->options = (store_text){opt_buf, strlen(opt_buf)};
    }
    t->gold = field(r, f, len, CSV_COL_GOLD);
    if (t->gold.n && type != TASK_TRANSCRIBE && !gold_matches(opt_buf, nopts, t->gold))
        return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_GOLD] + 1,
               "gold answer '%.*s' is not one of the options or their numbers",
               (int)(t->gold.n > 40 ? 40 : t->gold.n), t->gold.p);
    store_text red = field(r, f, len, CSV_COL_REDUNDANCY);
    if (red.n) {
        long v;
        if (parse_int(red, 1, CSV_IMPORT_MAX_REDUNDANCY, &v) != 0)
            return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_REDUNDANCY] + 1,
                   "bad number '%.*s' (redundancy is a whole number from 1 to %d)",
                   (int)(red.n > 40 ? 40 : red.n), red.p, CSV_IMPORT_MAX_REDUNDANCY);
        t->redundancy = (int)v;
    }
    int64_t reward = r->batch_reward_minor;
    store_text rw = field(r, f, len, CSV_COL_REWARD);
    if (rw.n) {
        kz_err e;
        if (money_parse(rw.p, rw.n, r->currency, &t->reward_minor, &e) != KZ_OK)
            return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_REWARD] + 1, "bad number '%.*s' for reward: %s",
                   (int)(rw.n > 40 ? 40 : rw.n), rw.p, e.msg);
        reward = t->reward_minor;
        if (payfloor_check(r->floor, reward, r->est_seconds, 1, &e) != KZ_OK)
            return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_REWARD] + 1, "%s", e.msg);
    }
    task_msg m = {
        .ref = TASK_MSG_REF_MAX, .type = (task_type)type, .requester = r->requester,
        .prompt = t->prompt.p, .prompt_len = t->prompt.n, .options = t->options.p,
        .options_len = t->options.n, .est_seconds = r->est_seconds,
        .reward_minor = reward, .currency = r->currency,
    };
    size_t segs = task_msg_segments(&m);
    if (segs != 1) {
        char sample[TASK_MSG_CAP];
        size_t mlen = 0;
        if (task_msg_format(&m, sample, sizeof sample, &mlen, NULL) != KZ_OK)
            mlen = 0;
        return fail(bad_col, why, whycap, (size_t)r->col[CSV_COL_PROMPT] + 1,
               "prompt too long for one SMS with its options and reply hint (the task message "
               "needs %zu SMS: \"%.50s...\")",
               segs, mlen ? sample : "");
    }
    return 0;
}
