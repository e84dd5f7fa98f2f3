/*
 * conv_cmds.c - one handler per worker command (docs/sms-commands.md): what
 * each does through the engine or the worker's settings, and which reply it
 * gets (answers: tasks/conv_answer.c). Called by conv.c inside the SMS's
 * transaction.
 * Owns: the choice of reply for every outcome. Never queues or sends (conv.c
 * does), never words a reply itself (the templates do).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conv_cmds.h"
#include "conv_offer.h"
#include "money.h"
#include "sms_text.h"

/* The keyword of a command in a language, for "Send SKIP 42" hints. */
static const char *cmd_word(const conv_ctx *c, conv_kind k)
{
    static const struct { conv_kind k; const char *en, *sw; } words[] = {
        {CONV_SKIP, "SKIP", "RUKA"},   {CONV_MORE, "MORE", "ZAIDI"},
        {CONV_WHO, "WHO", "NANI"},     {CONV_ASK, "ASK", "ULIZA"},
        {CONV_APPEAL, "APPEAL", "RUFANI"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (words[i].k == k)
            return strcmp(c->lang, "sw") == 0 ? words[i].sw : words[i].en;
    return conv_kind_name(k);
}

kz_status conv_say_ref(conv_ctx *c, const char *key, int ref)
{
    char r[16];
    snprintf(r, sizeof r, "%d", ref);
    tmpl_var v[] = {{"ref", r}};
    return conv_say(c, key, v, 1);
}

kz_status conv_open_refs(conv_ctx *c, int *refs, size_t *n)
{
    return store_conv_open_refs(c->st, c->w.id, refs, CONV_LIST_REFS, n, c->err);
}

void conv_list_refs(const int *refs, size_t n, char *out, size_t cap)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < CONV_LIST_REFS; i++) {
        int w = snprintf(out + pos, cap - pos, "%s%d", i ? ", " : "", refs[i]);
        if (w < 0 || (size_t)w >= cap - pos)
            return;
        pos += (size_t)w;
    }
}

/*
 * The task a command means: its number, or the only open offer. *ref 0 when
 * the arguments are malformed or there is none or several (the reply then
 * says so).
 */
static kz_status which_ref(conv_ctx *c, int *ref)
{
    *ref = 0;
    if (c->cmd->args != CONV_ARGS_OK) {
        tmpl_var v[] = {{"cmd", cmd_word(c, c->cmd->kind)}};
        return conv_say(c, "which_task", v, 1);
    }
    *ref = c->cmd->ref;
    if (*ref)
        return KZ_OK;
    int refs[CONV_LIST_REFS];
    size_t n = 0;
    kz_status rc = conv_open_refs(c, refs, &n);
    if (rc != KZ_OK)
        return rc;
    if (n == 1) {
        *ref = refs[0];
        return KZ_OK;
    }
    if (n == 0)
        return conv_say(c, "no_open", NULL, 0);
    tmpl_var v[] = {{"cmd", cmd_word(c, c->cmd->kind)}};
    return conv_say(c, "which_task", v, 1);
}

/*
 * Offer the next task if one is eligible, with prefix riding in front when it
 * costs no extra segment. *offered says whether the reply now is an offer.
 */
kz_status conv_offer_next(conv_ctx *c, bool solicited, const char *prefix,
                          const char *short_prefix, bool *offered)
{
    *offered = false;
    bool ok = false;
    kz_status rc = conv_may_offer(c, &ok);
    if (rc != KZ_OK || !ok)
        return rc;
    engine_offer o;
    bool found = false;
    rc = engine_offer_next(c->st, &c->cfg->engine, c->w.id, c->now, solicited, &o, &found,
                           c->err);
    if (rc != KZ_OK || !found)
        return rc;
    rc = conv_offer_render(c->cfg->templates, c->lang, &o, c->text, sizeof c->text, &c->len,
                           c->err);
    if (rc != KZ_OK)
        return rc;
    conv_offer_ride(prefix, short_prefix, c->text, sizeof c->text, &c->len);
    c->has_reply = true;
    c->offer_assignment = o.assignment_id;
    *offered = true;
    return KZ_OK;
}

