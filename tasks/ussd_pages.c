/*
 * ussd_pages.c - the screens of the worker's USSD menu (ussd_menu.h): one
 * handler per screen and input, the words from the ussd_* templates, every
 * rule from the conversation and the engine (conv.h, engine.h).
 * Owns: which screen follows which input, and the numbers of the menu
 * items. Never words a message itself, never decides a rule of the SMS
 * commands, never touches the session's replay (tasks/ussd_menu.c does).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conv_offer.h"
#include "money.h"
#include "ussd_internal.h"

/* Task screen inputs beside the answer itself. */
#define IN_BACK 0
#define IN_SKIP 99

/* ---- words ---- */

void ussd_pick_lang(menu *m)
{
    const tmpl_set *t = m->cfg->templates;
    const char *l = m->cfg->default_lang;
    if (m->is_worker && tmpl_has_lang(t, m->w.lang))
        l = m->w.lang;
    else if (m->s.lang[0] && tmpl_has_lang(t, m->s.lang))
        l = m->s.lang;
    snprintf(m->lang, sizeof m->lang, "%s", l);
}

/* key rendered in the session's language into out ("" if it fails: the key is in the registry). */
static void word(const menu *m, const char *key, const tmpl_var *v, size_t n, char *out,
                 size_t cap)
{
    if (tmpl_render(m->cfg->templates, m->lang, key, v, n, out, cap, NULL, NULL) != KZ_OK)
        out[0] = '\0';
}

static void add_word(const menu *m, ussd_screen *sc, const char *key, const tmpl_var *v,
                     size_t n)
{
    char buf[USSD_LINE_CAP];
    word(m, key, v, n, buf, sizeof buf);
    ussd_screen_add(sc, buf);
}

static void add_item(const menu *m, ussd_screen *sc, int num, const char *key)
{
    char label[128], n[8];
    word(m, key, NULL, 0, label, sizeof label);
    snprintf(n, sizeof n, "%d", num);
    ussd_screen_item(sc, n, label);
}

static void money(const menu *m, int64_t minor, char *out, size_t cap)
{
    money_format(out, cap, minor, m->cfg->engine.currency, 1);
}

/* The agent fee for amount as words ("fee_unknown" outside the tiers). */
static void fee_words(const menu *m, int64_t amount, char *out, size_t cap)
{
    int64_t fee = 0;
    if (conv_cashout_fee(m->cfg, amount, &fee))
        money(m, fee, out, cap);
    else
        word(m, "fee_unknown", NULL, 0, out, cap);
}

/* ---- showing a screen ---- */

/*
 * Make sc (fitted) the session's screen `screen`. A note (an error line in
 * front, may be NULL) is shown this once: the screen kept for later has none.
 */
static void show(menu *m, const char *screen, ussd_screen *sc, const char *note)
{
    ussd_screen_fit(sc);
    snprintf(m->s.screen, sizeof m->s.screen, "%s", screen);
    ussd_screen_join(sc, 0, NULL, m->s.screen_text, sizeof m->s.screen_text);
    if (note) { /* the note in front; the kept screen gives way if needed */
        ussd_screen full;
        ussd_screen_init(&full);
        ussd_screen_add(&full, note);
        ussd_screen_lines(&full, m->s.screen_text);
        ussd_screen_fit(&full);
        ussd_screen_join(&full, 0, "CON ", m->s.reply, sizeof m->s.reply);
    } else {
        ussd_screen_join(sc, 0, "CON ", m->s.reply, sizeof m->s.reply);
    }
    m->fresh = true;
}

/* The current screen again with a short note on top (wrong input). */
static void show_again(menu *m, const char *note_key, const tmpl_var *v, size_t n)
{
    char note[256];
    word(m, note_key, v, n, note, sizeof note);
    ussd_screen sc;
    ussd_screen_init(&sc);
    ussd_screen_add(&sc, note);
    ussd_screen_lines(&sc, m->s.screen_text);
    ussd_screen_fit(&sc);
    ussd_screen_join(&sc, 0, "CON ", m->s.reply, sizeof m->s.reply);
    m->fresh = true;
}

