/*
 * payout_script.h - provider USSD scripts (tasks/providers/NAME.ussd-script,
 * format in docs/payouts.md): the menu walk that sends money or airtime,
 * as steps "send VALUE", "expect REGEX", "timeout SECONDS", plus screens
 * that end the walk early: "await REGEX" (the request went through, the
 * answer comes by SMS) and "fail CLASS REGEX" (the provider refused).
 * VALUE may hold {phone} (national form, trunk 0), {msisdn} (E.164 digits
 * without '+'), {amount} (whole major units), {pin} and {ref}.
 * Owns: parsing a script and expanding a value. Never logs, never keeps or
 * prints a PIN (expansion writes into the caller's buffer only).
 */
#ifndef KAZI_PAYOUT_SCRIPT_H
#define KAZI_PAYOUT_SCRIPT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money_sms.h"
#include "status.h"

#define PS_STEPS_MAX 32
#define PS_SCREENS_MAX 8
#define PS_VALUE_MAX 96

typedef enum ps_kind { PS_SEND, PS_EXPECT } ps_kind;

typedef struct ps_step {
    ps_kind kind;
    char value[PS_VALUE_MAX]; /* send: the template; expect: the regex text */
    regex_t re;               /* expect */
    int timeout_s;            /* expect: how long to wait for the screen */
    bool has_pin;             /* send: the value holds {pin} (the point of no return) */
} ps_step;

typedef struct ps_screen {
    regex_t re;
    money_sms_failure failure; /* fail: why; await: MONEY_SMS_FAIL_NONE */
} ps_screen;

typedef struct payout_script {
    ps_step step[PS_STEPS_MAX];
    size_t nsteps;
    ps_screen await[PS_SCREENS_MAX], fail[PS_SCREENS_MAX];
    size_t nawait, nfail;
    char trunk_cc[8]; /* "local +254 0": {phone} replaces +254 by 0 */
    char trunk[4];
} payout_script;

/*
 * Parse script text (name is for messages). The first step must be a send
 * (the code dialled). KZ_ERR_INVALID with "NAME:LINE: reason" on error.
 * *out must be released with payout_script_clear, also after an error.
 */
kz_status payout_script_parse(const char *name, const char *text, size_t len, payout_script *out,
                              kz_err *err);

/* Read and parse a file (KZ_ERR_IO if it cannot be read). */
kz_status payout_script_load(const char *path, payout_script *out, kz_err *err);

/* Free the compiled regexes. Safe on a zeroed or half-parsed script. */
void payout_script_clear(payout_script *s);

/* What {placeholders} expand to. pin is never copied anywhere but out. */
typedef struct ps_vars {
    const char *e164;  /* "+254712345678" */
    int64_t amount_minor;
    int exponent;      /* of the currency */
    const char *pin;
    const char *ref;
} ps_vars;

/*
 * Expand tmpl into out (cap bytes). KZ_ERR_INVALID for an unknown
 * placeholder or an amount with a fractional part (menus take whole units),
 * KZ_ERR_NOSPACE if it does not fit.
 */
kz_status payout_script_expand(const payout_script *s, const char *tmpl, const ps_vars *v,
                               char *out, size_t cap);

#endif
