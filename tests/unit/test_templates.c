/*
 * test_templates.c - tasks/templates.c and tasks/conv_offer.c: the fit
 * proof (every template of every language, filled with the longest possible
 * values in the costliest characters, needs exactly the SMS segments it
 * declares), the task offer (byte for byte tasks/task_msg.c's format in
 * English, never longer in another language, one segment for every task the
 * import accepts), acknowledgements riding on offers, rendering rules and
 * the loader's errors with FILE:LINE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv_offer.h"
#include "gsm7.h"
#include "harness.h"
#include "sms_text.h"
#include "task_msg.h"
#include "templates.h"

static const char *template_dir(void)
{
    const char *d = getenv("KAZI_TEMPLATES");
    return d && *d ? d : KAZI_TEMPLATE_DIR;
}

/* Fill strategies for free text: the characters that cost the most. */
static const char *const text_fills[] = {
    "W",                /* plain GSM-7 */
    "\xE2\x82\xAC",     /* euro sign: a 2-septet GSM-7 extension character */
    "{",                /* also an extension character */
    "\xC5\x8B",         /* eng: not in GSM-7 (folded) */
    "\xF0\x9F\x98\x80", /* emoji: not in GSM-7, two UTF-16 units */
};

#define N_FILLS (sizeof text_fills / sizeof text_fills[0])

/* Repeat unit n times into out (cap bytes). */
static void fill(char *out, size_t cap, const char *unit, size_t n)
{
    size_t ul = strlen(unit), pos = 0;
    for (size_t i = 0; i < n && pos + ul < cap; i++, pos += ul)
        memcpy(out + pos, unit, ul);
    out[pos] = '\0';
}

/* Segments key needs in lang with every placeholder at its longest in fill f. */
static size_t worst_segments(const tmpl_set *t, const char *lang, size_t key, size_t f)
{
    static char values[12][4 * 500];
    tmpl_var vars[12];
    size_t nv = 0;
    const char *p = tmpl_key_params(key);
    while (*p && nv < 12) {
        size_t w = strcspn(p, " ");
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)w, p);
        tmpl_kind kind = TMPL_TEXT;
        size_t max = tmpl_param_max(name, &kind);
        const char *unit = kind == TMPL_DIGITS ? "9" : kind == TMPL_ASCII ? "W" : text_fills[f];
        fill(values[nv], sizeof values[nv], unit, max);
        vars[nv].name = strdup(name);
        vars[nv].value = values[nv];
        nv++;
        p += w;
        while (*p == ' ')
            p++;
    }
    char out[TMPL_OUT_CAP];
    size_t len = 0;
    kz_status rc = tmpl_render(t, lang, tmpl_key_name(key), vars, nv, out, sizeof out, &len, NULL);
    for (size_t i = 0; i < nv; i++)
        free((void *)vars[i].name);
    if (rc != KZ_OK)
        return 999;
    return sms_count_segments(out, len);
}

static void test_fit(const tmpl_set *t)
{
    for (size_t l = 0; l < tmpl_lang_count(t); l++) {
        const char *lang = tmpl_lang_code(t, l);
        for (size_t k = 0; k < tmpl_key_count(); k++) {
            const char *key = tmpl_key_name(k);
            if (strcmp(key, "offer") == 0)
                continue; /* test_offer_fit: bounded by the import check, not by values */
            size_t worst = 0;
            for (size_t f = 0; f < N_FILLS; f++) {
                size_t s = worst_segments(t, lang, k, f);
                if (s > worst)
                    worst = s;
            }
            int declared = tmpl_segments(t, lang, key);
            KT_CHECK(worst == (size_t)declared, "%s.tmpl '%s': needs %zu segments, declares %d",
                     lang, key, worst, declared);
        }
    }
}

/* Every template text is in the GSM-7 alphabet (one character outside it triples the cost). */
static void test_gsm7_only(const tmpl_set *t)
{
    for (size_t l = 0; l < tmpl_lang_count(t); l++) {
        const char *lang = tmpl_lang_code(t, l);
        for (size_t k = 0; k < tmpl_key_count(); k++) {
            char out[TMPL_OUT_CAP];
            size_t len = 0;
            tmpl_render(t, lang, tmpl_key_name(k), NULL, 0, out, sizeof out, &len, NULL);
            KT_CHECK(len > 0 && gsm7_fits((const uint8_t *)out, len, NULL),
                     "%s.tmpl '%s' is not GSM-7: %s", lang, tmpl_key_name(k), out);
        }
    }
}

