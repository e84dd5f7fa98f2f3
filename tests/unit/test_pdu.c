/*
 * test_pdu.c - unit tests of modem/pdu_*.c: every error path of pdu_decode
 * (each prefix of valid PDUs is TRUNCATED, one byte more is TRAILING, bad
 * MTI, TOA, lengths, UDH, compressed DCS), the DCS and TP-ST tables, time
 * formatting, addresses, validity periods and the encoders' errors.
 * Never reads files: the PDUs are inline.
 */
#include "harness.h"

#include "hex.h"
#include "pdu.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    kz_status st = hex_decode(hex, strlen(hex), out, cap, &n, NULL);
    KT_CHECK(st == KZ_OK, "bad test hex %s", hex);
    return n;
}

static kz_status dec(const char *hex, bool with_smsc, sms_message *m, kz_err *e)
{
    uint8_t b[400];
    size_t n = unhex(hex, b, sizeof b);
    kz_err_clear(e);
    return pdu_decode(b, n, with_smsc, m, e);
}

/* Expect status st at offset off from decoding hex. */
static void expect_err(const char *hex, bool with_smsc, kz_status st, size_t off, const char *what)
{
    sms_message m;
    kz_err e;
    kz_status got = dec(hex, with_smsc, &m, &e);
    KT_CHECK(got == st && e.offset == off, "%s: got %s at %zu (%s), want %s at %zu", what,
             kz_strerror(got), e.offset, e.msg, kz_strerror(st), off);
}

/* Valid PDUs whose every proper prefix must fail with TRUNCATED. */
static const char *const valid_pdus[] = {
    "07919730071111F1400B919746121611F10000811170021222230E06080412340201C8329BFD6601",
    "07919730071111F1000B919746121611F100088111800212222318041F04400438043204350442002C0020043C04"
    "3804400021",
    "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE",
    "0791447758100650040DD0F334FC1CA6970100008080312170224008D4F29CDE0EA7D9",
    "07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01",
    "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
    "0006D60B911326880736F4111011719551401110117195714000",
    "07918497483252F0440B918496445078F70008712132014474400B0800032A02017001000041",
    "069134660405F151000C8160460653332000F1001600C034DC86B3CBA063B8DDAE83DAE5F93C7C2E03",
    "0791449737019037040C9144970710112800008010101041240000",
    "0009000B915155661632F4000001020304050607" "05C8329BFD06", /* enhanced VP */
    "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941B1"
    "9CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565D0DB0D"
    "82C55EB0DB4B068BCD5C20",
};

static void test_prefixes(void)
{
    for (size_t k = 0; k < sizeof valid_pdus / sizeof valid_pdus[0]; k++) {
        uint8_t b[400];
        sms_message m;
        kz_err e;
        size_t n = unhex(valid_pdus[k], b, sizeof b);
        kz_status st = pdu_decode(b, n, true, &m, &e);
        KT_CHECK(st == KZ_OK, "valid PDU %zu: %s (%s)", k, kz_strerror(st), e.msg);
        int bad = 0;
        for (size_t len = 0; len < n; len++) {
            kz_err_clear(&e);
            st = pdu_decode(b, len, true, &m, &e);
            if (st != KZ_ERR_TRUNCATED || e.offset != len) {
                bad++;
                fprintf(stderr, "PDU %zu prefix %zu: %s at %zu (%s)\n", k, len, kz_strerror(st),
                        e.offset, e.msg);
            }
        }
        KT_CHECK(bad == 0, "PDU %zu: %d prefixes not TRUNCATED", k, bad);
        /* Without the SMSC field, the TPDU alone: prefixes again. */
        size_t skip = 1u + b[0];
        KT_CHECK(pdu_decode(b + skip, n - skip, false, &m, &e) == KZ_OK && !m.has_smsc,
                 "PDU %zu without SMSC: %s", k, e.msg);
        for (size_t len = 0; len < n - skip; len++)
            bad += pdu_decode(b + skip, len, false, &m, &e) != KZ_ERR_TRUNCATED;
        KT_CHECK(bad == 0, "PDU %zu without SMSC: %d prefixes not TRUNCATED", k, bad);
    }
}

