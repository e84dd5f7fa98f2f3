/*
 * test_at_transcripts.c - replays the shared at-transcripts.jsonl responses
 * through at_parse (whole, one byte at a time, and in random chunks) and
 * checks every value in each vector's "parsed" object with at_scan.
 * Owns: the mapping from a vector's "parsed" keys to parser events and
 * scanner results. Never edits the vectors: one believed wrong is listed in
 * tests/vectors/skip.txt ("at-transcripts.jsonl ID reason") and skipped here.
 *
 * The pending command is set from "command" unless it is "(unsolicited)";
 * "AT+CMGS=<len>" expects a prompt. After the bytes, at_parser_flush runs,
 * because some responses were captured without their last line end.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "at_parse.h"
#include "at_scan.h"
#include "harness.h"

#define EV_MAX 48
#define SKIP_MAX 64

typedef struct rec {
    at_event_kind kind;
    at_final final;
    int code;
    at_urc urc;
    char line[AT_LINE_MAX + 1];
    size_t len;
    char body[AT_LINE_MAX + 1];
    size_t body_len;
    bool has_body;
} rec;

typedef struct run {
    rec ev[EV_MAX];
    size_t n;
    bool lost; /* more than EV_MAX events */
} run;

static run whole, other;
static char skip_ids[SKIP_MAX][128];
static size_t nskip;
static int nvectors, nskipped;

static void load_skips(void)
{
    FILE *f = fopen("tests/vectors/skip.txt", "r");
    char line[1024];
    if (!f)
        return;
    while (nskip < SKIP_MAX && fgets(line, sizeof line, f)) {
        char file[64], id[128];
        if (sscanf(line, "%63s %127s", file, id) == 2 &&
            strcmp(file, "at-transcripts.jsonl") == 0)
            snprintf(skip_ids[nskip++], sizeof skip_ids[0], "%s", id);
    }
    fclose(f);
}

static bool skipped(const char *id)
{
    for (size_t i = 0; i < nskip; i++)
        if (strcmp(skip_ids[i], id) == 0)
            return true;
    return false;
}

static void on_event(void *ctx, const at_event *ev)
{
    run *r = ctx;
    if (r->n == EV_MAX) {
        r->lost = true;
        return;
    }
    rec *e = &r->ev[r->n++];
    memset(e, 0, sizeof *e);
    e->kind = ev->kind;
    e->final = ev->final;
    e->code = ev->code;
    e->urc = ev->urc;
    memcpy(e->line, ev->line, ev->len);
    e->len = ev->len;
    if (ev->body) {
        memcpy(e->body, ev->body, ev->body_len);
        e->body_len = ev->body_len;
        e->has_body = true;
    }
}

static uint64_t rng_state;

static size_t rng_next(size_t bound)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (size_t)((rng_state >> 33) % bound);
}

/* Feed resp in chunks: chunk 0 = whole, 1 = bytes, else random sizes 1..chunk. */
static void feed(run *r, const char *cmd, const char *resp, size_t len, size_t chunk)
{
    static at_parser p;
    memset(r, 0, sizeof *r);
    at_parser_init(&p, on_event, r);
    if (strcmp(cmd, "(unsolicited)") != 0) {
        unsigned flags = strncmp(cmd, "AT+CMGS=", 8) == 0 ? AT_EXPECT_PROMPT : 0;
        KT_CHECK(at_parser_expect(&p, cmd, flags) == KZ_OK, "expect %s", cmd);
    }
    for (size_t i = 0; i < len;) {
        size_t n = chunk == 0 ? len - i : chunk == 1 ? 1 : 1 + rng_next(chunk);
        if (n > len - i)
            n = len - i;
        at_parser_feed(&p, (const uint8_t *)resp + i, n);
        i += n;
    }
    at_parser_flush(&p);
}

static bool same_runs(const run *a, const run *b)
{
    if (a->n != b->n || a->lost != b->lost)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const rec *x = &a->ev[i], *y = &b->ev[i];
        if (x->kind != y->kind || x->final != y->final || x->code != y->code ||
            x->urc != y->urc || x->len != y->len || memcmp(x->line, y->line, x->len) != 0 ||
            x->has_body != y->has_body || x->body_len != y->body_len ||
            memcmp(x->body, y->body, x->body_len) != 0)
            return false;
    }
    return true;
}