/*
 * Say key_open while the worker has open offers (their list goes into
 * v[nv - 1], the "open" value), else key_done.
 */
kz_status conv_say_open(conv_ctx *c, const char *key_open, const char *key_done, tmpl_var *v,
                        size_t nv)
{
    int refs[CONV_LIST_REFS];
    size_t n = 0;
    kz_status rc = conv_open_refs(c, refs, &n);
    if (rc != KZ_OK)
        return rc;
    char open[32];
    conv_list_refs(refs, n, open, sizeof open);
    v[nv - 1].value = open;
    return conv_say(c, n ? key_open : key_done, v, nv);
}

/* ---- joining and leaving ---- */

/* A name as given to JOIN: at most 40 bytes of printable text, no separators. */
static void clean_name(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap && o < 40; p++)
        out[o++] = (*p == ';' || *p == '=' || (unsigned char)*p < 0x20) ? ' ' : *p;
    while (o && ((out[o - 1] & 0xC0) == 0x80 || out[o - 1] == ' ')) {
        if ((out[o - 1] & 0xC0) == 0x80) { /* drop a character cut in half */
            while (o && (out[o - 1] & 0xC0) == 0x80)
                o--;
            if (o)
                o--;
        } else {
            o--;
        }
    }
    out[o] = '\0';
}

kz_status conv_join_phone(kz_store *st, const conv_config *cfg, const char *phone,
                          const char *name, const char *lang, int64_t message_id, int64_t now,
                          conv_join_outcome *o, int64_t *worker_id, kz_err *err)
{
    store_conv_worker w;
    bool found = false;
    *o = CONV_JOIN_NEW;
    *worker_id = 0;
    kz_status rc = store_conv_worker_get(st, phone, &w, &found, err);
    if (rc != KZ_OK)
        return rc;
    if (!found) {
        rc = store_conv_worker_add(st, phone, name, lang, now, worker_id, err);
        return rc == KZ_OK ? store_conv_consent(st, *worker_id, "join", cfg->terms_version,
                                                message_id, now, err)
                           : rc;
    }
    *worker_id = w.id;
    if (*name)
        rc = store_conv_worker_name(st, w.id, name, err);
    *o = CONV_JOIN_ALREADY;
    if (rc != KZ_OK || strcmp(w.state, "stopped") != 0)
        return rc;
    *o = CONV_JOIN_BACK;
    rc = store_conv_worker_state(st, w.id, "active", 0, now, err);
    return rc == KZ_OK ? store_conv_consent(st, w.id, "resume", cfg->terms_version, message_id,
                                            now, err)
                       : rc;
}

/*
 * A new worker's first task in the welcome's reply: the short welcome
 * ("welcome_task": pay on time, the SMS refund, SKIP, appeals, HELP, STOP;
 * the offer itself shows pay and time) in front of the offer, when that
 * takes fewer segments than the full welcome and the offer sent apart.
 * The offer follows the push's rules (solicited false: push window, the
 * worker's hours, the day's cap). When it would not save a segment the
 * offer is given back at once (engine_skip, no penalty) and *offered stays
 * false: the full welcome goes alone and the push offers a task later.
 */
static kz_status welcome_task(conv_ctx *c, const tmpl_var *v, size_t nv, bool *offered)
{
    *offered = false;
    char full[TMPL_OUT_CAP], prefix[TMPL_OUT_CAP];
    size_t full_len = 0;
    kz_status rc = tmpl_render(c->cfg->templates, c->lang, "welcome", v, nv, full, sizeof full,
                               &full_len, c->err);
    if (rc == KZ_OK)
        rc = conv_word(c, "welcome_task", v, nv, prefix, sizeof prefix);
    bool ok = false;
    if (rc == KZ_OK)
        rc = conv_may_offer(c, &ok);
    if (rc != KZ_OK || !ok)
        return rc;
    engine_offer o;
    bool found = false;
    rc = engine_offer_next(c->st, &c->cfg->engine, c->w.id, c->now, false, &o, &found, c->err);
    if (rc == KZ_OK && found)
        rc = conv_offer_render(c->cfg->templates, c->lang, &o, c->text, sizeof c->text, &c->len,
                               c->err);
    if (rc != KZ_OK || !found)
        return rc;
    size_t apart = sms_count_segments(full, full_len) + sms_count_segments(c->text, c->len);
    size_t pl = strlen(prefix);
    char both[TMPL_OUT_CAP];
    size_t together = 0;
    if (pl + 1 + c->len < sizeof both) {
        memcpy(both, prefix, pl);
        both[pl] = ' ';
        memcpy(both + pl + 1, c->text, c->len + 1);
        together = sms_count_segments(both, pl + 1 + c->len);
    }
    if (together == 0 || together >= apart) {
        c->len = 0;
        c->text[0] = '\0';
        return engine_skip(c->st, c->w.id, o.ref, c->now, &found, c->err);
    }
    memcpy(c->text, both, pl + 1 + c->len + 1);
    c->len += pl + 1;
    c->has_reply = true;
    c->offer_assignment = o.assignment_id;
    *offered = true;
    return KZ_OK;
}

