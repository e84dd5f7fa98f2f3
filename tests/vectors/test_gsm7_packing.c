/*
 * test_gsm7_packing.c - replays vectors/gsm7-packing.jsonl (read at test
 * time from kt_vectors_dir()) through modem/gsm7.c: text -> septets ->
 * packed octets and back, with each vector's septet count and fill bits.
 * Never writes files; a missing or malformed vector file is a failure.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gsm7.h"
#include "harness.h"
#include "hex.h"

#define MAXB 1024

/* A string field of obj, or NULL (and a failed check) if it is missing. */
static const char *str_field(json_t *obj, const char *key, const char *id)
{
    const char *s = json_string_value(json_object_get(obj, key));
    KT_CHECK(s != NULL, "%s: no string field %s", id, key);
    return s;
}

/* Decode a hex field into out; returns the byte count or (size_t)-1. */
static size_t hex_field(json_t *obj, const char *key, const char *id, uint8_t *out)
{
    const char *h = str_field(obj, key, id);
    size_t n = 0;
    if (!h)
        return (size_t)-1;
    kz_status st = hex_decode(h, strlen(h), out, MAXB, &n, NULL);
    KT_CHECK(st == KZ_OK, "%s: %s is not hex", id, key);
    return st == KZ_OK ? n : (size_t)-1;
}

static void check_vector(json_t *v)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    if (!id)
        id = "(no id)";
    const char *text = str_field(v, "text", id);
    json_t *cnt = json_object_get(v, "septet_count"), *fb = json_object_get(v, "fill_bits");
    KT_CHECK(json_is_integer(cnt) && json_is_integer(fb), "%s: counts missing", id);
    static uint8_t want_sep[MAXB], want_packed[MAXB], sep[MAXB], packed[MAXB], back[MAXB];
    size_t nsep = hex_field(v, "septets_hex", id, want_sep);
    size_t npacked = hex_field(v, "packed_hex", id, want_packed);
    if (!text || !json_is_integer(cnt) || !json_is_integer(fb) || nsep == (size_t)-1 ||
        npacked == (size_t)-1)
        return;
    size_t count = (size_t)json_integer_value(cnt);
    unsigned fill = (unsigned)json_integer_value(fb);

    size_t n = 0, pn = 0, tn = 0;
    kz_err err;
    KT_CHECK(gsm7_from_utf8((const uint8_t *)text, strlen(text), sep, MAXB, &n, &err) == KZ_OK,
             "%s: text -> septets: %s", id, err.msg);
    KT_CHECK(n == nsep && n == count && memcmp(sep, want_sep, n) == 0, "%s: septets differ", id);
    KT_CHECK(gsm7_pack(want_sep, nsep, fill, packed, MAXB, &pn) == KZ_OK, "%s: pack", id);
    KT_CHECK(pn == npacked && memcmp(packed, want_packed, pn) == 0, "%s: packed differs", id);
    KT_CHECK(gsm7_packed_len(count, fill) == npacked, "%s: packed_len", id);
    KT_CHECK(gsm7_unpack(want_packed, npacked, fill, count, back, MAXB, &err) == KZ_OK,
             "%s: unpack: %s", id, err.msg);
    KT_CHECK(memcmp(back, want_sep, count) == 0, "%s: unpacked septets differ", id);
    static char out[3 * MAXB + 1];
    KT_CHECK(gsm7_to_utf8(back, count, out, sizeof out, &tn, &err) == KZ_OK, "%s: to_utf8", id);
    KT_STREQ(out, text, id);
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/gsm7-packing.jsonl", kt_vectors_dir());
    FILE *f = fopen(path, "r");
    KT_CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return kt_report();
    static char line[1 << 16];
    size_t nvec = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        if (len == 0)
            continue;
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);
        KT_CHECK(v != NULL, "%s:%zu: %s", path, lineno, jerr.text);
        if (!v)
            continue;
        check_vector(v);
        json_decref(v);
        nvec++;
    }
    fclose(f);
    KT_CHECK(nvec >= 24, "only %zu vectors in %s", nvec, path);
    return kt_report();
}