/* The first event of kind k (any if k is 0) whose line starts with pre, from index *from. */
static const rec *find(const run *r, at_event_kind k, const char *pre, size_t *from)
{
    size_t start = from ? *from : 0;
    for (size_t i = start; i < r->n; i++) {
        const rec *e = &r->ev[i];
        if ((k == 0 || e->kind == k) && strncmp(e->line, pre, strlen(pre)) == 0) {
            if (from)
                *from = i + 1;
            return e;
        }
    }
    return NULL;
}

static const rec *find_final(const run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ev[i].kind == AT_EV_FINAL)
            return &r->ev[i];
    return NULL;
}

static void check_int(const char *id, const char *what, json_t *want, bool has, long got)
{
    if (!want)
        return;
    if (json_is_null(want)) {
        KT_CHECK(!has, "%s: %s should be absent, got %ld", id, what, got);
        return;
    }
    KT_CHECK(has && got == (long)json_integer_value(want), "%s: %s got %ld (present %d), want %ld",
             id, what, got, (int)has, (long)json_integer_value(want));
}

static void check_str(const char *id, const char *what, json_t *want, const char *got)
{
    if (!want)
        return;
    const char *w = json_string_value(want);
    KT_CHECK(w && got && strcmp(w, got) == 0, "%s: %s got \"%s\", want \"%s\"", id, what,
             got ? got : "(none)", w ? w : "(null)");
}

static void check_final(const char *id, json_t *parsed)
{
    const char *want = json_string_value(json_object_get(parsed, "final"));
    const rec *f = find_final(&whole);
    if (!want)
        return;
    KT_CHECK(f && strcmp(at_final_name(f->final), want) == 0, "%s: final %s, want %s", id,
             f ? at_final_name(f->final) : "(none)", want);
}

static void check_error(const char *id, json_t *parsed)
{
    const char *kind = json_string_value(json_object_get(parsed, "error"));
    const rec *f = find_final(&whole);
    if (!kind)
        return;
    bool cms = strcmp(kind, "CMS") == 0;
    at_final want = cms ? AT_FINAL_CMS_ERROR : AT_FINAL_CME_ERROR;
    KT_CHECK(f && f->final == want, "%s: final %s, want %s ERROR", id,
             f ? at_final_name(f->final) : "(none)", kind);
    if (!f)
        return;
    check_int(id, "error code", json_object_get(parsed, "code"), true, f->code);
    check_str(id, "error text", json_object_get(parsed, "text"),
              cms ? at_cms_text(f->code) : at_cme_text(f->code));
}

static void check_urc_list(const char *id, json_t *parsed)
{
    json_t *urcs = json_object_get(parsed, "urcs");
    size_t from = 0;
    if (!urcs)
        return;
    for (size_t i = 0; i < json_array_size(urcs); i++) {
        const char *want = json_string_value(json_array_get(urcs, i));
        const rec *e = find(&whole, AT_EV_URC, "", &from);
        KT_CHECK(e && strcmp(e->line, want) == 0, "%s: urc %zu is \"%s\", want \"%s\"", id, i,
                 e ? e->line : "(none)", want);
    }
    KT_CHECK(find(&whole, AT_EV_URC, "", &from) == NULL, "%s: more URCs than listed", id);
}

static void check_mem_index(const char *id, const rec *e, json_t *want)
{
    at_mem_index mi;
    KT_CHECK(at_scan_cmti(e->line, e->len, &mi) == KZ_OK, "%s: scan %s", id, e->line);
    check_str(id, "mem", json_object_get(want, "mem"), mi.mem);
    check_int(id, "index", json_object_get(want, "index"), true, mi.index);
}