/* A small deterministic generator for the offer property test. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xFFFFFF;
}

static const char *const prompt_units[] = {"a", "Is the shop open?", " ", "Duka", "\xC3\xA9",
                                           "{x}", "\xE2\x82\xAC", "\xC5\x8B", "42"};

static void random_offer(engine_offer *o)
{
    memset(o, 0, sizeof *o);
    o->ref = 1 + (int)(rng() % 9999);
    static const char *const reqs[] = {"Acme", "Shirika la Maji", "A", "Caf\xC3\xA9 Ltd",
                                       "{brace}", "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"};
    snprintf(o->requester, sizeof o->requester, "%s", reqs[rng() % 6]);
    static const char *const types[] = {"verify", "choice", "transcribe"};
    snprintf(o->type, sizeof o->type, "%s", types[rng() % 3]);
    size_t n = 1 + rng() % 40;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *u = prompt_units[rng() % 9];
        if (pos + strlen(u) + 1 >= 200)
            break;
        memcpy(o->prompt + pos, u, strlen(u));
        pos += strlen(u);
    }
    o->prompt[pos] = '\0';
    if (o->prompt[0] == ' ' || pos == 0 || o->prompt[pos - 1] == ' ')
        snprintf(o->prompt, sizeof o->prompt, "Open?");
    static const char *const opts[] = {"Yes|No", "Yes|No|Closed", "Red|Green|Blue|Other",
                                       "Ndiyo|Hapana", " a | b ", "1|2|3|4|5|6|7|8|9"};
    snprintf(o->options, sizeof o->options, "%s",
             strcmp(o->type, "transcribe") == 0 ? "" : opts[rng() % 6]);
    static const int ests[] = {5, 30, 119, 120, 600, 7199, 7200, 86400};
    o->est_seconds = ests[rng() % 8];
    o->reward_minor = (int64_t)(rng() % 100000);
    snprintf(o->currency, sizeof o->currency, "%s", (rng() % 4) ? "KES" : "UGX");
}

static task_msg as_task_msg(const engine_offer *o)
{
    task_msg m = {
        .ref = (unsigned)o->ref, .type = (task_type)task_type_parse(o->type, strlen(o->type)),
        .requester = o->requester, .prompt = o->prompt, .prompt_len = strlen(o->prompt),
        .options = o->options, .options_len = strlen(o->options), .est_seconds = o->est_seconds,
        .reward_minor = o->reward_minor, .currency = o->currency,
    };
    return m;
}

/* English offers are task_msg.c's text exactly; other languages are never costlier. */
static void test_offer_format(const tmpl_set *t)
{
    for (int i = 0; i < 3000; i++) {
        engine_offer o;
        random_offer(&o);
        task_msg m = as_task_msg(&o);
        char want[TASK_MSG_CAP], got[TMPL_OUT_CAP];
        size_t wl = 0, gl = 0;
        KT_CHECK(task_msg_format(&m, want, sizeof want, &wl, NULL) == KZ_OK, "task_msg_format");
        KT_CHECK(conv_offer_render(t, "en", &o, got, sizeof got, &gl, NULL) == KZ_OK, "render");
        if (strcmp(got, want) != 0) {
            KT_CHECK(0, "offer differs from task_msg:\n  got  %s\n  want %s", got, want);
            break;
        }
        for (size_t l = 0; l < tmpl_lang_count(t); l++) {
            const char *lang = tmpl_lang_code(t, l);
            char other[TMPL_OUT_CAP];
            size_t ol = 0;
            conv_offer_render(t, lang, &o, other, sizeof other, &ol, NULL);
            size_t so = sms_count_segments(other, ol), se = sms_count_segments(got, gl);
            KT_CHECK(so <= se && ol <= gl + 0, "%s offer costlier than English (%zu > %zu): %s",
                     lang, so, se, other);
        }
    }
}

/*
 * The fit proof for offers: for every task the import accepts (task_msg with
 * ref 9999 fits one SMS), at the edge (the longest such prompt), every
 * language's offer is one segment.
 */
