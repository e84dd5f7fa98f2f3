/*
 * payfloor.c - the pay-floor check (see payfloor.h). All integer arithmetic
 * in minor units; rounding always favours the worker.
 * Never reads configuration or prints.
 */
#include "payfloor.h"

#include "money.h"

int64_t payfloor_min_reward(const payfloor_policy *p, int est_seconds, int reply_segments)
{
    int64_t labour = (p->floor_per_hour_minor * est_seconds + 3599) / 3600; /* round up */
    return labour + p->reply_sms_minor * reply_segments;
}

kz_status payfloor_check(const payfloor_policy *p, int64_t reward_minor, int est_seconds,
                         int reply_segments, kz_err *err)
{
    if (est_seconds < 1)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "estimated time must be positive");
    int64_t sms = p->reply_sms_minor * reply_segments;
    int64_t net = reward_minor - sms;
    /* net per hour >= floor  <=>  net * 3600 >= floor * est_seconds */
    if (net * 3600 >= p->floor_per_hour_minor * est_seconds)
        return KZ_OK;
    char reward[32], smsc[32], hourly[32], floor[32], need[32];
    money_format(reward, sizeof reward, reward_minor, p->currency, 0);
    money_format(smsc, sizeof smsc, sms, p->currency, 0);
    int64_t per_hour = net <= 0 ? 0 : net * 3600 / est_seconds;
    money_format(hourly, sizeof hourly, net <= 0 ? net : per_hour, p->currency, 0);
    money_format(floor, sizeof floor, p->floor_per_hour_minor, p->currency, 0);
    money_format(need, sizeof need, payfloor_min_reward(p, est_seconds, reply_segments),
                 p->currency, 0);
    if (net <= 0)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET,
                          "below the pay floor: a reward of %s does not cover the worker's "
                          "%s for %d reply SMS; the floor is %s an hour, so a %d-second task "
                          "needs at least %s",
                          reward, smsc, reply_segments, floor, est_seconds, need);
    return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET,
                      "below the pay floor: %s for a %d-second task, less %s for %d reply SMS, "
                      "pays %s an hour; the floor is %s an hour, so it needs at least %s",
                      reward, est_seconds, smsc, reply_segments, hourly, floor, need);
}