static void check_sms_urc(const char *id, const rec *e, json_t *want)
{
    at_msg_header h;
    KT_CHECK(at_scan_cmt(e->line, e->len, &h) == KZ_OK, "%s: scan %s", id, e->line);
    check_str(id, "alpha", json_object_get(want, "alpha"), h.alpha);
    check_int(id, "length", json_object_get(want, "length"), true, h.length);
    check_str(id, "pdu", json_object_get(want, "pdu"), e->has_body ? e->body : NULL);
}

/* +CUSD fields of e against want {m, str, dcs}. */
static void check_cusd_line(const char *id, const rec *e, json_t *want)
{
    static char str[AT_LINE_MAX];
    int m = -1, dcs = -1;
    unsigned got = 0;
    kz_status st = at_scan(e->line, e->len, &got, "+CUSD: %i?,%s,%i", &m, str, sizeof str, &dcs);
    KT_CHECK(st == KZ_OK, "%s: scan %s: %d", id, e->line, (int)st);
    check_int(id, "cusd m", json_object_get(want, "m"), got & 1u, m);
    check_str(id, "cusd str", json_object_get(want, "str"), str);
    check_int(id, "cusd dcs", json_object_get(want, "dcs"), got & 4u, dcs);
}

static void check_urc(const char *id, json_t *parsed)
{
    json_t *u = json_object_get(parsed, "urc");
    if (!u)
        return;
    const char *name = json_is_string(u) ? json_string_value(u)
                                         : json_string_value(json_object_get(u, "urc"));
    json_t *fields = json_is_string(u) ? parsed : u;
    if (!name)
        name = "+CUSD";
    char pre[16];
    snprintf(pre, sizeof pre, "%s:", name);
    const rec *e = find(&whole, AT_EV_URC, pre, NULL);
    KT_CHECK(e != NULL, "%s: no %s URC", id, name);
    if (!e)
        return;
    if (strcmp(name, "+CMTI") == 0 || strcmp(name, "+CDSI") == 0)
        check_mem_index(id, e, fields);
    else if (strcmp(name, "+CMT") == 0 || strcmp(name, "+CDS") == 0)
        check_sms_urc(id, e, fields);
    else
        check_cusd_line(id, e, fields);
}

/* +CUSD lines answering the pending command, before its final result. */
static void check_cusd(const char *id, json_t *parsed)
{
    json_t *c = json_object_get(parsed, "cusd");
    json_t *answer = json_object_get(parsed, "answer");
    const rec *last = NULL;
    size_t from = 0;
    if (!c && !answer)
        return;
    for (const rec *e; (e = find(&whole, AT_EV_LINE, "+CUSD:", &from)) != NULL;)
        last = e;
    const rec *f = find_final(&whole);
    KT_CHECK(last && f && last < f, "%s: no +CUSD line before the final result", id);
    if (!last)
        return;
    if (c)
        check_cusd_line(id, last, c);
    if (answer) {
        json_t *want = json_pack("{s:O}", "str", answer);
        check_cusd_line(id, last, want);
        json_decref(want);
    }
}

static void check_prompt_mr(const char *id, json_t *parsed)
{
    json_t *mr = json_object_get(parsed, "mr");
    if (json_object_get(parsed, "prompt")) {
        KT_CHECK(whole.n > 0 && whole.ev[0].kind == AT_EV_PROMPT, "%s: no prompt first", id);
        KT_CHECK(whole.n > 0 && strcmp(whole.ev[0].line, "> ") == 0, "%s: prompt text", id);
    }
    if (!mr)
        return;
    const rec *e = find(&whole, AT_EV_LINE, "+CMGS:", NULL);
    int got = -1;
    KT_CHECK(e && at_scan_cmgs(e->line, e->len, &got) == KZ_OK, "%s: +CMGS line", id);
    check_int(id, "mr", mr, e != NULL, got);
}

static void check_csq(const char *id, json_t *parsed)
{
    if (!json_object_get(parsed, "rssi"))
        return;
    const rec *e = find(&whole, AT_EV_LINE, "+CSQ:", NULL);
    at_csq q = {0};
    KT_CHECK(e && at_scan_csq(e->line, e->len, &q) == KZ_OK, "%s: +CSQ line", id);
    check_int(id, "rssi", json_object_get(parsed, "rssi"), true, q.rssi);
    check_int(id, "ber", json_object_get(parsed, "ber"), true, q.ber);
    check_int(id, "dbm", json_object_get(parsed, "dbm"), q.dbm_known, q.dbm);
}