static void test_offer_fit(const tmpl_set *t)
{
    static const char *const units[] = {"W", "\xE2\x82\xAC", "\xC5\x8B", "\xF0\x9F\x98\x80"};
    static const char *const reqs[] = {"A", "Acme", "Shirika la Maji na Usafi wa Mazingira",
                                       "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"};
    static const char *const types[] = {"verify", "choice", "transcribe"};
    static const int ests[] = {30, 600, 86400};
    int edges = 0;
    for (size_t u = 0; u < 4; u++)
        for (size_t r = 0; r < 4; r++)
            for (size_t ty = 0; ty < 3; ty++)
                for (size_t e = 0; e < 3; e++) {
                    engine_offer o;
                    memset(&o, 0, sizeof o);
                    o.ref = 9999;
                    snprintf(o.requester, sizeof o.requester, "%s", reqs[r]);
                    snprintf(o.type, sizeof o.type, "%s", types[ty]);
                    snprintf(o.options, sizeof o.options, "%s", ty == 2 ? "" : "Yes|No|Closed");
                    o.est_seconds = ests[e];
                    o.reward_minor = 123456;
                    snprintf(o.currency, sizeof o.currency, "KES");
                    /* grow the prompt while the import would accept it */
                    size_t n = 0;
                    for (;;) {
                        fill(o.prompt, sizeof o.prompt, units[u], n + 1);
                        task_msg m = as_task_msg(&o);
                        if (task_msg_segments(&m) != 1)
                            break;
                        n++;
                    }
                    if (n == 0)
                        continue; /* no prompt fits with this requester: import refuses all */
                    fill(o.prompt, sizeof o.prompt, units[u], n);
                    edges++;
                    for (size_t l = 0; l < tmpl_lang_count(t); l++) {
                        char out[TMPL_OUT_CAP];
                        size_t len = 0;
                        conv_offer_render(t, tmpl_lang_code(t, l), &o, out, sizeof out, &len,
                                          NULL);
                        KT_CHECK(sms_count_segments(out, len) == 1,
                                 "%s offer at the import edge needs %zu segments: %s",
                                 tmpl_lang_code(t, l), sms_count_segments(out, len), out);
                    }
                }
    KT_CHECK(edges > 100, "only %d edge offers tried", edges);
}

static void test_ride(const tmpl_set *t)
{
    engine_offer o;
    memset(&o, 0, sizeof o);
    o.ref = 43;
    snprintf(o.requester, sizeof o.requester, "Acme");
    snprintf(o.type, sizeof o.type, "verify");
    snprintf(o.prompt, sizeof o.prompt, "Is the shop open?");
    snprintf(o.options, sizeof o.options, "Yes|No|Closed");
    o.est_seconds = 30;
    o.reward_minor = 300;
    snprintf(o.currency, sizeof o.currency, "KES");
    char out[TMPL_OUT_CAP];
    size_t len = 0;
    conv_offer_render(t, "en", &o, out, sizeof out, &len, NULL);
    KT_STREQ(out, "#43 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. Reply 43 N",
             "short offer");
    KT_CHECK(conv_offer_ride("Got 42: Yes. +KSh4.20.", "OK 42 +KSh4.20.", out, sizeof out,
                             &len) == 2,
             "full ack rides");
    KT_STREQ(out,
             "Got 42: Yes. +KSh4.20. #43 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. "
             "Reply 43 N",
             "ack + offer");
    KT_CHECK(sms_count_segments(out, len) == 1, "still one SMS");
    /* a long offer: the full ack would spill, the short one fits */
    memset(o.prompt, 0, sizeof o.prompt);
    fill(o.prompt, sizeof o.prompt, "a", 90);
    conv_offer_render(t, "en", &o, out, sizeof out, &len, NULL);
    KT_CHECK(sms_count_segments(out, len) == 1, "long offer is one SMS (%zu)", len);
    int r = conv_offer_ride("Got 42: Nairobi West. +KSh4.20.", "OK 42 +KSh4.20.", out, sizeof out,
                            &len);
    KT_CHECK(r == 1 && strncmp(out, "OK 42 +KSh4.20. #43", 19) == 0, "short ack rides: %d %s", r,
             out);
    /* at the edge, nothing rides: the offer goes alone */
    fill(o.prompt, sizeof o.prompt, "a", 105);
    conv_offer_render(t, "en", &o, out, sizeof out, &len, NULL);
    char before[TMPL_OUT_CAP];
    memcpy(before, out, len + 1);
    KT_CHECK(conv_offer_ride("Got 42: Yes. +KSh4.20.", "OK 42 +KSh4.20.", out, sizeof out, &len) ==
                     0 &&
                 strcmp(out, before) == 0,
             "nothing rides on a full offer");
    /* a UCS-2 offer (one emoji in the prompt) takes an ack within its own segments */
    snprintf(o.prompt, sizeof o.prompt, "\xF0\x9F\x98\x80?");
    snprintf(o.options, sizeof o.options, "Yes|No");
    conv_offer_render(t, "sw", &o, out, sizeof out, &len, NULL);
    KT_CHECK(strstr(out, "Jibu 43 N") != NULL, "Swahili offer: %s", out);
    KT_CHECK(conv_offer_ride("Tumepokea 42: Ndiyo. +KSh4.20.", "Sawa 42 +KSh4.20.", out,
                             sizeof out, &len) == 1 &&
                 sms_count_segments(out, len) == 1,
             "short ack rides on a short UCS-2 offer: %s", out);
    char est[32];
    conv_offer_est(t, "sw", 600, est, sizeof est);
    KT_STREQ(est, "10dk", "Swahili minutes");
    conv_offer_est(t, "en", 7200, est, sizeof est);
    KT_STREQ(est, "2h", "hours");
}

