/*
 * test_pdu_deliver.c - decodes every SMS-DELIVER in pdu-deliver.jsonl and
 * checks each field the vector gives; vectors listed in skip.txt are
 * reported and counted as neither pass nor fail.
 * Never edits the vectors or works around a vector it disagrees with.
 */
#include "harness.h"

#include "pdu_vec.h"

static void check_deliver(const char *file, json_t *v)
{
    const char *id = vec_str(v, "id");
    sms_message m;
    kz_err e;
    kz_status st = vec_decode(v, &m, &e);

    (void)file;
    KT_CHECK(st == KZ_OK, "%s: decode failed: %s (%s at %zu)", id, kz_strerror(st), e.msg, e.offset);
    if (st != KZ_OK)
        return;
    KT_CHECK(m.type == SMS_DELIVER, "%s: type %d", id, (int)m.type);
    vec_check_smsc(id, v, &m);
    vec_check_addr(id, v, "sender", &m.address);
    vec_check_time(id, v, "timestamp", &m.scts);
    vec_check_body(id, v, &m);
}

int main(void)
{
    vec_load_skips();
    vec_each("pdu-deliver.jsonl", check_deliver);
    return vec_report();
}
