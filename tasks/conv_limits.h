/*
 * conv_limits.h - the inbound abuse limits as a plain struct, shared by the
 * conversation (tasks/conv_abuse.c applies them) and the configuration
 * (gateway/config_keys.c fills them from [limits]).
 * Owns: the knobs and their defaults. Never decides anything.
 */
#ifndef KAZI_CONV_LIMITS_H
#define KAZI_CONV_LIMITS_H

typedef struct conv_limits {
    int rate_max;       /* inbound SMS one number may send per rate_window_s; 0: no limit */
    int rate_window_s;  /* more are stored, not acted on; one notice per window */
    int max_parts;      /* longer inbound SMS are refused unread (one short reply); 0: none */
    int max_chars;      /* ... and so are those with more characters; 0: none */
    int repeat_max;     /* the same text (no answer) this many times per repeat_window_s: */
    int repeat_window_s;/* ... flagged, not answered; 0: no check */
} conv_limits;

/* Defaults that no person on a keypad phone reaches. */
#define CONV_LIMITS_DEFAULT {40, 600, 6, 918, 5, 600}

#endif