static void test_render_rules(const tmpl_set *t)
{
    char out[TMPL_OUT_CAP];
    size_t len;
    tmpl_var named[] = {{"name", "Amina"}, {"refund", "KSh1.20"}};
    KT_CHECK(tmpl_render(t, "en", "already", named, 1, out, sizeof out, &len, NULL) == KZ_OK,
             "render");
    KT_STREQ(out, "You are already in Kazi Amina. NEXT for a task, HELP for commands.", "name");
    tmpl_render(t, "en", "already", NULL, 0, out, sizeof out, &len, NULL);
    KT_STREQ(out, "You are already in Kazi. NEXT for a task, HELP for commands.", "no name");
    KT_CHECK(len == strlen(out), "length");
    tmpl_render(t, "sw", "welcome_back", NULL, 0, out, sizeof out, &len, NULL);
    KT_CHECK(strncmp(out, "Karibu tena Kazi! ", 18) == 0, "sw no name: %s", out);
    /* names are folded to GSM-7 and cut to 20 characters */
    tmpl_var kikuyu[] = {{"name", "Wanjir\xC5\xA9 Ng\xC5\xA9g\xC4\xA9 \xF0\x9F\x98\x80"}};
    tmpl_render(t, "en", "already", kikuyu, 1, out, sizeof out, &len, NULL);
    KT_STREQ(out, "You are already in Kazi Wanjiru Ngugi ?. NEXT for a task, HELP for commands.",
             "folded name");
    tmpl_var longname[] = {{"name", "Abcdefghijklmnopqrstuvwxyz"}};
    tmpl_render(t, "en", "already", longname, 1, out, sizeof out, &len, NULL);
    KT_CHECK(strstr(out, "Kazi Abcdefghijklmnopqrst.") != NULL, "cut name: %s", out);
    /* unknown language falls back to English; unknown key is an error */
    tmpl_render(t, "fr", "no_open", NULL, 0, out, sizeof out, &len, NULL);
    KT_STREQ(out, "You have no open task. Send NEXT to get one.", "fallback");
    kz_err err;
    KT_CHECK(tmpl_render(t, "en", "nope", NULL, 0, out, sizeof out, &len, &err) ==
                 KZ_ERR_NOTFOUND,
             "unknown key");
    KT_CHECK(tmpl_render(t, "en", "help", NULL, 0, out, 10, &len, &err) == KZ_ERR_NOSPACE &&
                 out[0] == '\0',
             "no space");
    KT_CHECK(tmpl_segments(t, "en", "welcome") == 2 && tmpl_segments(t, "en", "nope") == 0,
             "segments");
    KT_CHECK(tmpl_has_lang(t, "sw") && !tmpl_has_lang(t, "fr"), "languages");
    KT_CHECK(tmpl_param_max("ref", NULL) == 4 && tmpl_param_max("nope", NULL) == 0, "params");
}

static char tmpdir[] = "/tmp/kazi-test-tmpl-XXXXXX";

/* Write en.tmpl in a fresh directory: every key from the real set, then extra lines. */
static void write_set(const tmpl_set *t, const char *sub, const char *extra, const char *skip)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, sub);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/en.tmpl", tmpdir, sub);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "# test\n\n");
    for (size_t k = 0; k < tmpl_key_count(); k++) {
        const char *key = tmpl_key_name(k);
        if (skip && strcmp(key, skip) == 0)
            continue;
        fprintf(f, "%s %d | x", key, tmpl_segments(t, "en", key));
        const char *p = tmpl_key_params(k);
        if (*p)
            fprintf(f, " {%.*s}", (int)strcspn(p, " "), p);
        fprintf(f, "\n");
    }
    fputs(extra, f);
    fclose(f);
}

