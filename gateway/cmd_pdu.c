/*
 * cmd_pdu.c - `kazi pdu decode|encode|cusd`: the codec on the command line,
 * for anyone debugging a modem. Owns argument handling and JSON output.
 * Never reports a partial success: any error prints one line naming what is
 * wrong and where, and exits 1.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cusd.h"
#include "hex.h"
#include "pdu.h"
#include "utf8.h"

#define PDU_HEX_MAX (2 * SMS_PDU_MAX + 64)
#define ENCODE_TEXT_MAX (SMS_MAX_SEGMENTS * 160 * 4)

static int pdu_usage(void)
{
    fprintf(stderr,
            "usage: kazi pdu decode HEX\n"
            "       kazi pdu encode [--to NUMBER] [--srr] [--ucs2] [--flash] [--validity DUR]\n"
            "                       [--ref N] [--ref16] [--smsc NUMBER] TEXT|-\n"
            "       kazi pdu cusd LINE\n");
    return CLI_USAGE;
}

static int fail_line(const char *what, const kz_err *err)
{
    if (err->offset != KZ_NO_OFFSET)
        fprintf(stderr, "kazi pdu %s: %s at byte %zu: %s\n", what, kz_strerror(err->status),
                err->offset, err->msg);
    else
        fprintf(stderr, "kazi pdu %s: %s: %s\n", what, kz_strerror(err->status), err->msg);
    return CLI_FAIL;
}

/* Print obj as one line of JSON and release it. */
static int print_json(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!s) {
        fprintf(stderr, "kazi pdu: out of memory\n");
        return CLI_FAIL;
    }
    puts(s);
    free(s);
    return CLI_OK;
}

static json_t *json_time(const sms_time *t)
{
    char buf[32];
    if (sms_time_format(t, buf, sizeof buf) != KZ_OK)
        return json_null();
    return json_string(buf);
}

static json_t *json_smsc(const sms_message *m)
{
    return m->has_smsc ? json_string(m->smsc.text) : json_null();
}

static json_t *json_concat(const sms_message *m)
{
    if (!m->has_concat)
        return json_null();
    return json_pack("{s:i,s:i,s:i,s:i}", "ref", (int)m->concat.ref, "total",
                     (int)m->concat.total, "seq", (int)m->concat.seq, "ref_bits",
                     (int)m->concat.ref_bits);
}

static json_t *json_text(const sms_message *m)
{
    return m->has_text ? json_stringn(m->text, m->text_len) : json_null();
}

static json_t *json_class(const sms_message *m)
{
    return m->dcsinfo.msg_class < 0 ? json_null() : json_integer(m->dcsinfo.msg_class);
}

static json_t *json_data_hex(const sms_message *m)
{
    char hex[2 * SMS_UD_MAX + 1];
    if (m->has_text || hex_encode(m->data, m->data_len, hex, sizeof hex) != KZ_OK)
        return json_null();
    return json_string(hex);
}

static json_t *deliver_json(const sms_message *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("deliver"));
    json_object_set_new(o, "smsc", json_smsc(m));
    json_object_set_new(o, "sender", json_string(m->address.text));
    json_object_set_new(o, "timestamp", json_time(&m->scts));
    json_object_set_new(o, "coding", json_string(sms_coding_name(m->dcsinfo.coding)));
    json_object_set_new(o, "text", json_text(m));
    json_object_set_new(o, "class", json_class(m));
    json_object_set_new(o, "concat", json_concat(m));
    json_object_set_new(o, "pid", json_integer(m->pid));
    json_object_set_new(o, "dcs", json_integer(m->dcs));
    json_object_set_new(o, "more_messages", json_boolean(m->more_messages));
    if (!m->has_text)
        json_object_set_new(o, "data", json_data_hex(m));
    return o;
}

static json_t *submit_json(const sms_message *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("submit"));
    json_object_set_new(o, "smsc", json_smsc(m));
    json_object_set_new(o, "to", json_string(m->address.text));
    json_object_set_new(o, "ref", json_integer(m->mr));
    json_object_set_new(o, "coding", json_string(sms_coding_name(m->dcsinfo.coding)));
    json_object_set_new(o, "text", json_text(m));
    json_object_set_new(o, "class", json_class(m));
    json_object_set_new(o, "concat", json_concat(m));
    json_object_set_new(o, "srr", json_boolean(m->status_report));
    json_object_set_new(o, "vp", m->vp_format == 2 ? json_integer(m->vp[0]) : json_null());
    if (!m->has_text)
        json_object_set_new(o, "data", json_data_hex(m));
    return o;
}

