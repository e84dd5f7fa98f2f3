/*
 * conv_cmds.h - what the command handlers (tasks/conv_cmds.c) and the
 * answer handlers (tasks/conv_answer.c) share: offering the next task with
 * an acknowledgement riding, listing open offers, short replies by ref.
 * Owns: nothing beyond those declarations. Never included outside tasks/conv*.c.
 */
#ifndef KAZI_CONV_CMDS_H
#define KAZI_CONV_CMDS_H

#include <stdbool.h>
#include <stddef.h>

#include "conv_internal.h"

/* Open offers listed in a reply ("17, 42, 43"). */
#define CONV_LIST_REFS 4

/* Say key with {ref} = ref. */
kz_status conv_say_ref(conv_ctx *c, const char *key, int ref);

/* The worker's open offers, oldest first: up to CONV_LIST_REFS into refs, *n in all. */
kz_status conv_open_refs(conv_ctx *c, int *refs, size_t *n);

/* "17, 42, 43" from refs[0..n) (at most CONV_LIST_REFS), cut at cap. */
void conv_list_refs(const int *refs, size_t n, char *out, size_t cap);

/*
 * Say key_open while the worker has open offers (their list goes into
 * v[nv - 1], the "open" value), else key_done.
 */
kz_status conv_say_open(conv_ctx *c, const char *key_open, const char *key_done, tmpl_var *v,
                        size_t nv);

/*
 * Offer the next task if one is eligible (solicited: the worker asked, so
 * the push window and their hours do not apply), with prefix riding in
 * front when it costs no extra segment, else short_prefix. *offered says
 * whether the reply in c is now an offer.
 */
kz_status conv_offer_next(conv_ctx *c, bool solicited, const char *prefix,
                          const char *short_prefix, bool *offered);

/* CONV_ANSWER and CONV_UNKNOWN (conv_answer.c): the reply is left in c. */
kz_status conv_cmd_answer(conv_ctx *c);
kz_status conv_cmd_unknown(conv_ctx *c);

#endif
