/*
 * web_data.h - what the operator's web console and the JSON API read and do:
 * the dashboard, batches and their results CSV, a CSV upload with the same
 * validation as `kazi import`, open appeals and their decisions, payouts
 * needing attention and the operator's actions on them, workers. Every
 * reader returns a jansson object or array that the caller owns
 * (json_decref); the console renders it as HTML, the API sends it as is.
 * Owns: the JSON shape of each (below; docs/api.md shows examples) and the
 * masking of phone numbers. Never runs SQL itself (the store_*, engine_*,
 * payout_* and qstore_* walkers do), never logs, never escapes HTML, never
 * opens or closes the store: st is the caller's connection (one thread).
 *
 * Conventions of every object below:
 *   - money is an integer count of minor units ("..._minor": 150 = KSh 1.50)
 *     beside a "currency" ISO 4217 code; format it with money_format();
 *   - times are integers, Unix seconds UTC ("..._at"); 0 means never/none;
 *   - "phone" is masked ("+2547****5678", web_phone_mask) unless the caller
 *     passed full = true.
 * Status codes: KZ_OK; KZ_ERR_NOTFOUND (no such batch, appeal, payout);
 * KZ_ERR_INVALID (bad input: err says which field and why); KZ_ERR_STATE
 * (not allowed in the thing's current state: a decided appeal, a payout not
 * needing attention); KZ_ERR_BUSY (a conflict: a payout in flight already);
 * KZ_ERR_RANGE (a batch below the pay floor); KZ_ERR_NOMEM; KZ_ERR_DB.
 * On failure *out is NULL, except web_upload_csv (below).
 */
#ifndef KAZI_WEB_DATA_H
#define KAZI_WEB_DATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "conv.h"
#include "status.h"
#include "store.h"

/* Bytes of a masked phone number with its NUL. */
#define WEB_PHONE_CAP 24

/*
 * A payout sending, sent or requested whose last change is older than this
 * (seconds) is "stuck": it needs the operator.
 */
#define WEB_PAYOUT_STUCK_S 3600

/*
 * "+254712345678" -> "+2547****5678": the first five and the last four
 * characters with "****" between; a number of 9 characters or fewer (or
 * not E.164) becomes "****" and its last two characters. "" stays "".
 */
void web_phone_mask(const char *phone, char out[WEB_PHONE_CAP]);

/*
 * The dashboard. cfg (may be NULL: defaults) gives the local day (engine
 * tz_offset_minutes). Object:
 * {
 *   "day": "2026-11-30",                 local date of now
 *   "modems": [ {                         as the daemon last saved them
 *       "name": "m1", "device": "/dev/ttyUSB0", "state": "READY",
 *       "signal_dbm": -71 | null,         null when unknown
 *       "operator": "Safaricom", "queue": 0, "sent_today": 12,
 *       "last_error": "", "last_seen_at": 1796000000 } ],
 *   "outbox": { "messages_waiting": 3, "parts_queued": 2, "parts_sending": 1,
 *               "parts_unknown": 0, "parts_failed": 0, "sent_today": 40 },
 *   "inbox_waiting": 0,                   SMS parts waiting for the rest
 *   "batches": [ BATCH ... ],             as web_batches
 *   "money": [ {                          one per currency seen
 *       "currency": "KES",
 *       "owed_minor": 12000,              sum of workers' positive balances
 *       "paid_minor": 50000,              confirmed payouts
 *       "pending_minor": 3000,            payouts requested/sending/sent/unknown
 *       "pending_payouts": 2 } ],
 *   "workers": { "total": 40, "active": 35 },
 *   "appeals_open": 1,
 *   "payouts_attention": 0                as web_payouts(attention_only)
 * }
 */
kz_status web_dashboard(kz_store *st, const kz_config *cfg, int64_t now, json_t **out,
                        kz_err *err);

