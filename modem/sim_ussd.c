/*
 * sim_ussd.c - USSD on the simulated modem: a small line-based script of
 * menu trees (format in docs/simulator.md) and AT+CUSD sessions walked
 * through it, with answers as +CUSD URCs, network timeouts, cancel
 * (AT+CUSD=2) and confirmation SMS queued when a session ends.
 * Owns the parsed script and the session. Never reads files: the caller
 * hands over the script text.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gsm7.h"
#include "hex.h"
#include "sim_internal.h"
#include "ucs2.h"

#define USSD_NODES_MAX 128
#define USSD_RULES_MAX 16
#define USSD_CODES_MAX 32
#define USSD_TEXT_MAX 400
#define USSD_NAME_MAX 32
#define USSD_PAT_MAX 96
#define USSD_VARS_MAX 8
#define USSD_VALUE_MAX 64
#define USSD_DEFAULT_TIMEOUT 30000

typedef struct ussd_rule {
    bool regex;
    bool compiled;
    regex_t re;
    char pat[USSD_PAT_MAX];
    char next[USSD_NAME_MAX];
    int next_i;
} ussd_rule;

typedef struct ussd_node {
    char name[USSD_NAME_MAX];
    int line;
    bool end;
    char text[USSD_TEXT_MAX];
    ussd_rule rules[USSD_RULES_MAX];
    size_t nrules;
    char else_name[USSD_NAME_MAX];
    int else_i;
    char keep[USSD_NAME_MAX];
    unsigned timeout_ms;
    char sms_from[24];
    char sms_text[USSD_TEXT_MAX];
} ussd_node;

typedef struct ussd_code {
    char code[USSD_PAT_MAX];
    char node[USSD_NAME_MAX];
    int node_i;
    int line;
} ussd_code;

typedef struct ussd_var {
    char name[USSD_NAME_MAX];
    char value[USSD_VALUE_MAX];
} ussd_var;

struct sim_ussd_script {
    unsigned timeout_ms;
    ussd_node nodes[USSD_NODES_MAX];
    size_t nnodes;
    ussd_code codes[USSD_CODES_MAX];
    size_t ncodes;
    ussd_var vars[USSD_VARS_MAX]; /* the open session's remembered answers */
    size_t nvars;
};

static void script_free(sim_ussd_script *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnodes; i++)
        for (size_t k = 0; k < s->nodes[i].nrules; k++)
            if (s->nodes[i].rules[k].compiled)
                regfree(&s->nodes[i].rules[k].re);
    free(s);
}

void sim_ussd_free(sim_engine *e)
{
    script_free(e->ussd);
    e->ussd = NULL;
}

/* ---- parsing ---- */

typedef struct parse_ctx {
    sim_ussd_script *s;
    ussd_node *cur;
    int line;
    kz_err *err;
} parse_ctx;

static kz_status perr(parse_ctx *c, const char *what)
{
    return kz_err_set(c->err, KZ_ERR_INVALID, KZ_NO_OFFSET, "line %d: %s", c->line, what);
}

