/*
 * harness.h - the tiny unit-test harness: checks count passes and failures,
 * a failure prints file:line and a message, and each test program ends with
 * "N passed, N failed" (tests/run.sh adds them up).
 * Never exits early on a failed check: every check runs.
 */
#ifndef KAZI_TEST_HARNESS_H
#define KAZI_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int kt_passed;
static int kt_failed;

/* Record one check; on failure print where and why (printf-style message). */
#define KT_CHECK(cond, ...)                                                  \
    do {                                                                     \
        if (cond) {                                                          \
            kt_passed++;                                                     \
        } else {                                                             \
            kt_failed++;                                                     \
            fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* Compare two NUL-terminated strings, printing both when they differ. */
#define KT_STREQ(got, want, label)                                           \
    KT_CHECK(strcmp((got), (want)) == 0, "%s: got \"%s\", want \"%s\"", (label), (got), (want))

/* Print the summary line and return the process status for main(). */
static inline int kt_report(void)
{
    printf("%d passed, %d failed\n", kt_passed, kt_failed);
    return kt_failed ? 1 : 0;
}

/* Directory of ../shared/vectors (KAZI_VECTORS overrides). */
static inline const char *kt_vectors_dir(void)
{
    const char *d = getenv("KAZI_VECTORS");
    return d && *d ? d : "../shared/vectors";
}

#endif
