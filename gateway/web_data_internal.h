/*
 * web_data_internal.h - what the web_data*.c files share and nobody else
 * uses: a phone value as JSON (masked or not), the BATCH object, appending
 * to an array, the out-of-memory error.
 * Owns: nothing but these helpers' contracts. Never included outside
 * gateway/web_data*.c.
 */
#ifndef KAZI_WEB_DATA_INTERNAL_H
#define KAZI_WEB_DATA_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "status.h"
#include "store.h"

/* A new JSON string: phone as is when full, else masked (web_phone_mask). NULL if OOM. */
json_t *web_phone_json(const char *phone, bool full);

/* The BATCH object of web_data.h for one listing row. NULL if out of memory. */
json_t *web_batch_json(const store_batch_row *r);

/* Append item (taken; NULL counts as out of memory) to arr. 0, or 1 on failure. */
int web_append(json_t *arr, json_t *item);

/* Set err to "out of memory" and return KZ_ERR_NOMEM. */
kz_status web_oom(kz_err *err);

#endif