/* One message and a "0 Menu" (or "0 Back") line. */
static void show_info(menu *m, const char *key, const tmpl_var *v, size_t n, const char *zero)
{
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, key, v, n);
    add_item(m, &sc, 0, zero);
    show(m, S_INFO, &sc, NULL);
}

/* One message, "1 Next task" and "0 Menu". */
static void show_after(menu *m, const char *key, const tmpl_var *v, size_t n)
{
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, key, v, n);
    add_item(m, &sc, 1, "ussd_next");
    add_item(m, &sc, 0, "ussd_menu");
    show(m, S_AFTER, &sc, NULL);
}

void ussd_show_main(menu *m, const char *note_key)
{
    char note[256];
    if (note_key)
        word(m, note_key, NULL, 0, note, sizeof note);
    ussd_screen sc;
    ussd_screen_init(&sc);
    m->s.assignment_id = 0;
    if (!m->is_worker) {
        add_word(m, &sc, "ussd_title_new", NULL, 0);
        add_item(m, &sc, 1, "ussd_join_item");
        add_item(m, &sc, 2, "ussd_help_item");
        add_item(m, &sc, 3, "ussd_lang_item");
        show(m, S_MAIN, &sc, note_key ? note : NULL);
        return;
    }
    bool stopped = strcmp(m->w.state, "stopped") == 0;
    add_word(m, &sc, "ussd_title", NULL, 0);
    add_item(m, &sc, 1, stopped ? "ussd_rejoin_item" : "ussd_next");
    add_item(m, &sc, 2, "ussd_bal_item");
    add_item(m, &sc, 3, "ussd_pay_item");
    add_item(m, &sc, 4, "ussd_record_item");
    add_item(m, &sc, 5, "ussd_help_item");
    add_item(m, &sc, 6, "ussd_lang_item");
    show(m, S_MAIN, &sc, note_key ? note : NULL);
}

/* ---- the task screen ---- */

/* The task lines of o with question and choices as given, the note on top if any. */
static void task_lines(const menu *m, const engine_offer *o, const char *note,
                       const char *question, const char *choices, ussd_screen *sc)
{
    char ref[16], est[32], pay[40], nav[160], skip[64], back[64];
    snprintf(ref, sizeof ref, "%d", o->ref);
    conv_offer_est(m->cfg->templates, m->lang, o->est_seconds, est, sizeof est);
    money_format(pay, sizeof pay, o->reward_minor, o->currency, 1);
    ussd_screen_init(sc);
    if (note && *note)
        ussd_screen_add(sc, note);
    tmpl_var v[] = {{"ref", ref}, {"requester", o->requester}, {"question", question},
                    {"est", est}, {"pay", pay}};
    add_word(m, sc, "ussd_task", v, 5);
    if (strcmp(o->type, "transcribe") == 0) {
        add_word(m, sc, "ussd_type_answer", NULL, 0);
    } else {
        tmpl_var c[] = {{"choices", choices}};
        add_word(m, sc, "ussd_choices", c, 1);
    }
    word(m, "ussd_skip", NULL, 0, skip, sizeof skip);
    word(m, "ussd_back", NULL, 0, back, sizeof back);
    snprintf(nav, sizeof nav, "%d %s %d %s", IN_SKIP, skip, IN_BACK, back);
    ussd_screen_add(sc, nav);
}

/* The placeholders' own longest values (templates.c): text never reaches them uncut by us. */
#define QUESTION_MAX 182
/* What the question and the choices keep before the other one gives way further. */
#define PART_FLOOR 40

/* Characters text renders to in a placeholder of QUESTION_MAX. */
static size_t shown_chars(const char *text)
{
    size_t n = ussd_chars(text);
    return n < QUESTION_MAX ? n : QUESTION_MAX;
}

