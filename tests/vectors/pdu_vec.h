/*
 * pdu_vec.h - shared by the PDU vector tests: reading a JSON Lines vector
 * file with jansson, the skip list (tests/vectors/skip.txt) and the field
 * checks common to DELIVER, SUBMIT and STATUS-REPORT vectors.
 * Include after harness.h. Never decides what a vector means: each test
 * file does.
 */
#ifndef KAZI_TEST_PDU_VEC_H
#define KAZI_TEST_PDU_VEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "pdu.h"

#define VEC_SKIP_MAX 64

typedef struct vec_skip {
    char file[64];
    char id[96];
    char reason[1024];
} vec_skip;

static vec_skip vec_skips[VEC_SKIP_MAX];
static size_t vec_nskips;
static int vec_skipped, vec_ok, vec_bad;

/* Load tests/vectors/skip.txt: "FILE ID reason" lines; '#' starts a comment. */
static inline void vec_load_skips(void)
{
    const char *path = getenv("KAZI_SKIP");
    FILE *f = fopen(path && *path ? path : "tests/vectors/skip.txt", "r");
    char line[2048];
    if (!f) {
        KT_CHECK(f != NULL, "cannot open tests/vectors/skip.txt (run from the project root)");
        return;
    }
    while (fgets(line, sizeof line, f) && vec_nskips < VEC_SKIP_MAX) {
        vec_skip *s = &vec_skips[vec_nskips];
        int used = 0;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%63s %95s %n", s->file, s->id, &used) < 2)
            continue;
        snprintf(s->reason, sizeof s->reason, "%s", line + used);
        s->reason[strcspn(s->reason, "\n")] = '\0';
        KT_CHECK(s->reason[0] != '\0', "skip.txt: %s %s has no reason", s->file, s->id);
        vec_nskips++;
    }
    fclose(f);
}

static inline const char *vec_skip_reason(const char *file, const char *id)
{
    for (size_t i = 0; i < vec_nskips; i++)
        if (strcmp(vec_skips[i].file, file) == 0 && strcmp(vec_skips[i].id, id) == 0)
            return vec_skips[i].reason;
    return NULL;
}

/* String member or NULL (absent, null or not a string). */
static inline const char *vec_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Hex string member as an integer (e.g. "91"), or -1. */
static inline int vec_hexbyte(json_t *o, const char *key)
{
    const char *s = vec_str(o, key);
    return s ? (int)strtol(s, NULL, 16) : -1;
}

static inline bool vec_unhex(const char *hex, uint8_t *out, size_t cap, size_t *n)
{
    return hex_decode(hex, strlen(hex), out, cap, n, NULL) == KZ_OK;
}

/* Run fn on every line of dir/name; the vector count goes to stdout. */
static inline void vec_each(const char *name, void (*fn)(const char *file, json_t *v))
{
    char path[512], *line = NULL;
    size_t cap = 0;
    int lines = 0;
    snprintf(path, sizeof path, "%s/%s", kt_vectors_dir(), name);
    FILE *f = fopen(path, "r");
    KT_CHECK(f != NULL, "cannot open %s (set KAZI_VECTORS)", path);
    if (!f)
        return;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *v = json_loads(line, 0, &je);
        KT_CHECK(v != NULL, "%s:%d: bad JSON: %s", name, lines + 1, je.text);
        lines++;
        if (!v)
            continue;
        const char *id = vec_str(v, "id");
        const char *why = id ? vec_skip_reason(name, id) : NULL;
        if (why) {
            printf("SKIP %s %s: %s\n", name, id, why);
            vec_skipped++;
        } else {
            int before = kt_failed;
            fn(name, v);
            if (kt_failed == before)
                vec_ok++;
            else
                vec_bad++;
        }
        json_decref(v);
    }
    free(line);
    fclose(f);
    printf("%s: %d vectors, %d ok, %d failed, %d skipped\n", name, lines, vec_ok, vec_bad,
           vec_skipped);
}

/* Decode a vector's "pdu" member (SMSC field included). */
static inline kz_status vec_decode(json_t *v, sms_message *m, kz_err *e)
{
    uint8_t b[600];
    size_t n = 0;
    const char *hex = vec_str(v, "pdu");
    kz_err_clear(e);
    if (!hex || !vec_unhex(hex, b, sizeof b, &n)) {
        snprintf(e->msg, sizeof e->msg, "bad pdu hex");
        return KZ_ERR_INVALID;
    }
    return pdu_decode(b, n, true, m, e);
}

static inline void vec_check_smsc(const char *id, json_t *v, const sms_message *m)
{
    json_t *s = json_object_get(v, "smsc");
    if (!s)
        return;
    if (json_is_null(s)) {
        KT_CHECK(!m->has_smsc, "%s: smsc should be absent, got \"%s\"", id, m->smsc.text);
        return;
    }
    KT_CHECK(m->has_smsc, "%s: smsc missing", id);
    KT_STREQ(m->smsc.text, json_string_value(s), id);
}

