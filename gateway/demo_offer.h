/*
 * demo_offer.h - reading Kazi's worker SMS the way a person on a keypad
 * phone reads them, for the simulated workers of `kazi demo`: the task offer
 * ("#42 Maji Mtaani: Is it open? 1=Yes 2=No ~30s KSh4. Reply 42 N", in any
 * template language, possibly behind an acknowledgement) and the list of
 * still-open task numbers some replies carry ("Still open for you: 3, 5.").
 * Owns: that parsing. Never allocates, never does I/O; works on the text
 * alone, so it is unit-tested against the shipped templates' shapes.
 */
#ifndef KAZI_DEMO_OFFER_H
#define KAZI_DEMO_OFFER_H

#include <stdbool.h>
#include <stddef.h>

#define DEMO_OPT_MAX 9
#define DEMO_OPT_CAP 64
#define DEMO_PROMPT_CAP 256
#define DEMO_REQ_CAP 64

typedef struct demo_offer {
    int ref;                              /* the worker's task number */
    char requester[DEMO_REQ_CAP];
    char prompt[DEMO_PROMPT_CAP];
    int nopts;                            /* 0 for a transcription task */
    char opts[DEMO_OPT_MAX][DEMO_OPT_CAP]; /* option texts; option k is opts[k-1] */
    char pay[24];                         /* "KSh4" as the offer states it */
} demo_offer;

/*
 * Find a task offer in one SMS text (NUL-terminated). Returns true and fills
 * *out when the text ends with an offer "#REF REQ: PROMPT [1=A 2=B ...] ~EST
 * PAY. WORD REF HINT"; false (out untouched) when it holds none. A hint of
 * "N" means choose an option; anything else means type the answer.
 */
bool demo_offer_parse(const char *text, demo_offer *out);

/*
 * The task numbers a reply lists as still open ("...: 3, 5." or "(3, 5)"),
 * which only replies without an offer carry. Writes at most cap numbers to
 * refs and returns how many; 0 if the text lists none or holds an offer.
 */
size_t demo_offer_open_refs(const char *text, int *refs, size_t cap);

#endif