/*
 * Shorten part (from its full text) by the screen's overflow, but not below
 * floor characters. True if it changed.
 */
static bool give_way(const char *full, char *part, size_t cap, size_t over, size_t floor)
{
    size_t have = shown_chars(part);
    if (over == 0 || have <= floor)
        return false;
    size_t want = have > over + floor ? have - over : floor;
    ussd_shorten(full, want, part, cap);
    return true;
}

/*
 * Show offer o: the question gives way first (whole words and "..."), then
 * the choices, each down to PART_FLOOR characters, then both further, then
 * the longest line; the pay, the time and the numbers always stay.
 */
static void show_task(menu *m, const engine_offer *o, const char *note)
{
    char q[sizeof o->prompt], c[1024], choices[1024];
    const char *prompt = o->prompt;
    while (*prompt == ' ' || *prompt == '\t')
        prompt++;
    bool text = strcmp(o->type, "transcribe") == 0;
    conv_offer_options(o->options, choices, sizeof choices);
    ussd_shorten(prompt, QUESTION_MAX, q, sizeof q);
    ussd_shorten(choices, QUESTION_MAX, c, sizeof c);
    ussd_screen sc;
    task_lines(m, o, note, q, c, &sc);
    static const size_t floors[] = {PART_FLOOR, PART_FLOOR, 0, 0};
    for (size_t i = 0; i < 4 && ussd_screen_chars(&sc) > USSD_SCREEN_CHARS; i++) {
        size_t over = ussd_screen_chars(&sc) - USSD_SCREEN_CHARS;
        bool changed = i % 2 == 0 ? give_way(prompt, q, sizeof q, over, floors[i])
                                  : !text && give_way(choices, c, sizeof c, over, floors[i]);
        if (changed)
            task_lines(m, o, note, q, c, &sc);
    }
    ussd_screen_fit(&sc);
    m->s.assignment_id = o->assignment_id;
    snprintf(m->s.screen, sizeof m->s.screen, "%s", S_TASK);
    ussd_screen_join(&sc, 0, "CON ", m->s.reply, sizeof m->s.reply);
    /* kept without the note: the note is for this answer only */
    task_lines(m, o, NULL, q, c, &sc);
    ussd_screen_fit(&sc);
    ussd_screen_join(&sc, 0, NULL, m->s.screen_text, sizeof m->s.screen_text);
    m->fresh = true;
}

/* Show the offer of assignment_id (as an answer's note says, if any). */
static kz_status show_assignment(menu *m, int64_t assignment_id, const char *note)
{
    engine_offer o;
    bool open = false, found = false;
    kz_status rc = store_ussd_offer(m->st, assignment_id, &o, &open, &found, m->err);
    if (rc != KZ_OK)
        return rc;
    if (!found) {
        ussd_show_main(m, NULL);
        return KZ_OK;
    }
    show_task(m, &o, note);
    return KZ_OK;
}

/* 1 Next task: the worker's oldest open offer first, else a new one from the engine (as NEXT). */
static kz_status next_task(menu *m)
{
    int64_t id = 0;
    kz_status rc = store_ussd_oldest_open(m->st, m->w.id, &id, m->err);
    if (rc != KZ_OK)
        return rc;
    if (id)
        return show_assignment(m, id, NULL);
    engine_offer o;
    bool found = false;
    rc = engine_offer_next(m->st, &m->cfg->engine, m->w.id, m->rq->now, true, &o, &found,
                           m->err);
    if (rc != KZ_OK)
        return rc;
    if (!found) {
        show_info(m, "ussd_no_task", NULL, 0, "ussd_menu");
        return KZ_OK;
    }
    show_task(m, &o, NULL);
    return KZ_OK;
}

