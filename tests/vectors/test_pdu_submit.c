/*
 * test_pdu_submit.c - the pdu-submit.jsonl vectors: our encoder against the
 * exact PDUs ("encode") or patterns ("encode-pattern") other encoders
 * produced, our segment counts ("segment-count"), and decoding of captured
 * SUBMITs ("decode"). Vectors in skip.txt are reported, not counted.
 * Never adjusts an expectation to fit the code.
 */
#include <regex.h>

#include "harness.h"

#include "pdu_vec.h"

#define MAX_PARTS 8

static void parse_hex_opt(json_t *o, const char *key, int *dst)
{
    int v = vec_hexbyte(o, key);
    if (v >= 0)
        *dst = v;
}

/* Fill opts from the vector; false (with a failed check) on an option we cannot express. */
static bool submit_opts_from(const char *id, json_t *v, sms_submit_opts *o)
{
    json_t *op = json_object_get(v, "options");
    const char *validity = vec_str(op, "validity"), *forced = vec_str(op, "forced_coding");
    json_t *ref = json_object_get(op, "concat_ref"), *bits = json_object_get(op, "concat_ref_bits");

    sms_submit_opts_init(o);
    o->to = vec_str(v, "number") ? vec_str(v, "number") : "+15550001111";
    o->smsc = vec_str(op, "smsc");
    parse_hex_opt(op, "smsc_toa", &o->smsc_toa);
    parse_hex_opt(op, "number_toa", &o->to_toa);
    o->mr = (uint8_t)json_integer_value(json_object_get(op, "mr"));
    o->srr = json_is_true(json_object_get(op, "srr"));
    o->reject_duplicates = json_is_true(json_object_get(op, "reject_duplicates"));
    o->class0 = json_is_true(json_object_get(op, "flash"));
    if (json_is_integer(ref))
        o->concat_ref = (uint16_t)json_integer_value(ref);
    if (json_is_integer(bits))
        o->concat_ref_bits = (unsigned)json_integer_value(bits);
    if (forced)
        o->coding = strcmp(forced, "ucs2") == 0 ? SMS_CODING_UCS2 : SMS_CODING_GSM7;
    if (!validity)
        return true;
    const char *vp = strstr(validity, "(VP=0x");
    KT_CHECK(strncmp(validity, "relative:", 9) == 0 && vp, "%s: validity \"%s\" not expressible",
             id, validity);
    if (!vp || strncmp(validity, "relative:", 9) != 0)
        return false;
    o->vp_relative = (int)strtol(vp + 6, NULL, 16);
    return true;
}

static size_t encode(const char *id, json_t *v, sms_pdu *out, char hex[][2 * SMS_PDU_MAX + 1])
{
    sms_submit_opts o;
    size_t n = 0;
    kz_err e;
    const char *text = vec_str(v, "text");

    if (!submit_opts_from(id, v, &o))
        return 0;
    kz_status st = pdu_encode_submit((const uint8_t *)text, strlen(text), &o, out, MAX_PARTS, &n, &e);
    KT_CHECK(st == KZ_OK, "%s: encode failed: %s (%s)", id, kz_strerror(st), e.msg);
    if (st != KZ_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        KT_CHECK(out[i].tpdu_len == out[i].len - out[i].bytes[0] - 1u, "%s: tpdu_len %zu", id,
                 out[i].tpdu_len);
        hex_encode(out[i].bytes, out[i].len, hex[i], sizeof hex[i]);
    }
    return n;
}

/* Decode each expected PDU: the parts' texts joined are text (or decoded_text). */
static void check_expected_decode(const char *id, json_t *v)
{
    char joined[4 * SMS_TEXT_MAX] = "";
    const char *want = vec_str(v, "decoded_text") ? vec_str(v, "decoded_text") : vec_str(v, "text");
    size_t i;
    json_t *p;

    json_array_foreach(json_object_get(v, "expected_pdus"), i, p) {
        uint8_t b[SMS_PDU_MAX + 8];
        size_t n = 0;
        sms_message m;
        kz_err e;
        KT_CHECK(vec_unhex(json_string_value(p), b, sizeof b, &n), "%s: bad hex", id);
        kz_status st = pdu_decode(b, n, true, &m, &e);
        KT_CHECK(st == KZ_OK && m.type == SMS_SUBMIT, "%s: expected PDU %zu: %s", id, i, e.msg);
        if (st == KZ_OK && strlen(joined) + m.text_len < sizeof joined)
            strcat(joined, m.text);
    }
    KT_STREQ(joined, want, id);
}