static kz_status cmd_join(conv_ctx *c)
{
    char name[64], old[sizeof c->w.name];
    clean_name(c->cmd->text + c->cmd->arg_off, name, sizeof name);
    snprintf(old, sizeof old, "%s", c->is_worker ? c->w.name : "");
    conv_join_outcome o;
    int64_t id = 0;
    kz_status rc = conv_join_phone(c->st, c->cfg, c->peer, name, c->lang, c->in_id, c->now, &o,
                                   &id, c->err);
    if (rc == KZ_OK)
        rc = store_conv_worker_get(c->st, c->peer, &c->w, &c->is_worker, c->err);
    c->refund = true;
    if (rc != KZ_OK)
        return rc;
    if (o == CONV_JOIN_NEW) {
        char refund[40];
        conv_money(c, c->cfg->engine.sms_refund_minor, refund, sizeof refund);
        tmpl_var v[] = {{"name", name}, {"refund", refund}};
        bool offered = false;
        rc = welcome_task(c, v, 2, &offered);
        if (rc != KZ_OK || offered)
            return rc;
        return conv_say(c, "welcome", v, 2);
    }
    tmpl_var v[] = {{"name", *name ? name : old}};
    return conv_say(c, o == CONV_JOIN_BACK ? "welcome_back" : "already", v, 1);
}

static kz_status cmd_stop(conv_ctx *c)
{
    if (!c->is_worker) { /* a stranger: one reply, ever */
        int64_t all = 0, plain = 0;
        kz_status rc = store_conv_replies_since(c->st, c->peer, 0, &all, &plain, c->err);
        if (rc != KZ_OK || all > 0)
            return rc;
        c->exempt = true;
        return conv_say(c, "stop_stranger", NULL, 0);
    }
    if (strcmp(c->w.state, "stopped") == 0)
        return KZ_OK; /* already stopped: silence */
    int refs[64];
    size_t n = 0;
    kz_status rc = store_conv_open_refs(c->st, c->w.id, refs, 64, &n, c->err);
    for (size_t i = 0; rc == KZ_OK && i < n && i < 64; i++) {
        bool found;
        rc = engine_skip(c->st, c->w.id, refs[i], c->now, &found, c->err);
    }
    if (rc == KZ_OK)
        rc = store_conv_worker_state(c->st, c->w.id, "stopped", 0, c->now, c->err);
    if (rc == KZ_OK)
        rc = store_conv_consent(c->st, c->w.id, "stop", c->cfg->terms_version, c->in_id, c->now,
                                c->err);
    c->exempt = true;
    c->refund = true;
    return rc == KZ_OK ? conv_say(c, "stopped", NULL, 0) : rc;
}

/* ---- tasks ---- */

static kz_status cmd_next(conv_ctx *c)
{
    bool offered = false;
    kz_status rc = conv_offer_next(c, true, NULL, NULL, &offered);
    if (rc != KZ_OK || offered)
        return rc;
    tmpl_var v[] = {{"open", ""}};
    return conv_say_open(c, "no_task_open", "no_task_free", v, 1);
}