/* The outcome of an answer, or of a skip. */
static kz_status answered(menu *m, const engine_offer *o, const engine_answer_result *r)
{
    char ref[16], n[16], earned[40] = "", value[64] = "", note[256];
    snprintf(ref, sizeof ref, "%d", o->ref);
    snprintf(n, sizeof n, "%d", r->n_options);
    tmpl_var v[] = {{"ref", ref}, {"answer", value}, {"earned", earned}};
    switch (r->status) {
    case ENGINE_ANSWER_OK:
        money_format(earned, sizeof earned, r->earned_minor, r->currency, 1);
        ussd_shorten(r->value, 20, value, sizeof value);
        show_after(m, "ussd_answered", v, 3);
        return KZ_OK;
    case ENGINE_ANSWER_LATE: show_after(m, "ussd_late", v, 1); return KZ_OK;
    case ENGINE_ANSWER_TWICE: show_after(m, "ussd_twice", v, 1); return KZ_OK;
    case ENGINE_ANSWER_BAD_OPTION:
        if (strcmp(o->type, "transcribe") == 0) {
            word(m, "ussd_need_text", NULL, 0, note, sizeof note);
        } else {
            tmpl_var b[] = {{"n", n}};
            word(m, "ussd_bad_option", b, 1, note, sizeof note);
        }
        show_task(m, o, note);
        return KZ_OK;
    case ENGINE_ANSWER_NO_TASK:
    case ENGINE_ANSWER_AMBIGUOUS: break;
    }
    show_after(m, "ussd_gone", v, 1);
    return KZ_OK;
}

/* A number typed on a menu: 0-999, or -1 for anything else. */
static int choice(const char *in, size_t len)
{
    if (len == 0 || len > 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] < '0' || in[i] > '9')
            return -1;
        v = v * 10 + (in[i] - '0');
    }
    return v;
}

static kz_status on_task(menu *m, const char *in, size_t len)
{
    engine_offer o;
    bool open = false, found = false;
    kz_status rc = store_ussd_offer(m->st, m->s.assignment_id, &o, &open, &found, m->err);
    if (rc != KZ_OK || !found) {
        if (rc == KZ_OK)
            ussd_show_main(m, NULL);
        return rc;
    }
    int k = choice(in, len);
    if (k == IN_BACK) {
        ussd_show_main(m, NULL);
        return KZ_OK;
    }
    char ref[16];
    snprintf(ref, sizeof ref, "%d", o.ref);
    tmpl_var v[] = {{"ref", ref}};
    if (k == IN_SKIP) {
        bool skipped = false;
        rc = engine_skip(m->st, m->w.id, o.ref, m->rq->now, &skipped, m->err);
        if (rc == KZ_OK)
            show_after(m, skipped ? "ussd_skipped" : "ussd_gone", v, 1);
        return rc;
    }
    char text[CONV_TEXT_CAP];
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), in);
    engine_answer_result r;
    /* segments 0: a USSD answer earns its reward, never an SMS refund */
    rc = engine_answer(m->st, &m->cfg->engine, m->w.id, o.ref, text, m->msg_id, 0, m->rq->now,
                       &r, m->err);
    return rc == KZ_OK ? answered(m, &o, &r) : rc;
}

/* ---- money ---- */

static void show_bal(menu *m, const conv_cash *k)
{
    char a[40], h[40], fee[40], min[40];
    money(m, k->avail_minor, a, sizeof a);
    money(m, k->held_minor, h, sizeof h);
    money(m, m->cfg->payout_min_minor, min, sizeof min);
    fee_words(m, k->avail_minor, fee, sizeof fee);
    tmpl_var v[] = {{"avail", a}, {"held", h}, {"fee", fee}, {"provider", m->cfg->provider},
                    {"min", min}};
    bool can = k->avail_minor >= m->cfg->payout_min_minor && k->requested_minor == 0;
    const char *key = k->held_minor > 0 ? "ussd_bal_held" : can ? "ussd_bal" : "ussd_bal_low";
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, key, v, 5);
    if (can)
        add_item(m, &sc, 1, "ussd_pay_item");
    add_item(m, &sc, 0, "ussd_menu");
    show(m, can ? S_BAL : S_INFO, &sc, NULL);
}