static void check_encode(const char *id, json_t *v)
{
    sms_pdu out[MAX_PARTS];
    char hex[MAX_PARTS][2 * SMS_PDU_MAX + 1];
    json_t *want = json_object_get(v, "expected_pdus");
    size_t n = encode(id, v, out, hex), i;
    json_t *p;

    KT_CHECK(n == json_array_size(want), "%s: %zu PDUs, want %zu", id, n, json_array_size(want));
    json_array_foreach(want, i, p)
        if (i < n)
            KT_CHECK(strcasecmp(hex[i], json_string_value(p)) == 0, "%s: PDU %zu\n got  %s\n want %s",
                     id, i, hex[i], json_string_value(p));
    check_expected_decode(id, v);
}

static void check_pattern(const char *id, json_t *v)
{
    sms_pdu out[MAX_PARTS];
    char hex[MAX_PARTS][2 * SMS_PDU_MAX + 1];
    json_t *pats = json_object_get(v, "expected_pdu_patterns");
    size_t n = encode(id, v, out, hex), i;
    json_t *p;

    KT_CHECK(n == json_array_size(pats), "%s: %zu PDUs, want %zu", id, n, json_array_size(pats));
    json_array_foreach(pats, i, p) {
        regex_t re;
        if (i >= n)
            break;
        int rc = regcomp(&re, json_string_value(p), REG_EXTENDED | REG_ICASE | REG_NOSUB);
        KT_CHECK(rc == 0, "%s: pattern %zu does not compile", id, i);
        if (rc != 0)
            continue;
        KT_CHECK(regexec(&re, hex[i], 0, NULL, 0) == 0, "%s: PDU %zu %s does not match %s", id, i,
                 hex[i], json_string_value(p));
        regfree(&re);
    }
}

static void check_segments(const char *id, json_t *v)
{
    sms_pdu out[MAX_PARTS];
    char hex[MAX_PARTS][2 * SMS_PDU_MAX + 1];
    json_int_t want = json_integer_value(json_object_get(v, "expected_segments"));
    size_t n = encode(id, v, out, hex);
    const char *text = vec_str(v, "text");

    KT_CHECK((json_int_t)n == want, "%s: %zu segments, want %lld", id, n, (long long)want);
    json_t *bits = json_object_get(json_object_get(v, "options"), "concat_ref_bits");
    if (!bits || json_integer_value(bits) == 8)
        KT_CHECK(sms_count_segments(text, strlen(text)) == (size_t)want,
                 "%s: sms_count_segments disagrees", id);
}

static void check_decode(const char *id, json_t *v)
{
    sms_message m;
    kz_err e;
    kz_status st = vec_decode(v, &m, &e);
    json_t *vp = json_object_get(v, "vp");

    KT_CHECK(st == KZ_OK, "%s: decode failed: %s (%s at %zu)", id, kz_strerror(st), e.msg, e.offset);
    if (st != KZ_OK)
        return;
    KT_CHECK(m.type == SMS_SUBMIT, "%s: type %d", id, (int)m.type);
    vec_check_smsc(id, v, &m);
    vec_check_addr(id, v, "number", &m.address);
    vec_check_body(id, v, &m);
    if (json_is_integer(json_object_get(v, "mr")))
        KT_CHECK(m.mr == json_integer_value(json_object_get(v, "mr")), "%s: mr %u", id, m.mr);
    if (json_is_integer(vp))
        KT_CHECK(m.vp_format == 2 && m.vp[0] == json_integer_value(vp), "%s: vp format %u value %u",
                 id, m.vp_format, m.vp[0]);
    else
        KT_CHECK(m.vp_format == 0, "%s: unexpected VP format %u", id, m.vp_format);
}

static void check_submit(const char *file, json_t *v)
{
    const char *id = vec_str(v, "id"), *kind = vec_str(v, "kind");
    (void)file;
    if (strcmp(kind, "encode") == 0)
        check_encode(id, v);
    else if (strcmp(kind, "encode-pattern") == 0)
        check_pattern(id, v);
    else if (strcmp(kind, "segment-count") == 0)
        check_segments(id, v);
    else if (strcmp(kind, "decode") == 0)
        check_decode(id, v);
    else
        KT_CHECK(0, "%s: unknown kind %s", id, kind);
}

int main(void)
{
    vec_load_skips();
    vec_each("pdu-submit.jsonl", check_submit);
    return vec_report();
}