static kz_status cmd_skip(conv_ctx *c)
{
    int ref = 0;
    kz_status rc = which_ref(c, &ref);
    if (rc != KZ_OK || ref == 0)
        return rc;
    bool found = false;
    rc = engine_skip(c->st, c->w.id, ref, c->now, &found, c->err);
    if (rc != KZ_OK || !found)
        return rc == KZ_OK ? conv_say_ref(c, "not_open", ref) : rc;
    char prefix[64];
    char r[16];
    snprintf(r, sizeof r, "%d", ref);
    tmpl_var v[] = {{"ref", r}};
    rc = conv_word(c, "skipped_short", v, 1, prefix, sizeof prefix);
    bool offered = false;
    if (rc == KZ_OK)
        rc = conv_offer_next(c, false, prefix, NULL, &offered);
    if (rc != KZ_OK || offered)
        return rc;
    return conv_say(c, "skipped", v, 1);
}

static kz_status cmd_more(conv_ctx *c)
{
    int ref = 0;
    kz_status rc = which_ref(c, &ref);
    if (rc != KZ_OK || ref == 0)
        return rc;
    int64_t due = 0;
    bool found = false, allowed = false;
    rc = engine_more(c->st, &c->cfg->engine, c->w.id, ref, c->now, &due, &found, &allowed,
                     c->err);
    if (rc != KZ_OK)
        return rc;
    if (!found)
        return conv_say_ref(c, "not_open", ref);
    if (!allowed)
        return conv_say_ref(c, "more_limit", ref);
    char r[16], when[32];
    snprintf(r, sizeof r, "%d", ref);
    conv_local(c, due, CONV_TIME_HM, when, sizeof when);
    tmpl_var v[] = {{"ref", r}, {"due", when}};
    return conv_say(c, "more_ok", v, 2);
}

/* ---- the worker's time ---- */

static void clock_range(int from, int to, char *out, size_t cap)
{
    unsigned f = (unsigned)from % 1440u, t = (unsigned)to % 1441u;
    snprintf(out, cap, "%02u:%02u-%02u:%02u", f / 60, f % 60, (t / 60) % 24, t % 60);
}

static kz_status cmd_hours(conv_ctx *c)
{
    const conv_cmd *m = c->cmd;
    char window[32], hours[32];
    clock_range(c->cfg->engine.push_from_minute, c->cfg->engine.push_to_minute, window,
                sizeof window);
    if (m->args == CONV_ARGS_BAD)
        return conv_say(c, "hours_bad", NULL, 0);
    if (m->args == CONV_ARGS_MISSING) {
        if (c->w.hours_from >= 0)
            clock_range(c->w.hours_from, c->w.hours_to ? c->w.hours_to : 1440, hours,
                         sizeof hours);
        else if (conv_word(c, "hours_none", NULL, 0, hours, sizeof hours) != KZ_OK)
            hours[0] = '\0';
        tmpl_var v[] = {{"hours", hours}};
        return conv_say(c, "hours_show", v, 1);
    }
    int from = m->hours_from, to = m->hours_to < 0 ? -1 : m->hours_to % 1440;
    kz_status rc = store_conv_worker_hours(c->st, c->w.id, from, to, c->err);
    if (rc != KZ_OK)
        return rc;
    tmpl_var v[] = {{"hours", hours}, {"window", window}};
    if (from < 0)
        return conv_say(c, "hours_any", v + 1, 1);
    clock_range(m->hours_from, m->hours_to, hours, sizeof hours);
    return conv_say(c, "hours_set", v, 2);
}

static kz_status cmd_pause(conv_ctx *c)
{
    if (c->cmd->args != CONV_ARGS_OK)
        return conv_say(c, "pause_bad", NULL, 0);
    int64_t until = c->cmd->pause_hours ? c->now + (int64_t)c->cmd->pause_hours * 3600 : 0;
    kz_status rc = store_conv_worker_state(c->st, c->w.id, "paused", until, c->now, c->err);
    if (rc != KZ_OK || until == 0)
        return rc == KZ_OK ? conv_say(c, "paused", NULL, 0) : rc;
    char when[32];
    conv_local(c, until, CONV_TIME_DAY_HM, when, sizeof when);
    tmpl_var v[] = {{"until", when}};
    return conv_say(c, "paused_until", v, 1);
}