/* What a cash-out came to: confirm (check only), or requested. */
static void show_pay(menu *m, conv_pay_outcome o, int64_t amount, const conv_cash *k,
                     bool requested)
{
    char a[40], am[40], min[40], fee[40];
    money(m, k->avail_minor, a, sizeof a);
    money(m, amount, am, sizeof am);
    money(m, m->cfg->payout_min_minor, min, sizeof min);
    fee_words(m, amount, fee, sizeof fee);
    tmpl_var v[] = {{"avail", a}, {"min", min}, {"amount", am}, {"fee", fee},
                    {"provider", m->cfg->provider}};
    switch (o) {
    case CONV_PAY_PENDING: show_info(m, "ussd_pay_pending", v, 5, "ussd_menu"); return;
    case CONV_PAY_LOW: show_info(m, "ussd_pay_low", v, 5, "ussd_menu"); return;
    case CONV_PAY_MORE: show_info(m, "ussd_pay_changed", v, 5, "ussd_menu"); return;
    case CONV_PAY_OK: break;
    }
    if (requested) {
        show_info(m, "ussd_pay_ok", v, 5, "ussd_menu");
        return;
    }
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, "ussd_pay_confirm", v, 5);
    add_item(m, &sc, 1, "ussd_yes");
    add_item(m, &sc, 0, "ussd_no");
    m->s.amount_minor = amount;
    show(m, S_PAY, &sc, NULL);
}

/* 3 Cash out: PAY's rules checked, the amount and fee shown to confirm. */
static kz_status cash_out(menu *m)
{
    conv_pay_outcome o;
    conv_cash k;
    int64_t amount = 0;
    kz_status rc = conv_pay_request(m->st, m->cfg, m->w.id, m->rq->phone, 0, NULL, m->rq->now,
                                    &o, &amount, &k, m->err);
    if (rc == KZ_OK)
        show_pay(m, o, amount, &k, false);
    return rc;
}

/* 1 Yes on the confirmation: the payout requested as PAY requests it. */
static kz_status cash_out_confirmed(menu *m)
{
    char key[64];
    snprintf(key, sizeof key, "pay:ussd:%" PRId64, m->msg_id);
    conv_pay_outcome o;
    conv_cash k;
    int64_t amount = 0;
    kz_status rc = conv_pay_request(m->st, m->cfg, m->w.id, m->rq->phone, m->s.amount_minor, key,
                                    m->rq->now, &o, &amount, &k, m->err);
    if (rc != KZ_OK)
        return rc;
    m->payout = o == CONV_PAY_OK;
    show_pay(m, o, amount, &k, true);
    return KZ_OK;
}

static kz_status balance(menu *m)
{
    conv_cash k;
    kz_status rc = conv_cash_get(m->st, m->cfg, m->w.id, m->rq->now, &k, m->err);
    if (rc == KZ_OK)
        show_bal(m, &k);
    return rc;
}

/* ---- the work record ---- */

static kz_status record(menu *m)
{
    conv_record r;
    kz_status rc = conv_record_get(m->st, m->cfg, m->w.id, m->rq->now, &r, m->err);
    if (rc != KZ_OK)
        return rc;
    char d[24], e[40], ag[24], ch[24], pct[8];
    snprintf(d, sizeof d, "%" PRId64, r.done);
    money(m, r.earned_minor, e, sizeof e);
    snprintf(ag, sizeof ag, "%" PRId64, r.agreed);
    snprintf(ch, sizeof ch, "%" PRId64, r.checked);
    snprintf(pct, sizeof pct, "%d", r.checked ? (int)(r.agreed * 100 / r.checked) : 0);
    tmpl_var v[] = {{"done", d}, {"earned", e}, {"agreed", ag}, {"compared", ch}, {"pct", pct}};
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, r.feedback ? "ussd_hist" : "ussd_hist_new", v, 5);
    add_item(m, &sc, 1, "ussd_cert_item");
    add_item(m, &sc, 0, "ussd_menu");
    show(m, S_RECORD, &sc, NULL);
    return KZ_OK;
}

