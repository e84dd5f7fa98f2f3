/*
 * ussd_screen.h - one USSD screen as lines of text, and the rule that a
 * whole answer ("CON " or "END " and every line) is at most
 * USSD_SCREEN_CHARS characters (code points, not bytes).
 * Owns: counting characters, shortening text at a word boundary with an
 * ellipsis ("...", GSM-7 safe) so that nothing is cut mid-word in silence,
 * and the fit of a screen (its longest line gives way first). Never touches
 * the database, never chooses words (the templates do).
 */
#ifndef KAZI_USSD_SCREEN_H
#define KAZI_USSD_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#define USSD_SCREEN_CHARS 182 /* the whole answer, "CON "/"END " included */
#define USSD_SCREEN_LINES 12
#define USSD_LINE_CAP 1024    /* bytes of one line */

typedef struct ussd_screen {
    char line[USSD_SCREEN_LINES][USSD_LINE_CAP];
    size_t n;
} ussd_screen;

/* Characters (code points) of UTF-8 text s. */
size_t ussd_chars(const char *s);

/*
 * in, shortened to at most max characters: whole words and "..." when it is
 * longer (a first word longer than that is cut, still with "..."). Into out
 * (cap bytes, NUL-terminated, never a character cut in half).
 */
void ussd_shorten(const char *in, size_t max, char *out, size_t cap);

/* An empty screen. */
void ussd_screen_init(ussd_screen *s);

/* Append one line (a copy; ignored past USSD_SCREEN_LINES). */
void ussd_screen_add(ussd_screen *s, const char *text);

/* Append "NUM LABEL" as one line. */
void ussd_screen_item(ussd_screen *s, const char *num, const char *label);

/* Append each line of text ('\n'-separated). */
void ussd_screen_lines(ussd_screen *s, const char *text);

/* Characters of the whole answer: the 4 of the prefix, the lines and the newlines. */
size_t ussd_screen_chars(const ussd_screen *s);

/* Shorten the longest line until the whole answer fits USSD_SCREEN_CHARS. */
void ussd_screen_fit(ussd_screen *s);

/* Lines from..n-1 joined by '\n' into out (cap bytes); with prefix ("CON "/"END ") in front. */
void ussd_screen_join(const ussd_screen *s, size_t from, const char *prefix, char *out,
                      size_t cap);

#endif
