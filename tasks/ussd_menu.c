/*
 * ussd_menu.c - one USSD callback (see ussd_menu.h): the transaction, the
 * session found or begun, retries, stale and contradicting callbacks, the
 * idle timeout, and the replay of new inputs one at a time through the
 * screens (tasks/ussd_pages.c), each recorded as a message first.
 * Owns: the rule that an input is acted on once, and only on a screen the
 * worker has seen when it has an effect. Never words a screen (the pages
 * and templates do), never logs.
 */
#include "ussd_menu.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ussd_internal.h"

/* ---- the session ---- */

/* inputs 0..n-1 of rq joined by '*' into out; false if they do not fit. */
static bool joined(const ussd_menu_request *rq, size_t n, char *out, size_t cap)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + pos, cap - pos, "%s%.*s", i ? "*" : "", (int)rq->input_len[i],
                         rq->input[i]);
        if (w < 0 || (size_t)w >= cap - pos)
            return false;
        pos += (size_t)w;
    }
    return true;
}

static void dedupe_key(const menu *m, size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "ussd:%s:%" PRId64 ":%zu", m->s.session_id, m->s.created_at, i);
}

/* Record input i (1-based; 0 is the dial) as a message; m->msg_id receives it. */
static kz_status record_input(menu *m, size_t i, const char *body, const char *state)
{
    char key[128];
    bool dup = false;
    dedupe_key(m, i, key, sizeof key);
    return store_ussd_message(m->st, m->rq->phone, m->is_worker ? m->w.id : 0, body, state, key,
                              m->rq->now, &m->msg_id, &dup, m->err);
}

/* Act on the inputs the session has not consumed yet, one at a time. */
static kz_status replay(menu *m, ussd_menu_reply *out)
{
    const ussd_menu_request *rq = m->rq;
    kz_status rc = KZ_OK;
    for (size_t i = (size_t)m->s.inputs; rc == KZ_OK && i < rq->ninputs; i++) {
        char body[USSD_LINE_CAP];
        snprintf(body, sizeof body, "%.*s", (int)rq->input_len[i], rq->input[i]);
        bool act = strcmp(m->s.state, "open") == 0 && !(m->fresh && ussd_guarded(m->s.screen));
        rc = record_input(m, i + 1, body, act ? "handled" : "ignored");
        if (rc == KZ_OK && act) {
            rc = ussd_on_input(m, rq->input[i], rq->input_len[i]);
            out->acted++;
        }
    }
    if (rc != KZ_OK)
        return rc;
    m->s.inputs = (int64_t)rq->ninputs;
    if (!joined(rq, rq->ninputs, m->s.consumed, sizeof m->s.consumed))
        m->s.consumed[0] = '\0';
    return KZ_OK;
}

/* An END screen of key into out without touching any session. */
static void end_reply(const conv_config *cfg, const char *lang, const char *key,
                      ussd_menu_reply *out)
{
    char msg[512];
    if (tmpl_render(cfg->templates, lang, key, NULL, 0, msg, sizeof msg, NULL, NULL) != KZ_OK)
        msg[0] = '\0';
    ussd_screen sc;
    ussd_screen_init(&sc);
    ussd_screen_add(&sc, msg);
    ussd_screen_fit(&sc);
    ussd_screen_join(&sc, 0, "END ", out->text, sizeof out->text);
    out->end = true;
}

/* A new session: the dial recorded, the menu shown. */
static kz_status begin(menu *m)
{
    const ussd_menu_request *rq = m->rq;
    store_ussd_session *s = &m->s;
    memset(s, 0, sizeof *s);
    snprintf(s->session_id, sizeof s->session_id, "%s", rq->session_id);
    snprintf(s->phone, sizeof s->phone, "%s", rq->phone);
    snprintf(s->service_code, sizeof s->service_code, "%s", rq->service_code);
    snprintf(s->state, sizeof s->state, "open");
    s->worker_id = m->is_worker ? m->w.id : 0;
    s->created_at = s->last_seen_at = rq->now;
    ussd_pick_lang(m);
    kz_status rc = record_input(m, 0, rq->service_code, "handled");
    if (rc == KZ_OK)
        ussd_show_main(m, NULL);
    return rc;
}

