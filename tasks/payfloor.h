/*
 * payfloor.h - the pay-floor rule (DESIGN.md worker promise 1): a task's
 * reward, less what the worker spends on reply SMS, must pay at least the
 * floor per hour of estimated task time.
 * Owns: that arithmetic and the refusal message with its numbers. Never reads
 * configuration: the caller passes the policy (defaults from economics.md).
 */
#ifndef KAZI_PAYFLOOR_H
#define KAZI_PAYFLOOR_H

#include <stdint.h>

#include "status.h"

typedef struct payfloor_policy {
    char currency[4];             /* ISO 4217 code, e.g. "KES" */
    int64_t floor_per_hour_minor; /* e.g. 10000 = KSh 100 an hour */
    int64_t reply_sms_minor;      /* the worker's price of one reply SMS segment, e.g. 120 */
} payfloor_policy;

/* economics.md defaults for Kenya: KSh 100 an hour, KSh 1.20 per reply segment. */
#define PAYFLOOR_KES_DEFAULT {"KES", 10000, 120}

/*
 * Smallest reward (minor units) that meets the floor for a task of
 * est_seconds needing reply_segments reply SMS.
 */
int64_t payfloor_min_reward(const payfloor_policy *p, int est_seconds, int reply_segments);

/*
 * KZ_OK if reward_minor meets the floor; otherwise KZ_ERR_RANGE with err
 * saying the reward, the SMS cost, the resulting hourly pay, the floor and
 * the smallest reward that would pass. KZ_ERR_INVALID if est_seconds < 1.
 */
kz_status payfloor_check(const payfloor_policy *p, int64_t reward_minor, int est_seconds,
                         int reply_segments, kz_err *err);

#endif