static void test_trailing(void)
{
    for (size_t k = 0; k < sizeof valid_pdus / sizeof valid_pdus[0]; k++) {
        uint8_t b[402];
        sms_message m;
        kz_err e;
        size_t n = unhex(valid_pdus[k], b, sizeof b - 2);
        b[n] = 0x00; /* for a status report this is an empty TP-PI: one more then */
        b[n + 1] = 0x00;
        kz_status st = pdu_decode(b, n + 1, true, &m, &e);
        if (st == KZ_OK && m.type == SMS_STATUS_REPORT)
            st = pdu_decode(b, n + 2, true, &m, &e), n++;
        KT_CHECK(st == KZ_ERR_TRAILING && e.offset == n, "PDU %zu + 1 octet: %s at %zu", k,
                 kz_strerror(st), e.offset);
    }
}

/* A status report with TP-PI: a prefix ending at TP-ST is a whole report. */
static void test_report_optional(void)
{
    static const char pi[] = "07911614786007F006060B911634092142F4019071011000040190710110450400060000";
    uint8_t b[200];
    sms_message m;
    kz_err e;
    size_t n = unhex(pi, b, sizeof b);
    for (size_t len = 0; len < n; len++) {
        kz_status st = pdu_decode(b, len, true, &m, &e);
        kz_status want = len == n - 3 ? KZ_OK : KZ_ERR_TRUNCATED;
        KT_CHECK(st == want, "report prefix %zu: %s", len, kz_strerror(st));
    }
    KT_CHECK(pdu_decode(b, n, true, &m, &e) == KZ_OK && m.dcs == 0 && m.has_text && m.text_len == 0,
             "report with PI 06: %s", e.msg);
    /* 0xFF fill from SIM storage is skipped; 0xFF then other octets is not fill. */
    expect_err("0006D60B911326880736F4111011719551401110117195714000FFFFFFFF", true, KZ_OK,
               KZ_NO_OFFSET, "report + FF fill");
    KT_CHECK(dec("0006D60B911326880736F4111011719551401110117195714000FFFF00", true, &m, &e) !=
                 KZ_OK, "FF FF 00 after a report is not fill");
    /* TP-PI with PID only, then UD with GSM-7 text. */
    KT_CHECK(dec("0006D60B911326880736F41110117195514011101171957140000705" "00" "05C8329BFD06",
                 true, &m, &e) == KZ_OK && m.pid == 0x05 && strcmp(m.text, "Hello") == 0,
             "report with PID, DCS, UD: %s", e.msg);
}

static void test_field_errors(void)
{
    /* Reserved MTI 3. */
    expect_err("0003000B917228001011F100000CC8329BFD065DDF72363904", true, KZ_ERR_INVALID, 1, "MTI 3");
    /* DA TOA without bit 7. */
    expect_err("0001000B117228001011F100000CC8329BFD065DDF72363904", true, KZ_ERR_INVALID, 4, "TOA 0x11");
    /* SMSC TOA without bit 7. */
    expect_err("021121" "0001000B917228001011F100000CC8329BFD065DDF72363904", true, KZ_ERR_INVALID, 1,
               "SMSC TOA");
    /* SMSC length 12 (more than TOA + 10 octets). */
    expect_err("0C91" "1111111111111111111111" "00", true, KZ_ERR_INVALID, 0, "SMSC length 12");
    /* DA length 21 semi-octets. */
    expect_err("00010015917228001011F1111111111100000CC8329BFD065DDF72363904", true, KZ_ERR_INVALID, 3,
               "DA length 21");
    /* GSM-7 UDL 161. */
    expect_err("0001000B917228001011F10000A1", true, KZ_ERR_INVALID, 13, "GSM-7 UDL 161");
    /* UCS-2 UDL 141. */
    expect_err("0001000B917228001011F100088D", true, KZ_ERR_INVALID, 13, "UCS-2 UDL 141");
    /* Odd UCS-2 body. */
    expect_err("0001000B917228001011F10008030041FF", true, KZ_ERR_INVALID, 14, "odd UCS-2");
    /* UDHI with UDL 0. */
    expect_err("0041000B917228001011F1000400", true, KZ_ERR_INVALID, 14, "UDHI, no UD");
    /* UDHL 5 but only 4 octets of UD. */
    expect_err("0041000B917228001011F10004040500030102", true, KZ_ERR_INVALID, 14, "UDHL > UD");
    /* IE length runs past the UDH. */
    expect_err("0041000B917228001011F1000406050004010201", true, KZ_ERR_INVALID, 16, "IE too long");
    /* Lone IEI octet at the end of the UDH. */
    expect_err("0041000B917228001011F10004020170", true, KZ_ERR_INVALID, 15, "IE header cut");
    /* Concatenation IE of length 2. */
    expect_err("0041000B917228001011F100040504000201AA", true, KZ_ERR_INVALID, 16, "concat IE len 2");
    /* GSM-7 UDL shorter than its UDH (6 octets = 7 septets). */
    expect_err("0041000B917228001011F10000060500030102014F", true, KZ_ERR_INVALID, 13,
               "UDL < UDH septets");
    /* Compressed DCS 0x20 (and 0x60 auto-delete compressed): structure checked, then refused. */
    expect_err("0001000B917228001011F10020024142", true, KZ_ERR_UNSUPPORTED, 12, "compressed");
    expect_err("0001000B917228001011F10062024142", true, KZ_ERR_UNSUPPORTED, 12, "compressed 0x62");
    expect_err("0001000B917228001011F1002002", true, KZ_ERR_TRUNCATED, 14, "compressed, cut");
    /* A date octet with a non-decimal nibble (month 0x3F); the zone may have one. */
    expect_err("0297F1061C0F910B487228297020F5313F70624192728031706241921380" "00", true,
               KZ_ERR_INVALID, 16, "SCTS month 0x3F");
    /* Deliver without its time stamp. */
    expect_err("00040B917228001011F10000313062", true, KZ_ERR_TRUNCATED, 15, "cut SCTS");
}

