/*
 * engine_internal.h - what the engine_*.c files share: transaction brackets,
 * local time, answer matching, a task's counted answers (votes) and
 * aggregation entry points.
 * Owns: nothing of its own. Never included outside tasks/engine*.c.
 */
#ifndef KAZI_ENGINE_INTERNAL_H
#define KAZI_ENGINE_INTERNAL_H

#include "engine.h"
#include "store_engine.h"

/*
 * Start an IMMEDIATE transaction unless one is open; *own says whether this
 * call started it (and so must end it with engine_tx_end).
 */
kz_status engine_tx_begin(kz_store *st, int *own, kz_err *err);

/*
 * End what engine_tx_begin started: commit when rc is KZ_OK, else roll back.
 * Returns rc, or the commit's failure. Does nothing when own is 0.
 */
kz_status engine_tx_end(kz_store *st, int own, kz_status rc, kz_err *err);

/* Roll back what engine_tx_begin started, if it did (an outcome that writes nothing). */
void engine_tx_drop(kz_store *st, int own);

/* Minute of the local day (0-1439) at Unix time now. */
int engine_local_minute(const engine_config *cfg, int64_t now);

/* Is minute m inside [from, to), wrapping past midnight when from > to? from == to is all day. */
bool engine_in_window(int from, int to, int m);

/*
 * Match text against the options "A|B|C": an option number, or an option's
 * text compared by engine_text_key, or YES/Y/NDIYO/NDIO and NO/N/HAPANA/LA for
 * options named Yes and No. Returns the 1-based option, 0 if none; *n_options
 * receives the option count; the option's text is copied into value (cap).
 */
int engine_option_match(const char *options, const char *text, char *value, size_t cap,
                        int *n_options);

/*
 * After an on-time answer to task t: when the task has the answers it wants,
 * resolve it by plurality (choice/verify on the value, transcription on
 * engine_text_key), else ask for one more worker, up to redundancy +
 * max_redundancy_extra, then mark it for review. Gold tasks get a result
 * (their gold answer) once and stay open. Inside the caller's transaction.
 */
kz_status engine_aggregate(kz_store *st, const engine_config *cfg, const store_eng_task *t,
                           int64_t now, kz_err *err);

/* One counted answer with the key the consensus groups it by. */
typedef struct engine_vote {
    int64_t answer_id;
    char value[481];
    char key[481]; /* engine_text_key of value for transcription, else value */
} engine_vote;

/* The counted answers of one task, in the store's order. */
typedef struct engine_votes {
    engine_vote *v; /* heap-owned: free(v) */
    size_t n, cap;
    bool transcribe; /* keys are engine_text_key (task type "transcribe") */
} engine_votes;

/*
 * Empty *l, then fill it with task task_id's counted answers (store_eng_votes)
 * keyed for a task of the given type. Returns the store's status (an
 * allocation failure stops the walk); l->v is the caller's to free(), even
 * on failure.
 */
kz_status engine_votes_load(kz_store *st, int64_t task_id, const char *type, engine_votes *l,
                            kz_err *err);

/* The canonical form of a task's gold answer (an option's text, or the text). */
void engine_gold_value(const store_eng_task *t, char *out, size_t cap);

#endif