static json_t *report_json(const sms_message *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("status-report"));
    json_object_set_new(o, "smsc", json_smsc(m));
    json_object_set_new(o, "ref", json_integer(m->mr));
    json_object_set_new(o, "recipient", json_string(m->address.text));
    json_object_set_new(o, "status", json_integer(m->status));
    json_object_set_new(o, "delivered",
                        json_boolean(sms_st_classify(m->status) == SMS_ST_COMPLETED));
    json_object_set_new(o, "meaning", json_string(sms_st_meaning(m->status)));
    json_object_set_new(o, "timestamp", json_time(&m->scts));
    json_object_set_new(o, "discharge", json_time(&m->discharge));
    return o;
}

/* Trim the spaces, tabs and CR/LF a pasted modem line tends to carry. */
static void trim_span(const char **s, size_t *len)
{
    while (*len && strchr(" \t\r\n", (*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len && strchr(" \t\r\n", (*s)[*len - 1]))
        (*len)--;
}

static int pdu_decode_cmd(const char *arg)
{
    const char *hex = arg;
    size_t hexlen = strlen(arg);
    trim_span(&hex, &hexlen);
    uint8_t buf[PDU_HEX_MAX];
    size_t len = 0;
    kz_err err;
    kz_err_clear(&err);
    if (hexlen > 2 * sizeof buf) {
        kz_err_set(&err, KZ_ERR_RANGE, KZ_NO_OFFSET, "%zu hex digits, a PDU has at most %d",
                   hexlen, 2 * SMS_PDU_MAX);
        return fail_line("decode", &err);
    }
    if (hex_decode(hex, hexlen, buf, sizeof buf, &len, &err) != KZ_OK) {
        /* hex errors count characters; say so */
        if (err.offset != KZ_NO_OFFSET)
            snprintf(err.msg + strlen(err.msg), sizeof err.msg - strlen(err.msg),
                     " (hex character %zu)", err.offset);
        err.offset = err.offset == KZ_NO_OFFSET ? KZ_NO_OFFSET : err.offset / 2;
        return fail_line("decode", &err);
    }
    sms_message m;
    if (pdu_decode(buf, len, true, &m, &err) != KZ_OK)
        return fail_line("decode", &err);
    if (m.type == SMS_DELIVER)
        return print_json(deliver_json(&m));
    if (m.type == SMS_SUBMIT)
        return print_json(submit_json(&m));
    return print_json(report_json(&m));
}

/* Parse "30m", "12h", "2d", "1w" (or plain minutes) into a relative TP-VP octet. */
static int parse_validity(const char *s, int *vp)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (end == s || n <= 0)
        return -1;
    long minutes = n;
    if (*end == 'h')
        minutes = n * 60;
    else if (*end == 'd')
        minutes = n * 1440;
    else if (*end == 'w')
        minutes = n * 10080;
    else if (*end != 'm' && *end != '\0')
        return -1;
    if (*end && end[1])
        return -1;
    /* TS 23.040 9.2.3.12.1: round up to the next representable period */
    if (minutes <= 720)
        *vp = (int)((minutes + 4) / 5) - 1;
    else if (minutes <= 1440)
        *vp = 143 + (int)((minutes - 720 + 29) / 30);
    else if (minutes <= 30 * 1440)
        *vp = 166 + (int)((minutes + 1439) / 1440);
    else if (minutes <= 63L * 10080)
        *vp = 192 + (int)((minutes + 10079) / 10080);
    else
        return -1;
    return 0;
}

static char *read_stdin_text(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
        n += got;
        if (n > ENCODE_TEXT_MAX)
            break;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf)
        return NULL;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--; /* the newline that ends a piped line is not part of the text */
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int encode_print(const char *text, size_t len, const sms_submit_opts *opts)
{
    kz_err err;
    kz_err_clear(&err);
    size_t bad;
    if (!utf8_valid((const uint8_t *)text, len, &bad)) {
        kz_err_set(&err, KZ_ERR_UTF8, bad, "TEXT is not valid UTF-8");
        return fail_line("encode", &err);
    }
    sms_pdu *pdus = calloc(SMS_MAX_SEGMENTS, sizeof *pdus);
    if (!pdus) {
        fprintf(stderr, "kazi pdu encode: out of memory\n");
        return CLI_FAIL;
    }
    size_t n = 0;
    kz_status st = pdu_encode_submit((const uint8_t *)text, len, opts, pdus, SMS_MAX_SEGMENTS,
                                     &n, &err);
    if (st != KZ_OK) {
        free(pdus);
        return fail_line("encode", &err);
    }
    for (size_t i = 0; i < n; i++) {
        char hex[2 * SMS_PDU_MAX + 1];
        hex_encode(pdus[i].bytes, pdus[i].len, hex, sizeof hex);
        printf("%zu %s\n", pdus[i].tpdu_len, hex);
    }
    free(pdus);
    return CLI_OK;
}

enum { OPT_TO = 't', OPT_SRR = 's', OPT_UCS2 = 'u', OPT_FLASH = 'f', OPT_VALIDITY = 'v',
       OPT_REF = 'r', OPT_REF16 = 'R', OPT_SMSC = 'c' };

static int pdu_encode_cmd(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, OPT_TO},       {"srr", no_argument, NULL, OPT_SRR},
        {"ucs2", no_argument, NULL, OPT_UCS2},         {"flash", no_argument, NULL, OPT_FLASH},
        {"validity", required_argument, NULL, OPT_VALIDITY},
        {"ref", required_argument, NULL, OPT_REF},     {"ref16", no_argument, NULL, OPT_REF16},
        {"smsc", required_argument, NULL, OPT_SMSC},   {NULL, 0, NULL, 0},
    };
    sms_submit_opts opts;
    sms_submit_opts_init(&opts);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "t:sufv:r:Rc:", longopts, NULL)) != -1) {
        char *end;
        long ref;
        switch (c) {
        case OPT_TO: opts.to = optarg; break;
        case OPT_SRR: opts.srr = true; break;
        case OPT_UCS2: opts.coding = SMS_CODING_UCS2; break;
        case OPT_FLASH: opts.class0 = true; break;
        case OPT_SMSC: opts.smsc = optarg; break;
        case OPT_REF16: opts.concat_ref_bits = 16; break;
        case OPT_VALIDITY:
            if (parse_validity(optarg, &opts.vp_relative) != 0) {
                fprintf(stderr, "kazi pdu encode: bad --validity '%s' (e.g. 30m, 12h, 2d, 4w)\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case OPT_REF:
            ref = strtol(optarg, &end, 10);
            if (*end || ref < 0 || ref > 65535) {
                fprintf(stderr, "kazi pdu encode: bad --ref '%s' (0-65535)\n", optarg);
                return CLI_USAGE;
            }
            opts.concat_ref = (uint16_t)ref;
            break;
        default: return pdu_usage();
        }
    }
    if (optind != argc - 1)
        return pdu_usage();
    if (opts.concat_ref > 255 && opts.concat_ref_bits != 16) {
        fprintf(stderr, "kazi pdu encode: --ref above 255 needs --ref16\n");
        return CLI_USAGE;
    }
    if (strcmp(argv[optind], "-") != 0)
        return encode_print(argv[optind], strlen(argv[optind]), &opts);
    size_t len = 0;
    char *text = read_stdin_text(&len);
    if (!text) {
        fprintf(stderr, "kazi pdu encode: cannot read standard input\n");
        return CLI_FAIL;
    }
    int rc = encode_print(text, len, &opts);
    free(text);
    return rc;
}

static int pdu_cusd_cmd(const char *line)
{
    const char *s = line;
    size_t len = strlen(line);
    while (len && (s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    cusd_reply r;
    kz_err err;
    kz_err_clear(&err);
    if (cusd_parse((const uint8_t *)s, len, CUSD_WIRE_AUTO, &r, &err) != KZ_OK)
        return fail_line("cusd", &err);
    json_t *o = json_object();
    json_object_set_new(o, "status", json_integer(r.status));
    json_object_set_new(o, "dcs", r.dcs < 0 ? json_null() : json_integer(r.dcs));
    json_object_set_new(o, "text", r.has_text ? json_stringn(r.text, r.text_len) : json_null());
    return print_json(o);
}

int cmd_pdu(int argc, char **argv)
{
    if (argc < 2)
        return pdu_usage();
    const char *sub = argv[1];
    if (strcmp(sub, "decode") == 0)
        return argc == 3 ? pdu_decode_cmd(argv[2]) : pdu_usage();
    if (strcmp(sub, "cusd") == 0)
        return argc == 3 ? pdu_cusd_cmd(argv[2]) : pdu_usage();
    if (strcmp(sub, "encode") == 0)
        return pdu_encode_cmd(argc - 1, argv + 1);
    return pdu_usage();
}