static void test_udh_and_flags(void)
{
    sms_message m;
    kz_err e;
    /* Concatenation IE with seq 0 is ignored (TS 23.040 9.2.3.24.1), the rest decodes. */
    KT_CHECK(dec("0041000B917228001011F100040705000301020241", true, &m, &e) == KZ_OK &&
                 m.has_concat, "seq 2 of 2: %s", e.msg);
    KT_CHECK(dec("0041000B917228001011F100040705000301020241", true, &m, &e) == KZ_OK &&
                 m.concat.seq == 2 && m.data_len == 1 && m.data[0] == 0x41 && !m.has_text,
             "8-bit concat part");
    KT_CHECK(dec("0041000B917228001011F100040705000301020041", true, &m, &e) == KZ_OK &&
                 !m.has_concat && m.udh_len == 5, "seq 0 ignored: %s", e.msg);
    /* 16-bit reference + unknown IE 0x70 + application port IE: all walked. */
    KT_CHECK(dec("0041000B917228001011F10004110F0804ABCD030270010005040B8423F041", true, &m, &e) ==
                     KZ_OK && m.has_concat && m.concat.ref == 0xABCD && m.concat.ref_bits == 16 &&
                     m.concat.total == 3 && m.concat.seq == 2 && m.udh_len == 15,
             "16-bit concat among IEs: %s", e.msg);
    /* TP-MMS: 0x00 more messages waiting, 0x04 none; TP-RP; TP-SRI. */
    KT_CHECK(dec("07912143658709F1000B918100551512F20000111010214365000AE8329BFD4697D9EC37", true, &m,
                 &e) == KZ_OK && m.more_messages, "MMS clear");
    KT_CHECK(dec("07918497483252F0A40B918496445078F700007121320144744004D4F29C0E", true, &m, &e) ==
                     KZ_OK && !m.more_messages && m.reply_path && m.status_report,
             "RP + SRI");
    /* Empty SMSC field (length 1, TOA only). */
    KT_CHECK(dec("018111000A8133184449200000FF1E69F7BC2C4FCFC76950BC9E06A5D9A076793E0F9FCFE9B7CBE57201",
                 true, &m, &e) == KZ_OK && m.has_smsc && m.smsc.text[0] == '\0' &&
                 m.smsc.toa == 0x81, "empty SMSC: %s", e.msg);
}

