/*
 * fuzz_cusd.c - libFuzzer target for cusd_parse with every wire format.
 * Input: one +CUSD line. Never writes files.
 */
#include <assert.h>
#include <stdint.h>

#include "cusd.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const cusd_wire wires[] = {CUSD_WIRE_AUTO, CUSD_WIRE_TEXT, CUSD_WIRE_GSM7_HEX,
                                      CUSD_WIRE_UCS2_HEX};
    for (size_t i = 0; i < sizeof wires / sizeof wires[0]; i++) {
        cusd_reply r;
        kz_err err;
        kz_err_clear(&err);
        if (cusd_parse(data, size, wires[i], &r, &err) != KZ_OK)
            continue;
        assert(r.status >= 0 && r.status <= 5);
        if (r.has_text) {
            assert(r.text_len < sizeof r.text && r.text[r.text_len] == '\0');
            assert(utf8_valid((const uint8_t *)r.text, r.text_len, NULL));
        }
    }
    return 0;
}
