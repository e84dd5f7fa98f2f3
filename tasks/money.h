/*
 * money.h - amounts of money as integer minor units with a currency code:
 * parsing what people type ("3", "2.50", "KSh 3", "KES 1,200.00") and
 * formatting for people and for SMS.
 * Owns: the minor-unit exponent of each currency Kazi knows and its symbol.
 * Never uses floating point for money; never allocates.
 */
#ifndef KAZI_MONEY_H
#define KAZI_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Largest amount accepted anywhere, in minor units (10^13: far above any task). */
#define MONEY_MAX_MINOR INT64_C(10000000000000)

/* Digits after the decimal point for currency (ISO 4217; 2 if unknown, 0 for UGX). */
int money_exponent(const char *currency);

/* Display symbol for currency ("KSh" for KES), or the code itself. Never NULL. */
const char *money_symbol(const char *currency);

/*
 * Parse s[0..n) as a non-negative amount in currency: an optional symbol or
 * code prefix (the currency's own only), digits with optional ',' thousands
 * separators, and at most the currency's exponent of decimals after '.'.
 * *minor receives the amount. KZ_ERR_INVALID (err says why) on anything else,
 * KZ_ERR_RANGE above MONEY_MAX_MINOR.
 */
kz_status money_parse(const char *s, size_t n, const char *currency, int64_t *minor,
                      kz_err *err);

/*
 * Format minor units of currency into out (cap bytes, always NUL-terminated
 * when cap > 0): "KSh 3.00", or with compact set "KSh3" / "KSh2.50" (no space,
 * no ".00"; the SMS form). Returns the length it needed (snprintf rule).
 */
size_t money_format(char *out, size_t cap, int64_t minor, const char *currency, int compact);

#endif
