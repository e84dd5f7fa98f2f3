/*
 * test_status_report.c - decodes every SMS-STATUS-REPORT in
 * status-report.jsonl and checks its fields, then re-encodes it with
 * pdu_encode_status_report and decodes that again.
 * Never counts a vector listed in skip.txt as passed or failed.
 */
#include "harness.h"

#include "pdu_vec.h"

/* TP-PI and the optional octets after TP-ST, as the vector lists them. */
static void check_trailing(const char *id, json_t *v, const sms_message *m)
{
    uint8_t t[8];
    size_t n = 0, i = 1;
    const char *hex = vec_str(v, "trailing_hex");

    if (!hex || !vec_unhex(hex, t, sizeof t, &n) || n == 0)
        return;
    if (t[0] & 0x01 && i < n)
        KT_CHECK(m->pid == t[i++], "%s: TP-PID 0x%02X", id, m->pid);
    if (t[0] & 0x02 && i < n)
        KT_CHECK(m->dcs == t[i++], "%s: TP-DCS 0x%02X", id, m->dcs);
    if (t[0] & 0x04 && i < n)
        KT_CHECK(m->data_len + m->udh_len == t[i], "%s: TP-UDL", id);
}

static void check_reencode(const char *id, const sms_message *m)
{
    sms_pdu p;
    sms_message back;
    kz_err e;
    kz_status st = pdu_encode_status_report(m->address.text, m->mr, &m->scts, &m->discharge,
                                            m->status, &p, &e);
    if (m->address.text[0] == '\0')
        return;
    KT_CHECK(st == KZ_OK, "%s: re-encode: %s", id, e.msg);
    if (st != KZ_OK)
        return;
    st = pdu_decode(p.bytes, p.len, true, &back, &e);
    KT_CHECK(st == KZ_OK, "%s: decode of re-encoded: %s", id, e.msg);
    KT_CHECK(p.tpdu_len == p.len - 1, "%s: tpdu_len %zu", id, p.tpdu_len);
    KT_STREQ(back.address.text, m->address.text, id);
    KT_CHECK(back.mr == m->mr && back.status == m->status && back.type == SMS_STATUS_REPORT &&
                 memcmp(&back.scts, &m->scts, sizeof m->scts) == 0 &&
                 memcmp(&back.discharge, &m->discharge, sizeof m->discharge) == 0,
             "%s: re-encoded report differs", id);
}

static void check_report(const char *file, json_t *v)
{
    const char *id = vec_str(v, "id"), *meaning = vec_str(v, "status_meaning");
    json_int_t status = json_integer_value(json_object_get(v, "status"));
    sms_message m;
    kz_err e;
    kz_status st = vec_decode(v, &m, &e);

    (void)file;
    KT_CHECK(st == KZ_OK, "%s: decode failed: %s (%s at %zu)", id, kz_strerror(st), e.msg, e.offset);
    if (st != KZ_OK)
        return;
    KT_CHECK(m.type == SMS_STATUS_REPORT, "%s: type %d", id, (int)m.type);
    vec_check_smsc(id, v, &m);
    vec_check_addr(id, v, "recipient", &m.address);
    vec_check_time(id, v, "scts", &m.scts);
    vec_check_time(id, v, "discharge", &m.discharge);
    KT_CHECK(m.mr == json_integer_value(json_object_get(v, "mr")), "%s: mr %u", id, m.mr);
    KT_CHECK(m.status == status, "%s: status 0x%02X", id, m.status);
    if (meaning)
        KT_STREQ(sms_st_meaning(m.status), meaning, id);
    KT_CHECK(sms_st_classify(m.status) == (sms_st_class)(status >> 5), "%s: class", id);
    const char *tr = vec_str(v, "trailing_hex");
    char pi_hex[3] = {tr ? tr[0] : '0', tr ? tr[1] : '0', '\0'};
    if (!(strtoul(pi_hex, NULL, 16) & 0x04)) /* TP-PI announces no TP-UDL */
        KT_CHECK(!m.has_text, "%s: report without user data has text", id);
    check_trailing(id, v, &m);
    check_reencode(id, &m);
}

int main(void)
{
    vec_load_skips();
    vec_each("status-report.jsonl", check_report);
    return vec_report();
}
