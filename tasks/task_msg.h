/*
 * task_msg.h - the text of the SMS that offers a task to a worker. One
 * function builds it, so the import check ("fits one SMS") and the engine
 * that sends it can never disagree.
 *
 * Format (English; fields in this order, single spaces):
 *
 *     #REF REQUESTER: PROMPT OPTIONS ~TIME PAY. Reply REF HINT
 *
 *   REF        the worker's short task number (1..TASK_MSG_REF_MAX)
 *   REQUESTER  who the work is for (DESIGN.md promise 4)
 *   PROMPT     the task's question, as imported (trimmed)
 *   OPTIONS    "1=Yes 2=No 3=Closed" for verify/choice; absent for transcribe
 *   TIME       estimated time: "~30s", "~2min", "~1h" (promise 1)
 *   PAY        the reward in the SMS money form: "KSh3", "KSh2.50"
 *   HINT       "N" for verify/choice (the option number), "TEXT" for transcribe
 *
 * Example: "#42 Acme: Is the shop open? 1=Yes 2=No 3=Closed ~30s KSh3. Reply 42 N"
 * Owns: that format. Never allocates; never decides the reference number.
 */
#ifndef KAZI_TASK_MSG_H
#define KAZI_TASK_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Largest task reference number the engine hands out (4 digits on a keypad). */
#define TASK_MSG_REF_MAX 9999

/* A buffer this size holds any message that could fit in one SMS and more. */
#define TASK_MSG_CAP 1024

typedef enum task_type {
    TASK_VERIFY = 0,
    TASK_CHOICE,
    TASK_TRANSCRIBE,
    TASK_TYPE__COUNT
} task_type;

/* "verify", "choice", "transcribe". */
const char *task_type_name(task_type t);

/* Parse a type name (ASCII case-insensitive, exact length n). Returns -1 if unknown. */
int task_type_parse(const char *s, size_t n);

typedef struct task_msg {
    unsigned ref;
    task_type type;
    const char *requester;      /* NUL-terminated */
    const char *prompt;         /* prompt_len bytes, UTF-8 */
    size_t prompt_len;
    const char *options;        /* "Yes|No|Closed", options_len bytes; ignored for transcribe */
    size_t options_len;
    int est_seconds;
    int64_t reward_minor;
    const char *currency;       /* "KES" */
} task_msg;

/*
 * Write the message for m into out (cap bytes, NUL-terminated); *len (may be
 * NULL) receives its length without the NUL. KZ_ERR_NOSPACE if it does not
 * fit in cap (out then holds nothing useful).
 */
kz_status task_msg_format(const task_msg *m, char *out, size_t cap, size_t *len, kz_err *err);

/*
 * SMS segments the message for m needs with the widest reference number
 * (TASK_MSG_REF_MAX), using modem/sms_text.h's counting: 1 means it fits one
 * SMS. 0 if the text is invalid UTF-8 or longer than TASK_MSG_CAP.
 */
size_t task_msg_segments(const task_msg *m);

#endif