static void test_vp_decode(void)
{
    sms_message m;
    kz_err e;
    KT_CHECK(dec("0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
                 true, &m, &e) == KZ_OK && m.vp_format == 3 && m.vp[0] == 0x31 && m.vp[6] == 0x80 &&
                 strcmp(m.text, "Timestamp validity test") == 0, "absolute VP: %s", e.msg);
    KT_CHECK(dec("0009000B915155661632F400000102030405060705C8329BFD06", true, &m, &e) == KZ_OK &&
                 m.vp_format == 1 && m.vp[6] == 7 && strcmp(m.text, "Hello") == 0,
             "enhanced VP: %s", e.msg);
    KT_CHECK(dec("07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701", true, &m,
                 &e) == KZ_OK && m.vp_format == 2 && m.vp[0] == 0xA9 && m.status_report && m.mr == 13,
             "relative VP: %s", e.msg);
}

/* KZ_ERR_TRAILING's offset is the end of the TPDU: a lenient caller may re-decode up to it. */
static void test_trailing_offset_recovery(void)
{
    static const char *const pdus[][2] = {
        {"07914336120011F10404A14949000021807001253040356C76B81D268741F0B29C9C268741E4B20EB49AD16C"
         "B19BAD368BD96EA0B71B04BBBD603810284C078162315D2CE70289EBFAE1AC0CB2BFF52C10FC2D0799C3F6B7"
         "1CC46687DB6550980D8AC962",
         "llamada perdida de: +34617653167 on 07/08  at  11:19."},
        {"07919761989901F031000B919761084218F200F9FF12042204350441044200200054006500730074",
         "\xC3\xA8" "D\xCE\x94(C \xCE\x94$B@@\xC2\xA3\xC2\xA1\n\xC2\xA1" "2@f"},
    };
    for (size_t k = 0; k < 2; k++) {
        uint8_t b[200];
        sms_message m;
        kz_err e;
        size_t n = unhex(pdus[k][0], b, sizeof b);
        kz_status st = pdu_decode(b, n, true, &m, &e);
        KT_CHECK(st == KZ_ERR_TRAILING && e.offset < n, "junk after UD %zu: %s", k, kz_strerror(st));
        if (st != KZ_ERR_TRAILING || e.offset >= n)
            continue;
        st = pdu_decode(b, e.offset, true, &m, &e);
        KT_CHECK(st == KZ_OK, "re-decode %zu: %s", k, e.msg);
        KT_STREQ(m.text, pdus[k][1], "re-decoded text");
    }
}

static void test_addresses(void)
{
    sms_message m;
    kz_err e;
    sms_deliver_opts d;
    sms_pdu p[2];
    size_t n = 0;
    static const char *const froms[] = {"+*#abc0123", "12345", "+1", "Kazi Tasks", "@{}x",
                                        "+12345678901234567890", "äääääääääöä"};

    /* BCD 0xA-0xE. */
    KT_CHECK(dec("0297F1061C0F910B487228297020F5317062419272803170624192138000", true, &m, &e) ==
                 KZ_OK, "ZTE report: %s", e.msg);
    KT_STREQ(m.address.text, "+#08427829207025", "0xB nibble");
    KT_STREQ(m.smsc.text, "+1", "SMSC TOA 0x97");
    for (size_t i = 0; i < sizeof froms / sizeof froms[0]; i++) {
        sms_deliver_opts_init(&d);
        d.from = froms[i];
        kz_status st = pdu_encode_deliver((const uint8_t *)"hi", 2, &d, p, 2, &n, &e);
        KT_CHECK(st == KZ_OK && n == 1, "encode from %s: %s", froms[i], e.msg);
        if (st != KZ_OK)
            continue;
        st = pdu_decode(p[0].bytes, p[0].len, true, &m, &e);
        KT_CHECK(st == KZ_OK, "decode from %s: %s", froms[i], e.msg);
        KT_STREQ(m.address.text, froms[i], "address round trip");
    }
    sms_deliver_opts_init(&d);
    d.from = "ABC";
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"x", 1, &d, p, 2, &n, &e) == KZ_OK &&
                 p[0].bytes[3] == SMS_TOA_ALPHANUMERIC, "\"ABC\" is a name, not BCD");
    static const char *const bad[] = {"", "+", "+12x4", "Twelve chars", "+123456789012345678901",
                                      "\xF0\x9F\x98\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d.from = bad[i];
        KT_CHECK(pdu_encode_deliver((const uint8_t *)"x", 1, &d, p, 2, &n, &e) == KZ_ERR_INVALID,
                 "bad address \"%s\" accepted", bad[i]);
    }
    d.from = "12345";
    d.from_toa = 0x21;
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"x", 1, &d, p, 2, &n, &e) == KZ_ERR_INVALID,
             "TOA without bit 7 accepted");
    d.from_toa = SMS_TOA_NATIONAL;
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"x", 1, &d, p, 2, &n, &e) == KZ_OK &&
                 p[0].bytes[3] == 0xA1, "forced TOA");
}

