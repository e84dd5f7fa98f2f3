/*
 * conv_offer.h - the words of a task offer in the worker's language, and an
 * acknowledgement riding in front of it when that costs no extra segment.
 * Owns: turning an engine_offer into the "offer" template's values, in
 * exactly tasks/task_msg.c's format for English (the import check that a
 * task fits one SMS is made with that format). Never touches the database.
 */
#ifndef KAZI_CONV_OFFER_H
#define KAZI_CONV_OFFER_H

#include <stddef.h>

#include "engine.h"
#include "templates.h"

/*
 * Render offer o in lang into out (cap bytes); *len (may be NULL) receives
 * the length. KZ_ERR_NOSPACE if out is too small.
 */
kz_status conv_offer_render(const tmpl_set *t, const char *lang, const engine_offer *o,
                            char *out, size_t cap, size_t *len, kz_err *err);

/*
 * Put prefix (an acknowledgement, may be "") in front of the offer text
 * already in out (length *len) if the result needs no more SMS segments than
 * the offer alone; else try short_prefix; else leave the offer alone.
 * Returns 2 if prefix rode along, 1 if short_prefix did, 0 if neither.
 */
int conv_offer_ride(const char *prefix, const char *short_prefix, char *out, size_t cap,
                    size_t *len);

/* "Yes|No|Closed" -> "1=Yes 2=No 3=Closed" (items trimmed of spaces and tabs), cut at cap. */
void conv_offer_options(const char *opts, char *out, size_t cap);

/* Estimated time in lang: "30s", "2min" ("2dk"), "1h"; same rounding as task_msg.c. */
void conv_offer_est(const tmpl_set *t, const char *lang, int est_seconds, char *out, size_t cap);

#endif