static kz_status cmd_resume(conv_ctx *c)
{
    if (strcmp(c->w.state, "stopped") == 0)
        return cmd_join(c);
    kz_status rc = store_conv_worker_state(c->st, c->w.id, "active", 0, c->now, c->err);
    return rc == KZ_OK ? conv_say(c, "resumed", NULL, 0) : rc;
}

static kz_status cmd_lang(conv_ctx *c)
{
    if (c->cmd->args != CONV_ARGS_OK || !tmpl_has_lang(c->cfg->templates, c->cmd->set_lang))
        return conv_say(c, "lang_bad", NULL, 0);
    snprintf(c->lang, sizeof c->lang, "%s", c->cmd->set_lang);
    if (!c->is_worker)
        return conv_say(c, "help_new", NULL, 0);
    kz_status rc = store_conv_worker_lang(c->st, c->w.id, c->lang, c->err);
    return rc == KZ_OK ? conv_say(c, "lang_set", NULL, 0) : rc;
}

/* ---- money ---- */

/*
 * Minor units in one whole unit of currency (100 for KES). Mobile money moves
 * whole units only, so a payout is rounded down and the cents stay in the
 * balance for the next one.
 */
static int64_t whole_unit(const char *currency)
{
    int64_t unit = 1;
    for (int i = money_exponent(currency); i > 0; i--)
        unit *= 10;
    return unit;
}

bool conv_cashout_fee(const conv_config *cfg, int64_t amount_minor, int64_t *fee_minor)
{
    for (size_t i = 0; i < cfg->nfees; i++) {
        const conv_fee_tier *t = &cfg->fees[i];
        if (amount_minor >= t->from_minor && amount_minor <= t->to_minor) {
            *fee_minor = t->fee_minor;
            return true;
        }
    }
    return false;
}

/* The agent's fee to withdraw amount, as text (the "fee_unknown" words outside the tiers). */
static void fee_text(conv_ctx *c, int64_t amount, char *out, size_t cap)
{
    int64_t fee = 0;
    if (conv_cashout_fee(c->cfg, amount, &fee))
        conv_money(c, fee, out, cap);
    else if (conv_word(c, "fee_unknown", NULL, 0, out, cap) != KZ_OK)
        out[0] = '\0';
}

kz_status conv_cash_get(kz_store *st, const conv_config *cfg, int64_t worker_id, int64_t now,
                        conv_cash *out, kz_err *err)
{
    engine_balance b;
    int64_t open = 0;
    memset(out, 0, sizeof *out);
    kz_status rc = engine_balance_at(st, worker_id, cfg->engine.currency, now, &b, err);
    if (rc == KZ_OK)
        rc = store_conv_payouts_open(st, worker_id, &open, &out->requested_minor, err);
    if (rc != KZ_OK)
        return rc;
    out->held_minor = b.held_minor;
    out->avail_minor = b.available_minor - open;
    if (out->avail_minor < 0)
        out->avail_minor = 0;
    return KZ_OK;
}

kz_status conv_pay_request(kz_store *st, const conv_config *cfg, int64_t worker_id,
                           const char *phone, int64_t want_minor, const char *idem_key,
                           int64_t now, conv_pay_outcome *o, int64_t *amount, conv_cash *cash,
                           kz_err *err)
{
    conv_cash k;
    *amount = 0;
    kz_status rc = conv_cash_get(st, cfg, worker_id, now, &k, err);
    if (cash)
        *cash = k;
    if (rc != KZ_OK)
        return rc;
    if (k.requested_minor > 0) {
        *o = CONV_PAY_PENDING;
        *amount = k.requested_minor;
        return KZ_OK;
    }
    int64_t want = want_minor ? want_minor : k.avail_minor;
    want -= want % whole_unit(cfg->engine.currency);
    *amount = want;
    if (want > k.avail_minor && k.avail_minor >= cfg->payout_min_minor)
        *o = CONV_PAY_MORE;
    else if (want < cfg->payout_min_minor || k.avail_minor < cfg->payout_min_minor)
        *o = CONV_PAY_LOW;
    else
        *o = CONV_PAY_OK;
    if (*o != CONV_PAY_OK || !idem_key)
        return KZ_OK;
    return store_conv_payout_request(st, worker_id, want, cfg->engine.currency, phone, idem_key,
                                     now, err);
}

