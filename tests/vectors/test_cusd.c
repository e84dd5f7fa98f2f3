/*
 * test_cusd.c - replays the shared cusd.jsonl vectors through cusd_parse.
 * Owns: the mapping from a vector's fields to what cusd_parse must report.
 * Never edits the vectors: a vector believed wrong is listed in
 * tests/vectors/skip.txt ("cusd.jsonl ID reason") and skipped here.
 *
 * Each line is parsed with CUSD_WIRE_AUTO and again with the wire its "wire"
 * field names; both must give m, dcs and text. "text": null means the line
 * carries no usable text: with "decoded_as_is" the decoder cannot know that
 * (the hex was tampered with by the reporter) and must give exactly that
 * straight decode; without it, has_text must be false. Every prefix of every
 * line is also parsed, which must not crash.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cusd.h"
#include "harness.h"

#define SKIP_MAX 64
#define SKIP_ID_MAX 128

static char skip_ids[SKIP_MAX][SKIP_ID_MAX];
static size_t nskip;

static void load_skips(void)
{
    FILE *f = fopen("tests/vectors/skip.txt", "r");
    char line[512];
    if (!f)
        return;
    while (nskip < SKIP_MAX && fgets(line, sizeof line, f)) {
        char file[64], id[SKIP_ID_MAX];
        if (sscanf(line, "%63s %127s", file, id) == 2 && strcmp(file, "cusd.jsonl") == 0)
            snprintf(skip_ids[nskip++], SKIP_ID_MAX, "%s", id);
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

static cusd_wire wire_of(const char *w)
{
    if (strncmp(w, "gsm7-packed-hex", 15) == 0)
        return CUSD_WIRE_GSM7_HEX;
    if (strncmp(w, "ucs2-hex", 8) == 0)
        return CUSD_WIRE_UCS2_HEX;
    if (strncmp(w, "text", 4) == 0)
        return CUSD_WIRE_TEXT;
    return CUSD_WIRE_AUTO;
}

static void check_one(const char *id, const char *line, cusd_wire wire, json_t *v)
{
    static cusd_reply r;
    kz_err err;
    const char *want = json_string_value(json_object_get(v, "text"));
    const char *as_is = json_string_value(json_object_get(v, "decoded_as_is"));
    json_t *dcs = json_object_get(v, "dcs");
    int want_dcs = json_is_integer(dcs) ? (int)json_integer_value(dcs) : -1;
    int want_m = (int)json_integer_value(json_object_get(v, "m"));
    kz_status st = cusd_parse((const uint8_t *)line, strlen(line), wire, &r, &err);

    KT_CHECK(st == KZ_OK, "%s wire %d: status %d (%s at %zu)", id, (int)wire, (int)st, err.msg,
             err.offset);
    KT_CHECK(r.status == want_m, "%s wire %d: m %d, want %d", id, (int)wire, r.status, want_m);
    KT_CHECK(r.dcs == want_dcs, "%s wire %d: dcs %d, want %d", id, (int)wire, r.dcs, want_dcs);
    if (!want)
        want = as_is;
    if (!want) {
        KT_CHECK(!r.has_text, "%s wire %d: text \"%s\" where none is usable", id, (int)wire,
                 r.text);
        return;
    }
    KT_CHECK(r.has_text, "%s wire %d: no text", id, (int)wire);
    KT_STREQ(r.text, want, id);
    KT_CHECK(r.text_len == strlen(r.text), "%s: text_len %zu", id, r.text_len);
}

/* Every prefix of the line parses or fails cleanly (ASan watches). */
static void check_prefixes(const char *line)
{
    static cusd_reply r;
    size_t len = strlen(line);
    int bad = 0;
    for (size_t k = 0; k < len; k++) {
        kz_err err;
        kz_status st = cusd_parse((const uint8_t *)line, k, CUSD_WIRE_AUTO, &r, &err);
        if (st != KZ_OK && (err.offset > k || err.status != st))
            bad++;
        if (st == KZ_OK && r.text_len != strlen(r.text))
            bad++;
    }
    KT_CHECK(bad == 0, "%d prefixes of \"%.30s\" gave a bad error offset or length", bad, line);
}

static void run_vector(json_t *v, int *nrun)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *line = json_string_value(json_object_get(v, "line"));
    const char *wire = json_string_value(json_object_get(v, "wire"));
    KT_CHECK(id && line && wire, "vector without id, line or wire");
    if (!id || !line || !wire)
        return;
    if (skipped(id)) {
        printf("skip cusd.jsonl %s\n", id);
        return;
    }
    check_one(id, line, CUSD_WIRE_AUTO, v);
    if (wire_of(wire) != CUSD_WIRE_AUTO)
        check_one(id, line, wire_of(wire), v);
    check_prefixes(line);
    (*nrun)++;
}

int main(void)
{
    char path[1024];
    char buf[8192];
    int nrun = 0;
    int nlines = 0;
    snprintf(path, sizeof path, "%s/cusd.jsonl", kt_vectors_dir());
    load_skips();
    FILE *f = fopen(path, "r");
    KT_CHECK(f != NULL, "cannot open %s (set KAZI_VECTORS)", path);
    if (!f)
        return kt_report();
    while (fgets(buf, sizeof buf, f)) {
        json_error_t jerr;
        json_t *v = json_loads(buf, 0, &jerr);
        nlines++;
        KT_CHECK(v != NULL, "%s:%d: %s", path, nlines, jerr.text);
        if (v)
            run_vector(v, &nrun);
        json_decref(v);
    }
    fclose(f);
    KT_CHECK(nrun > 0, "no vectors ran");
    printf("%d of %d cusd vectors run\n", nrun, nlines);
    return kt_report();
}
