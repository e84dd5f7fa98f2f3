/*
 * fuzz_pdu.c - libFuzzer target for pdu_decode (SMS-DELIVER, SMS-SUBMIT,
 * SMS-STATUS-REPORT), with and without the SMSC field, and for the hex
 * reader in front of it. Input: raw PDU bytes. Never writes files.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "hex.h"
#include "pdu.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decoded(const sms_message *m)
{
    /* a successful decode always yields NUL-terminated, valid UTF-8 */
    assert(m->text_len < sizeof m->text);
    assert(m->text[m->text_len] == '\0');
    assert(utf8_valid((const uint8_t *)m->text, m->text_len, NULL));
    assert(memchr(m->address.text, '\0', sizeof m->address.text) != NULL);
    assert(m->udh_len <= SMS_UD_MAX && m->data_len <= SMS_UD_MAX);
    char ts[32];
    if (m->type != SMS_SUBMIT)
        assert(sms_time_format(&m->scts, ts, sizeof ts) == KZ_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sms_message m;
    kz_err err;
    for (int with_smsc = 0; with_smsc < 2; with_smsc++) {
        kz_err_clear(&err);
        kz_status st = pdu_decode(data, size, with_smsc, &m, &err);
        if (st == KZ_OK)
            check_decoded(&m);
        else
            assert(err.status == st && (err.offset == KZ_NO_OFFSET || err.offset <= size));
    }
    /* the same bytes read as hex text, as `kazi pdu decode` does */
    uint8_t bin[SMS_PDU_MAX * 2];
    size_t n = 0;
    if (hex_decode((const char *)data, size, bin, sizeof bin, &n, &err) == KZ_OK &&
        pdu_decode(bin, n, true, &m, &err) == KZ_OK)
        check_decoded(&m);
    return 0;
}
