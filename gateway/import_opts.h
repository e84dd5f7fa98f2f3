/*
 * import_opts.h - the options of a task CSV import given as text (the
 * command line of `kazi import`, the form fields of an upload): a future
 * deadline and a bounded count, each refused with the same sentence
 * wherever it was typed.
 * Owns: the deadline syntax (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z], +Nd, +Nh)
 * and those sentences. Never reads the CSV, never opens the store.
 */
#ifndef KAZI_IMPORT_OPTS_H
#define KAZI_IMPORT_OPTS_H

#include <stdint.h>

/*
 * Parse a deadline after now (Unix seconds): YYYY-MM-DD is the end of that
 * local day, YYYY-MM-DDTHH:MM[:SS] local time (a Z suffix: UTC), +Nd and
 * +Nh from now. 0 and *out set, or -1 when s is not a future date.
 */
int import_parse_deadline(const char *s, int64_t now, int64_t *out);

/* Parse a whole decimal number in [lo, hi]. 0 and *out set, or -1. */
int import_parse_count(const char *s, long lo, long hi, int *out);

/* The sentence for a deadline import_parse_deadline refused (without the value). */
#define IMPORT_DEADLINE_HELP "is not a future date (YYYY-MM-DD, YYYY-MM-DDTHH:MM, +7d, +12h)"

#endif
