/*
 * http_secret.c - the one comparison of a secret a client sent with the
 * configured one (http_secret_equal in http_server.h), for every handler:
 * console login and sessions, API token, USSD and Kannel callbacks.
 * Owns: that comparison. Never logs, never keeps either string.
 */
#include <string.h>

#include "http_server.h"

bool http_secret_equal(const char *given, const char *want)
{
    size_t lg = strlen(given), lw = strlen(want);
    unsigned diff = (lg != lw);
    for (size_t i = 0; i < lg; i++) {
        unsigned char w = lw ? (unsigned char)want[i < lw ? i : lw - 1] : 0;
        diff |= (unsigned char)given[i] ^ w;
    }
    return diff == 0;
}