static kz_status cmd_bal(conv_ctx *c)
{
    conv_cash k;
    kz_status rc = conv_cash_get(c->st, c->cfg, c->w.id, c->now, &k, c->err);
    if (rc != KZ_OK)
        return rc;
    char a[40], h[40], fee[40], min[40];
    conv_money(c, k.avail_minor, a, sizeof a);
    conv_money(c, k.held_minor, h, sizeof h);
    conv_money(c, c->cfg->payout_min_minor, min, sizeof min);
    fee_text(c, k.avail_minor, fee, sizeof fee);
    tmpl_var v[] = {{"avail", a}, {"held", h}, {"fee", fee},
                    {"provider", c->cfg->provider}, {"min", min}};
    if (k.held_minor > 0)
        return conv_say(c, "bal_held", v, 5);
    return conv_say(c, k.avail_minor < c->cfg->payout_min_minor ? "bal_low" : "bal", v, 5);
}

static kz_status cmd_pay(conv_ctx *c)
{
    const char *arg = c->cmd->text + c->cmd->arg_off;
    int64_t want = 0;
    if (*arg && money_parse(arg, strlen(arg), c->cfg->engine.currency, &want, NULL) != KZ_OK)
        return conv_say(c, "pay_bad", NULL, 0);
    char key[48];
    snprintf(key, sizeof key, "pay:msg:%" PRId64, c->in_id);
    conv_pay_outcome o;
    conv_cash k;
    int64_t got = 0;
    kz_status rc = conv_pay_request(c->st, c->cfg, c->w.id, c->peer, want, key, c->now, &o, &got,
                                    &k, c->err);
    if (rc != KZ_OK)
        return rc;
    char a[40], amount[40], min[40], fee[40];
    conv_money(c, k.avail_minor, a, sizeof a);
    conv_money(c, c->cfg->payout_min_minor, min, sizeof min);
    conv_money(c, got, amount, sizeof amount);
    tmpl_var v[] = {{"avail", a}, {"min", min}, {"amount", amount}, {"fee", fee}};
    switch (o) {
    case CONV_PAY_PENDING: return conv_say(c, "pay_pending", v + 2, 1);
    case CONV_PAY_MORE: return conv_say(c, "pay_more", v, 1);
    case CONV_PAY_LOW: return conv_say(c, "pay_low", v, 2);
    case CONV_PAY_OK: break;
    }
    fee_text(c, got, fee, sizeof fee);
    return conv_say(c, "pay_ok", v + 2, 2);
}

/* ---- requesters, questions, appeals ---- */

static kz_status cmd_who(conv_ctx *c)
{
    int ref = 0;
    kz_status rc = which_ref(c, &ref);
    if (rc != KZ_OK || ref == 0)
        return rc;
    int64_t task = 0;
    char requester[65], about[400], r[16];
    rc = store_conv_task_by_ref(c->st, c->w.id, ref, &task, requester, sizeof requester, about,
                                sizeof about, c->err);
    if (rc != KZ_OK || task == 0)
        return rc == KZ_OK ? conv_say_ref(c, "no_such_task", ref) : rc;
    snprintf(r, sizeof r, "%d", ref);
    tmpl_var v[] = {{"ref", r}, {"requester", requester}, {"about", about}};
    return conv_say(c, *about ? "who" : "who_none", v, 3);
}

static kz_status cmd_ask(conv_ctx *c)
{
    int ref = 0;
    kz_status rc = which_ref(c, &ref);
    if (rc != KZ_OK || ref == 0)
        return rc;
    int64_t task = 0;
    char requester[65], about[8];
    rc = store_conv_task_by_ref(c->st, c->w.id, ref, &task, requester, sizeof requester, about,
                                sizeof about, c->err);
    if (rc != KZ_OK || task == 0)
        return rc == KZ_OK ? conv_say_ref(c, "no_such_task", ref) : rc;
    rc = store_conv_ask(c->st, task, c->w.id, c->cmd->text + c->cmd->arg_off, c->now, c->err);
    return rc == KZ_OK ? conv_say_ref(c, "asked", ref) : rc;
}

