/*
 * conv_offer.c - task offer text per language and the riding acknowledgement
 * (see conv_offer.h). Mirrors tasks/task_msg.c: options "1=Yes 2=No", items
 * trimmed, time rounded up, pay in the compact money form.
 * Owns: nothing but that mapping. Never allocates.
 */
#include "conv_offer.h"

#include <stdio.h>
#include <string.h>

#include "money.h"
#include "sms_text.h"

void conv_offer_options(const char *opts, char *out, size_t cap)
{
    size_t pos = 0;
    unsigned k = 1;
    out[0] = '\0';
    for (const char *p = opts; p && *p;) {
        size_t n = strcspn(p, "|");
        const char *item = p;
        size_t in = n;
        while (in && (*item == ' ' || *item == '\t'))
            item++, in--;
        while (in && (item[in - 1] == ' ' || item[in - 1] == '\t'))
            in--;
        int w = snprintf(out + pos, cap - pos, "%s%u=%.*s", k > 1 ? " " : "", k, (int)in, item);
        if (w < 0 || (size_t)w >= cap - pos)
            return;
        pos += (size_t)w;
        k++;
        p += n + (p[n] == '|' ? 1 : 0);
    }
}

void conv_offer_est(const tmpl_set *t, const char *lang, int est_seconds, char *out, size_t cap)
{
    char n[16];
    const char *key;
    if (est_seconds < 120) {
        snprintf(n, sizeof n, "%d", est_seconds);
        key = "est_s";
    } else if (est_seconds < 7200) {
        snprintf(n, sizeof n, "%d", (est_seconds + 59) / 60);
        key = "est_min";
    } else {
        snprintf(n, sizeof n, "%d", (est_seconds + 3599) / 3600);
        key = "est_h";
    }
    tmpl_var v[] = {{"n", n}};
    if (tmpl_render(t, lang, key, v, 1, out, cap, NULL, NULL) != KZ_OK && cap)
        snprintf(out, cap, "%ss", n);
}

kz_status conv_offer_render(const tmpl_set *t, const char *lang, const engine_offer *o,
                            char *out, size_t cap, size_t *len, kz_err *err)
{
    char ref[16], est[32], pay[40], hint[32], options[1024];
    snprintf(ref, sizeof ref, "%d", o->ref);
    conv_offer_est(t, lang, o->est_seconds, est, sizeof est);
    money_format(pay, sizeof pay, o->reward_minor, o->currency, 1);
    int text = strcmp(o->type, "transcribe") == 0;
    if (tmpl_render(t, lang, text ? "hint_text" : "hint_choice", NULL, 0, hint, sizeof hint, NULL,
                    err) != KZ_OK)
        return KZ_ERR_NOTFOUND;
    if (text)
        options[0] = '\0';
    else
        conv_offer_options(o->options, options, sizeof options);
    const char *prompt = o->prompt;
    while (*prompt == ' ' || *prompt == '\t')
        prompt++;
    char trimmed[sizeof o->prompt];
    snprintf(trimmed, sizeof trimmed, "%s", prompt);
    size_t pn = strlen(trimmed);
    while (pn && (trimmed[pn - 1] == ' ' || trimmed[pn - 1] == '\t'))
        trimmed[--pn] = '\0';
    tmpl_var v[] = {{"ref", ref},       {"requester", o->requester}, {"prompt", trimmed},
                    {"options", options}, {"est", est},             {"pay", pay},
                    {"hint", hint}};
    return tmpl_render(t, lang, "offer", v, sizeof v / sizeof v[0], out, cap, len, err);
}

/* Try "prefix offer" in out; keep it if it needs no more segments than the offer. */
static int ride_one(const char *prefix, size_t offer_segs, char *out, size_t cap, size_t *len)
{
    size_t pl = strlen(prefix);
    if (pl == 0 || pl + 1 + *len >= cap)
        return 0;
    char buf[4096];
    if (pl + 1 + *len >= sizeof buf)
        return 0;
    memcpy(buf, prefix, pl);
    buf[pl] = ' ';
    memcpy(buf + pl + 1, out, *len + 1);
    size_t segs = sms_count_segments(buf, pl + 1 + *len);
    if (segs == 0 || segs > offer_segs)
        return 0;
    memcpy(out, buf, pl + 1 + *len + 1);
    *len += pl + 1;
    return 1;
}

int conv_offer_ride(const char *prefix, const char *short_prefix, char *out, size_t cap,
                    size_t *len)
{
    size_t segs = sms_count_segments(out, *len);
    if (segs == 0)
        return 0;
    if (prefix && ride_one(prefix, segs, out, cap, len))
        return 2;
    if (short_prefix && ride_one(short_prefix, segs, out, cap, len))
        return 1;
    return 0;
}
