/*
 * conv_record.c - the worker's work record over SMS: HIST (tasks, money,
 * agreement shown as feedback, never a threat), CERT (a short code anyone can
 * verify) and CHECK (what a code certifies, to anyone, never a phone number).
 * Owns: the certificate code alphabet and the summary format
 * "since=UNIX;name=NAME". Never bans or judges; never reveals a number.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conv_internal.h"

/* Agreement is shown once this many answers were checked. */
#define MIN_CHECKED 5
/* Characters of a certificate code: no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B. */
static const char cert_alphabet[] = "3479ACDEFHJKMNPRTWXY";
#define CERT_LEN 8

kz_status conv_record_get(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                          conv_record *out, kz_err *err)
{
    engine_accuracy a;
    engine_balance b;
    int64_t first = 0;
    memset(out, 0, sizeof *out);
    kz_status rc = engine_accuracy_get(st, worker_id, &a, err);
    if (rc == KZ_OK)
        rc = engine_balance_at(st, worker_id, cfg->engine.currency, now, &b, err);
    if (rc == KZ_OK)
        rc = store_conv_work(st, worker_id, &out->done, &first, err);
    if (rc != KZ_OK)
        return rc;
    out->earned_minor = b.earned_minor;
    out->agreed = a.agreed + a.gold_right;
    out->checked = a.compared + a.gold_seen;
    out->feedback = out->checked >= MIN_CHECKED;
    return KZ_OK;
}

kz_status conv_hist(conv_ctx *c)
{
    conv_record r;
    kz_status rc = conv_record_get(c->st, c->cfg, c->w.id, c->now, &r, c->err);
    if (rc != KZ_OK)
        return rc;
    char d[24], e[40], ag[24], ch[24], pct[8];
    snprintf(d, sizeof d, "%" PRId64, r.done);
    conv_money(c, r.earned_minor, e, sizeof e);
    snprintf(ag, sizeof ag, "%" PRId64, r.agreed);
    snprintf(ch, sizeof ch, "%" PRId64, r.checked);
    snprintf(pct, sizeof pct, "%d", r.checked ? (int)(r.agreed * 100 / r.checked) : 0);
    tmpl_var v[] = {{"done", d}, {"earned", e}, {"agreed", ag}, {"compared", ch}, {"pct", pct}};
    return conv_say(c, r.feedback ? "hist" : "hist_new", v, 5);
}

static kz_status new_code(kz_store *st, char code[CERT_LEN + 1], kz_err *err)
{
    uint8_t rnd[CERT_LEN];
    kz_status rc = store_conv_random(st, rnd, sizeof rnd, err);
    for (size_t i = 0; rc == KZ_OK && i < CERT_LEN; i++)
        code[i] = cert_alphabet[rnd[i] % (sizeof cert_alphabet - 1)];
    code[CERT_LEN] = '\0';
    return rc;
}

kz_status conv_cert_issue(kz_store *st, int64_t worker_id, const char *name, int64_t now,
                          char code[17], int64_t *done, kz_err *err)
{
    int64_t first = 0, last_done = 0;
    bool found = false;
    code[0] = '\0';
    *done = 0;
    kz_status rc = store_conv_work(st, worker_id, done, &first, err);
    if (rc == KZ_OK)
        rc = store_conv_cert_latest(st, worker_id, code, &last_done, &found, err);
    if (rc != KZ_OK || *done == 0) {
        code[0] = '\0';
        return rc;
    }
    if (found && last_done == *done)
        return KZ_OK;
    /* a new certificate for the new record */
    char summary[128];
    snprintf(summary, sizeof summary, "since=%" PRId64 ";name=%s", first, name);
    bool taken = true;
    for (int tries = 0; rc == KZ_OK && taken && tries < 8; tries++) {
        rc = new_code(st, code, err);
        if (rc == KZ_OK)
            rc = store_conv_cert_add(st, code, worker_id, now, *done, summary, &taken, err);
    }
    if (rc == KZ_OK && taken)
        return kz_err_set(err, KZ_ERR_BUSY, KZ_NO_OFFSET, "no free certificate code");
    return rc;
}

kz_status conv_cert(conv_ctx *c)
{
    int64_t done = 0;
    char code[17];
    kz_status rc = conv_cert_issue(c->st, c->w.id, c->w.name, c->now, code, &done, c->err);
    if (rc != KZ_OK)
        return rc;
    if (done == 0)
        return conv_say(c, "cert_none", NULL, 0);
    char d[24];
    snprintf(d, sizeof d, "%" PRId64, done);
    tmpl_var v[] = {{"code", code}, {"done", d}};
    return conv_say(c, "cert", v, 2);
}

/* Read "since=UNIX;name=NAME" (cert summaries). */
static void parse_summary(const char *s, int64_t *since, char *name, size_t cap)
{
    long long v = 0;
    *since = 0;
    name[0] = '\0';
    if (sscanf(s, "since=%lld;", &v) == 1)
        *since = (int64_t)v;
    const char *n = strstr(s, ";name=");
    if (n)
        snprintf(name, cap, "%s", n + 6);
}

kz_status conv_check(conv_ctx *c)
{
    if (c->cmd->args != CONV_ARGS_OK)
        return conv_say(c, "check_missing", NULL, 0);
    int64_t issued = 0, done = 0, since = 0;
    char summary[256], name[80];
    bool found = false;
    kz_status rc = store_conv_cert_get(c->st, c->cmd->code, &issued, &done, summary,
                                       sizeof summary, &found, c->err);
    if (rc != KZ_OK)
        return rc;
    tmpl_var v[] = {{"code", c->cmd->code}, {"name", name}, {"done", ""}, {"since", ""},
                    {"date", ""}};
    if (!found) {
        c->refund = false;
        return conv_say(c, "check_bad", v, 1);
    }
    parse_summary(summary, &since, name, sizeof name);
    if (!*name && conv_word(c, "anon", NULL, 0, name, sizeof name) != KZ_OK)
        name[0] = '\0';
    char d[24], from[16], to[16];
    snprintf(d, sizeof d, "%" PRId64, done);
    conv_local(c, since ? since : issued, CONV_TIME_DATE, from, sizeof from);
    conv_local(c, issued, CONV_TIME_DATE, to, sizeof to);
    v[2].value = d;
    v[3].value = from;
    v[4].value = to;
    return conv_say(c, "check_ok", v, 5);
}