/*
 * Every batch, oldest first: an array of BATCH objects (the fields of
 * `kazi batches --json` plus tasks_open/tasks_resolved):
 * { "name": "survey-1", "requester": "acme", "state": "open",
 *   "tasks": 100, "tasks_complete": 40,
 *   "tasks_open": 60,                      tasks - tasks_complete
 *   "tasks_resolved": 40,                  = tasks_complete
 *   "answers": 130, "answers_needed": 300, "redundancy": 3,
 *   "progress": 0.433,                     answers/answers_needed, 0..1
 *   "currency": "KES", "reward_minor": 300, "est_seconds": 30,
 *   "deadline": 0, "created_at": 1796000000 }
 */
kz_status web_batches(kz_store *st, json_t **out, kz_err *err);

/*
 * One batch by name: a BATCH object with in addition
 *   "status_counts": {"pending": 50, "partial": 10, "complete": 40, "cancelled": 0},
 *   "in_review": 2                         tasks waiting for a human (`kazi review`)
 * KZ_ERR_NOTFOUND if there is no such batch.
 */
kz_status web_batch(kz_store *st, const char *name, json_t **out, kz_err *err);

/*
 * The results CSV of batch name, byte for byte what `kazi export NAME`
 * writes (tasks/csv_export.h), into *csv (malloc'd, caller frees) of *len
 * bytes. KZ_ERR_NOTFOUND if there is no such batch.
 */
kz_status web_batch_results_csv(kz_store *st, const char *name, char **csv, size_t *len,
                                kz_err *err);

/* The options of an upload, as text from form fields or the query (all borrowed; NULL = not given). */
typedef struct web_upload {
    const char *batch;       /* required: the batch name (created if absent) */
    const char *requester;   /* required */
    const char *reward;      /* "3", "2.50", "KSh 3" (as --reward); NULL: the pay floor's */
    const char *redundancy;  /* "1".."100" (as --redundancy) */
    const char *est_seconds; /* "1".."86400" (as --est-seconds) */
    const char *deadline;    /* as --deadline: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z], +Nd, +Nh */
    const char *currency;    /* as --currency: only the pay floor's ("KES") */
    const char *source;      /* the uploaded file's name, recorded with the import; NULL "upload" */
} web_upload;

/*
 * Import csv[0..len) as `kazi import` does (same options, same checks, all or
 * nothing: one bad row and nothing is imported). *out is set in every case
 * but KZ_ERR_NOMEM:
 * { "ok": true | false, "batch": "survey-1",
 *   "rows": 100, "added": 98, "unchanged": 2, "rejected": 0,
 *   "committed": true,                     false when nothing new was added
 *   "errors": [ { "line": 7,               CSV line (1 = header); 0: the file or an option
 *                 "column": 3,             1-based; 0: the whole row/file
 *                 "column_name": "options", header name, "" if none
 *                 "field": "",             the bad option's name ("redundancy"...) or ""
 *                 "message": "..." } ] }   one English sentence
 * Every rejected row is listed (up to WEB_UPLOAD_MAX_ERRORS; then
 * "errors_more": N counts the rest). Returns KZ_OK when imported,
 * KZ_ERR_INVALID for a bad option or any rejected row, KZ_ERR_RANGE below the
 * pay floor (then errors say why), KZ_ERR_DB / KZ_ERR_NOMEM otherwise.
 */
#define WEB_UPLOAD_MAX_ERRORS 1000
kz_status web_upload_csv(kz_store *st, const web_upload *u, const uint8_t *csv, size_t len,
                         int64_t now, json_t **out, kz_err *err);

/*
 * Appeals, oldest first (only open ones when open_only; `kazi appeals
 * [--all] --json` fields with the phone masked unless full). Array of:
 * { "id": 4, "answer_id": 17, "worker_id": 3, "phone": "+2547****5678",
 *   "batch": "survey-1", "task": "t-17", "answer": "2",
 *   "reject_reason": "blurry photo", "reason": "it was clear",  the worker's appeal
 *   "state": "open" | "upheld" | "overturned",
 *   "reviewer": "", "decision": "",       "" while open
 *   "opened_at": 1796000000, "decided_at": 0,
 *   "held_minor": 300, "currency": "KES" }
 */
kz_status web_appeals(kz_store *st, bool open_only, bool full, json_t **out, kz_err *err);