static bool copy_word(char *dst, size_t cap, const char *src, size_t n)
{
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

/* Split "word rest" (rest may be empty); returns the length of word. */
static size_t first_word(const char *s, const char **rest)
{
    size_t n = strcspn(s, " \t");
    const char *r = s + n;
    while (*r == ' ' || *r == '\t')
        r++;
    *rest = r;
    return n;
}

static kz_status parse_node(parse_ctx *c, const char *rest, bool end)
{
    const char *tail;
    size_t n = first_word(rest, &tail);
    if (c->s->nnodes == USSD_NODES_MAX)
        return perr(c, "too many nodes");
    ussd_node *nd = &c->s->nodes[c->s->nnodes];
    if (!copy_word(nd->name, sizeof nd->name, rest, n) || *tail)
        return perr(c, "want: node NAME / end NAME");
    for (size_t i = 0; i < c->s->nnodes; i++)
        if (strcmp(c->s->nodes[i].name, nd->name) == 0)
            return perr(c, "node defined twice");
    nd->end = end;
    nd->line = c->line;
    nd->else_i = -1;
    c->s->nnodes++;
    c->cur = nd;
    return KZ_OK;
}

static kz_status parse_rule(parse_ctx *c, const char *rest, bool regex)
{
    ussd_node *nd = c->cur;
    if (!nd || nd->end)
        return perr(c, "'on'/'match' belong to a menu node");
    if (nd->nrules == USSD_RULES_MAX)
        return perr(c, "too many rules in one node");
    ussd_rule *r = &nd->rules[nd->nrules];
    const char *tail, *tail2;
    size_t n = first_word(rest, &tail);
    size_t m = first_word(tail, &tail2);
    if (!copy_word(r->pat, sizeof r->pat, rest, n) || !copy_word(r->next, sizeof r->next, tail, m) ||
        *tail2)
        return perr(c, "want: on ANSWER NODE / match REGEX NODE");
    r->regex = regex;
    if (regex) {
        char anchored[USSD_PAT_MAX + 8];
        snprintf(anchored, sizeof anchored, "^(%s)$", r->pat);
        if (regcomp(&r->re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
            return perr(c, "bad regular expression");
        r->compiled = true;
    }
    nd->nrules++;
    return KZ_OK;
}

static kz_status append_text(parse_ctx *c, char *dst, const char *text)
{
    size_t have = strlen(dst);
    size_t add = strlen(text) + (have ? 1 : 0);
    if (have + add >= USSD_TEXT_MAX)
        return perr(c, "screen text too long");
    if (have)
        dst[have++] = '\n';
    memcpy(dst + have, text, strlen(text) + 1);
    return KZ_OK;
}

static kz_status parse_unsigned(parse_ctx *c, const char *rest, unsigned *out)
{
    char *endp;
    unsigned long v = strtoul(rest, &endp, 10);
    if (endp == rest || *endp || v > 3600000UL)
        return perr(c, "want a time in milliseconds (at most 3600000)");
    *out = (unsigned)v;
    return KZ_OK;
}

static kz_status parse_sms(parse_ctx *c, const char *rest)
{
    const char *tail;
    size_t n = first_word(rest, &tail);
    ussd_node *nd = c->cur;
    if (!copy_word(nd->sms_from, sizeof nd->sms_from, rest, n) || !*tail)
        return perr(c, "want: sms SENDER TEXT");
    if (strlen(tail) >= sizeof nd->sms_text)
        return perr(c, "sms text too long");
    snprintf(nd->sms_text, sizeof nd->sms_text, "%s", tail);
    return KZ_OK;
}

static kz_status parse_code(parse_ctx *c, const char *rest)
{
    const char *tail, *tail2;
    size_t n = first_word(rest, &tail);
    size_t m = first_word(tail, &tail2);
    if (c->s->ncodes == USSD_CODES_MAX)
        return perr(c, "too many codes");
    ussd_code *k = &c->s->codes[c->s->ncodes];
    if (!copy_word(k->code, sizeof k->code, rest, n) ||
        !copy_word(k->node, sizeof k->node, tail, m) || *tail2)
        return perr(c, "want: code STRING NODE");
    k->line = c->line;
    c->s->ncodes++;
    return KZ_OK;
}

/* One statement inside a node (say, on, match, else, keep, timeout, sms). */
static kz_status parse_in_node(parse_ctx *c, const char *kw, size_t kn, const char *rest)
{
    ussd_node *nd = c->cur;
    if (!nd)
        return perr(c, "statement outside a node");
    if (kn == 3 && strncmp(kw, "say", 3) == 0)
        return append_text(c, nd->text, rest);
    if (kn == 2 && strncmp(kw, "on", 2) == 0)
        return parse_rule(c, rest, false);
    if (kn == 5 && strncmp(kw, "match", 5) == 0)
        return parse_rule(c, rest, true);
    if (kn == 4 && strncmp(kw, "else", 4) == 0 && !nd->end)
        return copy_word(nd->else_name, sizeof nd->else_name, rest, strlen(rest))
                   ? KZ_OK
                   : perr(c, "want: else NODE");
    if (kn == 4 && strncmp(kw, "keep", 4) == 0 && !nd->end)
        return copy_word(nd->keep, sizeof nd->keep, rest, strlen(rest)) ? KZ_OK
                                                                          : perr(c, "want: keep NAME");
    if (kn == 7 && strncmp(kw, "timeout", 7) == 0)
        return parse_unsigned(c, rest, &nd->timeout_ms);
    if (kn == 3 && strncmp(kw, "sms", 3) == 0 && nd->end)
        return parse_sms(c, rest);
    return perr(c, "unknown statement (or not allowed in this kind of node)");
}

static kz_status parse_line(parse_ctx *c, const char *line)
{
    const char *rest;
    size_t kn = first_word(line, &rest);
    if (kn == 4 && strncmp(line, "node", 4) == 0)
        return parse_node(c, rest, false);
    if (kn == 3 && strncmp(line, "end", 3) == 0)
        return parse_node(c, rest, true);
    if (kn == 4 && strncmp(line, "code", 4) == 0)
        return parse_code(c, rest);
    if (kn == 7 && strncmp(line, "timeout", 7) == 0 && !c->cur)
        return parse_unsigned(c, rest, &c->s->timeout_ms);
    return parse_in_node(c, line, kn, rest);
}

static int find_node(const sim_ussd_script *s, const char *name)
{
    for (size_t i = 0; i < s->nnodes; i++)
        if (strcmp(s->nodes[i].name, name) == 0)
            return (int)i;
    return -1;
}

static kz_status resolve(parse_ctx *c)
{
    sim_ussd_script *s = c->s;
    for (size_t i = 0; i < s->ncodes; i++) {
        c->line = s->codes[i].line;
        if ((s->codes[i].node_i = find_node(s, s->codes[i].node)) < 0)
            return perr(c, "code names an unknown node");
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        ussd_node *nd = &s->nodes[i];
        c->line = nd->line;
        for (size_t k = 0; k < nd->nrules; k++)
            if ((nd->rules[k].next_i = find_node(s, nd->rules[k].next)) < 0)
                return perr(c, "a rule of this node names an unknown node");
        if (nd->else_name[0] && (nd->else_i = find_node(s, nd->else_name)) < 0)
            return perr(c, "'else' of this node names an unknown node");
    }
    if (s->ncodes == 0)
        return kz_err_set(c->err, KZ_ERR_INVALID, KZ_NO_OFFSET, "line %d: no 'code' line",
                          c->line);
    return KZ_OK;
}

static kz_status parse_all(parse_ctx *c, const char *text, size_t len)
{
    char line[USSD_TEXT_MAX + 64];
    size_t pos = 0;
    while (pos < len) {
        size_t n = 0;
        while (pos + n < len && text[pos + n] != '\n')
            n++;
        c->line++;
        if (n >= sizeof line)
            return perr(c, "line too long");
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + 1;
        while (n > 0 && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (memchr(line, '\0', n) || strchr(p, '"'))
            return perr(c, "NUL or double quote in a line");
        kz_status st = parse_line(c, p);
        if (st != KZ_OK)
            return st;
    }
    return resolve(c);
}

kz_status sim_ussd_load(sim_engine *e, const char *text, size_t len, kz_err *err)
{
    sim_ussd_script *s = calloc(1, sizeof *s);
    if (!s)
        return kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
    s->timeout_ms = USSD_DEFAULT_TIMEOUT;
    parse_ctx c = {s, NULL, 0, err};
    kz_status st = parse_all(&c, text, len);
    if (st != KZ_OK) {
        script_free(s);
        return st;
    }
    sim_ussd_reset(e);
    script_free(e->ussd);
    e->ussd = s;
    return KZ_OK;
}

/* ---- sessions ---- */

void sim_ussd_reset(sim_engine *e)
{
    e->ussd_node = -1;
    e->ussd_deadline = 0;
    e->ussd_reply_pending = false;
    e->ussd_reply.len = 0;
    if (e->ussd)
        e->ussd->nvars = 0;
}

static void set_var(sim_ussd_script *s, const char *name, const char *value)
{
    size_t i = 0;
    while (i < s->nvars && strcmp(s->vars[i].name, name) != 0)
        i++;
    if (i == USSD_VARS_MAX)
        return;
    if (i == s->nvars)
        s->nvars++;
    snprintf(s->vars[i].name, sizeof s->vars[i].name, "%s", name);
    snprintf(s->vars[i].value, sizeof s->vars[i].value, "%s", value);
}

static const char *get_var(const sim_ussd_script *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->nvars; i++)
        if (strlen(s->vars[i].name) == n && strncmp(s->vars[i].name, name, n) == 0)
            return s->vars[i].value;
    return NULL;
}

/* Copy tmpl into out with every {name} of a remembered answer replaced. */
static void expand(const sim_ussd_script *s, const char *tmpl, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < cap;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        const char *v = close ? get_var(s, p + 1, (size_t)(close - p - 1)) : NULL;
        if (v) {
            size_t n = strlen(v);
            if (n > cap - 1 - o)
                n = cap - 1 - o;
            memcpy(out + o, v, n);
            o += n;
            p = close + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

/* "+CUSD: m[,"str",dcs]": plain text when it fits GSM-7, else UCS-2 hex (DCS 72). */
static void format_reply(sim_engine *e, int m, const char *text, sim_buf *b)
{
    sim_buf_printf(b, "+CUSD: %d", m);
    if (!text)
        return;
    size_t len = strlen(text), septets;
    if (strcmp(e->cscs, "UCS2") != 0 && gsm7_fits((const uint8_t *)text, len, &septets)) {
        sim_buf_printf(b, ",\"%s\",15", text);
        return;
    }
    uint8_t be[2 * USSD_TEXT_MAX];
    char hex[4 * USSD_TEXT_MAX + 1];
    size_t n;
    if (ucs2_from_utf8((const uint8_t *)text, len, be, sizeof be, &n, NULL) != KZ_OK ||
        hex_encode(be, n, hex, sizeof hex) != KZ_OK)
        hex[0] = '\0';
    sim_buf_printf(b, ",\"%s\",72", hex);
}

static void reply(sim_engine *e, int m, const char *text)
{
    if (e->cusd_n == 0)
        return; /* AT+CUSD=0: result codes not presented */
    e->ussd_reply.len = 0;
    format_reply(e, m, text, &e->ussd_reply);
    if (e->cfg.ussd_latency_ms == 0) {
        sim_urc(e, "%.*s", (int)e->ussd_reply.len, (const char *)e->ussd_reply.p);
        e->ussd_reply.len = 0;
        return;
    }
    e->ussd_reply_pending = true;
    e->ussd_reply_due = e->now + e->cfg.ussd_latency_ms;
}

static void finish(sim_engine *e, const ussd_node *nd)
{
    sim_ussd_script *s = e->ussd;
    char text[USSD_TEXT_MAX];
    if (nd->sms_from[0]) {
        expand(s, nd->sms_text, text, sizeof text);
        sim_queue_text(e, nd->sms_from, text, strlen(text), SMS_CODING_AUTO, NULL, NULL);
    }
    e->ussd_node = -1;
    e->ussd_deadline = 0;
    s->nvars = 0;
}

static void show_node(sim_engine *e, int i)
{
    sim_ussd_script *s = e->ussd;
    const ussd_node *nd = &s->nodes[i];
    char text[USSD_TEXT_MAX];
    expand(s, nd->text, text, sizeof text);
    reply(e, nd->end ? 0 : 1, text);
    if (nd->end) {
        finish(e, nd);
        return;
    }
    e->ussd_node = i;
    unsigned t = nd->timeout_ms ? nd->timeout_ms : s->timeout_ms;
    e->ussd_deadline = e->now + e->cfg.ussd_latency_ms + t;
}

static bool rule_matches(const ussd_rule *r, const char *input)
{
    if (r->regex)
        return regexec(&r->re, input, 0, NULL, 0) == 0;
    return strcasecmp(r->pat, input) == 0 || strcmp(r->pat, "*") == 0;
}

static void answer(sim_engine *e, const char *input)
{
    sim_ussd_script *s = e->ussd;
    const ussd_node *nd = &s->nodes[e->ussd_node];
    if (nd->keep[0])
        set_var(s, nd->keep, input);
    set_var(s, "input", input);
    for (size_t k = 0; k < nd->nrules; k++) {
        if (rule_matches(&nd->rules[k], input)) {
            show_node(e, nd->rules[k].next_i);
            return;
        }
    }
    if (nd->else_i >= 0) {
        show_node(e, nd->else_i);
        return;
    }
    reply(e, 0, "Invalid input");
    e->ussd_node = -1;
    e->ussd_deadline = 0;
}

static void dial(sim_engine *e, const char *code)
{
    sim_ussd_script *s = e->ussd;
    for (size_t i = 0; s && i < s->ncodes; i++) {
        if (strcmp(s->codes[i].code, code) != 0)
            continue;
        char ref[11];
        static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for (size_t k = 0; k < 10; k++)
            ref[k] = alnum[sim_random(e) % 36];
        ref[10] = '\0';
        s->nvars = 0;
        set_var(s, "ref", ref);
        e->stats.ussd_sessions++;
        show_node(e, s->codes[i].node_i);
        return;
    }
    reply(e, 4, NULL); /* no such service */
}

/* <str> as the TE character set writes it: UCS-2 hex under AT+CSCS="UCS2". */
static bool decode_request(const sim_engine *e, const char *str, char *out, size_t cap)
{
    if (strcmp(e->cscs, "UCS2") != 0) {
        snprintf(out, cap, "%s", str);
        return true;
    }
    uint8_t be[USSD_PAT_MAX];
    size_t n, m;
    return hex_decode(str, strlen(str), be, sizeof be, &n, NULL) == KZ_OK &&
           ucs2_to_utf8(be, n, out, cap, &m, NULL) == KZ_OK;
}

static sim_res cmd_cusd(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long n, dcs;
    char str[USSD_PAT_MAX * 2], req[USSD_PAT_MAX * 2];
    if (op == SIM_OP_READ || op == SIM_OP_TEST) {
        sim_line(out, op == SIM_OP_READ ? "+CUSD: %d" : "+CUSD: (0-2)", e->cusd_n);
        return sim_ok();
    }
    if (op != SIM_OP_SET || !sim_arg_int(&a, 0, 2, &n))
        return sim_cme(50);
    bool has_str = sim_arg_str(&a, str, sizeof str);
    if (sim_arg_more(&a) && !sim_arg_int(&a, 0, 255, &dcs))
        return sim_cme(50);
    if (!sim_arg_end(&a))
        return sim_cme(50);
    if (n == 2) {
        sim_ussd_reset(e);
        return sim_ok();
    }
    e->cusd_n = (int)n;
    if (!has_str)
        return sim_ok();
    if (!sim_registered(e))
        return sim_cme(30);
    if (e->ussd_reply_pending)
        return sim_cme(3); /* the network has not answered the last request yet */
    if (!decode_request(e, str, req, sizeof req))
        return sim_cme(50);
    if (e->ussd_node >= 0)
        answer(e, req);
    else
        dial(e, req);
    return sim_ok();
}

const sim_cmd_entry sim_ussd_commands[] = {
    {"+CUSD", cmd_cusd, false, true},
    {NULL, NULL, false, false},
};

/* Deliver a delayed network answer; end sessions the user left waiting too long. */
void sim_ussd_tick(sim_engine *e)
{
    if (e->ussd_reply_pending && e->now >= e->ussd_reply_due) {
        e->ussd_reply_pending = false;
        sim_urc(e, "%.*s", (int)e->ussd_reply.len, (const char *)e->ussd_reply.p);
        e->ussd_reply.len = 0;
    }
    if (e->ussd_node >= 0 && e->ussd_deadline && e->now >= e->ussd_deadline &&
        !e->ussd_reply_pending) {
        sim_ussd_reset(e);
        sim_urc(e, "+CUSD: 2");
    }
}