static kz_status certificate(menu *m)
{
    char code[17], d[24];
    int64_t done = 0;
    kz_status rc = conv_cert_issue(m->st, m->w.id, m->w.name, m->rq->now, code, &done, m->err);
    if (rc != KZ_OK)
        return rc;
    snprintf(d, sizeof d, "%" PRId64, done);
    tmpl_var v[] = {{"code", code}, {"done", d}};
    if (done == 0)
        show_info(m, "ussd_cert_none", NULL, 0, "ussd_menu");
    else
        show_info(m, "ussd_cert", v, 2, "ussd_menu");
    return KZ_OK;
}

/* ---- languages, joining ---- */

/* The loaded languages in a fixed order (by code): *n of them into codes. */
static void lang_list(const menu *m, const char *codes[TMPL_MAX_LANGS], size_t *n)
{
    const tmpl_set *t = m->cfg->templates;
    *n = 0;
    for (size_t i = 0; i < tmpl_lang_count(t) && *n < TMPL_MAX_LANGS; i++) {
        const char *c = tmpl_lang_code(t, i);
        size_t at = *n;
        while (at > 0 && strcmp(codes[at - 1], c) > 0) {
            codes[at] = codes[at - 1];
            at--;
        }
        codes[at] = c;
        (*n)++;
    }
}

static void show_langs(menu *m)
{
    const char *codes[TMPL_MAX_LANGS];
    size_t n = 0;
    lang_list(m, codes, &n);
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, "ussd_lang_title", NULL, 0);
    for (size_t i = 0; i < n; i++) {
        char name[64], num[24];
        if (tmpl_render(m->cfg->templates, codes[i], "ussd_lang_name", NULL, 0, name,
                        sizeof name, NULL, NULL) != KZ_OK)
            snprintf(name, sizeof name, "%s", codes[i]);
        snprintf(num, sizeof num, "%zu", i + 1);
        ussd_screen_item(&sc, num, name);
    }
    add_item(m, &sc, 0, "ussd_back");
    show(m, S_LANG, &sc, NULL);
}

static kz_status on_lang(menu *m, int k)
{
    const char *codes[TMPL_MAX_LANGS];
    size_t n = 0;
    lang_list(m, codes, &n);
    if (k < 1 || (size_t)k > n) {
        show_again(m, "ussd_bad_choice", NULL, 0);
        return KZ_OK;
    }
    const char *code = codes[k - 1];
    if (m->is_worker) {
        kz_status rc = store_conv_worker_lang(m->st, m->w.id, code, m->err);
        if (rc != KZ_OK)
            return rc;
        snprintf(m->w.lang, sizeof m->w.lang, "%s", code);
    }
    snprintf(m->s.lang, sizeof m->s.lang, "%s", code);
    ussd_pick_lang(m);
    ussd_show_main(m, "ussd_lang_set");
    return KZ_OK;
}

static void show_terms(menu *m)
{
    tmpl_var v[] = {{"provider", m->cfg->provider}};
    ussd_screen sc;
    ussd_screen_init(&sc);
    add_word(m, &sc, "ussd_terms", v, 1);
    add_item(m, &sc, 1, "ussd_agree");
    add_item(m, &sc, 0, "ussd_back");
    show(m, S_TERMS, &sc, NULL);
}

