/*
 * task_msg.c - builds the task-offer SMS text (format in task_msg.h).
 * Owns: the wording and order of a task message. Never allocates, never sends.
 */
#include "task_msg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "money.h"
#include "sms_text.h"

static const char *const type_names[TASK_TYPE__COUNT] = {
    [TASK_VERIFY] = "verify",
    [TASK_CHOICE] = "choice",
    [TASK_TRANSCRIBE] = "transcribe",
};

const char *task_type_name(task_type t)
{
    return (unsigned)t < TASK_TYPE__COUNT ? type_names[t] : "?";
}

int task_type_parse(const char *s, size_t n)
{
    for (int t = 0; t < TASK_TYPE__COUNT; t++)
        if (strlen(type_names[t]) == n && strncasecmp(s, type_names[t], n) == 0)
            return t;
    return -1;
}

/* Append p[0..n) to out at *pos (kept NUL-terminated); sets *over when it would not fit. */
static void put_bytes(char *out, size_t cap, size_t *pos, int *over, const char *p, size_t n)
{
    if (*over)
        return;
    if (n >= cap - *pos) {
        *over = 1;
        return;
    }
    memcpy(out + *pos, p, n);
    *pos += n;
    out[*pos] = '\0';
}

/* Append the string s. */
static void put_str(char *out, size_t cap, size_t *pos, int *over, const char *s)
{
    put_bytes(out, cap, pos, over, s, strlen(s));
}

/* Append v in decimal (the message is built once per task and per import
 * row: digits by hand rather than a printf per piece). */
static void put_uint(char *out, size_t cap, size_t *pos, int *over, unsigned v)
{
    char d[12];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_bytes(out, cap, pos, over, d + i, sizeof d - i);
}

/* Trim ASCII spaces around p[0..n). */
static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

kz_status task_msg_format(const task_msg *m, char *out, size_t cap, size_t *len, kz_err *err)
{
    size_t pos = 0;
    int over = cap == 0;
    if (!over)
        out[0] = '\0';
    put_str(out, cap, &pos, &over, "#");
    put_uint(out, cap, &pos, &over, m->ref);
    put_str(out, cap, &pos, &over, " ");
    put_str(out, cap, &pos, &over, m->requester ? m->requester : "");
    put_str(out, cap, &pos, &over, ": ");
    put_bytes(out, cap, &pos, &over, m->prompt, m->prompt_len);
    if (m->type != TASK_TRANSCRIBE) {
        const char *p = m->options;
        size_t left = m->options_len;
        unsigned k = 1;
        while (p && left) {
            const char *bar = memchr(p, '|', left);
            size_t n = bar ? (size_t)(bar - p) : left;
            const char *item = p;
            size_t in = n;
            trim(&item, &in);
            put_str(out, cap, &pos, &over, " ");
            put_uint(out, cap, &pos, &over, k++);
            put_str(out, cap, &pos, &over, "=");
            put_bytes(out, cap, &pos, &over, item, in);
            p += n + (bar ? 1 : 0);
            left -= n + (bar ? 1 : 0);
        }
    }
    unsigned s = m->est_seconds > 0 ? (unsigned)m->est_seconds : 0;
    put_str(out, cap, &pos, &over, " ~");
    if (s < 120) {
        put_uint(out, cap, &pos, &over, s);
        put_str(out, cap, &pos, &over, "s");
    } else if (s < 7200) {
        put_uint(out, cap, &pos, &over, (s + 59) / 60);
        put_str(out, cap, &pos, &over, "min");
    } else {
        put_uint(out, cap, &pos, &over, (s + 3599) / 3600);
        put_str(out, cap, &pos, &over, "h");
    }
    char pay[40];
    money_format(pay, sizeof pay, m->reward_minor, m->currency, 1);
    put_str(out, cap, &pos, &over, " ");
    put_str(out, cap, &pos, &over, pay);
    put_str(out, cap, &pos, &over, ". Reply ");
    put_uint(out, cap, &pos, &over, m->ref);
    put_str(out, cap, &pos, &over, m->type == TASK_TRANSCRIBE ? " TEXT" : " N");
    if (over)
        return kz_err_set(err, KZ_ERR_NOSPACE, KZ_NO_OFFSET, "task message longer than %zu bytes",
                          cap);
    if (len)
        *len = pos;
    return KZ_OK;
}

size_t task_msg_segments(const task_msg *m)
{
    char buf[TASK_MSG_CAP];
    task_msg w = *m;
    w.ref = TASK_MSG_REF_MAX;
    size_t len = 0;
    if (task_msg_format(&w, buf, sizeof buf, &len, NULL) != KZ_OK)
        return 0;
    return sms_count_segments(buf, len);
}