static kz_status cmd_appeal(conv_ctx *c)
{
    int ref = c->cmd->ref;
    if (ref == 0) {
        tmpl_var v[] = {{"cmd", cmd_word(c, CONV_APPEAL)}};
        return conv_say(c, "which_task", v, 1);
    }
    int64_t id = 0;
    kz_err why;
    kz_status rc = engine_appeal_open(c->st, c->w.id, ref, c->cmd->text + c->cmd->arg_off,
                                      c->now, &id, &why);
    if (rc == KZ_ERR_STATE || rc == KZ_ERR_NOTFOUND) {
        char r[16], days[16];
        snprintf(r, sizeof r, "%d", ref);
        snprintf(days, sizeof days, "%d", ENGINE_APPEAL_DAYS);
        tmpl_var v[] = {{"ref", r}, {"days", days}};
        return conv_say(c, "appeal_not_rejected", v, 2);
    }
    if (rc != KZ_OK) {
        if (c->err)
            *c->err = why;
        return rc;
    }
    return conv_say_ref(c, "appealed", ref);
}

/* ---- routing ---- */

/* Commands a worker who left may still use: their money, record and the way back. */
static bool allowed_when_stopped(conv_kind k)
{
    return k == CONV_JOIN || k == CONV_RESUME || k == CONV_STOP || k == CONV_BAL ||
           k == CONV_PAY || k == CONV_HIST || k == CONV_CERT || k == CONV_CHECK ||
           k == CONV_HELP || k == CONV_LANG || k == CONV_APPEAL || k == CONV_WHO ||
           k == CONV_UNKNOWN || k == CONV_EMPTY;
}

/* Commands anyone may send without joining. */
static bool allowed_for_stranger(conv_kind k)
{
    return k == CONV_JOIN || k == CONV_STOP || k == CONV_HELP || k == CONV_CHECK ||
           k == CONV_LANG || k == CONV_UNKNOWN || k == CONV_EMPTY;
}

static kz_status route(conv_ctx *c)
{
    switch (c->cmd->kind) {
    case CONV_STOP: return cmd_stop(c);
    case CONV_JOIN: return cmd_join(c);
    case CONV_ANSWER: return conv_cmd_answer(c);
    case CONV_NEXT: return cmd_next(c);
    case CONV_SKIP: return cmd_skip(c);
    case CONV_MORE: return cmd_more(c);
    case CONV_HOURS: return cmd_hours(c);
    case CONV_PAUSE: return cmd_pause(c);
    case CONV_RESUME: return cmd_resume(c);
    case CONV_BAL: return cmd_bal(c);
    case CONV_PAY: return cmd_pay(c);
    case CONV_WHO: return cmd_who(c);
    case CONV_ASK: return cmd_ask(c);
    case CONV_APPEAL: return cmd_appeal(c);
    case CONV_HIST: return conv_hist(c);
    case CONV_CERT: return conv_cert(c);
    case CONV_CHECK: return conv_check(c);
    case CONV_LANG: return cmd_lang(c);
    case CONV_HELP: return conv_say(c, c->is_worker ? "help" : "help_new", NULL, 0);
    case CONV_UNKNOWN: return conv_cmd_unknown(c);
    case CONV_EMPTY:
    case CONV__COUNT: break;
    }
    c->ignored = true;
    return KZ_OK;
}

kz_status conv_dispatch(conv_ctx *c)
{
    conv_kind k = c->cmd->kind;
    if (k != CONV_UNKNOWN && k != CONV_EMPTY && k != CONV_ANSWER && k != CONV_CHECK)
        c->refund = true;
    if (!c->is_worker && !allowed_for_stranger(k))
        return conv_say(c, "join_first", NULL, 0);
    if (c->is_worker && strcmp(c->w.state, "stopped") == 0 && !allowed_when_stopped(k))
        return conv_say(c, "stopped_cmd", NULL, 0);
    return route(c);
}