static void check_creg(const char *id, json_t *parsed)
{
    if (!json_object_get(parsed, "stat"))
        return;
    const rec *e = find(&whole, 0, "+CREG:", NULL);
    if (json_object_get(parsed, "length"))
        return; /* +CMGR: "stat" belongs to check_cmgr */
    at_creg r;
    KT_CHECK(e && (e->kind == AT_EV_LINE || e->kind == AT_EV_URC), "%s: +CREG event", id);
    if (!e)
        return;
    KT_CHECK(at_scan_creg(e->line, e->len, e->kind == AT_EV_LINE, &r) == KZ_OK, "%s: scan %s",
             id, e->line);
    check_int(id, "n", json_object_get(parsed, "n"), r.has_n, r.n);
    check_int(id, "stat", json_object_get(parsed, "stat"), true, r.stat);
    check_int(id, "lac", json_object_get(parsed, "lac"), r.has_lac, (long)r.lac);
    check_int(id, "ci", json_object_get(parsed, "ci"), r.has_ci, (long)r.ci);
    check_int(id, "act", json_object_get(parsed, "act"), r.has_act, r.act);
}

static void check_list(const char *id, const char *what, json_t *want, const at_list *l)
{
    size_t nvalues = 0;
    for (size_t i = 0; i < json_array_size(want); i++) {
        json_t *v = json_array_get(want, i);
        if (json_is_string(v))
            KT_CHECK(i < l->count && strcmp(l->item[i], json_string_value(v)) == 0,
                     "%s: %s item %zu is \"%s\", want \"%s\"", id, what, i,
                     i < l->count ? l->item[i] : "(none)", json_string_value(v));
        else
            KT_CHECK(at_list_has(l, (int)json_integer_value(v)), "%s: %s lacks %d", id, what,
                     (int)json_integer_value(v));
    }
    for (size_t i = 0; i < l->count; i++)
        nvalues += l->lo[i] < 0 ? 1 : (size_t)(l->hi[i] - l->lo[i] + 1);
    KT_CHECK(nvalues == json_array_size(want), "%s: %s has %zu values, want %zu", id, what,
             nvalues, json_array_size(want));
}

static void check_cpms(const char *id, const char *cmd, json_t *parsed)
{
    static const char *const keys[] = {"mem1", "mem2", "mem3"};
    if (!json_object_get(parsed, "mem1"))
        return;
    const rec *e = find(&whole, AT_EV_LINE, "+CPMS:", NULL);
    KT_CHECK(e != NULL, "%s: no +CPMS line", id);
    if (!e)
        return;
    if (strcmp(cmd, "AT+CPMS=?") == 0) {
        static at_cpms_test t;
        KT_CHECK(at_scan_cpms_test(e->line, e->len, &t) == KZ_OK, "%s: scan", id);
        for (size_t i = 0; i < 3; i++)
            check_list(id, keys[i], json_object_get(parsed, keys[i]), &t.mem[i]);
        return;
    }
    at_cpms c;
    KT_CHECK(at_scan_cpms(e->line, e->len, &c) == KZ_OK, "%s: scan %s", id, e->line);
    for (size_t i = 0; i < 3; i++) {
        json_t *m = json_object_get(parsed, keys[i]);
        size_t n = json_array_size(m);
        KT_CHECK(!m || i < c.count, "%s: %s missing", id, keys[i]);
        if (!m || i >= c.count)
            continue;
        if (n == 3)
            check_str(id, keys[i], json_array_get(m, 0), c.mem[i].name);
        check_int(id, "used", json_array_get(m, n - 2), true, c.mem[i].used);
        check_int(id, "total", json_array_get(m, n - 1), true, c.mem[i].total);
    }
    KT_CHECK(c.count == json_object_size(parsed), "%s: %zu memories", id, c.count);
}

