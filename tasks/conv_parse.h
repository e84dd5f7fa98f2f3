/*
 * conv_parse.h - reading one inbound SMS as a worker's command: the
 * keywords of docs/sms-commands.md in English and Swahili, task answers
 * ("42 2", "42 Nairobi West", bare "2"), and the habits of keypad phones
 * ("42*2", "42.2", "#42 2", "42#2", "Stop!", smart quotes, stray spaces).
 * Owns: the keyword table and the text clean-up. Pure: no allocation, no
 * database, no I/O; the same bytes always give the same command.
 * Never decides what a command does (tasks/conv.c does).
 */
#ifndef KAZI_CONV_PARSE_H
#define KAZI_CONV_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of cleaned text kept; longer messages are cut at a character boundary. */
#define CONV_TEXT_CAP 1024
/* Longest answer (bytes) a task takes; longer ones are CONV_ARGS_TOO_LONG. */
#define CONV_ANSWER_MAX 480
/* Longest certificate code accepted by CHECK. */
#define CONV_CODE_MAX 16

typedef enum conv_kind {
    CONV_UNKNOWN = 0, /* not a command; text holds the cleaned message (maybe a bare answer) */
    CONV_EMPTY,       /* nothing but spaces and punctuation */
    CONV_STOP,
    CONV_JOIN,
    CONV_ANSWER,
    CONV_NEXT,
    CONV_SKIP,
    CONV_MORE,
    CONV_HOURS,
    CONV_PAUSE,
    CONV_RESUME,
    CONV_BAL,
    CONV_PAY,
    CONV_WHO,
    CONV_ASK,
    CONV_APPEAL,
    CONV_HIST,
    CONV_CERT,
    CONV_CHECK,
    CONV_LANG,
    CONV_HELP,
    CONV__COUNT
} conv_kind;

/* What is wrong with a recognised command's arguments. */
typedef enum conv_args {
    CONV_ARGS_OK = 0,
    CONV_ARGS_MISSING, /* a required argument is absent (CHECK, LANG, ASK, HOURS) */
    CONV_ARGS_BAD,     /* present but unreadable (SKIP x, HOURS 25-3, LANG fr) */
    CONV_ARGS_TOO_LONG /* an answer longer than CONV_ANSWER_MAX */
} conv_args;

typedef struct conv_cmd {
    conv_kind kind;
    conv_args args;
    char lang[3];        /* language of the keyword ("en", "sw"), "" for numbers and unknown */
    int ref;             /* task reference 1..9999, 0 if none was given */
    int hours_from;      /* HOURS: minutes after midnight; both -1 = any time ("HOURS ALL") */
    int hours_to;        /* 1..1440 (1440 = midnight at the end of the day) */
    int pause_hours;     /* PAUSE: hours, 0 = until RESUME */
    char set_lang[3];    /* LANG: "en" or "sw" */
    char code[CONV_CODE_MAX + 1]; /* CHECK: upper case, separators removed */
    bool truncated;      /* the message was longer than CONV_TEXT_CAP - 1 bytes */
    size_t arg_off;      /* the command's free text starts at text + arg_off */
    size_t text_len;
    char text[CONV_TEXT_CAP]; /* the cleaned message (UTF-8, NUL-terminated) */
} conv_cmd;

/*
 * Parse text[0..len) (UTF-8; invalid bytes are dropped) into *out. Always
 * succeeds: anything that is not a command is CONV_UNKNOWN (or CONV_EMPTY).
 * The free text of a command (an answer, a JOIN name, an ASK question, an
 * APPEAL reason, a PAY amount) is out->text + out->arg_off, trimmed.
 * STOP words are recognised anywhere in a short message that is not an answer.
 */
void conv_parse(const char *text, size_t len, conv_cmd *out);

/* Upper-case English keyword of a kind ("NEXT"), for documentation and tests. */
const char *conv_kind_name(conv_kind k);

#endif
