/*
 * api_internal.h - what the files of the JSON API (gateway/api*.c) share:
 * answering with JSON or an error, mapping a kz_status to an HTTP status,
 * reading flags, ids and the fields of a POST, and the endpoints that live
 * in their own files.
 * Owns: nothing but these contracts. Never included outside gateway/api*.c.
 */
#ifndef KAZI_API_INTERNAL_H
#define KAZI_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_server.h"
#include "status.h"
#include "web_data.h"

/* Answer status with j as indented JSON (j taken; NULL answers 500 "out of memory"). */
void api_json(http_response *resp, int status, json_t *j);

/* Answer status with {"error": message}. */
void api_error(http_response *resp, int status, const char *message);

/* The HTTP status for a web_data status: 200, 400, 404, 409, 422 or 500. */
int api_status_of(kz_status s);

/* Answer a failed web_data call: its status code and err's message (500: a generic one). */
void api_fail(http_response *resp, kz_status s, const kz_err *err);

/* Is query argument key "1", "true" or "yes"? */
bool api_flag(const http_request *req, const char *key);

/* A positive decimal id, or 0. */
int64_t api_id(const char *s);

/* Tell the daemon's loop that work was queued (no-op without a wake hook). */
void api_wake(http_env *env);

/* /api/batches and below (api_batches.c); rest is what follows "/api/batches/" or "". */
void api_route_batches(http_env *env, const http_request *req, const char *rest,
                       http_response *resp);

/* POST /api/appeals/ID and POST /api/payouts/ID (api_post.c); id 0 answers 404. */
void api_post_appeal(http_env *env, const http_request *req, int64_t id, http_response *resp);
void api_post_payout(http_env *env, const http_request *req, int64_t id, http_response *resp);

#endif