static void check_cnmi(const char *id, json_t *parsed)
{
    static at_cnmi_test t;
    if (!json_object_get(parsed, "mode"))
        return;
    const rec *e = find(&whole, AT_EV_LINE, "+CNMI:", NULL);
    KT_CHECK(e && at_scan_cnmi_test(e->line, e->len, &t) == KZ_OK && t.count == 5,
             "%s: +CNMI line", id);
    check_list(id, "mode", json_object_get(parsed, "mode"), &t.mode);
    check_list(id, "mt", json_object_get(parsed, "mt"), &t.mt);
    check_list(id, "bm", json_object_get(parsed, "bm"), &t.bm);
    check_list(id, "ds", json_object_get(parsed, "ds"), &t.ds);
    check_list(id, "bfr", json_object_get(parsed, "bfr"), &t.bfr);
}

static void check_strings(const char *id, json_t *parsed)
{
    char buf[64];
    int tosca = -1;
    const rec *e;
    if (json_object_get(parsed, "cscs")) {
        e = find(&whole, AT_EV_LINE, "+CSCS:", NULL);
        KT_CHECK(e && at_scan_cscs(e->line, e->len, buf, sizeof buf) == KZ_OK, "%s: cscs", id);
        check_str(id, "cscs", json_object_get(parsed, "cscs"), e ? buf : NULL);
    }
    if (json_object_get(parsed, "sca")) {
        e = find(&whole, AT_EV_LINE, "+CSCA:", NULL);
        KT_CHECK(e && at_scan_csca(e->line, e->len, buf, sizeof buf, &tosca) == KZ_OK,
                 "%s: csca", id);
        check_str(id, "sca", json_object_get(parsed, "sca"), e ? buf : NULL);
        check_int(id, "tosca", json_object_get(parsed, "tosca"), tosca >= 0, tosca);
    }
    if (json_object_get(parsed, "model")) {
        e = find(&whole, AT_EV_LINE, "", NULL);
        check_str(id, "model", json_object_get(parsed, "model"), e ? e->line : NULL);
    }
}

/* The PDU that goes with header event h: on its own line, or the next LINE. */
static const char *pdu_of(const rec *h, const at_msg_header *m, char *buf, size_t cap)
{
    if (m->pdu) {
        snprintf(buf, cap, "%.*s", (int)m->pdu_len, m->pdu);
        return buf;
    }
    if (h + 1 < whole.ev + whole.n && h[1].kind == AT_EV_LINE && h[1].line[0] != '+')
        return h[1].line;
    return NULL;
}

static void check_entries(const char *id, json_t *parsed)
{
    json_t *entries = json_object_get(parsed, "entries");
    static char pdu[AT_LINE_MAX + 1];
    size_t from = 0;
    if (!entries)
        return;
    for (size_t i = 0; i < json_array_size(entries); i++) {
        json_t *want = json_array_get(entries, i);
        const rec *e = find(&whole, AT_EV_LINE, "+CMGL:", &from);
        at_msg_header m;
        KT_CHECK(e && at_scan_cmgl(e->line, e->len, &m) == KZ_OK, "%s: entry %zu", id, i);
        if (!e)
            return;
        check_int(id, "index", json_object_get(want, "index"), true, m.index);
        check_int(id, "stat", json_object_get(want, "stat"), true, m.stat);
        check_str(id, "alpha", json_object_get(want, "alpha"), m.alpha);
        check_int(id, "length", json_object_get(want, "length"), true, m.length);
        const char *p = pdu_of(e, &m, pdu, sizeof pdu);
        KT_CHECK(p != NULL, "%s: entry %zu has no PDU", id, i);
        check_str(id, "pdu", json_object_get(want, "pdu"), p);
    }
    KT_CHECK(find(&whole, AT_EV_LINE, "+CMGL:", &from) == NULL, "%s: more entries", id);
}

