/*
 * money_sms.h - recognising mobile-money provider SMS (confirmations,
 * failures, balances) with patterns loaded from data files at run time
 * (tasks/providers/NAME.provider, format in docs/payouts.md): POSIX extended
 * regexes whose capture groups are mapped to named fields (transaction_id,
 * amount, currency, counterparty_name, counterparty_phone, balance, fee,
 * date, time, ...) and a failure class (insufficient funds, wrong PIN,
 * limit reached).
 * Owns: the pattern set and the normalisation of field values (amounts
 * without thousands separators, dates as YYYY-MM-DD, 24-hour times, ISO
 * 4217 currencies). Never logs, never trusts an SMS whose sender no
 * provider claims (when a sender is given), never touches the store.
 */
#ifndef KAZI_MONEY_SMS_H
#define KAZI_MONEY_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MONEY_SMS_FIELDS_MAX 16
#define MONEY_SMS_NAME_MAX 32
#define MONEY_SMS_VALUE_MAX 128
#define MONEY_SMS_TEXT_MAX 4096 /* longest SMS text (a long concatenated message) */

/* Why a provider says a transfer failed. */
typedef enum money_sms_failure {
    MONEY_SMS_FAIL_NONE = 0,
    MONEY_SMS_FAIL_FUNDS,  /* insufficient funds (the float is empty) */
    MONEY_SMS_FAIL_PIN,    /* wrong PIN: stop before the account locks */
    MONEY_SMS_FAIL_LIMIT,  /* a daily or per-transaction limit was reached */
    MONEY_SMS_FAIL_OTHER   /* any other refusal (bad number, below minimum, ...) */
} money_sms_failure;

typedef struct money_sms_field {
    char name[MONEY_SMS_NAME_MAX];
    char value[MONEY_SMS_VALUE_MAX];
} money_sms_field;

/* What one SMS said. type is "failed" for every failure pattern. */
typedef struct money_sms_result {
    char provider[MONEY_SMS_NAME_MAX];
    char type[MONEY_SMS_NAME_MAX];
    money_sms_failure failure;
    size_t nfields;
    money_sms_field f[MONEY_SMS_FIELDS_MAX];
} money_sms_result;

typedef struct money_sms_set money_sms_set;

/* An empty set. NULL when out of memory. */
money_sms_set *money_sms_new(void);

/* Free the set and its compiled patterns. NULL-safe. */
void money_sms_free(money_sms_set *set);

/*
 * Add one provider from the text of a .provider file; name is used in
 * error messages only. KZ_ERR_INVALID with err->msg "NAME:LINE: reason" on
 * a bad line or a regex regcomp refuses; the set is then unchanged.
 * KZ_ERR_NOMEM when out of memory.
 */
kz_status money_sms_load_text(money_sms_set *set, const char *name, const char *text,
                              size_t len, kz_err *err);

/*
 * Add every NAME.provider file in dir (sorted by name, so the order is
 * stable). KZ_ERR_IO if dir cannot be read, KZ_ERR_NOTFOUND if it holds no
 * provider file, else as money_sms_load_text (the first bad file stops).
 */
kz_status money_sms_load_dir(money_sms_set *set, const char *dir, kz_err *err);

/* Number of providers loaded. */
size_t money_sms_providers(const money_sms_set *set);

/*
 * 1 if sender (case-insensitive, exact) is one of the sender ids a loaded
 * provider declares, else 0.
 */
int money_sms_sender_known(const money_sms_set *set, const char *sender);

/*
 * Recognise text[0..len) (UTF-8; runs of spaces, tabs and line breaks count
 * as one space). sender NULL tries every provider (tests, pasted texts);
 * otherwise only the providers that declare that sender id, so a person
 * cannot forge a confirmation from their own phone. The first pattern that
 * matches, in load order, wins. KZ_ERR_NOTFOUND when none matches,
 * KZ_ERR_RANGE when the text is longer than MONEY_SMS_TEXT_MAX.
 */
kz_status money_sms_parse(const money_sms_set *set, const char *sender, const char *text,
                          size_t len, money_sms_result *out);

/* The value of field name, or NULL when the SMS did not have it. */
const char *money_sms_get(const money_sms_result *r, const char *name);

/*
 * Field name (an amount such as "amount", "balance", "fee") in minor units
 * of the result's currency. KZ_ERR_NOTFOUND when absent, KZ_ERR_INVALID
 * when it has more decimals than the currency allows.
 */
kz_status money_sms_minor(const money_sms_result *r, const char *name, int64_t *minor);

/* "insufficient_funds", "wrong_pin", "limit", "other", "" for none. */
const char *money_sms_failure_name(money_sms_failure f);

#endif
