/*
 * conv_multi.h - reading one SMS that answers several tasks at once: "12 1
 * 13 2", "12 1, 13 2", "12=1 13=2", "#12 1 #13 2", "12*1 13*2" (a keypad
 * habit). Each pair is a task reference and an option number.
 * Owns: which texts are such a list and which are not. Pure: no
 * allocation, no database; the same bytes always give the same list. Never
 * decides whether the refs are the worker's open tasks (conv_cmds.c does:
 * "12 1 13 2" may also be one transcription answer to task 12).
 */
#ifndef KAZI_CONV_MULTI_H
#define KAZI_CONV_MULTI_H

#include <stdbool.h>
#include <stddef.h>

/* Most answers read from one SMS. */
#define CONV_MULTI_MAX 8

typedef struct conv_multi {
    size_t n;                    /* pairs read: 2..CONV_MULTI_MAX when the text is a list */
    int ref[CONV_MULTI_MAX];     /* task references 1..9999, all different */
    char answer[CONV_MULTI_MAX][3]; /* the option number: "1".."99", no leading zero */
} conv_multi;

/*
 * Read text[0..len) (the cleaned SMS, conv_cmd.text) as a list of
 * (ref, option) pairs. Between a ref and its option: spaces, '=', '*', '.',
 * ':', '-' or '#'; between pairs: spaces, ',', ';', '/' or a line break; a
 * '#' may stand before a ref; trailing full stops and spaces are ignored.
 * True with out filled only for at least 2 and at most CONV_MULTI_MAX pairs,
 * every ref 1..9999 (at most 4 digits) and different, every option 1..99
 * (at most 2 digits). Anything else (an odd count of numbers, a word, a
 * zero, a long number) is false with out->n 0: not a list.
 */
bool conv_multi_parse(const char *text, size_t len, conv_multi *out);

#endif