static void check_cmgr(const char *id, json_t *parsed)
{
    static char pdu[AT_LINE_MAX + 1];
    const rec *e = find(&whole, AT_EV_LINE, "+CMGR:", NULL);
    at_msg_header m;
    if (!e || json_object_get(parsed, "error"))
        return;
    KT_CHECK(at_scan_cmgr(e->line, e->len, &m) == KZ_OK, "%s: scan %s", id, e->line);
    check_int(id, "stat", json_object_get(parsed, "stat"), true, m.stat);
    check_str(id, "alpha", json_object_get(parsed, "alpha"), m.alpha);
    check_int(id, "length", json_object_get(parsed, "length"), true, m.length);
    const char *p = pdu_of(e, &m, pdu, sizeof pdu);
    KT_CHECK(p && strlen(p) >= 2 * (size_t)m.length, "%s: PDU missing or short", id);
}

/* Every key of "parsed" must be one some check above looks at. */
static void check_keys_known(const char *id, json_t *parsed)
{
    static const char *const known[] = {
        "final", "error", "code", "text", "urcs", "urc", "prompt", "mr", "rssi", "ber", "dbm",
        "n", "stat", "lac", "ci", "act", "mem1", "mem2", "mem3", "cscs", "sca", "tosca",
        "mode", "mt", "bm", "ds", "bfr", "model", "entries", "cusd", "answer", "alpha",
        "length", "pdu", "mem", "index", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(parsed, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i]; i++)
            ok = ok || strcmp(known[i], key) == 0;
        KT_CHECK(ok, "%s: parsed key \"%s\" is not checked", id, key);
    }
}

static void check_general(const char *id, const char *cmd)
{
    KT_CHECK(!whole.lost, "%s: too many events", id);
    for (size_t i = 0; i < whole.n; i++) {
        const rec *e = &whole.ev[i];
        KT_CHECK(e->kind != AT_EV_OVERFLOW && e->kind != AT_EV_STRAY_LINE &&
                     e->kind != AT_EV_STRAY_FINAL,
                 "%s: unexpected %s \"%s\"", id, at_event_name(e->kind), e->line);
        KT_CHECK(strcmp(e->line, cmd) != 0, "%s: echo not dropped", id);
    }
}

static void check_vector(json_t *v)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *cmd = json_string_value(json_object_get(v, "command"));
    json_t *resp = json_object_get(v, "response");
    json_t *parsed = json_object_get(v, "parsed");
    KT_CHECK(id && cmd && json_is_string(resp) && json_is_object(parsed), "malformed vector");
    if (!id || !cmd || !json_is_string(resp) || !json_is_object(parsed))
        return;
    nvectors++;
    if (skipped(id)) {
        nskipped++;
        return;
    }
    const char *r = json_string_value(resp);
    size_t len = json_string_length(resp);
    feed(&whole, cmd, r, len, 0);
    feed(&other, cmd, r, len, 1);
    KT_CHECK(same_runs(&whole, &other), "%s: byte-at-a-time events differ", id);
    for (size_t chunk = 2; chunk <= 24; chunk++) {
        feed(&other, cmd, r, len, chunk);
        KT_CHECK(same_runs(&whole, &other), "%s: chunks of up to %zu differ", id, chunk);
    }
    check_general(id, cmd);
    check_keys_known(id, parsed);
    check_final(id, parsed);
    check_error(id, parsed);
    check_urc_list(id, parsed);
    check_urc(id, parsed);
    check_cusd(id, parsed);
    check_prompt_mr(id, parsed);
    check_csq(id, parsed);
    check_creg(id, parsed);
    check_cpms(id, cmd, parsed);
    check_cnmi(id, parsed);
    check_strings(id, parsed);
    check_entries(id, parsed);
    check_cmgr(id, parsed);
}

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/at-transcripts.jsonl", kt_vectors_dir());
    FILE *f = fopen(path, "r");
    KT_CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return kt_report();
    load_skips();
    rng_state = 0x4b617a69u;
    static char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);
        KT_CHECK(v != NULL, "%s:%d: %s", path, jerr.line, jerr.text);
        if (v)
            check_vector(v);
        json_decref(v);
    }
    fclose(f);
    KT_CHECK(nvectors >= 60, "only %d vectors", nvectors);
    printf("%d vectors, %d skipped\n", nvectors, nskipped);
    return kt_report();
}