/* Address text (with "<key>_alternatives") and "<key>_toa". */
static inline void vec_check_addr(const char *id, json_t *v, const char *key, const sms_address *a)
{
    char alt_key[64], toa_key[64];
    const char *want = vec_str(v, key);
    bool ok = want && strcmp(a->text, want) == 0;
    size_t i;
    json_t *alt;

    snprintf(alt_key, sizeof alt_key, "%s_alternatives", key);
    json_array_foreach(json_object_get(v, alt_key), i, alt)
        if (strcmp(a->text, json_string_value(alt)) == 0)
            ok = true;
    KT_CHECK(ok, "%s: %s got \"%s\", want \"%s\"", id, key, a->text, want ? want : "(null)");
    snprintf(toa_key, sizeof toa_key, "%s_toa", key);
    int toa = vec_hexbyte(v, toa_key);
    if (toa >= 0)
        KT_CHECK(a->toa == toa, "%s: %s 0x%02X, want 0x%02X", id, toa_key, a->toa, toa);
}

static inline void vec_check_time(const char *id, json_t *v, const char *key, const sms_time *t)
{
    char got[32] = "";
    const char *want = vec_str(v, key);
    if (!want)
        return;
    kz_status st = sms_time_format(t, got, sizeof got);
    KT_CHECK(st == KZ_OK, "%s: %s does not format", id, key);
    KT_CHECK(strcmp(got, want) == 0, "%s: %s got %s, want %s", id, key, got, want);
}

/* text, coding, dcs, pid, class, concat, udh_ies, data_hex. */
static inline void vec_check_body(const char *id, json_t *v, const sms_message *m)
{
    json_t *text = json_object_get(v, "text"), *cls = json_object_get(v, "class");
    json_t *cc = json_object_get(v, "concat"), *ies = json_object_get(v, "udh_ies");
    const char *coding = vec_str(v, "coding"), *data = vec_str(v, "data_hex");
    int dcs = vec_hexbyte(v, "dcs"), pid = vec_hexbyte(v, "pid");

    if (json_is_string(text)) {
        KT_CHECK(m->has_text, "%s: no text decoded", id);
        KT_STREQ(m->text, json_string_value(text), id);
        KT_CHECK(m->text_len == strlen(m->text), "%s: text_len %zu", id, m->text_len);
    } else if (json_is_null(text)) {
        KT_CHECK(!m->has_text, "%s: text should be null, got \"%s\"", id, m->text);
    }
    if (coding)
        KT_STREQ(sms_coding_name(m->dcsinfo.coding), coding, id);
    if (dcs >= 0)
        KT_CHECK(m->dcs == dcs, "%s: dcs 0x%02X want 0x%02X", id, m->dcs, dcs);
    if (pid >= 0)
        KT_CHECK(m->pid == pid, "%s: pid 0x%02X want 0x%02X", id, m->pid, pid);
    if (cls)
        KT_CHECK(m->dcsinfo.msg_class == (json_is_null(cls) ? -1 : (int)json_integer_value(cls)),
                 "%s: class %d", id, m->dcsinfo.msg_class);
    if (json_is_null(cc))
        KT_CHECK(!m->has_concat, "%s: unexpected concat", id);
    if (json_is_object(cc)) {
        KT_CHECK(m->has_concat, "%s: concat missing", id);
        KT_CHECK(m->concat.ref == json_integer_value(json_object_get(cc, "ref")) &&
                     m->concat.total == json_integer_value(json_object_get(cc, "total")) &&
                     m->concat.seq == json_integer_value(json_object_get(cc, "seq")) &&
                     m->concat.ref_bits == json_integer_value(json_object_get(cc, "ref_bits")),
                 "%s: concat ref %u total %u seq %u bits %u", id, m->concat.ref, m->concat.total,
                 m->concat.seq, m->concat.ref_bits);
    }
    if (json_is_array(ies)) {
        size_t i, pos = 0;
        json_t *ie;
        json_array_foreach(ies, i, ie) {
            uint8_t d[SMS_UD_MAX];
            size_t n = 0;
            int iei = vec_hexbyte(ie, "iei");
            bool ok = vec_unhex(vec_str(ie, "data"), d, sizeof d, &n) && pos + 2 + n <= m->udh_len &&
                      m->udh[pos] == iei && m->udh[pos + 1] == n &&
                      memcmp(m->udh + pos + 2, d, n) == 0;
            KT_CHECK(ok, "%s: UDH IE %zu (0x%02X) differs", id, i, iei);
            pos += 2 + n;
        }
        KT_CHECK(pos == m->udh_len, "%s: UDH has %zu octets, IEs cover %zu", id, m->udh_len, pos);
    }
    if (data) {
        uint8_t d[SMS_UD_MAX];
        size_t n = 0;
        KT_CHECK(vec_unhex(data, d, sizeof d, &n) && n == m->data_len &&
                     memcmp(d, m->data, n) == 0,
                 "%s: data differs (%zu octets, want %zu)", id, m->data_len, n);
    }
}

static inline int vec_report(void)
{
    printf("vectors: %d ok, %d failed, %d skipped (skips count as neither pass nor fail)\n", vec_ok,
           vec_bad, vec_skipped);
    return kt_report();
}

#endif
