/*
 * modem_quirks.c - the differences between modem families the driver
 * honours, as data: one row per manufacturer (and model) with the source
 * that justifies it. Everything else is discovered by asking the modem
 * (AT+CPMS=?, AT+CNMI=? - which is how a SIM800, whose <ds> is only (0,1),
 * gets status reports as +CDS instead of +CDSI without a row here).
 * Owns the table. Never guesses: a row needs a documented reason.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "modem_internal.h"

static const modem_quirk quirks[] = {
    {"huawei", NULL, CUSD_WIRE_GSM7_HEX, "AT^CURC=0",
     "Huawei E-series: AT+CUSD strings are packed GSM-7 hex both ways (gammu's Huawei "
     "handling, ModemManager's huawei plugin); AT^CURC=0 stops the periodic ^RSSI, ^MODE, "
     "^DSFLOWRPT reports (Huawei AT command interface specification)"},
};

static const modem_quirk no_quirk = {NULL, NULL, CUSD_WIRE_AUTO, NULL, "no known quirks"};

/* Case-insensitive: does hay contain needle? */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

const modem_quirk *modem_quirk_find(const char *manufacturer, const char *model)
{
    for (size_t i = 0; i < sizeof quirks / sizeof quirks[0]; i++) {
        const modem_quirk *q = &quirks[i];
        if (q->manufacturer && !contains(manufacturer, q->manufacturer))
            continue;
        if (q->model && !contains(model, q->model))
            continue;
        return q;
    }
    return &no_quirk;
}