/* An existing session: retries, timeouts and contradictions before new input. */
static kz_status resume(menu *m, ussd_menu_reply *out, bool *done)
{
    const ussd_menu_request *rq = m->rq;
    store_ussd_session *s = &m->s;
    char text[STORE_USSD_TEXT_CAP];
    *done = true;
    ussd_pick_lang(m);
    if (strcmp(s->phone, rq->phone) != 0) {
        out->outcome = USSD_REFUSED;
        end_reply(m->cfg, m->lang, "ussd_refused", out);
        return KZ_OK;
    }
    if (strcmp(s->state, "open") != 0) {
        out->outcome = USSD_REPEAT;
        return KZ_OK;
    }
    if (rq->now - s->last_seen_at > m->timeout_s) {
        out->outcome = USSD_TIMED_OUT;
        end_reply(m->cfg, m->lang, "ussd_timeout", out);
        snprintf(s->reply, sizeof s->reply, "%s", out->text);
        snprintf(s->screen, sizeof s->screen, "%s", S_END);
        snprintf(s->state, sizeof s->state, "expired");
        s->last_seen_at = rq->now;
        return store_ussd_put(m->st, s, m->err);
    }
    size_t have = (size_t)s->inputs;
    if (rq->ninputs < have || !joined(rq, have, text, sizeof text) ||
        strcmp(text, s->consumed) != 0) {
        out->outcome = rq->ninputs < have ? USSD_REPEAT : USSD_REFUSED;
        if (out->outcome == USSD_REFUSED)
            end_reply(m->cfg, m->lang, "ussd_refused", out);
        return KZ_OK;
    }
    if (rq->ninputs == have) {
        out->outcome = USSD_REPEAT;
        return KZ_OK;
    }
    *done = false;
    return KZ_OK;
}

static kz_status handle_tx(menu *m, ussd_menu_reply *out)
{
    const ussd_menu_request *rq = m->rq;
    bool found = false, done = false;
    kz_status rc = store_ussd_prune(m->st, rq->now - USSD_PRUNE_SECONDS, NULL, m->err);
    if (rc == KZ_OK)
        rc = store_conv_worker_get(m->st, rq->phone, &m->w, &m->is_worker, m->err);
    if (rc == KZ_OK)
        rc = store_ussd_get(m->st, rq->session_id, &m->s, &found, m->err);
    if (rc != KZ_OK)
        return rc;
    if (found) {
        rc = resume(m, out, &done);
        if (rc != KZ_OK || done) {
            if (rc == KZ_OK && out->outcome == USSD_REPEAT)
                snprintf(out->text, sizeof out->text, "%s", m->s.reply);
            return rc;
        }
    } else {
        rc = begin(m);
        if (rc != KZ_OK)
            return rc;
    }
    m->fresh = !found; /* a screen from an earlier callback was seen; a new one was not */
    rc = replay(m, out);
    if (rc != KZ_OK)
        return rc;
    m->s.last_seen_at = rq->now;
    m->s.worker_id = m->is_worker ? m->w.id : 0;
    out->outcome = USSD_SHOWN;
    snprintf(out->text, sizeof out->text, "%s", m->s.reply);
    return store_ussd_put(m->st, &m->s, m->err);
}

kz_status ussd_menu_handle(kz_store *st, const conv_config *cfg, int timeout_s,
                           const ussd_menu_request *rq, ussd_menu_reply *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    if (!cfg->templates)
        return kz_err_set(err, KZ_ERR_STATE, KZ_NO_OFFSET, "no message templates loaded");
    menu mm;
    menu *m = &mm;
    memset(m, 0, sizeof *m);
    m->st = st;
    m->cfg = cfg;
    m->rq = rq;
    m->err = err;
    m->timeout_s = timeout_s;
    kz_status rc = rq->ninputs > USSD_MENU_MAX_INPUTS
                       ? kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "more than %d inputs",
                                    USSD_MENU_MAX_INPUTS)
                       : store_begin(st, err);
    if (rc == KZ_OK)
        rc = handle_tx(m, out);
    if (rc == KZ_OK)
        rc = store_commit(st, err);
    else if (rc != KZ_ERR_RANGE)
        store_rollback(st);
    if (rc != KZ_OK) {
        ussd_menu_reply failed = {.outcome = USSD_SHOWN};
        ussd_pick_lang(m);
        end_reply(cfg, m->lang, "ussd_error", &failed);
        *out = failed;
        return rc;
    }
    out->len = strlen(out->text);
    out->end = strncmp(out->text, "END ", 4) == 0;
    out->payout = m->payout;
    out->worker_id = m->is_worker ? m->w.id : 0;
    return KZ_OK;
}