static void expect_load_error(const tmpl_set *t, const char *sub, const char *extra,
                              const char *skip, const char *want)
{
    write_set(t, sub, extra, skip);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    tmpl_set *s = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status rc = tmpl_load_dir(dir, &s, &err);
    KT_CHECK(rc != KZ_OK && s == NULL && strstr(err.msg, want) != NULL,
             "%s: got %d '%s', want '%s'", sub, (int)rc, err.msg, want);
    tmpl_free(s);
}

static void test_loader(const tmpl_set *t)
{
    if (!mkdtemp(tmpdir)) {
        KT_CHECK(0, "mkdtemp");
        return;
    }
    write_set(t, "good", "", NULL);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/good", tmpdir);
    tmpl_set *s = NULL;
    kz_err err;
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_OK, "generated set loads: %s", err.msg);
    tmpl_free(s);
    expect_load_error(t, "unknown", "bogus 1 | hi\n", NULL, "en.tmpl:");
    expect_load_error(t, "unknown2", "bogus 1 | hi\n", NULL, "unknown key 'bogus'");
    expect_load_error(t, "missing", "", "help", "missing key 'help'");
    expect_load_error(t, "twice", "help 1 | again\n", NULL, "key 'help' defined twice");
    expect_load_error(t, "param", "", "twice", "");
    expect_load_error(t, "badparam", "", "help", "");
    write_set(t, "badparam", "help 1 | hello {name}\n", "help");
    snprintf(dir, sizeof dir, "%s/badparam", tmpdir);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_INVALID &&
                 strstr(err.msg, "'help' has no placeholder {name}"),
             "placeholder check: %s", err.msg);
    expect_load_error(t, "segs", "", "help", "missing key");
    write_set(t, "segs0", "help 0 | x\n", "help");
    snprintf(dir, sizeof dir, "%s/segs0", tmpdir);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_INVALID && strstr(err.msg, "segment count"),
             "segment count: %s", err.msg);
    write_set(t, "bar", "help 1 x\n", "help");
    snprintf(dir, sizeof dir, "%s/bar", tmpdir);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_INVALID && strstr(err.msg, "'|'"),
             "bar: %s", err.msg);
    write_set(t, "brace", "help 1 | a {b\n", "help");
    snprintf(dir, sizeof dir, "%s/brace", tmpdir);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_INVALID && strstr(err.msg, "without"),
             "brace: %s", err.msg);
    write_set(t, "utf8", "help 1 | a \xC3\n", "help");
    snprintf(dir, sizeof dir, "%s/utf8", tmpdir);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_INVALID && strstr(err.msg, "UTF-8"),
             "utf8: %s", err.msg);
    char longline[700];
    memset(longline, 'x', sizeof longline);
    memcpy(longline, "help 1 | ", 9);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    write_set(t, "long", longline, "help");
    snprintf(dir, sizeof dir, "%s/long", tmpdir);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_INVALID && strstr(err.msg, "long"),
             "long line: %s", err.msg);
    snprintf(dir, sizeof dir, "%s/none", tmpdir);
    mkdir(dir, 0700);
    KT_CHECK(tmpl_load_dir(dir, &s, &err) == KZ_ERR_IO && strstr(err.msg, "en.tmpl"),
             "no English: %s", err.msg);
    KT_CHECK(tmpl_load_dir("/nonexistent/kazi", &s, &err) == KZ_ERR_IO && s == NULL,
             "no directory");
    tmpl_free(NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    tmpl_set *t = NULL;
    kz_err err;
    kz_status rc = tmpl_load_dir(template_dir(), &t, &err);
    KT_CHECK(rc == KZ_OK, "loading %s: %s", template_dir(), err.msg);
    if (rc != KZ_OK)
        return kt_report();
    KT_CHECK(tmpl_has_lang(t, "en") && tmpl_has_lang(t, "sw"), "en and sw");
    test_fit(t);
    test_gsm7_only(t);
    test_offer_format(t);
    test_offer_fit(t);
    test_ride(t);
    test_render_rules(t);
    test_loader(t);
    tmpl_free(t);
    return kt_report();
}