static void test_dcs(void)
{
    static const struct {
        uint8_t dcs;
        sms_coding coding;
        int cls;
        bool compressed, mwi, active, autodel;
    } t[] = {
        {0x00, SMS_CODING_GSM7, -1, false, false, false, false},
        {0x04, SMS_CODING_8BIT, -1, false, false, false, false},
        {0x08, SMS_CODING_UCS2, -1, false, false, false, false},
        {0x0C, SMS_CODING_GSM7, -1, false, false, false, false}, /* reserved alphabet */
        {0x10, SMS_CODING_GSM7, 0, false, false, false, false},
        {0x19, SMS_CODING_UCS2, 1, false, false, false, false},
        {0x16, SMS_CODING_8BIT, 2, false, false, false, false},
        {0x20, SMS_CODING_GSM7, -1, true, false, false, false},
        {0x3A, SMS_CODING_UCS2, 2, true, false, false, false},
        {0x40, SMS_CODING_GSM7, -1, false, false, false, true},
        {0x53, SMS_CODING_GSM7, 3, false, false, false, true},
        {0x85, SMS_CODING_GSM7, -1, false, false, false, false}, /* reserved group */
        {0xB4, SMS_CODING_GSM7, -1, false, false, false, false},
        {0xC8, SMS_CODING_GSM7, -1, false, true, true, false},
        {0xD0, SMS_CODING_GSM7, -1, false, true, false, false},
        {0xEB, SMS_CODING_UCS2, -1, false, true, true, false},
        {0xF0, SMS_CODING_GSM7, 0, false, false, false, false},
        {0xF4, SMS_CODING_8BIT, 0, false, false, false, false},
        {0xF9, SMS_CODING_GSM7, 1, false, false, false, false}, /* reserved bit 3 */
        {0xFB, SMS_CODING_GSM7, 3, false, false, false, false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sms_dcs_info d;
        sms_dcs_parse(t[i].dcs, &d);
        KT_CHECK(d.coding == t[i].coding && d.msg_class == t[i].cls &&
                     d.compressed == t[i].compressed && d.mwi == t[i].mwi &&
                     d.mwi_active == t[i].active && d.auto_delete == t[i].autodel,
                 "DCS 0x%02X: coding %d class %d compressed %d mwi %d active %d autodel %d",
                 t[i].dcs, (int)d.coding, d.msg_class, d.compressed, d.mwi, d.mwi_active,
                 d.auto_delete);
    }
    sms_dcs_info d;
    sms_dcs_parse(0xCB, &d);
    KT_CHECK(d.mwi_discard && d.mwi_kind == 3, "DCS 0xCB: discard, other");
    sms_dcs_parse(0xD9, &d);
    KT_CHECK(!d.mwi_discard && d.mwi_kind == 1 && d.mwi_active, "DCS 0xD9: store, fax, active");
}

static void test_status_values(void)
{
    KT_CHECK(sms_st_classify(0x00) == SMS_ST_COMPLETED && sms_st_classify(0x1F) == SMS_ST_COMPLETED,
             "completed");
    KT_CHECK(sms_st_classify(0x20) == SMS_ST_TEMPORARY && sms_st_classify(0x3F) == SMS_ST_TEMPORARY,
             "temporary");
    KT_CHECK(sms_st_classify(0x46) == SMS_ST_PERMANENT && sms_st_classify(0x5F) == SMS_ST_PERMANENT,
             "permanent");
    KT_CHECK(sms_st_classify(0x60) == SMS_ST_TEMPORARY_FINAL &&
                 sms_st_classify(0x7F) == SMS_ST_TEMPORARY_FINAL, "temporary final");
    KT_CHECK(sms_st_classify(0x80) == SMS_ST_PERMANENT && sms_st_classify(0xFF) == SMS_ST_PERMANENT,
             "reserved");
    KT_STREQ(sms_st_meaning(0x46), "permanent error (SM validity period expired)", "0x46");
    KT_STREQ(sms_st_meaning(0x21), "temporary error, SC still trying (SME busy)", "0x21");
    KT_STREQ(sms_st_meaning(0x30), "temporary error, SC still trying (SC-specific value)", "0x30");
    KT_STREQ(sms_st_meaning(0x4C), "permanent error (reserved value)", "0x4C");
    int null_or_empty = 0;
    for (int s = 0; s < 256; s++) {
        const char *t = sms_st_meaning((uint8_t)s);
        null_or_empty += !t || !*t;
    }
    KT_CHECK(null_or_empty == 0, "%d TP-ST values without meaning", null_or_empty);
}

static void test_time_format(void)
{
    char buf[32];
    sms_time t = {2019, 8, 5, 8, 9, 35, 330};
    KT_CHECK(sms_time_format(&t, buf, sizeof buf) == KZ_OK, "format");
    KT_STREQ(buf, "2019-08-05T08:09:35+05:30", "+05:30");
    t.tz_minutes = -480;
    KT_CHECK(sms_time_format(&t, buf, 26) == KZ_OK, "cap 26");
    KT_STREQ(buf, "2019-08-05T08:09:35-08:00", "-08:00");
    KT_CHECK(sms_time_format(&t, buf, 25) == KZ_ERR_NOSPACE, "cap 25");
    t.month = 165;
    KT_CHECK(sms_time_format(&t, buf, sizeof buf) == KZ_ERR_RANGE, "month 165");
    /* Year 99 is 1999, 00 is 2000; sign bit in the zone octet. */
    sms_message m;
    kz_err e;
    KT_CHECK(dec("0006D60B911326880736F4999011719551490010117195710A00", true, &m, &e) == KZ_OK &&
                 m.scts.year == 1999 && m.scts.tz_minutes == -210 && m.discharge.year == 2000 &&
                 m.discharge.tz_minutes == -300,
             "years and zones: %d %d %d %d", m.scts.year, m.scts.tz_minutes, m.discharge.year,
             m.discharge.tz_minutes);
}

static void test_encode_errors(void)
{
    sms_submit_opts o;
    sms_pdu p[3];
    size_t n = 99;
    kz_err e;
    char longtext[1200];

    sms_submit_opts_init(&o);
    o.to = "+15550001111";
    memset(longtext, 'a', 400);
    KT_CHECK(pdu_encode_submit((const uint8_t *)longtext, 400, &o, p, 2, &n, &e) == KZ_ERR_NOSPACE &&
                 n == 3, "cap 2 for 3 parts: n %zu", n);
    KT_CHECK(pdu_encode_submit((const uint8_t *)"\xC3", 1, &o, p, 3, &n, &e) == KZ_ERR_UTF8,
             "bad UTF-8");
    o.coding = SMS_CODING_GSM7;
    KT_CHECK(pdu_encode_submit((const uint8_t *)"\xE2\x82\xAC\xD0\x96", 5, &o, p, 3, &n, &e) ==
                 KZ_ERR_INVALID, "forced GSM-7 on Cyrillic");
    o.coding = SMS_CODING_8BIT;
    KT_CHECK(pdu_encode_submit((const uint8_t *)"a", 1, &o, p, 3, &n, &e) == KZ_ERR_INVALID,
             "8-bit coding for text");
    o.coding = SMS_CODING_AUTO;
    o.concat_ref_bits = 12;
    KT_CHECK(pdu_encode_submit((const uint8_t *)"a", 1, &o, p, 3, &n, &e) == KZ_ERR_INVALID,
             "12-bit reference");
    o.concat_ref_bits = 0; /* 0 means 8 */
    KT_CHECK(pdu_encode_submit((const uint8_t *)longtext, 200, &o, p, 3, &n, &e) == KZ_OK && n == 2 &&
                 p[0].bytes[p[0].len - 134 - 6] == 5 && p[0].bytes[p[0].len - 134 - 5] == 0,
             "ref bits 0 -> 8-bit IE");
    o.vp_relative = 256;
    KT_CHECK(pdu_encode_submit((const uint8_t *)"a", 1, &o, p, 3, &n, &e) == KZ_ERR_INVALID, "VP 256");
    o.vp_relative = -1;
    o.to = NULL;
    KT_CHECK(pdu_encode_submit((const uint8_t *)"a", 1, &o, p, 3, &n, &e) == KZ_ERR_INVALID, "no to");
    o.to = "+1555";
    o.smsc = "Kazi";
    KT_CHECK(pdu_encode_submit((const uint8_t *)"a", 1, &o, p, 3, &n, &e) == KZ_ERR_INVALID,
             "alphanumeric SMSC");
    o.smsc = NULL;
    /* 256 parts of UCS-2 is too long. */
    static sms_pdu many[300];
    static char huge[256 * 67 * 2 + 2];
    for (size_t i = 0; i + 1 < sizeof huge; i += 2)
        huge[i] = '\xD0', huge[i + 1] = '\x96';
    KT_CHECK(pdu_encode_submit((const uint8_t *)huge, sizeof huge - 2, &o, many, 300, &n, &e) ==
                 KZ_ERR_RANGE, "256 parts");
    sms_deliver_opts d;
    sms_deliver_opts_init(&d);
    d.from = "123";
    d.msg_class = 4;
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"a", 1, &d, p, 3, &n, &e) == KZ_ERR_INVALID, "class 4");
    d.msg_class = -1;
    d.scts.year = 2070;
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"a", 1, &d, p, 3, &n, &e) == KZ_ERR_RANGE, "year 2070");
    sms_time t = {2024, 1, 19, 10, 0, 0, 7};
    KT_CHECK(pdu_encode_status_report("+1555", 1, &t, &t, 0, p, &e) == KZ_ERR_RANGE, "zone 7 min");
}