/* 1 I agree: JOIN exactly as the SMS JOIN does it (consent with the terms version). */
static kz_status join(menu *m)
{
    conv_join_outcome o;
    int64_t id = 0;
    kz_status rc = conv_join_phone(m->st, m->cfg, m->rq->phone, "", m->lang, m->msg_id,
                                   m->rq->now, &o, &id, m->err);
    if (rc == KZ_OK)
        rc = store_ussd_message_worker(m->st, m->msg_id, id, m->err);
    if (rc == KZ_OK)
        rc = store_conv_worker_get(m->st, m->rq->phone, &m->w, &m->is_worker, m->err);
    if (rc != KZ_OK)
        return rc;
    m->s.worker_id = m->w.id;
    ussd_pick_lang(m);
    char name[64];
    ussd_shorten(m->w.name, 20, name, sizeof name);
    tmpl_var v[] = {{"name", name}};
    if (o == CONV_JOIN_ALREADY)
        ussd_show_main(m, NULL);
    else
        show_after(m, o == CONV_JOIN_BACK ? "ussd_welcome_back" : "ussd_welcome", v, 1);
    return KZ_OK;
}

/* ---- the menus ---- */

static kz_status on_main(menu *m, int k)
{
    if (!m->is_worker) {
        switch (k) {
        case 1: show_terms(m); return KZ_OK;
        case 2: show_info(m, "ussd_help_new", NULL, 0, "ussd_back"); return KZ_OK;
        case 3: show_langs(m); return KZ_OK;
        default: show_again(m, "ussd_bad_choice", NULL, 0); return KZ_OK;
        }
    }
    bool stopped = strcmp(m->w.state, "stopped") == 0;
    switch (k) {
    case 1:
        if (stopped) {
            show_terms(m);
            return KZ_OK;
        }
        return next_task(m);
    case 2: return balance(m);
    case 3: return cash_out(m);
    case 4: return record(m);
    case 5: show_info(m, "ussd_help", NULL, 0, "ussd_menu"); return KZ_OK;
    case 6: show_langs(m); return KZ_OK;
    default: show_again(m, "ussd_bad_choice", NULL, 0); return KZ_OK;
    }
}

/* Screens with "1 something" and "0 Menu/Back". A stranger's only such screen is the terms. */
static kz_status on_one(menu *m, int k)
{
    const char *sc = m->s.screen;
    bool worker = m->is_worker && strcmp(m->w.state, "stopped") != 0;
    bool member = m->is_worker; /* a stopped worker keeps money and record */
    if (k == 1 && strcmp(sc, S_TERMS) == 0)
        return join(m);
    if (k == 1 && strcmp(sc, S_AFTER) == 0 && worker)
        return next_task(m);
    if (k == 1 && strcmp(sc, S_BAL) == 0 && member)
        return cash_out(m);
    if (k == 1 && strcmp(sc, S_PAY) == 0 && member)
        return cash_out_confirmed(m);
    if (k == 1 && strcmp(sc, S_RECORD) == 0 && member)
        return certificate(m);
    if (k == 0)
        ussd_show_main(m, NULL);
    else
        show_again(m, "ussd_bad_choice", NULL, 0);
    return KZ_OK;
}

kz_status ussd_on_input(menu *m, const char *in, size_t len)
{
    const char *sc = m->s.screen;
    int k = choice(in, len);
    if (strcmp(sc, S_TASK) == 0 && m->is_worker)
        return on_task(m, in, len);
    if (strcmp(sc, S_MAIN) == 0)
        return on_main(m, k);
    if (strcmp(sc, S_LANG) == 0 && k != 0)
        return on_lang(m, k);
    if (strcmp(sc, S_LANG) == 0 || strcmp(sc, S_TASK) == 0) {
        ussd_show_main(m, NULL);
        return KZ_OK;
    }
    return on_one(m, k);
}

bool ussd_guarded(const char *screen)
{
    return strcmp(screen, S_TASK) == 0 || strcmp(screen, S_PAY) == 0 ||
           strcmp(screen, S_TERMS) == 0;
}