/*
 * Decide appeal id as `kazi appeals decide ID --overturn|--uphold --reason
 * NOTE --reviewer R` does: engine_appeal_decide and the worker's notice
 * (conv_notify_appeal_decision, in conv's templates) in one transaction.
 * decision is "overturn" or "uphold"; note (the reason, sent to the worker)
 * must not be empty; reviewer may be NULL. The caller wakes the daemon's
 * loop afterwards (a notice was queued). *out:
 * { "id": 4, "state": "overturned" | "upheld",
 *   "notice": { "queued": true, "to": "+2547****5678", "segments": 1, "text": "..." } }
 * ("queued": false and no other notice fields when the worker sent STOP).
 * KZ_ERR_INVALID: bad decision or empty note; KZ_ERR_NOTFOUND: no such
 * appeal; KZ_ERR_STATE: already decided.
 */
kz_status web_appeal_decide(kz_store *st, const conv_config *conv, int64_t id,
                            const char *decision, const char *note, const char *reviewer,
                            bool full, int64_t now, json_t **out, kz_err *err);

/*
 * Payouts by id (`kazi pay list --json` fields, phone masked unless full),
 * only those needing attention when attention_only:
 *   unknown (the outcome was never learnt: decide it after checking the
 *   provider's statement), failed (the worker's latest payout failed: retry
 *   it or leave it), stuck (requested, sending or sent with no change for
 *   WEB_PAYOUT_STUCK_S). Array of:
 * { "id": 9, "worker_id": 3, "phone": "+2547****5678", "amount_minor": 10000,
 *   "currency": "KES", "fee_minor": 0, "state": "unknown", "method": "ussd",
 *   "provider_ref": "", "idempotency_key": "...", "error": "why",
 *   "pin_sent": true, "created_at": ..., "updated_at": ...,
 *   "attention": "unknown" | "failed" | "stuck" | null,
 *   "actions": ["confirmed", "failed"] }   what web_payout_act allows now
 */
kz_status web_payouts(kz_store *st, bool attention_only, bool full, int64_t now, json_t **out,
                      kz_err *err);

/*
 * The operator acts on a payout needing attention:
 *   "confirmed" / "failed": `kazi pay resolve ID confirmed|failed --reason
 *     NOTE` (payout_resolve: confirmed from sending, sent or unknown; failed
 *     from requested, sending, sent or unknown, the debit reversed); note
 *     required. Allowed only while the payout needs attention (never while
 *     a runner may still be talking to the provider about it).
 *   "retry": a failed payout that is its worker's latest: request a new
 *     payout of the same amount to the worker's number (payout_request,
 *     idempotency key "retry:ID": asking twice finds the same payout; never
 *     while another payout of the worker is in flight). The caller wakes the
 *     daemon's loop so the runner starts it.
 * cfg (may be NULL: defaults) gives the payout settings ([payout], [money]).
 * *out: the payout after the action (a PAYOUT object as web_payouts; for
 * retry the new payout, "attention" null and no actions). KZ_ERR_INVALID:
 * unknown action or no note; KZ_ERR_NOTFOUND; KZ_ERR_STATE: the action is
 * not allowed in the payout's state (settled, retried already, not needing
 * attention), or the worker's balance no longer covers a retry;
 * KZ_ERR_BUSY: another payout of the worker is in flight; KZ_ERR_RANGE: the
 * amount is outside the payout minimum and maximum.
 */
kz_status web_payout_act(kz_store *st, const kz_config *cfg, int64_t id, const char *action,
                         const char *note, bool full, int64_t now, json_t **out, kz_err *err);

/*
 * Every worker by id (`kazi workers --json` fields, phone masked unless
 * full). Array of:
 * { "id": 3, "phone": "+2547****5678", "name": "", "lang": "sw",
 *   "state": "active" | "paused" | "stopped", "answers": 12,
 *   "currency": "KES" | "", "balance_minor": 3600, "joined_at": ... }
 */
kz_status web_workers(kz_store *st, bool full, json_t **out, kz_err *err);

#endif
