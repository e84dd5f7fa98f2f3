/*
 * fuzz_concat.c - libFuzzer target for multipart reassembly: the input is a
 * sequence of length-prefixed PDUs (one length octet, then the PDU with its
 * SMSC field); each one that decodes is fed to a small concat store with a
 * clock that advances, so eviction and timeouts run too.
 * Never writes files; asserts that every released message is valid UTF-8.
 */
#include <assert.h>
#include <stdint.h>

#include "concat.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(concat_msg *m)
{
    assert(m->text != NULL);
    assert(utf8_valid((const uint8_t *)m->text, m->text_len, NULL));
    assert(m->received >= 1 && m->received <= m->total);
    concat_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    concat_store *cs = concat_new(4, 60);
    if (!cs)
        return 0;
    int64_t now = 0;
    size_t at = 0;
    while (at < size) {
        size_t n = data[at++];
        if (n > size - at)
            n = size - at;
        sms_message m;
        if (pdu_decode(data + at, n, true, &m, NULL) == KZ_OK && m.type == SMS_DELIVER) {
            bool done = false, has_ev = false;
            concat_msg out, ev;
            if (concat_add(cs, &m, now, &done, &out, &has_ev, &ev, NULL) == KZ_OK) {
                if (done)
                    check_msg(&out);
                if (has_ev)
                    check_msg(&ev);
            }
        }
        at += n;
        now += 7;
        concat_msg exp[4];
        size_t k = concat_expire(cs, now, exp, 4);
        for (size_t i = 0; i < k; i++)
            check_msg(&exp[i]);
    }
    concat_free(cs);
    return 0;
}
