/*
 * fuzz_sms.c - libFuzzer target for the inbound SMS command parser
 * (tasks/conv_parse.c): any bytes must parse without a crash, into a command
 * whose text is valid NUL-terminated UTF-8 within its buffer, whose argument
 * offset lies inside it, and whose numbers are in range. Parsing the cleaned
 * text again gives the same command (cleaning is idempotent).
 * Never writes files.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "conv_parse.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static conv_cmd c, again;
    conv_parse((const char *)data, size, &c);
    assert(c.kind >= CONV_UNKNOWN && c.kind < CONV__COUNT);
    assert(c.text_len < CONV_TEXT_CAP && c.text[c.text_len] == '\0');
    assert(strlen(c.text) <= c.text_len);
    assert(utf8_valid((const uint8_t *)c.text, strlen(c.text), NULL));
    assert(c.arg_off <= c.text_len);
    assert(c.ref >= 0 && c.ref <= 9999);
    assert(c.pause_hours >= 0 && c.pause_hours <= 24 * 90);
    assert((c.hours_from == -1 && c.hours_to == -1) ||
           (c.hours_from >= 0 && c.hours_from < 1440 && c.hours_to > 0 && c.hours_to <= 1440));
    assert(strlen(c.code) <= CONV_CODE_MAX);
    if (!c.truncated && c.kind != CONV_ANSWER && c.kind != CONV_UNKNOWN) {
        /* the clean text says the same thing (answers' trailing junk may be trimmed) */
        conv_parse(c.text, c.text_len, &again);
        assert(again.kind == c.kind && again.ref == c.ref);
    }
    return 0;
}