static void test_encode_flags(void)
{
    sms_submit_opts o;
    sms_deliver_opts d;
    sms_pdu p[2];
    sms_message m;
    size_t n = 0;
    kz_err e;

    sms_submit_opts_init(&o);
    o.to = "+27820001111";
    o.class0 = true;
    o.srr = true;
    o.reject_duplicates = true;
    o.vp_relative = 0xA7;
    o.mr = 42;
    o.smsc = "+27831000015";
    KT_CHECK(pdu_encode_submit((const uint8_t *)"Flash", 5, &o, p, 2, &n, &e) == KZ_OK &&
                 pdu_decode(p[0].bytes, p[0].len, true, &m, &e) == KZ_OK, "flash: %s", e.msg);
    KT_CHECK(m.dcs == 0x10 && m.dcsinfo.msg_class == 0 && m.status_report && m.reject_duplicates &&
                 m.vp_format == 2 && m.vp[0] == 0xA7 && m.mr == 42 && m.first_octet == 0x35 &&
                 strcmp(m.smsc.text, "+27831000015") == 0 && p[0].tpdu_len == p[0].len - 8,
             "submit flags: fo 0x%02X", m.first_octet);
    sms_deliver_opts_init(&d);
    d.from = "Kazi";
    d.more_messages = true;
    d.msg_class = 1;
    d.pid = 0x39;
    d.coding = SMS_CODING_UCS2;
    KT_CHECK(pdu_encode_deliver((const uint8_t *)"ok", 2, &d, p, 2, &n, &e) == KZ_OK &&
                 pdu_decode(p[0].bytes, p[0].len, true, &m, &e) == KZ_OK, "deliver: %s", e.msg);
    KT_CHECK(m.more_messages && (m.first_octet & 0x04) == 0 && m.dcs == 0x19 && m.pid == 0x39 &&
                 m.dcsinfo.coding == SMS_CODING_UCS2 && strcmp(m.text, "ok") == 0,
             "deliver flags: fo 0x%02X dcs 0x%02X", m.first_octet, m.dcs);
}

int main(void)
{
    test_prefixes();
    test_trailing();
    test_report_optional();
    test_field_errors();
    test_udh_and_flags();
    test_vp_decode();
    test_trailing_offset_recovery();
    test_addresses();
    test_dcs();
    test_status_values();
    test_time_format();
    test_encode_errors();
    test_encode_flags();
    return kt_report();
}
